"""Reading a MediaWiki XML export (Special:Export, a pages-articles dump), streaming and hardened.

The export is read page by page with `mwxml` (over ElementTree and expat),
so a dump of any size never sits in memory: a page's text is held only while
its page is handed on. ``.xml``, ``.xml.bz2`` and ``.xml.gz`` are read as
they are.

An export comes from the public as much as its pages do. XML can declare
entities that name a local file or a URL, or that expand a few bytes into
gigabytes; a MediaWiki export never declares any. So a document type
declaration is refused before expat sees it (a look at the prolog), and the
parser itself is defusedxml's, which refuses a DTD, any entity declaration
and any external reference should one get past that look. Nothing is read
from disk or fetched from the network on a file's say-so.

A dump that is truncated or not well-formed raises `DumpError`, whose
message names the file and the byte offset (of the uncompressed XML) where
reading stopped.
"""
from __future__ import annotations

import bz2
import gzip
import hashlib
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from xml.etree.ElementTree import ParseError

import mwxml
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from mwxml.element_iterator import ElementIterator, EventPointer
from mwxml.errors import MalformedXML

from .text import name_key

__all__ = ["DumpError", "SiteInfo", "DumpPage", "Dump", "is_dump", "DUMP_SUFFIXES", "CANONICAL_NAMESPACES"]

DUMP_SUFFIXES = (".xml", ".xml.bz2", ".xml.gz")
# MediaWiki refuses pages over 2 MB by default ($wgMaxArticleSize); escaped as XML, with its
# metadata, no real page comes near this. A longer one would sit in memory whole: it is refused.
MAX_PAGE_XML_BYTES = 64 * 1024 * 1024
_PROLOG_BYTES = 64 * 1024  # an XML declaration and comments fit; a DOCTYPE would start in here
_READ = 64 * 1024
# MediaWiki's canonical (English) namespace names: valid on every wiki whatever its language.
CANONICAL_NAMESPACES = {
    -2: "Media", -1: "Special", 1: "Talk", 2: "User", 3: "User talk", 4: "Project", 5: "Project talk",
    6: "File", 7: "File talk", 8: "MediaWiki", 9: "MediaWiki talk", 10: "Template", 11: "Template talk",
    12: "Help", 13: "Help talk", 14: "Category", 15: "Category talk",
}
_ALIASES = {"image": 6, "image talk": 7}  # old names MediaWiki still accepts


class DumpError(ValueError):
    """The export cannot be read; the message names the file, the byte offset and what is wrong."""


def is_dump(path: Path) -> bool:
    """True when the path names an export file (by its suffix)."""
    return path.name.lower().endswith(DUMP_SUFFIXES)


@dataclass(frozen=True)
class SiteInfo:
    """What the export's <siteinfo> says: the wiki's name, address, case rule and namespace names."""

    name: str = ""
    base: str = ""  # the address of the main page
    case: str = "first-letter"  # or "case-sensitive"
    namespaces: dict[int, str] = field(default_factory=dict)  # id -> localised name

    def namespace_of(self, prefix: str) -> int | None:
        """The id of the namespace a title prefix names (localised, canonical or alias), else None."""
        key = name_key(prefix)
        if not key:
            return None
        for number, name in self.namespaces.items():
            if name and name.casefold() == key:
                return number
        for number, name in CANONICAL_NAMESPACES.items():
            if name.casefold() == key:
                return number
        return _ALIASES.get(key)

    def split_title(self, title: str) -> tuple[int, str]:
        """A full title as (namespace id, title without its prefix); 0 for the main namespace."""
        prefix, colon, rest = title.partition(":")
        number = self.namespace_of(prefix) if colon else None
        return (number, rest.strip()) if number is not None else (0, title)


@dataclass(frozen=True)
class DumpPage:
    """The last revision of one page of the export."""

    title: str  # the full title, namespace prefix included, spaces not underscores
    namespace: int
    page_id: int | None
    revision_id: int | None
    sha1: str  # the revision's checksum as the dump gives it (computed when it gives none)
    text: str
    redirect: str | None = None  # the target title when the page is a redirect
    timestamp: str = ""  # of the revision, ISO 8601


class _Counting:
    """A binary stream that counts the (uncompressed) bytes read through it and checks the prolog."""

    def __init__(self, raw: BinaryIO, name: str) -> None:
        self.raw = raw
        self.name = name
        self.offset = 0
        self.head = b""
        self.page_start = 0  # offset of the last "<page" seen
        self.tail = b""  # the last bytes read, so a "<page" split between two reads is seen

    def read(self, size: int = -1) -> bytes:
        """Read from the underlying stream, turning a compression error into a DumpError."""
        try:
            data = self.raw.read(_READ if size is None or size < 0 else size)
        except (EOFError, OSError, zlib.error, ValueError) as err:
            raise DumpError(f"{self.name}: the compressed export is damaged or truncated after byte "
                            f"{self.offset} of its XML ({err})") from err
        if len(self.head) < _PROLOG_BYTES:
            self.head += data[:_PROLOG_BYTES - len(self.head)]
            _check_prolog(self.head, self.name)
        window = self.tail + data
        at = window.rfind(b"<page")
        if at != -1:
            self.page_start = self.offset - len(self.tail) + at
        self.offset += len(data)
        self.tail = data[-8:]
        if self.offset - self.page_start > MAX_PAGE_XML_BYTES:
            raise DumpError(f"{self.name}: refused: the page that starts at byte {self.page_start} runs past "
                            f"{MAX_PAGE_XML_BYTES:,} bytes of XML (at byte {self.offset}); no wiki page is that long")
        return data


