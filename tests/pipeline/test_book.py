"""Assembly: the back-of-book index made from titles, redirects, categories and link texts."""
from __future__ import annotations

import time

import pytest

import pipeline.book
from pipeline.bookindex import MAX_TERM_WORDS, index_entries, index_groups, term_key
from pipeline.config import Selection
from pipeline.model import Chapter, IndexEntry, Section

from conftest import LINK, PAGES, assemble_pages as _book


def _entries(book) -> dict[str, IndexEntry]:
    return {entry.term: entry for entry in book.index}


def test_terms_come_from_titles_redirects_categories_and_link_texts() -> None:
    book = _book(PAGES)
    entries = _entries(book)
    # titles and redirects lead to their chapter
    assert entries["Karl Marx"].refs == ["ch-karl-marx"]
    assert entries["Marx"].refs == ["ch-karl-marx"]  # the redirect; "Marx's" is the same term
    assert entries["Émile Pouget"].refs == ["ch-emile-pouget"]
    # a link's text leads where the link goes; one to a section leads to the section
    assert entries["Das Kapital"].refs == ["ch-karl-marx--capital"]
    assert entries["the anarchist movement"].refs == ["ch-anarchism"]  # from a note
    # "Anarchists" and "anarchists" are one term, spelt as most links spell it
    assert entries["anarchists"].refs == ["ch-anarchism"] and "Anarchists" not in entries
    # a category leads to its chapters; a chapter of the same name is the term's own reference
    assert entries["People"].refs == [] and entries["People"].category == ["ch-emile-pouget", "ch-karl-marx"]
    assert entries["Anarchism"].refs == ["ch-anarchism"] and entries["Anarchism"].category == ["ch-bakunin"]
    # not terms: a link text that is its target's title, a phrase, a number
    assert "karl marx" not in entries and not any(len(t.split()) > MAX_TERM_WORDS for t in entries)
    assert "1871" not in entries and "Marx's" not in entries


def test_index_is_sorted_as_a_reader_expects_and_grouped_by_initial() -> None:
    book = _book(PAGES)
    terms = [entry.term for entry in book.index]
    assert terms == sorted(terms, key=lambda t: (term_key(t.lstrip('"')), t))
    assert terms.index("Émile Pouget") < terms.index("Karl Marx")  # É sorts as E
    groups = index_groups(book.index)
    assert [initial for initial, _ in groups] == ["A", "B", "D", "E", "K", "M", "P", "T"]
    assert [e.term for e in dict(groups)["E"]] == ["Émile Pouget"]


def test_sorting_symbols_numbers_then_letters() -> None:
    entries = [IndexEntry(t, ["ch-a"]) for t in ("zebra", "Éclair", "eagle", "1917", "«Quoted»", "…", "Ω", "apple")]
    chapter = Chapter("ch-a", "A", "A.md", "", [], [], [])
    assert index_entries([chapter])[0].term == "A"
    from pipeline.bookindex import _sort_key

    ordered = [e.term for e in sorted(entries, key=_sort_key)]
    assert ordered == ["…", "1917", "apple", "eagle", "Éclair", "«Quoted»", "zebra", "Ω"]
    assert [g for g, _ in index_groups(sorted(entries, key=_sort_key))] == ["Symbols", "0–9", "A", "E", "Q", "Z", "Ω"]


def test_index_can_be_turned_off() -> None:
    assert _book(PAGES, Selection(index=False)).index == []
    assert _book(PAGES).index


def test_index_of_a_thousand_chapters_is_quick() -> None:
    chapters = []
    for n in range(1000):
        links = " ".join(f'<a href="#ch-{(n * 7 + k) % 1000}">term {k} of {n % 50}</a>' for k in range(25))
        chapters.append(Chapter(f"ch-{n}", f"Page {n}", f"Page_{n}.md", f"<p>{links}</p>",
                                [Section(2, "History", f"ch-{n}--history")], [], [f"Category {n % 12}"],
                                [f"Alias {n}"]))
    started = time.process_time()  # CPU time: what other processes do on the machine does not count
    entries = index_entries(chapters)
    assert time.process_time() - started < 1.0  # about 0.07 s on a laptop: this catches a quadratic slip
    assert len(entries) == 1000 + 1000 + 12 + 25 * 50
