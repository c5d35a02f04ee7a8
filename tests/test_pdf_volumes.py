"""The print book in volumes ([pdf] volume_pages, --volume-pages): a generated export, small volumes.

Every check reads the PDFs themselves: page counts, poppler's text of each
page, page labels, named destinations, links and outlines.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from bench.make_corpus import build as make_corpus
from conftest import Built, build
from pipeline.book import SOURCES_ID
from pipeline.bookindex import INDEX_ID
from pipeline.model import Book
from test_pdf import book_of, page_texts

pytestmark = pytest.mark.slow

VOLUME_PAGES = 40
_REF = re.compile(r"\b(\d+):(\d+)\b")


@pytest.fixture(scope="module")
def volumes(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """A 24-article export printed in volumes of at most VOLUME_PAGES pages."""
    source = tmp_path_factory.mktemp("src")
    make_corpus(source, 24, 5, True)
    return build(source, tmp_path_factory.mktemp("out"), "--format", "pdf", "--volume-pages", str(VOLUME_PAGES))


class Volume:
    """One volume's file, read: its text per page, labels, destinations, outline and links."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.reader = PdfReader(path)
        self.texts = page_texts(path)
        self.labels = list(self.reader.page_labels)
        self.dests = {name: self.reader.get_destination_page_number(dest)
                      for name, dest in self.reader.named_destinations.items()}
        self.outline = [item.title for item in self.reader.outline if not isinstance(item, list)]

    def page_of(self, folio: int) -> int:
        """Return the index of the page numbered `folio` (arabic)."""
        return self.labels.index(str(folio))

    def links(self, index: int) -> list[tuple[str | None, str]]:
        """Return the links of a page as (the file they open, None for this one; the destination's name)."""
        found = []
        for annot in self.reader.pages[index].get("/Annots") or []:
            annot = annot.get_object()
            action = annot.get("/A") or {}
            if annot.get("/Dest") is not None:
                found.append((None, str(annot["/Dest"])))
            elif action.get("/S") == "/GoToR":
                found.append((str(action["/F"]["/F"]), str(action["/D"])))
        return found


@pytest.fixture(scope="module")
def read(volumes: Built) -> list[Volume]:
    return [Volume(Path(path)) for path in volumes.report["outputs"]["pdf_volumes"]]


@pytest.fixture(scope="module")
def book(volumes: Built) -> Book:
    return book_of(volumes)


def where(read: list[Volume], anchor: str) -> tuple[int, int]:
    """Return (volume number, page index) of the one volume that holds `anchor`."""
    (found,) = [(number, volume.dests[anchor]) for number, volume in enumerate(read, 1) if anchor in volume.dests]
    return found


def test_the_book_comes_in_volumes_of_at_most_so_many_pages(volumes: Built, read: list[Volume], book: Book) -> None:
    assert volumes.status == 0
    outputs = volumes.report["outputs"]
    names = [Path(path).name for path in outputs["pdf_volumes"]]
    assert len(names) >= 2 and names == [f"{book.slug}.vol{k}.pdf" for k in range(1, len(names) + 1)]
    assert outputs["pdf"] == outputs["pdf_volumes"][0]
    assert not (volumes.out / f"{book.slug}.pdf").exists()
    assert all(len(volume.reader.pages) <= VOLUME_PAGES for volume in read)
    # Cut between chapters: each chapter whole in one volume, in order.
    opened = [where(read, chapter.id) for chapter in book.chapters]
    assert opened == sorted(opened)
    for number, volume in enumerate(read, 1):
        assert f"Volume {number} of {len(read)}" in volume.texts[0]
        assert volume.labels[0] == "i" and "1" in volume.labels  # roman front matter, then folios from 1


def test_the_contents_give_volume_and_page_and_are_right(read: list[Volume], book: Book) -> None:
    for volume in read:  # every volume has the whole book's contents
        contents = "\n".join(volume.texts[:volume.page_of(1)])
        for chapter in book.chapters:
            number, index = where(read, chapter.id)
            folio = read[number - 1].labels[index]
            assert re.search(rf"{number}:{folio}\s*$", contents, re.M)
            assert chapter.title.split()[0] in read[number - 1].texts[index]
        refs = [(int(v), int(p)) for v, p in _REF.findall(contents)]
        assert len(refs) >= len(book.chapters)
        for number, folio in refs:  # each reference's page exists and opens a chapter or back section
            page = read[number - 1].page_of(folio)
            assert any(index == page for index in read[number - 1].dests.values())


def test_links_to_another_volume_open_its_file_at_the_chapter(read: list[Volume], book: Book) -> None:
    first = read[0]
    contents = [link for index in range(first.page_of(1)) for link in first.links(index)]
    for chapter in book.chapters:
        number, _ = where(read, chapter.id)
        expected = (None if number == 1 else f"{book.slug}.vol{number}.pdf", chapter.id)
        assert expected in contents


def test_the_index_refers_to_volume_and_page(read: list[Volume], book: Book) -> None:
    number, start = where(read, INDEX_ID)
    assert number == len(read) and where(read, SOURCES_ID)[0] == number  # the back matter in the last volume
    last = read[-1]
    pages = range(start, last.dests[SOURCES_ID])
    targets = {name for index in pages for _, name in last.links(index)}
    assert len(targets) > 10
    expected = set()
    for name in targets:
        volume, index = where(read, name)
        expected.add(f"{volume}:{read[volume - 1].labels[index]}")
    assert len({ref.split(":")[0] for ref in expected}) >= 2  # places in more than one volume
    shown = {f"{v}:{p}" for index in pages for v, p in _REF.findall(last.texts[index])}
    assert shown == expected


def test_each_volume_has_its_own_bookmarks(read: list[Volume], book: Book) -> None:
    for number, volume in enumerate(read, 1):
        mine = [chapter.title for chapter in book.chapters if where(read, chapter.id)[0] == number]
        assert mine and [title for title in volume.outline if title in {c.title for c in book.chapters}] == mine


def test_a_book_printed_whole_again_leaves_no_stale_volumes(volumes: Built, read: list[Volume], book: Book) -> None:
    # Last in this file: it builds the same book again into the same folder, as one PDF.
    again = build(volumes.source, volumes.out, "--format", "pdf")
    assert again.status == 0 and "pdf_volumes" not in again.report["outputs"]
    assert sorted(p.name for p in volumes.out.glob("*.pdf")) == [f"{book.slug}.pdf"]
    assert len(PdfReader(again.report["outputs"]["pdf"]).pages) > VOLUME_PAGES
