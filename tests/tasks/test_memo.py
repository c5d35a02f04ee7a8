"""The memo: a pure function's result is made once, kept by what it was made from, and a build with it is a fresh build."""
from __future__ import annotations

import copy
import functools
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

import pipeline.epub
import pipeline.pdf.assembly
import pipeline.pdf.chunks
from pipeline.epub import Packed, _pack, build_epub
from pipeline.html import build_html, search_index
from pipeline.pdf import plan_chunks, render_chunk
from pipeline.render import back_matter
from tasks import store
from tasks.memo import Memo

from conftest import indexed_book as render_book
from test_epub import _book as epub_book, _files
from test_html import small_book
from test_pdf_chunks import FILLER, chain_book


def _mark(memo: Memo, change: Callable[[object], object]) -> int:
    """Change every stored result in place (as a stale cache would hold them); return how many."""
    count = 0
    for pack in sorted(memo.folder.rglob("*.pickle")):
        results = {name: change(value) for name, value in store.load(pack).items()}
        store.save(pack, results, **store.header(pack))
        count += len(results)
    return count


def square(x: int, plus: int = 0) -> int:
    return x * x + plus


def test_a_result_is_made_once_per_function_code_and_arguments(tmp_path: Path) -> None:
    calls: list[int] = []
    memo = Memo(tmp_path, "code")
    mapper = lambda f, items: (calls.append(len(items)), map(f, items))[1]  # noqa: E731
    assert list(memo.each(square, [(2,), (3,)], 1, mapper=mapper)) == [5, 10] and calls == [2]
    assert list(Memo(tmp_path, "code").each(square, [(3,), (4,), (2,)], 1, mapper=mapper)) == [10, 17, 5]
    assert calls == [2, 1]  # only 4 was missing
    assert list(Memo(tmp_path, "code").each(square, [(3,)], 2, mapper=mapper)) == [11]  # other shared arguments
    assert list(Memo(tmp_path, "new code").each(square, [(3,)], 1, mapper=mapper)) == [10]  # another wikibind
    assert calls == [2, 1, 1, 1]
    assert Memo(tmp_path, "code")(square, 4, 1) == 17 and calls == [2, 1, 1, 1]


def test_a_damaged_entry_is_made_again(tmp_path: Path) -> None:
    memo = Memo(tmp_path, "code")
    assert memo(square, 5) == 25
    (entry,) = memo.folder.rglob("*.pickle")
    entry.write_bytes(entry.read_bytes()[:-3] + b"bad")
    again = Memo(tmp_path, "code")
    assert again(square, 5) == 25 and again.fresh == [True] and list(store.load(entry).values()) == [25]


def test_many_makes_what_is_missing_in_one_call(tmp_path: Path) -> None:
    batches: list[list[int]] = []

    def squares(xs: list[int]) -> list[int]:
        batches.append(xs)
        return [x * x for x in xs]

    Memo(tmp_path, "code").many(squares, [1, 2])
    memo = Memo(tmp_path, "code")
    assert memo.many(squares, [2, 3, 1]) == [4, 9, 1] and batches == [[1, 2], [3]]
    assert memo.fresh == [False, True, False] and len(memo.used) == 2  # the first pack, and the new one


def test_back_matter_is_kept_until_what_it_shows_changes(tmp_path: Path) -> None:
    first = Memo(tmp_path, "code")
    fresh = back_matter(render_book(), flavour="html")
    assert back_matter(render_book(), flavour="html", each=first.each) == fresh
    _mark(first, lambda body: body + "<!-- kept -->")
    again = back_matter(render_book(), flavour="html", each=Memo(tmp_path, "code").each)
    assert all(body.endswith("<!-- kept -->") for _, _, body in again)
    # A renamed section changes the index; a new licence changes the sources; each page alone is made again.
    book = render_book()
    book.chapters[0].sections[0].title = "Kapital"
    pages = {anchor: body for anchor, _, body in back_matter(book, flavour="html", each=Memo(tmp_path, "code").each)}
    assert "Kapital" in pages["book-index"] and not pages["book-index"].endswith("<!-- kept -->")
    assert pages["article-sources"].endswith("<!-- kept -->")
    book.meta.date = book.meta.date[:10] + "T23:59:59Z"  # a later edit the same day: the page shows the day only
    assert back_matter(book, flavour="html", each=Memo(tmp_path, "code").each)[-1][2].endswith("<!-- kept -->")
    book.meta.rights = "Public domain"
    pages = {anchor: body for anchor, _, body in back_matter(book, flavour="html", each=Memo(tmp_path, "code").each)}
    assert "Public domain" in pages["article-sources"]
    assert back_matter(book, flavour="epub", each=Memo(tmp_path, "code").each) == back_matter(book, flavour="epub")


