"""The citation parser: a trained sequence labeller for the free text of footnotes.

- `tokens`: a note's tokens and their features; `lexicon`: the dictionaries they use.
- `data`: the labelled training data (AnyStyle's XML form) in ``data/``.
- `train`: ``python -m pipeline.cite.train`` trains the shipped model
  (``model.crfsuite``, ``model.json``) bit for bit from the data.
- `parse`: label, segment and normalise a note into typed CSL-JSON items.
- `merge`: which citations of a book name the same work.
"""
