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
from urllib.parse import unquote

import jinja2

from .bibliography import BIBLIOGRAPHY_ID
from .book import SOURCES_ID, wiki_url
from .bookindex import INDEX_ID, index_groups, term_key
from .model import Book, BookMeta, Chapter, Each, Part, each, image_refs

__all__ = ["TEMPLATES", "environment", "template_for", "render_chapter", "render_bibliography",
           "render_part", "render_index", "render_sources", "body_matter", "back_matter", "render_back",
           "rewrite_links", "rewrite_images", "TocEntry", "contents", "cited_in_groups",
           "INDEX_TITLE", "SOURCES_TITLE"]

INDEX_TITLE = "Index"
SOURCES_TITLE = "Article sources"

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
_HREF = re.compile(r'href="#([^"]+)"')


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


def render_part(part: Part, *, flavour: str) -> str:
    """Return a part's title page as an XHTML `<section class="part">`; its chapters follow it."""
    return template_for("part.xhtml.j2", flavour).render(part=part, flavour=flavour)


def render_index(book: Book, *, flavour: str) -> str:
    """Return the back-of-book index as an XHTML `<section>`, grouped by initial letter.

    Each place a term leads to is a link titled with its chapter (and section);
    in the pdf flavour it is `<a class="pageref">`, which the print stylesheet
    follows with the page number.
    """
    labels = {}
    for chapter in book.chapters:
        labels[chapter.id] = chapter.title
        labels.update((s.id, f"{chapter.title} › {s.title}") for s in chapter.sections)
    groups = []
    for number, (initial, entries) in enumerate(index_groups(book.index), 1):
        rows = []
        for entry in entries:
            refs = [(anchor, labels[anchor]) for anchor in entry.refs]
            # A term that is its chapter's title is itself the link: "Anarchism", not "Anarchism: Anarchism".
            own = next((r for r in refs if term_key(r[1]) == term_key(entry.term)), None)
            rows.append({"term": entry.term, "href": own[0] if own else None,
                         "refs": [r for r in refs if r is not own],
                         "category": [(anchor, labels[anchor]) for anchor in entry.category]})
        groups.append((initial, f"{INDEX_ID}--{number}", rows))
    return template_for("index.xhtml.j2", flavour).render(id=INDEX_ID, title=INDEX_TITLE, groups=groups,
                                                          flavour=flavour)


def render_sources(book: Book, *, flavour: str) -> str:
    """Return the "Article sources" appendix: each chapter's title, source file and wiki address, the licence."""
    # The address is shown as a reader types it (IRI) and linked percent-encoded.
    sources = [(chapter, url, unquote(url)) for chapter in book.chapters
               for url in [wiki_url(book.base_url, chapter.title) if book.base_url else ""]]
    return template_for("sources.xhtml.j2", flavour).render(
        id=SOURCES_ID, title=SOURCES_TITLE, sources=sources, meta=book.meta, base_url=book.base_url,
        flavour=flavour)


def body_matter(book: Book) -> list[Part | Chapter]:
    """Return the book's parts and chapters in reading order: each part just before its chapters."""
    starts = {part.chapter_ids[0]: part for part in book.parts if part.chapter_ids}
    items: list[Part | Chapter] = []
    for chapter in book.chapters:
        if chapter.id in starts:
            items.append(starts[chapter.id])
        items.append(chapter)
    return items


def back_matter(book: Book, *, flavour: str, each: Each = each) -> list[tuple[str, str, str]]:
    """Return the back matter in reading order as (id, title, XHTML): bibliography, index, article sources.

    Each page is rendered (through `each`, see model.Each) from a view of the
    book holding only what that page shows.
    """
    pages = _back(book)
    bodies = each(render_back, [(anchor, _view(book, anchor)) for anchor, _, _ in pages], flavour)
    return [(anchor, title, body) for (anchor, title, _), body in zip(pages, bodies)]


def render_back(anchor: str, view: Book, flavour: str) -> str:
    """Render the back-matter page `anchor` of a book (or of a view of it)."""
    render = {BIBLIOGRAPHY_ID: render_bibliography, INDEX_ID: render_index, SOURCES_ID: render_sources}[anchor]
    return render(view, flavour=flavour)


def _view(book: Book, anchor: str) -> Book:
    """The book as the back-matter page `anchor` sees it: what it shows, and nothing else."""
    if anchor == BIBLIOGRAPHY_ID:
        return Book(meta=BookMeta(), chapters=[], bibliography=book.bibliography, images={})
    heads = [Chapter(id=c.id, title=c.title, file=c.file, html="", notes=[], categories=[],
                     sections=c.sections if anchor == INDEX_ID else []) for c in book.chapters]
    if anchor == INDEX_ID:
        return Book(meta=BookMeta(), chapters=heads, bibliography=[], images={}, index=book.index)
    shown = BookMeta(date=book.meta.date[:10], rights=book.meta.rights)  # the day only: edits that day keep it
    return Book(meta=shown, chapters=heads, bibliography=[], images={}, base_url=book.base_url)


def _back(book: Book) -> list[tuple[str, str, Callable[..., str]]]:
    """The back matter the book has, as (id, title, renderer): one list for the pages and the contents."""
    return [(anchor, title, render) for anchor, title, render, present in (
        (BIBLIOGRAPHY_ID, "Bibliography", render_bibliography, bool(book.bibliography)),
        (INDEX_ID, INDEX_TITLE, render_index, bool(book.index)),
        (SOURCES_ID, SOURCES_TITLE, render_sources, bool(book.chapters))) if present]


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
    """Replace every image's `src="img:NAME"` with what the format needs."""
    out, done = [], 0
    for start, end, name in image_refs(xhtml):
        out += [xhtml[done:start], f'src="{src_for(name)}"']
        done = end
    return "".join(out) + xhtml[done:] if out else xhtml


@dataclass
class TocEntry:
    """One line of the contents: a part, a chapter or a section, with its children."""

    title: str
    anchor: str
    children: list[TocEntry] = field(default_factory=list)
    kind: str = "chapter"  # "part", "chapter" (back matter too) or "section"


def contents(book: Book, *, depth: int = 3) -> list[TocEntry]:
    """Return the contents tree: parts, their chapters and sections to `depth`, then the back matter."""
    entries: list[TocEntry] = []
    part: TocEntry | None = None
    for item in body_matter(book):
        if isinstance(item, Part):
            part = TocEntry(item.title, item.id, kind="part")
            entries.append(part)
            continue
        top = TocEntry(item.title, item.id)
        stack: list[tuple[int, TocEntry]] = [(1, top)]
        for section in item.sections:
            if section.level > depth:
                continue
            while stack[-1][0] >= section.level:
                stack.pop()
            entry = TocEntry(section.title, section.id, kind="section")
            stack[-1][1].children.append(entry)
            stack.append((section.level, entry))
        (part.children if part is not None else entries).append(top)
    entries += [TocEntry(title, anchor) for anchor, title, _ in _back(book)]
    return entries
