"""The build cache: an entry is trusted only while its checksum holds."""
from __future__ import annotations

import os
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
