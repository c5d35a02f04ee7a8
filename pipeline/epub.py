"""The EPUB 3 builder: a cover, one XHTML file per chapter, nav and NCX, packaged by ebooklib.

ebooklib writes the package: the OPF (metadata, manifest, spine, guide), the navigation
document (contents from `book.toc`, landmarks from `book.guide`), the NCX and the container.
The documents it carries are ours, rendered from templates/epub/, so what reaches the reader is
exactly what is written there: notes as `<aside epub:type="footnote">` beside their references
(popups), `role` and `epub:type` markup, text alternatives. The few things ebooklib cannot say are
patched in one explicit step (`_PATCHES`) while the zip is rewritten with fixed timestamps, so the
same book gives the same bytes. Our documents skip ebooklib's archive: it lists them (manifest,
spine, nav) with empty content, and `_zip` writes them already compressed: each document is made
and compressed by `epub_document`, a pure function a caller may remember (see model.Each), so an
edit compresses the documents it changed and no more.
"""
from __future__ import annotations

import datetime as dt
import io
import itertools
import posixpath
import struct
import tomllib
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from typing import NamedTuple

from ebooklib import epub
from lxml import etree
from PIL import Image, ImageDraw, ImageFont

from .bibliography import BIBLIOGRAPHY_ID
from .book import title_sort_key
from .media import IMAGE_SUFFIXES, media_type, sniff
from .bookindex import INDEX_ID
from .model import Book, BookMeta, Chapter, Each, Part, each, owner_of
from .render import (INDEX_TITLE, TEMPLATES, TocEntry, back_matter, body_matter, contents, environment,
                     render_chapter, render_part, rewrite_images, rewrite_links)
from .titles import slugify

__all__ = ["build_epub", "epub_document", "write_package", "draw_cover", "cover_png", "cover_alt", "cover_format", "creators", "subjects", "MAX_SUBJECTS", "NO_AUTHOR"]

MAX_SUBJECTS = 12  # dc:subject entries: enough to shelve the book, not a category dump
NO_AUTHOR = "Wiki contributors"  # who wrote the text when the user names nobody: honest, not "wikibind"
_DOS_DATE = 1 << 5 | 1  # 1980-01-01 (time 00:00): zip's earliest date, the same at every build
_PACKED_ALREADY = set(IMAGE_SUFFIXES)  # deflate gains nothing on these: stored
_PACKAGE = "EPUB"  # folder of the package inside the zip (ebooklib's FOLDER_NAME)
_XHTML = "application/xhtml+xml"
_EPUB_NS = "http://www.idpf.org/2007/ops"
_NCX_NS = "http://www.daisy.org/z3986/2005/ncx/"
_OPF_NS = "http://www.idpf.org/2007/opf"
_DC_NS = "http://purl.org/dc/elements/1.1/"
_UNDATED = "1980-01-01T00:00:00Z"  # the date ebooklib is given; _dated puts the book's in
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_ACCESSIBILITY_SUMMARY = (
    "Reflowable text in a logical reading order, with a contents list of every chapter and its sections and "
    "headings that mark them. Each note is linked to and from the place that cites it and to its bibliography "
    "entries. Every image, the cover included, has a text alternative, taken from its caption where it has one; "
    "an image whose file was missing is replaced by its caption or name. The reader's choice of font, size and "
    "colours is respected. No hazards.")


