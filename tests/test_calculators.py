"""Calculators follow the text of articles 5, 9, 13, 26-27 and 37-39 exactly, and cite them."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.answering.calculations import describe_deadline, describe_experience, describe_staffing
from bot.answering.wording import format_date
from knowledge.calculators import assistants_required, decision_deadline, experience_required


@pytest.mark.parametrize(
    ("category", "headcount", "assistants", "article", "part"),
    [
        # Article 37 (1° to 3°): 20-35 -> 1; 36-75 -> 2; then one more per further 40 persons.
        (1, 19, 0, "37", "a)"),
        (1, 20, 1, "37", "a)"),
        (2, 35, 1, "37", "a)"),
        (3, 36, 2, "37", "b)"),
        (1, 75, 2, "37", "b)"),
        (1, 76, 3, "37", "b)"),
        (1, 115, 3, "37", "b)"),
        (1, 116, 4, "37", "b)"),
        (1, 155, 4, "37", "b)"),
        (1, 156, 5, "37", "b)"),
        # Article 38 (4° to 10°): 40-100 -> 1; 101-175 -> 2; 176-275 -> 3; then one more per further 100.
        (4, 39, 0, "38", "a)"),
        (5, 40, 1, "38", "a)"),
        (6, 100, 1, "38", "a)"),
        (7, 101, 2, "38", "b)"),
        (5, 150, 2, "38", "b)"),
        (8, 175, 2, "38", "b)"),
        (9, 176, 3, "38", "c)"),
        (10, 275, 3, "38", "c)"),
        (5, 276, 4, "38", "c)"),
        (5, 375, 4, "38", "c)"),
        (5, 376, 5, "38", "c)"),
        (5, 1000, 11, "38", "c)"),
    ],
)
def test_assistants_follow_articles_37_and_38(
    category: int, headcount: int, assistants: int, article: str, part: str
) -> None:
    result = assistants_required(category, headcount)
    assert result.assistants == assistants
    assert result.article == article
    assert result.sources[-1].part == part


def test_the_open_ended_step_gives_the_range_it_holds_for() -> None:
    result = assistants_required(1, 120)
    assert (result.assistants, result.low, result.high, result.beyond_bands) == (4, 116, 155, True)
    text = describe_staffing(result, "fr")
    assert "et ainsi de suite par effectif de 40 personnes supplémentaires" in text
    assert "de 116 à 155 personnes" in text


@pytest.mark.parametrize("category", [11, 12, 13, 14])
def test_medicated_feed_categories_are_not_in_the_scales(category: int) -> None:
    result = assistants_required(category, 200)
    assert result.assistants is None and not result.covered
    assert result.article == "54"
    text = describe_staffing(result, "fr")
    assert "aucun nombre d'assistants" in text and "art. 54" in text


def test_below_the_threshold_none_is_required() -> None:
    assert "aucun pharmacien ou vétérinaire assistant" in describe_staffing(assistants_required(5, 12), "fr")
    assert "no assistant" in describe_staffing(assistants_required(5, 12), "en")


@pytest.mark.parametrize(
    ("category", "years", "third_cycle", "months", "article", "reduced_by"),
    [
        (1, None, False, 24, "26", None),
        (2, 4, False, 24, "26", None),
        (1, 5, False, 12, "26", "II 1°"),
        (2, 6, False, 6, "26", "II 2° a)"),
        (1, 7, False, 6, "26", "II 2° a)"),
        (1, 5, True, 6, "26", "II 2° b)"),
        (3, 5, False, 12, "26", "II 1°"),
        (4, None, False, 6, "27", None),
        (5, 6, False, 6, "27", None),
        (10, 5, True, 6, "27", None),
    ],
)
def test_experience_follows_articles_26_and_27(
    category: int, years: int | None, third_cycle: bool, months: int, article: str, reduced_by: str | None
) -> None:
    result = experience_required(category, years, third_cycle)
    assert (result.months, result.article, result.reduced_by) == (months, article, reduced_by)


def test_experience_for_medicated_feed_is_not_set_by_the_decree() -> None:
    result = experience_required(12, 6)
    assert result.months is None
    assert "11° à 14°" in describe_experience(result, "fr")


def test_experience_explains_the_reduction() -> None:
    text = describe_experience(experience_required(1, 5), "fr")
    assert "au moins 1 an" in text and "2 ans" in text and "26 II 1°" in text
    assert "at least 6 months" in describe_experience(experience_required(1, 6), "en")


def test_opening_deadline_counts_ninety_days_from_the_complete_dossier() -> None:
    result = decision_deadline("opening", dt.date(2026, 3, 2))
    assert (result.due, result.article) == (dt.date(2026, 5, 31), "5")
    text = describe_deadline(result, "fr")
    assert "31 mai 2026" in text
    assert "dossier complet et régulier" in text
    assert "suspendu" in text and "(art. 9)" in text
    assert "vaut refus" in text


def test_modification_deadline_is_thirty_days_or_ninety_with_an_inspection() -> None:
    result = decision_deadline("modification", dt.date(2026, 3, 2))
    assert (result.due, result.extended_due, result.article) == (
        dt.date(2026, 4, 1),
        dt.date(2026, 5, 31),
        "13",
    )
    text = describe_deadline(result, "en")
    assert "1 April 2026" in text and "31 May 2026" in text and "refusal" in text


def test_transfer_and_extension_follow_the_opening_delay() -> None:
    assert decision_deadline("transfer", dt.date(2026, 1, 10)).due == dt.date(2026, 4, 10)
    assert decision_deadline("transfer", dt.date(2026, 1, 10)).via[0] == "22"
    assert decision_deadline("extension", dt.date(2026, 1, 10)).via[0] == "15"


def test_dates_are_written_as_people_do() -> None:
    assert format_date(dt.date(2026, 6, 1), "fr") == "1er juin 2026"
    assert format_date(dt.date(2026, 8, 30), "fr") == "30 août 2026"
    assert format_date(dt.date(2026, 7, 9), "en") == "9 July 2026"


def test_with_an_on_site_inspection_the_extended_date_comes_first() -> None:
    text = describe_deadline(decision_deadline("modification", dt.date(2026, 3, 2)), "fr", inspection=True)
    assert text.startswith("Avec une enquête sur place")
    assert text.index("31 mai 2026") < text.index("1er avril 2026")


def test_a_transfer_deadline_says_article_22_leads_to_article_9() -> None:
    result = decision_deadline("transfer", dt.date(2026, 1, 10))
    text = describe_deadline(result, "fr")
    assert "instruite dans les conditions de l'article 9 (art. 22)" in text
    assert "renvoie à la procédure de l'article 5" not in text  # article 22 names article 9, not 5
    assert "(Article 15 applies the conditions of articles 5 and 6.)" in describe_deadline(
        decision_deadline("extension", dt.date(2026, 1, 10)), "en"
    )
