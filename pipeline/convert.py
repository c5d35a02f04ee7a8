"""Stage 2: Markdown to sanitised XHTML fragments, many articles per pandoc run.

A whole chunk of articles (and their notes) goes through one pandoc process
(`pipeline.pandoc.run_segments`: split tokens between them, one run per
segment if a token goes missing); an article one of whose parts pandoc
cannot convert becomes a chapter holding its title and saying so.
"""
from __future__ import annotations

from collections import Counter

from lxml import etree

from .citations import parse_note_sources
from .language import detect_language, namespace_hints
from .leftovers import describe, drop_local_links, fit_table_columns, repair_nesting, scrub_tree
from .math import prepare_math
from .model import Article, Fragment, Note, Problem, Section
from .pandoc import PandocError, run_segments
from .sanitize import parse_fragment, sanitize, to_xhtml
from .titles import slugify, unique

__all__ = ["convert_articles", "chapter_id_for"]
# GFM's math ($`…`$ and ```math blocks) becomes MathML: the GFM reader wants both math extensions
# for it, and the export escapes a literal dollar (\$), so a price never reads as a formula.
_READER = "gfm-emoji"
_ARGS = ["-f", _READER, "-t", "html5", "--mathml"]


def chapter_id_for(title: str) -> str:
    """Return the chapter id a title gets before collisions are settled."""
    return "ch-" + slugify(title)


def convert_articles(articles: list[Article]) -> list[Fragment]:
    """Convert cleaned articles (not redirects) into fragments, in one pandoc run."""
    segments: list[str] = []
    for article in articles:
        segments.append(article.markdown)
        segments.extend(article.notes.values())
    outputs = run_segments(_ARGS, segments)
    fragments = []
    position = 0
    for article in articles:
        count = 1 + len(article.notes)
        parts = outputs[position:position + count]
        position += count
        error = next((part for part in parts if isinstance(part, PandocError)), None)
        fragments.append(_fragment(article, parts) if error is None else _failed(article, error))
    return fragments


def _failed(article: Article, err: PandocError) -> Fragment:
    """A chapter that holds only the article's title and says why."""
    failed = Article(file=article.file, title=article.title, categories=article.categories,
                     problems=[*article.problems, Problem(
                         article.file, "error", f"pandoc could not convert it ({err}); "
                         "the chapter holds only its title")])
    return _fragment(failed, [""])


# What an empty note says instead of a bare number: the export dropped its citation template.
LOST_NOTE = "The export lost the text of this note."


def _fragment(article: Article, outputs: list[str]) -> Fragment:
    """Build a Fragment from pandoc's output for an article and its notes."""
    cid = chapter_id_for(article.title)
    counts: Counter = Counter()
    body = _drop_page_anchors(parse_fragment(sanitize(outputs[0])))
    problems = list(article.problems)
    problems += [Problem(article.file, "warning", message) for message in prepare_math(body)]
    scrub_tree(body, counts)  # what pandoc escaped or carried in raw HTML
    _repair(body)
    _fill_header_cells(body)
    # The chapter's own anchors: no heading of the page may take them.
    taken: set[str] = {cid, f"{cid}--title", f"{cid}--notes", f"{cid}--notes-title"}
    sections = _number_headings(body, cid, taken)
    refs = _link_note_refs(body, cid)
    notes, citations = [], []
    lost = 0
    for label, output in zip(article.notes, outputs[1:]):
        note_root = _drop_page_anchors(parse_fragment(sanitize(output)))
        problems += [Problem(article.file, "warning", f"note {label}: {message}") for message in prepare_math(note_root)]
        _fill_header_cells(note_root)
        for marker in note_root.iter("sup"):
            marker.attrib.pop("data-note", None)  # a note inside a note is just text
        scrub_tree(note_root, counts)
        _repair(note_root)
        text = _note_text(note_root)
        if not text.strip(" .,;:*") and note_root.find(".//img") is None:
            # An empty note (its citation template was dropped): said so, and it cites nothing.
            lost += 1
            notes.append(Note(label=label, id=f"{cid}--fn-{slugify(label)}",
                              html=f'<p class="note-lost">{LOST_NOTE}</p>', text="",
                              ref_ids=refs.get(label, []), lost=True))
            citations.append(([], []))
            continue
        # Citations are parsed here, per article and in parallel, not once per book in assembly.
        notes.append(Note(label=label, id=f"{cid}--fn-{slugify(label)}", html=to_xhtml(note_root),
                          text=text, ref_ids=refs.get(label, [])))
        citations.append(parse_note_sources(text))
    leftovers = dict(article.leftovers)
    for kind, n in counts.items():
        if n:
            leftovers[kind] = leftovers.get(kind, 0) + n
    if counts and any(counts.values()):
        problems = [p for p in problems if not p.message.startswith(_LEFTOVER_MESSAGE)]
        problems.append(Problem(article.file, "warning", _LEFTOVER_MESSAGE + describe(leftovers)))
    if lost:
        problems.append(Problem(article.file, "warning", f"{lost} of {len(notes)} notes are empty (the export "
                                                         "lost their text); each says so"))
    fragment = Fragment(file=article.file, title=article.title, chapter_id=cid, html=to_xhtml(body),
                        sections=sections, notes=notes, categories=list(article.categories),
                        problems=problems, lang=_language(body), leftovers=leftovers,
                        interlanguage=list(article.interlanguage), category_page=article.category_page,
                        citations=citations)
    return fragment


