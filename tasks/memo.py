"""Where a kind of task keeps its `Reuse` for the next build: `.cache/reuse/<name>-<shard>.pickle`.

A memo holds a whole book's renderings (tens of MB at 1,000 articles) and an
edit changes a handful of its entries, so it is stored in shards by key: a
shard whose keys did not change holds the same values (a key is a digest of
everything its value is made from) and is not written again. What is handed
down by name (`Reuse.leave`) changes at every build and goes in a shard of
its own. Each shard is a cache entry: verified, and written atomically, so a
build killed half-way leaves old and new shards side by side, which is only
a few cache misses.
"""
from __future__ import annotations

import pickle
import zlib
from collections.abc import Iterable
from pathlib import Path

from pipeline.reuse import Reuse

from . import store

__all__ = ["load", "save", "paths"]

SHARDS = 32
_NAMED = "named"


def _shard(key: str) -> int:
    return zlib.crc32(key.encode("utf-8")) % SHARDS


def paths(cache: Path, name: str) -> list[Path]:
    """The files of a memo."""
    return [Path(cache) / "reuse" / f"{name}-{shard}.pickle" for shard in [*range(SHARDS), _NAMED]]


def load(cache: Path, name: str, code: str) -> Reuse:
    """What the last build kept under `name`, from the shards that `code` made (others are of no use)."""
    previous: dict[str, object] = {}
    for path in paths(cache, name):
        try:
            head, entries = store.entry(path)
        except (OSError, store.CorruptEntry, pickle.UnpicklingError, EOFError):
            continue
        if head.get("code") == code:
            previous.update(entries)
    return Reuse(previous)


def save(cache: Path, name: str, code: str, reuse: Reuse) -> None:
    """Store what this build kept, writing only the shards whose keys changed (and the named shard)."""
    shards: list[dict[str, object]] = [{} for _ in range(SHARDS)]
    named: dict[str, object] = {}
    for key, value in reuse.kept.items():
        if key in reuse.left:
            named[key] = value
        else:
            shards[_shard(key)][key] = value
    before = _keys_by_shard(key for key in reuse.previous if key not in reuse.left)
    files = paths(cache, name)
    for shard, entries in enumerate(shards):
        if entries.keys() != before[shard]:
            store.save(files[shard], entries, code=code)
    store.save(files[-1], named, code=code)


def _keys_by_shard(keys: Iterable[str]) -> list[set[str]]:
    by_shard: list[set[str]] = [set() for _ in range(SHARDS)]
    for key in keys:
        by_shard[_shard(key)].add(key)
    return by_shard
