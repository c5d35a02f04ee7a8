"""The PDF rendered in chunks of chapters, in parallel processes, and assembled into one book.

Each assembled book is held to the same book laid out as one WeasyPrint document
(`render_whole`): the same pages, pixel for pixel, the same outline, links that
land where they should, each font and image once, one sound structure tree.
"""
from __future__ import annotations

import io
import random
import re
import subprocess
import warnings
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pikepdf
import pytest
from fontTools import subset
from fontTools.ttLib import TTFont
from PIL import Image, ImageChops
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject
from weasyprint.pdf import fonts as weasy_fonts

from conftest import digest
from pipeline.model import BibEntry, Book, BookMeta, Chapter, Citation, IndexEntry, Note, Part, Section
from pipeline.pdf import PdfOptions, build_pdf, chunk_view, plan_chunks, render_chunk, render_view, render_whole
from pipeline.pdf.documents import _written
from pipeline.pdf.folios import _folio_specimen, _laid_out_folios
from pipeline.pdf.fonts import _union_glyphs, _widths
from pipeline.pdf.merge import _File, _write_tree
from pipeline.pdf.objects import ANCHOR_SCHEME, _tree_items
from pipeline.render import TEMPLATES
from test_pdf import FILLER, book_of, destinations, fonts, link_targets, page_texts

TITLES = ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]


def png(colour: tuple[int, int, int]) -> bytes:
    """Return a small PNG of one colour."""
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, format="PNG")
    return out.getvalue()


@cache
def chain_book() -> Book:
    """Five chapters of a few pages: links from the first to the last and back, notes citing a shared
    source, one picture in the first and the last chapter, a part over the last two, an index."""
    chapters, citations = [], []
    for k, title in enumerate(TITLES):
        cid = f"ch-{title.lower()}"
        target = TITLES[-1] if k == 0 else TITLES[0] if k == len(TITLES) - 1 else TITLES[k + 1]
        link = f'<a href="#ch-{target.lower()}">the {target} chapter</a>'
        ref = f'<sup><a class="noteref" id="{cid}--ref-1" href="#{cid}--fn-1">1</a></sup>'
        picture = ('<figure><img src="img:shared.png" alt="The shared picture"/><figcaption>Shared.</figcaption>'
                   '</figure>' if title in ("Alpha", "Echo") else
                   '<figure><img src="img:own.png" alt="A picture of its own"/></figure>' if title == "Charlie" else "")
        html = (f"<p>{FILLER * 3} See {link}.{ref}</p>{picture}"
                f'<h2 id="{cid}--origins">Origins</h2>' + f"<p>{FILLER * 4}</p>" * (4 + k % 3)
                + f'<h3 id="{cid}--later">Later years</h3>' + f"<p>{FILLER * 4}</p>" * 5)
        note = Note(label="1", id=f"{cid}--fn-1", html="<p>Peter Kropotkin, <em>Mutual Aid</em> (1902)</p>",
                    text="Peter Kropotkin, *Mutual Aid* (1902)", ref_ids=[f"{cid}--ref-1"],
                    sources=["bibliography--1"])
        citations.append(Citation(cid, title, "1", note.id))
        chapters.append(Chapter(id=cid, title=title, file=f"{title}.md", html=html, notes=[note], categories=[],
                                sections=[Section(2, "Origins", f"{cid}--origins"),
                                          Section(3, "Later years", f"{cid}--later")]))
    entry = BibEntry(id="bibliography--1", kind="work", html="Kropotkin, Peter. 1902. <em>Mutual Aid</em>.",
                     sort_key=("kropotkin",), csl={}, cited_in=citations)
    return Book(meta=BookMeta(title="Chain Book", authors=["A. Writer"], date="2026-01-01T00:00:00Z",
                              identifier="urn:uuid:00000000-0000-4000-8000-000000000001", rights="CC0."),
                chapters=chapters, bibliography=[entry], images={"shared.png": png((200, 40, 40)),
                                                                  "own.png": png((40, 40, 200))},
                parts=[Part("Second Part", "part-second", ["ch-delta", "ch-echo"])],
                index=[IndexEntry("Echo", refs=["ch-echo"]), IndexEntry("Origins", refs=["ch-bravo--origins"])])


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., tuple[Path, Path]]:
    """Render the chain book, one chunk per chapter, and as one document; return both paths."""
    folder = tmp_path_factory.mktemp("chain")

    @cache
    def render(options: PdfOptions = PdfOptions()) -> tuple[Path, Path]:
        tag = len(list(folder.iterdir()))
        chunked, whole = folder / f"chunked-{tag}.pdf", folder / f"whole-{tag}.pdf"
        chunked.write_bytes(build_pdf(chain_book(), options, workers=2, chunk_chars=1))
        whole.write_bytes(render_whole(chain_book(), options))
        return chunked, whole

    return render


