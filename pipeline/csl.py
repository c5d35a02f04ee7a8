"""Citation Style Language: any CSL style through pandoc's citeproc, and structured references.

Formatting (`citeproc`, `format_entries`). One pandoc process formats every
entry (and every key citation) of the book: the items go in as a CSL-JSON
`--bibliography`, the style as `--csl` (both temporary files; pandoc's default
Chicago author-date when no style is given). The document cites every item
once, in the given order, before anything else, so a numeric style numbers
the entries as the book does; each key citation then stands in its own
footnote, which keeps a note style from adding notes of its own. Entries and
citations come back as sanitised inline XHTML.

Structured references (`load_references`). ``references.json`` (CSL-JSON) is
read as is; ``references.bib`` (BibTeX or BibLaTeX) is turned into CSL-JSON by
one pandoc run.

Key citations (`mark_citations`, `parse_citation`). Pandoc's bracketed
syntax: ``[@key]``, ``[@key, p. 4]``, ``[see @a, chap. 2; -@b]``. A key starts
with a letter, digit or ``_`` and may hold ``:.#$%&-+?<>~/`` between word
characters; an ``@`` right after a word character (an e-mail address) is no
key. Bare ``@key`` in running text and braced ``@{key}`` are not supported:
in wiki prose they are far likelier to be something else.
"""
from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Collection, Sequence
from pathlib import Path
from urllib.parse import quote

from lxml import etree, html as lxml_html

from .citations import CiteItem, citation_items as _items, parse_citation
from .pandoc import PandocError, run_pandoc
from .sanitize import parse_fragment, sanitize, to_xhtml

__all__ = ["CiteItem", "ReferencesError", "citeproc", "format_entries", "load_references", "linkable",
           "mark_citations", "parse_citation", "cite_text"]

# A bracketed group on one paragraph: not an image, a link, a reference link,
# a link definition or an escaped bracket.
_GROUP = re.compile(r"(?<![\\!\]])\[(?P<body>(?:[^\[\]\n]|\n(?![ \t]*\n)){1,1000}?)\](?![(\[:])")
_FENCE = re.compile(r"^ {0,3}(```+|~~~+)", re.M)
_BLOCKQUOTE_WRAP = re.compile(r"\n[ \t]*(?:>[ \t]?)*")
_MD_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")
_READER = "markdown-raw_html-raw_attribute-raw_tex-tex_math_dollars-smart"


class ReferencesError(ValueError):
    """A references file that cannot be used; the message says why."""


def cite_text(items: Sequence[CiteItem], keys: dict[str, str] | None = None) -> str:
    """Return the items as pandoc citation syntax, keys renamed through `keys`."""
    keys = keys or {}
    return "[" + "; ".join(f"{i.prefix}{'-' if i.suppress_author else ''}@{keys.get(i.key, i.key)}{i.suffix}"
                           for i in items) + "]"


def mark_citations(markdown: str, taken: Collection[str] = ()) -> tuple[str, dict[str, str]]:
    """Replace each ``[@key...]`` group with a note marker; return the text and the new notes.

    Each group becomes ``<sup data-note="N"></sup>``, the marker the cleaner
    gives ``[^N]``, with N the next number no label in `taken` uses; its note
    (label -> Markdown) is the group itself, escaped so that it reads back
    verbatim as the note's text. Code blocks and code spans are left alone.
    """
    numbers = [int(label) for label in taken if label.isdigit()]
    state = {"next": max(numbers, default=0)}
    notes: dict[str, str] = {}

    def replace(m: re.Match[str]) -> str:
        body = _BLOCKQUOTE_WRAP.sub(" ", m.group("body"))
        if _items(body) is None:
            return m.group(0)
        state["next"] += 1
        while str(state["next"]) in taken:
            state["next"] += 1
        label = str(state["next"])
        notes[label] = _MD_PUNCT.sub(r"\\\1", "[" + " ".join(body.split()) + "]")
        return f'<sup data-note="{label}"></sup>'

    parts = []
    for code, text in _split_code(markdown):
        parts.append(text if code else _GROUP.sub(replace, text))
    return "".join(parts), notes


