"""Turn the free-form text of a wiki footnote into structured sources.

Parse rule (`parse_note`). A note is scanned for two shapes only:

* works: ``Author[ (ed.)], *Title*[ ([Publisher, ]Year)]`` anywhere in the
  note. The author is the run of capitalised name words right before the
  comma, and it must start the note or follow a sentence end, a closing quote,
  a bracket or a lead word ("see", "by", "in"), so a clause such as
  ``the May Days, *Solidaridad Obrera*`` is not taken for a citation;
* a web page: ``Site: Page title[, accessed DATE]`` that ends the note (after
  the last work) and starts the note or follows a sentence end or a closing
  quote. The site is at most five capitalised words or a domain; the page
  title may itself contain colons and has no quotation marks. A bare site name
  at the end (no colon) counts only when it is a domain or plainly names a site
  ("... Weblog", "... Library", "Wikipedia").

Commentary and quotations around those shapes are not sources and are left
out. What cannot be parsed with confidence is listed as-is, never dropped: a
note in which nothing parses gives one ``kind="unparsed"`` Source holding the
whole text. Only an empty note gives ``[]``.

Merge rule (`merge_key`): kind + author + title + year (works) or kind + site
+ page title (web), compared after folding case, punctuation, whitespace,
quotes, ``*``/``_`` markup, diacritics and a leading "The"; ``accessed``,
publisher and the "(ed.)" flag are ignored. A year is part of a work's key,
because two different years mean two editions. A work cited without a year is
the same work as its one dated edition, but no per-source key can say so
(it is not transitive once two editions exist); `merge_keys` applies that
rule to a whole collection.

Key citations (`parse_citation`): a note that is exactly one pandoc group
such as ``[see @key, p. 4; -@other]`` cites those keys of references.bib.

Sort rule (`sort_key`): works by first author, surname first, then title;
web pages by site then page title; unparsed by their text. Folded like
MediaWiki's collation: casefold, no diacritics, and titles and sites ignore a
leading The/A/An (names keep theirs: "A." may be an initial).
"""
from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

__all__ = ["Source", "CiteItem", "parse_note", "parse_citation", "citation_items", "parse_note_sources", "merge_key", "merge_keys", "sort_key", "to_csl", "format_html"]


_KEY = r"[A-Za-z0-9_](?:[A-Za-z0-9_]|[:.#$%&+?<>~/-](?=[A-Za-z0-9_]))*"
_ITEM = re.compile(rf"(?P<prefix>[^;@]*?)(?P<minus>-?)(?<![\w@])@(?P<key>{_KEY})(?![\w@])(?P<suffix>[^;@]*)")


class CiteItem(NamedTuple):
    """One cited key of a bracketed citation, with the text around it."""

    prefix: str  # "see "
    key: str
    suffix: str  # ", p. 4"
    suppress_author: bool = False  # "-@key"


def parse_citation(text: str) -> list[CiteItem] | None:
    """Return the items of a text that is exactly one ``[@key...]`` group, else None."""
    text = " ".join(str(text or "").split())
    if not (text.startswith("[") and text.endswith("]")) or len(text) > 1002:
        return None
    return citation_items(text[1:-1])


def citation_items(body: str) -> list[CiteItem] | None:
    """Split a group's inside into items; None unless every item holds exactly one key."""
    items = []
    for part in body.split(";"):
        m = _ITEM.fullmatch(part.strip())
        if not m:
            return None
        items.append(CiteItem(m.group("prefix"), m.group("key"), m.group("suffix").rstrip(),
                              bool(m.group("minus"))))
    return items or None


@dataclass(frozen=True)
class Source:
    """One cited source, as parsed from a note."""

    kind: str  # "work" (book/article), "web" (site page), "unparsed"
    title: str  # work title without markup, or page title; raw text for unparsed
    author: str = ""  # "Paul Avrich"; "Marx and Engels" for two; empty for sites
    editor: bool = False  # "(ed.)": the name is the editor's
    year: str = ""
    publisher: str = ""
    site: str = ""  # "Britannica", "libcom.org", "Wikipedia"
    accessed: str = ""  # "2026"
    raw: str = ""  # the substring of the note this was parsed from