def outline(reader: PdfReader) -> list[tuple[int, str, int]]:
    """Return the outline as (depth, title, page index), in order."""
    def flat(items: list, depth: int) -> list:
        return [x for item in items for x in (flat(item, depth + 1) if isinstance(item, list) else
                                               [(depth, item.title, reader.get_destination_page_number(item))])]
    return flat(reader.outline, 0)


def labels(path: Path) -> list[str]:
    """Return the page labels (the numbers a viewer shows) of every page."""
    return list(PdfReader(path).page_labels)


def pixels(path: Path, tmp: Path, dpi: int = 30) -> list[Image.Image]:
    """Return every page rendered by poppler."""
    prefix = tmp / path.stem
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), str(path), str(prefix)], check=True)
    return [Image.open(p).convert("L") for p in sorted(tmp.glob(f"{path.stem}-*.png"))]


def structure_problems(path: Path) -> tuple[list[str], int]:
    """Check the tag tree: ParentTree against pages and annotations, /P chains; return problems and elements."""
    reader = PdfReader(path)
    root = reader.trailer["/Root"]["/StructTreeRoot"]
    nums: dict[int, object] = {}

    def read(node: DictionaryObject) -> None:
        node = node.get_object()
        flat = node.get("/Nums", [])
        nums.update({flat[i]: flat[i + 1] for i in range(0, len(flat), 2)})
        for kid in node.get("/Kids", []):
            read(kid)

    read(root["/ParentTree"])
    problems, used = [], set()
    for index, page in enumerate(reader.pages):
        key = page.get("/StructParents")
        if key is not None:
            used.add(key)
            problems += [f"page {index}: no ParentTree entry {key}"] if key not in nums else []
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            key = annot.get("/StructParent")
            if key is None or key in used or key not in nums:
                problems.append(f"page {index}: annotation key {key} missing or taken twice")
                continue
            used.add(key)
            element = nums[key].get_object()
            kids = element["/K"] if isinstance(element["/K"], ArrayObject) else [element["/K"]]
            if not any(isinstance(k.get_object(), DictionaryObject) and k.get_object().get("/Obj") is not None
                       and k.get_object()["/Obj"].get_object() == annot for k in kids):
                problems.append(f"page {index}: the Link element of key {key} does not hold its annotation")
    if set(nums) != used:
        problems.append(f"ParentTree keys nothing uses: {sorted(set(nums) - used)[:5]}")
    count = 0

    def walk(element: DictionaryObject, parent: object) -> None:
        nonlocal count
        count += 1
        if element.get("/P") is None or element["/P"].get_object() != parent:
            problems.append(f"{element.get('/S')}: /P is not its parent")
        kids = element.get("/K")
        for kid in kids if isinstance(kids, ArrayObject) else [] if kids is None else [kids]:
            kid = kid.get_object()
            if isinstance(kid, DictionaryObject) and kid.get("/Type") not in ("/OBJR", "/MCR"):
                walk(kid, element)

    (document,) = root["/K"] if isinstance(root["/K"], ArrayObject) else [root["/K"]]
    walk(document.get_object(), root)
    for value in nums.values():  # every element a ParentTree value names hangs from the one root
        value = value.get_object()  # an array of a page's elements may be an indirect object, as PDF 1.7 prefers
        for element in value if isinstance(value, ArrayObject) else [value]:
            node, steps = element.get_object(), 0
            while node.get("/Type") != "/StructTreeRoot" and steps < 100:
                node, steps = node["/P"].get_object(), steps + 1
            if node != root:
                problems.append("an element leads to another StructTreeRoot")
    return problems, count


