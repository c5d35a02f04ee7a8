"""Stage 2: one pandoc run per chunk, sanitised, ids namespaced per chapter."""
from pipeline.clean import clean_article
from pipeline.convert import convert_articles


def _convert(*pages: tuple[str, str]):
    return convert_articles([clean_article(name, text) for name, text in pages])


def test_batch_keeps_articles_apart_and_namespaces_ids() -> None:
    page = "# {t}\n\n## Overview\n\nText.[^1]\n\n[^1]: Source {t}.\n"
    a, b = _convert(("A.md", page.format(t="Alpha")), ("B.md", page.format(t="Beta")))
    assert a.chapter_id == "ch-alpha" and b.chapter_id == "ch-beta"
    assert 'id="ch-alpha--overview"' in a.html and 'id="ch-beta--overview"' in b.html
    assert 'href="#ch-alpha--fn-1"' in a.html and 'id="ch-alpha--ref-1"' in a.html
    assert a.notes[0].id == "ch-alpha--fn-1" and "Source Alpha." in a.notes[0].html
    assert b.notes[0].ref_ids == ["ch-beta--ref-1"]


def test_unclosed_fence_does_not_swallow_the_next_article() -> None:
    a, b = _convert(("A.md", "# A\n\n```\nunclosed code\n"), ("B.md", "# B\n\n## Part\n\n*Text* here.\n"))
    assert "unclosed code" in a.html and "unclosed" not in b.html
    assert "<em>Text</em>" in b.html and b.sections[0].title == "Part"


def test_swallowed_split_token_falls_back_to_one_run_per_article() -> None:
    a, b = _convert(("A.md", "# A\n\n<pre>\nraw block never closed\n"), ("B.md", "# B\n\n## Part\n\n*Text* here.\n"))
    assert "raw block never closed" in a.html and "never closed" not in b.html
    assert "<em>Text</em>" in b.html and b.sections[0].title == "Part"


def test_raw_html_is_sanitised() -> None:
    hostile = ('# H\n\n<script>alert(1)</script><img src="x.png" onerror="alert(2)">\n\n'
               '<a href="javascript:alert(3)">x</a> <iframe src="https://e.invalid"></iframe>'
               '<p style="color:red" id="ch-h--fn-1">styled</p>\n')
    (h,) = _convert(("H.md", hostile))
    for bad in ("<script", "alert", "onerror", "javascript:", "<iframe", "style=", 'id="ch-h--fn-1"'):
        assert bad not in h.html


def test_output_is_well_formed_xhtml() -> None:
    from lxml import etree

    (t,) = _convert(("T.md", "# T\n\nLine<br>break, <hr> and a | table |\n\n| a | b |\n|---|--:|\n| 1 | 2 |\n\n<p></p>\n"))
    etree.fromstring(f"<div>{t.html}</div>")  # raises on anything not well-formed
    assert "<p></p>" in t.html or "<p/>" not in t.html


def test_table_alignment_survives_and_headings_demoted() -> None:
    (t,) = _convert(("T.md", "# T\n\n# Second top heading\n\n| a | b |\n|---|--:|\n| 1 | 2 |\n"))
    assert 'style="text-align:right"' in t.html
    assert t.sections[0].level == 2 and "<h1" not in t.html
