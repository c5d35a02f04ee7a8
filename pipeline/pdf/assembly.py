"""The whole book: chunks rendered in parallel, then the front and back matter, folios, and the merge."""
from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import replace

from ..model import Book, Each, cores, each, each_through
from ..model import Part as BookPart
from ..render import back_matter, body_matter, contents, render_chapter, render_part
from .backmatter import split_section
from .chunks import CHUNK_CHARS, RenderedChunk, _render_unnumbered, _size, chunk_size, plan_chunks, render_chunk
from .documents import _html, _link_out, _with_math_images, _written
from .folios import _FOLIO_DIGITS, _folio_specimen, _laid_out_folios, render_folio_layer
from .merge import Merger, Part
from .notes import footnoted
from .objects import Bookmark, describe
from .options import PAPERS, PdfOptions
from .tables import fit_tables

__all__ = ["assemble_pdf", "assemble_volumes", "volume_name", "build_pdf", "build_volumes", "cores", "process_pool", "render_whole"]


def _render_numbered(xhtml: str, options: PdfOptions, title: str, identifier: str) -> tuple[bytes, dict[str, str]]:
    """Render a document with its own folios (the front matter): its PDF and font digests."""
    return _written(xhtml, {}, options, options.variant, identifier, title=title)


def _call(job: tuple[Callable[..., object], tuple]) -> object:
    """Run `function(*args)` (a picklable job for a process pool's map)."""
    function, args = job
    return function(*args)


# --- the whole book -----------------------------------------------------------------------

# Characters of markup per piece of a back-matter section (bibliography, index): a longer section is
# cut between its entries into pieces about this long (backmatter.split_section).
BACK_CHARS = 2 * CHUNK_CHARS


def assemble_pdf(book: Book, chunks: Sequence[RenderedChunk], options: PdfOptions = PdfOptions(), *,
                 each: Each = each) -> bytes:
    """Return the book made of its rendered chunks, in order, as one PDF (options.volume_pages is ignored).

    See `assemble_volumes`.
    """
    (pdf,) = assemble_volumes(book, chunks, replace(options, volume_pages=0), each=each)
    return pdf


def volume_name(book: Book, number: int) -> str:
    """Return the file name of a volume of the printed book (numbered from 1)."""
    return f"{book.slug}.vol{number}.pdf"


