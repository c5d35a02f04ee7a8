"""Golden cases: clean + resolve on fixed input, compared with reviewed output.

Refresh after a deliberate change with WIKIBIND_GOLDEN=overwrite and review
the diff of tests/golden/ like any other change.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipeline.book import assemble_book
from pipeline.clean import read_article
from pipeline.convert import convert_articles
from pipeline.model import Article, BookMeta, SourceFile
from pipeline.source import read_images

GOLDEN = Path(__file__).parent / "golden"
OVERWRITE = os.environ.get("WIKIBIND_GOLDEN") == "overwrite"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "input").is_dir())


def _clean_text(article: Article) -> str:
    head = [f"title: {article.title}", f"categories: {article.categories}", f"redirect: {article.redirect}"]
    notes = [f"[^{label}]: {text}" for label, text in article.notes.items()]
    return "\n".join(head) + "\n---\n" + article.markdown + "---\n" + "\n".join(notes) + "\n"


def _outputs(case: Path) -> dict[str, str]:
    files = sorted((case / "input").glob("*.md"))
    articles = [read_article(SourceFile(f.name, f.read_bytes())) for f in files]
    out = {f"{Path(a.file).stem}.clean.md": _clean_text(a) for a in articles}
    images, _ = read_images(case / "input")
    book = assemble_book(convert_articles([a for a in articles if not a.redirect]),
                         [a for a in articles if a.redirect], images,
                         BookMeta(date="2026-01-01T00:00:00Z", identifier="urn:test"), [])
    for chapter in book.chapters:
        notes = "".join(f'\n<!-- note {n.label} ({n.id}) → {n.sources} -->\n{n.html}' for n in chapter.notes)
        out[f"{chapter.id}.xhtml"] = chapter.html + notes
    stats = {k: v for k, v in book.stats.items() if k != "bibliography"}
    stats["problems"] = [p.as_dict() for p in book.problems]
    out["stats.json"] = json.dumps(stats, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    return out


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str) -> None:
    expected_dir = GOLDEN / case / "expected"
    got = _outputs(GOLDEN / case)
    if OVERWRITE:
        expected_dir.mkdir(exist_ok=True)
        for old in expected_dir.iterdir():
            old.unlink()
        for name, text in got.items():
            (expected_dir / name).write_text(text, encoding="utf-8")
    expected = {p.name: p.read_text(encoding="utf-8") for p in expected_dir.iterdir()}
    assert sorted(got) == sorted(expected)
    for name in got:
        assert got[name] == expected[name], f"{case}/{name} differs (WIKIBIND_GOLDEN=overwrite to refresh)"
