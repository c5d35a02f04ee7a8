"""Reuse: what one build keeps for the next, keyed by the content it was made from."""
from __future__ import annotations

import copy

from pipeline.model import Note, digest_of
from pipeline.reuse import Reuse


def test_equal_values_have_equal_digests_whatever_objects_they_share() -> None:
    title = "".join(["Anar", "chism"])
    shared = ([title, title], {"t": title})
    apart = (["Anarchism", "".join(["Anarc", "hism"])], {"t": "".join(["An", "archism"])})
    assert shared == apart and digest_of(shared) == digest_of(apart)
    assert digest_of(shared) != digest_of((["Anarchism", "Anarchist"], {"t": title}))


def test_keep_makes_once_and_hands_the_next_build_what_was_used() -> None:
    made: list[str] = []
    first = Reuse()
    assert first.keep(("a", 1), lambda: made.append("a") or "A") == "A"
    assert first.keep(("a", 1), lambda: made.append("again") or "X") == "A"
    second = Reuse(first.kept)
    assert second.keep(("a", 1), lambda: made.append("again") or "X") == "A"
    assert second.keep(("a", 2), lambda: made.append("b") or "B") == "B"
    assert made == ["a", "b"] and len(second.kept) == 2


def test_fresh_gives_each_use_its_own_copy_of_what_was_made() -> None:
    first = Reuse()
    note = first.fresh(("note",), lambda: Note("1", "ch-a--fn-1", "<p>x</p>", "x"))
    note.sources.append("bibliography--1")  # what the caller does with it stays out of what is kept
    again = Reuse(copy.deepcopy(first.kept)).fresh(("note",), lambda: None)
    assert again == Note("1", "ch-a--fn-1", "<p>x</p>", "x") and again is not note


def test_each_makes_what_is_missing_in_one_call() -> None:
    calls: list[list[int]] = []

    def make(indices: list[int]) -> list[str]:
        calls.append(indices)
        return [f"made {i}" for i in indices]

    first = Reuse()
    assert list(first.each([("x",), ("y",)], make)) == ["made 0", "made 1"]
    assert list(Reuse(first.kept).each([("x",), ("z",), ("y",)], make)) == ["made 0", "made 1", "made 1"]
    assert calls == [[0, 1], [1]]
