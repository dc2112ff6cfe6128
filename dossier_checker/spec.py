"""Dossier specs as data: load, validate and query ``config/dossiers/*.yaml``.

One spec serves the walkthrough (fields, advice) and the checker (pieces and their detection signals), so
the law's requirements are written once. Specs are validated on load; every error names the file and the
key path.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from config import CONFIG_DIR
from dossier_checker.conditions import (
    AllOf,
    AnyOf,
    Condition,
    Contains,
    Equals,
    In,
    Not,
    rename_condition,
    same,
)
from dossier_checker.conditions import condition_fields as condition_fields  # read by the walkthrough
from dossier_checker.conditions import evaluate as evaluate  # read by the checker
from dossier_checker.rules import CheckRule, RuleError, read_checks
from dossier_checker.spec_reading import CROSS_RULES as CROSS_RULES  # the cross-checks a piece may run
from dossier_checker.spec_reading import KNOWN_FEATURES as KNOWN_FEATURES  # the features a spec may weight
from dossier_checker.spec_reading import LANGUAGES as LANGUAGES
from dossier_checker.spec_reading import (
    VALIDATION_CHECKS,
    Ctx,
    read_identifier,
    read_mapping,
    read_number,
    read_str,
    read_str_list,
    read_text,
)
from dossier_checker.spec_reading import SpecError as SpecError  # raised by load_spec

SPEC_DIR = CONFIG_DIR / "dossiers"
CATEGORIES_FILE = "categories.yaml"

DOSSIER_IDS: tuple[str, ...] = ("opening", "modification", "transfer", "partial_transfer")
FIELD_TYPES: frozenset[str] = frozenset(
    {"text", "yes_no", "choice", "categories", "date", "address", "number", "person_name"}
)
_VALIDATION_KEYS: dict[str, frozenset[str]] = {
    "text": frozenset({"min_length", "max_length", "pattern"}),
    "address": frozenset({"min_length", "max_length", "pattern"}),
    "person_name": frozenset({"min_length", "max_length", "pattern"}),
    "number": frozenset({"min", "max", "integer"}),
    # notice_within_days/notice_article: a date sooner than the decision delay gets a notice (not refused).
    "date": frozenset({"not_before", "not_after", "notice_within_days", "notice_article"}),
    "categories": frozenset({"min_items", "max_items"}),
    "choice": frozenset(),
    "yes_no": frozenset(),
}


# ----------------------------------------------------------------------------------------------------------
# Values of a spec.

Text = Mapping[str, str]  # language -> text


@dataclass(frozen=True)
class ChoiceSpec:
    """One allowed answer of a choice field: the stored value and its label per language."""

    value: str
    label: Text


@dataclass(frozen=True)
class FieldSpec:
    """One question of the request form, with the article that asks for it."""

    id: str
    type: str
    question: Text
    help: Text
    article: str
    required: bool = True
    required_if: Condition | None = None
    choices: tuple[ChoiceSpec, ...] = ()
    validation: Mapping[str, object] = field(default_factory=dict)

    def choice(self, value: object) -> ChoiceSpec | None:
        """Return the choice with this value, if any."""
        return next((c for c in self.choices if same(c.value, value)), None)


@dataclass(frozen=True)
class PieceSignals:
    """How the checker recognises a piece: phrases (OCR-tolerant), structure and layout features."""

    titles: tuple[str, ...] = ()  # phrases that name the document; strong evidence
    phrases: tuple[str, ...] = ()  # vocabulary of the document; supporting evidence
    negative: tuple[str, ...] = ()  # phrases of look-alike documents; count against
    features: Mapping[str, float] = field(default_factory=dict)  # KNOWN_FEATURES name -> weight
    require_title: bool = False  # never "present" without a title phrase
    require_features: tuple[str, ...] = ()  # never "present" without each of these features
    present: float = 6.0  # score at or above which the piece is present
    uncertain: float = 3.0  # score at or above which it is uncertain


@dataclass(frozen=True)
class PieceSpec:
    """One document to attach to the request, with the article that requires it."""

    id: str
    label: Text
    description: Text
    article: str
    required_if: Condition | None
    signals: PieceSignals
    kind: str = ""  # the piece this one was defined as (same signals); equals id unless renamed on include
    checks: tuple[CheckRule, ...] = ()  # named checks, implemented once in dossier_checker.classify
    # Cross-checks the piece runs (dossier_checker.crosscheck.CROSS_RULES) -> the answer field each reads.
    cross_checks: Mapping[str, str] = field(default_factory=dict)

    @property
    def document_kind(self) -> str:
        """Name the kind of document, shared by pieces included under another id."""
        return self.kind or self.id


@dataclass(frozen=True)
class AdviceSpec:
    """A piece of advice the walkthrough shows when its condition holds."""

    id: str
    text: Text
    article: str
    required_if: Condition | None = None


@dataclass(frozen=True)
class RequestWording:
    """One way the letter words the request (French), used when its condition holds for the answers."""

    text: str
    required_if: Condition | None = None


@dataclass(frozen=True)
class LetterSpec:
    """How the request letter is written: the copies the decree sets, the request, the fields kept French."""

    copies: int = 1
    copies_articles: tuple[str, ...] = ()  # the articles that set the number of copies (none: one copy)
    request: tuple[RequestWording, ...] = ()
    french_fields: tuple[str, ...] = ()  # free-text answers the letter quotes: asked again if not French

    def request_text(self, answers: Mapping[str, object]) -> str:
        """Return the first wording of the request whose condition holds."""
        return next((r.text for r in self.request if evaluate(r.required_if, answers)), "")


@dataclass(frozen=True)
class DossierSpec:
    """A dossier type: the request's fields, the pieces to attach and the advice that applies."""

    id: str
    title: Text
    articles: tuple[str, ...]
    intro: Text
    fields: tuple[FieldSpec, ...]
    pieces: tuple[PieceSpec, ...]
    advice: tuple[AdviceSpec, ...]
    letter: LetterSpec = field(default_factory=LetterSpec)
    aliases: tuple[str, ...] = ()  # words that name this dossier in a message (folded), besides its id

    def required_pieces(self, answers: Mapping[str, object]) -> list[PieceSpec]:
        """List the pieces the answers make required, in spec order."""
        return [p for p in self.pieces if evaluate(p.required_if, answers)]

    def active_fields(self, answers: Mapping[str, object]) -> list[FieldSpec]:
        """List the fields whose condition holds for the answers, in spec order."""
        return [f for f in self.fields if evaluate(f.required_if, answers)]

    def applicable_advice(self, answers: Mapping[str, object]) -> list[AdviceSpec]:
        """List the advice whose condition holds for the answers."""
        return [a for a in self.advice if evaluate(a.required_if, answers)]

    def field(self, field_id: str) -> FieldSpec | None:
        """Return the field with this id, if any."""
        return next((f for f in self.fields if f.id == field_id), None)

    def piece(self, piece_id: str) -> PieceSpec | None:
        """Return the piece with this id, if any."""
        return next((p for p in self.pieces if p.id == piece_id), None)


