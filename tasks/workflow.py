"""Luigi tasks: thin wrappers, each calling one pipeline function.

A task's identity is a hash of its inputs' content (and of wikibind's own
code), never file times: an edited article changes one chunk's digest, so
only that chunk is cleaned and converted again, then the cheap book-level
steps run. Articles are grouped in content-defined chunks so the number of
tasks stays small whatever the number of articles.
"""
from __future__ import annotations

import hashlib
import importlib
import pickle
import time
from pathlib import Path
from collections.abc import Iterator
from typing import NamedTuple

import luigi

from pipeline.book import assemble_book
from pipeline.clean import read_article
from pipeline.convert import convert_articles
from pipeline.config import Selection
from pipeline.model import Article, Book, BookMeta, Fragment, Problem
from pipeline.render import Reuse
from pipeline.csl import ReferencesError, load_references
from pipeline.source import IMAGE_MAGIC, read_images, read_inside, read_sources
from pipeline.source import digest as source_digest

from . import store

__all__ = ["CleanChunk", "ConvertChunk", "Converted", "AssembleBook", "RenderPdfChunk", "BuildFormat", "FORMATS"]

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

    def save(self, value: object, started: float) -> None:
        """Store the result with the seconds it took."""
        store.save(Path(self.output().path), {"value": value, "seconds": time.perf_counter() - started})


def load_value(target: luigi.LocalTarget) -> object:
    """Return the value stored by a task."""
    return store.load(Path(target.path))["value"]


def load_seconds(target: luigi.LocalTarget) -> float:
    """Return the seconds a task took when it ran."""
    return store.load(Path(target.path))["seconds"]


class CleanChunk(_Cached):
    """Stage 1 for one chunk of articles: read, decode, undo the export's damage."""

    articles = luigi.ListParameter(significant=False)  # [(name, digest of its bytes and our code)]
    kind = "clean"

    def run(self) -> None:
        started = time.perf_counter()
        files, problems = read_sources(Path(self.source), [name for name, _ in self.articles])
        self.save(([read_article(f) for f in files], problems), started)


class Converted(NamedTuple):
    """What ConvertChunk stores: the chunk's fragments, and which articles it converted again."""

    fragments: list[Fragment]
    redirects: list[Article]
    problems: list[Problem]
    digests: dict[str, str]  # name -> digest, for every article of the chunk
    changed: list[str]  # names whose content differs from the chunk's previous version


class ConvertChunk(_Cached):
    """Stage 2 for one chunk: Markdown to sanitised XHTML in one pandoc run.

    An edited chunk converts again only the articles that changed: the
    fragments of the others come from the chunk's previous version, found
    through a pointer named by the chunk's first article (its boundaries are
    content-defined, so an edit does not move them).
    """

    articles = luigi.ListParameter(significant=False)
    kind = "convert"

    def requires(self) -> CleanChunk:
        return CleanChunk(source=self.source, cache=self.cache, digest=self.digest, articles=self.articles)

    def run(self) -> None:
        started = time.perf_counter()
        articles, problems = load_value(self.input())
        digests = {name: d for name, d in self.articles}
        previous = self._previous()
        reuse = {f.file: f for f in previous.fragments if previous.digests.get(f.file) == digests.get(f.file)} \
            if previous else {}
        usable = [a for a in articles if a.title and a.redirect is None]
        redirects = [a for a in articles if a.redirect is not None]
        problems = problems + [p for a in articles if not a.title for p in a.problems]
        fresh = iter(convert_articles([a for a in usable if a.file not in reuse]))
        fragments = [reuse[a.file] if a.file in reuse else next(fresh) for a in usable]
        before = previous.digests if previous else {}
        changed = [name for name, d in digests.items() if before.get(name) != d]
        self.save(Converted(fragments, redirects, problems, digests, changed), started)
        store.write_atomic(self._pointer(), self.digest.encode())

    def _pointer(self) -> Path:
        first = self.articles[0][0].encode("utf-8", "surrogateescape")
        return Path(self.cache) / self.kind / "latest" / hashlib.sha256(first).hexdigest()[:20]

    def _previous(self) -> Converted | None:
        """The chunk's last converted version, when it is there and intact."""
        try:
            value = load_value(CacheTarget(str(Path(self.cache) / self.kind / f"{self._pointer().read_text()}.pickle")))
        except (OSError, ValueError, store.CorruptEntry, pickle.UnpicklingError, EOFError):
            return None
        return value if isinstance(value, Converted) else None


