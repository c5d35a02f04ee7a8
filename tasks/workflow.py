"""Luigi tasks: thin wrappers, each calling one pipeline function.

A task's identity is a hash of its inputs' content (and of wikibind's own
code), never file times: an edited article changes one chunk's digest, so
only that chunk is cleaned and converted again, then the cheap book-level
steps run. Articles are grouped in content-defined chunks so the number of
tasks stays small whatever the number of articles.
"""
from __future__ import annotations

import gc
import hashlib
import importlib
import json
import pickle
import time
from pathlib import Path
from collections.abc import Iterator, Sequence
from dataclasses import replace
from functools import cached_property
from typing import NamedTuple

import luigi

from pipeline.bibliography import bibliography_json
from pipeline.book import assemble_book
from pipeline.clean import read_article
from pipeline.convert import convert_articles
from pipeline.config import Selection
from pipeline.model import Article, Book, BookMeta, Chapter, Fragment, Problem
from pipeline.csl import ReferencesError, load_references
from pipeline.reuse import Reuse
from pipeline.media import sniff
from pipeline.source import read_images, read_inside, read_sources
from pipeline.source import digest as source_digest

from . import memo, store

__all__ = ["CleanChunk", "Cleaned", "ConvertChunk", "Converted", "Plan", "AssembleBook", "Summary", "RenderPdfChunk", "BuildFormat",
           "FORMATS", "StoredBook", "load_book", "load_value", "load_header"]

# Builders are imported when a format is built: WeasyPrint alone takes ~1.4 s to
# import, which a no-op rebuild or an EPUB-only build should not pay.
REFERENCE_FILES = ("references.bib", "references.json")  # structured sources beside the pages
FORMATS = {"epub": "pipeline.epub:build_epub", "pdf": "pipeline.pdf:build_pdf", "html": "pipeline.html:build_html"}


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

    def save(self, value: object, started: float, **header: object) -> None:
        """Store the result with the seconds it took (and what else publishing reads of it)."""
        store.save(Path(self.output().path), value, seconds=time.perf_counter() - started, **header)

    def kept(self, name: str, code: str) -> Reuse:
        """What the last run of this kind of task kept for the next (see Reuse), if the same code made it."""
        return memo.load(Path(self.cache), name, code)

    def keep(self, name: str, code: str, reuse: Reuse) -> None:
        """Store what this run used, for the next."""
        memo.save(Path(self.cache), name, code, reuse)


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


class StoredBook(NamedTuple):
    """The book as assembly stores it: each chapter pickled on its own and kept by its digest.

    An edit then pickles the chapters it changed, not a book's worth of them
    (the rest are copied as bytes); `load_book` puts the book back together.
    """

    book: Book  # without its chapters
    chapters: list[bytes]

    @classmethod
    def of(cls, book: Book, reuse: Reuse) -> StoredBook:
        """Pack `book`, taking the pickled chapters an earlier build kept."""
        def pickled(chapter: Chapter) -> bytes:
            return pickle.dumps(chapter, protocol=pickle.HIGHEST_PROTOCOL)

        # Kept by digest only where assembly gave one: without, chapters would share the key None.
        chapters = [reuse.keep(("pickled", c.digest), lambda c=c: pickled(c)) if c.digest else pickled(c)
                    for c in book.chapters]
        return cls(replace(book, chapters=[]), chapters)

    def unpack(self) -> Book:
        """The book, chapters and all."""
        with store.no_collection():
            return replace(self.book, chapters=[pickle.loads(chapter) for chapter in self.chapters])


