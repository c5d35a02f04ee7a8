"""Stage 3: assemble converted fragments into the Book every builder reads."""
from __future__ import annotations

import pickle
import re
import uuid

from urllib.parse import quote, unquote

from .bibliography import BIBLIOGRAPHY_ID, compile_bibliography
from .bookindex import INDEX_ID, index_entries
from .config import Selection
from .links import LinkIndex, LinkStats, build_index, resolve_fragment, section_lookups
from .language import chapter_language
from .model import Article, BibEntry, Book, BookMeta, Chapter, Fragment, Part, Problem, digest_of, image_names
from .leftovers import KINDS
from .reuse import Reuse
from .sanitize import parse_fragment, to_xhtml
from .text import fold
from .titles import normalize_title, slugify, unique

__all__ = ["assemble_book", "select", "group_parts", "title_sort_key", "fill_meta", "wiki_url", "SOURCES_ID",
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
                  references: list[dict] | None = None, reuse: Reuse | None = None) -> Book:
    """Choose and order chapters, settle ids, resolve links and compile the bibliography.

    `reuse` keeps what an earlier build resolved and compiled: a chapter is
    resolved again only when it, any title, redirect or image a link could
    land on, or a section its own links name, changed; the bibliography only
    when a note did.
    """
    problems = list(problems)
    selection = selection or Selection()
    reuse = reuse or Reuse()
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
    _settle_ids(chosen)
    taken: set[str] = set()
    parts = [Part(title, unique("part-" + (slugify(title) or "part"), taken), [f.chapter_id for f in members])
             for title, members in groups]
    index, _ = build_index(chosen, redirects)
    external = {key: wiki_url(selection.base_url, title) for key, title in left_out.items()} \
        if selection.base_url else {}
    for alias, target in full_index.aliases.items():
        if target in external:
            external[alias] = external[target]
    # Every page and image a link could land on, and below, each section a fragment's links name:
    # while those stay, an unchanged fragment resolves alike.
    world = digest_of((index.chapters, index.aliases, external, sorted(images)))
    stats = LinkStats()
    chapters, made_from, parsed, used = [], [], [], set()
    for fragment in chosen:
        made_from.append(digest_of((fragment.digest or fragment, fragment.chapter_id, world,
                                    section_lookups(fragment, index))))
        chapter, its_stats, its_problems, its_images, its_parsed = reuse.fresh(
            ("chapter", made_from[-1]), lambda f=fragment: _resolve(f, index, images, external))
        chapters.append(chapter)
        parsed.append(its_parsed)
        stats.add(its_stats)
        problems += its_problems
        used |= its_images
    intros = _introduce_parts(parts, category_pages, selection, index, images, external, problems)
    used |= intros
    aliases: dict[str, list[str]] = {}
    for alias, target in index.aliases.items():
        aliases.setdefault(index.chapters[target], []).append(alias)
    for chapter, fragment in zip(chapters, chosen):
        chapter.aliases = sorted(aliases.get(chapter.id, []))
        chapter.lang = chapter_language(chapter.title, fragment.lang, meta.language, meta.page_languages)
    bibliography, bib_counts = _bibliography(chapters, parsed, meta.csl_style, references or [], problems, reuse)
    for chapter, source in zip(chapters, made_from):  # final now (the bibliography wrote into the notes)
        for note in chapter.notes:
            note.parsed = None  # the bibliography's alone: no builder carries it
        # A digest of its content, kept by what it is made from (quicker to digest than the chapter):
        # a chapter resolved again alike (another page gained a heading) keeps its digest.
        made = (source, chapter.aliases, chapter.lang, [(note.sources, note.html) for note in chapter.notes])
        chapter.digest = reuse.keep(("digest", made), lambda c=chapter: digest_of(c))
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
                index=index_entries(chapters, reuse) if selection.index else [])


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
        page.notes = []  # an introduction has no notes section: its note calls go too
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


def _resolve(fragment: Fragment, index: LinkIndex, images: dict[str, bytes],
             external: dict[str, str]) -> tuple[Chapter, LinkStats, list[Problem], set[str], bytes]:
    """A fragment's chapter, with the link counts, problems (missing images) and images resolving it gave.

    Its notes' parsed citations come apart, pickled: only compiling the bibliography
    reads them, and a kept chapter loads much quicker without them.
    """
    stats = LinkStats()
    chapter = resolve_fragment(fragment, index, images, stats, external)
    used = {name for text in (chapter.html, *(note.html for note in chapter.notes)) for name in image_names(text)}
    parsed = pickle.dumps([note.parsed for note in chapter.notes], protocol=pickle.HIGHEST_PROTOCOL)
    for note in chapter.notes:
        note.parsed = None
    return chapter, stats, fragment.problems, used, parsed


def _bibliography(chapters: list[Chapter], parsed: list[bytes], style: str, references: list[dict],
                  problems: list[Problem], reuse: Reuse) -> tuple[list[BibEntry], dict[str, int]]:
    """compile_bibliography, kept while the notes, the style and the references stay as they were.

    `parsed` holds each chapter's notes' parsed citations, pickled (see _resolve).
    """
    notes = [note for chapter in chapters for note in chapter.notes]

    def compile_() -> tuple[list[BibEntry], dict[str, int], list[tuple[list[str], str | None]], list[Problem]]:
        for chapter, pickled in zip(chapters, parsed):
            for note, its_parsed in zip(chapter.notes, pickle.loads(pickled)):
                note.parsed = its_parsed
        before = [note.html for note in notes]
        found: list[Problem] = []
        entries, counts = compile_bibliography(chapters, style=style, references=references, problems=found)
        # What compiling writes into the notes: the entries each cites, a key citation's formatted text.
        effects = [(note.sources, None if note.html is old else note.html) for note, old in zip(notes, before)]
        return entries, counts, effects, found

    # Everything compiling reads of a note (its parsed sources are made from its text).
    reads = [(c.id, c.title, c.file, [(n.label, n.id, n.text) for n in c.notes]) for c in chapters]
    entries, counts, effects, found = reuse.fresh(("bibliography", style, references, reads), compile_)
    for note, (sources, html) in zip(notes, effects):
        note.sources = sources
        if html is not None:
            note.html = html
    problems += found
    return entries, counts


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


def _settle_ids(fragments: list[Fragment]) -> None:
    """Make chapter ids unique (two titles can slug alike) by renaming the later one."""
    taken: set[str] = {BIBLIOGRAPHY_ID, INDEX_ID, SOURCES_ID, "contents", "titlepage"}
    for fragment in fragments:
        old = fragment.chapter_id
        new = unique(old, taken)
        if new == old:
            continue
        pattern = re.compile(rf'(?<=["#]){re.escape(old)}(?=--|")')
        fragment.chapter_id = new
        fragment.html = pattern.sub(new, fragment.html)
        for section in fragment.sections:
            section.id = new + section.id[len(old):]
        for note in fragment.notes:
            note.id = new + note.id[len(old):]
            note.ref_ids = [new + r[len(old):] for r in note.ref_ids]
            note.html = pattern.sub(new, note.html)
