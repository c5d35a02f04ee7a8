"""Formulas: MathML for the EPUB and the HTML, vector SVG for the PDF.

pandoc turns a page's TeX (`` $`x^2`$ ``, fenced ``math`` blocks) into MathML,
which e-readers and browsers lay out themselves. WeasyPrint does not lay out
MathML, so the print book shows each formula as an SVG drawn by ziamath (with
its own bundled STIX Two Math font), its TeX as the image's alt text. A
formula pandoc or ziamath cannot handle is shown as its TeX source in code
type, and the page is named in the report.
"""
from __future__ import annotations

import hashlib
import html
import logging
import re
from functools import lru_cache

from lxml import etree

from .sanitize import MATHML_NS

__all__ = ["prepare_math", "print_math", "math_svg", "MathSvg"]

_TEX = "application/x-tex"
_SIZE = 20.0  # px the SVG is drawn at; the PDF scales it in em, so only the precision depends on it
_MATH = re.compile(r"<math\b[^>]*>.*?</math>", re.S)
_VIEWBOX = re.compile(r'viewBox="([-\d.e]+) ([-\d.e]+) ([-\d.e]+) ([-\d.e]+)"')
_DELIMITERS = re.compile(r"^\s*(\$\$|\$|\\\[|\\\()(.*?)(\$\$|\$|\\\]|\\\))\s*$", re.S)


class MathSvg(tuple):
    """A formula drawn as SVG: (svg bytes, width, height, depth below the baseline), lengths in em."""

    __slots__ = ()

    def __new__(cls, svg: bytes, width: float, height: float, depth: float) -> MathSvg:
        return super().__new__(cls, (svg, width, height, depth))


def _tex_of(math: etree._Element) -> str:
    """The TeX a <math> element was made from (its annotation), or its text."""
    for el in math.iter("annotation", f"{{{MATHML_NS}}}annotation"):
        if el.get("encoding") == _TEX:
            return (el.text or "").strip()
    return " ".join("".join(math.itertext()).split())


def _as_code(el: etree._Element, tex: str) -> None:
    """Replace `el` with its TeX in code type (the fallback of a formula that cannot be shown)."""
    code = el.makeelement("code", {"class": "math-tex"})
    code.text = tex
    code.tail = el.tail
    el.getparent().replace(el, code)


def prepare_math(root: etree._Element) -> list[str]:
    """Check every formula of sanitised page content; return what could not be typeset, said for the report.

    A formula pandoc could not convert (a `span.math` holding TeX) and one the
    print renderer cannot draw become their TeX in code type. Every <math>
    gets its TeX as `alttext`, for readers that speak it.
    """
    problems: list[str] = []
    for span in [s for s in root.iter("span") if "math" in (s.get("class") or "").split()]:
        text = "".join(span.itertext())
        match = _DELIMITERS.match(text)
        tex = (match.group(2) if match else text).strip()
        _as_code(span, tex)
        problems.append(f"a formula could not be converted and is shown as TeX: {_short(tex)}")
    for math in list(root.iter("math")):
        tex = _tex_of(math)
        if tex:
            math.set("alttext", tex)
        if math_svg(etree.tostring(math, encoding="unicode", with_tail=False)) is None:
            _as_code(math, tex)
            problems.append(f"a formula could not be typeset and is shown as TeX: {_short(tex)}")
    return problems


def _short(tex: str) -> str:
    return tex if len(tex) <= 80 else tex[:77] + "..."


@lru_cache(maxsize=4096)
def math_svg(mathml: str) -> MathSvg | None:
    """Draw MathML as SVG with ziamath; None when it cannot."""
    import ziamath  # only a book with formulas pays for the import

    try:
        root = etree.fromstring(mathml.encode("utf-8"))
    except etree.XMLSyntaxError:
        return None
    # ziamath knows no <semantics>: draw its first child, the presentation markup.
    for semantics in list(root.iter(f"{{{MATHML_NS}}}semantics", "semantics")):
        shown = next(iter(semantics), None)
        if shown is None:
            semantics.getparent().remove(semantics)
            continue
        shown.tail = semantics.tail
        semantics.getparent().replace(semantics, shown)
    for note in list(root.iter(f"{{{MATHML_NS}}}annotation", "annotation")):
        note.getparent().remove(note)
    logger = logging.getLogger()
    level = logger.level
    logger.setLevel(logging.ERROR)  # ziamath logs an unknown element at WARNING on the root logger
    try:
        svg = ziamath.Math(etree.tostring(root, encoding="unicode"), size=_SIZE).svg()
    except Exception:  # noqa: BLE001 - any failure of the renderer is a formula shown as TeX
        return None
    finally:
        logger.setLevel(level)
    box = _VIEWBOX.search(svg)
    if box is None:
        return None
    _, top, width, height = (float(v) for v in box.groups())
    if width <= 0 or height <= 0:
        return None
    return MathSvg(svg.encode("utf-8"), width / _SIZE, height / _SIZE, (height + top) / _SIZE)


def print_math(xhtml: str) -> tuple[str, dict[str, bytes]]:
    """Replace each <math> of XHTML with an image of it (its TeX as alt text); return it and the images.

    The images are named `math-<digest>.svg`, for `src="img:NAME"` as any image of the book.
    """
    if "<math" not in xhtml:
        return xhtml, {}
    images: dict[str, bytes] = {}

    def image(match: re.Match[str]) -> str:
        mathml = match.group(0)
        drawn = math_svg(mathml)
        try:
            math = etree.fromstring(mathml.encode("utf-8"))
        except etree.XMLSyntaxError:
            return match.group(0)
        tex = _tex_of(math)
        if drawn is None:
            return f'<code class="math-tex">{html.escape(tex, quote=False)}</code>'
        svg, width, height, depth = drawn
        name = f"math-{hashlib.sha256(svg).hexdigest()[:20]}.svg"
        images[name] = svg
        display = math.get("display") == "block"
        return (f'<img class="{"math-display" if display else "math-inline"}" src="img:{name}" '
                f'alt="{html.escape(tex, quote=True)}" style="width: {width:.3f}em; height: {height:.3f}em; '
                f'vertical-align: {-depth:.3f}em"/>')

    return _MATH.sub(image, xhtml), images
