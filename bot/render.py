"""Pure renderers: titles, choices, checklists, questions and review lines, from specs and data only."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from babel.lists import format_list

from bot import walkthrough as wt
from bot.documents import MISSING, PRESENT, UNCERTAIN, PieceStatus
from bot.i18n import t
from bot.messages import Choice, Reply
from bot.settings import LimitsSettings
from bot.store import DossierRecord
from dossier_checker.spec import DossierSpec, FieldSpec


def answer_value(field_id: str, value: str) -> str:
    """Return what a dossier question's button sends back: the question's id travels with the choice."""
    return f"/answer {field_id} {value}"


def start_choices(specs: Mapping[str, DossierSpec], lang: str) -> tuple[Choice, ...]:
    """Return the buttons that start each dossier type, in the usual order."""
    return tuple(Choice(short_title(specs, kind, lang), f"/dossier {kind}") for kind in specs)


def short_title(specs: Mapping[str, DossierSpec], kind: str, lang: str) -> str:
    """Return a dossier type's short title (the catalogue's, else the spec's)."""
    msg_id = f"dossier_{kind}"
    try:
        return t(lang, msg_id)
    except KeyError:
        spec = specs.get(kind)
        return spec.title.get(lang, kind) if spec else kind


def status_label(status: str, lang: str) -> str:
    """Return a dossier status in words."""
    return t(lang, f"status_{status}")


def limits_text(limits: LimitsSettings, max_bytes: int, lang: str) -> str:
    """Describe the limits on files and checks (shown with /privacy)."""
    return t(
        lang,
        "limits_text",
        stored=limits.stored_mb_per_user,
        files=limits.files_per_message,
        pages=limits.pages_per_minute,
        seconds=limits.check_seconds_per_minute,
        file_seconds=f"{limits.file_seconds:g}",
        maximum=max_bytes // 1024 // 1024,
    )


def checklist_text(pieces: Sequence[PieceStatus], lang: str, notes: Sequence[str] = ()) -> str:
    """Write the checklist of pieces: received, uncertain or missing, with their warnings.

    ``notes``: what concerns the dossier as a whole (its dates against the decree's delays).
    """
    received = sum(1 for p in pieces if p.status == PRESENT)
    lines = [*(f"⚠ {n}" for n in notes), t(lang, "checklist_title", received=received, total=len(pieces))]
    marks = {PRESENT: "✅", UNCERTAIN: "⚠️", MISSING: "☐"}
    for piece in pieces:
        state = t(lang, f"piece_{piece.status}")
        where = f" ({piece.file})" if piece.file else ""
        lines.append(f"{marks[piece.status]} {piece.label} — art. {piece.article} — {state}{where}")
        lines.extend(f"    ⚠ {w}" for w in piece.warnings)
    return "\n".join(lines)


def ask_reply(
    lang: str,
    spec: DossierSpec,
    field_spec: FieldSpec,
    dossier: DossierRecord,
    *,
    prefix: str = "",
    step: wt.Ask | None = None,
    editing: bool = False,
) -> Reply:
    """Ask one field of a dossier: the question, its hints and its buttons."""
    parts = [prefix] if prefix else []
    if editing:
        parts.append(t(lang, "editing_header"))
    elif step is not None:
        parts.append(t(lang, "step", number=step.number, total=step.total))
    parts.append(field_spec.question.get(lang, field_spec.question["fr"]))
    choices: tuple[Choice, ...] = ()
    if field_spec.type == "categories":
        parts.append("\n".join(wt.choice_label(c, lang) for c in field_spec.choices))
        parts.append(t(lang, "hint_categories"))
    elif field_spec.type == "choice":
        choices = tuple(
            Choice(wt.choice_label(c, lang), answer_value(field_spec.id, c.value)) for c in field_spec.choices
        )
    elif field_spec.type == "yes_no":
        choices = (
            Choice(t(lang, "button_yes"), answer_value(field_spec.id, "yes")),
            Choice(t(lang, "button_no"), answer_value(field_spec.id, "no")),
        )
    elif field_spec.type == "date" and not re.search(r"[JD]{2}/MM", parts[-1]):
        parts.append(t(lang, "hint_date"))
    if editing and field_spec.id in dossier.answers:
        current = wt.display_value(
            field_spec, dossier.answers[field_spec.id], lang, skipped=t(lang, "skipped")
        )
        parts.append(t(lang, "current_answer", value=current))
    if not field_spec.required:
        parts.append(t(lang, "hint_optional"))
    return Reply("\n".join(p for p in parts if p), choices=choices)


def field_label(field_spec: FieldSpec, lang: str) -> str:
    """Return the short name of a field (the catalogue's label, else its question)."""
    try:
        return t(lang, f"label_{field_spec.id}")
    except KeyError:
        return field_spec.question.get(lang, field_spec.question["fr"]).rstrip(" ?")


def review_choices(lang: str) -> tuple[Choice, ...]:
    """Return the review's buttons: confirm or edit."""
    return (Choice(t(lang, "button_confirm"), "/confirm"), Choice(t(lang, "button_edit"), "/edit"))


def answer_lines(spec: DossierSpec, dossier: DossierRecord, lang: str, *, numbered: bool) -> list[str]:
    """Write one line per answered field (numbered at the review)."""
    lines = []
    for i, field_spec in enumerate(wt.answered_fields(spec, dossier.answers), start=1):
        value = wt.display_value(field_spec, dossier.answers[field_spec.id], lang, skipped=t(lang, "skipped"))
        head = f"{i}. " if numbered else "• "
        lines.append(f"{head}{field_label(field_spec, lang)} : {value}")
    return lines


def copies_text(spec: DossierSpec, lang: str) -> str:
    """Say how many copies of the request to send."""
    rule = spec.letter
    if rule.copies < 2:
        return t(lang, "copies_one")
    articles = format_list(list(rule.copies_articles), locale=lang)  # "5 et 14", "5 and 14"
    wording = "copies_many" if len(rule.copies_articles) == 1 else "copies_many_articles"
    return t(lang, wording, count=rule.copies, articles=articles)


def quota_params(limits: LimitsSettings, refused: str | None) -> dict[str, object]:
    """Return the limit a quota refusal names (empty when it names none)."""
    values: dict[str, object] = {
        "quota_files": limits.files_per_message,
        "quota_storage": limits.stored_mb_per_user,
        "quota_pages": limits.pages_per_minute,
        "quota_seconds": limits.check_seconds_per_minute,
    }
    return {"limit": values[refused]} if refused in values else {}
