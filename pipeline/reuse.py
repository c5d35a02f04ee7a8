"""What one build keeps for the next: results keyed by a digest of everything they are made from.

A cache, nothing more: a stage's output is the same with or without it. The
task that runs a stage loads the previous build's `kept` and stores this one's.
"""
from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable, Iterator

from .model import Chapter, digest_of

__all__ = ["Reuse"]


class Reuse:
    """Results kept from the previous build, so an edit remakes what it touched (a chapter) and no more.

    Each entry is keyed by a digest of whatever its making reads (a chapter's
    digest, the settings); `kept` holds what this build used, for the next one.
    A result that is brought up to date rather than made again (an index) is
    handed down by name instead: `take` it, patch it, `leave` it.
    """

    def __init__(self, previous: dict[str, object] | None = None) -> None:
        self.previous = previous or {}
        self.kept: dict[str, object] = {}
        self.left: set[str] = set()  # the names in `kept` (the rest are digests of what made them)

    def get(self, chapter: Chapter, context: tuple, make: Callable[[], object]) -> object:
        """Return the rendering of `chapter` in `context`, made only when no build made it before."""
        return self.keep((chapter.digest or chapter, *context), make)  # the digest assembly gave it, if any

    def each(self, keys: list[tuple], make: Callable[[list[int]], Iterable[object]]) -> Iterator[object]:
        """Return what each key gives, in order; `make(indices)` makes those no build made before, together.

        `make` is called at once and its results taken as they come, so a process
        pool's map starts every job while the caller uses the first results.
        """
        digests = [digest_of(key) for key in keys]
        found = [self.kept.get(d, self.previous.get(d)) for d in digests]
        made = iter(make([i for i, value in enumerate(found) if value is None]))

        def results() -> Iterator[object]:
            for d, value in zip(digests, found):
                self.kept[d] = next(made) if value is None else value
                yield self.kept[d]
        return results()

    def keep(self, key: tuple, make: Callable[[], object]) -> object:
        """Return what `make` gives for `key` (everything it reads), made only when no build made it before."""
        digest = digest_of(key)
        value = self.kept.get(digest, self.previous.get(digest))
        if value is None:
            value = make()
        self.kept[digest] = value
        return value

    def fresh(self, key: tuple, make: Callable[[], object]) -> object:
        """As `keep`, for a value the caller goes on to change: kept as pickled bytes, each use gets its own copy."""
        made: list[object] = []

        def snapshot() -> bytes:
            made.append(make())
            return pickle.dumps(made[0], protocol=pickle.HIGHEST_PROTOCOL)

        data = self.keep(key, snapshot)
        return made[0] if made else pickle.loads(data)

    def take(self, name: str) -> object | None:
        """Take what the last build left under `name` (None if nothing): once, as the taker may change it."""
        return self.previous.pop(name, None)

    def leave(self, name: str, value: object) -> None:
        """Leave `value` under `name` for the next build to take."""
        self.kept[name] = value
        self.left.add(name)
