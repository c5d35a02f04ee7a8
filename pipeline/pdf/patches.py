"""Every change this project makes to WeasyPrint's and pydyf's internals, in one place.

Each patch is applied only to the version it was checked against (pyproject.toml
pins both), and each has a canary test (tests/test_pdf_patches.py) that fails
when upstream changes what it relies on, or fixes what it works around:

- `_without_evicting_footnotes`: WeasyPrint moves a page's footnotes on to keep
  orphans and widows (upstream: Kozea/WeasyPrint, footnotes pushed to the next
  page by orphans/widows); it rewrites one line of `_linebox_layout`'s source.
- `_keep_footnotes_of_kept_lines`: a footnote called by a line kept for
  `orphans` is never printed (upstream: footnotes lost at a page's foot).
- `_widths_from_the_font`: declared glyph widths depend on the size a glyph
  was first drawn at, so chunks' subsets of one font could not be united.
- `_declare_used_widths`: /W lists every glyph of the font, not the used ones.
- `_tag_languages`: structure elements carry no /Lang of their own.
- `_footnote_area_by_parts`: WeasyPrint lays the whole footnote area out
  again for every footnote added to or removed from a page, quadratic in a
  page's notes (a fifth of a chunk's time); its height is the sum of its notes'
  heights whenever no margin joins two notes, so each note is laid out once.
- `_page_references`: pydyf 0.13.0 builds every page reference at each call
  (quadratic in a document's pages when tagging).

Two private attributes are read here and nowhere else, for want of a public
way: `page_type` (a laid-out page's kind: left or right, blank, its page group),
which assembly needs to number pages across chunks, and `take_font_folder`
(where a font configuration copied its fonts), so a long build does not
leave a folder per chunk behind.
"""
from __future__ import annotations

import hashlib
import inspect
import io
import textwrap
from collections.abc import Callable, Iterator
from functools import cache

import pydyf
import weasyprint
from fontTools.ttLib import TTFont
from weasyprint import layout as _layout
from weasyprint import pdf as _pdf
from weasyprint.document import Page
from weasyprint.formatting_structure import build as _build
from weasyprint.formatting_structure.boxes import Box
from weasyprint.layout import LayoutContext
from weasyprint.layout import block as _block
from weasyprint.layout.page import PageType
from weasyprint.pdf import fonts as _fonts
from weasyprint.pdf import tags as _tags
from weasyprint.text.fonts import FontConfiguration

__all__ = ["WEASYPRINT", "PYDYF", "EVICTING", "applied", "page_type", "take_font_folder"]

WEASYPRINT = "70"  # the major version the WeasyPrint patches were checked against
PYDYF = "0.13.0"  # the version whose page_references is replaced
# The line of WeasyPrint's _linebox_layout that sends a page's footnotes on; replaced by `report = False`.
EVICTING = "report = not context.in_column and can_break_now and not could_break_before"


def _keep_footnotes_of_kept_lines(linebox_layout: Callable[..., tuple]) -> Callable[..., tuple]:
    """Wrap WeasyPrint 70's line layout so that no footnote is ever lost.

    To honour `orphans`, WeasyPrint may keep a line that overflows the page and
    make room by moving earlier footnotes to the next page; it then skips the
    footnotes that kept line itself calls, and those are never printed. After
    each call, lay out any footnote a kept line calls that is still waiting.
    """
    def wrapped(context: LayoutContext, box: Box, index: int, child: Box, new_children: list[Box],
                *args: object) -> tuple:
        result = linebox_layout(context, box, index, child, new_children, *args)
        abort = result[0]
        if new_children and context.footnotes and not abort:
            line = new_children[-1]
            for footnote in [d.footnote for d in line.descendants() if d.footnote in context.footnotes]:
                overflow = context.layout_footnote(footnote)
                if overflow or context.overflows_page(0, line.position_y + line.height):
                    context.report_footnote(footnote)  # on the next page, like any footnote that does not fit
                result[4].append(footnote)  # new_footnotes: undone if the caller gives up the box
        return result
    wrapped.__wrapped__ = linebox_layout
    return wrapped


