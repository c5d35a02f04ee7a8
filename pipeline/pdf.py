"""The print PDF builder (WeasyPrint, CSS paged media).

Notes become footnotes at the foot of the page that cites them; the book is
set in the typeface shipped in `templates/fonts/`, so every machine lays out
the same pages. WeasyPrint fetches nothing but the book's own images and the
project's own fonts and CSS: its URL fetcher refuses every other address, so
no page can make the build read a local file or reach the network.

WeasyPrint lays out on one core, holds the whole document in memory and slows
down more than in proportion to its length, so the chapters are rendered in
chunks, in parallel processes (`plan_chunks`, `render_chunk`). A chunk depends
on nothing outside it but fixed options, so an unchanged chunk can be reused;
its page numbers are left out, since they depend on every chunk before it.
`assemble_pdf` then renders the front and back matter with the page numbers
now known, a folio layer for each chunk, and has `pdfmerge` join it all into
one document: continuous folios, links, outline, destinations, tags, each
font and image once.
"""
from __future__ import annotations

import copy
import hashlib
import inspect
import io
import multiprocessing
import os
import re
import shutil
import textwrap
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import pydyf
import weasyprint
from fontTools.ttLib import TTFont
from lxml import etree
from markupsafe import Markup
from weasyprint import CSS, HTML
from weasyprint import pdf as _pdf
from weasyprint.document import Document
from weasyprint.formatting_structure.boxes import Box
from weasyprint.layout import LayoutContext
from weasyprint.layout import block as _block
from weasyprint.layout.page import PageType
from weasyprint.pdf import VARIANTS
from weasyprint.pdf import fonts as _fonts
from weasyprint.pdf import tags as _tags
from weasyprint.text.fonts import FontConfiguration, get_hb_object_data
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .html import media_type
from .model import Book, BookMeta, Chapter, Note, image_names
from .model import Part as BookPart
from .pdfmerge import ANCHOR_SCHEME, STAMP_DIGITS, Anchor, Bookmark, FolioLayer, Merger, Part, Stamps, describe
from .math import print_math
from .render import (TEMPLATES, back_matter, body_matter, contents, environment, render_chapter, render_part,
                     rewrite_images, template_for)
from .reuse import Reuse
from .sanitize import parse_fragment, to_xhtml

__all__ = ["build_pdf", "plan_chunks", "render_chunk", "chunk_digest", "assemble_pdf", "render_folio_layer",
           "render_whole", "fit_tables", "RenderedChunk", "Bookmark", "CHUNK_CHARS", "BookFetcher", "PdfOptions", "Paper", "PAPERS",
           "footnoted", "cores", "process_pool"]

_IMAGE_SCHEME = "wikibind-image:"


@dataclass(frozen=True)
class Paper:
    """A trimmed page size with the margins and type size that suit it (lengths in mm)."""

    size: str  # a CSS `size` value
    top: float
    bottom: float
    inner: float  # the binding side
    outer: float
    font_size: float  # pt
    width: float  # of the trimmed page, upright
    height: float
    landscape: str  # the CSS `size` of the page turned on its side, for a table too wide for the upright one

    def measure(self, *, turned: bool = False) -> float:
        """The width of the text block in ems of the book's type, on an upright or a turned page."""
        return ((self.height if turned else self.width) - self.inner - self.outer) / 25.4 * 72 / self.font_size


PAPERS = {
    "a4": Paper("A4", top=24, bottom=26, inner=25, outer=30, font_size=11, width=210, height=297,
                landscape="A4 landscape"),
    "letter": Paper("letter", top=24, bottom=26, inner=25, outer=30, font_size=11, width=215.9, height=279.4,
                    landscape="letter landscape"),
    "a5": Paper("A5", top=16, bottom=19, inner=17, outer=15, font_size=9.5, width=148, height=210,
                landscape="A5 landscape"),
    "trade": Paper("6in 9in", top=17, bottom=20, inner=19, outer=16, font_size=10, width=152.4, height=228.6,
                   landscape="9in 6in"),
}


@dataclass(frozen=True)
class PdfOptions:
    """How the print PDF is made; the defaults give an A4 book for reading on screen or one-sided print."""

    paper: str = "a4"  # a key of PAPERS: a4, letter, a5, trade (6 × 9 in)
    duplex: bool = False  # two-sided: mirrored margins and heads, chapters open on a right-hand page
    crop_marks: bool = False  # 3 mm bleed with crop and cross marks, for a print shop
    toc_depth: int = 1  # contents lists chapters (1), or their sections to this heading level
    variant: str | None = "pdf/ua-1"  # a WeasyPrint pdf_variant; None for a plain PDF
    font: str = ""  # a font family installed on the machine for the text; "": the shipped Gentium Book Plus

    def __post_init__(self) -> None:
        if self.paper.lower() not in PAPERS:
            raise ValueError(f"unknown paper {self.paper!r}; choose one of {', '.join(PAPERS)}")
        if self.variant is not None and self.variant not in VARIANTS:
            raise ValueError(f"unknown PDF variant {self.variant!r}; choose one of {', '.join(VARIANTS)}")
        if not 1 <= self.toc_depth <= 3:
            raise ValueError("toc_depth must be 1, 2 or 3")


