"""Wikitext the export left: found, converted or removed, counted; namespaces in the wiki's language."""
from __future__ import annotations

import re
from collections import Counter

from lxml import etree

from pipeline.clean import clean_article
from pipeline.convert import LOST_NOTE, convert_articles
from pipeline.leftovers import fit_table_columns, repair_nesting, strip_templates, take_ref_tags
from pipeline.namespaces import namespaces
from pipeline.sanitize import parse_fragment, to_xhtml


def _link(target: str, text: str | None = None) -> str:
    """A wikilink as the export writes it."""
    text = target if text is None else text
    return f'"<a   href="{target.replace(" ", "_")}.md" class="wikilink" title="{target}">"{text}</a>'


def test_literal_refs_become_notes_and_named_refs_are_reused() -> None:
    text = ("# Page\n\nFirst.[^1] Second.\\<ref name=\"x\"/\\> Third.\\<ref\\>Smith, *Book*\n(2001).\\</ref\\>"
            " Fourth.<ref name=x>Jones, *Other* (1999).</ref> Fifth.\\<ref name=\"x\" /\\>\n\n[^1]: Own note.\n")
    article = clean_article("Page.md", text)
    assert article.notes == {"1": "Own note.", "2": "Jones, *Other* (1999).", "3": "Smith, *Book* (2001)."}
    calls = re.findall(r'data-note="([^"]+)"', article.markdown)
    assert calls == ["1", "2", "3", "2", "2"]  # the named note is used before, at and after its definition
    assert article.leftovers == {"ref_tag": 4}
    assert "ref" not in re.sub(r"<sup data-note=\"\d\"></sup>", "", article.markdown)


def test_ref_numbering_skips_the_labels_the_page_has() -> None:
    text, notes, found = take_ref_tags("a<ref>one</ref> b<ref>two</ref>", ["1", "2", "3"])
    assert list(notes) == ["4", "5"] and found == 2
    assert text == 'a<sup data-note="4"></sup> b<sup data-note="5"></sup>'


def test_html_footnotes_become_notes_each_block_its_own() -> None:
    call = '<a href="#fn1" class="footnote-ref" id="fnref1"\nrole="doc-noteref"><sup>1</sup></a>'
    section = ('<section id="footnotes" class="footnotes footnotes-end-of-document"\nrole="doc-endnotes">\n<hr />\n'
               '<ol>\n<li id="fn1"><p>{}</p><a href="#fnref1" class="footnote-back"\nrole="doc-backlink">↩︎</a></li>\n'
               '</ol>\n</section>\n')
    text = (f"# Page\n\nOwn.[^1]\n\n<table><tr><td>a{call}</td></tr></table>\n" + section.format("First source")
            + f"\n<table><tr><td>b{call}</td></tr></table>\n" + section.format("") + "\n[^1]: Own note.\n")
    article = clean_article("Page.md", text)
    assert article.notes == {"1": "Own note.", "2": "First source", "3": ""}
    assert re.findall(r'data-note="(\d)"', article.markdown) == ["1", "2", "3"]
    assert "footnote" not in article.markdown and "↩" not in article.markdown
    assert article.leftovers == {"html_footnote": 2}


def test_templates_balanced_nested_and_cut_short() -> None:
    counts: Counter = Counter()
    text = ("A {{Infobox | name = {{nowrap|X}} | n = {{{1}}} }} B\n<td><p>{{dts</p></td><td>ok}}{_{_Doi_1_}_}</td>\n"
            "{{-}}\n\nC {{unclosed\n\nD }} E")
    cleaned = strip_templates(text, counts)
    assert "{{" not in cleaned and "}}" not in cleaned
    assert "A  B" in cleaned and "<td><p></p></td><td>ok</td>" in cleaned and "C \n\nD  E" in cleaned
    assert counts["template"] == 7  # Infobox, dts, Doi, -, unclosed and the two stray closings


def test_citation_templates_keep_their_fields() -> None:
    counts: Counter = Counter()
    text = ("[^1]: {\\_{\\_Literatur\\_ \\|Autor=Jacques Laskar \\|Titel=Large scale chaos "
            "\\|Sammelwerk=Celestial Mechanics \\|Band=64 \\|Datum=1996 \\|Seiten=115–162 \\|DOI=10.1007/BF00051610\\_}\\_}"
            " and {{cite web |url=https://example.org/a |title=A page |website=Example |access-date=2020}}"
            " {{Doi|10.1088/x}} {{nowrap|gone}}")
    assert strip_templates(text, counts) == (
        "[^1]: Jacques Laskar, *Large scale chaos*, Celestial Mechanics, 64 (1996), 115–162. doi:10.1007/BF00051610"
        " and *A page*, Example. <https://example.org/a> doi:10.1088/x ")
    assert counts["template"] == 4


