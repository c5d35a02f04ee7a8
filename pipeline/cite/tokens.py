"""Tokens of a note and the features the sequence labeller sees for each.

A note is one line of the export's Markdown. HTML links are first written as
Markdown (a wikilink keeps its text only), then the line is split at spaces,
as AnyStyle does: a token is a word with its punctuation and markup, so a
labelled training sequence (its segments joined by spaces) splits into the
very tokens the parser sees. A Markdown link's URL stays attached to the
token that closes the link text; the features read the token without it.

Features (`FEATURES` names the set; the model records it): the word folded,
prefixes and suffixes, shape and capitalisation, number kinds (year, range,
ordinal, roman), leading and trailing punctuation, brackets and quotes
(opening, closing, inside), Markdown emphasis and links (opening, closing,
inside, autolink, bare URL), DOI/ISBN shapes, dictionary tags (`lexicon`),
the position in the note, whether a year or an access wording came before,
and the neighbours' words, shapes and tags.
"""
from __future__ import annotations

import html
import re
from functools import lru_cache

from ..text import MD_ESCAPE as _ESCAPE, fold_token as _fold
from .lexicon import tags_of

__all__ = ["FEATURES", "prepare", "tokenize", "features", "display", "LINK_END", "link_url", "has_markdown"]

FEATURES = "wikibind-cite-features-4"

# the export's damaged wikilinks quote the tag: "<a href="Karl_Marx.md" class="wikilink">"Karl Marx</a>
_ANCHOR = re.compile(r"\"?<a\s[^>]*?href=\"([^\"]*)\"[^>]*>\"?(.*?)</a>", re.S | re.I)
_TAG = re.compile(r"</?(?:span|sup|sub|small|abbr|cite|b|strong|i|em|u|s)\b[^>]*>", re.I)
LINK_END = re.compile(r"\]\((<?[^()\s]*(?:\([^()\s]*\)[^()\s]*)*>?)\)")
_AUTOLINK = re.compile(r"<((?:https?|ftp)://[^>\s]+)>")
_URL = re.compile(r"(?:https?|ftp)://\S+|www\.\S+\.\S+", re.I)
_DOMAIN = re.compile(r"(?:[a-z0-9-]+\.)+(?:com|org|net|edu|gov|mil|int|info|de|uk|fr|es|it|nl|ru|pk|au|ca|jp|ch|at|be|io|eu|us)\b", re.I)
_DOI = re.compile(r"\b10\.\d{4,9}/\S+")
_ISBN = re.compile(r"^(?:97[89][- ]?)?\d{1,5}[- ]?\d{1,7}[- ]?\d{1,7}[- ]?[\dXx]$")
_YEAR = re.compile(r"^[(\[]?(1[5-9]\d\d|20\d\d)[a-z]?[)\].,:;]*$")
_RANGE = re.compile(r"^\d+\s*[-–—]\s*\d+$")
_ROMAN = re.compile(r"^(?=[mdclxvi])m*(c[md]|d?c{0,3})(x[cl]|l?x{0,3})(i[xv]|v?i{0,3})$", re.I)
_OPEN = "([{\"“„«‘'*_"
_CLOSE = ")]}\"”»’'*_.,;:!?"


def prepare(text: str) -> str:
    """One line of Markdown with HTML links written as Markdown (a wikilink keeps its text)."""
    text = html.unescape(_TAG.sub("", _ANCHOR.sub(_anchor, text))) if "<" in text or "&" in text else text
    return " ".join(text.split())


def _anchor(m: re.Match[str]) -> str:
    href, label = m.group(1), " ".join(m.group(2).split())
    if re.match(r"(?:https?|ftp)://", href, re.I):
        return f"<{href}>" if label == href else f"[{label}]({href})"
    return label


def tokenize(text: str) -> list[str]:
    """Split a prepared note into tokens at spaces."""
    return text.split(" ") if text else []


