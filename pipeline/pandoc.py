"""Running pandoc: sandboxed and bounded, and many segments per process.

Starting pandoc costs tens of milliseconds, so a batch of segments goes
through one process, separated by split tokens made of letters and digits
only: such a token survives every Markdown and MediaWiki context verbatim,
even one an unclosed code fence swallowed. If a token goes missing (or the
run fails), the batch falls back to one process per segment, so one odd
segment can never garble its neighbours.
"""
from __future__ import annotations

import re
import secrets
import subprocess

import pypandoc

__all__ = ["PANDOC_LIMITS", "PandocError", "run_pandoc", "run_batch", "run_segments"]

# Pandoc's own guards: no file or network access, bounded memory and time.
PANDOC_LIMITS = {"memory": "1500m", "seconds_per_mb": 60.0, "min_seconds": 30.0}

# How a split token comes back, by output format: an HTML paragraph, or a Markdown line of its own.
# Only a token that stands as its own paragraph counts: one inside a code block or raw HTML means
# the segment before it did not end where it should.
_SPLIT = {"html": r"<p>{token}(\d+)</p>\n?", "markdown": r"(?m)^{token}(\d+)\n?"}


class PandocError(RuntimeError):
    """pandoc failed, timed out or ran out of its memory allowance."""


def run_pandoc(args: list[str], text: str, size: int | None = None) -> str:
    """Run pandoc over `text`, sandboxed and bounded in memory and time; return its output."""
    size_mb = (len(text.encode("utf-8")) if size is None else size) / 1e6
    timeout = max(PANDOC_LIMITS["min_seconds"], PANDOC_LIMITS["seconds_per_mb"] * size_mb)
    # Heap settings measured on this export: pandoc's built-in 64 MB start costs a small page
    # a third of its run in page faults, and a 128 MB old generation halves the major collections.
    command = [pypandoc.get_pandoc_path(), "--sandbox", "--wrap=none", *args,
               "+RTS", f"-M{PANDOC_LIMITS['memory']}", "-H1m", "-O128m", "-RTS"]
    try:
        done = subprocess.run(command, input=text.encode("utf-8"), capture_output=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired as err:
        raise PandocError(f"timed out after {timeout:.0f} s") from err
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise PandocError(message[-1] if message else f"exit status {done.returncode}")
    return done.stdout.decode("utf-8")


def run_batch(args: list[str], segments: list[str], split: str = "html") -> list[str] | None:
    """Run pandoc once over all segments; None when the split tokens do not come back in place.

    `split` is the output's kind ("html" or "markdown"). Raises PandocError when the run fails.
    """
    token = f"WBSPLIT{secrets.token_hex(6)}N"
    out = run_pandoc(args, "".join(f"{segment}\n\n{token}{i}\n\n" for i, segment in enumerate(segments)))
    parts = re.split(_SPLIT[split].format(token=token), out)
    if parts[1::2] != [str(i) for i in range(len(segments))]:
        return None
    return parts[0::2][:len(segments)]


def run_segments(args: list[str], segments: list[str], split: str = "html") -> list[str | PandocError]:
    """Each segment through pandoc: one run for all, else one run each; a segment that fails alone gives its error."""
    if not segments:
        return []
    try:
        outputs = run_batch(args, segments, split)
    except PandocError:
        outputs = None
    if outputs is not None:
        return list(outputs)
    return [_run_one(args, segment) for segment in segments]


def _run_one(args: list[str], segment: str) -> str | PandocError:
    try:
        return run_pandoc(args, segment)
    except PandocError as err:
        return err