def _keep_footnotes_of_kept_lines(linebox_layout: Callable[..., tuple]) -> Callable[..., tuple]:
    """Wrap WeasyPrint 70's line layout so that no footnote is ever lost.

    To honour `orphans`, WeasyPrint may keep a line that overflows the page and
    make room by moving earlier footnotes to the next page; it then skips the
    footnotes that kept line itself calls, and those are never printed. After
    each call, lay out any footnote a kept line calls that is still waiting.
    """
    def wrapped(context: LayoutContext, box: Box, index: int, child: Box, new_children: list[Box],
                *args: object) -> tuple:
        result = linebox_layout(context, box, index, child, new_children, *args)
        abort = result[0]
        if new_children and context.footnotes and not abort:
            line = new_children[-1]
            for footnote in [d.footnote for d in line.descendants() if d.footnote in context.footnotes]:
                overflow = context.layout_footnote(footnote)
                if overflow or context.overflows_page(0, line.position_y + line.height):
                    context.report_footnote(footnote)  # on the next page, like any footnote that does not fit
                result[4].append(footnote)  # new_footnotes: undone if the caller gives up the box
        return result
    wrapped.__wrapped__ = linebox_layout
    return wrapped


@cache
def _advances(digest: bytes, content: bytes, index: int) -> tuple[int, ...]:
    """Return the advance width of every glyph of a font file (cached by digest: files are large)."""
    font = TTFont(io.BytesIO(content), fontNumber=index, lazy=True)
    metrics = font["hmtx"].metrics
    return tuple(metrics[name][0] for name in font.getGlyphOrder())


def _widths_from_the_font(init: Callable[..., None]) -> Callable[..., None]:
    """Wrap WeasyPrint 70's Font so that the widths it declares come from the font file.

    WeasyPrint declares the width a glyph had at the size it was first drawn
    at, rounded, and shifts every other use by the difference: one glyph is
    561 thousandths of an em wide in one document and 562 in another, and the
    subsets of a font that chunks embed could not share one width table. Taken
    from the font's advances, the widths are the same in every document.
    """
    def wrapped(self: _fonts.Font, *args: object) -> None:
        init(self, *args)
        if not self.bitmap and "hmtx" in self.tables:
            content = self.file_content
            advances = _advances(hashlib.sha256(content).digest(), content, self.index)
            self.widths = {gid: round(advance * 1000 / self.upem) for gid, advance in enumerate(advances)}
    wrapped.__wrapped__ = init
    return wrapped


def _declare_used_widths(build: Callable[..., object]) -> Callable[..., object]:
    """Wrap WeasyPrint 70's font dictionaries so that they declare the widths of used glyphs only."""
    def wrapped(pdf: object, fonts: dict, *args: object, **kwargs: object) -> object:
        for font in fonts.values():
            font.widths = {gid: width for gid, width in font.widths.items()
                           if gid in font.to_unicode or (gid == 0 and font.missing)}
        return build(pdf, fonts, *args, **kwargs)
    wrapped.__wrapped__ = build
    return wrapped


def _page_references(pdf: pydyf.PDF) -> tuple[bytes, ...]:
    """pydyf 0.13's PDF.page_references, made once per page count instead of at every call.

    WeasyPrint's tagging asks for it once per tagged element, and pydyf builds
    the reference of every page each time: quadratic in a chunk's pages.
    """
    kids = pdf.pages["Kids"]
    made = pdf.__dict__.get("_wikibind_page_references")
    if made is None or made[0] != len(kids):
        made = (len(kids), tuple(f"{number} 0 R".encode("ascii") for number in kids[::3]))
        pdf.__dict__["_wikibind_page_references"] = made
    return made[1]


def _tag_languages(build: Callable[..., Iterator]) -> Callable[..., Iterator]:
    """Wrap WeasyPrint 70's structure tree so that an element with a `lang` says so (/Lang).

    WeasyPrint writes the document's language only: a chapter in another
    language would be read aloud with the book's voice.
    """
    def wrapped(box: Box, parent: pydyf.Dictionary, *args: object) -> Iterator:
        own = getattr(box, "_box", box)  # an absolutely placed box comes wrapped
        element = getattr(own, "element", None)
        lang = element.get("lang") if element is not None and getattr(own, "element_tag", None) not in (
            "html", "body") else None
        for made in build(box, parent, *args):
            if lang and "Lang" not in made:
                made["Lang"] = pydyf.String(lang)
            yield made
    wrapped.__wrapped__ = build
    return wrapped


def _without_evicting_footnotes(linebox_layout: Callable[..., tuple]) -> Callable[..., tuple]:
    """WeasyPrint 70's line layout, changed so that it never sends a page's footnotes on to make room for a line.

    To keep a line that would leave too few lines (orphans, widows) on either
    page, WeasyPrint moves footnotes already on the page to the next one, away
    from their references. Here the line moves instead, by the same rule as
    when no footnote is in the way: a note stays on the page that cites it.
    """
    source = textwrap.dedent(inspect.getsource(linebox_layout))
    evicting = "report = not context.in_column and can_break_now and not could_break_before"
    if source.count(evicting) != 1:
        return linebox_layout  # another WeasyPrint: its own layout, and the tests count late footnotes
    namespace: dict[str, object] = {}
    exec(compile(source.replace(evicting, "report = False"), _block.__file__, "exec"), _block.__dict__, namespace)
    changed = namespace[linebox_layout.__name__]
    changed.__wrapped__ = linebox_layout  # inspect.unwrap gives WeasyPrint's own back
    return changed