def link_url(token: str) -> str:
    """The URL a token carries: a Markdown link's target, an autolink or a bare URL; else ''."""
    m = LINK_END.search(token)
    if m:
        return m.group(1).strip("<>")
    m = _AUTOLINK.search(token)
    if m:
        return m.group(1)
    m = _URL.search(token)
    return m.group(0).rstrip(".,;)") if m else ""


@lru_cache(maxsize=200_000)
def display(token: str) -> str:
    """The token as read: a link's URL dropped, Markdown escapes undone."""
    if "](" in token:
        token = LINK_END.sub("]", token)
    return _ESCAPE.sub(r"\1", token) if "\\" in token else token


def _shape(word: str) -> str:
    out = []
    for c in word[:12]:
        s = "X" if c.isupper() else "x" if c.isalpha() else "9" if c.isdigit() else c
        if not out or out[-1] != s:
            out.append(s)
    return "".join(out)


@lru_cache(maxsize=200_000)
def _base(token: str) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...], dict[str, bool]]:
    """Features of a token alone, the short set its neighbours see (as each neighbour sees it), and its flags."""
    raw = display(token)
    core = raw.strip(_OPEN + _CLOSE + "[]")
    low = _fold(core)
    lead = raw[:len(raw) - len(raw.lstrip(_OPEN + "["))]
    trail = raw[len(raw.rstrip(_CLOSE + "]")):]
    url = bool(_AUTOLINK.search(token) or _URL.match(raw.lstrip("[(<")))
    f = [f"w={low}", f"sh={_shape(core)}", f"p1={low[:1]}", f"p3={low[:3]}", f"s2={low[-2:]}",
         f"s3={low[-3:]}", f"lead={lead[-3:]}", f"trail={trail[:3]}", f"len={min(len(core), 9)}"]
    if core[:1].isupper():
        f.append("cap=AU" if core.isupper() and len(core) > 1 else "cap=Up")
    elif core[:1].islower():
        f.append("cap=lo")
    elif core[:1].isdigit():
        f.append("cap=num")
    if len(core) <= 2 and core[:1].isupper() and raw.rstrip("*_,;:)").endswith("."):
        f.append("initial")
    if _YEAR.match(raw.strip("*_")):
        f.append("year")
    elif _RANGE.match(core):
        f.append("range")
    elif core.isdigit():
        f.append("int" if len(core) < 5 else "longint")
    elif re.fullmatch(r"\d+(?:st|nd|rd|th|e|er|\.)", core + ("." if raw.rstrip("*").endswith(".") else "")):
        f.append("ordinal")
    elif _ROMAN.match(core) and core.isupper():
        f.append("roman")
    if url:
        f.append("url")
    if _DOMAIN.search(core) and not url:
        f.append("domain")
    if _DOI.search(raw) or low.startswith("doi"):
        f.append("doi")
    if _ISBN.match(core) or low.startswith("isbn"):
        f.append("isbn")
    tags = tags_of(low) + tags_of(_fold(raw.strip("*_\"“”")))
    f += [f"d={t}" for t in sorted(set(tags))]
    flags = {
        "em_open": bool(re.match(r"^[\[(\"“]*[*_]", raw)),
        "em_close": bool(re.search(r"[*_][)\].,;:!?\"”]*$", raw)) and len(raw) > 1,
        "link_open": raw.lstrip("(\"“*").startswith("["),
        "link_close": "](" in token,
        "q_open": bool(re.match(r"^[(\[*]*[\"“„«‘]", raw)),
        "q_close": bool(re.search(r"[\"”»’][)\].,;:!?*]*$", raw)),
        "p_open": raw.startswith("("),
        "p_close": bool(re.search(r"\)[.,;:]*$", raw)) and "(" not in raw[1:],
    }
    f += [k for k, v in flags.items() if v]
    short = (f"w={low}", f"sh={_shape(core)}", f"trail={trail[:3]}", *(f"d={t}" for t in sorted(set(tags))),
             *(k for k, v in flags.items() if v))
    stop = bool(re.search(r"[.?!][\"”’'*)\]]*$|[:;]$", raw)) and "initial" not in f and len(core) > 1
    comma = raw.rstrip("\"”’'*)]").endswith(",")
    near = tuple(tuple(pre + x for x in short) for pre in ("-1", "-2", "+1", "+2"))  # built once per distinct token
    return tuple(f), near, {**flags, "year": "year" in f, "acc": "d=acc" in f, "stop": stop, "comma": comma}


