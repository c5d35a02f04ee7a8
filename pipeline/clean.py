"""Stage 1: undo the export's damage, one page at a time (pure functions).

The export dialect is described in docs/input.md: wikilinks exported as raw
``"<a href="Page.md" class="wikilink">"text</a>`` with stray quotes, note
definitions at the end of the page, category links, redirect pages and
MediaWiki markup pandoc did not convert.
"""
from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import quote

from collections import Counter
from collections.abc import Iterable

from .csl import mark_citations
from .leftovers import describe, scrub_markdown, take_html_footnotes, take_ref_tags, unswallow_links
from .model import Article, Problem, SourceFile
from .namespaces import Namespaces, image_option_pattern, namespaces
from .titles import normalize_title, title_from_filename

__all__ = ["decode", "clean_article", "read_article"]


# A wikilink element. The stray quote before `<a` is an artefact; when it is
# there, so is the one before the link text ((?(1)") removes exactly that one).
# Inside a block quote the wrapped tag's later lines start with `> `.
_IN_TAG = r'(?:[^<>\n]|\n[ \t]*(?:>[ \t]?)*)'
_WIKILINK = re.compile(
    rf'(")?<a(?=\s){_IN_TAG}*?\bclass="wikilink"{_IN_TAG}*>(?(1)")(.*?)</a\s*>',
    re.S,
)
_HREF = re.compile(r'\bhref="([^"]*)"')
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:(?!.*\.md$)")
# pandoc reads `#REDIRECT [[Target]]` as a numbered list item; a localised wiki says `#WEITERLEITUNG`.
_REDIRECT = re.compile(
    r'^\s*(?:\d+\.\s+|[-*]\s+|\\?#\s*)?(?:' + "|".join(namespaces().redirect_words) +
    r')\s*:?\s*<a href="wiki:([^"#]*)(?:#[^"]*)?">',
    re.I,
)
_OPTIONS = image_option_pattern()
_REFERENCES_TAG = re.compile(r"<references\b[^<>]*/>|<references\b[^<>]*>(.*?)</references>", re.I | re.S)
_NOTE_DEF = re.compile(r"^\[\^([^\]\s]+)\]:[ \t]?(.*)$")
_NOTE_REF = re.compile(r"\[\^([^\]\s]+)\](?!:)")
_FENCE = re.compile(r"^ {0,3}(```+|~~~+)")
_BOLD_ITALIC = re.compile(r"'''''(?=\S)((?:[^'\n]|'(?!'''')|\n(?!\s*\n))+?)'''''")
_BOLD = re.compile(r"'''(?=[^\s'])((?:[^'\n]|'(?!'')|\n(?!\s*\n))+?)'''")
_ITALIC = re.compile(r"(?<!')''(?=[^\s'])((?:[^'\n]|'(?!')|\n(?!\s*\n))+?)''(?!')")
_TITLE = re.compile(r"^#[ \t]+(.+?)[ \t]*#*[ \t]*$")
_HEADING = re.compile(r"^#{1,6}[ \t]")
# Markdown no wiki page needs, on which a parser's time or memory explodes.
_PATHOLOGICAL = {
    "block quotes nested more than 32 deep": re.compile(r"^(?:[ \t]*>){33}", re.M),
    "lists nested more than 32 deep on one line": re.compile(r"^(?:[ \t]*(?:[-*+]|\d+[.)])[ \t]+){33}", re.M),
    "a run of more than 256 brackets": re.compile(r"[\[\]()<>{}]{257}"),
}


_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f]")  # C0 controls but tab, newline, form feed, return


def decode(source: SourceFile) -> tuple[str | None, list[Problem]]:
    """Return the text of a source file, or None with the reason it is unusable.

    UTF-8 is expected. A file that is not UTF-8 but reads as Windows-1252 (the
    usual culprit) is used with a warning; anything else is an error.
    """
    data = source.data
    if not data.strip():
        return None, [Problem(source.name, "error", "empty file: nothing to include")]
    if b"\x00" in data[:8192]:
        return None, [Problem(source.name, "error", "binary file, not Markdown text: skipped")]
    try:
        text = data.decode("utf-8-sig")
        problems: list[Problem] = []
    except UnicodeDecodeError as err:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            return None, [Problem(source.name, "error",
                                  f"not UTF-8 text (bad byte at offset {err.start}) "
                                  "and not Windows-1252 either: skipped")]
        problems = [Problem(source.name, "warning",
                            f"not valid UTF-8 (bad byte at offset {err.start}); "
                            "read as Windows-1252 — please re-save it as UTF-8")]
    controls = len(_CONTROLS.findall(text, 0, 8192))
    if controls > 16:
        return None, [Problem(source.name, "error", "binary file, not Markdown text: skipped")]
    return text, problems


