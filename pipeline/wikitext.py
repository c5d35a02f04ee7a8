"""Wikitext to the book model's `Article`: what the Markdown export lost, read from the source.

One page at a time, `mwparserfromhell` parses the wikitext; a walk over its
nodes takes out what the book models itself and leaves the rest for pandoc's
MediaWiki reader, which converts many pages (and their notes and captions)
per run, separated by split tokens, as stage 2 does with Markdown:

* ``[[Page#Section|text]]`` becomes the model's ``<a href="wiki:Page#Section">``
  (a word right after the brackets joins the text, as MediaWiki's link trail);
  category links become the article's categories; interlanguage links go.
* ``[[File:…]]`` becomes a figure (its caption converted as a segment of its
  own) whose image is looked up by the file's name in the media folder.
* ``<ref>`` becomes a note where it stood; ``<ref name=…/>`` reuses it, and a
  named note defined anywhere (in ``<references>`` too) is found.
* Citation templates (the English ``cite …`` family and ``citation``, German
  ``Internetquelle``, ``Literatur``, ``Webarchiv``, French ``Lien web``,
  ``Ouvrage``, ``Article``) become CSL items straight from their parameters,
  with an id derived from their content. A note that cites them is the
  pandoc citation ``[@id]`` (text around the templates becomes its prefix
  and suffix), which joins the book's structured sources path: citeproc
  formats the note and the entry, and the same work cited elsewhere merges.
  ``{{sfn}}`` and ``{{harvnb}}`` short citations cite the full template of
  the same page whose authors and year they name.
* Infoboxes become a two-column table; a few templates whose content is text
  (``lang``, ``nowrap``, ``convert``, ``quote`` …) keep it; every other template is
  dropped and counted by name (the report's ``leftovers.template``).

Pandoc's output is GitHub-flavoured Markdown into which the taken-out pieces
are put back where their placeholders (letters and digits only, so every
Markdown and wikitext context keeps them verbatim) came out.
"""
from __future__ import annotations

import hashlib
import html
import json
import re
import secrets
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

import mwparserfromhell as mwp
from mwparserfromhell.nodes import Comment, ExternalLink, Heading, HTMLEntity, Tag, Template, Text, Wikilink
from mwparserfromhell.wikicode import Wikicode

from .dump import SiteInfo
from .model import Article, Problem
from .namespaces import is_image_option, namespaces
from .pandoc import PandocError, run_segments
from .text import name_key, plain
from .titles import normalize_title

__all__ = ["WikiPage", "convert_pages", "citation_item", "is_citation", "file_key", "MAX_WIKITEXT_BYTES"]

MAX_WIKITEXT_BYTES = 8 * 1024 * 1024  # as a Markdown page: a larger one is refused, not converted
_MAX_DEPTH = 40  # templates and tags nested deeper are not content (and would exhaust the stack)
_MAX_AROUND = 400  # characters of text around a note's citations that can go into the citation itself

_BLOCK_OPTION = re.compile(r"^(?:thumb(?:nail)?|mini(?:atur)?|frame[d]?|gerahmt|vignette|cadre|encadré)$", re.I)
_MAGIC_WORDS = re.compile(r"__[A-ZÄÖÜ]+__")
_REDIRECT = re.compile(r"^\s*#\s*(?:REDIRECT|WEITERLEITUNG|REDIRECTION)\s*:?\s*\[\[([^\]|#]*)", re.I)
_INTERLANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[a-z]{2,8})*$")
_HARV_TEMPLATES = {"sfn", "sfnp", "sfnm", "harvnb", "harv", "harvp", "harvtxt", "harvcolnb", "rp"}
_DROP_QUIETLY = {"reflist", "references", "refbegin", "refend", "notelist", "einzelnachweise", "clear", "-",
                 "clr", "toc", "références", "reflist-talk"}
_TEXT_TEMPLATES = {"nowrap": 1, "nobr": 1, "small": 1, "big": 1, "nobold": 1, "noitalic": 1, "sic": 1,
                   "smallcaps": 1, "sc": 1, "lang": 2, "transl": 2, "nastaliq": 1, "nihongo": 1,
                   "sort": 2, "dts": 0, "abbr": 1, "keypress": 1, "math": 1, "mvar": 1,
                   "var": 1, "ill": 1, "interlanguage link": 1, "lang-ur": 1, "lang-de": 1}
_NOTE_TEMPLATES = {"efn", "efn-ua", "efn-lr", "efn-la", "efn-lg", "efn-ur", "refn", "nfn", "notefoot", "cnote"}
_QUOTE_TEMPLATES = {"quote", "blockquote", "zitat", "citation bloc", "cquote", "quotation"}


@dataclass
class WikiPage:
    """One page to convert: its name (the article's `file`), title, wikitext and redirect target."""

    name: str
    title: str
    text: str
    redirect: str | None = None


# --- citation templates -> CSL-JSON ---------------------------------------------------------------

_CITE_TYPES = {
    "cite web": "webpage", "cite news": "article-newspaper", "cite journal": "article-journal",
    "cite book": "book", "cite magazine": "article-magazine", "cite encyclopedia": "entry-encyclopedia",
    "cite conference": "paper-conference", "cite thesis": "thesis", "cite report": "report",
    "cite press release": "webpage", "cite av media": "motion_picture", "cite video": "motion_picture",
    "cite episode": "broadcast", "cite interview": "interview", "cite map": "map", "cite speech": "speech",
    "cite arxiv": "article", "cite patent": "patent", "cite dictionary": "entry-dictionary",
    "cite mailing list": "webpage", "cite newsgroup": "webpage", "cite tweet": "post", "cite podcast": "song",
    "cite sign": "document", "cite document": "document", "cite court": "legal_case", "cite act": "legislation",
    "citation": "", "cite": "", "internetquelle": "webpage", "literatur": "book", "webarchiv": "webpage",
    "webarchive": "webpage", "wayback": "webpage", "lien web": "webpage", "ouvrage": "book", "article": "article-journal",
    "cite gnis": "webpage", "cite govtrack": "webpage", "cite gns": "webpage",
}
# Parameter names per field, English first, then German, then French.
_FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("title", "titel", "titre", "text", "trans-title"),
    "chapter": ("chapter", "contribution", "entry", "section", "kapitel", "chapitre", "titre chapitre"),
    "container": ("work", "website", "newspaper", "journal", "magazine", "periodical", "encyclopedia",
                  "encyclopaedia", "dictionary", "site", "werk", "sammelwerk", "périodique", "journal",
                  "titre ouvrage", "series", "reihe", "collection"),
    "publisher": ("publisher", "verlag", "éditeur", "editeur", "via", "agency", "institution",
                  "school", "department"),
    "place": ("location", "place", "publication-place", "ort", "lieu"),
    "date": ("date", "datum", "publication-date", "air-date"),
    "year": ("year", "jahr", "année", "annee"),
    "month": ("month", "mois"),
    "accessed": ("access-date", "accessdate", "abruf", "abrufdatum", "consulté le", "consulte le", "access date"),
    "url": ("url", "online", "lire en ligne", "chapter-url", "chapterurl", "conference-url", "archiv-url",
            "archive-url", "archiveurl", "archivurl"),
    "isbn": ("isbn", "isbn13", "isbn10"),
    "issn": ("issn",),
    "doi": ("doi",),
    "pages": ("pages", "page", "pp", "p", "seiten", "seite", "passage", "at"),
    "number-of-pages": ("pages totales", "seitenzahl"),
    "volume": ("volume", "band", "jahrgang", "numéro", "vol"),
    "issue": ("issue", "number", "nummer", "heft", "no"),
    "edition": ("edition", "auflage", "numéro d'édition"),
    "language": ("language", "sprache", "langue", "lang"),
}
_AUTHOR_KEYS = re.compile(
    r"^(?:(?P<role>author|editor|autor|auteur|herausgeber|hrsg|directeur)(?P<n1>\d*)"
    r"(?:-(?P<part>last|first|link|mask))?|(?P<short>last|first|surname|given|nom|prénom|prenom)(?P<n2>\d*)"
    r"|(?P<role3>editor|author)(?P<n3>\d*)-?(?P<part3>last|first|surname|given))$", re.I)


