"""The command line's contract: exit statuses, messages, check, watch, and failing writes."""
from __future__ import annotations

import errno
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import luigi
import pytest

from conftest import ROOT, build, digest
from tasks import store
from tasks.cli import main, task_history

PAGE = "# {0}\n\n## Part\n\nText about {0}.[^1]\n\n[^1]: Britannica: {0}\n"


@pytest.fixture()
def small(tmp_path: Path) -> Path:
    """A three-page export."""
    source = tmp_path / "src"
    source.mkdir()
    for title in ("Alpha", "Beta", "Gamma"):
        (source / f"{title}.md").write_text(PAGE.format(title), encoding="utf-8")
    return source


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", str(tmp_path / "missing")]) == 2
    assert "no such folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["build", str(tmp_path / "empty"), "-o", str(tmp_path / "o")]) == 2
    assert "no Markdown" in capsys.readouterr().err
    assert main(["build", "--format", "mobi"]) == 2
    assert main(["frobnicate"]) == 2


def test_bad_file_exits_1_and_names_it(small: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (small / "Broken.md").write_bytes(b"\x00\x01binary")
    built = build(small, tmp_path / "out", "--format", "html")
    assert built.status == 1 and built.report["articles"] == 3
    assert {"file": "Broken.md", "severity": "error", "message": "binary file, not Markdown text: skipped"} \
        in built.report["problems"]
    assert main(["build", str(small), "-o", str(tmp_path / "out"), "--format", "html"]) == 1
    assert "Broken.md: binary file" in capsys.readouterr().out


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_unwritable_out_exits_2(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "ro"
    out.mkdir(mode=0o500)
    assert main(["build", str(small), "-o", str(out), "--format", "html", "-q"]) == 2
    assert list(out.iterdir()) == []


def test_out_that_is_a_file_exits_2(small: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "a-file"
    out.write_text("not a folder")
    assert main(["build", str(small), "-o", str(out), "--format", "html"]) == 2
    assert "cannot write there" in capsys.readouterr().err
    assert out.read_text() == "not a folder"


def test_disk_full_while_publishing_keeps_the_old_output(small: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    first = build(small, out, "--format", "html")
    old = first.output("html").read_bytes()
    (small / "Alpha.md").write_text(PAGE.format("Alpha") + "\nMore.\n", encoding="utf-8")
    real_write = store.write_atomic

    def full(path: Path, data: bytes, **how: bool) -> None:
        if path.suffix == ".html":  # the disk fills up in the middle of the book
            real_write(path.with_name(".half.part"), data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(path, data, **how)

    monkeypatch.setattr(store, "write_atomic", full)
    assert main(["build", str(small), "-o", str(out), "--format", "html"]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert digest(first.output("html").read_bytes()) == digest(old)
    monkeypatch.setattr(store, "write_atomic", real_write)
    assert build(small, out, "--format", "html").status == 0
    assert not list(out.glob(".*.part"))


def test_an_edit_that_keeps_the_size_right_after_a_build_is_seen(small: Path, tmp_path: Path) -> None:
    page = small / "Beta.md"
    first = build(small, tmp_path / "out", "--format", "html")
    page.write_text(page.read_text(encoding="utf-8").replace("Text about", "Text abouT"), encoding="utf-8")
    again = build(small, tmp_path / "out", "--format", "html")
    assert again.report["changed"]["articles"] == ["Beta.md"]
    assert "Text abouT Beta" in again.output("html").read_text(encoding="utf-8")
    assert first.status == again.status == 0


def test_check_lists_problems_by_file(small: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (small / "Delta.md").write_text('# Delta\n\nSee "<a   href="Nowhere.md" class="wikilink" title="x">"nowhere</a> '
                                    'and "<a   href="Alpha#Gone.md" class="wikilink" title="x">"gone</a>.[^7]\n',
                                    encoding="utf-8")
    assert main(["check", str(small)]) == 0
    text = capsys.readouterr().out
    assert "Delta.md\n" in text and "links to 'Nowhere'" in text and "section 'Alpha#Gone'" in text
    assert "[^7] is referenced but never defined" in text
    assert main(["check", str(small), "--strict"]) == 1
    assert not list(small.glob(".*")) and not (small / "output").exists()  # check writes nothing there


def test_progress_counts_the_articles(small: Path, tmp_path: Path) -> None:
    from tasks.cli import load_config
    from tasks.plan import plan
    from tasks.progress import _stages

    tasks = plan(small, tmp_path / "cache", ["html"], load_config(small, None, None))
    stages = _stages(tasks)
    assert [label for label, _, _ in stages] == ["cleaning", "converting", "assembling", "building html"]
    assert sum(stages[0][2]) == len(list(small.glob("*.md")))


def _lines(proc: subprocess.Popen) -> Callable[[], str]:
    """Read a process's output line by line, failing instead of hanging after two minutes."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    return lambda: lines.get(timeout=120)


@pytest.mark.slow
def test_watch_rebuilds_after_changes_and_survives_bad_input(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "tasks.cli", "watch", str(small), "-o", str(out),
                             "--format", "html"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    readline = _lines(proc)
    try:
        assert "rebuilt" in readline()
        for i in range(3):  # a burst of edits gives one rebuild
            (small / "Beta.md").write_text(PAGE.format("Beta") + f"\nEdit {i}.\n", encoding="utf-8")
            time.sleep(0.1)
        line = readline()
        assert "rebuilt" in line and "articles converted" in line and "html" in line
        (small / "Bad.md").write_bytes(b"")
        assert "1 files left out" in readline()
        assert proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_csl_style_references_and_bib_json(small: Path, tmp_path: Path) -> None:
    import json

    (small / "references.bib").write_text("@book{avrich67, author = {Paul Avrich}, title = {The Russian Anarchists},"
                                          " year = {1967}, publisher = {Princeton University Press}}\n", encoding="utf-8")
    (small / "Delta.md").write_text("# Delta\n\nAs shown [@avrich67, p. 4] and [@missing].\n", encoding="utf-8")
    csl = ROOT / "tests" / "fixtures" / "csl" / "ieee.csl"
    built = build(small, tmp_path / "out", "--format", "html", "--csl", str(csl))
    assert built.status == 0
    assert built.report["bibliography"]["structured"] == 1
    assert any("missing" in p["message"] and p["file"] == "Delta.md" for p in built.report["problems"])
    items = json.loads(Path(built.report["bibliography_json"]).read_text(encoding="utf-8"))
    assert any(i.get("title", "").lower() == "the russian anarchists" for i in items)
    page = built.output("html").read_text(encoding="utf-8")
    assert "Princeton" in page and "[1]" in page  # IEEE's numbered form, from pandoc's citeproc


def test_book_toml_cover_is_used_or_reported(small: Path, tmp_path: Path) -> None:
    import zipfile

    png = (ROOT / "examples" / "Platformism_1.png").read_bytes()
    (small / "mine.png").write_bytes(png)
    (small / "book.toml").write_text('[book]\ntitle = "Covered"\ncover = "mine.png"\n', encoding="utf-8")
    built = build(small, tmp_path / "a", "--format", "epub")
    with zipfile.ZipFile(built.output("epub")) as z:
        assert z.read("EPUB/images/cover.png") == png
    (small / "book.toml").write_text('[book]\ntitle = "Covered"\ncover = "../outside.png"\n', encoding="utf-8")
    built = build(small, tmp_path / "b", "--format", "epub")
    assert any(p["file"] == "../outside.png" and "drawn instead" in p["message"] for p in built.report["problems"])


def test_pdf_options_come_from_the_command_line_then_book_toml_then_the_defaults(small: Path) -> None:
    from tasks.cli import UsageError, load_config

    assert load_config(small, None, None).pdf == {}  # nothing said: PdfOptions's own defaults hold
    (small / "book.toml").write_text('[pdf]\nduplex = true\npaper = "letter"\n', encoding="utf-8")
    assert load_config(small, None, None).pdf == {"duplex": True, "paper": "letter"}
    args = ["build", str(small), "--no-duplex", "--crop-marks", "--paper", "6x9"]
    from tasks.cli import parser

    given = parser().parse_args(args)
    assert load_config(small, None, None, None, given.paper, given.duplex, given.crop_marks).pdf == {
        "duplex": False, "paper": "trade", "crop_marks": True}
    with pytest.raises(UsageError, match="--paper b5 is not a paper size"):
        load_config(small, None, None, paper="b5")


class _Step(luigi.Task):
    """A task of the canary below: done once its file is there."""

    path = luigi.Parameter()
    after = luigi.OptionalParameter(default=None)

    def requires(self) -> list[luigi.Task]:
        return [_Step(path=self.after)] if self.after else []

    def output(self) -> luigi.LocalTarget:
        return luigi.LocalTarget(self.path)

    def run(self) -> None:
        Path(self.path).write_text("done", encoding="utf-8")


def test_luigis_task_history_still_tells_what_this_worker_ran(tmp_path: Path) -> None:
    """Canary for task_history, which reads a private attribute of Luigi's worker."""
    first, second = str(tmp_path / "first"), str(tmp_path / "second")
    Path(first).write_text("done", encoding="utf-8")  # already done: reported, not run
    result = luigi.build([_Step(path=second, after=first)], local_scheduler=True, detailed_summary=True,
                         log_level="ERROR")
    history = task_history(result)
    ran = {task.path for task, status, runnable in history if status == "DONE" and runnable is None}
    done = {task.path for task, status, _ in history if status == "DONE"}
    assert ran == {second} and done == {first, second}
