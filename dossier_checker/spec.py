"""Dossier specs as data: load, validate and query ``config/dossiers/*.yaml``.

One spec serves the walkthrough (fields, advice), the checker (pieces, their detection signals and their named
checks) and the letter (its wording, copies and labels), so the law's requirements are written once. Each file
is validated on load by the pydantic models of ``dossier_checker.spec_reading``; what spans files (includes,
the field ids conditions and checks read) is checked here. Every error names the file and the key path.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from config import CONFIG_DIR
from dossier_checker.conditions import Condition, rename_condition, same
from dossier_checker.conditions import condition_fields as condition_fields  # read by the walkthrough
from dossier_checker.conditions import evaluate as evaluate  # read by the checker
from dossier_checker.rules import CheckRule, Scope
from dossier_checker.spec_reading import CATEGORIES_FILE as CATEGORIES_FILE
from dossier_checker.spec_reading import FIELD_TYPES as FIELD_TYPES
from dossier_checker.spec_reading import KNOWN_FEATURES as KNOWN_FEATURES  # the features a spec may weight
from dossier_checker.spec_reading import LANGUAGES as LANGUAGES
from dossier_checker.spec_reading import (
    AdviceModel,
    CategoriesModel,
    ChoiceModel,
    Ctx,
    FieldModel,
    IncludeModel,
    LetterModel,
    PieceModel,
    Selection,
    SpecModel,
    condition_of,
    read_model,
)
from dossier_checker.spec_reading import SpecError as SpecError  # raised by load_spec

SPEC_DIR = CONFIG_DIR / "dossiers"

DOSSIER_IDS: tuple[str, ...] = ("opening", "modification", "transfer", "partial_transfer")


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
    rules: tuple[CheckRule, ...] = ()  # its named checks (dossier_checker.rules), in spec order

    @property
    def document_kind(self) -> str:
        """Name the kind of document, shared by pieces included under another id."""
        return self.kind or self.id

    @property
    def checks(self) -> tuple[CheckRule, ...]:
        """List the rules that read the piece's document (implemented in dossier_checker.classify)."""
        return tuple(r for r in self.rules if r.scope == Scope.DOCUMENT)

    @property
    def cross_checks(self) -> Mapping[str, str]:
        """Map the rules that read the dossier (dossier_checker.crosscheck) to the answer field each reads."""
        return {r.name: r.fields[0] for r in self.rules if r.scope == Scope.DOSSIER}


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
    filename: str = ""  # the PDF's name before the dossier number ("demande-ouverture"); empty: from the id
    joint: bool = False  # signed jointly by the responsible and the current responsible (article 20)
    identity_fields: tuple[str, ...] = ()  # named in the heading and signature blocks, not in the list

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
# Loading: each file through its model, then what spans files.


def _choice(model: ChoiceModel) -> ChoiceSpec:
    return ChoiceSpec(model.value, model.label)


def _field(model: FieldModel, categories: tuple[ChoiceSpec, ...]) -> FieldSpec:
    return FieldSpec(
        id=model.id,
        type=model.type,
        question=model.question,
        help=model.help,
        article=model.article,
        required=model.required,
        required_if=condition_of(model.required_if),
        choices=categories if model.type == "categories" else tuple(_choice(c) for c in model.choices or ()),
        validation=model.validation.model_dump(exclude_unset=True) if model.validation else {},
    )


def _piece(model: PieceModel) -> PieceSpec:
    signals = model.signals
    return PieceSpec(
        id=model.id,
        label=model.label,
        description=model.description,
        article=model.article,
        required_if=condition_of(model.required_if),
        signals=PieceSignals(
            titles=tuple(signals.titles),
            phrases=tuple(signals.phrases),
            negative=tuple(signals.negative),
            features={str(k): w for k, w in (signals.features or {}).items()},
            require_title=signals.require_title,
            require_features=tuple(signals.require_features),
            present=signals.present,
            uncertain=signals.uncertain,
        ),
        rules=tuple(model.checks),
    )


def _advice(model: AdviceModel) -> AdviceSpec:
    return AdviceSpec(model.id, model.text, model.article, condition_of(model.required_if))


def _letter(model: LetterModel | None) -> LetterSpec:
    if model is None:
        return LetterSpec()
    return LetterSpec(
        copies=model.copies,
        copies_articles=tuple(model.copies_articles),
        request=tuple(
            RequestWording(" ".join(r.text.split()), condition_of(r.required_if)) for r in model.request
        ),
        french_fields=tuple(model.french_fields),
        filename=model.filename or "",
        joint=model.joint,
        identity_fields=tuple(model.identity_fields),
    )


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
    model = read_model(Ctx(path), CategoriesModel, _read_yaml(path))
    return tuple(_choice(c) for c in model.categories)


def _select(ctx: Ctx, key: str, wanted: Selection, available: Sequence[Any], what: str) -> list[Any]:
    if wanted is None:
        return []
    if isinstance(wanted, str):  # "all"
        return list(available)
    by_id = {item.id: item for item in available}
    for i, item_id in enumerate(wanted):
        if item_id not in by_id:
            raise ctx.error(f"{key}[{i}]", f"no {what} {item_id!r} in the included spec")
    return [by_id[i] for i in wanted]


def _renamed_rule(rule: CheckRule, names: Mapping[str, str]) -> CheckRule:
    return replace(rule, fields=tuple(names.get(f, f) for f in rule.fields))


