"""Tests for pipeline.bibliography and pipeline.csl: compiling, merging, CSL styles, key citations, export.

Expected output is written by hand from the style's rules, not copied from a run.
"""
from __future__ import annotations

import html
import json
import re
import time
from pathlib import Path

import pytest
from lxml import etree

from pipeline.bibliography import bibliography_json, compile_bibliography, format_html
from pipeline.citations import parse_note_sources
from pipeline.convert import convert_articles
from pipeline.pandoc import PandocError
from pipeline.csl import (CiteItem, ReferencesError, citeproc, format_entries, load_references,
                          mark_citations, parse_citation)
from pipeline.model import Article, Chapter, Note

STYLES = Path(__file__).resolve().parent.parent / "fixtures" / "csl"
TINY = (STYLES / "tiny-numeric.csl").read_text(encoding="utf-8")
IEEE = (STYLES / "ieee.csl").read_text(encoding="utf-8")

AVRICH = {"id": "avrich1967", "type": "book", "title": "The Russian Anarchists",
          "author": [{"family": "Avrich", "given": "Paul"}], "issued": {"date-parts": [[1967]]},
          "publisher": "Princeton University Press", "publisher-place": "Princeton"}
KRONSTADT = {"id": "avrich1970", "type": "book", "title": "Kronstadt 1921",
             "author": [{"family": "Avrich", "given": "Paul"}], "issued": {"date-parts": [[1970]]}}
LIBCOM = {"id": "libcom", "type": "webpage", "title": "1921: The Kronstadt rebellion",
          "container-title": "libcom.org", "URL": "https://libcom.org/history/1921"}
REFERENCES = [AVRICH, KRONSTADT, LIBCOM]


def chapter(title: str, *notes: str) -> Chapter:
    """A chapter whose notes 1, 2, ... hold the given texts."""
    cid = "ch-" + title.lower().replace(" ", "-")
    return Chapter(id=cid, title=title, file=f"{title}.md", html="", sections=[], categories=[],
                   notes=[Note(label=str(n), id=f"{cid}--fn-{n}", html=f"<p>{html.escape(text)}</p>", text=text)
                          for n, text in enumerate(notes, 1)])


def entry_of(chapters: list[Chapter], entries, chapter_no: int, note_no: int):
    """The one entry a note cites."""
    (source,) = chapters[chapter_no].notes[note_no].sources
    return next(e for e in entries if e.id == source)


# ----------------------------------------------------------- free-text merging

def test_back_and_forward_links() -> None:
    chapters = [chapter("One", "Paul Avrich, *The Russian Anarchists* (1967)", "Wikipedia: Stalinism"),
                chapter("Two", "See PAUL AVRICH, *the russian anarchists* (1967).")]
    entries, counts = compile_bibliography(chapters)
    avrich = entry_of(chapters, entries, 0, 0)
    assert [(c.chapter_title, c.note_label, c.note_id) for c in avrich.cited_in] == [
        ("One", "1", "ch-one--fn-1"), ("Two", "1", "ch-two--fn-1")]
    assert chapters[1].notes[0].sources == [avrich.id]
    assert [e.id for e in entries] == ["bibliography--1", "bibliography--2"]
    assert counts == {"notes": 3, "citing_notes": 3, "sources": 2, "merged": 1, "unparsed": 0, "structured": 0}


@pytest.mark.parametrize("a,b", [
    ("Paul Avrich, *The Russian Anarchists* (1967)", "Paul  Avrich, _Russian Anarchists!_ (1967)"),
    ("Voline, *The Unknown Revolution* (1947)", "Voline, *The Unknown Revolution*"),
    ("Wikipedia: Marxism-Leninism, accessed 2026", 'He said so. WIKIPEDIA: "Marxism–Leninism"'),
    ("Wikipedia: Zürich Commune", "Wikipedia: Zurich Commune"),
])
def test_near_duplicates_in_different_chapters_are_one_entry(a: str, b: str) -> None:
    chapters = [chapter("One", a), chapter("Two", b)]
    entries, counts = compile_bibliography(chapters)
    assert len(entries) == 1 and counts["merged"] == 1
    assert [c.chapter_id for c in entries[0].cited_in] == ["ch-one", "ch-two"]