# ----------------------------------------------------------------------------------------------------------
# Loading and validation.


_OPERATORS = ("equals", "in", "contains", "any", "all", "not")


def _condition(ctx: Ctx, key: str, value: object) -> Condition:
    if not isinstance(value, dict) or len(value) != 1:
        raise ctx.error(key, f"a condition is a mapping with one operator among {', '.join(_OPERATORS)}")
    ((op, arg),) = value.items()
    sub = f"{key}.{op}"
    if op == "equals" or op == "contains":
        data = read_mapping(ctx, sub, arg, ("field", "value"), ("field", "value"))
        name = read_str(ctx, f"{sub}.field", data["field"])
        if isinstance(data["value"], dict | list) or data["value"] is None:
            raise ctx.error(f"{sub}.value", "expected a scalar value")
        return Equals(name, data["value"]) if op == "equals" else Contains(name, data["value"])
    if op == "in":
        data = read_mapping(ctx, sub, arg, ("field", "values"), ("field", "values"))
        values = data["values"]
        if not isinstance(values, list) or not values:
            raise ctx.error(f"{sub}.values", "expected a non-empty list")
        return In(read_str(ctx, f"{sub}.field", data["field"]), tuple(values))
    if op in ("any", "all"):
        if not isinstance(arg, list) or not arg:
            raise ctx.error(sub, "expected a non-empty list of conditions")
        items = tuple(_condition(ctx, f"{sub}[{i}]", item) for i, item in enumerate(arg))
        return AnyOf(items) if op == "any" else AllOf(items)
    if op == "not":
        return Not(_condition(ctx, sub, arg))
    raise ctx.error(key, f"unknown operator {op!r} (allowed: {', '.join(_OPERATORS)})")