def _included(
    ctx: Ctx, key: str, inc: IncludeModel, directory: Path, stack: tuple[str, ...]
) -> tuple[list[FieldSpec], list[PieceSpec], list[AdviceSpec]]:
    source = inc.from_
    if source in stack:
        raise ctx.error(f"{key}.from", f"include cycle: {' -> '.join((*stack, source))}")
    if not (directory / f"{source}.yaml").is_file():
        raise ctx.error(f"{key}.from", f"no spec {source!r} in {directory}")
    other = _load(source, directory, stack)
    known = _all_ids(other)
    for old in inc.rename:
        if old not in known:
            raise ctx.error(f"{key}.rename.{old}", f"unknown key {old!r} (no such id in {source!r})")
    names = dict(inc.rename)
    fields = [
        replace(f, id=names.get(f.id, f.id), required_if=rename_condition(f.required_if, names))
        for f in _select(ctx, f"{key}.fields", inc.fields, other.fields, "field")
    ]
    pieces = [
        replace(
            p,
            id=names.get(p.id, p.id),
            kind=p.document_kind,
            article=inc.article.replace("{article}", p.article),
            required_if=rename_condition(p.required_if, names),
            rules=tuple(_renamed_rule(r, names) for r in p.rules),
        )
        for p in _select(ctx, f"{key}.pieces", inc.pieces, other.pieces, "piece")
    ]
    advice = [
        replace(a, id=names.get(a.id, a.id), required_if=rename_condition(a.required_if, names))
        for a in _select(ctx, f"{key}.advice", inc.advice, other.advice, "advice")
    ]
    return fields, pieces, advice


def _all_ids(spec: DossierSpec) -> set[str]:
    return {f.id for f in spec.fields} | {p.id for p in spec.pieces} | {a.id for a in spec.advice}


def _no_duplicates(ctx: Ctx, key: str, ids: Sequence[str], what: str) -> None:
    seen: set[str] = set()
    for i, item in enumerate(ids):
        if item in seen:
            raise ctx.error(f"{key}[{i}]", f"duplicate {what} {item!r}")
        seen.add(item)


def _where(section: str, items: Sequence[Any], own: int, i: int) -> str:
    """Name an item by its index in the file, or as included (included items come first)."""
    offset = len(items) - own
    return f"{section}[{i - offset}]" if i >= offset else f"include ({section} {items[i].id})"


def _check_conditions(ctx: Ctx, model: SpecModel, spec: DossierSpec, known: set[str]) -> None:
    """Refuse a condition, a piece check or a letter setting that reads a field the spec does not have."""
    sections: tuple[tuple[str, Sequence[FieldSpec | PieceSpec | AdviceSpec], int], ...] = (
        ("fields", spec.fields, len(model.fields)),
        ("pieces", spec.pieces, len(model.pieces)),
        ("advice", spec.advice, len(model.advice)),
    )
    for section, items, own in sections:
        for i, item in enumerate(items):
            for name in sorted(condition_fields(item.required_if) - known):
                where = _where(section, items, own, i)
                raise ctx.error(f"{where}.required_if", f"unknown field {name!r} in condition")
    for i, piece in enumerate(spec.pieces):
        for j, rule in enumerate(piece.rules):
            for name in sorted(set(rule.fields) - known):
                where = _where("pieces", spec.pieces, len(model.pieces), i)
                raise ctx.error(f"{where}.checks[{j}].{rule.name}", f"unknown field {name!r}")
    letter = spec.letter
    for i, request in enumerate(letter.request):
        for name in sorted(condition_fields(request.required_if) - known):
            raise ctx.error(f"letter.request[{i}].required_if", f"unknown field {name!r} in condition")
    for list_key in ("french_fields", "identity_fields"):
        for i, name in enumerate(getattr(letter, list_key)):
            if name not in known:
                raise ctx.error(f"letter.{list_key}[{i}]", f"unknown field {name!r}")


def _load(dossier_id: str, directory: Path, stack: tuple[str, ...] = ()) -> DossierSpec:
    path = directory / f"{dossier_id}.yaml"
    ctx = Ctx(path)
    model = read_model(ctx, SpecModel, _read_yaml(path))
    if model.id != dossier_id:
        raise ctx.error("id", f"id {model.id!r} does not match the file name {dossier_id!r}")
    categories = _load_categories(directory)
    fields: list[FieldSpec] = []
    pieces: list[PieceSpec] = []
    advice: list[AdviceSpec] = []
    for i, inc in enumerate(model.include):
        f, p, a = _included(ctx, f"include[{i}]", inc, directory, (*stack, dossier_id))
        fields, pieces, advice = fields + f, pieces + p, advice + a
    fields += [_field(f, categories) for f in model.fields]
    pieces += [_piece(p) for p in model.pieces]
    advice += [_advice(a) for a in model.advice]
    _no_duplicates(ctx, "fields", [f.id for f in fields], "field id")
    _no_duplicates(ctx, "pieces", [p.id for p in pieces], "piece id")
    _no_duplicates(ctx, "advice", [a.id for a in advice], "advice id")
    if not pieces:
        raise ctx.error("pieces", "a dossier needs at least one piece")
    spec = DossierSpec(
        id=model.id,
        title=model.title,
        articles=tuple(model.articles),
        intro=model.intro,
        fields=tuple(fields),
        pieces=tuple(pieces),
        advice=tuple(advice),
        letter=_letter(model.letter),
        aliases=tuple(model.aliases),
    )
    _check_conditions(ctx, model, spec, {f.id for f in fields})
    return spec


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
