"""The build cache: content-addressed, verified files under `OUT/.cache/`.

Every entry is the SHA-256 of its payload followed by the pickled payload,
so a truncated or corrupted entry is noticed and rebuilt, never trusted.
The payload is a small header (how long the work took, a summary) and the
value pickled apart, so reading the header never unpickles a whole book.
"""
from __future__ import annotations

import gc
import hashlib
import os
import pickle
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["save", "load", "header", "is_valid", "write_atomic", "CorruptEntry"]


class CorruptEntry(Exception):
    """A cache entry whose content does not match its checksum."""


# Entries this process has verified, by path, with the stat signature they had then:
# one build checks an entry's completeness several times and loads it, but hashes it once.
_verified: dict[str, tuple[int, ...]] = {}


def _signature(stat: os.stat_result) -> tuple[int, ...]:
    # A rewrite (ours rename a new inode in) or an edit in place changes one of these.
    return stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns


@contextmanager
def _no_collection() -> Iterator[None]:
    # (Un)pickling a book makes or walks a few hundred thousand objects; the cyclic
    # collector would scan them over and over meanwhile (3x the time), finding nothing.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def save(path: Path, value: Any, **header: Any) -> None:
    """Write `value` (and small `header` fields) to `path` atomically, with its checksum."""
    with _no_collection():
        payload = pickle.dumps((header, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)),
                               protocol=pickle.HIGHEST_PROTOCOL)
    write_atomic(path, hashlib.sha256(payload).digest() + payload, sync=False)
    _verified[str(path)] = _signature(path.stat())


def load(path: Path) -> Any:
    """Read a cache entry's value, raising CorruptEntry when it does not verify."""
    value = _read(path)[1]
    with _no_collection():
        return pickle.loads(value)


def header(path: Path) -> dict[str, Any]:
    """Read a cache entry's header fields, raising CorruptEntry when it does not verify."""
    return _read(path)[0]


def _read(path: Path) -> tuple[dict[str, Any], bytes]:
    payload = _verified_payload(path)
    if payload is None:
        raise CorruptEntry(f"{path} is corrupted")
    entry = pickle.loads(payload)
    if not (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], dict)):
        raise CorruptEntry(f"{path} is not a cache entry of this wikibind")
    return entry


def is_valid(path: Path) -> bool:
    """True when `path` exists and its checksum matches."""
    try:
        return _verified.get(str(path)) == _signature(path.stat()) or _verified_payload(path) is not None
    except OSError:
        return False


def _verified_payload(path: Path) -> memoryview | None:
    """The entry's payload (what follows the checksum); None when the checksum does not match."""
    with open(path, "rb") as handle:
        signature = _signature(os.fstat(handle.fileno()))
        data = handle.read()
    payload = memoryview(data)[32:]  # no copy of a book-sized buffer
    if _verified.get(str(path)) != signature:
        if len(data) < 32 or hashlib.sha256(payload).digest() != data[:32]:
            _verified.pop(str(path), None)
            return None
        _verified[str(path)] = signature
    return payload


def write_atomic(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Write `data` to a temporary file beside `path`, then rename it into place.

    `sync` flushes it to disk first; cache entries skip that, as their checksum
    catches what a crash could leave half-written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if sync:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
