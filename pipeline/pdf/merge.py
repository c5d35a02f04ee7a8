"""Joining separately rendered PDF parts into one book (pikepdf, that is qpdf).

The chapters are rendered in chunks, each in a process of its own, then the
back and front matter once the page numbers are known. This module makes one
document of the parts, as WeasyPrint would have written it in one go:

- the pages in order, a blank page (an artifact) wherever a chapter must open
  on a right-hand page;
- the folios of each part drawn over its pages, marked as pagination
  artifacts (`folios`);
- links to an anchor in another part (a part writes them as
  ``wikibind-anchor:ID`` URIs) turned back into links to the named destination;
- one name tree of destinations, one outline, page labels;
- each font file embedded once (`fonts`); identical images and colour profiles stored once;
- one structure tree (`tags`).

Qpdf works on objects and streams, never on layouts, but it holds every
object in memory (a tagged book has hundreds of thousands, mostly structure
elements), so the parts are opened one at a time.
"""
from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote

import pikepdf
from pikepdf import Array, Dictionary, Name, Pdf, String

from .folios import FolioLayer, _draw_over
from .fonts import _Fonts
from .objects import (ANCHOR_SCHEME, Anchor, Bookmark, _copy, _dest, _detach, _resources, _tree,
                      _wrap_contents)
from .tags import _StructTree

__all__ = ["Merger", "Part"]


@dataclass(frozen=True)
class Part:
    """A run of pages for the book, as WeasyPrint wrote them."""

    pdf: bytes
    fonts: Mapping[str, str] = field(default_factory=dict)  # BaseFont -> digest of the font file it subsets
    folios: FolioLayer | None = None  # drawn over the pages, marked as a pagination artifact
    blank: bool = False  # a page left blank: whatever it draws (crop marks) is an artifact




class Merger:
    """A book being assembled from its parts.

    The parts after the front matter are added in reading order as they come
    (while the rest is still being rendered); the front matter, rendered last,
    goes before them. `finish` writes the book.
    """

    def __init__(self) -> None:
        self.out = Pdf.new()
        self.tree = _StructTree(self.out)
        self.fonts = _Fonts()
        self.templates: dict[bytes, Pdf] = {}  # folio layers share their template document
        self.copied = 1  # objects before this number hold their own stream data
        self.version = "1.7"

    def add(self, part: Part, at: int | None = None) -> None:
        """Add a part's pages after those added so far, or from page index `at` (0: the front matter)."""
        out = self.out
        # One part open at a time: qpdf holds a part's objects in memory, a dozen times their size on disk.
        with Pdf.open(io.BytesIO(part.pdf)) as src:
            count, before = len(src.pages), len(out.pages)
            with warnings.catch_warnings():  # destinations and outline are rebuilt by finish
                warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
                if at is None:
                    out.pages.extend(src.pages)
                else:
                    for i, page in enumerate(src.pages):
                        out.pages.insert(at + i, page)
            kids = out.Root.Pages.Kids  # flat: qpdf flattens the page tree to add pages (out.pages[i] is O(pages))
            start = before if at is None else at
            pages = [kids[i] for i in range(start, start + count)]
            if part.blank:
                for page in pages:
                    _wrap_contents(out, page, b"/Artifact BMC\n", b"\nEMC\n")
            else:
                if at == 0:  # the front matter: the document's metadata, language, marking
                    self.version = src.pdf_version
                    _catalog(out, src)
                self.fonts.collect(_resources(pages), part.fonts)
                self.tree.add(src, pages, first=at == 0)
            self.copied = _detach(out, self.copied)
        if part.folios is not None and not part.blank:
            if part.folios.pdf not in self.templates:
                self.templates[part.folios.pdf] = Pdf.open(io.BytesIO(part.folios.pdf))
            layers = _draw_over(out, self.templates[part.folios.pdf], pages, part.folios.contents)
            self.fonts.collect(layers, part.folios.fonts)

    def finish(self, *, dests: Mapping[str, Anchor], outline: Sequence[Bookmark],
               labels: Sequence[tuple[int, str]], identifier: str,
               elsewhere: Mapping[str, tuple[str, str]] | None = None) -> bytes:
        """Return the book as one PDF, with its destinations, outline and page labels.

        `dests` and `outline` are in page indices of the whole book; `labels` are
        (first page index, numbering style: "r" roman, "D" arabic), each numbering
        from 1; `identifier` is the first half of the file ID. `elsewhere` names
        the anchors in other files (another volume): anchor -> (file name, where).
        """
        out = self.out
        self.fonts.unite(out)
        _dedupe(out)
        _link_across(out, dests, elsewhere or {})
        self.tree.finish()
        book = [page.obj for page in out.pages]
        if dests:
            named = [(String(name), _dest(book, dests[name])) for name in sorted(dests)]
            out.Root.Names = Dictionary(Dests=_tree(out, named, "/Names"))
        if outline:
            _outline(out, book, outline)
        if labels:
            out.Root.PageLabels = Dictionary(Nums=Array([x for start, style in labels
                                                         for x in (start, Dictionary(S=Name("/" + style)))]))
        out.trailer.ID = Array([String(identifier), String(identifier)])  # qpdf keeps the first, derives the second
        buffer = io.BytesIO()
        out.save(buffer, min_version=self.version, deterministic_id=True, compress_streams=True,
                 fix_metadata_version=False, stream_decode_level=pikepdf.StreamDecodeLevel.none,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate if self.version >= "1.5"
                 else pikepdf.ObjectStreamMode.disable)
        for pdf in self.templates.values():
            pdf.close()
        return buffer.getvalue()


