"""book.toml: parsing, unknown keys, and choosing the book's contents."""
from __future__ import annotations

from pipeline.book import assemble_book
from pipeline.clean import clean_article
from pipeline.config import Selection, parse_config
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
