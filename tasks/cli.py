"""The `wikibind` command line: plan the tasks, run them under Luigi, publish.

    wikibind build [SOURCE] [-o OUT] [--format FMT]... [--title TEXT]
                   [--workers N] [--scheduler-url URL]

Exit status: 0 when everything built; 1 when the book built but some source
file could not be used; 2 for usage errors or when no book could be built.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
import time
import zlib
from dataclasses import asdict
from pathlib import Path

import luigi
from luigi.execution_summary import _partition_tasks  # the summary Luigi prints, as data

from pipeline.book import fill_meta
from pipeline.model import Book, BookMeta
from pipeline.render import TEMPLATES
from pipeline.source import digest, list_sources

from . import store
from .workflow import FORMATS, AssembleBook, BuildFormat, ConvertChunk, load_seconds, load_value

__all__ = ["main", "plan", "CHUNK_SIZE"]

CHUNK_SIZE = 48  # articles per chunk on average: few tasks, yet a small rebuild
_PIPELINE = Path(__file__).resolve().parent.parent / "pipeline"
_STAGE_OF = {"CleanChunk": "clean", "ConvertChunk": "convert", "AssembleBook": "assemble"}


class UsageError(Exception):
    """A problem with what the user asked for (exit status 2)."""


def code_digest() -> str:
    """Hash wikibind's own code and templates: a new version invalidates the cache."""
    files = sorted([*_PIPELINE.rglob("*.py"), *TEMPLATES.rglob("*")])
    return digest(*(f"{p.relative_to(_PIPELINE.parent)}:".encode() + p.read_bytes() for p in files if p.is_file()))


def chunk_names(names: list[str]) -> list[list[str]]:
    """Split sorted names into content-defined chunks: an added file moves no boundary."""
    chunks: list[list[str]] = [[]]
    for name in names:
        chunks[-1].append(name)
        if zlib.crc32(name.encode("utf-8", "surrogateescape")) % CHUNK_SIZE == 0:
            chunks.append([])
    return [c for c in chunks if c]


def plan(source: Path, cache: Path, formats: list[str], meta: BookMeta) -> list[BuildFormat]:
    """Return the tasks that build `formats`, each named by the content it depends on."""
    code = code_digest()
    names = list_sources(source)
    if not names:
        raise UsageError(f"{source}: no Markdown (*.md) files in this folder")
    chunks = []
    for group in chunk_names(names):
        parts = []
        for name in group:
            try:
                parts.append(name.encode("utf-8", "surrogateescape") + b"\0" + (source / name).read_bytes())
            except OSError:
                parts.append(name.encode("utf-8", "surrogateescape") + b"\0unreadable")
        chunks.append((digest(code, *parts), group))
    images = sorted(p for p in source.rglob("*") if p.is_file() and p.suffix.lower() in
                    (".png", ".jpg", ".jpeg", ".gif", ".webp"))
    image_digest = digest(*(p.relative_to(source).as_posix().encode() + p.read_bytes() for p in images))
    meta_dict = asdict(fill_meta(meta, _source_date(source, names)))
    book_digest = digest(code, image_digest, json.dumps(meta_dict, sort_keys=True), *(d for d, _ in chunks))
    book = {"source": str(source), "cache": str(cache), "digest": book_digest,
            "chunks": chunks, "meta": meta_dict}
    return [BuildFormat(source=str(source), cache=str(cache), digest=digest(book_digest, fmt), fmt=fmt, book=book)
            for fmt in formats]


