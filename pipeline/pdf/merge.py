"""Joining separately rendered PDF parts into one book, written object by object as the parts come.

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
- each font file embedded once (its subsets united glyph by glyph, `fonts`);
  identical images and colour profiles stored once;
- one structure tree: a Document element holding every part's elements.

Memory does not grow with the book. Each part is opened (qpdf, through
pikepdf), changed where the book needs it, and its objects are written to the
output file at once under new numbers, in the part's own syntax (qpdf's), so
only the part is ever in memory. What the book holds until the end is small
per page: the page and element numbers, the offsets of the objects, the fonts
being united (bounded by the font, not the book) and, spooled to a temporary
file, the cross-part links, whose targets (the back and front matter's
anchors) are known only when every part is in. The page tree, structure tree
root, name tree, outline, page labels, united fonts and cross-reference stream
are written last.
"""
from __future__ import annotations

import hashlib
import io
import pickle
import re
import tempfile
import zlib
from array import array
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import BinaryIO
from urllib.parse import unquote

import pikepdf
from pikepdf import Array, Dictionary, Name, Pdf, String

from .folios import FolioLayer, _draw_over
from .fonts import _bfchars, _rename_name, _to_unicode, _union_glyphs, _unitable, _w_array, _widths
from .objects import ANCHOR_SCHEME, Anchor, Bookmark, _resources, _tree_items, _wrap_contents

__all__ = ["Merger", "Part"]


@dataclass(frozen=True)
class Part:
    """A run of pages for the book, as WeasyPrint wrote them."""

    pdf: bytes
    fonts: Mapping[str, str] = field(default_factory=dict)  # BaseFont -> digest of the font file it subsets
    folios: FolioLayer | None = None  # drawn over the pages, marked as a pagination artifact
    blank: bool = False  # a page left blank: whatever it draws (crop marks) is an artifact


_OBJSTM_SIZE = 100  # objects per object stream (as qpdf makes them)
_FONT_BATCH = 8  # font programs held before they are united into one
_TREE_FANOUT = 64  # entries per node of the name and number trees we write
# A PDF string (qpdf escapes every parenthesis in one) or an indirect reference, in qpdf's unparsed syntax.
_TOKEN = re.compile(rb"(\((?:[^\\)]|\\.)*\))|(?<![\w.+\-/#])(\d+) (\d+) R(?!\w)", re.S)
_INHERITED = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")


