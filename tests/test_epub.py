"""The EPUB for readers: popup notes, cover, navigation, metadata, and the readers that must open it.

Fast tests build small hand-made books; the slow ones check the sample book, a tiny export with
redirects and section links, a 200-article generated corpus, DAISY Ace and Calibre.
"""
from __future__ import annotations

import io
import json
import os
import posixpath
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image

from conftest import ROOT, build
from pipeline.epub import MAX_SUBJECTS, NO_AUTHOR, build_epub, cover_alt, cover_png
from pipeline.model import BibEntry, Book, BookMeta, Chapter, Citation, IndexEntry, Note, Part, Section
from validators import epubcheck

NS = {"opf": "http://www.idpf.org/2007/opf", "x": "http://www.w3.org/1999/xhtml",
      "epub": "http://www.idpf.org/2007/ops", "dc": "http://purl.org/dc/elements/1.1/",
      "ncx": "http://www.daisy.org/z3986/2005/ncx/"}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
PACKAGE = "EPUB/"
ACE = ROOT / ".tools" / "node_modules" / ".bin" / "ace-puppeteer"


# -- reading an EPUB ---------------------------------------------------------------------------

def _files(epub: bytes | Path) -> dict[str, bytes]:
    data = epub.read_bytes() if isinstance(epub, Path) else epub
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _xml(files: dict[str, bytes], name: str) -> etree._Element:
    return etree.fromstring(files[name])


def _documents(files: dict[str, bytes]) -> dict[str, etree._Element]:
    """Every XHTML document of the package, by its path in the zip."""
    return {name: _xml(files, name) for name in files if name.endswith(".xhtml")}


def _opf(files: dict[str, bytes]) -> etree._Element:
    return _xml(files, PACKAGE + "content.opf")


def _broken_links(files: dict[str, bytes]) -> list[str]:
    """Every internal href/src (XHTML and NCX) whose file or id is not there, as 'from -> to'."""
    ids = {name: set(tree.xpath("//@id")) for name, tree in _documents(files).items()}
    refs = []
    for name, tree in _documents(files).items():
        refs += [(name, ref) for ref in tree.xpath("//x:a/@href | //x:img/@src | //x:link/@href", namespaces=NS)]
    ncx = PACKAGE + "toc.ncx"
    refs += [(ncx, ref) for ref in _xml(files, ncx).xpath("//ncx:content/@src", namespaces=NS)]
    broken = []
    for name, ref in refs:
        if re.match(r"[a-z][a-z0-9+.-]*:", ref):  # http:, mailto:: outside the book
            continue
        path, _, fragment = ref.partition("#")
        target = posixpath.normpath(posixpath.join(posixpath.dirname(name), path)) if path else name
        if target not in files or (fragment and fragment not in ids.get(target, ())):
            broken.append(f"{name} -> {ref}")
    return broken


def _note_problems(files: dict[str, bytes]) -> tuple[int, list[str]]:
    """Check every noteref/footnote pair; return (footnotes seen, problems)."""
    problems, footnotes = [], 0
    for name, tree in _documents(files).items():
        by_id = {el.get("id"): el for el in tree.iter() if el.get("id")}
        for ref in tree.xpath("//x:a[@epub:type='noteref']", namespaces=NS):
            target = by_id.get(ref.get("href", "").removeprefix("#"))
            if not ref.get("href", "").startswith("#") or target is None:
                problems.append(f"{name}: noteref {ref.get('href')} is not a note of the same file")
            elif target.tag != f"{{{NS['x']}}}aside" or target.get(EPUB_TYPE) != "footnote":
                problems.append(f"{name}: noteref {ref.get('href')} lands on <{etree.QName(target).localname}>")
        for aside in tree.xpath("//x:aside[@epub:type='footnote']", namespaces=NS):
            footnotes += 1
            if aside.xpath("ancestor::x:ol | ancestor::x:ul | ancestor::x:li", namespaces=NS):
                problems.append(f"{name}: footnote {aside.get('id')} is inside a list")
            back = aside.xpath(".//x:a[@role='doc-backlink']", namespaces=NS)
            if back:
                ref = by_id.get(back[0].get("href", "").removeprefix("#"))
                if ref is None or ref.get("href") != f"#{aside.get('id')}" or ref.get(EPUB_TYPE) != "noteref":
                    problems.append(f"{name}: footnote {aside.get('id')} links back to {back[0].get('href')}")
                elif back[0].text != ref.text:
                    problems.append(f"{name}: footnote {aside.get('id')} is numbered {back[0].text}, "
                                    f"its reference {ref.text}")
    return footnotes, problems


