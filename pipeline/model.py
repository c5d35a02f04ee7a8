"""The one intermediate model: what flows from the cleaner to every builder.

Stages pass these values along and never reach back to the Markdown:

    SourceFile --clean--> Article --convert--> Fragment --assemble--> Book

Every anchor in a `Book` is a document-wide unique id. Chapter ids start with
``ch-``; an anchor inside a chapter is ``<chapter id>--<local part>``, so a
builder can tell from an id alone which chapter file holds it.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from functools import cache
from operator import attrgetter

__all__ = [
    "Problem", "SourceFile", "Article", "Fragment", "Section", "Note",
    "Chapter", "Citation", "BibEntry", "Book", "BookMeta", "Part", "IndexEntry", "owner_of", "Each", "each", "each_through", "Call", "cores",
    "image_refs", "image_names",
]


class Plain:
    """A dataclass pickled as its class and field values in order, not as a dict of attributes.

    It unpickles twice as fast, and a book is a hundred thousand of them,
    (un)pickled at every stage. All fields must be __init__ arguments.
    """

    def __reduce__(self) -> tuple[type, tuple]:
        """Pickle as a call of the class with every field's value."""
        return type(self), _field_values(type(self))(self)


@cache
def _field_values(cls: type) -> Callable[[object], tuple]:
    return attrgetter(*(f.name for f in fields(cls)))


@dataclass(frozen=True)
class Problem(Plain):
    """Something wrong with one input file, said so a person understands it."""

    file: str
    severity: str  # "error": the file was left out; "warning": it was used
    message: str

    def as_dict(self) -> dict[str, str]:
        """Return the report.json form."""
        return {"file": self.file, "severity": self.severity, "message": self.message}


@dataclass(frozen=True)
class SourceFile(Plain):
    """One file of the export as read from disk: its name and raw bytes."""

    name: str  # path relative to the source folder, POSIX separators
    data: bytes


@dataclass
class Article(Plain):
    """One wiki page with the export's damage undone.

    `markdown` is GitHub-flavoured Markdown in which every wikilink is
    ``<a href="wiki:Target#Section">text</a>`` and every note reference is
    ``<sup data-note="label"></sup>``; note bodies live in `notes`.
    """

    file: str
    title: str
    markdown: str = ""
    notes: dict[str, str] = field(default_factory=dict)  # label -> Markdown, source order
    categories: list[str] = field(default_factory=list)
    redirect: str | None = None  # target title when the page is a redirect
    problems: list[Problem] = field(default_factory=list)
    references: list[dict] = field(default_factory=list)  # CSL-JSON items its notes cite by key (read from wikitext)
    leftovers: dict[str, int] = field(default_factory=dict)  # wikitext removed or converted, by kind (leftovers.KINDS)
    interlanguage: list[str] = field(default_factory=list)  # "de:Seite" links taken out of the text
    category_page: str | None = None  # the category this page describes (a Category: page), not a chapter


@dataclass
class Section(Plain):
    """A heading inside a chapter."""

    level: int  # 2 for ##, 3 for ###, ...
    title: str  # plain text
    id: str


@dataclass
class Note(Plain):
    """A footnote of a chapter, numbered as in the source page."""

    label: str
    id: str
    html: str  # XHTML of the note's content (block level)
    text: str  # the note's Markdown source on one line, for the bibliography
    ref_ids: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # BibEntry ids it cites
    lost: bool = False  # the export lost its text: `html` says so, nothing is cited


@dataclass
class Fragment(Plain):
    """An article converted to XHTML, with its links not yet resolved.

    Wikilinks are still ``href="wiki:…"``; heading and note ids are already
    namespaced by `chapter_id`.
    """

    file: str
    title: str
    chapter_id: str
    html: str
    sections: list[Section]
    notes: list[Note]
    categories: list[str]
    problems: list[Problem] = field(default_factory=list)
    lang: str = ""  # language detected in the page's text (ISO 639-1), "" when unsure
    leftovers: dict[str, int] = field(default_factory=dict)  # wikitext removed or converted, by kind
    interlanguage: list[str] = field(default_factory=list)  # "de:Seite" links taken out of the text
    category_page: str | None = None  # the category this page describes: a part's introduction, not a chapter
    # Per note, its parsed citations (citations.parse_note_sources): parsed where the article is converted,
    # in parallel, and read by the bibliography alone.
    citations: list[tuple] = field(default_factory=list)


@dataclass
class Chapter(Plain):
    """A chapter of the book: XHTML body with every link resolved."""

    id: str
    title: str
    file: str  # the source file it came from
    html: str
    sections: list[Section]
    notes: list[Note]
    categories: list[str]
    aliases: list[str] = field(default_factory=list)  # redirect titles
    lang: str = ""  # BCP 47 tag when the chapter is not in the book's language ([book] languages or detected)


@dataclass
class Citation(Plain):
    """One note that cites a bibliography entry."""

    chapter_id: str
    chapter_title: str
    note_label: str
    note_id: str
    locator: str = ""  # the pages this note cites ("p. 29", "pp. 66–70"); empty: none given


