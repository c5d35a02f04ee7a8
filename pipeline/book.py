"""Stage 3: assemble converted fragments into the Book every builder reads."""
from __future__ import annotations

import re
import uuid

from dataclasses import replace
from typing import NamedTuple
from urllib.parse import quote, unquote

from .bibliography import BIBLIOGRAPHY_ID, compile_bibliography
from .bookindex import INDEX_ID, index_entries
from .config import Selection
from .links import LinkIndex, LinkStats, build_index, resolve_fragment, sections_named
from .language import chapter_language
from .model import (Article, BibEntry, Book, BookMeta, Chapter, Each, Fragment, Note, Part, Problem, each,
                    image_names)
from .leftovers import KINDS
from .sanitize import parse_fragment, to_xhtml
from .text import fold
from .titles import normalize_title, slugify, unique

__all__ = ["assemble_book", "resolve_chapter", "compile_notes", "Resolved", "Compiled", "select", "group_parts", "title_sort_key", "fill_meta", "wiki_url", "SOURCES_ID",
           "OTHER_PART"]

SOURCES_ID = "article-sources"
OTHER_PART = "Other"  # with parts_by = "category": the part of the articles filed under no category

_WIKI_HREF = re.compile(r'href="wiki:([^"]*)"')


def title_sort_key(title: str) -> tuple[str, str]:
    """Sort titles as a reader expects: diacritics and case do not count."""
    return fold(title), title


def fill_meta(meta: BookMeta, source_date: str) -> BookMeta:
    """Fill what the user left empty, in one visible chain (as pandoc does)."""
    if not meta.date:
        meta.date = source_date
    if not meta.identifier:
        # Stable across rebuilds of the same book: readers track books by it.
        meta.identifier = "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"wikibind:{meta.title}:{meta.language}"))
    return meta


