"""The named checks a dossier spec gives each piece (``checks:`` in config/dossiers/*.yaml), read and validated.

Each rule is implemented once, in ``dossier_checker.classify``, keyed by its name, never by a piece id. A rule
``from: practice`` comes from usage rather than the decree: it only warns, and its warning cites no article.
"""

from __future__ import annotations

from dataclasses import dataclass

# Rule name -> what its value is: "none" (written alone), "fields" (a list of answer ids), "days" (a number).
RULES: dict[str, str] = {
    "certified_copy": "none",  # the copy says "copie certifiée conforme"
    "name_matches": "fields",  # the answers' names appear on the document (recomputed when answers change)
    "dimensioned": "none",  # a plan with dimensions ("plan coté")
    "area_uses": "none",  # a plan that says how each area is used (the piece's definition: else uncertain)
    "before_and_after": "none",  # the plans show the state before and after the change
    "approves_transfer": "none",  # minutes approving the transfer (the piece's definition: else uncertain)
    "one_per_party": "none",  # one such document per company (each party's competent body)
    "names_responsible": "none",  # the decision designates the responsible (the definition: else uncertain)
    "dated": "none",  # the document bears a date
    "max_age_days": "days",  # the latest date on the document is at most this many days old
}
# Rules that are the piece's definition in the decree: a document failing one is not counted as present.
DEFINITION_RULES = frozenset({"area_uses", "approves_transfer", "names_responsible"})
SOURCES = ("decree", "practice")


class RuleError(ValueError):
    """A check is malformed; ``where`` is the key path inside ``checks``, the text says what is wrong."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where = where


@dataclass(frozen=True)
class CheckRule:
    """One named check of a piece: its name, its value (answer ids or days), and where the rule comes from."""

    name: str
    fields: tuple[str, ...] = ()
    days: int = 0
    source: str = "decree"  # "practice": warn only, cite no article

    @property
    def practice(self) -> bool:
        """Tell whether the rule comes from practice rather than the decree."""
        return self.source == "practice"


def read_checks(value: object) -> tuple[CheckRule, ...]:
    """Read a piece's ``checks`` list: names alone, or one-key mappings (``max_age_days: 92``)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise RuleError("", "expected a list of checks")
    return tuple(_read_rule(f"[{i}]", item) for i, item in enumerate(value))


def _read_rule(where: str, item: object) -> CheckRule:
    if isinstance(item, str):
        name, raw, source = item, None, "decree"
    elif isinstance(item, dict):
        extra = {k: v for k, v in item.items() if k != "from"}
        if len(extra) != 1:
            raise RuleError(where, "expected one check name (and an optional 'from')")
        ((name, raw),) = extra.items()
        source = str(item.get("from", "decree"))
        if source not in SOURCES:
            raise RuleError(f"{where}.from", f"expected one of {', '.join(SOURCES)}")
    else:
        raise RuleError(where, "expected a check name or a mapping")
    kind = RULES.get(str(name))
    if kind is None:
        raise RuleError(where, f"unknown check {name!r} (known: {', '.join(sorted(RULES))})")
    if kind == "none":
        if raw is not None:
            raise RuleError(f"{where}.{name}", "this check takes no value")
        return CheckRule(str(name), source=source)
    if kind == "fields":
        fields = [raw] if isinstance(raw, str) else raw
        if not isinstance(fields, list) or not fields or not all(isinstance(f, str) for f in fields):
            raise RuleError(f"{where}.{name}", "expected an answer id or a list of answer ids")
        return CheckRule(str(name), fields=tuple(fields), source=source)
    if not isinstance(raw, int) or isinstance(raw, bool) or raw <= 0:
        raise RuleError(f"{where}.{name}", "expected a positive number of days")
    return CheckRule(str(name), days=raw, source=source)