def is_citation(name: str) -> bool:
    """True when a template name (already folded) is a citation template."""
    return name in _CITE_TYPES or name in _SOURCES or name.startswith("cite ")


def _fold(name: str) -> str:
    """A template or parameter name as compared: spaces, case, underscores, a Template: prefix ignored."""
    name = name_key(name)
    return name.split(":", 1)[1].strip() if name.startswith(("template:", "vorlage:", "modèle:")) else name


def _parse(text: str) -> Wikicode:
    """Parse wikitext, leaving bold and italic quotes to pandoc (mwparserfromhell pairs them across paragraphs)."""
    return mwp.parse(text, skip_style_tags=True)


def _plain(value: Wikicode | str) -> str:
    """A template parameter's wikitext as plain text (links as their text, markup and templates gone)."""
    code = value if isinstance(value, Wikicode) else _parse(str(value))
    try:
        text = code.strip_code(normalize=True, collapse=True, keep_template_params=False)
    except (ValueError, IndexError):
        text = str(code)
    text = re.sub(r"'{2,}", "", text)
    return plain(text)  # and the tags strip_code leaves (<br>, <small>)


def _params(template: Template) -> dict[str, str]:
    """The template's named and positional parameters, folded names -> plain text (the last of a name wins)."""
    found: dict[str, str] = {}
    for param in template.params:
        name = _fold(str(param.name))
        value = _plain(param.value)
        if name in _FIELDS["url"]:  # "[https://… Online]" names its address in the link, not its text
            links = param.value.filter_external_links(recursive=True)
            value = str(links[0].url).strip() if links else value
        if value:
            found[name] = value
    return found


def _first(params: dict[str, str], names: tuple[str, ...]) -> str:
    return next((params[n] for n in names if params.get(n)), "")


def _name(text: str) -> dict:
    """One person's name as CSL: "Family, Given", "Given Family", or a literal (an institution)."""
    text = text.strip(" .;,")
    suffix = re.search(r",\s*(?:Jr|Sr|I{2,3}|IV)\.?$", text)
    if suffix:  # "King, Martin Luther, Jr.": the suffix follows the given names
        person = _name(text[:suffix.start()])
        return {**person, "suffix": suffix.group(0).strip(" ,")} if "family" in person else {"literal": text}
    if "," in text:
        family, given = (part.strip() for part in text.split(",", 1))
        return {"family": family, "given": given} if family and given else {"literal": family or given}
    words = text.split()
    if 2 <= len(words) <= 4 and all(w[:1].isupper() for w in words if w not in {"de", "von", "van", "der", "la"}):
        if len(words[-1].strip(".")) == 1:  # "Roeder George H": the family name first, an initial last
            return {"family": words[0], "given": " ".join(words[1:])}
        return {"family": words[-1], "given": " ".join(words[:-1])}
    return {"literal": text}


def _names(params: dict[str, str], role: str) -> list[dict]:
    """The authors (role "author") or editors of a citation template, in their numbered order."""
    people: dict[int, dict[str, str]] = {}
    for key, value in params.items():
        m = _AUTHOR_KEYS.match(key)
        if not m:
            continue
        if m.group("role"):
            role_name = m.group("role").casefold()
            if role_name == "hrsg" and not (params.get("verlag") or params.get("sammelwerk")):
                continue  # {{Internetquelle}}'s "hrsg" is the site's publisher; {{Literatur}}'s, its editors
            who = "editor" if role_name in {"editor", "herausgeber", "directeur", "hrsg"} else "author"
            number, part = m.group("n1"), (m.group("part") or "whole").casefold()
        elif m.group("role3"):
            who = "editor" if m.group("role3").casefold() == "editor" else "author"
            number, part = m.group("n3"), m.group("part3").casefold()
        else:
            who, number, part = "author", m.group("n2"), m.group("short").casefold()
        if who != role or part in {"link", "mask"}:
            continue
        part = {"surname": "last", "nom": "last", "given": "first", "prénom": "first", "prenom": "first"}.get(part, part)
        people.setdefault(int(number or 1), {})[part] = value
    result = []
    vancouver = params.get("vauthors" if role == "author" else "veditors", "")
    for name in filter(None, (n.strip() for n in vancouver.split(","))):
        words = name.split()  # "Wilson DG": family name, then initials
        result.append({"family": " ".join(words[:-1]), "given": words[-1]} if len(words) > 1 else {"literal": name})
    for _, person in sorted(people.items()):
        if person.get("last"):
            result.append({"family": person["last"], **({"given": person["first"]} if person.get("first") else {})})
        elif person.get("whole"):
            # "A and B", "A; B", "A, B, C" (German lists authors with commas) are several people.
            whole = person["whole"]
            parts = re.split(r"\s*;\s*|\s+(?:and|und|et|&)\s+", whole)
            several = whole.count(",") >= 2 or (whole.count(",") == 1 and len(whole.split()) >= 4)
            if len(parts) == 1 and several and not re.search(r",\s*(?:Jr|Sr|I{2,3}|IV)\.?$", whole):
                parts = whole.split(",")
            result += [_name(p) for p in parts if p.strip()]
    return result