# --- fast: the plan ------------------------------------------------------------------------


def sized_book(sizes: list[int], ids: list[str] | None = None) -> Book:
    """Return a book whose chapters have the given markup sizes."""
    ids = ids or [f"ch-{i}" for i in range(len(sizes))]
    return Book(meta=BookMeta(), bibliography=[], images={},
                chapters=[Chapter(id=i, title=i, file=i, html="x" * n, sections=[], notes=[], categories=[])
                          for i, n in zip(ids, sizes)])


def boundaries(book: Book, plan: list[list[int]]) -> set[str]:
    """Return the ids of the chapters that end a chunk."""
    return {book.chapters[run[-1]].id for run in plan}


def test_plan_covers_the_book_in_order_with_bounded_chunks() -> None:
    rng = random.Random(5)
    book = sized_book([rng.randint(2_000, 40_000) for _ in range(300)])
    plan = plan_chunks(book, chunk_chars=100_000)
    assert [i for run in plan for i in run] == list(range(300))
    sizes = [sum(len(book.chapters[i].html) for i in run) for run in plan]
    assert all(s <= 300_000 + 40_000 for s in sizes)
    assert all(s >= 50_000 for s in sizes[:-1])
    assert 60_000 < sum(sizes) / len(sizes) < 200_000
    assert plan_chunks(sized_book([10] * 3), chunk_chars=1) == [[0], [1], [2]]
    assert plan_chunks(sized_book([]), chunk_chars=1) == []


def test_plan_moves_only_the_boundaries_near_an_edit() -> None:
    rng = random.Random(7)
    sizes = [rng.randint(2_000, 40_000) for _ in range(300)]
    before = boundaries(book := sized_book(sizes), plan_chunks(book))
    edited = sizes[:]
    edited[150] *= 2  # a chapter twice as long
    after = boundaries(book := sized_book(edited), plan_chunks(book))
    assert len(before ^ after) <= 4
    ids = [f"ch-{i}" for i in range(300)]
    inserted = sized_book(sizes[:100] + [20_000] + sizes[100:], ids[:100] + ["ch-new"] + ids[100:])
    after = boundaries(inserted, plan_chunks(inserted))
    assert len((before ^ after) - {"ch-new"}) <= 4  # the rest of the book keeps its chunks


def test_a_chunk_sees_what_it_renders_only() -> None:
    from dataclasses import replace

    book = chain_book()
    key = chunk_view(book, [0])
    assert key == chunk_view(chain_book(), [0]) and key != chunk_view(book, [1])
    other = replace(book, chapters=[book.chapters[0], replace(book.chapters[1], html="<p>Edited.</p>"),
                                    *book.chapters[2:]], meta=replace(book.meta, authors=["Someone Else"]))
    assert chunk_view(other, [0]) == key  # another chapter, the colophon: not this chunk's business
    assert chunk_view(other, [1]) != chunk_view(book, [1])
    assert chunk_view(replace(book, images={**book.images, "shared.png": png((0, 0, 0))}), [0]) != key
    assert chunk_view(replace(book, meta=replace(book.meta, title="Other")), [0]) != key  # the running head
    moved = replace(book, chapters=[book.chapters[1], book.chapters[0], *book.chapters[2:]])
    assert chunk_view(moved, [1]) == key  # the same chapter elsewhere in the book
    assert render_view(key) == render_chunk(book, [0])


def written_trees(items: list[tuple[bytes, bytes]], version: str) -> pikepdf.Pdf:
    """Return a PDF the book's writer made of a name tree and a number tree of `items` (as unparsed)."""
    data = io.BytesIO()
    file = _File(data, version)
    names, nums = _write_tree(file, items, "/Names"), _write_tree(file, [(b"3", b"1"), (b"9", b"2")], "/Nums")
    pages, root = file.reserve(), file.reserve()
    file.put(pages, b"<< /Type /Pages /Count 0 /Kids [ ] >>")
    file.put(root, b"<< /Type /Catalog /Pages %d 0 R /Names << /Dests %d 0 R >> /PageLabels %d 0 R >>"
             % (pages, names, nums))
    file.close(b"/Root %d 0 R" % root, "trees")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # qpdf warns about a damaged file it repairs
        return pikepdf.open(io.BytesIO(data.getvalue()))


