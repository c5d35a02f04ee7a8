"""What the other modules share about PDF objects: anchors, bookmarks, name and number trees, reading a part."""
from __future__ import annotations

import io
from collections.abc import Iterator, Mapping, Sequence
from typing import NamedTuple

import pikepdf
from pikepdf import Array, Dictionary, Name, Pdf, String

__all__ = ["ANCHOR_SCHEME", "Anchor", "Bookmark", "describe"]


ANCHOR_SCHEME = "wikibind-anchor:"  # href of a link whose target is in another part

Anchor = tuple[int, float, float]  # page index, x, y (PDF points, from the bottom left)

_PAGINATION = b"/Artifact <</Type /Pagination /Subtype /PageNum>> BDC\n"


class Bookmark(NamedTuple):
    """One outline entry: its title, where it leads, and the entries below it."""

    title: str
    page: int
    x: float
    y: float
    children: tuple[Bookmark, ...] = ()

    def moved(self, offset: int) -> Bookmark:
        """Return the entry with every page index moved on by `offset`."""
        return self._replace(page=self.page + offset, children=tuple(c.moved(offset) for c in self.children))


def _tree_items(node: Dictionary, kind: str) -> Iterator[tuple[object, object]]:
    """Yield the (key, value) pairs of a name tree (kind "/Names") or number tree ("/Nums")."""
    if kind in node:
        flat = list(node[kind])
        yield from zip(flat[::2], flat[1::2])
    for kid in node.get("/Kids") or []:
        yield from _tree_items(kid, kind)


def _target(dest: object, index: Mapping[tuple[int, int], int]) -> Anchor:
    """Return (page index, x, y) of an explicit /XYZ destination."""
    if isinstance(dest, Dictionary):
        dest = dest.D
    page, _, x, y = list(dest)[:4]
    return index[page.objgen], _number(x), _number(y)


def _number(value: object) -> float:
    """Return a PDF number as a float (null as 0)."""
    return 0.0 if value is None else float(value)


def _bookmarks(parent: Dictionary | None, index: Mapping[tuple[int, int], int]) -> tuple[Bookmark, ...]:
    """Return the outline entries below `parent`."""
    entries = []
    item = parent.get("/First") if parent is not None else None
    while item is not None:
        dest = item.get("/Dest")
        if dest is None and "/A" in item:
            dest = item.A.get("/D")
        if dest is not None and not isinstance(dest, (String, Name)):
            entries.append(Bookmark(str(item.Title), *_target(dest, index), _bookmarks(item, index)))
        item = item.get("/Next")
    return tuple(entries)


def _contents(page: Dictionary) -> bytes:
    """Return a page's content, its streams joined."""
    contents = page.get("/Contents")
    if contents is None:
        return b""
    if isinstance(contents, Array):
        return b"\n".join(stream.read_bytes() for stream in contents)
    return contents.read_bytes()


def _wrap_contents(out: Pdf, page: Dictionary, before: bytes, after: bytes) -> None:
    """Put `before` and `after` around a page's content streams."""
    contents = page.get("/Contents")
    streams = list(contents) if isinstance(contents, Array) else [] if contents is None else [contents]
    page.Contents = Array([out.make_stream(before), *streams, out.make_stream(after)])


def _identity(obj: Dictionary) -> object:
    """What tells PDF objects apart: an indirect one's object number, a direct one's Python identity."""
    return obj.objgen if obj.is_indirect else id(obj)


def _resources(pages: Sequence[Dictionary]) -> list[Dictionary]:
    """Return every resource dictionary the pages use, those of their forms and patterns included."""
    found: list[Dictionary] = []
    seen: set[object] = set()

    def visit(resources: Dictionary | None) -> None:
        if resources is None:
            return
        key = _identity(resources)
        if key in seen:
            return
        seen.add(key)
        found.append(resources)
        for category in ("/XObject", "/Pattern"):
            for item in (resources.get(category) or {}).values():
                if isinstance(item, (pikepdf.Stream, Dictionary)) and "/Resources" in item:
                    visit(item.Resources)

    for page in pages:
        visit(page.get("/Resources"))
    return found


def describe(data: bytes) -> tuple[int, dict[str, Anchor], tuple[Bookmark, ...]]:
    """Return a PDF's page count, its named destinations and its outline."""
    with Pdf.open(io.BytesIO(data)) as pdf:
        index = {page.obj.objgen: i for i, page in enumerate(pdf.pages)}
        anchors: dict[str, Anchor] = {}
        names = pdf.Root.get("/Names")
        if names is not None and "/Dests" in names:
            for name, dest in _tree_items(names.Dests, "/Names"):
                anchors.setdefault(str(name), _target(dest, index))
        return len(pdf.pages), anchors, _bookmarks(pdf.Root.get("/Outlines"), index)
