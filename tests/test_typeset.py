"""What real articles hold, typeset in all three books: formulas, wide tables, deep lists, code, languages.

One build of a generated source folder and a real page (tests/fixtures/realwiki, with its licence note).
"""
from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pikepdf
import pypdf
import pyphen
import pytest

from conftest import Built, build
from validators import epubcheck, vnu

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "realwiki"
A4_RIGHT = 595.276 - (25 + 30) / 2 / 25.4 * 72  # the text block's right edge on an upright A4 page, pt
GERMAN = ("Die Panzerabwehrhandwaffe verschießt ein Geschoss mit einem Hohlladungssprengkopf, dessen "
          "Wirkung auf einem entsprechenden Durchschlagsvermögen beruht. Die Entwicklung wurde während "
          "des Zweiten Weltkrieges von den Streitkräften der Vereinigten Staaten vorangetrieben, und die "
          "Bundeswehrbeschaffungsbehörde übernahm später zahlreiche Panzerabwehrlenkwaffensysteme. ")


def _pages(source: Path) -> None:
    """Write the generated pages: a 30-column table, a 40-level list, formulas and code, a German page."""
    columns = 30
    table = "| " + " | ".join(f"Heading {c}" for c in range(columns)) + " |\n|" + "---|" * columns + "\n"
    table += "".join("| " + " | ".join(f"value{r}x{c} data" for c in range(columns)) + " |\n" for r in range(8))
    nested = "".join("    " * depth + f"- level {depth} of the list, with a few words\n" for depth in range(40))
    (source / "Wide_table.md").write_text(
        f"# Wide table\n\nThirty columns.\n\n{table}\nA deep list.\n\n{nested}\nThe end.\n", encoding="utf-8")
    (source / "Formulas.md").write_text(
        "# Formulas\n\nThe ratio $`x=\\frac{y^\\pi}{z}`$ in a line, and on its own:\n\n"
        "```math\n\\int_0^1 t^2\\,dt = \\frac{1}{3}\n```\n\n"
        "``` python\ndef f(x):\n    return x + 1  # one more\n```\n\n"
        "Cited twice.[^1][^2]\n\n[^1]: One.\n\n[^2]: Two.\n", encoding="utf-8")
    (source / "Panzerbuechse.md").write_text(
        "# Panzerbüchse\n\n" + "\n\n".join([GERMAN * 3] * 4) + "\n", encoding="utf-8")
    shutil.copy(FIXTURES / "Rnli_stations.md", source / "Rnli_stations.md")


