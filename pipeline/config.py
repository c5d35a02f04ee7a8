"""`book.toml`: what goes into the book, under what title, and how it looks.

Every key, its type and its default is in SCHEMA (the README's table is made
from the same facts). Unknown keys are reported by name, never silently
ignored; command-line options override the file.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field

from .model import BookMeta, Problem
from .titles import normalize_title

__all__ = ["SCHEMA", "THEMES", "PartSpec", "Selection", "Config", "parse_config", "schema_table"]

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
        "languages": (dict, {}, "a page's language by its title, e.g. `{ \"Erde\" = \"de\" }`, over the one "
                                "detected in its text"),
    },
    "contents": {
        "articles": (list, [], "explicit ordered list of article titles; default: all articles"),
        "root": (str, "", "start at this article and include what it links to, to `depth` links"),
        "depth": (int, 1, "how many wikilinks away from `root` an article may be"),
        "order": (str, "breadth-first", "with `root`: breadth-first, or alphabetical within each depth"),
        "include_categories": (list, [], "keep only articles in at least one of these categories"),
        "exclude_categories": (list, [], "leave out articles in any of these categories"),
        "part": (list, [], "the book's parts, in order, as `[[contents.part]]` tables (below); when given, "
                           "they name the book's articles"),
        "parts_by": (str, "", "`\"category\"`: one part per category, in alphabetical order "
                              "(see below); empty: no parts"),
        "index": (bool, True, "a back-of-book index of titles, redirects, link texts and categories"),
    },
    "contents.part": {
        "title": (str, "", "the part's title"),
        "articles": (list, [], "ordered list of the part's article titles"),
    },
    "links": {
        "base_url": (str, "", "links to articles left out become links to the live wiki at this URL"),
        "namespaces": (dict, {}, "the wiki's own namespaces: `{ category = [...], file = [...], media = [...], "
                                 "drop = [...] }` (drop: links into them are left out)"),
    },
    "pdf": {
        "paper": (str, "a4", "a4, letter, a5 or trade (6 × 9 in)"),
        "duplex": (bool, False, "chapters start on a right-hand page; mirrored margins"),
        "crop_marks": (bool, False, "3 mm bleed with crop and cross marks, for a print shop"),
        "toc_depth": (int, 1, "contents list chapters (1) or also their sections (2, 3)"),
        "font": (str, "", "a font family installed on the machine for the text; default: the shipped Gentium Book Plus"),
        "volume_pages": (int, 0, "print the book in volumes of at most so many pages (0: one PDF)"),
    },
    "html": {
        "theme": (str, "auto", "auto (follows the reader's system setting), light or dark"),
    },
    "source": {
        "media": (str, "", "with an XML export as SOURCE: the folder of the wiki's media files its `[[File:…]]` "
                           "links name (beside the export, or --media)"),
    },
}
THEMES = ("auto", "light", "dark")
_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")  # BCP 47, loosely: a language and subtags


@dataclass
class PartSpec:
    """A part as book.toml names it: a title and its articles, in order."""

    title: str
    articles: list[str] = field(default_factory=list)


@dataclass
class Selection:
    """Which articles go into the book, in what order and parts, and what back matter."""

    articles: list[str] = field(default_factory=list)
    root: str = ""
    depth: int = 1
    order: str = "breadth-first"
    include_categories: list[str] = field(default_factory=list)
    exclude_categories: list[str] = field(default_factory=list)
    base_url: str = ""
    parts: list[PartSpec] = field(default_factory=list)  # [[contents.part]]
    parts_by: str = ""  # "category": a part per category
    index: bool = True
    namespaces: list[list[str]] = field(default_factory=list)  # [links] namespaces as [prefix, kind] pairs

    def __post_init__(self) -> None:
        # The task layer hands a Selection over as plain data (dataclasses.asdict): parts come back as dicts.
        self.parts = [p if isinstance(p, PartSpec) else PartSpec(**p) for p in self.parts]


@dataclass
class Config:
    """A parsed book.toml: metadata, selection and format options."""

    meta: BookMeta = field(default_factory=BookMeta)
    selection: Selection = field(default_factory=Selection)
    pdf: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    media: str = ""  # [source] media: the media folder of an XML export, as written (relative to book.toml)


def schema_table() -> str:
    """Return SCHEMA as the README's Markdown table of book.toml keys."""
    def toml(value: object) -> str:
        if isinstance(value, bool):
            return str(value).lower()
        return f'"{value}"' if isinstance(value, str) else str(value)

    rows = ["| section | key | default | meaning |", "|---|---|---|---|"]
    for section, keys in SCHEMA.items():
        label = f"[[{section}]]" if "." in section else f"[{section}]"  # a dotted section is an array of tables
        rows += [f"| `{label}` | `{key}` | `{toml(default)}` | {meaning} |"
                 for key, (_, default, meaning) in keys.items()]
    return "\n".join(rows) + "\n"


