"""Joining separately rendered PDF parts into one book (pikepdf, that is qpdf).

`pdf` renders the chapters in chunks, each in a process of its own, then the
back and front matter once the page numbers are known. This module makes one
document of the parts, as WeasyPrint would have written it in one go:

- the pages in order, a blank page (an artifact) wherever a chapter must open
  on a right-hand page;
- the folios of each part drawn over its pages, marked as pagination
  artifacts: stamped from a specimen WeasyPrint laid out (`Stamps`);
- links to an anchor in another part (a part writes them as
  ``wikibind-anchor:ID`` URIs) turned back into links to the named destination;
- one name tree of destinations, one outline, page labels;
- each font file embedded once: WeasyPrint keeps glyph ids when it subsets, so
  the subsets the parts made of one font are united glyph by glyph and their
  widths and ToUnicode maps merged; identical images and colour profiles stored once;
- one structure tree: the kids of every part's Document element under one
  Document, the ParentTree renumbered (pages by their index in the book,
  annotations after them), with /StructParents and /StructParent to match.

Qpdf works on objects and streams, never on layouts, but it holds every
object in memory (a tagged book has hundreds of thousands, mostly structure
elements), so the parts are opened one at a time.
"""
from __future__ import annotations

import hashlib
import io
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import unquote

import pikepdf
from fontTools.ttLib import TTFont
from pikepdf import Array, Dictionary, Name, Pdf, String

__all__ = ["ANCHOR_SCHEME", "STAMP_DIGITS", "Anchor", "Bookmark", "FolioLayer", "Merger", "Part", "Stamps",
           "describe"]

ANCHOR_SCHEME = "wikibind-anchor:"  # href of a link whose target is in another part

Anchor = tuple[int, float, float]  # page index, x, y (PDF points, from the bottom left)

_TREE_FANOUT = 64  # entries per node of the name and number trees we write
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


@dataclass(frozen=True)
class FolioLayer:
    """Page numbers to draw over a part's pages: a content stream per page, over a template's resources."""

    pdf: bytes  # a WeasyPrint document whose first page's resources (the font) the streams use
    fonts: Mapping[str, str]  # its BaseFont -> font file digest
    contents: tuple[bytes | None, ...]  # per page of the part; None: the page shows no number

    @classmethod
    def of(cls, data: bytes, fonts: Mapping[str, str], shown: Sequence[bool]) -> FolioLayer:
        """Return the layer a WeasyPrint document draws: its pages' content where `shown`."""
        with Pdf.open(io.BytesIO(data)) as pdf:
            return cls(data, fonts, tuple(_contents(page.obj) if show else None
                                          for page, show in zip(pdf.pages, shown)))


STAMP_DIGITS = "1234567890"  # the specimen numbers are its prefixes; the last specimen page shows it whole
_TJ = re.compile(rb"\[((?:\s*<[0-9A-Fa-f]+>\s*-?[0-9.]*)+)\s*\]\s*TJ")
_GLYPH = re.compile(rb"<([0-9A-Fa-f]+)>\s*(-?[0-9.]*)")


