"""Entities in a message: article references, categories of article 2, headcounts, dates, durations, studies."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from knowledge.dates import MONTH_NAMES as MONTH_NAMES  # read by the NLU's unknown-word filter
from knowledge.dates import DateSpan as DateSpan  # a date in a message, where it is written
from knowledge.dates import find_date_spans as find_date_spans
from knowledge.dates import find_dates as find_dates
from knowledge.text import word_names, word_set
from nlu.lexicon import Lexicon, find_phrases
from nlu.numbers import read_int
from nlu.text import fold, number_value, tokens


@dataclass(frozen=True)
class ArticleRef:
    """A reference to an article, maybe to one of its parts ('6 d)', '2 5°'), maybe in another text."""

    number: str
    part: str | None = None
    text_id: str | None = None
    surface: str = ""


@dataclass(frozen=True)
class CategoryMention:
    """A category of article 2 named in the message, in any wording."""

    number: int
    surface: str
    score: float


@dataclass(frozen=True)
class Duration:
    """A length of time: amount and unit (day, week, month, year, hour)."""

    amount: int
    unit: str
    surface: str


@dataclass(frozen=True)
class Entities:
    """Everything the NLU found in one message."""

    articles: tuple[ArticleRef, ...] = ()
    categories: tuple[CategoryMention, ...] = ()
    headcounts: tuple[int, ...] = ()
    dates: tuple[dt.date, ...] = ()
    durations: tuple[Duration, ...] = ()
    study_years: int | None = None
    third_cycle: bool = False
    on_site_inspection: bool = False
    procedure: str | None = None  # opening | modification | transfer | extension
    partial_transfer: bool = False  # "transfert d'une partie de l'établissement" (art. 21)
    texts: tuple[str, ...] = field(default=())  # other texts named: "code-de-la-sante-publique"

    @property
    def category(self) -> int | None:
        """Return the first category named, if any."""
        return self.categories[0].number if self.categories else None

    @property
    def headcount(self) -> int | None:
        """Return the first headcount given, if any."""
        return self.headcounts[0] if self.headcounts else None

    @property
    def date(self) -> dt.date | None:
        """Return the first date given, if any."""
        return self.dates[0] if self.dates else None


# --- article references -----------------------------------------------------------------------------

# "1240-1" (a code's inserted article) is a number of its own; the decree's numbers have no hyphen.
_NUM = r"(?:premier|1er|\d{3,4}(?:-\d{1,3}){1,3}(?![\d/-])|\d{1,4}(?![\d/-]))"
_CODE_NUM = r"(?:[lrda]\.?\s?\d{1,4}(?:-\d+){1,3})"
_ITEM = r"(?:(?:[ivx]+\s*-?\s*)?\d{1,2}\s*°\s*(?:[a-h]\))?|[a-h]\)|(?:al(?:inea)?\.?|paragraphe?)\s*\d{1,2}|[ivx]+\b)"
_ARTICLE = re.compile(
    rf"\b(?:articles?|art)\b\.?\s*(?P<num>{_CODE_NUM}|{_NUM})(?:\s*,?\s*(?P<part>{_ITEM}))?",
    re.I,
)
_ITEM_OF = re.compile(
    rf"(?P<part>\d{{1,2}}\s*°\s*(?:[a-h]\))?|\b[a-h]\))\s*(?:de|du)\s+(?:l\s*'?\s*)?(?:article|art\.?)\s*(?P<num>{_NUM})",
    re.I,
)
_BARE_ITEM = re.compile(r"^\s*(?P<num>\d{1,2})\s*(?P<part>[a-h]\)|\d{1,2}\s*°)\s*\??$", re.I)
_BARE_CODE = re.compile(r"\b(?P<num>[lrd]\.?\s?\d{3,4}(?:-\d+){1,3})\b", re.I)


def _part_label(raw: str | None) -> str | None:
    if not raw:
        return None
    text = raw.strip().lower()
    m = re.fullmatch(r"(?:al(?:inea)?\.?|paragraphe?)\s*(\d+)", text)
    if m:
        return f"al. {m.group(1)}"
    text = re.sub(r"\s*°\s*", "° ", text).replace(" -", " ").strip()
    text = re.sub(r"^([ivx]+)\b", lambda r: r.group(1).upper(), text)
    return re.sub(r"\s+", " ", text).strip()


def _number(raw: str) -> str:
    raw = raw.strip().lower()
    if raw in {"premier", "1er"}:
        return "1"
    m = re.fullmatch(r"([lrda])\.?\s?(\d.*)", raw)
    if m:
        return m.group(1).upper() + m.group(2)
    value = read_int(raw) if raw.isdigit() else None
    return str(value) if value is not None else raw


def find_article_refs(text: str) -> list[ArticleRef]:
    """Find 'art 14', "l'article premier", '6 d)', 'le 5° de l'article 2', 'R4211-63' in a message."""
    folded = fold(text)
    refs: list[ArticleRef] = []
    taken: list[tuple[int, int]] = []

    def add(number: str, part: str | None, span: tuple[int, int], surface: str) -> None:
        if any(span[0] < end and start < span[1] for start, end in taken):
            return
        taken.append(span)
        refs.append(ArticleRef(_number(number), _part_label(part), None, surface))

    for m in _ITEM_OF.finditer(folded):
        add(m.group("num"), m.group("part"), m.span(), m.group(0))
    for m in _ARTICLE.finditer(folded):
        add(m.group("num"), m.group("part"), m.span(), m.group(0))
    bare = _BARE_ITEM.match(folded)
    if bare:
        add(bare.group("num"), bare.group("part"), bare.span(), bare.group(0))
    for m in _BARE_CODE.finditer(folded):
        add(m.group("num"), None, m.span(), m.group(0))
    return sorted(refs, key=lambda r: folded.find(fold(r.surface)))


