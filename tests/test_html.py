"""The one-file HTML as a reader's app: its search index, then the sample book in headless Chromium.

The browser tests drive the system Chromium through Playwright with every request that is not
file: or data: aborted and recorded, and write screenshots for a person to look at.
"""
from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import html as lxml_html

from pipeline.html import build_html, fold, search_index, search_units
from pipeline.model import BibEntry, Book, BookMeta, Chapter, IndexEntry, Note, Part, Section

CHROMIUM = os.environ.get("WIKIBIND_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
WORD = re.compile(r"[^\W_]+")
BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


# --- the search index, without a browser ---------------------------------------------------------

def decode(index: dict) -> tuple[list[str], dict[str, list[int]]]:
    """Read the index as book.js does: the anchors in order, and each word's section numbers."""
    anchors = [f"{owner}--{part}" if part else owner for owner, *parts in index["sections"] for part in parts]
    postings = {}
    for word, gaps in index["words"].items():
        numbers, at, gap, shift = [], 0, 0, 0
        for char in gaps:
            digit = BASE64.index(char)
            gap |= (digit & 31) << shift
            shift += 5
            if digit < 32:
                at += gap
                numbers.append(at)
                gap = shift = 0
        postings[word] = numbers
    for word, bitmap in index["dense"].items():
        bits = base64.b64decode(bitmap)
        postings[word] = [i for i in range(len(bits) * 8) if bits[i >> 3] >> (i & 7) & 1]
    return anchors, postings


def expected_hits(units: list[tuple[str, str]], terms: list[str]) -> list[str]:
    """The anchors of the units holding every term (as a word, or the start of one when longer than a letter)."""
    hits = []
    for anchor, text in units:
        words = set(WORD.findall(fold(text)))
        if all(any(w.startswith(t) if len(t) > 1 else w == t for w in words) for t in terms):
            hits.append(anchor)
    return hits


def small_book(chapters: int = 2) -> Book:
    """A book made by hand: sections, notes, an accented word, markup-like text and a bibliography."""
    made = []
    for i in range(chapters):
        cid = f"ch-page-{i}"
        made.append(Chapter(
            id=cid, title=f"Page {i}", file=f"Page_{i}.md",
            html=(f"<p>Intro of page {i} about mutual aid.</p><!-- secret -->"
                  f'<h2 id="{cid}--history">History</h2><p>The Confederación met in {1900 + i}.</p>'
                  f'<h3 id="{cid}--later">Later</h3><p>&lt;/script&gt;&lt;b&gt; stays text, ﬁnal word{i}.</p>'),
            sections=[Section(2, "History", f"{cid}--history"), Section(3, "Later", f"{cid}--later")],
            notes=[Note(label="1", id=f"{cid}--fn-1", html="<p>Kropotkin, <em>Mutual Aid</em></p>",
                        text="Kropotkin, *Mutual Aid*", ref_ids=[f"{cid}--ref-1"]),
                   Note(label="2", id=f"{cid}--fn-2", html="<p>Ida Mett</p>", text="Ida Mett")],
            categories=[]))
    bib = [BibEntry(id="bibliography--1", kind="work", html="Peter Kropotkin, <em>Fields</em>",
                    sort_key=("kropotkin",), csl={})]
    return Book(meta=BookMeta(title="Small"), chapters=made, bibliography=bib, images={})


def test_fold_matches_what_a_reader_types() -> None:
    assert fold("Confederación Nacional") == "confederacion nacional"
    assert fold("ﬁnal Ⅻ ÉCOLE") == "final xii ecole"
    assert fold("Ελληνικά") == "ελληνικα"


def test_units_are_sections_notes_and_sources() -> None:
    units = search_units(small_book(1))
    assert [a for a, _ in units] == ["ch-page-0", "ch-page-0--history", "ch-page-0--later", "ch-page-0--fn-1",
                                     "ch-page-0--fn-2", "bibliography--1"]
    text = dict(units)
    assert "Intro of page 0" in text["ch-page-0"] and "History" not in text["ch-page-0"]
    assert text["ch-page-0--history"].startswith("History") and "1900" in text["ch-page-0--history"]
    assert text["ch-page-0--fn-1"] == "Kropotkin, Mutual Aid" and text["ch-page-0--fn-2"] == "Ida Mett"
    assert text["bibliography--1"] == "Peter Kropotkin, Fields"


def test_index_holds_every_word_of_every_unit_and_nothing_else() -> None:
    book = small_book(250)  # enough units for bitmaps, and for gaps of three digits (> 1023)
    units = search_units(book)
    index = search_index(book)
    anchors, postings = decode(index)
    assert anchors == [a for a, _ in units]
    rebuilt: dict[int, set[str]] = {}
    for word, numbers in postings.items():
        for n in numbers:
            rebuilt.setdefault(n, set()).add(word)
    assert all(rebuilt.get(n, set()) == set(WORD.findall(fold(text))) for n, (_, text) in enumerate(units))
    assert "history" in index["dense"] and "word7" in index["words"]  # both encodings in use
    assert len(index["words"]["fields"]) == 3 and postings["fields"] == [len(units) - 1]
    assert "confederacion" in postings and "final" in postings and "script" in postings and "secret" not in postings
    assert expected_hits(units, ["mutual", "ai"]) == [a for a in anchors if re.fullmatch(r"ch-page-\d+(--fn-1)?", a)]


def test_index_is_embedded_intact_and_reproducibly() -> None:
    book = small_book(3)
    page = build_html(book)
    assert page == build_html(book)
    tree = lxml_html.fromstring(page)
    scripts = tree.xpath("//script[@type='application/json'][@id='search-index']")
    assert len(scripts) == 1 and json.loads(scripts[0].text) == search_index(book)
    assert len(tree.xpath("//script")) == 3  # the js class, the index, the app: no <script> from the text
    assert b"<script src" not in page and b"<link" not in page


def book_in_parts() -> Book:
    """small_book(3) in two parts, with an index."""
    book = small_book(3)
    book.parts = [Part("Early", "part-early", ["ch-page-0", "ch-page-1"]), Part("Late", "part-late", ["ch-page-2"])]
    book.index = [IndexEntry("History", ["ch-page-1--history"]), IndexEntry("Page 2", ["ch-page-2"]),
                  IndexEntry("Topics", [], ["ch-page-0", "ch-page-2"])]
    return book


def test_parts_group_the_sidebar_and_head_their_chapters() -> None:
    tree = lxml_html.fromstring(build_html(book_in_parts()))
    top = tree.xpath("//nav[@id='contents']/ol/li")
    assert [(li.get("class"), li.findtext("a")) for li in top] == [
        ("toc-part", "Early"), ("toc-part", "Late"), ("toc-chapter", "Bibliography"), ("toc-chapter", "Index"),
        ("toc-chapter", "Article sources")]
    assert top[0].xpath("ol/li/a/@href") == ["#ch-page-0", "#ch-page-1"]
    assert top[0].xpath("ol/li/@class") == ["toc-chapter", "toc-chapter"]
    assert top[0].xpath("ol/li[1]/ol/li/a/@href") == ["#ch-page-0--history"]
    assert [s.get("id") for s in tree.xpath("//main/section")] == [
        "part-early", "ch-page-0", "ch-page-1", "part-late", "ch-page-2", "bibliography", "book-index", "article-sources"]
    assert tree.xpath("string(//section[@id='part-late']/h1)") == "Late"
    ids = set(tree.xpath("//@id"))
    hrefs = tree.xpath("//nav[@id='contents']//a/@href | //section[@id='book-index' or @id='article-sources']//a/@href")
    assert {h[1:] for h in hrefs} <= ids and len(hrefs) > 20
    index = tree.get_element_by_id("book-index")
    assert index.xpath(".//a[@class='index-term']/@href") == ["#ch-page-2"]
    assert index.xpath(".//span[@class='index-refs']/a/@href") == ["#ch-page-1--history"]
    assert index.xpath(".//span[@class='index-category']/a/text()") == ["Page 0", "Page 2"]


@pytest.mark.parametrize(("theme", "scheme"), [("auto", "light dark"), ("light", "light"), ("dark", "dark")])
def test_theme_from_book_toml(theme: str, scheme: str) -> None:
    book = small_book(1)
    book.meta.html_theme = theme
    tree = lxml_html.fromstring(build_html(book))
    assert tree.get("data-theme") == theme and tree.xpath("string(//meta[@name='color-scheme']/@content)") == scheme


# --- the sample book in a real browser -------------------------------------------------------------

@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """The system Chromium, headless; Playwright never downloads a browser here."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright is needed for the browser tests: .venv/bin/pip install playwright")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM} (set WIKIBIND_CHROMIUM)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go, for a person to look at."""
    return tmp_path_factory.mktemp("screenshots")


class Reader:
    """A browser tab on the sample book, in a context where only file: and data: can load."""

    def __init__(self, browser, path: Path, **options) -> None:
        self.context = browser.new_context(**options)
        self.requests: list[str] = []
        self.blocked: list[str] = []
        self.context.on("request", lambda request: self.requests.append(request.url))
        self.context.route(lambda url: not url.startswith(("file:", "data:")), self._block)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(path.as_uri())

    def _block(self, route) -> None:
        self.blocked.append(route.request.url)
        route.abort()

    def outside(self) -> list[str]:
        """Every request that went, or tried to go, beyond the file."""
        return self.blocked + [u for u in self.requests if not u.startswith(("file:", "data:"))]

    def in_view(self, selector: str) -> bool:
        """True when the element's top is on screen."""
        return self.page.eval_on_selector(selector, "e => { const r = e.getBoundingClientRect();"
                                                    " return r.top >= 0 && r.top < innerHeight; }")

    def hash(self) -> str:
        """The fragment the page is at."""
        return self.page.evaluate("location.hash")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_book(browser, sample) -> Iterator:
    """Open the sample book with context options; every tab is checked for requests and script errors."""
    readers: list[Reader] = []

    def opener(**options) -> Reader:
        readers.append(Reader(browser, sample.output("html"), **options))
        return readers[-1]

    yield opener
    for reader in readers:
        assert reader.outside() == [], "the page asked the network for something"
        assert reader.errors == []
        reader.close()


def search(reader: Reader, query: str) -> int:
    """Type a query; return the number of sections the page says match."""
    page = reader.page
    page.fill("#search-input", "")  # an empty query clears the status, so the next one is surely new
    page.wait_for_function("document.querySelector('#search-status').textContent === ''")
    page.fill("#search-input", query)
    page.wait_for_function("document.querySelector('#search-status').textContent !== ''")
    status = page.text_content("#search-status")
    return int(status.split()[0]) if status[0].isdigit() else 0


@pytest.mark.slow
def test_guard_catches_a_request(open_book) -> None:
    reader = open_book(viewport=DESKTOP)
    failed = reader.page.evaluate("fetch('https://example.org/x').then(() => false, () => true)")
    assert failed and reader.blocked == ["https://example.org/x"]
    reader.blocked.clear()
    reader.requests.clear()


@pytest.mark.slow
def test_search_finds_what_the_index_says(open_book, shots: Path) -> None:
    reader = open_book(viewport=DESKTOP)
    page = reader.page
    source = page.text_content("#search-index")
    anchors, postings = decode(json.loads(source))
    for query, terms in [("kropotkin", ["kropotkin"]), ("Mutual  AID", ["mutual", "aid"]), ("the", ["the"]),
                         ("confederacion", ["confederacion"])]:
        found = set(range(len(anchors)))
        for term in terms:
            found &= {n for w, ns in postings.items() if w.startswith(term) for n in ns}
        assert search(reader, query) == len(found) > 0, query
    assert search(reader, "qqzzxq") == 0
    assert "Nothing matches" in page.text_content("#search-status")

    assert search(reader, "confederacion") > 0
    titles = page.eval_on_selector_all("#search-results .result-chapter", "es => es.map(e => e.textContent)")
    assert "Confederación Nacional del Trabajo" in titles[:3]  # a title match ranks first

    assert search(reader, "kropotkin") > 0
    snippets = page.eval_on_selector_all("#search-results li", "es => es.map(e => e.textContent)")
    assert len(snippets) <= 50 and all(re.search("kropotkin", s, re.I) for s in snippets)
    assert page.eval_on_selector_all("#search-results mark", "ms => ms.map(m => m.textContent.toLowerCase())")[0] \
        .startswith("kropotkin")
    page.screenshot(path=shots / "desktop-search.png")
    first = page.get_attribute("#search-results li a", "href")
    page.click("#search-results li a")
    assert reader.hash() == first and reader.in_view(first)


def _go_to(reader, anchor: str) -> None:
    """Follow the contents to `anchor`: the reader must land there and mark it as the current place."""
    reader.page.click(f"#contents a[href='#{anchor}']")
    assert reader.hash() == f"#{anchor}" and reader.in_view(f"#{anchor}")
    reader.page.wait_for_selector(f"#contents a[href='#{anchor}'][aria-current]")


@pytest.mark.slow
def test_wikilink_note_popover_and_current_chapter(open_book, shots: Path) -> None:
    reader = open_book(viewport=DESKTOP)
    page = reader.page
    _go_to(reader, "ch-marxism-leninism")

    link = page.locator("#ch-marxism-leninism p a[href^='#ch-']:not(.noteref)").first
    target = link.get_attribute("href")
    link.click()
    assert reader.hash() == target and reader.in_view(target)
    owner = target.split("--")[0]
    page.wait_for_selector(f"#contents a[href='{owner}'][aria-current]")
    assert page.locator("#contents [aria-current]").count() == 1
    assert page.locator(f"#contents a[href='{owner}'] + ol a").first.is_visible()  # its sections are listed
    assert not page.locator("#contents a[href='#ch-marxism-leninism'] + ol a").first.is_visible()
    assert page.evaluate("""() => { const a = document.querySelector('#contents [aria-current]').getBoundingClientRect(),
        p = document.querySelector('#sidebar-panel').getBoundingClientRect(); return a.top >= p.top && a.bottom <= p.bottom; }""")

    ref = page.locator(f"{owner} a.noteref").first
    note_id = ref.get_attribute("href")
    note_text = page.text_content(f"{note_id} > p:not(.note-label)").strip()
    ref.click()
    popover = page.locator("#note-popover")
    assert popover.evaluate("e => e.matches(':popover-open')") and note_text in popover.text_content()
    assert reader.hash() == target  # the page did not jump to the notes
    assert page.evaluate("document.activeElement.id") == "note-popover"
    box, at = popover.bounding_box(), ref.bounding_box()
    assert at["y"] < box["y"] < at["y"] + 60 and 0 <= box["x"] and box["x"] + box["width"] <= DESKTOP["width"]
    page.screenshot(path=shots / "desktop-note.png")
    page.keyboard.press("Escape")
    assert not popover.evaluate("e => e.matches(':popover-open')")
    assert page.evaluate("document.activeElement.getAttribute('href')") == note_id

    ref.click()
    popover.get_by_role("link", name="Show in the chapter’s notes").click()
    assert reader.hash() == note_id and reader.in_view(note_id)
    assert not popover.evaluate("e => e.matches(':popover-open')")

    page.evaluate("scrollTo(0, 0)")  # back at the title page, the first chapter starts in view
    page.wait_for_selector("#contents a[href='#ch-anarchism'][aria-current]")


@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_themes_follow_the_system(open_book, shots: Path, scheme: str) -> None:
    reader = open_book(viewport=DESKTOP, color_scheme=scheme)
    page = reader.page
    page.click("#contents a[href='#ch-anarchism']")
    page.wait_for_selector("#contents a[href='#ch-anarchism'][aria-current]")
    page.screenshot(path=shots / f"desktop-{scheme}.png")
    luminance = page.evaluate("""() => ['body', '.chapter p'].map(s => {
        const [r, g, b] = getComputedStyle(document.querySelector(s))[s === 'body' ? 'backgroundColor' : 'color']
            .match(/\\d+/g).map(Number);
        return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255; })""")
    background, text = luminance
    assert (background > 0.9 and text < 0.2) if scheme == "light" else (background < 0.15 and text > 0.8)


@pytest.mark.slow
def test_print_shows_the_book_alone(open_book) -> None:
    reader = open_book(viewport=DESKTOP, color_scheme="dark")
    page = reader.page
    page.emulate_media(media="print")
    styles = page.evaluate("""() => ({sidebar: getComputedStyle(document.querySelector('#sidebar')).display,
        breakBefore: getComputedStyle(document.querySelector('.chapter')).breakBefore,
        background: getComputedStyle(document.body).backgroundColor})""")
    assert styles == {"sidebar": "none", "breakBefore": "page", "background": "rgb(255, 255, 255)"}


@pytest.mark.slow
def test_phone_sidebar_toggles(open_book, shots: Path) -> None:
    reader = open_book(viewport=PHONE, is_mobile=True, has_touch=True)
    page = reader.page
    toggle = page.locator("#toc-toggle")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert not page.locator("#contents").is_visible() and not page.locator("#search-input").is_visible()
    page.screenshot(path=shots / "phone-closed.png")
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.locator("#contents").is_visible() and page.locator("#search-input").is_visible()
    page.screenshot(path=shots / "phone-open.png")
    page.click("#contents a[href='#ch-council-communism']")
    assert reader.hash() == "#ch-council-communism" and toggle.get_attribute("aria-expanded") == "false"
    assert not page.locator("#contents").is_visible()
    bar = page.locator("#sidebar").bounding_box()
    title = page.locator("#ch-council-communism--title").bounding_box()
    assert title["y"] >= bar["y"] + bar["height"]  # not hidden under the bar
    page.screenshot(path=shots / "phone-chapter.png")
    page.locator("#ch-council-communism a.noteref").first.click()
    box = page.locator("#note-popover").bounding_box()
    assert 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"]
    page.screenshot(path=shots / "phone-note.png")
    page.keyboard.press("Escape")
    toggle.click()
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.id") == "toc-toggle"


@pytest.mark.slow
def test_keyboard_and_landmarks(open_book) -> None:
    reader = open_book(viewport=DESKTOP)
    page = reader.page
    assert page.get_attribute("html", "lang") == "en"
    for role in ("banner", "navigation", "main", "contentinfo", "search"):
        assert page.get_by_role(role).count() == 1, role
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    box = skip.bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0 and skip.evaluate("e => getComputedStyle(e).outlineStyle") != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "search-input"
    page.keyboard.type("kronstadt")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.closest('#search-results') !== null")


@pytest.mark.slow
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_without_javascript(open_book, shots: Path, viewport: dict) -> None:
    reader = open_book(viewport=viewport, java_script_enabled=False)
    page = reader.page
    assert not page.locator("#toc-toggle").is_visible() and not page.locator("#book-search").is_visible()
    assert page.locator("#contents a[href='#ch-council-communism--legacy']").is_visible()  # sections listed
    page.screenshot(path=shots / f"nojs-{'phone' if viewport is PHONE else 'desktop'}.png")
    page.click("#contents a[href='#ch-council-communism']")
    assert reader.hash() == "#ch-council-communism" and reader.in_view("#ch-council-communism")
    ref = page.locator("#ch-council-communism a.noteref").first
    note_id, ref_id = ref.get_attribute("href"), "#" + ref.get_attribute("id")
    ref.click()
    assert reader.hash() == note_id and reader.in_view(note_id)
    page.click(f"{note_id} .note-label a")
    assert reader.hash() == ref_id and reader.in_view(ref_id)


def _luminance(page) -> tuple[float, float]:
    """The body's background and the text's colour, as relative luminance (0 black, 1 white)."""
    return page.evaluate("""() => ['body', '.chapter p'].map(s => {
        const [r, g, b] = getComputedStyle(document.querySelector(s))[s === 'body' ? 'backgroundColor' : 'color']
            .match(/\\d+/g).map(Number);
        return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255; })""")


@pytest.mark.slow
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_a_chosen_theme_overrides_the_system(browser, tmp_path: Path, theme: str) -> None:
    book = small_book(2)
    book.meta.html_theme = theme
    path = tmp_path / "book.html"
    path.write_bytes(build_html(book))
    reader = Reader(browser, path, viewport=DESKTOP, color_scheme="dark" if theme == "light" else "light")
    try:
        background, text = _luminance(reader.page)
        assert (background > 0.9 and text < 0.2) if theme == "light" else (background < 0.15 and text > 0.8)
        reader.page.emulate_media(media="print")
        assert reader.page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
        assert reader.outside() == [] and reader.errors == []
    finally:
        reader.close()


@pytest.mark.slow
def test_sidebar_parts_and_current_chapter(browser, tmp_path: Path, shots: Path) -> None:
    path = tmp_path / "parts.html"
    path.write_bytes(build_html(book_in_parts()))
    reader = Reader(browser, path, viewport=DESKTOP)
    page = reader.page
    try:
        # every chapter of every part is listed; a chapter's sections only while it is the current one
        assert all(page.locator(f"#contents a[href='#ch-page-{n}']").is_visible() for n in range(3))
        assert page.locator("#contents .toc-part > a").all_text_contents() == ["Early", "Late"]
        page.click("#contents a[href='#ch-page-2']")
        page.wait_for_selector("#contents a[href='#ch-page-2'][aria-current]")
        assert page.locator("#contents a[href='#ch-page-2--history']").is_visible()
        assert not page.locator("#contents a[href='#ch-page-0--history']").is_visible()
        page.screenshot(path=shots / "desktop-parts.png")
        page.click("#contents a[href='#part-early']")
        assert reader.hash() == "#part-early" and reader.in_view("#part-early")
        assert reader.outside() == [] and reader.errors == []
    finally:
        reader.close()


@pytest.mark.slow
def test_index_links_lead_to_their_places(open_book, shots: Path) -> None:
    reader = open_book(viewport=DESKTOP)
    page = reader.page
    _go_to(reader, "book-index")
    assert page.locator("#book-index li.index-entry").count() > 50
    page.screenshot(path=shots / "desktop-index.png")
    letters = page.locator("#book-index .index-letters a")
    last = letters.last.get_attribute("href")
    letters.last.click()
    assert reader.hash() == last and reader.in_view(last)
    for selector in ("#book-index a.index-term", "#book-index .index-refs a", "#book-index .index-category a"):
        page.click("#contents a[href='#book-index']")
        link = page.locator(selector).first
        target = link.get_attribute("href")
        link.click()
        assert reader.hash() == target and reader.in_view(target), selector
        page.wait_for_selector(f"#contents a[href='{target.split('--')[0]}'][aria-current]")
    page.click("#contents a[href='#article-sources']")
    assert reader.in_view("#article-sources")
    assert page.locator("#article-sources li.source-entry").count() == 41
