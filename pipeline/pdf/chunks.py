"""Chapters rendered in chunks: the plan, what a chunk sees of the book, its rendering."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace

from ..model import Book, BookMeta, Chapter, image_names
from ..render import render_chapter, render_part
from .documents import _html, _laid_out, _link_out, _with_math_images, _write
from .folios import _folio_kind
from .notes import footnoted
from .objects import Anchor, Bookmark, describe
from .options import PAPERS, PdfOptions
from .patches import page_type
from .tables import fit_tables

__all__ = ["CHUNK_CHARS", "RenderedChunk", "chunk_size", "chunk_view", "plan_chunks", "render_chunk", "render_view"]


# Characters of chapter markup per chunk, on average: about 35 A4 pages. A chunk
# this size costs WeasyPrint's fixed costs a few per cent, and a book of a few
# hundred pages still makes enough chunks to keep two or four cores busy.
CHUNK_CHARS = 100_000
_PAGE_CHARS = 2_900  # characters of markup an A4 page holds, about: CHUNK_CHARS makes ~35 pages


def chunk_size(options: PdfOptions) -> int:
    """Return the characters per chunk for these options: smaller when the book is cut into volumes.

    Volumes are cut between chunks, so a chunk is kept to about an eighth of a
    volume: a volume then ends close to its length, never inside a chapter.
    """
    if not options.volume_pages:
        return CHUNK_CHARS
    return max(1, min(CHUNK_CHARS, options.volume_pages * _PAGE_CHARS // 8))


def _size(chapter: Chapter) -> int:
    """Return how much there is to lay out in a chapter, in characters of markup."""
    return len(chapter.html) + sum(len(note.html) for note in chapter.notes)


def _draw(chapter: Chapter) -> float:
    """Return a number in [0, 1) that depends on the chapter's id alone."""
    return int.from_bytes(hashlib.blake2b(chapter.id.encode("utf-8"), digest_size=8).digest(), "big") / 2 ** 64


def plan_chunks(book: Book, *, chunk_chars: int = CHUNK_CHARS) -> list[list[int]]:
    """Return runs of chapter indices to render as chunks, cut where the content says.

    A chunk ends after a chapter with a chance proportional to that chapter's
    size, drawn from a hash of its id, once the chunk holds half the target
    (and always at three times the target). So an edit, an added or a removed
    chapter moves at most the boundaries next to it, and the plan depends on
    neither the machine nor the number of workers: the same book gives the same
    chunks, hence the same bytes, everywhere.
    """
    plan: list[list[int]] = []
    run: list[int] = []
    size = 0
    for index, chapter in enumerate(book.chapters):
        run.append(index)
        size += _size(chapter)
        if size >= 3 * chunk_chars or (size >= chunk_chars // 2 and _draw(chapter) < 2 * _size(chapter) / chunk_chars):
            plan.append(run)
            run, size = [], 0
    if run:
        plan.append(run)
    return plan


@dataclass(frozen=True)
class RenderedChunk:
    """A chunk of chapters rendered on its own, with what assembly needs to know of it (picklable)."""

    chapters: tuple[str, ...]  # ids of its chapters (none for a section of the back matter)
    pdf: bytes  # as WeasyPrint wrote it, without page numbers; links leaving the chunk are ANCHOR_SCHEME URIs
    folios: tuple[str, ...]  # per page, where its number goes: "open" (a chapter's first page), "side", "none"
    anchors: dict[str, Anchor]  # every id on the chunk's pages -> (page index in the chunk, x, y)
    outline: tuple[Bookmark, ...]  # its chapters and their h2, h3; page indices in the chunk
    fonts: dict[str, str]  # BaseFont -> digest of the font file the embedded subset comes from

    @property
    def pages(self) -> int:
        """How many pages the chunk has."""
        return len(self.folios)


def render_chunk(book: Book, chapter_indices: Iterable[int], options: PdfOptions = PdfOptions()) -> RenderedChunk:
    """Render some chapters as a document of their own, their page numbers left to assembly."""
    return render_view(chunk_view(book, chapter_indices), options)


def chunk_view(book: Book, chapter_indices: Iterable[int]) -> Book:
    """The book as a chunk of its chapters sees it: those chapters, the parts they open, the images they
    show (footnotes are laid out in the chunk too) and the book's title and language (running heads)."""
    chapters = [book.chapters[i] for i in chapter_indices]
    ids = {chapter.id for chapter in chapters}
    shown = {name for chapter in chapters for text in (chapter.html, *(note.html for note in chapter.notes))
             for name in image_names(text)}
    return Book(meta=BookMeta(title=book.meta.title, language=book.meta.language), chapters=chapters,
                bibliography=[], images={name: book.images[name] for name in sorted(shown) if name in book.images},
                parts=[part for part in book.parts if part.chapter_ids and part.chapter_ids[0] in ids])


def render_view(view: Book, options: PdfOptions = PdfOptions()) -> RenderedChunk:
    """Render every chapter of a view (see chunk_view) as a document of its own, without page numbers."""
    opens = {part.chapter_ids[0]: part for part in view.parts}
    sections = []
    for chapter in view.chapters:
        if chapter.id in opens:  # a part's title page goes with its first chapter
            sections.append(render_part(opens[chapter.id], flavour="pdf"))
        sections.append(render_chapter(footnoted(chapter), flavour="pdf"))
    paper = PAPERS[options.paper.lower()]
    sections = [fit_tables(section, paper) for section in sections]
    sections, images = _with_math_images(sections, view.images)
    xhtml = _link_out(_html(view.meta, sections, front=False))
    rendered = _render_unnumbered((xhtml, images, options, view.meta.title))
    return replace(rendered, chapters=tuple(chapter.id for chapter in view.chapters))


def _render_unnumbered(job: tuple[str, dict[str, bytes], PdfOptions, str]) -> RenderedChunk:
    """Render a document of chapters or back matter without folios (a picklable job for a process pool)."""
    xhtml, images, options, title = job
    with _laid_out(xhtml, images, options, title=title, folios=False) as document:
        data, fonts = _write(document, options.variant)
        folios = [_folio_kind(page_type(page)) for page in document.pages]
    if folios and page_type(document.pages[-1]).blank:
        # Footnotes pushed on from the page before: WeasyPrint calls the page blank at the end of a
        # document; in the book it is an ordinary page (its running heads are lost, its number is not).
        folios[-1] = "side"
    _, anchors, outline = describe(data)
    return RenderedChunk((), data, tuple(folios), anchors, outline, fonts)
