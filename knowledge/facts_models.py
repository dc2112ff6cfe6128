"""The files of the facts folder as pydantic models: types, allowed values and cross-checks in one place.

An error names the file and the key path, as "delays.yaml.delays[0].unit: 'fortnight' is not one of …"; an
unknown key is an error too (a typo must not silently drop a fact).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple, TypeVar

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Strict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.dataclasses import dataclass


class FactsError(ValueError):
    """A facts file is malformed; the message names the file and the key."""


def _non_empty(value: str) -> str:
    if not value.strip():
        raise ValueError("expected a non-empty string")
    return value


def _article(value: str) -> str:
    if not re.fullmatch(r"\d{1,2}", value) or not 1 <= int(value) <= 64:
        raise ValueError(f"{value!r} is not an article of the decree (1-64)")
    return value


Int = Annotated[int, Strict()]
Flag = Annotated[bool, Strict()]
NonEmpty = Annotated[str, Strict(), AfterValidator(_non_empty)]
ArticleNumber = Annotated[str, Strict(), AfterValidator(_non_empty), AfterValidator(_article)]
Unit = Literal["day", "week", "month", "year", "hour", "immediately"]
Kind = Literal["decision", "deadline", "maximum", "minimum", "retention", "frequency", "threshold", "lapse"]
Aspect = Literal["delay", "silence", "signer", "copies", "addressee", "admissibility"]

FORBID = ConfigDict(extra="forbid")


class _File(BaseModel):
    """A facts file, or a mapping inside one: unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True, config=FORBID)
class Text:
    """A sentence in French and English."""

    fr: NonEmpty
    en: NonEmpty

    @model_validator(mode="before")
    @classmethod
    def _only_languages(cls, data: Any) -> Any:
        extra = sorted(str(k) for k in data if k not in {"fr", "en"}) if isinstance(data, dict) else []
        if extra:
            # "{fr: a, b, en: c}" reads "b" as a key: an unquoted comma cut the sentence short.
            raise ValueError(f"unexpected keys {extra} (quote a text that holds a comma)")
        return data

    def get(self, lang: str) -> str:
        """Return the text in this language (French unless English is asked)."""
        return self.en if lang == "en" else self.fr


@dataclass(frozen=True, config=FORBID)
class Category:
    """One of the 14 categories of establishment of article 2."""

    number: Int
    name: Text
    definition: Text
    may_do: Text
    aliases: tuple[NonEmpty, ...]
    quote: NonEmpty
    article: ArticleNumber = "2"

    @property
    def label(self) -> str:
        """Return the item label, '5°'."""
        return f"{self.number}°"


class Also(NamedTuple):
    """A second period of the same sentence that must also have run: amount, unit, role of its event."""

    amount: Int
    unit: Unit
    start_role: NonEmpty


@dataclass(frozen=True, config=FORBID)
class Delay:
    """A delay, duration, period or frequency set by one article."""

    id: NonEmpty
    article: ArticleNumber
    quote: NonEmpty
    unit: Unit
    kind: Kind
    subject: Text
    statement: Text
    amount: Int | None = None
    counted_from: Text | None = None
    procedures: tuple[NonEmpty, ...] = ()
    keywords: tuple[NonEmpty, ...] = ()
    # For a computed date: the role of the event the delay runs from ("released", "expiry"), and a second
    # period of the same sentence that must also have run ("un an après la péremption et cinq ans après la
    # libération").
    start_role: NonEmpty | None = None
    also: Also | None = None


@dataclass(frozen=True, config=FORBID)
class Band:
    """A printed band of a staffing scale: this many assistants from `low` to `high` persons."""

    assistants: Int
    low: Int
    high: Int
    part: NonEmpty
    quote: NonEmpty


@dataclass(frozen=True, config=FORBID)
class StaffingScale:
    """The scale of article 37 or 38: bands, then one more assistant per `step` further persons."""

    article: ArticleNumber
    categories: tuple[Int, ...]
    quote: NonEmpty
    bands: tuple[Band, ...]
    step: Int
    step_part: NonEmpty
    step_quote: NonEmpty

    @field_validator("bands")
    @classmethod
    def _adjoining(cls, bands: tuple[Band, ...]) -> tuple[Band, ...]:
        for i, band in enumerate(bands):
            if band.assistants != i + 1 or band.low > band.high or (i and bands[i - 1].high + 1 != band.low):
                raise ValueError(f"[{i}]: bands must count 1, 2, … assistants over adjoining ranges")
        return bands