def assemble_volumes(book: Book, chunks: Sequence[RenderedChunk], options: PdfOptions = PdfOptions(), *,
                     each: Each = each) -> list[bytes]:
    """Return the book made of its rendered chunks, in order: one PDF, or a PDF per volume.

    Renders what depends on the page numbers: the back matter (bibliography,
    index, article sources; each section a document of its own), then the
    front matter, whose contents now know every page; stamps the folios of the
    chapters and back matter; merges it all. Rendering goes through `each`
    (see model.Each; e.g. `each_through(pool.map)`, which starts every job at
    once and gives results as they come), so this process does no layout and
    merges the chapters while the rest is rendered.
    Arabic numbers start at 1 with the first chapter; two-sided, each chunk
    and back section opens on a right-hand page.

    With `options.volume_pages`, the book is cut between chunks (so between
    chapters) into volumes of at most that many pages, front matter included;
    each volume has its own title page ("Volume 2 of 3"), the whole book's
    contents, its own outline and folios from 1; page references read
    "volume:page", and a link into another volume opens that volume's file
    (`volume_name`) at the anchor. Only a chunk longer than a volume by itself
    makes a volume longer.

    `chunks` is read twice, in order, one chunk at a time: a sequence that
    loads each chunk when indexed keeps one chunk in memory, not all of them.
    """
    def laid_out(jobs: list[tuple[Callable[..., object], tuple]]) -> Iterator:
        return iter(each(_call, [(job,) for job in jobs]))

    cut = options.volume_pages > 0
    right = options.duplex
    helpers = laid_out([(_folio_specimen, (_FOLIO_DIGITS, options)),
                        (render_folio_layer, (("none",), (0,), options, True))])
    budget = 0  # pages of a volume after its front matter
    if cut:  # the front matter as long as it can get: every page reference as wide as any
        ((probe, _),) = laid_out([(_render_numbered, (_front(book, options, lambda anchor: "99:9999", (99, 99)),
                                                      options, book.meta.title, book.meta.identifier))])
        front_length = describe(probe)[0]
        budget = max(options.volume_pages - front_length - (right and front_length % 2), 1)

    folio_of: dict[str, str] = {}  # anchor -> the folio of its page ("volume:page" when cut)
    volume_of: dict[str, int] = {}  # anchor -> the volume it is in
    # (volume, part or None: a blank page, first folio); a chunk by its index: `chunks` may read each from
    # disk when asked, and only the chunk being merged need be in memory.
    runs: list[tuple[int, RenderedChunk | int | None, int]] = []
    volume, length = 0, 0  # the current volume; its pages after the front matter

    def place(piece: RenderedChunk, index: int | None = None) -> None:
        nonlocal volume, length
        if cut and length and length + (right and length % 2) + piece.pages > budget:
            volume, length = volume + 1, 0
        if right and length % 2:
            runs.append((volume, None, length + 1))
            length += 1
        runs.append((volume, piece if index is None else index, length + 1))
        for anchor, (page, _, _) in piece.anchors.items():
            if anchor not in folio_of:
                folio_of[anchor] = f"{volume + 1}:{length + 1 + page}" if cut else str(length + 1 + page)
                volume_of[anchor] = volume
        length += piece.pages

    for index, chunk in enumerate(chunks):
        place(chunk, index)
        del chunk
    back = laid_out([(_render_unnumbered, ((_link_out(_html(book.meta, shown, front=False), folio_of.get), images,
                                            options, book.meta.title),))
                     for _, _, xhtml in back_matter(book, flavour="pdf", each=each)
                     for piece in split_section(xhtml, BACK_CHARS)  # a long section in pieces, laid out side by side
                     for shown, images in [_with_math_images([piece], {})]])
    stamps, (blank, _) = helpers
    volumes: dict[int, _Volume] = {}

    def add(run: tuple[int, RenderedChunk | int | None, int]) -> None:
        number, piece, first = run
        if isinstance(piece, int):
            piece = chunks[piece]
        into = volumes.setdefault(number, _Volume())
        if piece is None:
            into.merger.add(Part(blank, blank=True))
            return
        layer = stamps.layer(piece.folios, first) if stamps is not None else \
            next(laid_out([(_laid_out_folios, (piece.folios, first, options))]))  # proportional figures
        into.merger.add(Part(piece.pdf, piece.fonts, folios=layer))
        for anchor, (page, x, y) in piece.anchors.items():
            into.dests.setdefault(anchor, (first - 1 + page, x, y))  # the first of two equal ids, as WeasyPrint
        into.outline.extend(entry.moved(first - 1) for entry in piece.outline)

    if not cut:
        for run in runs:  # the chapters, while the back matter is rendered
            add(run)
    for piece in back:
        done = len(runs)
        place(piece)
        if not cut:  # each piece joined as it comes and let go: the back matter is never in memory whole
            for k in range(done, len(runs)):
                add(runs[k])
                runs[k] = (runs[k][0], None, runs[k][2])
        del piece
    count = volume + 1
    fronts = laid_out([(_render_numbered, (_front(book, options, folio_of.get, (number + 1, count) if cut else None),
                                           options, book.meta.title, _identifier(book, number, cut)))
                       for number in range(count)])
    made = []
    for number, (front, front_fonts) in enumerate(fronts):
        if cut:  # one volume in memory at a time
            for run in runs:
                if run[0] == number:
                    add(run)
        into = volumes.pop(number, None) or _Volume()
        front_pages, front_anchors, front_outline = describe(front)
        into.merger.add(Part(front, front_fonts), at=0)
        start = front_pages
        body = any(run[0] == number for run in runs)
        if right and front_pages % 2 and body:
            into.merger.add(Part(blank, blank=True), at=start)  # chapter 1 on a right-hand page; still roman
            start += 1
        dests = {**front_anchors, **{a: (start + page, x, y) for a, (page, x, y) in into.dests.items()
                                     if a not in front_anchors}}
        elsewhere = {anchor: (volume_name(book, volume_of[anchor] + 1),
                              f"Volume {volume_of[anchor] + 1}, page {folio_of[anchor].split(':')[1]}")
                     for anchor in volume_of if volume_of[anchor] != number} if cut else {}
        outline = [*front_outline, *(entry.moved(start) for entry in into.outline)]
        labels = [(0, "r")] + ([(start, "D")] if body else [])
        made.append(into.merger.finish(dests=dests, outline=outline, labels=labels,
                                       identifier=_identifier(book, number, cut), elsewhere=elsewhere))
    return made