# -- a small hand-made book, as the pipeline would hand it over ----------------------------------

def _book(*, meta: BookMeta | None = None, images: bool = True, categories: list[list[str]] | None = None) -> Book:
    meta = meta or BookMeta(title="Small Book", date="2026-01-02T03:04:05Z", identifier="urn:uuid:test")
    figure = '<figure><img src="img:Pic One.png" alt="A pic"/><figcaption>A pic</figcaption></figure>' if images else ""
    a = Chapter(
        id="ch-a", title="Alpha", file="Alpha.md",
        html=('<p>See <a href="#ch-b--part">part of Beta</a> and <a href="#ch-a--intro">here</a>.'
              '<sup><a class="noteref" id="ch-a--ref-1" role="doc-noteref" href="#ch-a--fn-1">1</a></sup>'
              '<sup><a class="noteref" id="ch-a--ref-x" role="doc-noteref" href="#ch-a--fn-x">x</a></sup></p>'
              f'<h2 id="ch-a--intro">Intro</h2>{figure}'),
        sections=[Section(2, "Intro", "ch-a--intro")],
        notes=[Note("1", "ch-a--fn-1", "<p>Mett, <em>Kronstadt</em>.</p>", "Mett", ["ch-a--ref-1"], ["bibliography--1"]),
               Note("x", "ch-a--fn-x", "<ul>\n<li>listed</li>\n</ul>", "listed", ["ch-a--ref-x"], [])],
        categories=(categories or [["History", "People"]])[0])
    b = Chapter(id="ch-b", title="Beta", file="Beta.md",
                html='<p>Intro of <a href="#ch-a">Alpha</a>.</p><h2 id="ch-b--part">Part</h2><p>Body.</p>',
                sections=[Section(2, "Part", "ch-b--part")], notes=[],
                categories=(categories or [[], ["history"]])[1])
    entry = BibEntry("bibliography--1", "work", "Mett, <em>Kronstadt</em>", ("mett",), {},
                     [Citation("ch-a", "Alpha", "1", "ch-a--fn-1")])
    pic = io.BytesIO()
    Image.new("RGB", (4, 3), "red").save(pic, "PNG")
    return Book(meta=meta, chapters=[a, b], bibliography=[entry],
                images={"Pic One.png": pic.getvalue()} if images else {})


def test_notes_are_popup_footnotes_beside_their_references() -> None:
    files = _files(build_epub(_book()))
    assert _note_problems(files) == (2, [])
    alpha = _xml(files, PACKAGE + "ch-a.xhtml")
    first = alpha.xpath("//x:aside[@id='ch-a--fn-1']", namespaces=NS)[0]
    # the number opens the note's first paragraph, so a popup reads "1 Mett, Kronstadt."
    assert " ".join("".join(first.xpath("x:p[1]//text()", namespaces=NS)).split()) == "1 Mett, Kronstadt."
    assert first.xpath("string(.//x:a[@class='bibref']/@href)", namespaces=NS) == "bibliography.xhtml#bibliography--1"
    listed = alpha.xpath("//x:aside[@id='ch-a--fn-x']", namespaces=NS)[0]
    assert listed.xpath("string(x:p[1])", namespaces=NS) == "x" and listed.xpath("x:ul/x:li", namespaces=NS)
    assert alpha.xpath("string(//x:section[@epub:type='footnotes']/@role)", namespaces=NS) == "doc-endnotes"


