"""The single self-contained HTML builder: CSS, JS and search index inline, images as data: URIs."""
from __future__ import annotations

import base64
import html
import json
import re
import string
from array import array
from bisect import insort
from collections import defaultdict
from collections.abc import Iterable
from functools import cache, lru_cache
from operator import sub

from lxml import html as lxml_html

from .media import media_type
from .model import Book, Chapter, Part, owner_of
from .render import (TEMPLATES, back_matter, body_matter, contents, environment, render_chapter, render_part,
                     rewrite_images)
from .reuse import Reuse
from .text import TAG as _TAG, fold_search as fold

__all__ = ["build_html", "fold", "search_units", "search_index"]


# A word is a run of letters and digits, as `[\p{L}\p{N}]+` in book.js.
_WORD = re.compile(r"[^\W_]+")
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_SECTIONS = "\x00sections\x00"  # where the page's sections go: no text or template holds a NUL
_BASE64 = string.ascii_uppercase + string.ascii_lowercase + string.digits + "+/"


def build_html(book: Book, reuse: Reuse | None = None) -> bytes:
    """Return the whole book as one HTML5 file that makes no request of any kind.

    `reuse` keeps chapters' markup and search text from an earlier build of the same book.
    """
    reuse = reuse or Reuse()  # without one, everything is made (and kept nowhere)

    def chapter(item: Chapter) -> bytes:
        return reuse.get(item, ("html",), lambda: render_chapter(item, flavour="html").encode("utf-8"))

    # Sections are kept and joined as UTF-8: a book's worth of text is not encoded again at each edit.
    sections = [render_part(item, flavour="html").encode("utf-8") if isinstance(item, Part) else chapter(item)
                for item in body_matter(book)]
    sections += [body.encode("utf-8") for _, _, body in back_matter(book, flavour="html", reuse=reuse)]
    tree = contents(book)
    toc = reuse.keep(("toc", tree), lambda: environment().get_template("html/toc.html.j2").render(entries=tree))
    # "<" never occurs in the index's words, but escaping it keeps "</script" out whatever the data.
    index = json.dumps(search_index(book, reuse), ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
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


def search_index(book: Book, reuse: Reuse | None = None) -> dict:
    """Return the inverted index book.js searches: anchors, and for each folded word the units holding it.

    `sections` lists anchors grouped by chapter as [owner, local part, ...] ("" is the chapter
    itself). A word's units are numbered in reading order and stored in `words` as the gaps
    between them, each a base64 variable-length number (as in source maps), or in `dense` as a
    base64 bitmap when that is shorter (common words). With `reuse`, the last build's index is
    brought up to date: only the words of units that changed are filed and encoded again.
    """
    reuse = reuse or Reuse()
    units: list[tuple[str, str]] = []  # (anchor, its words)
    for chapter in book.chapters:
        units += reuse.get(chapter, ("words",), lambda c=chapter: _words(_chapter_units(c)))
    units += reuse.keep(("words", book.bibliography),
                        lambda: _words((entry.id, _text(entry.html)) for entry in book.bibliography))
    texts = [text for _, text in units]
    postings, encoded, touched = _postings(texts, reuse.take("search index"))
    for word in touched:
        if word in postings:
            encoded[word] = _encode(postings[word], len(units))
        else:
            encoded.pop(word, None)
    reuse.leave("search index", (texts, postings, encoded))
    groups: list[list[str]] = []
    for anchor, _ in units:
        owner = owner_of(anchor)
        if not groups or groups[-1][0] != owner:
            groups.append([owner])
        groups[-1].append(anchor[len(owner) + 2:])
    ordered = sorted(encoded.items())
    return {"sections": groups, "words": {word: code for word, (dense, code) in ordered if not dense},
            "dense": {word: code for word, (dense, code) in ordered if dense}}


def _postings(texts: list[str], last: tuple | None) -> tuple[dict[str, array], dict[str, tuple[bool, str]],
                                                             set[str]]:
    """Each word's unit numbers, the encodings kept, and the words whose units are not the last build's.

    `last` is the last build's (texts, postings, encodings). With as many units, only the units
    whose words changed are filed again; otherwise (a unit more or less moves every number after
    it, or there is no last build) every unit is, and every word is touched.
    """
    if last is not None and len(last[0]) == len(texts):
        before, postings, encoded = last
        touched: set[str] = set()
        for number, (old, new) in enumerate(zip(before, texts)):
            if old == new:
                continue
            old_words, new_words = set(old.split()), set(new.split())
            for word in old_words - new_words:
                postings[word].remove(number)
                if not postings[word]:
                    del postings[word]
            for word in new_words - old_words:
                insort(postings.setdefault(word, array("i")), number)
            touched |= old_words ^ new_words
        return postings, encoded, touched
    filed: defaultdict[str, list[int]] = defaultdict(list)
    for number, text in enumerate(texts):
        for word in text.split():
            filed[word].append(number)
    # Arrays, not lists: kept for the next build, they pickle as bytes, not int by int.
    return {word: array("i", numbers) for word, numbers in filed.items()}, {}, set(filed)


def _encode(numbers: array, count: int) -> tuple[bool, str]:
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