_MONTHS = {m: n for n, names in enumerate([
    ("january", "jan", "januar", "janvier", "jänner"), ("february", "feb", "februar", "février", "fevrier"),
    ("march", "mar", "märz", "mars"), ("april", "apr", "avril"), ("may", "mai"), ("june", "jun", "juni", "juin"),
    ("july", "jul", "juli", "juillet"), ("august", "aug", "août", "aout"),
    ("september", "sep", "sept", "septembre"), ("october", "oct", "oktober", "okt", "octobre"),
    ("november", "nov", "novembre"), ("december", "dec", "dezember", "dez", "décembre")], 1) for m in names}


def _date(text: str) -> dict | None:
    """A date as CSL date-parts (ISO, "3 May 2020", "May 3, 2020", "3. Mai 2020", "May 2020", "2020"), else raw."""
    text = " ".join(text.replace(",", " ").split())
    if not text:
        return None
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", text)
    if m:
        return {"date-parts": [[int(g) for g in m.groups() if g]]}
    m = re.fullmatch(r"(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4})", text)
    if m:
        return {"date-parts": [[int(m.group(3)), int(m.group(2)), int(m.group(1))]]}
    words = text.replace(".", " ").split()
    year = next((w for w in words if re.fullmatch(r"\d{4}", w)), None)
    month = next((_MONTHS[w.casefold()] for w in words if w.casefold() in _MONTHS), None)
    day = next((w for w in words if re.fullmatch(r"\d{1,2}", w)), None)
    if year:
        parts = [int(year)] + ([month] if month else []) + ([int(day)] if month and day else [])
        return {"date-parts": [parts]}
    return {"raw": text}


# Citation templates of one source each, whose parameters name only the entry: what they print, as CSL.
_SOURCES: dict[str, Callable[[dict[str, str]], dict]] = {
    "cite gnis": lambda p: {"type": "webpage", "title": f"Feature Detail Report for: {p.get('2') or p.get('1', '')}",
                            "container-title": "Geographic Names Information System",
                            "publisher": "United States Geological Survey",
                            "URL": f"https://edits.nationalmap.gov/apps/gaz-domestic/public/summary/{p.get('1', '')}"},
    "cite govtrack": lambda p: {"type": "webpage", "title": f"Congressional district {p.get('1', '')}-{p.get('2', '')}",
                                "container-title": "GovTrack.us",
                                "URL": f"https://www.govtrack.us/congress/members/{p.get('1', '').lower()}/{p.get('2', '')}"},
    "sep entry": lambda p: {"type": "entry-encyclopedia", "title": p.get("2", ""),
                            "container-title": "Stanford Encyclopedia of Philosophy",
                            **({"author": [_name(p["3"])]} if p.get("3") else {}),
                            **({"issued": _date(p["4"])} if p.get("4") and _date(p["4"]) else {}),
                            "URL": f"https://plato.stanford.edu/entries/{p.get('1', '')}/"},
    "iep": lambda p: {"type": "entry-encyclopedia", "title": p.get("2", ""),
                      "container-title": "Internet Encyclopedia of Philosophy",
                      **({"author": [_name(p["3"])]} if p.get("3") else {}),
                      "URL": f"https://iep.utm.edu/{p.get('1', '')}"},
}


def citation_item(template: Template) -> dict | None:
    """The CSL-JSON item of a citation template, its id derived from its fields; None when it names nothing."""
    kind = _fold(str(template.name))
    params = _params(template)
    if kind in _SOURCES:
        item = _SOURCES[kind](params) if params.get("1") else None
        if not item or not item.get("title"):
            return None
        accessed = _first(params, _FIELDS["accessed"])
        if accessed and _date(accessed):
            item["accessed"] = _date(accessed)
        item["id"] = _item_id(item)
        return item
    if kind in {"webarchiv", "webarchive", "wayback"}:
        return _archive_item(params)
    item: dict = {}
    ctype = _CITE_TYPES.get(kind, "")
    title = _first(params, _FIELDS["title"])
    chapter = _first(params, _FIELDS["chapter"])
    container = _first(params, _FIELDS["container"])
    url = _first(params, _FIELDS["url"])
    if not ctype:  # {{citation}} and unknown cite kinds: judge by what is there
        ctype = "chapter" if chapter else "article-journal" if params.get("journal") else \
            "book" if params.get("isbn") or params.get("publisher") and not url else "webpage" if url else "document"
    if ctype == "book" and chapter:
        ctype, title, container = "chapter", chapter, title
    elif ctype == "entry-encyclopedia" and chapter:
        title, container = chapter, container or title
    if not (title or url):
        return None
    item["type"] = ctype
    if title:
        item["title"] = title
    authors, editors = _names(params, "author"), _names(params, "editor")
    if authors:
        item["author"] = authors
    if editors:
        item["editor"] = editors
    if container and container != title:
        item["container-title"] = container
    for key, csl in (("publisher", "publisher"), ("place", "publisher-place"), ("isbn", "ISBN"), ("issn", "ISSN"),
                     ("doi", "DOI"), ("pages", "page"), ("volume", "volume"), ("issue", "issue"),
                     ("edition", "edition"), ("language", "language"), ("number-of-pages", "number-of-pages")):
        value = _first(params, _FIELDS[key])
        if value:
            item[csl] = value
    if "publisher" not in item and params.get("hrsg") and not (params.get("verlag") or params.get("sammelwerk")):
        item["publisher"] = params["hrsg"]  # {{Internetquelle}}: the site's publisher
    if url and re.match(r"(?i)^(?:https?|ftp)://", url):
        item["URL"] = _clean_url(url)
    elif params.get("doi"):
        item["URL"] = "https://doi.org/" + params["doi"]
    date = _first(params, _FIELDS["date"])
    year = _first(params, _FIELDS["year"])
    if date or year:
        issued = _date(date or " ".join(filter(None, [_first(params, _FIELDS["month"]), year])))
        if issued:
            item["issued"] = issued
    accessed = _first(params, _FIELDS["accessed"])
    if accessed and _date(accessed):
        item["accessed"] = _date(accessed)
    item["id"] = _item_id(item)
    return item


def _clean_url(url: str) -> str:
    """A URL as written in a template, made valid: a second '#', spaces and the like percent-encoded."""
    base, hash_, fragment = url.strip().partition("#")
    return quote(base, safe=":/?@!$&'()*+,;=%~[]") + (hash_ + quote(fragment, safe=":/?@!$&'()*+,;=%~") if hash_ else "")


