"""The walkthrough as pure functions over the real dossier specs: next step, conditions, reading answers."""

from __future__ import annotations

import datetime as dt

import pytest

from bot import walkthrough as wt
from dossier_checker.spec import FieldSpec, load_specs

SPECS = load_specs()
OPENING = SPECS["opening"]
MODIFICATION = SPECS["modification"]
TRANSFER = SPECS["transfer"]
TODAY = dt.date(2026, 3, 1)


def field(spec_id: str, field_id: str) -> FieldSpec:
    found = SPECS[spec_id].field(field_id)
    assert found is not None
    return found


def test_next_step_asks_the_first_field_then_counts_progress() -> None:
    step = wt.next_step(OPENING, {})
    assert isinstance(step, wt.Ask)
    assert step.field.id == "responsible_last_name"
    assert step.number == 1
    step = wt.next_step(OPENING, {"responsible_last_name": "Dupont", "responsible_first_name": "Marie"})
    assert isinstance(step, wt.Ask)
    assert (step.field.id, step.number) == ("responsible_civility", 3)


def test_next_step_is_pure() -> None:
    answers = {"responsible_last_name": "Dupont"}
    first = wt.next_step(OPENING, answers)
    second = wt.next_step(OPENING, answers)
    assert first == second
    assert answers == {"responsible_last_name": "Dupont"}


def _until(spec_id: str, answers: dict[str, object]) -> list[str]:
    """Ask every remaining field with a neutral answer and list the ids asked."""
    spec = SPECS[spec_id]
    asked = []
    values = {
        "choice": None,
        "yes_no": False,
        "categories": ["5"],
        "date": "2030-01-01",
        "number": 1,
    }
    while isinstance(step := wt.next_step(spec, answers), wt.Ask):
        asked.append(step.field.id)
        value = values.get(step.field.type, "x")
        if step.field.type == "choice":
            value = step.field.choices[0].value
        answers[step.field.id] = value
    return asked


def test_company_owner_asks_company_fields_not_owner_names() -> None:
    asked = _until("opening", {"owner": "company"})
    assert {"company_form", "company_name", "company_head_office"} <= set(asked)
    assert "owner_last_name" not in asked


def test_individual_owner_asks_owner_names_not_company_fields() -> None:
    asked = _until("opening", {"owner": "individual"})
    assert {"owner_last_name", "owner_first_name"} <= set(asked)
    assert "company_name" not in asked


def test_manufacturing_or_import_categories_bring_the_pharmaceutical_forms() -> None:
    assert "pharmaceutical_forms" not in [f.id for f in MODIFICATION.active_fields({"categories": ["5"]})]
    for category in ("1", "2"):
        active = [f.id for f in MODIFICATION.active_fields({"categories": ["4", category]})]
        assert "pharmaceutical_forms" in active


def test_premises_change_brings_the_premises_title_piece_and_fields() -> None:
    assert "premises_title" not in [p.id for p in MODIFICATION.required_pieces({"premises_change": False})]
    assert "premises_title" in [p.id for p in MODIFICATION.required_pieces({"premises_change": True})]
    asked = _until("modification", {"premises_change": True})
    assert "premises_concerned" in asked


def test_review_comes_when_every_active_field_is_answered() -> None:
    answers: dict[str, object] = {"owner": "individual"}
    _until("opening", answers)
    step = wt.next_step(OPENING, answers)
    assert isinstance(step, wt.Review)
    assert step.total == len(OPENING.active_fields(answers))


def test_progress_total_never_grows_as_answers_come() -> None:
    # The total counts questions that may still apply: an answer can rule some out, never add any
    # (it used to jump 6/9 -> 7/12 -> 7/11).
    values = {"owner": "company", "categories": ["5"], "premises_change": True, "equipment_change": False}
    for spec_id in ("opening", "modification", "transfer", "partial_transfer"):
        spec, answers, seen = SPECS[spec_id], {}, []
        step = wt.next_step(spec, answers)
        while isinstance(step, wt.Ask):
            seen.append((step.number, step.total))
            field = step.field
            answers[field.id] = values.get(field.id, field.choices[0].value if field.choices else "x")
            step = wt.next_step(spec, answers)
        totals = [total for _, total in seen]
        assert totals == sorted(totals, reverse=True), (spec_id, seen)
        assert all(number <= total for number, total in seen)
        assert [n for n, _ in seen] == sorted(n for n, _ in seen)


