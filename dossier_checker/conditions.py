"""Conditions of a dossier spec: a few declarative operators (equals, in, contains, any, all, not), never code."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

TRUE_WORDS = frozenset({"true", "yes", "oui", "o", "y", "1", "vrai"})
FALSE_WORDS = frozenset({"false", "no", "non", "n", "0", "faux"})


@dataclass(frozen=True)
class Equals:
    """True when the answer to ``field`` equals ``value``."""

    field: str
    value: object


@dataclass(frozen=True)
class In:
    """True when the answer to ``field`` is one of ``values``."""

    field: str
    values: tuple[object, ...]


@dataclass(frozen=True)
class Contains:
    """True when the multi-choice answer to ``field`` includes ``value``."""

    field: str
    value: object


@dataclass(frozen=True)
class AnyOf:
    """True when at least one sub-condition holds."""

    items: tuple[Condition, ...]


@dataclass(frozen=True)
class AllOf:
    """True when every sub-condition holds."""

    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    """True when the sub-condition does not hold."""

    item: Condition


Condition = Equals | In | Contains | AnyOf | AllOf | Not


def same(answer: object, expected: object) -> bool:
    """Compare an answer with an expected value: yes/no words as booleans, text without case."""
    if answer is None:
        return False
    if isinstance(answer, bool) or isinstance(expected, bool):
        return as_bool(answer) is not None and as_bool(answer) == as_bool(expected)
    if answer == expected:
        return True
    return str(answer).strip().casefold() == str(expected).strip().casefold()


def as_bool(value: object) -> bool | None:
    """Read a yes/no answer ("oui", "no", "1", True); None when it is neither."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().casefold()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    return None


def evaluate(condition: Condition | None, answers: Mapping[str, object]) -> bool:
    """Tell whether a condition holds for the answers given so far (no condition: always)."""
    if condition is None:
        return True
    match condition:
        case Equals(field=name, value=value):
            return same(answers.get(name), value)
        case In(field=name, values=values):
            answer = answers.get(name)
            return any(same(answer, v) for v in values)
        case Contains(field=name, value=value):
            answer = answers.get(name)
            if isinstance(answer, list | tuple | set | frozenset):
                return any(same(item, value) for item in answer)
            return same(answer, value)
        case AnyOf(items=items):
            return any(evaluate(item, answers) for item in items)
        case AllOf(items=items):
            return all(evaluate(item, answers) for item in items)
        case Not(item=item):
            return not evaluate(item, answers)
    raise TypeError(f"not a condition: {condition!r}")


def condition_fields(condition: Condition | None) -> set[str]:
    """List the field ids a condition reads."""
    match condition:
        case None:
            return set()
        case Equals(field=name) | In(field=name) | Contains(field=name):
            return {name}
        case AnyOf(items=items) | AllOf(items=items):
            return set().union(*(condition_fields(i) for i in items)) if items else set()
        case Not(item=item):
            return condition_fields(item)
    return set()


def rename_condition(condition: Condition | None, names: Mapping[str, str]) -> Condition | None:
    """Return the condition reading renamed fields (an included spec's fields under their new ids)."""
    match condition:
        case None:
            return None
        case Equals(field=name):
            return replace(condition, field=names.get(name, name))
        case In(field=name):
            return replace(condition, field=names.get(name, name))
        case Contains(field=name):
            return replace(condition, field=names.get(name, name))
        case AnyOf(items=items):
            return AnyOf(tuple(_renamed(i, names) for i in items))
        case AllOf(items=items):
            return AllOf(tuple(_renamed(i, names) for i in items))
        case Not(item=item):
            return Not(_renamed(item, names))
    return condition


def _renamed(condition: Condition, names: Mapping[str, str]) -> Condition:
    result = rename_condition(condition, names)
    assert result is not None
    return result