if weasyprint.__version__.split(".")[0] == "70":  # checked against 70.0; tests catch a lost footnote
    _block._linebox_layout = _keep_footnotes_of_kept_lines(_without_evicting_footnotes(_block._linebox_layout))
    _fonts.Font.__init__ = _widths_from_the_font(_fonts.Font.__init__)  # tests compare chunks with one document
    _pdf.build_fonts_dictionary = _declare_used_widths(_pdf.build_fonts_dictionary)
    _tags._build_box_tree = _tag_languages(_tags._build_box_tree)
if pydyf.__version__ == "0.13.0":  # checked against it: its page_references is the one above, slower
    pydyf.PDF.page_references = property(_page_references)


class BookFetcher(URLFetcher):
    """Serves the book's images and files under `templates/`; refuses everything else."""

    def __init__(self, images: dict[str, bytes]) -> None:
        super().__init__(allowed_protocols={"file", "wikibind-image"})
        self.images = images
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        """Return the resource for `url`, or raise for anything not the book's own."""
        if url.startswith(_IMAGE_SCHEME) and url[len(_IMAGE_SCHEME):] in self.images:
            name = url[len(_IMAGE_SCHEME):]
            return URLFetcherResponse(url, self.images[name], {"Content-Type": media_type(name)})
        if url.startswith("file:"):
            path = Path(url.removeprefix("file://").split("?")[0]).resolve()
            if path.is_relative_to(TEMPLATES) and path.is_file():
                body = _sfnt(path) if path.suffix == ".woff" else path.read_bytes()
                return URLFetcherResponse(url, body)
        self.refused.append(url)
        raise ValueError(f"wikibind fetches only the book's own files, not {url!r}")


@cache
def _sfnt(path: Path) -> bytes:
    """Return a WOFF font decoded to a plain TrueType/OpenType font, its timestamp kept.

    WeasyPrint decodes WOFF itself, but stamps the font with the current time, so
    no two builds of a book would be the same bytes.
    """
    font = TTFont(path, recalcTimestamp=False)
    font.flavor = None
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


# Block elements a note may hold. A footnote sits inside the paragraph that cites
# it, where an HTML parser would close the paragraph at any block start tag, so
# they become spans the stylesheet displays as blocks (class `fn-<tag>`).
_BLOCKS = {"p", "div", "blockquote", "pre", "ul", "ol", "li", "dl", "dt", "dd", "figure",
           "figcaption", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "caption",
           "thead", "tbody", "tfoot", "tr", "th", "td"}


def _inline(xhtml: str) -> Markup:
    """Return block-level note XHTML as phrasing content: blocks become classed spans."""
    root = parse_fragment(xhtml)
    for el in root.iter("colgroup", "col"):
        el.getparent().remove(el)
    for el in root.iter(*_BLOCKS):
        for name in set(el.attrib) - {"lang", "dir"}:  # cell spans and alignment have no use here
            del el.attrib[name]
        el.set("class", f"fn-{el.tag}")
        el.tag = "span"
    return Markup(to_xhtml(root).strip())


def footnoted(chapter: Chapter) -> Chapter:
    """Return `chapter` with each cited note set as a footnote after its first reference.

    Later references keep linking to the note's id, which the footnote carries.
    Notes that nothing cites stay in `notes`, for the chapter's end.
    """
    # Before the footnotes come between them: references that follow each other get their separator.
    root = parse_fragment(chapter.html)
    refs = {a.get("id"): a for a in root.iter("a") if a.get("class") == "noteref"}
    template = environment().get_template("pdf/footnote.xhtml.j2")
    uncited: list[Note] = []
    for note in chapter.notes:
        first = refs.get(note.ref_ids[0]) if note.ref_ids else None
        if first is None:
            uncited.append(note)
            continue
        footnote = parse_fragment(template.render(note=note, body=_inline(note.html)))[0]
        call = first.getparent() if first.getparent().tag == "sup" else first
        footnote.tail, call.tail = call.tail, None
        call.addnext(footnote)
    return replace(chapter, html=to_xhtml(root), notes=uncited)


# --- tables that fit the text block ---------------------------------------------------------

# Type sizes a table may be set in (ems of the text; book.css: table, .table-small, .table-smaller),
# tried in turn until the table's narrowest layout fits; past the last, the table turns onto a
# landscape page, and a table too wide even there may break its words anywhere.
_TABLE_STEPS = ((0.85, ""), (0.75, "table-small"), (0.65, "table-smaller"))
_CHAR_EM = 0.55  # a generous average advance of a character of Gentium, in ems
_CELL_PADDING_EM = 1.2  # a cell's padding and rules, in ems of the table's type
_LONG = 16  # a word of more characters gets break opportunities after _ / . , & = ? and the like
_BREAK_AFTER = re.compile(r"([_/.,&=?;:\\)\]])(?=[^\s\u200b])")
_SEGMENT = re.compile(r"[^\s\u200b]+")
_PIECE = re.compile(r"[^\s\u200b\-\u2010\u2013\u2014]+[\-\u2010\u2013\u2014]?")  # a line may break after a dash