def assemble_book(fragments: list[Fragment], redirects: list[Article], images: dict[str, bytes],
                  meta: BookMeta, problems: list[Problem], selection: Selection | None = None,
                  references: list[dict] | None = None, each: Each = each) -> Book:
    """Choose and order chapters, settle ids, resolve links and compile the bibliography.

    The work per chapter, the bibliography and the index go through `each`
    (see model.Each), each step a pure function of exactly what it reads: a
    caller that remembers results makes an edit resolve the chapters it
    touched, and compile the bibliography only when a note changed.
    """
    problems = list(problems)
    selection = selection or Selection()
    category_pages = [f for f in fragments if f.category_page]
    leftovers = {f.file: f.leftovers for f in sorted(fragments, key=lambda f: f.file) if f.leftovers}
    every = _settle_titles([f for f in fragments if not f.category_page], problems)
    every.sort(key=lambda f: title_sort_key(f.title))
    full_index, redirect_problems = build_index(every, redirects)
    problems += redirect_problems
    chosen = select(every, full_index, selection, problems)
    groups = group_parts(chosen, full_index, selection, problems)
    if groups:
        chosen = [f for _, members in groups for f in members]  # a part's chapters follow each other
    kept = {id(f) for f in chosen}
    left_out = {normalize_title(f.title): f.title for f in every if id(f) not in kept}
    settled = dict(zip(map(id, chosen), _settle_ids(chosen)))
    chosen = list(settled.values())
    taken: set[str] = set()
    parts = [Part(title, unique("part-" + (slugify(title) or "part"), taken),
                  [settled[id(f)].chapter_id for f in members]) for title, members in groups]
    index, _ = build_index(chosen, redirects)
    external = {key: wiki_url(selection.base_url, title) for key, title in left_out.items()} \
        if selection.base_url else {}
    for alias, target in full_index.aliases.items():
        if target in external:
            external[alias] = external[target]
    # The bibliography reads the notes' text, which resolving links leaves alone: it is asked for first, so
    # an `each` that works in the background compiles it (citeproc) while the chapters resolve.
    cited = [(f.chapter_id, f.title, f.file, [(n.label, n.id, n.text) for n in f.notes], f.citations)
             for f in chosen]
    compiling = each(compile_notes, [(cited, meta.csl_style, references or [])])
    titles = LinkIndex(index.chapters, index.aliases)  # what every link reads; the sections, what each names
    resolved = each(resolve_chapter, [(f, sections_named(f, index)) for f in chosen],
                    titles, sorted(images), external)
    stats = LinkStats()
    chapters, used = [], set()
    for chapter, its_stats, its_problems, its_images in resolved:
        chapters.append(chapter)
        stats.add(its_stats)
        problems += its_problems
        used |= its_images
    used |= _introduce_parts(parts, category_pages, selection, index, images, external, problems)
    aliases: dict[str, list[str]] = {}
    for alias, target in index.aliases.items():
        aliases.setdefault(index.chapters[target], []).append(alias)
    for chapter, fragment in zip(chapters, chosen):
        chapter.aliases = sorted(aliases.get(chapter.id, []))
        chapter.lang = chapter_language(chapter.title, fragment.lang, meta.language, meta.page_languages)
    (compiled,) = compiling
    bibliography, bib_counts, effects, found = compiled
    problems += found
    for note, (sources, html) in zip((note for chapter in chapters for note in chapter.notes), effects):
        note.sources = sources
        if html is not None:
            note.html = html
    book_stats = {
        "articles": len(chapters),
        "redirects": len(redirects),
        "links": {"internal": stats.internal, "dangling": stats.dangling,
                  "missing_sections": stats.missing_sections,
                  "wanted": dict(sorted(stats.wanted.items(), key=lambda kv: (-kv[1], kv[0])))},
        "wanted_by": {t: sorted(by) for t, by in sorted(stats.wanted_by.items())},
        "missing_sections_by": {t: sorted(by) for t, by in sorted(stats.missing_section_by.items())},
        "notes": sum(len(ch.notes) for ch in chapters),
        "empty_notes": sum(note.lost for ch in chapters for note in ch.notes),
        "leftovers": {kind: sum(counts.get(kind, 0) for counts in leftovers.values())
                      for kind in KINDS if any(counts.get(kind) for counts in leftovers.values())},
        "leftovers_by_page": leftovers,
        "category_pages": len(category_pages),
        "sources": len(bibliography),
        "bibliography": bib_counts,
        "images": {"embedded": stats.images_embedded, "missing": sorted(set(stats.images_missing))},
    }
    return Book(meta=meta, chapters=chapters, bibliography=bibliography,
                images={name: images[name] for name in sorted(used)}, stats=book_stats,
                problems=sorted(set(problems), key=lambda p: (p.file, p.severity, p.message)),
                parts=parts, base_url=selection.base_url,
                index=index_entries(chapters, each) if selection.index else [])


def _introduce_parts(parts: list[Part], pages: list[Fragment], selection: Selection, index: LinkIndex,
                     images: dict[str, bytes], external: dict[str, str], problems: list[Problem]) -> set[str]:
    """A category page opens the part made from its category; one that opens none is left out, and said so.

    Returns the images the introductions show.
    """
    by_category = {normalize_title(part.title): part for part in parts} if selection.parts_by == "category" else {}
    used: set[str] = set()
    for page in sorted(pages, key=lambda f: f.file):
        part = by_category.get(normalize_title(page.category_page or ""))
        if part is None or part.intro:
            problems.append(Problem(page.file, "info", f"a category page (of '{page.category_page}'), not an "
                                    "article: left out (with [contents] parts_by = \"category\" it opens its part)"))
            continue
        page = replace(page, notes=[])  # an introduction has no notes section: its note calls go too
        chapter = resolve_fragment(page, index, images, LinkStats(), external)
        root = parse_fragment(chapter.html)
        for call in list(root.iter("sup")):
            if call.find("a") is not None and call.find("a").get("class") == "noteref":
                call.drop_tree()
        for heading in root.iter("h2", "h3", "h4", "h5", "h6"):
            heading.attrib.pop("id", None)
            heading.tag = "p"  # a part's title page has one heading: its title
            heading.set("class", "part-intro-heading")
        part.intro = to_xhtml(root)
        used |= set(image_names(part.intro))
        problems += page.problems
    return used


