"""Luigi tasks: thin wrappers, each calling one pipeline function and storing its result.

A task's identity is a hash of its inputs' content (and of wikibind's own
code), never file times. Articles are grouped in content-defined chunks so
the number of tasks stays small whatever the number of articles; within a
task, the pipeline's work per item (an article, a chapter, a page) goes
through the one memo (`memo.Memo`), so an edited article is cleaned,
converted, resolved and rendered again, and nothing else is.
"""
from __future__ import annotations

import gc
import importlib
import json
import pickle
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

import luigi

from pipeline.bibliography import bibliography_json
from pipeline.book import assemble_book
from pipeline.clean import read_article
from pipeline.convert import convert_articles
from pipeline.config import Selection
from pipeline.model import Article, Book, BookMeta, Fragment, Problem
from pipeline.csl import ReferencesError, load_references
from pipeline.media import sniff
from pipeline.source import read_images, read_inside, read_sources

from . import store
from .memo import Memo, digest_of

__all__ = ["CleanChunk", "Cleaned", "ConvertChunk", "Converted", "Plan", "AssembleBook", "Summary", "RenderPdfChunk",
           "BuildFormat", "FORMATS", "load_book", "load_value", "load_header"]

# Builders are imported when a format is built: WeasyPrint alone takes ~1.4 s to
# import, which a no-op rebuild or an EPUB-only build should not pay.
REFERENCE_FILES = ("references.bib", "references.json")  # structured sources beside the pages
FORMATS = {"epub": "pipeline.epub:build_epub", "pdf": "pipeline.pdf:assemble_volumes",
           "html": "pipeline.html:build_html"}


def builder(fmt: str):
    """Return the build function of a format."""
    module, _, name = FORMATS[fmt].partition(":")
    return getattr(importlib.import_module(module), name)


class CacheTarget(luigi.LocalTarget):
    """A cache entry that counts as present only when its checksum verifies."""

    def exists(self) -> bool:
        """True when the entry is there and intact."""
        return store.is_valid(Path(self.path))


class _Cached(luigi.Task):
    source = luigi.Parameter()
    cache = luigi.Parameter()
    digest = luigi.Parameter()

    kind = ""

    def output(self) -> CacheTarget:
        """The content-addressed cache entry of this task."""
        return CacheTarget(str(Path(self.cache) / self.kind / f"{self.digest}.pickle"))

    def memo(self, code: str) -> Memo:
        """The build's memo, for results of `code` (a digest of wikibind's code, and templates if it renders)."""
        self._memo = Memo(self.cache, code)
        return self._memo

    def save(self, value: object, started: float, **header: object) -> None:
        """Store the result with the seconds it took, the memo's packs it used, and what else publishing reads."""
        memo = getattr(self, "_memo", None)
        store.save(Path(self.output().path), value, seconds=time.perf_counter() - started,
                   used=sorted(memo.used) if memo else [], **header)


def load_value(target: luigi.LocalTarget) -> object:
    """Return the value stored by a task."""
    value = store.load(Path(target.path))
    # A task's inputs live till it ends and hold no reference cycles (refcounting frees
    # them): out of the cyclic collector's sight, they no longer slow every collection.
    gc.freeze()
    return value


def load_header(target: luigi.LocalTarget) -> dict:
    """Return what a task stored beside its value: `seconds`, and its own fields."""
    return store.header(Path(target.path))


def load_book(target: luigi.LocalTarget) -> Book:
    """Return the book AssembleBook stored."""
    return load_value(target)  # type: ignore[return-value]


class Summary(NamedTuple):
    """What publishing reads of the book, stored beside it: publishing never unpickles the whole book."""

    slug: str
    stats: dict
    problems: list[Problem]
    bibliography_json: bytes

    @classmethod
    def of(cls, book: Book) -> Summary:
        """Summarise a book."""
        return cls(book.slug, book.stats, book.problems, bibliography_json(book.bibliography))