def fit_tables(xhtml: str, paper: Paper) -> str:
    """Mark each table with the type size, page and breaking that let it fit the text block (book.css).

    Long words in cells (file names, addresses) get break opportunities after
    their separators; the table's narrowest layout is estimated from its
    longest unbreakable piece per column.
    """
    if "<table" not in xhtml:
        return xhtml
    root = parse_fragment(xhtml)
    for table in list(root.iter("table")):
        if any(a.tag == "table" for a in table.iterancestors()):
            continue  # a nested table goes with the one holding it
        for cell in table.iter("td", "th", "caption"):
            for el in cell.iter():
                el.text = _soft_breaks(el.text) if el.text else el.text
                if el is not cell:
                    el.tail = _soft_breaks(el.tail) if el.tail else el.tail
        _keep_spanned_rows(table)
        needs = _column_needs(table)  # in ems of the table's own type
        need = sum(needs.values())
        classes = [c for c in (table.get("class") or "").split() if c]
        for size, name in _TABLE_STEPS:
            if need * size <= paper.measure():
                classes.append(name)
                break
        else:
            size, name = _TABLE_STEPS[-1]
            classes.append(name)
            turned = paper.measure(turned=True) / size
            parts = _split_columns(table, needs, turned) if need > turned else [(table, need)]
            # The page's name goes on a block around the table (book.css: .table-turned).
            wrapper = table.makeelement("div", {"class": "table-turned"})
            table.addprevious(wrapper)
            wrapper.tail, table.tail = table.tail, None
            for number, (part, width) in enumerate(parts):
                wrapper.append(part)
                # Only what fits nowhere, even split, breaks its words anywhere.
                squeezed = ["table-squeezed"] if width > turned else []
                if number:
                    part.set("class", " ".join([*classes, "table-part", *squeezed]))
                else:
                    classes += squeezed
        if any(classes):
            table.set("class", " ".join(c for c in classes if c))
    return to_xhtml(root)


def _split_columns(table: etree._Element, needs: dict[int, float],
                   measure: float) -> list[tuple[etree._Element, float]]:
    """Split a plain grid too wide for `measure` ems into tables of a few columns each, the first column in all.

    Returns the tables with the width each needs. A table with spanning
    cells, or rows of unequal length, cannot be cut cleanly and comes back whole.
    """
    whole = [(table, sum(needs.values()))]
    rows = [row for row in table.iter("tr") if next(row.iterancestors("table"), None) is table]
    cells = [[c for c in row if c.tag in ("td", "th")] for row in rows]
    width = len(needs)
    if width < 3 or any(len(r) != width for r in cells) or any(
            c.get("colspan") not in (None, "1") or c.get("rowspan") not in (None, "1") for r in cells for c in r):
        return whole
    groups: list[list[int]] = [[]]
    for column in range(1, width):
        if groups[-1] and needs[0] + sum(needs[c] for c in groups[-1]) + needs[column] > measure:
            groups.append([])
        groups[-1].append(column)
    if len(groups) < 2:
        return whole
    for colgroup in table.findall("colgroup"):  # its columns are no longer the table's
        table.remove(colgroup)
    parts = [copy.deepcopy(table) for _ in groups[1:]]
    for caption in (c for part in parts for c in part.findall("caption")):
        caption.getparent().remove(caption)  # the caption heads the first part only
    split = []
    for part, group in zip([table, *parts], groups):
        keep = {0, *group}
        for row in [r for r in part.iter("tr") if next(r.iterancestors("table"), None) is part]:
            for column, cell in enumerate([c for c in row if c.tag in ("td", "th")]):
                if column not in keep:
                    row.remove(cell)
        split.append((part, sum(needs[c] for c in keep)))
    return split


def _keep_spanned_rows(table: etree._Element) -> None:
    """Put the rows a rowspan joins in a row group of their own, which book.css keeps on one page.

    `tr { break-inside: avoid }` keeps a row whole, but a page may still fall
    between the rows of a cell that spans them.
    """
    for group in [g for g in table if g.tag == "tbody"]:
        rows = [row for row in group if row.tag == "tr"]
        if len(rows) != len(group) or not any(c.get("rowspan") not in (None, "1") for r in rows for c in r):
            continue
        runs: list[tuple[list[etree._Element], bool]] = []
        start, end = 0, 0
        for r, row in enumerate(rows):
            end = max(end, r + max((_span(c.get("rowspan")) for c in row if c.tag in ("td", "th")), default=1) - 1)
            if r == end:
                joined = end > start
                if joined or not runs or runs[-1][1]:
                    runs.append(([], joined))
                runs[-1][0].extend(rows[start:end + 1])
                start, end = r + 1, r + 1
        if start < len(rows):  # a rowspan reaching past the last row
            runs.append((rows[start:], True))
        if len(runs) < 2:
            if runs and runs[0][1]:
                group.set("class", "rows-kept")
            continue
        for members, joined in runs:
            part = group.makeelement("tbody", {"class": "rows-kept"} if joined else {})
            part.extend(members)
            group.addprevious(part)
        group.getparent().remove(group)


