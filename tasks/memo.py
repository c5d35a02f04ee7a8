"""The one cache of the build: pure pipeline functions' results, stored by what they were made from.

`Memo(cache, code)(function, *args)` returns `function(*args)`, from the store
when an earlier build (or task) made it: a result's name is a digest of the
function's name, of `code` (wikibind's code, and the templates for whoever
renders) and of the arguments themselves, pickled. No key is written by hand,
so none can forget an input; a pipeline function sees nothing but its
arguments, so what it reads is in its key.

Results are kept in packs, files of the content-addressed store (`store`):
the results one call of `each` made, together, under
`OUT/.cache/memo/<function and code>/`. A file per result would be thousands
of small files per build, and creating them costs more than the work on this
kind of disk; a pack is verified when read, written atomically, pruned with
the rest. A task records the packs it used in its output's header (`used`),
so pruning keeps what the next build (an edit, a no-op) will read.
"""
from __future__ import annotations

import hashlib
import io
import pickle
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pipeline.model import Call

from . import store

__all__ = ["Memo", "digest", "digest_of"]

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


class Memo:
    """Results of pure functions, looked up by a digest of the function, the code and the arguments."""

    def __init__(self, cache: Path | str, code: str) -> None:
        self.folder = Path(cache) / _FOLDER
        self.code = code
        self.used: set[str] = set()  # the packs read or written (paths): for the task's header
        self.fresh: list[bool] = []  # for each result given, whether it was computed (rather than found)
        self._packs: dict[Path, dict[str, Path]] = {}  # a function's folder -> {result name: its pack}

    def __call__(self, function: Callable[..., T], *args: Any) -> T:
        """Return `function(*args)`, computed only when no build computed it before."""
        return next(self.each(function, [args]))

    def each(self, function: Callable[..., T], items: Sequence[tuple], *shared: Any,
             mapper: Callable[..., Iterator] = map) -> Iterator[T]:
        """Give `function(*item, *shared)` for each item, in order; what is missing is computed through `mapper`.

        `shared` is digested once for all items (a book-wide table). `mapper` (a
        process pool's map) receives every missing call at once, now; results
        are given as they come, so the caller works meanwhile, and stored
        together once the last is given.
        """
        folder, names = self._names(function, items, shared)
        found = self._found(folder, names)
        todo = [i for i, name in enumerate(names) if name not in found]
        made = iter(mapper(Call(function, shared), [items[i] for i in todo]))
        first = len(self.fresh)
        self.fresh += [name not in found for name in names]

        def results() -> Iterator[T]:
            new: dict[str, object] = {}
            for i, name in enumerate(names):
                value = found[name] if name in found else next(made)
                if value is _MISSING:  # its pack was damaged: made here
                    value = function(*items[i], *shared)
                    self.fresh[first + i] = True
                if name not in found or found[name] is _MISSING:
                    new[name] = value
                if i == len(names) - 1:  # stored before the last is given: a caller need not ask for more
                    self._keep(folder, new)
                yield value  # type: ignore[misc]
        return results()

    def through(self, mapper: Callable[..., Iterator]) -> Callable[..., Iterator]:
        """This memo's `each`, computing what is missing through `mapper`."""
        return lambda function, items, *shared: self.each(function, items, *shared, mapper=mapper)

    def many(self, function: Callable[[list], list[T]], items: Sequence[object], *shared: Any) -> list[T]:
        """As `each`, for a function that takes the list of missing items and returns their results in order.

        (Converting articles runs pandoc once for all of them.)
        """
        folder, names = self._names(function, [(item,) for item in items], shared)
        found = self._found(folder, names)
        todo = [i for i, name in enumerate(names) if name not in found or found[name] is _MISSING]
        made = function([items[i] for i in todo], *shared) if todo else []
        if len(made) != len(todo):
            raise ValueError(f"{function.__qualname__} returned {len(made)} results for {len(todo)} items")
        new = {names[i]: value for i, value in zip(todo, made)}
        self._keep(folder, new)
        self.fresh += [name in new for name in names]
        return [new[name] if name in new else found[name] for name in names]  # type: ignore[misc]

    def _names(self, function: Callable[..., object], items: Sequence[tuple], shared: tuple) -> tuple[Path, list[str]]:
        """The folder of the function's packs (for this code) and each item's result name."""
        kind = digest_of((self.code, function.__module__, function.__qualname__))
        head = (kind, digest_of(shared))
        return self.folder / kind, [digest_of((head, item)) for item in items]

    def _found(self, folder: Path, names: list[str]) -> dict[str, object]:
        """The results among `names` that packs in `folder` hold (_MISSING where a pack is damaged)."""
        if folder not in self._packs:  # which pack holds which result: read from the packs' headers
            where: dict[str, Path] = {}
            for pack in sorted(folder.glob("*.pickle")):
                try:
                    where.update(dict.fromkeys(store.header(pack).get("names", ()), pack))
                except (OSError, store.CorruptEntry, pickle.UnpicklingError, EOFError):
                    continue
            self._packs[folder] = where
        where = self._packs[folder]
        wanted = {where[name] for name in names if name in where}
        found: dict[str, object] = {}
        for pack in sorted(wanted):
            values = self._load(pack)
            self.used.add(str(pack))
            for name in names:
                if where.get(name) == pack:
                    found[name] = values.get(name, _MISSING) if isinstance(values, dict) else _MISSING
        return found

    def _keep(self, folder: Path, new: dict[str, object]) -> None:
        """Store the results made, in one pack named by what it holds."""
        if not new:
            return
        pack = folder / f"{digest(*sorted(new))}.pickle"
        store.save(pack, new, names=list(new))
        self.used.add(str(pack))
        self._packs.setdefault(folder, {}).update(dict.fromkeys(new, pack))

    @staticmethod
    def _load(pack: Path) -> object:
        try:
            return store.load(pack)
        except (OSError, store.CorruptEntry, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return _MISSING  # damaged, or of classes this wikibind no longer has: made again


class _Missing:
    """What a lookup gives when there is no usable entry (None is a result like any other)."""


_MISSING = _Missing()
