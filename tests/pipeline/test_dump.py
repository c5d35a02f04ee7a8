"""Reading a MediaWiki XML export: streaming, compressed, broken and hostile files."""
from __future__ import annotations

import bz2
import gzip
import hashlib
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

import pipeline.dump
from conftest import CountingServer
from pipeline.dump import Dump, DumpError, is_dump

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "export" / "export.xml"
CANARY = "CANARY-dump-5e1d-do-not-leak"


def _pages(path: Path) -> list:
    with Dump(path) as dump:
        return [dump.site, *dump.pages()]


def test_reads_pages_siteinfo_and_redirects() -> None:
    site, *pages = _pages(FIXTURE)
    assert site.case == "first-letter"
    assert site.namespaces[14] == "Category" and site.namespaces[6] == "File"
    assert site.namespace_of("category") == 14 and site.namespace_of("Image") == 6  # an old alias
    titles = {p.title: p for p in pages}
    assert {"Bazooka", "Arts Club of Chicago", "Binding test", "The Club", "Talk:Bazooka"} <= set(titles)
    assert titles["The Club"].redirect == "Arts Club of Chicago"
    assert titles["Talk:Bazooka"].namespace == 1
    assert titles["Binding test"].sha1 == "0000000000000000000000000000001"
    assert "{{Internetquelle" in titles["Bazooka"].text  # the wikitext, entities decoded once
    assert titles["Bazooka"].timestamp.startswith("20")


@pytest.mark.parametrize("opener, suffix", [(bz2.compress, ".xml.bz2"), (gzip.compress, ".xml.gz")])
def test_compressed_exports_read_the_same(tmp_path: Path, opener, suffix: str) -> None:
    packed = tmp_path / ("export" + suffix)
    packed.write_bytes(opener(FIXTURE.read_bytes()))
    assert is_dump(packed)
    assert _pages(packed) == _pages(FIXTURE)


def test_a_truncated_export_names_the_byte_offset(tmp_path: Path) -> None:
    cut = tmp_path / "cut.xml"
    cut.write_bytes(FIXTURE.read_bytes()[:50_000])
    with pytest.raises(DumpError, match=r"cut\.xml: the export ends early \(truncated at byte 50000\)"):
        _pages(cut)


