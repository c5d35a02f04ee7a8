"""Incremental, safe and distributed rebuilds: cost follows change, outputs never half-written."""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from bench.make_corpus import build as make_corpus
from conftest import ROOT, build, digest

pytestmark = pytest.mark.slow
CLI = [sys.executable, "-m", "tasks.cli", "build"]


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    """A 200-article export in eight chunks, so an edit touches only one."""
    source = tmp_path / "src"
    make_corpus(source, 200, 7, True)
    return source


def _edit(source: Path, name: str) -> None:
    path = source / name
    path.write_text(path.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")


def test_noop_and_one_article_edited(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = build(corpus, out, "--format", "epub", "--format", "html")
    assert first.status == 0 and first.report["tasks"]["run"] > 8
    all_articles = first.report["changed"]["articles"]
    before = {f: first.output(f).read_bytes() for f in ("epub", "html")}

    again = build(corpus, out, "--format", "epub", "--format", "html")
    assert again.report["tasks"] == {"run": 0, "complete": 2}
    assert again.report["changed"] == {"articles": [], "outputs": []}
    assert {f: again.output(f).read_bytes() for f in ("epub", "html")} == before

    _edit(corpus, "Marxism-Leninism.md")
    edited = build(corpus, out, "--format", "epub", "--format", "html")
    assert edited.report["changed"]["articles"] == ["Marxism-Leninism.md"] and len(all_articles) > 200
    assert edited.report["tasks"]["run"] == 5  # clean + convert of one chunk, assemble, two formats
    assert set(edited.report["changed"]["outputs"]) == {"epub", "html"}
    # What the rebuild reused (the chunk's other articles, unchanged chapters) changes nothing.
    fresh = build(corpus, tmp_path / "fresh", "--format", "epub", "--format", "html")
    assert {f: fresh.output(f).read_bytes() for f in ("epub", "html")} == \
        {f: edited.output(f).read_bytes() for f in ("epub", "html")}


def test_the_cache_does_not_grow_with_every_rebuild(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"

    def size() -> int:
        return sum(p.stat().st_size for p in (out / ".cache").rglob("*") if p.is_file())

    assert build(corpus, out, "--format", "epub", "--format", "html").status == 0
    first = size()  # all of it used by the build
    for _ in range(6):
        _edit(corpus, "Anarchism.md")
        edited = build(corpus, out, "--format", "epub", "--format", "html")
        assert edited.status == 0 and edited.report["tasks"]["run"] == 5  # still incremental
    assert size() < 2.2 * first
    assert len(list((out / ".cache" / "book").glob("*.pickle"))) < 7


def test_kept_renderings_serve_only_the_code_that_made_them(corpus: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import tasks.plan
    from tasks import store

    out = tmp_path / "out"
    assert build(corpus, out, "--format", "html").status == 0
    for pack in (out / ".cache" / "memo").rglob("*.pickle"):  # chapters' markup is kept as UTF-8
        marked = {name: value.replace(b"</p>", b"<!--kept--></p>") if isinstance(value, bytes) else value
                  for name, value in store.load(pack).items()}
        store.save(pack, marked, **store.header(pack))
    _edit(corpus, "Anarchism.md")
    assert "<!--kept-->" in build(corpus, out, "--format", "html").output("html").read_text(encoding="utf-8")
    code = tasks.plan.code_digest  # another wikibind: its own code digest
    monkeypatch.setattr(tasks.plan, "code_digest", lambda *, templates: "another " + code(templates=templates))
    _edit(corpus, "Anarchism.md")
    assert "<!--kept-->" not in build(corpus, out, "--format", "html").output("html").read_text(encoding="utf-8")


def test_corrupted_cache_entry_is_rebuilt(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = build(corpus, out, "--format", "html")
    before = first.output("html").read_bytes()
    entries = sorted((out / ".cache" / "convert").iterdir())
    victim = entries[0]
    victim.write_bytes(victim.read_bytes()[:-10] + b"corrupted!")
    _edit(corpus, "Marxism-Leninism.md")  # the book must be assembled again, reading every chunk
    again = build(corpus, out, "--format", "html")
    assert again.status == 0
    assert len(again.report["changed"]["articles"]) > len([n for n in ["Marxism-Leninism.md"]])
    assert again.output("html").read_bytes() != before


def test_sigkill_during_pdf_leaves_the_old_pdf_intact(tmp_path: Path) -> None:
    corpus = tmp_path / "src"
    make_corpus(corpus, 40, 5, True)
    out = tmp_path / "out"
    assert build(corpus, out, "--format", "pdf").status == 0
    pdf = next(out.glob("*.pdf"))
    old = pdf.read_bytes()
    _edit(corpus, "Marxism-Leninism.md")
    books_before = set((out / ".cache" / "book").iterdir())
    proc = subprocess.Popen([*CLI, str(corpus), "-o", str(out), "--format", "pdf", "--workers", "1", "-q"],
                            cwd=ROOT, start_new_session=True)
    deadline = time.time() + 120
    while set((out / ".cache" / "book").iterdir()) == books_before and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)  # inside WeasyPrint's rendering of the edited chunk, on most machines
    assert proc.poll() is None, "the build finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    killed = pdf.read_bytes()
    again = build(corpus, out, "--format", "pdf")
    assert again.status == 0 and pdf.read_bytes() != old and len(PdfReader(pdf).pages) > 10
    # A slow machine may reach the PDF's rename before the kill: the old book or the whole new one, never a part.
    assert digest(killed) in (digest(old), digest(pdf.read_bytes()))
    assert not list(out.glob(".*.part"))


def test_concurrent_runs_take_turns(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    runs = [subprocess.Popen([*CLI, str(corpus), "-o", str(out), "--format", "html"], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [r.communicate(timeout=300) for r in runs]
    assert [r.returncode for r in runs] == [0, 0]
    rebuilt = sorted(int(re.search(r"rebuilt: (\d+) tasks", o).group(1)) for o, _ in results)
    assert rebuilt[0] == 0 and rebuilt[1] > 0  # the second waited, then found it all done
    assert any("waiting for it to finish" in e for _, e in results)
    assert "</html>" in next(out.glob("*.html")).read_text(encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_workers_under_luigid(corpus: Path, tmp_path: Path) -> None:
    port = _free_port()
    (tmp_path / "logs").mkdir()
    luigid = shutil.which("luigid", path=str(Path(sys.executable).parent))
    daemon = subprocess.Popen([luigid, "--address", "127.0.0.1", "--port", str(port),
                               "--state-path", str(tmp_path / "state.pickle"), "--logdir", str(tmp_path / "logs")],
                              cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        out = tmp_path / "out"
        url = f"http://127.0.0.1:{port}"
        workers = [subprocess.Popen([*CLI, str(corpus), "-o", str(out), "--format", "epub", "--format", "html",
                                     "--workers", "1", "--scheduler-url", url],
                                    cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                   for _ in range(2)]
        results = [w.communicate(timeout=300) for w in workers]
        assert [w.returncode for w in workers] == [0, 0], results
        ran = [int(re.search(r"rebuilt: (\d+) tasks", o).group(1)) for o, _ in results]
        chunks = len(list((out / ".cache" / "convert").glob("*.pickle")))
        assert sum(ran) == 2 * chunks + 1 + 2  # every task ran exactly once, by one worker or the other
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)
    local = build(corpus, tmp_path / "local", "--format", "epub", "--format", "html")
    for fmt in ("epub", "html"):
        assert digest(local.output(fmt).read_bytes()) == digest(next(out.glob(f"*.{fmt}")).read_bytes())


@pytest.mark.parametrize("stage", ["clean", "convert", "book", "out"])
def test_sigkill_at_each_stage_then_the_next_run_matches_a_clean_build(stage: str, tmp_path: Path) -> None:
    corpus = tmp_path / "src"
    make_corpus(corpus, 60, 3, True)
    out = tmp_path / "out"
    formats = ["--format", "epub", "--format", "html"]
    assert build(corpus, out, *formats).status == 0
    old = {p.name: p.read_bytes() for p in out.glob("*.*") if p.suffix in (".epub", ".html")}
    _edit(corpus, "Marxism-Leninism.md")
    cache = out / ".cache" / stage
    before = set(cache.iterdir())
    proc = subprocess.Popen([*CLI, str(corpus), "-o", str(out), *formats, "--workers", "1", "-q"],
                            cwd=ROOT, start_new_session=True)
    deadline = time.time() + 120
    while set(cache.iterdir()) == before and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    killed = {p.name: p.read_bytes() for p in out.glob("*.*") if p.suffix in (".epub", ".html")}
    assert build(corpus, out, *formats).status == 0
    clean = build(corpus, tmp_path / "clean", *formats)
    for fmt in ("epub", "html"):
        assert digest(next(out.glob(f"*.{fmt}")).read_bytes()) == digest(clean.output(fmt).read_bytes())
    # Each book is the old one or the whole new one (a slow machine may get that far before the kill).
    new = {p.name: p.read_bytes() for p in out.glob("*.*") if p.suffix in (".epub", ".html")}
    assert killed.keys() == old.keys() and all(digest(killed[name]) in (digest(old[name]), digest(new[name])) for name in killed)
