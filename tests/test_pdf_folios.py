"""Folios on every kind of page: a page turned on its side for a wide table shows its number too."""
from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from pipeline.pdf import PdfOptions, build_pdf
from test_pdf import FILLER, make_book, page_texts

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("duplex", [False, True])
def test_a_turned_page_shows_its_number(tmp_path: Path, duplex: bool) -> None:
    columns = 30
    table = ("| " + " | ".join(f"Heading {c}" for c in range(columns)) + " |\n"
             + "|" + "---|" * columns + "\n"
             + "".join("| " + " | ".join(f"value{r}x{c}" for c in range(columns)) + " |\n" for r in range(6)))
    book = make_book({"A.md": f"# A\n\n{FILLER * 6}\n\n{table}\n{FILLER * 6}\n",
                      "B.md": f"# B\n\n{FILLER * 3}\n"})
    path = tmp_path / "book.pdf"
    path.write_bytes(build_pdf(book, PdfOptions(duplex=duplex), workers=1))
    reader = PdfReader(path)
    texts = page_texts(path)
    labels = list(reader.page_labels)
    turned = [i for i, page in enumerate(reader.pages) if page.mediabox.width > page.mediabox.height]
    assert turned
    for index in turned:
        last = [line.strip() for line in texts[index].splitlines() if line.strip()][-1]
        assert last == labels[index] and labels[index].isdigit()
    upright = [i for i in range(len(labels)) if i not in turned and labels[i].isdigit() and i > turned[-1]]
    assert upright and labels[upright[0]] == str(int(labels[turned[-1]]) + upright[0] - turned[-1])
