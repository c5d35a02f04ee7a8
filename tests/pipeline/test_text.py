"""The shared text primitives: each folding variant does what its callers rely on."""
from __future__ import annotations

from pipeline.text import (ARTICLES, fold, fold_ascii, fold_search, fold_token, fold_words, name_key, plain, plain_md,
                           title_key)


def test_fold_drops_accents_and_case_for_sorting() -> None:
    assert fold("Élan Vital") == "elan vital"
    assert fold("Straße") == "strasse"
    assert fold("ﬁnal") == "final"  # compatibility forms too


def test_the_variants_differ_where_their_callers_need_them_to() -> None:
    # Decomposing first drops the iota subscript; case folding first spells it out, as the citation model learnt.
    assert fold("ᾳ") == "α" and fold_token("ᾳ") == "αι"
    # Search drops every mark, as book.js's \p{M} does; sorting only combining ones (U+0E31 is a mark of class 0).
    assert fold_search("กั") == "ก" and fold("กั") == "กั"
    assert fold_ascii("Ça ira – Ελλάδα") == "ca ira  "
    assert fold_words("Łódź & the *Sea*!") == "lodz and the sea"


def test_title_key_drops_a_leading_article_of_the_chosen_languages() -> None:
    assert title_key("The Conquest of Bread") == "conquest of bread"
    assert title_key("La Conquête du pain") == "la conquete du pain"
    assert title_key("La Conquête du pain", ARTICLES) == "conquete du pain"
    assert title_key("The") == "the"


def test_name_key_compares_wiki_names() -> None:
    assert name_key("  Cite_web ") == name_key("cite   WEB") == "cite web"


def test_plain_text_of_markup() -> None:
    assert plain("<i>Mutual</i>  Aid &amp; <b>more</b>\n") == "Mutual Aid & more"
    assert plain("a < b <i>c</i>") == "a < b c"  # a stray "<" swallows nothing
    assert plain(None) == ""
    assert plain_md(r"[Mutual Aid](https://example.org/a) \*1902\*") == "Mutual Aid *1902*"
