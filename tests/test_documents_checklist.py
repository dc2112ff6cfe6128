"""The merged checklist of a dossier: each piece's best status over every upload, warnings answered later."""

from __future__ import annotations

from typing import Any

from bot.documents import checklist
from bot.i18n import t
from dossier_checker.spec import load_spec

ONE_COMPANY = {"code": "warn_minutes_one_company", "article": "20 c)", "message": "un seul organe"}
NO_APPROVAL = {"code": "warn_minutes_no_approval", "article": "20 c)", "message": "pas d'approbation"}
# Stored warnings are shown from their code (in the reader's language), not from the sentence kept with them.
ONE = f"{t('fr', 'warn_minutes_one_company')} (art. 20 c))"
UNAPPROVED = f"{t('fr', 'warn_minutes_no_approval')} (art. 20 c))"


def report(file: str, *warnings: dict[str, Any]) -> dict[str, Any]:
    piece = {
        "id": "board_minutes",
        "status": "present",
        "file": file,
        "pages": [1],
        "warnings": list(warnings),
    }
    return {"pieces": [piece]}


def minutes(reports: list[dict[str, Any]]) -> tuple[str, tuple[str, ...]]:
    spec = load_spec("transfer")
    [piece] = [p for p in checklist(spec, {"owner": "company"}, reports, "fr") if p.id == "board_minutes"]
    return piece.status, piece.warnings


def test_each_companys_minutes_in_its_own_upload_answer_the_one_company_warning() -> None:
    assert minutes([report("pv-cedant.pdf", ONE_COMPANY)]) == ("present", (ONE,))
    both = [report("pv-cedant.pdf", ONE_COMPANY), report("pv-cessionnaire.pdf", ONE_COMPANY)]
    assert minutes(both) == ("present", ())


def test_the_same_file_twice_is_still_one_company_and_other_warnings_stay() -> None:
    again = [report("pv.pdf", ONE_COMPANY), report("pv.pdf", ONE_COMPANY)]
    assert minutes(again) == ("present", (ONE,))
    unapproved = [report("a.pdf", ONE_COMPANY, NO_APPROVAL), report("b.pdf", ONE_COMPANY)]
    assert minutes(unapproved)[1] == (UNAPPROVED,)