# --- categories of article 2 ------------------------------------------------------------------------


@cache
def _category_phrases() -> tuple[tuple[str, tuple[str, ...]], ...]:
    from knowledge.facts import load_facts

    phrases: list[tuple[str, tuple[str, ...]]] = []
    for category in load_facts().categories:
        for alias in (*category.aliases, category.name.fr, category.name.en):
            words = tuple(tokens(alias))
            if words:
                phrases.append((str(category.number), words))
    return tuple(phrases)


_CATEGORY_NUMBER = re.compile(
    r"\b(?:categorie|category|cat\.?)\s*(\d{1,2})\b|(?<![\d,])\b(\d{1,2})\s*°(?!\s*(?:de|du)\s)"
)


_VERB_ENDING = re.compile(r"(?:er|ez|ons)$")


# English names of categories that are French verbs ("peut-on exporter des médicaments ?").
_FRENCH_VERBS = frozenset({"importer", "exporter"})
_DETERMINERS = word_set("determiners")


def find_categories(words: Sequence[str], folded: str, lang: str = "fr") -> list[CategoryMention]:
    """Find the categories of article 2 named in a message ('grossiste', 'wholesaler', 'catégorie 5')."""
    found: list[CategoryMention] = []
    for match in find_phrases(words, _category_phrases(), fuzzy=True, cutoff=88.0):
        number = int(match.key)
        one_word = match.end - match.start == 1
        word = words[match.start]
        after_determiner = match.start > 0 and words[match.start - 1] in _DETERMINERS
        # "distribuer" is close to "distributeur", and in French "exporter" is the verb unless a determiner
        # makes it the English noun: a verb names an activity, not who does it.
        if one_word and match.score < 100 and _VERB_ENDING.search(word):
            continue
        if one_word and lang == "fr" and word in _FRENCH_VERBS and not after_determiner:
            continue
        if all(c.number != number for c in found):
            found.append(CategoryMention(number, " ".join(words[match.start : match.end]), match.score))
    for m in _CATEGORY_NUMBER.finditer(folded):
        value = int(m.group(1) or m.group(2))
        if 1 <= value <= 14 and all(c.number != value for c in found):
            found.append(CategoryMention(value, m.group(0), 100.0))
    if len(found) > 1 and _BACK_REFERENCE.search(folded):
        # "Vous m'avez donné le barème pour un fabricant. Pour un dépositaire ?": the category named first is the
        # one already answered; the question is about the last one.
        found.reverse()
    return found


# Words that point back at an earlier answer: the categories they name come before the one asked about.
_BACK_REFERENCE = re.compile(
    r"\b(?:vous m'?\s?avez|tu m'?\s?as|vous (?:avez|aviez) (?:dit|parle|donne|indique)|comme (?:vous|tu) (?:disiez|disais)|"
    r"you (?:gave|told|said|mentioned|explained)|following up|as you said|earlier you|you just)\b"
)


# --- numbers: headcounts, durations, study length ---------------------------------------------------

