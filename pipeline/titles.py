"""MediaWiki title rules and the ids we derive from titles."""
from __future__ import annotations

import hashlib
import html
import re
import unicodedata

from .text import fold_ascii

__all__ = ["normalize_title", "title_from_filename", "slugify", "unique"]

_SPACES = re.compile(r"[\s_]+")


def normalize_title(text: str) -> str:
    """Return the canonical form of a page title: how MediaWiki compares them.

    `_` and space are the same, HTML entities are decoded, Unicode is NFC
    (names on disk may be NFD) and the first letter is case-insensitive.
    """
    text = unicodedata.normalize("NFC", html.unescape(text))
    text = _SPACES.sub(" ", text).strip()
    if not text:
        return ""
    first = text[0].upper()
    # 'ß'.upper() is 'SS': MediaWiki keeps such letters as they are.
    return (first if len(first) == 1 else text[0]) + text[1:]


def title_from_filename(name: str) -> str:
    """Return the page title a file name stands for (`Workers'_Council.md`)."""
    stem = name.rsplit("/", 1)[-1]
    if stem.lower().endswith(".md"):
        stem = stem[:-3]
    return normalize_title(stem)


def slugify(text: str) -> str:
    """Return an ASCII id fragment for `text`; a short hash when nothing is left."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold_ascii(text)).strip("-")
    if slug:
        return slug[:80].rstrip("-")
    return "h" + hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:8] if text else ""


def unique(base: str, taken: set[str]) -> str:
    """Return `base`, or `base-2`, `base-3`… whichever is not in `taken`; record it."""
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    taken.add(candidate)
    return candidate
