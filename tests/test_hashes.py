"""The plan's record of source digests: a file is read again exactly when it may have changed."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from tasks import hashes
from tasks.hashes import FileHashes


def _digests(folder: Path, record: Path, reads: list[str]) -> dict[str, str]:
    found = FileHashes(record)

    def read(name: str) -> bytes:
        reads.append(name)
        return (folder / name).read_bytes()

    digests = {p.name: found.of(p, p.name, lambda p=p: read(p.name)) for p in sorted(folder.glob("*.md"))}
    found.save()
    return digests


def _later(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash as if 5 s had passed since the files were written."""
    now = time.time_ns
    monkeypatch.setattr(hashes.time, "time_ns", lambda: now() + 5 * 10**9)


def test_a_settled_file_is_not_read_again_and_an_edit_is_seen(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    folder, record = tmp_path / "src", tmp_path / "files.pickle"
    folder.mkdir()
    for name in "abc":
        (folder / f"{name}.md").write_text(f"page {name}\n")
    _later(monkeypatch)
    reads: list[str] = []
    first = _digests(folder, record, reads)
    assert len(reads) == 3
    reads.clear()
    assert _digests(folder, record, reads) == first and reads == []
    (folder / "b.md").write_text("page B\n")  # the same size
    changed = _digests(folder, record, reads)
    assert reads == ["b.md"] and changed["b.md"] != first["b.md"] and changed["a.md"] == first["a.md"]


def test_a_file_hashed_as_it_changes_is_read_again(tmp_path: Path) -> None:
    folder, record = tmp_path / "src", tmp_path / "files.pickle"
    folder.mkdir()
    (folder / "a.md").write_text("page a\n")
    reads: list[str] = []
    first = _digests(folder, record, reads)  # written just now: an edit in this tick could keep every stat field
    second = _digests(folder, record, reads)
    assert reads == ["a.md", "a.md"] and first == second


def test_a_link_is_read_every_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder, record = tmp_path / "src", tmp_path / "files.pickle"
    folder.mkdir()
    (tmp_path / "target.md").write_text("elsewhere\n")
    (folder / "a.md").symlink_to(tmp_path / "target.md")
    _later(monkeypatch)
    reads: list[str] = []
    _digests(folder, record, reads)
    _digests(folder, record, reads)
    assert reads == ["a.md", "a.md"]
