"""Notes as footnotes: each cited note set inside the paragraph that cites it, for `float: footnote`."""
from __future__ import annotations

from dataclasses import replace

from markupsafe import Markup

from ..model import Chapter, Note
from ..render import environment
from ..sanitize import parse_fragment, to_xhtml

__all__ = ["footnoted"]


# Block elements a note may hold. A footnote sits inside the paragraph that cites
# it, where an HTML parser would close the paragraph at any block start tag, so
# they become spans the stylesheet displays as blocks (class `fn-<tag>`).
_BLOCKS = {"p", "div", "blockquote", "pre", "ul", "ol", "li", "dl", "dt", "dd", "figure",
           "figcaption", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "caption",
           "thead", "tbody", "tfoot", "tr", "th", "td"}


def _inline(xhtml: str) -> Markup:
    """Return block-level note XHTML as phrasing content: blocks become classed spans."""
    root = parse_fragment(xhtml)
    for el in root.iter("colgroup", "col"):
        el.getparent().remove(el)
    for el in root.iter(*_BLOCKS):
        for name in set(el.attrib) - {"lang", "dir"}:  # cell spans and alignment have no use here
            del el.attrib[name]
        el.set("class", f"fn-{el.tag}")
        el.tag = "span"
    return Markup(to_xhtml(root).strip())


def footnoted(chapter: Chapter) -> Chapter:
    """Return `chapter` with each cited note set as a footnote after its first reference.

    Later references keep linking to the note's id, which the footnote carries.
    Notes that nothing cites stay in `notes`, for the chapter's end.
    """
    # Before the footnotes come between them: references that follow each other get their separator.
    root = parse_fragment(chapter.html)
    refs = {a.get("id"): a for a in root.iter("a") if a.get("class") == "noteref"}
    template = environment().get_template("pdf/footnote.xhtml.j2")
    uncited: list[Note] = []
    for note in chapter.notes:
        first = refs.get(note.ref_ids[0]) if note.ref_ids else None
        if first is None:
            uncited.append(note)
            continue
        footnote = parse_fragment(template.render(note=note, body=_inline(note.html)))[0]
        call = first.getparent() if first.getparent().tag == "sup" else first
        footnote.tail, call.tail = call.tail, None
        call.addnext(footnote)
    return replace(chapter, html=to_xhtml(root), notes=uncited)
