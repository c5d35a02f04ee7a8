"""Wikitext the export could not convert: found, counted, converted or removed.

pandoc's MediaWiki reader drops what it does not know and leaves the rest as
text: template calls (often cut short at a table cell's `|`), wikitext
tables, `<ref>` tags it wrote back escaped (`\\<ref\\>…\\</ref\\>`), HTML
comments, magic words (`__NOTOC__`), image option lists (`mini|hochkant|…`),
bracketed external links (`[http://… text]`) and escaped wikilinks. Two
passes take them out: one over an article's Markdown before conversion
(where a `<ref>` can still become a real note and a bracketed link a real
link), and one over the converted XHTML's text (what pandoc escaped or
carried into raw HTML). Code is left as it is. Each kind is counted per page.
"""
from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Callable
from urllib.parse import unquote

from lxml import etree, html as lxml_html

from .namespaces import file_text_pattern, image_option_pattern

__all__ = ["KINDS", "scrub_markdown", "unswallow_links", "take_html_footnotes", "drop_local_links", "fit_table_columns", "cell_span", "take_ref_tags", "scrub_tree", "describe", "repair_nesting"]

# Report names of what is counted, in the order a message lists them.
KINDS = {
    "ref_tag": "literal <ref> tags (made into notes)",
    "html_footnote": "footnotes written as HTML (made into notes)",
    "template": "template calls",
    "table": "wikitext tables",
    "comment": "HTML comments",
    "magic_word": "magic words",
    "image_options": "image option lists",
    "file_text": "files named as text (a gallery's lines)",
    "external_link": "bracketed external links (made into links)",
    "wikilink": "unconverted [[wikilinks]]",
    "html_tag": "HTML tags written as text",
    "emphasis": "stray emphasis marks",
}

_LT = r"(?:\\?<|&lt;)"
_GT = r"(?:\\?>|&gt;)"
_REF_OPEN = re.compile(_LT + r"ref(?P<attrs>\s(?:[^<>&\\]|\\[^<>]|&(?!gt;))*?)?\s*(?P<self>\\?/)?\s*" + _GT, re.I)
_REF_CLOSE = re.compile(_LT + r"\\?/ref\s*" + _GT, re.I)
_REF_NAME = re.compile(r"""\bname\s*=\s*(?:\\?"([^"]*?)\\?"|'([^']*)'|([^\s"'/\\>]+))""", re.I)
_COMMENT = re.compile(_LT + r"!--.*?--\s*" + _GT, re.S)
_COMMENT_OPEN = re.compile(_LT + r"!--")
_MAGIC = re.compile(r"(?<![\w\\])(?:__|\\_\\_)[A-ZÀ-ÞА-Я]+(?:(?:_|\\_)[A-ZÀ-ÞА-Я]+)*(?:__|\\_\\_)(?!\w)")
_RAW_LINK = re.compile(r"\\?\[((?:https?|ftp)://[^\s\]\[<>\"]+)(?:[ \t]+((?:[^\]\[\n]|\n(?![ \t]*\n))*?))?\\?\](?![(\[])")
# `[http://… text]` that pandoc autolinked inside the brackets: `\[<http://…>`, the URL at times
# swallowing what followed it (`…htm%5D%3C/ref%3E`: `]</ref>`).
_SWALLOWED = re.compile(r"<((?:https?|ftp)://[^<>\s]*?)%5[Dd]((?:%[0-9A-Fa-f]{2}|[^<>\s%])*)>")
_BRACKETED_AUTOLINK = re.compile(r"\\\[<((?:https?|ftp)://[^<>\s]+)>((?:(?!\\?\]|\\?<\\?/ref|\n[ \t]*\n).){0,300}?)\\?\]",
                                 re.S | re.I)
