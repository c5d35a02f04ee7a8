"""From a note to the CSL-JSON items it cites: label, segment, normalise.

1. **Label** (`label`): the note is split into tokens (`tokens`) and the CRF
   gives each a label (author, title, container-title, journal, publisher,
   location, date, accessed, pages, volume, url, doi, isbn, note, …) and the
   marginal probability of that label. Two models label it: one learnt from
   wiki notes and reference lists together, one from reference lists alone
   (`train`). The second never saw Markdown, links, template leftovers,
   commentary or the short shapes of wiki notes ("Site: Page", "Wells 1982,
   10"): it is asked only about a note shaped like a reference-list entry
   (`_like_a_reference`) that the first labels with a probability under
   `_SURE`, and its labelling is kept where it is the more probable one (the
   sequence's probability) and takes no more of the note for commentary.
   Rules then tidy the labels (`_smooth`): an emphasised run is one field;
   a quoted sentence ahead of another title is a quotation; a Markdown link followed by more words of
   its field is the title, and the words after it an access date, a date, a
   site ("*Sub Pop*", "in UEFA's website") or commentary; a month before a
   date is part of it; "Institution: *Title*" names the author; the sentence
   between the names and the rest of an untitled reference is its title; an
   author list ends with its last name; a sentence ahead of a site's name is
   commentary; a title running past its full stop into a volume gives up its
   journal, and the sentence ahead of a journal's name is the title's; a
   title does not end on a bare word before a lower-case one; "In" after the
   title's full stop opens the container; a ditto mark ("———.") is an author,
   and so are the given name after a lone family name and "FAMILY, Given."
   pairs that open the title; months after a journal's comma are the date,
   and words without a digit after its name are not the volume; a quotation
   right after the names that open a reference, with more of it following,
   is its title.
2. **Segment** (`segments`): rules on the labels. A run of `note` tokens
   (commentary, quotations, "See also") is no citation and ends the one
   before it, unless only fields that end a citation (pages, URL, dates,
   publisher…) follow it; a new citation starts where an author follows a
   finished citation (one with a title and an author), after a ``;`` that
   ends a field, or at a second linked title after a finished web citation.
3. **Normalise** (`normalise`): each citation's fields become a typed CSL
   item: names split into family and given (an institution is one literal
   name), a Markdown link giving the title and URL, the ISBN validated
   (python-stdnum's checksum) and the DOI checked for its syntax, the
   publication date kept apart from the access date (English, German,
   French and Spanish wordings), the pages cited kept as the citation's
   locator, template leftovers (``|Titel=``) taken out.

A citation with neither title, author, editor nor URL (a date or pages
alone) is dropped: a note of commentary cites nothing. **Never worse than
the note.** A citation whose tokens the model labels with a mean marginal
probability under `CONFIDENCE`, or a title with nothing to show it is one
(no name, date, URL, site or publisher, and not set off by emphasis or
quotes), is given as written: a ``document`` item whose title is its text
(`as_written`), keeping the one URL it links to. A web page needs a URL or a
site ("Site: Page", a domain); a place or publisher never makes one, and a
citation with a publisher, place, ISBN or edition is a book.

Private keys (starting with ``_``) carry what the bibliography needs beyond
CSL: ``_locator`` (pages cited), ``_raw`` (the citation as written),
``_confidence``, ``_short`` (an author without a title: a short citation),
``_unparsed``. `public` drops them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pycrfsuite
from stdnum import isbn as _isbn
from stdnum.exceptions import ValidationError

from .tokens import LINK_END, display, features, has_markdown, link_url, prepare, tokenize

__all__ = ["CONFIDENCE", "Labelled", "label", "segments", "normalise", "parse", "public", "as_written",
           "parse_date", "split_names"]

MODEL = Path(__file__).parent / "model.crfsuite"
REF_MODEL = Path(__file__).parent / "model-ref.crfsuite"
CONFIDENCE = 0.7
_NOT_PLAIN = "{}|\\"  # template leftovers and the export's Markdown escapes, which reference lists hardly have
_SURE = 0.9  # a labelling the wiki model is this sure of is kept without asking the reference-list model
_MAX_TOKENS = 400  # a longer note is tagged in its first 400 tokens: linear time, bounded memory

_taggers: dict[Path, pycrfsuite.Tagger] = {}


def _get_tagger(path: Path = MODEL) -> pycrfsuite.Tagger:
    tagger = _taggers.get(path)
    if tagger is None:
        tagger = pycrfsuite.Tagger()
        tagger.open(str(path))
        _taggers[path] = tagger
    return tagger


@dataclass
class Labelled:
    """A note's tokens, their labels and each label's marginal probability."""

    tokens: list[str]
    labels: list[str]
    probs: list[float]


def label(text: str) -> Labelled:
    """Tokenise a note and label every token."""
    tokens = tokenize(prepare(text))[:_MAX_TOKENS]
    if not tokens:
        return Labelled([], [], [])
    feats = pycrfsuite.ItemSequence(features(tokens))  # built once for both models
    tagger = _get_tagger(MODEL)
    tagger.set(feats)
    labels = tagger.tag()
    # the reference-list model reads what looks like a reference-list entry, and is kept where it is surer
    if _like_a_reference(tokens, labels) and (sure := tagger.probability(labels)) < _SURE:
        ref = _get_tagger(REF_MODEL)
        ref.set(feats)
        ref_labels = ref.tag()
        # each tagger keeps its own note, so only the labelling kept pays for its marginals
        if ref.probability(ref_labels) > sure and ref_labels.count("note") <= labels.count("note"):
            tagger, labels = ref, ref_labels
    probs = [tagger.marginal(y, i) for i, y in enumerate(labels)]
    return Labelled(tokens, _smooth(tokens, labels), probs)


def _like_a_reference(tokens: list[str], labels: list[str]) -> bool:
    """Whether a note has the shape of a reference-list entry, which the reference-list model may read.

    Long enough to name authors, a title and an imprint (8 words), with a year; no Markdown, template
    leftovers, escapes or wikitext quotes (``''``); at most a quarter commentary and one citation
    as the wiki model reads it ("Site: Page", "Wells 1982, 10", "A (1953); B (1953)" are wiki shapes)."""
    if len(tokens) < 8 or labels.count("note") * 4 > len(labels) or has_markdown(tokens):
        return False
    if any(c in t for t in tokens for c in _NOT_PLAIN) or any("''" in t for t in tokens):
        return False
    if not any(_YEAR.search(t) for t in tokens):
        return False
    return len(segments(Labelled(tokens, labels, []))) <= 1


_EM_OPEN = re.compile(r"^[\[(\"“]*[*_]")
_EM_CLOSE = re.compile(r"[*_][)\].,;:!?\"”]*$")
_LINK_OPEN = re.compile(r"^[*_(\"“]*\[")
_SITE_REST = re.compile(r"^(?:in|on|at|auf|sur|en)?\s*(.+?)(?:'s|’s)?\s*(?:website|web site|site|homepage|webpage|page)?$", re.I)


def _smooth(tokens: list[str], labels: list[str]) -> list[str]:
    """Rules on the labels at the fields' edges (the module's docstring lists them)."""
    labels = list(labels)
    shown = [display(t) for t in tokens]
    i = 0
    while i < len(tokens):  # *A title in emphasis* takes its majority label
        if _EM_OPEN.match(shown[i]) and not (_EM_CLOSE.search(shown[i]) and len(shown[i].strip("*_[](),.\"“”")) > 0
                                              and i + 1 < len(tokens) and not _EM_CLOSE.search(shown[i][1:])):
            j = next((k for k in range(i, min(i + 60, len(tokens))) if _EM_CLOSE.search(shown[k]) and (k > i or len(shown[k]) > 2)), None)
            if j is not None and j > i:
                run = labels[i:j + 1]
                top = max(set(run), key=run.count)
                if top in ("title", "container-title", "journal") and run.count(top) * 2 > len(run):
                    labels[i:j + 1] = [top] * (j + 1 - i)
                i = j + 1
                continue
        i += 1
    i = 0
    while i < len(tokens):  # "A quoted sentence." before another title: a quotation, not the title
        if labels[i] == "title" and re.match(r"^[(\[*]*[\"“„«]", shown[i]):
            j = next((k for k in range(i, min(i + 80, len(tokens))) if re.search(r"[.!?][\"”»]", shown[k])), None)
            if j is not None and all(y == "title" for y in labels[i:j + 1]) and "title" in labels[j + 1:]:
                labels[i:j + 1] = ["note"] * (j + 1 - i)
                i = j + 1
                continue
        i += 1
    i = 0
    while i < len(tokens):  # [Title](url) more words of the same field: the link is the title
        if _LINK_OPEN.match(shown[i]) and labels[i] in ("title", "container-title", "note"):
            k = next((k for k in range(i, min(i + 60, len(tokens))) if "](" in tokens[k]), None)
            if k is None:
                break
            field = labels[i]
            end = k + 1
            while end < len(tokens) and labels[end] == field:
                end += 1
            if end > k + 1 and all(y == field for y in labels[i:k + 1]):
                labels[i:k + 1] = ["title"] * (k + 1 - i)
                _relabel_rest(shown, labels, k + 1, end)
            elif field == "container-title" and "title" not in labels:
                labels[i:k + 1] = ["title"] * (k + 1 - i)
            i = end
            continue
        i += 1
    _month_before_date(shown, labels)
    _name_colon_title(shown, labels)
    _untitled_sentence(shown, labels)
    _end_name_list(shown, labels)
    _sentence_before_site(shown, labels)
    _journal_after_title(shown, labels)
    _title_out_of_journal(shown, labels)
    _title_to_its_stop(shown, labels)
    _in_starts_the_container(shown, labels)
    _names_out_of_title(shown, labels)
    _journal_words_out_of_volume(shown, labels)
    _quoted_title_after_names(shown, labels)
    return labels


_AND_WORD = {"and", "&", "und", "et", "y"}
_NOT_NAME_END = {"al.", "ed.", "eds.", "hrsg.", "jr.", "sr.", "dir.", "coord.", "comp.", "trans.", "tr.", "éd.", "éds."}
_NAME_END = re.compile(r"^[^\W\d_][^\W\d_'’-]*(?:[-'’][^\W\d_]+)*[^\W\d_]{2}\.$")
_SENTENCE_END = re.compile(r"[^\W\d_]{3}[.?!][\"”’')]*$|[?!][\"”’')]*$")


def _runs(labels: list[str], wanted: str) -> list[tuple[int, int]]:
    """The [start, end) ranges of the runs of one label."""
    out: list[tuple[int, int]] = []
    if wanted not in labels:
        return out
    start = None
    for i, y in enumerate(labels):
        if y == wanted:
            if start is None:
                start = i
        elif start is not None:
            out.append((start, i))
            start = None
    if start is not None:
        out.append((start, len(labels)))
    return out


def _end_name_list(shown: list[str], labels: list[str]) -> None:
    """An author list ends with its last name: "…, and Andrew Zisserman. Bicos: A method…" goes on with the title.

    The last name is the one after "and" ("and Jitendra Malik.") or, in a list of one, the
    name that opens it ("Fabrice Bellard.", "Blest Gana, Alberto."); a word ending in a
    period there (not an initial, not "al." or "eds.") closes the list, and what the labeller
    kept in the author's field after it is the title, when the title follows or is missing.
    A ditto mark ("———.", "______.": the author of the entry before) is a whole author."""
    for a, b in _runs(labels, "author"):
        if b - a >= 2 and _DITTO.match(shown[a]) and "title" not in labels[:a]:
            # "———. Baudolino. Milan: …": the dash stands for the author, the words after it are the title
            k = a + 1
            while k < b and not any(c.isalnum() for c in shown[k]):
                k += 1  # "__________ ." : the stop is the mark's
            if k < b and ("title" not in labels or labels[b:b + 1] == ["title"]):
                labels[k:b] = ["title"] * (b - k)
            continue
        if b - a < 3 or (b < len(labels) and labels[b] != "title" and "title" in labels) \
                or (b >= len(labels) and "title" in labels):
            continue
        words = [w.strip("*_") for w in shown[a:b]]
        for k in range(a + 1, b - 1):
            w = words[k - a]
            if not _NAME_END.match(w) or w.casefold() in _NOT_NAME_END or not w[:1].isupper():
                continue
            ands = [j for j in range(a, k) if words[j - a].casefold() in _AND_WORD]
            head = words[:k - a]
            one = not ands and k - a <= 2 and not any(x.endswith((".", ";", ":")) for x in head)
            if (ands and 1 <= k - ands[-1] <= 3) or one:
                if shown[k + 1][:1].isupper() or shown[k + 1][:1] in "\"“'‘«*[":
                    labels[k + 1:b] = ["title"] * (b - k - 1)
                break


def _name_colon_title(shown: list[str], labels: list[str]) -> None:
    """"Department of the Army: *Weapons and Equipment…*": plain words and a colon ahead of an emphasised
    title at the start of a note name its author (a person or an institution), as German notes have it."""
    if not labels or labels[0] != "title":
        return
    for k in range(min(len(labels) - 1, 8)):
        if labels[k] != "title" or _EM_OPEN.match(shown[k]) or "](" in shown[k]:
            return
        if shown[k].endswith(":"):
            if labels[k + 1] == "title" and _EM_OPEN.match(shown[k + 1]) and shown[0][:1].isupper():
                labels[:k + 1] = ["author"] * (k + 1)
            return


def _is_month(word: str) -> bool:
    parts = re.split(r"[-–/]", word.strip(".,;:()*_").casefold())
    return all(p.rstrip(".") in _MONTHS for p in parts)


def _month_before_date(shown: list[str], labels: list[str]) -> None:
    """"März 1944", "Journal of Rivers, January-March 2010": the months' names just before a date are part
    of the date, never of a journal, a container or a place (the whole run, or its end after a comma);
    "Management Science, XIII (February, 1967)": a roman numeral there is the volume."""
    for a, b in _runs(labels, "journal") + _runs(labels, "container-title") + _runs(labels, "location"):
        if b >= len(labels) or labels[b] != "date":
            continue
        k = b
        while k > a and _is_month(shown[k - 1]):
            k -= 1
        if k == a or (k < b and shown[k - 1].endswith(",")):
            labels[k:b] = ["date"] * (b - k)
        elif k == b and b - a > 1 and shown[b - 2].endswith(",") and _ROMAN_NUM.match(shown[b - 1].rstrip(",.")):
            labels[b - 1] = "volume"


def _untitled_sentence(shown: list[str], labels: list[str]) -> None:
    """"Fenner M (2013) What can article-level metrics do for you? Available: …": the sentence between the
    names or date and the rest of a reference that has no title is its title, not commentary.

    Only where the note has no title at all, the sentence follows an author, editor or date and
    further fields (a journal, volume, pages, URL, publisher…) follow it."""
    if "title" in labels:
        return
    for a, b in _runs(labels, "note"):
        if a == 0 or labels[a - 1] not in ("author", "editor", "date") or b >= len(labels):
            continue
        if labels[b] not in ("journal", "container-title", "volume", "pages", "url", "doi", "publisher", "location"):
            continue
        end = next((k + 1 for k in range(a, b) if re.search(r"[.?!][\"”’'»]*[.,:]?$", shown[k])), b)
        if end - a >= 2:
            labels[a:end] = ["title"] * (end - a)
        return


def _sentence_before_site(shown: list[str], labels: list[str]) -> None:
    """"He said so. WIKIPEDIA: …": a sentence that opens a note ahead of a site's name is commentary, not the name.

    A name may hold abbreviations ("Proc. Natl. Acad."), never a lower-case word closing a sentence."""
    for a, b in _runs(labels, "container-title"):
        if a > 0 and labels[a - 1] != "note":
            continue
        ends = [k for k in range(a, b - 1) if re.match(r"^[\"“'‘(]*[a-zß-ÿ]{2,}[.!?][\"”’')]*$", shown[k])]
        if ends:
            labels[a:ends[-1] + 1] = ["note"] * (ends[-1] + 1 - a)


_ROMAN_NUM = re.compile(r"^(?=[MDCLXVI])M*(C[MD]|D?C{0,3})(X[CL]|L?X{0,3})(I[XV]|V?I{0,3})$")
_WORD_STOP = re.compile(r"^[\"“'‘(]*([^\W\d_][^\W\d_'’-]*)[.?!][\"”’')]*$")


def _title_out_of_journal(shown: list[str], labels: list[str]) -> None:
    """"… Performance Persistence. Journal of Finance, 50": the sentence ahead of a journal's name, up to its
    full stop, is the end of the title (or the title), not part of the name.

    A stop after a long or lower-case word ends a sentence; "Proc.", "Chem." and other short
    capitalised abbreviations in a journal's name do not."""
    for a, b in _runs(labels, "journal"):
        if a > 0 and labels[a - 1] not in ("title", "date", "author"):
            continue
        if labels[a - 1:a] != ["title"] and "title" in labels:
            continue
        for k in range(b - 2, a - 1, -1):
            m = _WORD_STOP.match(shown[k])
            if m and (m.group(1)[:1].islower() or len(m.group(1)) >= 9 or shown[k].endswith(("?", "!"))):
                if re.match(r"^(?:<[^>]+>|[\"“*_])*[A-Z]", shown[k + 1]):
                    labels[a:k + 1] = ["title"] * (k + 1 - a)
                break


