"""Stage 3b: one bibliography of every source the book's notes cite.

Each note's text is parsed into sources (see `citations`); a note that is a
key citation (``[@key, p. 4]``, see `csl`) cites the structured references
(``references.bib`` / ``references.json``) it names instead. Sources with the
same merge key become one entry that links back to every citing note, and
each note links forward to its entries.

Merge rule with structured references: a referenced item counts as a Source
like any other for `citations.merge_keys` (kind + folded author(s) + title +
year for works; site + page title for web pages). So a work cited by key and
in free text is one entry when author, title and year agree after folding
("Avrich, Paul" and "Paul Avrich" agree, "P. Avrich" does not), and two keys
whose items agree that way are one entry too. Such an entry keeps the first
referenced item (its key and fields), which is fuller than a parsed note. A
key citation none of whose keys is known is read as free text, so nothing is
dropped; every unknown key is reported against the chapter's file.

Formatting: with a CSL style, every entry but the unparsed ones is formatted
by citeproc, all in one pandoc run; without one, parsed entries use the
built-in Chicago author-date (`citations.format_html`) and referenced ones
pandoc's default style, Chicago author-date too. Unparsed entries stay their
escaped text. A key-citation note shows the style's citation ("(Avrich 1967,
4)", "[3, p. 4]"). When citeproc fails, the built-in formatter is used and a
problem says why.
"""
from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .citations import CiteItem, Source, format_html, merge_keys, parse_note_sources, sort_key, to_csl
from .convert import PandocError
from .csl import cite_text, citeproc
from .model import BibEntry, Chapter, Citation, Note, Problem
from .titles import unique

__all__ = ["compile_bibliography", "bibliography_json", "source_of", "BIBLIOGRAPHY_ID"]

BIBLIOGRAPHY_ID = "bibliography"
_KIND_ORDER = {"work": 0, "web": 1, "unparsed": 2}
_WEB_TYPES = {"webpage", "post", "post-weblog"}
_TAG = re.compile(r"<[^>]*>")


@dataclass
class _Group:
    """The mentions of one distinct source, and the form the entry is made from."""

    source: Source
    item: dict | None  # the referenced CSL item, when a key cites it
    cited: list[Citation] = field(default_factory=list)
    owners: list[Note] = field(default_factory=list)
    cited_ids: set[str] = field(default_factory=set)  # what `cited` and `owners` hold, for quick lookup
    owner_ids: set[int] = field(default_factory=set)


def compile_bibliography(chapters: list[Chapter], *, style: str = "", references: Sequence[dict] = (),
                         problems: list[Problem] | None = None) -> tuple[list[BibEntry], dict[str, int]]:
    """Return the entries, sorted for print, and counts for report.json.

    `style` is a CSL style's XML (empty: built-in Chicago author-date);
    `references` the CSL-JSON items key citations may cite (the first of an
    id wins). Records on each citing `Note` the ids of the entries it cites,
    and appends unknown keys and citeproc failures to `problems`.
    """
    problems = [] if problems is None else problems
    refs: dict[str, dict] = {}
    for item in references:
        refs.setdefault(str(item.get("id", "")), item)
    mentions: list[tuple[Source, dict | None, Citation, Note]] = []
    key_notes: list[tuple[Note, list[CiteItem]]] = []
    notes = citing = 0
    for chapter in chapters:
        for note in chapter.notes:
            notes += 1
            citation = Citation(chapter.id, chapter.title, note.label, note.id)
            cites, parsed = note.parsed or parse_note_sources(note.text)
            for cite in cites:
                if cite.key not in refs:
                    problems.append(Problem(chapter.file, "warning", f"the citation {note.text} cites @{cite.key}, "
                                            "which neither references.bib nor references.json defines"))
            known = [cite for cite in cites if cite.key in refs]
            if known:
                key_notes.append((note, known))
                found = [(source_of(refs[c.key]), refs[c.key]) for c in known]
            else:
                found = [(source, None) for source in parsed]
            citing += bool(found)
            mentions += [(source, item, citation, note) for source, item in found]
    # One key per distinct work, decided over all mentions at once (an undated
    # citation joins its one dated edition).
    by_key: dict[str, _Group] = {}
    group_of_ref: dict[str, _Group] = {}
    for key, (source, item, citation, note) in zip(merge_keys([m[0] for m in mentions]), mentions):
        group = by_key.setdefault(key, _Group(source, item))
        if group.item is None and (item is not None or (source.year and not group.source.year)):
            group.source, group.item = source, item  # prefer the referenced, then the dated form
        if item is not None:
            group_of_ref[item["id"]] = group
        if citation.note_id not in group.cited_ids:  # a note cites a work once
            group.cited_ids.add(citation.note_id)
            group.cited.append(citation)
        if id(note) not in group.owner_ids:
            group.owner_ids.add(id(note))
            group.owners.append(note)
    ordered = sorted(by_key.values(), key=lambda g: (_KIND_ORDER.get(g.source.kind, 3), sort_key(g.source)))
    taken = set(refs)  # a parsed source's id never takes a reference's key
    entries = []
    for number, group in enumerate(ordered, 1):
        entry_id = f"{BIBLIOGRAPHY_ID}--{number}"
        csl = dict(group.item) if group.item is not None else to_csl(group.source, unique(f"src{number}", taken))
        entries.append(BibEntry(id=entry_id, kind=group.source.kind, html=format_html(group.source),
                                sort_key=sort_key(group.source), csl=csl, cited_in=group.cited))
        for note in group.owners:
            if entry_id not in note.sources:
                note.sources.append(entry_id)
    _format(entries, [g.item is not None for g in ordered], style, key_notes,
            {key: g.item["id"] for key, g in group_of_ref.items()}, problems)
    counts = {"notes": notes, "citing_notes": citing, "sources": len(entries),
              "merged": len(mentions) - len(entries),
              "unparsed": sum(1 for e in entries if e.kind == "unparsed"),
              "structured": sum(1 for g in ordered if g.item is not None)}
    return entries, counts


