"""Legal topics of a question, read from the bilingual cues of ``knowledge/glossary/legal_topics.yaml``."""

from __future__ import annotations

from bot.answering.ranker import RANK_FEATURES, candidates
from bot.answering.topics import load_topics, topic_articles


def test_paraphrases_of_a_request_name_its_articles() -> None:
    """Name the articles of the request a question describes in words the decree never uses."""
    assert {"20", "22"} <= topic_articles(
        "Nous envisageons de céder notre établissement à un groupe italien."
    )
    assert {"20", "22"} <= topic_articles("We plan to sell the business to another group.")
    assert {"12", "13", "14"} <= topic_articles("Do we need approval before installing a new packaging line?")
    assert {"12", "13", "14"} <= topic_articles("On veut remplacer la chambre froide.")
    assert "19" in topic_articles("We will close one of our two warehouses.")
    assert {"17", "28"} <= topic_articles("On a un nouveau directeur technique.")
    assert {"17", "28"} <= topic_articles("We have a new technical director.")
    assert "15" in topic_articles("We're a manufacturer and want to import as well.")
    assert "21" in topic_articles("On cède seulement une partie de notre site.")
    assert "23" in topic_articles("Who tells the Minister that a lease-management is ending?")
    assert "18" in topic_articles("On n'a toujours pas démarré l'activité, on risque quoi ?")


def test_a_question_on_no_request_names_no_topic() -> None:
    """Name no article for a question that speaks of no request."""
    assert topic_articles("Quelle température pour stocker les vaccins ?") == frozenset()


def test_topics_cite_articles_of_the_decree() -> None:
    """Tie every topic to at least one article and some cues."""
    for topic in load_topics():
        assert topic.articles
        assert all(a.isdigit() and 1 <= int(a) <= 64 for a in topic.articles)


def test_a_topical_article_becomes_a_candidate_with_its_feature() -> None:
    """Add the topic's articles to the candidates and mark them."""
    found = candidates([], 0.0, None, "decree", topical=frozenset({"19"}))
    assert [c.article for c in found] == ["19"]
    assert found[0].features[RANK_FEATURES.index("topic")] == 1.0
