"""Dates, durations, counts and ordinals in the reader's language: babel for the locale data, the catalogue for words."""

from __future__ import annotations

import datetime as dt
from typing import Any

from babel import Locale
from babel.dates import format_date as babel_date

from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, t


def locale_of(lang: str) -> str:
    """Return the catalogue language babel formats for (French when the reader's is not supported)."""
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def plural(lang: str, n: int) -> str:
    """Return the catalogue suffix for a count: 'one' or 'other', by the language's plural rule."""
    return "one" if Locale.parse(locale_of(lang)).plural_form(n) == "one" else "other"


def counted(lang: str, stem: str, n: int, **params: Any) -> str:
    """Return the message ``<stem>_one`` or ``<stem>_other`` that fits the count n, filled with n and params."""
    return t(lang, f"{stem}_{plural(lang, n)}", **{"n": n, **params})


def ordinal(n: int, lang: str) -> str:
    """Write an ordinal number: '1er', '2e' ('1st', '2nd', '3rd', '11th')."""
    return t(lang, f"calc_ordinal_{Locale.parse(locale_of(lang)).ordinal_form(n)}", n=n)


def format_date(day: dt.date, lang: str) -> str:
    """Write a date as people do: '31 mai 2026', '1er juin 2026', '31 May 2026'."""
    month = format_month(day, lang)
    return (
        t(lang, "calc_date_first", month=month)
        if day.day == 1
        else t(lang, "calc_date", day=day.day, month=month)
    )


def format_month(day: dt.date, lang: str) -> str:
    """Write a month as people do: 'mars 2024', 'March 2024'."""
    return babel_date(day, "MMMM y", locale=locale_of(lang))


def format_months(months: int, lang: str) -> str:
    """Write a duration in months as '2 ans', '1 an', '6 mois' ('2 years', '1 year', '6 months')."""
    if months % 12 == 0:
        return counted(lang, "calc_years", months // 12)
    return counted(lang, "calc_months", months)


def format_amount(amount: int, unit: str, lang: str) -> str:
    """Write a duration of the decree: '90 jours', '2 semaines', '1 an' ('90 days', '2 weeks', '1 year')."""
    if unit in {"month", "year"}:
        return format_months(amount * (12 if unit == "year" else 1), lang)
    return counted(lang, "calc_weeks" if unit == "week" else "calc_days", amount)
