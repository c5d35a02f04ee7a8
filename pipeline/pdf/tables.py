"""Tables that fit the text block: a smaller type, a turned page, or columns cut into several tables."""
from __future__ import annotations

import copy
import re

from lxml import etree

from ..leftovers import cell_span
from ..sanitize import parse_fragment, to_xhtml
from .options import Paper

__all__ = ["fit_tables"]


# Type sizes a table may be set in (ems of the text; book.css: table, .table-small, .table-smaller),
# tried in turn until the table's narrowest layout fits; past the last, the table turns onto a
# landscape page, and a table too wide even there may break its words anywhere.
_TABLE_STEPS = ((0.85, ""), (0.75, "table-small"), (0.65, "table-smaller"))
_CHAR_EM = 0.55  # a generous average advance of a character of Gentium, in ems
_CELL_PADDING_EM = 1.2  # a cell's padding and rules, in ems of the table's type
_LONG = 16  # a word of more characters gets break opportunities after _ / . , & = ? and the like
_BREAK_AFTER = re.compile(r"([_/.,&=?;:\\)\]])(?=[^\s\u200b])")
_SEGMENT = re.compile(r"[^\s\u200b]+")
_PIECE = re.compile(r"[^\s\u200b\-\u2010\u2013\u2014]+[\-\u2010\u2013\u2014]?")  # a line may break after a dash


def fit_tables(xhtml: str, paper: Paper) -> str:
    """Mark each table with the type size, page and breaking that let it fit the text block (book.css).

    Long words in cells (file names, addresses) get break opportunities after
    their separators; the table's narrowest layout is estimated from its
    longest unbreakable piece per column.
    """
    if "<table" not in xhtml:
        return xhtml
    root = parse_fragment(xhtml)
    for table in list(root.iter("table")):
        if any(a.tag == "table" for a in table.iterancestors()):
            continue  # a nested table goes with the one holding it
        for cell in table.iter("td", "th", "caption"):
            for el in cell.iter():
                el.text = _soft_breaks(el.text) if el.text else el.text
                if el is not cell:
                    el.tail = _soft_breaks(el.tail) if el.tail else el.tail
        _keep_spanned_rows(table)
        needs = _column_needs(table)  # in ems of the table's own type
        need = sum(needs.values())
        classes = [c for c in (table.get("class") or "").split() if c]
        for size, name in _TABLE_STEPS:
            if need * size <= paper.measure():
                classes.append(name)
                break
        else:
            size, name = _TABLE_STEPS[-1]
            classes.append(name)
            turned = paper.measure(turned=True) / size
            parts = _split_columns(table, needs, turned) if need > turned else [(table, need)]
            # The page's name goes on a block around the table (book.css: .table-turned).
            wrapper = table.makeelement("div", {"class": "table-turned"})
            table.addprevious(wrapper)
            wrapper.tail, table.tail = table.tail, None
            for number, (part, width) in enumerate(parts):
                wrapper.append(part)
                # Only what fits nowhere, even split, breaks its words anywhere.
                squeezed = ["table-squeezed"] if width > turned else []
                if number:
                    part.set("class", " ".join([*classes, "table-part", *squeezed]))
                else:
                    classes += squeezed
        if any(classes):
            table.set("class", " ".join(c for c in classes if c))
    return to_xhtml(root)


def _split_columns(table: etree._Element, needs: dict[int, float],
                   measure: float) -> list[tuple[etree._Element, float]]:
    """Split a plain grid too wide for `measure` ems into tables of a few columns each, the first column in all.

    Returns the tables with the width each needs. A table with spanning
    cells, or rows of unequal length, cannot be cut cleanly and comes back whole.
    """
    whole = [(table, sum(needs.values()))]
    rows = [row for row in table.iter("tr") if next(row.iterancestors("table"), None) is table]
    cells = [[c for c in row if c.tag in ("td", "th")] for row in rows]
    width = len(needs)
    if width < 3 or any(len(r) != width for r in cells) or any(
            c.get("colspan") not in (None, "1") or c.get("rowspan") not in (None, "1") for r in cells for c in r):
        return whole
    groups: list[list[int]] = [[]]
    for column in range(1, width):
        if groups[-1] and needs[0] + sum(needs[c] for c in groups[-1]) + needs[column] > measure:
            groups.append([])
        groups[-1].append(column)
    if len(groups) < 2:
        return whole
    for colgroup in table.findall("colgroup"):  # its columns are no longer the table's
        table.remove(colgroup)
    parts = [copy.deepcopy(table) for _ in groups[1:]]
    for caption in (c for part in parts for c in part.findall("caption")):
        caption.getparent().remove(caption)  # the caption heads the first part only
    split = []
    for part, group in zip([table, *parts], groups):
        keep = {0, *group}
        for row in [r for r in part.iter("tr") if next(r.iterancestors("table"), None) is part]:
            for column, cell in enumerate([c for c in row if c.tag in ("td", "th")]):
                if column not in keep:
                    row.remove(cell)
        split.append((part, sum(needs[c] for c in keep)))
    return split