@dataclass(frozen=True)
class Stamps:
    """Folios printed from a specimen: its content streams with other glyph ids for the digits.

    Exact when the figures are tabular (one width) and unkerned, as book faces'
    default figures usually are: then a number of so many digits sits where the
    specimen's number of as many digits sits. `read` checks that it is so.
    """

    specimen: bytes
    fonts: Mapping[str, str]
    templates: Mapping[tuple[str, int, int], bytes]  # (kind, side: 0 right, digits) -> content, b"\0" for the glyphs
    glyphs: Mapping[str, bytes]  # digit -> its glyph in a TJ array

    @classmethod
    def read(cls, specimen: bytes, fonts: Mapping[str, str],
             keys: Sequence[tuple[str, int, int] | None]) -> Stamps | None:
        """Return the stamps a specimen holds, or None when its folios cannot be stamped.

        `keys` says what each specimen page shows: (kind, side, digits) for the
        number STAMP_DIGITS[:digits]; the last page shows STAMP_DIGITS whole.
        """
        with Pdf.open(io.BytesIO(specimen)) as pdf:
            contents = [_contents(page.obj) for page in pdf.pages]
            widths: dict[int, int | float] = {}
            for font in (pdf.pages[0].obj.Resources.get("/Font") or {}).values():
                if "/DescendantFonts" in font:
                    widths.update(_widths(font.DescendantFonts[0].get("/W") or Array()))
        every = _TJ.findall(contents[-1])
        glyphs = [glyph for glyph, _ in _GLYPH.findall(every[0])] if len(every) == 1 else []
        if len(glyphs) != len(STAMP_DIGITS) or len({widths.get(int(g, 16)) for g in glyphs}) != 1:
            return None  # proportional figures: each number has to be laid out
        templates = {}
        for key, content in zip(keys, contents):
            if key is None:
                continue
            runs = list(_TJ.finditer(content))
            found = _GLYPH.findall(runs[0].group(1)) if len(runs) == 1 else []
            if [g for g, _ in found] != glyphs[:key[2]] or any(float(a or 0) for _, a in found):
                return None  # kerned, or laid out some other way
            templates[key] = content[:runs[0].start(1)] + b"\0" + content[runs[0].end(1):]
        return cls(specimen, fonts, templates, {d: b"<" + g + b">0" for d, g in zip(STAMP_DIGITS, glyphs)})

    def layer(self, kinds: Sequence[str], first: int) -> FolioLayer:
        """Return the folio layer of pages of these kinds (see pdf.RenderedChunk), numbered from `first`."""
        return FolioLayer(self.specimen, self.fonts, tuple(
            None if kind == "none" else
            self.templates[(kind, i % 2, len(str(first + i)))].replace(
                b"\0", b"".join(self.glyphs[d] for d in str(first + i)))
            for i, kind in enumerate(kinds)))


@dataclass(frozen=True)
class Part:
    """A run of pages for the book, as WeasyPrint wrote them."""

    pdf: bytes
    fonts: Mapping[str, str] = field(default_factory=dict)  # BaseFont -> digest of the font file it subsets
    folios: FolioLayer | None = None  # drawn over the pages, marked as a pagination artifact
    blank: bool = False  # a page left blank: whatever it draws (crop marks) is an artifact


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
               labels: Sequence[tuple[int, str]], identifier: str) -> bytes:
        """Return the book as one PDF, with its destinations, outline and page labels.

        `dests` and `outline` are in page indices of the whole book; `labels` are
        (first page index, numbering style: "r" roman, "D" arabic), each numbering
        from 1; `identifier` is the first half of the file ID.
        """
        out = self.out
        self.fonts.unite(out)
        _dedupe(out)
        _link_across(out, dests)
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


# --- reading ------------------------------------------------------------------------------


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


def _detach(out: Pdf, first: int) -> int:
    """Give the streams copied since object number `first` their data, so their source can close.

    Qpdf copies a foreign stream's data only when it writes the file, keeping
    the whole source in memory until then. Return the next object number.
    """
    end = out.make_indirect(Dictionary()).objgen[0]  # unreferenced: not written
    for number in range(first, end):
        obj = out.get_object((number, 0))
        if isinstance(obj, pikepdf.Stream):
            obj.write(obj.read_raw_bytes(), filter=obj.get("/Filter"), decode_parms=obj.get("/DecodeParms"))
    return end


# --- pages --------------------------------------------------------------------------------


def _wrap_contents(out: Pdf, page: Dictionary, before: bytes, after: bytes) -> None:
    """Put `before` and `after` around a page's content streams."""
    contents = page.get("/Contents")
    streams = list(contents) if isinstance(contents, Array) else [] if contents is None else [contents]
    page.Contents = Array([out.make_stream(before), *streams, out.make_stream(after)])


