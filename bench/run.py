"""Benchmark wikibind against what a user would run instead, in one run, same corpus.

    .venv/bin/python bench/run.py --articles 1000 --repeat 3

    .venv/bin/python bench/run.py --articles 200 --repeat 3 --pdf-only
    .venv/bin/python bench/run.py --articles 400 --join-memory

Peers: `pandoc -o book.epub *.md`, `pandoc --standalone --embed-resources -o
book.html *.md`, and WeasyPrint on that one HTML document. Prints medians of
wall time and the peak RSS of the largest process, and wikibind's ratios to
the peers. Machines are noisy: read the ratios, not the seconds.

`--join-memory` builds the PDF once, then joins its cached chunks again in a
process of its own (the front and back matter laid out by a pool of workers,
as a build does) and prints that process's peak RSS: the join's memory alone.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pypandoc

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from bench.make_corpus import build as make_corpus  # noqa: E402

WIKIBIND = [sys.executable, "-m", "tasks.cli", "build"]


def measure(command: list[str], cwd: Path) -> tuple[float, int, float]:
    """Run a command; return (seconds, peak RSS in MiB of its largest process, CPU seconds of it and its children)."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"failed: {' '.join(command)}\n{proc.stderr.read().decode()[-2000:]}")
    proc.stderr.close()
    # ru_maxrss: KiB on Linux, the largest of it and its waited-for descendants; CPU time sums them all, and
    # unlike wall time it hardly moves when other work shares the machine.
    return seconds, usage.ru_maxrss // 1024, usage.ru_utime + usage.ru_stime


def median(runs: list[tuple[float, int, float]]) -> tuple[float, int, float]:
    """Median seconds, median peak RSS and median CPU seconds of repeated runs."""
    return (statistics.median(r[0] for r in runs), int(statistics.median(r[1] for r in runs)),
            statistics.median(r[2] for r in runs))


def run_peers(run: Callable[..., None], work: Path, source: Path, pages: list[str], title: list[str], no_pdf: bool) -> None:
    """Time what a user would run instead of wikibind."""
    pandoc = pypandoc.get_pandoc_path()
    run("pandoc epub", [pandoc, "-f", "gfm", "-o", str(work / "peer.epub"), *title, *pages], source)
    run("pandoc html", [pandoc, "-f", "gfm", "--standalone", "--embed-resources", "-o", str(work / "peer.html"),
                        *title, *pages], source)
    if not no_pdf:
        run("weasyprint one document", [sys.executable, "-m", "weasyprint", str(work / "peer.html"),
                                        str(work / "peer.pdf")], source)


def join_alone(out: Path) -> None:
    """Join a built book's cached PDF chunks again; print the pages, seconds and this process's peak RSS."""
    import resource
    from collections.abc import Sequence

    from pipeline.pdf import PdfOptions, assemble_pdf, cores, process_pool
    from pipeline.pdf.objects import describe
    from tasks import store

    cache = out / ".cache"
    (book_file,) = (cache / "book").glob("*.pickle")
    book = store.load(book_file).unpack()
    order = {chapter.id: i for i, chapter in enumerate(book.chapters)}
    files = sorted((order[store.load(f).chapters[0]], f) for f in (cache / "pdf").glob("*.pickle"))

    class Stored(Sequence):
        """The chunks read from the cache when indexed, one at a time, as a build reads them."""

        def __len__(self) -> int:
            return len(files)

        def __getitem__(self, index: int) -> object:  # type: ignore[override]
            return store.load(files[index][1])

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    started = time.perf_counter()
    with process_pool(cores()) as pool:
        pdf = assemble_pdf(book, Stored(), PdfOptions(), mapper=pool.map)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"{len(book.chapters)} articles, {len(files)} chunks, {describe(pdf)[0]} pages, {len(pdf) / 2**20:.1f} MiB: "
          f"join {seconds:.1f} s, peak RSS {peak} MiB (before the join {before} MiB)")


def report(args: argparse.Namespace, rows: dict[str, list[tuple[float, int, float]]]) -> dict[str, tuple]:
    """Print the table of medians; return them by run."""
    med = {name: median(runs) for name, runs in rows.items()}
    print(f"# {args.articles} articles, median of {args.repeat}; {os.cpu_count()} cores, "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, "
          f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}")
    print(f"{'run':34} {'seconds':>9} {'peak MiB':>9} {'CPU s':>9}  (peak: the largest single process)")
    for name, (seconds, rss, cpu) in med.items():
        print(f"{name:34} {seconds:9.2f} {rss:9d} {cpu:9.2f}")
    return med


def _ratio(rows: dict[str, list[tuple[float, int, float]]], name: str, column: int) -> float:
    """Return the median over runs of one run's ratio to the WeasyPrint run beside it (seconds: 0, CPU: 2)."""
    return statistics.median(ours[column] / peer[column]
                             for ours, peer in zip(rows[name], rows["weasyprint one document"]))