_FIELD_END = re.compile(r"[.,;:?!][\"”’'»)\]*_]*$|[\"”’»)\]*_]$")
_TITLE_GOES_ON = {"container-title", "journal", "note", "location", "publisher"}


def _title_to_its_stop(shown: list[str], labels: list[str]) -> None:
    """"The Inflection of the Verb in the Pyramid Texts, Bibliotheca …": a title does not end on a bare word
    before a lower-case word; the field after it, up to its first stop or comma, is the title's.

    Only for the first title, followed by one of the fields a title runs into (container, journal,
    publisher, place, commentary), and only where that field has such a stop before any emphasis or
    quotation marks set a work off in it."""
    runs = _runs(labels, "title")
    if not runs:
        return
    a, b = runs[0]
    if b >= len(labels) or labels[b] not in _TITLE_GOES_ON or _FIELD_END.search(shown[b - 1]) or "](" in shown[b - 1]:
        return
    if not shown[b][:1].islower():
        return  # "(Cambridge: …" after a bare word is the imprint, not more title
    field = labels[b]
    k = b
    while k < len(labels) and labels[k] == field:
        if _EM_OPEN.match(shown[k]) or shown[k][:1] in "\"“„«‘":
            return  # "Introduction to *Selected Writings*": a work set off in the field is its own
        if _FIELD_END.search(shown[k]):
            labels[b:k + 1] = ["title"] * (k + 1 - b)
            return
        k += 1


