"""The learned ranking of articles for a rule question, and the evidence its confidence is derived from.

Candidates are the articles BM25 ranks (``knowledge.search``) and those the nearest labelled questions point
to (``neighbours``). Each gets a few features; a linear softmax over them (weights in
``config/answering.toml``, fitted by ``bench/train_answering.py`` with grouped cross-validation) picks the
article. The confidence of any answer is weighed from the same evidence (``confidence``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.answering.neighbours import Reading
from knowledge.search import Hit

RANK_FEATURES = (
    "bm25",  # score / best score
    "bm25_rank",  # 1 / (1 + rank) among the BM25 hits
    "nearest",  # cosine of the article's closest labelled question
    "nearest_gap",  # ... minus the best article's
    "centroid",  # cosine of the mean of the article's labelled questions
    "centroid_gap",  # ... minus the best article's
    "named",  # the question names the article
    "fact",  # best curated fact of the article matched (0-1)
    "covered_top",  # coverage of the question by BM25's best article, on that article only
    "topic",  # how many legal topics the question speaks of hold the article (``topics``), at most 2
    "off_object",  # the article is one of a topic whose words the question uses about another kind of object
    "vote",  # the article's share of the vote of the nearest labelled questions (``neighbours``)
)


@dataclass(frozen=True)
class Candidate:
    """An article in the running, with its features."""

    text_id: str
    article: str
    features: tuple[float, ...]


@dataclass(frozen=True)
class Ranking:
    """Candidates best first, with the softmax probability of each."""

    candidates: tuple[Candidate, ...]
    probabilities: tuple[float, ...]


def candidates(
    hits: Sequence[Hit],
    coverage: float,
    reading: Reading | None,
    decree: str,
    limit: int = 3,
    topical: Mapping[str, int] | frozenset[str] = frozenset(),
    off_object: frozenset[str] = frozenset(),
) -> list[Candidate]:
    """Return the BM25 hits and the articles the neighbours and the question's legal topics point to, with features."""
    best = max((h.score for h in hits), default=0.0) or 1.0
    by_key = {(h.text_id, h.article): (rank, h) for rank, h in enumerate(hits)}
    found = []
    for key in _keys(hits, reading, decree, limit, topical):
        rank, hit = by_key.get(key, (None, None))
        on_decree = key[0] == decree
        bm25, bm25_rank, named, fact, covered_top = _search_features(hit, rank, best, coverage)
        features = (
            bm25,
            bm25_rank,
            *_reading_features(reading, key[1]),
            named,
            fact,
            covered_top,
            _topic_count(topical, key[1]) if on_decree else 0.0,
            1.0 if on_decree and key[1] in off_object else 0.0,
            reading.vote(key[1]) if reading is not None else 0.0,
        )
        found.append(Candidate(key[0], key[1], features))
    return found


def _keys(
    hits: Sequence[Hit],
    reading: Reading | None,
    decree: str,
    limit: int,
    topical: Mapping[str, int] | frozenset[str],
) -> list[tuple[str, str]]:
    """Return the candidates' keys: BM25's hits, then the neighbours' and the topics' other articles."""
    keys: list[tuple[str, str]] = [(h.text_id, h.article) for h in hits]
    proposed = (
        (*reading.articles[:limit], *reading.centroids[:limit], *reading.votes[:limit]) if reading else ()
    )
    for article in [a for a, _ in proposed] + sorted(topical):
        if not any(a == article for _, a in keys):
            keys.append((decree, article))
    return keys


def _search_features(
    hit: Hit | None, rank: int | None, best: float, coverage: float
) -> tuple[float, float, float, float, float]:
    """Return bm25, bm25_rank, named, fact and covered_top of a candidate."""
    if hit is None or rank is None:
        return (0.0, 0.0, 0.0, 0.0, 0.0)
    return (
        hit.score / best,
        1.0 / (1 + rank),
        1.0 if hit.named else 0.0,
        hit.facts[0][1] if hit.facts else 0.0,
        coverage if rank == 0 else 0.0,
    )


def _reading_features(reading: Reading | None, article: str) -> tuple[float, float, float, float]:
    """Return nearest, nearest_gap, centroid and centroid_gap of a candidate."""
    if reading is None:
        return (0.0, 0.0, 0.0, 0.0)
    nearest = reading.score(article)
    centroid = reading.centroid(article)
    centroid_best = reading.centroids[0][1] if reading.centroids else 0.0
    return (nearest, nearest - reading.best, centroid, centroid - centroid_best)


def _topic_count(topical: Mapping[str, int] | frozenset[str], article: str) -> float:
    if isinstance(topical, Mapping):
        return float(min(2, topical.get(article, 0)))
    return 1.0 if article in topical else 0.0


def rank(found: Sequence[Candidate], weights: Sequence[float]) -> Ranking:
    """Order candidates by the learned linear score, with softmax probabilities."""
    if not found:
        return Ranking((), ())
    scores = [sum(w * x for w, x in zip(weights, c.features, strict=True)) for c in found]
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    order = sorted(range(len(found)), key=lambda i: -scores[i])
    return Ranking(tuple(found[i] for i in order), tuple(exps[i] / total for i in order))


def logistic(weights: Sequence[float], features: Sequence[float]) -> float:
    """Return the probability a linear model gives."""
    z = sum(w * x for w, x in zip(weights, features, strict=True))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
