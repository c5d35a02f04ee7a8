"""Shared fixtures: the sample book, built once per test session through the CLI."""
from __future__ import annotations

import http.server
import json
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

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