def test_a_truncated_bz2_export_is_an_error(tmp_path: Path) -> None:
    data = bz2.compress(FIXTURE.read_bytes())
    cut = tmp_path / "cut.xml.bz2"
    cut.write_bytes(data[:len(data) // 2])
    with pytest.raises(DumpError, match=r"cut\.xml\.bz2: the compressed export is damaged or truncated after byte \d+"):
        _pages(cut)


def test_malformed_xml_names_the_byte_offset(tmp_path: Path) -> None:
    data = FIXTURE.read_bytes()
    at = data.index(b"</title>", 5000)
    bad = tmp_path / "bad.xml"
    bad.write_bytes(data[:at] + b"</titel>" + data[at + 8:])
    with pytest.raises(DumpError) as caught:
        _pages(bad)
    message = str(caught.value)
    assert message.startswith("bad.xml: not well-formed XML at byte ") and "mismatched tag" in message
    offset = int(message.split("at byte ")[1].split(":")[0])
    assert at <= offset <= at + 10


def test_not_an_export_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.xml"
    other.write_text('<?xml version="1.0"?><rss><channel/></rss>')
    with pytest.raises(DumpError, match="not a MediaWiki export"):
        _pages(other)


@pytest.fixture
def server() -> Iterator[CountingServer]:
    """A loopback HTTP server that counts every request made to it."""
    with CountingServer(CANARY.encode()) as counting:
        yield counting


def _hostile(tmp_path: Path, doctype: str, padding: str = "") -> Path:
    path = tmp_path / "hostile.xml"
    path.write_text(f'<?xml version="1.0"?>\n{padding}{doctype}\n<mediawiki><siteinfo><sitename>x</sitename>'
                    "</siteinfo><page><title>A</title><ns>0</ns><id>1</id><revision><id>1</id>"
                    "<text>&x;</text></revision></page></mediawiki>\n", encoding="utf-8")
    return path


def test_an_external_file_entity_is_refused_and_nothing_read(tmp_path: Path) -> None:
    canary = tmp_path / "canary.txt"
    canary.write_text(CANARY)
    path = _hostile(tmp_path, f'<!DOCTYPE mediawiki [ <!ENTITY x SYSTEM "file://{canary}"> ]>')
    with pytest.raises(DumpError, match=r"refused: the export declares a document type \(at byte 22\)") as caught:
        _pages(path)
    assert CANARY not in str(caught.value)


def test_a_url_entity_is_refused_and_nothing_fetched(tmp_path: Path, server: CountingServer) -> None:
    path = _hostile(tmp_path, f'<!DOCTYPE mediawiki [ <!ENTITY x SYSTEM "{server.url}/entity"> ]>')
    with pytest.raises(DumpError, match="refused"):
        _pages(path)
    time.sleep(0.1)
    assert server.hits == []


def test_an_entity_bomb_is_refused_promptly_in_little_memory(tmp_path: Path) -> None:
    lol = ['<!ENTITY x0 "lol">'] + [f'<!ENTITY x{i} "' + f"&x{i - 1};" * 10 + '">' for i in range(1, 12)]
    path = _hostile(tmp_path, "<!DOCTYPE mediawiki [\n" + "\n".join(lol) + '\n<!ENTITY x "&x11;">\n]>')
    tracemalloc.start()
    started = time.process_time()  # CPU time: what other processes do on the machine does not count
    try:
        with pytest.raises(DumpError, match="refused"):
            _pages(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.process_time() - started < 2
    assert peak < 5_000_000


@pytest.mark.parametrize("entities", ['<!ENTITY x SYSTEM "{server}/late">',
                                      '<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY x "&b;&b;&b;">'])
def test_a_doctype_after_a_long_prolog_is_refused_by_the_parser(tmp_path: Path, server: CountingServer,
                                                                  entities: str) -> None:
    """Past the first look at the prolog, the parser itself refuses a DTD (defence in depth)."""
    padding = "<!--" + "x" * 100_000 + "-->\n"
    path = _hostile(tmp_path, f"<!DOCTYPE mediawiki [ {entities.format(server=server.url)} ]>", padding)
    with pytest.raises(DumpError, match=r"refused at byte 1000\d\d: the export declares a document type"):
        _pages(path)
    assert server.hits == []


def test_a_full_history_export_gives_each_pages_last_revision(tmp_path: Path) -> None:
    path = tmp_path / "history.xml"
    revision = "<revision><id>{0}</id><timestamp>2026-01-0{0}T00:00:00Z</timestamp><text>{1}</text>{2}</revision>"
    path.write_text("<mediawiki><siteinfo><sitename>H</sitename></siteinfo><page><title>A_page</title><ns>0</ns>"
                    "<id>1</id>" + revision.format(1, "old", "<sha1>s1</sha1>") + revision.format(2, "new", "")
                    + "</page></mediawiki>", encoding="utf-8")
    _, page = _pages(path)
    assert (page.title, page.text, page.revision_id, page.timestamp) == ("A page", "new", 2, "2026-01-02T00:00:00Z")
    assert page.sha1 == hashlib.sha1(b"new").hexdigest()  # none given: computed from the text


def test_an_endless_page_is_refused_before_it_fills_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline.dump, "MAX_PAGE_XML_BYTES", 1_000_000)  # 64 MB in use: the same rule, smaller
    path = tmp_path / "long.xml"
    text = ("<mediawiki><siteinfo><sitename>L</sitename></siteinfo><page><title>Short</title><ns>0</ns>"
            "<revision><id>1</id><text>fine</text></revision></page><page><title>Long</title><ns>0</ns>"
            "<revision><id>2</id><text>" + "x" * 3_000_000 + "</text></revision></page></mediawiki>")
    path.write_text(text, encoding="utf-8")
    start = text.index("<page><title>Long")
    tracemalloc.start()
    try:
        with pytest.raises(DumpError, match=rf"long\.xml: refused: the page that starts at byte {start} runs past "
                                            r"1,000,000 bytes of XML \(at byte \d+\); no wiki page is that long"):
            _pages(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2_500_000
    assert len(_pages(FIXTURE)) > 1  # real pages are far below the limit
