"""Planning from an XML export: pages keyed by revision, wikitext stored as it streams, memory bounded."""
from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

import pipeline.dump
from tasks.export import ExportError, list_export, load_page

HEAD = ('<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11">\n<siteinfo><sitename>T'
        '</sitename><case>first-letter</case><namespaces><namespace key="0" case="first-letter" />'
        '<namespace key="1" case="first-letter">Talk</namespace></namespaces></siteinfo>\n')


def _page(title: str, text: str, sha1: str, ns: int = 0) -> str:
    return (f"<page><title>{title}</title><ns>{ns}</ns><id>1</id><revision><id>1</id>"
            f"<timestamp>2026-01-02T03:04:05Z</timestamp><text>{text}</text><sha1>{sha1}</sha1></revision></page>\n")


def _export(path: Path, pages: list[str]) -> Path:
    path.write_text(HEAD + "".join(pages) + "</mediawiki>\n", encoding="utf-8")
    return path


def test_pages_are_listed_by_title_keyed_by_revision_and_stored(tmp_path: Path) -> None:
    export = _export(tmp_path / "w.xml", [_page("b_page", "B", "s1"), _page("A", "A text", "s2"),
                                          _page("Talk:A", "talk", "s3", 1), _page("A", "again", "s4")])
    listing = list_export(export, tmp_path / "cache", "code")
    assert [name for name, _ in listing.articles] == ["A", "B page"]
    assert listing.skipped == 1 and listing.newest == "2026-01-02T03:04:05Z"
    assert [p.message for p in listing.problems] == ["the export holds this page twice (by title); the first is used"]
    page, site = load_page(tmp_path / "cache", dict(listing.articles)["A"])
    assert (page.title, page.text, site.case) == ("A", "A text", "first-letter")
    # Another revision of one page changes its key only.
    again = list_export(_export(tmp_path / "w2.xml", [_page("b_page", "B", "s1"), _page("A", "new", "s9")]),
                        tmp_path / "cache", "code")
    assert dict(again.articles)["B page"] == dict(listing.articles)["B page"]
    assert dict(again.articles)["A"] != dict(listing.articles)["A"]


def test_an_unchanged_export_is_not_parsed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    export = _export(tmp_path / "w.xml", [_page("A", "A", "s1")])
    time.sleep(1.1)  # the export has settled: its listing is kept
    first = list_export(export, tmp_path / "cache", "code")

    def refuse(*args: object) -> None:
        raise AssertionError("the export was parsed again")

    monkeypatch.setattr(pipeline.dump.Dump, "__enter__", refuse)
    assert list_export(export, tmp_path / "cache", "code").articles == first.articles
    with pytest.raises(AssertionError):  # another code version lists it anew
        list_export(export, tmp_path / "cache", "other code")


def test_a_broken_export_is_an_export_error(tmp_path: Path) -> None:
    export = tmp_path / "w.xml"
    export.write_text(HEAD + _page("A", "A", "s1")[:40], encoding="utf-8")
    with pytest.raises(ExportError, match=r"w\.xml: the export ends early \(truncated at byte \d+\)"):
        list_export(export, tmp_path / "cache", "code")


def test_listing_a_large_export_holds_one_page_at_a_time(tmp_path: Path) -> None:
    text = "word " * 2000  # 10 kB a page, 20 MB in all
    export = _export(tmp_path / "big.xml", [_page(f"Page {i}", text, f"s{i}") for i in range(2000)])
    tracemalloc.start()
    try:
        listing = list_export(export, tmp_path / "cache", "code")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(listing.articles) == 2000
    assert peak < 4_000_000, peak  # a fifth of the export: what the listing holds, not the pages


def test_the_wikis_case_rule_decides_a_titles_first_letter(tmp_path: Path) -> None:
    sensitive = HEAD.replace("<case>first-letter</case>", "<case>case-sensitive</case>")
    path = tmp_path / "w.xml"
    path.write_text(sensitive + _page("iPod", "x", "s1") + "</mediawiki>\n", encoding="utf-8")
    assert [name for name, _ in list_export(path, tmp_path / "cache", "code").articles] == ["iPod"]
    _export(path, [_page("iPod", "x", "s1")])
    assert [name for name, _ in list_export(path, tmp_path / "cache2", "code").articles] == ["IPod"]
