"""The back matter in chunks: a long section (bibliography, index) laid out as several documents, like the chapters.

WeasyPrint's memory and time grow faster than a document's length, and the
back matter of a large wiki (a bibliography of thousands of sources, an index
of every term) would be one document as long as many chunks of chapters. It is
cut between its entries into pieces, each a document of its own, laid out side
by side; the pieces after the first continue the section: no heading, the
section's title in the running head, numbered lists numbered on.
"""
from __future__ import annotations

import copy

from lxml import etree

from ..sanitize import parse_fragment, to_xhtml

__all__ = ["split_section"]

_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


def split_section(xhtml: str, limit: int) -> list[str]:
    """Return a section's markup cut into pieces of about `limit` characters, between its entries.

    A piece ends only between two children of an element (list items, groups,
    paragraphs), never right after a heading. An element too long for one
    piece is cut the same way, each copy keeping its tag and attributes; the
    copies after the first lose their id and label (they are in the first)
    and an ordered list starts where the one before ended. The first piece's
    outermost element is unchanged; the others are marked `continued`, with
    the section's title in `data-running` (book.css sets the running head from it).
    """
    root = parse_fragment(xhtml)
    sections = [child for child in root if isinstance(child.tag, str)]
    if len(xhtml) <= limit or len(sections) != 1:
        return [xhtml]
    (section,) = sections
    heading = next(section.iter(*_HEADINGS), None)
    title = "".join(heading.itertext()).strip() if heading is not None else ""
    pieces = _cut(section, limit)
    for piece in pieces[1:]:
        piece.set("class", " ".join([*(piece.get("class") or "").split(), "continued"]))
        if title:
            piece.set("data-running", title)
    return [_markup(piece) for piece in pieces]


def _size(element: etree._Element) -> int:
    """Return the length of an element's markup."""
    return len(etree.tostring(element, encoding="unicode", with_tail=False))


def _cut(element: etree._Element, limit: int) -> list[etree._Element]:
    """Return copies of `element`, each with a run of its children, about `limit` characters each."""
    children = [child for child in element if isinstance(child.tag, str)]
    if _size(element) <= limit or len(children) < 2:
        return [element]
    pieces = [_shell(element, first=True)]
    filled = 0
    items = 0  # list items before the current piece, for an ordered list's numbering
    after_heading = False
    for child in list(element):
        if not isinstance(child.tag, str):  # a comment or processing instruction: with what it stands beside
            pieces[-1].append(child)
            continue
        for part in _cut(child, limit):
            size = _size(part)
            if filled and filled + size > limit and not after_heading:
                pieces.append(_shell(element, first=False, start=items))
                filled = 0
            pieces[-1].append(part)
            filled += size
            after_heading = part.tag in _HEADINGS
        if child.tag == "li":
            items += 1
    return pieces


def _shell(element: etree._Element, *, first: bool, start: int = 0) -> etree._Element:
    """Return an empty copy of an element: its tag, attributes and text (the first copy's only)."""
    shell = element.makeelement(element.tag, dict(element.attrib))
    if first:
        shell.text = element.text
        return shell
    for name in ("id", "aria-labelledby"):
        shell.attrib.pop(name, None)
    if element.tag == "ol" and start:
        first = int(element.get("start") or 1) + start
        shell.set("start", str(first))
        # WeasyPrint reads `start` only with presentational hints, which the book does without.
        shell.set("style", f"counter-reset: list-item {first - 1}")
    return shell


def _markup(element: etree._Element) -> str:
    """Return an element's XHTML, without the tail it had in the whole section."""
    element = copy.copy(element)
    element.tail = None
    wrapper = parse_fragment("")
    wrapper.append(element)
    return to_xhtml(wrapper)