_OPEN_AUTOLINK = re.compile(r"\\\[(<(?:https?|ftp)://[^<>\s]+>)")
# `[[Target|label]]` pandoc could not read (often escaped: `\[\[Target\|label\]\]`); not `[[1]](url)`.
_ESCAPED_WIKILINK = re.compile(r"\\?\[\\?\[((?:[^\[\]\n|\\]|\\[^|\n])+?)(?:\\?\|([^\[\]\n]*?))?\\?\]\\?\](?![(\[])")
_TITLE = re.compile(r'(\]\((?:[^\s()]|\([^\s()]*\))+)[ \t\n]+"(?:[^"]|"(?!\)))*"\)')
_FENCE = re.compile(r"^ {0,3}(```+|~~~+)[^\n]*\n.*?(?:^ {0,3}\1[ \t]*$|\Z)", re.S | re.M)
_CODE = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)|<(pre|code)\b[^>]*>.*?</\2\s*>", re.S | re.I)
_WIKITABLE = re.compile(r"^[ \t]*\{\|.*?^[ \t]*\|\}[ \t]*$", re.S | re.M)
_SPLIT_BRACES = re.compile(r"\{\\?_\{(?:\\?_)?|(?:\\?_)?\}\\?_\}")
_NAMES_OF_TEMPLATE = re.compile(r"[^|<>\n{}\[\]]*")
_CELL_END = re.compile(r"</t[dh]>|\n[ \t]*\n")
_OPTIONS = image_option_pattern()
_FILE_TEXT = file_text_pattern()
_FILE_SUFFIXES = tuple(f".{suffix}" for name in ("png", "jpg", "jpeg", "gif", "svg", "tif", "tiff", "webp", "ogg", "ogv",
                                                 "oga", "webm", "pdf", "djvu", "mp3", "mp4", "wav", "flac", "mid",
                                                 "midi", "xcf", "stl") for suffix in (name, name.upper()))
# HTML tags the export escaped into text (`\<br /\>`, `\<blockquote\>`): inline ones are tags again,
# block ones go (their text stays).
_ESCAPED_INLINE_TAG = re.compile(r"\\<(/?)(br|small|big|sup|sub|i|b|u|s|em|strong|span|abbr)\b((?:[^<>\\]|\\[^<>])*?)\s*(/?)\\>",
                                 re.I)
_ESCAPED_BLOCK_TAG = re.compile(r"\\</?(?:blockquote|div|center|poem|p|font|table|tr|td|th|gallery|nowiki|onlyinclude"
                                r"|noinclude|includeonly|section|mapframe|timeline|score|imagemap|syntaxhighlight)\b"
                                r"(?:[^<>\\]|\\[^<>])*?/?\\>", re.I)


def _outside_code(text: str, change: Callable[[str], str]) -> str:
    """Apply `change` to the parts of Markdown that are not code (fenced, indented by backticks, <pre>, <code>)."""
    if "`" not in text and "~~~" not in text and "<pre" not in text and "<code" not in text:
        return change(text)
    out, at = [], 0
    spans = [m.span() for m in _FENCE.finditer(text)]
    spans += [m.span() for m in _CODE.finditer(text) if not any(s <= m.start() < e for s, e in spans)]
    for start, end in sorted(spans):
        if start < at:
            continue
        out.append(change(text[at:start]))
        out.append(text[start:end])
        at = end
    out.append(change(text[at:]))
    return "".join(out)


def strip_templates(text: str, counts: Counter) -> str:
    """Remove template calls: balanced `{{…}}` with nesting (within a paragraph), and what is left of cut ones."""
    # Inside raw HTML the export may write a call's braces apart: `{_{_Doi_10.1000/x_}_}`.
    text = _SPLIT_BRACES.sub(lambda m: "{{" if m.group(0).startswith("{") else "}}", text)
    out: list[str] = []
    at = 0
    while True:
        start = text.find("{{", at)
        if start == -1:
            break
        out.append(text[at:start])
        depth, i, limit = 0, start, len(text)
        block = _CELL_END.search(text, start)
        bound = block.start() if block else limit
        end = -1
        while i < bound - 1:
            pair = text[i:i + 2]
            if pair == "{{":
                depth += 1
                i += 2
            elif pair == "}}":
                depth -= 1
                i += 2
                if depth == 0:
                    end = i
                    break
            else:
                i += 1
        counts["template"] += 1
        if end != -1:
            while end < limit and text[end] == "}" and text.count("{", start, end) > text.count("}", start, end):
                end += 1  # `{{{parameter}}}` closes with three
            out.append(citation_text(text[start + 2:end - 2]))
            at = end
        else:  # cut short (pandoc stopped at a `|`): drop the opening and the template's name
            at = _NAMES_OF_TEMPLATE.match(text, start + 2).end()
    out.append(text[at:])
    text = "".join(out)
    stray = text.count("}}")
    if stray:
        counts["template"] += stray
        text = re.sub(r"\}\}+", "", text)
    return text


