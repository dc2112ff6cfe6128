"""The one date reader for user text: dates found in a sentence, and a whole answer read as a date.

Month names in French and English, full or shortened; day first, as in Monaco (month first only in English
when day first cannot be a date); the chat's walkthrough and ``check --set`` read answers the same way.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from knowledge.text import fold_words, word_numbers

MONTHS = word_numbers("months")  # month names and abbreviations, French and English (folded)


@dataclass(frozen=True)
class DateProblem:
    """Why an answer is not a date: a message code and its parameters."""

    code: str
    params: Mapping[str, object] = field(default_factory=dict)


MONTH_NAMES = frozenset(MONTHS)  # month names and abbreviations, French and English (accents folded)
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY_MONTH_YEAR = re.compile(
    rf"\b(?P<d>\d{{1,2}}|1er)(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m>{_MONTH})\.?,?\s+(?P<y>\d{{4}})\b"
)
_MONTH_DAY_YEAR = re.compile(rf"\b(?P<m>{_MONTH})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})\b")
_NUMERIC = re.compile(r"(?<![\d/.-])(?P<a>\d{1,2})[/.-](?P<b>\d{1,2})[/.-](?P<y>\d{4})(?![\d/.-])")
_ISO = re.compile(r"(?<![\d/.-])(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?![\d/.-])")


def _date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


_DAY_MONTH = re.compile(
    rf"\b(?P<d>\d{{1,2}}|1er)(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m>{_MONTH})\b(?!\.?,?\s+\d{{4}})"
)
_MONTH_DAY = re.compile(
    rf"\b(?P<m>{_MONTH})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b(?!,?\s+\d{{4}})(?!\s*(?:h|:|ans|mois|jours|days|years))"
)


_MONTH_YEAR = re.compile(rf"(?<!\d\s)(?<!\d)\b(?P<m>{_MONTH})\.?,?\s+(?P<y>(?:19|20)\d{{2}})\b")


@dataclass(frozen=True)
class DateSpan:
    """A date in a message and where it is written (in the folded text)."""

    day: dt.date
    start: int
    end: int
    year_given: bool = True
    day_given: bool = True  # False for "mars 2019", "June 2021" (the first of the month is kept)


def find_date_spans(folded: str, lang: str) -> list[DateSpan]:
    """Find dates and their place; a date without a year ('le 16 juin') takes the year of the date before it.

    A yearless date earlier in the year than the dated one before it falls in the next year; with no dated
    one before, the next dated one gives the year; with none at all, it is no date (no guess).
    """
    found = _full_dates(folded, lang)
    taken = [(s.start, s.end) for s in found]
    found += _month_years(folded, taken)
    dated = sorted(found, key=lambda s: s.start)
    for start, end, month, day in sorted(_yearless(folded, taken)):
        d = _anchored(dated, start, month, day)
        if d is not None:
            span = DateSpan(d, start, end, year_given=False)
            found.append(span)
            dated = sorted([*dated, span], key=lambda s: s.start)
    return sorted(found, key=lambda s: s.start)


def _day(text: str) -> int:
    return 1 if text == "1er" else int(text)


def _full_dates(folded: str, lang: str) -> list[DateSpan]:
    """Find the dates written with day, month and year."""
    found: list[DateSpan] = []
    candidates = [
        *((m, _date(int(m["y"]), MONTHS[m["m"]], _day(m["d"]))) for m in _DAY_MONTH_YEAR.finditer(folded)),
        *((m, _date(int(m["y"]), MONTHS[m["m"]], int(m["d"]))) for m in _MONTH_DAY_YEAR.finditer(folded)),
        *((m, _date(int(m["y"]), int(m["m"]), int(m["d"]))) for m in _ISO.finditer(folded)),
    ]
    for m in _NUMERIC.finditer(folded):
        a, b, year = int(m["a"]), int(m["b"]), int(m["y"])
        # Day first (Monaco, France); month first only in English when day first cannot be a date.
        candidates.append((m, _date(year, b, a) or (_date(year, a, b) if lang == "en" else None)))
    for m, d in candidates:
        if d:
            found.append(DateSpan(d, m.start(), m.end()))
    return found


def _overlaps(m: re.Match[str], taken: list[tuple[int, int]]) -> bool:
    return any(m.start() < end and start < m.end() for start, end in taken)


def _month_years(folded: str, taken: list[tuple[int, int]]) -> list[DateSpan]:
    """Find "mars 2019", "June 2021" outside the full dates (the first of the month is kept); mark them taken."""
    found = []
    for m in _MONTH_YEAR.finditer(folded):
        d = None if _overlaps(m, taken) else _date(int(m["y"]), MONTHS[m["m"]], 1)
        if d:
            found.append(DateSpan(d, m.start(), m.end(), day_given=False))
            taken.append((m.start(), m.end()))
    return found


def _yearless(folded: str, taken: list[tuple[int, int]]) -> list[tuple[int, int, int, int]]:
    """Find "le 16 juin", "June 16" outside the dates found: (start, end, month, day)."""
    found = []
    for pattern in (_DAY_MONTH, _MONTH_DAY):
        for m in pattern.finditer(folded):
            if not _overlaps(m, taken):
                found.append((m.start(), m.end(), MONTHS[m["m"]], _day(m["d"])))
                taken.append((m.start(), m.end()))
    return found


def _anchored(dated: list[DateSpan], start: int, month: int, day: int) -> dt.date | None:
    """Give a yearless date the year of the dated one before it (or after it); none: no date."""
    before = [s for s in dated if s.start < start]
    after = [s for s in dated if s.start > start]
    if before:
        anchor = before[-1].day
        d = _date(anchor.year, month, day)
        return _date(anchor.year + 1, month, day) if d is not None and d < anchor else d
    if after:
        anchor = after[0].day
        d = _date(anchor.year, month, day)
        return _date(anchor.year - 1, month, day) if d is not None and d > anchor else d
    return None


def find_dates(folded: str, lang: str) -> list[dt.date]:
    """Find dates: '2 mars 2026', '1er juin 2026', '02/03/2026', 'March 2, 2026', '2026-03-02'."""
    seen: list[dt.date] = []
    for span in find_date_spans(folded, lang):
        if span.year_given and span.day_given and span.day not in seen:
            seen.append(span.day)
    return seen


def read_date(text: str) -> dt.date | DateProblem:
    """Read a whole answer that is a date, typed as 15/09/2026, 2026-09-15, 15.09.26, "15 septembre 2026" or "September 15, 2026"."""
    folded = fold_words(text, keep="°_").replace("1er", "1")
    numeric = re.fullmatch(r"(\d{1,2})\s*[/.\- ]\s*(\d{1,2})\s*[/.\- ]\s*(\d{2}|\d{4})", text, re.ASCII)
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text, re.ASCII)
    day = month = year = None
    if iso:
        year, month, day = (int(g) for g in iso.groups())
    elif numeric:
        day, month, year = (int(g) for g in numeric.groups())
    else:
        words = re.fullmatch(r"(?:le )?(\d{1,2}) ([a-z]+)\.? (\d{4})", folded, re.ASCII)
        english = re.fullmatch(r"([a-z]+)\.? (\d{1,2})(?:st|nd|rd|th)? (\d{4})", folded, re.ASCII)
        if words and words.group(2) in MONTHS:
            day, month, year = int(words.group(1)), MONTHS[words.group(2)], int(words.group(3))
        elif english and english.group(1) in MONTHS:
            day, month, year = int(english.group(2)), MONTHS[english.group(1)], int(english.group(3))
        else:
            return DateProblem("invalid_date")
    if year < 100:
        year += 2000
    if not 1 <= month <= 12:
        return DateProblem("invalid_date_month", {"answer": text})
    if not 1900 <= year <= 2200:
        return DateProblem("invalid_date_year", {"answer": text})
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        return DateProblem("invalid_date_day", {"answer": text, "days": last, "month": month, "year": year})
    return dt.date(year, month, day)