def _draw_over(out: Pdf, template: Pdf, pages: list[Dictionary], contents: Sequence[bytes | None]) -> list[Dictionary]:
    """Draw each content stream over its page, as a Form XObject marked as a pagination artifact.

    The forms use the resources of the template's first page; return them (once).
    """
    layer = template.pages[0].obj
    resources = _copy(out, template, layer.Resources)  # the same object for every part using the template
    bbox = Array([float(v) for v in layer.MediaBox])
    save = out.make_stream(b"q\n")  # WeasyPrint leaves its y-flip in force at the end of a page
    for i, (page, content) in enumerate(zip(pages, contents)):
        if content is None:
            continue
        form = out.make_stream(content, Type=Name.XObject, Subtype=Name.Form, BBox=bbox, Resources=resources)
        if "/XObject" not in page.Resources:
            page.Resources.XObject = Dictionary()
        name = f"/WbFolio{i}"  # the part's pages share one resource dictionary
        page.Resources.XObject[name] = form
        streams = list(page.Contents) if isinstance(page.Contents, Array) else [page.Contents]
        tail = b"Q\n" + _PAGINATION + name.encode() + b" Do\nEMC\n"
        page.Contents = Array([save, *streams, out.make_stream(tail)])
    return [resources]


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


def _link_across(out: Pdf, dests: Mapping[str, Anchor]) -> None:
    """Turn the links a part wrote as ``wikibind-anchor:`` URIs into links to named destinations."""
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
            if "/Contents" in annot:
                annot.Contents = String(name)


def _dest(pages: Sequence[Dictionary], anchor: Anchor) -> Array:
    """Return an explicit destination: the anchor's page, left and top."""
    page, x, y = anchor
    return Array([pages[page], Name.XYZ, x, y, 0])


def _tree(out: Pdf, items: list[tuple[object, object]], kind: str) -> Dictionary:
    """Return a balanced name or number tree (kind "/Names" or "/Nums") of sorted items."""
    def node(entries: list, kids: bool) -> Dictionary:
        made = Dictionary()
        if kids:
            made.Kids = Array(entries)
            first, last = entries[0].Limits[0], entries[-1].Limits[1]
        else:
            made[kind] = Array([x for pair in entries for x in pair])
            first, last = entries[0][0], entries[-1][0]
        made.Limits = Array([first, last])
        return out.make_indirect(made)

    if len(items) <= _TREE_FANOUT:
        return out.make_indirect(Dictionary({kind: Array([x for pair in items for x in pair])}))
    level = [node(items[i:i + _TREE_FANOUT], False) for i in range(0, len(items), _TREE_FANOUT)]
    while len(level) > _TREE_FANOUT:
        level = [node(level[i:i + _TREE_FANOUT], True) for i in range(0, len(level), _TREE_FANOUT)]
    return out.make_indirect(Dictionary(Kids=Array(level)))  # the root has no /Limits


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


def _copy(out: Pdf, src: Pdf, value: object) -> object:
    """Return an object of `src` copied into `out` (qpdf copies only indirect objects across files)."""
    if isinstance(value, (Dictionary, Array, pikepdf.Stream)):
        return out.copy_foreign(value if value.is_indirect else src.make_indirect(value))
    return value


# --- tags ---------------------------------------------------------------------------------