def _validation(ctx: Ctx, key: str, ftype: str, value: object) -> dict[str, object]:
    if value is None:
        return {}
    data = read_mapping(ctx, key, value, _VALIDATION_KEYS[ftype], ())
    return {k: VALIDATION_CHECKS[k](ctx, f"{key}.{k}", v) for k, v in data.items()}


def _field(ctx: Ctx, key: str, value: object, categories: tuple[ChoiceSpec, ...]) -> FieldSpec:
    allowed = (
        "id",
        "type",
        "question",
        "help",
        "article",
        "required",
        "required_if",
        "choices",
        "validation",
    )
    data = read_mapping(ctx, key, value, allowed, ("id", "type", "question", "help", "article"))
    ftype = read_str(ctx, f"{key}.type", data["type"])
    if ftype not in FIELD_TYPES:
        raise ctx.error(f"{key}.type", f"unknown type {ftype!r} (allowed: {', '.join(sorted(FIELD_TYPES))})")
    required = data.get("required", True)
    if not isinstance(required, bool):
        raise ctx.error(f"{key}.required", "expected true or false")
    choices: tuple[ChoiceSpec, ...] = ()
    if ftype == "choice":
        raw = data.get("choices")
        if not isinstance(raw, list) or len(raw) < 2:
            raise ctx.error(f"{key}.choices", "a choice field needs a list of at least two choices")
        choices = tuple(_choice(ctx, f"{key}.choices[{i}]", c) for i, c in enumerate(raw))
        _no_duplicates(ctx, f"{key}.choices", [c.value for c in choices], "choice value")
    elif "choices" in data:
        if ftype != "categories":
            raise ctx.error(f"{key}.choices", f"only choice fields list choices, not {ftype!r}")
        raise ctx.error(f"{key}.choices", f"categories come from {CATEGORIES_FILE}, not from the field")
    if ftype == "categories":
        choices = categories
    return FieldSpec(
        id=read_identifier(ctx, f"{key}.id", data["id"]),
        type=ftype,
        question=read_text(ctx, f"{key}.question", data["question"]),
        help=read_text(ctx, f"{key}.help", data["help"]),
        article=read_str(ctx, f"{key}.article", data["article"]),
        required=required,
        required_if=_condition(ctx, f"{key}.required_if", data["required_if"])
        if "required_if" in data
        else None,
        choices=choices,
        validation=_validation(ctx, f"{key}.validation", ftype, data.get("validation")),
    )


def _choice(ctx: Ctx, key: str, value: object) -> ChoiceSpec:
    data = read_mapping(ctx, key, value, ("value", "label"), ("value", "label"))
    return ChoiceSpec(
        read_str(ctx, f"{key}.value", data["value"]), read_text(ctx, f"{key}.label", data["label"])
    )


def _signals(ctx: Ctx, key: str, value: object) -> PieceSignals:
    allowed = (
        "titles",
        "phrases",
        "negative",
        "features",
        "require_title",
        "require_features",
        "present",
        "uncertain",
    )
    data = read_mapping(ctx, key, value, allowed, ("present", "uncertain"))
    features_raw = data.get("features") or {}
    features = read_mapping(ctx, f"{key}.features", features_raw, KNOWN_FEATURES, ())
    weights = {name: read_number(ctx, f"{key}.features.{name}", w) for name, w in features.items()}
    require_features = read_str_list(ctx, f"{key}.require_features", data.get("require_features"))
    for i, name in enumerate(require_features):
        if name not in KNOWN_FEATURES:
            raise ctx.error(f"{key}.require_features[{i}]", f"unknown feature {name!r}")
    require_title = data.get("require_title", False)
    if not isinstance(require_title, bool):
        raise ctx.error(f"{key}.require_title", "expected true or false")
    signals = PieceSignals(
        titles=read_str_list(ctx, f"{key}.titles", data.get("titles")),
        phrases=read_str_list(ctx, f"{key}.phrases", data.get("phrases")),
        negative=read_str_list(ctx, f"{key}.negative", data.get("negative")),
        features=weights,
        require_title=require_title,
        require_features=require_features,
        present=read_number(ctx, f"{key}.present", data["present"]),
        uncertain=read_number(ctx, f"{key}.uncertain", data["uncertain"]),
    )
    if not signals.titles and not signals.phrases:
        raise ctx.error(key, "a piece needs at least one title or phrase to be recognised")
    if require_title and not signals.titles:
        raise ctx.error(f"{key}.require_title", "no titles listed")
    if not 0 < signals.uncertain <= signals.present:
        raise ctx.error(f"{key}.uncertain", "must be positive and not above 'present'")
    return signals