_EM_WORD_OPEN = re.compile(r"^[\[(\"“„«‘']*[*_]{1,3}[^\W_]")
_EM_WORD_CLOSE = re.compile(r"[^\W_][.,;:!?\"”»’')\]]*[*_]{1,3}[)\].,;:!?\"”»’']*$")


def has_markdown(tokens: list[str]) -> bool:
    """Whether a note is written with Markdown: a link, an autolink, or a word set in emphasis.

    A reference number "[12]" or a line "______." of an academic reference is not Markdown."""
    if any("](" in t or "<http" in t or "<ftp" in t for t in tokens):
        return True
    return any(_EM_WORD_OPEN.match(t) for t in tokens) and any(_EM_WORD_CLOSE.search(t) for t in tokens)


def features(tokens: list[str]) -> list[list[str]]:
    """Feature strings for each token of a note, in order."""
    n = len(tokens)
    bases = [_base(t) for t in tokens]
    out: list[list[str]] = []
    in_em = in_link = in_q = in_p = False
    seen_year = seen_acc = False
    stops = commas = 0  # sentence-like stops and commas before the token: where a reference's fields begin
    # A note written with Markdown (emphasis, links) is a wiki footnote; one without reads like a reference
    # list entry, where a plain sentence is a title, not commentary: every token knows which.
    md = "md=" + ("yes" if has_markdown(tokens) else "no")
    for i, (own, _, flags) in enumerate(bases):
        f = list(own)
        f.append(f"pos={10 * i // n}")
        f.append(f"stops={min(stops, 5)}")
        f.append(f"commas={min(commas, 6)}")
        f += [md, f"{md}|stops={min(stops, 5)}", f"{md}|pos={10 * i // n}", f"{md}|{own[1]}", f"{md}|{own[7]}"]
        if i == 0:
            f.append("first")
        if i == n - 1:
            f.append("last")
        opens_em, opens_link = flags["em_open"], flags["link_open"]
        if in_em or opens_em:
            f.append("in_em")
        if in_link or opens_link:
            f.append("in_link")
        if in_q or flags["q_open"]:
            f.append("in_q")
        if in_p or flags["p_open"]:
            f.append("in_p")
        if seen_year:
            f.append("after_year")
        if seen_acc:
            f.append("after_acc")
        if i > 0:
            f += bases[i - 1][1][0]
        else:
            f.append("bos")
        if i > 1:
            f += bases[i - 2][1][1]
        if i + 1 < n:
            f += bases[i + 1][1][2]
        else:
            f.append("eos")
        if i + 2 < n:
            f += bases[i + 2][1][3]
        out.append(f)
        # states for the next token
        if opens_em and not (flags["em_close"] and len(display(tokens[i])) > 2):
            in_em = True
        elif flags["em_close"]:
            in_em = False
        if flags["link_close"]:
            in_link = False
        elif opens_link:
            in_link = True
        if flags["q_open"] and not flags["q_close"]:
            in_q = True
        elif flags["q_close"]:
            in_q = False
        if flags["p_open"] and not flags["p_close"]:
            in_p = True
        elif flags["p_close"]:
            in_p = False
        seen_year = seen_year or flags["year"]
        if flags["stop"]:
            stops += 1
        elif flags["comma"]:
            commas += 1
        seen_acc = seen_acc or flags["acc"]
    return out