# ", *Title* (Publisher, Year)". Every repetition is bounded and the classes
# exclude their own delimiters, so matching stays linear on hostile input.
_WORK = re.compile(
    r"(?:\s*\((?P<ed>eds?)\.?\))?,\s+(?:\*\*?(?P<t1>[^*]{1,300})\*\*?|_(?P<t2>[^_]{1,300})_)"
    r"(?:\s+\((?:(?P<pub>[^()]{1,150}),\s*)?(?P<year>\d{4}[a-z]?)\))?"
)
# Where a trailing citation may start: after . ! ? ; or a closing quote.
_BOUNDARY = re.compile(r"(?:[.!?;]|[\"”])[\"”’')\]]*\s+")
_SITE_PAGE = re.compile(r"([^:]{1,60}):\s+(\S.{0,250})$", re.S)
_ACCESSED = re.compile(r"[,;.]?\s*\(?\b(?:accessed|retrieved)(?:\s+on)?\s+([^()]{1,40}?)\)?\.?$", re.I)
_DOMAIN = re.compile(r"(?:[A-Za-z0-9-]{1,63}\.){1,4}[A-Za-z]{2,12}")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>\"'])")
_TAIL_MAX = 300  # longest trailing citation considered; bounds the scan

_PARTICLES = {"de", "di", "da", "del", "della", "dos", "das", "du", "van", "von", "der",
              "den", "la", "le", "ten", "ter", "y", "bin", "ibn", "al"}
_LEADERS = {"see", "cf.", "by", "in", "also", "from", "and", "as", "per", "following"}
_CONNECTORS = {"of", "the", "and", "for", "on", "in", "&", "de", "la", "du", "des"}
_NOT_SITES = {"note", "notes", "nb", "n.b.", "see", "source", "sources", "quote", "update",
              "edit", "summary", "example", "warning", "translation", "translator's note",
              "editor's note", "ps", "p.s.", "in", "on", "at", "by", "as", "he", "she",
              "they", "it", "we", "this", "that", "but", "and"}
_SITE_WORDS = ("blog", "wiki", "wikipedia", "britannica", "library", "archive", "archives",
               "encyclopedia", "encyclopaedia", "website", "news", "magazine")
_FOLD_EXTRA = str.maketrans({"ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "þ": "th",
                             "ı": "i", "ð": "d", "&": " and "})
_SUFFIXES = {"jr.", "jr", "sr.", "sr", "ii", "iii", "iv"}


def parse_note(text: str) -> list[Source]:
    """Return the sources a note's Markdown text cites (see the module rule)."""
    note = " ".join(str(text or "").split())
    if not note:
        return []
    found = list(_works(note))
    site = _site_tail(note, found[-1][1] if found else 0)
    sources = [work for work, _ in found] + ([site] if site else [])
    return sources or [Source("unparsed", title=note, raw=note)]


def _works(note: str) -> Iterator[tuple[Source, int]]:
    """Yield each ``Author, *Title* (Year)`` in the note with its end offset."""
    floor = 0  # an author never reaches back into the previous work
    for m in _WORK.finditer(note):
        title = _clean(m.group("t1") or m.group("t2") or "")
        if not any(c.isalnum() for c in title):
            continue
        start = _author_start(note, floor, m.start())
        if start is None:
            continue
        floor = m.end()
        author = " ".join(note[start:m.start()].split())
        yield Source("work", title=title, author=_clean(author), editor=bool(m.group("ed")),
                     year=m.group("year") or "", publisher=_clean(m.group("pub") or ""),
                     raw=note[start:m.end()]), m.end()


def _author_start(note: str, floor: int, hi: int) -> int | None:
    """Return where the run of name words ending at `hi` starts, or None."""
    lo = max(floor, hi - 160)  # an author is a few words: look no further back
    words = note[lo:hi].split(" ")  # parse_note left single spaces only
    if lo > floor and not note[lo - 1].isspace():
        words[0] = "…"  # the window cut a word: neither a name nor a boundary
    run: list[tuple[int, str]] = []
    pos, prev, opened = hi, "", False
    for tok in reversed(words):
        pos -= len(tok) + 1
        bare = tok.lstrip("([\"“")
        if not bare or not (_is_name(bare) or bare in _PARTICLES or bare in ("and", "&")):
            prev = tok
            break
        run.insert(0, (pos + 1 + len(tok) - len(bare), bare))
        if bare != tok:  # the run began right after "(" or a quote: a boundary
            opened = True
            break
    led = False
    while run and (run[0][1].casefold() in _LEADERS or run[0][1] in ("and", "&")):
        led = True  # "See Paul Avrich, ...": the lead word is not the author
        run.pop(0)
    if not run or not any(len(t) > 2 and _is_name(t) for _, t in run):
        return None
    boundary = (not prev or opened or led or prev.casefold() in _LEADERS
                or prev[-1] in ".;:!?\"”’)")
    return run[0][0] if boundary else None


def _is_name(tok: str) -> bool:
    """True for a capitalised name word or initials ("Avrich", "G.", "P.-J.")."""
    if not tok[0].isupper():
        return False
    if tok.endswith("."):  # an initial or "Jr."; "Russia." ends a sentence
        return sum(c.isalpha() for c in tok) <= 2 and all(c.isalpha() or c in ".-" for c in tok)
    return all(c.isalpha() or c in "'’-" for c in tok)


