"""The named checks a dossier spec gives each piece (``checks:`` in config/dossiers/*.yaml): one registry.

Every rule declares what it reads. A ``document`` rule reads the one document found for the piece (and, for
``name_matches`` and ``max_age_days``, the answers or today's date, recomputed when they change); it is
implemented once in ``dossier_checker.classify`` (``answer_checks`` for those two). A ``dossier`` rule compares the document with the dossier:
one answer field, and the other documents (the registration extract's numbers); it is implemented once in
``dossier_checker.crosscheck``. Both are keyed by the rule's name, never by a piece id. A rule from practice
rather than the decree (``max_age_days``, or any rule written ``from: practice``) only warns, never keeps a
piece from counting as present, and its warning cites no article.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Scope(StrEnum):
    """What a rule needs: the piece's one document, or the dossier (answers and the other documents)."""

    DOCUMENT = "document"
    DOSSIER = "dossier"


class Source(StrEnum):
    """Where a rule comes from: the decree (its warning cites the piece's article) or practice (it does not)."""

    DECREE = "decree"
    PRACTICE = "practice"


@dataclass(frozen=True)
class RuleKind:
    """How a named rule is written and what it reads."""

    value: str  # "none" (written alone), "fields" (answer ids), "field" (one answer id), "days" (a number)
    scope: Scope = Scope.DOCUMENT
    source: Source = Source.DECREE  # the default; a spec may say ``from: practice``
    definition: bool = False  # the piece's definition in the decree: a document failing it is not present


D, X = Scope.DOCUMENT, Scope.DOSSIER
RULES: dict[str, RuleKind] = {
    "certified_copy": RuleKind("none", D),  # the copy says "copie certifiée conforme"
    "name_matches": RuleKind("fields", D),  # the answers' names appear on the document
    "dimensioned": RuleKind("none", D),  # a plan with dimensions ("plan coté")
    "area_uses": RuleKind("none", D, definition=True),  # a plan that says how each area is used
    "before_and_after": RuleKind("none", D),  # the plans show the state before and after the change
    "approves_transfer": RuleKind("none", D, definition=True),  # minutes approving the transfer
    "one_per_party": RuleKind("none", D),  # one such document per company (each party's competent body)
    "names_responsible": RuleKind("none", D, definition=True),  # the decision designates the responsible
    "dated": RuleKind("none", D),  # the document bears a date
    "max_age_days": RuleKind("days", D, Source.PRACTICE),  # the latest date on it is at most so many days old
    "company_name": RuleKind("field", X),  # the company name it states is the answer's
    "legal_form": RuleKind("field", X),  # the legal form it writes is the answer's
    "monaco_registry": RuleKind("field", X),  # a Monaco company's extract comes from Monaco's register (RCI)
    "address": RuleKind("field", X),  # the answer's address is written on it
    "registration_number": RuleKind("field", X),  # the company's number on it is the extract's
}
# Rules that are the piece's definition in the decree: a document failing one is not counted as present.
DEFINITION_RULES = frozenset(name for name, kind in RULES.items() if kind.definition)
SOURCES = tuple(Source)


def rule_names(scope: Scope) -> frozenset[str]:
    """Name the rules of one scope (each implemented once, in the module that runs that scope)."""
    return frozenset(name for name, kind in RULES.items() if kind.scope == scope)


class RuleError(ValueError):
    """A check is malformed; ``where`` is the key path inside the check, the text says what is wrong."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where = where


@dataclass(frozen=True)
class CheckRule:
    """One named check of a piece: its name, its value (answer ids or days), and where the rule comes from."""

    name: str
    fields: tuple[str, ...] = ()
    days: int = 0
    source: str = Source.DECREE  # "practice": warn only, cite no article

    @property
    def practice(self) -> bool:
        """Tell whether the rule comes from practice rather than the decree."""
        return self.source == Source.PRACTICE

    @property
    def scope(self) -> Scope:
        """Tell whether the rule reads the piece's document alone or the dossier."""
        return RULES[self.name].scope


def read_rule(item: object) -> CheckRule:
    """Read one check: a name alone (``dated``) or a one-key mapping (``max_age_days: 92``, ``from``)."""
    if isinstance(item, str):
        name, raw, source = item, None, None
    elif isinstance(item, dict):
        extra = {k: v for k, v in item.items() if k != "from"}
        if len(extra) != 1:
            raise RuleError("", "expected one check name (and an optional 'from')")
        ((name, raw),) = extra.items()
        source = item.get("from")
        if source is not None and source not in SOURCES:
            raise RuleError(".from", f"expected one of {', '.join(SOURCES)}")
    else:
        raise RuleError("", "expected a check name or a mapping")
    kind = RULES.get(str(name))
    if kind is None:
        raise RuleError("", f"unknown check {name!r} (known: {', '.join(sorted(RULES))})")
    chosen = Source(source) if source is not None else kind.source
    if kind.definition and chosen == Source.PRACTICE:
        raise RuleError(".from", f"{name!r} is the piece's definition in the decree, not a practice")
    fields, days = _value(str(name), kind.value, raw)
    return CheckRule(str(name), fields, days, chosen)


def _value(name: str, kind: str, raw: object) -> tuple[tuple[str, ...], int]:
    """Read a rule's value: its answer ids, or its number of days."""
    if kind == "none":
        if raw is not None:
            raise RuleError(f".{name}", "this check takes no value")
        return (), 0
    if kind in ("fields", "field"):
        fields = [raw] if isinstance(raw, str) else raw
        if not isinstance(fields, list) or not fields or not all(isinstance(f, str) for f in fields):
            raise RuleError(f".{name}", "expected an answer id or a list of answer ids")
        if kind == "field" and len(fields) != 1:
            raise RuleError(f".{name}", "expected one answer id")
        return tuple(fields), 0
    if not isinstance(raw, int) or isinstance(raw, bool) or raw <= 0:
        raise RuleError(f".{name}", "expected a positive number of days")
    return (), raw