# Citation templates, in the languages of the namespace table: their fields are the note's text.
_CITATION = re.compile(r"(?:cite\b|citation|literatur|internetquelle|webarchiv|cita\b|cita |ouvrage|lien web|article\b"
                       r"|cytuj|citar|citeer|книга|статья|публикация|cite_|harvnb)", re.I)
_FIELDS = {
    "author": ("autor", "author", "authors", "auteur", "autore", "autor1", "author1", "auteurs", "автор", "författare",
               "vauthors", "hrsg", "editor", "herausgeber"),
    "last": ("last", "last1", "surname", "nom", "apellido", "cognome", "achternaam"),
    "first": ("first", "first1", "given", "prénom", "nombre", "nome", "voornaam"),
    "title": ("titel", "title", "titre", "título", "titolo", "заглавие", "titel-en", "tytuł"),
    "container": ("sammelwerk", "werk", "journal", "work", "website", "newspaper", "periodical", "magazine",
                  "périodique", "revista", "publicación", "opera", "pubblicazione", "издание", "tijdschrift",
                  "czasopismo"),
    "publisher": ("verlag", "publisher", "éditeur", "editorial", "editore", "издательство", "uitgever", "wydawca"),
    "place": ("ort", "location", "place", "lieu", "ubicación", "città", "место"),
    "year": ("datum", "jahr", "year", "date", "année", "año", "fecha", "anno", "data", "год", "jaar", "rok"),
    "volume": ("band", "volume", "vol", "tome", "том", "jahrgang"),
    "pages": ("seiten", "pages", "page", "pp", "p", "páginas", "pagine", "страницы"),
    "doi": ("doi",),
    "isbn": ("isbn",),
    "url": ("url", "online", "lien", "urlarchiv"),
}
_FIELD_OF = {name: field for field, names in _FIELDS.items() for name in names}


def citation_text(inner: str) -> str:
    """A citation template's fields as a citation in plain text; "" for any other template.

    `{{Literatur |Autor=A. Author |Titel=Title |Sammelwerk=Journal |Datum=1996}}` becomes
    `A. Author, *Title*, Journal (1996)`: what the note said before the export dropped it.
    """
    parts = [_unescape(part) for part in re.split(r"\\?\|", inner)]
    name = parts[0].replace("_", " ").strip()
    doi = re.match(r"doi[\s:]+(10\.\S+)$", name, re.I) or (re.match(r"doi$", name, re.I) and len(parts) > 1
                                                              and re.match(r"()\s*(10\.\S+)", parts[1]))
    if doi:  # {{doi|10.1000/x}}: the identifier is worth keeping
        return f"doi:{doi.group(doi.lastindex)}"
    if not _CITATION.match(name):
        return ""
    found: dict[str, str] = {}
    for part in parts[1:]:
        key, equals, value = part.partition("=")
        field = _FIELD_OF.get(key.replace("_", " ").strip().casefold()) if equals else None
        value = " ".join(value.replace("_", " ").split()) if field not in ("url", "doi", "isbn") else value.strip()
        if field and value and field not in found:
            found[field] = value
    author = found.get("author") or ", ".join(v for v in (found.get("last"), found.get("first")) if v)
    text = ", ".join(v for v in (author, f"*{found['title']}*" if "title" in found else "",
                                 found.get("container", ""), found.get("volume", "")) if v)
    where = ", ".join(v for v in (found.get("publisher"), found.get("place"), found.get("year")) if v)
    text += f" ({where})" if where else ""
    text += f", {found['pages']}" if "pages" in found else ""
    text += f". doi:{found['doi']}" if "doi" in found else ""
    text += f". ISBN {found['isbn']}" if "isbn" in found else ""
    text += f". <{found['url']}>" if re.match(r"https?://\S+$", found.get("url", "")) else ""
    return text.strip()