class _Chunk(_Cached):
    """A task over one chunk of articles."""

    # JSON of [(name, digest of its bytes and our code)]: a string, as Luigi freezes a list item by item
    articles = luigi.Parameter(significant=False)
    # JSON of [[prefix, kind]]: book.toml's own namespaces (in every article's digest already)
    namespaces = luigi.Parameter(significant=False, default="[]")
    code = luigi.Parameter(significant=False, default="")  # digest of wikibind's code (not the templates)

    @cached_property
    def listed(self) -> list[tuple[str, str]]:
        """The chunk's articles: (name, digest)."""
        return [(name, digest) for name, digest in json.loads(self.articles)]


class Cleaned(NamedTuple):
    """What CleanChunk stores: the chunk's cleaned articles (read failures as problems)."""

    articles: list[Article]
    problems: list[Problem]  # files that could not be read
    changed: list[str]  # the articles cleaned afresh: the rest were as an earlier build had them


class CleanChunk(_Chunk):
    """Stage 1 for one chunk of articles: read, decode, undo the export's damage (or read the wikitext)."""

    kind = "clean"

    def run(self) -> None:
        started = time.perf_counter()
        memo = self.memo(self.code)
        if Path(self.source).is_file():  # an XML export: planning stored each page's wikitext by its key
            from pipeline.wikitext import convert_pages  # an export's modules: not loaded for a folder of Markdown

            pages, problems, site = self._export_pages()
            articles = memo.many(convert_pages, pages, site) if pages else []
        else:
            files, problems = read_sources(Path(self.source), [name for name, _ in self.listed])
            custom = tuple((prefix, kind) for prefix, kind in json.loads(self.namespaces))
            articles = list(memo.each(read_article, [(f,) for f in files], custom))
        changed = [a.file for a, new in zip(articles, memo.fresh) if new]
        self.save(Cleaned(articles, problems, changed), started)

    def _export_pages(self) -> tuple[list, list[Problem], object]:
        """The chunk's pages of wikitext, as planning stored them."""
        from .export import load_page

        pages, problems, site = [], [], None
        for name, key in self.listed:
            try:
                page, site = load_page(Path(self.cache), key)
            except (OSError, store.CorruptEntry, pickle.UnpicklingError, EOFError, ValueError):
                problems.append(Problem(name, "error", "its wikitext is missing from the cache: build again"))
                continue
            pages.append(page)
        return pages, problems, site


class Converted(NamedTuple):
    """What ConvertChunk stores: the chunk's fragments, and which articles it converted again."""

    fragments: list[Fragment]
    redirects: list[Article]
    problems: list[Problem]
    changed: list[str]  # the articles cleaned afresh (report.json's `changed`)
    references: list[dict] = []  # CSL items the chunk's articles cite by key (from citation templates)


class ConvertChunk(_Chunk):
    """Stage 2 for one chunk: Markdown to sanitised XHTML in one pandoc run (of the articles no build converted)."""

    kind = "convert"

    def requires(self) -> CleanChunk:
        return CleanChunk(source=self.source, cache=self.cache, digest=self.digest, articles=self.articles,
                          namespaces=self.namespaces, code=self.code)

    def run(self) -> None:
        started = time.perf_counter()
        articles, problems, changed = load_value(self.input())
        usable = [a for a in articles if a.title and a.redirect is None]
        redirects = [a for a in articles if a.redirect is not None]
        problems = problems + [p for a in articles if not a.title for p in a.problems]
        fragments = self.memo(self.code).many(convert_articles, usable)
        references = [item for a in usable for item in a.references]
        self.save(Converted(fragments, redirects, problems, changed, references), started, changed=changed)


