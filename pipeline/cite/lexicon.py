"""Small dictionaries the features look words up in: given names, publishers, places, journals, wordings.

Hand-made, short and general (not drawn from the training data, so the model
cannot learn a dictionary by heart): the common given names and publishing
words of English, German, French and Spanish references, the cities books are
published in, the words periodicals are named with, and the wordings of
pages, editors, volumes and access dates in those four languages.
"""
from __future__ import annotations

__all__ = ["TAGS", "tags_of"]

_GIVEN = """
aaron abraham adam adolf adrian agnes alain alan albert alberto alejandro alexander alexandre alfred
alfredo alice alison amanda amy ana andrea andreas andrew andré angela anna anne annie anthony antoine
antonio arthur barbara barry ben benjamin bernard bernd betty bill bob brian bruce bruno carl carlos
carmen caroline catherine charles charlotte chris christian christina christine christopher claire
claude claudia colin craig dan daniel david deborah dennis diana diane dieter donald dorothy douglas
eduardo edward elena elizabeth ellen emily emma eric erich ernst eva francis francisco françois frank
franz fred frederick friedrich gary george georg gerald gerhard gilles giovanni gordon grace gregory
günter hans harold harry heinrich helen helmut henri henry herbert hermann howard ian isabel jack
jacques james jan jane janet jason javier jean jeffrey jennifer jessica jim joan joe johann johannes
john jonathan jordi jorge josé joseph juan judith julia julie jürgen karen karl katherine kathleen
kenneth kevin klaus kurt larry laura lawrence leon linda lisa louis louise lucas luis manfred manuel
marco margaret maria marie mark martha martin mary matthew maurice michael michel michelle miguel
monika nancy nicholas nicolas norman olivier otto pablo patricia patrick paul pedro peter philip
philippe pierre rachel ralph raymond rebecca richard robert roberto roger ronald rudolf ruth
sam samuel sandra sarah scott sebastian sophie stefan stephen steven susan thomas timothy tom ulrich
victor vincent walter werner william wolfgang yves
"""
_PUBLISHER = """
press verlag publishing publishers publisher books book editions éditions edition editorial ediciones
university universität université universidad college institute institut gallimard penguin random
house routledge springer wiley elsevier oxford cambridge harvard yale princeton macmillan harper
collins norton knopf doubleday hachette suhrkamp fischer rowohlt beck dtv seuil flammarion fayard
larousse anagrama planeta alianza sage pearson mcgraw-hill academic verso pluto akademie
printing office government bloomsbury palgrave brill mit stationery hmso taschenbuch buchverlag
"""
_PLACE = """
london new york paris berlin munich münchen frankfurt hamburg leipzig stuttgart köln cologne wien
vienna zürich zurich basel bern madrid barcelona buenos aires méxico mexico lisboa rome roma milano
milan amsterdam leiden brussels bruxelles oxford cambridge boston chicago washington philadelphia
princeton new haven berkeley los angeles san francisco toronto montreal montréal sydney melbourne
edinburgh dublin moscow tokyo beijing delhi lyon genève geneva göttingen heidelberg tübingen
bonn dresden leiden stockholm copenhagen oslo helsinki prague warsaw budapest baltimore
"""
_JOURNAL = """
journal review proceedings quarterly zeitschrift bulletin annals annales revue revista magazine
newsletter gazette times news post herald tribune chronicle guardian telegraph observer daily weekly
monthly zeitung tageblatt spiegel monde figaro país letters transactions studies archives archiv
jahrbuch yearbook science nature encyclopedia encyclopaedia britannica wikipedia
"""
_MONTH = """
january february march april may june july august september october november december
jan feb mar apr jun jul aug sep sept oct nov dec
januar jänner februar märz mai juni juli oktober dezember
janvier février mars avril mai juin juillet août septembre octobre novembre décembre
enero febrero marzo abril mayo junio julio agosto septiembre setiembre octubre noviembre diciembre
"""
_ACCESS = """
retrieved accessed abgerufen consulté consulte consultado visited zugriff archived archiviert
"""
_PAGE = "p p. pp pp. pg pg. pgs s s. seite seiten page pages pág pág. págs págs. ss. f. ff."
_EDITOR = "ed ed. eds eds. hrsg hrsg. (hrsg.) (ed.) (eds.) éd éd. dir. editor editors herausgeber edited"
_VOLUME = "vol vol. vols no no. nr nr. bd bd. band tome t. issue heft jg. jahrgang núm. num."
_AND = "and & und et y u. e"
_ETAL = "al. al a. u. a. et"
_IN = "in in: dans en"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_SETS = {
    "given": _words(_GIVEN), "pub": _words(_PUBLISHER), "place": _words(_PLACE),
    "journal": _words(_JOURNAL), "month": _words(_MONTH), "acc": _words(_ACCESS),
    "page": _words(_PAGE), "ed": _words(_EDITOR), "vol": _words(_VOLUME), "and": _words(_AND),
    "etal": _words(_ETAL), "in": _words(_IN),
}
TAGS = tuple(_SETS)


def tags_of(word: str) -> tuple[str, ...]:
    """The dictionaries a lower-case word (as written, and without its final period) is in."""
    bare = word.rstrip(".,:;")
    return tuple(tag for tag, words in _SETS.items() if word in words or bare in words)
