"""Which citations name the same work: strong keys, near matches, short citations.

Rule (`group`), over every citation of a book at once:

1. **Strong keys.** Two citations with the same DOI, the same ISBN or the
   same URL (scheme, ``www.``, a trailing slash and case of the host aside)
   cite the same work; chapters of one book (one ISBN) only with the same title.
2. **Near matches.** Two full citations (with a title) are one work when
   their authors' family names agree (folded: case, diacritics, punctuation;
   for authorless items their container or site) and their titles are at
   least `TITLE_SIMILARITY` alike (rapidfuzz ratio of the folded titles, a
   leading article aside), and their years do not differ. Different titles
   by one author never merge; nor do two years (two editions).
3. **Short citations.** A citation with authors and no title ("Wells,
   p. 73", "Brake (2009)") joins the one full work of the same first
   author (and year, when it gives one) cited anywhere in the book. With no
   such work, or more than one, it stays an entry of its own (short citations
   of the same author and year are one).
4. Citations listed as written (not parsed with confidence) merge only with
   the same text, folded.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from rapidfuzz import fuzz

from ..text import ARTICLES, fold_words as fold, title_key

__all__ = ["TITLE_SIMILARITY", "group", "fold", "families", "year_of", "url_key"]

TITLE_SIMILARITY = 90.0


def families(item: dict) -> tuple[str, ...]:
    """The folded family names (or literal names) of the authors, else the editors."""
    names = item.get("author") or item.get("editor") or []
    out = []
    for name in names if isinstance(names, list) else []:
        if isinstance(name, dict):
            family = " ".join(str(name.get(k, "")) for k in ("non-dropping-particle", "family"))
            out.append(fold(family) or fold(name.get("literal", "")))
    return tuple(x for x in out if x)


def year_of(item: dict) -> str:
    """The year of publication, or ''."""
    issued = item.get("issued")
    if isinstance(issued, dict):
        parts = issued.get("date-parts") or [[]]
        if parts and parts[0]:
            return str(parts[0][0])
        m = re.search(r"\d{4}", str(issued.get("raw", "")))
        return m.group(0) if m else ""
    return ""


def url_key(url: str) -> str:
    """A URL compared loosely: no scheme, ``www.``, trailing slash; the host in lower case."""
    m = re.match(r"(?:[a-z]+://)?(?:www\.)?([^/?#]*)(.*)$", url.strip().strip("<>"), re.I)
    if not m:
        return url
    return m.group(1).casefold() + m.group(2).rstrip("/")


def _strong(item: dict) -> list[str]:
    keys = []
    if item.get("DOI"):
        keys.append("doi:" + str(item["DOI"]).casefold())
    if item.get("ISBN"):
        isbn = "isbn:" + re.sub(r"[^0-9X]", "", str(item["ISBN"]).upper())
        # An ISBN names the whole book: two chapters of it are two works.
        keys.append(isbn + ":" + title_key(item.get("title", ""), ARTICLES) if item.get("type") == "chapter" else isbn)
    if item.get("URL"):
        keys.append("url:" + url_key(str(item["URL"])))
    return keys


class _Sets:
    """Union-find over indexes."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        a, b = self.find(a), self.find(b)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def _who(item: dict) -> tuple[str, ...]:
    """Who a work is filed under: its authors' families, else its container or site."""
    return families(item) or ((fold(item.get("container-title", "")),) if item.get("container-title") else ())


def group(items: Sequence[dict]) -> list[int]:
    """For each item, the index of the first item of its work (see the module rule)."""
    n = len(items)
    sets = _Sets(n)
    strong: dict[str, int] = {}
    for i, item in enumerate(items):
        if item.get("_unparsed"):
            continue
        for key in _strong(item):
            if key in strong:
                sets.union(strong[key], i)
            else:
                strong[key] = i
    # near matches: compare each full citation with one representative of each work by the same people
    reps: dict[tuple[str, ...], list[tuple[int, str, str]]] = {}
    written: dict[str, int] = {}
    for i, item in enumerate(items):
        if item.get("_unparsed"):
            key = fold(item.get("note") or item.get("title", ""))
            if key in written:
                sets.union(written[key], i)
            else:
                written[key] = i
            continue
        if not item.get("title"):
            continue
        who, title, year = _who(item), title_key(item["title"], ARTICLES), year_of(item)
        for j, other_title, other_year in reps.get(who, []):
            if (year and other_year and year != other_year) or not title or not other_title:
                continue
            if title == other_title or fuzz.ratio(title, other_title) >= TITLE_SIMILARITY:
                sets.union(j, i)
                break
        else:
            reps.setdefault(who, []).append((i, title, year))
    # short citations: the one full work of the same first author (and year)
    by_first: dict[str, set[int]] = {}
    years: dict[int, set[str]] = {}
    for i, item in enumerate(items):
        if item.get("title") and not item.get("_unparsed") and families(item):
            root = sets.find(i)
            by_first.setdefault(families(item)[0], set()).add(root)
            years.setdefault(root, set()).add(year_of(item))
    shorts: dict[tuple[str, str], int] = {}
    for i, item in enumerate(items):
        if item.get("title") or item.get("_unparsed") or not families(item):
            continue
        first, year = families(item)[0], year_of(item)
        works = {w for w in by_first.get(first, set()) if not year or year in years[w] or years[w] == {""}}
        if len(works) == 1:
            sets.union(next(iter(works)), i)
        elif (first, year) in shorts:
            sets.union(shorts[(first, year)], i)
        else:
            shorts[(first, year)] = i
    return [sets.find(i) for i in range(n)]
