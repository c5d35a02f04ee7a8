"""The one cache of the build: pure pipeline functions' results, stored by what they were made from.

`Memo(cache, code)(function, *args)` returns `function(*args)`, from the store
when an earlier build (or task) made it: the entry's name is a digest of the
function's name, of `code` (wikibind's code, and the templates for whoever
renders) and of the arguments themselves, pickled. No key is written by hand,
so none can forget an input; a pipeline function sees nothing but its
arguments, so what it reads is in its key. Entries are files of the
content-addressed store (`store`) under `OUT/.cache/memo/`: verified when
read, written atomically, pruned with the rest.

A task records the entries it used in its output's header (`used`), so
pruning keeps what the next build (an edit, a no-op) will read.
"""
from __future__ import annotations

import hashlib
import io
import pickle
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pipeline.model import Call

from . import store

__all__ = ["Memo", "digest", "digest_of", "entries"]

T = TypeVar("T")
_FOLDER = "memo"


def digest(*parts: bytes | str) -> str:
    """A short content digest of bytes and strings, in order (the name of a file's content, of a task's inputs)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8") if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()[:20]


def digest_of(value: object) -> str:
    """A short content digest of any picklable tree of values (equal values, equal digests, within one wikibind)."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    # Without its memo, pickle writes a value the same whether or not it shares objects
    # with another part of the tree (a book loaded from the cache shares its strings).
    pickler.fast = True
    try:
        pickler.dump(value)
    except ValueError:  # nested deeper than fast mode follows: a digest that sharing may change (a cache miss)
        buffer = io.BytesIO(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    return hashlib.blake2b(buffer.getbuffer(), digest_size=16).hexdigest()


def entries(cache: Path, names: Iterable[str]) -> set[Path]:
    """The files of the memo entries named `names` (as a task's `used` lists them)."""
    folder = Path(cache) / _FOLDER
    return {folder / f"{name}.pickle" for name in names}


class Memo:
    """Results of pure functions, looked up by a digest of the function, the code and the arguments."""

    def __init__(self, cache: Path | str, code: str) -> None:
        self.folder = Path(cache) / _FOLDER
        self.code = code
        self.used: list[str] = []  # entry names, in the order used: for the task's header
        self.fresh: list[bool] = []  # for each of them, whether it was computed (rather than found)

    def __call__(self, function: Callable[..., T], *args: Any) -> T:
        """Return `function(*args)`, computed only when no build computed it before."""
        return next(self.each(function, [args]))

    def each(self, function: Callable[..., T], items: Sequence[tuple], *shared: Any,
             mapper: Callable[..., Iterator] = map) -> Iterator[T]:
        """Give `function(*item, *shared)` for each item, in order; what is missing is computed through `mapper`.

        `shared` is digested once for all items (a book-wide table). `mapper` (a
        process pool's map) receives every missing call at once, now; results
        are given (and stored) as they come, so the caller works meanwhile.
        """
        head = (self.code, function.__module__, function.__qualname__, digest_of(shared))
        names = [digest_of((head, item)) for item in items]
        # Entries found are read one at a time as they are given: a book's worth of laid-out pages
        # need not be in memory at once. One found damaged is made here, when its turn comes.
        present = [(self.folder / f"{name}.pickle").exists() for name in names]
        todo = [i for i, there in enumerate(present) if not there]
        made = iter(mapper(Call(function, shared), [items[i] for i in todo]))
        self.used += names
        first = len(self.fresh)
        self.fresh += [not there for there in present]

        def results() -> Iterator[T]:
            for i, name in enumerate(names):
                value = self._load(name) if present[i] else next(made)
                remade = not present[i]
                if value is _MISSING:  # found damaged (or removed meanwhile): made here
                    value, remade = function(*items[i], *shared), True
                    self.fresh[first + i] = True
                if remade:
                    store.save(self.folder / f"{name}.pickle", value)
                yield value  # type: ignore[misc]
        return results()

    def through(self, mapper: Callable[..., Iterator]) -> Callable[..., Iterator]:
        """This memo's `each`, computing what is missing through `mapper`."""
        return lambda function, items, *shared: self.each(function, items, *shared, mapper=mapper)

    def many(self, function: Callable[[list], list[T]], items: Sequence[object], *shared: Any) -> list[T]:
        """As `each`, for a function that takes the list of missing items and returns their results in order.

        (Converting articles runs pandoc once for all of them.)
        """
        head = (self.code, function.__module__, function.__qualname__, digest_of(shared))
        names = [digest_of((head, item)) for item in items]
        found: list[object] = [self._load(name) for name in names]
        todo = [i for i, value in enumerate(found) if value is _MISSING]
        if todo:
            made = function([items[i] for i in todo], *shared)
            if len(made) != len(todo):
                raise ValueError(f"{function.__qualname__} returned {len(made)} results for {len(todo)} items")
            for i, value in zip(todo, made):
                found[i] = value
                store.save(self.folder / f"{names[i]}.pickle", value)
        self.used += names
        self.fresh += [i in set(todo) for i in range(len(items))] if todo else [False] * len(items)
        return found  # type: ignore[return-value]

    def _load(self, name: str) -> object:
        try:
            return store.load(self.folder / f"{name}.pickle")
        except (OSError, store.CorruptEntry, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return _MISSING  # absent, damaged, or of classes this wikibind no longer has: made again


class _Missing:
    """What a lookup gives when there is no usable entry (None is a result like any other)."""


_MISSING = _Missing()
