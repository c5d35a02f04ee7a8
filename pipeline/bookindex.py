"""The back-of-book index, made from the wiki's own structure.

A wiki has no index markup, but it says what each page is called: its title,
the redirects that lead to it, the categories it is filed under and the words
other pages use when they link to it. Each of those becomes a term:

* a title, a redirect or a link's text leads to the chapter (a link to a
  section leads to that section);
* a category leads to every chapter filed under it.

Terms that differ only in case or accents are one term. Entries sort as a
reader expects (accents and case do not count, nor leading punctuation) and
group by their initial letter.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from .model import Chapter, Each, IndexEntry, each, owner_of
from .text import fold, plain

__all__ = ["INDEX_ID", "MAX_TERM_WORDS", "index_entries", "gather_entries", "index_groups", "term_key"]

INDEX_ID = "book-index"
MAX_TERM_WORDS = 6  # a longer link text is a phrase of its sentence, not a term a reader looks up
_LINK = re.compile(r'<a href="#([^"]+)">(.*?)</a>', re.S)  # resolved wikilinks: nothing but an href
_POSSESSIVE = re.compile(r"[’']s$")
_LEAD = re.compile(r"^[\W_]+")

# Where a term's spelling comes from, best first: a title is spelt as the wiki spells it.
_TITLE, _ALIAS, _CATEGORY, _LINK_TEXT = range(4)


def term_key(text: str) -> str:
    """Fold a term for comparing and sorting: no accents, no case, single spaces."""
    return " ".join(fold(text).split())


@dataclass
class _Term:
    spellings: Counter = field(default_factory=Counter)  # (source rank, text) -> uses
    refs: set[str] = field(default_factory=set)
    category: set[str] = field(default_factory=set)


def index_entries(chapters: list[Chapter], each: Each = each) -> list[IndexEntry]:
    """Return the book's index terms, sorted, each with the places it leads to in book order.

    The terms are gathered (through `each`, see model.Each) from exactly what
    they are made of: titles, aliases, categories, section anchors and links.
    """
    heads = [(c.id, c.title, c.aliases, c.categories, [s.id for s in c.sections], _links(c)) for c in chapters]
    (entries,) = each(gather_entries, [(heads,)])
    return entries


def _links(chapter: Chapter) -> list[tuple[str, str]]:
    """A chapter's links to anchors of the book, as (anchor, inner markup)."""
    return [link for markup in (chapter.html, *(note.html for note in chapter.notes)) if '<a href="#' in markup
            for link in _LINK.findall(markup)]


def gather_entries(heads: list[tuple[str, str, list[str], list[str], list[str], list[tuple[str, str]]]]
                   ) -> list[IndexEntry]:
    """The index of chapters given as (id, title, aliases, categories, section ids, links as (anchor, markup))."""
    order: dict[str, tuple[int, int]] = {}  # anchor -> (chapter, section): book order
    for n, (cid, _, _, _, sections, _) in enumerate(heads):
        order[cid] = (n, 0)
        order.update((section, (n, m)) for m, section in enumerate(sections, 1))
    titles = {cid: term_key(title) for cid, title, *_ in heads}
    terms: dict[str, _Term] = {}

    def add(text: str, rank: int, ref: str | None = None, member: str | None = None, key: str = "") -> None:
        text = " ".join(text.split())
        if not text:
            return
        term = terms.setdefault(key or term_key(text), _Term())
        term.spellings[rank, text] += 1
        if ref is not None:
            term.refs.add(ref)
        if member is not None:
            term.category.add(member)

    link_terms: dict[str, tuple[str, str]] = {}  # a link's inner markup -> (term, its key): texts recur
    for cid, title, aliases, categories, _, own in heads:
        add(title, _TITLE, ref=cid)
        for alias in aliases:
            add(alias, _ALIAS, ref=cid)
        for category in categories:
            add(category, _CATEGORY, member=cid)
        for anchor, inner in own:
            if anchor not in order:  # a note, a bibliography entry: not a wikilink to a chapter
                continue
            found = link_terms.get(inner)
            if found is None:
                text = _link_term(inner)
                found = link_terms[inner] = (text, term_key(text))
            text, key = found
            if text and key != titles[owner_of(anchor)]:
                add(text, _LINK_TEXT, ref=anchor, key=key)
    entries = []
    for key, term in terms.items():
        (_, spelling), _ = min(term.spellings.items(), key=lambda item: (item[0][0], -item[1], item[0][1]))
        refs = sorted(term.refs, key=order.__getitem__)
        category = sorted(term.category - term.refs, key=order.__getitem__)
        entries.append(IndexEntry(spelling, refs, category))
    return sorted(entries, key=_sort_key)


def _link_term(inner: str) -> str:
    """Return a link's text as an index term, or "" when it is not one (a phrase, a number, a URL)."""
    text = plain(inner)
    text = _POSSESSIVE.sub("", text).strip() or text  # "Marx's" is indexed under "Marx"
    if len(text.split()) > MAX_TERM_WORDS or not any(c.isalpha() for c in text) or "://" in text:
        return ""
    return text


def _sort_key(entry: IndexEntry) -> tuple[int, str, str]:
    key = _LEAD.sub("", term_key(entry.term))
    rank = 2 if key[:1].isalpha() else 1 if key[:1].isdigit() else 0  # symbols, then numbers, then letters
    return rank, key, entry.term


def _initial(entry: IndexEntry) -> str:
    """The heading of an entry's group: its first letter, "0–9" or "Symbols"."""
    key = _LEAD.sub("", term_key(entry.term))
    if key[:1].isalpha():
        return key[0].upper()
    return "0–9" if key[:1].isdigit() else "Symbols"


def index_groups(entries: list[IndexEntry]) -> list[tuple[str, list[IndexEntry]]]:
    """Group sorted entries under their initial letter, as a printed index is set."""
    groups: list[tuple[str, list[IndexEntry]]] = []
    for entry in entries:
        initial = _initial(entry)
        if not groups or groups[-1][0] != initial:
            groups.append((initial, []))
        groups[-1][1].append(entry)
    return groups
