"""Wikitext to Articles: links, notes, citation templates as CSL items, infoboxes, files, dropped templates."""
from __future__ import annotations

import re

import mwparserfromhell as mwp

from pipeline.citations import parse_citation
from pipeline.dump import SiteInfo
from pipeline.wikitext import WikiPage, citation_item, convert_pages

SITE = SiteInfo(name="Test", case="first-letter", namespaces={6: "Datei", 14: "Kategorie", 10: "Vorlage"})


def _one(text: str, title: str = "Page") -> object:
    return convert_pages([WikiPage(title, title, text)], SITE)[0]


def _cited(note: str) -> list[str]:
    """The keys a note's Markdown cites, read back as the conversion stage reads it."""
    text = re.sub(r"\\(.)", r"\1", note)
    items = parse_citation(text)
    assert items is not None, note
    return [i.key for i in items]


def test_links_become_model_wikilinks_with_their_trail() -> None:
    article = _one("See [[Mutual aid#History|the ''history'']] and [[bus]]es, [[:Kategorie:Things]].")
    assert re.search(r'<a href="wiki:Mutual%20aid#History">the (\*history\*|<i>history</i>)</a>', article.markdown)
    assert '<a href="wiki:bus">buses</a>' in article.markdown
    assert '<a href="wiki:Kategorie%3AThings">Kategorie:Things</a>' in article.markdown
    assert article.categories == []


def test_categories_localised_and_canonical_and_interlanguage_links() -> None:
    article = _one("Text.\n\n[[Kategorie:Sterne|Sonne]]\n[[Category:Stars]]\n[[Catégorie:Étoiles]]\n[[fr:Soleil]]")
    assert article.categories == ["Sterne", "Stars", "Étoiles"]
    assert "Soleil" not in article.markdown and "Kategorie" not in article.markdown


def test_refs_become_notes_and_named_refs_reuse_them() -> None:
    article = _one("A.<ref name=\"x\">First note with '''bold'''.</ref> B.<ref>Second.</ref> C.<ref name=x/>\n\n"
                   "D.<ref name=\"later\"/>\n\n== References ==\n<references>\n<ref name=\"later\">Defined "
                   "in the list.</ref>\n</references>")
    assert article.notes == {"1": "First note with **bold**.", "2": "Second.", "3": "Defined in the list."}
    assert article.markdown.count('<sup data-note="1"></sup>') == 2
    assert "References" not in article.markdown  # a section left empty goes


def test_citation_templates_are_csl_items_cited_by_key() -> None:
    article = _one("Text.<ref>{{cite web |url=https://example.org/a |title=A page |website=Example "
                   "|last=Doe |first=Jane |date=3 May 2020 |access-date=2021-01-02}}</ref> More.<ref>See "
                   "{{cite book |last1=Roe |first1=Rick |last2=Poe |first2=Pat |title=A Book |publisher=Press "
                   "|location=Paris |year=1999 |isbn=978-0-00-000000-0}}, p. 4.</ref>")
    web, book = (next(i for i in article.references if i["id"] == _cited(n)[0]) for n in article.notes.values())
    assert web == {"type": "webpage", "title": "A page", "author": [{"family": "Doe", "given": "Jane"}],
                   "container-title": "Example", "URL": "https://example.org/a",
                   "issued": {"date-parts": [[2020, 5, 3]]}, "accessed": {"date-parts": [[2021, 1, 2]]},
                   "id": web["id"]}
    assert book["type"] == "book" and book["publisher-place"] == "Paris" and book["ISBN"].startswith("978")
    assert [a["family"] for a in book["author"]] == ["Roe", "Poe"]
    assert re.sub(r"\\(.)", r"\1", article.notes["2"]) == f"[See @{book['id']}, p. 4.]"


def test_the_same_template_on_two_pages_is_one_key() -> None:
    cite = "{{cite web|url=https://example.org/x|title=X}}"
    one, two = convert_pages([WikiPage("A", "A", f"a<ref>{cite}</ref>"), WikiPage("B", "B", f"b<ref>{cite}</ref>")],
                             SITE)
    assert one.references == two.references and len(one.references) == 1