def build_epub(book: Book, cover: bytes | None = None, each: Each = each) -> bytes:
    """Return the book as EPUB 3 bytes (the same for the same Book); `cover` replaces the drawn cover.

    The drawn cover, each document and ebooklib's package are made through
    `each` (see model.Each), each from exactly what it shows.
    """
    cover = cover if cover is not None else book.cover
    meta = book.meta
    env = environment()
    extension, cover_type = ("png", "image/png") if cover is None else cover_format(cover)
    cover_href = f"images/cover.{extension}"
    cover_page = env.get_template("epub/cover.xhtml.j2").render(
        src=cover_href, alt=cover_alt(meta, drawn=cover is None))
    modified = _utc(meta.date)

    package = epub.EpubBook()
    _metadata(package, book, cover_id="cover-image")

    # The manifest, in this order. Our documents are plain EpubItems: ebooklib stores their bytes as they are.
    package.add_item(epub.EpubItem("style", "style/book.css", "text/css",
                                   (TEMPLATES / "epub" / "book.css").read_bytes()))
    cover_image = epub.EpubCover(uid="cover-image", file_name=cover_href)  # properties="cover-image"
    cover_image.media_type = cover_type
    if cover is None:  # drawn from what the cover shows
        (cover,) = each(draw_cover, [(meta.title, meta.subtitle, creators(meta))])
    cover_image.content = cover
    package.add_item(cover_image)
    cover_doc = package.add_item(epub.EpubItem("cover", "cover.xhtml", _XHTML,
                                               _page(meta.language, "Cover", "cover", cover_page)))
    image_paths = {name: _image_path(name, i) for i, name in enumerate(sorted(book.images))}
    for i, (name, path) in enumerate(image_paths.items()):
        package.add_item(epub.EpubImage(uid=f"img-{i:04d}", file_name=path, media_type=media_type(name),
                                        content=book.images[name]))
    nav = epub.EpubNav(uid="nav", file_name="nav.xhtml", title="Contents")
    nav.add_link(href="style/book.css", rel="stylesheet", type="text/css")
    package.add_item(nav)
    package.add_item(epub.EpubNcx(uid="ncx", file_name="toc.ncx"))

    # One file per part title page, chapter and piece of back matter, in reading order.
    pages = [(item.id, item.title, "bodymatter", render_part(item, flavour="epub")) if isinstance(item, Part)
             else (item, "", "", "") for item in body_matter(book)]
    pages += [(doc_id, title, "backmatter", body) for doc_id, title, body in back_matter(book, flavour="epub",
                                                                                          each=each)]
    documents = {page[0].id if isinstance(page[0], Chapter) else page[0]: packed for page, packed in zip(
        pages, each(epub_document, pages, meta.language, image_paths))}
    text = [package.add_item(epub.EpubItem(doc_id, _file_of(doc_id), _XHTML, b"")) for doc_id in documents]
    # A document showing MathML must say so in the manifest (EPUBCheck: "mathml" property).
    with_math = {c.id for c in book.chapters if "<math" in c.html or any("<math" in n.html for n in c.notes)}
    for item in text:
        if item.id in with_math:
            item.properties = ["mathml"]

    entries = contents(book, depth=3)
    package.toc = _toc(entries, itertools.count(1))
    # EPUB 2 guide; ebooklib writes it as the nav's landmarks too ("text" becomes "bodymatter").
    package.guide = [{"type": "cover", "href": "cover.xhtml", "title": "Cover"},
                     {"type": "toc", "href": "nav.xhtml#toc", "title": "Contents"}]
    if book.chapters:  # the body matter opens with the first part's title page, if there are parts
        package.guide.append({"type": "text", "href": _file_of(body_matter(book)[0].id), "title": "Start of text"})
    if book.bibliography:
        package.guide.append({"type": "bibliography", "href": _file_of(BIBLIOGRAPHY_ID), "title": "Bibliography"})
    if book.index:
        package.guide.append({"type": "index", "href": _file_of(INDEX_ID), "title": INDEX_TITLE})
    package.spine = [cover_doc, nav, *text]

    options = {
        "mtime": dt.datetime.strptime(_UNDATED, "%Y-%m-%dT%H:%M:%SZ"),  # never "now"; dated by _dated
        "play_order": {"enabled": True, "start_from": 1},  # NCX playOrder 1, 2, … in reading order
        "landmark_title": "Landmarks",
        "epub3_pages": False,  # no page-list: our documents have no page breaks
        "compresslevel": 0,  # this archive is only read back and re-packed by _zip: compress once, there
    }
    depth = _depth(entries)
    # What ebooklib writes follows from the package alone (our documents are empty in it, and the
    # dates are put in afterwards): while the package is the same, so are its OPF, nav and NCX.
    ours = {f"{_PACKAGE}/{_file_of(doc_id)}": packed for doc_id, packed in documents.items()}
    (packaged,) = each(write_package, [(package, options, depth, sorted(ours))])
    members = [(name, ours[name] if packed is None else _pack(_dated(packed.data, modified)) if name == _OPF
                else packed) for name, packed in packaged]
    return _zip(members)


