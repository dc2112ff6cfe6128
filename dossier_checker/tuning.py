"""The checker's tuned numbers and vocabularies, read once from ``config/checker.yaml``."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import yaml

from config import CONFIG_DIR

CONFIG = CONFIG_DIR / "checker.yaml"


@dataclass(frozen=True)
class Scoring:
    """Points for titles, phrases and look-alike phrases, and the margin that makes two kinds ambiguous."""

    title_in_head: float
    title_in_body: float
    extra_title: float
    title_cap: float
    phrase: float
    phrase_cap: float
    negative_in_head: float
    negative_in_body: float
    ambiguous_margin: float
    titled_negative_factor: float


@dataclass(frozen=True)
class TitleLine:
    """Where a document's own title is looked for, and how much else its line may hold."""

    head_lines: int
    opening_lines: int
    max_extra_words: int
    max_extra_ratio: float
    fuzzy_cutoff: float


@dataclass(frozen=True)
class Plans:
    """How plans are read: bare centimetre figures, room labels, two plans of the same premises."""

    bare_cm_min: int
    bare_cm_max: int
    bare_cm_count: int
    room_labels_min: int
    same_premises_overlap: float


@dataclass(frozen=True)
class CrossCheck:
    """How close a company name or an address must be to count as the same (rapidfuzz scores, 0-100)."""

    name_cutoff: float
    address_cutoff: float


@dataclass(frozen=True)
class DocumentType:
    """A kind of document that is no piece (a règlement intérieur, an invoice), known by its title line."""

    id: str
    titles: tuple[str, ...]
    yields_to: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tuning:
    """Everything in ``config/checker.yaml``."""

    scoring: Scoring
    title_line: TitleLine
    plans: Plans
    crosscheck: CrossCheck
    room_labels: tuple[str, ...]
    before_markers: tuple[str, ...]
    after_markers: tuple[str, ...]
    appointment_phrases: tuple[str, ...]
    responsible_phrases: tuple[str, ...]
    letter_subjects: frozenset[str]
    document_types: tuple[DocumentType, ...]


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"{CONFIG.name}: {where} must be a list of phrases")
    return tuple(value)


@functools.cache
def tuning() -> Tuning:
    """Load and check ``config/checker.yaml`` (once)."""
    raw = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    types = tuple(
        DocumentType(
            id=name,
            titles=_strings(body["titles"], f"document_types.{name}.titles"),
            yields_to=_strings(body.get("yields_to", []), f"document_types.{name}.yields_to")
            if body.get("yields_to")
            else (),
        )
        for name, body in raw["document_types"].items()
    )
    rooms = raw["room_labels"]
    return Tuning(
        scoring=Scoring(**{k: float(v) for k, v in raw["scoring"].items()}),
        title_line=TitleLine(
            head_lines=int(raw["title_line"]["head_lines"]),
            opening_lines=int(raw["title_line"]["opening_lines"]),
            max_extra_words=int(raw["title_line"]["max_extra_words"]),
            max_extra_ratio=float(raw["title_line"]["max_extra_ratio"]),
            fuzzy_cutoff=float(raw["title_line"]["fuzzy_cutoff"]),
        ),
        plans=Plans(
            bare_cm_min=int(raw["plans"]["bare_cm_min"]),
            bare_cm_max=int(raw["plans"]["bare_cm_max"]),
            bare_cm_count=int(raw["plans"]["bare_cm_count"]),
            room_labels_min=int(raw["plans"]["room_labels_min"]),
            same_premises_overlap=float(raw["plans"]["same_premises_overlap"]),
        ),
        crosscheck=CrossCheck(
            name_cutoff=float(raw["crosscheck"]["name_cutoff"]),
            address_cutoff=float(raw["crosscheck"]["address_cutoff"]),
        ),
        room_labels=tuple(p for lang in rooms.values() for p in _strings(lang, "room_labels")),
        before_markers=_strings(raw["before_markers"], "before_markers"),
        after_markers=_strings(raw["after_markers"], "after_markers"),
        appointment_phrases=_strings(raw["appointment_phrases"], "appointment_phrases"),
        responsible_phrases=_strings(raw["responsible_phrases"], "responsible_phrases"),
        letter_subjects=frozenset(_strings(raw["letter_subjects"], "letter_subjects")),
        document_types=types,
    )