def test_links_land_in_the_file_that_holds_their_anchor() -> None:
    files = _files(build_epub(_book()))
    assert _broken_links(files) == []
    alpha = _xml(files, PACKAGE + "ch-a.xhtml")
    hrefs = alpha.xpath("//x:section[@id='ch-a']/x:p[1]/x:a/@href", namespaces=NS)
    assert hrefs == ["ch-b.xhtml#ch-b--part", "#ch-a--intro"]
    cited_in = _xml(files, PACKAGE + "bibliography.xhtml").xpath("//x:li[@id='bibliography--1']//x:a/@href",
                                                                   namespaces=NS)
    assert cited_in == ["ch-a.xhtml#ch-a--fn-1"]


def test_package_metadata() -> None:
    meta = BookMeta(title="Small Book", subtitle="With notes", authors=["Ida Mett", "Voline"], language="fr",
                    publisher="Black Cat Press", rights="CC BY-SA 4.0", identifier="urn:uuid:abc",
                    date="2026-01-02T03:04:05+02:00")
    many = [f"Topic {i:02d}" for i in range(MAX_SUBJECTS + 5)]
    files = _files(build_epub(_book(meta=meta, categories=[["History", "People", *many], ["history", "Places"]])))
    opf = _opf(files)

    def values(path: str) -> list[str]:
        return opf.xpath(path, namespaces=NS)

    assert opf.get(XML_LANG) == "fr" and values("//dc:language/text()") == ["fr"]
    assert values("//dc:identifier[@id=/opf:package/@unique-identifier]/text()") == ["urn:uuid:abc"]
    assert values("//dc:title[@id='title']/text()") == ["Small Book"]
    assert values("//opf:meta[@refines='#subtitle'][@property='title-type']/text()") == ["subtitle"]
    assert values("//dc:creator/text()") == ["Ida Mett", "Voline"]
    assert values("//opf:meta[@property='role'][@refines=concat('#', //dc:creator[1]/@id)]/text()") == ["aut"]
    assert values("//dc:publisher/text()") == ["Black Cat Press"] and values("//dc:rights/text()") == ["CC BY-SA 4.0"]
    assert values("//opf:meta[@property='dcterms:modified']/text()") == ["2026-01-02T01:04:05Z"]
    assert values("//dc:date/text()") == ["2026-01-02"]
    subjects = values("//dc:subject/text()")
    assert subjects[0] == "History" and len(subjects) == MAX_SUBJECTS  # used by both chapters, whatever the case
    assert len({s.casefold() for s in subjects}) == len(subjects)
    for tree in _documents(files).values():
        assert tree.get("lang") == tree.get(XML_LANG) == "fr"


def test_nobody_named_means_wiki_contributors_and_no_empty_fields() -> None:
    opf = _opf(_files(build_epub(_book())))
    assert opf.xpath("//dc:creator/text()", namespaces=NS) == [NO_AUTHOR]
    assert opf.xpath("//dc:contributor/text()", namespaces=NS) == ["wikibind"]
    assert not opf.xpath("//dc:publisher | //dc:rights | //dc:title[@id='subtitle']", namespaces=NS)


@pytest.mark.parametrize("images", [True, False])
def test_accessibility_metadata(images: bool) -> None:
    opf = _opf(_files(build_epub(_book(images=images))))

    def values(prop: str) -> list[str]:
        return opf.xpath(f"//opf:meta[@property='schema:{prop}']/text()", namespaces=NS)

    assert values("accessMode") == (["textual", "visual"] if images else ["textual"])
    assert "textual" in values("accessModeSufficient")
    assert {"structuralNavigation", "tableOfContents", "readingOrder", "alternativeText"} <= set(values(
        "accessibilityFeature"))
    assert values("accessibilityHazard") == ["none"]
    assert len(values("accessibilitySummary")) == 1 and len(values("accessibilitySummary")[0]) > 80