@cache
def _advances(digest: bytes, content: bytes, index: int) -> tuple[int, ...]:
    """Return the advance width of every glyph of a font file (cached by digest: files are large)."""
    font = TTFont(io.BytesIO(content), fontNumber=index, lazy=True)
    metrics = font["hmtx"].metrics
    return tuple(metrics[name][0] for name in font.getGlyphOrder())


def _widths_from_the_font(init: Callable[..., None]) -> Callable[..., None]:
    """Wrap WeasyPrint 70's Font so that the widths it declares come from the font file.

    WeasyPrint declares the width a glyph had at the size it was first drawn
    at, rounded, and shifts every other use by the difference: one glyph is
    561 thousandths of an em wide in one document and 562 in another, and the
    subsets of a font that chunks embed could not share one width table. Taken
    from the font's advances, the widths are the same in every document.
    """
    def wrapped(self: _fonts.Font, *args: object) -> None:
        init(self, *args)
        if not self.bitmap and "hmtx" in self.tables:
            content = self.file_content
            advances = _advances(hashlib.sha256(content).digest(), content, self.index)
            self.widths = {gid: round(advance * 1000 / self.upem) for gid, advance in enumerate(advances)}
    wrapped.__wrapped__ = init
    return wrapped


def _declare_used_widths(build: Callable[..., object]) -> Callable[..., object]:
    """Wrap WeasyPrint 70's font dictionaries so that they declare the widths of used glyphs only."""
    def wrapped(pdf: object, fonts: dict, *args: object, **kwargs: object) -> object:
        for font in fonts.values():
            font.widths = {gid: width for gid, width in font.widths.items()
                           if gid in font.to_unicode or (gid == 0 and font.missing)}
        return build(pdf, fonts, *args, **kwargs)
    wrapped.__wrapped__ = build
    return wrapped


def _page_references(pdf: pydyf.PDF) -> tuple[bytes, ...]:
    """pydyf 0.13's PDF.page_references, made once per page count instead of at every call.

    WeasyPrint's tagging asks for it once per tagged element, and pydyf builds
    the reference of every page each time: quadratic in a chunk's pages.
    """
    kids = pdf.pages["Kids"]
    made = pdf.__dict__.get("_wikibind_page_references")
    if made is None or made[0] != len(kids):
        made = (len(kids), tuple(f"{number} 0 R".encode("ascii") for number in kids[::3]))
        pdf.__dict__["_wikibind_page_references"] = made
    return made[1]


def _tag_languages(build: Callable[..., Iterator]) -> Callable[..., Iterator]:
    """Wrap WeasyPrint 70's structure tree so that an element with a `lang` says so (/Lang).

    WeasyPrint writes the document's language only: a chapter in another
    language would be read aloud with the book's voice.
    """
    def wrapped(box: Box, parent: pydyf.Dictionary, *args: object) -> Iterator:
        own = getattr(box, "_box", box)  # an absolutely placed box comes wrapped
        element = getattr(own, "element", None)
        lang = element.get("lang") if element is not None and getattr(own, "element_tag", None) not in (
            "html", "body") else None
        for made in build(box, parent, *args):
            if lang and "Lang" not in made:
                made["Lang"] = pydyf.String(lang)
            yield made
    wrapped.__wrapped__ = build
    return wrapped


def _without_evicting_footnotes(linebox_layout: Callable[..., tuple]) -> Callable[..., tuple]:
    """WeasyPrint 70's line layout, changed so that it never sends a page's footnotes on to make room for a line.

    To keep a line that would leave too few lines (orphans, widows) on either
    page, WeasyPrint moves footnotes already on the page to the next one, away
    from their references. Here the line moves instead, by the same rule as
    when no footnote is in the way: a note stays on the page that cites it.
    """
    source = textwrap.dedent(inspect.getsource(linebox_layout))
    if source.count(EVICTING) != 1:
        return linebox_layout  # another WeasyPrint: its own layout; the canary test fails
    namespace: dict[str, object] = {}
    exec(compile(source.replace(EVICTING, "report = False"), _block.__file__, "exec"), _block.__dict__, namespace)
    changed = namespace[linebox_layout.__name__]
    changed.__wrapped__ = linebox_layout  # inspect.unwrap gives WeasyPrint's own back
    return changed