def _source_date(source: Path, names: list[str]) -> str:
    """The book's date: SOURCE_DATE_EPOCH, else the newest source file's time."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None:
        epoch = max((source / n).stat().st_mtime for n in names)
    return dt.datetime.fromtimestamp(int(float(epoch)), dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def publish(data: bytes, path: Path) -> bool:
    """Put `data` at `path` atomically; False when the file already holds it."""
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    store.write_atomic(path, data)
    return True


def build(args: argparse.Namespace) -> int:
    """Run `wikibind build`; return the exit status."""
    started = time.perf_counter()
    source = Path(args.source).resolve()
    out = Path(args.out).resolve()
    if not source.is_dir() or not os.access(source, os.R_OK | os.X_OK):
        raise UsageError(f"{args.source}: not a readable folder")
    cache = Path(args.cache).resolve() if args.cache else out / ".cache"
    formats = list(dict.fromkeys(args.format or list(FORMATS)))
    meta = BookMeta(title=args.title or "Wiki Book")
    try:
        out.mkdir(parents=True, exist_ok=True)
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(f"{args.out}: cannot write there ({err.strerror})") from err
    if not os.access(out, os.W_OK):
        raise UsageError(f"{args.out}: cannot write there (permission denied)")
    tasks = plan(source, cache, formats, meta)

    scheduler = {"scheduler_url": args.scheduler_url} if args.scheduler_url else {"local_scheduler": True}
    result = luigi.build(tasks, workers=args.workers, detailed_summary=True, log_level="WARNING", **scheduler)
    ran = _partition_tasks(result.worker)
    if not all(t.complete() for t in tasks):
        _print(args, "wikibind: the build failed; previous outputs are untouched.\n" + result.summary_text)
        return 2

    book: Book = load_value(tasks[0].requires().output())
    outputs, republished = {}, []
    for task in tasks:
        path = out / f"{book.slug}.{task.fmt}"
        if publish(load_value(task.output()), path):
            republished.append(task.fmt)
        outputs[task.fmt] = str(path)
    seconds: dict[str, float] = {}
    for task in ran["completed"]:
        stage = _STAGE_OF.get(type(task).__name__) or getattr(task, "fmt", "other")
        seconds[stage] = round(seconds.get(stage, 0.0) + load_seconds(task.output()), 3)
    seconds["total"] = round(time.perf_counter() - started, 3)
    changed = sorted({n for t in ran["completed"] if isinstance(t, ConvertChunk) for n in t.names})
    report = {**book.stats, "problems": [p.as_dict() for p in book.problems], "outputs": outputs,
              "seconds": seconds,
              "tasks": {"run": len(ran["completed"]), "complete": len(ran["already_done"])},
              "changed": {"articles": changed, "outputs": republished}}
    store.write_atomic(out / "report.json", json.dumps(report, indent=2, ensure_ascii=False).encode("utf-8") + b"\n")
    errors = [p for p in book.problems if p.severity == "error"]
    _summary(args, book, report, errors)
    return 1 if errors else 0


def _summary(args: argparse.Namespace, book: Book, report: dict, errors: list) -> None:
    links = report["links"]
    lines = [f"wikibind: {report['articles']} chapters, {report['redirects']} redirects, "
             f"{report['notes']} notes, {report['sources']} sources in the bibliography",
             f"  links: {links['internal']} resolved, {links['dangling']} to pages not in the book "
             f"({len(links['wanted'])} pages wanted), {links['missing_sections']} to missing sections",
             f"  rebuilt: {report['tasks']['run']} tasks ({len(report['changed']['articles'])} articles); "
             f"{report['tasks']['complete']} already up to date; {report['seconds']['total']:.1f} s"]
    warnings = len(book.problems) - len(errors)
    if book.problems:
        lines.append(f"  problems: {len(errors)} files left out, {warnings} warnings (see report.json)")
        for problem in errors[:10]:
            lines.append(f"    {problem.file}: {problem.message}")
    for fmt, path in report["outputs"].items():
        lines.append(f"  {fmt:4} {path}")
    _print(args, "\n".join(lines))


def _print(args: argparse.Namespace, text: str) -> None:
    if not getattr(args, "quiet", False):
        print(text)


def parser() -> argparse.ArgumentParser:
    """Return the argument parser of `wikibind`."""
    top = argparse.ArgumentParser(prog="wikibind", description="Turn a wiki's Markdown export into books.")
    commands = top.add_subparsers(dest="command", required=True)
    b = commands.add_parser("build", help="build EPUB, PDF and one-file HTML from a wiki export")
    b.add_argument("source", nargs="?", default="examples", help="folder of exported pages (default: examples)")
    b.add_argument("-o", "--out", default="output", help="output folder (default: output)")
    b.add_argument("--format", action="append", choices=list(FORMATS), help="build only this format (repeatable)")
    b.add_argument("--title", help="the book's title")
    b.add_argument("--workers", type=int, default=2, help="parallel Luigi workers (default: 2)")
    b.add_argument("--scheduler-url", help="run under a luigid central scheduler at this URL")
    b.add_argument("--cache", help="cache folder (default: OUT/.cache)")
    b.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    return top


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `wikibind` command."""
    try:
        args = parser().parse_args(argv)
    except SystemExit as exit_:
        return 2 if exit_.code else 0
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    try:
        return build(args)
    except UsageError as err:
        print(f"wikibind: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
