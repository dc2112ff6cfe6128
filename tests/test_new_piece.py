"""Adding a piece is one YAML edit: a temporary spec's new piece reaches the walk, the checker, checklist, letter."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.i18n import t
from bot.letter import request_letter
from dossier_checker import spec as spec_module
from dossier_checker.check import InputFile, check_files
from dossier_checker.spec import DossierSpec, load_spec
from tests.transcript import Chat, answer_every_question, make_core, pdf_text, text_pdf

NEW_PIECE = """
  - id: criminal_record
    article: "6"
    checks: [dated]
    label:
      fr: "Extrait de casier judiciaire du responsable"
      en: "Criminal record extract of the responsible"
    description:
      fr: "Bulletin n° 3 du casier judiciaire du pharmacien ou vétérinaire responsable."
      en: "Criminal record extract (bulletin n° 3) of the responsible pharmacist or veterinarian."
    signals:
      titles: ["bulletin n° 3 du casier judiciaire", "extrait de casier judiciaire"]
      phrases: ["casier judiciaire", "néant", "ministère de la justice"]
      features: {}
      present: 5
      uncertain: 2.5
"""
RECORD_LINES = (
    "BULLETIN N° 3 DU CASIER JUDICIAIRE",
    "Ministère de la Justice - Casier judiciaire national",
    "Nom : DUPONT  Prénom : Marie",
    "Néant",
)


@pytest.fixture
def new_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the product at a copy of the dossier specs whose opening dossier has one more piece."""
    directory = tmp_path / "dossiers"
    shutil.copytree(spec_module.SPEC_DIR, directory)
    opening = directory / "opening.yaml"
    text = opening.read_text(encoding="utf-8")
    head, rest = text.split("\nadvice:\n", 1)
    opening.write_text(f"{head.rstrip()}\n{NEW_PIECE}\nadvice:\n{rest}", encoding="utf-8")
    monkeypatch.setattr(spec_module, "SPEC_DIR", directory)
    spec_module._default_specs.cache_clear()
    yield directory
    spec_module._default_specs.cache_clear()


def test_a_piece_added_to_the_spec_is_asked_checked_listed_and_lettered(
    new_spec: Path, tmp_path: Path
) -> None:
    spec = load_spec("opening")
    piece = spec.piece("criminal_record")
    assert piece is not None and [rule.name for rule in piece.checks] == ["dated"]
    label = "Extrait de casier judiciaire du responsable"
    # The checker: found in a file, and its rule (dated) checked, citing the piece's article.
    report = check_files("opening", {"owner": "person"}, [InputFile("casier.pdf", text_pdf(*RECORD_LINES))])
    [result] = [p for p in report.pieces if p.id == "criminal_record"]
    assert result.status == "present" and result.required
    assert [(w.code, w.article) for w in result.warnings] == [("warn_undated", "6")]
    # The walkthrough and the checklist in the chat: asked for, then received with its warning.
    chat = Chat(make_core(tmp_path / "data"))
    chat.send("/dossier opening")
    chat.send("/check")
    assert label in chat.text
    chat.upload("casier.pdf", text_pdf(*RECORD_LINES))
    assert label in chat.text
    chat.send("/check")
    line = next(x for x in chat.text.splitlines() if label in x)
    assert t("fr", "piece_present") in line
    assert f"{t('fr', 'warn_undated')} (art. 6)" in chat.text
    chat.send("/lang en")
    chat.send("/check")
    assert "Criminal record extract of the responsible" in chat.text
    assert f"{t('en', 'warn_undated')} (art. 6)" in chat.text
    # The letter, at the end of the walk: the piece received is listed as attached, with the spec's label.
    chat.send("/lang fr")
    chat.send("/dossier")
    assert "categories" in answer_every_question(chat, spec, "fr", _answers(spec))
    chat.send("valider")
    chat.send("oui")
    [letter] = [pdf_text(data) for name, data in chat.files() if name.startswith("demande-ouverture-")]
    attached = " ".join(letter.split()).split("Pièces jointes :")[1].split("Pièces à joindre")[0]
    assert f"{label} (article 6)" in attached
    # Before any upload, the letter lists it "à joindre", from the spec alone.
    pending = pdf_text(request_letter(spec, {"owner": "individual"}))
    assert f"{label} (article 6)" in " ".join(pending.split()).split("Pièces à joindre")[1]


