"""The `wikibind` command line: plan the tasks, run them under Luigi, publish.

    wikibind build [SOURCE] [-o OUT] [--format FMT]... [--title TEXT]
                   [--workers N] [--scheduler-url URL]

Exit status: 0 when everything built; 1 when the book built but some source
file could not be used; 2 for usage errors or when no book could be built.
"""
from __future__ import annotations

import argparse
import fcntl
import glob
import json
import logging
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from functools import cache
from pathlib import Path

import jinja2
import luigi

from pipeline.config import KEYS, Config, paper_name, parse_config
from pipeline.leftovers import describe
from pipeline.model import Book, cores
from pipeline.render import environment
from pipeline.source import read_inside

from . import store
from .progress import progress
from .plan import BuildFailed, UsageError, folder_of, hashes_path, plan, plan_book
from .workflow import (FORMATS, BuildFormat, ConvertChunk, Summary,
                       load_book, load_header, load_value)

__all__ = ["main", "load_config", "parser"]

_STAGE_OF = {"CleanChunk": "clean", "ConvertChunk": "convert", "AssembleBook": "assemble",
             "RenderPdfChunk": "pdf_chunks"}


def load_config(source: Path, path: str | None, title: str | None, csl: str | None = None,
                paper: str | None = None, duplex: bool | None = None, crop_marks: bool | None = None,
                volume_pages: int | None = None) -> Config:
    """Read book.toml (or --config FILE); command-line options given (not None) win over it."""
    if path:
        try:
            data = Path(path).read_bytes()
        except OSError as err:
            raise UsageError(f"{path}: cannot read the configuration ({err.strerror})") from err
        config, problems = parse_config(data, Path(path).name)
    else:
        data = read_inside(folder_of(source), "book.toml")
        config, problems = parse_config(data, "book.toml") if data is not None else (Config(), [])
    config.problems = problems
    if title:
        config.meta.title = title
    if paper:
        config.pdf["paper"] = paper_name(paper) or _bad_paper(paper)
    if duplex is not None:
        config.pdf["duplex"] = duplex
    if crop_marks is not None:
        config.pdf["crop_marks"] = crop_marks
    if volume_pages is not None:
        config.pdf["volume_pages"] = volume_pages
    if csl:
        try:
            config.meta.csl_style = Path(csl).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise UsageError(f"{csl}: cannot read the CSL style ({err})") from err
    return config


def _bad_paper(name: str) -> str:
    raise UsageError(f"--paper {name} is not a paper size: {KEYS['pdf']['paper'][1]}")


def publish(data: bytes, path: Path) -> bool:
    """Put `data` at `path` atomically; False when the file already holds it."""
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:  # a size tells most changes apart
            return False
    except OSError:
        pass
    store.write_atomic(path, data)
    return True


def _prepare(args: argparse.Namespace) -> tuple[Path, Path, Path]:
    """Check the folders the user named; return (source, out, cache)."""
    source = Path(args.source).resolve()
    out = Path(args.out).resolve()
    if source.is_file():
        from pipeline.dump import is_dump

        if not is_dump(source):
            raise UsageError(f"{args.source}: not a folder of Markdown, nor a MediaWiki XML export "
                             "(.xml, .xml.bz2, .xml.gz)")
        if not os.access(source, os.R_OK):
            raise UsageError(f"{args.source}: not readable (permission denied)")
    elif not source.is_dir():
        raise UsageError(f"{args.source}: no such folder or export file")
    if source.is_dir() and not os.access(source, os.R_OK | os.X_OK):
        raise UsageError(f"{args.source}: not readable (permission denied)")
    cache = Path(args.cache).resolve() if args.cache else out / ".cache"
    for folder in (out, cache):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise UsageError(f"{folder}: cannot write there ({err.strerror})") from err
        if not os.access(folder, os.W_OK | os.X_OK):
            raise UsageError(f"{folder}: cannot write there (permission denied)")
    return source, out, cache


