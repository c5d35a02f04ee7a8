"""Building from a MediaWiki XML export: the three books, the bibliography from citation templates, the gates."""
from __future__ import annotations

import bz2
import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import mwparserfromhell as mwp
import pytest

from conftest import ROOT, Built, CountingServer, build, digest
from pipeline.dump import Dump
from tasks.cli import main
from validators import epubcheck, vnu

pytestmark = pytest.mark.slow

FIXTURE = ROOT / "tests" / "fixtures" / "export"
ACE = ROOT / ".tools" / "node_modules" / ".bin" / "ace-puppeteer"
LEFTOVERS = re.compile(r"\{\{|\}\}|\[\[|\]\]|<ref|&lt;ref|'''|\{\||\|\}|__[A-Z]+__")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The fixture export with its media folder, all three formats."""
    built = build(FIXTURE / "export.xml", tmp_path_factory.mktemp("out"), "--media", str(FIXTURE / "media"))
    assert built.status == 0, built.report.get("problems")
    return built


def _texts(built: Built) -> dict[str, str]:
    """The reader-visible text of each output."""
    html_text = re.sub(r"<script.*?</script>", "", built.output("html").read_text(encoding="utf-8"), flags=re.S)
    with zipfile.ZipFile(built.output("epub")) as epub:
        xhtml = " ".join(epub.read(n).decode("utf-8") for n in epub.namelist() if n.endswith(".xhtml"))
    pdf = subprocess.run(["pdftotext", "-enc", "UTF-8", str(built.output("pdf")), "-"], capture_output=True,
                         check=True).stdout.decode("utf-8")
    strip = lambda markup: re.sub(r"<[^>]+>", " ", markup)  # noqa: E731
    return {"html": strip(html_text), "epub": strip(xhtml), "pdf": pdf}


def _citation_templates() -> list[tuple[str, str, str]]:
    """(page, title, url) of every {{cite …}}, {{citation}} and {{Internetquelle}} in the fixture's pages."""
    found = []
    with Dump(FIXTURE / "export.xml") as dump:
        for page in dump.pages():
            if page.namespace != 0:
                continue
            for template in mwp.parse(page.text).ifilter_templates(recursive=True):
                name = " ".join(str(template.name).replace("_", " ").split()).lower()
                if name.startswith("cite ") or name in ("citation", "internetquelle"):
                    def value(*keys: str) -> str:
                        for key in keys:
                            if template.has(key):
                                return " ".join(template.get(key).value.strip_code().split())
                        return ""
                    # A chapter of a book is the entry's title (the book is its container, as CSL has it).
                    title = value("chapter", "title") if name == "cite book" else value("title", "titel")
                    found.append((page.title, title, value("url")))
    return found


def test_every_citation_template_is_one_bibliography_entry_with_its_title_and_url(exported: Built) -> None:
    templates = _citation_templates()
    # Counted in the fixture: 24 {{cite web}}, 4 {{cite book}}, 4 {{cite journal}}, 1 {{Cite GovTrack}}
    # (whose parameters name a congressional district, not a title) and 2 {{Internetquelle}}.
    assert len(templates) == 35
    entries = json.loads((exported.out / "wiki-book.bib.json").read_text(encoding="utf-8"))
    by_title: dict[str, list[dict]] = {}
    for entry in entries:
        by_title.setdefault(" ".join(str(entry.get("title", "")).split()), []).append(entry)
    titled = [t for t in templates if t[1]]
    assert len(titled) == 34
    missing = [t for t in titled if not any(e.get("URL", "") == t[2] for e in by_title.get(t[1], []))]
    assert not missing, missing[:5]
    with_url = [e for e in entries if e.get("title") and e.get("URL", "").startswith("http")]
    assert len(with_url) >= len({(t[1], t[2]) for t in titled if t[2]}) + 1  # the district's page too
    assert exported.report["bibliography"]["structured"] >= len({(t[1], t[2]) for t in titled})


def test_notes_are_full_and_the_report_counts_dropped_templates(exported: Built) -> None:
    report = exported.report
    assert not [p for p in report["problems"] if "empty" in p["message"]]
    html_text = exported.output("html").read_text(encoding="utf-8")
    notes = re.findall(r'<div class="note" id="[^"]+">(.*?)</div>', html_text, re.S)
    assert len(notes) == report["notes"] > 150
    bodies = [re.sub(r"<[^>]+>", "", n.split("</p>", 1)[1]).strip() for n in notes]
    assert all(bodies), [n for n, b in zip(notes, bodies) if not b][:3]
    by_page = {page: counts for page, counts in report["leftovers_by_page"].items() if "Binding test" in page}
    assert list(by_page.values()) == [{"template": 1}]
    assert any("unknown thing" in p["message"] for p in report["problems"] if "Binding test" in p["file"])
    assert report["articles"] == 6 and report["redirects"] == 1  # the talk page is not a chapter
    assert report["images"]["embedded"] == 1 and "Missing_picture.jpg" in report["images"]["missing"]