def _soft_breaks(text: str) -> str:
    """Put a zero-width space after the separators of each long word, where a line may then break."""
    if len(text) < _LONG:
        return text
    return _SEGMENT.sub(lambda m: _BREAK_AFTER.sub("\\1\u200b", m.group(0)) if len(m.group(0)) >= _LONG
                        else m.group(0), text)


def _column_needs(table: etree._Element) -> dict[int, float]:
    """Estimate the narrowest each column of a table can be, in ems of its type: its longest piece and padding."""
    widest: dict[int, int] = {}
    taken: dict[tuple[int, int], bool] = {}  # (row, column) held by a cell from a row above (rowspan)
    rows = [row for row in table.iter("tr")
            if next((a for a in row.iterancestors("table")), None) is table]
    for r, row in enumerate(rows):
        column = 0
        for cell in row:
            if cell.tag not in ("td", "th"):
                continue
            while taken.get((r, column)):
                column += 1
            span, down = _span(cell.get("colspan")), _span(cell.get("rowspan"))
            for dr in range(1, down):
                for dc in range(span):
                    taken[(r + dr, column + dc)] = True
            if span == 1:
                longest = max((len(m) for m in _PIECE.findall(_unbreakable_text(cell))), default=0)
                widest[column] = max(widest.get(column, 0), longest)
            else:
                for dc in range(span):
                    widest.setdefault(column + dc, 0)
            column += span
    return {column: chars * _CHAR_EM + _CELL_PADDING_EM for column, chars in sorted(widest.items())}


def _unbreakable_text(cell: etree._Element) -> str:
    """A cell's text, less what may break anywhere: links (book.css: a { overflow-wrap: anywhere })."""
    parts: list[str] = []

    def walk(el: etree._Element) -> None:
        if el.tag != "a":
            parts.append(el.text or "")
            for child in el:
                walk(child)
        parts.append(" ")
        parts.append(el.tail or "")

    walk(cell)
    return "".join(parts)


def _span(value: str | None) -> int:
    try:
        return min(max(int(value or 1), 1), 1000)
    except ValueError:
        return 1


# --- documents ----------------------------------------------------------------------------


def _css_string(text: str) -> Markup:
    """Return `text` as a quoted CSS string."""
    escaped = "".join(c if c.isprintable() and c not in '"\\' else f"\\{ord(c):x} " for c in text)
    return Markup(f'"{escaped}"')


def _stylesheets(options: PdfOptions, fetcher: BookFetcher, fonts: FontConfiguration, *, title: str,
                 heads: bool = True, folios: bool = True, layer: str | None = None,
                 marks: bool = True) -> list[CSS]:
    """Return the book's stylesheet and the page geometry `options` ask for (see page.css.j2)."""
    geometry = environment().get_template("pdf/page.css.j2").render(
        paper=PAPERS[options.paper.lower()], duplex=options.duplex, crop_marks=options.crop_marks, marks=marks,
        heads=heads, folios=folios, layer=layer, book_title=_css_string(title),
        font=_css_string(options.font) if options.font else "")
    return [CSS(filename=str(TEMPLATES / "pdf" / "book.css"), url_fetcher=fetcher, font_config=fonts),
            CSS(string=geometry, url_fetcher=fetcher, font_config=fonts)]


def _html(meta: BookMeta, sections: Sequence[str], *, front: bool, toc: Sequence = (), count: int = 0,
          font: str = "") -> str:
    """Return one document of the book: the front matter and/or some sections (chapters, back matter)."""
    page = template_for("book.html.j2", "pdf").render(meta=meta, contents=toc, sections=sections, count=count,
                                                       front=front, font=font or "Gentium Book Plus")
    return rewrite_images(page, lambda name: _IMAGE_SCHEME + name)


_ID = re.compile(r'\sid="([^"]+)"')
_HREF = re.compile(r'href="#([^"]+)"')


def _link_out(xhtml: str, page_of: Callable[[str], str | None] = lambda anchor: None) -> str:
    """Point each link to an anchor this document lacks at ANCHOR_SCHEME, with the target's page when known.

    WeasyPrint drops a link to a missing anchor; a URI survives, and assembly
    turns it back into a link to the destination in another part. `data-page`
    is what `target-counter` would say, for book.css.
    """
    here = set(_ID.findall(xhtml))

    def link(match: re.Match[str]) -> str:
        anchor = match.group(1)
        if anchor in here:
            return match.group(0)
        page = page_of(anchor)
        return f'href="{ANCHOR_SCHEME}{anchor}"' + (f' data-page="{page}"' if page else "")

    return _HREF.sub(link, xhtml)


@contextmanager
def _laid_out(xhtml: str, images: dict[str, bytes], options: PdfOptions, **page: object) -> Iterator[Document]:
    """Lay out one document, to be written inside the block; `page` goes to page.css.j2 (title, heads, folios, ...).

    WeasyPrint copies the fonts of @font-face rules (3.5 MB for the book's) to a
    temporary folder that only a finaliser removes, and a worker process that
    ends never runs it: the folder is removed on leaving the block instead.
    """
    fetcher = BookFetcher(images)
    fonts = FontConfiguration()  # without it WeasyPrint ignores @font-face
    try:
        yield HTML(string=xhtml, base_url=str(TEMPLATES / "pdf") + "/", url_fetcher=fetcher).render(
            stylesheets=_stylesheets(options, fetcher, fonts, **page), font_config=fonts)
    finally:
        folder, fonts._folder = getattr(fonts, "_folder", None), None  # WeasyPrint 70's name for it
        if folder:
            shutil.rmtree(folder, ignore_errors=True)


