"""The rules of a piece checked against the answers: the names on a diploma, an extract's age.

Their results change when the answers do (a corrected name) or as days pass, so a document's features are
kept and these checks recomputed from them (``answer_features``, ``answer_warnings``). The warning code
each named rule of a spec gives is here too (``RULE_CODES``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from dossier_checker import features
from dossier_checker.features import Folded
from dossier_checker.model import PieceWarning
from dossier_checker.rules import CheckRule
from dossier_checker.spec import PieceSpec


def dates(text: str) -> list[dt.date]:
    """List the dates a text bears, day first ("12/03/2024", "3 mars 2024")."""
    found: list[dt.date] = []
    months = {
        name: i
        for i, names in enumerate(
            (
                ("janvier", "january", "gennaio"),
                ("fevrier", "february", "febbraio"),
                ("mars", "march", "marzo"),
                ("avril", "april", "aprile"),
                ("mai", "may", "maggio"),
                ("juin", "june", "giugno"),
                ("juillet", "july", "luglio"),
                ("aout", "august", "agosto"),
                ("septembre", "september", "settembre"),
                ("octobre", "october", "ottobre"),
                ("novembre", "november"),
                ("decembre", "december", "dicembre"),
            ),
            start=1,
        )
        for name in names
    }
    for match in features.DATE.finditer(text):
        try:
            if match.group("m"):
                month = int(match.group("m"))
            else:
                month = months.get(features.fold(match.group("mon")), 0)
            found.append(dt.date(int(match.group("y")), month, int(match.group("d"))))
        except ValueError:
            continue
    return found


# The warning each rule of a piece's ``checks`` gives when the document fails it (dossier_checker.rules).
RULE_CODES: dict[str, str] = {
    "certified_copy": "warn_diploma_not_certified",
    "name_matches": "warn_diploma_name_differs",
    "dimensioned": "warn_plan_no_dimensions",
    "area_uses": "warn_plan_no_uses",  # art. 6 c): "toutes explications relatives à leur utilisation"
    "before_and_after": "warn_plans_one_state",
    "approves_transfer": "warn_minutes_no_approval",  # art. 20 c): minutes "approuvant le transfert"
    "one_per_party": "warn_minutes_one_company",
    "names_responsible": "warn_designation_not_responsible",  # art. 6 d): designating the responsible
    "dated": "warn_undated",
    "max_age_days": "warn_registration_old",
}
# Warnings that depend on the answers, recomputed from a document's stored features whenever they change.
ANSWER_WARNINGS = frozenset({"warn_diploma_name_differs", "warn_registration_old"})
# How much of a document's text is kept as its features (a diploma's names are on its first lines).
FEATURE_TEXT_CHARS = 4000


def answer_features(piece: PieceSpec, text: str) -> dict[str, str]:
    """Keep what the answer-dependent checks of a piece read (personal data: kept for a report's life)."""
    kept: dict[str, str] = {}
    names = {rule.name for rule in piece.checks}
    if "name_matches" in names:
        kept["text"] = features.fold(text)[:FEATURE_TEXT_CHARS]
    if "max_age_days" in names:  # a document ages while the dossier waits: its dates are kept
        found = sorted(set(dates(text)))[-20:]
        if found:
            kept["dates"] = ",".join(d.isoformat() for d in found)
    return kept


def answer_warnings(
    piece: PieceSpec,
    stored: Mapping[str, str],
    conditions: Mapping[str, object],
    today: dt.date | None = None,
) -> list[PieceWarning]:
    """Check a document's stored features against the answers (the names on a diploma) and today."""
    warnings: list[PieceWarning] = []
    for rule in piece.checks:
        if rule.name == "max_age_days" and stored.get("dates"):
            day = today or dt.date.today()
            past = [
                d for d in (dt.date.fromisoformat(x) for x in stored["dates"].split(",") if x) if d <= day
            ]
            if past and (day - max(past)).days > rule.days:
                warnings.append(rule_warning(rule, piece, (("date", max(past).strftime("%d/%m/%Y")),)))
        if rule.name != "name_matches" or not stored.get("text"):
            continue
        folded = Folded.of(stored["text"], True)
        for key in rule.fields:
            name = str(conditions.get(key) or "").strip()
            if name and not features.similar_name(name, folded):
                warnings.append(rule_warning(rule, piece, (("name", name),)))
    return warnings


def rule_warning(rule: CheckRule, piece: PieceSpec, params: tuple[tuple[str, str], ...] = ()) -> PieceWarning:
    """Word a failed rule: a practice rule cites no article."""
    return PieceWarning(RULE_CODES[rule.name], "" if rule.practice else piece.article, params)