def test_german_and_french_citation_templates() -> None:
    def item(text: str) -> dict:
        return citation_item(mwp.parse(text).filter_templates()[0])

    web = item("{{Internetquelle |autor=Erika Musterfrau |url=https://example.de/s |titel=Die Seite |werk=Beispiel "
               "|hrsg=Beispielverlag |datum=2019-04-01 |abruf=2020-02-03 |sprache=de}}")
    assert web["publisher"] == "Beispielverlag"
    assert web["type"] == "webpage" and web["title"] == "Die Seite" and web["URL"] == "https://example.de/s"
    assert web["author"] == [{"family": "Musterfrau", "given": "Erika"}] and web["container-title"] == "Beispiel"
    assert web["accessed"] == {"date-parts": [[2020, 2, 3]]}
    book = item("{{Literatur |Autor=Max Mustermann |Hrsg=Erika Musterfrau |Titel=Das Buch |Verlag=Verlag |Ort=Berlin "
                "|Jahr=2001 |ISBN=3-00-000000-0 |Seiten=12–14}}")
    assert book["editor"] == [{"family": "Musterfrau", "given": "Erika"}] and len(book["author"]) == 1
    assert (book["type"], book["title"], book["publisher"], book["issued"]) == \
        ("book", "Das Buch", "Verlag", {"date-parts": [[2001]]})
    archived = item("{{Webarchiv |url=https://example.de/alt |wayback=20100102030405 |text=Alte Seite}}")
    assert archived["URL"] == "https://web.archive.org/web/20100102030405/https://example.de/alt"
    assert archived["title"] == "Alte Seite"
    lien = item("{{Lien web |titre=Une page |url=https://example.fr/p |site=Exemple |consulté le=4 mars 2021}}")
    assert (lien["title"], lien["container-title"], lien["accessed"]) == \
        ("Une page", "Exemple", {"date-parts": [[2021, 3, 4]]})
    ouvrage = item("{{Ouvrage |auteur=Jean Dupont |titre=Un livre |éditeur=Éditions |lieu=Paris |année=1988}}")
    assert ouvrage["author"] == [{"family": "Dupont", "given": "Jean"}] and ouvrage["publisher"] == "Éditions"
    assert item("{{cite web |website=Nothing to cite}}") is None


def test_sfn_cites_the_full_template_of_the_page() -> None:
    article = _one("Claim.{{sfn|Doe|1999|p=12}} Again.{{sfn|Doe|1999|p=12}} Other.{{sfn|Nobody|2000}}\n\n"
                   "== Sources ==\n* {{cite book |last=Doe |first=Jane |year=1999 |title=Statutes}}")
    book = next(i for i in article.references if i["title"] == "Statutes")
    assert re.sub(r"\\(.)", r"\1", article.notes["1"]) == f"[@{book['id']}, p. 12]"
    assert article.markdown.count('<sup data-note="1"></sup>') == 2  # identical short citations are one note
    assert article.notes["2"] == "Nobody 2000."
    assert _cited(article.notes["3"]) == [book["id"]]  # the listed work is cited by a note of its own
    assert "Statutes" in article.markdown


def test_a_quotation_around_a_citation_keeps_both() -> None:
    quote = "“" + "word " * 120 + "end”"
    article = _one(f"Text.<ref>{quote} {{{{cite web|url=https://example.org/q|title=Q}}}}</ref>")
    assert article.notes["1"].startswith("“word") and "@" not in article.notes["1"]
    assert _cited(article.notes["2"]) == [article.references[0]["id"]]
    assert article.markdown.count("<sup data-note=") == 2


def test_infobox_is_a_two_column_table_and_other_templates_are_counted() -> None:
    article = _one("{{Infobox person\n| name = Jane Doe\n| image = Jane.jpg\n| birth_place = [[Paris]]\n"
                   "| occupation = {{nowrap|writer}}\n}}\nJane {{Unknown|x}} wrote.{{citation needed}} "
                   "{{lang|fr|Bonjour}}.")
    assert '<th scope="row">Birth place</th>' in article.markdown
    assert '<a href="wiki:Paris">Paris</a>' in article.markdown and "writer" in article.markdown
    assert "Jane.jpg" not in article.markdown and "Image" not in article.markdown
    assert article.leftovers == {"template": 2}
    assert any("citation needed, unknown" in p.message for p in article.problems)
    assert "Jane wrote. Bonjour." in article.markdown


def test_files_are_figures_looked_up_by_their_name() -> None:
    article = _one("[[Datei:a picture.png|mini|links|A ''caption'' with [[Link]]]]\n\nText "
                   "[[File:Icon.png|20px|alt=An icon]] inline.")
    assert '<img src="A_picture.png" alt="" />' in article.markdown
    assert '<figcaption>A <em>caption</em> with <a href="wiki:Link">Link</a></figcaption>' in article.markdown
    assert '<img src="Icon.png" alt="An icon" />' in article.markdown


def test_redirects_and_twice_escaped_pages() -> None:
    redirect, escaped = convert_pages([WikiPage("Old", "Old", "#REDIRECT [[New page#Part]]"),
                                       WikiPage("E", "E", "Text.&lt;ref&gt;Note.&lt;/ref&gt;")], SITE)
    assert redirect.redirect == "New page" and redirect.title == "Old"
    assert escaped.notes == {"1": "Note."} and "&lt;" not in escaped.markdown
    assert "HTML-escaped twice" in escaped.problems[0].message