def take_ref_tags(text: str, labels: list[str]) -> tuple[str, dict[str, str], int]:
    """Turn literal `<ref>…</ref>` (escaped or not) into note markers; return (text, new notes, tags found).

    `<ref name=x>…</ref>` defines a note that `<ref name=x/>` (before or after)
    reuses. New notes are numbered after the page's own numbered notes.
    """
    found: list[tuple[int, int, str | None, str | None]] = []  # (start, end, name, content or None)
    at = 0
    while True:
        opening = _REF_OPEN.search(text, at)
        if opening is None:
            break
        attrs = opening.group("attrs") or ""
        named = _REF_NAME.search(attrs)
        name = next((g for g in named.groups() if g is not None), None) if named else None
        name = html.unescape(name.replace("\\", "")).strip() if name else None
        if opening.group("self"):
            found.append((opening.start(), opening.end(), name, None))
            at = opening.end()
            continue
        closing = _REF_CLOSE.search(text, opening.end())
        following = _REF_OPEN.search(text, opening.end())
        if closing is None or (following is not None and following.start() < closing.start()):
            found.append((opening.start(), opening.end(), name, None))  # never closed: the tag alone goes
            at = opening.end()
            continue
        found.append((opening.start(), closing.end(), name, text[opening.end():closing.start()]))
        at = closing.end()
    if not found:
        return text, {}, 0
    numbers = [int(label) for label in labels if label.isdigit()]
    next_number = max(numbers, default=0) + 1
    taken = set(labels)
    by_name: dict[str, str] = {}
    notes: dict[str, str] = {}
    contents = {name: content for _, _, name, content in found if name and content and content.strip()}
    out, at = [], 0
    for start, end, name, content in found:
        out.append(text[at:start])
        at = end
        if name and name in by_name:
            label = by_name[name]
        else:
            body = content if content is not None else contents.get(name or "") if name else None
            if body is None and not name:
                continue  # a stray tag
            while str(next_number) in taken:
                next_number += 1
            label = str(next_number)
            taken.add(label)
            notes[label] = " ".join(_strip_ref_tags(body or "").split())
            if name:
                by_name[name] = label
        out.append(f'<sup data-note="{label}"></sup>')
    out.append(text[at:])
    return "".join(out), notes, len(found)


# pandoc writes the notes of a page whose refs sit in raw HTML (a table) as HTML footnotes of its own.
_HTML_NOTE_CALL = re.compile(r'<a\s+href="#(fn\d+)"\s+class="footnote-ref"[^>]*>\s*<sup>[^<]*</sup>\s*</a>')
_HTML_NOTES = re.compile(r'<section\s[^>]*class="footnotes[^"]*"[^>]*>(.*?)</section>', re.S)
_HTML_NOTE = re.compile(r'<li\s+id="(fn\d+)"\s*>(.*?)</li>', re.S)
_BACKLINK = re.compile(r'<a\s+href="#fnref\d+"[^>]*>.*?</a>', re.S)


def take_html_footnotes(text: str, labels: list[str]) -> tuple[str, dict[str, str], int]:
    """Turn pandoc's HTML footnotes (`<a href="#fn3" class="footnote-ref">` and their `<section
    class="footnotes">`) into note markers and notes; return (text, new notes, footnotes found).

    Each raw HTML block numbers its own from 1, its section after it: a call belongs to the next section.
    """
    numbers = [int(label) for label in labels if label.isdigit()]
    counter = [max(numbers, default=0) + 1]
    taken = set(labels)
    notes: dict[str, str] = {}
    found = 0
    out, at = [], 0
    sections = list(_HTML_NOTES.finditer(text))
    for section in [*sections, None]:
        bodies: dict[str, str] = {}
        if section is not None:
            for item in _HTML_NOTE.finditer(section.group(1)):
                body = _BACKLINK.sub("", item.group(2))
                bodies[item.group(1)] = " ".join(re.sub(r"</?p\b[^>]*>", " ", body).split())
        given: dict[str, str] = {}

        def call(match: re.Match[str]) -> str:
            key = match.group(1)
            if key not in given:
                while str(counter[0]) in taken:
                    counter[0] += 1
                given[key] = str(counter[0])
                taken.add(given[key])
                notes[given[key]] = bodies.get(key, "")
            return f'<sup data-note="{given[key]}"></sup>'

        end = section.start() if section is not None else len(text)
        out.append(_HTML_NOTE_CALL.sub(call, text[at:end]))
        found += max(len(bodies), len(given))
        at = section.end() if section is not None else end
    return "".join(out), notes, found


