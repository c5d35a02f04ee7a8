"""End-to-end: the sample export built into three books, checked by outside validators."""
from __future__ import annotations

import html
import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree, html as lxml_html
from pypdf import PdfReader

from conftest import EXAMPLES, build, digest
from validators import epubcheck, vnu

pytestmark = pytest.mark.slow

ARTEFACTS = ['"<a', '.md"', "&#39;", "<references", "Category:", "class=\"wikilink\""]
NS = {"opf": "http://www.idpf.org/2007/opf", "x": "http://www.w3.org/1999/xhtml",
      "epub": "http://www.idpf.org/2007/ops", "dc": "http://purl.org/dc/elements/1.1/"}


def test_report_contract(sample) -> None:
    r = sample.report
    assert sample.status == 0
    assert r["articles"] == 41 and r["redirects"] == 2
    assert set(r["links"]) >= {"internal", "dangling", "missing_sections", "wanted"}
    assert r["links"]["internal"] > 900 and r["links"]["missing_sections"] > 0
    assert r["notes"] > 300 and 0 < r["sources"] < r["notes"]
    assert r["images"]["embedded"] == 8 and r["images"]["missing"] == ["Confederación_Nacional_del_Trabajo_1.png"]
    assert all(set(p) == {"file", "severity", "message"} for p in r["problems"])
    assert set(r["outputs"]) == {"epub", "pdf", "html"} and all(Path(p).exists() for p in r["outputs"].values())
    assert {"clean", "convert", "assemble", "epub", "pdf_chunks", "pdf", "html", "total"} <= set(r["seconds"])


def _visible_text(markup: str | bytes) -> str:
    return lxml_html.fromstring(markup).text_content()


def test_a_build_leaves_no_temporary_files(sample) -> None:
    # WeasyPrint leaves removing its copies of the fonts (3.5 MB a document) to a finaliser that
    # worker processes never run: a scheduled rebuild would fill the temporary folder.
    assert sample.temp is not None and not list(sample.temp.iterdir())


def test_no_export_artefact_survives(sample) -> None:
    page = sample.output("html").read_text(encoding="utf-8")
    texts = {"html": _visible_text(page)}
    with zipfile.ZipFile(sample.output("epub")) as z:
        texts["epub"] = " ".join(_visible_text(z.read(n)) for n in z.namelist() if n.endswith(".xhtml"))
    texts["pdf"] = " ".join(p.extract_text() for p in PdfReader(sample.output("pdf")).pages)
    for fmt, text in texts.items():
        for artefact in ARTEFACTS:
            assert artefact not in text, f"{artefact!r} visible in the {fmt}"
    assert 'href="wiki:' not in page and '.md"' not in page and "wikilink" not in page


def test_every_seed_link_to_a_page_in_the_book_resolves(sample) -> None:
    from pipeline.clean import clean_article
    from pipeline.titles import normalize_title

    seed = (sample.source / "Marxism-Leninism.md").read_text(encoding="utf-8")
    targets = [normalize_title(html.unescape(h).split("#")[0]) for h in
               re.findall(r'href="([^"]+)\.md"', seed) if not h.startswith("Category:")]
    titles = {clean_article(p.name, p.read_text(encoding="utf-8")).title for p in sample.source.glob("*.md")}
    redirects = {normalize_title(p.stem) for p in sample.source.glob("*.md") if "REDIRECT" in p.read_text(encoding="utf-8")}
    in_book = [t for t in targets if t in titles or t in redirects]
    assert len(in_book) > 20
    page = lxml_html.fromstring(sample.output("html").read_bytes())
    chapter = page.get_element_by_id("ch-marxism-leninism")
    links = [a for a in chapter.iter("a") if a.get("href", "").startswith("#ch-") and "noteref" not in a.get("class", "")
             and not a.getparent().get("class") == "note-label"]
    assert len(links) == len(in_book)


def test_html_is_valid_and_self_contained(sample) -> None:
    path = sample.output("html")
    assert vnu(path) == []
    page = path.read_text(encoding="utf-8")
    assert not re.search(r'(src|href)="(https?:|//|file:)', page.split("<main", 1)[1].split("<footer")[0].replace('href="http', 'XX')) 
    assert "<link" not in page and "<script src" not in page and page.count("data:image/png;base64,") == 8
    tree = lxml_html.fromstring(page.encode())
    ids = set(tree.xpath("//@id"))
    missing = {h[1:] for h in tree.xpath("//a/@href") if h.startswith("#")} - ids
    assert not missing


def test_epub_passes_epubcheck(sample) -> None:
    result = epubcheck(sample.output("epub"))
    assert result["counts"] == {"FATAL": 0, "ERROR": 0, "WARNING": 0}, result["messages"][:5]


