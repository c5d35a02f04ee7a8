"""The join of a book's parts: its memory does not grow with the book, and what it writes is a sound PDF."""
from __future__ import annotations

import io
import multiprocessing
import warnings

import pikepdf
import pytest

from pipeline.pdf import PdfOptions, build_pdf, render_chunk
from pipeline.pdf.merge import Merger, Part
from test_pdf_chunks import chain_book


def _resident_mib() -> float:
    """Return this process's resident memory now, in MiB (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


def _join(pdf: bytes, fonts: dict[str, str], first: int, more: int, answer: multiprocessing.Queue) -> None:
    """Join `first` copies of a part, then `more`; report the resident memory after each run and the page count."""
    merger = Merger()
    for _ in range(first):
        merger.add(Part(pdf, fonts))
    before = _resident_mib()
    for _ in range(more):
        merger.add(Part(pdf, fonts))
    after = _resident_mib()
    book = merger.finish(dests={}, outline=[], labels=[(0, "D")], identifier="memory")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # qpdf warns about a damaged file it repairs
        with pikepdf.open(io.BytesIO(book)) as out:
            pages = len(out.pages)
    answer.put((before, after, pages))


@pytest.mark.slow
def test_join_memory_does_not_grow_with_the_parts():
    """Joining 150 more tagged parts costs next to nothing more memory: each part is written out as it comes.

    A join that keeps the book's objects until it saves (as qpdf does) grows by
    about a megabyte for each of these parts.
    """
    chunk = render_chunk(chain_book(), [0, 1], PdfOptions())
    context = multiprocessing.get_context("fork")  # a fresh process: its memory is the join's alone
    answer = context.Queue()
    process = context.Process(target=_join, args=(chunk.pdf, chunk.fonts, 30, 150, answer))
    process.start()
    before, after, pages = answer.get(timeout=600)
    process.join()
    assert pages == 180 * chunk.pages
    assert after - before < 15, f"the join grew by {after - before:.1f} MiB over 150 parts"


@pytest.mark.slow
def test_pdf_a1_is_joined_without_object_streams():
    """PDF 1.4 (PDF/A-1b) has neither object streams nor cross-reference streams: the join writes a table."""
    data = build_pdf(chain_book(), PdfOptions(variant="pdf/a-1b"), workers=1, chunk_chars=3000)
    assert data.startswith(b"%PDF-1.4") and b"/ObjStm" not in data and b"/XRef" not in data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pikepdf.open(io.BytesIO(data)) as pdf:
            assert pdf.check_pdf_syntax() == []
            fonts = [obj for obj in pdf.objects if isinstance(obj, pikepdf.Dictionary) and obj.get("/Subtype") == "/Type0"]
            assert len({str(font.BaseFont) for font in fonts}) == len(fonts)  # each font once
            assert all("/CIDSet" in font.DescendantFonts[0].FontDescriptor for font in fonts)  # PDF/A-1 wants it
