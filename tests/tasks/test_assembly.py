"""Assembly through the memo: what an edit makes again, and a book as if made afresh."""
from __future__ import annotations

from pathlib import Path

import pytest

import pipeline.book
from pipeline.model import IndexEntry
from tasks.memo import Memo, digest_of

from conftest import LINK, PAGES, assemble_pages as _book


def _entries(book) -> dict[str, IndexEntry]:
    return {entry.term: entry for entry in book.index}


CITING = {**PAGES, "Bakunin.md": PAGES["Bakunin.md"] + "\nHe wrote.[^1]\n\n[^1]: Paul Avrich, *The Russian Anarchists* (1967).\n"}


@pytest.fixture()
def made(monkeypatch: pytest.MonkeyPatch) -> dict[str, list]:
    """What assembly resolves and compiles (rather than reuses), watched through the functions it calls."""
    seen: dict[str, list] = {"resolved": [], "compiled": []}
    resolve, compile_ = pipeline.book.resolve_fragment, pipeline.book.compile_bibliography
    monkeypatch.setattr(pipeline.book, "resolve_fragment",
                        lambda fragment, *args: seen["resolved"].append(fragment.title) or resolve(fragment, *args))
    monkeypatch.setattr(pipeline.book, "compile_bibliography",
                        lambda chapters, **kw: seen["compiled"].append(len(chapters)) or compile_(chapters, **kw))
    return seen


@pytest.mark.parametrize("edit, resolved, compiled", [
    ("\nOne more sentence.\n", ["Bakunin"], False),  # a note's text is unchanged: the bibliography is kept
    ("\nMore.[^2]\n\n[^2]: Paul Avrich, *Anarchist Portraits* (1988).\n", ["Bakunin"], True),
])
def test_an_edit_resolves_its_own_chapter_again_and_the_book_is_as_if_made_afresh(
        made: dict[str, list], edit: str, resolved: list[str], compiled: bool, tmp_path: Path) -> None:
    first = Memo(tmp_path, "code")
    _book(CITING, each=first.each)
    edited = {**CITING, "Bakunin.md": CITING["Bakunin.md"] + edit}
    made["resolved"].clear(), made["compiled"].clear()
    again = _book(edited, each=Memo(tmp_path, "code").each)
    assert made["resolved"] == resolved and bool(made["compiled"]) is compiled
    assert again == _book(edited)
    assert again.bibliography and all(note.sources for ch in again.chapters for note in ch.notes if "Avrich" in note.text)


def test_a_new_page_resolves_every_chapter_again_as_links_to_it_now_land(made: dict[str, list], tmp_path: Path) -> None:
    without = {name: text for name, text in CITING.items() if name != "Anarchism.md"}
    first = Memo(tmp_path, "code")
    before = _book(without, each=first.each)
    assert before.stats["links"]["wanted"].get("Anarchism")
    made["resolved"].clear()
    again = _book(CITING, each=Memo(tmp_path, "code").each)
    assert sorted(made["resolved"]) == sorted(ch.title for ch in again.chapters)
    assert again == _book(CITING) and not again.stats["links"]["wanted"].get("Anarchism")


@pytest.mark.parametrize("edit, remade", [
    ("\nOne more sentence.\n", False),
    ("\nSee " + LINK.format(href="Karl_Marx.md", text="the bearded one") + ".\n", True),  # a new term
])
def test_the_index_is_made_again_only_when_what_it_reads_changed(monkeypatch: pytest.MonkeyPatch, edit: str,
                                                                   remade: bool, tmp_path: Path) -> None:
    import pipeline.bookindex

    made: list[int] = []
    entries = pipeline.bookindex.gather_entries
    monkeypatch.setattr(pipeline.bookindex, "gather_entries", lambda heads: made.append(1) or entries(heads))
    first = Memo(tmp_path, "code")
    _book(CITING, each=first.each)
    edited = {**CITING, "Bakunin.md": CITING["Bakunin.md"] + edit}
    made.clear()
    again = _book(edited, each=Memo(tmp_path, "code").each)
    assert bool(made) is remade
    assert again.index == _book(edited).index and ("the bearded one" in _entries(again)) is remade


@pytest.mark.parametrize("page, resolved", [
    ("Bakunin.md", ["Bakunin"]),  # no page names a section of Bakunin
    ("Karl_Marx.md", ["Karl Marx"]),  # Pouget's link to Karl Marx#Capital lands where it did
])
def test_a_new_heading_resolves_again_its_page_and_those_whose_section_links_it_changes(
        made: dict[str, list], page: str, resolved: list[str], tmp_path: Path) -> None:
    first = Memo(tmp_path, "code")
    before = {ch.id: digest_of(ch) for ch in _book(CITING, each=first.each).chapters}
    edited = {**CITING, page: CITING[page] + "\n## Exile\n\nIn Siberia.\n"}
    made["resolved"].clear()
    again = _book(edited, each=Memo(tmp_path, "code").each)
    assert sorted(made["resolved"]) == sorted(resolved)
    after = {ch.id: digest_of(ch) for ch in again.chapters}
    # builders re-render the edited page alone
    assert [cid for cid in after if after[cid] != before[cid]] == [ch.id for ch in again.chapters if ch.file == page]
    assert again == _book(edited)


def test_a_link_to_a_missing_section_lands_once_the_heading_is_written(made: dict[str, list], tmp_path: Path) -> None:
    pages = {**CITING, "Anarchism.md": CITING["Anarchism.md"] + "\nSee " + LINK.format(
        href="Bakunin#Exile.md", text="his exile") + ".\n"}
    first = Memo(tmp_path, "code")
    before = _book(pages, each=first.each)
    assert before.stats["links"]["missing_sections"] == 1
    edited = {**pages, "Bakunin.md": pages["Bakunin.md"] + "\n## Exile\n\nIn Siberia.\n"}
    made["resolved"].clear()
    again = _book(edited, each=Memo(tmp_path, "code").each)
    assert sorted(made["resolved"]) == ["Anarchism", "Bakunin"]
    assert 'href="#ch-bakunin--exile"' in next(ch.html for ch in again.chapters if ch.title == "Anarchism")
    assert again == _book(edited) and again.stats["links"]["missing_sections"] == 0
