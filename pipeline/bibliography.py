"""Stage 3b: one bibliography of every source the book's notes cite.

Each note's text is parsed into typed CSL items (see `citations` and
`pipeline.cite`), once, at conversion (`Fragment.citations`); a note that is a key
citation (``[@key, p. 4]``, see `csl`) cites the structured references
(``references.bib`` / ``references.json``) it names instead. Citations of
the same work become one entry (`pipeline.cite.merge`: DOI, ISBN and URL as
strong keys, near matches on authors, title and year, short citations joined
to their author's one full work) that links back to every citing note with
the pages each cited ("Cited in: Bazooka 12 (p. 29), 13 (pp. 66–70)"), and
each note links forward to its entries.

An entry is made from the fullest citation of its work: a referenced item
first, then the one with most fields. A key citation none of whose keys is
known is read as free text, so nothing is dropped; every unknown key is
reported against the chapter's file.

Formatting: every entry but those listed as written and bare links is
formatted by citeproc (pandoc's), in the book's CSL style or pandoc's default
Chicago author-date, all in one pandoc run; URLs and DOIs come out as links.
A bare link (a URL and nothing else) is shown as its address, a link. An
entry listed as written is its escaped text with its emphasis. A key-citation
note shows the style's citation ("(Avrich 1967, 4)", "[3, p. 4]"). When
citeproc fails, a built-in author-date format is used and a problem says why.

Entries are grouped by kind — works, web sources, notes listed as written —
and sorted by first author (or site, or title), year and title, folded.
"""
from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .cite.merge import families, group, year_of
from .cite.parse import as_written, public
from .citations import CiteItem, parse_note_sources
from .pandoc import PandocError
from .csl import cite_text, citeproc, linkable
from .model import BibEntry, Chapter, Citation, Note, Problem
from .text import TAG, fold_words as fold, plain, plain_md, title_key
from .titles import unique

__all__ = ["compile_bibliography", "bibliography_json", "kind_of", "sort_key", "format_html", "BIBLIOGRAPHY_ID"]

BIBLIOGRAPHY_ID = "bibliography"
_KIND_ORDER = {"work": 0, "web": 1, "unparsed": 2}
_WEB_TYPES = {"webpage", "post", "post-weblog"}


@dataclass
class _Group:
    """The mentions of one distinct source, and the item the entry is made from."""

    item: dict
    referenced: bool
    cited: list[Citation] = field(default_factory=list)
    owners: list[Note] = field(default_factory=list)
    cited_ids: dict[str, int] = field(default_factory=dict)  # note id -> index in `cited`
    owner_ids: set[int] = field(default_factory=set)


def kind_of(item: dict) -> str:
    """The bibliography group of an item: "work", "web" or "unparsed" (listed as written)."""
    if item.get("_unparsed"):
        return "unparsed"
    return "web" if item.get("type") in _WEB_TYPES else "work"


