"""The single self-contained HTML builder: CSS, JS and search index inline, images as data: URIs."""
from __future__ import annotations

import base64
import html
import json
import re
import string
from collections import defaultdict
from collections.abc import Iterable
from functools import cache, lru_cache
from operator import sub

from lxml import html as lxml_html

from .media import media_type
from .model import BibEntry, Book, Chapter, Each, Part, each, owner_of
from .render import (TEMPLATES, TocEntry, back_matter, body_matter, contents, environment, render_chapter,
                     render_part, rewrite_images)
from .text import TAG as _TAG, fold_search as fold

__all__ = ["build_html", "html_chapter", "html_toc", "fold", "search_units", "search_index", "chapter_words",
           "entry_words"]


# A word is a run of letters and digits, as `[\p{L}\p{N}]+` in book.js.
_WORD = re.compile(r"[^\W_]+")
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_SECTIONS = "\x00sections\x00"  # where the page's sections go: no text or template holds a NUL
_BASE64 = string.ascii_uppercase + string.ascii_lowercase + string.digits + "+/"


def build_html(book: Book, each: Each = each) -> bytes:
    """Return the whole book as one HTML5 file that makes no request of any kind.

    Chapters, back matter, contents and search words are made through `each`
    (see model.Each), each from exactly what it shows.
    """
    # Sections are joined as UTF-8: a book's worth of text is not encoded again at each edit.
    chapters = iter(each(html_chapter, [(c,) for c in book.chapters]))
    sections = [render_part(item, flavour="html").encode("utf-8") if isinstance(item, Part) else next(chapters)
                for item in body_matter(book)]
    sections += [body.encode("utf-8") for _, _, body in back_matter(book, flavour="html", each=each)]
    (toc,) = each(html_toc, [(contents(book),)])
    # "<" never occurs in the index's words, but escaping it keeps "</script" out whatever the data.
    index = json.dumps(search_index(book, each), ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    page = environment().get_template("html/book.html.j2").render(
        meta=book.meta, toc=toc, count=len(book.chapters), sections=_SECTIONS,
        css=(TEMPLATES / "html" / "book.css").read_text(encoding="utf-8"),
        js=(TEMPLATES / "html" / "book.js").read_text(encoding="utf-8"), index=index)
    head, tail = page.encode("utf-8").split(_SECTIONS.encode("utf-8"))

    @cache  # an image shown twice is encoded once
    def data_uri(name: str) -> str:
        return f"data:{media_type(name)};base64," + base64.b64encode(book.images[name]).decode("ascii")

    def with_images(section: bytes) -> bytes:
        return rewrite_images(section.decode("utf-8"), data_uri).encode("utf-8") if b"<img " in section else section

    return b"".join([head, *(with_images(section) + b"\n" for section in sections), tail])


def html_chapter(chapter: Chapter) -> bytes:
    """A chapter's markup in the one-file HTML, UTF-8."""
    return render_chapter(chapter, flavour="html").encode("utf-8")


def html_toc(tree: list[TocEntry]) -> str:
    """The contents of the one-file HTML."""
    return environment().get_template("html/toc.html.j2").render(entries=tree)


def _text(markup: str) -> str:
    """The text of sanitised XHTML, as the browser's textContent gives it (no comments survive sanitising)."""
    return html.unescape(_TAG.sub("", markup))


def search_units(book: Book) -> list[tuple[str, str]]:
    """Return what search finds, in reading order: (anchor, plain text) per section, note and source.

    A section runs from a heading with an id to the next one, as book.js cuts the page for snippets.
    """
    units: list[tuple[str, str]] = []
    for chapter in book.chapters:
        units += _chapter_units(chapter)
    units.extend((entry.id, _text(entry.html)) for entry in book.bibliography)
    return units


def _chapter_units(chapter: Chapter) -> list[tuple[str, str]]:
    """A chapter's search units: one per section, one per note."""
    units: list[tuple[str, str]] = []
    anchor, parts = chapter.id, [chapter.title]
    body = lxml_html.fragment_fromstring(chapter.html, create_parent="div") if chapter.html.strip() else []
    for element in body:
        if not isinstance(element.tag, str):  # a comment: not text, and not in the page's textContent
            continue
        if element.tag in _HEADINGS and element.get("id"):
            units.append((anchor, " ".join(parts)))
            anchor, parts = element.get("id"), []
        parts.append(element.text_content())
    units.append((anchor, " ".join(parts)))
    units.extend((note.id, _text(note.html)) for note in chapter.notes)
    return units


@lru_cache(maxsize=1 << 16)  # gaps recur: a cache beats a table of every gap there can be
def _vlq(number: int) -> str:
    # Base64 digits of 5 bits, least significant first; 32 in a digit says another follows.
    digits = ""
    while number >= 32:
        digits += _BASE64[32 | number & 31]
        number >>= 5
    return digits + _BASE64[number]


def _words(units: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Each unit's distinct folded words, as search_index files them, in one string (quick to keep)."""
    return [(anchor, " ".join(set(_WORD.findall(fold(text))))) for anchor, text in units]


def search_index(book: Book, each: Each = each) -> dict:
    """Return the inverted index book.js searches: anchors, and for each folded word the units holding it.

    `sections` lists anchors grouped by chapter as [owner, local part, ...] ("" is the chapter
    itself). A word's units are numbered in reading order and stored in `words` as the gaps
    between them, each a base64 variable-length number (as in source maps), or in `dense` as a
    base64 bitmap when that is shorter (common words). Each chapter's words are found through
    `each` (see model.Each).
    """
    units: list[tuple[str, str]] = []  # (anchor, its words)
    for words in each(chapter_words, [(c,) for c in book.chapters]):
        units += words
    (bibliography,) = each(entry_words, [(book.bibliography,)])
    units += bibliography
    filed: defaultdict[str, list[int]] = defaultdict(list)
    for number, (_, text) in enumerate(units):
        for word in text.split():
            filed[word].append(number)
    groups: list[list[str]] = []
    for anchor, _ in units:
        owner = owner_of(anchor)
        if not groups or groups[-1][0] != owner:
            groups.append([owner])
        groups[-1].append(anchor[len(owner) + 2:])
    encoded = sorted((word, _encode(numbers, len(units))) for word, numbers in filed.items())
    return {"sections": groups, "words": {word: code for word, (dense, code) in encoded if not dense},
            "dense": {word: code for word, (dense, code) in encoded if dense}}


def chapter_words(chapter: Chapter) -> list[tuple[str, str]]:
    """A chapter's search units, each with its distinct folded words in one string."""
    return _words(_chapter_units(chapter))


def entry_words(entries: list[BibEntry]) -> list[tuple[str, str]]:
    """The bibliography's search units (one per entry), each with its distinct folded words."""
    return _words((entry.id, _text(entry.html)) for entry in entries)


def _encode(numbers: list[int], count: int) -> tuple[bool, str]:
    """(dense, code) of a word's unit numbers: their gaps as base64 VLQs, or a bitmap over all `count` units if shorter."""
    bitmap_size = 4 * -(-((count + 7) // 8) // 3)  # base64 characters of a bitmap over all units
    # Every gap takes a character at least: a word in more units than that is surely dense.
    if len(numbers) <= bitmap_size:
        gaps = "".join(map(_vlq, map(sub, numbers, [0, *numbers])))
        if len(gaps) <= bitmap_size:
            return False, gaps
    bits = bytearray((count + 7) // 8)
    for n in numbers:
        bits[n >> 3] |= 1 << (n & 7)
    return True, base64.b64encode(bits).decode("ascii")
