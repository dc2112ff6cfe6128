"""Checked reading of a dossier spec's YAML: typed values, and errors naming the file and the key path."""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from config import CONFIG_DIR

# The cross-checks a piece may run (dossier_checker.crosscheck), each reading one answer field.
CROSS_RULES: frozenset[str] = frozenset(
    {"company_name", "legal_form", "monaco_registry", "address", "registration_number"}
)
# Structural features the checker computes from a page (dossier_checker.features); a spec may weight them.
KNOWN_FEATURES: frozenset[str] = frozenset(
    {
        "drawing",  # many ruling lines / rectangles / curves: a technical drawing
        "dimension_labels",  # numbers that read as lengths: "12,50 m", "4.20", "350"
        "scale",  # "Échelle 1:100", "1/50"
        "numbered_articles",  # "Article 1", "ARTICLE 2" …: statutes, contracts
        "registration_number",  # RCI / RCS / SIREN style identifiers
        "signature",  # "Fait à … le …", "Signature", "Le Président"
        "date",  # a full date anywhere on the page
        "money_amounts",  # several amounts with a currency: invoices, price lists
        "room_labels",  # labels saying how areas are used: "stockage", "kitchen", "ufficio"
        "before_after",  # a drawing whose titles name both a state before and a state after works
    }
)


ROOT = CONFIG_DIR.parent  # error messages name files from here ("config/dossiers/opening.yaml")
LANGUAGES: tuple[str, ...] = ("fr", "en")


class SpecError(ValueError):
    """A dossier spec that cannot be used; the message names the file and the key path."""


class Ctx:
    """Where we are in a file, for error messages."""

    def __init__(self, path: Path) -> None:
        try:
            self.name = str(path.resolve().relative_to(ROOT))
        except ValueError:
            self.name = str(path)

    def error(self, key: str, message: str) -> SpecError:
        """Build the error for a key path of this file."""
        return SpecError(f"{self.name}: {key}: {message}" if key else f"{self.name}: {message}")


def read_mapping(
    ctx: Ctx, key: str, value: object, allowed: Iterable[str], required: Iterable[str]
) -> dict[str, Any]:
    """Check a mapping's keys (unknown ones refused, required ones present) and return it."""
    if not isinstance(value, dict):
        raise ctx.error(key, f"expected a mapping, got {type(value).__name__}")
    allowed_set = set(allowed)
    for k in value:
        if k not in allowed_set:
            raise ctx.error(
                f"{key}.{k}" if key else str(k),
                f"unknown key {k!r} (allowed: {', '.join(sorted(allowed_set))})",
            )
    for k in required:
        if k not in value:
            raise ctx.error(key, f"missing key {k!r}")
    return value


def read_str(ctx: Ctx, key: str, value: object, *, empty: bool = False) -> str:
    """Read a non-empty string (numbers read as text)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ctx.error(key, f"expected a string, got {type(value).__name__}")
    text = str(value)
    if not empty and not text.strip():
        raise ctx.error(key, "must not be empty")
    return text


def read_text(ctx: Ctx, key: str, value: object) -> dict[str, str]:
    """Read a text given in every language."""
    data = read_mapping(ctx, key, value, LANGUAGES, ())
    for lang in LANGUAGES:
        if lang not in data:
            raise ctx.error(key, f"missing language {lang!r}")
    return {lang: read_str(ctx, f"{key}.{lang}", data[lang]).strip() for lang in LANGUAGES}


def read_str_list(ctx: Ctx, key: str, value: object) -> tuple[str, ...]:
    """Read a list of strings (absent: empty)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ctx.error(key, f"expected a list, got {type(value).__name__}")
    return tuple(read_str(ctx, f"{key}[{i}]", v) for i, v in enumerate(value))


def read_identifier(ctx: Ctx, key: str, value: object) -> str:
    """Read an id: lower case letters, digits and underscores."""
    text = read_str(ctx, key, value)
    if not re.fullmatch(r"[a-z][a-z0-9_]*", text):
        raise ctx.error(key, f"{text!r} is not an id (lower case letters, digits, underscores)")
    return text


def read_number(ctx: Ctx, key: str, value: object) -> float:
    """Read a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ctx.error(key, "expected a number")
    return float(value)


def _positive_days(ctx: Ctx, where: str, v: object) -> object:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise ctx.error(where, "expected a positive number of days")
    return v


def _count(ctx: Ctx, where: str, v: object) -> object:
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise ctx.error(where, "expected a non-negative integer")
    return v


def _bound(ctx: Ctx, where: str, v: object) -> object:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ctx.error(where, "expected a number")
    return v


def _flag(ctx: Ctx, where: str, v: object) -> object:
    if not isinstance(v, bool):
        raise ctx.error(where, "expected true or false")
    return v


def _pattern(ctx: Ctx, where: str, v: object) -> object:
    try:
        re.compile(read_str(ctx, where, v))
    except re.error as exc:
        raise ctx.error(where, f"bad regular expression: {exc}") from None
    return v


def _date_bound(ctx: Ctx, where: str, v: object) -> object:
    text = v.isoformat() if isinstance(v, _dt.date) else str(v)
    if text != "today":
        try:
            _dt.date.fromisoformat(text)
        except ValueError:
            raise ctx.error(where, "expected 'today' or a date YYYY-MM-DD") from None
    return text


# How each validation setting of a field is checked, and the value kept for it.
VALIDATION_CHECKS: dict[str, Callable[[Ctx, str, object], object]] = {
    "notice_within_days": _positive_days,
    "notice_article": read_str,
    **dict.fromkeys(("min_length", "max_length", "min_items", "max_items"), _count),
    "min": _bound,
    "max": _bound,
    "integer": _flag,
    "pattern": _pattern,
    "not_before": _date_bound,
    "not_after": _date_bound,
}
