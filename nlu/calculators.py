"""The calculators a message can ask for, as data: when it is a calculation, and which calculator answers it.

Each entry of the ``calculators`` section of ``knowledge/glossary/lexicon.yaml`` names a calculator (its function
is registered under that name in ``bot/answering/calculations.py``) and two cues built from named signals:

- ``intent``: when the NLU reads the message as this calculation, and how sure it is (``confidence``); the NLU
  tries the calculators by ``intent.rank``;
- ``answer``: when ``calculate()`` runs this calculator; it tries them in the file's order.

A cue holds when every signal of ``all`` holds and, if ``any`` is given, at least one of ``any`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

from knowledge.text import word_set
from nlu.entities import Entities
from nlu.lexicon import load_glossary_yaml, load_lexicon
from nlu.text import fold

_SOURCE = "lexicon.yaml"
_HOW_MANY = word_set("how_many")


@dataclass(frozen=True)
class _Message:
    """What the cues look at in one message."""

    words: tuple[str, ...]
    word_set: frozenset[str]
    entities: Entities


_Signal = Callable[["Calculator", _Message], bool]

# The signals a cue may name: the calculator's own words, and the entities it needs.
SIGNALS: dict[str, _Signal] = {
    "topic": lambda c, m: load_lexicon().has(m.words, c.topic),  # a phrase of its lexicon list
    "words": lambda c, m: bool(m.word_set & c.words),  # one of its answer words
    "how_many": lambda c, m: bool(m.word_set & _HOW_MANY),  # "combien", "how many"
    "headcount": lambda c, m: m.entities.headcount is not None,
    "category": lambda c, m: m.entities.category is not None,
    "study_years": lambda c, m: m.entities.study_years is not None,
    "date": lambda c, m: m.entities.date is not None,
    "procedure": lambda c, m: bool(m.entities.procedure),
}


@dataclass(frozen=True)
class Cue:
    """Named signals: every one of `all`, and at least one of `any` when it is not empty."""

    all: tuple[str, ...] = ()
    any: tuple[str, ...] = ()

    def holds(self, calculator: Calculator, message: _Message) -> bool:
        """Tell whether the message meets this cue for one calculator."""
        if not all(SIGNALS[s](calculator, message) for s in self.all):
            return False
        return not self.any or any(SIGNALS[s](calculator, message) for s in self.any)


@dataclass(frozen=True)
class Calculator:
    """One calculator: its name, the word list naming it, and when the NLU and the answer pick it."""

    name: str
    topic: str
    intent: Cue
    confidence: float
    rank: int
    answer: Cue
    words: frozenset[str]

    def asked(self, words: Iterable[str], entities: Entities) -> bool:
        """Tell whether a message (folded words and entities) is this calculation, for the NLU."""
        return self.intent.holds(self, _message(words, entities))

    def answers(self, words: Iterable[str], entities: Entities) -> bool:
        """Tell whether this calculator answers a message the NLU read as a calculation."""
        return self.answer.holds(self, _message(words, entities))


def _message(words: Iterable[str], entities: Entities) -> _Message:
    listed = tuple(words)
    return _Message(listed, frozenset(listed), entities)


def _cue(where: str, data: object) -> Cue:
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected a mapping")
    cue = Cue(tuple(map(str, data.get("all", ()))), tuple(map(str, data.get("any", ()))))
    for signal in (*cue.all, *cue.any):
        if signal not in SIGNALS:
            raise ValueError(f"{where}: unknown signal {signal!r} (known: {', '.join(SIGNALS)})")
    return cue


def parse_calculators(data: object, source: str = _SOURCE) -> tuple[Calculator, ...]:
    """Read the ``calculators`` mapping of a lexicon file, in its order; errors name the key path."""
    if not isinstance(data, dict):
        raise ValueError(f"{source}: calculators: expected a mapping of calculator names")
    found = []
    for name, entry in data.items():
        where = f"{source}: calculators: {name}"
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: expected a mapping")
        intent = entry.get("intent")
        if not isinstance(intent, dict) or "confidence" not in intent:
            raise ValueError(f"{where}: intent: expected a mapping with a confidence")
        found.append(
            Calculator(
                name=str(name),
                topic=str(entry.get("topic", name)),
                intent=_cue(f"{where}: intent", intent),
                confidence=float(intent["confidence"]),
                rank=int(intent.get("rank", 0)),
                answer=_cue(f"{where}: answer", entry.get("answer", {})),
                words=frozenset(fold(str(w)) for w in entry.get("words", ())),
            )
        )
    return tuple(found)


@cache
def load_calculators() -> tuple[Calculator, ...]:
    """Return the calculators of the lexicon, in the order ``calculate()`` tries them (cached)."""
    return parse_calculators(load_glossary_yaml(_SOURCE).get("calculators", {}))


def calculation(words: Iterable[str], entities: Entities) -> tuple[str, float] | None:
    """Return the calculation intent and its confidence for the first calculator (by rank) a message asks for."""
    listed = tuple(words)
    for calculator in sorted(load_calculators(), key=lambda c: c.rank):
        if calculator.asked(listed, entities):
            return "calculation", calculator.confidence
    return None
