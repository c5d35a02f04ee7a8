"""The labelled training data: AnyStyle's XML form, read into tokens and labels.

A file is ``<dataset>`` of ``<sequence>``s, each a run of labelled segments
(``<author>Rottman:</author><title>*The Bazooka.*</title>…``); an empty
``<sep/>`` marks where a further citation starts inside one note. The note's
text is the segments joined by single spaces, so its tokens (`tokens`) are
each segment's tokens in turn, and each token takes its segment's label.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from .tokens import prepare, tokenize

__all__ = ["DATA_DIR", "Sequence", "data_files", "read_file", "digest_files", "LABEL_ALIASES"]

DATA_DIR = Path(__file__).parent / "data"
# Rare AnyStyle labels folded into the ones the normaliser reads.
LABEL_ALIASES = {"director": "author", "producer": "author", "dataset": "note", "citation-number": "note"}


@dataclass
class Sequence:
    """One labelled note: its tokens, a label per token and where citations start."""

    tokens: list[str]
    labels: list[str]
    starts: list[int] = field(default_factory=list)  # token indexes after each <sep/>
    source: str = ""  # file name, for reports

    @property
    def text(self) -> str:
        """The note as written."""
        return " ".join(self.tokens)


def data_files(directory: Path = DATA_DIR) -> list[Path]:
    """The training files, in the order they are read: AnyStyle's core set, then the wiki notes."""
    return sorted(directory.glob("anystyle-core.xml")) + sorted(directory.glob("wiki-notes*.xml"))


def read_file(path: Path) -> list[Sequence]:
    """Read one XML training file."""
    root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    out = []
    for seq in root.iter("sequence"):
        tokens: list[str] = []
        labels: list[str] = []
        starts: list[int] = []
        for el in seq:
            if not isinstance(el.tag, str):
                continue
            if el.tag == "sep":
                starts.append(len(tokens))
                continue
            words = tokenize(prepare(el.text or ""))
            label = LABEL_ALIASES.get(el.tag, el.tag)
            tokens += words
            labels += [label] * len(words)
        if tokens:
            out.append(Sequence(tokens, labels, starts, path.name))
    return out


def digest_files(paths: list[Path]) -> dict[str, str]:
    """SHA-256 of each file's bytes, by file name."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}