def test_go_back_reopens_the_last_answer_that_still_applies() -> None:
    answers, history = wt.record({}, (), "responsible_last_name", "Dupont")
    answers, history = wt.record(answers, history, "responsible_first_name", "Marie")
    answers, history, reopened = wt.go_back(OPENING, answers, history)
    assert reopened is not None and reopened.id == "responsible_first_name"
    assert answers == {"responsible_last_name": "Dupont"}
    step = wt.next_step(OPENING, answers)
    assert isinstance(step, wt.Ask) and step.field.id == "responsible_first_name"


def test_go_back_skips_answers_that_no_longer_apply() -> None:
    answers: dict[str, object] = {}
    history: tuple[str, ...] = ()
    for fid, value in (("owner", "individual"), ("owner_last_name", "Martin"), ("owner", "company")):
        answers, history = wt.record(answers, history, fid, value)
    # owner_last_name was answered but no longer applies; "back" reopens owner.
    answers, history, reopened = wt.go_back(OPENING, answers, history)
    assert reopened is not None and reopened.id == "owner"


def test_go_back_with_nothing_answered() -> None:
    answers, history, reopened = wt.go_back(OPENING, {}, ())
    assert reopened is None and answers == {} and history == ()


def test_new_advice_is_conditional_and_shown_once() -> None:
    advice = wt.new_advice(OPENING, {"categories": ["1", "5"]}, ())
    ids = [a.id for a in advice]
    assert ids == ["experience_manufacturing_import", "experience_distribution"]
    assert wt.new_advice(OPENING, {"categories": ["1", "5"]}, ids) == []
    assert all(a.article in {"26", "27"} for a in advice)


# Reading answers


def test_person_name() -> None:
    name = field("opening", "responsible_last_name")
    assert wt.read_answer(name, "  de la   Fontaine ") == wt.Accepted("de la Fontaine")
    assert wt.read_answer(name, "") == wt.Rejected("invalid_empty")
    assert wt.read_answer(name, "   ") == wt.Rejected("invalid_empty")
    assert wt.read_answer(name, "Dupont2") == wt.Rejected("invalid_name_digits")
    assert wt.read_answer(name, "<b>Dupont</b>") == wt.Rejected("invalid_name_characters")
    assert wt.read_answer(name, "D'Alès-Müller") == wt.Accepted("D'Alès-Müller")
    long = wt.read_answer(name, "a" * 81)
    assert isinstance(long, wt.Rejected) and long.reason == "invalid_too_long"


def test_yes_no_in_both_languages() -> None:
    yes_no = field("modification", "premises_change")
    for text in ("oui", "Oui.", "YES", "o", "y", "Oui, une extension"):
        assert wt.read_answer(yes_no, text) == wt.Accepted(True), text
    for text in ("non", "No", "n", "non merci"):
        assert wt.read_answer(yes_no, text) == wt.Accepted(False), text
    assert wt.read_answer(yes_no, "peut-être") == wt.Rejected("invalid_yes_no")


def test_choice_by_number_value_label_and_distinctive_word() -> None:
    owner = field("opening", "owner")
    for text in ("1", "company", "Une société", "une societe", "société", "A company", "company."):
        assert wt.read_answer(owner, text) == wt.Accepted("company"), text
    for text in ("2", "individual", "Une personne physique", "personne physique", "An individual"):
        assert wt.read_answer(owner, text) == wt.Accepted("individual"), text
    rejected = wt.read_answer(owner, "association")
    assert isinstance(rejected, wt.Rejected) and rejected.reason == "invalid_choice"
    assert wt.read_answer(owner, "3") == wt.Rejected("invalid_choice", {"answer": "3"})
    form = field("opening", "company_form")
    assert wt.read_answer(form, "sarl") == wt.Accepted("SARL")
    assert wt.read_answer(form, "Société anonyme monégasque") == wt.Accepted("SAM")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1, 5", ["1", "5"]),
        ("5 1 5", ["1", "5"]),
        ("1° et 11°", ["1", "11"]),
        ("grossiste", ["5"]),
        ("Fabricant, importateur", ["1", "2"]),
        ("wholesaler and importer", ["2", "5"]),
        ("dépositaire", ["4"]),
        ("fabricant d'aliments médicamenteux", ["11"]),
        ("5° Distributeur en gros de médicaments vétérinaires", ["5"]),
        ("fabriquant", ["1"]),
    ],
)
def test_categories_by_number_or_name(text: str, expected: list[str]) -> None:
    assert wt.read_answer(field("opening", "categories"), text) == wt.Accepted(expected)