def test_drawn_cover_is_marked_and_described() -> None:
    meta = BookMeta(title="Small Book", subtitle="With notes", authors=["Ida Mett"], date="2026-01-02T03:04:05Z",
                    identifier="urn:uuid:test")
    files = _files(build_epub(_book(meta=meta)))
    opf = _opf(files)
    item = opf.xpath("//opf:item[@properties='cover-image']", namespaces=NS)
    assert len(item) == 1 and item[0].get("media-type") == "image/png"
    assert opf.xpath("string(//opf:meta[@name='cover']/@content)", namespaces=NS) == item[0].get("id")
    image = Image.open(io.BytesIO(files[PACKAGE + item[0].get("href")]))
    assert image.format == "PNG" and image.size == (1600, 2560)
    page = _xml(files, PACKAGE + "cover.xhtml")
    assert page.xpath("string(//x:img/@src)", namespaces=NS) == item[0].get("href")
    assert page.xpath("string(//x:img/@alt)", namespaces=NS) == cover_alt(meta) == \
        "Cover: Small Book: With notes, by Ida Mett"
    spine = opf.xpath("//opf:spine/opf:itemref", namespaces=NS)
    assert [i.get("idref") for i in spine[:2]] == ["cover", "nav"] and spine[0].get("linear") in (None, "yes")
    assert opf.xpath("string(//opf:item[@id='cover']/@href)", namespaces=NS) == "cover.xhtml"
    assert opf.xpath("//opf:guide/opf:reference[@type='cover']/@href", namespaces=NS) == ["cover.xhtml"]


def test_cover_text_stays_inside_its_margins() -> None:
    title = "Averyveryveryveryverylongwordthatdoesnotfitonaline " + "and then many more words " * 12
    meta = BookMeta(title=title, subtitle="sub " * 60, authors=[f"Author {i}" for i in range(40)])
    image = Image.open(io.BytesIO(cover_png(meta))).convert("RGB")
    background = image.getpixel((0, 0))
    width, height = image.size
    for box in ((0, 0, 100, height), (width - 100, 0, width, height)):  # 150 px margins, room for overhang
        assert image.crop(box).getcolors(1) == [(100 * height, background)], f"ink in {box}"
    assert cover_png(meta) == cover_png(meta)
    assert cover_png(BookMeta(title="One")) != cover_png(BookMeta(title="Two"))


def test_a_given_cover_replaces_the_drawn_one() -> None:
    jpeg = io.BytesIO()
    Image.new("RGB", (600, 900), "navy").save(jpeg, "JPEG")
    files = _files(build_epub(_book(), cover=jpeg.getvalue()))
    item = _opf(files).xpath("//opf:item[@properties='cover-image']", namespaces=NS)[0]
    assert (item.get("href"), item.get("media-type")) == ("images/cover.jpg", "image/jpeg")
    assert files[PACKAGE + "images/cover.jpg"] == jpeg.getvalue()
    assert _xml(files, PACKAGE + "cover.xhtml").xpath("string(//x:img/@alt)", namespaces=NS) == "Cover of Small Book"
    with pytest.raises(ValueError, match="PNG, JPEG"):
        build_epub(_book(), cover=b"<svg xmlns='http://www.w3.org/2000/svg'/>")


def test_same_book_same_bytes_and_a_proper_container() -> None:
    first, second = build_epub(_book()), build_epub(_book())
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        infos = archive.infolist()
        assert infos[0].filename == "mimetype" and infos[0].compress_type == zipfile.ZIP_STORED
        assert archive.read("mimetype") == b"application/epub+zip" and not infos[0].extra
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert "EPUB/images/0000-pic-one.png" in archive.namelist()  # sorted position + name, never hash()
        container = etree.fromstring(archive.read("META-INF/container.xml"))
    assert container.xpath("//*[local-name()='rootfile']/@full-path") == ["EPUB/content.opf"]


def test_stylesheet_leaves_font_and_size_to_the_reader() -> None:
    css = (ROOT / "templates" / "epub" / "book.css").read_text(encoding="utf-8")
    rules = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    assert "font-family" not in rules and "!important" not in rules
    assert not re.search(r"font-size:\s*[\d.]+(px|pt)", rules) and not re.search(r"font:\s", rules)
    for needed in (r"body\s*\{[^}]*hyphens:\s*auto", r"img\s*\{[^}]*max-width:\s*100%",
                   r"table\s*\{[^}]*max-width:\s*100%", r"th, td\s*\{[^}]*overflow-wrap:\s*anywhere"):
        assert re.search(needed, rules), needed