def _check(table: dict, section: str, label: str, name: str, problems: list[Problem]) -> dict[str, object]:
    """Return the keys of `table` that SCHEMA[section] knows with the right type; report the others by name."""
    values: dict[str, object] = {}
    for key, value in table.items():
        spec = SCHEMA[section].get(key)
        if spec is None:
            problems.append(Problem(name, "warning", f"unknown key '{key}' in {label}: ignored"))
        elif not isinstance(value, spec[0]) or (spec[0] is int and isinstance(value, bool)):
            problems.append(Problem(name, "warning", f"{label} {key} should be a {spec[0].__name__}, "
                                                     f"not {value!r}: the default is used"))
        else:
            values[key] = value
    return values


def _parts(tables: list, name: str, problems: list[Problem]) -> list[PartSpec]:
    """Check the `[[contents.part]]` tables; a part without a title is numbered, one without articles dropped."""
    parts = []
    for number, table in enumerate(tables, 1):
        named = table.get("title") if isinstance(table, dict) else None
        label = f"[[contents.part]] '{named.strip()}'" if isinstance(named, str) and named.strip() \
            else f"[[contents.part]] {number}"
        if not isinstance(table, dict):
            problems.append(Problem(name, "warning", f"{label} should be a table with a title and articles, "
                                                     f"not {table!r}: ignored"))
            continue
        values = _check(table, "contents.part", label, name, problems)
        title = values.get("title", "").strip()
        if not title:
            title = f"Part {number}"
            problems.append(Problem(name, "warning", f"{label} has no title: it is called '{title}'"))
        articles = [str(a) for a in values.get("articles", [])]
        if not articles:
            problems.append(Problem(name, "warning", f"[[contents.part]] '{title}' names no articles: left out"))
            continue
        parts.append(PartSpec(title, articles))
    return parts


def _languages(table: dict, name: str, problems: list[Problem]) -> dict[str, str]:
    """[book] languages: page title -> BCP 47 tag; a value that is not a tag is reported and left out."""
    languages: dict[str, str] = {}
    for title, tag in table.items():
        if isinstance(tag, str) and _TAG.fullmatch(tag):
            languages[normalize_title(title)] = tag
        else:
            problems.append(Problem(name, "warning", f"[book] languages: {tag!r} for '{title}' is not a language "
                                                     "tag such as \"de\" or \"pt-BR\": ignored"))
    return languages


NAMESPACE_KINDS = ("category", "file", "media", "drop")


def _namespaces(table: dict, name: str, problems: list[Problem]) -> list[list[str]]:
    """Check `[links] namespaces`: kind -> list of prefixes; return sorted [prefix, kind] pairs."""
    pairs = []
    for kind, prefixes in table.items():
        if kind not in NAMESPACE_KINDS:
            problems.append(Problem(name, "warning", f"[links] namespaces: unknown kind '{kind}' (not "
                                                     f"{', '.join(NAMESPACE_KINDS)}): ignored"))
            continue
        if isinstance(prefixes, str):
            prefixes = [prefixes]
        if not isinstance(prefixes, list) or not all(isinstance(p, str) for p in prefixes):
            problems.append(Problem(name, "warning", f"[links] namespaces {kind} should be a list of names, "
                                                     f"not {prefixes!r}: ignored"))
            continue
        pairs += [[prefix.strip().rstrip(":"), kind] for prefix in prefixes if prefix.strip().rstrip(":")]
    return sorted(pairs)


