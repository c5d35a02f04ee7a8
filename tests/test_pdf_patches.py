"""Canaries for pipeline/pdf/patches.py: each fails when upstream changes what a patch relies on.

The behaviour the patches give (no footnote lost or moved, one width per glyph)
is tested on real layouts in test_pdf.py and test_pdf_chunks.py; these check,
fast, that every patch is in force and still fits the code it changes.
"""
from __future__ import annotations

import inspect
import shutil
import textwrap
from pathlib import Path

import pydyf
import weasyprint
from weasyprint import CSS, HTML
from weasyprint import pdf as weasy_pdf
from weasyprint.layout import block
from weasyprint.pdf import fonts as weasy_fonts
from weasyprint.pdf import tags as weasy_tags
from weasyprint.text.fonts import FontConfiguration

from pipeline.pdf import patches


def test_the_patched_versions_are_the_installed_ones() -> None:
    # pyproject.toml pins them; another version leaves WeasyPrint or pydyf unpatched.
    assert weasyprint.__version__.split(".")[0] == patches.WEASYPRINT
    assert pydyf.__version__ == patches.PYDYF
    assert set(patches.applied) == {"_without_evicting_footnotes", "_keep_footnotes_of_kept_lines",
                                    "_widths_from_the_font", "_declare_used_widths", "_tag_languages",
                                    "_page_references", "_footnote_area_by_parts"}


def test_the_line_rewritten_to_keep_footnotes_on_their_page_is_there_once() -> None:
    # The patch rewrites this line of WeasyPrint's own _linebox_layout at import; if it moved or
    # changed, the patch would silently not apply and notes would drift to the next page again.
    own = inspect.unwrap(block._linebox_layout)
    source = textwrap.dedent(inspect.getsource(own))
    assert source.count(patches.EVICTING) == 1
    rewritten = block._linebox_layout.__wrapped__  # under _keep_footnotes_of_kept_lines
    assert rewritten is not own and rewritten.__wrapped__ is own
    assert rewritten.__code__.co_filename == block.__file__  # compiled as WeasyPrint's own module
    assert "report = False" in source.replace(patches.EVICTING, "report = False")


def test_the_wrapped_functions_keep_the_signatures_the_wrappers_expect() -> None:
    own = inspect.unwrap(block._linebox_layout)
    assert list(inspect.signature(own).parameters)[:5] == ["context", "box", "index", "child", "new_children"]
    assert list(inspect.signature(inspect.unwrap(weasy_pdf.build_fonts_dictionary)).parameters)[:2] == [
        "pdf", "fonts"]
    assert list(inspect.signature(inspect.unwrap(weasy_tags._build_box_tree)).parameters)[:2] == ["box", "parent"]
    init = inspect.unwrap(weasy_fonts.Font.__init__)
    assert init is not weasy_fonts.Font.__init__
    assert {"widths", "upem", "file_content", "tables"} <= set(init.__code__.co_names)


def test_the_footnote_area_update_is_still_a_layout_of_every_note_of_the_page() -> None:
    # _footnote_area_by_parts replaces this: what it returns and sets must stay what WeasyPrint's does.
    from weasyprint import layout

    own = inspect.unwrap(layout.LayoutContext._update_footnote_area)
    assert own is not layout.LayoutContext._update_footnote_area
    source = inspect.getsource(own)
    for line in ("self.current_footnote_area.children = self.current_page_footnotes",
                 "self.current_footnote_area.height = footnote_area.height",
                 "self.page_bottom -= footnote_area.margin_height()",
                 "overflow = last_child_bottom > footnote_area_bottom"):
        assert line in source


def test_pydyf_page_references_is_replaced_by_an_equal_one() -> None:
    # pydyf 0.13.0's property builds every page's reference at each call; ours caches them per page count.
    document = pydyf.PDF()
    for _ in range(3):
        page = pydyf.Dictionary({"Type": "/Page", "Parent": document.pages.reference})
        document.add_object(page)
        document.pages["Kids"].extend([page.number, 0, "R"])
        document.pages["Count"] += 1
    ours = document.page_references
    assert ours == tuple(f"{number} 0 R".encode() for number in document.pages["Kids"][::3])
    source = inspect.getsource(pydyf.PDF)
    # Upstream's property is still the one ours replicates (the same references, made afresh each call).
    assert "def page_references(self):" in source
    assert "for object_number in self.pages['Kids'][::3])" in source


def test_the_footnote_area_summed_note_by_note_is_the_one_weasyprint_lays_out(monkeypatch) -> None:
    # Pages full of notes of one to several lines, some with block content: the same bytes either way,
    # and the summing path is the one taken (not WeasyPrint's own, on every note).
    from weasyprint import layout

    from pipeline.pdf import PdfOptions
    from pipeline.pdf.documents import _written

    words = ("Mutual aid is a factor of evolution, as the naturalist found in the steppes and the "
             "villages alike, and the workers' councils later took it up. ").split()
    paragraphs = []
    for i in range(1, 60):
        note = " ".join(words[: 5 + i * 7 % 40])
        block = '<span class="fn-blockquote">A quoted line.</span>' if i % 9 == 0 else ""
        paragraphs.append(f'<p>{" ".join(words[: 20 + i % 30])}<span class="footnote" id="n{i}">'
                          f'<a class="fn-label" href="#r{i}">{i}</a> {note}{block}</span> '
                          f'{" ".join(words[: 10 + i % 17])}</p>')
    page = (f'<html lang="en"><body><main><section class="chapter"><h1 class="chapter-title">Notes</h1>'
            f'{"".join(paragraphs)}</section></main></body></html>')
    taken = []
    real = patches._alone

    def counted(context, note):
        found = real(context, note)
        taken.append(found is not None)
        return found

    monkeypatch.setattr(patches, "_alone", counted)
    summed = _written(page, {}, PdfOptions(paper="a5"), None, title="")[0]
    assert taken and all(taken)
    monkeypatch.setattr(layout.LayoutContext, "_update_footnote_area",
                        inspect.unwrap(layout.LayoutContext._update_footnote_area))
    assert _written(page, {}, PdfOptions(paper="a5"), None, title="")[0] == summed



def test_the_private_attributes_read_are_still_there() -> None:
    """page_type and take_font_folder read WeasyPrint's privates: a laid-out page's kind, a configuration's font copies."""
    fonts = FontConfiguration()
    face = next((Path(__file__).resolve().parent.parent / "templates" / "fonts").rglob("*Regular.woff"))
    css = CSS(string="@font-face { font-family: t; src: url(%s) } @page { size: A6 } "
                     "body { font-family: t } .b { break-before: right }" % face.as_uri(), font_config=fonts)
    document = HTML(string="<p>one</p><p class=b>two</p>").render(stylesheets=[css], font_config=fonts)
    kinds = [patches.page_type(page) for page in document.pages]
    assert [(kind.side, kind.blank) for kind in kinds] == [("right", False), ("left", True), ("right", False)]
    assert all(hasattr(kind, "name") and hasattr(kind, "groups") for kind in kinds)  # what folios read
    folder = patches.take_font_folder(fonts)
    assert folder and Path(folder).is_dir() and patches.take_font_folder(fonts) is None
    shutil.rmtree(folder)