@dataclass
class BibEntry(Plain):
    """One distinct source cited somewhere in the book."""

    id: str
    kind: str  # "work", "web" or "unparsed" (listed as written)
    html: str  # the formatted entry
    sort_key: tuple[str, ...]
    csl: dict
    cited_in: list[Citation] = field(default_factory=list)


@dataclass
class BookMeta(Plain):
    """Bibliographic facts about the book itself."""

    title: str = "Wiki Book"
    subtitle: str = ""
    authors: list[str] = field(default_factory=list)
    language: str = "en"
    publisher: str = ""
    rights: str = ""
    identifier: str = ""  # filled from the title when empty
    date: str = ""  # ISO 8601; filled from the sources when empty
    csl_style: str = ""  # a CSL style's XML (--csl); empty: the built-in Chicago author-date
    cover: str = ""  # the user's cover image, a file in the source folder; empty: a drawn cover
    html_theme: str = "auto"  # [html] theme of the one-file HTML: auto (the reader's system setting), light, dark
    page_languages: dict[str, str] = field(default_factory=dict)  # [book] languages: normalised title -> BCP 47 tag


@dataclass
class Part(Plain):
    """A part of the book: a titled run of consecutive chapters."""

    title: str
    id: str  # part-<slug>, unique in the book
    chapter_ids: list[str] = field(default_factory=list)  # in book order
    intro: str = ""  # XHTML of the category page that introduces it (parts by category); empty: none


@dataclass
class IndexEntry(Plain):
    """One term of the back-of-book index and the places it leads to."""

    term: str
    refs: list[str] = field(default_factory=list)  # anchors of what the term names (chapters, sections), book order
    category: list[str] = field(default_factory=list)  # ids of the chapters in a category of this name, book order


@dataclass
class Book(Plain):
    """Everything a builder needs, and nothing it would have to re-derive."""

    meta: BookMeta
    chapters: list[Chapter]
    bibliography: list[BibEntry]
    images: dict[str, bytes]  # name used in <img src="img:NAME"> -> file bytes
    stats: dict = field(default_factory=dict)  # counts for report.json
    problems: list[Problem] = field(default_factory=list)
    cover: bytes | None = None  # the user's cover image (BookMeta.cover), already checked
    parts: list[Part] = field(default_factory=list)  # empty: the chapters are not grouped in parts
    index: list[IndexEntry] = field(default_factory=list)  # sorted; empty: no index
    base_url: str = ""  # the live wiki's address of pages ([links] base_url); empty: none

    @property
    def slug(self) -> str:
        """File stem for the book's outputs."""
        from .titles import slugify

        return slugify(self.meta.title) or "book"


def image_refs(xhtml: str) -> Iterator[tuple[int, int, str]]:
    """Yield (start, end, NAME) for each `src="img:NAME"` of an <img> in sanitised XHTML.

    Only inside a tag: a page's text may hold those very characters (a quote
    is not escaped in text), never a tag (a "<" is).
    """
    at = xhtml.find("<img ")
    while at != -1:
        end = xhtml.find(">", at)
        if end == -1:
            return
        src = xhtml.find(' src="img:', at, end)
        close = xhtml.find('"', src + 10, end) if src != -1 else -1
        if close > src + 10:
            yield src + 1, close + 1, xhtml[src + 10:close]
        at = xhtml.find("<img ", end)


def image_names(xhtml: str) -> list[str]:
    """The names of the images sanitised XHTML shows, in order."""
    return [name for _, _, name in image_refs(xhtml)]


def owner_of(anchor: str) -> str:
    """Return the id of the chapter (or back-matter section) holding `anchor`."""
    return anchor.split("--", 1)[0]


# each(function, items, *shared) -> function(*item, *shared) for each item, in order (an iterable).
# The pipeline hands its work per item (chapter, page, section) to an `Each`, one pure function
# of exactly what it reads at a time: the caller decides how it is done (in this process, in a
# pool of processes, or remembered from an earlier build).
Each = Callable[..., Iterable]


def each(function: Callable[..., object], items: Sequence[tuple], *shared: object) -> list:
    """Return `function(*item, *shared)` for each item: the plain `Each`."""
    return [function(*item, *shared) for item in items]


def cores() -> int:
    """Return how many cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def each_through(mapper: Callable[..., Iterator]) -> Each:
    """An `Each` that runs every call through `mapper` (a process pool's map: all started at once)."""
    def apply(function: Callable[..., object], items: Sequence[tuple], *shared: object) -> Iterator:
        return mapper(Call(function, shared), items)
    return apply


class Call:
    """`function(*item, *shared)` as one picklable callable of `item`, for a process pool's map."""

    def __init__(self, function: Callable[..., object], shared: tuple) -> None:
        self.function, self.shared = function, shared

    def __call__(self, item: tuple) -> object:
        return self.function(*item, *self.shared)