def compile_bibliography(chapters: list[Chapter], *, citations: Sequence[Sequence[tuple]] | None = None,
                         style: str = "", references: Sequence[dict] = (),
                         problems: list[Problem] | None = None) -> tuple[list[BibEntry], dict[str, int]]:
    """Return the entries, sorted for print, and counts for report.json.

    `style` is a CSL style's XML (empty: pandoc's Chicago author-date);
    `references` the CSL-JSON items key citations may cite (the first of an
    id wins); `citations`, per chapter and note, what conversion parsed of
    the note (parsed here when not given). Records on each citing `Note` the ids of the entries it cites,
    and appends unknown keys and citeproc failures to `problems`.
    """
    problems = [] if problems is None else problems
    refs: dict[str, dict] = {}
    for item in references:
        refs.setdefault(str(item.get("id", "")), linkable(item))
    mentions: list[tuple[dict, bool, Citation, Note]] = []
    key_notes: list[tuple[Note, list[CiteItem]]] = []
    notes = citing = 0
    for n, chapter in enumerate(chapters):
        for m, note in enumerate(chapter.notes):
            notes += 1
            cites, parsed = citations[n][m] if citations is not None else parse_note_sources(note.text)
            for cite in cites:
                if cite.key not in refs:
                    problems.append(Problem(chapter.file, "warning", f"the citation {note.text} cites @{cite.key}, "
                                            "which neither references.bib nor references.json defines"))
            known = [cite for cite in cites if cite.key in refs]
            if known:
                key_notes.append((note, known))
                found = [({**refs[c.key], "_locator": c.suffix.strip(" ,")}, True) for c in known]
            elif cites:  # keys none of which is known: the note as written, not a guess at its syntax
                found = [(as_written(note.text), False)]
            else:
                found = [(linkable(item), False) for item in parsed]
            citing += bool(found)
            for item, referenced in found:
                citation = Citation(chapter.id, chapter.title, note.label, note.id, str(item.get("_locator", "")))
                mentions.append((item, referenced, citation, note))
    roots = group([m[0] for m in mentions])
    by_root: dict[int, _Group] = {}
    group_of_key: dict[str, _Group] = {}
    for root, (item, referenced, citation, note) in zip(roots, mentions):
        g = by_root.get(root)
        if g is None:
            g = by_root[root] = _Group(item, referenced)
        elif _better(item, referenced, g):
            g.item, g.referenced = item, referenced
        if referenced:
            group_of_key[str(item["id"])] = g
        at = g.cited_ids.get(citation.note_id)
        if at is None:  # a note cites a work once; its pages add up
            g.cited_ids[citation.note_id] = len(g.cited)
            g.cited.append(citation)
        elif citation.locator and citation.locator not in g.cited[at].locator:
            old = g.cited[at]
            g.cited[at] = Citation(old.chapter_id, old.chapter_title, old.note_label, old.note_id,
                                   "; ".join(x for x in (old.locator, citation.locator) if x))
        if id(note) not in g.owner_ids:
            g.owner_ids.add(id(note))
            g.owners.append(note)
    ordered = sorted(by_root.values(), key=lambda g: (_KIND_ORDER[kind_of(g.item)], sort_key(g.item)))
    taken = set(refs)  # a parsed source's id never takes a reference's key
    entries = []
    csl_of: dict[int, str] = {}
    for number, g in enumerate(ordered, 1):
        entry_id = f"{BIBLIOGRAPHY_ID}--{number}"
        csl = public(g.item, str(g.item["id"]) if g.referenced else unique(f"src{number}", taken))
        csl_of[id(g)] = csl["id"]
        entries.append(BibEntry(id=entry_id, kind=kind_of(g.item), html=format_html(g.item),
                                sort_key=sort_key(g.item), csl=csl, cited_in=g.cited))
        for note in g.owners:
            if entry_id not in note.sources:
                note.sources.append(entry_id)
    # a key cites the entry its item went into (two keys of one work: the kept item's id)
    _format(entries, style, key_notes, {key: csl_of[id(g)] for key, g in group_of_key.items()}, problems)
    counts = {"notes": notes, "citing_notes": citing, "sources": len(entries),
              "merged": len(mentions) - len(entries),
              "unparsed": sum(1 for e in entries if e.kind == "unparsed"),
              "structured": sum(1 for g in ordered if g.referenced)}
    return entries, counts


def _better(item: dict, referenced: bool, g: _Group) -> bool:
    """True when `item` makes a fuller entry than the group's: referenced first, then a title, then most fields."""
    if g.referenced or item.get("_unparsed"):
        return referenced and not g.referenced
    if referenced:
        return True
    def score(i: dict) -> tuple[int, int]:
        return (bool(i.get("title")), sum(1 for k in i if not k.startswith("_")))
    return score(item) > score(g.item)