def _book_in_parts() -> Book:
    book = _book()
    book.parts = [Part("First part", "part-first-part", ["ch-a"]), Part("Second", "part-second", ["ch-b"])]
    book.index = [IndexEntry("Alpha", ["ch-a"]), IndexEntry("Beta", ["ch-b"]), IndexEntry("History", [], ["ch-a", "ch-b"]),
                  IndexEntry("the other part", ["ch-b--part"])]
    book.base_url = "https://wiki.example.org/wiki/"
    book.meta.identifier = "urn:uuid:0f6b3c5e-8a4d-4c1e-9b2a-7d3e5f1a2b3c"
    return book


def test_parts_index_and_sources_in_spine_nav_and_ncx() -> None:
    files = _files(build_epub(_book_in_parts()))
    opf, nav, ncx = _opf(files), _xml(files, PACKAGE + "nav.xhtml"), _xml(files, PACKAGE + "toc.ncx")
    assert opf.xpath("//opf:spine/opf:itemref/@idref", namespaces=NS) == [
        "cover", "nav", "part-first-part", "ch-a", "part-second", "ch-b", "bibliography", "book-index",
        "article-sources"]
    toc = "//x:nav[@epub:type='toc']/x:ol"
    assert nav.xpath(f"{toc}/x:li/x:a/@href", namespaces=NS) == [
        "part-first-part.xhtml", "part-second.xhtml", "bibliography.xhtml", "book-index.xhtml", "article-sources.xhtml"]
    assert nav.xpath(f"{toc}/x:li/x:a/text()", namespaces=NS) == [
        "First part", "Second", "Bibliography", "Index", "Article sources"]
    # a part's chapters are nested under it, with their sections under them
    assert nav.xpath(f"{toc}/x:li[1]/x:ol/x:li/x:a/@href", namespaces=NS) == ["ch-a.xhtml"]
    assert nav.xpath(f"{toc}/x:li[2]/x:ol/x:li/x:ol/x:li/x:a/@href", namespaces=NS) == ["ch-b.xhtml#ch-b--part"]
    points = ncx.xpath("/ncx:ncx/ncx:navMap/ncx:navPoint", namespaces=NS)
    assert [p.xpath("string(ncx:content/@src)", namespaces=NS) for p in points] == [
        "part-first-part.xhtml", "part-second.xhtml", "bibliography.xhtml", "book-index.xhtml", "article-sources.xhtml"]
    assert points[0].xpath("ncx:navPoint/ncx:content/@src", namespaces=NS) == ["ch-a.xhtml"]
    orders = [int(o) for o in ncx.xpath("//ncx:navPoint/@playOrder", namespaces=NS)]
    assert orders == list(range(1, len(orders) + 1))
    assert ncx.xpath("string(//ncx:meta[@name='dtb:depth']/@content)", namespaces=NS) == "3"  # part, chapter, section
    landmarks = dict(zip(nav.xpath("//x:nav[@epub:type='landmarks']//x:a/@epub:type", namespaces=NS),
                         nav.xpath("//x:nav[@epub:type='landmarks']//x:a/@href", namespaces=NS)))
    assert landmarks["bodymatter"] == "part-first-part.xhtml" and landmarks["index"] == "book-index.xhtml"
    assert _broken_links(files) == []

    part = _xml(files, PACKAGE + "part-second.xhtml")
    assert part.xpath("string(//x:body/@epub:type)", namespaces=NS) == "bodymatter"
    assert part.xpath("string(//x:section/@epub:type)", namespaces=NS) == "part"
    index = _xml(files, PACKAGE + "book-index.xhtml")
    assert index.xpath("string(//x:body/@epub:type)", namespaces=NS) == "backmatter"
    assert index.xpath("string(//x:section[1]/@epub:type)", namespaces=NS) == "index"
    locators = index.xpath("//x:a[contains(concat(' ', @epub:type, ' '), ' index-locator ')]/@href", namespaces=NS)
    assert locators == ["ch-a.xhtml#ch-a", "ch-b.xhtml#ch-b", "ch-a.xhtml#ch-a", "ch-b.xhtml#ch-b",
                        "ch-b.xhtml#ch-b--part"]
    sources = _xml(files, PACKAGE + "article-sources.xhtml")
    assert sources.xpath("//x:a[@class='source-url']/@href", namespaces=NS) == [
        "https://wiki.example.org/wiki/Alpha", "https://wiki.example.org/wiki/Beta"]
    assert sources.xpath("//x:code/text()", namespaces=NS) == ["Alpha.md", "Beta.md"]


