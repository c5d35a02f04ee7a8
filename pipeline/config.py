"""`book.toml`: what goes into the book, under what title, and how it looks.

Every key, its type and its default is in SCHEMA (the README's table is made
from the same facts). Unknown keys are reported by name, never silently
ignored; command-line options override the file.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field

from .model import BookMeta, Problem

__all__ = ["SCHEMA", "Selection", "Config", "parse_config"]

# section -> key -> (type, default, what it means)
SCHEMA: dict[str, dict[str, tuple[type, object, str]]] = {
    "book": {
        "title": (str, "Wiki Book", "the book's title"),
        "subtitle": (str, "", "shown on the title page and cover"),
        "authors": (list, [], "list of names (creators in the EPUB, author in the PDF)"),
        "language": (str, "en", "BCP 47 language tag of the text"),
        "publisher": (str, "", "publisher's name"),
        "licence": (str, "", "licence or rights statement, e.g. CC BY-SA 4.0"),
        "identifier": (str, "", "unique identifier; default: a UUID derived from title and language"),
        "cover": (str, "", "cover image file inside the source folder; default: a generated cover"),
    },
    "contents": {
        "articles": (list, [], "explicit ordered list of article titles; default: all articles"),
        "root": (str, "", "start at this article and include what it links to, to `depth` links"),
        "depth": (int, 1, "how many wikilinks away from `root` an article may be"),
        "order": (str, "breadth-first", "with `root`: breadth-first, or alphabetical within each depth"),
        "include_categories": (list, [], "keep only articles in at least one of these categories"),
        "exclude_categories": (list, [], "leave out articles in any of these categories"),
    },
    "links": {
        "base_url": (str, "", "links to articles left out become links to the live wiki at this URL"),
    },
    "pdf": {
        "paper": (str, "a4", "a4, letter, a5 or trade (6 × 9 in)"),
        "duplex": (bool, False, "chapters start on a right-hand page; mirrored margins"),
        "crop_marks": (bool, False, "3 mm bleed with crop and cross marks, for a print shop"),
        "toc_depth": (int, 1, "contents list chapters (1) or also their sections (2, 3)"),
    },
}


@dataclass
class Selection:
    """Which articles go into the book and in what order."""

    articles: list[str] = field(default_factory=list)
    root: str = ""
    depth: int = 1
    order: str = "breadth-first"
    include_categories: list[str] = field(default_factory=list)
    exclude_categories: list[str] = field(default_factory=list)
    base_url: str = ""


@dataclass
class Config:
    """A parsed book.toml: metadata, selection and format options."""

    meta: BookMeta = field(default_factory=BookMeta)
    selection: Selection = field(default_factory=Selection)
    pdf: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def parse_config(data: bytes, name: str = "book.toml") -> tuple[Config, list[Problem]]:
    """Parse book.toml; every unknown or ill-typed key is a problem naming it."""
    problems: list[Problem] = []
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        return Config(), [Problem(name, "error", f"not valid TOML ({err}); the defaults are used")]
    values: dict[str, dict[str, object]] = {}
    for section, table in raw.items():
        if section not in SCHEMA or not isinstance(table, dict):
            problems.append(Problem(name, "warning", f"unknown section [{section}]: ignored"))
            continue
        for key, value in table.items():
            spec = SCHEMA[section].get(key)
            if spec is None:
                problems.append(Problem(name, "warning", f"unknown key '{key}' in [{section}]: ignored"))
            elif not isinstance(value, spec[0]) or (spec[0] is int and isinstance(value, bool)):
                problems.append(Problem(name, "warning", f"[{section}] {key} should be a {spec[0].__name__}, "
                                                         f"not {value!r}: the default is used"))
            else:
                values.setdefault(section, {})[key] = value
    book = values.get("book", {})
    meta = BookMeta(title=book.get("title", "Wiki Book"), subtitle=book.get("subtitle", ""),
                    authors=[str(a) for a in book.get("authors", [])], language=book.get("language", "en"),
                    publisher=book.get("publisher", ""), rights=book.get("licence", ""),
                    identifier=book.get("identifier", ""), cover=book.get("cover", ""))
    contents = values.get("contents", {})
    selection = Selection(**{k: v for k, v in contents.items()}, base_url=values.get("links", {}).get("base_url", ""))
    if selection.order not in ("breadth-first", "alphabetical"):
        problems.append(Problem(name, "warning", f"[contents] order '{selection.order}' is not breadth-first "
                                                 "or alphabetical: breadth-first is used"))
        selection.order = "breadth-first"
    pdf = values.get("pdf", {})
    if "paper" in pdf:
        pdf["paper"] = {"6x9in": "trade", "6x9": "trade"}.get(pdf["paper"].lower(), pdf["paper"].lower())
        if pdf["paper"] not in ("a4", "letter", "a5", "trade"):
            problems.append(Problem(name, "warning", f"[pdf] paper '{pdf.pop('paper')}' is not a4, letter, a5 or "
                                                     "trade: a4 is used"))
    if not 1 <= pdf.get("toc_depth", 1) <= 3:
        problems.append(Problem(name, "warning", f"[pdf] toc_depth {pdf.pop('toc_depth')} is not 1, 2 or 3: 1 is used"))
    return Config(meta=meta, selection=selection, pdf=pdf), problems
