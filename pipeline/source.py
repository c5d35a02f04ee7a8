"""Reading the source folder: the only place the pipeline touches input files.

Nothing outside the folder is read: symlinks that lead out of it are refused,
and only regular files directly inside it (Markdown) or below it (images)
count.
"""
from __future__ import annotations

import errno
import os
import stat
from functools import lru_cache
from pathlib import Path

from .media import IMAGE_FORMATS, IMAGE_SUFFIXES, sniff
from .model import Problem, SourceFile

__all__ = ["list_sources", "read_sources", "read_images", "image_paths", "read_inside",
           "MAX_ARTICLE_BYTES"]

MAX_ARTICLE_BYTES = 8 * 1024 * 1024  # larger pages are refused, not converted
_READABLE = [f.name for f in IMAGE_FORMATS if f.magic is not None]
_FORMAT_NAMES = ", ".join(_READABLE[:-1]) + " or " + _READABLE[-1]  # "PNG, JPEG, GIF or WebP"


def _inside(root: Path, path: Path) -> bool:
    try:
        if path.parent == root and stat.S_ISREG(path.lstat().st_mode):
            return True  # a regular file right in the folder, not a link: nothing to resolve
        return path.resolve().is_relative_to(root) and path.is_file()
    except OSError:
        return False


def list_sources(source_dir: Path) -> list[str]:
    """Return the names of the Markdown files directly in the folder, sorted.

    Links that lead outside are listed too, so that reading them is refused
    with a problem that names them rather than passed over in silence.
    """
    with os.scandir(source_dir) as entries:  # the kind of each entry comes with it: no stat per file
        return sorted(e.name for e in entries if Path(e.name).suffix.lower() == ".md" and not e.is_dir())


def read_inside(source_dir: Path, name: str) -> bytes | None:
    """Return a file's bytes if it really lies inside the folder, else None."""
    root = _resolved(source_dir)
    path = root / name
    if path.parent == root:
        # Right in the folder, opened without following a link: a regular file is inside.
        # (Non-blocking, so a FIFO does not hang the build; it is no regular file.)
        try:
            with open(os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK), "rb") as handle:
                return handle.read() if stat.S_ISREG(os.fstat(handle.fileno()).st_mode) else None
        except OSError as err:
            if err.errno != errno.ELOOP:
                return None
            # a link: inside only if it leads inside, as below
    if not _inside(root, path):
        return None
    try:
        return path.read_bytes()
    except OSError:
        return None


@lru_cache(maxsize=8)
def _resolved(folder: Path) -> Path:
    return folder.resolve()  # once per folder: a plan reads a thousand files from it


def image_paths(source_dir: Path) -> list[Path]:
    """Return every image file that really lies inside the folder, sorted."""
    root = source_dir.resolve()
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and _inside(root, p))


def read_sources(source_dir: Path, names: list[str]) -> tuple[list[SourceFile], list[Problem]]:
    """Read the named files; oversize or unreadable files become problems."""
    root = source_dir.resolve()
    files, problems = [], []
    for name in names:
        path = root / name
        try:
            if not _inside(root, path):
                raise PermissionError("it leads outside the source folder")
            size = path.stat().st_size
            if size > MAX_ARTICLE_BYTES:
                problems.append(Problem(name, "error", f"too large to be an article ({size / 1e6:.1f} MB; "
                                                       f"the limit is {MAX_ARTICLE_BYTES / 1e6:.0f} MB): skipped"))
                continue
            files.append(SourceFile(name, path.read_bytes()))
        except OSError as err:
            problems.append(Problem(name, "error", f"cannot be read ({err.strerror or err}): skipped"))
    return files, problems


def read_images(source_dir: Path) -> tuple[dict[str, bytes], list[Problem]]:
    """Return every image file below the folder by its relative name."""
    root = source_dir.resolve()
    images: dict[str, bytes] = {}
    problems = []
    for path in image_paths(root):
        name = path.relative_to(root).as_posix()
        try:
            data = path.read_bytes()
        except OSError as err:
            problems.append(Problem(name, "warning", f"image cannot be read ({err.strerror or err})"))
            continue
        if sniff(data) is None:
            problems.append(Problem(name, "warning", f"not an image (its content is no {_FORMAT_NAMES})"))
            continue
        images[name] = data
    return images, problems