@contextmanager
def _lock(out: Path, quiet: bool) -> Iterator[None]:
    """Hold the output folder's lock: two runs never write one book at once."""
    with open(out / ".wikibind.lock", "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not quiet:
                print(f"wikibind: another build is writing to {out}; waiting for it to finish", file=sys.stderr)
            fcntl.flock(handle, fcntl.LOCK_EX)
        for stale in out.glob(".*.part"):  # left by a killed run; ours are renamed or removed
            stale.unlink(missing_ok=True)
        yield


def _run(tasks: list[luigi.Task], args: argparse.Namespace) -> dict[str, set]:
    """Run tasks under Luigi; return which tasks ran and which were already done."""
    scheduler = {"scheduler_url": args.scheduler_url} if args.scheduler_url else {"local_scheduler": True}
    config = luigi.configuration.get_config()
    config.set("worker", "wait_interval", "0.05")  # the default 1 s idles at every stage boundary
    if args.scheduler_url:
        # Wait for tasks another worker is running instead of giving up on them.
        config.set("worker", "keep_alive", "true")
    ran: dict[str, set] = {"completed": set(), "already_done": set()}
    # Under luigid a worker can finish its share while another still runs a
    # task it needs; it then asks again (a few times) instead of giving up.
    attempts = 20 if args.scheduler_url else 1
    with progress(tasks, quiet=getattr(args, "quiet", False)):
        for attempt in range(attempts):
            result = luigi.build(tasks, workers=args.workers, detailed_summary=True, log_level="ERROR", **scheduler)
            history = task_history(result)
            ran["completed"] |= {task for task, status, runnable in history if status == "DONE" and runnable is None}
            ran["already_done"] |= {task for task, status, _ in history if status == "DONE"} - ran["completed"]
            failed = {task for task, status, _ in history if status == "FAILED"} - ran["completed"]
            if all(t.complete() for t in tasks) or failed:
                break
            time.sleep(min(0.5 * (attempt + 1), 3.0))
    if not all(t.complete() for t in tasks):
        raise BuildFailed("the build failed; previous outputs are untouched")
    return ran


def task_history(result: luigi.execution_summary.LuigiRunResult) -> list[tuple[luigi.Task, str, object]]:
    """The worker's record of what it did: (task, status, runnable), runnable None where it ran the task itself.

    Luigi keeps it in a private attribute, read here alone (a test checks its
    shape). Its own summary also counts a task another worker finished while
    this one was still scheduling: under luigid, that would be counted twice.
    """
    return list(result.worker._add_task_history)


@luigi.Task.event_handler(luigi.Event.FAILURE)
def _explain_failure(task: luigi.Task, exception: BaseException) -> None:
    """Say which step failed and why, in one line (Luigi runs this where the task ran)."""
    print(f"wikibind: {type(task).__name__} failed: {exception}", file=sys.stderr)


def build(args: argparse.Namespace) -> int:
    """Run `wikibind build`; return the exit status."""
    source, out, cache = _prepare(args)
    if args.scheduler_url:  # luigid hands each task to one worker; only publishing is serialised
        return _build(args, source, out, cache)
    with _lock(out, args.quiet):  # the local scheduler knows no other run: take turns
        return _build(args, source, out, cache)


def _build(args: argparse.Namespace, source: Path, out: Path, cache: Path) -> int:
    started = time.perf_counter()
    formats = list(dict.fromkeys(args.format or list(FORMATS)))
    config = load_config(source, args.config, args.title, args.csl, args.paper, args.duplex, args.crop_marks,
                         getattr(args, "volume_pages", None))
    tasks = plan(source, cache, formats, config, _media(args, source, config))
    if any(task.fmt == "pdf" and not task.complete() for task in tasks):
        # WeasyPrint loaded once, before Luigi forks a process per task: each chunk's inherits it.
        import pipeline.pdf  # noqa: F401
    # Templates compiled once, not in every task's process (keyed by their source, so an edit recompiles).
    (cache / "jinja").mkdir(exist_ok=True)
    environment().bytecode_cache = jinja2.FileSystemBytecodeCache(str(cache / "jinja"))
    ran = _run(tasks, args)

    book: Summary = load_header(tasks[0].requires().output())["summary"]
    with _lock(out, args.quiet) if args.scheduler_url else nullcontext():
        status = _publish(args, book, tasks, ran, out, started)
        store.prune(cache, _live(tasks, cache))
        return status


def _media(args: argparse.Namespace, source: Path, config: Config) -> Path | None:
    """An export's media folder: --media, else book.toml's [source] media (beside book.toml); None without."""
    given = getattr(args, "media", None)
    if not given and not config.media:
        return None
    if not source.is_file():
        raise UsageError("--media and [source] media are for an XML export as SOURCE; a folder's images "
                         "are the ones inside it")
    where = Path(given).resolve() if given else (Path(args.config).resolve().parent if args.config
                                                 else folder_of(source)) / config.media
    if not where.is_dir():
        raise UsageError(f"{given or config.media}: the media folder does not exist")
    return where.resolve()


def _live(tasks: list[BuildFormat], cache: Path) -> set[Path]:
    """The cache entries a build used: what its next run (an edit, a no-op) reads."""
    live = {Path(cache) / "plan" / f"{tasks[0].book}.pickle", hashes_path(cache)}
    if Path(tasks[0].source).is_file():  # an export's pages, as planning stored them
        from .export import blob_path, listing_path

        plan_ = store.load(Path(cache) / "plan" / f"{tasks[0].book}.pickle")
        live |= {blob_path(cache, key) for _, articles in plan_.chunks for _, key in articles}
        live.add(listing_path(cache))
    todo: list[luigi.Task] = list(tasks)
    while todo:
        task = todo.pop()
        live.add(Path(task.output().path))
        todo += luigi.task.flatten(task.requires())
        header = load_header(task.output())
        live |= {Path(pack) for pack in header.get("used", [])}  # the memo's packs it used
        if isinstance(task, BuildFormat):  # the PDF's chunks are found while it runs: it lists them
            live |= {Path(cache) / "pdf" / f"{d}.pickle" for d in header.get("chunks", [])}
    return live


def _publish(args: argparse.Namespace, book: Summary, tasks: list[BuildFormat], ran: dict[str, set],
             out: Path, started: float) -> int:
    """Put the built books and report.json in place, then say what happened."""
    paths = {task.fmt: out / f"{book.slug}.{task.fmt}" for task in tasks}
    volumes: list[Path] = []
    for task in tasks:  # a PDF in volumes is stored as a list of them
        if task.fmt == "pdf" and load_header(task.output()).get("volumes"):
            volumes = [out / f"{book.slug}.vol{k}.pdf" for k in range(1, load_header(task.output())["volumes"] + 1)]
            paths["pdf"] = volumes[0]
    bib_path = out / f"{book.slug}.bib.json"
    contents = {paths[task.fmt]: lambda task=task: load_value(task.output()) for task in tasks
                if not (task.fmt == "pdf" and volumes)}
    if volumes:
        pdf_task, lock = next(task for task in tasks if task.fmt == "pdf"), threading.Lock()

        @cache
        def stored() -> list[bytes]:
            return load_value(pdf_task.output())

        def volume(k: int) -> bytes:
            with lock:  # read once, by whichever writer comes first
                return stored()[k]

        for k, path in enumerate(volumes):
            contents[path] = lambda k=k: volume(k)
    contents[bib_path] = lambda: book.bibliography_json

    def put(path: Path) -> bool:
        try:
            return publish(contents[path](), path)
        except OSError as err:
            raise BuildFailed(f"cannot write {path} ({err.strerror or err}); the previous file is untouched") from err

    with ThreadPoolExecutor() as pool:  # each file is flushed to disk: the waits overlap
        written = dict(zip(contents, pool.map(put, contents)))
    if "pdf" in paths:  # a book printed in volumes before and now in one (or fewer) files: the old ones go
        stale = {*out.glob(f"{glob.escape(book.slug)}.vol*.pdf"), out / f"{book.slug}.pdf"} - set(contents)
        for path in stale:
            if re.fullmatch(rf"{re.escape(book.slug)}(\.vol\d+)?\.pdf", path.name):
                path.unlink(missing_ok=True)
    outputs: dict[str, object] = {fmt: str(path) for fmt, path in paths.items()}
    if volumes:
        outputs["pdf_volumes"] = [str(path) for path in volumes]
    republished = [fmt for fmt, path in paths.items() if written[path]]
    seconds: dict[str, float] = {}
    for task in ran["completed"]:
        stage = _STAGE_OF.get(type(task).__name__) or getattr(task, "fmt", "other")
        seconds[stage] = round(seconds.get(stage, 0.0) + load_header(task.output())["seconds"], 3)
    seconds["total"] = round(time.perf_counter() - started, 3)
    changed = sorted({n for t in ran["completed"] if isinstance(t, ConvertChunk)
                      for n in load_header(t.output())["changed"]})
    report = {**book.stats, "problems": [p.as_dict() for p in book.problems], "outputs": outputs,
              "bibliography_json": str(bib_path),
              "seconds": seconds,
              "tasks": {"run": len(ran["completed"]), "complete": len(ran["already_done"])},
              "changed": {"articles": changed, "outputs": republished}}
    store.write_atomic(out / "report.json", json.dumps(report, indent=2, ensure_ascii=False).encode("utf-8") + b"\n")
    errors = [p for p in book.problems if p.severity == "error"]
    _summary(args, book, report, errors)
    return 1 if errors else 0


def check(args: argparse.Namespace) -> int:
    """Run `wikibind check`: clean and resolve only, then list the problems by file."""
    source, _, cache = _prepare(args)
    config = load_config(source, args.config, None)
    task = plan_book(source, cache, config, _media(args, source, config))
    _run([task], args)
    book: Book = load_book(task.output())
    by_file: dict[str, list[str]] = {}
    for problem in book.problems:
        by_file.setdefault(problem.file, []).append(f"{problem.severity}: {problem.message}")
    file_of = {ch.title: ch.file for ch in book.chapters}
    for target, pages in book.stats["wanted_by"].items():
        for page in pages:
            by_file.setdefault(file_of.get(page, page), []).append(f"warning: links to '{target}', which is not in the book")
    for target, pages in book.stats["missing_sections_by"].items():
        for page in pages:
            by_file.setdefault(file_of.get(page, page), []).append(f"warning: links to section '{target}', which does not exist")
    for entry in book.bibliography:
        if entry.kind == "unparsed":
            for c in entry.cited_in:
                by_file.setdefault(file_of.get(c.chapter_title, c.chapter_title), []).append(
                    f"info: note [^{c.note_label}] names no source wikibind could parse")
    for file in sorted(by_file):
        print(file)
        for line in by_file[file]:
            print(f"  {line}")
    errors = sum(1 for p in book.problems if p.severity == "error")
    warnings = sum(len([m for m in lines if m.startswith("warning")]) for lines in by_file.values())
    leftovers = book.stats.get("leftovers", {})
    if leftovers:
        print("wikitext left by the export (removed or converted): " + describe(leftovers))
    if book.stats.get("empty_notes"):
        print(f"empty notes (the export lost their text): {book.stats['empty_notes']} of {book.stats['notes']}")
    print(f"wikibind check: {len(book.chapters)} chapters, {errors} errors, {warnings} warnings")
    if errors:
        return 1
    return 1 if args.strict and warnings else 0


def _summary(args: argparse.Namespace, book: Summary, report: dict, errors: list) -> None:
    links = report["links"]
    lines = [f"wikibind: {report['articles']} chapters, {report['redirects']} redirects, "
             f"{report['notes']} notes, {report['sources']} sources in the bibliography",
             f"  links: {links['internal']} resolved, {links['dangling']} to pages not in the book "
             f"({len(links['wanted'])} pages wanted), {links['missing_sections']} to missing sections",
             f"  rebuilt: {report['tasks']['run']} tasks ({len(report['changed']['articles'])} articles); "
             f"{report['tasks']['complete']} already up to date; {report['seconds']['total']:.1f} s"]
    warnings = sum(1 for p in book.problems if p.severity == "warning")
    if report.get("leftovers") or report.get("empty_notes"):
        lines.append(f"  wikitext left by the export: {sum(report.get('leftovers', {}).values())} pieces removed "
                     f"or converted; {report.get('empty_notes', 0)} empty notes")
    if book.problems:
        lines.append(f"  problems: {len(errors)} files left out, {warnings} warnings (see report.json)")
        for problem in errors[:10]:
            lines.append(f"    {problem.file}: {problem.message}")
    for fmt, path in report["outputs"].items():
        if isinstance(path, str):
            lines.append(f"  {fmt:4} {path}")
    if "pdf_volumes" in report["outputs"]:
        lines.append(f"       in {len(report['outputs']['pdf_volumes'])} volumes: {book.slug}.vol1.pdf, ...")
    _print(args, "\n".join(lines))


def _pages(value: str) -> int:
    """Parse --volume-pages: a whole number of pages, 0 for one PDF."""
    try:
        pages = int(value)
    except ValueError:
        pages = -1
    if pages < 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of pages")
    return pages


def _print(args: argparse.Namespace, text: str) -> None:
    if not getattr(args, "quiet", False):
        print(text)


def parser() -> argparse.ArgumentParser:
    """Return the argument parser of `wikibind`."""
    top = argparse.ArgumentParser(prog="wikibind", description="Turn a wiki's Markdown export into books.")
    commands = top.add_subparsers(dest="command", required=True)
    b = argparse.ArgumentParser(add_help=False)  # the options of build, and of watch
    b.add_argument("source", nargs="?", default="examples",
                   help="folder of exported pages, or a MediaWiki XML export (.xml, .xml.bz2, .xml.gz) "
                        "(default: examples)")
    b.add_argument("--media", help="with an XML export: the folder of its media files (default: [source] media "
                                   "in book.toml)")
    b.add_argument("-o", "--out", default="output", help="output folder (default: output)")
    b.add_argument("--format", action="append", choices=list(FORMATS), help="build only this format (repeatable)")
    b.add_argument("--title", help="the book's title (overrides book.toml)")
    b.add_argument("--config", help="the book's configuration (default: SOURCE/book.toml)")
    b.add_argument("--csl", help="format the bibliography in this CSL style (default: Chicago author-date)")
    # PDF options default to book.toml's [pdf] table, and to PdfOptions's defaults where it says nothing.
    b.add_argument("--paper", help=f"PDF paper size: {KEYS['pdf']['paper'][1]} (default: [pdf] paper)")
    b.add_argument("--duplex", action=argparse.BooleanOptionalAction,
                   help="PDF for two-sided print: chapters open on the right (default: [pdf] duplex)")
    b.add_argument("--crop-marks", action=argparse.BooleanOptionalAction,
                   help="PDF with 3 mm bleed and crop marks, for a print shop (default: [pdf] crop_marks)")
    b.add_argument("--volume-pages", type=_pages, metavar="N",
                   help="print the PDF in volumes of at most N pages (OUT/SLUG.vol1.pdf, ...) "
                        "(default: [pdf] volume_pages)")
    b.add_argument("--workers", type=int, default=cores(), help="parallel Luigi workers (default: one per core)")
    b.add_argument("--scheduler-url", help="run under a luigid central scheduler at this URL")
    b.add_argument("--cache", help="cache folder (default: OUT/.cache)")
    b.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    commands.add_parser("build", parents=[b], help="build EPUB, PDF and one-file HTML from a wiki export")
    commands.add_parser("watch", parents=[b], help="build, then rebuild whenever the source folder changes")
    c = commands.add_parser("check", help="list the problems of a wiki export, building nothing")
    c.add_argument("source", nargs="?", default="examples",
                   help="folder of exported pages, or a MediaWiki XML export (default: examples)")
    c.add_argument("--media", help="with an XML export: the folder of its media files")
    c.add_argument("--strict", action="store_true", help="warnings fail the check too (exit status 1)")
    c.add_argument("--config", help="the book's configuration (default: SOURCE/book.toml)")
    c.add_argument("--cache", help="cache folder (default: a temporary one)")
    c.add_argument("--workers", type=int, default=cores(), help="parallel Luigi workers (default: one per core)")
    c.add_argument("--scheduler-url", help="run under a luigid central scheduler at this URL")
    t = commands.add_parser("cite", help="parse notes (one per line) into CSL-JSON, one array per line")
    t.add_argument("file", nargs="?", default="-", help="notes in Markdown, one per line (default or -: standard input)")
    return top


def cite(args: argparse.Namespace) -> int:
    """Write, for each line of notes, the JSON array of CSL items it cites (the build's own parser)."""
    from pipeline.citations import note_items

    try:
        stream = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")  # noqa: SIM115
    except OSError as err:
        raise UsageError(f"cannot read {args.file}: {err.strerror}") from err
    with stream:
        out = sys.stdout
        for line in stream:
            out.write(json.dumps(note_items(line.rstrip("\n")), ensure_ascii=False) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `wikibind` command."""
    try:
        args = parser().parse_args(argv)
    except SystemExit as exit_:
        return 2 if exit_.code else 0
    logging.getLogger("luigi-interface").setLevel(logging.CRITICAL)  # _explain_failure says it shortly
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    try:
        if args.command == "check":
            if not args.cache:
                with tempfile.TemporaryDirectory(prefix="wikibind-check-") as tmp:
                    args.out, args.cache = tmp, tmp
                    return check(args)
            args.out = args.cache
            return check(args)
        if args.command == "cite":
            return cite(args)
        if args.command == "watch":
            from .watch import watch

            return watch(args, build)
        return build(args)
    except (UsageError, BuildFailed) as err:
        print(f"wikibind: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