class Plan(NamedTuple):
    """What a book is assembled from: its chunks and settings, stored under the book's digest.

    Kept out of Luigi's parameters on purpose: Luigi freezes and hashes every
    parameter of every task instance, which for a list of thousands of
    articles costs more than the rebuild of an edited one.
    """

    chunks: list[tuple[str, list[tuple[str, str]]]]  # [(digest, [(name, digest)])]
    meta: dict
    selection: dict
    config_problems: list[dict]  # from book.toml
    code: str = ""  # digest of wikibind's code: the memo's results of cleaning and converting are its own
    templates: str = ""  # digest of wikibind's code and templates: the memo's results of assembling and rendering
    folder: str = ""  # where book.toml, references and the cover are read: the source folder, or the export's
    media: str = ""  # an XML export's media folder (its images); empty: the source folder's images

    def save(self, cache: Path, digest: str) -> None:
        """Store the plan where AssembleBook(digest) finds it (unless it is there already)."""
        path = Path(cache) / "plan" / f"{digest}.pickle"
        if not store.is_valid(path):
            store.save(path, self)


class AssembleBook(_Cached):
    """Stage 3: resolve links into anchors and compile the bibliography."""

    kind = "book"

    @cached_property
    def plan(self) -> Plan:
        """The plan stored under this book's digest by whoever scheduled it."""
        try:
            return store.load(Path(self.cache) / "plan" / f"{self.digest}.pickle")
        except (OSError, store.CorruptEntry, pickle.UnpicklingError, EOFError) as err:
            raise RuntimeError(f"the plan of book {self.digest} is missing or damaged in {self.cache}: "
                               "run the build again") from err

    def requires(self) -> list[ConvertChunk]:
        namespaces = json.dumps(self.plan.selection.get("namespaces", []))
        return [ConvertChunk(source=self.source, cache=self.cache, digest=d, articles=json.dumps(a),
                             namespaces=namespaces, code=self.plan.code) for d, a in self.plan.chunks]

    def run(self) -> None:
        started = time.perf_counter()
        fragments, redirects, problems = [], [], []
        cited: list[dict] = []  # citation templates' items: after the reference files', whose keys win
        for target in self.input():
            converted = load_value(target)
            fragments += converted.fragments
            redirects += converted.redirects
            problems += converted.problems
            cited += converted.references
        images, references, cover, found = _book_inputs(Path(self.source), self.plan)
        meta = BookMeta(**self.plan.meta)
        # Two threads: citeproc's pandoc formats the bibliography while this process resolves the chapters.
        with ThreadPoolExecutor(2) as threads:
            book = assemble_book(fragments, redirects, images, meta, problems + found,
                                 Selection(**self.plan.selection), references + cited,
                                 each=self.memo(self.plan.templates).through(threads.map))
        book.cover = cover
        self.save(book, started, summary=Summary.of(book))


def _book_inputs(source: Path, plan: Plan) -> tuple[dict[str, bytes], list[dict], bytes | None, list[Problem]]:
    """What a book is made of besides its pages: images, references, the cover, and book.toml's problems."""
    folder = Path(plan.folder or source)
    if source.is_file():  # an XML export: images come from its media folder, if any
        images, problems = _media(Path(plan.media)) if plan.media else ({}, [])
    else:
        images, problems = read_images(source)
    problems += [Problem(**p) for p in plan.config_problems]
    references: list[dict] = []
    for name in REFERENCE_FILES:
        data = read_inside(folder, name)
        if data is not None:
            try:
                references += load_references(name, data)
            except ReferencesError as err:
                problems.append(Problem(name, "error", f"references not used: {err}"))
    name = plan.meta.get("cover")
    cover = read_inside(folder, name) if name else None
    if name and (cover is None or sniff(cover) is None):
        problems.append(Problem(name, "warning", "the cover named in book.toml is not a PNG, JPEG, GIF "
                                                 "or WebP file in the source folder: a cover is drawn instead"))
        cover = None
    return images, references, cover, problems