@dataclass(frozen=True, config=FORBID)
class ExperienceRule:
    """The practical experience required of a category's responsible and deputies (art. 26-27)."""

    id: NonEmpty
    article: ArticleNumber
    part: NonEmpty
    categories: tuple[Int, ...]
    months: Int
    reducible: Flag
    quote: NonEmpty
    where: Text


@dataclass(frozen=True, config=FORBID)
class Reduction:
    """A reduction of article 26 II, by length of study (and a third-cycle diploma)."""

    id: NonEmpty
    part: NonEmpty
    study_years: Int
    third_cycle: Flag
    months: Int
    quote: NonEmpty
    study_years_max: Int | None = None


@dataclass(frozen=True, config=FORBID)
class Notification:
    """Who must tell whom what (and, when a delay applies, which)."""

    id: NonEmpty
    article: ArticleNumber
    who: Text
    whom: Text
    what: Text
    quote: NonEmpty
    when: NonEmpty | None = None


@dataclass(frozen=True, config=FORBID)
class Excerpt:
    """A verbatim passage of one article, to be quoted."""

    article: ArticleNumber
    quote: NonEmpty


def _articles_given(numbers: tuple[str, ...]) -> tuple[str, ...]:
    if not numbers:
        raise ValueError("expected at least one article")
    return numbers


Articles = Annotated[tuple[ArticleNumber, ...], AfterValidator(_articles_given)]


# --- the files ------------------------------------------------------------------------------------------------


class CategoriesFile(_File):
    """categories.yaml: the 14 categories of article 2, in order."""

    categories: tuple[Category, ...]

    @field_validator("categories")
    @classmethod
    def _all_fourteen(cls, categories: tuple[Category, ...]) -> tuple[Category, ...]:
        if [c.number for c in categories] != list(range(1, 15)):
            raise ValueError("expected the categories 1 to 14, in order")
        return categories


class DelaysFile(_File):
    """delays.yaml: every delay, duration and frequency of the decree."""

    delays: tuple[Delay, ...]

    @field_validator("delays")
    @classmethod
    def _unique(cls, delays: tuple[Delay, ...]) -> tuple[Delay, ...]:
        ids = [d.id for d in delays]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate ids")
        return delays


class Headcount(_File):
    """How article 39 counts the staff: the operations it names."""

    article: ArticleNumber
    quote: NonEmpty
    operations: tuple[Text, ...]


class StaffingGap(_File):
    """The categories no scale covers, and the rule that still applies to them."""

    categories: tuple[Int, ...]
    articles: tuple[NonEmpty, ...]
    quote_article: ArticleNumber
    quote: NonEmpty
    note: Text
    assistants_rule_article: ArticleNumber
    assistants_rule_quote: NonEmpty


class StaffingFile(_File):
    """staffing.yaml: the scales of articles 37-38, the headcount of article 39, the categories left out."""

    scales: tuple[StaffingScale, ...]
    headcount: Headcount
    not_covered: StaffingGap


class Passage(_File):
    """An article and a verbatim passage of it."""

    article: ArticleNumber
    quote: NonEmpty


class Reductions(_File):
    """Article 26 II: the reductions of the experience by length of study."""

    article: ArticleNumber
    part: NonEmpty
    quote: NonEmpty
    steps: tuple[Reduction, ...]


class ExperienceGap(_File):
    """The categories articles 26-27 do not cover."""

    categories: tuple[Int, ...]
    note: Text


class ExperienceFile(_File):
    """experience.yaml: the practical experience of articles 25-27."""

    general: Passage
    rules: tuple[ExperienceRule, ...]
    reductions: Reductions
    not_covered: ExperienceGap


class NotificationsFile(_File):
    """notifications.yaml: who tells whom what."""

    notifications: tuple[Notification, ...]


def _categories_of_article_2(numbers: tuple[int, ...] | None) -> tuple[int, ...] | None:
    if numbers is not None and (not numbers or not all(1 <= n <= 14 for n in numbers)):
        raise ValueError("expected categories of article 2 (1-14)")
    return numbers


class ArticleEntry(_File):
    """One article's title, summary, words, and the categories it names (none: every establishment)."""

    title: Text
    summary: Text
    words: tuple[NonEmpty, ...]
    categories: Annotated[tuple[Int, ...] | None, AfterValidator(_categories_of_article_2)] = None