def _archive_item(params: dict[str, str]) -> dict | None:
    """{{Webarchiv}} / {{webarchive}}: an archived copy of a web page."""
    url = params.get("url", "")
    stamp = params.get("wayback") or params.get("date", "")
    archive = params.get("archive-url") or params.get("archiv-url") or ""
    if not archive and url and re.fullmatch(r"\d{4,14}", stamp):
        archive = f"https://web.archive.org/web/{stamp}/{url}"
    if not archive and params.get("archive-is"):
        archive = f"https://archive.today/{params['archive-is']}"
    title = params.get("text") or params.get("title") or params.get("titel") or ""
    link = archive or url
    if not (link and re.match(r"(?i)^https?://", link)):
        return None
    item: dict = {"type": "webpage", "title": title or link, "URL": _clean_url(link)}
    if archive and url:
        item["note"] = f"archived copy of {url}"
    issued = _date(stamp[:4] + "-" + stamp[4:6] + "-" + stamp[6:8]) if re.fullmatch(r"\d{8,14}", stamp) else None
    if issued:
        item["accessed"] = issued
    item["id"] = _item_id(item)
    return item


def _item_id(item: dict) -> str:
    """A stable citation key from the item's content (the same template on two pages gives one key)."""
    blob = json.dumps({k: v for k, v in item.items() if k != "id"}, sort_keys=True, ensure_ascii=False)
    return "wt" + hashlib.blake2b(blob.encode("utf-8"), digest_size=6).hexdigest()


def _harv_keys(item: dict) -> list[str]:
    """The keys {{sfn}} and {{harvnb}} use for an item: its authors' (or editors') surnames and its year."""
    people = item.get("author") or item.get("editor") or []
    names = [p.get("family") or p.get("literal", "") for p in people][:4]
    year = ""
    parts = (item.get("issued") or {}).get("date-parts")
    if parts and parts[0]:
        year = str(parts[0][0])
    if not names or not year:
        return []
    return [_harv_key(names, year)]


def _harv_key(names: list[str], year: str) -> str:
    return "|".join(_fold(n) for n in names) + "|" + year.strip()[:4]


def _item_markdown(item: dict) -> str:
    """An item as a short line of Markdown, for a citation template that stands outside a note."""
    people = item.get("author") or item.get("editor") or []
    names = ", ".join(" ".join(filter(None, [p.get("given", ""), p.get("family", "")])) or p.get("literal", "")
                      for p in people)
    year = ""
    parts = (item.get("issued") or {}).get("date-parts")
    if parts and parts[0]:
        year = str(parts[0][0])
    bits = []
    if names:
        bits.append(_md(names) + (" (ed.)" if not item.get("author") else ""))
    title = _md(item.get("title", ""))
    if item.get("URL"):
        title = f"[{title}](<{item['URL']}>)" if title else f"<{item['URL']}>"
    if title:
        bits.append(f"*{title}*" if item.get("type") in {"book", "thesis", "report", "motion_picture"} else f"“{title}”")
    for key in ("container-title", "publisher-place", "publisher"):
        if item.get(key):
            bits.append(_md(item[key]))
    if year:
        bits.append(year)
    return ". ".join(bits).replace("”.", ".”") + "."


def _md(text: str) -> str:
    """Plain text escaped for Markdown."""
    return re.sub(r"([\\`*_\[\]<>#|~])", r"\\\1", text)


# --- the walk ----------------------------------------------------------------------------------------

class _Tokens:
    """Placeholders, letters and digits only, and what each stands for once pandoc has run."""

    def __init__(self) -> None:
        self.nonce = "".join(secrets.choice("abcdefghijklmnopqrstuvw") for _ in range(6))
        self.values: list[Callable[[list[str]], str]] = []
        self.pattern = re.compile(rf"WX{self.nonce}(\d+)Y")

    def add(self, value: str | Callable[[list[str]], str]) -> str:
        """Return a new placeholder that stands for `value` (or what a function of pandoc's outputs gives)."""
        self.values.append(value if callable(value) else (lambda _outputs, v=value: v))
        return f"WX{self.nonce}{len(self.values) - 1}Y"

    def fill(self, text: str, outputs: list[str], depth: int = 0) -> str:
        """Put back what the placeholders in `text` stand for (they may hold placeholders of their own)."""
        if depth > _MAX_DEPTH:
            return self.pattern.sub("", text)
        return self.pattern.sub(lambda m: self.fill(self.values[int(m.group(1))](outputs), outputs, depth + 1), text)

    def strip(self, text: str) -> str:
        """Text with the placeholders removed."""
        return self.pattern.sub("", text)


@dataclass
class _Note:
    label: str
    segment: int | None = None  # the note's wikitext, as a segment of the pandoc run
    cites: list[tuple[str, str]] = field(default_factory=list)  # (placeholder, item id) in the note's text
    markdown: str = ""  # set when known without pandoc (a short citation)
    dropped: list[Template] = field(default_factory=list)  # templates the note held that the book does not model