@pytest.mark.parametrize("version", ["1.7", "1.4"])  # object and cross-reference streams, or a table
def test_name_and_number_trees(version: str) -> None:
    items = [(f"a{i:05d}", i) for i in range(5000)]
    pdf = written_trees([(pikepdf.String(k).unparse(), b"%d" % v) for k, v in items], version)
    tree = pdf.Root.Names.Dests
    assert "/Kids" in tree and "/Limits" not in tree  # balanced, the root without limits
    assert [(str(k), int(v)) for k, v in _tree_items(tree, "/Names")] == items
    assert [int(v) for _, v in _tree_items(pdf.Root.PageLabels, "/Nums")] == [1, 2]
    assert bytes(pdf.trailer.ID[0]) == b"trees"


def test_united_glyphs() -> None:
    # Two subsets of one font, glyph ids kept, united: every glyph of each at its own id.
    def subset_of(text: str) -> bytes:
        font = TTFont(TEMPLATES / "fonts" / "gentium-book-plus" / "GentiumBookPlus-Regular.woff")
        font.flavor = None
        options = subset.Options(retain_gids=True, notdef_outline=True)
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=text)
        subsetter.subset(font)
        data = io.BytesIO()
        font.save(data)
        return data.getvalue()

    united = TTFont(io.BytesIO(_union_glyphs([subset_of("Aé"), subset_of("zΩ")])))
    full = TTFont(TEMPLATES / "fonts" / "gentium-book-plus" / "GentiumBookPlus-Regular.woff")
    order, cmap = full.getGlyphOrder(), full.getBestCmap()
    for char in "AézΩ":
        gid = order.index(cmap[ord(char)])
        glyph = united["glyf"][united.getGlyphOrder()[gid]]
        assert glyph.numberOfContours != 0, char
        assert glyph.getCoordinates(united["glyf"])[0] == full["glyf"][cmap[ord(char)]].getCoordinates(full["glyf"])[0]


# --- slow: the chain book, one chunk per chapter ---------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("options", [PdfOptions(), PdfOptions(duplex=True, paper="a5", crop_marks=True)],
                         ids=["a4", "a5-duplex-crop"])
def test_stamped_folios_are_those_weasyprint_lays_out(options: PdfOptions) -> None:
    kinds = ["open", "side", "side", "none", "side", "open", "side"] * 3
    stamps = _folio_specimen(3, options)
    assert stamps is not None  # the book face's figures are tabular
    stamped = stamps.layer(kinds, 95)  # 95 to 115: two and three digits
    assert stamped.contents == _laid_out_folios(kinds, 95, options).contents
    assert [c is None for c in stamped.contents] == [kind == "none" for kind in kinds]


@pytest.mark.slow
def test_a_glyph_has_one_width_in_every_document(monkeypatch: pytest.MonkeyPatch) -> None:
    # Chunks unite their subsets of a font only if they declare the same widths; WeasyPrint 70 declares
    # the width a glyph had at its first size, rounded, and pipeline.pdf makes it the font's own.
    def widths(size: str) -> dict[int, int | float]:
        page = f'<html lang="en"><body><p style="font-size: {size}">Lorem ipsum: quartz, 0123456789.</p></body></html>'
        data = _written(page, {}, PdfOptions(), None, title="")[0]
        with pikepdf.open(io.BytesIO(data)) as pdf:
            (font,) = [f for f in pdf.pages[0].Resources.Font.values() if "Gentium" in str(f.BaseFont)]
            return _widths(font.DescendantFonts[0].W)

    full = TTFont(TEMPLATES / "fonts" / "gentium-book-plus" / "GentiumBookPlus-Regular.woff")
    upem, advances = full["head"].unitsPerEm, [full["hmtx"][name][0] for name in full.getGlyphOrder()]
    sizes = ["9pt", "10.7pt", "13.3pt", "28pt"]
    assert all(widths(size) == {gid: round(advances[gid] * 1000 / upem) for gid in widths(size)} for size in sizes)
    monkeypatch.setattr(weasy_fonts.Font, "__init__", weasy_fonts.Font.__init__.__wrapped__)
    assert len({tuple(sorted(widths(size).items())) for size in sizes}) > 1, \
        "WeasyPrint now declares size-independent widths: drop the workaround in pipeline.pdf.patches"


