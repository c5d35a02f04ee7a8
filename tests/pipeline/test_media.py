"""The one table of image formats."""
from __future__ import annotations

from pipeline.epub import cover_format
from pipeline.media import IMAGE_SUFFIXES, media_type, sniff

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 8
WEBP = b"RIFF\x10\0\0\0WEBPVP8 "


def test_names_and_bytes_say_the_same_format() -> None:
    assert media_type("a/B.JPEG") == media_type("b.jpg") == "image/jpeg"
    assert media_type("formula.svg") == "image/svg+xml" and media_type("x.tiff") == "application/octet-stream"
    assert sniff(PNG).name == "PNG" and sniff(WEBP).name == "WebP" and sniff(b"GIF89a...").name == "GIF"
    assert sniff(b"<svg/>") is None and sniff(b"RIFF\0\0\0\0WAVE") is None
    assert ".svg" not in IMAGE_SUFFIXES and ".jpeg" in IMAGE_SUFFIXES


def test_a_cover_is_named_by_its_bytes() -> None:
    assert cover_format(PNG) == ("png", "image/png")
    assert cover_format(b"\xff\xd8\xff\xe0") == ("jpg", "image/jpeg")
    assert cover_format(WEBP) == ("webp", "image/webp")
