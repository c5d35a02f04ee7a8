"""The print PDF builder (WeasyPrint, CSS paged media), split by concern.

Notes become footnotes at the foot of the page that cites them (`notes`); the
book is set in the typeface shipped in `templates/fonts/`, so every machine
lays out the same pages. WeasyPrint fetches nothing but the book's own images
and the project's own fonts and CSS (`fetch`): no page can make the build read
a local file or reach the network.

WeasyPrint lays out on one core, holds the whole document in memory and slows
down more than in proportion to its length, so the chapters are rendered in
chunks, in parallel processes (`chunks`). A chunk sees nothing of the book
but its own view (`chunk_view`) and fixed options, so an unchanged chunk need
not be laid out again; its page numbers are left out, since they depend on
every chunk before it. `assembly` then renders
the front and back matter with the page numbers now known and a folio layer
for each chunk (`folios`), and `merge` joins it all into one document:
continuous folios, links, outline, destinations, one structure tree, each font
(`fonts`) and image once. The join writes each part's objects to the output as
the part comes, so its memory does not grow with the book. Every change to
WeasyPrint's or pydyf's internals lives in `patches`.

Modules: `options` (paper, PdfOptions), `documents` (one WeasyPrint document),
`tables` (tables that fit), `objects` (PDF objects the others share).
"""
from __future__ import annotations

from . import patches  # noqa: F401  (before anything is laid out)
from .assembly import assemble_pdf, assemble_volumes, build_pdf, build_volumes, cores, process_pool, render_whole, volume_name
from .chunks import CHUNK_CHARS, RenderedChunk, chunk_view, render_view, chunk_size, plan_chunks, render_chunk
from .fetch import BookFetcher
from .folios import render_folio_layer
from .notes import footnoted
from .objects import Bookmark
from .options import PAPERS, Paper, PdfOptions
from .tables import fit_tables

__all__ = ["build_pdf", "build_volumes", "plan_chunks", "render_chunk", "chunk_view", "render_view", "chunk_size", "assemble_pdf",
           "assemble_volumes", "volume_name", "render_folio_layer",
           "render_whole", "fit_tables", "RenderedChunk", "Bookmark", "CHUNK_CHARS", "BookFetcher", "PdfOptions",
           "Paper", "PAPERS", "footnoted", "cores", "process_pool"]
