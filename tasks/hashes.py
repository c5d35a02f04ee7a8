"""The content digests of the source files, kept from one run to the next as git's index keeps them.

Planning a build names every task by the content it reads, so it would read
and hash every page at every run; a scheduled rebuild of an unchanged wiki
would spend most of its time there. A file whose inode, size, modification
and change times are those it had when it was hashed is not read again. The
change time cannot be set back by a user, and a digest is kept only when the
file had not changed for a second before it was read, so an edit within one
tick of the clock, even one that keeps the size, is still seen.
"""
from __future__ import annotations

import os
import pickle
import stat
import time
from collections.abc import Callable
from pathlib import Path


from . import store
from .memo import digest

__all__ = ["FileHashes"]

_SETTLED_NS = 1_000_000_000  # far longer than any file system's time stamp granularity


class FileHashes:
    """Content digests of files, each kept while the file's stat says it did not change."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.known: dict[str, tuple[tuple[int, ...], str]] = store.load(path)
        except (OSError, store.CorruptEntry, pickle.UnpicklingError, EOFError):
            self.known = {}
        self.kept: dict[str, tuple[tuple[int, ...], str]] = {}

    def of(self, path: Path, key: str, read: Callable[[], bytes | None]) -> str:
        """The digest of the file at `path`, named `key`; `read` gives its bytes (None: refused) when needed."""
        try:
            info = os.lstat(path)
        except OSError:
            info = None
        regular = info is not None and stat.S_ISREG(info.st_mode)  # a link is read (and judged) every time
        signature = (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns) if regular else ()
        known = self.known.get(key)
        if regular and known is not None and known[0] == signature:
            self.kept[key] = known
            return known[1]
        data = read()
        found = digest(b"\0refused") if data is None else digest(data)
        if regular and time.time_ns() - info.st_ctime_ns > _SETTLED_NS:
            self.kept[key] = (signature, found)
        return found

    def save(self) -> None:
        """Store the digests this run took or confirmed, for the next (when they differ from the last)."""
        if self.kept != self.known:
            store.save(self.path, self.kept)
