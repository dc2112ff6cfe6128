"""A broken dossier spec is refused on load, naming the file, the key path and what is wrong: one case per kind."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from dossier_checker.spec import SPEC_DIR, SpecError, load_spec

Change = Callable[[dict[str, Any]], object]


def _owner(d: dict[str, Any]) -> dict[str, Any]:
    return next(f for f in d["fields"] if f["id"] == "owner")


CASES: list[tuple[str, Change, str]] = [
    (
        "opening",
        lambda d: d["pieces"][1].update(colour="red"),
        "pieces[1].colour: unknown key 'colour'",
    ),  # unknown key
    ("opening", lambda d: d["pieces"][1].pop("label"), "pieces[1]: missing key 'label'"),  # missing key
    (
        "opening",
        lambda d: d["pieces"].__setitem__(1, "diploma"),
        "pieces[1]: expected a mapping, got str",
    ),  # not a mapping
    ("opening", lambda d: d.update(fields={"a": 1}), "fields: expected a list, got dict"),  # not a list
    (
        "opening",
        lambda d: d["pieces"][1].update(article=["6"]),
        "pieces[1].article: expected a string, got list",
    ),  # not a string
    (
        "opening",
        lambda d: d["pieces"][1].update(article=" "),
        "pieces[1].article: must not be empty",
    ),  # empty
    (
        "opening",
        lambda d: d["pieces"][1].update(id="Premises"),
        "pieces[1].id: 'Premises' is not an id",
    ),  # bad id
    (
        "opening",
        lambda d: d["fields"][0].update(required="yes"),
        "fields[0].required: expected true or false",
    ),  # bool
    ("opening", lambda d: d["fields"][3].update(type="dat"), "fields[3].type: unknown type 'dat'"),  # type
    (
        "opening",
        lambda d: d["fields"][0]["question"].pop("en"),
        "fields[0].question: missing language 'en'",
    ),  # lang missing
    (
        "opening",
        lambda d: d["fields"][0]["question"].update(de="x"),
        "fields[0].question.de: unknown key 'de'",
    ),  # lang unknown
    (
        "opening",
        lambda d: d["pieces"][3].update(required_if={"equal": {"field": "owner", "value": "x"}}),
        "pieces[3].required_if: unknown operator 'equal'",
    ),  # operator
    (
        "opening",
        lambda d: d["pieces"][3].update(required_if={"equals": {"field": "owner", "value": "x"}, "not": {}}),
        "pieces[3].required_if: a condition is a mapping with one operator",
    ),  # two ops
    (
        "opening",
        lambda d: d["pieces"][3].update(
            required_if={
                "any": [
                    {"equals": {"field": "owner", "value": "x"}},
                    {"in": {"field": "owner", "values": []}},
                ]
            }
        ),
        "pieces[3].required_if.any[1].in.values: expected a non-empty list",
    ),  # nested
    (
        "opening",
        lambda d: d["pieces"][3].update(required_if={"not": {"equals": {"field": "owner", "value": [1]}}}),
        "pieces[3].required_if.not.equals.value: expected a scalar value",
    ),  # scalar
    (
        "opening",
        lambda d: d["pieces"][4].update(required_if={"equals": {"field": "ower", "value": "company"}}),
        "pieces[4].required_if: unknown field 'ower' in condition",
    ),  # unknown field cond
    (
        "opening",
        lambda d: d["pieces"].append(dict(d["pieces"][0])),
        "pieces[6]: duplicate piece id 'diploma'",
    ),  # dup piece
    (
        "opening",
        lambda d: d["fields"][1].update(id="owner"),
        "fields[6]: duplicate field id 'owner'",
    ),  # dup field
    (
        "opening",
        lambda d: d["pieces"][2]["signals"]["features"].update(colourful=1),
        "pieces[2].signals.features.colourful: unknown key 'colourful'",
    ),  # feature
    (
        "opening",
        lambda d: d["pieces"][2]["signals"].update(require_features=["drawing", "colour"]),
        "pieces[2].signals.require_features[1]: unknown value 'colour'",
    ),  # req feature
    (
        "opening",
        lambda d: d["pieces"][2]["signals"].update(uncertain=99),
        "pieces[2].signals.uncertain: must be positive and not above 'present'",
    ),  # thresholds
    (
        "opening",
        lambda d: d["pieces"][2]["signals"].update(titles=[], phrases=[]),
        "pieces[2].signals: a piece needs at least one title or phrase",
    ),  # no titles
    (
        "opening",
        lambda d: d["pieces"][0].update(checks=["dated", "notarised"]),
        "pieces[0].checks[1]: unknown check 'notarised'",
    ),  # unknown check
    (
        "opening",
        lambda d: d["pieces"][0].update(checks=[{"max_age_days": "soon"}]),
        "pieces[0].checks[0].max_age_days: expected a positive number of days",
    ),  # check value
    (
        "opening",
        lambda d: d["pieces"][0].update(checks=[{"dated": None, "from": "habit"}]),
        "pieces[0].checks[0].from: expected one of decree, practice",
    ),  # check from
    (
        "opening",
        lambda d: d["pieces"][2].update(checks=[{"area_uses": None, "from": "practice"}]),
        "pieces[2].checks[0].from: 'area_uses' is the piece's definition in the decree",
    ),  # definition practice
    (
        "opening",
        lambda d: d["pieces"][3].update(checks=[{"company_name": "company_nam"}]),
        "pieces[3].checks[0].company_name: unknown field 'company_nam'",
    ),  # check field unknown
    (
        "opening",
        lambda d: d["pieces"][3].update(checks=[{"address": ["a", "b"]}]),
        "pieces[3].checks[0].address: expected one answer id",
    ),  # cross one field
    (
        "opening",
        lambda d: _owner(d).update(choices=[{"value": "a", "label": {"fr": "a", "en": "a"}}]),
        "fields[6].choices: a choice field needs a list of at least two choices",
    ),  # choice few
    (
        "opening",
        lambda d: d["fields"][0].update(choices=[]),
        "fields[0].choices: only choice fields list choices",
    ),  # choices on text
    (
        "opening",
        lambda d: d["fields"][0].update(validation={"min_items": 1}),
        "fields[0].validation.min_items: unknown key 'min_items'",
    ),  # validation key
    (
        "opening",
        lambda d: d["fields"][0].update(validation={"pattern": "(("}),
        "fields[0].validation.pattern: bad regular expression",
    ),  # pattern
    (
        "opening",
        lambda d: d["letter"].update(copies=9),
        "letter.copies: expected a number of copies from 1 to 4",
    ),  # copies
    (
        "opening",
        lambda d: d["letter"].pop("copies_articles"),
        "letter.copies_articles: name the articles that set the number of copies",
    ),  # copies articles
    (
        "opening",
        lambda d: d["letter"].update(french_fields=["nope"]),
        "letter.french_fields[0]: unknown field 'nope'",
    ),  # french unknown
    (
        "opening",
        lambda d: d.update(id="opened"),
        "id: id 'opened' does not match the file name 'opening'",
    ),  # id mismatch
    (
        "partial_transfer",
        lambda d: d["include"][1].update(pieces=["acquisition_ac"]),
        "include[1].pieces[0]: no piece 'acquisition_ac' in the included spec",
    ),  # include piece
    (
        "partial_transfer",
        lambda d: d["include"][1].update(article="21 II"),
        "include[1].article: the article template must contain {article}",
    ),  # include template
    (
        "partial_transfer",
        lambda d: d["include"][2]["rename"].update(nothing="x"),
        "include[2].rename.nothing: unknown key 'nothing'",
    ),  # include rename
    (
        "partial_transfer",
        lambda d: d["include"][2].update({"from": "modif"}),
        "include[2].from: no spec 'modif'",
    ),  # include from
]


@pytest.mark.parametrize(("dossier", "change", "expected"), CASES)
def test_a_broken_spec_names_its_file_key_and_fault(
    tmp_path: Path, dossier: str, change: Change, expected: str
) -> None:
    directory = tmp_path / "dossiers"
    shutil.copytree(SPEC_DIR, directory)
    path = directory / f"{dossier}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_spec(dossier, directory)
    assert str(info.value).startswith(f"{path}: {expected}"), str(info.value)


def test_a_file_that_is_not_yaml_is_named(tmp_path: Path) -> None:
    directory = tmp_path / "dossiers"
    shutil.copytree(SPEC_DIR, directory)
    (directory / "opening.yaml").write_text("id: opening\ntitle: [unclosed\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"opening\.yaml: not valid YAML"):
        load_spec("opening", directory)


def test_a_category_listed_twice_is_named(tmp_path: Path) -> None:
    directory = tmp_path / "dossiers"
    shutil.copytree(SPEC_DIR, directory)
    path = directory / "categories.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["categories"].append(data["categories"][0])
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(SpecError, match=r"categories\.yaml: categories\[14\]: duplicate category '1'"):
        load_spec("opening", directory)
