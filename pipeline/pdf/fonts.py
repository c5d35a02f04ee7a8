"""Each font file embedded once: the subsets the parts made of one font, united glyph by glyph."""
from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence

from fontTools.ttLib import TTFont
from pikepdf import Array, Dictionary, Name


def _unitable(font: Dictionary) -> bool:
    """Whether a font is a Type 0 TrueType font addressed by glyph id, as WeasyPrint embeds them."""
    try:
        cid = font.DescendantFonts[0]
        return (font.Subtype == Name.Type0 and font.get("/Encoding") == Name("/Identity-H")
                and cid.Subtype == Name.CIDFontType2 and cid.get("/CIDToGIDMap") == Name.Identity
                and "/FontFile2" in cid.FontDescriptor
                and b"beginbfrange" not in (font.ToUnicode.read_bytes() if "/ToUnicode" in font else b""))
    except (AttributeError, KeyError, IndexError):
        return False


def _rename_name(base: str, digest: str) -> str:
    """Return a font name with a subset tag of its own, derived from its file's digest."""
    tag = "".join(chr(65 + b % 26) for b in bytes.fromhex(digest)[:6])
    return "/" + tag + "+" + base[1:].split("+", 1)[-1]


def _widths(w: Array) -> dict[int, int | float]:
    """Return the glyph widths of a CIDFont /W array."""
    items = list(w)
    widths: dict[int, int | float] = {}
    i = 0
    while i < len(items):
        first = int(items[i])
        if isinstance(items[i + 1], Array):
            for k, width in enumerate(items[i + 1]):
                widths[first + k] = _plain(width)
            i += 2
        else:
            for gid in range(first, int(items[i + 1]) + 1):
                widths[gid] = _plain(items[i + 2])
            i += 3
    return widths


def _plain(value: object) -> int | float:
    """Return a PDF number as an int when it is whole."""
    number = float(value)
    return int(number) if number.is_integer() else number


def _w_array(widths: Mapping[int, int | float]) -> Array:
    """Return a /W array, one run of widths per run of consecutive glyph ids (as WeasyPrint writes it)."""
    items: list[object] = []
    run: list[int | float] = []
    previous = None
    for gid in sorted(widths):
        if previous is None or gid != previous + 1:
            run = []
            items += [gid, run]
        run.append(widths[gid])
        previous = gid
    return Array([Array(x) if isinstance(x, list) else x for x in items])


_BFCHAR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>")


def _bfchars(cmap: bytes) -> dict[int, str]:
    """Return glyph id -> UTF-16BE hex text from a ToUnicode CMap made of bfchar entries."""
    found: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for gid, hex_text in _BFCHAR.findall(block):
            found.setdefault(int(gid, 16), hex_text.decode("ascii").lower())
    return found


def _to_unicode(text: Mapping[int, str]) -> bytes:
    """Return a ToUnicode CMap for glyph id -> UTF-16BE hex text, laid out as WeasyPrint writes it."""
    lines = [b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap", b"/CIDSystemInfo",
             b"<< /Registry (Adobe)", b"/Ordering (UCS)", b"/Supplement 0", b">> def",
             b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def", b"1 begincodespacerange",
             b"<0000> <ffff>", b"endcodespacerange"]
    items = sorted(text.items())
    for i in range(0, len(items), 100):
        batch = items[i:i + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        lines += [f"<{gid:04x}> <{hex_text}>".encode() for gid, hex_text in batch]
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)


_PER_GLYPH_TABLES = ("hdmx", "LTSH", "VDMX", "kern")  # not united below, and of no use in a PDF


def _union_glyphs(programs: Sequence[bytes]) -> bytes:
    """Return one TrueType program holding every glyph any of `programs` holds, at the same glyph ids.

    The programs are subsets of one font made with their glyph ids kept (an
    unused glyph is empty), so a glyph's outline, composite references
    included, means the same in each: the union takes each glyph from the
    first program that has it, and maps every character any of them maps.
    The font-wide tables (head, hhea, maxp) are the full font's, as the
    subsetter left them; so is everything a renderer reads from them.
    """
    fonts = [TTFont(io.BytesIO(p), recalcTimestamp=False, recalcBBoxes=False) for p in programs]
    base = max(fonts, key=lambda f: len(f.getGlyphOrder()))  # the first of the longest: glyph ids for all
    order = base.getGlyphOrder()
    glyf, hmtx = base["glyf"], base["hmtx"]
    for font in fonts:
        if font is base:
            continue
        theirs = font.getGlyphOrder()
        their_glyf, their_hmtx = font["glyf"], font["hmtx"]
        for gid, name in enumerate(theirs):
            if _has_outline(their_glyf.glyphs[name]) and not _has_outline(glyf.glyphs[order[gid]]):
                glyf.glyphs[order[gid]] = their_glyf.glyphs[name]  # raw data: components are by glyph id
                hmtx.metrics[order[gid]] = their_hmtx.metrics[name]
        gid_of = {name: gid for gid, name in enumerate(theirs)}
        for table in font["cmap"].tables if "cmap" in font else []:
            mine = base["cmap"].getcmap(table.platformID, table.platEncID) if "cmap" in base else None
            if mine is not None:
                for code, name in table.cmap.items():
                    mine.cmap.setdefault(code, order[gid_of[name]])
    for tag in _PER_GLYPH_TABLES:
        if tag in base:
            del base[tag]
    out = io.BytesIO()
    base.save(out)
    return out.getvalue()


def _has_outline(glyph: object) -> bool:
    """Whether a glyf entry draws anything (a subset leaves unused glyphs empty)."""
    if hasattr(glyph, "data"):
        return bool(glyph.data)
    return getattr(glyph, "numberOfContours", 0) != 0