def unswallow_links(text: str) -> str:
    """Give back what an autolinked URL swallowed (`<http://x%5D%3C/ref%3E>` is `<http://x>]</ref>`)."""
    return _SWALLOWED.sub(lambda m: f"<{m.group(1)}>]" + unquote(m.group(2)), text)


def _strip_ref_tags(text: str) -> str:
    return _REF_CLOSE.sub("", _REF_OPEN.sub("", text))


def scrub_markdown(text: str, counts: Counter, wikilink: Callable[[str, str], str]) -> str:
    """Remove or convert the leftovers of one article's Markdown body (not its code).

    `wikilink(target, label)` returns what an escaped `[[target|label]]` becomes.
    """
    def count(kind: str, pattern: re.Pattern[str], into: str | Callable[[re.Match[str]], str]) -> Callable[[str], str]:
        def step(part: str) -> str:
            part, n = pattern.subn(into, part)
            counts[kind] += n
            return part
        return step

    def unclosed_comment(part: str) -> str:  # MediaWiki hides the rest of the page; we hide the paragraph
        if _COMMENT_OPEN.search(part):
            counts["comment"] += len(_COMMENT_OPEN.findall(part))
            part = re.sub(_COMMENT_OPEN.pattern + r"(?:[^\n]|\n(?![ \t]*\n))*", "", part)
        return part

    # Each step runs only where its text could be (most pages and notes hold none of it): (needles, step).
    steps: list[tuple[tuple[str, ...], Callable[[str], str]]] = [
        (("!--",), count("comment", _COMMENT, "")),
        (("!--",), unclosed_comment),
        (('")',), lambda part: _TITLE.sub(lambda m: m.group(1) + ")" if _is_wikitext(m.group(0)) else m.group(0), part)),
        (("{", "}}"), lambda part: strip_templates(part, counts)),
        (("{|", "{\\|"), count("table", _WIKITABLE, "")),
        (("__", "\\_\\_"), count("magic_word", _MAGIC, "")),
        (("\\<",), count("html_tag", _ESCAPED_INLINE_TAG, _inline_tag)),
        (("\\<",), count("html_tag", _ESCAPED_BLOCK_TAG, " ")),
        (_FILE_SUFFIXES, count("file_text", _FILE_TEXT, _file_text)),
        (("|",), count("image_options", _OPTIONS, "")),
        (("[[", "\\[\\["), count("wikilink", _ESCAPED_WIKILINK,
                                 lambda m: wikilink(_unescape(m.group(1)), _unescape(m.group(2) or "")))),
        (("[http", "[ftp", "[HTTP"), count("external_link", _RAW_LINK, _raw_link)),
        (("\\[<",), count("external_link", _BRACKETED_AUTOLINK,
                           lambda m: f"[{' '.join(m.group(2).split())}](<{m.group(1)}>)" if m.group(2).strip()
                           else f"<{m.group(1)}>")),
        (("\\[<",), count("external_link", _OPEN_AUTOLINK, r"\1")),
    ]

    def change(part: str) -> str:
        for needles, step in steps:
            if any(needle in part for needle in needles):
                part = step(part)
        return part

    return _outside_code(text, change)


def _inline_tag(match: re.Match[str]) -> str:
    closing, name, attributes, empty = match.groups()
    name = name.lower()
    if closing:
        return f"</{name}>"
    return f"<{name}{_unescape(attributes)}{' /' if name == 'br' or empty else ''}>"