def test_the_html_through_the_memo_is_the_html_made_afresh_and_an_edit_remakes_its_chapter(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.html

    book = small_book(4)
    first = Memo(tmp_path, "code")
    assert build_html(book, each=first.each) == build_html(book)
    # Markup and search words of each chapter, each back-matter page, the bibliography's words, the contents.
    assert len(first.fresh) == 2 * len(book.chapters) + len(back_matter(book, flavour="html")) + 2 \
        and all(first.fresh)
    _mark(first, lambda v: v.replace(b"Mutual", b"Cached") if isinstance(v, bytes) else v)  # chapters: UTF-8
    assert b"Cached" in build_html(book, each=Memo(tmp_path, "code").each)
    words: list[str] = []
    real = pipeline.html._chapter_units
    monkeypatch.setattr(pipeline.html, "_chapter_units", lambda c: words.append(c.id) or real(c))
    for number, old, new in [(0, "about mutual aid", "about solidarity now"), (2, "word2", "word9"),
                             (3, "<p>The Confederación", '<h2 id="ch-page-3--new">New</h2><p>The Confederación')]:
        book.chapters[number].html = book.chapters[number].html.replace(old, new)
        words.clear()
        made = search_index(book, Memo(tmp_path, "code").each)
        assert words == [book.chapters[number].id]  # the edited chapter's words alone are found again
        monkeypatch.setattr(pipeline.html, "_chapter_units", real)
        assert made == search_index(book), old
        monkeypatch.setattr(pipeline.html, "_chapter_units", lambda c: words.append(c.id) or real(c))


def test_the_epub_keeps_unchanged_documents_and_changes_nothing(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    first = Memo(tmp_path, "code")
    plain = build_epub(epub_book())
    assert build_epub(epub_book(), each=first.each) == plain

    def mark(value: object) -> object:  # a kept document, its text changed and packed again
        if not isinstance(value, Packed):
            return value
        return _pack(zlib.decompress(value.data, -15).replace(b"Body.", b"CACHED."))

    _mark(first, mark)
    edited = epub_book()
    edited.chapters[0].html = edited.chapters[0].html.replace("See", "Look at")
    files = _files(build_epub(edited, each=Memo(tmp_path, "code").each))
    assert b"CACHED." in files["EPUB/ch-b.xhtml"]  # unchanged: taken from the memo ...
    assert b"Look at" in files["EPUB/ch-a.xhtml"]  # ... and the edited one made afresh
    # A renamed chapter changes the package (nav, NCX): ebooklib writes it again, and bytes equal a fresh build.
    renamed = epub_book()
    renamed.chapters[1].title = "Gamma"
    fresh_memo = Memo(tmp_path / "other", "code")
    assert build_epub(renamed, each=fresh_memo.each) == build_epub(renamed)
    assert b"Gamma" in _files(build_epub(renamed, each=Memo(tmp_path / "other", "code").each))["EPUB/nav.xhtml"]
    # A new date (every edit brings one) keeps the package, and the OPF still carries the new date.
    redated = epub_book()
    redated.meta.date = "2027-03-04T05:06:07Z"
    build_epub(epub_book(), each=Memo(tmp_path / "third", "code").each)
    written: list[tuple] = []
    package = pipeline.epub.write_package
    monkeypatch.setattr(pipeline.epub, "write_package", functools.wraps(package)(
        lambda *args: written.append(args) or package(*args)))
    assert build_epub(redated, each=Memo(tmp_path / "third", "code").each) == build_epub(redated)
    assert len(written) == 1  # by the build without the memo only


@pytest.mark.slow
def test_front_and_back_matter_of_the_pdf_are_kept_while_their_pages_do_not_change(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = chain_book()
    chunks = [render_chunk(book, run) for run in plan_chunks(book, chunk_chars=1)]
    first = Memo(tmp_path, "code")
    fresh = pipeline.pdf.assembly.assemble_pdf(book, chunks)
    assert pipeline.pdf.assembly.assemble_pdf(book, chunks, each=first.each) == fresh
    laid: list[object] = []
    for module, name in ((pipeline.pdf.assembly, "_render_numbered"), (pipeline.pdf.chunks, "_render_unnumbered")):
        real = getattr(module, name)
        watched = functools.wraps(real)(lambda *args, real=real: laid.append(real) or real(*args))
        monkeypatch.setattr(module, name, watched)  # where it is defined: the memo names a function by it
        monkeypatch.setattr(pipeline.pdf.assembly, name, watched)
    assert pipeline.pdf.assembly.assemble_pdf(book, chunks, each=Memo(tmp_path, "code").each) == fresh and not laid
    # A longer last chapter moves the back matter's pages: laid out again, the contents too.
    longer = copy.deepcopy(chain_book())  # chain_book() is shared by other tests
    longer.chapters[-1].html += f"<p>{FILLER * 40}</p>"
    chunks[-1] = render_chunk(longer, plan_chunks(longer, chunk_chars=1)[-1])
    assert pipeline.pdf.assembly.assemble_pdf(longer, chunks, each=Memo(tmp_path, "code").each) == \
        pipeline.pdf.assembly.assemble_pdf(longer, chunks)
    assert laid