def _check_prolog(head: bytes, name: str) -> None:
    """Refuse a document type declaration before the parser reads one."""
    text = head.decode("utf-8", "replace") if not head.startswith((b"\xff\xfe", b"\xfe\xff")) \
        else head.decode("utf-16", "replace")
    root = re.search(r"<[A-Za-z_]", text)  # the root element's start: no DOCTYPE can follow it
    prolog = text[:root.start()] if root else text
    if re.search(r"<!\s*(DOCTYPE|ENTITY)", prolog, re.I):
        at = re.search(r"<!\s*(DOCTYPE|ENTITY)", prolog, re.I).start()
        raise DumpError(f"{name}: refused: the export declares a document type (at byte {at}); a MediaWiki export "
                        "has none, and its entities could read local files, fetch URLs or expand without end")


def _open(path: Path) -> BinaryIO:
    lower = path.name.lower()
    if lower.endswith(".bz2"):
        return bz2.open(path, "rb")
    if lower.endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")


class Dump:
    """An open export: `site` from its <siteinfo>, then `pages()` one at a time.

    Use as a context manager; every reading error is a `DumpError`.
    """

    def __init__(self, path: Path, name: str | None = None) -> None:
        self.path = Path(path)
        self.name = name or self.path.name
        self._file: BinaryIO | None = None
        self._stream: _Counting | None = None
        self._parser: DefusedXMLParser | None = None
        self._dump: mwxml.Dump | None = None
        self.site = SiteInfo()

    def __enter__(self) -> Dump:
        try:
            self._file = _open(self.path)
        except OSError as err:
            raise DumpError(f"{self.name}: cannot be read ({err.strerror or err})") from err
        self._stream = _Counting(self._file, self.name)
        self._parser = DefusedXMLParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
        with self._errors():
            from xml.etree.ElementTree import iterparse

            pointer = EventPointer(iterparse(self._stream, events=("start", "end"), parser=self._parser))
            _, root = next(pointer)
            element = ElementIterator(root, pointer)
            if element.tag != "mediawiki":
                raise MalformedXML(f"the root element is <{element.tag}>, not <mediawiki>")
            self._dump = mwxml.Dump.from_element(element)
        info = self._dump.site_info
        names = {int(ns.id): ns.name or "" for ns in info.namespaces or []}
        self.site = SiteInfo(name=info.name or "", base=info.base or "", case=info.case or "first-letter",
                             namespaces=names)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()

    @property
    def offset(self) -> int:
        """Bytes of XML read so far."""
        return self._stream.offset if self._stream else 0

    def pages(self) -> Iterator[DumpPage]:
        """Yield each page's last revision, in the export's order."""
        assert self._dump is not None, "use Dump as a context manager"
        pages = iter(self._dump.pages)
        while True:
            with self._errors():
                page = next(pages, None)
                if page is None:
                    return
                last = None
                for revision in page:  # a full-history export lists them oldest first
                    last = revision
            if last is None:
                continue
            text = last.text or ""
            sha1 = last.sha1 or hashlib.sha1(text.encode("utf-8")).hexdigest()
            yield DumpPage(title=" ".join(page.title.split()), namespace=int(page.namespace or 0),
                           page_id=page.id, revision_id=last.id, sha1=sha1, text=text,
                           redirect=" ".join(page.redirect.split()) if page.redirect else None,
                           timestamp=str(last.timestamp or ""))

    def _errors(self) -> _Translate:
        return _Translate(self)

    def where(self) -> int:
        """The byte offset of the XML where the parser stopped (or read up to)."""
        expat = getattr(self._parser, "parser", None)
        for attribute in ("ErrorByteIndex", "CurrentByteIndex"):
            value = getattr(expat, attribute, -1) if expat is not None else -1
            if isinstance(value, int) and value > 0:
                return value
        return self.offset


class _Translate:
    """Turn whatever the parser raises into one DumpError naming the file and the offset."""

    def __init__(self, dump: Dump) -> None:
        self.dump = dump

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, err: BaseException | None, tb: object) -> bool:
        if err is None or isinstance(err, DumpError):
            return False
        name = self.dump.name
        if isinstance(err, DefusedXmlException):
            raise DumpError(f"{name}: refused at byte {self.dump.where()}: the export declares a document type or "
                            f"entities ({type(err).__name__}); a MediaWiki export has none") from err
        if isinstance(err, ParseError):
            message = str(err).split(":", 1)[0]
            if message.startswith(("no element found", "unclosed token")):
                raise DumpError(f"{name}: the export ends early (truncated at byte {self.dump.where()}): "
                                f"{message}") from err
            raise DumpError(f"{name}: not well-formed XML at byte {self.dump.where()}: {message}") from err
        if isinstance(err, (MalformedXML, AssertionError, ValueError, TypeError, AttributeError, StopIteration)):
            raise DumpError(f"{name}: not a MediaWiki export (near byte {self.dump.where()}): "
                            f"{err or type(err).__name__}") from err
        return False