@pytest.mark.slow
def test_each_chapter_is_a_chunk_of_its_own() -> None:
    book = chain_book()
    assert plan_chunks(book, chunk_chars=1) == [[i] for i in range(len(TITLES))]
    chunk = render_chunk(book, [0])
    assert chunk.chapters == ("ch-alpha",) and chunk.pages == len(chunk.folios) >= 2
    assert chunk.folios[0] == "open" and set(chunk.folios[1:]) == {"side"}
    assert "ch-alpha--fn-1" in chunk.anchors and "ch-echo" not in chunk.anchors
    assert [entry.title for entry in chunk.outline] == ["Alpha"]
    assert [c.title for c in chunk.outline[0].children] == ["Origins"]
    with pikepdf.open(io.BytesIO(chunk.pdf)) as pdf:
        uris = {bytes(annot.A.URI).decode() for page in pdf.pages for annot in page.obj.get("/Annots", [])
                if "/A" in annot}
    assert ANCHOR_SCHEME + "ch-echo" in uris  # a link out of the chunk, for assembly to resolve


@pytest.mark.slow
def test_folios_continue_across_chunks(chain: Callable[..., tuple[Path, Path]]) -> None:
    path, _ = chain()
    dests = destinations(PdfReader(path))
    texts = page_texts(path)
    one = dests["ch-alpha"]
    shown = labels(path)
    assert shown[:one] == ["i", "ii", "iii"][:one] and shown[one] == "1"
    part = dests["part-second"]
    for index in range(one, len(texts)):
        lines = texts[index].strip().splitlines()
        assert shown[index] == str(index - one + 1)
        if index == part:  # a part's title page shows no number
            assert [line.strip() for line in lines] == ["Second Part"]
        else:
            assert lines[-1].strip() == shown[index], index
    # Around every chunk boundary: the last page of one chapter, the first of the next.
    for title in TITLES[1:]:
        start = dests[f"ch-{title.lower()}"]
        before = start - 2 if start - 1 == part else start - 1
        assert texts[before].strip().splitlines()[-1].strip() == str(before - one + 1)
        assert texts[start].strip().splitlines()[-1].strip() == str(start - one + 1)


@pytest.mark.slow
def test_contents_and_page_references_name_the_right_pages(chain: Callable[..., tuple[Path, Path]]) -> None:
    path, _ = chain(PdfOptions(toc_depth=2))
    dests = destinations(PdfReader(path))
    texts = page_texts(path)
    shown = labels(path)
    toc = " ".join(texts[dests["contents"]].split())
    for title in ["Second Part", *TITLES, "Bibliography", "Index", "Article sources"]:
        anchor = {"Second Part": "part-second", "Bibliography": "bibliography", "Index": "book-index",
                  "Article sources": "article-sources"}.get(title, f"ch-{title.lower()}")
        number = re.search(re.escape(title) + r"[ .]*?(\d+)", toc)
        assert number and number.group(1) == shown[dests[anchor]], title
        assert title in " ".join(texts[dests[anchor]].split())
    assert f"Origins {shown[dests['ch-echo--origins']]}" in re.sub(r"[ .]+", " ", toc)
    back = " ".join(" ".join(texts[i].split()) for i in range(dests["bibliography"], len(texts)))
    for title in TITLES:  # "Cited in: Alpha 1 (p. N)", the page of each footnote
        assert f"{title} 1 (p. {shown[dests[f'ch-{title.lower()}--fn-1']]})" in back
    assert f"Echo {shown[dests['ch-echo']]}" in back  # the index
    assert f"Bravo › Origins {shown[dests['ch-bravo--origins']]}" in back
    assert f"Delta {shown[dests['ch-delta']]}. Source file: Delta.md" in back  # the article sources


