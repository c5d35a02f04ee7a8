#!/usr/bin/env python3
"""Generate a wiki-export corpus in the same dialect as examples/Marxism-Leninism.md.

The articles imitate what a MediaWiki -> pandoc (gfm) -> regex export
produces: raw-HTML wikilinks with a stray quote before `<a` and before the
link text, `.md` appended to every target (also after `#Section`), HTML
entities in targets, 72-column hard wrapping, footnotes [^n] that hold
free-text citations, `<references/>`, category links at the bottom,
redirect pages, `<figure>` images, pipe tables and a few MediaWiki
leftovers ('''bold''').

Deterministic: the same --seed and --articles give the same bytes.

    python3 make_corpus.py OUT_DIR --articles 200 --seed 7

The real article examples/Marxism-Leninism.md is copied in unless
--no-seed-article is given. Used by the tests and the benchmarks.
Standard library only.
"""
from __future__ import annotations

import argparse
import html
import random
import re
import struct
import textwrap
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED_TITLE = "Marxism-Leninism"
SEED_FILE = HERE.parent / "examples" / f"{SEED_TITLE}.md"

WIDTH = 72
NBSP_MARK = "\u0000"  # keeps `<a   href` on one line while wrapping
KEEP_SPACE = "\u0001"  # a space inside an attribute value: never a line break

VOCAB_A = [
    "Federation", "Council", "Commune", "Syndicate", "Assembly", "Collective",
    "Cooperative", "Union", "Network", "Congress", "Platform", "Militia",
    "Bureau", "Committee", "Library", "School", "Press", "Archive",
]
VOCAB_B = [
    "Aragon", "Catalonia", "Galicia", "Kronstadt", "Huliaipole", "Barcelona",
    "Petrograd", "Chiapas", "Kobanî", "Shinmin", "Lyon", "Turin", "Chicago",
    "Buenos Aires", "Tokyo", "Seoul", "Lisbon", "Zürich", "Kraków", "Ōsaka",
]
HEADINGS = [
    "Origins", "History", "Organization", "Theory", "Criticism", "Legacy",
    "Economic Organization", "Relations with the State", "Membership",
    "Repression", "Later Developments", "Historiography", "Aftermath",
]
SOURCES = [
    "Wikipedia: {t}, accessed 2026",
    "Britannica: {t}",
    "libcom.org: {t}",
    "The Anarchist Library: {t}",
    "Spartacus Educational: {t}",
    "Peter Kropotkin, *Mutual Aid: A Factor of Evolution* (1902)",
    "Emma Goldman, *My Disillusionment in Russia* (1923)",
    "Voline, *The Unknown Revolution* (1947)",
    "Murray Bookchin, *The Spanish Anarchists* (1977)",
    "Paul Avrich, *The Russian Anarchists* (1967)",
    "Victor Serge, *Memoirs of a Revolutionary* (1951)",
    "Alexander Berkman, *The Bolshevik Myth* (1925)",
    "Rudolf Rocker, *Anarcho-Syndicalism* (1938)",
    "Sam Dolgoff (ed.), *The Anarchist Collectives* (1974)",
    "Ida Mett, *The Kronstadt Uprising* (1938)",
    "Peter Arshinov, *History of the Makhnovist Movement* (1923)",
]


# ---------------------------------------------------------------- text pool

def seed_text() -> str:
    return SEED_FILE.read_text(encoding="utf-8") if SEED_FILE.exists() else ""


def plain(markup: str) -> str:
    """Strip the export's link markup and emphasis, leaving prose."""
    s = re.sub(r'"?<a\s+href="[^"]*"[^>]*>"?(.*?)</a>', r"\1", markup, flags=re.S)
    s = re.sub(r"\[\^\d+\]", "", s)
    s = s.replace("**", "").replace("*", "")
    return html.unescape(re.sub(r"\s+", " ", s)).strip()


