"""Yes/no questions get the decree's "yes" first when it states one, and nothing of polarity otherwise; a "how
long" question opens with the figure its article sets; the closest passages say what each article is about in
the reader's language."""

from __future__ import annotations

import dataclasses
import re
from functools import cache

import pytest

from bot.answering import Answerer
from bot.answering.context import phrase
from bot.answering.polarity import load_statements
from knowledge.index import DECREE_ID, load_index


@cache
def _answerer() -> Answerer:
    return Answerer(warm=False)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_every_statement_quotes_its_first_article_verbatim() -> None:
    index = load_index()
    for statement in load_statements():
        article = index.get(statement.articles[0], DECREE_ID)
        assert article is not None, statement.id
        assert _flat(statement.quote) in _flat(" ".join(p.text for p in article.parts)), statement.id
        assert statement.get("fr").startswith("Oui") and statement.get("en").startswith("Yes")


@pytest.mark.parametrize(
    ("question", "opening"),
    [
        ("Faut-il une autorisation pour agrandir les locaux ?", "Oui : une autorisation"),
        ("Should we get the ministry's approval before replacing our cold room?", "Yes: prior authorisation"),
        ("Le pharmacien responsable doit-il être inscrit à l'Ordre ?", "Oui : tout pharmacien"),
        ("Must a locum pharmacist be authorised by ministerial order?", "Yes: any pharmacist"),
    ],
)
def test_a_yes_no_question_the_decree_answers_yes_opens_with_yes(question: str, opening: str) -> None:
    a = _answerer().answer(question)
    assert a.answered and a.answer.startswith(opening)


@pytest.mark.parametrize(
    "question",
    [
        "Peut-on remplacer une machine de production sans l'accord du ministère ?",  # a negation
        "Faut-il une autorisation ou une simple déclaration pour remplacer une machine ?",  # an alternative
        "Quelle autorisation faut-il pour remplacer une machine de production ?",  # a question word
        "Please outline the procedure for transferring an opening authorisation after a sale.",  # no question
        "Un grossiste peut-il livrer des aliments médicamenteux aux éleveurs ?",  # not the category it holds for
        "Our responsible pharmacist is away for 10 days: must the replacement be registered with the Order?",
    ],
)
def test_other_questions_get_no_yes(question: str) -> None:
    a = _answerer().answer(question)
    assert not a.answer.startswith(("Oui", "Yes"))


def test_the_closest_passages_say_what_each_article_is_about_in_the_readers_language() -> None:
    strict = _answerer().context.config
    strict = dataclasses.replace(strict, evidence=dataclasses.replace(strict.evidence, threshold=0.9999))
    answerer = Answerer(_answerer().searcher, warm=False, config=strict)
    a = answerer.answer("How long must the identity of replacement pharmacists be kept?")
    assert not a.answered and a.answer.startswith(phrase("en", "closest_passages"))
    first = a.citations[0].article
    summary = answerer.facts.articles[first].summary.get("en")
    assert f"Art. {first} — {summary}" in a.answer


def test_a_when_question_opens_with_the_one_delay_its_article_sets() -> None:
    a = _answerer().answer(
        "Notre vétérinaire conventionné est décédé : dans quel délai faut-il en désigner un autre ?"
    )
    (delay,) = _answerer().facts.delays_of(a.citations[0].article)
    assert a.answered and a.answer.startswith(delay.statement.get("fr"))


def test_a_question_that_only_names_a_duration_does_not_get_a_delay_first() -> None:
    a = _answerer().answer(
        "Le vétérinaire conventionné de notre usine s'absente 2 mois : comment le remplacer ?"
    )
    delays = _answerer().facts.delays_of(a.citations[0].article)
    assert not any(a.answer.startswith(d.statement.get("fr")) for d in delays)


@pytest.mark.parametrize(
    "question",
    [
        "What happens to the establishment when the owner pharmacist dies?",
        "Que devient l'établissement quand le pharmacien propriétaire décède ?",
        "What must we do when the works on the premises are finished?",
    ],
)
def test_when_as_a_conjunction_asks_no_time_and_gets_no_delay_first(question: str) -> None:
    a = _answerer().answer(question)
    delays = _answerer().facts.delays_of(a.citations[0].article)
    assert len(delays) == 1  # the article sets one delay: only the question decides whether it opens
    assert not any(a.answer.startswith(d.statement.get(lang)) for d in delays for lang in ("fr", "en"))


def test_when_ending_the_question_asks_for_the_time() -> None:
    a = _answerer().answer("Les travaux sont finis, on doit le déclarer quand ?")
    (delay,) = _answerer().facts.delays_of(a.citations[0].article)
    assert a.answered and a.answer.startswith(delay.statement.get("fr"))