class _Page:
    """The walk over one page: what it takes out of the wikitext, and the wikitext it leaves for pandoc."""

    def __init__(self, page: WikiPage, site: SiteInfo, tokens: _Tokens, segments: list[tuple[str, str]]) -> None:
        self.page = page
        self.site = site
        self.tokens = tokens
        self.segments = segments
        self.categories: list[str] = []
        self.notes: dict[str, _Note] = {}
        self.named: dict[str, list[str]] = {}  # ref name -> its note's labels
        self.definitions: dict[str, Wikicode] = {}  # ref name -> its content, wherever it is defined
        self.items: dict[str, dict] = {}  # the CSL items the page's notes cite, by id
        self.every: dict[str, dict] = {}  # every citation template's item on the page, by id (for {{sfn}})
        self.harv: dict[str, str] = {}  # sfn key -> item id
        self.dropped: Counter[str] = Counter()
        self.problems: list[Problem] = []
        self.short: dict[str, str] = {}  # an sfn's text -> its note's label (identical ones are one note)
        self.plain_links = 0  # > 0 inside an external link's text

    def segment(self, wikitext: str, html_block: bool = False) -> int:
        """Add a piece of wikitext to the pandoc run (as Markdown, or as HTML for inside a tag); return its index."""
        self.segments.append(("html" if html_block else "gfm", wikitext))
        return len(self.segments) - 1

    def survey(self, code: Wikicode) -> None:
        """The first pass: named notes' definitions wherever they are, and every citation template (for {{sfn}})."""
        for node in code.ifilter(recursive=True):
            if isinstance(node, Tag) and _fold(str(node.tag)) == "ref" and not node.self_closing:
                name = self._ref_name(node)
                if name and name not in self.definitions and node.contents is not None and str(node.contents).strip():
                    self.definitions[name] = node.contents
            elif isinstance(node, Template) and (_fold(str(node.name)) in _NOTE_TEMPLATES
                                                 or _fold(str(node.name)).startswith("#tag:ref")):
                if node.has("name") and node.has(1) and str(node.get(1).value).strip():
                    self.definitions.setdefault(" ".join(_plain(node.get("name").value).split()), node.get(1).value)
            elif isinstance(node, Template) and is_citation(_fold(str(node.name))):
                item = citation_item(node)
                if item is not None:
                    self.every.setdefault(item["id"], item)
                    for key in _harv_keys(item):
                        self.harv.setdefault(key, item["id"])
                    if node.has("ref"):
                        self.harv.setdefault("ref:" + _fold(_plain(node.get("ref").value)), item["id"])

    def render(self, code: Wikicode, in_note: _Note | None = None, depth: int = 0) -> str:
        """The wikitext pandoc is to read for `code`, with what the book models taken out."""
        if depth > _MAX_DEPTH:
            return ""
        out: list[str] = []
        nodes = list(code.nodes)
        i = 0
        while i < len(nodes):
            node = nodes[i]
            i += 1
            if isinstance(node, Text):
                out.append(_MAGIC_WORDS.sub("", str(node)))
            elif isinstance(node, Comment):
                continue
            elif isinstance(node, Wikilink):
                trail = ""
                if i < len(nodes) and isinstance(nodes[i], Text):
                    m = re.match(r"[^\W\d_]+", str(nodes[i]))
                    if m and not str(node.title).lstrip().startswith(":"):
                        trail = m.group(0)
                        nodes[i] = Text(str(nodes[i])[len(trail):])
                out.append(self._link(node, trail, in_note, depth, at_line_start=_line_start(out)))
            elif isinstance(node, Template):
                out.append(self._template(node, in_note, depth))
            elif isinstance(node, Tag):
                out.append(self._tag(node, in_note, depth))
            elif isinstance(node, Heading):
                title = self.render(node.title, in_note, depth + 1).strip()
                out.append(f"{'=' * node.level} {title} {'=' * node.level}")
            elif isinstance(node, ExternalLink):
                if node.title is None:
                    out.append(str(node.url) if node.brackets is False else f"[{node.url}]")
                else:  # a link cannot hold links: wikilinks in its text are text
                    self.plain_links += 1
                    try:
                        out.append(f"[{node.url} {self.render(node.title, in_note, depth + 1)}]")
                    finally:
                        self.plain_links -= 1
            elif isinstance(node, HTMLEntity):
                out.append(str(node))
            else:  # template arguments ({{{1}}}) and anything else a page should not hold
                continue
        return "".join(out)

    def _ref_name(self, tag: Tag) -> str:
        for attr in tag.attributes:
            if _fold(str(attr.name)) == "name":
                return " ".join(_plain(attr.value).split())
        return ""

    def _new_note(self) -> _Note:
        note = _Note(str(len(self.notes) + 1))
        self.notes[note.label] = note
        return note

    def _marker(self, label: str) -> str:
        return self.tokens.add(f'<sup data-note="{label}"></sup>')

    def _note(self, ref_name: str, content: Wikicode | None, in_note: _Note | None, depth: int) -> str:
        """A note where a <ref> (or {{efn}}, {{#tag:ref}}) stood: its markers; a named note is made once."""
        if in_note is not None:
            return ""  # a note inside a note is not a note
        if ref_name and ref_name in self.named:
            return "".join(self._marker(label) for label in self.named[ref_name])
        if ref_name and ref_name in self.definitions:
            content = self.definitions[ref_name]
        if content is None or not str(content).strip():
            self.problems.append(Problem(self.page.name, "warning",
                                         f"note <ref name=\"{ref_name}\"/> is used but never defined"))
            return ""
        note = self._new_note()
        rendered = self.render(content, note, depth + 1).strip()
        labels = [note.label]
        around = _plain(self.tokens.strip(rendered)) if note.cites else ""
        if len(around) > _MAX_AROUND or re.search(r"[;@\[\]]", around):
            # Too much around its citations for one pandoc citation (a quotation, commentary):
            # the text stays a note, and its citations follow as a note of their own.
            cites = self._new_note()
            cites.cites, note.cites = note.cites, []
            for token, _ in cites.cites:
                rendered = rendered.replace(token, "")
            labels.append(cites.label)
        note.segment = self.segment(rendered)
        if ref_name:
            self.named[ref_name] = labels
        return "".join(self._marker(label) for label in labels)

    def _tag(self, tag: Tag, in_note: _Note | None, depth: int) -> str:
        name = _fold(str(tag.tag))
        if name == "ref":
            content = tag.contents if not tag.self_closing and tag.contents is not None else None
            return self._note(self._ref_name(tag), content, in_note, depth)
        if name == "references":
            return ""  # the notes are printed at the chapter's end; definitions inside were surveyed
        if name in {"nowiki", "pre", "math", "syntaxhighlight", "source", "code", "chem", "ce", "score", "hiero",
                    "timeline", "graph", "templatedata", "poem", "tt", "var", "kbd", "samp"} \
                or tag.contents is None:
            return str(tag)
        if name in {"gallery", "imagemap", "mapframe", "maplink", "categorytree", "inputbox", "section", "onlyinclude",
                    "noinclude", "indicator"}:
            if name != "gallery":
                return ""
            return self._gallery(str(tag.contents), in_note, depth)
        if name == "includeonly":
            return ""
        if tag.wiki_markup:  # bold, italics, lists, tables: pandoc reads the markup; only the contents are ours
            if tag.contents is not None:
                inner = self.render(tag.contents, in_note, depth + 1)
                if not inner.strip() and _fold(str(tag.tag)) in {"b", "i"}:
                    return inner  # emphasis of nothing (its template dropped) would be left as quote marks
                tag.contents = Wikicode([Text(inner)])
            return str(tag)
        inner = self.render(tag.contents, in_note, depth + 1)
        if name in {"small", "big", "center", "font", "span"} and "\n" in inner.strip():
            return inner  # a text-level tag around lists or paragraphs: HTML allows it no such content
        if tag.self_closing:
            return str(tag)
        open_ = "<" + str(tag.tag) + "".join(str(a) for a in tag.attributes) + ">"
        return f"{open_}{inner}</{tag.closing_tag or tag.tag}>"

    def _gallery(self, body: str, in_note: _Note | None, depth: int) -> str:
        figures = []
        for line in body.splitlines():
            name, _, caption = line.strip().partition("|")
            if not name:
                continue
            number, title = self._namespace(name)
            if number is None:
                title = name
            elif number != 6:
                continue
            figures.append(self._figure(title, _parse(caption), {}, in_note, depth))
        return "\n\n" + "\n\n".join(figures) + "\n\n" if figures else ""

    def _namespace(self, title: str) -> tuple[int | None, str]:
        """(namespace id, rest) of a link target with a namespace prefix; (None, title) without one."""
        prefix, colon, rest = title.partition(":")
        if not colon:
            return None, title
        number = self.site.namespace_of(prefix)
        if number is None:
            # A page copied from another wiki keeps its own language's links, which <siteinfo> does not name.
            kind, _ = namespaces().kind(prefix + ":")
            number = {"file": 6, "category": 14, "media": -2}.get(kind)
        return (number, rest.strip()) if number is not None else (None, title)

    def _link(self, link: Wikilink, trail: str, in_note: _Note | None, depth: int, at_line_start: bool) -> str:
        target = html.unescape(_plain(str(link.title))) if "{{" in str(link.title) else html.unescape(str(link.title))
        target = " ".join(target.replace("_", " ").split())
        leading_colon = target.startswith(":")
        target = target.lstrip(":").strip()
        number, rest = self._namespace(target)
        if number == 14 and not leading_colon:
            category = normalize_title(rest)
            if category and category not in self.categories:
                self.categories.append(category)
            return ""
        if number in (6, -2) and not leading_colon:
            parts = _split_pipes(link.text) if link.text is not None else []
            return self._file(rest, parts, in_note, depth, at_line_start) + trail
        if number is None and not leading_colon and ":" in target and \
                _INTERLANGUAGE.match(target.split(":", 1)[0]):
            return ""  # an interlanguage link: the page in another wiki, not part of the text
        text = self.render(link.text, in_note, depth + 1) if link.text is not None and str(link.text).strip() else ""
        if not self.tokens.strip(text).strip():  # [[Page]], or a text made only of what was dropped
            text = html.escape(target, quote=False)
        if self.plain_links:
            return text + trail
        page, _, section = target.partition("#")
        href = "wiki:" + quote(page.strip(), safe="") + ("#" + quote(section.strip(), safe="") if section else "")
        return self.tokens.add(f'<a href="{html.escape(href)}">') + text + trail + self.tokens.add("</a>")

    def _file(self, name: str, parts: list[Wikicode], in_note: _Note | None, depth: int,
              at_line_start: bool) -> str:
        options: dict[str, str] = {}
        caption: Wikicode | None = None
        block = False
        for part in parts:
            text = str(part).strip()
            if is_image_option(text):
                key, eq, value = text.partition("=")
                if eq:
                    options[_fold(key)] = value.strip()
                block = block or bool(_BLOCK_OPTION.match(text))
            else:
                caption = part
        if block or at_line_start:
            return "\n\n" + self._figure(name, caption, options, in_note, depth) + "\n\n"
        alt = options.get("alt") or options.get("alternativtext") or (_plain(caption) if caption else "")
        return self.tokens.add(f'<img src="{_file_src(name)}" alt="{html.escape(alt)}" />')

    def _figure(self, name: str, caption: Wikicode | None, options: dict[str, str], in_note: _Note | None,
                depth: int) -> str:
        alt = options.get("alt") or options.get("alternativtext") or ""  # else the caption, once it is resolved
        src = _file_src(name)
        index = self.segment(self.render(caption, in_note, depth + 1).strip(), html_block=True) if caption else None

        def figure(outputs: list[str]) -> str:
            # One HTML block without blank lines: it stays whole in a list item or a table cell.
            text = outputs[index].strip() if index is not None else ""
            body = f"<figcaption>{text}</figcaption>" if text else ""
            return f'<figure><img src="{src}" alt="{html.escape(alt)}" />{body}</figure>'

        return self.tokens.add(figure)

    def _template(self, template: Template, in_note: _Note | None, depth: int) -> str:
        name = _fold(str(template.name))
        if name in _NOTE_TEMPLATES or name.startswith("#tag:ref"):  # {{efn|…}}, {{#tag:ref|…|name=…}}: a note
            ref_name = _plain(template.get("name").value) if template.has("name") else ""
            content = template.get(1).value if template.has(1) else None
            return self._note(ref_name, content, in_note, depth)
        if name.startswith("#") or name.split(":", 1)[0] in {"defaultsort", "sortierung", "displaytitle",
                                                              "clé de tri"}:
            self.dropped[name.split(":", 1)[0]] += 1
            return ""
        if is_citation(name):
            item = citation_item(template)
            if item is None:
                self.dropped[name] += 1
                return ""
            if name in {"webarchive", "wayback"} and in_note is not None and in_note.cites:
                return ""  # the archived copy of the citation just before it
            self.items.setdefault(item["id"], item)
            if in_note is not None:
                token = self.tokens.add("")
                in_note.cites.append((token, item["id"]))
                return token
            # Outside a note (a list of works): written out, and cited by a note so that it joins the bibliography.
            note = self._new_note()
            note.cites.append((self.tokens.add(""), item["id"]))
            return self.tokens.add(_item_markdown(item)) + self._marker(note.label)
        if name in _HARV_TEMPLATES:
            return self._short_citation(template, name, in_note)
        if name.startswith(("infobox", "taxobox", "info/")) or name.endswith(" infobox"):
            return self._infobox(template, in_note, depth)
        if name in _QUOTE_TEMPLATES:
            text = template.get(1).value if template.has(1) else template.get("text").value if template.has("text") \
                else template.get("zitat").value if template.has("zitat") else None
            return f"\n<blockquote>{self.render(text, in_note, depth + 1)}</blockquote>\n" if text is not None else ""
        if name in _TEXT_TEMPLATES or name.startswith("lang-"):
            position = _TEXT_TEMPLATES.get(name, 1)
            if position == 0:
                self.dropped[name] += 1
                return ""
            if template.has(position):
                return self.render(template.get(position).value, in_note, depth + 1)
            return ""
        if name == "sortname" and template.has(2):  # a person's or work's name, linked unless told not to
            first, last = _plain(template.get(1).value), _plain(template.get(2).value)
            shown = f"{first} {last}".strip()
            dab = _plain(template.get("dab").value) if template.has("dab") else ""
            if template.has(3) and _plain(template.get(3).value) == "nolink":
                return html.escape(shown, quote=False)
            return self.render(_parse(f"[[{shown}{f' ({dab})' if dab else ''}|{shown}]]"), in_note, depth + 1)
        if name == "convert" and template.has(1):
            value, unit = _plain(template.get(1).value), _plain(template.get(2).value) if template.has(2) else ""
            return f"{value} {unit}".strip()
        if name in {"isbn", "issn", "oclc"} and template.has(1):
            return f"{name.upper()} {_plain(template.get(1).value)}"
        if name == "doi" and template.has(1):
            doi = _plain(template.get(1).value)
            return f"[https://doi.org/{quote(doi, safe='/:;()._-')} doi:{doi}]"
        if name == "arxiv" and template.has(1):
            ident = _plain(template.get(1).value)
            return f"[https://arxiv.org/abs/{quote(ident, safe='/._-')} arXiv:{ident}]"
        if name == "google buch" and template.has("buchid"):
            ident = _plain(template.get("buchid").value)
            text = _plain(template.get("linktext").value) if template.has("linktext") else "Google Books"
            return f"[https://books.google.com/books?id={quote(ident, safe='')} {text or 'Google Books'}]"
        if name in _DROP_QUIETLY:
            return ""  # {{reflist|refs=…}}: the notes defined there were surveyed, and print at the chapter's end
        self.dropped[name] += 1
        if in_note is not None:
            in_note.dropped.append(template)
        # A note given in a parameter (a table's footnote) is still the page's note, where the template stood.
        return "".join(self._tag(tag, in_note, depth + 1) for param in template.params
                       for tag in param.value.ifilter_tags(recursive=True) if _fold(str(tag.tag)) == "ref")

    def _short_citation(self, template: Template, name: str, in_note: _Note | None) -> str:
        """{{sfn}} (a note of its own) and {{harvnb}} (inside one): a citation of the page's full template."""
        positional = [_plain(p.value) for p in template.params if not p.showkey]
        named = {_fold(str(p.name)): _plain(p.value) for p in template.params if p.showkey}
        if name == "rp":
            return ""  # a page number after a note marker: the note says enough
        year = next((v for v in reversed(positional) if re.fullmatch(r"\d{4}[a-z]?", v)), "")
        names = [v for v in positional if v != year][:4]
        locator = ""
        for key, prefix in (("p", "p. "), ("page", "p. "), ("pp", "pp. "), ("pages", "pp. "), ("loc", "")):
            if named.get(key):
                locator = prefix + named[key]
                break
        item_id = self.harv.get(_harv_key(names, year)) if names and year else None
        if item_id is None and named.get("ref"):
            item_id = self.harv.get("ref:" + _fold(named["ref"]))
        shown = f"{' and '.join(names)} {year}".strip() + (f", {locator}" if locator else "")
        if item_id is None:
            self.dropped[name + " (no matching citation)"] += 1
            text = _md(shown)
            if name in {"sfn", "sfnp", "sfnm"} and in_note is None:
                note = self._new_note()
                note.markdown = text + "."
                return self._marker(note.label)
            return text
        self.items.setdefault(item_id, self.every[item_id])
        if in_note is not None:
            token = self.tokens.add(", " + locator if locator else "")
            in_note.cites.append((token, item_id))
            return token
        if name in {"sfn", "sfnp", "sfnm"}:
            key = f"{item_id}|{locator}"
            if key not in self.short:
                note = self._new_note()
                note.markdown = _citation_markdown([("", item_id, (", " + locator) if locator else "")])
                self.short[key] = note.label
            return self._marker(self.short[key])
        return _md(shown)  # {{harv}} in running text: the reference as text

    def _infobox(self, template: Template, in_note: _Note | None, depth: int) -> str:
        """A two-column table of the infobox's facts (label, value), pictures left out."""
        rows: list[tuple[str, int]] = []
        for param in template.params:
            key = str(param.name).strip()
            value = param.value
            if not param.showkey or not str(value).strip():
                continue
            folded = _fold(key)
            if re.search(r"image|logo|map|alt$|caption|signature|size|width|coordinates|pushpin|flag|bild|karte",
                         folded) or re.search(r"\.(?:svg|png|jpe?g|gif|tiff?)\s*$", str(value), re.I):
                continue  # pictures, their sizes and captions: nothing to read in a table of facts
            rendered = self.render(value, in_note, depth + 1).strip()
            if not self.tokens.strip(rendered).strip():
                continue
            label = key.replace("_", " ").strip()
            rows.append((label[:1].upper() + label[1:], self.segment(rendered, html_block=True)))
        if not rows:
            return ""
        caption = next((_plain(template.get(k).value) for k in ("name", "title", "titel", "nom")
                        if template.has(k) and _plain(template.get(k).value)), self.page.title)

        def table(outputs: list[str]) -> str:
            cells = "".join(f'<tr>\n<th scope="row">{html.escape(label, quote=False)}</th>\n'
                            f"<td>{outputs[index].strip()}</td>\n</tr>\n" for label, index in rows)
            return (f'<table class="infobox">\n<caption>{html.escape(caption, quote=False)}</caption>\n'
                    f"<tbody>\n{cells}</tbody>\n</table>")

        return "\n\n" + self.tokens.add(table) + "\n\n"

    def finish_note(self, note: _Note, outputs: list[str]) -> str:
        """A note's Markdown: a pandoc citation when it cites templates, else pandoc's output."""
        if note.markdown:
            return note.markdown
        text = outputs[note.segment].strip() if note.segment is not None else "".join(t for t, _ in note.cites)
        if not note.cites:
            text = self.tokens.fill(text, outputs)
            if not text.strip() and note.dropped:
                # A note made only of templates the book does not know: their parameters, rather than nothing.
                text = _md("; ".join(", ".join(v for v in _params(t).values()) for t in note.dropped))
            return text
        # The text before the first citation is its prefix; the text after each, its suffix.
        pieces = re.split(rf"({'|'.join(re.escape(t) for t, _ in note.cites)})", text)
        ids = dict(note.cites)
        prefix = ""
        items: list[list[str]] = []
        for piece in pieces:
            if piece in ids:
                locator = self.tokens.values[int(self.tokens.pattern.match(piece).group(1))](outputs)
                items.append([prefix, ids[piece], locator])
                prefix = ""
            elif items:
                items[-1][2] += piece
            else:
                prefix += piece
        items = [[_inline_text(self.tokens.fill(p, outputs)), i, _inline_text(self.tokens.fill(s, outputs))]
                 for p, i, s in items]
        around = [x for p, _, s in items for x in (p, s)]
        if any(re.search(r"[;@\[\]]", x) for x in around) or sum(len(x) for x in around) > 2 * _MAX_AROUND:
            # Too much around the citations for a pandoc citation: the text with each citation written out.
            return self.tokens.fill(self.tokens.pattern.sub(
                lambda m: (" " + _item_markdown(self.every[ids[m.group(0)]]) + " ") if m.group(0) in ids
                else m.group(0), text), outputs).strip()
        return _citation_markdown(items)


