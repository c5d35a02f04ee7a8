"""One WeasyPrint document of the book: its markup, stylesheets, layout and writing."""
from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.util import Finalize

from markupsafe import Markup
from weasyprint import CSS, HTML
from weasyprint.document import Document
from weasyprint.text.fonts import FontConfiguration, get_hb_object_data

from ..math import print_math
from ..model import BookMeta
from ..render import TEMPLATES, environment, rewrite_images, template_for
from .patches import take_font_folder  # (importing it patches WeasyPrint, before anything is laid out)
from .fetch import IMAGE_SCHEME, BookFetcher
from .objects import ANCHOR_SCHEME
from .options import PAPERS, PdfOptions


def _css_string(text: str) -> Markup:
    """Return `text` as a quoted CSS string."""
    escaped = "".join(c if c.isprintable() and c not in '"\\' else f"\\{ord(c):x} " for c in text)
    return Markup(f'"{escaped}"')


class _Shared:
    """What every document laid out in one process shares: the fonts of @font-face rules and parsed stylesheets.

    Parsing book.css and registering its fonts costs a third of a second, as
    much as laying out a few pages, and a book is laid out as many documents.
    A forked process makes its own: fonts registered in its parent do not
    survive the fork whole (HarfBuzz loses their data). WeasyPrint copies the fonts to a temporary folder that
    only a finaliser removes, which a pool's worker never runs when it ends: it
    is removed when the process that made it exits (multiprocessing's
    finalisers run in workers too, each for its own process only).
    """

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.fonts = FontConfiguration()  # without it WeasyPrint ignores @font-face
        self.fetcher = BookFetcher({})  # stylesheets read the project's own files only
        self.book: CSS | None = None  # book.css
        self.geometries: dict[tuple, CSS] = {}
        Finalize(self, _remove_fonts, args=(self.fonts,), exitpriority=0)

    def stylesheets(self, options: PdfOptions, page: dict[str, object]) -> list[CSS]:
        """Return book.css and the page geometry for these options and page settings, parsed once."""
        if self.book is None:
            self.book = CSS(filename=str(TEMPLATES / "pdf" / "book.css"), url_fetcher=self.fetcher,
                            font_config=self.fonts)
        key = (options, tuple(sorted(page.items())))
        if key not in self.geometries:
            self.geometries[key] = _stylesheets(options, self.fetcher, self.fonts, **page)[1]  # type: ignore[arg-type]
        return [self.book, self.geometries[key]]


def _remove_fonts(fonts: FontConfiguration) -> None:
    """Remove the folder WeasyPrint copied a font configuration's fonts to."""
    folder = take_font_folder(fonts)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


_SHARED: _Shared | None = None


def _shared() -> _Shared:
    """Return this process's shared fonts and stylesheets (a forked process makes its own)."""
    global _SHARED
    if _SHARED is None or _SHARED.pid != os.getpid():
        if _SHARED is not None:  # the parent's: its folder is the parent's to remove, not this copy's finaliser
            take_font_folder(_SHARED.fonts)
        _SHARED = _Shared()
    return _SHARED


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
          font: str = "", volume: tuple[int, int] | None = None) -> str:
    """Return one document of the book: the front matter and/or some sections (chapters, back matter)."""
    page = template_for("book.html.j2", "pdf").render(meta=meta, contents=toc, sections=sections, count=count,
                                                       front=front, font=font or "Gentium Book Plus", volume=volume)
    return rewrite_images(page, lambda name: IMAGE_SCHEME + name)


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

    The stylesheets and their fonts are parsed once per process (`_Shared`).
    """
    shared = _shared()
    stylesheets = shared.stylesheets(options, page)
    yield HTML(string=xhtml, base_url=str(TEMPLATES / "pdf") + "/", url_fetcher=BookFetcher(images)).render(
        stylesheets=stylesheets, font_config=shared.fonts)


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


def _with_math_images(sections: list[str], images: dict[str, bytes]) -> tuple[list[str], dict[str, bytes]]:
    """Show each formula of the sections as an SVG image (WeasyPrint lays out no MathML); add the images."""
    drawn: dict[str, bytes] = {}
    out = []
    for section in sections:
        section, its_images = print_math(section)
        out.append(section)
        drawn.update(its_images)
    return out, ({**images, **drawn} if drawn else images)
