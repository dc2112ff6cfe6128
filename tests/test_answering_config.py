"""The answering configuration is validated on load, and an understood message is not read again."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answering.config import CONFIG_PATH, ConfigError, load_config, read_config


def test_the_shipped_configuration_loads_and_describes_every_key() -> None:
    config = load_config()
    text = config.describe()
    assert "retrieval.min_coverage=" in text
    assert "confidence.cap=" in text


def test_an_unknown_key_is_named_with_its_file(tmp_path: Path) -> None:
    path = tmp_path / "answering.toml"
    bad = CONFIG_PATH.read_text(encoding="utf-8").replace("min_coverage = ", "min_coverag = ", 1)
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"answering\.toml: \[retrieval\] min_coverag: unknown key"):
        read_config(path)


def test_a_value_of_the_wrong_type_is_named(tmp_path: Path) -> None:
    path = tmp_path / "answering.toml"
    bad = CONFIG_PATH.read_text(encoding="utf-8").replace(
        "max_list_chars = 1800", 'max_list_chars = "long"', 1
    )
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"max_list_chars: expected a number"):
        read_config(path)


def test_an_answer_from_a_reading_matches_an_answer_read_afresh() -> None:
    from bot.answering import Answerer
    from nlu import understand

    answerer = Answerer(warm=False)
    question = "délai de réponse pour une modification ?"
    again = answerer.answer(question, "fr", understand(question, "fr"))
    assert again == answerer.answer(question, "fr")
    assert again.answered and again.citations[0].article == "13"


def test_a_question_the_evidence_does_not_settle_gets_the_closest_passages_not_an_assertion() -> None:
    from bot.answering import Answerer

    answerer = Answerer(warm=False)
    a = answerer.answer("Le délai de 90 jours court-il à partir du dépôt ou du dossier complet ?")
    if a.answered:
        pytest.skip("the evidence now settles this question")
    assert a.confidence < answerer.context.config.evidence.threshold
    assert a.answer.startswith("Je ne suis pas assez sûr") and "/human" in a.answer
    assert a.citations[0].article == "5" and "« " in a.answer  # quotes, most likely first
    assert a.to_json_dict()["answered"] is False and a.to_json_dict()["citations"]


def test_unfamiliar_words_for_a_request_reach_its_article() -> None:
    from bot.answering import Answerer

    answerer = Answerer(warm=False)
    # The decree never says "chambre froide" or "blister line": the request is a change of equipment (art. 12).
    a = answerer.answer(
        "Nous changeons notre chambre froide pour une plus grande : faut-il une autorisation ?"
    )
    assert a.intent != "out_of_scope"
    assert "12" in [c.article for c in a.citations[:3]], a.citations
    a = answerer.answer("Do we need approval before installing a new blister packaging line?")
    assert "12" in [c.article for c in a.citations[:3]], a.citations
