"""Hostile and broken input: clear problems, nothing lost, nothing leaked, no request made."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import CountingServer, build

pytestmark = pytest.mark.slow

CANARY = "CANARY-7f3a9-do-not-leak"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde" \
      b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82"


@pytest.fixture(scope="module")
def server():
    """A loopback HTTP server that counts every request made to it."""
    with CountingServer(PNG) as counting:
        yield counting


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory, server: CountingServer):
    """A source folder full of attacks and broken files, built into all three formats."""
    root = tmp_path_factory.mktemp("hostile")
    (root / "canary.txt").write_text(CANARY)
    (root / "canary.png").write_bytes(PNG + CANARY.encode())
    src = root / "src"
    src.mkdir()
    link = '"<a   href="{0}.md" class="wikilink" title="x">"{0}</a>'
    (src / "Hostile.md").write_text(f"""# Hostile

<script>alert('s')</script><style>body{{background:url({server.url}/style.png)}}</style>
<img src="{server.url}/remote.png" alt="remote picture"> <img src="file://{root}/canary.png">
<img src="../canary.png"> <img src="/etc/passwd"> <img src="Escape.png" alt="via symlink">
<iframe src="{server.url}/frame"></iframe><object data="{server.url}/obj"></object><embed src="{server.url}/e">
<link rel="stylesheet" href="{server.url}/l.css"><meta http-equiv="refresh" content="0;url={server.url}/m">
<form action="{server.url}/f"><input name="q"></form>
<a href="javascript:alert('j')">js</a> <a href="vbscript:msgbox">vb</a> <a href="file:///etc/passwd">file</a>
<p onclick="alert('c')" style="background:url({server.url}/inline.png)">handlers</p>
<svg onload="alert('v')"><image href="{server.url}/svg.png"/></svg>
<img src="x" onerror="alert('e')"> {link.format("Broken")}

Normal text with a note.[^1] And a dangling one.[^9] Text that looks like our own image markup:
src="img:Nothing.png" and `<img src="img:Nothing.png">`.

[^1]: <script>alert('n')</script>Paul Avrich, *The Russian Anarchists* (1967)

[^2]: Never referenced.
""", encoding="utf-8")
    (src / "Good.md").write_text("# Good\n\n## Part\n\nA sound page.\n", encoding="utf-8")
    (src / "Leak.md").symlink_to(root / "canary.txt")
    (src / "Escape.png").symlink_to(root / "canary.png")
    (src / "Empty.md").write_bytes(b"")
    (src / "Binary.md").write_bytes(PNG * 50)
    (src / "Latin1.md").write_bytes("# Café\n\nNaïve – text.\n".encode("cp1252"))
    (src / "Twin.md").write_text("# Good\n\nSame title as Good.md.\n", encoding="utf-8")
    redirect = "1.  REDIRECT " + link + "\n"
    (src / "Loop_A.md").write_text(redirect.format("Loop_B"), encoding="utf-8")
    (src / "Loop_B.md").write_text(redirect.format("Loop_A"), encoding="utf-8")
    (src / "To_Nowhere.md").write_text(redirect.format("Nowhere"), encoding="utf-8")
    (src / "NotAnImage.png").write_text("just text", encoding="utf-8")
    (src / "Deep.md").write_text("# Deep\n\n" + ">" * 5000 + " quote\n", encoding="utf-8")
    (src / "Huge.md").write_text("# Huge\n\n" + ("word " * 2_000_000), encoding="utf-8")
    return build(src, root / "out")


def _all_output_text(built) -> str:
    parts = [built.output("html").read_text(encoding="utf-8")]
    with zipfile.ZipFile(built.output("epub")) as z:
        parts += [z.read(n).decode("utf-8", "replace") for n in z.namelist()]
    parts += [p.extract_text() for p in PdfReader(built.output("pdf")).pages]
    parts.append(built.output("pdf").read_bytes().decode("latin-1"))
    return "\n".join(parts)


def test_book_still_builds_and_status_is_1(hostile) -> None:
    assert hostile.status == 1
    assert hostile.report["articles"] == 3  # Hostile, Good, Latin1 (Café)
    assert all(Path(p).exists() for p in hostile.report["outputs"].values())
    assert 'src="img:Nothing.png"' in hostile.output("html").read_text(encoding="utf-8")  # text, left as text


def test_no_request_and_no_local_file_read(hostile, server: CountingServer) -> None:
    assert server.hits == []
    assert CANARY not in _all_output_text(hostile)


def test_no_script_handlers_or_dangerous_urls(hostile) -> None:
    text = _all_output_text(hostile)
    for bad in ("alert(", "javascript:", "vbscript:", "file:///etc", "<iframe", "<object", "<embed", "<form",
                "http-equiv", "onclick=", "onerror=", "onload="):
        assert bad not in text, bad
    chapter = re.search(r'<section class="chapter" id="ch-hostile".*?</section>', text, re.S).group(0)
    assert "<style" not in chapter and "style=" not in chapter and "<link" not in chapter and "<svg" not in chapter


def test_every_problem_is_named(hostile) -> None:
    problems = {(p["file"], p["severity"]): p["message"] for p in hostile.report["problems"]}
    expect = {
        ("Empty.md", "error"): "empty file",
        ("Binary.md", "error"): "binary",
        ("Latin1.md", "warning"): "Windows-1252",
        ("Twin.md", "error"): "title collision",
        ("Loop_A.md", "warning"): "redirect loop",
        ("To_Nowhere.md", "warning"): "not in the book",
        ("Deep.md", "error"): "pathological",
        ("Huge.md", "error"): "too large",
        ("Leak.md", "error"): "outside the source folder",
        ("NotAnImage.png", "warning"): "not an image",
    }
    for key, words in expect.items():
        assert key in problems and words in problems[key], (key, problems.get(key))
    hostile_messages = " ".join(p["message"] for p in hostile.report["problems"] if p["file"] == "Hostile.md")
    assert "[^9] is referenced but never defined" in hostile_messages
    assert "[^2] is defined but never referenced" in hostile_messages
    assert "remote.png" in hostile_messages