def _page(language: str, title: str, matter: str, body: str) -> bytes:
    """An XHTML document of the package around `body`."""
    return environment().get_template("epub/page.xhtml.j2").render(
        title=title, lang=language, matter=matter, body=body).encode("utf-8")


def epub_document(item: Chapter | str, title: str = "", matter: str = "", body: str = "", language: str = "",
                  image_paths: dict[str, str] | None = None) -> Packed:
    """One document of the package, as its zip member: a chapter, or (id, title, matter, body) of another page.

    `image_paths` are the images' paths in the package. A member is compressed
    here, once: an unchanged document is not compressed again at every build.
    """
    if isinstance(item, Chapter):
        doc_id, title, matter, body = item.id, item.title, "bodymatter", render_chapter(item, flavour="epub")
    else:
        doc_id = item
    body = rewrite_links(body, lambda anchor: _href(anchor, doc_id))
    body = body.replace('class="noteref"', 'class="noteref" epub:type="noteref"')
    return _pack(_page(language, title, matter, rewrite_images(body, (image_paths or {}).__getitem__)))


def write_package(package: epub.EpubBook, options: dict, depth: int, ours: list[str]) -> list[tuple[str, Packed | None]]:
    """Let ebooklib write the package; return its members in order, patched and packed (None: `ours`)."""
    out = io.BytesIO()
    writer = epub.EpubWriter(out, package, options)
    writer.process()
    writer.write()  # raises on error (write_epub would turn an OSError into a warning)
    members: list[tuple[str, Packed | None]] = []
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        for name in archive.namelist():
            if name in ours:
                members.append((name, None))
            elif name != "mimetype":
                data = archive.read(name)
                data = _PATCHES[name](data, package.language, depth) if name in _PATCHES else data
                stored = name == _OPF or posixpath.splitext(name)[1].lower() in _PACKED_ALREADY  # OPF: dated later
                members.append((name, _pack(data, stored=stored)))
    return members


def _metadata(package: epub.EpubBook, book: Book, cover_id: str) -> None:
    """Fill the package's <metadata>: Dublin Core, refinements, accessibility (EPUB Accessibility 1.1)."""
    meta = book.meta
    package.IDENTIFIER_ID = "book-id"
    package.set_identifier(meta.identifier)
    package.title = meta.title  # the NCX's docTitle; the dc:title below carries an id for its refinement
    package.add_metadata("DC", "title", meta.title, {"id": "title"})
    package.add_metadata(None, "meta", "main", {"refines": "#title", "property": "title-type"})
    if meta.subtitle:
        package.add_metadata("DC", "title", meta.subtitle, {"id": "subtitle"})
        package.add_metadata(None, "meta", "subtitle", {"refines": "#subtitle", "property": "title-type"})
    for i, name in enumerate(creators(meta), 1):
        package.add_author(name, role="aut", uid=f"creator-{i}")
    package.add_metadata("DC", "contributor", "wikibind", {"id": "producer"})
    package.add_metadata(None, "meta", "bkp", {"refines": "#producer", "property": "role", "scheme": "marc:relators"})
    package.set_language(meta.language)
    package.add_metadata("DC", "date", _UNDATED[:10])  # dated by _dated
    if meta.publisher:
        package.add_metadata("DC", "publisher", meta.publisher)
    if meta.rights:
        package.add_metadata("DC", "rights", meta.rights)
    for subject in subjects(book):
        package.add_metadata("DC", "subject", subject)
    visual = ["visual"] if book.images else []
    for prop, values in (("accessMode", ["textual", *visual]),
                         ("accessModeSufficient", ["textual", *(["textual,visual"] if visual else [])]),
                         ("accessibilityFeature", ["structuralNavigation", "tableOfContents", "readingOrder",
                                                   "alternativeText", "displayTransformability"]),
                         ("accessibilityHazard", ["none"]),
                         ("accessibilitySummary", [_ACCESSIBILITY_SUMMARY])):
        for value in values:
            package.add_metadata(None, "meta", value, {"property": f"schema:{prop}"})
    package.add_metadata(None, "meta", "", {"name": "cover", "content": cover_id})  # EPUB 2 readers, Kindle