class Resolved(NamedTuple):
    """A chapter, with the link counts, problems (missing images) and images resolving its fragment gave."""

    chapter: Chapter
    stats: LinkStats
    problems: list[Problem]
    images: set[str]


def resolve_chapter(fragment: Fragment, sections: dict[str, dict[str, str]], titles: LinkIndex,
                    images: list[str], external: dict[str, str]) -> Resolved:
    """Resolve one fragment's links and images against the book's titles and the `sections` its links name."""
    stats = LinkStats()
    index = LinkIndex(titles.chapters, titles.aliases, sections)
    chapter = resolve_fragment(fragment, index, set(images), stats, external)
    used = {name for text in (chapter.html, *(note.html for note in chapter.notes)) for name in image_names(text)}
    return Resolved(chapter, stats, fragment.problems, used)


class Compiled(NamedTuple):
    """The bibliography, and what compiling it writes into the notes."""

    entries: list[BibEntry]
    counts: dict[str, int]
    effects: list[tuple[list[str], str | None]]  # per note in book order: entries it cites, its new html (or None)
    problems: list[Problem]


def compile_notes(cited: list[tuple[str, str, str, list[tuple[str, str, str]], list[tuple]]],
                  style: str, references: list[dict]) -> Compiled:
    """compile_bibliography over exactly what it reads of the chapters: ids, titles, files, notes, their citations.

    `cited` holds per chapter (id, title, file, [(label, id, text) per note], parsed citations per note).
    """
    chapters = [Chapter(id=cid, title=title, file=file, html="", sections=[], categories=[],
                        notes=[Note(label=label, id=nid, html="", text=text) for label, nid, text in notes])
                for cid, title, file, notes, _ in cited]
    problems: list[Problem] = []
    entries, counts = compile_bibliography(chapters, citations=[c[4] for c in cited], style=style,
                                           references=references, problems=problems)
    effects = [(note.sources, note.html or None) for chapter in chapters for note in chapter.notes]
    return Compiled(entries, counts, effects, problems)


def select(fragments: list[Fragment], index: LinkIndex, selection: Selection,
           problems: list[Problem]) -> list[Fragment]:
    """Return the articles the selection asks for, in book order."""
    by_key = {normalize_title(f.title): f for f in fragments}

    def find(title: str, where: str = "[contents]") -> Fragment | None:
        key = normalize_title(title)
        found = by_key.get(index.aliases.get(key, key))
        if found is None:
            problems.append(Problem("book.toml", "warning", f"{where} names '{title}', which is not in the export"))
        return found

    if selection.parts:
        found = [find(title, f"[[contents.part]] '{part.title}'") for part in selection.parts for title in part.articles]
        found = [f for f in found if f is not None]
        chosen = list({id(f): f for f in found}.values())
    elif selection.articles:
        found = [f for f in map(find, selection.articles) if f is not None]
        chosen = list({id(f): f for f in found}.values())  # a title named twice counts once
    elif selection.root:
        chosen = _reachable(find(selection.root), by_key, index, selection)
    else:
        chosen = list(fragments)
    include = {normalize_title(c) for c in selection.include_categories}
    exclude = {normalize_title(c) for c in selection.exclude_categories}
    if include:
        chosen = [f for f in chosen if include & {normalize_title(c) for c in f.categories}]
    if exclude:
        chosen = [f for f in chosen if not exclude & {normalize_title(c) for c in f.categories}]
    return chosen


