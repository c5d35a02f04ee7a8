"""`book.toml`: what goes into the book, under what title, and how it looks.

Every key's default and type is the default of the dataclass field it fills
(BookMeta, Selection, PartSpec, PdfOptions, Config): `KEYS` says which field
and what the key means, and SCHEMA (and the table in docs/book-toml.md) is made
from them. Unknown keys are reported by name, never silently ignored;
command-line options override the file.
"""
from __future__ import annotations

import re
import tomllib
import typing
from dataclasses import MISSING, dataclass, field, fields
from functools import cache

from .model import BookMeta, Problem
from .titles import normalize_title

__all__ = ["KEYS", "SCHEMA", "THEMES", "PartSpec", "Selection", "Config", "parse_config", "schema", "schema_table",
           "pdf_default", "paper_name"]

# section -> key -> ("Dataclass.field" that holds its value and default, what it means)
KEYS: dict[str, dict[str, tuple[str, str]]] = {
    "book": {
        "title": ("BookMeta.title", "the book's title"),
        "subtitle": ("BookMeta.subtitle", "shown on the title page and cover"),
        "authors": ("BookMeta.authors", "list of names (creators in the EPUB, author in the PDF)"),
        "language": ("BookMeta.language", "BCP 47 language tag of the text"),
        "publisher": ("BookMeta.publisher", "publisher's name"),
        "licence": ("BookMeta.rights", "licence or rights statement, e.g. CC BY-SA 4.0"),
        "identifier": ("BookMeta.identifier", "unique identifier; default: a UUID derived from title and language"),
        "cover": ("BookMeta.cover", "cover image file inside the source folder; default: a generated cover"),
        "languages": ("BookMeta.page_languages", "a page's language by its title, e.g. `{ \"Erde\" = \"de\" }`, "
                                                 "over the one detected in its text"),
    },
    "contents": {
        "articles": ("Selection.articles", "explicit ordered list of article titles; default: all articles"),
        "root": ("Selection.root", "start at this article and include what it links to, to `depth` links"),
        "depth": ("Selection.depth", "how many wikilinks away from `root` an article may be"),
        "order": ("Selection.order", "with `root`: breadth-first, or alphabetical within each depth"),
        "include_categories": ("Selection.include_categories", "keep only articles in at least one of these categories"),
        "exclude_categories": ("Selection.exclude_categories", "leave out articles in any of these categories"),
        "part": ("Selection.parts", "the book's parts, in order, as `[[contents.part]]` tables (below); when given, "
                                    "they name the book's articles"),
        "parts_by": ("Selection.parts_by", "`\"category\"`: one part per category, in alphabetical order "
                                           "(see below); empty: no parts"),
        "index": ("Selection.index", "a back-of-book index of titles, redirects, link texts and categories"),
    },
    "contents.part": {
        "title": ("PartSpec.title", "the part's title"),
        "articles": ("PartSpec.articles", "ordered list of the part's article titles"),
    },
    "links": {
        "base_url": ("Selection.base_url", "links to articles left out become links to the live wiki at this URL"),
        "namespaces": ("Selection.namespaces", "the wiki's own namespaces: `{ category = [...], file = [...], "
                                               "media = [...], drop = [...] }` (drop: links into them are left out)"),
    },
    "pdf": {
        "paper": ("PdfOptions.paper", "a4, letter, a5 or trade (6 × 9 in)"),
        "duplex": ("PdfOptions.duplex", "chapters start on a right-hand page; mirrored margins"),
        "crop_marks": ("PdfOptions.crop_marks", "3 mm bleed with crop and cross marks, for a print shop"),
        "toc_depth": ("PdfOptions.toc_depth", "contents list chapters (1) or also their sections (2, 3)"),
        "font": ("PdfOptions.font", "a font family installed on the machine for the text; default: the shipped "
                                    "Gentium Book Plus"),
        "volume_pages": ("PdfOptions.volume_pages", "print the book in volumes of at most so many pages (0: one PDF)"),
    },
    "html": {
        "theme": ("BookMeta.html_theme", "auto (follows the reader's system setting), light or dark"),
    },
    "source": {
        "media": ("Config.media", "with an XML export as SOURCE: the folder of the wiki's media files its "
                                  "`[[File:…]]` links name (beside the export, or --media)"),
    },
}
# Where book.toml's type differs from the field's: namespaces are written as a table, kept as [prefix, kind] pairs.
_TOML_TYPE = {("links", "namespaces"): dict}
THEMES = ("auto", "light", "dark")
ORDERS = ("breadth-first", "alphabetical")
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


def _owner(name: str) -> type:
    """The dataclass a book.toml key fills."""
    if name == "PdfOptions":
        # Imported when a book.toml has a [pdf] table (or the whole schema is asked for): the pdf
        # package loads WeasyPrint, which an EPUB-only build or a no-op rebuild should not pay for.
        from .pdf.options import PdfOptions

        return PdfOptions
    return {"BookMeta": BookMeta, "Selection": Selection, "PartSpec": PartSpec, "Config": Config}[name]


