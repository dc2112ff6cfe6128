"""The shape of a dossier spec's YAML as pydantic models; a broken file is named with its key path.

These models check one file as written (unknown keys refused, types, languages, values). What needs the
other files (includes, field ids read by conditions and checks, duplicates across includes) is checked by
``dossier_checker.spec``, which turns these models into the values the walkthrough and the checker read.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, Self, TypeVar, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PlainValidator,
    StrictBool,
    Tag,
    ValidationError,
    model_validator,
)

from config import CONFIG_DIR
from dossier_checker.conditions import AllOf, AnyOf, Condition, Contains, Equals, In, Not
from dossier_checker.rules import CheckRule, RuleError, read_rule

# Structural features the checker computes from a page (dossier_checker.features); a spec may weight them.
Feature = Literal[
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
]
KNOWN_FEATURES: frozenset[str] = frozenset(get_args(Feature))
FieldType = Literal["text", "yes_no", "choice", "categories", "date", "address", "number", "person_name"]
FIELD_TYPES: frozenset[str] = frozenset(get_args(FieldType))
# The validation settings each field type takes; notice_within_days/notice_article: a date sooner than the
# decision delay gets a notice (it is not refused).
VALIDATION_KEYS: dict[str, frozenset[str]] = {
    "text": frozenset({"min_length", "max_length", "pattern"}),
    "address": frozenset({"min_length", "max_length", "pattern"}),
    "person_name": frozenset({"min_length", "max_length", "pattern"}),
    "number": frozenset({"min", "max", "integer"}),
    "date": frozenset({"not_before", "not_after", "notice_within_days", "notice_article"}),
    "categories": frozenset({"min_items", "max_items"}),
    "choice": frozenset(),
    "yes_no": frozenset(),
}
OPERATORS = ("equals", "in", "contains", "any", "all", "not")
ROOT = CONFIG_DIR.parent  # error messages name files from here ("config/dossiers/opening.yaml")
LANGUAGES: tuple[str, ...] = ("fr", "en")
CATEGORIES_FILE = "categories.yaml"


class SpecError(ValueError):
    """A dossier spec that cannot be used; the message names the file and the key path."""


class At(ValueError):
    """A value refused by a model's own check, ``where`` below the key the model sits at."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where = where


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


# ----------------------------------------------------------------------------------------------------------
# Values


def _text_value(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"expected a string, got {type(value).__name__}")
    if not str(value).strip():
        raise ValueError("must not be empty")
    return str(value)


def _identifier(value: object) -> str:
    text = _text_value(value)
    if not re.fullmatch(r"[a-z][a-z0-9_]*", text):
        raise ValueError(f"{text!r} is not an id (lower case letters, digits, underscores)")
    return text


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("expected a number")
    return float(value)


def _languages(value: dict[str, str]) -> dict[str, str]:
    for key in value:
        if key not in LANGUAGES:
            raise At(f".{key}", f"unknown key {key!r} (allowed: {', '.join(sorted(LANGUAGES))})")
    for lang in LANGUAGES:
        if lang not in value:
            raise ValueError(f"missing language {lang!r}")
    return {lang: value[lang].strip() for lang in LANGUAGES}


def _scalar(value: object) -> object:
    if isinstance(value, dict | list) or value is None:
        raise ValueError("expected a scalar value")
    return value