def _format(entries: list[BibEntry], referenced: list[bool], style: str,
            key_notes: list[tuple[Note, list[CiteItem]]], csl_id: dict[str, str],
            problems: list[Problem]) -> None:
    """Format through citeproc what needs it (see the module rule), in one pandoc run."""
    chosen = [e for e, ref in zip(entries, referenced) if e.kind != "unparsed" and (style or ref)]
    if not chosen:
        return
    citations = [cite_text(cites, csl_id) for _, cites in key_notes]
    try:
        formatted, cited = citeproc([e.csl for e in chosen], style, citations)
    except PandocError as err:
        problems.append(Problem("--csl" if style else "references", "warning",
                                f"citeproc could not format the bibliography ({err}); "
                                "the built-in Chicago author-date style was used"))
        return
    for entry, text in zip(chosen, formatted):
        if text:  # a style may print nothing for a type it does not know
            entry.html = text
    for (note, _), text in zip(key_notes, cited):
        if text:
            note.html = f"<p>{text}</p>"


def source_of(item: dict) -> Source:
    """Return a CSL-JSON item as a Source, for merging and sorting with parsed notes."""
    title = _plain(item.get("title")) or str(item.get("id", ""))  # untitled items must not merge
    if item.get("type") in _WEB_TYPES:
        site = _plain(item.get("container-title")) or _plain(item.get("publisher"))
        return Source("web", title=title, site=site)
    names = item.get("author") or item.get("editor") or []
    people = []
    for name in names if isinstance(names, list) else []:
        if not isinstance(name, dict):
            continue
        family = " ".join(_plain(name.get(k)) for k in ("dropping-particle", "non-dropping-particle", "family"))
        family = " ".join(family.split())
        given = _plain(name.get("given"))
        people.append(f"{family}, {given}" if family and given else family or _plain(name.get("literal")))
    issued = item.get("issued")
    year = ""
    if isinstance(issued, dict):
        parts = issued.get("date-parts") or [[]]
        year = str(parts[0][0]) if parts and parts[0] else str(issued.get("raw", ""))[:4]
    return Source("work", title=title, author=" and ".join(p for p in people if p),
                  editor=not item.get("author") and bool(item.get("editor")),
                  year=year if year.isdigit() else "", publisher=_plain(item.get("publisher")))


def _plain(value: object) -> str:
    """A CSL rich-text field as plain text (CSL-JSON allows a few HTML tags)."""
    return " ".join(html.unescape(_TAG.sub("", str(value or ""))).split())


def bibliography_json(entries: list[BibEntry]) -> bytes:
    """Return the entries as a CSL-JSON array (UTF-8), in bibliography order, for Zotero & co.

    One entry a line: readable, a rebuild's diff shows the entries that changed,
    and json's fast encoder does it (indenting takes its slow one).
    """
    return ("[\n" + ",\n".join(json.dumps(e.csl, ensure_ascii=False) for e in entries) + "\n]\n").encode("utf-8")