@cache
def schema(section: str) -> dict[str, tuple[type, object, str]]:
    """Return a book.toml section's keys: key -> (type, default, what it means), from the dataclasses."""
    keys: dict[str, tuple[type, object, str]] = {}
    for key, (where, meaning) in KEYS[section].items():
        owner_name, name = where.split(".")
        owner = _owner(owner_name)
        spec = next(f for f in fields(owner) if f.name == name)
        hint = typing.get_type_hints(owner)[name]
        kind = _TOML_TYPE.get((section, key)) or typing.get_origin(hint) or hint
        default = spec.default if spec.default is not MISSING else \
            spec.default_factory() if spec.default_factory is not MISSING else kind()  # a required field: empty
        keys[key] = (kind, default if isinstance(default, kind) else kind(), meaning)
    return keys


def pdf_default(key: str) -> object:
    """The default of a [pdf] key (PdfOptions's)."""
    return schema("pdf")[key][1]


def __getattr__(name: str) -> object:
    """SCHEMA, built when first asked for (see `_owner`): section -> key -> (type, default, meaning)."""
    if name == "SCHEMA":
        return {section: schema(section) for section in KEYS}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def schema_table() -> str:
    """Return the schema as the Markdown table of book.toml keys in docs/book-toml.md."""
    def toml(value: object) -> str:
        if isinstance(value, bool):
            return str(value).lower()
        return f'"{value}"' if isinstance(value, str) else str(value)

    rows = ["| section | key | default | meaning |", "|---|---|---|---|"]
    for section in KEYS:
        label = f"[[{section}]]" if "." in section else f"[{section}]"  # a dotted section is an array of tables
        rows += [f"| `{label}` | `{key}` | `{toml(default)}` | {meaning} |"
                 for key, (_, default, meaning) in schema(section).items()]
    return "\n".join(rows) + "\n"


def _check(table: dict, section: str, label: str, name: str, problems: list[Problem]) -> dict[str, object]:
    """Return the keys of `table` that the section's schema knows with the right type; report the others by name."""
    values: dict[str, object] = {}
    for key, value in table.items():
        spec = schema(section).get(key)
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
        if section not in KEYS or "." in section or not isinstance(table, dict):
            problems.append(Problem(name, "warning", f"unknown section [{section}]: ignored"))
            continue
        values[section] = _check(table, section, f"[{section}]", name, problems)
    # What a table does not give, the dataclass's default fills.
    book = _fields(values, "book")
    if "authors" in book:
        book["authors"] = [str(a) for a in book["authors"]]
    if "page_languages" in book:
        book["page_languages"] = _languages(book["page_languages"], name, problems)
    meta = BookMeta(**book, **_fields(values, "html"))
    contents, links = _fields(values, "contents"), _fields(values, "links")
    contents["parts"] = _parts(contents.get("parts", []), name, problems)
    links["namespaces"] = _namespaces(links.get("namespaces", {}), name, problems)
    selection = Selection(**contents, **links)
    if selection.order not in ORDERS:
        selection.order, wrong = Selection.order, selection.order
        problems.append(Problem(name, "warning", f"[contents] order '{wrong}' is not {_either(ORDERS)}: "
                                                 f"{selection.order} is used"))
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
    pdf = values.get("pdf", {})  # only the keys given: PdfOptions fills the rest where the PDF is made
    if "paper" in pdf:
        wrong, pdf["paper"] = pdf["paper"], paper_name(pdf["paper"])
        if not pdf["paper"]:
            pdf.pop("paper")
            problems.append(Problem(name, "warning", f"[pdf] paper '{wrong}' is not {_either(_papers())}: "
                                                     f"{pdf_default('paper')} is used"))
    if "volume_pages" in pdf and pdf["volume_pages"] < 0:
        problems.append(Problem(name, "warning", f"[pdf] volume_pages {pdf.pop('volume_pages')} is not a number of "
                                                 "pages: one PDF is made"))
    if "toc_depth" in pdf and not 1 <= pdf["toc_depth"] <= 3:
        problems.append(Problem(name, "warning", f"[pdf] toc_depth {pdf.pop('toc_depth')} is not 1, 2 or 3: "
                                                 f"{pdf_default('toc_depth')} is used"))
    meta.html_theme = meta.html_theme.lower()
    if meta.html_theme not in THEMES:
        meta.html_theme, wrong = BookMeta.html_theme, meta.html_theme
        problems.append(Problem(name, "warning", f"[html] theme '{wrong}' is not {_either(THEMES)}: "
                                                 f"{meta.html_theme} is used"))
    return Config(meta=meta, selection=selection, pdf=pdf, **_fields(values, "source")), problems


def _papers() -> list[str]:
    from .pdf.options import PAPERS  # a paper is named: the PDF's modules are wanted (see `_owner`)

    return list(PAPERS)


def paper_name(name: str) -> str:
    """The PdfOptions paper a name means (case-insensitive; 6x9 is trade), or "" when it names none."""
    name = {"6x9in": "trade", "6x9": "trade"}.get(name.lower(), name.lower())
    return name if name in _papers() else ""


def _fields(values: dict[str, dict[str, object]], section: str) -> dict[str, object]:
    """The keys a section of book.toml gave, named as the dataclass fields they fill."""
    return {KEYS[section][key][0].split(".")[1]: value for key, value in values.get(section, {}).items()}


def _either(choices: typing.Iterable[str]) -> str:
    """`a, b or c`."""
    names = list(choices)
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else "".join(names)