def _citation_markdown(items: list[tuple[str, str, str]]) -> str:
    """A pandoc citation group as note Markdown, escaped so that it reads back as the group's own text."""
    body = "; ".join(f"{_tidy(prefix)}{' ' if _tidy(prefix) else ''}@{key}{_suffix(suffix)}"
                     for prefix, key, suffix in items)
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", "[" + body + "]")


def _tidy(text: str) -> str:
    return " ".join(text.split()).strip(" ,")


def _suffix(text: str) -> str:
    text = " ".join(text.split()).rstrip()
    if not text.strip(" .,"):
        return ""
    return text if text.startswith(",") else ", " + text.lstrip(" .,")


def _inline_text(markdown: str) -> str:
    """Markdown as plain text on one line (links keep their text), for a citation's prefix or suffix."""
    text = re.sub(r"<[^>]*>", "", markdown)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\\(.)", r"\1", text)
    return " ".join(html.unescape(text).split())


def _split_pipes(code: Wikicode) -> list[Wikicode]:
    """A file link's text split at its top-level pipes (a caption's own links keep theirs)."""
    parts: list[str] = [""]
    for node in code.nodes:
        if isinstance(node, Text):
            pieces = str(node).split("|")
            parts[-1] += pieces[0]
            parts.extend(pieces[1:])
        else:
            parts[-1] += str(node)
    return [_parse(p) for p in parts]


