"""Generated training notes: the wordings wiki footnotes use, in four languages, with their labels.

The labelled notes of real pages show each shape only with that page's own
names and dates. These sequences show the same shapes — short back
references ("Wells, p. 73", "Rottman 2012, S. 29"), web citations as the
citation templates render them (``[Title](url). *Site*. Retrieved 5 December
2006.``, ``… abgerufen am 3. Mai 2010``, ``… (consulté le 2 mars 2011)``,
``… (consultado el 3 de mayo de 2010)``), books with publisher, place, ISBN
and pages, commentary before a citation — with other names, titles, sites
and dates, so the labeller learns the wording and not the words. Titles are
drawn from the academic training set; everything is chosen by a seeded
random generator, so the same seed gives the same sequences.
"""
from __future__ import annotations

import random
import re

from stdnum import ean as _ean, isbn as _isbn

from .data import Sequence
from .tokens import prepare, tokenize

__all__ = ["GENERATOR", "generate"]

GENERATOR = "wikibind-cite-synth-1"

_FAMILY = ("Okafor Lindqvist Moreau Schneider Tanaka Kowalski Haddad Brennan Castillo Novak Petrov Ferreira "
           "Nakamura Oyelaran Weber Dubois Rossi Jansen O'Neill Mbeki Santos Lefebvre Hoffmann Ivanova Chen "
           "Wójcik García Müller Zimmermann Bianchi Fontaine Delgado Whitfield Harcourt Ashby Kessler Varga "
           "Lund Quintero Abernathy Takahashi Singh Mahmoud Gallagher Duarte Richter Nyström Carvalho").split()
_GIVEN = ("Amara Bjorn Célestine Dmitri Eleni Fumiko Gustavo Hana Ingrid Jiro Kwame Leila Mateus Noor Oskar "
          "Priya Quentin Rosa Soren Tamsin Ulla Vikram Wanjiru Xavier Yara Zoltan Anne Michael Karin Paul "
          "Pierre María Hans Sarah").split()
_SITES = ("BBC News|The Guardian|Reuters|Der Spiegel|Le Monde|El País|Dawn.com|IMDb|ESPN|Billboard|AllMusic|"
          "The New York Times|Süddeutsche Zeitung|Frankfurter Allgemeine Zeitung|Deutsche Welle|CNN|"
          "Sports Reference|FIFA|Libération|La Vanguardia|The Telegraph|Al Jazeera|The Hindu|Rolling Stone|"
          "Variety|National Geographic|Britannica|Tagesschau|Radio France|Clarín|The Times of India|"
          "Associated Press|NPR|Die Zeit|Le Figaro|El Mundo|Olympedia|Transfermarkt|Discogs|Heise online").split("|")
_PUBLISHERS = ("Oxford University Press|Penguin|Routledge|Suhrkamp|Gallimard|Anagrama|Cambridge University Press|"
               "Random House|C. H. Beck|Éditions du Seuil|Alianza Editorial|Springer|HarperCollins|Verso|"
               "University of Chicago Press|Fischer|Flammarion|Editorial Planeta|Osprey Publishing|Brill").split("|")
_PLACES = "London|New York|Berlin|Paris|Madrid|München|Oxford|Frankfurt am Main|Barcelona|Chicago|Leiden|Wien".split("|")
_MONTHS = {
    "en": "January February March April May June July August September October November December".split(),
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember".split(),
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split(),
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split(),
}


def _date(r: random.Random, lang: str) -> str:
    y, m, d = r.randint(1995, 2024), r.randint(1, 12), r.randint(1, 28)
    month = _MONTHS[lang][m - 1]
    form = r.randrange(3)
    if lang == "en":
        return [f"{d} {month} {y}", f"{month} {d}, {y}", f"{y}-{m:02d}-{d:02d}"][form]
    if lang == "de":
        return [f"{d}. {month} {y}", f"{d:02d}.{m:02d}.{y}", f"{y}-{m:02d}-{d:02d}"][form]
    if lang == "fr":
        return [f"{d} {month} {y}", f"{'1er' if d == 1 else d} {month} {y}", f"{d} {month} {y}"][form]
    return [f"{d} de {month} de {y}", f"{d} de {month} de {y}", f"{y}-{m:02d}-{d:02d}"][form]


def _access(r: random.Random, lang: str) -> str:
    d = _date(r, lang)
    return {"en": r.choice([f"Retrieved {d}", f"Retrieved on {d}", f"Accessed {d}", f"accessed {d}"]),
            "de": f"abgerufen am {d}", "fr": f"consulté le {d}", "es": f"consultado el {d}"}[lang]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:50] or "page"


def _url(r: random.Random, site: str, title: str) -> str:
    host = _slug(site).replace("-", "") or "example"
    return f"https://www.{host}.{r.choice(['com', 'org', 'de', 'fr', 'es', 'co.uk'])}/{r.randint(1990, 2024)}/{_slug(title)}"


def _valid_isbn(r: random.Random) -> str:
    body = f"978{r.randint(0, 1)}{r.randint(10, 99)}{r.randint(100000, 999999)}"
    full = body + _ean.calc_check_digit(body)  # an ISBN-13 is an EAN-13
    return _isbn.format(full)


def _pages(r: random.Random, lang: str) -> str:
    a = r.randint(1, 480)
    word = {"en": r.choice(["p.", "pp.", "pg.", "p"]), "de": "S.", "fr": "p.", "es": r.choice(["p.", "pág."])}[lang]
    if word in ("pp.",) or r.random() < 0.3:
        return f"{'pp.' if word in ('p.', 'pp.') else word} {a}–{a + r.randint(1, 12)}"
    return f"{word} {a}"