@pytest.mark.parametrize("a,b", [
    ("Paul Avrich, *The Russian Anarchists* (1967)", "Paul Avrich, *Kronstadt 1921* (1970)"),  # same author
    ("Paul Avrich, *The Russian Anarchists* (1967)", "Paul Avrich, *Anarchist Portraits* (1967)"),  # same year too
    ("Voline, *The Unknown Revolution* (1947)", "Voline, *The Unknown Revolution* (1974)"),  # two editions
    ("Paul Avrich, *The Russian Anarchists* (1967)", "Ida Mett, *The Russian Anarchists* (1967)"),
    ("Wikipedia: Kronstadt rebellion", "Britannica: Kronstadt rebellion"),  # same page title, other site
    ("Wikipedia: Kronstadt rebellion", "libcom.org: Kronstadt rebellion"),
    ("Wikipedia: Kronstadt rebellion", "Ida Mett, *Kronstadt rebellion* (1938)"),
])
def test_different_works_stay_apart(a: str, b: str) -> None:
    chapters = [chapter("One", a), chapter("Two", b)]
    entries, counts = compile_bibliography(chapters)
    assert len(entries) == 2 and counts["merged"] == 0
    assert chapters[0].notes[0].sources != chapters[1].notes[0].sources


def test_a_note_citing_a_work_twice_is_listed_once() -> None:
    chapters = [chapter("One", "Paul Avrich, *The Russian Anarchists* (1967); also Paul Avrich, "
                               "*The Russian Anarchists* (1967).")]
    (entry,), _ = compile_bibliography(chapters)
    assert len(entry.cited_in) == 1 and chapters[0].notes[0].sources == [entry.id]


# ---------------------------------------------------------- key citations

@pytest.mark.parametrize("text,items", [
    ("[@avrich1967]", [CiteItem("", "avrich1967", "")]),
    ("[@avrich1967, p. 4]", [CiteItem("", "avrich1967", ", p. 4")]),
    ("[see @a, chap. 2; -@b]", [CiteItem("see ", "a", ", chap. 2"), CiteItem("", "b", "", True)]),
    ("[@doe:2020.x-y/z]", [CiteItem("", "doe:2020.x-y/z", "")]),
    ("[@doe.]", [CiteItem("", "doe", ".")]),  # trailing punctuation is not the key's
    (" [ @a ] ", [CiteItem("", "a", "")]),
])
def test_parse_citation(text: str, items: list[CiteItem]) -> None:
    assert parse_citation(text) == items


@pytest.mark.parametrize("text", [
    "@a", "[@a] and more", "[write to me@example.org]", "[@a; no key here]", "[see@a]", "[]", "[@]",
    "[@a; @b", "Paul Avrich, *The Russian Anarchists* (1967)", "[" + "@a; " * 400 + "@a]",
])
def test_not_a_citation(text: str) -> None:
    assert parse_citation(text) is None


def test_mark_citations() -> None:
    text = ('Text[@avrich1967, p. 4] and<sup data-note="2"></sup> [see @a; -@b]. Mail [me@x.org], '
            "[@link](http://x), [@ref][1], ![@img](x.png), \\[@escaped], `[@code]`, [@c]\n\n"
            "```\n[@fenced]\n```\n\n> quoted [@quoted,\n> p. 9]\n\n[@def]: http://x")
    marked, notes = mark_citations(text, taken=["1", "2", "3", "x"])
    assert list(notes) == ["4", "5", "6", "7"]
    assert marked == ('Text<sup data-note="4"></sup> and<sup data-note="2"></sup> <sup data-note="5"></sup>. '
                      "Mail [me@x.org], [@link](http://x), [@ref][1], ![@img](x.png), \\[@escaped], `[@code]`, "
                      '<sup data-note="6"></sup>\n\n```\n[@fenced]\n```\n\n> quoted <sup data-note="7"></sup>\n\n'
                      "[@def]: http://x")
    assert notes["4"] == r"\[\@avrich1967\, p\. 4\]"


def test_mark_citations_skips_taken_numbers_and_leaves_plain_text_alone() -> None:
    assert mark_citations("[@a] [@b]", taken=["1", "3"])[1].keys() == {"4", "5"}
    plain = "No citations [here], [^1] or in *emphasis* [1]; mail@x.org."
    assert mark_citations(plain) == (plain, {})


def test_code_spans_follow_commonmark() -> None:
    text = "``a ` [@in] ``, ``[@out], `[@in2]`, ` [@out2]"
    marked, notes = mark_citations(text)
    assert marked.count("<sup") == 2 and "[@in]" in marked and "[@in2]" in marked
    assert sorted(notes.values()) == [r"\[\@out2\]", r"\[\@out\]"]