def test_unknown_categories_are_named_in_the_refusal() -> None:
    categories = field("opening", "categories")
    assert wt.read_answer(categories, "15") == wt.Rejected(
        "invalid_category_number", {"answer": "15", "count": 14}
    )
    assert wt.read_answer(categories, "vendeur de glaces") == wt.Rejected(
        "invalid_category", {"answer": "vendeur de glaces"}
    )
    assert wt.read_answer(categories, "1, boulangerie") == wt.Rejected(
        "invalid_category", {"answer": "boulangerie"}
    )


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("15/09/2026", "2026-09-15"),
        ("15-09-2026", "2026-09-15"),
        ("15.09.26", "2026-09-15"),
        ("2026-09-15", "2026-09-15"),
        ("15 septembre 2026", "2026-09-15"),
        ("1er mars 2026", "2026-03-01"),
        ("September 15, 2026", "2026-09-15"),
        ("29/02/2028", "2028-02-29"),
    ],
)
def test_dates(text: str, iso: str) -> None:
    assert wt.read_answer(field("modification", "start_date"), text, today=TODAY) == wt.Accepted(iso)


def test_impossible_dates_say_why() -> None:
    start = field("modification", "start_date")
    assert wt.read_answer(start, "31/02/2026", today=TODAY) == wt.Rejected(
        "invalid_date_day", {"answer": "31/02/2026", "days": 28, "month": 2, "year": 2026}
    )
    assert wt.read_answer(start, "29/02/2027", today=TODAY) == wt.Rejected(
        "invalid_date_day", {"answer": "29/02/2027", "days": 28, "month": 2, "year": 2027}
    )
    assert wt.read_answer(start, "12/13/2026", today=TODAY) == wt.Rejected(
        "invalid_date_month", {"answer": "12/13/2026"}
    )
    assert wt.read_answer(start, "demain", today=TODAY) == wt.Rejected("invalid_date")
    # The spec says the start date cannot be in the past.
    assert wt.read_answer(start, "01/01/2020", today=TODAY) == wt.Rejected(
        "invalid_date_past", {"earliest": "01/03/2026"}
    )


def test_text_and_address() -> None:
    nationality = field("opening", "responsible_nationality")
    assert wt.read_answer(nationality, "monégasque") == wt.Accepted("monégasque")
    assert wt.read_answer(nationality, "F") == wt.Rejected("invalid_too_short", {"minimum": 2})
    assert wt.read_answer(nationality, "🙂🙂") == wt.Rejected("invalid_no_letters")
    address = field("opening", "establishment_address")
    assert wt.read_answer(address, "12345") == wt.Rejected("invalid_address")
    assert wt.read_answer(address, "5 rue de l'Industrie, Fontvieille") == wt.Accepted(
        "5 rue de l'Industrie, Fontvieille"
    )


def test_display_value() -> None:
    assert wt.display_value(field("opening", "owner"), "company", "fr") == "Une société"
    assert wt.display_value(field("opening", "owner"), "company", "en") == "A company"
    assert wt.display_value(field("modification", "premises_change"), True, "fr") == "Oui"
    assert wt.display_value(field("modification", "premises_change"), False, "en") == "No"
    assert wt.display_value(field("modification", "start_date"), "2026-09-15", "fr") == "15/09/2026"
    categories = wt.display_value(field("opening", "categories"), ["1", "5"], "fr")
    assert categories.startswith("1° Fabricant") and "5° Distributeur en gros" in categories
    assert wt.display_value(field("opening", "annex_addresses"), None, "fr", skipped="(vide)") == "(vide)"
