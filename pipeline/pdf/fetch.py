"""What WeasyPrint may read: the book's images and the project's own fonts and CSS, nothing else."""
from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont
from weasyprint.urls import URLFetcher, URLFetcherResponse

from ..media import media_type
from ..render import TEMPLATES

__all__ = ["BookFetcher", "IMAGE_SCHEME"]

IMAGE_SCHEME = "wikibind-image:"


class BookFetcher(URLFetcher):
    """Serves the book's images and files under `templates/`; refuses everything else."""

    def __init__(self, images: dict[str, bytes]) -> None:
        super().__init__(allowed_protocols={"file", "wikibind-image"})
        self.images = images
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        """Return the resource for `url`, or raise for anything not the book's own."""
        if url.startswith(IMAGE_SCHEME) and url[len(IMAGE_SCHEME):] in self.images:
            name = url[len(IMAGE_SCHEME):]
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
