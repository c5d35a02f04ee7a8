"""What the print PDF is made of: paper sizes and the options a book chooses ([pdf] in book.toml)."""
from __future__ import annotations

from dataclasses import dataclass

from weasyprint.pdf import VARIANTS

__all__ = ["PAPERS", "Paper", "PdfOptions"]


@dataclass(frozen=True)
class Paper:
    """A trimmed page size with the margins and type size that suit it (lengths in mm)."""

    size: str  # a CSS `size` value
    top: float
    bottom: float
    inner: float  # the binding side
    outer: float
    font_size: float  # pt
    width: float  # of the trimmed page, upright
    height: float
    landscape: str  # the CSS `size` of the page turned on its side, for a table too wide for the upright one

    def measure(self, *, turned: bool = False) -> float:
        """The width of the text block in ems of the book's type, on an upright or a turned page."""
        return ((self.height if turned else self.width) - self.inner - self.outer) / 25.4 * 72 / self.font_size


PAPERS = {
    "a4": Paper("A4", top=24, bottom=26, inner=25, outer=30, font_size=11, width=210, height=297,
                landscape="A4 landscape"),
    "letter": Paper("letter", top=24, bottom=26, inner=25, outer=30, font_size=11, width=215.9, height=279.4,
                    landscape="letter landscape"),
    "a5": Paper("A5", top=16, bottom=19, inner=17, outer=15, font_size=9.5, width=148, height=210,
                landscape="A5 landscape"),
    "trade": Paper("6in 9in", top=17, bottom=20, inner=19, outer=16, font_size=10, width=152.4, height=228.6,
                   landscape="9in 6in"),
}


@dataclass(frozen=True)
class PdfOptions:
    """How the print PDF is made; the defaults give an A4 book for reading on screen or one-sided print."""

    paper: str = "a4"  # a key of PAPERS: a4, letter, a5, trade (6 × 9 in)
    duplex: bool = False  # two-sided: mirrored margins and heads, chapters open on a right-hand page
    crop_marks: bool = False  # 3 mm bleed with crop and cross marks, for a print shop
    toc_depth: int = 1  # contents lists chapters (1), or their sections to this heading level
    variant: str | None = "pdf/ua-1"  # a WeasyPrint pdf_variant; None for a plain PDF
    font: str = ""  # a font family installed on the machine for the text; "": the shipped Gentium Book Plus
    volume_pages: int = 0  # cut the book into volumes of at most so many pages; 0: one PDF

    def __post_init__(self) -> None:
        if self.paper.lower() not in PAPERS:
            raise ValueError(f"unknown paper {self.paper!r}; choose one of {', '.join(PAPERS)}")
        if self.variant is not None and self.variant not in VARIANTS:
            raise ValueError(f"unknown PDF variant {self.variant!r}; choose one of {', '.join(VARIANTS)}")
        if self.volume_pages < 0:
            raise ValueError("volume_pages must be 0 (one volume) or a number of pages")
        if not 1 <= self.toc_depth <= 3:
            raise ValueError("toc_depth must be 1, 2 or 3")
