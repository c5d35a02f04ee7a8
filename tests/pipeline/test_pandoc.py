"""The pandoc runner: one process for a batch, one per segment when the batch cannot be split."""
from __future__ import annotations

import pytest

from pipeline.pandoc import PandocError, run_batch, run_pandoc, run_segments

HTML = ["-f", "gfm", "-t", "html5"]


def test_a_batch_splits_into_what_each_segment_gives_alone() -> None:
    segments = ["# One", "*two*", "three", "- four"]
    assert run_batch(HTML, segments) == [run_pandoc(HTML, s) for s in segments]
    assert run_segments(HTML, segments) == [run_pandoc(HTML, s) for s in segments]


def test_markdown_output_splits_at_lines() -> None:
    segments = ["''one''", "* two"]
    args = ["-f", "mediawiki", "-t", "gfm"]
    assert [s.strip("\n") for s in run_batch(args, segments, "markdown")] == ["*one*", "- two"]


def test_a_segment_that_swallows_the_token_falls_back_to_one_run_each() -> None:
    segments = ["<pre>\nunclosed", "after"]  # raw HTML runs on: the token is no paragraph of its own
    assert run_batch(HTML, segments) is None
    assert run_segments(HTML, segments) == [run_pandoc(HTML, s) for s in segments]


def test_a_failing_run_is_an_error_not_an_exception_per_segment() -> None:
    with pytest.raises(PandocError):
        run_pandoc(["-f", "no-such-reader"], "text")
    outputs = run_segments(["-f", "no-such-reader"], ["a", "b"])
    assert all(isinstance(out, PandocError) for out in outputs) and len(outputs) == 2
