"""book.toml: parsing, unknown keys, and choosing the book's contents and its parts."""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from pipeline.book import assemble_book
from pipeline.clean import clean_article
from pipeline.config import SCHEMA, PartSpec, Selection, parse_config, schema_table
from pipeline.convert import convert_articles
from pipeline.model import BookMeta

LINK = '"<a   href="{0}.md" class="wikilink" title="t">"{0}</a>'


def test_parse_and_unknown_keys_are_named() -> None:
    config, problems = parse_config(b"""
[book]
title = "T"
authors = ["A", "B"]
colour = "red"
[contents]
root = "Start"
depth = "two"
[pdf]
paper = "A5"
[nonsense]
x = 1
""")
    assert config.meta.title == "T" and config.meta.authors == ["A", "B"]
    assert config.selection.root == "Start" and config.selection.depth == 1
    assert config.pdf == {"paper": "a5"}  # names are case-insensitive
    messages = [p.message for p in problems]
    assert "unknown key 'colour' in [book]: ignored" in messages
    assert "unknown section [nonsense]: ignored" in messages
    assert any("[contents] depth should be a int" in m for m in messages)


def test_invalid_toml_is_an_error_with_defaults() -> None:
    config, problems = parse_config(b"[book\ntitle=", "my.toml")
    assert config.meta.title == "Wiki Book" and problems[0].file == "my.toml" and problems[0].severity == "error"


def _book(selection: Selection):
    pages = {
        "Start": "# Start\n\n" + LINK.format("One") + " " + LINK.format("Two") + "\n",
        "One": "# One\n\n" + LINK.format("Deep") + "\n",
        "Two": "# Two\n\nNo links.\n\n" + LINK.format("Category:Minor") + "\n",
        "Deep": "# Deep\n\n" + LINK.format("Start") + "\n",
        "Island": "# Island\n\n" + LINK.format("Deep") + "\n",
    }
    articles = [clean_article(f"{k}.md", v) for k, v in pages.items()]
    return assemble_book(convert_articles(articles), [], {}, BookMeta(date="2026-01-01T00:00:00Z"), [], selection)


def test_manifest_keeps_its_order() -> None:
    book = _book(Selection(articles=["Two", "Start", "Nowhere"]))
    assert [c.title for c in book.chapters] == ["Two", "Start"]
    assert any("'Nowhere', which is not in the export" in p.message for p in book.problems)


def test_root_and_depth_breadth_first() -> None:
    assert [c.title for c in _book(Selection(root="Start", depth=1)).chapters] == ["Start", "One", "Two"]
    assert [c.title for c in _book(Selection(root="Start", depth=2)).chapters] == ["Start", "One", "Two", "Deep"]
    assert [c.title for c in _book(Selection(root="Start", depth=0)).chapters] == ["Start"]


def test_categories_and_left_out_links() -> None:
    book = _book(Selection(exclude_categories=["Minor"]))
    assert "Two" not in [c.title for c in book.chapters]
    start = next(c for c in book.chapters if c.title == "Start")
    assert "Two" in start.html and 'href="#ch-two"' not in start.html  # plain text now
    linked = _book(Selection(exclude_categories=["Minor"], base_url="https://wiki.example/wiki/"))
    start = next(c for c in linked.chapters if c.title == "Start")
    assert 'href="https://wiki.example/wiki/Two"' in start.html
    assert [c.title for c in _book(Selection(include_categories=["Minor"])).chapters] == ["Two"]


# -- parts, index, theme -----------------------------------------------------------------------------

def test_parts_are_parsed_and_their_keys_checked() -> None:
    config, problems = parse_config(b"""
[contents]
articles = ["Start"]
[[contents.part]]
title = "Beginnings"
articles = ["Start", "One"]
colour = "red"
[[contents.part]]
articles = ["Two"]
[[contents.part]]
title = "Empty"
[[contents.part]]
title = 3
articles = "Deep"
""")
    assert config.selection.parts == [PartSpec("Beginnings", ["Start", "One"]), PartSpec("Part 2", ["Two"])]
    assert config.selection.articles == []  # the parts name the articles
    messages = [p.message for p in problems]
    assert "unknown key 'colour' in [[contents.part]] 'Beginnings': ignored" in messages
    assert "[[contents.part]] 2 has no title: it is called 'Part 2'" in messages
    assert "[[contents.part]] 'Empty' names no articles: left out" in messages
    assert "[[contents.part]] 4 title should be a str, not 3: the default is used" in messages
    assert "[[contents.part]] 4 articles should be a list, not 'Deep': the default is used" in messages
    assert any("[contents] articles is ignored" in m for m in messages)
    assert all(p.severity == "warning" for p in problems)


def test_a_part_must_be_a_table() -> None:
    config, problems = parse_config(b'[contents]\npart = ["History"]\n')
    assert config.selection.parts == []
    assert [p.message for p in problems] == ["[[contents.part]] 1 should be a table with a title and articles, "
                                             "not 'History': ignored"]
    _, problems = parse_config(b'[contents.part]\ntitle = "One"\n')  # one bracket pair: a table, not a list
    assert [p.message for p in problems] == ["[contents] part should be a list, not {'title': 'One'}: "
                                             "the default is used"]