def test_no_wikitext_leftovers_in_any_output(exported: Built) -> None:
    for fmt, text in _texts(exported).items():
        found = [text[max(0, m.start() - 40):m.end() + 40] for m in LEFTOVERS.finditer(text)]
        assert not found, (fmt, found[:5])


def test_links_redirects_and_categories(exported: Built) -> None:
    html_text = exported.output("html").read_text(encoding="utf-8")
    chapter = html_text[html_text.index('id="ch-binding-test"'):]
    chapter = chapter[:chapter.index("</section>\n</section>")]
    assert '<a href="#ch-arts-club-of-chicago">the clubs</a>' in chapter  # with its link trail
    assert "<figcaption>" in chapter and 'src="data:image/png;base64,' in chapter
    assert "Test pages" in html_text  # the category reaches the index


def test_epubcheck_vnu_and_ace_are_clean(exported: Built, tmp_path: Path) -> None:
    checked = epubcheck(exported.output("epub"))
    assert checked["counts"]["ERROR"] == checked["counts"]["FATAL"] == 0, checked["messages"][:5]
    assert vnu(exported.output("html")) == []
    if not ACE.exists():
        pytest.skip(f"DAISY Ace is not installed at {ACE}")
    env = dict(os.environ)
    if "PUPPETEER_EXECUTABLE_PATH" not in env and Path("/usr/bin/chromium").exists():
        env["PUPPETEER_EXECUTABLE_PATH"] = "/usr/bin/chromium"
    done = subprocess.run([str(ACE), "--silent", "--force", "--outdir", str(tmp_path / "ace"),
                           str(exported.output("epub"))], env=env, capture_output=True, timeout=900, check=False)
    report_path = tmp_path / "ace" / "report.json"
    assert report_path.exists(), done.stderr.decode("utf-8", "replace")[-2000:]
    report = json.loads(report_path.read_text(encoding="utf-8"))
    found = [(test["earl:test"]["earl:impact"], test["earl:test"]["dct:title"])
             for assertion in report["assertions"] for test in assertion.get("assertions", [])]
    assert not [f for f in found if f[0] in ("critical", "serious")], found[:10]


def test_a_bz2_export_builds_the_same_book(exported: Built, tmp_path: Path) -> None:
    packed = tmp_path / "export.xml.bz2"
    packed.write_bytes(bz2.compress((FIXTURE / "export.xml").read_bytes()))
    again = build(packed, tmp_path / "out", "--media", str(FIXTURE / "media"), "--format", "epub",
                  "--format", "html")
    assert again.status == 0
    for fmt in ("epub", "html"):
        assert digest(again.output(fmt).read_bytes()) == digest(exported.output(fmt).read_bytes()), fmt


