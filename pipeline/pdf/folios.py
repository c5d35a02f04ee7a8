"""Page numbers: which pages show one, a specimen WeasyPrint lays out, stamps made from it, the layer drawn over a part."""
from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pikepdf import Array, Dictionary, Name, Pdf
from weasyprint.layout.page import PageType

from .documents import _written
from .fonts import _widths
from .objects import _PAGINATION, _contents
from .options import PdfOptions

__all__ = ["FolioLayer", "STAMP_DIGITS", "Stamps", "render_folio_layer"]


_KINDS = ("open", "side", "turned")  # the kinds of page that show a number (page.css.j2's folio layer)


def _folio_kind(page_type: PageType) -> str:
    """Return where page.css.j2 puts the number of a page of this type, in a chapter or the back matter."""
    if page_type.blank or page_type.name in ("part", "part-opening"):
        return "none"
    if page_type.name == "turned":
        return "turned"  # a page turned on its side for a wide table: its number at the foot of its long side
    if page_type.name in ("chapter", "opening") and (page_type.name, 0) in page_type.groups:
        return "open"  # :nth(1 of chapter), :nth(1 of opening)
    return "side"


def render_folio_layer(kinds: Sequence[str], numbers: Sequence[int], options: PdfOptions,
                       marks: bool = False) -> tuple[bytes, dict[str, str]]:
    """Return empty pages, one per kind (see RenderedChunk.folios), each showing its number, and their fonts.

    Pages alternate right and left from a right-hand page. With `marks`, the
    crop marks too (for a blank page of the book).
    """
    body = "".join(f'<div class="folio-{kind}" data-folio="{number}"></div>' for kind, number in zip(kinds, numbers))
    xhtml = f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title></title></head>' \
            f'<body>{body}</body></html>'
    return _written(xhtml, {}, options, None, title="", layer="folios", marks=marks)


def _folio_specimen(digits: int, options: PdfOptions) -> Stamps | None:
    """Return stamps for folios of up to so many digits, read from a specimen WeasyPrint lays out.

    The specimen shows a folio of each kind, side and length, then every digit.
    WeasyPrint lays out a margin box in milliseconds; a stamp costs microseconds.
    """
    pages: list[tuple[str, int, tuple[str, int, int] | None]] = []  # (kind, number shown, stamp key)
    for length in range(1, digits + 1):
        for key in [(kind, side, length) for kind in _KINDS for side in (0, 1)]:  # side 0: right
            if len(pages) % 2 != key[1]:
                pages.append(("none", 0, None))
            pages.append((key[0], int(STAMP_DIGITS[:length]), key))
    pages.append(("side", int(STAMP_DIGITS), None))
    specimen, fonts = render_folio_layer([p[0] for p in pages], [p[1] for p in pages], options)
    return Stamps.read(specimen, fonts, [p[2] for p in pages])


def _laid_out_folios(kinds: Sequence[str], first: int, options: PdfOptions) -> FolioLayer:
    """Return the folios of a run of pages starting on a right-hand page, laid out by WeasyPrint."""
    data, fonts = render_folio_layer(kinds, range(first, first + len(kinds)), options)
    return FolioLayer.of(data, fonts, [kind != "none" for kind in kinds])


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


def _draw_over(out: Pdf, resources: Dictionary, bbox: Array, pages: list[Dictionary],
               contents: Sequence[bytes | None]) -> None:
    """Draw each content stream over its page, as a Form XObject marked as a pagination artifact.

    The forms use `resources` (a template's first page's, shared by every part) and its page box `bbox`.
    """
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


_FOLIO_DIGITS = 6  # folios stamped up to 999,999