@pytest.mark.slow
def test_links_between_chunks_land_on_their_targets(chain: Callable[..., tuple[Path, Path]]) -> None:
    path, whole = chain()
    reader = PdfReader(path)
    dests = destinations(reader)
    texts = page_texts(path)
    first = link_targets(reader, dests["ch-alpha"])
    assert "ch-echo" in first and "ch-alpha--fn-1" in first  # to the last chunk; to its own footnote
    assert " ".join(texts[dests["ch-echo"]].split()).startswith("Echo")
    assert "ch-alpha" in link_targets(reader, dests["ch-echo--ref-1"])  # the last chunk back to the first
    # A footnote on to the bibliography (back matter), and the bibliography back to each footnote.
    assert "bibliography--1" in link_targets(reader, dests["ch-charlie--fn-1"])
    back = {t for i in range(dests["bibliography"], len(reader.pages)) for t in link_targets(reader, i)}
    assert {f"ch-{t.lower()}--fn-1" for t in TITLES} <= back and {"ch-echo", "ch-bravo--origins"} <= back
    contents = link_targets(reader, dests["contents"])
    assert {f"ch-{t.lower()}" for t in TITLES} | {"part-second", "bibliography", "book-index"} <= set(contents)
    # Every link leads to a destination in the book; none is left as a private URI.
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            for annot in page.obj.get("/Annots", []):
                assert "/A" not in annot and str(annot.Dest) in dests
    # The same links as the book laid out as one document, page by page.
    one = PdfReader(whole)
    assert [sorted(link_targets(reader, i)) for i in range(len(reader.pages))] == \
        [sorted(link_targets(one, i)) for i in range(len(one.pages))]
    assert destinations(reader) == destinations(one)


@pytest.mark.slow
def test_outline_is_whole(chain: Callable[..., tuple[Path, Path]]) -> None:
    path, whole = chain()
    entries = outline(PdfReader(path))
    assert entries == outline(PdfReader(whole))
    titles = [title for depth, title, _ in entries if depth == 0]
    assert titles == ["Contents", "Alpha", "Bravo", "Charlie", "Second Part", "Delta", "Echo", "Bibliography",
                      "Index", "Article sources"]
    assert [t for d, t, _ in entries if d == 1] == ["Origins"] * 5
    assert [t for d, t, _ in entries if d == 2] == ["Later years"] * 5


@pytest.mark.slow
def test_each_font_and_image_is_stored_once(chain: Callable[..., tuple[Path, Path]]) -> None:
    path, whole = chain()
    table = fonts(path)
    names = [f["name"] for f in table]
    assert len(names) == len(set(names)) and sorted(names) == sorted(f["name"] for f in fonts(whole))
    assert all(f["emb"] == "yes" and f["sub"] == "yes" for f in table)
    bases = [re.sub(r"^[A-Z]{6}\+", "", name) for name in names]
    assert len(bases) == len(set(bases))  # one subset of each face, not one per chunk

    def images(file: Path) -> int:
        with pikepdf.open(file) as pdf:
            return sum(1 for obj in pdf.objects if isinstance(obj, pikepdf.Stream)
                       and obj.get("/Subtype") == pikepdf.Name.Image)

    assert images(path) == images(whole) == 2  # the picture in the first and the last chunk is one image
    assert path.stat().st_size <= 1.2 * whole.stat().st_size


@pytest.mark.slow
@pytest.mark.parametrize("options", [PdfOptions(), PdfOptions(duplex=True, crop_marks=True, paper="a5")],
                         ids=["a4", "a5-duplex-crop"])
def test_pages_are_those_of_one_document(chain: Callable[..., tuple[Path, Path]], options: PdfOptions,
                                         tmp_path: Path) -> None:
    path, whole = chain(options)
    mine, theirs = pixels(path, tmp_path), pixels(whole, tmp_path)
    assert len(mine) == len(theirs)
    for index, (a, b) in enumerate(zip(mine, theirs)):
        assert ImageChops.difference(a, b).getbbox() is None, f"page {index + 1} differs"