def read_article(source: SourceFile, custom_namespaces: tuple[tuple[str, str], ...] = ()) -> Article:
    """Decode and clean one source file; an unusable one comes back untitled, with its problems.

    `custom_namespaces` are book.toml's `[links] namespaces` as (prefix, kind) pairs.
    """
    text, problems = decode(source)
    if text is None:
        return Article(file=source.name, title="", problems=problems)
    article = clean_article(source.name, text, custom_namespaces)
    article.problems[:0] = problems
    return article


def clean_article(name: str, text: str, custom_namespaces: tuple[tuple[str, str], ...] = ()) -> Article:
    """Turn one exported page into an Article (see the module docstring)."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    for what, pattern in _PATHOLOGICAL.items():
        if pattern.search(text):
            return Article(file=name, title="", problems=[Problem(
                name, "error", f"pathological Markdown ({what}): left out rather than risk the build")])
    ns = namespaces(custom_namespaces)
    categories: list[str] = []
    interlanguage: list[str] = []
    counts: Counter = Counter()
    text = _WIKILINK.sub(lambda m: _rewrite_link(m, categories, interlanguage, ns, counts), text)

    lines = text.split("\n")
    title, rest = _take_title(lines, name)
    # A redirect may carry a title heading (`# Redirect`) before `1. REDIRECT …`.
    redirect = _REDIRECT.match(text) or _REDIRECT.match("\n".join(rest))
    if redirect:
        from urllib.parse import unquote

        return Article(file=name, title=title_from_filename(name),
                       redirect=normalize_title(unquote(redirect.group(1))),
                       categories=categories)

    # Refs defined in the list (`<references><ref name=a>…</ref></references>`) come as note calls inside
    # it: the list goes, its notes stay (printed with the others, though the text's call lost its name).
    listed: list[str] = []
    text = _REFERENCES_TAG.sub(lambda m: listed.extend(_NOTE_REF.findall(m.group(1) or "")) or "", text)
    lines = text.split("\n")
    title, lines = _take_title(lines, name)
    kind, described = ns.kind(title)
    if kind != "category":
        kind, described = ns.kind(title_from_filename(name))
    body, notes, problems = _take_notes(lines, name, listed)
    body, ref_notes, tags = take_ref_tags(unswallow_links(body), list(notes))
    counts["ref_tag"] += tags
    notes.update(ref_notes)
    body, html_notes, found = take_html_footnotes(body, list(notes))
    counts["html_footnote"] += found
    notes.update(html_notes)

    def wikilink(target: str, label: str) -> str:
        return _link_for(target, label or target, categories, interlanguage, ns, counts)

    body = scrub_markdown(body, counts, wikilink)
    notes = {label: " ".join(scrub_markdown(note, counts, wikilink).split()) for label, note in notes.items()}
    body, citations = mark_citations(body, notes)  # [@key] citations become notes too
    notes.update(citations)
    body = _mediawiki_emphasis(body)
    body = _drop_empty_sections(body)
    leftovers = {kind_: n for kind_, n in counts.items() if n}
    if leftovers:
        problems.append(Problem(name, "warning", "wikitext the export left unconverted: " + describe(leftovers)))
    return Article(file=name, title=title, markdown=body.strip() + "\n", notes=notes,
                   categories=categories, problems=problems, leftovers=leftovers,
                   interlanguage=interlanguage,
                   category_page=normalize_title(described) if kind == "category" and described else None)


def _rewrite_link(match: re.Match[str], categories: list[str], interlanguage: list[str], ns: Namespaces,
                  counts: Counter) -> str:
    """Return one wikilink as ``<a href="wiki:…">`` (categories and interlanguage links are collected)."""
    label = match.group(2)
    href = _HREF.search(match.group(0))
    target = html.unescape(href.group(1)).strip() if href else ""
    if _SCHEME.match(target) and ns.kind(target)[0] == "":  # an external link that was marked as a wikilink
        return f'<a href="{html.escape(target)}">{label}</a>'
    if target.lower().endswith(".md"):
        target = target[:-3]
    return _link_for(target, label, categories, interlanguage, ns, counts)


def _link_for(target: str, label: str, categories: list[str], interlanguage: list[str], ns: Namespaces,
              counts: Counter) -> str:
    """What a link to `target` becomes, by its namespace: a wikilink, an image, text or nothing."""
    if target.startswith(":"):  # `[[:Category:X]]`, `[[:de:Seite]]`: a visible link, not a category or a language
        if ns.kind(normalize_title(target[1:].partition("#")[0]))[0]:
            return label  # it leads to no page of the book: its text stays
        target = target[1:]
    page, _, section = target.partition("#")
    kind, rest = ns.kind(normalize_title(page))
    if kind == "category":
        category = normalize_title(rest.split("|", 1)[0])
        if category and category not in categories:
            categories.append(category)
        return ""
    if kind == "interlanguage":
        if target not in interlanguage:
            interlanguage.append(target)
        return ""
    if kind == "drop":
        return ""
    if kind == "file":  # an image the export kept as a link: the image, its options off the caption
        caption, n = _OPTIONS.subn("", " ".join(html.unescape(re.sub(r"<[^>]*>", "", label)).split()))
        counts["image_options"] += n
        if caption.strip() in (rest.strip(), page.strip()):  # no caption of its own
            caption = ""
        # Markdown, not an <img> tag: a tag alone on its line would open a raw HTML block to the next blank line.
        alt = re.sub(r"([\\\[\]*_`<>])", r"\\\1", caption)
        return f"![{alt}](<{rest.strip().replace('<', '%3C').replace('>', '%3E')}>)"
    if kind == "media":
        return label
    href_value = "wiki:" + quote(page, safe="") + ("#" + quote(section, safe="") if section else "")
    return f'<a href="{href_value}">{label}</a>'


def _take_title(lines: list[str], name: str) -> tuple[str, list[str]]:
    """Split off the first `# Heading` (when it opens the page) as the title."""
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        m = _TITLE.match(line)
        if m:
            title = re.sub(r"[*_`]+", "", html.unescape(m.group(1))).strip()
            if title:
                return unicodedata.normalize("NFC", " ".join(title.split())), lines[i + 1:]
        break
    return title_from_filename(name), lines


def _take_notes(lines: list[str], name: str,
                listed: Iterable[str] = ()) -> tuple[str, dict[str, str], list[Problem]]:
    """Remove note definitions; turn references into ``<sup data-note>`` markers."""
    body: list[str] = []
    notes: dict[str, list[str]] = {}
    problems: list[Problem] = []
    current: list[str] | None = None
    in_fence = ""
    for line in lines:
        fence = _FENCE.match(line)
        if in_fence:
            body.append(line)
            if fence and fence.group(1)[0] == in_fence[0] and len(fence.group(1)) >= len(in_fence):
                in_fence = ""
            continue
        definition = _NOTE_DEF.match(line)
        if definition:
            label = definition.group(1)
            if label in notes:
                problems.append(Problem(name, "warning", f"note [^{label}] is defined twice; the first is kept"))
                current = []
            else:
                current = notes.setdefault(label, [])
            current.append(definition.group(2))
            continue
        if current is not None and (not line.strip() or line.startswith((" ", "\t"))):
            current.append(line.strip())
            continue
        current = None
        if fence:
            in_fence = fence.group(1)
        body.append(line)
    if in_fence:  # an unclosed fence would swallow the notes and the next page
        body.append(in_fence)
    joined = {label: " ".join(" ".join(parts).split()) for label, parts in notes.items()}

    used: list[str] = [label for label in listed if label in joined]

    def ref(m: re.Match[str]) -> str:
        label = m.group(1)
        if label not in joined:
            return m.group(0)  # reported below; left as the reader wrote it
        used.append(label)
        return f'<sup data-note="{html.escape(label)}"></sup>'

    text = _NOTE_REF.sub(ref, "\n".join(body))
    for label in dict.fromkeys(_NOTE_REF.findall(text)):
        problems.append(Problem(name, "warning", f"note [^{label}] is referenced but never defined"))
    for label in joined:
        if label not in used:
            problems.append(Problem(name, "warning", f"note [^{label}] is defined but never referenced"))
    return text, {k: v for k, v in joined.items() if k in used}, problems


def _mediawiki_emphasis(text: str) -> str:
    """Turn leftover `'''bold'''` and `''italic''` into Markdown."""
    text = _BOLD_ITALIC.sub(r"***\1***", text)
    text = _BOLD.sub(r"**\1**", text)
    return _ITALIC.sub(r"*\1*", text)


# Headings a wiki puts over `<references/>`, in the languages of the namespace table.
_NOTES_HEADINGS = {
    "references", "notes", "footnotes", "notes and references", "citations", "sources",
    "einzelnachweise", "anmerkungen", "fußnoten", "belege", "quellen", "nachweise",
    "références", "notes et références", "sources et références", "referencias", "notas", "notas y referencias",
    "note", "riferimenti", "note e riferimenti", "bronnen", "noten", "referenties", "bronnen en referenties",
    "przypisy", "bibliografia", "referências", "notas e referências", "примечания", "источники", "сноски",
    "källor", "fotnoter", "referenser", "脚注", "出典", "参考文献", "注释", "參考文獻", "註釋", "verwysings", "notas",
}


def _drop_empty_sections(text: str) -> str:
    """Drop headings left with nothing under them (`## References` once cleaned)."""
    lines = text.split("\n")
    keep: list[str] = []
    for i, line in enumerate(lines):
        if _HEADING.match(line) and line.lstrip("#").strip().lower() in _NOTES_HEADINGS:
            rest = next((later for later in lines[i + 1:] if later.strip()), "")
            if not rest or _HEADING.match(rest):
                continue
        keep.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(keep))
