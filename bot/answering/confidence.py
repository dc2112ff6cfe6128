"""One calibrated confidence for every route: the same evidence model weighs a searched answer, a calculator's,
a formality's and a look-up's.

Whatever route answered, the question's evidence is read the same way (``retrieval.assess``: BM25, the nearest
labelled questions, the legal topics, the learned ranking), and the article the route puts first is weighed
against it: its ranking probability, whether the ranker, BM25, the nearest question and the closest centroid
agree with it, how close the question is to requests the texts do not answer, which route answered and whether
that route had every fact it needed (or stated an assumption). A logistic model over these features
(``ROUTE_FEATURES``, weights in ``config/answering.toml`` ``[evidence]``, fitted by
``bench/train_answering.py`` with grouped cross-validation on the development and external sets) gives the
probability that the first article is right. Below the threshold a direct answer becomes "the closest
passages" (``answered: false``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.answering.neighbours import Reading
from bot.answering.ranker import RANK_FEATURES, Ranking, logistic
from knowledge.search import Hit

ROUTES = ("rule", "computed", "formality", "lookup", "definition")
ROUTE_FEATURES = (
    "bias",
    "probability",  # the ranker's softmax probability of the route's first article
    "top_probability",  # the ranker's probability of its own choice
    "margin",  # that probability minus the best other candidate's
    "coverage",  # share of the question the BM25 best article holds
    "nearest",  # cosine of the closest labelled question of the route's first article
    "out_of_scope_gap",  # closest unanswerable question's cosine minus that article's nearest
    "nearest_margin",  # that article's nearest cosine minus the best other article's
    "agree_nearest",  # the closest labelled question's article is the route's first article
    "agree_centroid",  # the closest centroid is the route's first article
    "agree_ranker",  # the ranker's choice is the route's first article
    "agree_bm25",  # BM25's best is the route's first article
    "named",  # the question names that article
    "unknown_subject",  # the question's subject is a noun the texts never use
    "off_topic",  # the question holds words of subjects the texts do not treat (fees, opening hours...)
    "route_computed",  # a calculator or a computation from the user's situation answered
    "route_formality",  # a curated formality of a request answered
    "route_lookup",  # the article the user named was printed
    "route_definition",  # a curated category definition answered
    "assumed",  # the route lacked a fact (request, category, study length, date's role) and stated an assumption
    "agree_topic",  # the article is one of the legal topics the question speaks of (1 when it speaks of none)
    "fact",  # how well the question matches the article's best curated fact
)


@dataclass(frozen=True)
class Evidence:
    """What is stored of a question's evidence: enough to weigh any article a route puts first."""

    ranking: Ranking
    coverage: float
    best_hit: str | None  # BM25's best article
    reading: Reading | None
    unknown_subject: bool
    off_topic: bool


def gather(
    ranking: Ranking,
    coverage: float,
    hits: Sequence[Hit],
    reading: Reading | None,
    unknown_subject: bool,
    off_topic: bool,
) -> Evidence:
    """Keep the evidence of a question."""
    return Evidence(ranking, coverage, hits[0].article if hits else None, reading, unknown_subject, off_topic)


def features(evidence: Evidence, article: str | None, route: str, assumed: bool) -> tuple[float, ...]:
    """Return the ``ROUTE_FEATURES`` of a route's first article given the question's evidence."""
    ranking = evidence.ranking
    chosen = ranking.candidates[0].article if ranking.candidates else None
    article = article if article is not None else chosen
    candidate = next((c for c in ranking.candidates if c.article == article), None)
    probability = next(
        (p for c, p in zip(ranking.candidates, ranking.probabilities, strict=True) if c.article == article),
        0.0,
    )
    other = max(
        (p for c, p in zip(ranking.candidates, ranking.probabilities, strict=True) if c.article != article),
        default=0.0,
    )
    topics = [c.features[_TOPIC] > 0 for c in ranking.candidates]
    return (
        1.0,
        probability,
        ranking.probabilities[0] if ranking.probabilities else 0.0,
        probability - other,
        evidence.coverage,
        *_reading_features(evidence.reading, article),
        float(article is not None and article == chosen),
        float(article is not None and evidence.best_hit == article),
        candidate.features[_NAMED] if candidate is not None else 0.0,
        float(evidence.unknown_subject),
        float(evidence.off_topic),
        *(float(route == r) for r in ROUTES[1:]),
        float(assumed),
        # The topic layer agrees: the article is one of the legal topics the question speaks of, or it names none.
        float(candidate is not None and candidate.features[_TOPIC] > 0) if any(topics) else 1.0,
        candidate.features[_FACT] if candidate is not None else 0.0,
    )


_TOPIC = RANK_FEATURES.index("topic")
_NAMED = RANK_FEATURES.index("named")
_FACT = RANK_FEATURES.index("fact")


def _reading_features(reading: Reading | None, article: str | None) -> tuple[float, ...]:
    """Return what the nearest labelled questions say of an article: nearest, out_of_scope_gap,
    nearest_margin, agree_nearest and agree_centroid."""
    if reading is None or article is None:
        return (0.0, reading.out_of_scope if reading else 0.0, 0.0, 0.0, 0.0)
    nearest = reading.score(article)
    rival = max((s for a, s in reading.articles if a != article), default=0.0)
    return (
        nearest,
        reading.out_of_scope - nearest,
        nearest - rival,
        float(bool(reading.articles) and reading.articles[0][0] == article),
        float(bool(reading.centroids) and reading.centroids[0][0] == article),
    )


def probability(
    weights: Sequence[float], evidence: Evidence, article: str | None, route: str, assumed: bool
) -> float:
    """Return the calibrated probability that the route's first article is right."""
    return logistic(weights, features(evidence, article, route, assumed))