def _keep_spanned_rows(table: etree._Element) -> None:
    """Put the rows a rowspan joins in a row group of their own, which book.css keeps on one page.

    `tr { break-inside: avoid }` keeps a row whole, but a page may still fall
    between the rows of a cell that spans them.
    """
    for group in [g for g in table if g.tag == "tbody"]:
        rows = [row for row in group if row.tag == "tr"]
        if len(rows) != len(group) or not any(c.get("rowspan") not in (None, "1") for r in rows for c in r):
            continue
        runs: list[tuple[list[etree._Element], bool]] = []
        start, end = 0, 0
        for r, row in enumerate(rows):
            end = max(end, r + max((cell_span(c.get("rowspan")) for c in row if c.tag in ("td", "th")), default=1) - 1)
            if r == end:
                joined = end > start
                if joined or not runs or runs[-1][1]:
                    runs.append(([], joined))
                runs[-1][0].extend(rows[start:end + 1])
                start, end = r + 1, r + 1
        if start < len(rows):  # a rowspan reaching past the last row
            runs.append((rows[start:], True))
        if len(runs) < 2:
            if runs and runs[0][1]:
                group.set("class", "rows-kept")
            continue
        for members, joined in runs:
            part = group.makeelement("tbody", {"class": "rows-kept"} if joined else {})
            part.extend(members)
            group.addprevious(part)
        group.getparent().remove(group)


def _soft_breaks(text: str) -> str:
    """Put a zero-width space after the separators of each long word, where a line may then break."""
    if len(text) < _LONG:
        return text
    return _SEGMENT.sub(lambda m: _BREAK_AFTER.sub("\\1\u200b", m.group(0)) if len(m.group(0)) >= _LONG
                        else m.group(0), text)


def _column_needs(table: etree._Element) -> dict[int, float]:
    """Estimate the narrowest each column of a table can be, in ems of its type: its longest piece and padding."""
    widest: dict[int, int] = {}
    taken: dict[tuple[int, int], bool] = {}  # (row, column) held by a cell from a row above (rowspan)
    rows = [row for row in table.iter("tr")
            if next((a for a in row.iterancestors("table")), None) is table]
    for r, row in enumerate(rows):
        column = 0
        for cell in row:
            if cell.tag not in ("td", "th"):
                continue
            while taken.get((r, column)):
                column += 1
            span, down = cell_span(cell.get("colspan")), cell_span(cell.get("rowspan"))
            for dr in range(1, down):
                for dc in range(span):
                    taken[(r + dr, column + dc)] = True
            if span == 1:
                longest = max((len(m) for m in _PIECE.findall(_unbreakable_text(cell))), default=0)
                widest[column] = max(widest.get(column, 0), longest)
            else:
                for dc in range(span):
                    widest.setdefault(column + dc, 0)
            column += span
    return {column: chars * _CHAR_EM + _CELL_PADDING_EM for column, chars in sorted(widest.items())}


def _unbreakable_text(cell: etree._Element) -> str:
    """A cell's text, less what may break anywhere: links (book.css: a { overflow-wrap: anywhere })."""
    parts: list[str] = []

    def walk(el: etree._Element) -> None:
        if el.tag != "a":
            parts.append(el.text or "")
            for child in el:
                walk(child)
        parts.append(" ")
        parts.append(el.tail or "")

    walk(cell)
    return "".join(parts)