_GIVEN = re.compile(r"^[A-ZÀ-Þ][^\W\d_]+(?:-[A-ZÀ-Þ][^\W\d_]+)?\.$")
_CAPS_FAMILY = re.compile(r"^[A-ZÀ-Þ][A-ZÀ-Þ'’-]+,$")


def _names_out_of_title(shown: list[str], labels: list[str]) -> None:
    """"Huxley, Aldous. Brave New World", "ROUSSILLON, René. CHABERT, Catherine. Manuel de …": the given name
    after a lone family name, and further "FAMILY, Given." pairs in capitals, are the authors', not the title's."""
    runs = _runs(labels, "title")
    if not runs or runs[0][0] == 0 or labels[runs[0][0] - 1] != "author":
        return
    a, b = runs[0]
    authors = [i for i in range(a) if labels[i] == "author"]
    k = a
    if len(authors) == 1 and authors[0] == a - 1 and shown[a - 1].endswith(",") and _GIVEN.match(shown[k]) \
            and b - k > 1:
        k += 1  # "Huxley, Aldous."
    while b - k > 2 and _CAPS_FAMILY.match(shown[k]) and _GIVEN.match(shown[k + 1]):
        k += 2  # "CHABERT, Catherine."
    labels[a:k] = ["author"] * (k - a)


