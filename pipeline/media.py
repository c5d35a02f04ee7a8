"""The image formats a book carries: file extensions, media type and how the bytes begin, in one table."""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ImageFormat", "IMAGE_FORMATS", "IMAGE_SUFFIXES", "media_type", "sniff"]


@dataclass(frozen=True)
class ImageFormat:
    """One image format: its name as told to a user, extensions (the first is the one written), media type, magic."""

    name: str
    extensions: tuple[str, ...]
    media_type: str
    magic: re.Pattern[bytes] | None  # how a file's bytes begin; None: never read from the source folder

    def matches(self, data: bytes) -> bool:
        """True when `data` begins as a file of this format does."""
        return self.magic is not None and self.magic.match(data) is not None


# Every EPUB 3 reader must show the four raster formats (core media types), which is why they are
# the ones read from the source folder; SVG is only what the PDF's formulas are drawn as.
IMAGE_FORMATS = (
    ImageFormat("PNG", (".png",), "image/png", re.compile(rb"\x89PNG\r\n\x1a\n")),
    ImageFormat("JPEG", (".jpg", ".jpeg"), "image/jpeg", re.compile(rb"\xff\xd8\xff")),
    ImageFormat("GIF", (".gif",), "image/gif", re.compile(rb"GIF8[79]a")),
    ImageFormat("WebP", (".webp",), "image/webp", re.compile(rb"RIFF....WEBP", re.S)),
    ImageFormat("SVG", (".svg",), "image/svg+xml", None),
)
# The extensions of the images read from the source folder.
IMAGE_SUFFIXES = tuple(ext for f in IMAGE_FORMATS if f.magic is not None for ext in f.extensions)
_BY_EXTENSION = {ext: f for f in IMAGE_FORMATS for ext in f.extensions}


def media_type(name: str) -> str:
    """Return the media type of an image file name, by its extension."""
    found = _BY_EXTENSION.get("." + name.rsplit(".", 1)[-1].lower())
    return found.media_type if found else "application/octet-stream"


def sniff(data: bytes) -> ImageFormat | None:
    """Return the format an image's bytes are in, if it is one the source folder may hold."""
    return next((f for f in IMAGE_FORMATS if f.matches(data)), None)