def test_without_parts_or_index_the_chapters_are_the_top_level() -> None:
    files = _files(build_epub(_book()))
    assert _opf(files).xpath("//opf:spine/opf:itemref/@idref", namespaces=NS) == [
        "cover", "nav", "ch-a", "ch-b", "bibliography", "article-sources"]
    nav = _xml(files, PACKAGE + "nav.xhtml")
    assert nav.xpath("//x:nav[@epub:type='toc']/x:ol/x:li/x:a/@href", namespaces=NS) == [
        "ch-a.xhtml", "ch-b.xhtml", "bibliography.xhtml", "article-sources.xhtml"]
    assert "index" not in nav.xpath("//x:nav[@epub:type='landmarks']//x:a/@epub:type", namespaces=NS)


@pytest.mark.slow
def test_hand_made_book_in_parts_passes_epubcheck(tmp_path: Path) -> None:
    path = tmp_path / "parts.epub"
    path.write_bytes(build_epub(_book_in_parts()))
    result = epubcheck(path)
    assert result["counts"] == {"FATAL": 0, "ERROR": 0, "WARNING": 0}, result["messages"][:5]


# -- the sample book and real exports ------------------------------------------------------------

@pytest.fixture(scope="module")
def sample_files(sample) -> dict[str, bytes]:
    """The sample book's EPUB, file by file."""
    return _files(sample.output("epub"))


@pytest.mark.slow
def test_sample_navigation(sample_files: dict[str, bytes]) -> None:
    opf, nav = _opf(sample_files), _xml(sample_files, PACKAGE + "nav.xhtml")
    landmarks = dict(zip(nav.xpath("//x:nav[@epub:type='landmarks']//x:a/@epub:type", namespaces=NS),
                         nav.xpath("//x:nav[@epub:type='landmarks']//x:a/@href", namespaces=NS)))
    first = opf.xpath("string(//opf:spine/opf:itemref[3]/@idref)", namespaces=NS)
    # "#toc" and "nav.xhtml#toc" are the same target from inside nav.xhtml (ebooklib writes the latter)
    landmarks["toc"] = landmarks.get("toc", "").removeprefix("nav.xhtml")
    assert landmarks == {"cover": "cover.xhtml", "toc": "#toc", "bodymatter": f"{first}.xhtml",
                         "bibliography": "bibliography.xhtml", "index": "book-index.xhtml"}
    assert nav.xpath("//x:nav[@epub:type='toc']/@id", namespaces=NS) == ["toc"]
    chapters = nav.xpath("//x:nav[@epub:type='toc']/x:ol/x:li", namespaces=NS)
    assert len(chapters) == 41 + 3  # and the bibliography, the index, the article sources
    assert [li.xpath("string(x:a)", namespaces=NS) for li in chapters[-3:]] == ["Bibliography", "Index",
                                                                                 "Article sources"]
    sections = nav.xpath("//x:nav[@epub:type='toc']/x:ol/x:li/x:ol/x:li/x:a/@href", namespaces=NS)
    assert len(sections) > 100 and all("#" in href for href in sections)
    ncx = _xml(sample_files, PACKAGE + "toc.ncx")
    assert ncx.xpath("string(//ncx:meta[@name='dtb:uid']/@content)", namespaces=NS) == \
        opf.xpath("string(//dc:identifier)", namespaces=NS)
    points = ncx.xpath("//ncx:navPoint", namespaces=NS)
    assert len(points) == len(nav.xpath("//x:nav[@epub:type='toc']//x:li", namespaces=NS))
    assert [int(p.get("playOrder")) for p in points] == list(range(1, len(points) + 1))
    assert len(ncx.xpath("/ncx:ncx/ncx:navMap/ncx:navPoint", namespaces=NS)) == 41 + 3
    assert opf.xpath("string(//opf:spine/@toc)", namespaces=NS) == "ncx"
    assert opf.xpath("//opf:item[@properties='nav']/@href", namespaces=NS) == ["nav.xhtml"]


