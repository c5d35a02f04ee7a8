"""The EPUB 3 builder: a cover, one XHTML file per chapter, nav and NCX, all from templates/epub/.

Every file of the package is rendered from a template, so what reaches the
reader is exactly what is written there: notes as `<aside epub:type="footnote">`
beside their references (popups), landmarks, accessibility metadata, and
`<guide>` + NCX for EPUB 2 reading systems. The zip is written with fixed
timestamps, so the same book gives the same bytes.
"""
from __future__ import annotations

import datetime as dt
import io
import itertools
import posixpath
import tomllib
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from PIL import Image, ImageDraw, ImageFont

from .bibliography import BIBLIOGRAPHY_ID
from .book import title_sort_key
from .html import media_type
from .model import Book, BookMeta, owner_of
from .render import (TEMPLATES, TocEntry, contents, environment, render_bibliography,
                     render_chapter, rewrite_images, rewrite_links)
from .titles import slugify

__all__ = ["build_epub", "cover_png", "cover_alt", "cover_format", "creators", "subjects", "MAX_SUBJECTS", "NO_AUTHOR"]

MAX_SUBJECTS = 12  # dc:subject entries: enough to shelve the book, not a category dump
NO_AUTHOR = "Wiki contributors"  # who wrote the text when the user names nobody: honest, not "wikibind"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_PACKAGE = "EPUB"  # folder of the package inside the zip
_XHTML = "application/xhtml+xml"


@dataclass
class _Item:
    """One file of the package, as the manifest lists it."""

    id: str
    href: str
    media_type: str
    data: bytes
    properties: str = ""


@dataclass
class _NavPoint:
    """One line of the nav and NCX contents, numbered in reading order (NCX playOrder)."""

    title: str
    href: str
    order: int
    children: list[_NavPoint] = field(default_factory=list)


def build_epub(book: Book, cover: bytes | None = None) -> bytes:
    """Return the book as EPUB 3 bytes (the same for the same Book); `cover` replaces the drawn cover."""
    meta = book.meta
    env = environment()
    page = env.get_template("epub/page.xhtml.j2")

    def xhtml(title: str, matter: str, body: str) -> bytes:
        return page.render(title=title, lang=meta.language, matter=matter, body=body).encode("utf-8")

    extension, cover_type = ("png", "image/png") if cover is None else cover_format(cover)
    cover_href = f"images/cover.{extension}"
    cover_page = env.get_template("epub/cover.xhtml.j2").render(
        src=cover_href, alt=cover_alt(meta, drawn=cover is None))
    items = [_Item("style", "style/book.css", "text/css", (TEMPLATES / "epub" / "book.css").read_bytes()),
             _Item("cover-image", cover_href, cover_type, cover_png(meta) if cover is None else cover,
                   "cover-image"),
             _Item("cover", "cover.xhtml", _XHTML, xhtml("Cover", "cover", cover_page))]
    image_paths = {name: _image_path(name, i) for i, name in enumerate(sorted(book.images))}
    items += [_Item(f"img-{i:04d}", path, media_type(name), book.images[name])
              for i, (name, path) in enumerate(image_paths.items())]

    documents = [(ch.id, ch.title, "bodymatter", render_chapter(ch, flavour="epub")) for ch in book.chapters]
    if book.bibliography:
        documents.append((BIBLIOGRAPHY_ID, "Bibliography", "backmatter", render_bibliography(book, flavour="epub")))
    text = []
    for doc_id, title, matter, body in documents:
        body = rewrite_links(body, lambda anchor, here=doc_id: _href(anchor, here))
        body = body.replace('class="noteref"', 'class="noteref" epub:type="noteref"')
        body = rewrite_images(body, image_paths.__getitem__)
        text.append(_Item(doc_id, _file_of(doc_id), _XHTML, xhtml(title, matter, body)))

    # (epub:type in the nav's landmarks, EPUB 2 guide type, href, title)
    marks = [("cover", "cover", "cover.xhtml", "Cover"), ("toc", "toc", "nav.xhtml#toc", "Contents")]
    if book.chapters:
        marks.append(("bodymatter", "text", _file_of(book.chapters[0].id), "Start of text"))
    if book.bibliography:
        marks.append(("bibliography", "bibliography", _file_of(BIBLIOGRAPHY_ID), "Bibliography"))
    toc = _nav_points(contents(book, depth=3), itertools.count(1))
    nav = env.get_template("epub/nav.xhtml.j2").render(
        toc=toc, landmarks=[(kind, href.removeprefix("nav.xhtml"), title) for kind, _, href, title in marks])
    ncx = env.get_template("epub/toc.ncx.j2").render(
        meta=meta, creators=creators(meta), toc=toc, depth=_depth(toc))
    items += [_Item("nav", "nav.xhtml", _XHTML, xhtml("Contents", "frontmatter", nav), "nav"),
              _Item("ncx", "toc.ncx", "application/x-dtbncx+xml", ncx.encode("utf-8")), *text]

    modified = _utc(meta.date)
    opf = env.get_template("epub/package.opf.j2").render(
        meta=meta, creators=creators(meta), subjects=subjects(book), has_images=bool(book.images),
        date=modified[:10], modified=modified, cover_id="cover-image", manifest=items,
        spine=["cover", "nav", *(item.id for item in text)],
        guide=[(kind, href, title) for _, kind, href, title in marks])
    container = env.get_template("epub/container.xml.j2").render(opf=f"{_PACKAGE}/content.opf")
    return _zip([("META-INF/container.xml", container.encode("utf-8")),
                 (f"{_PACKAGE}/content.opf", opf.encode("utf-8")),
                 *((f"{_PACKAGE}/{item.href}", item.data) for item in items)])


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
    design = tomllib.loads((TEMPLATES / "epub" / "cover.toml").read_text(encoding="utf-8"))
    width, height, margin = design["width"], design["height"], design["margin"]
    inner = width - 2 * margin
    image = Image.new("RGB", (width, height), design["background"])
    draw = ImageDraw.Draw(image)
    top = round(design["title"]["top"] * height)
    draw.rectangle((margin, top - 24, margin + 240, top - 10), fill=design["rule"])
    font, lines = _fit(meta.title, design["title"], inner)
    bottom = _draw_lines(draw, font, lines, margin, top, design["text"])
    if meta.subtitle:
        font, lines = _fit(meta.subtitle, design["subtitle"], inner)
        _draw_lines(draw, font, lines, margin, bottom + font.size // 2, design["muted"])
    font, lines = _fit(", ".join(creators(meta)), design["authors"], inner)
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
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png", "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg", "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif", "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp", "image/webp"
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


def _nav_points(entries: list[TocEntry], order: Iterator[int]) -> list[_NavPoint]:
    """Number the contents tree in reading order; a chapter links to its file, a section to its heading."""
    points = []
    for entry in entries:
        href = _file_of(entry.anchor)
        if entry.anchor != owner_of(entry.anchor):
            href += f"#{entry.anchor}"
        point = _NavPoint(entry.title, href, next(order))
        point.children = _nav_points(entry.children, order)
        points.append(point)
    return points


def _depth(points: list[_NavPoint]) -> int:
    return max((1 + _depth(point.children) for point in points), default=0)


def _zip(files: list[tuple[str, bytes]]) -> bytes:
    """Write the container: `mimetype` first and stored, as EPUB requires; fixed times so bytes repeat."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in [("mimetype", b"application/epub+zip"), *files]:
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3  # Unix, whichever system builds it
            archive.writestr(info, data, compresslevel=9)
    return out.getvalue()
