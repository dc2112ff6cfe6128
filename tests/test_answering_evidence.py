"""Every route's confidence comes from one evidence model; below its threshold nothing is asserted; an answer
that depends on an unsaid fact asks for it; "off the texts" needs positive evidence; a request is an action on
an object (replacing a cold room is no replacement of the pharmacist)."""

from __future__ import annotations

import dataclasses
from functools import cache

import pytest

from bot.answering import Answer, Answerer
from bot.answering.confidence import ROUTE_FEATURES, features, probability
from bot.answering.config import load_config
from bot.answering.context import phrase
from bot.answering.topics import object_kinds, off_object_articles, topic_articles


@cache
def _answerer() -> Answerer:
    return Answerer(warm=False)


def _articles(answer: Answer) -> list[str]:
    return [c.article for c in answer.citations]


def test_the_evidence_weights_match_the_features() -> None:
    assert len(load_config().evidence.weights) == len(ROUTE_FEATURES)


@pytest.mark.parametrize(
    ("question", "route"),
    [
        ("Délai de réponse à une demande de modification ?", "formality"),
        ("Combien d'assistants pour un grossiste répartiteur de 120 salariés ?", "computed"),
        ("article 14", "lookup"),
        ("What is a depositary?", "definition"),
        ("Quelles mentions doit porter le registre des transactions ?", "rule"),
    ],
)
def test_every_route_takes_its_confidence_from_the_evidence_model(question: str, route: str) -> None:
    a = _answerer().answer(question)
    assert a.route == route and a.evidence is not None
    weights = _answerer().context.config.evidence.weights
    first = a.citations[0].article if route != "rule" else None
    assert a.confidence == pytest.approx(probability(weights, a.evidence, first, route, a.assumed))
    assert len(features(a.evidence, first, route, a.assumed)) == len(ROUTE_FEATURES)


def test_below_the_threshold_a_computed_answer_gives_the_closest_passages() -> None:
    strict = _answerer().context.config
    strict = dataclasses.replace(strict, evidence=dataclasses.replace(strict.evidence, threshold=0.9999))
    answerer = Answerer(_answerer().searcher, warm=False, config=strict)
    a = answerer.answer("Combien d'assistants pour un grossiste répartiteur de 120 salariés ?")
    assert not a.answered and a.route == "computed"
    assert a.answer.startswith(phrase("fr", "closest_passages")) and "/human" in a.answer
    assert "38" in _articles(a) and "« " in a.answer  # the closest passages, quoted
    assert a.to_json_dict()["answered"] is False and a.to_json_dict()["citations"]


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("Combien d'assistants pour 80 personnes ?", "Pour quelle catégorie"),
        ("How many assistant pharmacists for 80 employees?", "For which category"),
        ("Délai de décision pour un dossier reçu le 3 mars 2026 ?", "Pour quelle demande"),
    ],
)
def test_an_answer_that_depends_on_an_unsaid_fact_asks_and_is_not_direct(question: str, asked: str) -> None:
    a = _answerer().answer(question)
    assert a.clarify is not None
    assert not a.answered and a.to_json_dict()["answered"] is False
    assert a.answer.startswith(asked)
    assert all(label in a.answer for label, _ in a.clarify.options)
    assert a.citations  # the articles the answer will rest on stay in the citations


@pytest.mark.parametrize(
    ("question", "article"),
    [
        # Words the intent step lists as off the texts ("garde" as in pharmacy duty) in a request they answer.
        ("Les dates des remplacements du pharmacien, il faut les garder combien de temps ?", "31"),
        ("How long do we keep the names of the pharmacists who stood in for the responsible?", "31"),
    ],
)
def test_off_topic_words_alone_do_not_decline_a_request_the_texts_answer(question: str, article: str) -> None:
    a = _answerer().answer(question)
    assert a.intent != "out_of_scope"
    assert article in _articles(a)[:3]


@pytest.mark.parametrize(
    "question",
    ["Quel temps fera-t-il demain à Monaco ?", "What are the opening hours of the Monaco casino?"],
)
def test_a_request_close_to_unanswerable_ones_is_declined(question: str) -> None:
    a = _answerer().answer(question)
    assert not a.answered


@pytest.mark.parametrize(
    ("text", "kinds", "on", "off"),
    [
        ("On remplace la chambre froide, faut-il une autorisation ?", {"premises"}, "12", "29"),
        ("We are replacing the cold room with a bigger one", {"premises"}, "12", "29"),
        ("Nous remplaçons notre pharmacien responsable pendant son congé", {"person"}, "29", None),
        ("Who replaces the responsible pharmacist while on leave?", {"person"}, "29", None),
    ],
)
def test_a_request_is_an_action_on_an_object(text: str, kinds: set[str], on: str, off: str | None) -> None:
    assert object_kinds(text) == kinds
    assert on in topic_articles(text)
    if off is not None:
        assert off in off_object_articles(text) and off not in topic_articles(text)


@pytest.mark.parametrize(
    "question",
    [
        "Nous remplaçons la chambre froide par un modèle plus grand : une autorisation préalable est-elle requise ?",
        "We are replacing our cold room with a larger unit. Is prior approval needed?",
    ],
)
def test_replacing_equipment_leads_to_the_modification_articles(question: str) -> None:
    a = _answerer().answer(question)
    assert _articles(a)[0] in {"12", "13", "14"}, _articles(a)


@pytest.mark.parametrize(
    ("question", "article"),
    [
        (
            "Nous fermons définitivement notre entrepôt de la Condamine le mois prochain : que faut-il faire "
            "auprès du ministère ?",
            "19",
        ),
        ("We are shutting down our storage site for good next month. What must we tell the ministry?", "19"),
        (
            "Nous voulons ajouter une ligne de remplissage de blisters dans notre usine : faut-il une "
            "autorisation préalable ?",
            "12",
        ),
        ("What are the steps to open a veterinary depositary in Monaco?", "5"),
        ("How do we get a new responsible pharmacist approved when ours retires?", "17"),
    ],
)
def test_a_procedure_in_unfamiliar_words_is_never_declined_as_off_the_texts(
    question: str, article: str
) -> None:
    a = _answerer().answer(question)
    assert a.intent != "out_of_scope" and not a.answer.startswith(phrase(a.lang, "not_covered", topic=""))
    assert _articles(a)[0] == article, _articles(a)


def test_an_article_where_two_topics_of_the_question_meet_counts_twice() -> None:
    from bot.answering.ranker import RANK_FEATURES, candidates
    from bot.answering.topics import topic_counts

    counts = topic_counts(
        "Si le ministère ne répond jamais à notre demande pour ouvrir un dépôt, est-ce accepté ?"
    )
    assert counts["9"] == 2 and counts["5"] == 1  # silence on an opening: art. 9 holds both topics
    found = candidates([], 0.0, None, "decree", topical=counts)
    topic = {c.article: c.features[RANK_FEATURES.index("topic")] for c in found}
    assert topic["9"] == 2.0 and topic["5"] == 1.0
