"""Formulas, highlighted code, languages, tables and note references: the units, without a build."""
from __future__ import annotations

import re

from lxml import etree

from pipeline.config import parse_config
from pipeline.convert import convert_articles
from pipeline.language import chapter_language, detect_language, namespace_hints
from pipeline.math import math_svg, print_math
from pipeline.model import Article
from pipeline.pdf import PAPERS, fit_tables
from pipeline.sanitize import sanitize

GERMAN = ("Die Erde ist der dichteste, fünftgrößte und der Sonne drittnächste Planet des Sonnensystems. "
          "Sie ist Ursprungsort und Heimat aller bekannten Lebewesen. Ihr Durchmesser beträgt mehr als "
          "zwölftausend Kilometer, und sie wird von einem Mond begleitet, der sich in einer gebundenen "
          "Rotation um sie bewegt. Die Oberfläche ist zu etwa zwei Dritteln mit Wasser bedeckt. ")
ENGLISH = ("The Earth is the third planet from the Sun and the only astronomical object known to harbour "
           "life. About seventy-one percent of its surface is covered with water, mostly by oceans, and the "
           "rest is land, which is made of continents and islands that have many lakes and rivers. ")
DUTCH = ("De Aarde is de derde planeet van het zonnestelsel, gerekend vanaf de zon. Het is de grootste van "
         "de vier aardse planeten en de enige waarvan bekend is dat er leven op voorkomt. De planeet draait "
         "in ongeveer een jaar om de zon en heeft een natuurlijke maan die eromheen cirkelt. ")


def _convert(markdown: str, notes: dict[str, str] | None = None):
    (fragment,) = convert_articles([Article(file="Page.md", title="Page", markdown=markdown, notes=notes or {})])
    return fragment


# -- math -----------------------------------------------------------------------------------------

def test_gfm_math_becomes_mathml_with_its_tex_as_alttext() -> None:
    fragment = _convert("Some $`x=\\frac{y^\\pi}{z}`$ here.\n\n```math\n\\int_0^1 x\\,dx\n```\n")
    assert fragment.html.count("<math ") == 2
    assert 'display="block"' in fragment.html and "<mfrac>" in fragment.html
    assert 'alttext="x=\\frac{y^\\pi}{z}"' in fragment.html
    assert "$" not in fragment.html and fragment.problems == []


def test_a_formula_pandoc_cannot_convert_is_shown_as_tex_and_reported() -> None:
    fragment = _convert("Bad $`\\notacommand{x}`$ formula.")
    assert '<code class="math-tex">\\notacommand{x}</code>' in fragment.html
    assert "<math" not in fragment.html and 'class="math' not in fragment.html.replace("math-tex", "")
    assert [(p.file, p.severity) for p in fragment.problems] == [("Page.md", "warning")]
    assert "\\notacommand{x}" in fragment.problems[0].message


def test_the_sanitiser_keeps_presentation_mathml_only() -> None:
    dirty = ('<math xmlns="http://www.w3.org/2000/svg" onclick="x()" display="block"><semantics><mrow>'
             '<mi href="javascript:x()" style="color:red" mathvariant="bold">x</mi>'
             '<maction actiontype="toggle"><mi>a</mi></maction></mrow>'
             '<annotation encoding="application/x-tex">x</annotation>'
             '<annotation-xml encoding="text/html"><img src="x" onerror="y()"></annotation-xml>'
             '</semantics></math>')
    clean = sanitize(dirty)
    assert 'xmlns="http://www.w3.org/1998/Math/MathML"' in clean  # never another namespace
    assert '<mi mathvariant="bold">x</mi>' in clean and '<annotation encoding="application/x-tex">x</annotation>' in clean
    for gone in ("onclick", "href", "style", "maction", "annotation-xml", "<img", "onerror", "svg"):
        assert gone not in clean, gone


def test_the_pdf_draws_formulas_as_svg_images_with_their_tex_as_alt_text() -> None:
    fragment = _convert("Some $`x=\\frac{y^\\pi}{z}`$ here.")
    xhtml, images = print_math(fragment.html)
    assert "<math" not in xhtml and len(images) == 1
    (name, svg), = images.items()
    assert re.search(rf'<img class="math-inline" src="img:{name}" alt="x=\\frac{{y\^\\pi}}{{z}}" style="width: [\d.]+em; '
                     r'height: [\d.]+em; vertical-align: -[\d.]+em"/>', xhtml), xhtml
    root = etree.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.find(".//{http://www.w3.org/2000/svg}path") is not None


def test_math_the_renderer_cannot_draw_is_none() -> None:
    assert math_svg("<math><mi>x") is None


# -- code, tables, note references --------------------------------------------------------------

def test_highlighted_code_keeps_its_token_classes_and_nothing_else() -> None:
    fragment = _convert("``` python\ndef f(x):\n    return x + 1  # one\n```\n")
    assert '<div class="sourceCode"><pre class="sourceCode"><code class="sourceCode">' in fragment.html
    assert '<span class="kw">def</span>' in fragment.html and '<span class="co"># one</span>' in fragment.html
    assert "style=" not in fragment.html and "<a " not in fragment.html and "id=" not in fragment.html
    assert sanitize('<span class="kw evil" style="color:red">x</span><p class="kw">y</p>') == \
        '<span class="kw">x</span><p>y</p>'


def test_header_cells_are_never_empty() -> None:
    empty_row = _convert("|   |   |\n|---|---|\n| a | b |\n")
    assert "<th" not in empty_row.html and "<thead" not in empty_row.html and "<td>a</td>" in empty_row.html
    corner = _convert("|   | B |\n|---|---|\n| a | b |\n")
    assert "<th>B</th>" in corner.html and "<th></th>" not in corner.html and "<td></td>" in corner.html