def load_book(target: luigi.LocalTarget) -> Book:
    """Return the book AssembleBook stored."""
    book = store.load(Path(target.path)).unpack()
    gc.freeze()  # as load_value
    return book


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
    """A task over one chunk of articles that redoes only the articles whose digest changed.

    It finds the chunk's previous result through a pointer named by the chunk's
    first article (boundaries are content-defined, so an edit does not move them).
    """

    # JSON of [(name, digest of its bytes and our code)]: a string, as Luigi freezes a list item by item
    articles = luigi.Parameter(significant=False)
    # JSON of [[prefix, kind]]: book.toml's own namespaces (in every article's digest already)
    namespaces = luigi.Parameter(significant=False, default="[]")

    @cached_property
    def listed(self) -> list[tuple[str, str]]:
        """The chunk's articles: (name, digest)."""
        return [(name, digest) for name, digest in json.loads(self.articles)]

    def _pointer(self) -> Path:
        first = self.listed[0][0].encode("utf-8", "surrogateescape")
        return Path(self.cache) / self.kind / "latest" / hashlib.sha256(first).hexdigest()[:20]

    def _previous(self) -> tuple[object, dict[str, str]]:
        """The chunk's last result and its articles' digests; (None, {}) when it is gone or damaged."""
        try:
            value = load_value(CacheTarget(str(Path(self.cache) / self.kind / f"{self._pointer().read_text()}.pickle")))
        except (OSError, ValueError, store.CorruptEntry, pickle.UnpicklingError, EOFError):
            return None, {}
        return (value, value.digests) if isinstance(value, (Cleaned, Converted)) else (None, {})

    def _unchanged(self, previous: dict[str, str]) -> set[str]:
        """Names of the chunk's articles whose digest is the one they had last time."""
        return {name for name, d in self.listed if previous.get(name) == d}

    def save_chunk(self, value: Cleaned | Converted, started: float, **header: object) -> None:
        """Store the result and point the chunk at it."""
        self.save(value, started, **header)
        store.write_atomic(self._pointer(), self.digest.encode())


class Cleaned(NamedTuple):
    """What CleanChunk stores: the chunk's cleaned articles (read failures as problems)."""

    articles: list[Article]
    problems: list[Problem]  # files that could not be read
    digests: dict[str, str]  # name -> digest, for every article of the chunk


class CleanChunk(_Chunk):
    """Stage 1 for one chunk of articles: read, decode, undo the export's damage (or read the wikitext)."""

    kind = "clean"

    def run(self) -> None:
        started = time.perf_counter()
        previous, before = self._previous()
        same = self._unchanged(before)
        kept = {a.file: a for a in previous.articles if a.file in same} if previous else {}
        kept_problems = [p for p in previous.problems if p.file in same] if previous else []
        if Path(self.source).is_file():  # an XML export: planning stored each page's wikitext by its key
            fresh, problems = self._from_export([(name, key) for name, key in self.listed if name not in kept])
        else:
            files, problems = read_sources(Path(self.source), [name for name, _ in self.listed if name not in kept])
            custom = tuple((prefix, kind) for prefix, kind in json.loads(self.namespaces))
            fresh = {f.name: read_article(f, custom) for f in files}
        articles = [kept.get(name) or fresh[name] for name, _ in self.listed if name in kept or name in fresh]
        self.save_chunk(Cleaned(articles, kept_problems + problems, dict(self.listed)), started)

    def _from_export(self, todo: list[tuple[str, str]]) -> tuple[dict[str, Article], list[Problem]]:
        """Convert the named pages' wikitext, as planning stored it, into articles (one pandoc run)."""
        from pipeline.wikitext import convert_pages  # an export's modules: not loaded for a folder of Markdown

        from .export import load_page

        pages, problems, site = [], [], None
        for name, key in todo:
            try:
                page, site = load_page(Path(self.cache), key)
            except (OSError, store.CorruptEntry, pickle.UnpicklingError, EOFError, ValueError):
                problems.append(Problem(name, "error", "its wikitext is missing from the cache: build again"))
                continue
            pages.append(page)
        articles = convert_pages(pages, site) if pages else []
        return {a.file: a for a in articles}, problems


class Converted(NamedTuple):
    """What ConvertChunk stores: the chunk's fragments, and which articles it converted again."""

    fragments: list[Fragment]
    redirects: list[Article]
    problems: list[Problem]
    digests: dict[str, str]  # name -> digest, for every article of the chunk
    changed: list[str]  # names whose content differs from the chunk's previous version
    references: list[dict] = []  # CSL items the chunk's articles cite by key (from citation templates)


