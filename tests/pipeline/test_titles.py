"""MediaWiki title rules: what makes two titles the same page."""
import unicodedata

import pytest

from pipeline.titles import normalize_title, slugify, title_from_filename, unique


@pytest.mark.parametrize("raw, expected", [
    ("Karl_Marx", "Karl Marx"),
    ("karl Marx", "Karl Marx"),
    ("  Karl   Marx ", "Karl Marx"),
    ("Workers&#39;_Council", "Workers' Council"),
    ("State_(polity)", "State (polity)"),
    ("ōsaka", "Ōsaka"),
    ("ßtraße", "ßtraße"),  # 'ß'.upper() is two letters: MediaWiki keeps it
    ("", ""),
])
def test_normalize_title(raw: str, expected: str) -> None:
    assert normalize_title(raw) == expected


def test_rest_of_title_is_case_sensitive() -> None:
    assert normalize_title("Karl marx") != normalize_title("Karl Marx")


def test_nfd_and_nfc_names_are_the_same_page() -> None:
    nfd = unicodedata.normalize("NFD", "Confederación_Nacional_del_Trabajo.md")
    assert title_from_filename(nfd) == "Confederación Nacional del Trabajo"
    assert title_from_filename(nfd) == title_from_filename(unicodedata.normalize("NFC", nfd))


def test_title_from_filename_keeps_punctuation() -> None:
    assert title_from_filename("From_each_according_to_his_ability,_to_each.md") == \
        "From each according to his ability, to each"


def test_slugify_is_ascii_and_never_empty() -> None:
    assert slugify("Confederación Nacional del Trabajo") == "confederacion-nacional-del-trabajo"
    assert slugify("Marx -- Engels") == "marx-engels"  # never '--', the anchor separator
    assert slugify("東京").startswith("h") and len(slugify("東京")) == 9


def test_unique() -> None:
    taken: set[str] = set()
    assert [unique("a", taken) for _ in range(3)] == ["a", "a-2", "a-3"]