_VOLUME_WORD = re.compile(r"^\(?(?:vol|vols|no|nos|nr|bd|band|tome|t|issue|heft|jg|jahrgang|núm|num|n°|suppl|part|pt|fasc|year|année|año|anno|"
                          r"series|ser|section|sect|book|livre|libro)\b",
                          re.I)


def _journal_words_out_of_volume(shown: list[str], labels: list[str]) -> None:
    """"Journal of Asynchronous Learning Networks, 1 (1)", "J. Virol. 85": words without a digit that the labeller
    gave to the volume right after a journal's name ("Networks,", "Virol.") end the name; "Vol." and "No." stay."""
    for a, b in _runs(labels, "journal") + _runs(labels, "container-title"):
        k = b
        while k < len(labels) and labels[k] == "volume" and not any(c.isdigit() for c in shown[k]) \
                and shown[k][:1].isupper() and not _VOLUME_WORD.match(shown[k]) and not _ROMAN_NUM.match(shown[k].strip(".,;:")):
            k += 1
        if k > b and (k == len(labels) or labels[k] != "volume" or any(c.isdigit() for c in shown[k])):
            labels[b:k] = [labels[a]] * (k - b)


_Q_OPEN = re.compile(r"^[(\[]*[\"“„«‘']")
_Q_CLOSE = re.compile(r"[\"”»’'][.,:;)\]]*$")
_Q_STOP = re.compile(r"[.?!][\"”»’']|[\"”»’'][.?!]")
_AFTER_TITLE = {"title", "container-title", "journal", "editor", "volume", "pages", "publisher", "location"}


def _quoted_title_after_names(shown: list[str], labels: list[str]) -> None:
    """"Mintzberg, H. "The Science of Strategy-Making." Industrial Management Review. VIII": a quotation right after
    the names (and date) that open a reference, followed by more of the reference, is its title, not commentary;
    a title labelled after a quoted title that closes with a full stop is the periodical or book it is in."""
    a = 0
    while a < len(labels) and labels[a] in ("author", "editor", "date"):
        a += 1
    if a == 0 or a >= len(labels) or labels[a] != "note" or not _Q_OPEN.match(shown[a]) or "author" not in labels[:a]:
        return
    b = next((k + 1 for k in range(a, min(a + 40, len(labels))) if labels[k] == "note" and _Q_CLOSE.search(shown[k])
              and (k > a or len(shown[k]) > 2)), None)
    if b is None or any(y != "note" for y in labels[a:b]) or b >= len(labels) or labels[b] not in _AFTER_TITLE:
        return
    labels[a:b] = ["title"] * (b - a)
    if labels[b] == "title" and _Q_STOP.search(shown[b - 1]):
        end = b
        while end < len(labels) and labels[end] == "title":
            end += 1
        labels[b:end] = ["journal" if end < len(labels) and labels[end] == "volume" else "container-title"] * (end - b)


def _in_starts_the_container(shown: list[str], labels: list[str]) -> None:
    """"… Neolithic Wessex. In The Explanation of Culture Change, edited by …": "In" after the title's full stop
    opens the book or journal the work is in; the words from it on are the container, not the title."""
    for a, b in _runs(labels, "title"):
        for k in range(a + 2, b):
            if shown[k] in ("In", "In:") and re.search(r"[.?!][\"”’'»)]*$", shown[k - 1]) and k + 1 < b \
                    and shown[k + 1][:1].isupper():
                labels[k:b] = ["container-title"] * (b - k)
                break
        break  # the first title only


_NAME_WORDS = {"of", "and", "for", "the", "in", "on", "&", "de", "des", "du", "der", "die", "für", "und", "di", "del"}