def group_parts(chosen: list[Fragment], index: LinkIndex, selection: Selection,
                problems: list[Problem]) -> list[tuple[str, list[Fragment]]]:
    """Split the chosen articles into parts: [(title, articles)]; [] when the book has no parts.

    `[[contents.part]]` tables keep their order and the order of their articles;
    an article named in two parts goes in the first. With `parts_by = "category"`
    each article goes under its first category the selection includes, parts
    are alphabetical and keep the book's order inside; articles filed under no
    category come last, under OTHER_PART.
    """
    if selection.parts:
        by_key = {normalize_title(f.title): f for f in chosen}
        home: dict[int, int] = {}  # id(fragment) -> number of its part
        for number, part in enumerate(selection.parts):
            for title in part.articles:
                key = normalize_title(title)
                fragment = by_key.get(index.aliases.get(key, key))
                if fragment is None:
                    continue  # not in the export (reported by select) or filtered out
                first = home.setdefault(id(fragment), number)
                if first != number:
                    problems.append(Problem("book.toml", "warning", f"[[contents.part]] '{part.title}' names "
                                            f"'{fragment.title}', already in part '{selection.parts[first].title}'"
                                            ": it stays there"))
        groups = [(part.title, [f for f in chosen if home.get(id(f)) == number])
                  for number, part in enumerate(selection.parts)]
        for title, members in groups:
            if not members:
                problems.append(Problem("book.toml", "warning", f"[[contents.part]] '{title}' has no article "
                                                                "in the book: left out"))
        return [(title, members) for title, members in groups if members]
    if selection.parts_by != "category":
        return []
    include = {normalize_title(c) for c in selection.include_categories}
    spelling: dict[str, str] = {}
    by_category: dict[str, list[Fragment]] = {}
    other: list[Fragment] = []
    for fragment in chosen:
        keys = [(normalize_title(c), c.strip()) for c in fragment.categories if c.strip()]
        keys = [k for k in keys if not include or k[0] in include]
        if not keys:
            other.append(fragment)
            continue
        key, name = keys[0]
        spelling.setdefault(key, name)
        by_category.setdefault(key, []).append(fragment)
    groups = sorted(((spelling[key], members) for key, members in by_category.items()),
                    key=lambda group: title_sort_key(group[0]))
    return groups + ([(OTHER_PART, other)] if other else [])


def _reachable(root: Fragment | None, by_key: dict[str, Fragment], index: LinkIndex,
               selection: Selection) -> list[Fragment]:
    """Articles within `depth` wikilinks of `root`, breadth-first (or alphabetical per depth)."""
    if root is None:
        return []
    levels, seen = [[root]], {id(root)}
    for _ in range(max(0, selection.depth)):
        level = []
        for fragment in levels[-1]:
            for href in _WIKI_HREF.findall(fragment.html):
                key = normalize_title(unquote(href.partition("#")[0]))
                target = by_key.get(index.aliases.get(key, key))
                if target is not None and id(target) not in seen:
                    seen.add(id(target))
                    level.append(target)
        if not level:
            break
        levels.append(level)
    if selection.order == "alphabetical":
        levels = [sorted(level, key=lambda f: title_sort_key(f.title)) for level in levels]
    return [f for level in levels for f in level]


def wiki_url(base: str, title: str) -> str:
    """The live wiki's address of a page (MediaWiki style: spaces as underscores)."""
    return base + quote(title.replace(" ", "_"), safe="()',:/")


def _settle_titles(fragments: list[Fragment], problems: list[Problem]) -> list[Fragment]:
    """Keep one article per title; the first file (by name) wins a collision."""
    seen: dict[str, Fragment] = {}
    for fragment in sorted(fragments, key=lambda f: f.file):
        key = normalize_title(fragment.title)
        if key in seen:
            problems.append(Problem(fragment.file, "error", f"title collision: '{fragment.title}' is also the "
                                                            f"title of {seen[key].file}; this file was left out"))
            continue
        seen[key] = fragment
    return list(seen.values())


def _settle_ids(fragments: list[Fragment]) -> list[Fragment]:
    """Make chapter ids unique (two titles can slug alike) by renaming the later one (in a copy)."""
    taken: set[str] = {BIBLIOGRAPHY_ID, INDEX_ID, SOURCES_ID, "contents", "titlepage"}
    settled = []
    for fragment in fragments:
        old = fragment.chapter_id
        new = unique(old, taken)
        if new == old:
            settled.append(fragment)
            continue
        pattern = re.compile(rf'(?<=["#]){re.escape(old)}(?=--|")')
        settled.append(replace(
            fragment, chapter_id=new, html=pattern.sub(new, fragment.html),
            sections=[replace(section, id=new + section.id[len(old):]) for section in fragment.sections],
            notes=[replace(note, id=new + note.id[len(old):], ref_ids=[new + r[len(old):] for r in note.ref_ids],
                           html=pattern.sub(new, note.html)) for note in fragment.notes]))
    return settled