def _checks(ctx: Ctx, key: str, value: object) -> tuple[CheckRule, ...]:
    try:
        return read_checks(value)
    except RuleError as exc:
        raise ctx.error(f"{key}{exc.where}", str(exc)) from exc


def _piece(ctx: Ctx, key: str, value: object) -> PieceSpec:
    allowed = ("id", "label", "description", "article", "required_if", "signals", "checks", "cross_checks")
    data = read_mapping(ctx, key, value, allowed, ("id", "label", "description", "article", "signals"))
    cross = read_mapping(ctx, f"{key}.cross_checks", data.get("cross_checks") or {}, CROSS_RULES, ())
    return PieceSpec(
        id=read_identifier(ctx, f"{key}.id", data["id"]),
        label=read_text(ctx, f"{key}.label", data["label"]),
        description=read_text(ctx, f"{key}.description", data["description"]),
        article=read_str(ctx, f"{key}.article", data["article"]),
        required_if=_condition(ctx, f"{key}.required_if", data["required_if"])
        if "required_if" in data
        else None,
        signals=_signals(ctx, f"{key}.signals", data["signals"]),
        checks=_checks(ctx, f"{key}.checks", data.get("checks")),
        cross_checks={
            str(rule): read_str(ctx, f"{key}.cross_checks.{rule}", field_id)
            for rule, field_id in cross.items()
        },
    )


def _advice(ctx: Ctx, key: str, value: object) -> AdviceSpec:
    data = read_mapping(ctx, key, value, ("id", "text", "article", "required_if"), ("id", "text", "article"))
    return AdviceSpec(
        id=read_identifier(ctx, f"{key}.id", data["id"]),
        text=read_text(ctx, f"{key}.text", data["text"]),
        article=read_str(ctx, f"{key}.article", data["article"]),
        required_if=_condition(ctx, f"{key}.required_if", data["required_if"])
        if "required_if" in data
        else None,
    )


def _letter(ctx: Ctx, key: str, value: object, fields: set[str]) -> LetterSpec:
    if value is None:
        return LetterSpec()
    allowed = ("copies", "copies_articles", "request", "french_fields")
    data = read_mapping(ctx, key, value, allowed, ("copies", "request"))
    copies = data["copies"]
    if isinstance(copies, bool) or not isinstance(copies, int) or not 1 <= copies <= 4:
        raise ctx.error(f"{key}.copies", "expected a number of copies from 1 to 4")
    articles = read_str_list(ctx, f"{key}.copies_articles", data.get("copies_articles"))
    if copies > 1 and not articles:
        raise ctx.error(f"{key}.copies_articles", "name the articles that set the number of copies")
    raw = data["request"]
    if not isinstance(raw, list) or not raw:
        raise ctx.error(f"{key}.request", "expected a non-empty list of wordings")
    request = []
    for i, item in enumerate(raw):
        sub = f"{key}.request[{i}]"
        wording = read_mapping(ctx, sub, item, ("text", "required_if"), ("text",))
        condition = (
            _condition(ctx, f"{sub}.required_if", wording["required_if"])
            if "required_if" in wording
            else None
        )
        for name in sorted(condition_fields(condition) - fields):
            raise ctx.error(f"{sub}.required_if", f"unknown field {name!r} in condition")
        request.append(
            RequestWording(" ".join(read_str(ctx, f"{sub}.text", wording["text"]).split()), condition)
        )
    french = read_str_list(ctx, f"{key}.french_fields", data.get("french_fields"))
    for i, name in enumerate(french):
        if name not in fields:
            raise ctx.error(f"{key}.french_fields[{i}]", f"unknown field {name!r}")
    return LetterSpec(copies, articles, tuple(request), french)


def _no_duplicates(ctx: Ctx, key: str, ids: Sequence[str], what: str) -> None:
    seen: set[str] = set()
    for i, item in enumerate(ids):
        if item in seen:
            raise ctx.error(f"{key}[{i}]", f"duplicate {what} {item!r}")
        seen.add(item)