def test_comments_magic_words_tables_and_bracketed_links() -> None:
    text = ("# Page\n\nText \\<!-- hidden\nacross lines --\\> and <!-- more --> __NOTOC__ here "
            "[http://example.org/a Example site] and \\[<http://example.org/b%5D%3C/ref%3E>.\n\n"
            "{| class=\"wikitable\"\n| cell\n|}\n\nAfter. `code {{kept}} <!-- kept -->`\n")
    article = clean_article("Page.md", text)
    assert "hidden" not in article.markdown and "more" not in article.markdown and "NOTOC" not in article.markdown
    assert "[Example site](<http://example.org/a>)" in article.markdown
    assert "<http://example.org/b>" in article.markdown and "%5D" not in article.markdown
    assert "wikitable" not in article.markdown and "After." in article.markdown
    assert "`code {{kept}} <!-- kept -->`" in article.markdown  # code is never touched
    assert article.leftovers == {"comment": 2, "magic_word": 1, "table": 1, "external_link": 2}
    assert any("2 HTML comments" in p.message for p in article.problems)


def test_image_option_lists_leave_the_caption() -> None:
    text = ("# Page\n\n![mini\\|hochkant=1.3\\|A caption](Pic.jpg \"mini|hochkant=1.3|A caption\")\n\n"
            "| left | right |\n|---|---|\n| none | x |\n")
    article = clean_article("Page.md", text)
    assert "![A caption](Pic.jpg)" in article.markdown
    assert "| left | right |" in article.markdown and "| none | x |" in article.markdown  # a table is no option list
    assert article.leftovers == {"image_options": 1}


def test_namespaces_in_the_wikis_language() -> None:
    text = "\n".join(["# Page", "", "Body " + _link("Datei:Pic.jpg", "mini|Ein Bild") + " and "
                      + _link("Archivo:Otro.png") + " and " + _link("Main page", "a link") + ".", "",
                      _link("Kategorie:Städte"), _link("catégorie:Villes"), _link("Категория:Города"),
                      _link("Category:Cities"), _link("カテゴリ:都市"), _link("de:Toronto"), _link("fr:Toronto")])
    article = clean_article("Page.md", text)
    assert article.categories == ["Städte", "Villes", "Города", "Cities", "都市"]
    assert article.interlanguage == ["de:Toronto", "fr:Toronto"]
    assert "![Ein Bild](<Pic.jpg>)" in article.markdown
    assert "![](<Otro.png>)" in article.markdown
    assert '<a href="wiki:Main_page">a link</a>' in article.markdown
    assert "Toronto" not in article.markdown and "Kategorie" not in article.markdown


def test_a_file_link_alone_on_its_line_opens_no_raw_html_block() -> None:
    text = "# P\n\n" + _link("File:X.jpg", "thumb|upright=1.2|Caption with *stars*") + "\n'''Test''' is a thing.\n"
    html = convert_articles([clean_article("P.md", text)])[0].html
    assert "<strong>Test</strong>" in html and 'alt="Caption with *stars*"' in html


def test_the_namespace_table_covers_the_languages_asked_for() -> None:
    table = namespaces()
    for prefix in ("Category", "Kategorie", "Catégorie", "Categoría", "Categoria", "Categorie", "Kategoria",
                   "Категория", "Kategori", "カテゴリ", "分类", "分類"):
        assert table.kind(prefix + ":X") == ("category", "X"), prefix
    for prefix in ("File", "Image", "Datei", "Bild", "Fichier", "Archivo", "Imagen", "Immagine", "Bestand",
                   "Plik", "Ficheiro", "Arquivo", "Файл", "Fil", "ファイル", "画像", "文件", "Lêer", "Beeld"):
        assert table.kind(prefix + ":X.png") == ("file", "X.png"), prefix
    for prefix in ("Media", "Medium", "Média", "Medio", "Multimédia", "Mídia", "Медиа", "メディア", "媒体文件", "媒體"):
        assert table.kind(prefix + ":X.ogg") == ("media", "X.ogg"), prefix
    assert table.kind("kategorie:X")[0] == "category"  # case does not count in a namespace name
    assert table.kind("Anarchism: A History") == ("", "Anarchism: A History")
    assert table.kind("War: A History") == ("", "War: A History") and table.kind("war:Gyera")[0] == "interlanguage"
    article = clean_article("P.md", "# P\n\nSee " + _link(":Kategorie:Städte", "the cities") + " and "
                            + _link(":de:Toronto", "Toronto (de)") + ".\n")
    assert article.categories == [] and article.interlanguage == []
    assert "See the cities and Toronto (de)." in article.markdown


