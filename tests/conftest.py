"""Shared fixtures: the sample book, built once per test session through the CLI."""
from __future__ import annotations

import hashlib
import http.server
import json
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.book import assemble_book
from pipeline.clean import clean_article
from pipeline.config import Selection
from pipeline.convert import convert_articles
from pipeline.model import Book, BookMeta, Chapter, Each, IndexEntry, Section, each
from tasks.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@dataclass
class Built:
    """A finished build: where it is, what it said, and its report."""

    source: Path
    out: Path
    status: int
    report: dict
    temp: Path | None = None  # the temporary folder the build was given, when it was watched

    def output(self, fmt: str) -> Path:
        """Return the path of one output format."""
        return Path(self.report["outputs"][fmt])


def digest(data: bytes) -> str:
    """A whole output as its size and hash: a failed comparison prints a line, not megabytes of bytes."""
    return f"{len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()[:16]}"


def build(source: Path, out: Path, *args: str) -> Built:
    """Run `wikibind build` in-process and load its report."""
    status = main(["build", str(source), "-o", str(out), "--quiet", *args])
    report_path = out / "report.json"
    report = json.loads(report_path.read_text(encoding="utf-8")) if report_path.exists() else {}
    return Built(source, out, status, report)


class CountingServer:
    """A loopback HTTP server that records the path of every request made to it (a build must make none)."""

    def __init__(self, body: bytes = b"", status: int = 200) -> None:
        hits: list[str] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the name is http.server's
                hits.append(self.path)
                self.send_response(status)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.hits = hits
        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> "CountingServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving and free the port."""
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The sample book from examples/, all three formats, built with a temporary folder of its own."""
    temp = tmp_path_factory.mktemp("temp")
    saved, tempfile.tempdir = tempfile.tempdir, str(temp)  # worker processes inherit it
    try:
        built = build(EXAMPLES, tmp_path_factory.mktemp("out"), "--title", "Sample Book")
    finally:
        tempfile.tempdir = saved
    built.temp = temp
    return built


# Pages of a small wiki, for tests of assembly: links, redirects, categories, a section link, a note.
LINK = '"<a   href="{href}" class="wikilink" title="t">"{text}</a>'


def assemble_pages(pages: dict[str, str], selection: Selection | None = None, each: Each = each) -> Book:
    """Assemble a book of Markdown pages given by name, as a build would (`each` as assemble_book takes it)."""
    articles = [clean_article(name, text) for name, text in pages.items()]
    return assemble_book(convert_articles([a for a in articles if not a.redirect]),
                         [a for a in articles if a.redirect], {}, BookMeta(date="2026-01-01T00:00:00Z"), [],
                         selection, each=each)


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


def indexed_book(**fields) -> Book:
    """Two chapters, a section, an index and a licence: a small book for the back matter."""
    chapters = [Chapter("ch-karl-marx", "Karl Marx", "people/Karl_Marx.md", "<p>x</p>",
                        [Section(2, "Capital", "ch-karl-marx--capital")], [], ["People"]),
                Chapter("ch-emile-pouget", "Émile Pouget", "Émile_Pouget.md", "<p>y</p>", [], [], ["People"])]
    index = [IndexEntry("Das Kapital", ["ch-karl-marx--capital"]),
             IndexEntry("Émile Pouget", ["ch-emile-pouget"]),
             IndexEntry("Karl Marx", ["ch-karl-marx"]),
             IndexEntry("Marx", ["ch-karl-marx"]),
             IndexEntry("People", [], ["ch-emile-pouget", "ch-karl-marx"])]
    meta = BookMeta(title="T", rights="CC BY-SA 4.0", date="2026-01-01T00:00:00Z")
    return Book(meta=meta, chapters=chapters, bibliography=[], images={}, index=index, **fields)
