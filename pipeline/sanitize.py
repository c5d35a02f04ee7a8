"""Allow-list sanitising of everything that came from a wiki page, and XHTML out.

Wiki pages are edited by the public and raw HTML survives the export, so every
fragment pandoc writes passes through nh3 before it reaches any output. Ids
from the page are dropped: the book assigns its own, namespaced per chapter.
"""
from __future__ import annotations

import re

import nh3
from lxml import etree, html as lxml_html

__all__ = ["sanitize", "parse_fragment", "to_xhtml", "VOID", "MATHML_NS", "TOKEN_CLASSES"]

_TAGS = {
    "a", "abbr", "b", "bdi", "bdo", "blockquote", "br", "caption", "cite", "code",
    "col", "colgroup", "dd", "del", "dfn", "div", "dl", "dt", "em", "figcaption",
    "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd",
    "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong",
    "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
    "var", "wbr",
}
# MathML that pandoc writes (--mathml): presentation elements only. No <maction> (it toggles
# content), no <annotation-xml> (it may carry HTML), no href, link or colour attributes.
MATHML_NS = "http://www.w3.org/1998/Math/MathML"
_MATHML_TAGS = {
    "math", "semantics", "annotation", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msub", "msup",
    "msubsup", "munder", "mover", "munderover", "mfrac", "msqrt", "mroot", "mstyle", "merror", "mpadded",
    "mphantom", "mfenced", "menclose", "mtable", "mtr", "mtd", "mlabeledtr", "mmultiscripts", "mprescripts",
    "none",
}
_MATHML_ATTRIBUTES = {
    "accent", "accentunder", "align", "bevelled", "close", "columnalign", "columnlines", "columnspacing",
    "columnspan", "denomalign", "depth", "displaystyle", "fence", "form", "frame", "height", "largeop",
    "linethickness", "lspace", "mathsize", "mathvariant", "maxsize", "minsize", "movablelimits", "notation",
    "numalign", "open", "rowalign", "rowlines", "rowspacing", "rowspan", "rspace", "scriptlevel", "separator",
    "separators", "stretchy", "symmetric", "voffset", "width",
}
# Pandoc's highlighted code (skylighting): a token class per span, `sourceCode` on the block.
# Classes only, never a style: the book's stylesheets colour them.
TOKEN_CLASSES = {
    "al", "an", "at", "bn", "bu", "cf", "ch", "cn", "co", "cv", "do", "dt", "dv", "er", "ex", "fl", "fu",
    "im", "in", "kw", "op", "ot", "pp", "re", "sc", "ss", "st", "va", "vs", "wa",
}
_CLASSES = {
    "div": {"sourceCode"},
    "pre": {"sourceCode"},
    "code": {"sourceCode"},
    # pandoc marks a formula it could not convert `math inline` / `math display` (convert.py shows its TeX).
    "span": TOKEN_CLASSES | {"math", "inline", "display"},
}
_ATTRIBUTES = {
    "*": {"lang", "dir", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "style"},
    "th": {"colspan", "rowspan", "style", "scope"},
    "ol": {"start", "reversed"},
    "li": {"value"},
    "sup": {"data-note"},
    "q": {"cite"},
    "blockquote": {"cite"},
    **{tag: set(_MATHML_ATTRIBUTES) for tag in _MATHML_TAGS},
    "math": {"display", "alttext"} | _MATHML_ATTRIBUTES,
    "annotation": {"encoding"},
}
# `wiki:` carries wikilinks until they are resolved; nothing else may fetch.
_SCHEMES = {"http", "https", "mailto", "wiki"}
VOID = {"br", "col", "hr", "img", "wbr"}
_EMPTY_CLASS = re.compile(r'(<[a-zA-Z][^<>]*?) class=""')
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# Built once: handing nh3 the allow-lists on each call costs forty times the cleaning of a note.
_CLEANER = nh3.Cleaner(
    tags=_TAGS | _MATHML_TAGS,
    clean_content_tags={"script", "style", "template", "textarea", "title", "noscript"},
    attributes=_ATTRIBUTES,
    url_schemes=_SCHEMES,
    link_rel=None,
    allowed_classes=_CLASSES,
    set_tag_attribute_values={"math": {"xmlns": MATHML_NS}},
    filter_style_properties={"text-align"},  # pandoc's table column alignment
)


def sanitize(fragment: str) -> str:
    """Return `fragment` with everything not on the allow-list removed."""
    clean = _CLEANER.clean(_XML_INVALID.sub("", fragment))
    # nh3 leaves `class=""` where no class was allowed; only inside a tag (text has no raw "<").
    return _EMPTY_CLASS.sub(r"\1", clean) if ' class=""' in clean else clean


def parse_fragment(fragment: str) -> etree._Element:
    """Parse sanitised HTML into a `<div>` wrapper element."""
    if not fragment.strip():
        return lxml_html.Element("div")
    return lxml_html.fragment_fromstring(fragment, create_parent="div")


def to_xhtml(root: etree._Element) -> str:
    """Serialise the children of `root` as well-formed XHTML that HTML parsers read alike."""
    for el in root.iter():
        # `<p/>` is well-formed XML but an HTML parser reads it as an open tag.
        if isinstance(el.tag, str) and el.tag not in VOID and el.text is None and len(el) == 0:
            el.text = ""
    parts = [root.text and _escape(root.text) or ""]
    parts += [etree.tostring(child, method="xml", encoding="unicode") for child in root]
    return "".join(parts)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
