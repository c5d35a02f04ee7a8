"""`wikibind watch`: rebuild incrementally whenever the source folder (or XML export) changes."""
from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

__all__ = ["watch"]


class _Changes(FileSystemEventHandler):
    """Remembers when the folder last changed; ignores the output folder."""

    def __init__(self, ignore: Path, only: set[Path] | None = None, below: Path | None = None) -> None:
        self.ignore = ignore
        self.only = only  # with an XML export: the files a build reads from its folder
        self.below = below  # and its media folder
        self.last = 0.0
        self.pending = threading.Event()

    def on_any_event(self, event: FileSystemEvent) -> None:
        """Note a change to anything but our own outputs (with an export: to what the build reads)."""
        path = Path(str(event.src_path)).resolve()
        if path == self.ignore or self.ignore in path.parents or event.event_type in ("opened", "closed_no_write"):
            return
        if self.only is not None:
            paths = {path, Path(str(getattr(event, "dest_path", "") or path)).resolve()}  # a re-export renamed in
            if not (paths & self.only or (self.below is not None and any(self.below in p.parents for p in paths))):
                return
        self.last = time.monotonic()
        self.pending.set()


def watch(args: argparse.Namespace, build: Callable[[argparse.Namespace], int],
          debounce: float = 1.0, stop: threading.Event | None = None) -> int:
    """Build once, then again after every burst of changes, until interrupted."""
    source = Path(args.source).resolve()
    observer = Observer()
    if source.is_file():  # an XML export: its folder (a re-export replaces the file), and its media
        media = Path(args.media).resolve() if getattr(args, "media", None) else None
        read = {source, *(source.parent / name for name in ("book.toml", "references.bib", "references.json"))}
        changes = _Changes(Path(args.out).resolve(), read, media)
        observer.schedule(changes, str(source.parent), recursive=False)
        if media is not None:
            observer.schedule(changes, str(media), recursive=True)
    else:
        changes = _Changes(Path(args.out).resolve())
        observer.schedule(changes, str(source), recursive=True)
    observer.start()
    stop = stop or threading.Event()
    args.quiet = True
    try:
        _rebuild(args, build)
        while not stop.is_set():
            if not changes.pending.wait(0.2):
                continue
            if time.monotonic() - changes.last < debounce:  # wait for the burst to end
                continue
            changes.pending.clear()
            _rebuild(args, build)
    except KeyboardInterrupt:
        pass
    finally:
        observer.stop()
        observer.join()
    return 0


def _rebuild(args: argparse.Namespace, build: Callable[[argparse.Namespace], int]) -> None:
    """Run one build and print one line about it; a failure is reported, not raised."""
    started = time.perf_counter()
    stamp = time.strftime("%H:%M:%S")
    try:
        status = build(args)
    except Exception as err:  # keep watching: the next edit may fix it
        print(f"{stamp} build failed: {err}", flush=True)
        return
    seconds = time.perf_counter() - started
    if status == 2:
        print(f"{stamp} build failed (see the message above); still watching", flush=True)
        return
    report = json.loads((Path(args.out) / "report.json").read_text(encoding="utf-8"))
    changed = report["changed"]
    what = f"{len(changed['articles'])} articles converted" if changed["articles"] else "no article changed"
    outputs = ", ".join(changed["outputs"]) or "nothing"
    problems = sum(1 for p in report["problems"] if p["severity"] == "error")
    print(f"{stamp} rebuilt in {seconds:.1f} s: {what}; republished {outputs}"
          + (f"; {problems} files left out" if problems else ""), flush=True)