def creators(meta: BookMeta) -> list[str]:
    """Return the book's authors, or `NO_AUTHOR` when the user named none."""
    return list(meta.authors) or [NO_AUTHOR]


def subjects(book: Book) -> list[str]:
    """Return the chapters' categories as subjects: one per name (case aside), most used first."""
    counts: Counter[str] = Counter()
    spelling: dict[str, str] = {}
    for chapter in book.chapters:
        keys: dict[str, str] = {}  # casefolded -> as first written, once per chapter
        for category in chapter.categories:
            if category.strip():
                keys.setdefault(category.strip().casefold(), category.strip())
        for key, name in keys.items():
            spelling.setdefault(key, name)
            counts[key] += 1
    ranked = sorted(counts, key=lambda key: (-counts[key], title_sort_key(spelling[key])))
    return [spelling[key] for key in ranked[:MAX_SUBJECTS]]


def cover_alt(meta: BookMeta, *, drawn: bool = True) -> str:
    """Return the cover's text alternative: what the drawn cover says, or whose cover a given image is."""
    if not drawn:
        return f"Cover of {meta.title}"
    title = f"{meta.title}: {meta.subtitle}" if meta.subtitle else meta.title
    return f"Cover: {title}, by {', '.join(creators(meta))}"


def cover_png(meta: BookMeta) -> bytes:
    """Draw the default cover (title, subtitle, authors) as a PNG, laid out by templates/epub/cover.toml."""
    return draw_cover(meta.title, meta.subtitle, creators(meta))