def _written(xhtml: str, images: dict[str, bytes], options: PdfOptions, variant: str | None, identifier: str = "",
             **page: object) -> tuple[bytes, dict[str, str]]:
    """Lay out and write one document (see _laid_out, _write)."""
    with _laid_out(xhtml, images, options, **page) as document:
        return _write(document, variant, identifier)


def _write(document: Document, variant: str | None, identifier: str = "") -> tuple[bytes, dict[str, str]]:
    """Return the document's PDF, and for each font it embeds (by BaseFont) a digest of the font file.

    Subsets of one font file made by different documents can be united; the
    digest tells which they are (a name alone does not: WeasyPrint names a font
    by its description, and several files may share one).
    """
    digests: dict[str, str] = {}

    def note_fonts(doc: Document, _pdf: object) -> None:
        for font in doc.fonts.values():
            digests[font.name.decode("latin-1")] = hashlib.sha256(get_hb_object_data(font.hb_face)).hexdigest()[:32]

    data = document.write_pdf(pdf_variant=variant, pdf_identifier=identifier.encode("utf-8") or None,
                              finisher=note_fonts)
    return data, digests


# --- chunks of chapters -------------------------------------------------------------------

# Characters of chapter markup per chunk, on average: about 35 A4 pages. A chunk
# this size costs WeasyPrint's fixed costs a few per cent, and a book of a few
# hundred pages still makes enough chunks to keep two or four cores busy.
CHUNK_CHARS = 100_000


def _size(chapter: Chapter) -> int:
    """Return how much there is to lay out in a chapter, in characters of markup."""
    return len(chapter.html) + sum(len(note.html) for note in chapter.notes)


def _draw(chapter: Chapter) -> float:
    """Return a number in [0, 1) that depends on the chapter's id alone."""
    return int.from_bytes(hashlib.blake2b(chapter.id.encode("utf-8"), digest_size=8).digest(), "big") / 2 ** 64


