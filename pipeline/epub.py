"""The EPUB 3 builder (ebooklib): one XHTML file per chapter, nav and NCX.

Chapter documents are written by our own template as complete XHTML, so the
markup (notes as `<aside epub:type="footnote">`) reaches the reader intact;
ebooklib writes the package, nav and NCX around them. The zip is then
re-packed with fixed timestamps so the same book gives the same bytes.
"""
from __future__ import annotations

import datetime as dt
import io
import posixpath
import zipfile

from ebooklib import epub

from .bibliography import BIBLIOGRAPHY_ID
from .html import media_type
from .model import Book, owner_of
from .render import (TEMPLATES, TocEntry, contents, environment, render_bibliography,
                     render_chapter, rewrite_images, rewrite_links)
from .titles import slugify

__all__ = ["build_epub"]

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def _file_of(anchor: str) -> str:
    return f"{owner_of(anchor)}.xhtml"


def build_epub(book: Book) -> bytes:
    """Return the book as EPUB 3 bytes (reproducible for the same Book)."""
    meta = book.meta
    doc = epub.EpubBook()
    doc.set_identifier(meta.identifier)
    doc.set_title(meta.title)
    doc.set_language(meta.language)
    for author in meta.authors:
        doc.add_author(author)
    if meta.publisher:
        doc.add_metadata("DC", "publisher", meta.publisher)
    if meta.rights:
        doc.add_metadata("DC", "rights", meta.rights)
    doc.add_metadata("DC", "date", meta.date[:10])

    css = epub.EpubItem(uid="style", file_name="style/book.css", media_type="text/css",
                        content=(TEMPLATES / "epub" / "book.css").read_bytes())
    doc.add_item(css)
    image_paths = {name: _stable_image_path(name, i) for i, name in enumerate(sorted(book.images))}
    for name, path in image_paths.items():
        doc.add_item(epub.EpubItem(uid=f"img{len(doc.items)}", file_name=path,
                                   media_type=media_type(name), content=book.images[name]))

    page = environment().get_template("epub/page.xhtml.j2")
    documents = [(ch.id, ch.title, render_chapter(ch, flavour="epub")) for ch in book.chapters]
    if book.bibliography:
        documents.append((BIBLIOGRAPHY_ID, "Bibliography", render_bibliography(book, flavour="epub")))
    spine = []
    for doc_id, title, body in documents:
        def href_for(anchor: str, here: str = doc_id) -> str:
            return f"#{anchor}" if owner_of(anchor) == here else f"{_file_of(anchor)}#{anchor}"
        body = rewrite_links(body, href_for).replace('class="noteref"', 'class="noteref" epub:type="noteref"')
        body = rewrite_images(body, lambda name: image_paths[name])
        xhtml = page.render(title=title, lang=meta.language, body=body)
        item = epub.EpubItem(uid=doc_id, file_name=_file_of(doc_id),
                             media_type="application/xhtml+xml", content=xhtml.encode("utf-8"))
        doc.add_item(item)
        spine.append(item)

    doc.toc = [_toc_node(entry) for entry in contents(book, depth=3)]
    doc.add_item(epub.EpubNcx())
    nav = epub.EpubNav()
    nav.add_link(href="style/book.css", rel="stylesheet", type="text/css")
    doc.add_item(nav)
    doc.spine = ["nav", *spine]
    if spine:
        doc.guide = [{"type": "toc", "href": "nav.xhtml", "title": "Contents"},
                     {"type": "text", "href": _file_of(spine[0].id), "title": "Start of text"}]
        if book.bibliography:
            doc.guide.append({"type": "bibliography", "href": _file_of(BIBLIOGRAPHY_ID), "title": "Bibliography"})

    modified = dt.datetime.fromisoformat(meta.date.replace("Z", "+00:00"))
    raw = io.BytesIO()
    epub.write_epub(raw, doc, {"mtime": modified, "epub3_pages": False, "raise_exceptions": True})
    return _repack(raw.getvalue())


def _stable_image_path(name: str, index: int) -> str:
    stem, _, ext = name.rpartition(".")
    return f"images/{index:04d}-{slugify(posixpath.basename(stem)) or 'image'}.{ext.lower()}"


def _toc_node(entry: TocEntry):
    link = epub.Link(_file_of(entry.anchor) + ("" if entry.anchor == owner_of(entry.anchor) else f"#{entry.anchor}"),
                     entry.title, entry.anchor)
    if not entry.children:
        return link
    return (link, [_toc_node(child) for child in entry.children])


def _repack(data: bytes) -> bytes:
    """Re-write the zip with fixed timestamps (`mimetype` first and stored, as EPUB requires)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME)
            fixed.compress_type = zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename), compresslevel=9 if fixed.compress_type else None)
    return out.getvalue()
