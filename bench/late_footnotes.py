"""Count the footnotes of a wikibind PDF that land after the page of their reference.

Reads the PDF's named destinations: a note's first reference is `<chapter>--ref-<label>`,
its footnote `<chapter>--fn-<label>`. Prints the count, the total and each late note.
"""
from __future__ import annotations

import re
import sys

from pypdf import PdfReader


def late_footnotes(path: str) -> tuple[list[tuple[str, int, int]], int]:
    """Return (late notes as (note id, reference page, footnote page), notes placed as footnotes)."""
    reader = PdfReader(path)
    pages = {page.indirect_reference.idnum: number for number, page in enumerate(reader.pages, 1)}
    where: dict[str, int] = {}
    for name, dest in reader.named_destinations.items():
        page = dest.page
        number = pages.get(page.idnum if hasattr(page, "idnum") else page)
        if number is not None:
            where[name] = number
    late, total = [], 0
    for name, page in where.items():
        match = re.fullmatch(r"(.+)--fn-(.+)", name)
        if not match:
            continue
        ref = where.get(f"{match.group(1)}--ref-{match.group(2)}")
        if ref is None:
            continue
        total += 1
        if page > ref:
            late.append((name, ref, page))
    return sorted(late, key=lambda item: item[1]), total


if __name__ == "__main__":
    for pdf in sys.argv[1:]:
        late, total = late_footnotes(pdf)
        print(f"{pdf}: {len(late)} of {total} footnotes land after their reference's page")
        for name, ref, page in late:
            print(f"  {name}: reference p. {ref}, footnote p. {page}")