def _journal_after_title(shown: list[str], labels: list[str]) -> None:
    """"A title. Journal Name, 4, 371–384": a title that runs on, past its last full stop, into a volume is its journal's name.

    Only where nothing in the note is labelled a journal or container, and the words after the
    stop are a name (capitalised, at most eight words). A plain title that runs on to the end of
    the reference (or its URL) gives up a short name in title case closed by a full stop
    ("… using Ground-Based InSAR. Geomorphology.")."""
    if "journal" in labels or "container-title" in labels:
        return
    for a, b in _runs(labels, "title"):
        last = b >= len(labels) or labels[b] in ("url", "doi")
        if not last and labels[b] != "volume":
            continue
        if last and (_EM_OPEN.match(shown[a]) or shown[a][:1] in "\"“„«‘'[" or "](" in " ".join(shown[a:b])):
            continue  # a title set off by emphasis, quotes or a link ends where they end
        for k in range(b - 2, a, -1):
            if _SENTENCE_END.search(shown[k]):
                tail = [re.sub(r"^(?:<[^>]+>|[\W_])+", "", w) for w in shown[k + 1:b]]
                if last and not (len(tail) <= 5 and shown[b - 1].endswith(".") and all(
                        w[:1].isupper() or w.casefold() in _NAME_WORDS for w in tail)):
                    break  # at the end of a reference, only a short name in title case, closed by its stop
                if 1 <= len(tail) <= 8 and tail[0][:1].isupper():
                    labels[k + 1:b] = ["journal"] * (b - k - 1)
                break


def _relabel_rest(shown: list[str], labels: list[str], start: int, end: int) -> None:
    """What follows a linked title in its field: an access date, a date, a site, or commentary."""
    for n in range(start, end):
        if _ACCESS_WORDING.match(shown[n].lstrip("-–—(")):
            labels[n:end] = ["accessed"] * (end - n)
            end = n
            break
    date_from = end
    for n in range(start, end):
        if parse_date(" ".join(shown[n:end])) and not any(c.isalpha() and c.isupper() for c in "".join(shown[n:end])
                                                         if c not in "JFMASOND"):
            date_from = n
            break
    labels[date_from:end] = ["date"] * (end - date_from)
    rest = " ".join(shown[start:date_from])
    plain = _plain(rest)
    m = _SITE_REST.match(plain)
    site_like = bool(plain) and (bool(_EM_OPEN.match(rest)) or (m is not None and m.group(1) != plain and m.group(1)[:1].isupper())
                                 or _SITE.search(plain) is not None)
    labels[start:date_from] = ["container-title" if site_like else "note"] * (date_from - start)


_OPENERS = {"author", "editor"}
_TAILS = {"pages", "url", "accessed", "date", "publisher", "location", "volume", "isbn", "doi", "edition",
          "medium", "genre"}  # fields that end a citation and never start one
_ENDS_FIELD = re.compile(r"[;]['\"”’*)\]]*$")


def segments(lab: Labelled) -> list[tuple[int, int]]:
    """Split labelled tokens into citations: [(start, end)] token ranges, commentary left out."""
    out: list[tuple[int, int]] = []
    start: int | None = None
    fields: set[str] = set()
    for i, y in enumerate(lab.labels):
        if y == "note" and start is not None and not any(c.isalnum() for c in display(lab.tokens[i])):
            continue  # a stray "»," between fields: punctuation, not commentary
        if y == "note" and start is not None:
            after = next((z for z in lab.labels[i:] if z != "note"), None)
            if after in _TAILS:
                continue  # "…, 1901, Original from Harvard University. p. 261": an aside inside the citation
        if y == "note":
            if start is not None:
                out.append((start, i))
                start, fields = None, set()
            continue
        if start is not None and y != lab.labels[i - 1]:
            prev_tok = display(lab.tokens[i - 1])
            complete = "title" in fields or "author" in fields
            split = False
            if _ENDS_FIELD.search(prev_tok) and complete and y in _OPENERS | {"title"}:
                split = True
            elif y == "author" and lab.labels[i - 1] not in _OPENERS | {"translator"} and "title" in fields \
                    and "author" in fields:
                split = True
            elif y == "title" and "title" in fields and fields & {"url", "accessed", "date", "pages"} \
                    and prev_tok.endswith((".", ";", ")")) and lab.tokens[i].lstrip("*\"“").startswith("["):
                split = True  # a second linked title after a finished web citation
            if split:
                out.append((start, i))
                start, fields = None, set()
        if start is None:
            start = i
        fields.add(y)
    if start is not None:
        out.append((start, len(lab.labels)))
    return out


# ---- text helpers ----------------------------------------------------------------

_MARK = re.compile(r"(?<![\w\\])[*_]{1,3}|[*_]{1,3}(?![\w])")
_QUOTES = "\"“”„«»‘’'"
_EDGE = " .,:;/" + _QUOTES


def _join(tokens: list[str]) -> str:
    return " ".join(display(t) for t in tokens)


# What a citation template the export did not expand leaves in the text: "{{Literatur_Autor=", "|Titel=", "}}"
_TEMPLATE = re.compile(r"\{\{\s*[\w ]*?_[A-Za-z]\w*=\s*|\{\{[^{}|=\s]*\s*\||(?:^|\|)\s*[A-Za-z]\w*=\s*|\}\}|\{\{")


def _plain(text: str) -> str:
    """Markup, template leftovers and outer punctuation off."""
    if "=" in text or "{" in text or "}" in text:
        text = _TEMPLATE.sub(" ", text)
    text = _MARK.sub("", text)
    text = " ".join(text.split())
    for _ in range(3):
        old = text
        text = text.strip(_EDGE)
        if text.startswith("(") and text.endswith(")") and text.count("(") == 1:
            text = text[1:-1]
        if text.startswith("[") and text.endswith("]") and text.count("[") == 1:
            text = text[1:-1]
        if text.endswith(")") and text.count("(") < text.count(")"):
            text = text[:-1]
        if text.startswith("(") and text.count("(") > text.count(")"):
            text = text[1:]
        if text.endswith("]") and text.count("[") < text.count("]"):
            text = text[:-1]
        if text.startswith("[") and text.count("[") > text.count("]"):
            text = text[1:]
        if text == old:
            break
    return text


_MONTHS = {}
for _n, _names in enumerate([
        "january jan januar jänner janvier enero", "february feb februar février fevrier febrero",
        "march mar märz marz mars marzo", "april apr avril abril", "may mai mayo",
        "june jun juni juin junio", "july jul juli juillet julio", "august aug août aout agosto",
        "september sep sept septembre septiembre setiembre", "october oct oktober octobre octubre",
        "november nov novembre noviembre", "december dec dezember décembre decembre diciembre"], 1):
    for _w in _names.split():
        _MONTHS[_w] = _n