class ConvertChunk(_Chunk):
    """Stage 2 for one chunk: Markdown to sanitised XHTML in one pandoc run (of the articles that changed)."""

    kind = "convert"

    def requires(self) -> CleanChunk:
        return CleanChunk(source=self.source, cache=self.cache, digest=self.digest, articles=self.articles,
                          namespaces=self.namespaces)

    def run(self) -> None:
        started = time.perf_counter()
        articles, problems, digests = load_value(self.input())
        previous, before = self._previous()
        same = self._unchanged(before)
        reuse = {f.file: f for f in previous.fragments if f.file in same} if previous else {}
        usable = [a for a in articles if a.title and a.redirect is None]
        redirects = [a for a in articles if a.redirect is not None]
        problems = problems + [p for a in articles if not a.title for p in a.problems]
        fresh = iter(convert_articles([a for a in usable if a.file not in reuse]))
        fragments = [reuse[a.file] if a.file in reuse else next(fresh) for a in usable]
        changed = [name for name, _ in self.listed if name not in same]
        references = [item for a in usable for item in a.references]
        self.save_chunk(Converted(fragments, redirects, problems, digests, changed, references), started,
                        changed=changed)


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
    code: str = ""  # digest of wikibind's pipeline code: what assembly kept is of use to the same code only
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
                             namespaces=namespaces) for d, a in self.plan.chunks]

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
        folder = Path(self.plan.folder or self.source)
        if Path(self.source).is_file():  # an XML export: images come from its media folder, if any
            images, image_problems = _media(Path(self.plan.media)) if self.plan.media else ({}, [])
        else:
            images, image_problems = read_images(Path(self.source))
        problems += image_problems + [Problem(**p) for p in self.plan.config_problems]
        references = []
        for name in REFERENCE_FILES:
            data = read_inside(folder, name)
            if data is not None:
                try:
                    references += load_references(name, data)
                except ReferencesError as err:
                    problems.append(Problem(name, "error", f"references not used: {err}"))
        references += cited
        meta = BookMeta(**self.plan.meta)
        cover = read_inside(folder, meta.cover) if meta.cover else None
        if meta.cover and (cover is None or sniff(cover) is None):
            problems.append(Problem(meta.cover, "warning", "the cover named in book.toml is not a PNG, JPEG, GIF "
                                                           "or WebP file in the source folder: a cover is drawn instead"))
            cover = None
        reuse = self.kept("book", self.plan.code)  # chapters an edit leaves as they were
        book = assemble_book(fragments, redirects, images, meta, problems, Selection(**self.plan.selection),
                             references, reuse)
        book.cover = cover
        self.save(StoredBook.of(book, reuse), started, summary=Summary.of(book))
        self.keep("book", self.plan.code, reuse)


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
        from pipeline.pdf import PdfOptions, render_chunk

        started = time.perf_counter()
        book = load_book(self.input())
        self.save(render_chunk(book, list(self.chapters), PdfOptions(**_thaw(self.options))), started)


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
        book, options = load_book(self.input()), _thaw(self.options)
        reuse = self.kept(self.fmt, self.code)  # renderings an edit leaves as they were
        if self.fmt == "pdf":
            from pipeline.pdf import PdfOptions, assemble_volumes, chunk_size, cores, plan_chunks, process_pool

            pdf_options = PdfOptions(**options)
            chunks = [RenderPdfChunk(source=self.source, cache=self.cache, book=self.book, chapters=run,
                                     options=options, digest=self._chunk_digest(book, run, options))
                      for run in plan_chunks(book, chunk_chars=chunk_size(pdf_options))]
            yield chunks  # Luigi runs them (in parallel, or finds them done), then resumes here
            started = time.perf_counter()
            # The front and back matter are laid out in other processes while this one joins the chunks.
            with process_pool(cores()) as pool:
                volumes = assemble_volumes(book, _Stored([c.output() for c in chunks]), pdf_options,
                                           mapper=pool.map, reuse=reuse)
            if pdf_options.volume_pages:  # a list of volumes, each written to a file of its own
                self.save(volumes, started, chunks=[c.digest for c in chunks], volumes=len(volumes))
            else:
                self.save(volumes[0], started, chunks=[c.digest for c in chunks])
        else:
            self.save(builder(self.fmt)(book, reuse=reuse), started)
        self.keep(self.fmt, self.code, reuse)

    def _chunk_digest(self, book: Book, run: list[int], options: dict) -> str:
        """The chunk's cache key: what render_chunk reads (pipeline.pdf.chunk_digest) and wikibind's code."""
        from pipeline.pdf import PdfOptions, chunk_digest

        return source_digest(self.code, chunk_digest(book, run, PdfOptions(**options)))


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