class ArticlesFile(_File):
    """articles.yaml: one entry for each article 1 to 64."""

    articles: dict[ArticleNumber, ArticleEntry]

    @field_validator("articles", mode="before")
    @classmethod
    def _numbers_as_text(cls, table: Any) -> Any:
        return {str(k): v for k, v in table.items()} if isinstance(table, dict) else table

    @field_validator("articles")
    @classmethod
    def _every_article(cls, table: dict[str, ArticleEntry]) -> dict[str, ArticleEntry]:
        if sorted(table, key=int) != [str(n) for n in range(1, 65)]:
            raise ValueError("expected one entry for each article 1 to 64")
        return table


class Point(_File):
    """What the decree says of one aspect of one request; a point it does not state (stated: false) says so."""

    articles: Articles
    statement: Text
    line: Text
    quotes: tuple[Excerpt, ...]
    stated: Flag = True

    @model_validator(mode="after")
    def _quoted(self) -> Point:
        if self.stated and not self.quotes:
            raise ValueError(".quotes: a stated point quotes its passage")
        return self


class ProcedureEntry(_File):
    """A request and its formalities, by aspect."""

    id: NonEmpty
    name: Text
    points: dict[Aspect, Point]


class AspectEntry(_File):
    """How one aspect differs across requests."""

    lead: Text
    procedures: tuple[NonEmpty, ...]
    articles: Articles
    quotes: tuple[Excerpt, ...]
    note: Text | None = None


class ProceduresFile(_File):
    """procedures.yaml: the requests, their formalities, and the overviews across requests."""

    procedures: tuple[ProcedureEntry, ...]
    aspects: dict[Aspect, AspectEntry]

    @field_validator("procedures")
    @classmethod
    def _unique(cls, procedures: tuple[ProcedureEntry, ...]) -> tuple[ProcedureEntry, ...]:
        if len({p.id for p in procedures}) != len(procedures):
            raise ValueError("duplicate ids")
        return procedures

    @field_validator("aspects")
    @classmethod
    def _listed_points(cls, aspects: dict[str, AspectEntry], info: ValidationInfo) -> dict[str, AspectEntry]:
        if "procedures" not in info.data:
            return aspects  # the requests are wrong already: that error is the one to read
        procedures: tuple[ProcedureEntry, ...] = info.data["procedures"]
        for aspect, overview in aspects.items():
            for pid in overview.procedures:
                procedure = next((p for p in procedures if p.id == pid), None)
                if procedure is None or aspect not in procedure.points:
                    raise ValueError(f".{aspect}.procedures: {pid!r} has no {aspect!r} point")
        return aspects


# --- reading, with the file and key path in every error ----------------------------------------------------------

_MESSAGES = {
    "string_type": "expected a non-empty string",
    "int_type": "expected an integer",
    "bool_type": "expected true or false",
    "list_type": "expected a list",
    "tuple_type": "expected a list",
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "dataclass_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
}


M = TypeVar("M", bound=BaseModel)


def _path(where: str, loc: tuple[int | str, ...]) -> str:
    return where + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)


def _describe(error: Any, where: str) -> str:
    """Word one pydantic error as '<file>.<key path>: <message>'."""
    loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "missing":
        return f"{_path(where, loc[:-1])}: missing key {loc[-1]!r}"
    if kind in {"extra_forbidden", "unexpected_keyword_argument"}:
        return f"{_path(where, loc[:-1])}: unknown key {loc[-1]!r}"
    if kind == "literal_error":
        return f"{_path(where, loc)}: {error['input']!r} is not one of {error['ctx']['expected']}"
    message = _MESSAGES.get(kind) or str(error["msg"]).removeprefix("Value error, ")
    if message.startswith(("[", ".")):  # a check naming the key below it (".quotes: …", "[2]: bands must …")
        below, _, message = message.partition(": ")
        return f"{_path(where, loc)}{below}: {message}"
    return f"{_path(where, loc)}: {message}"


def read_facts_file(directory: Path, name: str, model: type[M]) -> M:
    """Read and validate one YAML file of the facts folder."""
    path = directory / name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise FactsError(f"{path.name}: cannot read: {exc}") from exc
    if not isinstance(data, dict):
        raise FactsError(f"{path.name}: expected a mapping")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise FactsError("; ".join(_describe(e, path.name) for e in exc.errors())) from None