def _format(entries: list[BibEntry], style: str, key_notes: list[tuple[Note, list[CiteItem]]],
            csl_id: dict[str, str], problems: list[Problem]) -> None:
    """Format every parsed or referenced entry, and the key citations, in one citeproc run."""
    chosen = [e for e in entries if e.kind != "unparsed" and not _url_only(e.csl)]
    citations = [cite_text(cites, csl_id) for _, cites in key_notes]
    if not chosen and not citations:
        return
    try:
        formatted, cited = citeproc([e.csl for e in chosen], style, citations)
    except PandocError as err:
        problems.append(Problem("--csl" if style else "bibliography", "warning",
                                f"citeproc could not format the bibliography ({err}); "
                                "a built-in author-date format was used"))
        return
    for entry, text in zip(chosen, formatted):
        if text:  # a style may print nothing for a type it does not know
            entry.html = text
    for (note, _), text in zip(key_notes, cited):
        if text:
            note.html = f"<p>{text}</p>"


def _url_only(item: dict) -> bool:
    """A bare link: nothing for a style to print but "n.d." and the address."""
    return bool(item.get("URL")) and not any(item.get(k) for k in ("title", "author", "editor", "container-title"))


def sort_key(item: dict) -> tuple[str, ...]:
    """Collation key: first author (surname first), else site, else title; then title and year, folded."""
    title = plain(item.get("title"))
    names = item.get("author") or item.get("editor") or []
    given = ""
    if names and isinstance(names, list) and isinstance(names[0], dict):
        given = fold(names[0].get("given", ""))
    fam = families(item)
    lead = fam[0] if fam else fold(plain(item.get("container-title"))) or title_key(title)
    return (title_key(lead), given, title_key(title), year_of(item), fold(item.get("URL", "")))


def _names_html(names: list) -> str:
    shown = []
    for n, name in enumerate(names):
        if not isinstance(name, dict):
            continue
        family, given = plain(name.get("family")) or plain(name.get("literal")), plain(name.get("given"))
        shown.append(f"{family}, {given}" if n == 0 and given else f"{given} {family}".strip())
    text = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + ", and " + shown[-1] if shown else ""
    return html.escape(text)


def _end(text: str) -> str:
    """Close a bibliography element with a period unless it already ends in one."""
    bare = TAG.sub("", text).rstrip("”’)")
    return text if not bare or bare.endswith((".", "?", "!")) else text + "."


def format_html(item: dict) -> str:
    """A built-in author-date entry in HTML (when citeproc cannot run); an unparsed item as written."""
    if item.get("_unparsed"):
        text = html.escape(plain_md(item.get("_raw") or item.get("note") or item.get("title", "")))
        text = re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", text)
        return re.sub(r"(?<![\w*])\*([^*]+)\*(?![\w*])", r"<i>\1</i>", text)
    if _url_only(item):  # a bare link is its address, a link in every format
        url = html.escape(str(item["URL"]), quote=True)
        return f'<a href="{url}">{url}</a>'
    names = item.get("author") or item.get("editor") or []
    parts = [_end(_names_html(names)) if names else ""]
    if names and item.get("editor") and not item.get("author"):
        parts[0] = parts[0].rstrip(".") + (", eds." if len(names) > 1 else ", ed.")
    title = html.escape(plain(item.get("title")))
    parts.append(_end(html.escape(year_of(item) or "n.d")))
    web = item.get("type") in _WEB_TYPES or item.get("container-title")
    if title:
        parts.append(f"“{_end(title)}”" if web else _end(f"<i>{title}</i>"))
    if item.get("container-title"):
        parts.append(_end(f"<i>{html.escape(plain(item['container-title']))}</i>"))
    place, publisher = plain(item.get("publisher-place")), plain(item.get("publisher"))
    if place or publisher:
        parts.append(_end(html.escape(": ".join(x for x in (place, publisher) if x))))
    if item.get("URL"):
        url = html.escape(str(item["URL"]), quote=True)
        parts.append(_end(f'<a href="{url}">{url}</a>'))
    return " ".join(p for p in parts if p)


def bibliography_json(entries: list[BibEntry]) -> bytes:
    """Return the entries as a CSL-JSON array (UTF-8), in bibliography order, for Zotero & co.

    One entry a line: readable, a rebuild's diff shows the entries that changed,
    and json's fast encoder does it (indenting takes its slow one).
    """
    return ("[\n" + ",\n".join(json.dumps(e.csl, ensure_ascii=False) for e in entries) + "\n]\n").encode("utf-8")