def test_epub_structure(sample) -> None:
    with zipfile.ZipFile(sample.output("epub")) as z:
        assert z.namelist()[0] == "mimetype" and z.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
        opf = etree.fromstring(z.read("EPUB/content.opf"))
        nav = etree.fromstring(z.read("EPUB/nav.xhtml"))
    assert opf.xpath("string(//dc:title)", namespaces=NS) == "Sample Book"
    assert opf.xpath("string(//dc:language)", namespaces=NS) == "en"
    assert opf.xpath("string(//dc:identifier)", namespaces=NS).startswith("urn:uuid:")
    spine = opf.xpath("//opf:spine/opf:itemref/@idref", namespaces=NS)
    assert len(spine) == 41 + 5  # cover, nav, chapters, bibliography, index, article sources
    assert spine[-3:] == ["bibliography", "book-index", "article-sources"]
    toc = nav.xpath("//x:nav[@epub:type='toc']/x:ol/x:li", namespaces=NS)
    assert len(toc) == 41 + 3
    assert [li.xpath("string(x:a)", namespaces=NS) for li in toc[-3:]] == ["Bibliography", "Index", "Article sources"]
    assert nav.xpath("count(//x:nav[@epub:type='toc']/x:ol/x:li/x:ol/x:li)", namespaces=NS) > 100
    images = opf.xpath("//opf:item[starts-with(@media-type, 'image/') and not(contains(@properties, 'cover-image'))]",
                       namespaces=NS)
    assert len(images) == 8


def test_epub_is_reproducible(sample, tmp_path: Path) -> None:
    from conftest import build

    again = build(sample.source, tmp_path, "--title", "Sample Book", "--format", "epub", "--format", "html")
    assert digest(again.output("epub").read_bytes()) == digest(sample.output("epub").read_bytes())
    assert digest(again.output("html").read_bytes()) == digest(sample.output("html").read_bytes())


def test_pdf_pages_outline_and_text(sample) -> None:
    reader = PdfReader(sample.output("pdf"))
    assert len(reader.pages) > 60
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    chapters = [c for c in re.findall(r'<h1 class="chapter-title" id="[^"]+">([^<]+)</h1>',
                                      sample.output("html").read_text(encoding="utf-8"))]
    assert [html.unescape(c) for c in chapters] == [t for t in outline if t != "Contents"]
    text = " ".join(p.extract_text() for p in reader.pages)
    for title in ("Marxism-Leninism", "Confederación Nacional del Trabajo", "Bibliography"):
        assert title in text
    assert reader.metadata.title == "Sample Book"


def test_links_in_the_pdf_land_on_their_chapters(sample) -> None:
    reader = PdfReader(sample.output("pdf"))
    internal = 0
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") == "/Link" and "/Dest" in annot or "/A" in annot and annot["/A"].get("/S") == "/GoTo":
                internal += 1
    assert internal > 500


PARTS_TOML = """
[book]
title = "Sampler in Parts"
licence = "CC BY-SA 4.0"
[[contents.part]]
title = "Ideas"
articles = ["Anarchism", "Mutual Aid", "Platformism", "Marxism"]
[[contents.part]]
title = "History"
articles = ["Confederación Nacional del Trabajo", "Revolutionary Catalonia", "Russian Civil War", "Nowhere"]
[links]
base_url = "https://wiki.example.org/wiki/"
[html]
theme = "dark"
"""


def test_a_book_in_parts_with_index_and_sources(tmp_path: Path) -> None:
    config = tmp_path / "parts.toml"
    config.write_text(PARTS_TOML, encoding="utf-8")
    built = build(EXAMPLES, tmp_path / "out", "--config", str(config), "--format", "epub", "--format", "html")
    assert built.status == 0 and built.report["articles"] == 7
    assert any("'Nowhere', which is not in the export" in p["message"] for p in built.report["problems"])
    result = epubcheck(built.output("epub"))
    assert result["counts"] == {"FATAL": 0, "ERROR": 0, "WARNING": 0}, result["messages"][:5]
    assert vnu(built.output("html")) == []
    with zipfile.ZipFile(built.output("epub")) as z:
        nav = etree.fromstring(z.read("EPUB/nav.xhtml"))
        sources = etree.fromstring(z.read("EPUB/article-sources.xhtml"))
    toc = "//x:nav[@epub:type='toc']/x:ol/x:li"
    assert nav.xpath(f"{toc}/x:a/text()", namespaces=NS) == ["Ideas", "History", "Bibliography", "Index",
                                                            "Article sources"]
    assert nav.xpath(f"{toc}[2]/x:ol/x:li/x:a/text()", namespaces=NS) == [
        "Confederación Nacional del Trabajo", "Revolutionary Catalonia", "Russian Civil War"]
    assert "https://wiki.example.org/wiki/Confederaci%C3%B3n_Nacional_del_Trabajo" in \
        sources.xpath("//x:a[@class='source-url']/@href", namespaces=NS)
    assert sources.xpath("string(//x:p[@class='rights'])", namespaces=NS) == "CC BY-SA 4.0"
    page = lxml_html.fromstring(built.output("html").read_bytes())
    assert page.get("data-theme") == "dark"
    assert page.xpath("//nav[@id='contents']/ol/li[@class='toc-part']/a/text()") == ["Ideas", "History"]
    assert [s.get("id") for s in page.xpath("//main/section")][:2] == ["part-ideas", "ch-anarchism"]
