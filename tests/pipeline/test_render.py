"""What every builder shares: part pages, the index, the article sources and the contents tree."""
from __future__ import annotations

from lxml import etree

from pipeline.model import Part, image_names
from conftest import indexed_book
from pipeline.render import (back_matter, body_matter, contents, render_index, render_part,
                             render_sources, rewrite_images)

EPUB = "http://www.idpf.org/2007/ops"
_book = indexed_book


def _xml(markup: str) -> etree._Element:
    return etree.fromstring(f'<div xmlns:epub="{EPUB}">{markup}</div>')


def test_part_page() -> None:
    part = Part("Ideas & Deeds", "part-ideas-deeds", ["ch-karl-marx"])
    section = _xml(render_part(part, flavour="epub"))[0]
    assert (section.tag, section.get("class"), section.get("id")) == ("section", "part", "part-ideas-deeds")
    assert section.get(f"{{{EPUB}}}type") == "part" and section.get("role") == "doc-part"
    assert section.findtext("h1") == "Ideas & Deeds"
    assert f"{{{EPUB}}}type" not in _xml(render_part(part, flavour="pdf"))[0].attrib


def test_index_markup_per_format() -> None:
    book = _book()
    epub = _xml(render_index(book, flavour="epub"))
    root = epub[0]
    assert (root.get("id"), root.get(f"{{{EPUB}}}type"), root.get("role")) == ("book-index", "index", "doc-index")
    assert [g.findtext("h2") for g in root.iter("section") if g.get("class") == "index-group"] == ["D", "E", "K", "M",
                                                                                                  "P"]
    entries = {"".join(li.find("*").itertext()): li for li in root.iter("li")}
    # a term that is its chapter's title is itself the link; others list their places, titled by chapter
    karl = entries["Karl Marx"].find("a")
    assert karl.get("href") == "#ch-karl-marx" and karl.get(f"{{{EPUB}}}type") == "index-term index-locator"
    marx = entries["Marx"]
    assert marx.find("span").get(f"{{{EPUB}}}type") == "index-term"
    assert [(a.get("href"), a.text) for a in marx.iter("a")] == [("#ch-karl-marx", "Karl Marx")]
    assert [a.text for a in entries["Das Kapital"].iter("a")] == ["Karl Marx › Capital"]
    people = entries["People"]
    assert "".join(people.itertext()) == "People (category): Émile Pouget, Karl Marx"
    assert {a.get(f"{{{EPUB}}}type") for a in people.iter("a")} == {"index-locator"}
    assert [a.get("href") for a in root.find("p").iter("a")] == [f"#book-index--{n}" for n in range(1, 6)]

    pdf = _xml(render_index(book, flavour="pdf"))[0]
    places = [a for a in pdf.iter("a")]
    assert places and all("pageref" in a.get("class").split() for a in places)  # the page number comes from CSS
    assert pdf.find("p") is None and f"{{{EPUB}}}type" not in pdf.attrib
    html = _xml(render_index(book, flavour="html"))[0]
    assert html.get("class") == "chapter book-index" and not any("pageref" in (a.get("class") or "")
                                                                 for a in html.iter("a"))


def test_sources_with_and_without_the_wiki_address() -> None:
    book = _book(base_url="https://wiki.example.org/wiki/")
    root = _xml(render_sources(book, flavour="html"))[0]
    assert (root.get("id"), root.get("class"), root.get("role")) == ("article-sources", "chapter article-sources",
                                                                     "doc-appendix")
    items = root.find("ol").findall("li")
    assert [li.find("a").get("href") for li in items] == ["#ch-karl-marx", "#ch-emile-pouget"]
    assert [li.findtext("code") for li in items] == ["people/Karl_Marx.md", "Émile_Pouget.md"]
    urls = [(a.get("href"), a.text) for li in items for a in li.iter("a") if a.get("class") == "source-url"]
    assert urls == [("https://wiki.example.org/wiki/Karl_Marx", "https://wiki.example.org/wiki/Karl_Marx"),
                    ("https://wiki.example.org/wiki/%C3%89mile_Pouget", "https://wiki.example.org/wiki/Émile_Pouget")]
    assert root.find("section/p").text == "CC BY-SA 4.0" and root.find("section/h2").text == "Licence"
    assert "2026-01-01" in root.findtext("p")

    plain = _book()
    plain.meta.rights = ""
    root = _xml(render_sources(plain, flavour="pdf"))[0]
    assert not [a for a in root.iter("a") if a.get("class") == "source-url"] and root.find("section") is None
    assert [a.get("class") for a in root.iter("a")] == ["source-title pageref"] * 2


def test_contents_nest_chapters_in_parts_and_end_with_the_back_matter() -> None:
    book = _book(parts=[Part("People", "part-people", ["ch-karl-marx", "ch-emile-pouget"])])
    assert [getattr(item, "id") for item in body_matter(book)] == ["part-people", "ch-karl-marx", "ch-emile-pouget"]
    tree = contents(book)
    assert [(e.title, e.anchor, e.kind) for e in tree] == [("People", "part-people", "part"),
                                                          ("Index", "book-index", "chapter"),
                                                          ("Article sources", "article-sources", "chapter")]
    assert [(c.anchor, c.kind) for c in tree[0].children] == [("ch-karl-marx", "chapter"), ("ch-emile-pouget", "chapter")]
    assert [(s.anchor, s.kind) for s in tree[0].children[0].children] == [("ch-karl-marx--capital", "section")]
    assert contents(book, depth=1)[0].children[0].children == []
    assert [anchor for anchor, _, _ in back_matter(book, flavour="html")] == ["book-index", "article-sources"]

    flat = _book()
    flat.index = []
    assert [e.anchor for e in contents(flat)] == ["ch-karl-marx", "ch-emile-pouget", "article-sources"]


def test_rewrite_images_replaces_each_image_and_leaves_text_that_looks_like_one() -> None:
    page = ('<img src="img:a.png" alt=""/><p>src="img:x.png" and src="img:</p>'
            '<img alt="b" src="img:b c.png"/><img src="img:"/><img alt="src=&quot;img:y.png&quot;"/>')
    assert rewrite_images(page, str.upper) == \
        ('<img src="A.PNG" alt=""/><p>src="img:x.png" and src="img:</p>'
         '<img alt="b" src="B C.PNG"/><img src="img:"/><img alt="src=&quot;img:y.png&quot;"/>')
    assert image_names(page) == ["a.png", "b c.png"]
    assert rewrite_images("no images", str.upper) == "no images"