def _site_tail(note: str, start: int) -> Source | None:
    """Return the ``Site: Page`` (or bare site) that ends the note, if any."""
    lo = max(start, len(note) - _TAIL_MAX)
    starts = [start] if start == lo else []
    starts += [m.end() for m in _BOUNDARY.finditer(note, lo)]
    for pos in reversed(starts):  # rightmost first: "Wikipedia: St. Petersburg" still works
        source = _site_page(note[pos:].strip())
        if source:
            return source
    return _bare_site(note[starts[-1]:].strip()) if starts else None


def _site_page(tail: str) -> Source | None:
    """Parse ``Site: Page title[, accessed DATE]`` exactly, or return None."""
    m = _SITE_PAGE.match(tail)
    if not m or not _is_site(m.group(1).strip(), 5):
        return None
    page, accessed = m.group(2).strip(), ""
    acc = _ACCESSED.search(page)
    if acc:
        page, accessed = page[:acc.start()].strip(), acc.group(1).strip(" .,")
    bare = page.strip("\"“”*_ ")
    if bare != page.strip("*_ ") and bare.endswith((".", "!", "?")):
        return None  # `Trotsky: "We shall shoot."` is a quotation, not a page title
    page = _clean(bare.rstrip(".").strip("'‘’ "))
    if not page or len(page.split()) > 20 or page[0].islower() or any(q in page for q in "\"“”"):
        return None
    return Source("web", title=page, site=m.group(1).strip(), accessed=accessed, raw=tail)


def _bare_site(tail: str) -> Source | None:
    """Accept a site name alone only when it is a domain or names a site."""
    name = tail.rstrip(".")
    if ":" in name or not _is_site(name, 6):
        return None
    if not (_DOMAIN.fullmatch(name) or name.split()[-1].casefold().endswith(_SITE_WORDS)):
        return None
    return Source("web", title="", site=_clean(name), raw=tail)


def _is_site(site: str, max_words: int) -> bool:
    """True for a short site name: a domain or a few capitalised words."""
    words = site.split()
    if not 1 <= len(words) <= max_words or site.casefold() in _NOT_SITES:
        return False
    if len(words) == 1 and _DOMAIN.fullmatch(site):
        return True
    if words[0].casefold() in _NOT_SITES or not words[0][0].isupper():
        return False
    return all(w in _CONNECTORS or ((w[0].isupper() or w[0].isdigit())
                                    and all(c.isalnum() or c in ".'’&-" for c in w))
               for w in words)


def _clean(text: str) -> str:
    """Drop Markdown backslash escapes and collapse whitespace."""
    return " ".join(_MD_ESCAPE.sub(r"\1", text).split())


@lru_cache(maxsize=65536)  # the same authors, sites and titles recur across thousands of notes
def _fold(text: str) -> str:
    """Fold for comparison: no markup, punctuation, case or diacritics."""
    text = unicodedata.normalize("NFKD", text.casefold().translate(_FOLD_EXTRA))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


def _fold_title(text: str, articles: tuple[str, ...] = ("the",)) -> str:
    """Fold, then drop one leading article."""
    words = _fold(text).split(" ", 1)
    return words[1] if len(words) == 2 and words[0] in articles else " ".join(words)


def _people(author: str) -> list[tuple[str, str]]:
    """Split "Karl Marx and Friedrich Engels" into (family, given) pairs."""
    people = []
    for name in re.split(r"\s+(?:and|&)\s+", author.strip()):
        words = name.split()
        if "," in name or not words:  # already "Family, Given", or nothing
            family, _, given = name.partition(",")
            people += [(family.strip(), given.strip())] if words else []
            continue
        cut = len(words) - 1
        if cut > 0 and words[cut].casefold() in _SUFFIXES:
            cut -= 1  # "Martin Luther King Jr.": the surname is King
        while cut > 0 and words[cut - 1] in _PARTICLES:
            cut -= 1  # "Voltairine de Cleyre": the surname is "de Cleyre"
        people.append((" ".join(words[cut:]), " ".join(words[:cut])))
    return people


def _base_key(source: Source) -> str:
    """The merge key without the year."""
    if source.kind == "work":
        people = " / ".join(f"{_fold(f)} {_fold(g)}".strip() for f, g in _people(source.author))
        return f"work|{people}|{_fold_title(source.title)}"
    if source.kind == "web":
        return f"web|{_fold_title(source.site)}|{_fold_title(source.title)}"
    return f"unparsed|{_fold(source.raw or source.title)}"


def merge_key(source: Source) -> str:
    """Return a key that is equal for two citations of the same work or page."""
    return f"{_base_key(source)}|{source.year}" if source.kind == "work" else _base_key(source)


