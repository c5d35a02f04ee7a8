"""Stage 3b: one bibliography of every source the book's notes cite.

Each note's text is parsed into sources (see `citations`); sources with the
same merge key become one entry that links back to every citing note, and
each note links forward to its entries.
"""
from __future__ import annotations

from .citations import Source, format_html, merge_keys, parse_note, sort_key, to_csl
from .model import BibEntry, Chapter, Citation, Note

__all__ = ["compile_bibliography", "BIBLIOGRAPHY_ID"]

BIBLIOGRAPHY_ID = "bibliography"
_KIND_ORDER = {"work": 0, "web": 1, "unparsed": 2}


def compile_bibliography(chapters: list[Chapter]) -> tuple[list[BibEntry], dict[str, int]]:
    """Return the entries, sorted for print, and counts for report.json.

    Also records on each citing `Note` the ids of the entries it cites.
    """
    mentions: list[tuple[Source, Citation, Note]] = []
    notes = citing = 0
    for chapter in chapters:
        for note in chapter.notes:
            notes += 1
            sources = parse_note(note.text)
            citing += bool(sources)
            mentions += [(s, Citation(chapter.id, chapter.title, note.label, note.id), note) for s in sources]
    # One key per distinct work, decided over all mentions at once (an undated
    # citation joins its one dated edition).
    by_key: dict[str, tuple[Source, list[Citation], list[Note]]] = {}
    for key, (source, citation, note) in zip(merge_keys([m[0] for m in mentions]), mentions):
        first, cited, owners = by_key.setdefault(key, (source, [], []))
        if source.year and not first.year:  # prefer the fuller form for the entry
            by_key[key] = (source, cited, owners)
        cited.append(citation)
        owners.append(note)
    ordered = sorted(by_key.values(), key=lambda v: (_KIND_ORDER.get(v[0].kind, 3), sort_key(v[0])))
    entries = []
    for number, (source, cited, owners) in enumerate(ordered, 1):
        entry_id = f"{BIBLIOGRAPHY_ID}--{number}"
        entries.append(BibEntry(id=entry_id, kind=source.kind, html=format_html(source),
                                sort_key=sort_key(source), csl=to_csl(source, f"src{number}"),
                                cited_in=cited))
        for note in owners:
            if entry_id not in note.sources:
                note.sources.append(entry_id)
    counts = {"notes": notes, "citing_notes": citing, "sources": len(entries),
              "merged": len(mentions) - len(entries),
              "unparsed": sum(1 for e in entries if e.kind == "unparsed")}
    return entries, counts