def parse_config(data: bytes, name: str = "book.toml") -> tuple[Config, list[Problem]]:
    """Parse book.toml; every unknown or ill-typed key is a problem naming it."""
    problems: list[Problem] = []
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        return Config(), [Problem(name, "error", f"not valid TOML ({err}); the defaults are used")]
    values: dict[str, dict[str, object]] = {}
    for section, table in raw.items():
        if section not in SCHEMA or "." in section or not isinstance(table, dict):
            problems.append(Problem(name, "warning", f"unknown section [{section}]: ignored"))
            continue
        values[section] = _check(table, section, f"[{section}]", name, problems)
    book = values.get("book", {})
    meta = BookMeta(title=book.get("title", "Wiki Book"), subtitle=book.get("subtitle", ""),
                    authors=[str(a) for a in book.get("authors", [])], language=book.get("language", "en"),
                    publisher=book.get("publisher", ""), rights=book.get("licence", ""),
                    identifier=book.get("identifier", ""), cover=book.get("cover", ""),
                    page_languages=_languages(book.get("languages", {}), name, problems))
    contents = values.get("contents", {})
    parts = _parts(contents.pop("part", []), name, problems)
    selection = Selection(**contents, parts=parts, base_url=values.get("links", {}).get("base_url", ""),
                          namespaces=_namespaces(values.get("links", {}).get("namespaces", {}), name, problems))
    if selection.order not in ("breadth-first", "alphabetical"):
        problems.append(Problem(name, "warning", f"[contents] order '{selection.order}' is not breadth-first "
                                                 "or alphabetical: breadth-first is used"))
        selection.order = "breadth-first"
    selection.parts_by = {"categories": "category"}.get(selection.parts_by.lower(), selection.parts_by.lower())
    if selection.parts_by not in ("", "category"):
        problems.append(Problem(name, "warning", f"[contents] parts_by '{selection.parts_by}' is not category: "
                                                 "no parts are made"))
        selection.parts_by = ""
    if selection.parts:
        # The parts say which articles go in and in what order; other ways of choosing would contradict them.
        for key in ("articles", "root", "parts_by"):
            if getattr(selection, key):
                problems.append(Problem(name, "warning", f"[contents] {key} is ignored: the [[contents.part]] "
                                                         "tables name the book's articles"))
        selection.articles, selection.root, selection.parts_by = [], "", ""
    pdf = values.get("pdf", {})
    if "paper" in pdf:
        pdf["paper"] = {"6x9in": "trade", "6x9": "trade"}.get(pdf["paper"].lower(), pdf["paper"].lower())
        if pdf["paper"] not in ("a4", "letter", "a5", "trade"):
            problems.append(Problem(name, "warning", f"[pdf] paper '{pdf.pop('paper')}' is not a4, letter, a5 or "
                                                     "trade: a4 is used"))
    if pdf.get("volume_pages", 0) < 0:
        problems.append(Problem(name, "warning", f"[pdf] volume_pages {pdf.pop('volume_pages')} is not a number of "
                                                 "pages: one PDF is made"))
    if not 1 <= pdf.get("toc_depth", 1) <= 3:
        problems.append(Problem(name, "warning", f"[pdf] toc_depth {pdf.pop('toc_depth')} is not 1, 2 or 3: 1 is used"))
    meta.html_theme = values.get("html", {}).get("theme", "auto").lower()
    if meta.html_theme not in THEMES:
        problems.append(Problem(name, "warning", f"[html] theme '{meta.html_theme}' is not auto, light or dark: "
                                                 "auto is used"))
        meta.html_theme = "auto"
    return Config(meta=meta, selection=selection, pdf=pdf, media=values.get("source", {}).get("media", "")), problems