def _link_across(out: Pdf, dests: Mapping[str, Anchor], elsewhere: Mapping[str, tuple[str, str]]) -> None:
    """Turn the links a part wrote as ``wikibind-anchor:`` URIs into links to named destinations.

    A link to an anchor `elsewhere` opens that file at the anchor (a remote
    go-to: the volumes sit side by side) and says where it leads.
    """
    for page in out.pages:
        for annot in page.obj.get("/Annots") or []:
            action = annot.get("/A")
            if action is None or action.get("/S") != Name.URI:
                continue
            uri = bytes(action.URI).decode("latin-1")
            if not uri.startswith(ANCHOR_SCHEME):
                continue
            name = unquote(uri[len(ANCHOR_SCHEME):])
            del annot["/A"]
            if name in dests:  # as WeasyPrint links inside one document
                annot.Dest = String(name)
            elif name in elsewhere:
                file, where = elsewhere[name]
                annot.A = Dictionary(S=Name.GoToR, F=Dictionary(Type=Name.Filespec, F=String(file), UF=String(file)),
                                     D=String(name), NewWindow=False)
                annot.Contents = String(where)
                continue
            if "/Contents" in annot:
                annot.Contents = String(name)


def _outline(out: Pdf, pages: Sequence[Dictionary], entries: Sequence[Bookmark]) -> None:
    """Write the outline, every entry open, as WeasyPrint does."""
    root = out.make_indirect(Dictionary())
    root.First, root.Last, root.Count = _outline_level(out, pages, entries, root)
    out.Root.Outlines = root


def _outline_level(out: Pdf, pages: Sequence[Dictionary], entries: Sequence[Bookmark],
                   parent: Dictionary) -> tuple[Dictionary, Dictionary, int]:
    """Write one level of the outline; return its first and last item and how many items show."""
    made: list[Dictionary] = []
    shown = len(entries)
    for entry in entries:
        item = out.make_indirect(Dictionary(Title=String(entry.title), Parent=parent,
                                            Dest=_dest(pages, (entry.page, entry.x, entry.y)), Count=0))
        if entry.children:
            item.First, item.Last, item.Count = _outline_level(out, pages, entry.children, item)
            shown += int(item.Count)
        if made:
            item.Prev, made[-1].Next = made[-1], item
        made.append(item)
    return made[0], made[-1], shown


def _catalog(out: Pdf, head: Pdf) -> None:
    """Take the document metadata, language, marking and viewer settings from the front matter."""
    for key in ("/Lang", "/MarkInfo", "/ViewerPreferences", "/Metadata", "/OutputIntents"):
        if key in head.Root:
            out.Root[key] = _copy(out, head, head.Root[key])
    if "/Info" in head.trailer:
        out.trailer.Info = _copy(out, head, head.trailer.Info)


def _dedupe(out: Pdf) -> None:
    """Store each image and colour profile once: identical streams of different parts become one."""
    canonical: dict[bytes, pikepdf.Stream] = {}

    def kept(stream: pikepdf.Stream) -> pikepdf.Stream:
        return canonical.setdefault(_stream_key(stream), stream)

    for res in _resources([page.obj for page in out.pages]):
        for name, xobject in list((res.get("/XObject") or {}).items()):
            if isinstance(xobject, pikepdf.Stream) and xobject.get("/Subtype") == Name.Image:
                if kept(xobject).objgen != xobject.objgen:
                    res.XObject[name] = kept(xobject)
        for space in (res.get("/ColorSpace") or {}).values():  # [/ICCBased profile], e.g. for PDF/A
            if isinstance(space, Array) and len(space) == 2 and space[0] == Name.ICCBased \
                    and isinstance(space[1], pikepdf.Stream) and kept(space[1]).objgen != space[1].objgen:
                space[1] = kept(space[1])


def _stream_key(stream: pikepdf.Stream) -> bytes:
    """Return a digest of a stream's data and dictionary (an image's soft mask included)."""
    digest = hashlib.sha256(stream.read_raw_bytes())
    for key in sorted(k for k in stream.keys() if k != "/Length"):
        value = stream[key]
        digest.update(key.encode())
        digest.update(_stream_key(value) if isinstance(value, pikepdf.Stream)
                      else value.unparse(resolved=True) if isinstance(value, pikepdf.Object) else repr(value).encode())
    return digest.digest()