def _answers(spec: DossierSpec) -> dict[str, str]:
    """Answer the opening questions for a pharmacist who owns the establishment, as typed in French."""
    typed = {
        "responsible_last_name": "Dupont",
        "responsible_first_name": "Marie",
        "responsible_nationality": "française",
        "responsible_address": "12 boulevard des Moulins, 98000 Monaco",
        "owner_last_name": "Dupont",
        "owner_first_name": "Marie",
        "establishment_address": "5 rue de l'Industrie, 98000 Monaco",
        "annex_addresses": "passer",
        "categories": "5",
    }
    chosen = {"responsible_civility": "madame", "responsible_profession": "pharmacist", "owner": "individual"}
    for field_id, value in chosen.items():
        choice = spec.field(field_id).choice(value)  # type: ignore[union-attr]
        assert choice is not None
        typed[field_id] = choice.label["fr"]
    return typed


def test_an_unknown_check_is_refused_with_the_file_and_key(new_spec: Path) -> None:
    opening = new_spec / "opening.yaml"
    opening.write_text(
        opening.read_text(encoding="utf-8").replace(
            'criminal_record\n    article: "6"\n    checks: [dated]',
            'criminal_record\n    article: "6"\n    checks: [dated, notarised]',
        ),
        encoding="utf-8",
    )
    with pytest.raises(
        spec_module.SpecError, match=r"opening\.yaml: pieces\[6\]\.checks\[1\]: unknown check"
    ):
        load_spec("opening", new_spec)


def test_every_named_check_has_one_implementation_and_practice_cites_no_article() -> None:
    from bot.i18n import catalogue
    from dossier_checker.answer_checks import RULE_CODES
    from dossier_checker.crosscheck import CROSS_RULES, CROSS_WARNINGS
    from dossier_checker.report import warning_text
    from dossier_checker.rules import RULES, Scope, rule_names

    # One registry: each rule reads one document (classify) or the dossier (crosscheck), implemented once.
    assert rule_names(Scope.DOCUMENT) == set(RULE_CODES)
    assert rule_names(Scope.DOSSIER) == set(CROSS_RULES)
    assert rule_names(Scope.DOCUMENT) | rule_names(Scope.DOSSIER) == set(RULES)
    assert all(catalogue().has(code) for code in (*RULE_CODES.values(), *CROSS_WARNINGS))
    registration = load_spec("opening").piece("company_registration")
    assert registration is not None
    [age] = [rule for rule in registration.checks if rule.name == "max_age_days"]
    assert age.practice and age.days == 92
    # An extract dated long before today: the practice rule warns, and cites no article.
    report = check_files(
        "opening",
        {"owner": "company"},
        [
            InputFile(
                "rci.pdf", text_pdf("EXTRAIT DU REPERTOIRE DU COMMERCE ET DE L'INDUSTRIE", "Le 3 mars 2020")
            )
        ],
    )
    [old] = [w for p in report.pieces for w in p.warnings if w.code == "warn_registration_old"]
    assert old.article == "" and "(art." not in warning_text(old, "en")


def test_a_dossier_alias_added_to_the_spec_names_the_dossier_in_the_chat(
    new_spec: Path, tmp_path: Path
) -> None:
    opening = new_spec / "opening.yaml"
    text = opening.read_text(encoding="utf-8")
    opening.write_text(
        text.replace('aliases: ["ouverture", ', 'aliases: ["installation", "ouverture", '), "utf-8"
    )
    spec_module._default_specs.cache_clear()
    chat = Chat(make_core(tmp_path / "data"))
    chat.send("/dossier installation")
    assert chat.core.store.dossiers(chat.key)[0].kind == "opening"