@pytest.mark.parametrize("text", ["[" * 100_000, "[@a" * 30_000, ("[" + "a" * 999) * 100, "`" * 100_000,
                                  "`a" * 50_000, "[" + "@a;" * 30_000 + "]", "```\n" * 20_000,
                                  ("[@a, " + "x" * 900 + "]") * 100])
def test_pathological_markdown_is_fast(text: str) -> None:
    start = time.perf_counter()
    marked, notes = mark_citations(text)
    parse_citation(text)
    assert time.perf_counter() - start < 1.0 and len(marked) >= len(text) // 20


def test_marking_loses_nothing() -> None:
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    pieces = st.sampled_from(["[", "]", "@", "@key", "-@k2", ";", ", p. 4", "see ", " ", "a", "`", "(x)", "!", "\\",
                              ":", "\n", "\n\n", "> ", "```\n", "<sup data-note=\"1\"></sup>"])

    @hypothesis.settings(max_examples=400, deadline=None)
    @hypothesis.given(st.lists(pieces, max_size=30))
    def check(parts: list[str]) -> None:
        text = "".join(parts)
        marked, notes = mark_citations(text, taken={"1"})
        restored = marked
        for label, note in notes.items():
            group = re.sub(r"\\(.)", r"\1", note)  # the note is the group, escaped
            assert parse_citation(group) is not None and label != "1"
            restored = restored.replace(f'<sup data-note="{label}"></sup>', group, 1)
        assert re.sub(r"[\s>]+", "", restored) == re.sub(r"[\s>]+", "", text)

    check()


def test_key_citation_notes_survive_conversion_verbatim() -> None:
    body = "Avrich wrote it [see @avrich1967, p. 4; @libcom] and more [@weird_key:2020-x].\n"
    marked, cites = mark_citations(body, taken={"1"})
    article = Article(file="A.md", title="A", markdown=marked,
                      notes={"1": "Wikipedia: Stalinism", **cites})
    (fragment,) = convert_articles([article])
    assert [n.text for n in fragment.notes] == ["Wikipedia: Stalinism", "[see @avrich1967, p. 4; @libcom]",
                                                "[@weird_key:2020-x]"]
    assert 'href="#ch-a--fn-2"' in fragment.html and 'href="#ch-a--fn-3"' in fragment.html


def test_key_citations_resolve_and_merge_with_free_text() -> None:
    chapters = [chapter("One", "[@avrich1967, p. 4]", "Paul Avrich, *The Russian Anarchists* (1967)"),
                chapter("Two", "[see @libcom; @avrich1970]", "libcom.org: 1921: The Kronstadt rebellion")]
    problems: list = []
    entries, counts = compile_bibliography(chapters, references=REFERENCES, problems=problems)
    assert problems == []
    assert [e.csl["id"] for e in entries] == ["avrich1970", "avrich1967", "libcom"]  # Kronstadt < Russian
    russian, kronstadt, libcom = entries[1], entries[0], entries[2]
    assert [c.note_id for c in russian.cited_in] == ["ch-one--fn-1", "ch-one--fn-2"]
    assert [c.note_id for c in libcom.cited_in] == ["ch-two--fn-1", "ch-two--fn-2"]
    assert chapters[1].notes[0].sources == [kronstadt.id, libcom.id]  # in bibliography order
    assert russian.csl == AVRICH and russian.kind == "work" and libcom.kind == "web"
    # formatted by citeproc (pandoc's Chicago author-date): the references' publisher shows
    assert russian.html == "Avrich, Paul. 1967. <em>The Russian Anarchists</em>. Princeton University Press."
    assert chapters[0].notes[0].html == "<p>(Avrich 1967, 4)</p>"
    assert chapters[1].notes[0].html == "<p>(see Libcom.org, n.d.; Avrich 1970)</p>"  # the site stands for an author
    assert counts == {"notes": 4, "citing_notes": 4, "sources": 3, "merged": 2, "unparsed": 0, "structured": 3}


