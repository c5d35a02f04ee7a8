"""Planning a book from a MediaWiki XML export instead of a folder of Markdown.

The export is read once per build, streaming: each page of the main
namespace becomes an article named by its title and keyed by its revision's
sha1 (with wikibind's code and the wiki's namespace names), so a re-export
in which ten pages changed converts those ten again. The wikitext of a page
whose key is new is stored in the cache (`wikitext/<key>.pickle`) as it
streams by; the tasks read it from there, never the export, so no task
holds or parses the whole dump. The listing is kept while the export's stat
(inode, size, modification and change times) stays the same, as git's index
keeps a file's digest: a no-op rebuild of a large dump does not parse it.
"""
from __future__ import annotations

import os
import pickle
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.dump import Dump, DumpError, SiteInfo
from pipeline.model import Problem
from pipeline.titles import normalize_title
from pipeline.wikitext import WikiPage

from . import store
from .memo import digest

__all__ = ["ExportListing", "list_export", "blob_path", "load_page", "ExportError", "listing_path"]

_SETTLED_NS = 1_000_000_000  # as tasks.hashes: an export changed within the last second is parsed again next time


class ExportError(Exception):
    """The export cannot be read (the message names the file and the byte offset)."""


@dataclass
class ExportListing:
    """What planning needs of an export: its pages' names and keys, and what else it said."""

    articles: list[tuple[str, str]] = field(default_factory=list)  # (name, key), sorted by name
    site: SiteInfo = field(default_factory=SiteInfo)
    newest: str = ""  # the newest revision's time stamp, ISO 8601
    problems: list[Problem] = field(default_factory=list)
    skipped: int = 0  # pages of other namespaces


def blob_path(cache: Path, key: str) -> Path:
    """Where a page's wikitext is kept in the cache, by its key."""
    return Path(cache) / "wikitext" / f"{key}.pickle"


def load_page(cache: Path, key: str) -> tuple[WikiPage, SiteInfo]:
    """The page and site information stored under `key` (raises OSError or store.CorruptEntry when gone)."""
    return store.load(blob_path(cache, key))


def listing_path(cache: Path) -> Path:
    """Where the last export's listing is kept."""
    return Path(cache) / "plan" / "export-listing.pickle"


def _signature(path: Path) -> tuple[int, ...]:
    info = os.stat(path)
    return info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns


def list_export(path: Path, cache: Path, code: str) -> ExportListing:
    """The export's main-namespace pages by key (see the module docstring)."""
    try:
        signature = _signature(path)
    except OSError as err:
        raise ExportError(f"{path.name}: cannot be read ({err.strerror or err})") from err
    identity = (str(path), signature, code)
    try:
        kept, listing = store.load(listing_path(cache))
        if kept == identity and all(blob_path(cache, key).exists() for _, key in listing.articles):
            return listing
    except (OSError, store.CorruptEntry, pickle.UnpicklingError, EOFError, ValueError, TypeError):
        pass
    listing = _stream(path, cache, code)
    try:
        settled = _signature(path) == signature and time.time_ns() - signature[3] > _SETTLED_NS
    except OSError:
        settled = False
    if settled:
        store.save(listing_path(cache), (identity, listing))
    return listing


def _stream(path: Path, cache: Path, code: str) -> ExportListing:
    """Stream the export: list its main-namespace pages by key, storing the wikitext of new keys."""
    listing = ExportListing()
    seen: dict[str, str] = {}
    compared: set[str] = set()
    try:
        with Dump(path) as dump:
            site = listing.site = dump.site
            site_key = digest(site.case, *(f"{n}:{name}" for n, name in sorted(site.namespaces.items())))
            for page in dump.pages():
                if page.namespace != 0:
                    listing.skipped += 1
                    continue
                # The wiki's case rule: a first letter is a capital unless the wiki is case-sensitive ("iPod").
                name = unicodedata.normalize("NFC", " ".join(page.title.replace("_", " ").split()))
                name = normalize_title(name) if site.case == "first-letter" else name
                if not name:
                    continue
                if normalize_title(name) in compared:
                    listing.problems.append(Problem(name, "warning", "the export holds this page twice "
                                                                     "(by title); the first is used"))
                    continue
                key = digest(code, "wikitext", name, page.sha1, site_key)
                seen[name] = key
                compared.add(normalize_title(name))
                blob = blob_path(cache, key)
                if not store.is_valid(blob):
                    store.save(blob, (WikiPage(name, name, page.text, page.redirect), site))
                listing.newest = max(listing.newest, page.timestamp)
    except DumpError as err:
        raise ExportError(str(err)) from err
    listing.articles = sorted(seen.items())
    return listing
