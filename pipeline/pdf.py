"""The print PDF builder (WeasyPrint, CSS paged media).

Notes become footnotes at the foot of the page that cites them; the book is
set in the typeface shipped in `templates/fonts/`, so every machine lays out
the same pages. WeasyPrint fetches nothing but the book's own images and the
project's own fonts and CSS: its URL fetcher refuses every other address, so
no page can make the build read a local file or reach the network.
"""
from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import weasyprint
from fontTools.ttLib import TTFont
from markupsafe import Markup
from weasyprint import CSS, HTML
from weasyprint.formatting_structure.boxes import Box
from weasyprint.layout import LayoutContext
from weasyprint.layout import block as _block
from weasyprint.pdf import VARIANTS
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .html import media_type
from .model import Book, Chapter, Note
from .render import (TEMPLATES, contents, environment, render_bibliography, render_chapter,
                     rewrite_images, template_for)
from .sanitize import parse_fragment, to_xhtml

__all__ = ["build_pdf", "BookFetcher", "PdfOptions", "Paper", "PAPERS", "footnoted"]

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


PAPERS = {
    "a4": Paper("A4", top=24, bottom=26, inner=25, outer=30, font_size=11),
    "letter": Paper("letter", top=24, bottom=26, inner=25, outer=30, font_size=11),
    "a5": Paper("A5", top=16, bottom=19, inner=17, outer=15, font_size=9.5),
    "trade": Paper("6in 9in", top=17, bottom=20, inner=19, outer=16, font_size=10),
}


@dataclass(frozen=True)
class PdfOptions:
    """How the print PDF is made; the defaults give an A4 book for reading on screen or one-sided print."""

    paper: str = "a4"  # a key of PAPERS: a4, letter, a5, trade (6 × 9 in)
    duplex: bool = False  # two-sided: mirrored margins and heads, chapters open on a right-hand page
    crop_marks: bool = False  # 3 mm bleed with crop and cross marks, for a print shop
    toc_depth: int = 1  # contents lists chapters (1), or their sections to this heading level
    variant: str | None = "pdf/ua-1"  # a WeasyPrint pdf_variant; None for a plain PDF

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


if weasyprint.__version__.split(".")[0] == "70":  # checked against 70.0; tests catch a lost footnote
    _block._linebox_layout = _keep_footnotes_of_kept_lines(_block._linebox_layout)


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


def _stylesheets(options: PdfOptions, fetcher: BookFetcher, fonts: FontConfiguration) -> list[CSS]:
    """Return the book's stylesheet and the page geometry `options` ask for."""
    geometry = environment().get_template("pdf/page.css.j2").render(
        paper=PAPERS[options.paper.lower()], duplex=options.duplex, crop_marks=options.crop_marks)
    return [CSS(filename=str(TEMPLATES / "pdf" / "book.css"), url_fetcher=fetcher, font_config=fonts),
            CSS(string=geometry, url_fetcher=fetcher, font_config=fonts)]


def build_pdf(book: Book, options: PdfOptions = PdfOptions()) -> bytes:
    """Return the book as a tagged, print-ready PDF."""
    sections = [render_chapter(footnoted(ch), flavour="pdf") for ch in book.chapters]
    if book.bibliography:
        sections.append(render_bibliography(book, flavour="pdf"))
    page = template_for("book.html.j2", "pdf").render(
        meta=book.meta, contents=contents(book, depth=options.toc_depth), sections=sections,
        count=len(book.chapters))
    page = rewrite_images(page, lambda name: _IMAGE_SCHEME + name)
    fetcher = BookFetcher(book.images)
    fonts = FontConfiguration()  # without it WeasyPrint ignores @font-face
    document = HTML(string=page, base_url=str(TEMPLATES / "pdf") + "/", url_fetcher=fetcher).render(
        stylesheets=_stylesheets(options, fetcher, fonts), font_config=fonts)
    out = io.BytesIO()
    document.write_pdf(out, pdf_variant=options.variant,
                       pdf_identifier=book.meta.identifier.encode("utf-8"))
    return out.getvalue()