def test_note_references_that_follow_each_other_are_separated() -> None:
    fragment = _convert("m." + "".join(f'<sup data-note="{n}"></sup>' for n in (55, 56, 57))
                        + ' and alone.<sup data-note="9"></sup>', notes={"55": "a", "56": "b", "57": "c", "9": "d"})
    assert fragment.html.count('<span class="noteref-sep">,</span>') == 2
    assert '56</a></sup><sup><span class="noteref-sep">,</span><a class="noteref"' in fragment.html
    assert 'alone.<sup><a class="noteref"' in fragment.html


def test_tables_step_down_turn_and_break_long_words() -> None:
    paper = PAPERS["a4"]
    small = "<table><tr><td>a</td><td>b</td></tr></table>"
    assert 'class="' not in fit_tables(small, paper)
    names = "".join(f"<tr><td>Station {n}</td><td>Lifeboat_Station,_Old_Hunstanton_-_geograph.org.uk_-_{n}.jpg</td></tr>"
                    for n in range(3))
    fitted = fit_tables(f"<table>{names}</table>", paper)
    assert "Lifeboat_\u200bStation,\u200b_\u200bOld_\u200bHunstanton_\u200b-_\u200bgeograph.\u200borg." in fitted
    wide = "<table>" + "".join("<tr>" + "".join(f"<td>cell{r}x{c}</td>" for c in range(12)) + "</tr>"
                               for r in range(2)) + "</table>"
    assert '<table class="table-smaller">' in fit_tables(wide, paper)
    widest = "<table>" + "".join("<tr>" + "".join(f"<td>value{r}x{c} data</td>" for c in range(30)) + "</tr>"
                                 for r in range(2)) + "</table>"
    turned = fit_tables(widest, paper)  # a plain grid: cut in two, each part with the first column
    assert turned.startswith('<div class="table-turned"><table class="table-smaller"><tr><td>value0x0 data</td>')
    first, second = turned.split('<table class="table-smaller table-part">')
    assert first.count("<tr>") == second.count("<tr>") == 2 and "value1x29" in second and "value1x29" not in first
    assert all("value1x0 data" in part for part in (first, second))
    spanned = widest.replace("<td>value0x1 data</td><td>value0x2 data</td>", '<td colspan="2">v</td>')
    assert '<table class="table-smaller table-squeezed">' in fit_tables(spanned, paper)  # cannot be cut: squeezed


# -- languages ----------------------------------------------------------------------------------

def test_detect_language() -> None:
    assert detect_language(GERMAN) == "de"
    assert detect_language(ENGLISH) == "en"
    assert detect_language(DUTCH) == "nl"  # not among the quick path's: the model decides
    assert detect_language("Kurzer Text.") == ""  # too short to say
    assert namespace_hints(["Kategorie:Planet", "Earth", "Category:X"]) == {"de", "cs"}
    assert detect_language("Planet Erde Sonnensystem", {"de", "cs"}) == "de"


def test_a_page_in_another_language_is_marked_and_book_toml_overrides_it() -> None:
    assert _convert(GERMAN * 2).lang == "de"
    assert chapter_language("Erde", "de", "en", {}) == "de"
    assert chapter_language("Earth", "en", "en-GB", {}) == ""  # the book's own language: no mark
    assert chapter_language("Erde", "de", "en", {"Erde": "en"}) == ""
    assert chapter_language("erde", "", "en", {"Erde": "de-CH"}) == "de-CH"
    config, problems = parse_config(b'[book]\nlanguages = { "erde" = "de", "Mars" = "not a tag!" }\n')
    assert config.meta.page_languages == {"Erde": "de"}
    assert [p.message for p in problems] == \
        ["[book] languages: 'not a tag!' for 'Mars' is not a language tag such as \"de\" or \"pt-BR\": ignored"]


def test_rows_a_rowspan_joins_are_kept_together() -> None:
    rows = ('<tr><td>1</td><td>x</td></tr><tr><td rowspan="3">2</td><td>y</td></tr><tr><td>z</td></tr>'
            '<tr><td>z2</td></tr><tr><td>3</td><td>w</td></tr><tr><td>4</td><td>v</td></tr>')
    fitted = fit_tables(f"<table><thead><tr><th>A</th><th>B</th></tr></thead><tbody>{rows}</tbody></table>",
                        PAPERS["a4"])
    assert fitted == ('<table><thead><tr><th>A</th><th>B</th></tr></thead><tbody><tr><td>1</td><td>x</td></tr></tbody>'
                      '<tbody class="rows-kept"><tr><td rowspan="3">2</td><td>y</td></tr><tr><td>z</td></tr>'
                      '<tr><td>z2</td></tr></tbody><tbody><tr><td>3</td><td>w</td></tr><tr><td>4</td><td>v</td></tr>'
                      '</tbody></table>')


def test_colspans_leave_no_column_without_a_cell_starting_in_it() -> None:
    fragment = _convert('<table><tr><td colspan="4">a</td></tr><tr><td colspan="3">b</td><td>c</td></tr>'
                        '<tr><td rowspan="2">d</td><td colspan="3">e</td></tr><tr><td colspan="3">f</td></tr>'
                        '</table>\n')
    # Cells start in columns 0, 1 and 3 only: column 2 goes, and the spans over it narrow by one.
    assert fragment.html.strip() == (
        '<table><tbody><tr><td colspan="3">a</td></tr><tr><td colspan="2">b</td><td>c</td></tr>'
        '<tr><td rowspan="2">d</td><td colspan="2">e</td></tr><tr><td colspan="2">f</td></tr></tbody></table>')
