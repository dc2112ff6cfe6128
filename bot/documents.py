"""The core's view of the dossier checker: check uploaded files, keep the reports, merge them into a checklist.

Files are checked one upload at a time and their bytes are not kept, so the checklist of a dossier is the
best evidence over every stored report: a piece found in any upload counts as received.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dossier_checker.spec import DossierSpec

log = logging.getLogger(__name__)

PRESENT = "present"
UNCERTAIN = "uncertain"
MISSING = "missing"
_RANK = {PRESENT: 2, UNCERTAIN: 1, MISSING: 0}


@dataclass(frozen=True)
class CheckOutcome:
    """One checker run: the report as plain data and as text for the user."""

    report: Mapping[str, Any]
    text: str
    complete: bool


@dataclass(frozen=True)
class PieceStatus:
    """Where one required piece stands: received and checked, uncertain, or still missing."""

    id: str
    label: str
    article: str
    status: str
    file: str | None = None
    warnings: tuple[str, ...] = ()


class Documents:
    """Runs the checker on uploads (``dossier_checker.api``), when it is installed."""

    def __init__(self) -> None:
        try:
            api = importlib.import_module("dossier_checker.api")
        except ImportError as exc:
            log.info("the dossier checker is not available: %s", exc)
            api = None
        self._api = api

    @property
    def available(self) -> bool:
        """Tell whether documents can be checked."""
        return self._api is not None and hasattr(self._api, "check_files")

    def check(
        self, dossier_id: str, answers: Mapping[str, Any], files: Sequence[tuple[str, bytes]], lang: str
    ) -> CheckOutcome | None:
        """Check uploaded files against a dossier type; None when no checker is installed."""
        if self._api is None or not self.available:
            return None
        api: Any = self._api
        inputs = [api.InputFile(name=name, data=data) for name, data in files]
        conditions = {k: v for k, v in answers.items() if v is not None}
        report = api.check_files(dossier_id, conditions, inputs)
        return CheckOutcome(
            report=report.to_dict(), text=str(api.render_report(report, lang)), complete=bool(report.complete)
        )


def checklist(
    spec: DossierSpec, answers: Mapping[str, Any], reports: Sequence[Mapping[str, Any]], lang: str
) -> list[PieceStatus]:
    """List the pieces the answers require, each with the best status any stored report gave it."""
    best: dict[str, Mapping[str, Any]] = {}
    for report in reports:
        for piece in report.get("pieces", []) or []:
            if not isinstance(piece, Mapping) or not isinstance(piece.get("id"), str):
                continue
            status = str(piece.get("status", MISSING))
            held = best.get(piece["id"])
            if held is None or _RANK.get(status, 0) > _RANK.get(str(held.get("status")), 0):
                best[piece["id"]] = piece
    result = []
    for piece in spec.required_pieces(answers):
        found = best.get(piece.id, {})
        status = str(found.get("status", MISSING))
        if status not in _RANK:
            status = MISSING
        warnings = tuple(str(w) for w in (found.get("warnings") or ()) if status != MISSING)
        file = found.get("file") if status != MISSING else None
        result.append(
            PieceStatus(
                id=piece.id,
                label=piece.label.get(lang) or piece.label["fr"],
                article=piece.article,
                status=status,
                file=str(file) if file else None,
                warnings=warnings,
            )
        )
    return result