def merge_keys(sources: Sequence[Source]) -> list[str]:
    """Return `merge_key` for each source, folding an undated work into its one dated edition."""
    bases = [_base_key(s) for s in sources]
    years: dict[str, set[str]] = {}
    for s, base in zip(sources, bases):
        if s.kind == "work" and s.year:
            years.setdefault(base, set()).add(s.year)
    keys = []
    for s, base in zip(sources, bases):
        dated = years.get(base, set()) if s.kind == "work" and not s.year else set()
        # with two editions known, an undated citation could be either: keep it apart
        keys.append(f"{base}|{next(iter(dated))}" if len(dated) == 1
                    else f"{base}|{s.year}" if s.kind == "work" else base)
    return keys


def sort_key(source: Source) -> tuple[str, ...]:
    """Return a collation key: author surname-first (or site) then title."""
    articles = ("the", "a", "an")
    if source.kind == "work":
        family, given = (_people(source.author) or [("", "")])[0]
        lead = (_fold(family), _fold(given))
    elif source.kind == "web":
        lead = (_fold_title(source.site, articles), "")
    else:
        lead = (_fold_title(_plain(source.raw or source.title), articles), "")
    return (*lead, _fold_title(source.title, articles), source.year, _fold(source.site))


def _plain(markdown: str) -> str:
    """Markdown inline text as plain text: no escapes, no emphasis markers."""
    return _clean(re.sub(r"(?<![\\\w])[*_]{1,2}|[*_]{1,2}(?!\w)", "", markdown))


def _csl_date(value: str) -> dict:
    """CSL date from "2026" or "2026-03-12"; anything else is passed as raw."""
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", value.strip())
    return {"date-parts": [[int(g) for g in m.groups() if g]]} if m else {"raw": value}


def to_csl(source: Source, id: str) -> dict:  # noqa: A002 - the name is the interface
    """Return the source as a CSL-JSON item."""
    if source.kind == "work":
        item: dict = {"id": id, "type": "book", "title": source.title}
        names = [{"family": f, "given": g} if g else {"literal": f} for f, g in _people(source.author)]
        if names:
            item["editor" if source.editor else "author"] = names
        if source.year[:4].isdigit():
            item["issued"] = {"date-parts": [[int(source.year[:4])]]}
        if source.publisher:
            place, sep, name = source.publisher.rpartition(": ")
            item["publisher"] = name
            if sep:
                item["publisher-place"] = place
        return item
    if source.kind == "web":
        item = {"id": id, "type": "webpage", "title": source.title or source.site}
        if source.title and source.site:
            item["container-title"] = source.site
        if source.accessed:
            item["accessed"] = _csl_date(source.accessed)
        return item
    text = _plain(source.raw or source.title)
    # A whole note makes a poor title in a reference manager: a short one, the note in full.
    short = text if len(text) <= 100 else text[:100].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"
    return {"id": id, "type": "document", "title": short, "note": text}


def _names_html(author: str, editor: bool) -> str:
    """Chicago reference-list names: first inverted, the rest in natural order."""
    people = _people(author) or [(author.strip(), "")]
    shown = [", ".join(p for p in people[0] if p)] + [f"{g} {f}".strip() for f, g in people[1:]]
    text = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + ", and " + shown[-1]
    if editor:
        text += ", eds." if len(people) > 1 else ", ed."
    return html.escape(text)


def _end(text: str) -> str:
    """Close a bibliography element with a period unless it already ends in one."""
    bare = text.replace("</i>", "").rstrip("”’)")
    return text if bare.endswith((".", "?", "!")) else text + "."


def format_html(source: Source) -> str:
    """Return the source as a Chicago author-date reference-list entry in HTML."""
    if source.kind == "work":
        parts = [_end(_names_html(source.author, source.editor)) if source.author.strip() else "",
                 _end(html.escape(source.year or "n.d")),
                 _end(f"<i>{html.escape(source.title)}</i>"),
                 _end(html.escape(source.publisher)) if source.publisher else ""]
        return " ".join(p for p in parts if p)
    if source.kind == "web":
        parts = [_end(html.escape(source.site)) if source.site else "",
                 f"“{_end(html.escape(source.title))}”" if source.title else "",
                 _end(f"Accessed {html.escape(source.accessed)}") if source.accessed else ""]
        return " ".join(p for p in parts if p)
    text = html.escape(_clean(source.raw or source.title))
    # the note's own emphasis survives; everything else is escaped text
    text = re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", text)
    return re.sub(r"(?<![\w*])\*([^*]+)\*(?![\w*])", r"<i>\1</i>", text)


def parse_note_sources(text: str) -> tuple[list[CiteItem], list[Source]]:
    """Return what a note cites: its ``[@key]`` items, and the sources its free text names."""
    return parse_citation(text) or [], parse_note(text)