@pytest.fixture(scope="module")
def typeset(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The book of those pages, in all three formats."""
    source = tmp_path_factory.mktemp("source")
    _pages(source)
    built = build(source, tmp_path_factory.mktemp("out"))
    assert built.status == 0, built.report.get("problems")
    return built


def _epub_file(built: Built, name: str) -> str:
    with zipfile.ZipFile(built.output("epub")) as epub:
        return epub.read(f"EPUB/{name}").decode("utf-8")


def _struct_elements(node: pikepdf.Object) -> list[pikepdf.Dictionary]:
    """Every structure element under `node` of a tagged PDF."""
    found, stack = [], [node]
    while stack:
        item = stack.pop()
        if isinstance(item, pikepdf.Dictionary):
            if "/S" in item:
                found.append(item)
            kids = item.get("/K")
            stack.extend(kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else [])
    return found


def _pdf_text(built: Built, *args: str) -> str:
    return subprocess.run(["pdftotext", *args, str(built.output("pdf")), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.mark.slow
def test_formulas_are_mathml_in_the_epub_and_html_and_drawn_in_the_pdf(typeset: Built) -> None:
    chapter = _epub_file(typeset, "ch-formulas.xhtml")
    assert chapter.count('<math display="') == 2 and "<mfrac>" in chapter
    opf = _epub_file(typeset, "content.opf")
    assert re.search(r'<item href="ch-formulas.xhtml" id="ch-formulas" [^>]*properties="mathml"', opf)
    assert 'properties="mathml"' not in re.sub(r'<item href="ch-formulas.xhtml"[^>]*>', "", opf)
    html = typeset.output("html").read_text(encoding="utf-8")
    assert html.count('<math display="') == 2
    text = _pdf_text(typeset)
    assert "The ratio" in text and "\\frac" not in text and "$" not in text and "\\int" not in text
    with pikepdf.open(typeset.output("pdf")) as pdf:  # each formula is a figure whose alt text is its TeX
        alts = {str(e.Alt) for e in _struct_elements(pdf.Root.StructTreeRoot) if "/Alt" in e}
    assert {"x=\\frac{y^\\pi}{z}", "\\int_0^1 t^2\\,dt = \\frac{1}{3}"} <= alts


@pytest.mark.slow
def test_no_word_of_the_pdf_lies_right_of_the_text_block(typeset: Built) -> None:
    bbox = _pdf_text(typeset, "-bbox")
    outside, pages, turned = [], 0, 0
    for page in re.split(r"<page ", bbox)[1:]:
        pages += 1
        width = float(re.match(r'width="([\d.]+)"', page).group(1))
        right = A4_RIGHT if width < 600 else width - (595.276 - A4_RIGHT)  # a turned page keeps its margins
        turned += width > 600
        outside += [(pages, word, x) for x, word in re.findall(r'xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', page)
                    if float(x) > right + 0.5]
    assert pages > 10 and turned >= 1  # the 30 columns went onto a page turned on its side
    assert outside == []
    text = _pdf_text(typeset)
    assert "Lifeboat" in text and "level 39 of the list" in text and "value7x29" in text.replace("\n", "")


@pytest.mark.slow
def test_a_german_chapter_is_marked_and_hyphenated_as_german(typeset: Built) -> None:
    marked = 'lang="de"'
    assert f'<section class="chapter" id="ch-panzerbuchse" epub:type="chapter" role="doc-chapter" ' \
           f'aria-labelledby="ch-panzerbuchse--title" {marked} xml:lang="de">' in _epub_file(typeset, "ch-panzerbuchse.xhtml")
    html = typeset.output("html").read_text(encoding="utf-8")
    assert re.search(r'<section class="chapter" id="ch-panzerbuchse"[^>]* lang="de">', html)
    assert not re.search(r'<section class="chapter" id="ch-formulas"[^>]* lang=', html)
    with pikepdf.open(typeset.output("pdf")) as pdf:  # the chapter's structure element says its language
        langs = [(str(e.S), str(e.Lang)) for e in _struct_elements(pdf.Root.StructTreeRoot) if "/Lang" in e]
        assert ("/Sect", "de") in langs and str(pdf.Root.Lang) == "en"
    # Every word broken at a line's end in the German chapter is broken where German allows.
    german = pyphen.Pyphen(lang="de_DE")
    lines = _pdf_text(typeset).splitlines()
    broken = [(line.split()[-1][:-1], lines[i + 1].split()[0]) for i, line in enumerate(lines[:-1])
              if line.endswith("\u2010") and "Panzer" in "".join(lines[max(0, i - 40):i + 40])]
    assert broken, "no word of the German chapter was hyphenated"
    for head, rest in broken:
        word = re.sub(r"\W", "", head + rest)
        assert len(re.sub(r"\W", "", head)) in german.positions(word), (head, rest)


@pytest.mark.slow
def test_the_typeset_book_passes_epubcheck_and_vnu(typeset: Built) -> None:
    report = epubcheck(typeset.output("epub"))
    assert [m for m in report["messages"] if m["severity"] in ("ERROR", "FATAL")] == []
    assert vnu(typeset.output("html")) == []


def _late_footnotes(pdf_path: Path) -> tuple[list[str], int]:
    """The notes whose footnote is on a later page than their first reference, and how many were compared."""
    reader = pypdf.PdfReader(pdf_path)
    number = {page.indirect_reference.idnum: n for n, page in enumerate(reader.pages)}
    where = {name: number[dest.page.idnum] for name, dest in reader.named_destinations.items()
             if getattr(dest.page, "idnum", None) in number}
    pairs = [(name, where.get(name.replace("--fn-", "--ref-"))) for name in where if "--fn-" in name]
    return [name for name, ref in pairs if ref is not None and where[name] > ref], \
        sum(ref is not None for _, ref in pairs)


@pytest.mark.slow
def test_footnotes_stay_on_the_page_that_cites_them(sample: Built, typeset: Built) -> None:
    late, compared = _late_footnotes(sample.output("pdf"))
    assert compared == sample.report["notes"] and late == []  # every note of the sample is cited
    late, compared = _late_footnotes(typeset.output("pdf"))
    assert compared >= 2 and late == []