def test_a_note_of_unknown_templates_keeps_their_text() -> None:
    article = _one("Word.<ref>{{Some source|Alpha|Beta gamma}}</ref>")
    assert article.notes["1"] == "Alpha, Beta gamma"


def test_deep_nesting_is_bounded() -> None:
    article = _one("{{a|" * 200 + "x" + "}}" * 200 + " text")
    assert "text" in article.markdown


def test_block_pieces_stay_whole_inside_tables_and_lists() -> None:
    """A figure in a table cell, a list wrapped in <small>: the converted XHTML keeps each element in its place."""
    from pipeline.convert import convert_articles

    article = _one("{|\n|-\n| [[File:Cell.png|thumb|In a ''cell'']]\n|}\n\n<small>\n* one\n* two\n</small>\n\n"
                   "See [http://example.org/a [[Alpha]] and ''beta'']. Also [[Gamma|{{unknown}}]].")
    xhtml = convert_articles([article])[0].html
    assert re.search(r"<td>\s*<figure><img [^>]*/><figcaption>In a <em>cell</em></figcaption></figure>", xhtml)
    assert re.search(r"<ul>\s*<li>one</li>", xhtml) and "<small>" not in xhtml
    assert '<a href="http://example.org/a">Alpha and <em>beta</em></a>' in xhtml
    assert '<a href="wiki:Gamma">Gamma</a>' in xhtml


def test_a_url_parameter_given_as_a_link_and_galleries() -> None:
    item = citation_item(mwp.parse("{{Literatur |Titel=Ein Buch |Online=[https://example.de/buch Digitalisat]}}")
                         .filter_templates()[0])
    assert item["URL"] == "https://example.de/buch"
    article = _one("<gallery>\nFile:One.png|First ''one''\nDatei:Two.jpg\nUser:Somebody\n</gallery>")
    assert article.markdown.count("<figure>") == 2
    assert '<img src="One.png" alt="" /><figcaption>First <em>one</em></figcaption>' in article.markdown
    assert "Somebody" not in article.markdown


def test_names_as_wiki_editors_write_them() -> None:
    from pipeline.wikitext import _names

    assert _names({"author": "King, Martin Luther, Jr."}, "author") == \
        [{"family": "King", "given": "Martin Luther", "suffix": "Jr"}]
    assert _names({"autor": "Max Mustermann, Erika Musterfrau"}, "author") == \
        [{"family": "Mustermann", "given": "Max"}, {"family": "Musterfrau", "given": "Erika"}]
    assert _names({"last1": "Roe", "first1": "Rick", "last2": "Poe", "editor-last": "Ed", "editor-first": "Ann"},
                  "author") == [{"family": "Roe", "given": "Rick"}, {"family": "Poe"}]
    assert _names({"vauthors": "Wilson DG, King KW"}, "author") == \
        [{"family": "Wilson", "given": "DG"}, {"family": "King", "given": "KW"}]
    assert _names({"author": "Staff of the Museum"}, "author") == [{"literal": "Staff of the Museum"}]


def test_bold_and_italic_are_read_as_mediawiki_reads_them() -> None:
    article = _one("'''''emph inside'' strong'''\n\n'''strong with ''emph'''''\n\n<nowiki>''not emph''</nowiki>")
    assert "***emph inside* strong**" in article.markdown
    assert "**strong with *emph***" in article.markdown
    assert "''not emph''" in article.markdown


def test_notes_defined_in_reflist_are_used_where_they_are_cited() -> None:
    article = _one('Claim.<ref name="a"/> Other.<ref name="b"/>\n\n== Notes ==\n{{reflist|refs=\n'
                   '<ref name="a">{{cite web|url=https://example.org/a|title=A}}</ref>\n<ref name="b">Plain note.</ref>\n}}')
    assert article.markdown.count("<sup data-note=") == 2 and "Notes" not in article.markdown
    assert article.notes["2"] == "Plain note." and _cited(article.notes["1"]) == [article.references[0]["id"]]


def test_note_templates_are_notes() -> None:
    article = _one("A.{{efn|An explanation.}} B.{{#tag:ref|A nested {{cite web|url=https://example.org/n|title=N}}"
                   "|name=n}} C.{{#tag:ref||name=n}}")
    assert article.notes["1"] == "An explanation."
    assert article.markdown.count('<sup data-note="2"></sup>') == 2
    assert _cited(article.notes["2"])[0] == article.references[0]["id"]