_ISO = re.compile(r"\b(1[5-9]\d\d|20\d\d)-(\d{1,2})(?:-(\d{1,2}))?\b")
_DMY = re.compile(r"\b(\d{1,2})\.\s*(\d{1,2})\.\s*(1[5-9]\d\d|20\d\d)\b")
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")
_WORD = re.compile(r"[^\W\d_]+\.?")
_RANGE = re.compile(r"\d+\s*[-‑–—]\s*\d+")


def parse_date(text: str) -> dict | None:
    """A CSL date from "2006-12-05", "5 December 2006", "December 5, 2006", "3. Mai 2010", "(2012)"; None without a year."""
    text = _MARK.sub("", text)
    m = _ISO.search(text)
    if m and 1 <= int(m.group(2)) <= 12:
        parts = [int(m.group(1)), int(m.group(2))] + ([int(m.group(3))] if m.group(3) else [])
        return {"date-parts": [parts]}
    m = _DMY.search(text)
    if m and 1 <= int(m.group(2)) <= 12:
        return {"date-parts": [[int(m.group(3)), int(m.group(2)), int(m.group(1))]]}
    years = _YEAR.findall(_RANGE.sub(" ", text)) or _YEAR.findall(text)  # "1952-1962, December 1992": not a page range
    if not years:
        return None
    year = int(years[0])
    month = next((_MONTHS[w.rstrip(".").casefold()] for w in _WORD.findall(text)
                  if w.rstrip(".").casefold() in _MONTHS), None)
    if month is None:
        return {"date-parts": [[year]]}
    day = None
    around = re.search(r"(?<!\d)(\d{1,2})(?:\.|st|nd|rd|th|er)?\s+(?:de\s+)?[^\W\d_]+\.?\s+(?:de\s+)?" + years[0], text) \
        or re.search(r"[^\W\d_]+\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+" + years[0], text)
    if around and 1 <= int(around.group(1)) <= 31:
        day = int(around.group(1))
    return {"date-parts": [[year, month] + ([day] if day else [])]}


_ACCESS_WORDING = re.compile(
    r"^\W*(?:retrieved(?:\s+on)?|accessed(?:\s+on)?|last\s+accessed|abgerufen(?:\s+am)?|zugriff(?:\s+am)?|"
    r"consulté\s+le|consulte\s+le|consulté|consultado(?:\s+el)?|visited(?:\s+on)?|archived(?:\s+from)?)\b\W*", re.I)

# ---- names ------------------------------------------------------------------------

_PARTICLES = {"de", "di", "da", "del", "della", "dos", "das", "du", "van", "von", "der", "den", "la", "le",
              "ten", "ter", "bin", "ibn", "al", "van der", "von der", "de la"}
_SUFFIXES = {"jr.", "jr", "sr.", "sr", "ii", "iii", "iv"}
_BODIES = {"department", "ministry", "office", "arsenal", "university", "institute", "institut", "council",
           "association", "society", "committee", "commission", "agency", "bureau", "corporation", "company",
           "government", "army", "navy", "museum", "library", "school", "foundation", "organization",
           "organisation", "service", "board", "center", "centre", "club", "union", "party", "league",
           "federation", "bank", "archives", "group", "inc", "inc.", "ltd", "ltd.", "press", "staff",
           "administration", "authority", "court", "parliament", "senate", "team", "network", "news",
           "reuters", "bbc", "unesco", "nasa", "who", "ministerium", "amt", "bundesamt", "verein", "gesellschaft",
           "observatory", "laboratory", "survey", "station", "census", "nations", "academy", "project",
           "initiative", "times", "journal", "magazine", "records", "studios", "ministère", "ministerio"}
_NAME_NOISE = re.compile(
    r"(?<!\w)(?:et\s+al\.?|u\.\s*a\.|and\s+others|y\s+otros|et\s+autres|(?:\()?(?:eds?|hrsg|éds?|dir|coord|comp|trans|tr|übers)\.?(?:\))?"
    r"|edited\s+by|translated\s+by|herausgegeben\s+von|by|von|par|por|with)(?=\W|$)", re.I)
_INITIALS = re.compile(r"^(?:[A-ZÀ-Þ]\.?[-‐]?)+$|^[A-ZÀ-Þ]{1,3}$")


def _is_initials(part: str) -> bool:
    words = part.split()
    return bool(words) and all(_INITIALS.match(w) for w in words)


def _one_name(name: str) -> dict | None:
    name = name.strip(" ,.;:") if not re.search(r"\b[A-Z]\.$", name.strip(" ,;:")) else name.strip(" ,;:")
    words = name.split()
    if not words:
        return None
    low = [w.casefold().strip(".,") for w in words]
    if any(w in _BODIES for w in low) or (len(words) > 2 and any(w in ("of", "the", "for", "für", "and", "und")
                                                                   for w in low[1:-1]) and not _is_initials(words[-1])):
        return {"literal": name}
    if len(words) == 1:
        return {"family": words[0]}
    if _is_initials(words[-1]) and not _is_initials(words[0]):  # "Peters OA", "Heidegger M."
        return {"family": " ".join(words[:-1]), "given": words[-1]}
    cut = len(words) - 1
    if low[cut] in _SUFFIXES and cut > 1:
        cut -= 1
    while cut > 0 and low[cut - 1] in _PARTICLES:
        cut -= 1
    family = " ".join(words[cut:])
    given = " ".join(words[:cut])
    return {"family": family, "given": given} if given else {"family": family}


_DITTO = re.compile(r"^\s*([-‐‑‒–—―_]{2,}|[—―])\s*[.,:;]?\s*$")


