"""The citation parser: a trained sequence labeller for the free text of footnotes.

- `tokens`: a note's tokens and their features; `lexicon`: the dictionaries they use.
- `data`: the labelled training data (AnyStyle's XML form) in ``data/``.
- `train`: ``python -m pipeline.cite.train`` trains the shipped models bit for
  bit from the data (``model.crfsuite`` for wiki notes and reference lists,
  ``model-ref.crfsuite`` for reference lists alone, ``model.json``).
- `parse`: label, segment and normalise a note into typed CSL-JSON items.
- `merge`: which citations of a book name the same work.
"""
