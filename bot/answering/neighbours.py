"""The learned signal: questions labelled with the articles that answer them, read by nearest neighbours.

The bank holds the development questions (``knowledge/data/examples.jsonl``, written by
``bench/build_examples.py``; questions the texts do not answer are labelled so) and one card per decree
article (its curated title, summary and the words people use, in French and English). A new question is
embedded (``nlu.encoder``) and each article gets the cosine of its closest example: a signal that reads the
request, whatever words it uses, blended with BM25 by the retrieval.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import numpy as np
import numpy.typing as npt

from config import default_data_dir
from knowledge.facts import Facts, load_facts

EXAMPLES = Path(str(files("knowledge"))) / "data" / "examples.jsonl"
CACHE = default_data_dir() / "cache"  # embeddings of the bank, keyed by a hash of its texts
OUT_OF_SCOPE = "oos"
VOTERS = 10  # nearest examples that vote for their articles
VOTE_TEMPERATURE = 0.05  # a voter's weight: exp((its cosine - the closest one's) / this)


@dataclass(frozen=True)
class Example:
    """One labelled text of the bank."""

    text: str
    articles: tuple[str, ...]  # empty for a question the texts do not answer
    group: str  # paraphrases and follow-ups share a group (one cross-validation fold)
    source: str  # dev | external | card


@dataclass(frozen=True)
class Reading:
    """What the nearest examples say of a question."""

    articles: tuple[tuple[str, float], ...]  # (article number, cosine of its closest example), best first
    centroids: tuple[
        tuple[str, float], ...
    ]  # (article number, cosine of the mean of its examples), best first
    out_of_scope: float  # cosine of the closest question the texts do not answer
    # (article number, share of the vote of the nearest examples, each weighted by its closeness), best first
    votes: tuple[tuple[str, float], ...] = ()

    def score(self, article: str) -> float:
        """Return an article's closest-example similarity (0 when no example of it is close)."""
        return next((s for a, s in self.articles if a == article), 0.0)

    def vote(self, article: str) -> float:
        """Return an article's share of the nearest examples' vote (unanswerable ones vote for none)."""
        return next((s for a, s in self.votes if a == article), 0.0)

    def centroid(self, article: str) -> float:
        """Return an article's similarity to the mean of its examples."""
        return next((s for a, s in self.centroids if a == article), 0.0)

    @property
    def best(self) -> float:
        """Return the best article's similarity."""
        return self.articles[0][1] if self.articles else 0.0


def _cards(facts: Facts) -> list[Example]:
    cards = []
    for number, note in facts.articles.items():
        for lang in ("fr", "en"):
            text = f"{note.title.get(lang)}. {note.summary.get(lang)}"
            cards.append(Example(text, (number,), f"card-{number}", "card"))
    return cards


def read_examples(path: Path = EXAMPLES) -> list[Example]:
    """Read the labelled questions of the bank."""
    examples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        articles = () if row["oos"] else tuple(g.rpartition(":")[2] for g in row["gold"])
        examples.append(Example(row["q"], articles, row["group"], row["source"]))
    return examples


def _embed(texts: list[str]) -> npt.NDArray[np.float32]:
    """Embed texts, reusing the vectors cached under ``var/cache`` when the texts are the same."""
    from nlu.encoder import MODEL_VERSION, encode

    digest = hashlib.sha256("\n".join([MODEL_VERSION, *texts]).encode("utf-8")).hexdigest()[:16]
    path = CACHE / f"examples-{digest}.npy"
    try:
        cached = np.load(path)
        if cached.shape[0] == len(texts):
            return np.asarray(cached, dtype=np.float32)
    except (OSError, ValueError):
        pass  # not built yet, or unreadable: embed again
    vectors = encode(texts)
    try:
        CACHE.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(partial, vectors.astype(np.float16))
        os.replace(partial, path)
    except OSError:
        pass  # a read-only checkout embeds at each start: slower, still right
    return vectors


class Neighbours:
    """Nearest labelled examples of a question, per article."""

    def __init__(self, examples: list[Example], vectors: npt.NDArray[np.float32]):
        self.examples = examples
        self.vectors = vectors
        labels = sorted({a for e in examples for a in e.articles})
        self.labels = labels
        # One column per label: which examples hold it (an example may name several articles).
        member = np.zeros((len(examples), len(labels)), dtype=bool)
        position = {a: i for i, a in enumerate(labels)}
        for row, example in enumerate(examples):
            for article in example.articles:
                member[row, position[article]] = True
        self._member = member
        self._oos = np.array([not e.articles for e in examples], dtype=bool)
        sums = member.T.astype(np.float32) @ vectors
        self._centroids = sums / (np.linalg.norm(sums, axis=1, keepdims=True) + 1e-9)

    @classmethod
    def build(cls, facts: Facts | None = None, path: Path = EXAMPLES) -> Neighbours:
        """Embed the bank: the labelled questions and the article cards."""
        examples = read_examples(path) + _cards(facts or load_facts())
        return cls(examples, _embed([e.text for e in examples]))

    def without(self, groups: Iterable[str]) -> Neighbours:
        """Return the bank less some groups of examples (cross-validation)."""
        dropped = set(groups)
        keep = [i for i, e in enumerate(self.examples) if e.group not in dropped]
        return Neighbours([self.examples[i] for i in keep], self.vectors[keep])

    def read(self, text: str) -> Reading:
        """Return each article's closest-example similarity, and the closest out-of-scope one."""
        from nlu.encoder import encode

        return self.read_vector(encode([text])[0])

    def read_vector(self, vector: npt.NDArray[np.float32]) -> Reading:
        """Return the reading of an already embedded question."""
        sims = self.vectors @ vector
        per_label = np.where(self._member, sims[:, None], -1.0).max(axis=0) if len(self.labels) else sims[:0]
        order = np.argsort(-per_label)
        articles = tuple((self.labels[i], float(per_label[i])) for i in order if per_label[i] > 0)
        to_centroids = self._centroids @ vector
        ranked = np.argsort(-to_centroids)
        centroids = tuple((self.labels[i], float(to_centroids[i])) for i in ranked if to_centroids[i] > 0)
        oos = float(sims[self._oos].max()) if self._oos.any() else 0.0
        return Reading(articles, centroids, oos, self._votes(sims))

    def _votes(self, sims: npt.NDArray[np.float32]) -> tuple[tuple[str, float], ...]:
        """Return each article's share of the vote of the nearest examples (closer examples weigh more)."""
        if not len(self.labels) or not len(sims):
            return ()
        top = np.argsort(-sims)[:VOTERS]
        weight = np.exp((sims[top] - sims[top[0]]) / VOTE_TEMPERATURE)
        shares = (self._member[top].T.astype(np.float32) @ weight) / float(weight.sum())
        order = np.argsort(-shares)
        return tuple((self.labels[i], float(shares[i])) for i in order if shares[i] > 0)


_bank: Neighbours | None = None
_lock = threading.Lock()


def load_neighbours() -> Neighbours:
    """Return the shipped bank, embedded once per process."""
    global _bank
    with _lock:
        if _bank is None:
            _bank = Neighbours.build()
        return _bank
