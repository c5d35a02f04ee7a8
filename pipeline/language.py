"""Which language a page is written in, so each chapter is hyphenated and read aloud in its own.

py3langid (a naive Bayes model over byte n-grams that ships with the package)
decides. Loading its model costs over half a second per process, more than
detecting a whole book, so a page whose commonest words are plainly those of
one well-known language is settled by counting them, and the model is loaded
only for the rest. Category links in another language's namespace
("Kategorie:") are a strong hint: among the languages that use that name, the
model's favourite wins.
"""
from __future__ import annotations

import re
from collections import Counter
from functools import cache

__all__ = ["detect_language", "namespace_hints", "primary", "chapter_language", "MIN_LETTERS"]

MIN_LETTERS = 200  # shorter text says too little: the page keeps the book's language
_SAMPLE = 6000  # characters looked at: enough for a sure answer, cheap for a long page
_SURE = 0.95  # the model's probability below which a page keeps the book's language
_WORD = re.compile(r"[^\W\d_]+")

# The commonest function words of a few languages with no close neighbour to mistake them for
# (Swedish, say, shares most of its small words with Norwegian), each word its language's alone
# among these (German "in" and English "in" would count for both): the quick path of detect_language.
_FUNCTION_WORDS = {
    "en": "the of and to is was for that with as by from his are were which this has had but their its also",
    "de": "der die und den von zu das mit sich auf für ist im dem nicht ein eine als auch bei wurde aus "
          "nach wird einer durch sind zum zur wie",
    "fr": "le les et des du une est dans pour qui au sur par pas plus ce sont avec été",
}
_WORD_LANGUAGE = {word: lang for lang, words in _FUNCTION_WORDS.items() for word in words.split()}

# Category namespace names of MediaWiki in other languages -> the languages that use them.
_NAMESPACES = {
    "kategorie": ("de", "cs"), "catégorie": ("fr",), "categoría": ("es",), "categoria": ("it", "pt", "ca"),
    "categorie": ("nl",), "kategoria": ("pl",), "kategori": ("sv", "da", "nb", "nn", "no", "id", "tr"),
    "luokka": ("fi",), "категория": ("ru", "bg"), "категорія": ("uk",), "kategória": ("hu", "sk"),
    "κατηγορία": ("el",), "カテゴリ": ("ja",), "分类": ("zh",), "분류": ("ko",),
}


def primary(tag: str) -> str:
    """The primary language subtag of a BCP 47 tag, lower case ("de" of "de-CH")."""
    return tag.split("-", 1)[0].split("_", 1)[0].lower()


def chapter_language(title: str, detected: str, book_language: str, overrides: dict[str, str]) -> str:
    """The `lang` a chapter is marked with: book.toml's for its title, else the detected one; "" for the book's."""
    from .titles import normalize_title

    lang = overrides.get(normalize_title(title), detected)
    return lang if lang and primary(lang) != primary(book_language) else ""


def namespace_hints(targets: list[str]) -> set[str]:
    """The languages whose category namespace some wikilink target names ("Kategorie:Planet")."""
    hints: set[str] = set()
    for target in targets:
        namespace, colon, _ = target.partition(":")
        if colon:
            hints.update(_NAMESPACES.get(namespace.strip().lower(), ()))
    return hints


def detect_language(text: str, hints: set[str] = frozenset()) -> str:
    """Return the ISO 639-1 code of the language `text` is written in, or "" when unsure."""
    sample = text[:_SAMPLE]
    words = _WORD.findall(sample.lower())
    if sum(map(len, words)) < MIN_LETTERS and not hints:
        return ""
    counts = Counter(_WORD_LANGUAGE[w] for w in words if w in _WORD_LANGUAGE)
    ranked = counts.most_common(2)
    if ranked and not hints:
        best, hits = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0
        # Function words are a tenth or more of running text; a clear lead settles it.
        if hits >= 0.08 * len(words) and hits >= 4 * runner_up:
            return best
    ranking = _identifier().rank(sample)
    if hints:
        for lang, _ in ranking[:5]:
            if lang in hints:
                return lang
    lang, probability = ranking[0]
    return lang if probability >= _SURE and sum(map(len, words)) >= MIN_LETTERS else ""


@cache
def _identifier():
    """py3langid's model with normalised probabilities, loaded once per process (slow: see above)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
