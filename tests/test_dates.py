"""One date reader: the chat's walkthrough and ``check --set`` accept and refuse the same dates."""

from __future__ import annotations

import datetime as dt

import pytest

import bot.walkthrough as wt
from dossier_checker.answers import AnswerError, parse_answer
from dossier_checker.spec import FieldSpec, load_specs
from knowledge.dates import DateProblem, find_dates, read_date

FAR_FUTURE = dt.date(2020, 1, 1)  # "today" for the chat: every date below is after it


def _date_field() -> FieldSpec:
    spec = load_specs()["modification"]
    return next(f for f in spec.fields if f.type == "date")


@pytest.mark.parametrize(
    "typed",
    ["15 septembre 2031", "15/09/2031", "2031-09-15", "15.09.2031", "September 15, 2031", "15 sept. 2031"],
)
def test_chat_and_command_line_read_the_same_date(typed: str) -> None:
    field = _date_field()
    assert parse_answer(field, typed) == "2031-09-15"
    assert wt.read_answer(field, typed, today=FAR_FUTURE) == wt.Accepted("2031-09-15")


@pytest.mark.parametrize("typed", ["31/02/2031", "15 brumaire 2031", "demain", "15/13/2031"])
def test_chat_and_command_line_refuse_the_same_non_dates(typed: str) -> None:
    field = _date_field()
    assert isinstance(parse_answer(field, typed), AnswerError)
    assert isinstance(wt.read_answer(field, typed, today=FAR_FUTURE), wt.Rejected)
    assert isinstance(read_date(typed), DateProblem)


def test_a_sentence_and_an_answer_use_the_same_month_names() -> None:
    assert find_dates("depuis le 3 avr. 2024 et le 1er juil 2024", "fr") == [
        dt.date(2024, 4, 3),
        dt.date(2024, 7, 1),
    ]
    assert read_date("3 avr 2024") == dt.date(2024, 4, 3)
