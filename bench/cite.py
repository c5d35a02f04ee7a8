"""Score the citation parser field by field, and time it.

    .venv/bin/python bench/cite.py [--notes 20000]

Scores (F1 per field, over references): AnyStyle's gold set
(`bench/data/anystyle-gold.xml`, never trained on) for author, title, year
and container; hand-labelled real wiki notes (`bench/data/realwiki-notes.gold.json`)
for author, title, year, container and URL. A field is right when equal after
folding case, diacritics and punctuation; titles and containers when 90%
similar; authors are the family names in order. The segmentation rules are
scored on the labelled wiki notes' own labels (where a `<sep/>` starts a
citation). Then the time to parse
N distinct notes on one core, each parsed afresh (no cache), as a build
parses the notes of a book.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
from difflib import SequenceMatcher
from pathlib import Path

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pipeline.cite import parse as P  # noqa: E402
from pipeline.citations import note_items  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"


def fold(s: str) -> str:
    s = unicodedata.normalize("NFKD", s or "")
    s = "".join(c for c in s if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", s).split())


def similar(a: str, b: str) -> bool:
    a, b = fold(a), fold(b)
    return a == b if not a or not b else SequenceMatcher(None, a, b).ratio() >= 0.9


def families(item: dict, role: str = "author") -> list[str]:
    return [n.get("family") or n.get("literal") or "" for n in item.get(role) or [] if n.get("family") or n.get("literal")]


def year_of(item: dict) -> str:
    try:
        return str(item["issued"]["date-parts"][0][0])
    except (KeyError, IndexError, TypeError):
        return ""


class F1:
    def __init__(self) -> None:
        self.tp = self.fp = self.fn = 0

    def add(self, gold: str, pred: str, same) -> None:
        if gold and pred:
            if same(gold, pred):
                self.tp += 1
            else:
                self.fp += 1
                self.fn += 1
        elif pred:
            self.fp += 1
        elif gold:
            self.fn += 1

    def value(self) -> float:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        return 2 * p * r / (p + r) if p + r else 0.0


def anystyle() -> tuple[dict[str, F1], list[str]]:
    f = {k: F1() for k in ("author", "title", "year", "container")}
    texts = []
    for seq in etree.parse(str(DATA / "anystyle-gold.xml")).getroot().iter("sequence"):
        parts, g = [], {"a": "", "t": "", "c": "", "y": ""}
        for el in seq:
            text = " ".join((el.text or "").split())
            parts.append(text)
            if el.tag == "author" and not g["a"] or el.tag == "editor" and not g["a"] and not g.get("e"):
                g["a" if el.tag == "author" else "e"] = text
            elif el.tag == "title" and not g["t"]:
                g["t"] = text.strip(" .,:;\"“”‘’'«»()")
            elif el.tag in ("journal", "container-title") and not g["c"]:
                g["c"] = re.sub(r"^(In|in)\s+", "", text).strip(" .,:;()")
            elif el.tag == "date" and not g["y"]:
                m = re.search(r"\b(1[5-9]\d\d|20\d\d)\b", text)
                g["y"] = m.group(1) if m else ""
        text = " ".join(p for p in parts if p)
        texts.append(text)
        pred = note_items(text)
        p = pred[0] if pred else {}
        gwords = fold(g["a"] or g.get("e", "")).split()
        fam = [fold(x) for x in (families(p) or families(p, "editor"))]
        def author_ok(_g: str, _p: str) -> bool:
            first = fam[0].split() if fam else []
            return bool(first) and all(w in gwords for x in fam for w in x.split()) and any(w in gwords[:4] for w in first)
        f["author"].add(" ".join(gwords), " ".join(fam), author_ok)
        f["title"].add(g["t"], p.get("title", ""), similar)
        f["year"].add(g["y"], year_of(p), lambda a, b: a == b)
        f["container"].add(g["c"], p.get("container-title", ""), similar)
    return f, texts


def real() -> tuple[dict[str, F1], list[str]]:
    f = {k: F1() for k in ("author", "title", "year", "container", "url")}
    notes = json.loads((DATA / "realwiki-notes.gold.json").read_text("utf-8"))
    for note in notes:
        pred, used = note_items(note["text"]), set()
        for g in note["sources"]:
            best, bi = None, -1
            for i, p in enumerate(pred):
                if i in used:
                    continue
                s = SequenceMatcher(None, fold(g.get("title", "")), fold(p.get("title", ""))).ratio()
                s += 0.5 * bool(set(map(fold, g.get("authors", []))) & set(map(fold, families(p))))
                if best is None or s > best:
                    best, bi = s, i
            p = pred[bi] if bi >= 0 else {}
            used.add(bi)
            ga = [fold(x) for x in (g.get("authors") or g.get("editors") or [])]
            pa = [fold(x) for x in (families(p) or families(p, "editor"))]
            f["author"].add(" ".join(ga), " ".join(pa), lambda a, b: ga == pa)
            f["title"].add(g.get("title", ""), p.get("title", ""), similar)
            f["year"].add(g.get("year", ""), year_of(p), lambda a, b: a == b)
            f["container"].add(g.get("container", ""), p.get("container-title", ""), similar)
            f["url"].add(g.get("url", ""), p.get("URL", ""), lambda a, b: a.strip("<>") == b.strip("<>"))
        for i, p in enumerate(pred):
            if i not in used:
                f["title"].add("", p.get("title", ""), lambda a, b: False)
                f["author"].add("", " ".join(families(p)), lambda a, b: False)
                f["year"].add("", year_of(p), lambda a, b: False)
    return f, [n["text"] for n in notes]


def segmentation() -> str:
    """The segmentation rules on the labelled wiki notes' own labels: where each citation starts (<sep/>)."""
    from pipeline.cite.data import DATA_DIR, read_file
    tp = fp = fn = 0
    for path in sorted(DATA_DIR.glob("wiki-notes*.xml")):
        for seq in read_file(path):
            got = {a for a, _ in P.segments(P.Labelled(seq.tokens, seq.labels, [1.0] * len(seq.tokens)))}
            gold = set()
            for start in [0, *seq.starts]:
                while start < len(seq.labels) and seq.labels[start] == "note":
                    start += 1
                if start < len(seq.labels):
                    gold.add(start)
            tp, fp, fn = tp + len(got & gold), fp + len(got - gold), fn + len(gold - got)
    if not tp:
        return "segmentation: no labelled wiki notes in pipeline/cite/data"
    return f"segmentation rules on the labelled wiki notes: precision {tp / (tp + fp):.3f}, recall {tp / (tp + fn):.3f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--notes", type=int, default=20000, help="notes to time (default 20000)")
    args = ap.parse_args()
    for name, (scores, _) in (("anystyle gold (1,669 references)", anystyle()), ("real wiki notes (64)", real())):
        print(f"{name:34} " + "  ".join(f"{k} {v.value():.3f}" for k, v in scores.items()))
    print(segmentation())
    _, texts = anystyle()
    _, notes = real()
    pool = notes + texts
    batch = [f"{pool[i % len(pool)]} {i}" for i in range(args.notes)]  # distinct: nothing comes from a cache
    uncached = P._parse_cached.__wrapped__
    started = time.perf_counter()
    for text in batch:
        uncached(text)
    seconds = time.perf_counter() - started
    print(f"parse {args.notes:,} notes: {seconds:.2f} s on one core ({args.notes / seconds:,.0f} notes/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
