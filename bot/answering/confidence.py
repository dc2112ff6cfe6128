"""Confidence from evidence: how much of the question the best article holds, and how far it leads."""

from __future__ import annotations

from bot.answering.config import Confidence


def retrieval_confidence(conf: Confidence, coverage: float, best: float, second: float | None) -> float:
    """Return the confidence of an answer found by search, from its coverage and its score margin."""
    margin = best - second if second is not None else best
    relative = min(margin / max(best, 1e-6), 1.0)
    return min(conf.cap, conf.base + conf.coverage * coverage + conf.margin * relative)
