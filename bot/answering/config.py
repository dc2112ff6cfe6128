"""The answering configuration: every tuned weight and threshold, read from ``config/answering.toml``."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.settings import CONFIG_DIR

CONFIG_PATH = CONFIG_DIR / "answering.toml"


class ConfigError(ValueError):
    """The answering configuration is malformed; the text names the file and the key."""


@dataclass(frozen=True)
class Retrieval:
    """Thresholds of answers found by searching the texts."""

    min_coverage: float
    min_coverage_unknown_subject: float
    min_fact_score: float
    strong_fact_score: float
    definitions_factor: float
    min_closest: float
    max_list_chars: int
    related_share: float


@dataclass(frozen=True)
class Confidence:
    """How evidence turns into a confidence between 0 and 1."""

    base: float
    coverage: float
    margin: float
    cap: float
    lookup: float
    unknown_article: float
    formality: float
    formality_overview: float
    formality_unstated: float
    definition: float
    deadline: float
    staffing: float
    staffing_uncovered: float
    staffing_partial: float
    experience: float
    experience_partial: float
    experience_any: float
    declined: float
    other_language: float
    situation: float
    situation_assumed: float
    staffing_assumed: float
    staffing_unclear: float


@dataclass(frozen=True)
class AnsweringConfig:
    """The whole answering configuration."""

    retrieval: Retrieval
    confidence: Confidence

    def describe(self) -> str:
        """Return every key and value on one line, as the bench prints them."""
        items = []
        for section in fields(self):
            value = getattr(self, section.name)
            items += [f"{section.name}.{f.name}={getattr(value, f.name)}" for f in fields(value)]
        return ", ".join(items)


def _section(cls: Any, data: dict[str, Any], name: str, path: Path) -> Any:
    table = data.get(name)
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: section [{name}] is missing")
    expected = {f.name: f.type for f in fields(cls)}
    for key in sorted(set(table) - set(expected)):
        raise ConfigError(f"{path}: [{name}] {key}: unknown key")
    values: dict[str, Any] = {}
    for key, kind in expected.items():
        if key not in table:
            raise ConfigError(f"{path}: [{name}] {key}: missing")
        value = table[key]
        wanted = int if kind == "int" else float
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (wanted is int and not isinstance(value, int))
        ):
            raise ConfigError(f"{path}: [{name}] {key}: expected a number ({kind}), got {value!r}")
        values[key] = wanted(value)
    return cls(**values)


def read_config(path: Path = CONFIG_PATH) -> AnsweringConfig:
    """Read and validate the configuration file, naming the file and key of any error."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    return AnsweringConfig(
        retrieval=_section(Retrieval, data, "retrieval", path),
        confidence=_section(Confidence, data, "confidence", path),
    )


@lru_cache(maxsize=1)
def load_config() -> AnsweringConfig:
    """Return the shipped configuration, read once per process."""
    return read_config()