class AssembleBook(_Cached):
    """Stage 3: resolve links into anchors and compile the bibliography."""

    chunks = luigi.ListParameter(significant=False)  # [(digest, [(name, digest)])]
    meta = luigi.DictParameter(significant=False)
    selection = luigi.DictParameter(significant=False, default={})
    config_problems = luigi.ListParameter(significant=False, default=[])  # from book.toml
    kind = "book"

    def requires(self) -> list[ConvertChunk]:
        return [ConvertChunk(source=self.source, cache=self.cache, digest=d, articles=a) for d, a in self.chunks]

    def run(self) -> None:
        started = time.perf_counter()
        fragments, redirects, problems = [], [], []
        for target in self.input():
            converted = load_value(target)
            fragments += converted.fragments
            redirects += converted.redirects
            problems += converted.problems
        images, image_problems = read_images(Path(self.source))
        problems += image_problems + [Problem(**p) for p in _thaw(self.config_problems)]
        references = []
        for name in REFERENCE_FILES:
            data = read_inside(Path(self.source), name)
            if data is not None:
                try:
                    references += load_references(name, data)
                except ReferencesError as err:
                    problems.append(Problem(name, "error", f"references not used: {err}"))
        meta = BookMeta(**_thaw(self.meta))
        cover = read_inside(Path(self.source), meta.cover) if meta.cover else None
        if meta.cover and (cover is None or not cover.startswith(IMAGE_MAGIC)):
            problems.append(Problem(meta.cover, "warning", "the cover named in book.toml is not a PNG, JPEG or "
                                                           "GIF file in the source folder: a cover is drawn instead"))
            cover = None
        book = assemble_book(fragments, redirects, images, meta, problems, Selection(**_thaw(self.selection)),
                             references)
        book.cover = cover
        self.save(book, started)


class RenderPdfChunk(_Cached):
    """Part of stage 4: a run of chapters laid out as PDF pages of their own, numbered at assembly.

    Named by the content it renders, so a chunk whose chapters did not change
    is not laid out again; Luigi's workers (or luigid's) render chunks in parallel.
    """

    book = luigi.DictParameter(significant=False)  # AssembleBook's parameters
    chapters = luigi.ListParameter(significant=False)  # indices into Book.chapters
    options = luigi.DictParameter(significant=False, default={})
    kind = "pdf"

    def requires(self) -> AssembleBook:
        return AssembleBook(**_thaw(self.book))

    def run(self) -> None:
        from pipeline.pdf import PdfOptions, render_chunk

        started = time.perf_counter()
        book = load_value(self.input())
        self.save(render_chunk(book, list(self.chapters), PdfOptions(**_thaw(self.options))), started)


class BuildFormat(_Cached):
    """Stage 4: one output format from the book model."""

    fmt = luigi.ChoiceParameter(choices=list(FORMATS))
    book = luigi.DictParameter(significant=False)  # AssembleBook's parameters
    options = luigi.DictParameter(significant=False, default={})  # the format's own options (PdfOptions)
    code = luigi.Parameter(significant=False, default="")  # digest of wikibind's code and templates
    kind = "out"

    def requires(self) -> AssembleBook:
        return AssembleBook(**_thaw(self.book))

    def output(self) -> CacheTarget:
        return CacheTarget(str(Path(self.cache) / self.kind / f"{self.digest}.{self.fmt}.pickle"))

    def run(self) -> Iterator[list[RenderPdfChunk]]:
        started = time.perf_counter()
        book, options = load_value(self.input()), _thaw(self.options)
        if self.fmt == "pdf":
            from pipeline.pdf import PdfOptions, assemble_pdf, plan_chunks

            pdf_options = PdfOptions(**options)
            chunks = [RenderPdfChunk(source=self.source, cache=self.cache, book=self.book, chapters=run,
                                     options=options, digest=self._chunk_digest(book, run, options))
                      for run in plan_chunks(book)]
            yield chunks  # Luigi runs them (in parallel, or finds them done), then resumes here
            started = time.perf_counter()
            self.save(assemble_pdf(book, [load_value(c.output()) for c in chunks], pdf_options), started)
            return
        # Chapters rendered by the last build of this format are reused (a cache of
        # their markup by content): an edit re-renders one chapter, not the book.
        memo = Path(self.cache) / "reuse" / f"{self.fmt}.pickle"
        try:
            previous = store.load(memo)
        except (OSError, store.CorruptEntry, pickle.UnpicklingError, EOFError):
            previous = {}
        reuse = Reuse(previous)
        self.save(builder(self.fmt)(book, reuse=reuse), started)
        store.save(memo, reuse.kept)

    def _chunk_digest(self, book: Book, run: list[int], options: dict) -> str:
        """The chunk's cache key: what render_chunk reads (pipeline.pdf.chunk_digest) and wikibind's code."""
        from pipeline.pdf import PdfOptions, chunk_digest

        return source_digest(self.code, chunk_digest(book, run, PdfOptions(**options)))


def _thaw(value: object) -> object:
    """Turn Luigi's frozen parameter values back into plain dicts and lists."""
    if hasattr(value, "items"):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_thaw(v) for v in value]
    return value