def _file_text(match: re.Match[str]) -> str:
    """What is left of a file named as text: its caption without image options (and the space after it)."""
    caption = match.group(1) or ""
    kept = _OPTIONS.sub("", caption.strip()).strip()
    return kept + " " if kept and caption != caption.rstrip() else kept


def _is_wikitext(title: str) -> bool:
    return "|" in title or "ref" in title.lower() or "{{" in title


def _unescape(text: str) -> str:
    return re.sub(r"\\([\\\[\]|*_`<>])", r"\1", text).strip()


def _raw_link(match: re.Match[str]) -> str:
    url, text = match.group(1), " ".join((match.group(2) or "").split())
    return f"[{text}](<{url}>)" if text else f"<{url}>"


# What the text of converted XHTML may still hold (pandoc escaped it, or it sat in raw HTML).
_TEXT_LEFTOVERS = (
    ("ref_tag", re.compile(r"<\s*/?\s*ref\b[^<>]*>", re.I)),
    ("comment", re.compile(r"<!--.*?(?:-->|$)", re.S)),
    ("magic_word", re.compile(r"(?<!\w)__[A-ZÀ-ÞА-Я]+(?:_[A-ZÀ-ÞА-Я]+)*__(?!\w)")),
    ("template", re.compile(r"\{\{[^{}|<>\n]*|\}\}")),
    ("wikilink", re.compile(r"\[\[|\]\]")),
    ("emphasis", re.compile(r"(?<!')'{2,5}(?!')")),  # two to five apostrophes are wiki markup, never prose
)
_ENTITY = re.compile(r"&(?:[a-zA-Z][a-zA-Z0-9]{1,31}|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")
_SKIP = {"pre", "code", "kbd", "samp", "math", "script", "style"}


def scrub_tree(root: etree._Element, counts: Counter) -> None:
    """Remove from converted XHTML's text (not code) the leftovers the Markdown pass could not reach."""
    def walk(el: etree._Element, in_code: bool) -> None:
        in_code = in_code or el.tag in _SKIP
        if not in_code and el.text:
            el.text = _scrub_text(el.text, counts, caption=el.tag in ("figcaption", "caption"))
        for attribute in ("alt", "title"):
            value = el.get(attribute)
            if value and _SUSPECT.search(value):
                cleaned = _scrub_text(value, counts, caption=True)
                if cleaned != value:
                    el.set(attribute, cleaned.strip())
        for child in el:
            if isinstance(child.tag, str):
                walk(child, in_code)
            if not in_code and child.tail:
                child.tail = _scrub_text(child.tail, counts)

    walk(root, False)


# A text that holds none of these holds no leftover: most text is passed over at the cost of one search.
_SUSPECT = re.compile(r"[{}<>\[\]|&]|__|''|\.(?:png|jpe?g|gif|svg|tiff?|webp|og[gva]|webm|pdf|djvu|mp[34]|wav|flac|midi?)\b",
                      re.I)


def _scrub_text(text: str | None, counts: Counter, caption: bool = False) -> str | None:
    if not text or not _SUSPECT.search(text):
        return text
    if caption or "|" in text:
        stripped = text.lstrip()
        cleaned, n = _OPTIONS.subn("", stripped)
        if n:
            counts["image_options"] += n
            text = text[:len(text) - len(stripped)] + cleaned
    text, n = _FILE_TEXT.subn(_file_text, text)
    counts["file_text"] += n
    if "_" in text:  # a call's braces written apart (`{_{_Doi_10.1000/x_}_}`), as strip_templates reads them
        text = _SPLIT_BRACES.sub(lambda m: "{{" if m.group(0).startswith("{") else "}}", text)
    for kind, pattern in _TEXT_LEFTOVERS:
        text, n = pattern.subn("", text)
        counts[kind] += n
    if "&" in text:  # an entity escaped twice (`&amp;nbsp;`) reads as itself
        text = _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)
    return text


_TABLE_PARTS = {"table": {"caption", "colgroup", "thead", "tbody", "tfoot", "tr"},
                "thead": {"tr"}, "tbody": {"tr"}, "tfoot": {"tr"}, "tr": {"td", "th"}}