def _split_code(markdown: str) -> list[tuple[bool, str]]:
    """Split Markdown into (is_code, text) runs: fenced blocks and code spans are code."""
    runs: list[tuple[bool, str]] = []
    pos, fence = 0, None
    for m in _FENCE.finditer(markdown):
        if fence is None:
            runs += _split_spans(markdown[pos:m.start()])
            fence, pos = m, m.start()
        elif m.group(1)[0] == fence.group(1)[0] and len(m.group(1)) >= len(fence.group(1)):
            end = markdown.find("\n", m.end())
            end = len(markdown) if end < 0 else end
            runs.append((True, markdown[pos:end]))
            fence, pos = None, end
    if fence is not None:  # an unclosed fence runs to the end
        runs.append((True, markdown[pos:]))
    else:
        runs += _split_spans(markdown[pos:])
    return runs


def _split_spans(text: str) -> list[tuple[bool, str]]:
    """Split prose into (is_code, text) runs around inline code spans.

    As CommonMark: a backtick run opens a span closed by the next run of the
    same length; one that is never closed is literal. Linear, unlike a regex
    with a backreference on a line of backticks.
    """
    ticks = [(m.start(), m.end()) for m in re.finditer(r"`+", text)]
    closer: dict[int, int | None] = {}
    last: dict[int, int] = {}  # run length -> index of the next run that long
    for i in range(len(ticks) - 1, -1, -1):
        length = ticks[i][1] - ticks[i][0]
        closer[i] = last.get(length)
        last[length] = i
    runs, pos, i = [], 0, 0
    while i < len(ticks):
        j = closer[i]
        if j is None:
            i += 1
            continue
        runs += [(False, text[pos:ticks[i][0]]), (True, text[ticks[i][0]:ticks[j][1]])]
        pos, i = ticks[j][1], j + 1
    return runs + [(False, text[pos:])]


def load_references(name: str, data: bytes) -> list[dict]:
    """Return the CSL-JSON items of ``*.json`` (CSL-JSON) or ``*.bib`` (BibTeX) file bytes.

    Raises `ReferencesError` with a message fit for the report.
    """
    suffix = Path(name).suffix.lower()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ReferencesError(f"not UTF-8 text (bad byte at offset {err.start})") from err
    if suffix == ".bib":
        try:
            text = run_pandoc(["-f", "bibtex", "-t", "csljson"], text)
        except PandocError as err:
            raise ReferencesError(f"pandoc could not read it as BibTeX ({err})") from err
    elif suffix != ".json":
        raise ReferencesError("not a references file (.bib or .json)")
    try:
        items = json.loads(text)
    except ValueError as err:
        raise ReferencesError(f"not valid JSON ({err})") from err
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ReferencesError("not CSL-JSON: expected an array of objects")
    for n, item in enumerate(items, 1):
        if not isinstance(item.get("id"), (str, int)) or str(item["id"]) == "":
            raise ReferencesError(f"item {n} has no id")
        item["id"] = str(item["id"])
        if not item.get("type"):  # pandoc gives @misc no type; CSL requires one
            item["type"] = "document"
    return items


_DOI = re.compile(r"10\.\d{4,9}/[^\s\"<>{}|\\^`\[\]]+")
_NOT_IN_URL = re.compile(r"[\s\"<>{}|\\^`]")


def linkable(item: dict) -> dict:
    """The item with a DOI and a URL that make valid links: a DOI as its syntax allows, a URL's illegal characters escaped.

    Both come from what pages wrote, damaged templates included ("10.1086/375492_}_}");
    citeproc turns them into links, which EPUB and HTML checkers reject when invalid.
    """
    doi, url = item.get("DOI"), item.get("URL")
    if not doi and not url:
        return item
    item = dict(item)
    if doi:
        found = _DOI.search(str(doi))
        if found:
            item["DOI"] = found.group(0).rstrip("._-,;:")
        else:
            del item["DOI"]
    if url:
        item["URL"] = _NOT_IN_URL.sub(lambda m: quote(m.group(0)), str(url).strip())
    return item