def test_custom_namespaces_from_book_toml() -> None:
    text = "# Page\n\n" + _link("Rubrik:Local") + " " + _link("Portal:Stuff", "portal") + " text.\n"
    article = clean_article("Page.md", text, (("Rubrik", "category"), ("Portal", "drop")))
    assert article.categories == ["Local"] and "portal" not in article.markdown and "text." in article.markdown
    plain = clean_article("Page.md", text)
    assert plain.categories == [] and 'href="wiki:Portal' in plain.markdown


def test_a_redirect_with_a_title_heading_and_a_localised_one() -> None:
    for text in ("# Redirect\n\n1.  REDIRECT " + _link("Toronto") + "\n",
                 "1.  WEITERLEITUNG " + _link("Toronto") + "\n",
                 "# Weiterleitung\n\n1.  WEITERLEITUNG " + _link("Toronto") + "\n"):
        article = clean_article("Old_name.md", text)
        assert article.redirect == "Toronto" and article.title == "Old name"


def test_a_category_page_is_marked_as_one() -> None:
    assert clean_article("Category:History.md", "Pages about history.\n").category_page == "History"
    assert clean_article("x.md", "# Kategorie:Geschichte\n\nText.\n").category_page == "Geschichte"
    assert clean_article("History.md", "# History\n\nText.\n").category_page is None


def test_converted_pages_keep_unique_ids_levels_and_say_a_note_is_lost() -> None:
    text = ("# Page\n\nIntro.[^1] More.[^2]\n\n## Notes\n\nThe page's own notes.\n\n#### Deep\n\nText.\n\n"
            "## Ref 1\n\nText.\n\n[^1]: \n\n[^2]: Smith, *Book* (2001).\n")
    fragment = convert_articles([clean_article("Page.md", text)])[0]
    ids = re.findall(r'id="([^"]+)"', fragment.html)
    assert "ch-page--notes" not in ids and len(ids) == len(set(ids))
    assert [(s.level, s.title) for s in fragment.sections] == [(2, "Notes"), (3, "Deep"), (2, "Ref 1")]
    assert not any(s.id.startswith("ch-page--ref-") for s in fragment.sections)
    lost, kept = fragment.notes
    assert lost.lost and LOST_NOTE in lost.html and lost.text == "" and fragment.citations[0] == ([], [])
    assert not kept.lost and "Smith" in kept.html
    assert any("1 of 2 notes are empty" in p.message for p in fragment.problems)


def test_converted_text_loses_what_pandoc_escaped() -> None:
    text = "# Page\n\n<table><tr><td>x &lt;ref&gt;y&lt;/ref&gt; &lt;/ref&gt; __TOC__ {{dts</td></tr></table>\n"
    article = clean_article("Page.md", text)
    assert article.notes == {"1": "y"}  # a literal ref in raw HTML is a note too
    fragment = convert_articles([article])[0]
    visible = "".join(parse_fragment(fragment.html).itertext())
    assert not re.search(r"<\s*/?ref|__TOC__|\{\{", visible) and "x" in visible
    assert fragment.leftovers == {"ref_tag": 2, "magic_word": 1, "template": 1}


def test_lists_and_tables_are_mended() -> None:
    root = parse_fragment("<ul><small><li>a</li><li>b</li></small><em>c</em></ul>"
                          "<table><tr><td colspan=\"4\">wide</td></tr><tr><td>1</td><td>2</td></tr></table>")
    assert repair_nesting(root) == 2
    assert fit_table_columns(root) == 1
    out = to_xhtml(root)
    assert "<ul><li>a</li><li>b</li><li><em>c</em></li></ul>" in out
    assert '<td colspan="2">wide</td>' in out
    assert all(child.tag == "li" for child in root.find("ul"))
    assert isinstance(root, etree._Element)


def test_links_that_lead_nowhere_lose_their_tag_not_their_text() -> None:
    text = ("# Page\n\nSee [<a href=\"wiki:Author\">Author</a>, *Title*](http://example.org/t) and "
            "[the clip](Clip.webm) and [a page](Other_page.md).\n")
    html = convert_articles([clean_article("Page.md", text)])[0].html
    assert not re.search(r"<a [^>]*>\s*</a>", html)
    assert "Clip.webm" not in html and "the clip" in html
    assert '<a href="wiki:Other_page">a page</a>' in html

