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