def _line_start(out: list[str]) -> bool:
    """True when nothing but white space stands between the last line break and here."""
    for piece in reversed(out):
        if not piece:
            continue
        before, newline, after = piece.rpartition("\n")
        if after.strip():
            return False
        if newline:
            return True
    return True


def _file_src(name: str) -> str:
    """The image name a [[File:…]] link looks up in the media folder (MediaWiki's form: underscores, capital first)."""
    name = "_".join(html.unescape(name).split())
    name = unicodedata.normalize("NFC", name[:1].upper() + name[1:])
    return html.escape(name.replace("%", "%25"))


def file_key(name: str) -> str:
    """The key of a media file by its name: as `_file_src` writes it, percent-decoded."""
    name = "_".join(name.split())
    return unicodedata.normalize("NFC", name[:1].upper() + name[1:])


def _unescaped(text: str) -> str | None:
    """The page's wikitext unescaped once, when its markup was HTML-escaped twice (tags show as &lt;ref&gt;)."""
    if re.search(r"&lt;(?:ref|references|/ref)\b", text) and not re.search(r"<(?:ref|references)\b", text):
        return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
    return None


def _drop_empty_sections(markdown: str) -> str:
    """Drop headings left with nothing under them (a "References" section once its list is gone)."""
    lines = markdown.split("\n")
    keep: list[str] = []
    heading = re.compile(r"^(#{1,6})[ \t]")
    for i, line in enumerate(lines):
        m = heading.match(line)
        if m:
            rest = next((later for later in lines[i + 1:] if later.strip()), "")
            following = heading.match(rest)
            if not rest or (following and len(following.group(1)) <= len(m.group(1))):
                continue
        keep.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(keep))