def test_two_keys_for_one_work_are_one_entry_and_other_editions_are_not() -> None:
    again = {**AVRICH, "id": "avrich-again", "title": "The russian anarchists", "publisher": ""}
    later = {**AVRICH, "id": "avrich1978", "issued": {"date-parts": [[1978]]}}
    chapters = [chapter("One", "[@avrich1967]", "[@avrich-again, p. 2]", "[@avrich1978]")]
    entries, _ = compile_bibliography(chapters, references=[AVRICH, again, later])
    assert [e.csl["id"] for e in entries] == ["avrich1967", "avrich1978"]
    assert [n.sources for n in chapters[0].notes] == [["bibliography--1"], ["bibliography--1"], ["bibliography--2"]]
    assert chapters[0].notes[1].html == "<p>(Avrich 1967, 2)</p>"  # the merged key cites the kept item


def test_free_text_and_a_key_differing_in_year_or_author_stay_apart() -> None:
    chapters = [chapter("One", "[@avrich1967]", "Paul Avrich, *The Russian Anarchists* (1968)",
                        "P. Avrich, *The Russian Anarchists* (1967)", "Ida Mett, *The Russian Anarchists* (1967)")]
    entries, _ = compile_bibliography(chapters, references=REFERENCES)
    # an initial for the given name is the same author: only the other year and the other author stay apart
    assert len(entries) == 3 and [n.sources for n in chapters[0].notes][2] == chapters[0].notes[0].sources
    assert len({tuple(n.sources) for n in chapters[0].notes}) == 3


def test_unknown_keys_are_problems_of_the_chapter_file() -> None:
    chapters = [chapter("One", "[@nokey, p. 3]", "[@avrich1967; @missing]")]
    problems: list = []
    entries, counts = compile_bibliography(chapters, references=REFERENCES, problems=problems)
    assert [(p.file, p.severity) for p in problems] == [("One.md", "warning")] * 2
    assert problems[0].message == ("the citation [@nokey, p. 3] cites @nokey, "
                                   "which neither references.bib nor references.json defines")
    assert "@missing" in problems[1].message
    # a note none of whose keys is known is kept as it was written, as unparsed text
    unparsed = entry_of(chapters, entries, 0, 0)
    assert unparsed.kind == "unparsed" and unparsed.html == "[@nokey, p. 3]"
    assert chapters[0].notes[0].html == "<p>[@nokey, p. 3]</p>"
    assert chapters[0].notes[1].html == "<p>(Avrich 1967)</p>"
    assert counts["structured"] == 1 and counts["unparsed"] == 1


def test_key_citations_without_references_are_free_text() -> None:
    chapters = [chapter("One", "[@avrich1967]")]
    problems: list = []
    (entry,), _ = compile_bibliography(chapters, problems=problems)
    assert entry.kind == "unparsed" and len(problems) == 1


def test_a_reference_and_its_free_text_citation_are_one_entry() -> None:
    item = {"id": "dc", "type": "book", "title": "Anarchism and <i>American</i> Traditions",
            "author": [{"family": "de Cleyre", "given": "Voltairine"}], "issued": {"date-parts": [[1909, 3]]}}
    chapters = [chapter("One", "[@dc]", "Voltairine de Cleyre, *Anarchism and American Traditions* (1909)")]
    (entry,), _ = compile_bibliography(chapters, references=[item])
    assert entry.csl["id"] == "dc" and len(entry.cited_in) == 2


# ------------------------------------------------------------------ styles

NOTES = ["Paul Avrich, *The Russian Anarchists* (1967)", "Wikipedia: Kronstadt rebellion",
         "He said <b>so</b> & *left*."]


def test_tiny_style_formats_every_parsed_entry() -> None:
    chapters = [chapter("One", *NOTES, "[@avrich1970, p. 12]")]
    entries, _ = compile_bibliography(chapters, style=TINY, references=REFERENCES)
    assert [e.html for e in entries] == [
        "[1] AVRICH, Paul, <em>Kronstadt 1921</em> (1970).",
        "[2] AVRICH, Paul, <em>The Russian Anarchists</em> (1967).",
        "[3] Wikipedia, <em>Kronstadt rebellion</em>.",
    ]  # the third note is commentary: it cites nothing
    assert [e.id for e in entries][:3] == ["bibliography--1", "bibliography--2", "bibliography--3"]
    assert chapters[0].notes[3].html == "<p>[1, p. 12]</p>"  # the number is the entry's number