class RenderPdfChunk(_Cached):
    """Part of stage 4: a run of chapters laid out as PDF pages of their own, numbered at assembly.

    Named by the content it renders, so a chunk whose chapters did not change
    is not laid out again; Luigi's workers (or luigid's) render chunks in parallel.
    """

    book = luigi.Parameter(significant=False)  # AssembleBook's digest
    chapters = luigi.ListParameter(significant=False)  # indices into Book.chapters
    options = luigi.DictParameter(significant=False, default={})
    kind = "pdf"

    def requires(self) -> AssembleBook:
        return AssembleBook(source=self.source, cache=self.cache, digest=self.book)

    def run(self) -> None:
        from pipeline.pdf import PdfOptions, chunk_view, render_view

        started = time.perf_counter()
        view = chunk_view(load_book(self.input()), list(self.chapters))
        self.save(render_view(view, PdfOptions(**_thaw(self.options))), started)


class BuildFormat(_Cached):
    """Stage 4: one output format from the book model."""

    fmt = luigi.ChoiceParameter(choices=list(FORMATS))
    book = luigi.Parameter(significant=False)  # AssembleBook's digest
    options = luigi.DictParameter(significant=False, default={})  # the format's own options (PdfOptions)
    code = luigi.Parameter(significant=False, default="")  # digest of wikibind's code and templates
    kind = "out"

    def requires(self) -> AssembleBook:
        return AssembleBook(source=self.source, cache=self.cache, digest=self.book)

    def output(self) -> CacheTarget:
        return CacheTarget(str(Path(self.cache) / self.kind / f"{self.digest}.{self.fmt}.pickle"))

    def run(self) -> Iterator[list[RenderPdfChunk]]:
        started = time.perf_counter()
        book, memo = load_book(self.input()), self.memo(self.code)
        if self.fmt != "pdf":
            self.save(builder(self.fmt)(book, each=memo.each), started)
            return
        from pipeline.pdf import PdfOptions, chunk_size, cores, plan_chunks, process_pool

        options = PdfOptions(**_thaw(self.options))
        chunks = [RenderPdfChunk(source=self.source, cache=self.cache, book=self.book, chapters=run,
                                 options=self.options, digest=self._chunk_digest(book, run, options))
                  for run in plan_chunks(book, chunk_chars=chunk_size(options))]
        yield chunks  # Luigi runs them (in parallel, or finds them done), then resumes here
        started = time.perf_counter()
        # The front and back matter are laid out in other processes while this one joins the chunks.
        with process_pool(cores()) as pool:
            volumes = builder("pdf")(book, _Stored([c.output() for c in chunks]), options,
                                     each=memo.through(pool.map))
        if options.volume_pages:  # a list of volumes, each written to a file of its own
            self.save(volumes, started, chunks=[c.digest for c in chunks], volumes=len(volumes))
        else:
            self.save(volumes[0], started, chunks=[c.digest for c in chunks])

    def _chunk_digest(self, book: Book, run: list[int], options: object) -> str:
        """The chunk's name: a digest of all it is rendered from (its view of the book, the options) and the code."""
        from pipeline.pdf import chunk_view

        return digest_of((self.code, chunk_view(book, run), options))


def _media(folder: Path) -> tuple[dict[str, bytes], list[Problem]]:
    """An export's media files by name, each also under MediaWiki's form of its file name (as [[File:…]] finds it)."""
    from pipeline.wikitext import file_key

    images, problems = read_images(folder)
    for name, data in list(images.items()):
        images.setdefault(file_key(Path(name).name), data)
    return images, problems


class _Stored(Sequence):
    """Cached values read when indexed, not all at once: the PDF's join holds one chunk at a time."""

    def __init__(self, targets: list[luigi.LocalTarget]) -> None:
        self.targets = targets

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> object:  # type: ignore[override]
        return load_value(self.targets[index])


def _thaw(value: object) -> object:
    """Turn Luigi's frozen parameter values back into plain dicts and lists."""
    if hasattr(value, "items"):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_thaw(v) for v in value]
    return value