def repair_nesting(root: etree._Element) -> int:
    """Unwrap elements where HTML allows none (`<small>` straight inside `<ul>`); return how many.

    A list may hold only items, a table row only cells: an element in between
    is unwrapped so its items become the list's own; loose text goes into an item.
    """
    repaired = 0
    for container in list(root.iter("ul", "ol", "tr", "thead", "tbody", "tfoot", "table")):
        allowed = {"li"} if container.tag in ("ul", "ol") else _TABLE_PARTS[container.tag]
        changed = True
        while changed:
            changed = False
            for child in list(container):
                if isinstance(child.tag, str) and child.tag not in allowed and child.tag not in ("script", "template"):
                    if container.tag in ("ul", "ol") and not any(c.tag == "li" for c in child.iter()):
                        item = lxml_html.Element("li")  # content of its own: an item of the list
                        child.addprevious(item)
                        item.append(child)
                        item.tail, child.tail = child.tail, None
                    else:
                        child.drop_tag()
                    repaired += 1
                    changed = True
                    break
        if container.tag in ("ul", "ol"):
            if container.text and container.text.strip():
                item = lxml_html.Element("li")
                item.text, container.text = container.text.strip(), None
                container.insert(0, item)
                repaired += 1
            for child in container:
                if child.tail and child.tail.strip():
                    item = lxml_html.Element("li")
                    item.text, child.tail = child.tail.strip(), None
                    child.addnext(item)
                    repaired += 1
    return repaired


def drop_local_links(root: etree._Element) -> None:
    """Links to a file of the export that is not a page (`clip.webm`) lead nowhere in a book: their text stays.

    So do links with no text at all.

    A plain relative link to a page (`Other_page.md`) is a wikilink.
    """
    for link in list(root.iter("a")):
        href = link.get("href", "")
        if not "".join(link.itertext()).strip() and link.find(".//img") is None:
            link.drop_tag()  # a link with nothing to read (its text went into links nested in it): no name, no use
            continue
        if not href or href.startswith(("#", "wiki:")) or re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", href):
            continue
        if href.lower().split("#", 1)[0].endswith(".md"):
            page, _, section = href.partition("#")
            link.set("href", "wiki:" + page[:-3] + ("#" + section if section else ""))
        else:
            link.drop_tag()


def fit_table_columns(root: etree._Element) -> int:
    """Narrow colspans so that every column of a table has a cell beginning in it; return how many changed.

    A wiki table whose rows all span the same columns ("colspan=3" then "1")
    leaves columns no cell starts in, which HTML's table model forbids.
    """
    fixed = 0
    for table in root.iter("table"):
        rows = [row for row in table.iter("tr") if next(row.iterancestors("table"), None) is table]
        placed: list[tuple[etree._Element, int, int]] = []  # (cell, first column, colspan)
        taken: set[tuple[int, int]] = set()  # slots that cells of rows above reach down into
        for r, row in enumerate(rows):
            column = 0
            for cell in (c for c in row if c.tag in ("td", "th")):
                while (r, column) in taken:
                    column += 1
                span, down = cell_span(cell.get("colspan")), cell_span(cell.get("rowspan"))
                # Only the table's own rows count: a rowspan of 1000 on a short table marks no more.
                taken.update((r + dr, column + dc) for dr in range(1, min(down, len(rows) - r)) for dc in range(span))
                placed.append((cell, column, span))
                column += span
        starts = {first for _, first, _ in placed}
        for cell, first, span in placed:
            kept = sum(1 for start in range(first, first + span) if start in starts)
            if kept != span:
                fixed += 1
                if kept > 1:
                    cell.set("colspan", str(kept))
                else:
                    cell.attrib.pop("colspan", None)
    return fixed


def cell_span(value: str | None) -> int:
    """A colspan or rowspan as a count: 1 when missing or not a number; at most 1000 (HTML's limit)."""
    try:
        return min(max(int(value or 1), 1), 1000)
    except ValueError:
        return 1


def describe(counts: dict[str, int]) -> str:
    """Say in a sentence what was found: '3 template calls, 12 literal <ref> tags (made into notes)'."""
    return ", ".join(f"{counts[kind]} {what}" for kind, what in KINDS.items() if counts.get(kind))