def test_parts_by_index_and_theme() -> None:
    config, problems = parse_config(b'[contents]\nparts_by = "Categories"\nindex = false\n[html]\ntheme = "Dark"\n')
    assert problems == []
    assert config.selection.parts_by == "category" and config.selection.index is False
    assert config.meta.html_theme == "dark"
    default, _ = parse_config(b"")
    assert default.selection.parts_by == "" and default.selection.index is True and default.meta.html_theme == "auto"
    config, problems = parse_config(b'[contents]\nparts_by = "author"\nindex = "no"\n[html]\ntheme = "sepia"\n'
                                    b'font = "x"\n')
    assert config.selection.parts_by == "" and config.selection.index is True and config.meta.html_theme == "auto"
    assert sorted(p.message for p in problems) == [
        "[contents] index should be a bool, not 'no': the default is used",
        "[contents] parts_by 'author' is not category: no parts are made",
        "[html] theme 'sepia' is not auto, light or dark: auto is used",
        "unknown key 'font' in [html]: ignored"]


def test_selection_survives_the_task_layer() -> None:
    # The CLI hands the selection to the tasks as plain data (dataclasses.asdict).
    selection = Selection(parts=[PartSpec("A", ["One"])], parts_by="", index=False)
    again = Selection(**json.loads(json.dumps(asdict(selection))))
    assert again == selection and isinstance(again.parts[0], PartSpec)


def test_the_book_toml_reference_table_is_the_schema() -> None:
    readme = (Path(__file__).resolve().parents[2] / "docs" / "book-toml.md").read_text(encoding="utf-8")
    assert schema_table() in readme
    for section, keys in SCHEMA.items():
        assert all(f"`{key}`" in schema_table() for key in keys), section


def test_parts_from_book_toml_and_the_order_they_give() -> None:
    book = _book(Selection(parts=[PartSpec("First", ["Two", "Deep", "Nowhere"]), PartSpec("Second", ["Start", "Two"]),
                                  PartSpec("Lost", ["Nowhere"])]))
    assert [c.title for c in book.chapters] == ["Two", "Deep", "Start"]  # Island and One are in no part
    assert [(p.title, p.id, p.chapter_ids) for p in book.parts] == [
        ("First", "part-first", ["ch-two", "ch-deep"]), ("Second", "part-second", ["ch-start"])]
    messages = [p.message for p in book.problems]
    assert "[[contents.part]] 'First' names 'Nowhere', which is not in the export" in messages
    assert "[[contents.part]] 'Second' names 'Two', already in part 'First': it stays there" in messages
    assert "[[contents.part]] 'Lost' has no article in the book: left out" in messages
    filtered = _book(Selection(parts=[PartSpec("First", ["Two", "Deep"])], exclude_categories=["Minor"]))
    assert [c.title for c in filtered.chapters] == ["Deep"]


def test_one_part_per_category() -> None:
    pages = {
        "Zeta": "# Zeta\n\nText.\n\n" + LINK.format("Category:Places") + " " + LINK.format("Category:Élan"),
        "Alpha": "# Alpha\n\nText.\n\n" + LINK.format("Category:élan") + " " + LINK.format("Category:Places"),
        "Beta": "# Beta\n\nNo category.\n",
        "Gamma": "# Gamma\n\nText.\n\n" + LINK.format("Category:Places"),
    }
    articles = [clean_article(f"{k}.md", v) for k, v in pages.items()]
    fragments = convert_articles(articles)
    meta = BookMeta(date="2026-01-01T00:00:00Z")
    book = assemble_book(fragments, [], {}, meta, [], Selection(parts_by="category"))
    # The first category of each; parts alphabetical (accents aside), book order inside, "Other" last.
    assert [(p.title, p.chapter_ids) for p in book.parts] == [
        ("Élan", ["ch-alpha"]), ("Places", ["ch-gamma", "ch-zeta"]), ("Other", ["ch-beta"])]
    assert [c.id for c in book.chapters] == ["ch-alpha", "ch-gamma", "ch-zeta", "ch-beta"]
    # Zeta is filed under Places first, but only Élan is in the book: it goes there.
    included = assemble_book(convert_articles(articles), [], {}, meta, [],
                             Selection(parts_by="category", include_categories=["élan"]))
    assert [(p.title, p.chapter_ids) for p in included.parts] == [("Élan", ["ch-alpha", "ch-zeta"])]
    assert assemble_book(convert_articles(articles), [], {}, meta, [], Selection()).parts == []


def test_links_namespaces_are_prefix_kind_pairs() -> None:
    config, problems = parse_config(b'[links]\nnamespaces = { category = ["Rubrik:"], drop = "Portal", '
                                    b'bogus = ["X"], file = 3 }\n')
    assert config.selection.namespaces == [["Portal", "drop"], ["Rubrik", "category"]]
    assert [p.message for p in problems] == [
        "[links] namespaces: unknown kind 'bogus' (not category, file, media, drop): ignored",
        "[links] namespaces file should be a list of names, not 3: ignored"]


def test_the_dataclasses_hold_the_defaults() -> None:
    from pipeline.config import Config, pdf_default
    from pipeline.pdf.options import PdfOptions

    config, problems = parse_config(b"")
    assert problems == [] and config == Config() and config.meta == BookMeta() and config.selection == Selection()
    assert {key: pdf_default(key) for key in SCHEMA["pdf"]} == {
        key: getattr(PdfOptions(), key) for key in SCHEMA["pdf"]}
    assert SCHEMA["book"]["licence"][1] == BookMeta().rights and SCHEMA["links"]["namespaces"][:2] == (dict, {})


def test_a_book_toml_without_pdf_options_does_not_load_the_pdf_builder() -> None:
    # WeasyPrint takes a second to load: an EPUB-only build or a no-op rebuild should not pay for it.
    code = ("import sys; from pipeline.config import parse_config; "
            "parse_config(b'[book]\\ntitle = \"T\"\\n[contents]\\ndepth = 2\\n'); print('weasyprint' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.stdout.strip() == "False"
