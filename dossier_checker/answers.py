"""Answers typed as text (CLI ``--set``, chat): parsed by the type of their field."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from dossier_checker.conditions import as_bool, same
from dossier_checker.spec import FieldSpec
from knowledge.dates import DateProblem, read_date


@dataclass(frozen=True)
class AnswerError:
    """Why a typed answer does not fit its field."""

    field: str
    reason: str


def _yes_no(spec_field: FieldSpec, text: str) -> object | AnswerError:
    value = as_bool(text)
    return value if value is not None else AnswerError(spec_field.id, "expected yes or no")


def _choice(spec_field: FieldSpec, text: str) -> object | AnswerError:
    choice = spec_field.choice(text) or next(
        (c for c in spec_field.choices if any(same(lbl, text) for lbl in c.label.values())), None
    )
    if choice is None:
        allowed = ", ".join(c.value for c in spec_field.choices)
        return AnswerError(spec_field.id, f"expected one of: {allowed}")
    return choice.value


def _categories(spec_field: FieldSpec, text: str) -> object | AnswerError:
    values = [v.strip().rstrip("°").strip() for v in re.split(r"[,;\s]+", text) if v.strip()]
    known = {c.value for c in spec_field.choices}
    unknown = [v for v in values if v not in known]
    if unknown or not values:
        return AnswerError(spec_field.id, f"unknown category: {', '.join(unknown) or text!r}")
    return sorted(set(values), key=int)


def _number(spec_field: FieldSpec, text: str) -> object | AnswerError:
    try:
        return int(text) if re.fullmatch(r"-?\d+", text) else float(text.replace(",", "."))
    except ValueError:
        return AnswerError(spec_field.id, "expected a number")


def _date(spec_field: FieldSpec, text: str) -> object | AnswerError:
    # The chat's reader: "15/09/2031", "2031-09-15", "15 septembre 2031", "September 15, 2031".
    parsed = read_date(text)
    if isinstance(parsed, DateProblem):
        return AnswerError(spec_field.id, "expected a date DD/MM/YYYY")
    return parsed.isoformat()


def _text(spec_field: FieldSpec, text: str) -> object | AnswerError:
    return text if text else AnswerError(spec_field.id, "must not be empty")


_PARSERS: dict[str, Callable[[FieldSpec, str], object | AnswerError]] = {
    "yes_no": _yes_no,
    "choice": _choice,
    "categories": _categories,
    "number": _number,
    "date": _date,
}


def parse_answer(spec_field: FieldSpec, raw: str) -> object | AnswerError:
    """Turn a typed answer into the value stored for the field, or say why it does not fit."""
    return _PARSERS.get(spec_field.type, _text)(spec_field, raw.strip())