def _bound(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("expected a number")
    return value  # kept as written (an integer bound stays one)


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("expected a non-negative integer")
    return value


def _positive_days(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError("expected a positive number of days")
    return value


def _pattern(value: object) -> str:
    text = _text_value(value)
    try:
        re.compile(text)
    except re.error as exc:
        raise ValueError(f"bad regular expression: {exc}") from None
    return text


def _date_bound(value: object) -> str:
    text = value.isoformat() if isinstance(value, _dt.date) else str(value)
    if text != "today":
        try:
            _dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError("expected 'today' or a date YYYY-MM-DD") from None
    return text


def _copies(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4:
        raise ValueError("expected a number of copies from 1 to 4")
    return value


def _rule(value: object) -> CheckRule:
    try:
        return read_rule(value)
    except RuleError as exc:
        raise At(exc.where, str(exc)) from None


Selection = str | tuple[str, ...] | None  # "all", some ids, or none


def _selection(value: object) -> Selection:
    if value == "all":
        return "all"
    if not isinstance(value, list):
        raise ValueError(f"expected 'all' or a list of ids, got {type(value).__name__}")
    return tuple(_text_value(v) for v in value)


Str = Annotated[str, PlainValidator(_text_value)]
Identifier = Annotated[str, PlainValidator(_identifier)]
Number = Annotated[float, PlainValidator(_number)]
Text = Annotated[dict[str, Str], AfterValidator(_languages)]
Scalar = Annotated[object, PlainValidator(_scalar)]
NonEmpty = Field(min_length=1)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# ----------------------------------------------------------------------------------------------------------
# Conditions: one operator each (equals, in, contains, any, all, not), never code.


class _Compare(_Model):
    field: Str
    value: Scalar


class _Values(_Model):
    field: Str
    values: Annotated[list[Scalar], NonEmpty]


class EqualsModel(_Model):
    """``equals: {field, value}``."""

    equals: _Compare

    def condition(self) -> Condition:
        """Return the condition the model describes."""
        return Equals(self.equals.field, self.equals.value)


class ContainsModel(_Model):
    """``contains: {field, value}``: a multi-choice answer includes the value."""

    contains: _Compare

    def condition(self) -> Condition:
        """Return the condition the model describes."""
        return Contains(self.contains.field, self.contains.value)


class InModel(_Model):
    """``in: {field, values}``."""

    in_: _Values = Field(alias="in")

    def condition(self) -> Condition:
        """Return the condition the model describes."""
        return In(self.in_.field, tuple(self.in_.values))


class AnyModel(_Model):
    """``any: [conditions]``."""

    any: Annotated[list[ConditionModel], NonEmpty]

    def condition(self) -> Condition:
        """Return the condition the model describes."""
        return AnyOf(tuple(c.condition() for c in self.any))


class AllModel(_Model):
    """``all: [conditions]``."""

    all: Annotated[list[ConditionModel], NonEmpty]

    def condition(self) -> Condition:
        """Return the condition the model describes."""
        return AllOf(tuple(c.condition() for c in self.all))


class NotModel(_Model):
    """``not: condition``."""

    not_: ConditionModel = Field(alias="not")

    def condition(self) -> Condition:
        """Return the condition the model describes."""
        return Not(self.not_.condition())


def _operator(value: object) -> str | None:
    if isinstance(value, BaseModel):
        return next(iter(type(value).model_fields)).rstrip("_")
    if isinstance(value, dict) and len(value) == 1:
        return str(next(iter(value)))
    return None


ConditionModel = Annotated[
    Annotated[EqualsModel, Tag("equals")]
    | Annotated[InModel, Tag("in")]
    | Annotated[ContainsModel, Tag("contains")]
    | Annotated[AnyModel, Tag("any")]
    | Annotated[AllModel, Tag("all")]
    | Annotated[NotModel, Tag("not")],
    Discriminator(_operator),
]
for _model in (AnyModel, AllModel, NotModel):
    _model.model_rebuild()


def condition_of(model: ConditionModel | None) -> Condition | None:
    """Return the condition a model describes (none: always true)."""
    return model.condition() if model is not None else None


# ----------------------------------------------------------------------------------------------------------
# The file


class ChoiceModel(_Model):
    """One allowed answer of a choice field."""

    value: Str
    label: Text


class ValidationModel(_Model):
    """The validation settings of a field (which ones apply depends on its type)."""

    min_length: Annotated[int, PlainValidator(_count)] | None = None
    max_length: Annotated[int, PlainValidator(_count)] | None = None
    min_items: Annotated[int, PlainValidator(_count)] | None = None
    max_items: Annotated[int, PlainValidator(_count)] | None = None
    min: Annotated[float, PlainValidator(_bound)] | None = None
    max: Annotated[float, PlainValidator(_bound)] | None = None
    integer: StrictBool | None = None
    pattern: Annotated[str, PlainValidator(_pattern)] | None = None
    not_before: Annotated[str, PlainValidator(_date_bound)] | None = None
    not_after: Annotated[str, PlainValidator(_date_bound)] | None = None
    notice_within_days: Annotated[int, PlainValidator(_positive_days)] | None = None
    notice_article: Str | None = None


class FieldModel(_Model):
    """One question of the request form."""

    id: Identifier
    type: FieldType
    question: Text
    help: Text
    article: Str
    required: StrictBool = True
    required_if: ConditionModel | None = None
    choices: list[ChoiceModel] | None = None
    validation: ValidationModel | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        """Refuse choices and validation settings the field's type does not take."""
        if self.type == "choice":
            if self.choices is None or len(self.choices) < 2:
                raise At(".choices", "a choice field needs a list of at least two choices")
            _no_duplicates(".choices", [c.value for c in self.choices], "choice value")
        elif self.choices is not None:
            if self.type == "categories":
                raise At(".choices", f"categories come from {CATEGORIES_FILE}, not from the field")
            raise At(".choices", f"only choice fields list choices, not {self.type!r}")
        for key in sorted(self.validation.model_fields_set if self.validation else set()):
            if key not in VALIDATION_KEYS[self.type]:
                allowed = ", ".join(sorted(VALIDATION_KEYS[self.type])) or "none"
                raise At(f".validation.{key}", f"unknown key {key!r} (allowed: {allowed})")
        return self


class SignalsModel(_Model):
    """How the checker recognises a piece."""

    titles: list[Str] = []
    phrases: list[Str] = []
    negative: list[Str] = []
    features: dict[Feature, Number] | None = None
    require_title: StrictBool = False
    require_features: list[Feature] = []
    present: Number
    uncertain: Number

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        """Refuse signals that could never recognise the piece."""
        if not self.titles and not self.phrases:
            raise ValueError("a piece needs at least one title or phrase to be recognised")
        if self.require_title and not self.titles:
            raise At(".require_title", "no titles listed")
        if not 0 < self.uncertain <= self.present:
            raise At(".uncertain", "must be positive and not above 'present'")
        return self


class PieceModel(_Model):
    """One document to attach to the request."""

    id: Identifier
    label: Text
    description: Text
    article: Str
    required_if: ConditionModel | None = None
    signals: SignalsModel
    checks: list[Annotated[CheckRule, PlainValidator(_rule)]] = []


class AdviceModel(_Model):
    """A piece of advice the walkthrough shows when its condition holds."""

    id: Identifier
    text: Text
    article: Str
    required_if: ConditionModel | None = None


class RequestModel(_Model):
    """One wording of the request, with its condition."""

    text: Str
    required_if: ConditionModel | None = None


class LetterModel(_Model):
    """How the request letter is written."""

    copies: Annotated[int, PlainValidator(_copies)]
    copies_articles: list[Str] = []
    request: Annotated[list[RequestModel], NonEmpty]
    french_fields: list[Str] = []
    filename: Str | None = None  # the PDF's name, before the dossier number ("demande-ouverture")
    joint: StrictBool = False  # signed jointly by the responsible and the current responsible
    identity_fields: list[Str] = []  # named in the heading and signature blocks, not in the list

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        """Ask for the articles that set more than one copy."""
        if self.copies > 1 and not self.copies_articles:
            raise At(".copies_articles", "name the articles that set the number of copies")
        return self


class IncludeModel(_Model):
    """Fields, pieces and advice taken from another spec."""

    from_: Str = Field(alias="from")
    fields: Annotated[Selection, PlainValidator(_selection)] = None
    pieces: Annotated[Selection, PlainValidator(_selection)] = None
    advice: Annotated[Selection, PlainValidator(_selection)] = None
    article: Str = "{article}"  # the included items' article, "{article}" standing for their own
    rename: dict[str, Identifier] = {}

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        """Keep the items' own article in the template."""
        if "{article}" not in self.article:
            raise At(".article", "the article template must contain {article}")
        return self


class SpecModel(_Model):
    """One dossier spec file."""

    id: Identifier
    title: Text
    articles: list[Str]
    aliases: list[Str] = []  # words that name this dossier in a message (folded), besides its id
    intro: Text
    include: list[IncludeModel] = []
    fields: list[FieldModel] = []
    pieces: list[PieceModel] = []
    advice: list[AdviceModel] = []
    letter: LetterModel | None = None


class CategoriesModel(_Model):
    """The categories of article 2, offered by every field of type ``categories``."""

    categories: Annotated[list[ChoiceModel], NonEmpty]

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        """Refuse a category listed twice."""
        _no_duplicates("categories", [c.value for c in self.categories], "category")
        return self


def _no_duplicates(key: str, ids: Sequence[str], what: str) -> None:
    seen: set[str] = set()
    for i, item in enumerate(ids):
        if item in seen:
            raise At(f"{key}[{i}]", f"duplicate {what} {item!r}")
        seen.add(item)


# ----------------------------------------------------------------------------------------------------------
# Errors: pydantic's first error, as "file: key path: message".

M = TypeVar("M", bound=BaseModel)


def read_model(ctx: Ctx, model: type[M], data: object) -> M:
    """Validate a file's data with its model; raise the first error naming the file and the key path."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _spec_error(ctx, exc.errors()[0]) from None


def _key(loc: Sequence[int | str]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif item != "[key]" and not (parts and parts[-1] == f".{item}"):  # a condition's tag repeats it
            parts.append(f".{item}")
    return "".join(parts).lstrip(".")


def _spec_error(ctx: Ctx, error: Mapping[str, Any]) -> SpecError:
    loc, kind, value = tuple(error["loc"]), error["type"], error.get("input")
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, At):
        return ctx.error(f"{_key(loc)}{cause.where}".lstrip("."), str(cause))
    return ctx.error(*_described(loc, kind, value, error))


def _described(loc: tuple[Any, ...], kind: str, value: object, error: Mapping[str, Any]) -> tuple[str, str]:
    found = type(value).__name__
    if kind == "missing":
        return _key(loc[:-1]), f"missing key {loc[-1]!r}"
    if kind == "extra_forbidden":
        return _key(loc), f"unknown key {loc[-1]!r}"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        op = next(iter(value)) if isinstance(value, dict) and len(value) == 1 else None
        if op is None:
            return _key(loc), f"a condition is a mapping with one operator among {', '.join(OPERATORS)}"
        return _key(loc), f"unknown operator {op!r} (allowed: {', '.join(OPERATORS)})"
    if kind == "literal_error":
        what = "key" if loc[-1] == "[key]" else "value" if isinstance(loc[-1], int) else loc[-1]
        allowed = str(error.get("ctx", {}).get("expected", ""))
        return _key(loc), f"unknown {what} {value!r} (allowed: {allowed})"
    messages = {
        "model_type": f"expected a mapping, got {found}",
        "model_attributes_type": f"expected a mapping, got {found}",
        "dict_type": f"expected a mapping, got {found}",
        "list_type": f"expected a list, got {found}",
        "bool_type": "expected true or false",
        "too_short": "expected a non-empty list",
    }
    message = messages.get(kind, str(error.get("msg", "")).removeprefix("Value error, "))
    return _key(loc), message
