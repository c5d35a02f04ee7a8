"""The back matter laid out in pieces (pipeline/pdf/backmatter.py): cut between entries, numbered on, referenced right."""
from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
from lxml import html as lxml_html
from pypdf import PdfReader

import pipeline.pdf.assembly
from pipeline.model import BibEntry, IndexEntry
from pipeline.pdf import build_pdf
from pipeline.pdf.backmatter import split_section
from test_pdf import destinations, page_texts
from test_pdf_chunks import TITLES, chain_book, labels


def section(entries: int) -> str:
    """A bibliography-shaped section: a heading, two groups, each an ordered list of entries."""
    groups = []
    for g in range(2):
        items = "".join(f'<li class="bib-entry" id="e-{g}-{k}"><span>Entry {g}.{k}, {"words " * 20}</span></li>'
                        for k in range(entries))
        groups.append(f'<section class="bib-group" id="g{g}"><h2 id="g{g}-title">Group {g}</h2>'
                      f'<ol class="bib-entries">{items}</ol></section>')
    return (f'<section class="chapter bibliography" id="bibliography" aria-labelledby="bibliography--title">'
            f'<h1 class="chapter-title" id="bibliography--title">Bibliography</h1>{"".join(groups)}</section>')


def test_a_short_section_is_one_piece() -> None:
    xhtml = section(3)
    assert split_section(xhtml, len(xhtml)) == [xhtml]


def test_a_long_section_is_cut_between_entries_and_numbered_on() -> None:
    xhtml = section(40)
    pieces = split_section(xhtml, 2000)
    assert len(pieces) > 4
    roots = [lxml_html.fragment_fromstring(piece) for piece in pieces]
    assert roots[0].get("id") == "bibliography" and roots[0].find("h1") is not None
    for root in roots[1:]:
        assert root.get("class") == "chapter bibliography continued" and root.get("data-running") == "Bibliography"
        assert root.get("id") is None and root.get("aria-labelledby") is None and root.find("h1") is None
    ids = [el.get("id") for root in roots for el in root.iter("li")]
    assert ids == [f"e-{g}-{k}" for g in range(2) for k in range(40)]  # every entry once, in order
    whole = lxml_html.fragment_fromstring(xhtml)
    assert [" ".join(el.itertext()) for root in roots for el in root.iter("li")] == \
        [" ".join(el.itertext()) for el in whole.iter("li")]
    for root in roots:
        for heading in root.iter("h2"):  # a group's heading is never the last thing of a piece
            assert heading.getnext() is not None
        assert len(lxml_html.tostring(root)) < 2 * 2000
    # An ordered list cut in two starts where the piece before ended.
    starts = {}
    for root in roots:
        for ol in root.iter("ol"):
            first = ol.find("li").get("id")
            starts[first] = int(ol.get("start") or 1)
    for first, start in starts.items():
        assert int(first.rsplit("-", 1)[1]) + 1 == start


@pytest.mark.slow
def test_a_long_bibliography_in_pieces_keeps_its_references(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    book = copy.deepcopy(chain_book())
    citations = book.bibliography[0].cited_in
    book.bibliography = [BibEntry(id=f"bibliography--{k}", kind="work",
                                  html=f"Writer {k:03d}. 1902. <em>A Work in Many Parts, volume {k}</em>.",
                                  sort_key=(f"writer {k:03d}",), csl={}, cited_in=citations)
                         for k in range(1, 80)]
    book.index += [IndexEntry(f"Term {k:03d}", refs=[f"ch-{TITLES[k % 5].lower()}"]) for k in range(60)]
    monkeypatch.setattr(pipeline.pdf.assembly, "BACK_CHARS", 6000)
    path = tmp_path / "book.pdf"
    path.write_bytes(build_pdf(book, workers=2, chunk_chars=1))
    texts, shown, dests = page_texts(path), labels(path), destinations(PdfReader(path))
    bibliography = range(dests["bibliography"], dests["book-index"])
    assert len(bibliography) >= 4
    # Cut in pieces: more pages than one document would fill, each continued page headed "Bibliography".
    for index in bibliography[1:]:
        assert texts[index].lstrip().splitlines()[0].split()[-1] == "Bibliography"
    back = " ".join(" ".join(texts[i].split()) for i in bibliography)
    for title in TITLES:
        assert back.count(f"{title} 1 (p. {shown[dests[f'ch-{title.lower()}--fn-1']]})") == 79
    numbers = [int(n) for n in re.findall(r"(?:^|\s)(\d+)\. Writer", back)]
    assert numbers == list(range(1, 80))  # numbered on across the pieces
    index = " ".join(" ".join(texts[i].split()) for i in range(dests["book-index"], dests["article-sources"]))
    for k in range(60):
        title = TITLES[k % 5]
        assert f"Term {k:03d}: {title} {shown[dests[f'ch-{title.lower()}']]}" in index