class _File:
    """A PDF file being written: objects by number, in any order, then the cross-reference section."""

    def __init__(self, file: BinaryIO, version: str) -> None:
        self.file = file
        self.version = version
        self.streams = version >= "1.5"  # object streams and a cross-reference stream
        self.offset = 0
        self.digest = hashlib.md5()  # the file ID's second half, derived from the content as qpdf does
        self.kind = array("B", [0])  # per object number: 0 free, 1 at an offset, 2 in an object stream
        self.where = array("Q", [0])  # its offset, or its object stream's number
        self.index = array("H", [0])  # its index in that object stream
        self.batch: list[tuple[int, bytes]] = []
        self._emit(b"%PDF-" + version.encode() + b"\n%\xbf\xf7\xa2\xfe\n")

    def reserve(self) -> int:
        """Return a new object number."""
        self.kind.append(0)
        self.where.append(0)
        self.index.append(0)
        return len(self.kind) - 1

    def _emit(self, data: bytes) -> None:
        self.file.write(data)
        self.digest.update(data)
        self.offset += len(data)

    def put(self, number: int, body: bytes) -> None:
        """Write an object that is not a stream (into an object stream when the version has them)."""
        if not self.streams:
            self._direct(number, body)
            return
        self.batch.append((number, body))
        if len(self.batch) >= _OBJSTM_SIZE:
            self.flush()

    def put_stream(self, number: int, head: bytes, data: bytes) -> None:
        """Write a stream: its dictionary without /Length (as unparsed: ``<< ... >>``) and its data."""
        self._direct(number, b"<< /Length %d " % len(data) + head[2:] + b"\nstream\n" + data + b"\nendstream")

    def _direct(self, number: int, body: bytes) -> None:
        self.kind[number], self.where[number] = 1, self.offset
        self._emit(b"%d 0 obj\n" % number + body + b"\nendobj\n")

    def flush(self) -> None:
        """Write the objects waiting for an object stream."""
        if not self.batch:
            return
        number = self.reserve()
        heads, bodies, at = [], [], 0
        for i, (obj, body) in enumerate(self.batch):
            heads.append(b"%d %d" % (obj, at))
            bodies.append(body)
            at += len(body) + 1
            self.kind[obj], self.where[obj], self.index[obj] = 2, number, i
        head = b" ".join(heads) + b"\n"
        data = zlib.compress(head + b"\n".join(bodies) + b"\n")
        self.batch = []
        self.put_stream(number, b"<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode >>"
                        % (len(heads), len(head)), data)

    def close(self, trailer: bytes, identifier: str) -> None:
        """Write the cross-reference section and trailer (its entries as unparsed, without << >>)."""
        self.flush()
        ident = b"/ID [ " + String(identifier).unparse() + b" <" + self.digest.hexdigest().encode() + b"> ]"
        if self.streams:
            number = self.reserve()
            self.kind[number], self.where[number] = 1, self.offset
            size = len(self.kind)
            width = max(1, (max(self.where).bit_length() + 7) // 8)
            rows = bytearray()
            free = [n for n in range(size) if self.kind[n] == 0]
            following = dict(zip(free, free[1:] + [0]))  # the free objects as a linked list from object 0
            for n in range(size):
                if self.kind[n] == 0:
                    rows += b"\0" + following[n].to_bytes(width, "big") + (65535 if n == 0 else 0).to_bytes(2, "big")
                else:
                    rows += bytes([self.kind[n]]) + self.where[n].to_bytes(width, "big") + \
                        self.index[n].to_bytes(2, "big")
            data = zlib.compress(bytes(rows))
            start = self.offset
            self._direct(number, b"<< /Type /XRef /Size %d /W [ 1 %d 2 ] /Filter /FlateDecode /Length %d %s %s >>"
                         b"\nstream\n" % (size, width, len(data), trailer, ident) + data + b"\nendstream")
        else:
            size = len(self.kind)
            free = [n for n in range(size) if self.kind[n] == 0]
            following = dict(zip(free, free[1:] + [0]))
            start = self.offset
            lines = [b"xref\n0 %d\n" % size]
            for n in range(size):
                lines.append(b"%010d %05d f \n" % (following[n], 65535 if n == 0 else 0) if self.kind[n] == 0
                             else b"%010d 00000 n \n" % self.where[n])
            self._emit(b"".join(lines) + b"trailer\n<< /Size %d %s %s >>\n" % (size, trailer, ident))
        self._emit(b"startxref\n%d\n%%%%EOF\n" % start)


class _Copy:
    """One source document's objects being written to the book: source object -> number in the book."""

    def __init__(self, merger: Merger, src: Pdf) -> None:
        self.merger, self.src, self.file = merger, src, merger.file
        self.numbers: dict[tuple[int, int], int] = {}  # also objects that stand for one of the book's own
        self.queue: deque[tuple[int, int]] = deque()
        self.held: dict[tuple[int, int], tuple[str, bool]] = {}  # cross-part links: anchor, had /Contents

    def ref(self, obj: pikepdf.Object) -> int:
        """Return the book's number of an object (made indirect in its source if it was not)."""
        if not obj.is_indirect:
            obj = self.src.make_indirect(obj)
        return self.number(obj.objgen)

    def number(self, objgen: tuple[int, int]) -> int:
        """Return the book's number of a source object, written (or found stored already) before the part ends."""
        found = self.numbers.get(objgen)
        if found is not None:
            return found
        obj = self.src.get_object(objgen)
        key = _shared_key(obj)
        if key is not None and key in self.merger.shared:  # an image or colour profile the book has
            self.numbers[objgen] = self.merger.shared[key]
            return self.numbers[objgen]
        number = self.numbers[objgen] = self.file.reserve()
        if key is not None:
            self.merger.shared[key] = number
        self.queue.append(objgen)
        return number

    def render(self, unparsed: bytes) -> bytes:
        """Return unparsed PDF syntax with its references renumbered for the book."""
        def token(match: re.Match) -> bytes:
            if match.group(1) is not None:
                return match.group(1)
            return b"%d 0 R" % self.number((int(match.group(2)), int(match.group(3))))
        return _TOKEN.sub(token, unparsed)

    def value(self, value: object) -> bytes:
        """Return a value of the source as syntax of the book (an indirect one as its reference)."""
        if isinstance(value, pikepdf.Object):
            return self.render(value.unparse())
        return pikepdf.Array([value]).unparse()[2:-2]

    def drain(self) -> None:
        """Write every object reached so far, and what they reach."""
        while self.queue:
            objgen = self.queue.popleft()
            number = self.numbers[objgen]
            obj = self.src.get_object(objgen)
            if isinstance(obj, pikepdf.Stream):
                head = Dictionary({k: v for k, v in obj.stream_dict.items() if k != "/Length"})
                data = obj.read_raw_bytes()
                if "/Filter" not in head and "/DecodeParms" not in head:
                    data, head.Filter = zlib.compress(data), Name.FlateDecode
                self.file.put_stream(number, self.render(head.unparse()), data)
            elif objgen in self.held:
                name, contents = self.held[objgen]
                self.merger.hold(number, name, contents, self.render(obj.unparse(resolved=True)))
            else:
                self.file.put(number, self.render(obj.unparse(resolved=True)))


def _shared_key(obj: pikepdf.Object) -> bytes | None:
    """Return what identifies an image or ICC profile stream, stored once in the book; None for other objects."""
    if not isinstance(obj, pikepdf.Stream):
        return None
    if obj.get("/Subtype") == Name.Image or ("/N" in obj and "/Type" not in obj and "/Subtype" not in obj):
        return _stream_key(obj)
    return None


def _stream_key(stream: pikepdf.Stream) -> bytes:
    """Return a digest of a stream's data and dictionary (an image's soft mask included)."""
    digest = hashlib.sha256(stream.read_raw_bytes())
    for key in sorted(k for k in stream.keys() if k != "/Length"):
        value = stream[key]
        digest.update(key.encode())
        digest.update(_stream_key(value) if isinstance(value, pikepdf.Stream)
                      else value.unparse(resolved=True) if isinstance(value, pikepdf.Object) else repr(value).encode())
    return digest.digest()


class _Font:
    """One font file's subsets, as the parts embed them, being united into one font of the book."""

    def __init__(self, file: _File, copy: _Copy, font: Dictionary) -> None:
        cid = font.DescendantFonts[0]
        descriptor = cid.FontDescriptor
        self.number = file.reserve()
        self.name = str(font.BaseFont)
        self.type0 = copy.render(_without(font, "/BaseFont", "/DescendantFonts", "/ToUnicode"))
        self.cid = copy.render(_without(cid, "/BaseFont", "/W", "/FontDescriptor"))
        self.descriptor = copy.render(_without(descriptor, "/FontName", "/FontFile2", "/FontBBox", "/Flags",
                                               "/CIDSet"))
        self.bbox = [float(v) for v in descriptor.FontBBox]
        self.flags = int(descriptor.Flags)
        self.cidset = "/CIDSet" in descriptor  # PDF/A-1: which CIDs the program holds
        self.widths: dict[int, int | float] = {}
        self.text: dict[int, str] = {}
        self.program: bytes | None = None
        self.batch: list[bytes] = []

    def agrees(self, widths: Mapping[int, int | float]) -> bool:
        """Whether a subset declares the same width as the fonts so far for every glyph they share."""
        return all(self.widths.get(gid, width) == width for gid, width in widths.items())

    def add(self, font: Dictionary, widths: Mapping[int, int | float]) -> None:
        """Take a subset's glyphs, widths and text (the first subset's text wins, as the first use in WeasyPrint)."""
        for gid, width in widths.items():
            self.widths.setdefault(gid, width)
        if "/ToUnicode" in font:
            for gid, hex_text in _bfchars(font.ToUnicode.read_bytes()).items():
                self.text.setdefault(gid, hex_text)
        self.batch.append(font.DescendantFonts[0].FontDescriptor.FontFile2.read_bytes())
        if len(self.batch) >= _FONT_BATCH:  # a few programs at a time: memory bounded by the font, not the book
            self._unite()

    def _unite(self) -> None:
        programs = ([self.program] if self.program is not None else []) + self.batch
        self.program = programs[0] if len(programs) == 1 else _union_glyphs(programs)
        self.batch = []

    def write(self, file: _File, name: str) -> None:
        """Write the united font under its number, named `name`."""
        self._unite()
        assert self.program is not None
        base = Name(name).unparse()
        program, tounicode, descriptor, cid = (file.reserve() for _ in range(4))
        file.put_stream(program, b"<< /Length1 %d /Filter /FlateDecode >>" % len(self.program),
                        zlib.compress(self.program))
        file.put_stream(tounicode, b"<< /Filter /FlateDecode >>", zlib.compress(_to_unicode(self.text)))
        fixed = len(self.widths) > 1 and len(set(self.widths.values())) == 1
        flags = (self.flags | 1) if fixed else (self.flags & ~1)
        bbox = Array([self.bbox[0], self.bbox[1], max(self.widths.values(), default=0), self.bbox[3]]).unparse()
        extra = b"/FontName %s /FontFile2 %d 0 R /FontBBox %s /Flags %d" % (base, program, bbox, flags)
        if self.cidset:
            bits = bytearray((max(self.widths, default=0) // 8) + 1)
            for gid in self.widths:
                bits[gid // 8] |= 0x80 >> (gid % 8)
            cidset = file.reserve()
            file.put_stream(cidset, b"<< /Filter /FlateDecode >>", zlib.compress(bytes(bits)))
            extra += b" /CIDSet %d 0 R" % cidset
        file.put(descriptor, _with(self.descriptor, extra))
        file.put(cid, _with(self.cid, b"/BaseFont %s /W %s /FontDescriptor %d 0 R"
                            % (base, _w_array(self.widths).unparse(), descriptor)))
        file.put(self.number, _with(self.type0, b"/BaseFont %s /DescendantFonts [ %d 0 R ] /ToUnicode %d 0 R"
                                    % (base, cid, tounicode)))


def _without(obj: Dictionary, *keys: str) -> bytes:
    """Return a dictionary unparsed without some of its keys."""
    return Dictionary({k: v for k, v in obj.items() if k not in keys}).unparse()


def _with(unparsed: bytes, entries: bytes) -> bytes:
    """Return an unparsed dictionary with more entries."""
    return unparsed[:-2].rstrip() + b" " + entries + b" >>"


class Merger:
    """A book being assembled from its parts, written to a file as they come.

    The parts after the front matter are added in reading order as they come
    (while the rest is still being rendered); the front matter, rendered last,
    goes before them (its objects are written last, its pages listed first).
    `finish` writes what depends on every part and returns the book.
    """

    def __init__(self) -> None:
        self.out: BinaryIO = tempfile.TemporaryFile()  # the book, on disk as it is written
        self.spool: BinaryIO = tempfile.TemporaryFile()  # links to other parts, settled by finish
        self.held = 0
        self._file: _File | None = None
        self.pages = array("L")  # the book's page objects in order
        self.shared: dict[bytes, int] = {}  # image or ICC profile -> its number
        self.fonts: dict[str, _Font] = {}  # font file digest -> the font uniting its subsets
        self.templates: dict[bytes, tuple[int, Array]] = {}  # folio template -> its resources' number, its box
        self.kids = array("L")  # the Document element's, in reading order
        self.nums = array("L")  # ParentTree: the number of each key's value (keys are 0, 1, 2, ...)
        self.document: int | None = None  # the book's Document element, once a part is tagged
        self.struct_root = 0  # the book's StructTreeRoot (numbered with the Document element)
        self._pages_root: int | None = None
        self.document_entries = b""  # /S, /NS
        self.namespaces: bytes | None = None
        self.catalog: dict[str, bytes] = {}  # from the front matter: /Lang, /MarkInfo, ...
        self.info: bytes | None = None

    @property
    def file(self) -> _File:
        """The output file (its header says the version of the first part added)."""
        if self._file is None:
            self._file = _File(self.out, "1.7")
        return self._file

    def add(self, part: Part, at: int | None = None) -> None:
        """Add a part's pages after those added so far, or from page index `at` (0: the front matter)."""
        with Pdf.open(io.BytesIO(part.pdf)) as src:
            if self._file is None and not part.blank:
                self._file = _File(self.out, src.pdf_version)
            copy = _Copy(self, src)
            pages = [page.obj for page in src.pages]
            tree = src.Root.Pages
            copy.numbers[tree.objgen] = self.pages_root
            for key in _INHERITED:  # the page tree is rebuilt: what its root gave every page, each page says
                if key in tree:
                    for page in pages:
                        if key not in page:
                            page[key] = tree[key]
            if part.blank:
                for page in pages:
                    _wrap_contents(src, page, b"/Artifact BMC\n", b"\nEMC\n")
                    for annot in page.get("/Annots") or []:
                        if "/StructParent" in annot:
                            del annot["/StructParent"]
                    if "/StructParents" in page:
                        del page["/StructParents"]
            else:
                self._unite_fonts(copy, _resources(pages), part.fonts)
                if part.folios is not None:
                    resources, box = self._template(part.folios)
                    stand_in = src.make_indirect(Dictionary())
                    copy.numbers[stand_in.objgen] = resources
                    _draw_over(src, stand_in, box, pages, part.folios.contents)
                self._tags(copy, pages, first=at == 0)
                self._hold_links(copy, pages)
                if at == 0:  # the front matter: the document's metadata, language, marking
                    for key in ("/Lang", "/MarkInfo", "/ViewerPreferences", "/Metadata", "/OutputIntents"):
                        if key in src.Root:
                            self.catalog[key] = copy.value(src.Root[key])
                    if "/Info" in src.trailer:
                        self.info = copy.value(src.trailer.Info)
            numbers = [copy.ref(page) for page in pages]
            if at is None:
                self.pages.extend(numbers)
            else:
                self.pages[at:at] = array("L", numbers)
            copy.drain()

    @property
    def pages_root(self) -> int:
        """The number of the book's page tree root."""
        if self._pages_root is None:
            self._pages_root = self.file.reserve()
        return self._pages_root

    def _unite_fonts(self, copy: _Copy, resources: list[Dictionary], digests: Mapping[str, str]) -> None:
        """Make the part's subsets of each font file the book's one font, where their glyphs agree."""
        tables = {(res["/Font"].objgen if res["/Font"].is_indirect else id(res["/Font"])): res["/Font"]
                  for res in resources if res.get("/Font") is not None}
        for fonts in tables.values():
            for _, font in fonts.items():
                digest = digests.get(str(font.get("/BaseFont", "")))
                if digest is None or not font.is_indirect or font.objgen in copy.numbers or not _unitable(font):
                    continue  # not subset by glyph id: the part keeps its own
                widths = _widths(font.DescendantFonts[0].get("/W") or Array())
                united = self.fonts.get(digest)
                if united is None:
                    united = self.fonts[digest] = _Font(self.file, copy, font)
                elif not united.agrees(widths):
                    continue  # glyphs of other widths: the content relies on them, the part keeps its own
                united.add(font, widths)
                copy.numbers[font.objgen] = united.number

    def _template(self, folios: FolioLayer) -> tuple[int, Array]:
        """Return the number of a folio template's resources (written once) and its page box."""
        if folios.pdf not in self.templates:
            with Pdf.open(io.BytesIO(folios.pdf)) as template:
                layer = template.pages[0].obj
                copy = _Copy(self, template)
                self._unite_fonts(copy, [layer.Resources], folios.fonts)
                number = copy.ref(layer.Resources)
                copy.drain()
                self.templates[folios.pdf] = (number, Array([float(v) for v in layer.MediaBox]))
        return self.templates[folios.pdf]

    def _tags(self, copy: _Copy, pages: list[Dictionary], first: bool) -> None:
        """Hang the part's structure from the book's Document element; key its pages and annotations anew."""
        root = copy.src.Root.get("/StructTreeRoot")
        if root is None:
            return
        (document,) = root.K if isinstance(root.K, Array) else [root.K]
        if self.document is None:
            self.document = self.file.reserve()
            self.struct_root = self.file.reserve()
            self.document_entries = b"/S " + copy.value(document.S)
            if "/NS" in document:
                self.document_entries += b" /NS " + copy.value(document.NS)
            if "/Namespaces" in root:
                self.namespaces = copy.value(root.Namespaces)
        # Whatever hangs from the part's Document (running heads too, which only the ParentTree leads to)
        # hangs from the book's; nothing leads to the part's own root or ParentTree any more.
        copy.numbers[document.objgen] = self.document
        copy.numbers[root.objgen] = self.struct_root
        local = {int(key): value for key, value in _tree_items(root.ParentTree, "/Nums")}
        for page in pages:
            for holder, name in [(page, "/StructParents"),
                                 *((annot, "/StructParent") for annot in page.get("/Annots") or [])]:
                if name not in holder:
                    continue
                value = local.get(int(holder[name]))
                if value is None:
                    del holder[name]
                    continue
                holder[name] = len(self.nums)
                self.nums.append(copy.ref(value))  # an array made indirect: nothing of it kept here
        kids = array("L", [copy.ref(kid) for kid in (document.K if isinstance(document.K, Array) else [document.K])])
        if first:
            self.kids[0:0] = kids
        else:
            self.kids.extend(kids)

    def _hold_links(self, copy: _Copy, pages: list[Dictionary]) -> None:
        """Mark the links to another part's anchors: written by finish, when every anchor is known."""
        for page in pages:
            for annot in page.get("/Annots") or []:
                action = annot.get("/A")
                if not annot.is_indirect or action is None or action.get("/S") != Name.URI:
                    continue
                uri = bytes(action.URI).decode("latin-1")
                if not uri.startswith(ANCHOR_SCHEME):
                    continue
                del annot["/A"]
                contents = "/Contents" in annot
                if contents:
                    del annot["/Contents"]
                copy.held[annot.objgen] = (unquote(uri[len(ANCHOR_SCHEME):]), contents)

    def hold(self, number: int, name: str, contents: bool, body: bytes) -> None:
        """Keep a link annotation on disk until `finish` knows where its anchor is."""
        pickle.dump((number, name, contents, body), self.spool)
        self.held += 1

    def finish(self, *, dests: Mapping[str, Anchor], outline: Sequence[Bookmark],
               labels: Sequence[tuple[int, str]], identifier: str,
               elsewhere: Mapping[str, tuple[str, str]] | None = None) -> bytes:
        """Return the book as one PDF, with its destinations, outline and page labels.

        `dests` and `outline` are in page indices of the whole book; `labels` are
        (first page index, numbering style: "r" roman, "D" arabic), each numbering
        from 1; `identifier` is the first half of the file ID. `elsewhere` names
        the anchors in other files (another volume): anchor -> (file name, where).
        """
        file, pages = self.file, self.pages
        self._settle_links(dests, elsewhere or {})
        names: dict[str, str] = {}  # BaseFont -> digest, to keep names apart
        for digest, font in sorted(self.fonts.items()):
            name = font.name
            if names.setdefault(name, digest) != digest:  # one name, two font files: tell them apart
                name = _rename_name(name, digest)
            font.write(file, name)
        file.put(self.pages_root, b"<< /Type /Pages /Count %d /Kids [ %s ] >>"
                 % (len(pages), b" ".join(b"%d 0 R" % n for n in pages)))
        catalog = [b"/Type /Catalog /Pages %d 0 R" % self.pages_root]
        catalog += [key.encode() + b" " + value for key, value in sorted(self.catalog.items())]
        if self.document is not None:
            tree = _write_tree(file, ((b"%d" % key, b"%d 0 R" % value) for key, value in enumerate(self.nums)),
                               "/Nums")
            file.put(self.document, b"<< /Type /StructElem %s /P %d 0 R /K [ %s ] >>" % (
                self.document_entries, self.struct_root, b" ".join(b"%d 0 R" % n for n in self.kids)))
            file.put(self.struct_root, b"<< /Type /StructTreeRoot /K [ %d 0 R ] /ParentTree %d 0 R "
                     b"/ParentTreeNextKey %d%s >>" % (self.document, tree, len(self.nums),
                                                      b" /Namespaces " + self.namespaces if self.namespaces else b""))
            catalog.append(b"/StructTreeRoot %d 0 R" % self.struct_root)
        if dests:
            named = ((String(name).unparse(), _dest(pages, dests[name])) for name in sorted(dests))
            catalog.append(b"/Names << /Dests %d 0 R >>" % _write_tree(file, named, "/Names"))
        if outline:
            catalog.append(b"/Outlines %d 0 R" % _write_outline(file, pages, outline))
        if labels:
            catalog.append(b"/PageLabels << /Nums [ %s ] >>" % b" ".join(
                b"%d << /S /%s >>" % (start, style.encode()) for start, style in labels))
        root = file.reserve()
        file.put(root, b"<< " + b" ".join(catalog) + b" >>")
        trailer = b"/Root %d 0 R" % root + (b" /Info " + self.info if self.info else b"")
        file.close(trailer, identifier)
        self.spool.close()
        self.out.seek(0)
        data = self.out.read()
        self.out.close()
        return data

    def _settle_links(self, dests: Mapping[str, Anchor], elsewhere: Mapping[str, tuple[str, str]]) -> None:
        """Write the held links: to a named destination, to another volume's file, or to nothing.

        A link to an anchor `elsewhere` opens that file at the anchor (a remote
        go-to: the volumes sit side by side) and says where it leads.
        """
        self.spool.seek(0)
        for _ in range(self.held):
            number, name, contents, body = pickle.load(self.spool)
            label = String(name).unparse()
            if name in dests:  # as WeasyPrint links inside one document
                extra = b"/Dest " + label + (b" /Contents " + label if contents else b"")
            elif name in elsewhere:
                target, where = (String(text).unparse() for text in elsewhere[name])
                extra = (b"/A << /S /GoToR /F << /Type /Filespec /F %s /UF %s >> /D %s /NewWindow false >> "
                         b"/Contents %s" % (target, target, label, where))
            else:
                extra = b"/Contents " + label if contents else b""
            self.file.put(number, _with(body, extra) if extra else body)


def _dest(pages: Sequence[int], anchor: Anchor) -> bytes:
    """Return an explicit destination: the anchor's page, left and top."""
    page, x, y = anchor
    return b"[ %d 0 R " % pages[page] + Array([Name.XYZ, x, y, 0]).unparse()[2:]


def _write_tree(file: _File, items: Iterable[tuple[bytes, bytes]], kind: str) -> int:
    """Write a balanced name or number tree (kind "/Names" or "/Nums") of sorted items; return its root.

    The items are written as they come, a leaf at a time: only the nodes above the leaves are held.
    """
    tag = kind.encode()

    def node(body: bytes) -> int:
        number = file.reserve()
        file.put(number, b"<< " + body + b" >>")
        return number

    def pairs(entries: list[tuple[bytes, bytes]]) -> bytes:
        return tag + b" [ " + b" ".join(k + b" " + v for k, v in entries) + b" ]"

    level: list[tuple[bytes, bytes, int]] = []  # (first key, last key, node) of each leaf
    stream = iter(items)
    leaf = list(islice(stream, _TREE_FANOUT))
    following = list(islice(stream, _TREE_FANOUT))
    if not following:
        return node(pairs(leaf))  # one node: the root, without /Limits
    while leaf:
        level.append((leaf[0][0], leaf[-1][0], node(pairs(leaf) + b" /Limits [ %s %s ]" % (leaf[0][0], leaf[-1][0]))))
        leaf, following = following, list(islice(stream, _TREE_FANOUT))
    while len(level) > _TREE_FANOUT:
        level = [(group[0][0], group[-1][1],
                  node(b"/Kids [ %s ] /Limits [ %s %s ]" % (b" ".join(b"%d 0 R" % k for _, _, k in group),
                                                             group[0][0], group[-1][1])))
                 for group in (level[i:i + _TREE_FANOUT] for i in range(0, len(level), _TREE_FANOUT))]
    return node(b"/Kids [ %s ]" % b" ".join(b"%d 0 R" % k for _, _, k in level))  # the root has no /Limits


def _write_outline(file: _File, pages: Sequence[int], entries: Sequence[Bookmark]) -> int:
    """Write the outline, every entry open, as WeasyPrint does; return its root."""
    root = file.reserve()
    first, last, count = _write_outline_level(file, pages, entries, root)
    file.put(root, b"<< /First %d 0 R /Last %d 0 R /Count %d >>" % (first, last, count))
    return root


def _write_outline_level(file: _File, pages: Sequence[int], entries: Sequence[Bookmark],
                         parent: int) -> tuple[int, int, int]:
    """Write one level of the outline; return its first and last item and how many items show."""
    numbers = [file.reserve() for _ in entries]
    shown = len(entries)
    for i, entry in enumerate(entries):
        body = b"/Title %s /Parent %d 0 R /Dest %s" % (String(entry.title).unparse(), parent,
                                                        _dest(pages, (entry.page, entry.x, entry.y)))
        if entry.children:
            first, last, count = _write_outline_level(file, pages, entry.children, numbers[i])
            body += b" /First %d 0 R /Last %d 0 R /Count %d" % (first, last, count)
            shown += count
        else:
            body += b" /Count 0"
        if i:
            body += b" /Prev %d 0 R" % numbers[i - 1]
        if i + 1 < len(entries):
            body += b" /Next %d 0 R" % numbers[i + 1]
        file.put(numbers[i], b"<< " + body + b" >>")
    return numbers[0], numbers[-1], shown