@pytest.mark.slow
def test_duplex_chapters_open_on_the_right(chain: Callable[..., tuple[Path, Path]]) -> None:
    path, _ = chain(PdfOptions(duplex=True))
    reader = PdfReader(path)
    dests = destinations(reader)
    texts = page_texts(path)
    shown = labels(path)
    one = dests["ch-alpha"]
    for anchor in [*(f"ch-{t.lower()}" for t in TITLES), "part-second", "contents", "bibliography", "book-index"]:
        assert dests[anchor] % 2 == 0, anchor  # index 0 is a right-hand page
    blanks = [i for i in range(one, len(texts)) if not texts[i].strip()]
    assert blanks  # a chunk ending on a right-hand page was followed by a blank page...
    for index in range(one, len(texts)):  # ...which counts, as in one document
        assert shown[index] == str(index - one + 1)
        lines = texts[index].strip().splitlines()
        if lines and index != dests["part-second"]:
            assert lines[-1].strip() == shown[index]


@pytest.mark.slow
def test_the_tag_tree_is_one_and_sound(chain: Callable[..., tuple[Path, Path]]) -> None:
    path, whole = chain()
    problems, elements = structure_problems(path)
    assert problems == []
    assert elements == structure_problems(whole)[1]  # every element of the one-document tree
    pdf = pikepdf.open(path)
    assert sum(1 for obj in pdf.objects if isinstance(obj, pikepdf.Dictionary)
               and obj.get("/Type") == pikepdf.Name.StructTreeRoot) == 1
    assert pdf.Root.Lang == "en" and pdf.Root.MarkInfo.Marked and pdf.Root.ViewerPreferences.DisplayDocTitle
    assert str(pdf.docinfo.Title) == "Chain Book" and str(pdf.docinfo.Author) == "A. Writer"
    assert "pdfuaid" in pdf.Root.Metadata.read_bytes().decode()
    done = subprocess.run(["pdfinfo", "-struct", str(path)], capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr == "" and "Document" in done.stdout
    # Folios drawn over the chunks are pagination artifacts, outside the tree.
    page = pdf.pages[destinations(PdfReader(path))["ch-bravo"]]
    content = b"".join(stream.read_bytes() for stream in page.obj.Contents)
    assert b"/Artifact <</Type /Pagination /Subtype /PageNum>> BDC" in content


@pytest.mark.slow
def test_the_same_book_gives_the_same_bytes_with_any_number_of_workers() -> None:
    book = chain_book()
    assert digest(build_pdf(book, workers=1, chunk_chars=1)) == digest(build_pdf(book, workers=2, chunk_chars=1))


@pytest.fixture(scope="module")
def sample_whole(sample, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample book laid out as one document."""
    path = tmp_path_factory.mktemp("whole") / "sample-whole.pdf"
    path.write_bytes(render_whole(book_of(sample)))
    return path


@pytest.mark.slow
def test_sample_is_rendered_in_chunks_and_matches_one_document(sample, sample_whole: Path, tmp_path: Path) -> None:
    book = book_of(sample)
    plan = plan_chunks(book)
    assert len(plan) >= 2
    path = sample.output("pdf")
    reader, one = PdfReader(path), PdfReader(sample_whole)
    assert outline(reader) == outline(one)
    assert destinations(reader) == destinations(one)
    assert path.stat().st_size <= 1.2 * sample_whole.stat().st_size
    assert sorted(f["name"] for f in fonts(path)) == sorted(f["name"] for f in fonts(sample_whole))
    assert structure_problems(path)[0] == []
    # The pages on either side of each chunk boundary look as in one document.
    dests = destinations(reader)
    starts = [dests[book.chapters[run[0]].id] for run in plan[1:]]
    mine, theirs = pixels(path, tmp_path, dpi=20), pixels(sample_whole, tmp_path, dpi=20)
    assert len(mine) == len(theirs)
    for start in starts:
        for index in (start - 1, start):
            assert ImageChops.difference(mine[index], theirs[index]).getbbox() is None, index
