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
    unknown_article: float
    other_language: float


@dataclass(frozen=True)
class Ranker:
    """The learned ranking of candidate articles (one weight per ``ranker.RANK_FEATURES``)."""

    search_limit: int  # BM25 hits taken as candidates
    neighbour_candidates: int  # articles the nearest questions and centroids add
    weights: tuple[float, ...]


@dataclass(frozen=True)
class Evidence:
    """Confidence of every route's answer: a logistic model over ``confidence.ROUTE_FEATURES``, the threshold of
    a direct answer (below it the reply gives the closest passages, ``answered: false``), and how much closer to
    an unanswerable request than to any article a message the intent step reads as off the texts must be to be
    declined outright."""

    weights: tuple[float, ...]
    threshold: float
    out_of_scope_margin: float


@dataclass(frozen=True)
class AnsweringConfig:
    """The whole answering configuration."""

    retrieval: Retrieval
    confidence: Confidence
    ranker: Ranker
    evidence: Evidence

    def describe(self) -> str:
        """Return every key and value on one line, as the bench prints them."""
        items = []
        for section in fields(self):
            value = getattr(self, section.name)
            for f in fields(value):
                shown = getattr(value, f.name)
                if isinstance(shown, tuple):
                    shown = "[" + ", ".join(f"{v:g}" for v in shown) + "]"
                items.append(f"{section.name}.{f.name}={shown}")
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
        if kind == "tuple[float, ...]":
            if not isinstance(value, list) or not all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in value
            ):
                raise ConfigError(f"{path}: [{name}] {key}: expected a list of numbers, got {value!r}")
            values[key] = tuple(float(v) for v in value)
            continue
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
        ranker=_section(Ranker, data, "ranker", path),
        evidence=_section(Evidence, data, "evidence", path),
    )


@lru_cache(maxsize=1)
def load_config() -> AnsweringConfig:
    """Return the shipped configuration, read once per process."""
    return read_config()