def format_entries(items: list[dict], style_xml: str = "") -> list[str]:
    """Return each CSL-JSON item formatted by the style (pandoc's default when empty), in order."""
    return citeproc(items, style_xml)[0]


def citeproc(items: list[dict], style_xml: str = "", citations: Sequence[str] = ()) -> tuple[list[str], list[str]]:
    """Format items and citations (pandoc syntax over the items' ids) in one pandoc run.

    Returns (entries, citations) as inline XHTML, each list in the given
    order. Raises `PandocError` when pandoc fails or its output is not whole,
    ValueError when two items share an id or a citation is not one.
    """
    # Ids of our own: user keys need not be valid citation keys, and these never collide.
    ours = {str(item["id"]): f"wbref{n}" for n, item in enumerate(items)}
    if len(ours) != len(items):
        raise ValueError("two items share an id")
    parsed = [parse_citation(c) for c in citations]
    if None in parsed or any(i.key not in ours for p in parsed for i in p or []):
        raise ValueError("a citation is not [@key...] syntax over the items' ids")
    if not items:
        return [], []
    renamed = [{**item, "id": ours[str(item["id"])]} for item in items]
    cites = [cite_text(p, ours) for p in parsed if p]
    notes = [f"[@{'; @'.join(ours.values())}]", *cites]
    document = "".join(f"x[^{n}]\n\n" for n in range(len(notes))) + "".join(
        f"[^{n}]: {text}\n\n" for n, text in enumerate(notes))
    with tempfile.TemporaryDirectory(prefix="wikibind-csl-") as tmp:
        refs = Path(tmp) / "references.json"
        refs.write_text(json.dumps(renamed, ensure_ascii=False), encoding="utf-8")
        args = ["-f", _READER, "-t", "html5", "--citeproc", f"--bibliography={refs}"]
        if style_xml.strip():
            style = Path(tmp) / "style.csl"
            style.write_text(style_xml, encoding="utf-8")
            args.append(f"--csl={style}")
        size = len(document) + refs.stat().st_size + len(style_xml)
        out = run_pandoc(args, document, size)
    root = lxml_html.fromstring(f"<div>{out}</div>")
    by_id = {el.get("id"): el for el in root.iter() if el.get("id")}  # one pass: a search per entry is quadratic
    entries = [_inline(by_id, f"ref-{ours[str(item['id'])]}") for item in items]
    rendered = [_inline(by_id, f"fn{n + 2}") for n in range(len(citations))]  # fn1 is the first, full citation
    return entries, rendered


def _inline(by_id: dict[str, etree._Element], anchor: str) -> str:
    """Return the element with id `anchor` as sanitised inline XHTML."""
    el = by_id.get(anchor)
    if el is None:
        raise PandocError(f"citeproc left out {anchor}")
    for back in el.xpath(".//a[contains(@class, 'footnote-back')]"):
        back.drop_tree()
    for block in el.xpath(".//div | .//p"):
        if block.getnext() is not None:  # "[1]" and the entry's text were side by side
            block.tail = " " + (block.tail or "")
        block.tag = "span"
    inner = (el.text or "") and _escape(el.text)
    inner += "".join(etree.tostring(child, method="html", encoding="unicode") for child in el)
    fragment = parse_fragment(sanitize(inner.strip()))
    for link in fragment.xpath(".//a[not(@href) or starts-with(@href, '#')]"):
        link.drop_tag()  # into the citeproc document (not in the book), or a URL the sanitiser refused
    for block in fragment.xpath(".//div | .//p"):
        block.tag = "span"
    for span in fragment.xpath(".//span[not(@*)]"):
        span.drop_tag()  # the sanitiser took their classes: they mean nothing now
    return " ".join(to_xhtml(fragment).split())


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