def plan_chunks(book: Book, *, chunk_chars: int = CHUNK_CHARS) -> list[list[int]]:
    """Return runs of chapter indices to render as chunks, cut where the content says.

    A chunk ends after a chapter with a chance proportional to that chapter's
    size, drawn from a hash of its id, once the chunk holds half the target
    (and always at three times the target). So an edit, an added or a removed
    chapter moves at most the boundaries next to it, and the plan depends on
    neither the machine nor the number of workers: the same book gives the same
    chunks, hence the same bytes, everywhere.
    """
    plan: list[list[int]] = []
    run: list[int] = []
    size = 0
    for index, chapter in enumerate(book.chapters):
        run.append(index)
        size += _size(chapter)
        if size >= 3 * chunk_chars or (size >= chunk_chars // 2 and _draw(chapter) < 2 * _size(chapter) / chunk_chars):
            plan.append(run)
            run, size = [], 0
    if run:
        plan.append(run)
    return plan


@dataclass(frozen=True)
class RenderedChunk:
    """A chunk of chapters rendered on its own, with what assembly needs to know of it (picklable)."""

    chapters: tuple[str, ...]  # ids of its chapters (none for a section of the back matter)
    pdf: bytes  # as WeasyPrint wrote it, without page numbers; links leaving the chunk are ANCHOR_SCHEME URIs
    folios: tuple[str, ...]  # per page, where its number goes: "open" (a chapter's first page), "side", "none"
    anchors: dict[str, Anchor]  # every id on the chunk's pages -> (page index in the chunk, x, y)
    outline: tuple[Bookmark, ...]  # its chapters and their h2, h3; page indices in the chunk
    fonts: dict[str, str]  # BaseFont -> digest of the font file the embedded subset comes from

    @property
    def pages(self) -> int:
        """How many pages the chunk has."""
        return len(self.folios)


def render_chunk(book: Book, chapter_indices: Iterable[int], options: PdfOptions = PdfOptions()) -> RenderedChunk:
    """Render some chapters as a document of their own, their page numbers left to assembly.

    The result depends only on those chapters (and the title page of a part
    that one of them opens), the images they show, the book's title and
    language, and `options`: a digest of these is a sound cache key.
    """
    indices = tuple(chapter_indices)
    opens = {part.chapter_ids[0]: part for part in book.parts if part.chapter_ids}
    sections = []
    for i in indices:
        chapter = book.chapters[i]
        if chapter.id in opens:  # a part's title page goes with its first chapter
            sections.append(render_part(opens[chapter.id], flavour="pdf"))
        sections.append(render_chapter(footnoted(chapter), flavour="pdf"))
    paper = PAPERS[options.paper.lower()]
    sections = [fit_tables(section, paper) for section in sections]
    sections, images = _with_math_images(sections, book.images)
    xhtml = _link_out(_html(book.meta, sections, front=False))
    rendered = _render_unnumbered((xhtml, images, options, book.meta.title))
    return replace(rendered, chapters=tuple(book.chapters[i].id for i in indices))


def _with_math_images(sections: list[str], images: dict[str, bytes]) -> tuple[list[str], dict[str, bytes]]:
    """Show each formula of the sections as an SVG image (WeasyPrint lays out no MathML); add the images."""
    drawn: dict[str, bytes] = {}
    out = []
    for section in sections:
        section, its_images = print_math(section)
        out.append(section)
        drawn.update(its_images)
    return out, ({**images, **drawn} if drawn else images)


def chunk_digest(book: Book, chapter_indices: Iterable[int], options: PdfOptions = PdfOptions()) -> str:
    """Return a digest of everything `render_chunk` reads for these chapters: a cache key for its result.

    (Add a digest of the code that renders, as for any cached step.)
    """
    indices = tuple(chapter_indices)
    opens = {part.chapter_ids[0]: part for part in book.parts if part.chapter_ids}
    digest = hashlib.sha256(repr((options, book.meta.title, book.meta.language)).encode())
    for i in indices:
        chapter = book.chapters[i]
        digest.update(repr((chapter, opens.get(chapter.id))).encode())  # content, not position
        shown = {name for text in (chapter.html, *(note.html for note in chapter.notes))
                 for name in image_names(text)}  # footnotes are laid out in the chunk too
        for name in sorted(shown):
            digest.update(name.encode() + hashlib.sha256(book.images.get(name, b"")).digest())
    return digest.hexdigest()


def _render_unnumbered(job: tuple[str, dict[str, bytes], PdfOptions, str]) -> RenderedChunk:
    """Render a document of chapters or back matter without folios (a picklable job for a process pool)."""
    xhtml, images, options, title = job
    with _laid_out(xhtml, images, options, title=title, folios=False) as document:
        data, fonts = _write(document, options.variant)
        folios = [_folio_kind(page._page_box.page_type) for page in document.pages]
    if folios and document.pages[-1]._page_box.page_type.blank:
        # Footnotes pushed on from the page before: WeasyPrint calls the page blank at the end of a
        # document; in the book it is an ordinary page (its running heads are lost, its number is not).
        folios[-1] = "side"
    _, anchors, outline = describe(data)
    return RenderedChunk((), data, tuple(folios), anchors, outline, fonts)


def _folio_kind(page_type: PageType) -> str:
    """Return where page.css.j2 puts the number of a page of this type, in a chapter or the back matter."""
    # A turned page (a wide table) keeps its number in the book's count but shows none: the folio
    # layer is drawn for upright pages.
    if page_type.blank or page_type.name in ("part", "part-opening", "turned"):
        return "none"
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
        for key in [(kind, side, length) for kind in ("open", "side") for side in (0, 1)]:  # side 0: right
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


def _render_numbered(xhtml: str, options: PdfOptions, title: str, identifier: str) -> tuple[bytes, dict[str, str]]:
    """Render a document with its own folios (the front matter): its PDF and font digests."""
    return _written(xhtml, {}, options, options.variant, identifier, title=title)


def _call(job: tuple[Callable[..., object], tuple]) -> object:
    """Run `function(*args)` (a picklable job for a process pool's map)."""
    function, args = job
    return function(*args)


# --- the whole book -----------------------------------------------------------------------


def assemble_pdf(book: Book, chunks: Sequence[RenderedChunk], options: PdfOptions = PdfOptions(), *,
                 mapper: Callable[..., Iterator] = map, reuse: Reuse | None = None) -> bytes:
    """Return the book made of its rendered chunks, in order.

    Renders what depends on the page numbers: the back matter (bibliography,
    index, article sources; each section a document of its own), then the
    front matter, whose contents now know every page; stamps the folios of the
    chapters and back matter; merges it all. Rendering goes through `mapper`
    (e.g. a process pool's map, which starts every job at once), so this
    process does no layout and merges the chapters while the rest is rendered.
    Arabic numbers start at 1 with the first chapter; two-sided, each chunk
    and back section opens on a right-hand page. With `reuse`, a page of front
    or back matter whose markup (page numbers included) did not change is not
    laid out again.
    """
    reuse = reuse or Reuse()

    def laid_out(jobs: list[tuple[Callable[..., object], tuple]]) -> Iterator:
        return reuse.each([("pdf", function.__name__, args) for function, args in jobs],
                          lambda missing: mapper(_call, [jobs[i] for i in missing]))

    right = options.duplex
    folio_of: dict[str, str] = {}  # anchor -> the folio of its page
    runs: list[tuple[RenderedChunk, int] | None] = []  # after the front matter: (part, first folio); None: blank
    length = 0  # pages from chapter 1 on

    def place(piece: RenderedChunk) -> None:
        nonlocal length
        if right and length % 2:
            runs.append(None)
            length += 1
        runs.append((piece, length + 1))
        for anchor, (page, _, _) in piece.anchors.items():
            folio_of.setdefault(anchor, str(length + 1 + page))
        length += piece.pages

    for chunk in chunks:
        place(chunk)
    helpers = laid_out([(_folio_specimen, (_FOLIO_DIGITS, options)),
                        (render_folio_layer, (("none",), (0,), options, True))])
    back = laid_out([(_render_unnumbered, ((_link_out(_html(book.meta, shown, front=False), folio_of.get), images,
                                            options, book.meta.title),))
                     for _, _, xhtml in back_matter(book, flavour="pdf", reuse=reuse)
                     for shown, images in [_with_math_images([xhtml], {})]])
    stamps, (blank, _) = helpers

    merger = Merger()
    dests: dict[str, tuple[int, float, float]] = {}  # page indices from chapter 1 for now
    outline: list[Bookmark] = []

    def add(run: tuple[RenderedChunk, int] | None) -> None:
        if run is None:
            merger.add(Part(blank, blank=True))
            return
        piece, first = run
        layer = stamps.layer(piece.folios, first) if stamps is not None else \
            next(laid_out([(_laid_out_folios, (piece.folios, first, options))]))  # proportional figures
        merger.add(Part(piece.pdf, piece.fonts, folios=layer))
        for anchor, (page, x, y) in piece.anchors.items():
            dests.setdefault(anchor, (first - 1 + page, x, y))  # the first of two equal ids, as WeasyPrint
        outline.extend(entry.moved(first - 1) for entry in piece.outline)

    for run in runs:  # the chapters, while the back matter is rendered
        add(run)
    done = len(runs)
    for piece in back:
        place(piece)
    for run in runs[done:]:
        add(run)

    xhtml = _link_out(_html(book.meta, [], front=True, font=options.font, toc=contents(book, depth=options.toc_depth),
                            count=len(book.chapters)), folio_of.get)
    ((front, front_fonts),) = laid_out([(_render_numbered, (xhtml, options, book.meta.title, book.meta.identifier))])
    front_pages, front_anchors, front_outline = describe(front)
    merger.add(Part(front, front_fonts), at=0)
    start = front_pages
    if right and front_pages % 2 and runs:
        merger.add(Part(blank, blank=True), at=start)  # chapter 1 on a right-hand page; still roman
        start += 1
    dests = {**front_anchors, **{a: (start + page, x, y) for a, (page, x, y) in dests.items()
                                 if a not in front_anchors}}
    outline = [*front_outline, *(entry.moved(start) for entry in outline)]
    labels = [(0, "r")] + ([(start, "D")] if runs else [])
    return merger.finish(dests=dests, outline=outline, labels=labels, identifier=book.meta.identifier)


_FOLIO_DIGITS = 6  # folios stamped up to 999,999


_ADOPTED: tuple[Book, PdfOptions] | None = None  # the book a pool worker renders chunks of


def _adopt(book: Book, options: PdfOptions) -> None:
    """Keep the book in a pool worker (forked: nothing is pickled)."""
    global _ADOPTED
    _ADOPTED = (book, options)


def _render_adopted(indices: list[int]) -> RenderedChunk:
    """Render a chunk of the adopted book."""
    assert _ADOPTED is not None
    book, options = _ADOPTED
    return render_chunk(book, indices, options)


def cores() -> int:
    """Return how many cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@contextmanager
def process_pool(workers: int, **kwargs: object) -> Iterator[ProcessPoolExecutor]:
    """Yield a pool of `workers` forked processes (nothing is copied to them); on failure, stop their work."""
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ProcessPoolExecutor(workers, mp_context=context, **kwargs) as pool:
        try:
            yield pool
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)  # a failed part fails the book: stop the rest
            raise


def build_pdf(book: Book, options: PdfOptions = PdfOptions(), *, workers: int | None = None,
              chunk_chars: int = CHUNK_CHARS) -> bytes:
    """Return the book as a tagged, print-ready PDF, its chapters rendered by `workers` processes.

    `workers` defaults to one per core; 1 renders every chunk in this process.
    The bytes depend on neither.
    """
    plan = plan_chunks(book, chunk_chars=chunk_chars)
    # More processes than chunks only help the back matter, a few sections rendered side by side.
    workers = min(workers or cores(), len(plan) + 2)
    if workers <= 1 or not plan:
        return assemble_pdf(book, [render_chunk(book, indices, options) for indices in plan], options)
    with process_pool(workers, initializer=_adopt, initargs=(book, options)) as pool:
        # The largest chunks first, so that no worker is left alone with a big one at the end.
        order = sorted(range(len(plan)), key=lambda k: -sum(_size(book.chapters[i]) for i in plan[k]))
        futures = {k: pool.submit(_render_adopted, plan[k]) for k in order}
        chunks = [futures[k].result() for k in range(len(plan))]
        return assemble_pdf(book, chunks, options, mapper=pool.map)


def render_whole(book: Book, options: PdfOptions = PdfOptions()) -> bytes:
    """Return the book laid out as one WeasyPrint document: the reference the chunked build is held to."""
    sections = [render_part(item, flavour="pdf") if isinstance(item, BookPart) else
                render_chapter(footnoted(item), flavour="pdf") for item in body_matter(book)]
    sections += [xhtml for _, _, xhtml in back_matter(book, flavour="pdf")]
    sections = [fit_tables(section, PAPERS[options.paper.lower()]) for section in sections]
    sections, images = _with_math_images(sections, book.images)
    xhtml = _html(book.meta, sections, front=True, font=options.font, toc=contents(book, depth=options.toc_depth),
                  count=len(book.chapters))
    return _written(xhtml, images, options, options.variant, book.meta.identifier, title=book.meta.title)[0]