def _read_yaml(path: Path) -> object:
    ctx = Ctx(path)
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except FileNotFoundError:
        raise ctx.error("", "file not found") from None
    except yaml.YAMLError as exc:
        raise ctx.error("", f"not valid YAML: {exc}") from None


def _load_categories(directory: Path) -> tuple[ChoiceSpec, ...]:
    path = directory / CATEGORIES_FILE
    ctx = Ctx(path)
    data = read_mapping(ctx, "", _read_yaml(path), ("categories",), ("categories",))
    raw = data["categories"]
    if not isinstance(raw, list) or not raw:
        raise ctx.error("categories", "expected a non-empty list")
    choices = tuple(_choice(ctx, f"categories[{i}]", c) for i, c in enumerate(raw))
    _no_duplicates(ctx, "categories", [c.value for c in choices], "category")
    return choices


def _select(ctx: Ctx, key: str, wanted: object, available: Sequence[Any], what: str) -> list[Any]:
    if wanted is None:
        return []
    if wanted == "all":
        return list(available)
    ids = read_str_list(ctx, key, wanted)
    by_id = {item.id: item for item in available}
    for i, item_id in enumerate(ids):
        if item_id not in by_id:
            raise ctx.error(f"{key}[{i}]", f"no {what} {item_id!r} in the included spec")
    return [by_id[i] for i in ids]


def _included(
    ctx: Ctx, key: str, value: object, directory: Path, stack: tuple[str, ...]
) -> tuple[list[FieldSpec], list[PieceSpec], list[AdviceSpec]]:
    data = read_mapping(
        ctx, key, value, ("from", "fields", "pieces", "advice", "article", "rename"), ("from",)
    )
    source = read_str(ctx, f"{key}.from", data["from"])
    if source in stack:
        raise ctx.error(f"{key}.from", f"include cycle: {' -> '.join((*stack, source))}")
    if not (directory / f"{source}.yaml").is_file():
        raise ctx.error(f"{key}.from", f"no spec {source!r} in {directory}")
    other = _load(source, directory, stack)
    names_raw = data.get("rename") or {}
    names = {
        str(k): read_identifier(ctx, f"{key}.rename.{k}", v)
        for k, v in read_mapping(ctx, f"{key}.rename", names_raw, _all_ids(other), ()).items()
    }
    template = read_str(ctx, f"{key}.article", data["article"]) if "article" in data else "{article}"
    if "{article}" not in template:
        raise ctx.error(f"{key}.article", "the article template must contain {article}")
    fields = [
        replace(f, id=names.get(f.id, f.id), required_if=rename_condition(f.required_if, names))
        for f in _select(ctx, f"{key}.fields", data.get("fields"), other.fields, "field")
    ]
    pieces = [
        replace(
            p,
            id=names.get(p.id, p.id),
            kind=p.document_kind,
            article=template.replace("{article}", p.article),
            required_if=rename_condition(p.required_if, names),
            cross_checks={rule: names.get(f, f) for rule, f in p.cross_checks.items()},
        )
        for p in _select(ctx, f"{key}.pieces", data.get("pieces"), other.pieces, "piece")
    ]
    advice = [
        replace(a, id=names.get(a.id, a.id), required_if=rename_condition(a.required_if, names))
        for a in _select(ctx, f"{key}.advice", data.get("advice"), other.advice, "advice")
    ]
    return fields, pieces, advice


def _all_ids(spec: DossierSpec) -> set[str]:
    return {f.id for f in spec.fields} | {p.id for p in spec.pieces} | {a.id for a in spec.advice}


def _includes(
    ctx: Ctx, includes: object, directory: Path, stack: tuple[str, ...]
) -> tuple[list[FieldSpec], list[PieceSpec], list[AdviceSpec]]:
    """Return the fields, pieces and advice the spec includes from other specs, in order."""
    fields: list[FieldSpec] = []
    pieces: list[PieceSpec] = []
    advice: list[AdviceSpec] = []
    if not isinstance(includes, list):
        raise ctx.error("include", "expected a list")
    for i, inc in enumerate(includes):
        f, p, a = _included(ctx, f"include[{i}]", inc, directory, stack)
        fields += f
        pieces += p
        advice += a
    return fields, pieces, advice