def test_a_truncated_export_fails_clearly_and_the_previous_books_stay(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture) -> None:
    source = tmp_path / "wiki.xml"
    shutil.copy(FIXTURE / "export.xml", source)
    out = tmp_path / "out"
    first = build(source, out, "--format", "epub", "--format", "html")
    assert first.status == 0
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.iterdir() if p.is_file()}
    data = source.read_bytes()
    source.write_bytes(data[:len(data) // 2])
    capsys.readouterr()
    status = main(["build", str(source), "-o", str(out), "--quiet", "--format", "epub", "--format", "html"])
    error = capsys.readouterr().err
    assert status == 2
    assert re.fullmatch(rf"wikibind: wiki\.xml: the export ends early \(truncated at byte {len(data) // 2}\): "
                        r"[^\n]+; previous outputs are untouched\n", error), error
    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.iterdir() if p.is_file()}
    assert {k: v for k, v in after.items() if k != ".wikibind.lock"} == \
        {k: v for k, v in before.items() if k != ".wikibind.lock"}


def test_a_re_export_converts_the_pages_whose_revision_changed(tmp_path: Path) -> None:
    source = tmp_path / "wiki.xml"
    shutil.copy(FIXTURE / "export.xml", source)
    out = tmp_path / "out"
    first = build(source, out, "--format", "html")
    assert len(first.report["changed"]["articles"]) == 7
    text = source.read_text(encoding="utf-8")
    again = build(source, out, "--format", "html")
    assert again.report["changed"]["articles"] == [] and again.report["tasks"]["run"] == 0
    # A new revision of one page: new text, new sha1. Another page's text changes but not its sha1 (same revision).
    text = text.replace("It met again later.", "It met once more.").replace(
        "<sha1>0000000000000000000000000000001</sha1>", "<sha1>0000000000000000000000000000009</sha1>")
    source.write_text(text, encoding="utf-8")
    edited = build(source, out, "--format", "html")
    assert edited.status == 0
    assert edited.report["changed"]["articles"] == ["Binding test"]
    assert "It met once more." in edited.output("html").read_text(encoding="utf-8")


def test_a_file_that_is_no_export_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    assert main(["build", str(other), "-o", str(tmp_path / "out"), "--quiet"]) == 2
    assert "not a folder of Markdown, nor a MediaWiki XML export" in capsys.readouterr().err
    assert main(["build", str(ROOT / "examples"), "-o", str(tmp_path / "out"), "--quiet", "--media",
                 str(FIXTURE / "media")]) == 2


def test_hostile_wikitext_is_sanitised_and_reaches_nothing(tmp_path: Path) -> None:
    """Wikitext is as untrusted as the Markdown export: nothing it says is run, read or fetched."""
    from html import escape

    counting = CountingServer(status=404)
    server = counting.url
    canary = tmp_path / "canary.png"
    canary.write_bytes(b"\x89PNG\r\n\x1a\nCANARY-wikitext-do-not-leak")
    (tmp_path / "media").mkdir()
    wikitext = f"""<script>alert('s')</script><div style="background:url({server}/style.png)" onclick="alert('c')">x</div>
[javascript:alert('j') a link] <span onmouseover="alert('m')">hover</span> <img src="{server}/remote.png">
[[File:../canary.png|thumb|up and out]] [[File:{canary}|thumb|absolute]] [[Media:{server}/m.png]]
<ref>{{{{cite web |url=javascript:alert('u') |title=Bad URL}}}}</ref><ref>{{{{cite web |url={server}/cite
|title=<script>alert('t')</script>Title}}}}</ref>
{{{{Infobox x |name=<iframe src="{server}/frame"></iframe> |value=<object data="{server}/o"></object>}}}}
<math>\\href{{{server}/math}}{{x}}</math>
{"{{a|" * 500}deep{"}}" * 500}"""
    page = (f"<page><title>Hostile</title><ns>0</ns><id>1</id><revision><id>1</id>"
            f"<timestamp>2026-01-01T00:00:00Z</timestamp><text>{escape(wikitext)}</text>"
            "<sha1>h1</sha1></revision></page>")
    export = tmp_path / "hostile.xml"
    export.write_text('<mediawiki><siteinfo><sitename>H</sitename></siteinfo>' + page + "</mediawiki>",
                      encoding="utf-8")
    built = build(export, tmp_path / "out", "--media", str(tmp_path / "media"))
    assert built.status == 0 and built.report["articles"] == 1
    page = built.output("html").read_text(encoding="utf-8")
    parts = [re.search(r'<section class="chapter".*?</section>\n</section>', page, re.S).group(0),  # not our script
             built.output("pdf").read_bytes().decode("latin-1")]
    with zipfile.ZipFile(built.output("epub")) as epub:
        parts += [epub.read(n).decode("utf-8", "replace") for n in epub.namelist() if n.startswith("EPUB/ch-")]
    text = "\n".join(parts)
    assert "Title" in text and "hover" in text  # the page is there
    tags = " ".join(re.findall(r"<[^>]*>", text))  # markup, not the text that shows the page's words
    for bad in ("<script", "javascript:", "<iframe", "<object", "onclick=", "onmouseover=", "style=", "alert("):
        assert bad not in tags, bad
    assert "CANARY-wikitext" not in text
    counting.close()
    assert counting.hits == []


def test_watch_rebuilds_when_the_export_is_replaced_and_not_for_its_neighbours(tmp_path: Path) -> None:
    import queue
    import sys
    import threading
    import time

    folder = tmp_path / "wiki"
    folder.mkdir()
    export = folder / "export.xml"
    shutil.copy(FIXTURE / "export.xml", export)
    proc = subprocess.Popen([sys.executable, "-m", "tasks.cli", "watch", str(export), "-o", str(tmp_path / "out"),
                             "--format", "html"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    try:
        assert "7 articles converted" in lines.get(timeout=120)
        (folder / "notes.txt").write_text("a neighbour of the export, not read by the build")
        with pytest.raises(queue.Empty):
            lines.get(timeout=3)
        text = export.read_text(encoding="utf-8").replace("It met again later.", "It met once more.").replace(
            "<sha1>0000000000000000000000000000001</sha1>", "<sha1>0000000000000000000000000000009</sha1>")
        (folder / "export.xml.part").write_text(text, encoding="utf-8")
        (folder / "export.xml.part").rename(export)  # a re-export replaces the file
        line = lines.get(timeout=120)
        assert "1 articles converted" in line and "html" in line, line
        time.sleep(0.1)
        assert proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(timeout=20)
