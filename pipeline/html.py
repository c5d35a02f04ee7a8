"""The single self-contained HTML builder: CSS inline, images as data: URIs."""
from __future__ import annotations

import base64

from .model import Book
from .render import (TEMPLATES, contents, environment, render_bibliography, render_chapter,
                     rewrite_images)

__all__ = ["build_html", "MEDIA_TYPES", "media_type"]

MEDIA_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".gif": "image/gif", ".webp": "image/webp"}


def media_type(name: str) -> str:
    """Return the media type of an image by its name."""
    return MEDIA_TYPES.get("." + name.rsplit(".", 1)[-1].lower(), "application/octet-stream")


def build_html(book: Book) -> bytes:
    """Return the whole book as one HTML5 file that makes no request of any kind."""
    def data_uri(name: str) -> str:
        return f"data:{media_type(name)};base64," + base64.b64encode(book.images[name]).decode("ascii")

    sections = [render_chapter(ch, flavour="html") for ch in book.chapters]
    if book.bibliography:
        sections.append(render_bibliography(book, flavour="html"))
    page = environment().get_template("html/book.html.j2").render(
        meta=book.meta, contents=contents(book), sections=sections, count=len(book.chapters),
        css=(TEMPLATES / "html" / "book.css").read_text(encoding="utf-8"))
    return rewrite_images(page, data_uri).encode("utf-8")
