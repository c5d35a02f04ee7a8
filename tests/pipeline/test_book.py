"""Assembly: what an edit makes again, and the back-of-book index made from titles, redirects, categories and link texts."""
from __future__ import annotations

import time

import pytest

import pipeline.book
from pipeline.book import assemble_book
from pipeline.bookindex import MAX_TERM_WORDS, index_entries, index_groups, term_key
from pipeline.clean import clean_article
from pipeline.config import Selection
from pipeline.convert import convert_articles
from pipeline.model import Chapter, IndexEntry, Section
from pipeline.reuse import Reuse

LINK = '"<a   href="{href}" class="wikilink" title="t">"{text}</a>'


def _book(pages: dict[str, str], selection: Selection | None = None, reuse: Reuse | None = None):
    from pipeline.model import BookMeta

    articles = [clean_article(name, text) for name, text in pages.items()]
    return assemble_book(convert_articles([a for a in articles if not a.redirect]),
                         [a for a in articles if a.redirect], {}, BookMeta(date="2026-01-01T00:00:00Z"), [],
                         selection, reuse=reuse)


PAGES = {
    "Karl_Marx.md": "# Karl Marx\n\nA philosopher.\n\n## Capital\n\nA book.\n\n"
                    + LINK.format(href="Category:People.md", text="Category:People") + "\n",
    "Marx.md": "1.  REDIRECT " + LINK.format(href="Karl_Marx.md", text="Karl Marx") + "\n",
    "Émile_Pouget.md": "# Émile Pouget\n\nHe read " + LINK.format(href="Karl_Marx.md", text="Marx's") + " work, "
                       + LINK.format(href="Karl_Marx#Capital.md", text="Das Kapital") + ", and "
                       + LINK.format(href="Karl_Marx.md", text="karl marx") + " again; see "
                       + LINK.format(href="Anarchism.md", text="anarchists") + ".[^1]\n\n"
                       + "[^1]: On " + LINK.format(href="Anarchism.md", text="the anarchist movement") + ".\n\n"
                       + LINK.format(href="Category:People.md", text="Category:People") + "\n",
    "Anarchism.md": "# Anarchism\n\nSee " + LINK.format(href="Karl_Marx.md", text="a long phrase of more than six "
                                                        "words in a link") + " and "
                    + LINK.format(href="Karl_Marx.md", text="1871") + ".\n\n"
                    + LINK.format(href="Category:Anarchism.md", text="Category:Anarchism") + "\n",
    "Bakunin.md": "# Bakunin\n\nRead " + LINK.format(href="Anarchism.md", text="Anarchists") + " and "
                  + LINK.format(href="Anarchism.md", text="anarchists") + ".\n\n"
                  + LINK.format(href="Category:Anarchism.md", text="Category:Anarchism") + "\n",
}


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
        made: dict[str, list], edit: str, resolved: list[str], compiled: bool) -> None:
    first = Reuse()
    _book(CITING, reuse=first)
    edited = {**CITING, "Bakunin.md": CITING["Bakunin.md"] + edit}
    made["resolved"].clear(), made["compiled"].clear()
    again = _book(edited, reuse=Reuse(first.kept))
    assert made["resolved"] == resolved and bool(made["compiled"]) is compiled
    assert again == _book(edited)
    assert again.bibliography and all(note.sources for ch in again.chapters for note in ch.notes if "Avrich" in note.text)


def test_a_new_page_resolves_every_chapter_again_as_links_to_it_now_land(made: dict[str, list]) -> None:
    without = {name: text for name, text in CITING.items() if name != "Anarchism.md"}
    first = Reuse()
    before = _book(without, reuse=first)
    assert before.stats["links"]["wanted"].get("Anarchism")
    made["resolved"].clear()
    again = _book(CITING, reuse=Reuse(first.kept))
    assert sorted(made["resolved"]) == sorted(ch.title for ch in again.chapters)
    assert again == _book(CITING) and not again.stats["links"]["wanted"].get("Anarchism")


@pytest.mark.parametrize("edit, remade", [
    ("\nOne more sentence.\n", False),
    ("\nSee " + LINK.format(href="Karl_Marx.md", text="the bearded one") + ".\n", True),  # a new term
])
def test_the_index_is_made_again_only_when_what_it_reads_changed(monkeypatch: pytest.MonkeyPatch, edit: str,
                                                                   remade: bool) -> None:
    import pipeline.bookindex

    made: list[int] = []
    entries = pipeline.bookindex._entries
    monkeypatch.setattr(pipeline.bookindex, "_entries", lambda chapters, links: made.append(1) or entries(chapters, links))
    first = Reuse()
    _book(CITING, reuse=first)
    edited = {**CITING, "Bakunin.md": CITING["Bakunin.md"] + edit}
    made.clear()
    again = _book(edited, reuse=Reuse(first.kept))
    assert bool(made) is remade
    assert again.index == _book(edited).index and ("the bearded one" in _entries(again)) is remade


@pytest.mark.parametrize("page, resolved", [
    ("Bakunin.md", ["Bakunin"]),  # no page names a section of Bakunin
    ("Karl_Marx.md", ["Karl Marx"]),  # Pouget's link to Karl Marx#Capital lands where it did
])
def test_a_new_heading_resolves_again_its_page_and_those_whose_section_links_it_changes(
        made: dict[str, list], page: str, resolved: list[str]) -> None:
    first = Reuse()
    before = {ch.id: ch.digest for ch in _book(CITING, reuse=first).chapters}
    edited = {**CITING, page: CITING[page] + "\n## Exile\n\nIn Siberia.\n"}
    made["resolved"].clear()
    again = _book(edited, reuse=Reuse(first.kept))
    assert sorted(made["resolved"]) == sorted(resolved)
    after = {ch.id: ch.digest for ch in again.chapters}
    # builders re-render the edited page alone
    assert [cid for cid in after if after[cid] != before[cid]] == [ch.id for ch in again.chapters if ch.file == page]
    assert again == _book(edited)


def test_a_link_to_a_missing_section_lands_once_the_heading_is_written(made: dict[str, list]) -> None:
    pages = {**CITING, "Anarchism.md": CITING["Anarchism.md"] + "\nSee " + LINK.format(
        href="Bakunin#Exile.md", text="his exile") + ".\n"}
    first = Reuse()
    before = _book(pages, reuse=first)
    assert before.stats["links"]["missing_sections"] == 1
    edited = {**pages, "Bakunin.md": pages["Bakunin.md"] + "\n## Exile\n\nIn Siberia.\n"}
    made["resolved"].clear()
    again = _book(edited, reuse=Reuse(first.kept))
    assert sorted(made["resolved"]) == ["Anarchism", "Bakunin"]
    assert 'href="#ch-bakunin--exile"' in next(ch.html for ch in again.chapters if ch.title == "Anarchism")
    assert again == _book(edited) and again.stats["links"]["missing_sections"] == 0