class _StructTree:
    """The merged structure tree: one Document element holding every part's elements."""

    def __init__(self, out: Pdf) -> None:
        self.out = out
        self.document: Dictionary | None = None
        self.namespaces: object = None
        self.pages: dict[tuple[int, int], object] = {}  # page -> its elements by MCID
        self.kids: list[Dictionary] = []  # the Document's, in reading order
        self.annotations: list[tuple[Dictionary, object]] = []  # annotation, its element: keys follow the pages'
        self.seen: set[tuple[int, int]] = set()  # elements of the part whose ancestry is settled

    def add(self, src: Pdf, pages: list[Dictionary], first: bool = False) -> None:
        """Take over the structure of a part whose pages were copied to `pages`; `first`: before the rest."""
        root = src.Root.get("/StructTreeRoot")
        if root is None:
            return
        kids = root.K if isinstance(root.K, Array) else Array([root.K])
        (document,) = [self.out.copy_foreign(kid) for kid in kids]
        if self.document is None:
            self.document = self.out.make_indirect(Dictionary(Type=Name.StructElem, S=document.S))
            if "/NS" in document:
                self.document.NS = document.NS
            if "/Namespaces" in root:
                self.namespaces = _copy(self.out, src, root.Namespaces)
        local = {int(key): value for key, value in _tree_items(self.out.copy_foreign(root.ParentTree), "/Nums")}
        self.seen.clear()
        for page in pages:
            if "/StructParents" in page:
                value = local.get(int(page.StructParents))
                del page["/StructParents"]  # keyed by its index in the book, when every page is in
                if value is not None:
                    self.pages[page.objgen] = self._adopt(value, document)
            for annot in page.get("/Annots") or []:
                if "/StructParent" in annot:
                    value = local.get(int(annot.StructParent))
                    del annot["/StructParent"]
                    if value is not None:
                        self.annotations.append((annot, self._adopt(value, document)))
        kids = list(document.K)
        for kid in kids:
            kid.P = self.document
        self.kids = kids + self.kids if first else self.kids + kids

    def _adopt(self, value: object, old_document: Dictionary) -> object:
        """Return a ParentTree value, what hangs from the part's Document moved to the new one.

        That includes the elements WeasyPrint leaves outside the tree (running
        heads): only the ParentTree leads to them, and through their /P the
        part's own StructTreeRoot would otherwise be written too.
        """
        for element in value if isinstance(value, Array) else [value]:
            while isinstance(element, Dictionary) and element.objgen not in self.seen:
                self.seen.add(element.objgen)
                parent = element.get("/P")
                if parent is None:
                    break
                if parent.objgen == old_document.objgen:
                    element.P = self.document
                    break
                element = parent
        return value

    def finish(self) -> None:
        """Write the StructTreeRoot, if any part was tagged: pages keyed by index, annotations after them."""
        if self.document is None:
            return
        self.document.K = Array(self.kids)
        nums: list[tuple[int, object]] = []
        for key, page in enumerate(page.obj for page in self.out.pages):  # as WeasyPrint numbers them
            if page.objgen in self.pages:
                page.StructParents = key
                nums.append((key, self.pages[page.objgen]))
        key = len(self.out.pages)
        for annot, value in self.annotations:
            annot.StructParent = key
            nums.append((key, value))
            key += 1
        root = self.out.make_indirect(Dictionary(
            Type=Name.StructTreeRoot, K=Array([self.document]),
            ParentTree=_tree(self.out, nums, "/Nums"), ParentTreeNextKey=key))
        if self.namespaces is not None:
            root.Namespaces = self.namespaces
        self.document.P = root
        self.out.Root.StructTreeRoot = root


# --- fonts and images ---------------------------------------------------------------------


class _Fonts:
    """The font dictionaries of every part, grouped by the font file they subset."""

    def __init__(self) -> None:
        self.slots: dict[str, list[tuple[Dictionary, str]]] = {}  # digest -> [(font resource dict, name)]

    def collect(self, resources: list[Dictionary], digests: Mapping[str, str]) -> None:
        """Note where each font of known origin is used."""
        tables = {_identity(res["/Font"]): res["/Font"] for res in resources if res.get("/Font") is not None}
        for fonts in tables.values():  # each font table once, however many pages share it
            for name, font in fonts.items():
                digest = digests.get(str(font.get("/BaseFont", "")))
                if digest is not None:
                    self.slots.setdefault(digest, []).append((fonts, name))

    def unite(self, out: Pdf) -> None:
        """Make every use of one font file point to one font dictionary, embedding the glyphs of all."""
        names: dict[str, str] = {}  # BaseFont -> digest, to keep names apart
        for digest, slots in sorted(self.slots.items()):
            distinct: dict[tuple[int, int], Dictionary] = {}
            for fonts, name in slots:
                distinct.setdefault(fonts[name].objgen, fonts[name])
            candidates = list(distinct.values())
            if len(candidates) > 1 and not (all(_unitable(font) for font in candidates) and _agree(candidates)):
                continue  # each part's own: not subset by glyph id, or glyphs of other widths (content relies on them)
            united = _unite(out, candidates) if len(candidates) > 1 else candidates[0]
            for fonts, name in slots:
                fonts[name] = united
            base = str(united.BaseFont)
            if names.setdefault(base, digest) != digest:  # one name, two font files: tell them apart
                _rename(united, digest)


