"""What every builder shares: templates, chapter markup and the contents tree.

A builder differs from another only in what a link, an image and a note look
like in its format (Sphinx's `get_target_uri`): it passes those decisions in
as small functions.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import jinja2

from .bibliography import BIBLIOGRAPHY_ID
from .model import Book, Chapter

__all__ = ["TEMPLATES", "environment", "template_for", "render_chapter", "render_bibliography",
           "rewrite_links", "rewrite_images", "TocEntry", "contents", "cited_in_groups"]

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
_HREF = re.compile(r'href="#([^"]+)"')
_IMG = re.compile(r'src="img:([^"]+)"')


@cache
def environment() -> jinja2.Environment:
    """Return the Jinja2 environment over `templates/` (autoescaping on)."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def template_for(name: str, flavour: str) -> jinja2.Template:
    """Return `<flavour>/<name>` when a format overrides the shared template, else `<name>`."""
    return environment().select_template([f"{flavour}/{name}", name])


def render_chapter(chapter: Chapter, *, flavour: str) -> str:
    """Return a chapter as an XHTML `<section>`; `flavour` is html, epub or pdf."""
    return template_for("chapter.xhtml.j2", flavour).render(ch=chapter, flavour=flavour)


def render_bibliography(book: Book, *, flavour: str) -> str:
    """Return the bibliography chapter as an XHTML `<section>`."""
    groups = [("Works", "works", [e for e in book.bibliography if e.kind == "work"]),
              ("Web sources", "web", [e for e in book.bibliography if e.kind == "web"]),
              ("Other notes", "other", [e for e in book.bibliography if e.kind not in ("work", "web")])]
    return template_for("bibliography.xhtml.j2", flavour).render(
        id=BIBLIOGRAPHY_ID, groups=[g for g in groups if g[2]], flavour=flavour,
        cited_in=cited_in_groups)


def cited_in_groups(entry) -> list[tuple[str, list]]:
    """Group an entry's citations by chapter: [(chapter title, [citations])]."""
    groups: dict[str, list] = {}
    for citation in entry.cited_in:
        groups.setdefault(citation.chapter_title, []).append(citation)
    return list(groups.items())


def rewrite_links(xhtml: str, href_for: Callable[[str], str]) -> str:
    """Replace every internal `href="#anchor"` with what the format needs."""
    return _HREF.sub(lambda m: f'href="{href_for(m.group(1))}"', xhtml)


def rewrite_images(xhtml: str, src_for: Callable[[str], str]) -> str:
    """Replace every `src="img:NAME"` with what the format needs."""
    return _IMG.sub(lambda m: f'src="{src_for(m.group(1))}"', xhtml)


@dataclass
class TocEntry:
    """One line of the contents: a chapter or a section, with its children."""

    title: str
    anchor: str
    children: list[TocEntry] = field(default_factory=list)


def contents(book: Book, *, depth: int = 3) -> list[TocEntry]:
    """Return the contents tree: chapters, their sections to `depth`, the bibliography."""
    entries = []
    for chapter in book.chapters:
        top = TocEntry(chapter.title, chapter.id)
        stack: list[tuple[int, TocEntry]] = [(1, top)]
        for section in chapter.sections:
            if section.level > depth:
                continue
            while stack[-1][0] >= section.level:
                stack.pop()
            entry = TocEntry(section.title, section.id)
            stack[-1][1].children.append(entry)
            stack.append((section.level, entry))
        entries.append(top)
    if book.bibliography:
        entries.append(TocEntry("Bibliography", BIBLIOGRAPHY_ID))
    return entries