def split_names(text: str) -> list[dict]:
    """CSL names from "Romero, C., Paunesku, D., & Dweck, C.", "Norman Polmar, Thomas B. Allen", "Green u. a."."""
    m = _DITTO.match(text)
    if m:  # "———." in a reference list: the author of the entry before, kept as written
        return [{"literal": m.group(1)}]
    written = text.rstrip(" ,;:*_)")
    text = _plain(_NAME_NOISE.sub(" ", _MARK.sub("", text)).replace("()", " "))
    text = re.sub(r"\s*\((?:[^()]*)\)\s*", " ", text).strip()
    text = re.sub(r"^(?:in|dans|en)\s*:\s*", "", text, flags=re.I)  # "edited by In: Laurent Gizon"
    if ";" not in text and not re.search(r"\b[A-Z]\.", text) and any(
            w.casefold().strip(".,") in _BODIES for w in text.split()):
        return [{"literal": text.strip(" ,.")}]  # "George Washington University, School of Engineering and …"
    if written.endswith(".") and re.search(r"(?:^|[\s.-])[A-ZÀ-Þ]$", text):
        text += "."  # the stripped period was an initial's
    if not text:
        return []
    people: list[dict] = []
    for group in re.split(r"\s*;\s*|\s+(?:and|&|und|et|y|e)\s+|,\s*(?:and|&|und|et|y)\s+", text):
        parts = [p.strip() for p in group.split(",") if p.strip()]
        i = 0
        while i < len(parts):
            part = parts[i]
            nxt = parts[i + 1] if i + 1 < len(parts) else ""
            if nxt and len(part.split()) <= 3 and (_is_initials(nxt) or (len(part.split()) == 1 and
                                                                          len(nxt.split()) <= 2 and
                                                                          not _is_initials(part))):
                if nxt.casefold().strip(".") in _SUFFIXES:
                    person = _one_name(part)
                else:
                    person = {"family": part.strip(" ."), "given": nxt}
                i += 2
            else:
                person = _one_name(part)
                i += 1
            if person and sum(c.isalpha() for c in "".join(str(v) for v in person.values())) >= 2:
                people.append(person)
    return people[:40]


# ---- normalisation ----------------------------------------------------------------

_PAGES_WORD = re.compile(r"^\W*(?:pages?|p[áa]ginas?|p[áa]gs?|pgs|pg|pp|p|seiten?|ss|s|ff|f)\.?\s*", re.I)
_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+)")
_ISBN_TEXT = re.compile(r"(?:ISBN(?:-1[03])?:?\s*)([\d][\d\- ]{8,16}[\dXx])")
_NEWS = re.compile(r"\b(?:times|news|post|herald|tribune|gazette|journal|daily|guardian|telegraph|observer|"
                   r"zeitung|dawn|reuters|associated press|bbc|cnn|spiegel|monde|país|chronicle|independent)\b", re.I)
_REPORT = re.compile(r"\b(?:report|technical|working paper|bericht|rapport|informe|manual|field manual|"
                     r"white paper|memorandum|TM|FM)\b", re.I)
_THESIS = re.compile(r"\b(?:thesis|dissertation|diss\.|doktorarbeit|thèse|tesis|phd|ph\.d)\b", re.I)
_SITE = re.compile(r"(?:^|\s)(?:[\w-]+\.)+[a-z]{2,}$|\b(?:wikipedia|britannica|website|web site|blog|imdb)\b", re.I)


_PAGE_THEN_YEAR = re.compile(r"^\W*\d{1,4},\s+((?:1[5-9]\d\d|20\d\d)\W*)$")
_VOLUME_YEAR = re.compile(r"\((1[5-9]\d\d|20\d\d)(?:[-/–]\d{2,4})?\)|\b\d{1,2}[/.]\d{1,2}[/.](1[5-9]\d\d|20\d\d)\b")


def _spans(labels: list[str], tokens: list[str]) -> list[tuple[str, list[str]]]:
    out: list[tuple[str, list[str]]] = []
    for y, t in zip(labels, tokens):
        if out and out[-1][0] == y:
            out[-1][1].append(t)
        else:
            out.append((y, [t]))
    return out


def _locator(text: str) -> str:
    body = _PAGES_WORD.sub("", _plain(text)).strip(" .")
    if not re.match(r"(?:\d|[ivxlc]+\b)", body, re.I):
        return ""  # "Fußnote 16", "game 620": not a page
    many = bool(re.search(r"[-–—,]|\bf{1,2}\b", body))
    return ("pp. " if many else "p. ") + body.replace("--", "–")


def _isbn_of(text: str) -> str:
    for m in _ISBN_TEXT.finditer(text):
        try:
            return _isbn.format(_isbn.validate(m.group(1)))
        except ValidationError:
            continue
    return ""


def _doi_of(text: str) -> str:
    """A DOI's canonical form (python-stdnum has no DOI module: its syntax, ISO 26324, is checked here)."""
    m = _DOI.search(text)
    if not m:
        return ""
    doi = m.group(1).rstrip(".,;)]*")
    return doi if re.fullmatch(r"10\.\d{4,9}/[\x21-\x7e]+", doi) else ""