def _footnote_area_by_parts(update: Callable[[LayoutContext], bool]) -> Callable[[LayoutContext], bool]:
    """Wrap WeasyPrint 70's footnote area update so that each footnote is laid out once, not once per footnote.

    The area's height only is wanted here (the page lays the area out for good
    when it is done). Each note is laid out alone in the area, once per area
    width; when no note has a vertical margin (none joins its neighbour's) and
    the area is not in columns, the notes stack: the height is their sum, capped
    by the area's max-height, as WeasyPrint's layout would make it. Otherwise,
    WeasyPrint's own update.
    """
    def wrapped(self: LayoutContext) -> bool:
        area = self.current_footnote_area
        notes = self.current_page_footnotes
        if not notes or self.in_column:
            return update(self)
        parts = [_alone(self, note) for note in notes]
        if any(part is None for part in parts):
            area.children = notes  # WeasyPrint's own, from the state it expects
            return update(self)
        if area.height != "auto":
            self.page_bottom += area.margin_height()
        area.children = notes
        start, outside, below, low, high = parts[0][1:]  # type: ignore[index]
        bottom = start
        for part in parts:
            bottom += part[0]  # type: ignore[index]
        height = min(max(bottom - start, low), high)
        area.height = height
        self.page_bottom -= height + outside
        return bottom > start + height + below  # the last note's bottom below the area's: it overflows
    wrapped.__wrapped__ = update
    return wrapped


def _alone(context: LayoutContext, note: Box) -> tuple[float, float, float, float, float, float] | None:
    """Return a note's height laid out alone in the footnote area, and the area's start, extra height and limits.

    None when its margins could join a neighbour's, or the area would not hold it.
    """
    area = context.current_footnote_area
    # Layout tries copy a note's box: its element and text tell the note; it lays out the same in as wide an area.
    key = (note.element, area.width, sum(len(getattr(box, "text", "")) for box in note.descendants()))
    known = context.__dict__.setdefault("_wikibind_notes", {})
    if key in known:
        return known[key]
    area.children = [note]
    laid = _block.block_level_layout(context, _build.create_anonymous_boxes(area.deepcopy()), -float("inf"), None,
                                     area.page)[0]
    (child,) = laid.children
    start = laid.content_box_y()
    height = child.margin_height()
    alone = None
    if not child.margin_top and not child.margin_bottom and child.position_y == start and \
            laid.height == height and laid.height < laid.max_height:
        alone = (height, start, laid.margin_height() - laid.height, laid.padding_bottom + laid.border_bottom_width,
                 laid.min_height, laid.max_height)
    known[key] = alone
    return alone


applied: list[str] = []  # the patches in force, by name: the canary tests read it


def page_type(page: Page) -> PageType:
    """A laid-out page's kind (WeasyPrint's PageType: side, blank, name, groups), which its Page does not expose."""
    return page._page_box.page_type


def take_font_folder(fonts: FontConfiguration) -> str | None:
    """The folder a font configuration copied its fonts to (None if none), now the caller's to remove."""
    folder, fonts._folder = getattr(fonts, "_folder", None), None
    return folder


def _apply() -> None:
    """Patch WeasyPrint and pydyf where their versions are the ones checked (once, at import)."""
    if weasyprint.__version__.split(".")[0] == WEASYPRINT:
        layout = _without_evicting_footnotes(_block._linebox_layout)
        if layout is not _block._linebox_layout:
            applied.append("_without_evicting_footnotes")
        _block._linebox_layout = _keep_footnotes_of_kept_lines(layout)
        _fonts.Font.__init__ = _widths_from_the_font(_fonts.Font.__init__)  # tests compare chunks with one document
        _pdf.build_fonts_dictionary = _declare_used_widths(_pdf.build_fonts_dictionary)
        _tags._build_box_tree = _tag_languages(_tags._build_box_tree)
        _layout.LayoutContext._update_footnote_area = _footnote_area_by_parts(_layout.LayoutContext._update_footnote_area)
        applied.extend(["_footnote_area_by_parts", "_keep_footnotes_of_kept_lines", "_widths_from_the_font", "_declare_used_widths",
                        "_tag_languages"])
    if pydyf.__version__ == PYDYF:  # checked against it: its page_references is the one above, slower
        pydyf.PDF.page_references = property(_page_references)
        applied.append("_page_references")


_apply()
