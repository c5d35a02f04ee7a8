"""The build cache: content-addressed, verified files under `OUT/.cache/`.

An entry is the SHA-256 of its payload, then the payload: a format mark, the
length of the header, a small pickled header (how long the work took, a
summary) and the pickled value. A truncated or corrupted entry is noticed and
rebuilt, never trusted; once an entry is verified, its header is read
without the value, so publishing never reads a whole book.
"""
from __future__ import annotations

import gc
import hashlib
import os
import pickle
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["save", "load", "entry", "header", "is_valid", "write_atomic", "prune", "no_collection", "CorruptEntry"]


class CorruptEntry(Exception):
    """A cache entry whose content does not match its checksum."""


# Entries this process has verified, by path, with the stat signature they had then:
# one build checks an entry's completeness several times and loads it, but hashes it once.
_verified: dict[str, tuple[int, ...]] = {}
_MARK = b"wikibind-cache-2\n"  # entries of another layout are not valid: they are made again


def _signature(stat: os.stat_result) -> tuple[int, ...]:
    # A rewrite (ours rename a new inode in) or an edit in place changes one of these.
    return stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns


@contextmanager
def no_collection() -> Iterator[None]:
    """Pause the cyclic collector (while (un)pickling)."""
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
    with no_collection():
        head = pickle.dumps(header, protocol=pickle.HIGHEST_PROTOCOL)
        body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    pieces = (_MARK, len(head).to_bytes(8, "big"), head, body)
    checksum = hashlib.sha256()
    for piece in pieces:  # not joined: a book-sized value is not copied twice more
        checksum.update(piece)
    write_atomic(path, (checksum.digest(), *pieces), sync=False)
    _verified[str(path)] = _signature(path.stat())


def load(path: Path) -> Any:
    """Read a cache entry's value, raising CorruptEntry when it does not verify."""
    payload = _verified_payload(path)
    start = _body_start(path, payload)
    with no_collection():
        return pickle.loads(payload[start:])


def entry(path: Path) -> tuple[dict[str, Any], Any]:
    """Read a cache entry's header and value at one go, raising CorruptEntry when it does not verify."""
    payload = _verified_payload(path)
    start = _body_start(path, payload)
    with no_collection():
        return pickle.loads(payload[len(_MARK) + 8:start]), pickle.loads(payload[start:])


def header(path: Path) -> dict[str, Any]:
    """Read a cache entry's header fields, raising CorruptEntry when it does not verify."""
    with open(path, "rb") as handle:
        if _verified.get(str(path)) == _signature(os.fstat(handle.fileno())):  # read the header alone
            start = 32 + len(_MARK) + 8
            prefix = handle.read(start)
            payload = memoryview(prefix + handle.read(int.from_bytes(prefix[-8:], "big")))[32:]
        else:
            payload = _verified_payload(path)
    header = pickle.loads(payload[len(_MARK) + 8:_body_start(path, payload)])
    if not isinstance(header, dict):
        raise CorruptEntry(f"{path} is not a cache entry of this wikibind")
    return header


def _body_start(path: Path, payload: memoryview) -> int:
    """Where the value starts in a verified payload."""
    if payload[:len(_MARK)] != _MARK:
        raise CorruptEntry(f"{path} is not a cache entry of this wikibind")
    return len(_MARK) + 8 + int.from_bytes(payload[len(_MARK):len(_MARK) + 8], "big")


def is_valid(path: Path) -> bool:
    """True when `path` exists, is an entry of this format and its checksum matches."""
    try:
        return _verified.get(str(path)) == _signature(path.stat()) or bool(_verified_payload(path))
    except (OSError, CorruptEntry):
        return False


def _verified_payload(path: Path) -> memoryview:
    """The entry's payload (what follows the checksum), raising CorruptEntry when the checksum does not match."""
    with open(path, "rb") as handle:
        signature = _signature(os.fstat(handle.fileno()))
        data = handle.read()
    payload = memoryview(data)[32:]  # no copy of a book-sized buffer
    if _verified.get(str(path)) != signature:
        if len(data) < 32 + len(_MARK) or payload[:len(_MARK)] != _MARK \
                or hashlib.sha256(payload).digest() != data[:32]:
            _verified.pop(str(path), None)
            raise CorruptEntry(f"{path} is corrupted or not a cache entry of this wikibind")
        _verified[str(path)] = signature
    return payload


def write_atomic(path: Path, data: bytes | Iterable[bytes], *, sync: bool = True) -> None:
    """Write `data` (bytes, or pieces of it) to a temporary file beside `path`, then rename it into place.

    `sync` flushes it to disk first; cache entries skip that, as their checksum
    catches what a crash could leave half-written.
    """
    # Named by process and thread: a build writes thousands of entries, and
    # tempfile's random names cost more than the write itself. A killed run's leftovers are pruned.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.part")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(tmp, flags, 0o644)
    except FileNotFoundError:  # the folder is made when first needed, not checked before every entry
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, flags, 0o644)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.writelines([data] if isinstance(data, bytes) else data)
            if sync:
                handle.flush()
                os.fsync(handle.fileno())
        if sync:
            os.chmod(tmp, 0o644)  # a published book is readable by all, whatever the umask
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def prune(cache: Path, live: set[Path]) -> int:
    """Keep the cache from growing with every rebuild; return how many entries were deleted.

    `live` are the entries the build just made or used: they are marked used
    now. Of the others, the most recently used are kept up to as many bytes
    again as the live ones (another format's, another book's, a concurrent
    build's: they cost little to keep), the rest deleted. A crashed write's
    leftovers go too, once an hour old.
    """
    now = time.time()
    for path in live:
        try:
            os.utime(path)
            if str(path) in _verified:  # still the content verified: only its time changed
                _verified[str(path)] = _signature(path.stat())
        except OSError:
            pass
    sized: list[tuple[float, int, Path]] = []
    budget = 0
    for path in [*cache.glob("*/*"), *cache.glob("memo/*/*")]:  # the memo keeps a folder per function
        try:
            stat = path.lstat()
        except OSError:
            continue
        if path.name.endswith(".part"):
            if now - stat.st_mtime > 3600:
                path.unlink(missing_ok=True)
        elif path in live:
            budget += stat.st_size
        elif path.suffix == ".pickle" and path.is_file():
            sized.append((stat.st_mtime, stat.st_size, path))
    deleted = 0
    for _, size, path in sorted(sized, key=lambda entry: -entry[0]):  # most recently used first
        budget -= size
        if budget < 0:
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted
