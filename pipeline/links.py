"""Stage 3: resolve wikilinks and images into the book's own anchors.

A link to a page in the book points at that chapter (or the section named
after `#`); a link to a redirect points at its target; a link to anything
else becomes plain text and is counted as "wanted", never a dead link.
"""
from __future__ import annotations

import html
import posixpath
import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from functools import lru_cache
from urllib.parse import unquote

from lxml import etree

from .model import Article, Chapter, Fragment, Problem
from .sanitize import parse_fragment, to_xhtml
from .titles import normalize_title

__all__ = ["LinkIndex", "LinkStats", "build_index", "resolve_fragment", "sections_named"]

# Sanitised XHTML gives <a> no attribute but href and never nests links, so a
# wikilink is this exactly: resolving it needs no parse (the slow part of assembly).
_WIKILINK = re.compile(r'<a href="wiki:([^"]*)">(.*?)</a>', re.S)
# A wikilink naming a section: its '#' is literal, or inside a character reference (`&#35;`).
_SECTION_HREF = re.compile(r'href="wiki:([^"]*#[^"]*)"')


@dataclass
class LinkIndex:
    """Every title, alias and section anchor a wikilink can land on."""

    chapters: dict[str, str] = field(default_factory=dict)  # title key -> chapter id
    aliases: dict[str, str] = field(default_factory=dict)  # redirect key -> title key
    sections: dict[str, dict[str, str]] = field(default_factory=dict)  # chapter id -> {heading: anchor}
    found: dict[tuple[str, str], tuple[str | None, bool]] = field(default_factory=dict, repr=False, compare=False)

    def find(self, page: str, section: str) -> tuple[str | None, bool]:
        """Return (anchor, section_missing) for a link target; anchor None when dangling."""
        if (page, section) not in self.found:  # a book links to the same pages over and over
            self.found[page, section] = self._find(page, section)
        return self.found[page, section]

    def _find(self, page: str, section: str) -> tuple[str | None, bool]:
        key = normalize_title(page)
        key = self.aliases.get(key, key)
        chapter = self.chapters.get(key)
        if chapter is None or not section:
            return chapter, False
        wanted = " ".join(unquote(section).replace("_", " ").split())
        anchors = self.sections.get(chapter, {})
        anchor = anchors.get(wanted) or anchors.get(wanted.casefold())
        return (anchor, False) if anchor else (chapter, True)


@dataclass
class LinkStats:
    """Counts for report.json's `links` and `images`."""

    internal: int = 0
    dangling: int = 0
    missing_sections: int = 0
    wanted: Counter = field(default_factory=Counter)
    wanted_by: dict[str, set[str]] = field(default_factory=dict)
    missing_section_by: dict[str, set[str]] = field(default_factory=dict)
    images_embedded: int = 0
    images_missing: list[str] = field(default_factory=list)

    def add(self, other: LinkStats) -> None:
        """Count in another chapter's links."""
        self.internal += other.internal
        self.dangling += other.dangling
        self.missing_sections += other.missing_sections
        self.wanted.update(other.wanted)
        for mine, theirs in ((self.wanted_by, other.wanted_by), (self.missing_section_by, other.missing_section_by)):
            for target, pages in theirs.items():
                mine.setdefault(target, set()).update(pages)
        self.images_embedded += other.images_embedded
        self.images_missing += other.images_missing


def build_index(fragments: list[Fragment], redirects: list[Article]) -> tuple[LinkIndex, list[Problem]]:
    """Index chapters, their sections and the redirects that point at them."""
    index = LinkIndex()
    problems: list[Problem] = []
    for fragment in fragments:
        index.chapters[normalize_title(fragment.title)] = fragment.chapter_id
        anchors: dict[str, str] = {}
        for section in fragment.sections:
            anchors.setdefault(section.title, section.id)
            anchors.setdefault(section.title.casefold(), section.id)
        index.sections[fragment.chapter_id] = anchors
    targets = {normalize_title(r.title): (r.redirect or "", r.file) for r in redirects}
    for alias, (target, file) in targets.items():
        if alias in index.chapters:
            problems.append(Problem(file, "warning", f"redirect '{alias}' has the same title as an "
                                                     "article; the article wins"))
            continue
        seen = [alias]
        key = normalize_title(target)
        while key in targets and key not in index.chapters and key not in seen:
            seen.append(key)
            key = normalize_title(targets[key][0])
        if key in seen:
            problems.append(Problem(file, "warning", "redirect loop: " + " → ".join([*seen, key])))
        elif key not in index.chapters:
            problems.append(Problem(file, "warning", f"redirect to '{target}', which is not in the book"))
        else:
            index.aliases[alias] = key
    return index, problems


def resolve_fragment(fragment: Fragment, index: LinkIndex, images: Collection[str],
                     stats: LinkStats, external: dict[str, str] | None = None) -> Chapter:
    """Return the chapter for a fragment with every wikilink and image resolved (the fragment is left as it is).

    `images` are the names of the book's image files; `external` maps pages
    left out of the book to their address on the live wiki; links to other
    pages not in the book become plain text.
    """
    external = external or {}
    notes = [replace(note, html=_resolve_html(note.html, fragment, index, images, stats, external))
             for note in fragment.notes]
    return Chapter(id=fragment.chapter_id, title=fragment.title, file=fragment.file,
                   html=_resolve_html(fragment.html, fragment, index, images, stats, external),
                   sections=fragment.sections, notes=notes, categories=fragment.categories)


def sections_named(fragment: Fragment, index: LinkIndex) -> dict[str, dict[str, str]]:
    """The headings a fragment's links read: per chapter its links name with a section, those sections' anchors.

    A link without a section reads only titles and redirects, and one with a
    section reads that heading alone, so a heading added to one page changes
    how the pages naming it resolve, not the whole book.
    """
    named: dict[str, dict[str, str]] = {}
    for text in (fragment.html, *(note.html for note in fragment.notes)):
        for target in _SECTION_HREF.findall(text):
            page, section = _split(html.unescape(target))
            key = normalize_title(page or fragment.title)
            chapter = index.chapters.get(index.aliases.get(key, key))
            if section and chapter is not None:
                anchors = index.sections.get(chapter, {})
                wanted = " ".join(unquote(section).replace("_", " ").split())
                found = named.setdefault(chapter, {})
                found.update((k, anchors[k]) for k in (wanted, wanted.casefold()) if k in anchors)
    return dict(sorted(named.items()))


def _resolve_html(xhtml: str, fragment: Fragment, index: LinkIndex, images: Collection[str],
                  stats: LinkStats, external: dict[str, str]) -> str:
    """Resolve the wikilinks and images of one piece of XHTML."""
    if "<img" not in xhtml:
        return _WIKILINK.sub(lambda m: _link_markup(m, fragment, index, stats, external), xhtml) \
            if 'href="wiki:' in xhtml else xhtml
    root = parse_fragment(xhtml)
    _resolve_links(root, fragment, index, stats, external)
    _resolve_images(root, fragment, images, stats)
    return to_xhtml(root)


def _link_markup(match: re.Match, fragment: Fragment, index: LinkIndex, stats: LinkStats,
                 external: dict[str, str]) -> str:
    """One wikilink's markup, resolved: a link to its anchor or the live wiki, else its bare text."""
    href = _resolve_href(html.unescape(match.group(1)), fragment, index, stats, external)
    return match.group(2) if href is None else f'<a href="{_attribute(href)}">{match.group(2)}</a>'


@lru_cache(maxsize=1 << 16)
def _split(target: str) -> tuple[str, str]:
    """A wikilink target as (page title, section), the title percent-decoded."""
    page, _, section = target.partition("#")
    return unquote(page), section


def _attribute(value: str) -> str:
    """Escape an attribute value as lxml serialises it (so both paths give the same bytes)."""
    return html.escape(value, quote=False).replace('"', "&quot;")


def _resolve_links(root: etree._Element, fragment: Fragment, index: LinkIndex, stats: LinkStats,
                   external: dict[str, str]) -> None:
    for link in list(root.iter("a")):
        href = link.get("href", "")
        if not href.startswith("wiki:"):
            continue
        resolved = _resolve_href(href[5:], fragment, index, stats, external)
        if resolved is None:
            link.drop_tag()  # dangling: its text stays, the link goes
        else:
            link.set("href", resolved)


def _resolve_href(target: str, fragment: Fragment, index: LinkIndex, stats: LinkStats,
                  external: dict[str, str]) -> str | None:
    """Where a wikilink's target (after `wiki:`) leads in the book; None when it leads nowhere."""
    page, section = _split(target)
    page = page or fragment.title
    anchor, section_missing = index.find(page, section)
    if anchor is None:
        stats.dangling += 1
        title = normalize_title(page)
        if title in external:
            return external[title]
        stats.wanted[title] += 1
        stats.wanted_by.setdefault(title, set()).add(fragment.title)
        return None
    stats.internal += 1
    if section_missing:
        stats.missing_sections += 1
        wanted = f"{normalize_title(page)}#{unquote(section).replace('_', ' ')}"
        stats.missing_section_by.setdefault(wanted, set()).add(fragment.title)
    return "#" + anchor


def _resolve_images(root: etree._Element, fragment: Fragment, images: Collection[str],
                    stats: LinkStats) -> None:
    for img in list(root.iter("img")):
        src = img.get("src", "")
        name = _local_name(src)
        caption = _caption_of(img)
        if name is not None and name in images:
            img.set("src", "img:" + name)
            img.set("alt", img.get("alt") or caption or posixpath.basename(name))
            img.attrib.pop("title", None)
            stats.images_embedded += 1
            continue
        stats.images_missing.append(src)
        why = "is not in the source folder" if name is not None else "is not a file of the book (only local images are used)"
        fragment.problems.append(Problem(fragment.file, "warning", f"image '{src}' {why}; its caption is kept"))
        text = img.get("alt") or ("" if caption or name is None else posixpath.basename(name))
        parent = img.getparent()
        if text:
            span = etree.Element("span", {"class": "missing-image"})
            span.text = f"[{text}]"
            span.tail = img.tail
            parent.replace(img, span)
        else:
            img.drop_tree()


def _local_name(src: str) -> str | None:
    """Return the source-relative name of a local image, None for anything else."""
    src = unquote(src.strip())
    if not src or ":" in src.split("/")[0] or src.startswith(("/", "\\")):
        return None
    name = posixpath.normpath(src.replace("\\", "/"))
    return None if name.startswith("..") else name


def _caption_of(img: etree._Element) -> str:
    figure = img.getparent()
    while figure is not None and figure.tag != "figure":
        figure = figure.getparent()
    caption = figure.find("figcaption") if figure is not None else None
    return " ".join("".join(caption.itertext()).split()) if caption is not None else ""