def sentence_pool(text: str) -> list[str]:
    body = text.split("## References")[0]
    paras = [p for p in re.split(r"\n\s*\n", body) if p and p[0] not in "#-[\""]
    out: list[str] = []
    for p in paras:
        for s in re.split(r"(?<=[.!?])\s+", plain(p)):
            if 40 <= len(s) <= 320 and s[0].isupper():
                out.append(s)
    return out or ["The federation met weekly and every delegate could be recalled."]


# ------------------------------------------------------------------ markup

def href_of(title: str, section: str | None = None) -> str:
    target = title.replace(" ", "_")
    if section:
        target += "#" + section.replace(" ", "_")
    return html.escape(target, quote=True).replace("&#x27;", "&#39;") + ".md"


def wikilink(title: str, text: str, section: str | None = None) -> str:
    t = html.escape(text, quote=True).replace("&#x27;", "&#39;").replace(" ", KEEP_SPACE)
    return f'"<a{NBSP_MARK}href="{href_of(title, section)}" class="wikilink" title="{t}">"{text}</a>'


def wrap(text: str, first: str = "", rest: str = "") -> str:
    lines = textwrap.wrap(
        text, width=WIDTH, initial_indent=first, subsequent_indent=rest,
        break_long_words=False, break_on_hyphens=False,
    )
    return "\n".join(lines).replace(NBSP_MARK, "   ").replace(KEEP_SPACE, " ")


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    raw = b"".join(
        b"\x00" + bytes(
            c for x in range(width)
            for c in (rgb[0], (rgb[1] + x) % 256, (rgb[2] + y) % 256)
        )
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


# ----------------------------------------------------------------- corpus

def titles_for(n: int, rng: random.Random, seed_targets: list[str]) -> list[str]:
    titles = [t for t in seed_targets if not t.startswith("Category:")]
    rng.shuffle(titles)
    extra = [f"{a} of {b}" for a in VOCAB_A for b in VOCAB_B]
    rng.shuffle(extra)
    titles += extra
    k = 2
    while len(titles) < n:
        titles += [f"{t} ({k})" for t in extra]
        k += 1
    return titles[:n]


class Article:
    def __init__(self, title: str, rng: random.Random, pool: list[str]):
        self.title = title
        self.rng = rng
        self.pool = pool
        self.sections = rng.sample(HEADINGS, rng.randint(2, 5))
        self.notes: list[str] = []
        self.images: list[str] = []

    def sentence(self, links: list[tuple[str, str | None]]) -> str:
        s = self.rng.choice(self.pool)
        if links and self.rng.random() < 0.7:
            title, section = self.rng.choice(links)
            words = s.split(" ")
            i = self.rng.randrange(1, len(words))
            label = title if self.rng.random() < 0.6 else title.lower()
            words.insert(i, wikilink(title, label, section))
            s = " ".join(words)
        if self.rng.random() < 0.25:
            self.notes.append(self.citation())
            s = s.rstrip(".") + f".[^{len(self.notes)}]"
        return s

    def citation(self) -> str:
        src = self.rng.choice(SOURCES).format(t=self.title)
        if self.rng.random() < 0.5:
            quote = self.rng.choice(self.pool)
            return f'"{quote}" {src}'
        return src

    def render(self, links: list[tuple[str, str | None]], categories: list[str]) -> str:
        rng = self.rng
        out = [f"# {self.title}", "", "## Overview", ""]
        out.append(wrap(" ".join(self.sentence(links) for _ in range(rng.randint(2, 5)))))
        for heading in self.sections:
            out += ["", f"## {heading}", ""]
            for _ in range(rng.randint(1, 3)):
                out.append(wrap(" ".join(self.sentence(links) for _ in range(rng.randint(2, 6)))))
                out.append("")
            roll = rng.random()
            if roll < 0.25:
                for _ in range(rng.randint(2, 5)):
                    lead = rng.choice(HEADINGS)
                    out.append(wrap(f"**{lead}**: {self.sentence(links)}", "- ", "  "))
                out.append("")
            elif roll < 0.35:
                out.append(wrap(self.sentence(links), "> ", "> "))
                out.append("")
            elif roll < 0.42:
                out += ["| Year | Event | Members |", "|------|-------|--------:|"]
                for y in sorted(rng.sample(range(1870, 2020), 3)):
                    out.append(f"| {y} | {rng.choice(HEADINGS)} | {rng.randint(10, 90000):,} |")
                out.append("")
            elif roll < 0.48:
                name = f"{self.title.replace(' ', '_')}_{len(self.images) + 1}.png"
                self.images.append(name)
                out += ["<figure>", f'<img src="{html.escape(name)}" title="{html.escape(name)}" />',
                        f"<figcaption>{html.escape(self.title)}</figcaption>", "</figure>", ""]
            elif roll < 0.52:
                out.append(wrap(f"'''{self.title}''' {self.sentence(links)}"))
                out.append("")
        out += ["## See Also", ""]
        for title, _ in rng.sample(links, min(len(links), rng.randint(2, 6))):
            out.append(wrap(wikilink(title, title), "- ", "  "))
        out += ["", "## References", "", "<references/>", ""]
        for cat in categories:
            out.append(wrap(wikilink(f"Category:{cat}", f"Category:{cat}")))
        out.append("")
        for i, note in enumerate(self.notes, 1):
            out.append(wrap(note, f"[^{i}]: ", "    "))
            out.append("")
        return "\n".join(out).rstrip() + "\n"


def build(out_dir: Path, n: int, seed: int, include_seed: bool) -> dict:
    rng = random.Random(seed)
    text = seed_text()
    pool = sentence_pool(text)
    seed_targets = sorted({html.unescape(h).replace("_", " ")
                           for h in re.findall(r'href="([^"#]+)\.md"', text)})
    titles = titles_for(n, rng, seed_targets)
    dangling = [f"{a} {b}" for a, b in zip(VOCAB_B, reversed(VOCAB_A))]
    categories = ["Concepts", "Ideologies", "History", "Organizations", "People", "Places"]
    out_dir.mkdir(parents=True, exist_ok=True)
    articles = [Article(t, random.Random(f"{seed}:{t}"), pool) for t in titles]
    by_title = {a.title: a for a in articles}
    stats = {"articles": 0, "redirects": 0, "images": 0, "notes": 0}

    for art in articles:
        targets = rng.sample(titles, min(len(titles), 12))
        links: list[tuple[str, str | None]] = [(t, None) for t in targets if t != art.title]
        links += [(t, None) for t in rng.sample(dangling, 2)]
        other = by_title[rng.choice(targets)]
        links.append((other.title, rng.choice(other.sections + ["No Such Section"])))
        body = art.render(links, rng.sample(categories, rng.randint(1, 3)))
        name = art.title.replace(" ", "_") + ".md"
        (out_dir / name).write_text(body, encoding="utf-8")
        for img in art.images:
            if rng.random() < 0.9:  # some images are missing, as in real exports
                (out_dir / img).write_bytes(png(96, 64, (rng.randrange(256), 40, 90)))
        stats["articles"] += 1
        stats["images"] += len(art.images)
        stats["notes"] += len(art.notes)

    for i, art in enumerate(articles[: max(1, n // 20)]):
        alias = f"{art.title} (alias {i + 1})" if i % 2 else f"The {art.title}"
        link = wikilink(art.title, art.title)
        (out_dir / (alias.replace(" ", "_") + ".md")).write_text(
            wrap(f"REDIRECT {link}", "1.  ", "    ") + "\n", encoding="utf-8")
        stats["redirects"] += 1

    if include_seed and text:
        (out_dir / f"{SEED_TITLE}.md").write_text(text, encoding="utf-8")
        stats["articles"] += 1
    return stats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--articles", type=int, default=60)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-seed-article", action="store_true")
    args = ap.parse_args()
    stats = build(args.out_dir, args.articles, args.seed, not args.no_seed_article)
    print(" ".join(f"{k}={v}" for k, v in stats.items()))


if __name__ == "__main__":
    main()
