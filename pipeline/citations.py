"""What a footnote cites: key citations and the sources its free text names.

Free text (`parse_note_sources`, `note_items`) is parsed by the trained
citation labeller of `pipeline.cite` into typed CSL-JSON items: see
`pipeline.cite.parse` for how a note is labelled, segmented and normalised,
and when a citation is listed as written. `wikibind cite` prints
`note_items` for each line it reads: the build and the command share this
one code path.

Key citations (`parse_citation`): a note that is exactly one pandoc group
such as ``[see @key, p. 4; -@other]`` cites those keys of references.bib.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from .cite.parse import parse, public

__all__ = ["CiteItem", "parse_citation", "citation_items", "parse_note_sources", "note_items"]


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


def parse_note_sources(text: str) -> tuple[list[CiteItem], list[dict]]:
    """Return what a note cites: its ``[@key]`` items, and the CSL items (with private keys) its free text names."""
    return parse_citation(text) or [], parse(text)


def note_items(text: str) -> list[dict]:
    """The CSL-JSON items a note's free text cites, as `wikibind cite` prints them ([] for commentary or a key citation)."""
    if parse_citation(text):
        return []  # it cites references.bib / references.json, which only a build reads
    return [public(item, f"c{n}") for n, item in enumerate(parse(text), 1)]