def main() -> None:
    """Generate the corpus, run peers and wikibind, print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-pdf", action="store_true", help="leave out the PDF measurements (the slow part)")
    ap.add_argument("--pdf-only", action="store_true",
                    help="only the PDF: wikibind's against WeasyPrint on pandoc's one HTML document")
    ap.add_argument("--no-peers", action="store_true",
                    help="time wikibind alone (at 10,000 articles WeasyPrint on one document needs more memory than "
                         "this kind of machine has)")
    ap.add_argument("--join-memory", action="store_true",
                    help="the peak RSS of the PDF's join alone, in a process of its own")
    ap.add_argument("--join-from", metavar="OUT", help=argparse.SUPPRESS)  # that process: join OUT's cached chunks
    args = ap.parse_args()
    if args.join_from:
        join_alone(Path(args.join_from))
        return

    work = Path(tempfile.mkdtemp(prefix="wikibind-bench-"))
    source = work / "src"
    make_corpus(source, args.articles, 7, True)
    pages = sorted(p.name for p in source.glob("*.md"))
    root = HERE.parent
    env_title = ["--metadata", "title=Bench"]
    rows: dict[str, list[tuple[float, int, float]]] = {}

    def run(name: str, command: list[str], cwd: Path = root, before=None) -> None:
        for _ in range(args.repeat):
            if before:
                before()
            rows.setdefault(name, []).append(measure(command, cwd))

    def fresh() -> None:
        shutil.rmtree(work / "out", ignore_errors=True)

    if args.join_memory:
        subprocess.run([*WIKIBIND, str(source), "-o", str(work / "out"), "--title", "Bench", "-q", "--format", "pdf"],
                       cwd=root, check=True)
        subprocess.run([sys.executable, __file__, "--join-from", str(work / "out")], cwd=root, check=True)
        shutil.rmtree(work, ignore_errors=True)
        return
    if args.pdf_only:
        pandoc = pypandoc.get_pandoc_path()
        subprocess.run([pandoc, "-f", "gfm", "--standalone", "--embed-resources", "-o", str(work / "peer.html"),
                        *env_title, *pages], cwd=source, check=True)
        out = ["-o", str(work / "out"), "--title", "Bench", "-q"]
        for _ in range(args.repeat):  # in turn: the machine's drift falls alike on each side of the ratio
            rows.setdefault("weasyprint one document", []).append(
                measure([sys.executable, "-m", "weasyprint", str(work / "peer.html"), str(work / "peer.pdf")], source))
            fresh()
            rows.setdefault("wikibind pdf", []).append(measure([*WIKIBIND, str(source), *out, "--format", "pdf"], root))
        report(args, rows)
        print(f"pdf / weasyprint one document               "
              f"{_ratio(rows, 'wikibind pdf', 0):.2f}  [<= 0.70]  (CPU seconds: {_ratio(rows, 'wikibind pdf', 2):.2f})")
        shutil.rmtree(work, ignore_errors=True)
        return
    if not args.no_peers:
        run_peers(run, work, source, pages, env_title, args.no_pdf)
    out = ["-o", str(work / "out"), "--title", "Bench", "-q"]
    for fmt in ("epub", "html"):
        run(f"wikibind {fmt}", [*WIKIBIND, str(source), *out, "--format", fmt], before=fresh)
    edited = source / "Marxism-Leninism.md"
    original = edited.read_text(encoding="utf-8")
    counter = iter(range(10**6))

    def edit() -> None:
        edited.write_text(original + f"\nEdited {next(counter)}.\n", encoding="utf-8")

    # A full build, a no-op and an edit, in turn: the machine's drift falls alike on each side of a ratio.
    both = [*WIKIBIND, str(source), *out, "--format", "epub", "--format", "html"]
    for _ in range(args.repeat):
        fresh()
        rows.setdefault("wikibind epub+html", []).append(measure(both, root))
        rows.setdefault("wikibind no-op (epub+html)", []).append(measure(both, root))
        edit()
        rows.setdefault("wikibind one edit (epub+html)", []).append(measure(both, root))
    if not args.no_pdf:
        run("wikibind pdf", [*WIKIBIND, str(source), *out, "--format", "pdf"], before=fresh)
        run("wikibind one edit (pdf)", [*WIKIBIND, str(source), *out, "--format", "pdf"], before=edit)
        run("wikibind all three", [*WIKIBIND, str(source), *out], before=fresh)
    edited.write_text(original, encoding="utf-8")

    med = report(args, rows)
    t = {k: v[0] for k, v in med.items()}
    if args.no_peers:
        shutil.rmtree(work, ignore_errors=True)
        return
    print("\n# ratios (goal in brackets)")
    print(f"epub+html from scratch / pandoc epub        {t['wikibind epub+html'] / t['pandoc epub']:.2f}  [<= 0.50]")
    print(f"no-op rebuild seconds                       {t['wikibind no-op (epub+html)']:.2f}  [<= 1 s]")
    print(f"one edit / full build (epub+html)           "
          f"{t['wikibind one edit (epub+html)'] / t['wikibind epub+html']:.2f}  [<= 0.15]")
    if not args.no_pdf:
        chain = t["pandoc epub"] + t["pandoc html"] + t["weasyprint one document"]
        print(f"pdf / weasyprint one document               {t['wikibind pdf'] / t['weasyprint one document']:.2f}  "
              f"[<= 0.70]  (CPU seconds: {med['wikibind pdf'][2] / med['weasyprint one document'][2]:.2f})")
        print(f"all three / peer chain                      {t['wikibind all three'] / chain:.2f}  [<= 0.45]")
        print(f"pdf peak RSS / weasyprint one document      "
              f"{med['wikibind pdf'][1] / med['weasyprint one document'][1]:.2f}  [<= 0.50]")
        print(f"one edit / full build (pdf)                 "
              f"{t['wikibind one edit (pdf)'] / t['wikibind pdf']:.2f}  [<= 0.35]")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