@pytest.mark.slow
def test_sample_documents_links_notes_and_images(sample, sample_files: dict[str, bytes]) -> None:
    opf = _opf(sample_files)
    assert opf.get(XML_LANG) == "en"
    for name, tree in _documents(sample_files).items():
        assert tree.get("lang") == tree.get(XML_LANG) == "en", name
    assert _broken_links(sample_files) == []
    footnotes, problems = _note_problems(sample_files)
    assert problems == [] and footnotes == sample.report["notes"]
    images = [img for tree in _documents(sample_files).values() for img in tree.xpath("//x:img", namespaces=NS)]
    assert len(images) == 8 + 1 and all(img.get("alt", "").strip() for img in images)
    cnt = _xml(sample_files, PACKAGE + "ch-confederacion-nacional-del-trabajo.xhtml")
    lost = cnt.xpath("//x:figure[not(x:img)]/x:figcaption/text()", namespaces=NS)
    assert lost == ["Confederación Nacional del Trabajo"]
    assert len(opf.xpath("//dc:subject", namespaces=NS)) <= MAX_SUBJECTS


TINY = {
    "Alpha.md": """# Alpha

Alpha links to "<a href="Beta_Alias.md" class="wikilink" title="Beta Alias">"the alias</a>,
to "<a href="Beta#Details.md" class="wikilink" title="Beta">"a section of Beta</a>, and to
"<a href="Beta_Alias#Details.md" class="wikilink" title="Beta Alias">"a section through the alias</a>.[^1]

## Background

More text.[^2] The first note again.[^1]

<figure>
<img src="Missing_picture.png" />
<figcaption>A picture that is not there</figcaption>
</figure>

| Term | Meaning |
|---|---|
| Averyveryveryveryveryveryveryveryverylongword | text |

[^1]: Ida Mett, *The Kronstadt Uprising* (1938)
[^2]: - a list item first

"<a href="Category:Tests.md" class="wikilink" title="Category:Tests">"Category:Tests</a>
""",
    "Beta.md": """# Beta

Beta's introduction.

## Details

The details.[^a]

[^a]: Voline, *The Unknown Revolution* (1947)

"<a href="Category:tests.md" class="wikilink" title="Category:tests">"Category:tests</a>
""",
    "Beta_Alias.md": '1.  REDIRECT "<a   href="Beta.md" class="wikilink"\n    title="Beta">"Beta</a>\n',
}


