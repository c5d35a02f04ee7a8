"""Train the citation labeller: ``python -m pipeline.cite.train``.

Reads every training file in ``pipeline/cite/data/`` (`data.data_files`),
trains a linear-chain CRF (CRFsuite, L-BFGS with L1 and L2 regularisation:
the L1 term prunes the features to a model small enough to ship) and writes
``pipeline/cite/model.crfsuite`` with ``model.json`` beside it: the feature
set, the training parameters, the seed and each data file's SHA-256. L-BFGS
is deterministic and the data are read in a fixed order, so the same data
give the same model, byte for byte (``--check`` retrains into a temporary
file and compares). The seed orders the sequences and is recorded with them.

A second model, ``model-ref.crfsuite``, learns AnyStyle's reference lists
alone (``anystyle-core.xml``, the same features and parameters): trained
with the wiki notes, where a plain sentence is often commentary, the first
model labels academic references worse than a model of those alone. The
parser labels a note with both and keeps the more probable labelling
(`parse.label`).

``--exclude-notes FILE`` leaves out of training every wiki note whose text is
in FILE (one note a line): for an honest score on notes of the same wiki.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

import pycrfsuite

from .data import DATA_DIR, Sequence, data_files, digest_files, read_file
from .synth import GENERATOR, generate
from .tokens import FEATURES, display, features

__all__ = ["PARAMS", "SEED", "MODEL", "REF_MODEL", "META", "REF_DATA", "train", "main"]

MODEL = Path(__file__).parent / "model.crfsuite"
REF_MODEL = Path(__file__).parent / "model-ref.crfsuite"
REF_DATA = "anystyle-core.xml"  # the reference model's one training file
META = Path(__file__).parent / "model.json"
SEED = 20261205
PARAMS = {"c1": 0.1, "c2": 0.01, "max_iterations": 250, "feature.possible_transitions": True,
          "feature.minfreq": 1}
WIKI_WEIGHT = 1  # how many times each wiki note counts (the academic references outnumbered them once)
CORE_WEIGHT = 2  # academic references count twice: plain sentences there are titles, in wiki notes often commentary
SYNTHETIC = 600  # generated notes (synth): the wordings of wiki citations with other names, titles and dates


def load(paths: list[Path], exclude: set[str] = frozenset()) -> list[Sequence]:
    """Read the training files in order; wiki notes count `WIKI_WEIGHT` times."""
    out: list[Sequence] = []
    for path in paths:
        seqs = read_file(path)
        if path.name.startswith("wiki-notes"):
            seqs = [s for s in seqs if " ".join(s.text.split()) not in exclude] * WIKI_WEIGHT
        else:
            seqs = seqs * CORE_WEIGHT
        out += seqs
    titles = sorted({" ".join(display(t) for t, y in zip(s.tokens, s.labels) if y == "title").strip(" .,:;\"“”")
                     for s in out if s.source == "anystyle-core.xml"})
    out += generate(titles, SYNTHETIC, SEED)
    random.Random(SEED).shuffle(out)
    return out


def ref_path(model: Path) -> Path:
    """Where the reference-list model goes beside a model file: ``model-ref.crfsuite``."""
    return model.with_name(model.stem + "-ref" + model.suffix)


def _fit(seqs: list[Sequence], model: Path) -> None:
    trainer = pycrfsuite.Trainer(verbose=False)
    for seq in seqs:
        trainer.append(features(seq.tokens), seq.labels)
    trainer.set_params(PARAMS)
    trainer.train(str(model))


def train(paths: list[Path], model: Path, exclude: set[str] = frozenset()) -> dict:
    """Train both models on the files into `model` and `ref_path(model)`; return the metadata to record."""
    seqs = load(paths, exclude)
    _fit(seqs, model)
    refs = [s for p in paths if p.name == REF_DATA for s in read_file(p)]
    random.Random(SEED).shuffle(refs)
    _fit(refs, ref_path(model))
    return {"features": FEATURES, "params": PARAMS, "seed": SEED, "wiki_weight": WIKI_WEIGHT, "core_weight": CORE_WEIGHT,
            "reference_model": {"data": REF_DATA, "sequences": len(refs)},
            "synthetic": {"generator": GENERATOR, "count": SYNTHETIC},
            "sequences": len(seqs), "data": digest_files(paths), "excluded_notes": len(exclude)}


def main(argv: list[str] | None = None) -> int:
    """Command line: train (or check) the shipped model."""
    ap = argparse.ArgumentParser(prog="python -m pipeline.cite.train", description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DATA_DIR, help="folder of training files")
    ap.add_argument("--out", type=Path, default=MODEL, help="model file to write")
    ap.add_argument("--check", action="store_true", help="retrain and compare with the shipped model")
    ap.add_argument("--exclude-notes", type=Path, help="leave out wiki notes whose text is in this file")
    args = ap.parse_args(argv)
    paths = data_files(args.data)
    if not paths:
        print(f"no training files in {args.data}", file=sys.stderr)
        return 2
    exclude = set()
    if args.exclude_notes:
        exclude = {" ".join(line.split()) for line in args.exclude_notes.read_text("utf-8").splitlines()}
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            meta = train(paths, Path(tmp) / "m.crfsuite", exclude)
            same = all((Path(tmp) / name).read_bytes() == (MODEL.parent / shipped).read_bytes()
                       for name, shipped in (("m.crfsuite", MODEL.name), ("m-ref.crfsuite", REF_MODEL.name)))
        recorded = json.loads(META.read_text("utf-8"))
        print("models: " + ("identical" if same else "DIFFERS") + "; data digests: "
              + ("match" if recorded.get("data") == meta["data"] else "DIFFER"))
        return 0 if same and recorded.get("data") == meta["data"] else 1
    meta = train(paths, args.out, exclude)
    if args.out == MODEL:
        META.write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"trained on {meta['sequences']} sequences from {', '.join(meta['data'])}: "
          f"{args.out} ({args.out.stat().st_size:,} bytes), {ref_path(args.out)} "
          f"({ref_path(args.out).stat().st_size:,} bytes, {meta['reference_model']['sequences']} references)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
