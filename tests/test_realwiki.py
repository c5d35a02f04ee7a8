"""Real Wikipedia pages (tests/fixtures/realwiki) and a generated page of what they lack, built into books.

The books must pass EPUBCheck, the Nu HTML Checker and DAISY Ace, hold no
wikitext in any output's text, and the report and `wikibind check` must count
what the export left.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import html as lxml_html
from pypdf import PdfReader

from conftest import ROOT, Built, build
from tasks.cli import main
from validators import ace, epubcheck, vnu

pytestmark = pytest.mark.slow

REAL = ROOT / "tests" / "fixtures" / "realwiki"
# What an output's text must never show: the integration check's own list.
LEFTOVER = re.compile(r"\{\{|\}\}|<\s*/?ref\b|\b(?:mini|thumb|hochkant)\||\b(?:Kategorie|Category|Datei|File):\S"
                      r"|\[https?://|<!--|__[A-Z]+__")


def _link(target: str, text: str | None = None) -> str:
    """A wikilink as the export writes it."""
    return f'"<a   href="{target.replace(" ", "_")}.md" class="wikilink" title="{target}">"{target if text is None else text}</a>'


# Generated pages for what none of the real ones shows; their counts are known by construction.
GENERATED = {
    "Toronto_redirect.md": "# Redirect\n\n1.  REDIRECT " + _link("Lakeside") + "\n",
    "Seestadt.md": "1.  WEITERLEITUNG " + _link("Lakeside") + "\n",
    "Lakeside.md": "\n".join([
        "# Lakeside", "",
        "Lakeside is a town.[^1] It has a lake.[^2]\\<ref name=\"w\"\\>Smith, *Waters* (2001).\\</ref\\> "
        "Again.\\<ref name=\"w\"/\\> See [http://example.org/lake the lake site].", "",
        "{{Infobox settlement", "| name = {{nowrap|Lakeside}}", "}}", "",
        "<!-- an editor's remark --> __NOTOC__", "",
        "## Notes", "", "The page's own notes section.", "",
        "#### Fishing", "", "Text " + _link("Bild:Lake.jpg", "mini|hochkant|The lake") + ".", "",
        "[^1]: ", "", "[^2]: Jones, *Lakes of the World* (1999).", "",
        _link("Kategorie:Städte"), _link("Catégorie:Villes"), _link("Category:Towns"), _link("de:Seestadt"),
    ]) + "\n",
    "Category:Towns.md": "# Category:Towns\n\nTowns of the region, such as " + _link("Lakeside") + ".\n",
}


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The fixture pages and the generated ones, in one book, all three formats."""
    source = tmp_path_factory.mktemp("realwiki")
    for page in REAL.glob("*.md"):
        if page.name != "README.md":
            shutil.copy(page, source / page.name)
    for name, text in GENERATED.items():
        (source / name).write_text(text, encoding="utf-8")
    return build(source, tmp_path_factory.mktemp("out"))


def _html_text(path: Path) -> str:
    root = lxml_html.parse(str(path)).getroot()
    for element in root.xpath("//script|//style"):
        element.drop_tree()
    return root.text_content()


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_the_books_are_valid(real: Built, tmp_path: Path) -> None:
    assert real.status == 0, real.report.get("problems")
    checked = epubcheck(real.output("epub"))
    assert checked["counts"] == {"FATAL": 0, "ERROR": 0, "WARNING": 0}, checked["messages"][:5]
    assert vnu(real.output("html")) == []
    found = ace(real.output("epub"), tmp_path / "ace")
    assert not [f for f in found if f[0] in ("critical", "serious")], found[:10]


def test_no_wikitext_in_any_output(real: Built) -> None:
    epub_text = ""
    with zipfile.ZipFile(real.output("epub")) as package:
        for name in package.namelist():
            if name.endswith(".xhtml"):
                epub_text += lxml_html.fromstring(package.read(name)).text_content()
    for fmt, text in (("html", _html_text(real.output("html"))), ("pdf", _pdf_text(real.output("pdf"))),
                      ("epub", epub_text)):
        found = [text[max(0, m.start() - 40):m.end() + 40] for m in LEFTOVER.finditer(text)]
        assert found == [], (fmt, found[:5])
    # What was converted, not dropped: the notes and links are there.
    html = real.output("html").read_text(encoding="utf-8")
    assert '<a href="http://example.org/lake">the lake site</a>' in html
    assert "Smith" in _html_text(real.output("html"))


def test_report_counts_what_the_export_left(real: Built, tmp_path: Path) -> None:
    report = real.report
    # Empty notes: a definition with nothing after its label, counted in the sources themselves.
    empty = {page.name: _empty_notes(page.read_text(encoding="utf-8")) for page in REAL.glob("*.md")}
    empty["Lakeside.md"] = 1
    assert report["empty_notes"] == sum(empty.values()) > 40
    for name, n in empty.items():
        said = [p["message"] for p in report["problems"] if p["file"] == name and "notes are empty" in p["message"]]
        assert said == ([f"{n} of {said[0].split(' of ')[1].split()[0]} notes are empty (the export lost their "
                         "text); each says so"] if n else []), name
    by_page = report["leftovers_by_page"]
    assert by_page["Lakeside.md"] == {"ref_tag": 2, "template": 1, "comment": 1, "magic_word": 1,
                                      "external_link": 1, "image_options": 1}
    # Template calls: each `{{` of the page (List.md has only cut ones and `{{-}}`).
    assert by_page["List.md"]["template"] == (REAL / "List.md").read_text(encoding="utf-8").count("{{")
    # Every literal ref of Anarchism.md (escaped, raw, or as entities in raw HTML), opening or self-closing.
    anarchism = (REAL / "Anarchism.md").read_text(encoding="utf-8")
    assert by_page["Anarchism.md"]["ref_tag"] == len(re.findall(r"(?:\\<|<|&lt;)ref[\s\\>/&]", anarchism)) > 300
    assert report["leftovers"]["ref_tag"] == sum(p.get("ref_tag", 0) for p in by_page.values())
    # The real pages and Lakeside are chapters; the redirects and the category page are not.
    assert report["redirects"] == 2 and report["category_pages"] == 1
    assert report["articles"] == len([p for p in REAL.glob("*.md") if p.name != "README.md"]) + 1
    assert any(p["file"] == "Category:Towns.md" and p["severity"] == "info" for p in report["problems"])

    assert main(["check", str(real.source)]) == 0
    out = subprocess.run([str(ROOT / ".venv" / "bin" / "wikibind"), "check", str(real.source)],
                         capture_output=True, text=True, check=False).stdout
    assert f"empty notes (the export lost their text): {report['empty_notes']} of {report['notes']}" in out
    assert f"{report['leftovers']['ref_tag']} literal <ref> tags (made into notes)" in out
    assert "Lakeside.md\n  warning: 1 of 3 notes are empty" in out


