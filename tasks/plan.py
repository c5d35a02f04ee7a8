"""Planning a build: name every task by the content it reads, so Luigi finds what is already done.

Articles are grouped in content-defined chunks (an added file moves no
boundary); each chunk, the book and each format is named by a digest of its
inputs and of wikibind's code, never by file times.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import zlib
from dataclasses import asdict
from functools import cache
from pathlib import Path

from pipeline.book import fill_meta
from pipeline.config import Config
from pipeline.render import TEMPLATES
from pipeline.source import image_paths, list_sources, read_inside

from .hashes import FileHashes
from .memo import digest
from .workflow import REFERENCE_FILES, AssembleBook, BuildFormat, Plan

__all__ = ["plan", "plan_book", "code_digest", "chunk_names", "folder_of", "hashes_path", "CHUNK_SIZE",
           "UsageError", "BuildFailed"]

CHUNK_SIZE = 48  # articles per chunk on average: few tasks, yet a small rebuild
_PIPELINE = Path(__file__).resolve().parent.parent / "pipeline"


class UsageError(Exception):
    """A problem with what the user asked for (exit status 2)."""


class BuildFailed(Exception):
    """No book could be built (exit status 2); what was published stays as it was."""


@cache  # the code does not change while it runs
def code_digest(*, templates: bool) -> str:
    """Hash wikibind's own code (and templates): a new version invalidates the cache.

    Converting articles does not read the templates, so a change of style
    rebuilds the books but does not convert every article again.
    """
    # the citation model is code too: notes are parsed at conversion, so a retrained model converts again
    files = sorted([*_PIPELINE.rglob("*.py"), *_PIPELINE.rglob("*.crfsuite"),
                    *(TEMPLATES.rglob("*") if templates else [])])
    return digest(*(f"{p.relative_to(_PIPELINE.parent)}:".encode() + p.read_bytes() for p in files if p.is_file()))


def chunk_names(names: list[str]) -> list[list[str]]:
    """Split sorted names into content-defined chunks: an added file moves no boundary."""
    chunks: list[list[str]] = [[]]
    for name in names:
        chunks[-1].append(name)
        if zlib.crc32(name.encode("utf-8", "surrogateescape")) % CHUNK_SIZE == 0:
            chunks.append([])
    return [c for c in chunks if c]


def folder_of(source: Path) -> Path:
    """The folder book.toml, references and the cover are read from: the source folder, or the export's."""
    return source.parent if source.is_file() else source


def plan_book(source: Path, cache: Path, config: Config, media: Path | None = None) -> AssembleBook:
    """Return the task that assembles the book, named by the content it depends on.

    SOURCE is a folder of Markdown, or an XML export (then `media` is the
    folder of its images, if any).
    """
    code = code_digest(templates=False)
    hashes = FileHashes(hashes_path(cache))
    problems = [p.as_dict() for p in config.problems]
    namespaces = json.dumps(config.selection.namespaces)
    if source.is_file():
        from .export import ExportError, list_export  # an export's modules: not loaded for a folder of Markdown

        try:
            listing = list_export(source, cache, code)
        except ExportError as err:
            raise BuildFailed(f"{err}; previous outputs are untouched") from err
        if not listing.articles:
            raise UsageError(f"{source}: the export holds no page of the main namespace")
        pages = dict(listing.articles)
        chunks = [(digest(*(pages[n] for n in group)), [(n, pages[n]) for n in group])
                  for group in chunk_names(list(pages))]
        problems += [p.as_dict() for p in listing.problems]
        image_root = media
        date = _export_date(listing.newest)
    else:
        names = list_sources(source)
        if not names:
            raise UsageError(f"{source}: no Markdown (*.md) files in this folder")
        chunks = []
        for group in chunk_names(names):
            # The wiki's own namespaces change how every page is cleaned: they are part of each page's digest.
            articles = [(name, digest(code, namespaces, name.encode("utf-8", "surrogateescape"),
                                      hashes.of(source / name, name, lambda name=name: read_inside(source, name))))
                        for name in group]
            chunks.append((digest(*(d for _, d in articles)), articles))
        image_root = source
        date = _source_date(source, names)
    images = [p.relative_to(image_root).as_posix() for p in image_paths(image_root)] if image_root else []
    image_digest = digest(*(name + ":" + hashes.of(image_root / name, f"{image_root}:{name}" if media else name,
                                                   lambda name=name: read_inside(image_root, name))
                            for name in images))
    hashes.save()
    meta_dict = asdict(fill_meta(config.meta, date))
    selection = asdict(config.selection)
    settings = json.dumps([meta_dict, selection, problems, str(media or "")], sort_keys=True)
    folder = folder_of(source)
    references = digest(*((read_inside(folder, n) or b"") for n in REFERENCE_FILES))
    book_digest = digest(code_digest(templates=True), image_digest, references, settings, *(d for d, _ in chunks))
    Plan(chunks, meta_dict, selection, problems, code, code_digest(templates=True), str(folder),
         str(media or "")).save(cache, book_digest)
    return AssembleBook(source=str(source), cache=str(cache), digest=book_digest)


def _export_date(newest: str) -> str:
    """The book's date from an export: SOURCE_DATE_EPOCH, else its newest revision's time."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None and newest:
        try:
            return dt.datetime.fromisoformat(newest.replace("Z", "+00:00")).astimezone(dt.timezone.utc) \
                .strftime("%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            pass
    return dt.datetime.fromtimestamp(int(float(epoch or 0)), dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def plan(source: Path, cache: Path, formats: list[str], config: Config, media: Path | None = None) -> list[BuildFormat]:
    """Return the tasks that build `formats` (each named by its inputs' content and options)."""
    book = plan_book(source, cache, config, media)
    options = {"pdf": config.pdf}
    code = code_digest(templates=True)
    return [BuildFormat(source=book.source, cache=book.cache, fmt=fmt, book=book.digest, options=options.get(fmt, {}),
                        code=code, digest=digest(book.digest, fmt, json.dumps(options.get(fmt, {}), sort_keys=True)))
            for fmt in formats]


def hashes_path(cache: Path) -> Path:
    """Where planning keeps the source files' digests between runs."""
    return Path(cache) / "plan" / "files.pickle"


def _source_date(source: Path, names: list[str]) -> str:
    """The book's date: SOURCE_DATE_EPOCH, else the newest source file's time."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None:
        epoch = max(os.lstat(os.path.join(source, n)).st_mtime for n in names)
    return dt.datetime.fromtimestamp(int(float(epoch)), dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