def draw_cover(title: str, subtitle: str, authors: list[str]) -> bytes:
    """Draw a cover showing a title, a subtitle and authors as a PNG, laid out by templates/epub/cover.toml."""
    design = tomllib.loads((TEMPLATES / "epub" / "cover.toml").read_text(encoding="utf-8"))
    width, height, margin = design["width"], design["height"], design["margin"]
    inner = width - 2 * margin
    image = Image.new("RGB", (width, height), design["background"])
    draw = ImageDraw.Draw(image)
    top = round(design["title"]["top"] * height)
    draw.rectangle((margin, top - 24, margin + 240, top - 10), fill=design["rule"])
    font, lines = _fit(title, design["title"], inner)
    bottom = _draw_lines(draw, font, lines, margin, top, design["text"])
    if subtitle:
        font, lines = _fit(subtitle, design["subtitle"], inner)
        _draw_lines(draw, font, lines, margin, bottom + font.size // 2, design["muted"])
    font, lines = _fit(", ".join(authors), design["authors"], inner)
    _draw_lines(draw, font, lines, margin, round(design["authors"]["bottom"] * height) - _leading(font) * len(lines),
                design["muted"])
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _fit(text: str, spec: dict, width: int) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """Shrink a text block until it wraps into `max_lines` lines no wider than `width`; else cut it."""
    size = spec["size"]
    while True:
        font = _font(spec["font"], size)
        lines = _wrap(text, font, width)
        if len(lines) <= spec["max_lines"] and all(font.getlength(line) <= width for line in lines):
            return font, lines
        if size <= spec["size"] // 3:  # unreadably small beyond this: break and cut the text instead
            break
        size = size * 9 // 10
    lines = [piece for line in lines for piece in _break(line, font, width)]
    if len(lines) > spec["max_lines"]:
        last = lines[spec["max_lines"] - 1]
        while last and font.getlength(f"{last} …") > width:
            last = last[:-1]
        lines = [*lines[:spec["max_lines"] - 1], f"{last.rstrip()} …"]
    return font, lines


def _break(line: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Split a line wider than `width` (one long word) between characters."""
    pieces = [""]
    for char in line:
        if pieces[-1] and font.getlength(pieces[-1] + char) > width:
            pieces.append("")
        pieces[-1] += char
    return pieces


def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    try:
        return ImageFont.truetype(str(TEMPLATES / path), size)  # an absolute `path` stays as it is
    except OSError as err:
        raise OSError(f"cover font {path}: cannot open it (on Debian: apt-get install fonts-dejavu-core)") from err


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Break text into lines greedily at spaces; a word wider than `width` gets a line of its own."""
    lines: list[str] = []
    for word in text.split():
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines


def _leading(font: ImageFont.FreeTypeFont) -> int:
    return round(font.size * 1.2)


def _draw_lines(draw: ImageDraw.ImageDraw, font: ImageFont.FreeTypeFont, lines: list[str],
                x: int, y: int, fill: str) -> int:
    """Draw lines downwards from `y`, each on its own baseline; return the last baseline."""
    for line in lines:
        y += _leading(font)
        draw.text((x, y), line, font=font, fill=fill, anchor="ls")
    return y


def cover_format(data: bytes) -> tuple[str, str]:
    """Return (extension, media type) of a cover image; ValueError unless every EPUB reader must show it."""
    found = sniff(data)
    if found is not None:
        return found.extensions[0][1:], found.media_type
    raise ValueError("the cover must be a PNG, JPEG, GIF or WebP image")


def _utc(date: str) -> str:
    """Return an ISO 8601 date as dcterms:modified wants it: UTC, to the second, with Z."""
    when = dt.datetime.fromisoformat(date)
    if when.tzinfo is not None:
        when = when.astimezone(dt.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _file_of(anchor: str) -> str:
    return f"{owner_of(anchor)}.xhtml"


def _href(anchor: str, here: str) -> str:
    """Return a link to `anchor` from the document `here`."""
    return f"#{anchor}" if owner_of(anchor) == here else f"{_file_of(anchor)}#{anchor}"


def _image_path(name: str, index: int) -> str:
    """Return an image's path in the package: its sorted position and name, never a hash (reproducible)."""
    stem, _, ext = name.rpartition(".")
    return f"images/{index:04d}-{slugify(posixpath.basename(stem)) or 'image'}.{ext.lower()}"


def _toc(entries: list[TocEntry], order: Iterator[int]) -> list:
    """The contents as ebooklib's `book.toc`: a Link, or (Link, children); a chapter links to its file,
    a section to its heading. Each Link's uid (the NCX navPoint id of a leaf) is numbered in reading order."""
    toc: list = []
    for entry in entries:
        href = _file_of(entry.anchor)
        if entry.anchor != owner_of(entry.anchor):
            href += f"#{entry.anchor}"
        link = epub.Link(href, entry.title, f"np-{next(order)}")
        children = _toc(entry.children, order)
        toc.append((link, children) if children else link)
    return toc


def _depth(entries: list[TocEntry]) -> int:
    return max((1 + _depth(entry.children) for entry in entries), default=0)


# -- what ebooklib cannot say, patched into its files as the zip is rewritten --------------------

def _xml_patch(change: Callable[[etree._ElementTree, str, int], None]) -> Callable[[bytes, str, int], bytes]:
    """Parse one of ebooklib's XML files (no DTD loaded, no network), apply `change`, serialise it again."""
    def patch(data: bytes, language: str, depth: int) -> bytes:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        tree = etree.ElementTree(etree.fromstring(data, parser))
        change(tree, language, depth)
        return etree.tostring(tree, encoding="utf-8", xml_declaration=True, doctype=tree.docinfo.doctype or None)
    return patch


@_xml_patch
def _patch_opf(tree: etree._ElementTree, language: str, depth: int) -> None:
    # ebooklib writes no xml:lang on <package>: the language of the metadata's text (titles, summary).
    tree.getroot().set(_XML_LANG, language)


@_xml_patch
def _patch_nav(tree: etree._ElementTree, language: str, depth: int) -> None:
    # ebooklib gives the contents nav id="id"; the guide and landmarks point at nav.xhtml#toc.
    for nav in tree.iter("{http://www.w3.org/1999/xhtml}nav"):
        kind = nav.get(f"{{{_EPUB_NS}}}type")
        if kind == "toc":
            nav.set("id", "toc")
        elif kind == "landmarks":  # for reading systems, not for reading: hide it when the nav is shown
            nav.set("hidden", "hidden")


@_xml_patch
def _patch_ncx(tree: etree._ElementTree, language: str, depth: int) -> None:
    # ebooklib always writes dtb:depth 0 and no language.
    tree.getroot().set(_XML_LANG, language)
    for item in tree.iter(f"{{{_NCX_NS}}}meta"):
        if item.get("name") == "dtb:depth":
            item.set("content", str(depth))


def _dated(opf: bytes, modified: str) -> bytes:
    """Put the book's date into the OPF, written undated so that an edit leaves the package as it was."""
    def date(tree: etree._ElementTree, language: str, depth: int) -> None:
        for meta in tree.iter(f"{{{_OPF_NS}}}meta"):
            if meta.get("property") == "dcterms:modified":
                meta.text = modified
        for element in tree.iter(f"{{{_DC_NS}}}date"):
            element.text = modified[:10]
    return _xml_patch(date)(opf, "", 0)


_OPF = f"{_PACKAGE}/content.opf"
_PATCHES = {_OPF: _patch_opf, f"{_PACKAGE}/nav.xhtml": _patch_nav,
            f"{_PACKAGE}/toc.ncx": _patch_ncx}


class Packed(NamedTuple):
    """A zip member's content as it is stored: method (0 stored, 8 deflated), CRC-32, size and bytes."""

    method: int
    crc: int
    size: int
    data: bytes


def _pack(data: bytes, *, stored: bool = False) -> Packed:
    """Compress a member's content once (raw deflate, level 6), or keep it as it is."""
    if stored:
        return Packed(0, zlib.crc32(data), len(data), data)
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return Packed(8, zlib.crc32(data), len(data), packer.compress(data) + packer.flush())


def _zip(members: list[tuple[str, Packed]]) -> bytes:
    """Write the container: `mimetype` first and stored, as EPUB requires; fixed times so bytes repeat.

    Written here rather than by zipfile, which cannot take content already compressed: an
    unchanged document is compressed once, not at every build. No ZIP64: an EPUB stays far
    below its limits, and a book that does not is refused plainly.
    """
    members = [("mimetype", _pack(b"application/epub+zip", stored=True)), *members]
    if len(members) >= 0xFFFF:
        raise ValueError(f"an EPUB of {len(members)} files is more than a zip without ZIP64 holds")
    out, central = io.BytesIO(), io.BytesIO()
    for name, (method, crc, size, data) in members:
        encoded = name.encode("utf-8")
        flags = 0 if name.isascii() else 0x800  # bit 11: the name is UTF-8
        offset = out.tell()
        fields = (20, flags, method, 0, _DOS_DATE, crc, len(data), size, len(encoded))
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields, 0) + encoded)
        out.write(data)
        central.write(struct.pack("<IH", 0x02014B50, 3 << 8 | 20)  # made by: Unix, zip 2.0
                      + struct.pack("<HHHHHIIIHHHHHII", *fields, 0, 0, 0, 0, 0o644 << 16, offset) + encoded)
    if out.tell() + central.tell() >= 0xFFFFFFFF:
        raise ValueError("an EPUB of 4 GB or more is more than a zip without ZIP64 holds")
    start = out.tell()
    out.write(central.getvalue())
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), central.tell(), start, 0))
    return out.getvalue()