def _empty_notes(text: str) -> int:
    """Notes with no text, read off the source: bare definitions, literal refs holding at most
    punctuation or a comment (a named one counted once), HTML footnotes holding only their backlink."""
    bare = len(re.findall(r"^\[\^[^\]]+\]:[ \t]*\n(?![ \t]+\S)", text, re.M))
    refs = re.findall(r"\\<ref(\s+name=[^>]*?)?\\>(?:\s|[.,;:]|\\\*|\\<!--.*?--\\>)*\\</ref\\>", text, re.S)
    html = re.findall(r'<li id="fn\d+">\s*(?:<a\s+href="#fnref\d+"[^>]*>\S*</a>)?\s*</li>', text)
    return bare + len({name for name in refs if name}) + sum(1 for name in refs if not name) + len(html)


def test_foreign_categories_and_special_pages(real: Built) -> None:
    html = real.output("html").read_text(encoding="utf-8")
    index = html.split('id="book-index"', 1)[1]
    for category in ("Städte", "Villes", "Towns", "Panzerabwehrrakete", "Werbeagentur"):
        assert f'<span class="index-term">{category}</span><span class="index-category">' in index, category
    assert "Seestadt" not in _html_text(real.output("html")).split("Index", 1)[0].split("Lakeside", 1)[1][:2000]
    assert 'id="ch-category-towns"' not in html and "Towns of the region" not in html
    assert 'id="ch-redirect"' not in html and "REDIRECT" not in _html_text(real.output("html"))
    lakeside = html.split('id="ch-lakeside"', 1)[1].split("</section>\n</section>", 1)[0]
    ids = re.findall(r'id="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    assert '<h2 class="notes-title" id="ch-lakeside--notes-title">Footnotes</h2>' in lakeside
    assert '<h3 id="ch-lakeside--fishing">Fishing</h3>' in lakeside  # an h4 under an h2 is an h3
    assert "The export lost the text of this note." in lakeside


def test_a_category_page_opens_its_part(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name, text in GENERATED.items():
        (source / name).write_text(text, encoding="utf-8")
    # Lakeside's first category is Städte: its part opens with that category's page, in German.
    (source / "Kategorie:Städte.md").write_text("Städte am See, etwa " + _link("Lakeside") + ".\n", encoding="utf-8")
    (source / "book.toml").write_text('[contents]\nparts_by = "category"\n', encoding="utf-8")
    built = build(source, tmp_path / "out", "--format", "html", "--format", "epub")
    html = built.output("html").read_text(encoding="utf-8")
    part = html.split('<section class="part" id="part-stadte"', 1)[1].split("</section>", 1)[0]
    assert '<div class="part-intro">' in part and 'Städte am See, etwa <a href="#ch-lakeside">' in part
    assert not any(p["file"] == "Kategorie:Städte.md" for p in built.report["problems"])
    assert any(p["file"] == "Category:Towns.md" and p["severity"] == "info" for p in built.report["problems"])
    assert epubcheck(built.output("epub"))["counts"] == {"FATAL": 0, "ERROR": 0, "WARNING": 0}
    assert vnu(built.output("html")) == []


def test_printed_bibliography_numbers_are_the_ones_notes_cite(real: Built) -> None:
    text = _pdf_text(real.output("pdf"))
    reader = PdfReader(real.output("pdf"))
    starts = {item.title: reader.get_destination_page_number(item) for item in reader.outline
              if not isinstance(item, list)}
    back = subprocess.run(["pdftotext", "-f", str(starts["Bibliography"] + 1), "-l", str(starts["Index"]),
                           str(real.output("pdf")), "-"], capture_output=True, text=True, check=True).stdout
    cited = {int(n) for n in re.findall(r"→\s*Bibliography\s+(\d+)", text.replace("\u00a0", " "))}
    html = real.output("html").read_text(encoding="utf-8")
    entries = {int(n): lxml_html.fromstring(body).text_content().split()[:1] for n, body in
               re.findall(r'<li class="bib-entry" id="bibliography--(\d+)"[^>]*>\s*<span class="bib-text">(.*?)</span>',
                          html, re.S)}
    assert len(cited) > 50
    for number in cited:
        printed = re.search(rf"^[ \t]*{number}\.[ \t]+(\S+)", back, re.M)
        assert printed is not None, number
        # The entry printed as N is the one notes call N (its first word; print may break a long one).
        assert printed.group(1)[:6] == entries[number][0][:6], (number, printed.group(1), entries[number])
