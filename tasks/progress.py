"""Progress of a build, read from the cache as tasks finish.

Watching the cache instead of Luigi's events works the same whether tasks
run in this process, in worker processes or on other machines under luigid.
"""
from __future__ import annotations

import sys
import threading
from pathlib import Path
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

import luigi

__all__ = ["progress"]


def _stages(tasks: list[luigi.Task]) -> list[tuple[str, list[luigi.Task], list[int]]]:
    """Return (stage label, tasks, articles per task) in the order they run."""
    book = tasks[0].requires() if hasattr(tasks[0], "fmt") else tasks[0]
    converts = book.requires()
    cleans = [c.requires() for c in converts]
    sizes = [len(c.listed) for c in converts]
    stages = [("cleaning", cleans, sizes), ("converting", converts, sizes), ("assembling", [book], [0])]
    if hasattr(tasks[0], "fmt"):
        stages += [(f"building {t.fmt}", [t], [0]) for t in tasks]
    return stages


@contextmanager
def progress(tasks: list[luigi.Task], *, quiet: bool) -> Iterator[None]:
    """Show the current stage and articles done while the block runs."""
    if quiet:
        yield
        return
    stages = _stages(tasks)
    total = sum(stages[0][2])
    stop = threading.Event()

    def done(task: luigi.Task) -> bool:
        return Path(task.output().path).exists()  # cheap: Luigi verifies checksums itself

    def state() -> tuple[str, int]:
        converted = sum(n for t, n in zip(stages[1][1], stages[1][2]) if done(t))
        for label, group, _ in stages:
            if not all(done(t) for t in group):
                return label, converted
        return "done", converted

    if sys.stderr.isatty():
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        display = Progress(TextColumn("{task.description:<18}"), BarColumn(), MofNCompleteColumn(),
                           TextColumn("articles"), TimeElapsedColumn(), transient=True)
        job = display.add_task("starting", total=total)

        def show(label: str, converted: int) -> None:
            display.update(job, description=label, completed=converted)
        interval = 0.25
    else:
        display, last = nullcontext(), [""]

        def show(label: str, converted: int) -> None:  # a plain line per stage, for logs
            if label not in (last[0], "done"):
                print(f"wikibind: {label} ({converted}/{total} articles converted)", file=sys.stderr, flush=True)
                last[0] = label
        interval = 1.0

    def loop() -> None:
        while not stop.wait(interval):
            show(*state())

    with display:
        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
