"""Dossier specs: every spec loads, piece ids follow SPEC §4, broken specs are named precisely."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from dossier_checker.answers import AnswerError, parse_answer
from dossier_checker.spec import (
    DOSSIER_IDS,
    SPEC_DIR,
    SpecError,
    evaluate,
    load_spec,
    load_specs,
)

OPENING_PIECES = [
    "diploma",
    "premises_title",
    "floor_plan",
    "statutes",
    "company_registration",
    "designation_decision",
]
MODIFICATION_PIECES = ["plans_before_after", "impact_note", "premises_title"]


def test_all_specs_load() -> None:
    specs = load_specs()
    assert sorted(specs) == sorted(DOSSIER_IDS)
    for spec in specs.values():
        assert spec.fields and spec.pieces and spec.advice
        for text in (spec.title, spec.intro):
            assert set(text) == {"fr", "en"}


def test_piece_ids_follow_spec() -> None:
    assert [p.id for p in load_spec("opening").pieces] == OPENING_PIECES
    assert [p.id for p in load_spec("modification").pieces] == MODIFICATION_PIECES
    assert [p.id for p in load_spec("transfer").pieces] == [
        *OPENING_PIECES,
        "conditions_statement",
        "acquisition_act",
        "board_minutes",
    ]
    partial = [p.id for p in load_spec("partial_transfer").pieces]
    assert partial[:6] == OPENING_PIECES
    assert {"acquisition_act", "board_minutes", "plans_before_after", "impact_note"} <= set(partial)
    assert len(partial) == len(set(partial))


def test_every_field_and_piece_names_its_article() -> None:
    for spec in load_specs().values():
        for item in (*spec.fields, *spec.pieces, *spec.advice):
            assert re.match(r"\d+", item.article), (spec.id, item.id, item.article)
    articles = {p.id: p.article for p in load_spec("opening").pieces}
    assert articles == {
        "diploma": "6 a)",
        "premises_title": "6 b)",
        "floor_plan": "6 c)",
        "statutes": "6 d)",
        "company_registration": "6 d)",
        "designation_decision": "6 d)",
    }
    assert load_spec("transfer").piece("board_minutes").article == "20 c)"  # type: ignore[union-attr]
    assert load_spec("transfer").piece("diploma").article.startswith("20 a)")  # type: ignore[union-attr]


def test_contract_field_ids_exist() -> None:
    opening = load_spec("opening")
    for field_id in (
        "owner",
        "categories",
        "responsible_last_name",
        "responsible_first_name",
        "responsible_nationality",
        "responsible_address",
        "company_form",
        "company_name",
        "company_head_office",
        "establishment_address",
    ):
        assert opening.field(field_id) is not None, field_id
    owner = opening.field("owner")
    assert owner is not None and [c.value for c in owner.choices] == ["company", "individual"]
    categories = opening.field("categories")
    assert categories is not None and [c.value for c in categories.choices] == [str(i) for i in range(1, 15)]
    premises_change = load_spec("modification").field("premises_change")
    assert premises_change is not None and premises_change.type == "yes_no"


def test_required_pieces_follow_conditions() -> None:
    opening = load_spec("opening")
    assert [p.id for p in opening.required_pieces({"owner": "individual"})] == OPENING_PIECES[:3]
    assert [p.id for p in opening.required_pieces({"owner": "company"})] == OPENING_PIECES
    modification = load_spec("modification")
    assert [p.id for p in modification.required_pieces({"premises_change": True})] == MODIFICATION_PIECES
    assert [p.id for p in modification.required_pieces({"premises_change": False})] == MODIFICATION_PIECES[:2]
    # Typed answers (CLI --set) read the same as booleans.
    assert [p.id for p in modification.required_pieces({"premises_change": "oui"})] == MODIFICATION_PIECES


def test_active_fields_bring_pharmaceutical_forms_for_manufacturing() -> None:
    opening = load_spec("opening")
    ids = [f.id for f in opening.active_fields({"owner": "company", "categories": ["5"]})]
    assert "pharmaceutical_forms" not in ids and "company_name" in ids and "owner_last_name" not in ids
    for category in ("1", "2", "11", "12"):
        ids = [f.id for f in opening.active_fields({"owner": "individual", "categories": ["5", category]})]
        assert "pharmaceutical_forms" in ids and "owner_last_name" in ids and "company_name" not in ids


def test_advice_follows_categories() -> None:
    opening = load_spec("opening")
    ids = [a.id for a in opening.applicable_advice({"categories": ["1"]})]
    assert "experience_manufacturing_import" in ids and "experience_distribution" not in ids
    assert {"incompatibility", "one_company_only", "separate_authorisation", "delay_opening"} <= set(ids)
    advice = {a.id: a for a in opening.advice}
    assert "au moins deux ans" in advice["experience_manufacturing_import"].text["fr"]
    assert "quatre-vingt-dix jours" in advice["delay_opening"].text["fr"]
    assert "au moins six mois" in advice["experience_distribution"].text["fr"]
    delay = load_spec("modification").advice[0]
    assert "trente jours" in delay.text["fr"] and delay.article == "13"


def test_advice_quotes_are_in_the_decree() -> None:
    decree = (SPEC_DIR.parents[1] / "knowledge" / "sources" / "am-2003-175.txt").read_text(encoding="utf-8")
    for quote in (
        "au moins deux ans",
        "au moins six mois",
        "quatre-vingt-dix jours",
        "trente jours",
        "trois mois",
    ):
        assert quote in decree


def test_conditions_evaluate() -> None:
    cond = load_spec("opening").field("pharmaceutical_forms").required_if  # type: ignore[union-attr]
    assert evaluate(cond, {"categories": ["1"]})
    assert evaluate(cond, {"categories": ["3", "12"]})
    assert not evaluate(cond, {"categories": ["3", "13"]})
    assert not evaluate(cond, {})
    assert evaluate(None, {})


def _spec_dir(tmp_path: Path) -> Path:
    target = tmp_path / "dossiers"
    shutil.copytree(SPEC_DIR, target)
    return target


def _edit(path: Path, change: object) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        (lambda d: d["fields"][3].update(type="dat"), "fields[3].type", "unknown type 'dat'"),
        (lambda d: d["fields"][0]["question"].pop("en"), "fields[0].question", "missing language 'en'"),
        (lambda d: d["pieces"][1].update(colour="red"), "pieces[1].colour", "unknown key 'colour'"),
        (
            lambda d: d["pieces"][3].update(required_if={"equal": {"field": "owner", "value": "x"}}),
            "pieces[3].required_if",
            "unknown operator 'equal'",
        ),
        (
            lambda d: d["pieces"][4].update(required_if={"equals": {"field": "ower", "value": "company"}}),
            "pieces[4].required_if",
            "unknown field 'ower'",
        ),
        (lambda d: d["pieces"].append(dict(d["pieces"][0])), "pieces[6]", "duplicate piece id 'diploma'"),
        (lambda d: d["fields"][1].update(id="owner"), "fields[", "duplicate field id 'owner'"),
        (
            lambda d: d["pieces"][2]["signals"]["features"].update(colourful=1),
            "pieces[2].signals.features.colourful",
            "unknown key",
        ),
    ],
)
def test_broken_spec_names_file_and_key(tmp_path: Path, change: object, key: str, message: str) -> None:
    directory = _spec_dir(tmp_path)
    _edit(directory / "opening.yaml", change)
    with pytest.raises(SpecError) as info:
        load_spec("opening", directory)
    text = str(info.value)
    assert text.startswith(str(directory / "opening.yaml") + ": "), text
    assert key in text and message in text, text


def test_broken_included_spec_breaks_the_including_one(tmp_path: Path) -> None:
    directory = _spec_dir(tmp_path)
    _edit(directory / "opening.yaml", lambda d: d["fields"][0].update(type="dat"))
    with pytest.raises(SpecError, match=r"opening\.yaml: fields\[0\]\.type"):
        load_spec("transfer", directory)


def test_include_of_unknown_piece_is_named(tmp_path: Path) -> None:
    directory = _spec_dir(tmp_path)
    _edit(directory / "partial_transfer.yaml", lambda d: d["include"][1].update(pieces=["acquisition_ac"]))
    with pytest.raises(SpecError, match=r"partial_transfer\.yaml: include\[1\]\.pieces\[0\]: no piece"):
        load_spec("partial_transfer", directory)


def test_parse_answer_by_type() -> None:
    opening = load_spec("opening")
    owner, categories = opening.field("owner"), opening.field("categories")
    assert owner is not None and categories is not None
    assert parse_answer(owner, "company") == "company"
    assert parse_answer(owner, "Une société") == "company"
    assert isinstance(parse_answer(owner, "cooperative"), AnswerError)
    assert parse_answer(categories, "1°, 5 12") == ["1", "5", "12"]
    assert isinstance(parse_answer(categories, "15"), AnswerError)
    start = load_spec("modification").field("start_date")
    assert start is not None
    assert parse_answer(start, "01/03/2027") == "2027-03-01"
    assert isinstance(parse_answer(start, "31/02/2026"), AnswerError)
