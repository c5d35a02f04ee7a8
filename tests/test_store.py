"""The build cache: an entry is trusted only while its checksum holds."""
from __future__ import annotations

import builtins
import os
import time
from pathlib import Path

import pytest

from tasks import store


def test_an_entry_reads_back_with_its_header(tmp_path: Path) -> None:
    path = tmp_path / "kind" / "entry.pickle"
    store.save(path, {"value": [1, 2]}, seconds=1.5)
    assert store.is_valid(path)
    assert store.load(path) == {"value": [1, 2]}
    assert store.header(path) == {"seconds": 1.5}


def test_damage_after_verification_is_still_noticed(tmp_path: Path) -> None:
    """This process verified the entry once; an edit in place (same size) must not ride on that."""
    path = tmp_path / "entry.pickle"
    store.save(path, "a value long enough to corrupt", seconds=0.0)
    assert store.is_valid(path) and store.load(path)
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF
    stat = path.stat()
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # even with its old time
    assert not store.is_valid(path)
    with pytest.raises(store.CorruptEntry):
        store.load(path)
    store.save(path, "rebuilt", seconds=0.0)
    assert store.is_valid(path) and store.load(path) == "rebuilt"


def test_a_missing_or_truncated_entry_is_not_valid(tmp_path: Path) -> None:
    path = tmp_path / "entry.pickle"
    assert not store.is_valid(path)
    store.save(path, list(range(1000)))
    path.write_bytes(path.read_bytes()[:100])
    assert not store.is_valid(path)


def test_an_entry_of_an_older_layout_is_not_valid(tmp_path: Path) -> None:
    import hashlib
    import pickle

    path = tmp_path / "old.pickle"
    payload = pickle.dumps(({"seconds": 1.0}, pickle.dumps("value")))  # a checksum that matches, another layout
    path.write_bytes(hashlib.sha256(payload).digest() + payload)
    assert not store.is_valid(path)
    with pytest.raises(store.CorruptEntry):
        store.header(path)


def test_the_header_is_read_alone_once_the_entry_is_verified(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "book.pickle"
    store.save(path, "x" * 1_000_000, summary=("slug", 3))
    assert store.is_valid(path)
    reads: list[int] = []
    real_open = open

    def watched_open(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        real_read = handle.read
        handle.read = lambda size=-1: reads.append(size) or real_read(size)
        return handle

    monkeypatch.setattr(builtins, "open", watched_open)
    assert store.header(path) == {"summary": ("slug", 3)}
    assert reads and all(0 <= size < 1000 for size in reads)  # never the million-byte value


def test_prune_keeps_what_was_used_and_as_much_again_of_the_most_recent(tmp_path: Path) -> None:
    def entry(kind: str, name: str, size: int, age: float) -> Path:
        path = tmp_path / kind / f"{name}.pickle"
        store.save(path, b"x" * size)
        stamp = time.time() - age
        os.utime(path, (stamp, stamp))
        return path

    live = {entry("book", "now", 1000, 5000), entry("out", "now", 1000, 5000)}  # used long ago, and again now
    recent, older, oldest = entry("book", "recent", 900, 10), entry("out", "older", 900, 20), entry("book", "old", 900, 30)
    stale = tmp_path / "book" / ".now.pickle.abc.part"
    stale.write_bytes(b"half")
    os.utime(stale, (time.time() - 7200,) * 2)
    assert store.prune(tmp_path, live) == 1
    assert all(p.exists() for p in (*live, recent, older)) and not oldest.exists() and not stale.exists()
    assert all(time.time() - p.stat().st_mtime < 60 for p in live) and all(store.is_valid(p) for p in live)
