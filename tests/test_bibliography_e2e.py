"""End-to-end: the sample book's bibliography links, in every format.

Each back-link of an entry must land on a note that names the entry's work
(its title or site), and each note's forward link on an entry that links
back to it. The checks follow ids and hrefs only, not the builders' markup.
"""
from __future__ import annotations

import posixpath
import zipfile

import pytest
from lxml import etree, html as lxml_html
from pypdf import PdfReader

from pipeline.book import assemble_book
from pipeline.cite.merge import fold as _fold
from pipeline.clean import read_article
from pipeline.convert import convert_articles
from pipeline.model import BibEntry, Book, BookMeta
from pipeline.source import list_sources, read_sources

pytestmark = pytest.mark.slow

XHTML = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture(scope="module")
def model(sample) -> Book:
    """The sample's Book, assembled again from the same pages through the pipeline."""
    files, problems = read_sources(sample.source, list_sources(sample.source))
    articles = [read_article(f) for f in files]
    fragments = convert_articles([a for a in articles if a.title and a.redirect is None])
    return assemble_book(fragments, [a for a in articles if a.redirect], {}, BookMeta(), problems)


def names_work(entry: BibEntry, note_text: str) -> bool:
    """True when a note's visible text names the entry's title or site (folded as the merge rule folds)."""
    text = _fold(note_text)
    if entry.kind == "unparsed":
        return _fold(entry.csl["note"])[:60] in text
    wanted = [entry.csl.get("title", ""), entry.csl.get("container-title", "")]
    names = [n.get("family", n.get("literal", "")) for n in entry.csl.get("author", []) + entry.csl.get("editor", [])]
    # a short citation ("Wells, p. 73") names its work by its author only
    return any(w and _fold(w) in text for w in wanted) or any(n and _fold(n) in text for n in names)


def test_the_model_is_the_built_book(sample, model: Book) -> None:
    assert sample.report["bibliography"]["sources"] == len(model.bibliography) > 100
    assert sample.report["bibliography"]["structured"] == 0  # the sample has no references file


def test_html_links(sample, model: Book) -> None:
    page = lxml_html.fromstring(sample.output("html").read_bytes())
    _check_links(model, lambda anchor: _by_id(page, anchor), lambda el, href: href[1:] if href.startswith("#") else None,
                 page.iter("a"))


def test_epub_links(sample, model: Book) -> None:
    docs: dict[str, etree._Element] = {}
    with zipfile.ZipFile(sample.output("epub")) as z:
        for name in z.namelist():
            if name.endswith(".xhtml"):
                docs[name] = etree.fromstring(z.read(name))
    where = {el.get("id"): (name, el) for name, root in docs.items() for el in root.iter() if el.get("id")}
    file_of = {}  # element -> the file holding it, to resolve relative hrefs
    for name, root in docs.items():
        for el in root.iter(f"{XHTML}a"):
            file_of[el] = name

    def target(el: etree._Element, href: str) -> str | None:
        path, _, anchor = href.partition("#")
        if not anchor or "://" in path:
            return None
        base = file_of[el]
        full = posixpath.normpath(posixpath.join(posixpath.dirname(base), path)) if path else base
        if "--fn-" in anchor or anchor.startswith("bibliography--"):
            found = where.get(anchor)
            assert found is not None and found[0] == full, f"{href} in {base} lands nowhere"
        return anchor

    links = [a for root in docs.values() for a in root.iter(f"{XHTML}a")]
    _check_links(model, lambda anchor: where.get(anchor, (None, None))[1], target, links)


def _by_id(page: lxml_html.HtmlElement, anchor: str):
    try:
        return page.get_element_by_id(anchor)
    except KeyError:
        return None


def _check_links(model: Book, element, target, links) -> None:
    """Every back-link lands on a note naming the work; every forward link on an entry linking back."""
    notes = {n.id: n for ch in model.chapters for n in ch.notes}
    entries = {e.id: e for e in model.bibliography}
    back: dict[str, set[str]] = {e: set() for e in entries}  # entry id -> note ids it links to
    forward: dict[str, set[str]] = {}  # note id -> entry ids it links to
    for a in links:
        href = a.get("href", "")
        anchor = target(a, href)
        if anchor is None:
            continue
        holder = next((p.get("id") for p in a.iterancestors() if p.get("id") in entries or p.get("id") in notes), None)
        if holder in entries and anchor in notes:
            back[holder].add(anchor)
        elif holder in notes and anchor in entries:
            forward.setdefault(holder, set()).add(anchor)
    for entry in model.bibliography:
        assert element(entry.id) is not None, f"{entry.id} is not in the book"
        assert back[entry.id] == {c.note_id for c in entry.cited_in}, entry.id
        for note_id in back[entry.id]:
            note = element(note_id)
            text = " ".join("".join(note.itertext()).split())
            assert names_work(entry, text), f"{entry.id} ({entry.csl['title']!r}) links to {note_id}: {text!r}"
    for note in notes.values():
        assert forward.get(note.id, set()) == set(note.sources), note.id
        for entry_id in note.sources:
            assert note.id in back[entry_id]  # and the entry links back
    assert sum(map(len, back.values())) == sum(len(e.cited_in) for e in model.bibliography) > 300


def test_pdf_bibliography_text_and_links(sample, model: Book) -> None:
    reader = PdfReader(sample.output("pdf"))
    texts = [page.extract_text() or "" for page in reader.pages]
    bib_pages = [i for i, text in enumerate(texts) if "Cited in:" in text]
    assert bib_pages and bib_pages == list(range(bib_pages[0], bib_pages[-1] + 1))
    bib_text = _fold(" ".join(texts[i].replace("-\n", "") for i in bib_pages))
    for entry in model.bibliography:
        if entry.kind == "work":  # a short citation with no full work to join shows its author
            shown = entry.csl.get("title") or entry.csl["author"][0].get("family") or entry.csl["author"][0]["literal"]
            assert _fold(shown) in bib_text, shown
        elif entry.kind == "web":
            assert _fold(entry.csl.get("container-title") or entry.csl["title"]) in bib_text
    destinations = set()
    for i in bib_pages:
        for annot in reader.pages[i].get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") == "/Link" and "/Dest" in annot:
                destinations.add(str(annot["/Dest"]))
    cited = {c.note_id for e in model.bibliography for c in e.cited_in}
    assert destinations >= cited  # a link from the bibliography to every citing note
    named = reader.named_destinations
    for note_id in cited:  # and each lands before the bibliography, on a page showing the note's label
        page = reader.get_destination_page_number(named[note_id])
        assert page < bib_pages[0], note_id