def test_ieee_style() -> None:
    chapters = [chapter("One", *NOTES, "[see @libcom]")]
    entries, _ = compile_bibliography(chapters, style=IEEE, references=REFERENCES)
    assert [e.html.split(" ", 1)[0] for e in entries[:3]] == ["[1]", "[2]", "[3]"]
    assert entries[0].html.startswith("[1] P. Avrich, <em>The Russian Anarchists</em>")
    assert entries[1].html == ("[2] “1921: The Kronstadt rebellion,” <em>libcom.org</em>. "
                               '<a href="https://libcom.org/history/1921">https://libcom.org/history/1921</a>')
    assert entries[2].html == "[3] “Kronstadt rebellion,” <em>Wikipedia</em>."
    assert chapters[0].notes[3].html == "<p>see [2]</p>"  # IEEE puts a prefix outside the brackets
    for entry in entries:  # inline XHTML: it goes inside <span class="bib-text">
        root = etree.fromstring(f"<span>{entry.html}</span>")
        assert not root.xpath("//div | //p")


def test_without_a_style_entries_are_pandocs_chicago_author_date() -> None:
    chapters = [chapter("One", *NOTES)]
    entries, _ = compile_bibliography(chapters)
    assert [e.html for e in entries] == [
        "Avrich, Paul. 1967. <em>The Russian Anarchists</em>.",
        "Wikipedia. n.d. “Kronstadt Rebellion.”",  # Chicago: an authorless page is filed under its site
    ]  # the third note is commentary: it cites nothing


def test_a_broken_style_falls_back_to_the_builtin_format() -> None:
    chapters = [chapter("One", *NOTES)]
    problems: list = []
    entries, _ = compile_bibliography(chapters, style="<style>not CSL</style>", problems=problems)
    assert [e.html for e in entries] == [format_html(item) for n in NOTES for item in parse_note_sources(n)[1]]
    assert entries[0].html == "Avrich, Paul. 1967. <i>The Russian Anarchists</i>."
    assert [(p.file, p.severity) for p in problems] == [("--csl", "warning")]
    assert "citeproc" in problems[0].message


def test_format_entries_order_and_sanitising() -> None:
    evil = {"id": "evil", "type": "book", "title": "<script>alert(1)</script>T <img src=x onerror=alert(1)>",
            "author": [{"literal": "<b onclick=x()>Bad</b>"}], "URL": "javascript:alert(1)"}
    out = format_entries([LIBCOM, evil, AVRICH], TINY)
    # pandoc links the title when the style prints no URL
    assert out[0] == '[1] libcom.org, <em><a href="https://libcom.org/history/1921">1921: The Kronstadt rebellion</a></em>.'
    assert out[2] == "[3] AVRICH, Paul, <em>The Russian Anarchists</em> (1967)."
    for text in out:
        root = etree.fromstring(f"<span>{text}</span>")
        assert {el.tag for el in root.iter()} <= {"span", "em", "a"}
        assert all(dict(el.attrib) == {} or el.get("href", "").startswith("https:") for el in root.iter())
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out[1]  # shown as the text it is
    entries, cited = citeproc([AVRICH], "", ["[@avrich1967, <script>alert(1)</script>]"])
    assert "<script" not in cited[0]
    with pytest.raises(ValueError, match="share an id"):
        citeproc([AVRICH, AVRICH], "")
    with pytest.raises(ValueError, match="not"):
        citeproc([AVRICH], "", ["[@unknown]"])
    with pytest.raises(ValueError, match="not"):
        citeproc([AVRICH], "", ["x\n\n[^9]: text"])
    with pytest.raises(PandocError, match="No citation element"):
        citeproc([AVRICH], "<style xmlns='http://purl.org/net/xbiblio/csl' version='1.0'/>")


# -------------------------------------------------------------- references

BIB = rb"""
@book{avrich1967,
  author = {Avrich, Paul}, title = {The {Russian} Anarchists},
  publisher = {Princeton University Press}, address = {Princeton}, year = {1967}}
@article{mett:1938, author = {Ida Mett}, title = {The Kronstadt Uprising},
  journal = {Solidarity}, year = 1938, url = {https://example.org/k}}
@misc{note, title = {A note}}
"""


def test_load_bibtex() -> None:
    items = load_references("references.bib", BIB)
    assert [(i["id"], i["type"]) for i in items] == [("avrich1967", "book"), ("mett:1938", "article-journal"),
                                                     ("note", "document")]
    assert items[0]["author"] == [{"family": "Avrich", "given": "Paul"}]
    assert items[0]["issued"] == {"date-parts": [[1967]]} and items[1]["URL"] == "https://example.org/k"
    # and they are usable: a citation of a loaded key resolves
    chapters = [chapter("One", "[@mett:1938, p. 4]")]
    entries, counts = compile_bibliography(chapters, references=items)
    assert counts["structured"] == 1 and entries[0].csl["id"] == "mett:1938"