class _Volume:
    """A volume being merged: its merger, and its destinations and outline, in page indices after its front matter."""

    def __init__(self) -> None:
        self.merger = Merger()
        self.dests: dict[str, tuple[int, float, float]] = {}
        self.outline: list[Bookmark] = []


def _front(book: Book, options: PdfOptions, page_of: Callable[[str], str | None],
           volume: tuple[int, int] | None) -> str:
    """Return the markup of the front matter: title page (with "Volume k of n"), colophon, the whole contents."""
    return _link_out(_html(book.meta, [], front=True, font=options.font, toc=contents(book, depth=options.toc_depth),
                           count=len(book.chapters), volume=volume), page_of)


def _identifier(book: Book, number: int, cut: bool) -> str:
    """Return the identifier written as the first half of a volume's file ID: each volume's its own."""
    return f"{book.meta.identifier}#vol{number + 1}" if cut else book.meta.identifier


_ADOPTED: tuple[Book, PdfOptions] | None = None  # the book a pool worker renders chunks of


def _adopt(book: Book, options: PdfOptions) -> None:
    """Keep the book in a pool worker (forked: nothing is pickled)."""
    global _ADOPTED
    _ADOPTED = (book, options)


def _render_adopted(indices: list[int]) -> RenderedChunk:
    """Render a chunk of the adopted book."""
    assert _ADOPTED is not None
    book, options = _ADOPTED
    return render_chunk(book, indices, options)


@contextmanager
def process_pool(workers: int, **kwargs: object) -> Iterator[ProcessPoolExecutor]:
    """Yield a pool of `workers` forked processes (nothing is copied to them); on failure, stop their work."""
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ProcessPoolExecutor(workers, mp_context=context, **kwargs) as pool:
        try:
            yield pool
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)  # a failed part fails the book: stop the rest
            raise


def build_pdf(book: Book, options: PdfOptions = PdfOptions(), *, workers: int | None = None,
              chunk_chars: int = CHUNK_CHARS) -> bytes:
    """Return the book as a tagged, print-ready PDF, its chapters rendered by `workers` processes.

    `workers` defaults to one per core; 1 renders every chunk in this process.
    The bytes depend on neither. `options.volume_pages` is ignored (see build_volumes).
    """
    (pdf,) = build_volumes(book, replace(options, volume_pages=0), workers=workers, chunk_chars=chunk_chars)
    return pdf


def build_volumes(book: Book, options: PdfOptions = PdfOptions(), *, workers: int | None = None,
                  chunk_chars: int | None = None) -> list[bytes]:
    """Return the book as one PDF, or one per volume with `options.volume_pages` (see assemble_volumes).

    `chunk_chars` defaults to what suits the options (`chunk_size`).
    """
    plan = plan_chunks(book, chunk_chars=chunk_chars or chunk_size(options))
    # More processes than chunks only help the back matter, a few sections rendered side by side.
    workers = min(workers or cores(), len(plan) + 2)
    if workers <= 1 or not plan:
        return assemble_volumes(book, [render_chunk(book, indices, options) for indices in plan], options)
    with process_pool(workers, initializer=_adopt, initargs=(book, options)) as pool:
        # The largest chunks first, so that no worker is left alone with a big one at the end.
        order = sorted(range(len(plan)), key=lambda k: -sum(_size(book.chapters[i]) for i in plan[k]))
        futures = {k: pool.submit(_render_adopted, plan[k]) for k in order}
        chunks = [futures[k].result() for k in range(len(plan))]
        return assemble_volumes(book, chunks, options, each=each_through(pool.map))


def render_whole(book: Book, options: PdfOptions = PdfOptions()) -> bytes:
    """Return the book laid out as one WeasyPrint document: the reference the chunked build is held to."""
    sections = [render_part(item, flavour="pdf") if isinstance(item, BookPart) else
                render_chapter(footnoted(item), flavour="pdf") for item in body_matter(book)]
    sections += [xhtml for _, _, xhtml in back_matter(book, flavour="pdf")]
    sections = [fit_tables(section, PAPERS[options.paper.lower()]) for section in sections]
    sections, images = _with_math_images(sections, book.images)
    xhtml = _html(book.meta, sections, front=True, font=options.font, toc=contents(book, depth=options.toc_depth),
                  count=len(book.chapters))
    return _written(xhtml, images, options, options.variant, book.meta.identifier, title=book.meta.title)[0]