def _pandoc_batch(segments: list[tuple[str, str]]) -> list[str]:
    """Every segment's wikitext as Markdown or HTML, one pandoc run per kind."""
    outputs = [""] * len(segments)
    for kind in ("gfm", "html"):
        indices = [i for i, (k, _) in enumerate(segments) if k == kind]
        for i, text in zip(indices, _pandoc_kind(kind, [segments[i][1] for i in indices])):
            outputs[i] = _html_block(text) if kind == "html" else text
    return outputs


def _pandoc_kind(kind: str, segments: list[str]) -> list[str]:
    """MediaWiki to `kind` for every segment, in one pandoc run (one run each if a split token goes missing)."""
    outputs = run_segments(["-f", "mediawiki", "-t", "gfm" if kind == "gfm" else "html5"], segments,
                           "markdown" if kind == "gfm" else "html")
    return [_as_text(kind, s) if isinstance(out, PandocError) else out.strip("\n") for s, out in zip(segments, outputs)]


def _as_text(kind: str, segment: str) -> str:
    """What pandoc could not read, as text rather than nothing."""
    text = _plain(segment)
    return _md(text) if kind == "gfm" else html.escape(text, quote=False)


def _html_block(markup: str) -> str:
    """Pandoc's HTML for a piece inside a tag: one paragraph unwrapped, no blank line (which would end the block)."""
    markup = markup.strip()
    if markup.startswith("<p>") and markup.endswith("</p>") and markup.count("<p>") == 1:
        markup = markup[3:-4]
    return re.sub(r"\n\s*\n", "\n", markup)


def convert_pages(pages: list[WikiPage], site: SiteInfo) -> list[Article]:
    """Turn pages of wikitext into Articles (see the module docstring), one pandoc run for all."""
    tokens = _Tokens()
    segments: list[tuple[str, str]] = []
    walked: list[tuple[WikiPage, _Page | None, int | None, list[Problem]]] = []
    for page in pages:
        problems: list[Problem] = []
        text = unicodedata.normalize("NFC", page.text.replace("\r\n", "\n").replace("\r", "\n"))
        size = len(text.encode("utf-8"))
        if page.redirect is None:
            m = _REDIRECT.match(text)
            if m and m.group(1).strip():
                page = WikiPage(page.name, page.title, text, m.group(1))
        if page.redirect is not None or size > MAX_WIKITEXT_BYTES or not text.strip():
            if size > MAX_WIKITEXT_BYTES:
                problems.append(Problem(page.name, "error", f"too large to be an article ({size / 1e6:.1f} MB; "
                                                            f"the limit is {MAX_WIKITEXT_BYTES / 1e6:.0f} MB): skipped"))
            elif not text.strip() and page.redirect is None:
                problems.append(Problem(page.name, "error", "empty page: nothing to include"))
            walked.append((page, None, None, problems))
            continue
        unescaped = _unescaped(text)
        if unescaped is not None:
            text = unescaped
            problems.append(Problem(page.name, "warning", "the page's markup was HTML-escaped twice "
                                                          "(&lt;ref&gt; for <ref>); it was read unescaped"))
        walker = _Page(page, site, tokens, segments)
        try:
            code = _parse(text)
            walker.survey(code)
            body = walker.render(code)
        except RecursionError:
            problems.append(Problem(page.name, "error", "wikitext nested too deeply to read: left out"))
            walked.append((page, None, None, problems))
            continue
        walked.append((page, walker, walker.segment(body), problems))
    outputs = _pandoc_batch(segments)
    articles = []
    for page, walker, body_index, problems in walked:
        if walker is None:
            redirect = normalize_title(page.redirect.partition("#")[0]) if page.redirect else None
            articles.append(Article(file=page.name, title=page.title if redirect or not problems else "",
                                    redirect=redirect, problems=problems))
            continue
        markdown = _drop_empty_sections(tokens.fill(outputs[body_index], outputs)).strip() + "\n"
        notes = {label: walker.finish_note(note, outputs) for label, note in walker.notes.items()}
        for label, text in notes.items():
            if not text.strip():
                problems.append(Problem(page.name, "warning", f"note {label} is empty"))
        dropped = sum(walker.dropped.values())
        if dropped:  # counted as the Markdown export's leftover templates are (report.json leftovers.template)
            names = ", ".join(f"{name} ×{n}" if n > 1 else name for name, n in sorted(walker.dropped.items()))
            problems.append(Problem(page.name, "warning", f"{dropped} templates the book does not show were "
                                                           f"dropped: {names}"))
        article = Article(file=page.name, title=page.title, markdown=markdown, notes=notes,
                          categories=walker.categories, problems=problems + walker.problems,
                          leftovers={"template": dropped} if dropped else {})
        article.references = sorted(walker.items.values(), key=lambda item: item["id"])
        articles.append(article)
    return articles