def _language(body: etree._Element) -> str:
    """The language the page's prose is written in ("" when unsure): its text without code or formulas."""
    parts: list[str] = []

    def walk(el: etree._Element) -> None:
        if el.tag not in ("pre", "code", "math"):
            parts.append(el.text or "")
            for child in el:
                walk(child)
        parts.append(el.tail or "")

    for child in body:
        walk(child)
    targets = [a.get("href", "")[5:] for a in body.iter("a") if a.get("href", "").startswith("wiki:")]
    return detect_language(" ".join("".join(parts).split()), namespace_hints(targets))


def _fill_header_cells(root: etree._Element) -> None:
    """Leave no header cell empty: a header row with no text goes, an empty header cell becomes a data cell.

    pandoc writes an empty header row for a table that has none; screen readers
    announce every cell of a row by its column's header.
    """
    for row in list(root.iter("tr")):
        cells = [c for c in row if c.tag in ("th", "td")]
        if not cells or any(c.tag == "td" for c in cells) or any(_has_content(c) for c in cells):
            for cell in cells:
                if cell.tag == "th" and not _has_content(cell):
                    cell.tag = "td"
            continue
        group = row.getparent()
        group.remove(row)
        if group.tag == "thead" and not len(group):
            group.getparent().remove(group)


def _has_content(cell: etree._Element) -> bool:
    return bool("".join(cell.itertext()).strip()) or any(True for _ in cell.iter("img", "math"))


_LEFTOVER_MESSAGE = "wikitext the export left unconverted: "


def _repair(root: etree._Element) -> None:
    """Mend what no builder may receive: lists and tables holding what HTML forbids, links to non-pages."""
    repair_nesting(root)
    fit_table_columns(root)
    drop_local_links(root)


def _drop_page_anchors(root: etree._Element) -> etree._Element:
    """Unwrap `#fragment` links from the page (or pandoc's code line numbers): their ids are gone."""
    for link in list(root.iter("a")):
        if link.get("href", "").startswith("#"):
            link.drop_tag()
    return root


def _note_text(root: etree._Element) -> str:
    """Return a note as one line of text with *emphasis* and [links](url) marked, from its sanitised HTML.

    The citation parser reads this, so nothing the sanitiser removed (raw
    HTML, scripts) can reach the bibliography.
    """
    parts: list[str] = []

    def walk(el: etree._Element) -> None:
        mark = "*" if el.tag in ("em", "i", "cite") else ""
        href = el.get("href", "") if el.tag == "a" else ""
        web = href.startswith(("http://", "https://", "ftp://"))  # a wikilink is its text: no URL to cite
        text = "".join(el.itertext()) if web else ""
        if web and " ".join(text.split()) == href:
            parts.append(f"<{href}>")  # an autolink, as the export writes it
            return
        parts.append(mark + ("[" if web else "") + (el.text or ""))
        for child in el:
            walk(child)
            parts.append(child.tail or "")
        parts.append((f"]({href.replace(' ', '%20')})" if web else "") + mark)

    walk(root)
    return " ".join("".join(parts).split())


def _number_headings(root: etree._Element, cid: str, taken: set[str]) -> list[Section]:
    """Give every heading a chapter-namespaced id and a level that skips none.

    The chapter's title is the h1: the page's top headings become h2, and a
    heading is at most one level below the heading it stands under (an h4
    straight under an h2 becomes an h3). Ids never take the chapter's own
    anchors (`taken`) nor look like its note anchors.
    """
    sections = []
    above: list[tuple[int, int]] = []  # (level in the page, level in the book) of the headings we are under
    for el in root.iter("h1", "h2", "h3", "h4", "h5", "h6"):
        level = max(2, int(el.tag[1]))
        while above and above[-1][0] >= level:
            above.pop()
        new = min(6, above[-1][1] + 1 if above else 2)
        above.append((level, new))
        el.tag = f"h{new}"
        text = " ".join("".join(el.itertext()).split())
        slug = slugify(text) or "section"
        if slug.startswith(("fn-", "ref-")):
            slug = "s-" + slug  # note and reference anchors are `--fn-…` and `--ref-…`
        el.set("id", unique(f"{cid}--{slug}", taken))
        sections.append(Section(level=new, title=text, id=el.get("id")))
    return sections


def _link_note_refs(root: etree._Element, cid: str) -> dict[str, list[str]]:
    """Turn ``<sup data-note>`` markers into note references; return ref ids per label."""
    refs: dict[str, list[str]] = {}
    for sup in list(root.iter("sup")):
        label = sup.attrib.pop("data-note", None)
        if label is None:
            continue
        ids = refs.setdefault(label, [])
        ref_id = f"{cid}--ref-{slugify(label)}" + (f"-{len(ids) + 1}" if ids else "")
        ids.append(ref_id)
        for child in list(sup):
            sup.remove(child)
        sup.text = None
        link = etree.SubElement(sup, "a", {"class": "noteref", "id": ref_id, "role": "doc-noteref",
                                           "href": f"#{cid}--fn-{slugify(label)}"})
        link.text = label
        before = sup.getprevious()
        if before is not None and before.tag == "sup" and not (before.tail or "").strip() \
                and any(a.get("class") == "noteref" for a in before.iter("a")):
            # Calls side by side read 1,2,3 (as a wiki prints [1][2][3]), not 123.
            sep = etree.Element("span", {"class": "noteref-sep"})
            sep.text = ","
            sup.insert(0, sep)
    return refs
