"""A memo in shards: an edit rewrites the shards whose keys changed, and a build reads back what it kept."""
from __future__ import annotations

from pathlib import Path

from pipeline.reuse import Reuse
from tasks import memo


def _build(cache: Path, items: list[str], code: str = "code") -> Reuse:
    reuse = memo.load(cache, "html", code)
    for item in items:
        reuse.keep(("render", item), lambda item=item: f"<p>{item}</p>")
    reuse.leave("search index", [reuse.take("search index"), len(items)])
    memo.save(cache, "html", code, reuse)
    return reuse


def _times(cache: Path) -> dict[Path, int]:
    return {path: path.stat().st_mtime_ns for path in memo.paths(cache, "html") if path.exists()}


def test_an_edit_rewrites_only_the_shards_it_touched(tmp_path: Path) -> None:
    items = [f"chapter {i}" for i in range(200)]
    _build(tmp_path, items)
    before = _times(tmp_path)
    assert len(before) == memo.SHARDS + 1  # 200 keys fill every shard
    again = _build(tmp_path, [*items[:-1], "chapter 199, edited"])
    assert len(again.previous) == 200  # all read back (the named entry was taken)
    rewritten = [path for path, ns in _times(tmp_path).items() if ns != before[path]]
    assert memo.paths(tmp_path, "html")[-1] in rewritten  # the named shard, always
    assert 2 <= len(rewritten) <= 3  # and the shards the old and new key fall in
    third = memo.load(tmp_path, "html", "code")
    assert third.keep(("render", "chapter 199, edited"), lambda: "made again") == "<p>chapter 199, edited</p>"
    assert third.take("search index") == [[None, 200], 200]


def test_shards_another_code_made_are_not_used(tmp_path: Path) -> None:
    _build(tmp_path, ["a", "b"], code="old")
    assert memo.load(tmp_path, "html", "new").previous == {}
    _build(tmp_path, ["a", "b"], code="new")  # every shard written again, under the new code
    assert memo.load(tmp_path, "html", "new").keep(("render", "a"), lambda: "made") == "<p>a</p>"


def test_a_damaged_shard_costs_its_entries_only(tmp_path: Path) -> None:
    items = [f"chapter {i}" for i in range(100)]
    _build(tmp_path, items)
    victim = next(path for path in memo.paths(tmp_path, "html") if path.exists())
    victim.write_bytes(victim.read_bytes()[:-3] + b"bad")
    reuse = memo.load(tmp_path, "html", "code")
    assert 0 < len(reuse.previous) < 100 + 1
    _build(tmp_path, items)  # the damaged shard's keys are made again and the shard rewritten
    assert len(memo.load(tmp_path, "html", "code").previous) == 100 + 1
