"""The print PDF builder (WeasyPrint, CSS paged media).

WeasyPrint fetches nothing but the book's own images and the project's own
fonts and CSS: its URL fetcher refuses every other address, so no page can
make the build read a local file or reach the network.
"""
from __future__ import annotations

import io
from pathlib import Path

from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .html import media_type
from .model import Book
from .render import TEMPLATES, contents, environment, render_bibliography, render_chapter, rewrite_images

__all__ = ["build_pdf", "BookFetcher"]

_IMAGE_SCHEME = "wikibind-image:"


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
                return URLFetcherResponse(url, path.read_bytes())
        self.refused.append(url)
        raise ValueError(f"wikibind fetches only the book's own files, not {url!r}")


def build_pdf(book: Book, *, paper: str = "A4") -> bytes:
    """Return the book as a tagged, print-ready PDF."""
    sections = [render_chapter(ch, flavour="pdf") for ch in book.chapters]
    if book.bibliography:
        sections.append(render_bibliography(book, flavour="pdf"))
    page = environment().get_template("pdf/book.html.j2").render(
        meta=book.meta, contents=contents(book, depth=1), sections=sections, count=len(book.chapters))
    page = rewrite_images(page, lambda name: _IMAGE_SCHEME + name)
    fetcher = BookFetcher(book.images)
    stylesheets = [CSS(filename=str(TEMPLATES / "pdf" / "book.css"), url_fetcher=fetcher),
                   CSS(string=f"@page {{ size: {paper}; }}")]
    document = HTML(string=page, base_url=str(TEMPLATES / "pdf") + "/", url_fetcher=fetcher).render(
        stylesheets=stylesheets)
    out = io.BytesIO()
    document.write_pdf(out, pdf_variant="pdf/ua-1", pdf_identifier=book.meta.identifier.encode("utf-8"))
    return out.getvalue()