def _name(r: random.Random, inverted: bool = False) -> str:
    family, given = r.choice(_FAMILY), r.choice(_GIVEN)
    if r.random() < 0.25:
        given = f"{given[0]}."
    return f"{family}, {given}" if inverted else f"{given} {family}"


def _end(text: str, mark: str) -> str:
    return text if text.endswith((".", "?", "!", ",", ":", ";")) else text + mark


def generate(titles: list[str], count: int, seed: int) -> list[Sequence]:
    """`count` labelled notes drawn with `seed`, using `titles` (from the academic set) as titles."""
    r = random.Random(seed)
    out: list[Sequence] = []
    titles = [t for t in titles if 2 <= len(t.split()) <= 14] or ["A History of the World"]
    for _ in range(count):
        lang = r.choice(["en", "en", "en", "de", "fr", "es"])
        title = r.choice(titles)
        site = r.choice(_SITES)
        url = _url(r, site, title)
        shape = r.randrange(11)
        segs: list[tuple[str, str]] = []
        if shape == 0:  # short back reference
            family = r.choice(_FAMILY)
            segs = [("author", family + ","), ("pages", _end(_pages(r, lang), r.choice(["", "."])))]
        elif shape == 1:  # author and year
            family = r.choice(_FAMILY)
            year = str(r.randint(1900, 2023))
            segs = r.choice([[("author", family), ("date", f"({year}),"), ("pages", _end(_pages(r, lang), "."))],
                             [("author", family), ("date", f"{year},"), ("pages", _pages(r, lang))],
                             [("author", family), ("date", f"({year})")]])
        elif shape == 2:  # author, short title, pages
            segs = [("author", r.choice(_FAMILY) + r.choice([",", ":"])), ("title", f"*{_end(title, '')}*,"),
                    ("pages", _end(_pages(r, lang), "."))]
        elif shape in (3, 4):  # cite web, as rendered
            parts = []
            if r.random() < 0.4:
                parts += [("author", _end(_name(r, inverted=True), "")), ("date", f"({_date(r, lang)}).")]
            link = f"[{title}]({url})"
            parts.append(("title", r.choice([f"{link}.", f'"{link}".', f"{link},", link])))
            if r.random() < 0.8:
                parts.append(("container-title", r.choice([f"*{site}*.", f"{site}.", f"*{site}*,", f"{site},"])))
            if r.random() < 0.5:
                parts.append(("date", _end(_date(r, lang), ".")))
            parts.append(("accessed", _end(_access(r, "en"), ".")))
            segs = parts
        elif shape == 5:  # German web citation
            parts = []
            if r.random() < 0.5:
                parts.append(("author", _name(r) + ":"))
            parts.append(("title", f"[{title}]({url})."))
            parts.append(("container-title", f"In: *{site}*,"))
            if r.random() < 0.5:
                parts.append(("date", f"{_date(r, 'de')},"))
            parts.append(("accessed", _access(r, "de") + r.choice(["", "."])))
            segs = parts
        elif shape == 6:  # French web citation
            parts = []
            if r.random() < 0.5:
                parts.append(("author", _name(r) + ","))
            parts += [("title", f"« [{title}]({url}) »,"), ("container-title", f"*{site}*,"),
                      ("date", f"{_date(r, 'fr')}"), ("accessed", f"({_access(r, 'fr')}).")]
            segs = parts
        elif shape == 7:  # Spanish web citation
            parts = []
            if r.random() < 0.5:
                parts += [("author", _name(r, inverted=True)), ("date", f"({_date(r, 'es')}).")]
            parts += [("title", f"«[{title}]({url})».".replace("»..", "».")), ("container-title", f"*{site}*"),
                      ("accessed", f"({_access(r, 'es')}).")]
            segs = parts
        elif shape == 8:  # English book
            year = str(r.randint(1850, 2023))
            segs = [("author", _end(_name(r, inverted=True), ".") if r.random() < 0.5 else _name(r) + ","),
                    ("date", f"({year})."), ("title", f"*{_end(title, '.')}*" if r.random() < 0.7 else f"*{title}*."),
                    ("location", r.choice(_PLACES) + ":"), ("publisher", r.choice(_PUBLISHERS) + ".")]
            if r.random() < 0.5:
                segs.append(("isbn", f"ISBN {_valid_isbn(r)}."))
            if r.random() < 0.5:
                segs.append(("pages", _end(_pages(r, "en"), ".")))
        elif shape == 9:  # German book, as de.wikipedia writes it
            year = str(r.randint(1850, 2023))
            segs = [("author", _name(r) + ":"), ("title", f"*{_end(title, '.')}*"),
                    ("publisher", r.choice(_PUBLISHERS) + ","), ("location", r.choice(_PLACES)), ("date", f"{year},")]
            if r.random() < 0.6:
                segs.append(("isbn", f"ISBN {_valid_isbn(r)},"))
            segs.append(("pages", _pages(r, "de")))
            if r.random() < 0.4:
                segs.append(("url", f"[books.google.de](https://books.google.de/books?id={_slug(title)[:12]})"))
        else:  # commentary, then a citation
            lead = r.choice(["See also", "See", "Cf.", "For a different view see", "Siehe auch", "Voir aussi", "Véase",
                             "This figure is disputed.", "Quoted in", "The report says so."])
            segs = [("note", lead), ("author", _name(r) + ","), ("title", f"*{title}*"),
                    ("date", f"({r.randint(1900, 2023)}),"), ("pages", _end(_pages(r, lang), "."))]
        tokens: list[str] = []
        labels: list[str] = []
        for lab, text in segs:
            words = tokenize(prepare(text))
            tokens += words
            labels += [lab] * len(words)
        out.append(Sequence(tokens, labels, [], GENERATOR))
    return out
