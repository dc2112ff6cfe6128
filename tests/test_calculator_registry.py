"""Calculators are a registry driven by data: a new one is its function, one lexicon entry and its sentences."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import i18n
from bot.answer import Answerer
from bot.answering import calculations
from bot.answering.context import Context
from bot.answering.model import Answer, cite
from nlu import Understanding, understand
from nlu import lexicon as lexicon_module
from nlu.calculators import load_calculators, parse_calculators

# A calculator as a newcomer would add one: a word list and an entry in lexicon.yaml, ...
NEW_LEXICON = """
days_between: [combien de jours entre, how many days between]
"""
NEW_ENTRY = """
  days_between:
    words: [entre, between]
    intent: {all: [topic, date], confidence: 0.8, rank: 0}
    answer: {all: [date, words]}
"""
# ... its sentences in config/messages/{fr,en}.yaml, ...
NEW_MESSAGES = {
    "fr": 'calc_days_between: "Il y a {days} jours entre ces deux dates."\n',
    "en": 'calc_days_between: "There are {days} days between these two dates."\n',
}


# ... and its function, registered by name in bot/answering/calculations.py.
def days_between(ctx: Context, u: Understanding, lang: str) -> Answer:
    """Count the days between the first two dates of the message."""
    first, second = u.entities.dates[:2]
    text = i18n.t(lang, "calc_days_between", days=abs((second - first).days))
    return Answer(u.text, "calculation", True, text, cite(["5"]), 0.0, lang, route="computed")


@pytest.fixture
def new_calculator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point the product at copies of the lexicon and catalogues holding one more calculator."""
    glossary = tmp_path / "glossary"
    shutil.copytree(lexicon_module.GLOSSARY_DIR, glossary)
    lexicon = glossary / "lexicon.yaml"
    head, entries = lexicon.read_text(encoding="utf-8").split("\ncalculators:\n", 1)
    lexicon.write_text(f"{head}\n{NEW_LEXICON.strip()}\ncalculators:{NEW_ENTRY}{entries}", encoding="utf-8")
    messages = tmp_path / "messages"
    shutil.copytree(i18n.MESSAGES_DIR, messages)
    for lang, line in NEW_MESSAGES.items():
        with (messages / f"{lang}.yaml").open("a", encoding="utf-8") as out:
            out.write("\n" + line)
    catalogue = i18n.load_catalogue(messages)
    monkeypatch.setattr(i18n, "catalogue", lambda: catalogue)
    monkeypatch.setattr(lexicon_module, "GLOSSARY_DIR", glossary)
    monkeypatch.setitem(calculations.CALCULATORS, "days_between", days_between)
    _clear()
    yield
    _clear()


def _clear() -> None:
    lexicon_module.load_lexicon.cache_clear()
    load_calculators.cache_clear()


def test_every_calculator_of_the_lexicon_has_a_function_and_every_function_an_entry() -> None:
    assert [c.name for c in load_calculators()] == list(calculations.CALCULATORS)


def test_a_new_calculator_is_read_as_a_calculation_and_answers(new_calculator: None) -> None:
    question = "Combien de jours entre le 1er mars 2025 et le 15 mars 2025 ?"
    assert load_calculators()[0].name == "days_between"
    u = understand(question)
    assert (u.intent, u.confidence) == ("calculation", 0.8)
    answer = Answerer(warm=False).answer(question, "fr", u)
    assert answer.intent == "calculation"
    assert answer.answered
    assert answer.answer == "Il y a 14 jours entre ces deux dates."
    english = Answerer(warm=False).answer("How many days between 1 March 2025 and 15 March 2025?", "en")
    assert english.answer == "There are 14 days between these two dates."


def test_the_shipped_calculators_still_answer_beside_a_new_one(new_calculator: None) -> None:
    u = understand("Combien d'assistants pour 80 personnes dans un établissement de catégorie 1 ?")
    assert (u.intent, u.confidence) == ("calculation", 0.9)
    answer = Answerer(warm=False).answer(u.text, "fr", u)
    assert answer.route == "computed"
    assert "37" in [c.article for c in answer.citations]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"x": {"intent": {"all": ["topic"]}}}, "lexicon.yaml: calculators: x: intent: expected a mapping"),
        (
            {"x": {"intent": {"all": ["colour"], "confidence": 0.5}}},
            "lexicon.yaml: calculators: x: intent: unknown signal 'colour'",
        ),
        ({"x": "deadline"}, "lexicon.yaml: calculators: x: expected a mapping"),
    ],
)
def test_a_wrong_calculator_entry_is_refused_with_its_key_path(entry: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_calculators(entry)