@pytest.mark.slow
def test_redirects_and_sections_of_other_chapters(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name, text in TINY.items():
        (source / name).write_text(text, encoding="utf-8")
    built = build(source, tmp_path / "out", "--format", "epub", "--title", "Tiny")
    files = _files(built.output("epub"))
    alpha = _xml(files, PACKAGE + "ch-alpha.xhtml")
    hrefs = alpha.xpath("//x:section[@id='ch-alpha']/x:p[1]/x:a[not(@epub:type)]/@href", namespaces=NS)
    assert hrefs == ["ch-beta.xhtml#ch-beta", "ch-beta.xhtml#ch-beta--details", "ch-beta.xhtml#ch-beta--details"]
    beta = _xml(files, PACKAGE + "ch-beta.xhtml")
    assert beta.xpath("local-name(//*[@id='ch-beta--details'])") == "h2"
    assert _broken_links(files) == []
    assert _note_problems(files) == (3, [])
    assert alpha.xpath("//x:figure[not(x:img)]/x:figcaption/text()", namespaces=NS) == ["A picture that is not there"]
    assert _opf(files).xpath("//dc:subject/text()", namespaces=NS) == ["Tests"]
    result = epubcheck(built.output("epub"))
    assert result["counts"] == {"FATAL": 0, "ERROR": 0, "WARNING": 0}, result["messages"][:5]


@pytest.mark.slow
def test_200_article_corpus_passes_epubcheck(tmp_path: Path) -> None:
    try:
        from bench.make_corpus import build as make_corpus
    except ImportError as err:
        pytest.fail(f"bench/make_corpus.py (the corpus generator) is needed for this test: {err}")
    source = tmp_path / "src"
    make_corpus(source, 200, 7, True)
    built = build(source, tmp_path / "out", "--format", "epub")
    assert built.status == 0 and built.report["articles"] >= 200
    result = epubcheck(built.output("epub"))
    assert result["counts"] == {"FATAL": 0, "ERROR": 0, "WARNING": 0}, result["messages"][:5]
    files = _files(built.output("epub"))
    assert _broken_links(files) == []
    footnotes, problems = _note_problems(files)
    assert problems == [] and footnotes == built.report["notes"]


# -- outside checkers: DAISY Ace and Calibre -----------------------------------------------------

@pytest.mark.slow
def test_ace_finds_no_critical_or_serious_violation(sample, tmp_path: Path) -> None:
    if not ACE.exists():
        pytest.skip(f"DAISY Ace is not installed at {ACE} (ELECTRON_SKIP_BINARY_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1 "
                    "npm install --prefix .tools @daisy/ace)")
    env = dict(os.environ)
    if "PUPPETEER_EXECUTABLE_PATH" not in env and Path("/usr/bin/chromium").exists():
        env["PUPPETEER_EXECUTABLE_PATH"] = "/usr/bin/chromium"  # Debian's; ace-puppeteer adds --no-sandbox
    done = subprocess.run([str(ACE), "--silent", "--force", "--outdir", str(tmp_path / "ace"),
                           str(sample.output("epub"))], env=env, capture_output=True, timeout=900, check=False)
    report_path = tmp_path / "ace" / "report.json"
    assert report_path.exists(), done.stderr.decode("utf-8", "replace")[-2000:]
    report = json.loads(report_path.read_text(encoding="utf-8"))
    found = [(test["earl:test"]["earl:impact"], test["earl:test"]["dct:title"], assertion["earl:testSubject"]["url"])
             for assertion in report["assertions"] for test in assertion.get("assertions", [])]
    assert not [f for f in found if f[0] in ("critical", "serious")], found[:10]


def _calibre(*args: str) -> str:
    done = subprocess.run(list(args), env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
                          capture_output=True, timeout=600, check=True)
    return done.stdout.decode("utf-8", "replace")


@pytest.mark.slow
def test_calibre_reads_metadata_cover_and_every_chapter(sample, sample_files: dict[str, bytes],
                                                         tmp_path: Path) -> None:
    if not shutil.which("ebook-convert") or not shutil.which("ebook-meta"):
        pytest.skip("Calibre is not installed (apt-get install --no-install-recommends calibre)")
    epub = sample.output("epub")
    shown = _calibre("ebook-meta", str(epub), f"--get-cover={tmp_path / 'cover.png'}")
    fields = dict(line.split(":", 1) for line in shown.splitlines() if ":" in line)
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    opf = _opf(sample_files)
    title, subtitle = (opf.xpath(f"string(//dc:title[@id='{i}'])", namespaces=NS) for i in ("title", "subtitle"))
    assert fields["Title"] == (f"{title}: {subtitle}" if subtitle else title)  # Calibre joins them so
    assert fields["Author(s)"] == " & ".join(opf.xpath("//dc:creator/text()", namespaces=NS))
    assert fields["Languages"] == "eng"
    assert (tmp_path / "cover.png").read_bytes() == sample_files[PACKAGE + "images/cover.png"]

    _calibre("ebook-convert", str(epub), str(tmp_path / "book.txt"))
    text = " ".join((tmp_path / "book.txt").read_text(encoding="utf-8").split())
    spine = _opf(sample_files).xpath("//opf:spine/opf:itemref/@idref", namespaces=NS)[2:]
    assert len(spine) == 41 + 3  # chapters, bibliography, index, article sources
    for idref in spine:
        body = _xml(sample_files, f"{PACKAGE}{idref}.xhtml").xpath("//x:section[1]", namespaces=NS)[0]
        title = " ".join(body.xpath("string(x:h1)", namespaces=NS).split())
        last = " ".join(body.xpath("string((.//x:p)[last()])", namespaces=NS).split())
        assert title in text and last[-60:] in text, idref