def _unitable(font: Dictionary) -> bool:
    """Whether a font is a Type 0 TrueType font addressed by glyph id, as WeasyPrint embeds them."""
    try:
        cid = font.DescendantFonts[0]
        return (font.Subtype == Name.Type0 and font.get("/Encoding") == Name("/Identity-H")
                and cid.Subtype == Name.CIDFontType2 and cid.get("/CIDToGIDMap") == Name.Identity
                and "/FontFile2" in cid.FontDescriptor
                and b"beginbfrange" not in (font.ToUnicode.read_bytes() if "/ToUnicode" in font else b""))
    except (AttributeError, KeyError, IndexError):
        return False


def _agree(fonts: list[Dictionary]) -> bool:
    """Whether the fonts declare the same width for every glyph they have in common."""
    seen: dict[int, int | float] = {}
    for font in fonts:
        for gid, width in _widths(font.DescendantFonts[0].get("/W") or Array()).items():
            if seen.setdefault(gid, width) != width:
                return False
    return True


def _unite(out: Pdf, fonts: list[Dictionary]) -> Dictionary:
    """Return the first font with the glyphs, widths and text mapping of all of them."""
    widths: dict[int, int | float] = {}
    text: dict[int, str] = {}
    programs = []
    for font in fonts:
        cid = font.DescendantFonts[0]
        for gid, width in _widths(cid.get("/W") or Array()).items():
            widths.setdefault(gid, width)
        if "/ToUnicode" in font:
            for gid, hex_text in _bfchars(font.ToUnicode.read_bytes()).items():
                text.setdefault(gid, hex_text)  # the first part's, as the first use wins in WeasyPrint
        programs.append(cid.FontDescriptor.FontFile2.read_bytes())
    united = fonts[0]
    cid = united.DescendantFonts[0]
    descriptor = cid.FontDescriptor
    program = _union_glyphs(programs)
    descriptor.FontFile2 = out.make_stream(program, Length1=len(program))
    cid.W = _w_array(widths)
    united.ToUnicode = out.make_stream(_to_unicode(text))
    bbox = [float(v) for v in descriptor.FontBBox]
    descriptor.FontBBox = Array([bbox[0], bbox[1], max(widths.values(), default=0), bbox[3]])
    fixed = len(widths) > 1 and len(set(widths.values())) == 1
    descriptor.Flags = (int(descriptor.Flags) | 1) if fixed else (int(descriptor.Flags) & ~1)
    if "/CIDSet" in descriptor:  # PDF/A-1: which CIDs the program holds
        bits = bytearray((max(widths) // 8) + 1)
        for gid in widths:
            bits[gid // 8] |= 0x80 >> (gid % 8)
        descriptor.CIDSet = out.make_stream(bytes(bits))
    return united


def _rename(font: Dictionary, digest: str) -> None:
    """Give a font a subset tag of its own, derived from its file's digest."""
    tag = "".join(chr(65 + b % 26) for b in bytes.fromhex(digest)[:6])
    name = Name("/" + tag + "+" + str(font.BaseFont)[1:].split("+", 1)[-1])
    font.BaseFont = name
    cid = font.DescendantFonts[0]
    cid.BaseFont = name
    cid.FontDescriptor.FontName = name


def _widths(w: Array) -> dict[int, int | float]:
    """Return the glyph widths of a CIDFont /W array."""
    items = list(w)
    widths: dict[int, int | float] = {}
    i = 0
    while i < len(items):
        first = int(items[i])
        if isinstance(items[i + 1], Array):
            for k, width in enumerate(items[i + 1]):
                widths[first + k] = _plain(width)
            i += 2
        else:
            for gid in range(first, int(items[i + 1]) + 1):
                widths[gid] = _plain(items[i + 2])
            i += 3
    return widths


def _plain(value: object) -> int | float:
    """Return a PDF number as an int when it is whole."""
    number = float(value)
    return int(number) if number.is_integer() else number


def _w_array(widths: Mapping[int, int | float]) -> Array:
    """Return a /W array, one run of widths per run of consecutive glyph ids (as WeasyPrint writes it)."""
    items: list[object] = []
    run: list[int | float] = []
    previous = None
    for gid in sorted(widths):
        if previous is None or gid != previous + 1:
            run = []
            items += [gid, run]
        run.append(widths[gid])
        previous = gid
    return Array([Array(x) if isinstance(x, list) else x for x in items])


_BFCHAR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>")


def _bfchars(cmap: bytes) -> dict[int, str]:
    """Return glyph id -> UTF-16BE hex text from a ToUnicode CMap made of bfchar entries."""
    found: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for gid, hex_text in _BFCHAR.findall(block):
            found.setdefault(int(gid, 16), hex_text.decode("ascii").lower())
    return found


def _to_unicode(text: Mapping[int, str]) -> bytes:
    """Return a ToUnicode CMap for glyph id -> UTF-16BE hex text, laid out as WeasyPrint writes it."""
    lines = [b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap", b"/CIDSystemInfo",
             b"<< /Registry (Adobe)", b"/Ordering (UCS)", b"/Supplement 0", b">> def",
             b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def", b"1 begincodespacerange",
             b"<0000> <ffff>", b"endcodespacerange"]
    items = sorted(text.items())
    for i in range(0, len(items), 100):
        batch = items[i:i + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        lines += [f"<{gid:04x}> <{hex_text}>".encode() for gid, hex_text in batch]
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)


_PER_GLYPH_TABLES = ("hdmx", "LTSH", "VDMX", "kern")  # not united below, and of no use in a PDF


def _union_glyphs(programs: Sequence[bytes]) -> bytes:
    """Return one TrueType program holding every glyph any of `programs` holds, at the same glyph ids.

    The programs are subsets of one font made with their glyph ids kept (an
    unused glyph is empty), so a glyph's outline, composite references
    included, means the same in each: the union takes each glyph from the
    first program that has it, and maps every character any of them maps.
    The font-wide tables (head, hhea, maxp) are the full font's, as the
    subsetter left them; so is everything a renderer reads from them.
    """
    fonts = [TTFont(io.BytesIO(p), recalcTimestamp=False, recalcBBoxes=False) for p in programs]
    base = max(fonts, key=lambda f: len(f.getGlyphOrder()))  # the first of the longest: glyph ids for all
    order = base.getGlyphOrder()
    glyf, hmtx = base["glyf"], base["hmtx"]
    for font in fonts:
        if font is base:
            continue
        theirs = font.getGlyphOrder()
        their_glyf, their_hmtx = font["glyf"], font["hmtx"]
        for gid, name in enumerate(theirs):
            if _has_outline(their_glyf.glyphs[name]) and not _has_outline(glyf.glyphs[order[gid]]):
                glyf.glyphs[order[gid]] = their_glyf.glyphs[name]  # raw data: components are by glyph id
                hmtx.metrics[order[gid]] = their_hmtx.metrics[name]
        gid_of = {name: gid for gid, name in enumerate(theirs)}
        for table in font["cmap"].tables if "cmap" in font else []:
            mine = base["cmap"].getcmap(table.platformID, table.platEncID) if "cmap" in base else None
            if mine is not None:
                for code, name in table.cmap.items():
                    mine.cmap.setdefault(code, order[gid_of[name]])
    for tag in _PER_GLYPH_TABLES:
        if tag in base:
            del base[tag]
    out = io.BytesIO()
    base.save(out)
    return out.getvalue()


def _has_outline(glyph: object) -> bool:
    """Whether a glyf entry draws anything (a subset leaves unused glyphs empty)."""
    if hasattr(glyph, "data"):
        return bool(glyph.data)
    return getattr(glyph, "numberOfContours", 0) != 0


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