def normalise(tokens: list[str], labels: list[str], probs: list[float]) -> dict:
    """One citation's labelled tokens as a typed CSL item (with the private keys of the module rule)."""
    raw = " ".join(tokens)
    spans = _spans(labels, tokens)
    first: dict[str, list[str]] = {}
    for y, toks in spans:
        if y in ("author", "editor", "translator") and y in first and first.get("_last") == [y]:
            first[y] += toks
        first.setdefault(y, list(toks))
        first["_last"] = [y]
    item: dict = {}
    url = ""
    title_toks = first.get("title", [])
    if title_toks:
        joined = " ".join(title_toks)
        m = LINK_END.search(joined)
        if m and joined.lstrip("*\"“'(").startswith("["):
            url = m.group(1).strip("<>")
        item["title"] = _plain(_join(title_toks))
    if "url" in first:
        url = url or link_url(" ".join(first["url"])) or _plain(_join(first["url"]))
    if not url:
        url = next((u for u in (link_url(t) for t in tokens) if u), "")
    if url and re.match(r"(?:https?|ftp)://|www\.", url, re.I):
        item["URL"] = url
    for role in ("author", "editor", "translator"):
        if role in first:
            names = split_names(_join(first[role]))
            if names:
                item[role] = names
    container = first.get("journal") or first.get("container-title")
    if container:
        text = re.sub(r"^(?:in|dans|en)\s*:?\s+", "", _plain(_join(container)), flags=re.I)
        text = re.sub(r"(?:'s|’s)?(?:\s+(?:website|web site|site))?$", "", text, flags=re.I)
        if text:
            item["container-title"] = text
    for y, key in (("publisher", "publisher"), ("location", "publisher-place"), ("volume", "volume"),
                   ("edition", "edition"), ("genre", "genre"), ("collection-title", "collection-title"),
                   ("medium", "medium")):
        if y in first:
            text = _plain(_join(first[y]))
            if y == "volume":
                text = re.sub(r"^(?:vol|bd|band|no|nr|tome|t|issue|heft)\.?\s*", "", text, flags=re.I)
            if text:
                item[key] = text
    date = None
    for text in (_join(toks) for y, toks in spans if y == "date"):  # "Cortázar, Julio. … 1963.": the span with a year
        text = _PAGE_THEN_YEAR.sub(r"\1", text)  # "1607, 2000.": a page the labeller took in, then the year
        date = parse_date(text)
        if date:
            break
    if date is None:  # "Victorian Studies 42 (1999/2000): 358": the year given with the volume
        for text in (_join(toks) for y, toks in spans if y == "volume"):
            m = _VOLUME_YEAR.search(text)
            if m:
                date = {"date-parts": [[int(m.group(1) or m.group(2))]]}
                break
    if date:
        item["issued"] = date
    if "accessed" in first:
        text = _ACCESS_WORDING.sub("", _join(first["accessed"]))
        date = parse_date(text)
        if date:
            item["accessed"] = date
    isbn = _isbn_of(_join(first.get("isbn", [])) if "isbn" in first else raw) or _isbn_of(raw)
    if isbn:
        item["ISBN"] = isbn
    doi = _doi_of(_join(first["doi"])) if "doi" in first else _doi_of(raw)
    if doi:
        item["DOI"] = doi
    if "pages" in first:
        loc = _locator(_join(first["pages"]))
        if loc:
            item["_locator"] = loc
    item["type"] = _type_of(item, first)
    if item["type"] in ("article-journal", "chapter", "article-magazine") and "_locator" in item:
        item["page"] = item["_locator"].split(" ", 1)[1]
    item["_raw"] = raw
    item["_confidence"] = round(sum(probs) / len(probs), 4) if probs else 0.0
    if "title" not in item and ("author" in item or "editor" in item):
        item["_short"] = True
    return item


def _type_of(item: dict, first: dict[str, list[str]]) -> str:
    """The CSL type: a book is never a web page; a web page needs a URL or a site that looks like one."""
    title = item.get("title", "")
    genre = item.get("genre", "")
    if _THESIS.search(genre):
        return "thesis"
    if "journal" in first or ("container-title" in item and "volume" in item):
        return "article-journal"
    if "container-title" in item and "URL" not in item and ("editor" in item or re.match(
            r"^\W*(?:in|dans|en)\b", _join(first.get("container-title", [])), re.I)):
        return "chapter"
    if _REPORT.search(genre) or _REPORT.match(title):
        return "report"
    bookish = any(k in item for k in ("publisher", "publisher-place", "ISBN", "edition"))
    if bookish:
        return "book"
    if "container-title" in item:
        if _NEWS.search(item["container-title"]) and not _SITE.search(item["container-title"]):
            return "article-newspaper"
        if "URL" in item or _SITE.search(item["container-title"]) or not any(
                k in item for k in ("author", "editor", "volume", "issued")):
            return "webpage"  # "Site: Page title"
        return "article"
    if "URL" in item and "title" in item and "author" not in item:
        return "webpage"
    if "URL" in item and "title" not in item and "author" not in item:
        return "webpage"
    if "author" in item or "editor" in item:
        return "book"
    return "document"


def as_written(text: str, confidence: float = 0.0) -> dict:
    """A citation the parser is not sure of, listed as written."""
    plain = re.sub(r"\[([^\]]*)\]\([^)\s]*\)", r"\1", text)  # a link as its text
    plain = " ".join(re.sub(r"\\([\\`*_{}\[\]()#+\-.!|<>\"'])", r"\1", _MARK.sub("", plain)).split()) or text
    short = plain if len(plain) <= 100 else plain[:100].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"
    item = {"type": "document", "title": short, "note": plain, "_raw": text, "_unparsed": True,
            "_confidence": confidence}
    urls = {u for u in (link_url(t) for t in text.split()) if re.match(r"(?:https?|ftp)://", u)}
    if len(urls) == 1:  # a link is no guess: the one URL of the text stays with it
        item["URL"] = urls.pop()
    return item


def _title_alone(item: dict, tokens: list[str], labels: list[str]) -> bool:
    """A title with nothing else to show it is one (no name, date, URL, site or publisher), and not set off as one."""
    if any(k in item for k in ("author", "editor", "URL", "issued", "container-title", "publisher", "ISBN", "DOI")):
        return False
    words = [display(t) for t, y in zip(tokens, labels) if y == "title"]
    set_off = bool(words) and (_EM_OPEN.match(words[0]) is not None or words[0][:1] in "\"“„«'‘")
    return not (set_off and 2 <= len(words) <= 30)


@lru_cache(maxsize=50_000)  # the same note recurs ("Ibid.", "Rottman: The Bazooka, S. 29" with other pages)
def _parse_cached(text: str) -> tuple[dict, ...]:
    lab = label(text)
    items = []
    spans = segments(lab)
    for start, end in spans:
        item = normalise(lab.tokens[start:end], lab.labels[start:end], lab.probs[start:end])
        if not any(k in item for k in ("title", "author", "editor", "URL")):
            continue  # a date, pages or a name of a periodical alone: nothing to cite
        if item["_confidence"] < CONFIDENCE or _title_alone(item, lab.tokens[start:end], lab.labels[start:end]):
            # one citation in the note: the note as written, commentary and all, as it stands
            item = as_written(text if len(spans) == 1 else item["_raw"], item["_confidence"])
        items.append(item)
    return tuple(items)


def parse(text: str) -> list[dict]:
    """The CSL items (with private keys) a note's Markdown text cites; [] for commentary."""
    text = " ".join(str(text or "").split())
    if not text:
        return []
    return [dict(item) for item in _parse_cached(text)]


def public(item: dict, id: str) -> dict:  # noqa: A002 - CSL's own name
    """The item as CSL-JSON: an id, no private keys."""
    out = {"id": id}
    out.update((k, v) for k, v in item.items() if not k.startswith("_"))
    return out