def _check_conditions(
    ctx: Ctx,
    data: Mapping[str, Any],
    sections: Sequence[tuple[str, Sequence[FieldSpec | PieceSpec | AdviceSpec]]],
    known: set[str],
) -> None:
    """Refuse a condition or a piece check that reads a field the spec does not have."""
    for section, items in sections:
        own = data.get(section) or []
        offset = len(items) - len(own)  # included items come first; name own items by their index in the file
        for i, item in enumerate(items):
            where = (
                f"{section}[{i - offset}].required_if" if i >= offset else f"include ({section} {item.id})"
            )
            for name in sorted(condition_fields(item.required_if) - known):
                raise ctx.error(where, f"unknown field {name!r} in condition")
    for piece in (p for p in sections[1][1] if isinstance(p, PieceSpec)):
        for rule in piece.checks:
            for name in sorted(set(rule.fields) - known):
                raise ctx.error(f"piece {piece.id}: checks: {rule.name}", f"unknown field {name!r}")
        for cross, name in piece.cross_checks.items():
            if name not in known:
                raise ctx.error(f"pieces ({piece.id}).cross_checks.{cross}", f"unknown field {name!r}")


def _load(dossier_id: str, directory: Path, stack: tuple[str, ...] = ()) -> DossierSpec:
    path = directory / f"{dossier_id}.yaml"
    ctx = Ctx(path)
    raw = _read_yaml(path)
    allowed = (
        "id",
        "title",
        "articles",
        "aliases",
        "intro",
        "include",
        "fields",
        "pieces",
        "advice",
        "letter",
    )
    data = read_mapping(ctx, "", raw, allowed, ("id", "title", "articles", "intro"))
    spec_id = read_identifier(ctx, "id", data["id"])
    if spec_id != dossier_id:
        raise ctx.error("id", f"id {spec_id!r} does not match the file name {dossier_id!r}")
    categories = _load_categories(directory)
    fields, pieces, advice = _includes(ctx, data.get("include") or [], directory, (*stack, dossier_id))
    for section in ("fields", "pieces", "advice"):
        if section in data and not isinstance(data[section], list):
            raise ctx.error(section, "expected a list")
    fields += [_field(ctx, f"fields[{i}]", v, categories) for i, v in enumerate(data.get("fields") or [])]
    pieces += [_piece(ctx, f"pieces[{i}]", v) for i, v in enumerate(data.get("pieces") or [])]
    advice += [_advice(ctx, f"advice[{i}]", v) for i, v in enumerate(data.get("advice") or [])]
    _no_duplicates(ctx, "fields", [f.id for f in fields], "field id")
    _no_duplicates(ctx, "pieces", [p.id for p in pieces], "piece id")
    _no_duplicates(ctx, "advice", [a.id for a in advice], "advice id")
    if not pieces:
        raise ctx.error("pieces", "a dossier needs at least one piece")
    known = {f.id for f in fields}
    _check_conditions(ctx, data, (("fields", fields), ("pieces", pieces), ("advice", advice)), known)
    return DossierSpec(
        id=spec_id,
        title=read_text(ctx, "title", data["title"]),
        articles=read_str_list(ctx, "articles", data["articles"]),
        intro=read_text(ctx, "intro", data["intro"]),
        fields=tuple(fields),
        pieces=tuple(pieces),
        advice=tuple(advice),
        letter=_letter(ctx, "letter", data.get("letter"), known),
        aliases=read_str_list(ctx, "aliases", data.get("aliases") or []),
    )


def load_spec(dossier_id: str, directory: str | Path | None = None) -> DossierSpec:
    """Load and validate one dossier spec ("opening", "modification", "transfer", "partial_transfer")."""
    if directory is None:
        if dossier_id not in DOSSIER_IDS:
            raise SpecError(f"unknown dossier {dossier_id!r} (known: {', '.join(DOSSIER_IDS)})")
        return load_specs()[dossier_id]
    return _load(dossier_id, Path(directory))


@functools.cache
def _default_specs() -> dict[str, DossierSpec]:
    return {dossier_id: _load(dossier_id, SPEC_DIR) for dossier_id in DOSSIER_IDS}


def load_specs(directory: str | Path | None = None) -> dict[str, DossierSpec]:
    """Load and validate every dossier spec; the default folder's are cached."""
    if directory is None:
        return dict(_default_specs())
    return {dossier_id: _load(dossier_id, Path(directory)) for dossier_id in DOSSIER_IDS}
