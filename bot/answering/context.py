"""What every part of the answering reads: the search, the index, the curated facts, the configuration."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.answering.config import AnsweringConfig
from bot.answering.neighbours import Neighbours, Reading, load_neighbours
from bot.i18n import t
from knowledge.facts import Facts
from knowledge.index import ArticleIndex
from knowledge.search import Searcher


@dataclass(frozen=True)
class Context:
    """The shared read-only state of one answerer."""

    searcher: Searcher
    config: AnsweringConfig
    neighbours: Neighbours | None = None  # None: the shipped bank, loaded on first use (or by the warm-up)

    @property
    def index(self) -> ArticleIndex:
        """Return the article index searched."""
        return self.searcher.index

    @property
    def facts(self) -> Facts:
        """Return the curated facts."""
        return self.searcher.facts

    def reading(self, text: str) -> Reading:
        """Return what the nearest labelled questions say of a question."""
        bank = self.neighbours if self.neighbours is not None else load_neighbours()
        return bank.read(text)


def phrase(lang: str, key: str, **params: Any) -> str:
    """Return one answering sentence of the message catalogue in French or English."""
    return t("en" if lang == "en" else "fr", f"answer_{key}", **params)