_NUMBER_TOKEN = r"(?:\d{1,6}|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|one|two|three|four|five|seven|eight|nine|ten)"
_UNITS = word_names("duration_units")
_DURATION = re.compile(
    rf"\b(?P<n>{_NUMBER_TOKEN})[\s-]*(?P<u>{'|'.join(sorted(_UNITS, key=len, reverse=True))})\b"
)
_STUDY_AFTER = re.compile(
    r"^\s*(?:d\s*'?\s*|de\s+|of\s+)?(?:etudes?|study|studies|degree|cursus|formation|university)"
)
_STUDY_BEFORE = re.compile(
    rf"(?:etudes?|studies|study|degree|cursus|formation)\s+(?:superieures\s+)?(?:de|of|en|in)?\s*(?P<n>{_NUMBER_TOKEN})\s*(?:ans|annees|years?)\b"
)
_BAC_PLUS = re.compile(r"\bbac\s*\+\s*(?P<n>\d)\b")
# A number of years is a length of study when a word of study sits within a few words of it and no word of
# practice lies between ("a six-year pharmacy degree", "cursus de 7 ans", "studied pharmacy for six years",
# "doctorat (6 ans)"), not when it is experience ("6 ans d'expérience après mes études").
_STUDY_WORD = re.compile(
    r"\b(?:etud\w*|study|studies|studied|degree|diplom\w*|cursus|formation|universit\w*|fac|faculte|school|"
    r"doctorat\w*|doctorate|phd|master|dvm|pharmd|curriculum|course|programme|program)\b"
)
_PRACTICE_WORD = re.compile(
    r"\b(?:experience\w*|travail\w*|worked|working|work|poste|job|stage|internship|employ\w*|labo\w*|lab|"
    r"chez|usine|plant|site|entreprise|company|etablissement|establishment|fabricant|manufacturer|officine)\b"
)
_STUDY_SPAN = 40  # characters on each side of a number of years


def find_durations(folded: str) -> tuple[list[Duration], int | None]:
    """Return the durations of a message, and the length of study when one is given ('5 ans d'études')."""
    durations: list[Duration] = []
    study: int | None = None
    for m in _DURATION.finditer(folded):
        value = number_value(m.group("n"))
        if value is None:
            continue
        unit = _UNITS[m.group("u")]
        if unit == "year" and (
            _STUDY_AFTER.match(folded[m.end() :]) or _near_study(folded, m.start(), m.end())
        ):
            study = value
            continue
        durations.append(Duration(value, unit, m.group(0)))
    if study is None:
        m2 = _STUDY_BEFORE.search(folded) or _BAC_PLUS.search(folded)
        if m2:
            study = number_value(m2.group("n"))
            durations = [d for d in durations if d.surface not in m2.group(0)]
    return durations, study


def _near_study(folded: str, start: int, end: int) -> bool:
    """Tell whether a number of years at this place is a length of study (a study word near, no practice word)."""
    after = re.split(r"[.;?!]", folded[end : end + _STUDY_SPAN])[0]
    before = re.split(r"[.;?!]", folded[max(0, start - _STUDY_SPAN) : start])[-1]
    for side in (after, before):
        study = _STUDY_WORD.search(side)
        if study is None:
            continue
        between = side[: study.start()] if side is after else side[study.end() :]
        if not _PRACTICE_WORD.search(between):
            return True
    return False


def find_headcounts(words: Sequence[str], lexicon: Lexicon) -> list[int]:
    """Return the headcounts of a message: '150 personnes', '150 perssonnes', 'staff 200', 'effectif de 80'."""
    units = {w for p in lexicon.words("headcount_unit") for w in p.words}
    found: list[int] = []
    for i, word in enumerate(words):
        value = read_int(word) if word.isdigit() else None
        if value is None:
            continue
        after = words[i + 1 : i + 3]
        before = words[max(0, i - 3) : i]
        if (
            (after and after[0] in units)
            or (len(after) > 1 and after[0] in {"de", "d", "of"} and after[1] in units)
            or (any(b in units for b in before) and not (after and after[0] in _UNITS))
        ):
            found.append(value)
    return found


# --- other texts ----------------------------------------------------------------------------------------


_NAME_GLUE = word_set("name_glue")


def find_texts(folded: str, text_ids: Sequence[str]) -> list[str]:
    """Find the other texts (codes) a message names: 'code de la santé publique', 'CSP', 'code rural'.

    A full name wins; otherwise the longest leading part of names that says more than 'code de la' ('code
    rural' names both rural codes).
    """
    plain = " " + re.sub(r"[^a-z0-9]+", " ", folded) + " "
    found: list[str] = []
    for text_id in sorted(text_ids, key=len, reverse=True):
        name = " " + text_id.replace("-", " ") + " "
        if name in plain and all(name.strip() not in f.replace("-", " ") for f in found):
            found.append(text_id)
    if " csp " in plain and "code-de-la-sante-publique" not in found:
        found.append("code-de-la-sante-publique")
    if found:
        return found
    best: list[str] = []
    best_length = 0
    for text_id in text_ids:
        words = text_id.split("-")
        for n in range(len(words) - 1, 1, -1):
            prefix = words[:n]
            if not set(prefix[1:]) - _NAME_GLUE or f" {' '.join(prefix)} " not in plain:
                continue
            if n > best_length:
                best, best_length = [text_id], n
            elif n == best_length:
                best.append(text_id)
            break
    return sorted(best)