def test_load_csl_json() -> None:
    data = json.dumps([{**AVRICH, "id": 17}, {"id": "x", "title": "No type"}]).encode()
    items = load_references("references.json", data)
    assert [(i["id"], i["type"]) for i in items] == [("17", "book"), ("x", "document")]


@pytest.mark.parametrize("name,data,why", [
    ("references.json", b"{not json", "not valid JSON"),
    ("references.json", b'{"id": "a"}', "array of objects"),
    ("references.json", b'[{"title": "no id"}]', "item 1 has no id"),
    ("references.json", b'[{"id": ""}]', "item 1 has no id"),
    ("references.json", b"[\xff]", "not UTF-8"),
    ("references.bib", b"@book{x, title={A}", "BibTeX"),
    ("references.yaml", b"- id: a", "not a references file"),
])
def test_bad_references(name: str, data: bytes, why: str) -> None:
    with pytest.raises(ReferencesError, match=why):
        load_references(name, data)


# ------------------------------------------------------------------ export

def test_bibliography_json() -> None:
    chapters = [chapter("One", *NOTES, "Sam Dolgoff (ed.), *The Anarchist Collectives* (Montreal: Black Rose, 1974)",
                        "[@avrich1970]", "Wikipedia: Marxism-Leninism, accessed 2026", "[@src3]")]
    entries, _ = compile_bibliography(chapters, references=[*REFERENCES, {**LIBCOM, "id": "src3"}])
    text = bibliography_json(entries).decode("utf-8")
    items = json.loads(text)
    assert [i["id"] for i in items] == [e.csl["id"] for e in entries]  # bibliography order
    assert text.splitlines()[1:-1] == [json.dumps(i, ensure_ascii=False) + "," for i in items[:-1]] \
        + [json.dumps(items[-1], ensure_ascii=False)]  # one entry a line
    assert json.loads(bibliography_json([])) == []
    # entry 3 (Dolgoff) is parsed: its id is not the reference key "src3"
    assert [i["id"] for i in items] == ["avrich1970", "src2", "src3-2", "src3", "src5", "src6"]
    for item in items:
        assert isinstance(item["id"], str) and item["id"] and isinstance(item["title"], str) and item["title"]
        assert item["type"] in {"book", "webpage", "document"}
        for role in ("author", "editor"):
            for name in item.get(role, []):
                assert set(name) in ({"family", "given"}, {"family"}, {"literal"})
        for date in ("issued", "accessed"):
            if date in item:
                assert set(item[date]) == {"date-parts"} and all(isinstance(p, int) for p in item[date]["date-parts"][0])
    by_title = {i["title"]: i for i in items}
    assert by_title["The Anarchist Collectives"]["editor"] == [{"family": "Dolgoff", "given": "Sam"}]
    assert by_title["Marxism-Leninism"] == {"id": "src6", "type": "webpage",
                                            "title": "Marxism-Leninism", "container-title": "Wikipedia",
                                            "accessed": {"date-parts": [[2026]]}}
    assert not [i for i in items if i["type"] == "document"]  # commentary is no source
    # a real CSL consumer reads it back: pandoc formats every item
    assert all(format_entries(items, TINY))


def test_unparsed_titles_are_short() -> None:
    text = "A long remark " * 20
    (entry,), _ = compile_bibliography([chapter("One", text)])
    assert len(entry.csl["title"]) <= 101 and entry.csl["title"].endswith("…")
    assert entry.csl["note"] == " ".join(text.split())


def test_dois_and_urls_from_damaged_pages_make_valid_links() -> None:
    from pipeline.csl import linkable
    assert linkable({"DOI": "10.1086/375492_}_}"})["DOI"] == "10.1086/375492"
    assert linkable({"DOI": "doi:10.1000/xyz."})["DOI"] == "10.1000/xyz"
    assert "DOI" not in linkable({"DOI": "not a doi"})
    assert linkable({"URL": "https://example.org/a b{c}"})["URL"] == "https://example.org/a%20b%7Bc%7D"
    assert linkable({"URL": "http://example.org/ä?x=1"})["URL"] == "http://example.org/ä?x=1"  # an IRI is valid
