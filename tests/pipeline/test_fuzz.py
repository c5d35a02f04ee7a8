"""Property-based tests: generated dialect text never crashes the cleaner or the resolver."""
from __future__ import annotations

import html
import re

from hypothesis import HealthCheck, given, settings, strategies as st
from lxml import etree

from pipeline.book import assemble_book
from pipeline.clean import clean_article
from pipeline.convert import convert_articles
from pipeline.model import BookMeta

TITLES = ["Karl Marx", "Workers' Council", "State (polity)", "Ōsaka", "A", "Zürich & Co", "x<y"]
words = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=30)
title = st.sampled_from(TITLES) | st.text(alphabet="abcXYZ _'()#&;:é", min_size=1, max_size=15)


@st.composite
def wikilink(draw: st.DrawFn) -> str:
    target = draw(title)
    href = html.escape(target.replace(" ", "_"), quote=True).replace("&#x27;", "&#39;")
    if draw(st.booleans()):
        href += "#" + draw(st.sampled_from(["Overview", "Part_Two", "Nope"]))
    space = draw(st.sampled_from(["   ", "\n", " ", "\n> "]))
    return f'"<a{space}href="{href}.md" class="wikilink"{space}title="t">"{draw(words)}</a>'


piece = st.one_of(
    words, wikilink(), st.sampled_from([
        "[^1]", "[^2]", "\n\n[^1]: Paul Avrich, *The Russian Anarchists* (1967)\n", "\n[^2]: Britannica: X\n    more\n",
        "'''bold'''", "''it''", "\n## Overview\n", "\n## Part Two\n", "\n# Title\n", "<references/>", "\n> ",
        "\n- ", "\n1. ", "```", "<div>", "</div>", "<figure><img src=\"F.png\"/><figcaption>c</figcaption></figure>",
        "<script>x</script>", "| a | b |\n|---|---|\n| 1 | 2 |\n", "&amp;", "&#39;", "<", ">", "\"", "\n\n",
        '"<a   href="Category:Things.md" class="wikilink" title="Category:Things">"Category:Things</a>',
        "1.  REDIRECT ",
    ]))
page = st.lists(piece, max_size=25).map("".join)


@settings(max_examples=300, deadline=None)
@given(page)
def test_cleaner_never_crashes(text: str) -> None:
    article = clean_article("Fuzz.md", text)
    assert article.title or article.problems
    assert 'class="wikilink"' not in article.markdown and not re.search(r'href="[^"]*\.md"', article.markdown)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(page, min_size=1, max_size=3))
def test_chapters_are_well_formed_and_links_land(pages: list[str]) -> None:
    articles = [clean_article(f"{t.replace(' ', '_')}.md", text) for t, text in zip(TITLES, pages)]
    book = assemble_book(convert_articles([a for a in articles if a.title and not a.redirect]),
                         [a for a in articles if a.redirect], {}, BookMeta(date="2026-01-01T00:00:00Z"), [])
    ids: set[str] = set()
    for chapter in book.chapters:
        for part in [chapter.html, *(n.html for n in chapter.notes)]:
            root = etree.fromstring(f"<div>{part}</div>".encode())  # well-formed XHTML or it raises
            ids |= set(root.xpath("//@id"))
            assert not root.xpath("//script | //@onerror | //@style[not(contains(., 'text-align'))]")
        ids |= {chapter.id} | {n.id for n in chapter.notes} | {s.id for s in chapter.sections}
    for chapter in book.chapters:
        for href in re.findall(r'href="#([^"]+)"', chapter.html):
            assert href in ids, href
        root = etree.fromstring(f"<div>{chapter.html}</div>".encode())
        assert not root.xpath("//a[starts-with(@href, 'wiki:')]")  # escaped or in code, it is only text