def test_escaped_html_tags_stray_emphasis_and_entities() -> None:
    text = ("# P\n\nA quote:\\<blockquote\\> \"In March\" \\</blockquote\\> and x\\<br /\\>y \\<small\\>s\\</small\\>."
            " Bearman'' (D-669) ''Good'' Apollo&amp;nbsp;8, rock 'n' roll.\n")
    fragment = convert_articles([clean_article("P.md", text)])[0]
    assert fragment.html.strip() == ('<p>A quote: "In March" and x<br/>y <small>s</small>. Bearman (D-669) <em>Good</em>'
                             " Apollo\u00a08, rock 'n' roll.</p>")
    assert fragment.leftovers == {"html_tag": 5, "emphasis": 1}


def test_note_calls_side_by_side_are_set_apart() -> None:
    article = clean_article("P.md", "# P\n\nText.[^1][^2] More.[^3]\n\n[^1]: A.\n\n[^2]: B.\n\n[^3]: C.\n")
    html = convert_articles([article])[0].html
    assert re.sub(r"<a [^>]*>", "<a>", html).strip() == \
        "<p>Text.<sup><a>1</a></sup><sup><span class=\"noteref-sep\">,</span><a>2</a></sup> More.<sup><a>3</a></sup></p>"


def test_a_gallery_written_as_text_keeps_its_captions() -> None:
    text = ("# P\n\nDatei:A.jpg\\|Bild A Datei:B.jpg\\|mini\\|Bild B Bild:C.png\n\n"
            "### Einzelnachweise\n\n<references group=\"Anm.\" />\n")
    article = clean_article("P.md", text)
    assert article.markdown == "Bild A Bild B\n"
    assert article.leftovers == {"file_text": 3}


def test_notes_defined_in_the_references_list_are_kept() -> None:
    text = ("# P\n\nText.[^1] More.[^2]\n\n## Notes et références\n\n<references>\n\n[^3]\n\n</references>\n\n"
            "[^1]:\n\n[^2]: Cited.\n\n[^3]: Defined in the list.\n")
    article = clean_article("P.md", text)
    assert article.notes == {"1": "", "2": "Cited.", "3": "Defined in the list."}
    assert "references" not in article.markdown and "Notes et" not in article.markdown
    assert not [p for p in article.problems if "never referenced" in p.message]


def test_wikilinks_pandoc_could_not_read() -> None:
    text = ("# P\n\nSee \\[\\[Other page\\|the other\\]\\] and [[Raw|raw one]] and [[1]](http://x.org).\n\n"
            "\\[\\[Kategorie:Foo\\]\\] \\[\\[de:Seite\\]\\]\n")
    article = clean_article("P.md", text)
    assert article.markdown == ('See <a href="wiki:Other%20page">the other</a> and <a href="wiki:Raw">raw one</a>'
                                " and [[1]](http://x.org).\n")
    assert (article.categories, article.interlanguage, article.leftovers) == (["Foo"], ["de:Seite"], {"wikilink": 4})


def test_template_braces_written_apart_leave_the_converted_text() -> None:
    from collections import Counter

    from pipeline.leftovers import scrub_tree
    from pipeline.sanitize import parse_fragment, to_xhtml
    root = parse_fragment("<p>In: <em>ApJ</em> 750, {_{_Bibcode_2012ApJ...750..135E_}_}, a.</p>")
    counts: Counter = Counter()
    scrub_tree(root, counts)
    assert to_xhtml(root) == "<p>In: <em>ApJ</em> 750, , a.</p>" and counts["template"] == 2


def test_table_columns_are_fitted_around_rowspans_and_a_huge_rowspan_costs_nothing() -> None:
    import time
    root = parse_fragment('<table><tr><td rowspan="2">a</td><td colspan="3">b</td></tr>'
                          '<tr><td colspan="3">c</td></tr></table>'
                          '<table><tr><td rowspan="1000" colspan="1000">x</td><td>y</td></tr></table>')
    started = time.process_time()  # CPU time: what other processes do on the machine does not count
    assert fit_table_columns(root) == 3
    assert time.process_time() - started < 0.5
    out = to_xhtml(root)
    assert '<td rowspan="2">a</td><td>b</td>' in out and "<td>c</td>" in out
    assert '<td rowspan="1000">x</td>' in out
