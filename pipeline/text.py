"""Text primitives the stages share: folding text for comparison, and markup to plain text.

Folding comes in named variants, because their callers need different things and
each result is stored or shown somewhere that must not move: sort orders (and so
the bibliography's entry numbers, which are anchors), slugs and file names, the
search index that the reader's browser compares with its own folding, and the
citation model's features (the shipped model was trained on them).

- `fold`: accents and case off, for sorting and comparing titles and index terms.
- `fold_search`: what `templates/html/book.js` does to a query (NFKD, every mark
  `\\p{M}` dropped, `toLowerCase`); the index must fold as the reader's query does.
- `fold_ascii`: only ASCII left, lower case: ids and slugs.
- `fold_token`: case folded *before* decomposing (`ᾳ` gives `αι`, where `fold`
  gives `α`): the citation model's word feature, trained so.
- `fold_words`: `fold_token` plus letters that do not decompose spelt out (ł, ø,
  æ …) and punctuation off: whether two citations name the same thing.
- `name_key`: a wiki name (namespace, template, parameter): `_` and space alike.
"""
from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

__all__ = ["fold", "fold_search", "fold_ascii", "fold_token", "fold_words", "name_key", "title_key",
           "ENGLISH_ARTICLES", "ARTICLES", "TAG", "MD_ESCAPE", "plain", "plain_md"]

# Leading articles a title is sorted or matched without. The bibliography sorts past English
# ones only (its order numbers the entries); matching duplicates ignores those of every
# language the citation parser reads.
ENGLISH_ARTICLES = ("the", "a", "an")
ARTICLES = (*ENGLISH_ARTICLES, "der", "die", "das", "le", "la", "les", "el", "los", "las")

TAG = re.compile(r"<[^<>]*>")  # a tag; `[^<>]` keeps a stray "<" in text from swallowing a tag after it
# A character Markdown lets one escape with a backslash.
MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>\"'])")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)\s]*\)")
_NOT_WORD = re.compile(r"[\W_]+")
_SPELT_OUT = str.maketrans({"ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "þ": "th", "ı": "i", "ð": "d",
                            "ß": "ss", "&": " and "})


def _unmarked(text: str) -> str:
    """Compatibility-decomposed, combining marks dropped."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Fold for sorting and comparing: no accents (NFKD, combining marks off), no case."""
    return (text if text.isascii() else _unmarked(text)).casefold()  # ASCII has nothing to decompose


def fold_search(text: str) -> str:
    """Fold as the HTML book's search does in the browser: NFKD, all marks off, lower case."""
    if not text.isascii():  # translate() is slow even with nothing to do
        text = unicodedata.normalize("NFKD", text)
        marks = {ord(c): None for c in set(text) if unicodedata.category(c)[0] == "M"}
        text = text.translate(marks) if marks else text
    return text.lower()


def fold_ascii(text: str) -> str:
    """Fold to lower-case ASCII: decomposed, whatever is not ASCII dropped."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def fold_token(word: str) -> str:
    """Fold a word as the citation model's features do: case folded first, then combining marks off."""
    return _unmarked(word.casefold())


@lru_cache(maxsize=65536)
def fold_words(text: str) -> str:
    """Fold for matching citations: no markup, punctuation, case or diacritics; single spaces."""
    return " ".join(_NOT_WORD.sub(" ", _unmarked(str(text or "").casefold().translate(_SPELT_OUT))).split())


def title_key(text: str, articles: tuple[str, ...] = ENGLISH_ARTICLES) -> str:
    """`fold_words` of a title, without a leading article."""
    words = fold_words(text).split(" ", 1)
    return words[1] if len(words) == 2 and words[0] in articles else " ".join(words)


def name_key(name: str) -> str:
    """A wiki name as MediaWiki compares it: `_` and space alike, runs of space one, no case."""
    return " ".join(name.replace("_", " ").split()).casefold()


def plain(markup: object) -> str:
    """Markup as plain text: tags off, entities decoded, white space collapsed."""
    return " ".join(html.unescape(TAG.sub("", str(markup or ""))).split())


def plain_md(text: str) -> str:
    """Markdown as plain text: links as their text, escapes undone, white space collapsed."""
    return " ".join(MD_ESCAPE.sub(r"\1", _MD_LINK.sub(r"\1", str(text))).split())
