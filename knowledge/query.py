"""Queries as weighted stems (synonyms and the English glossary expanded), and the BM25 index they score."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import yaml

from knowledge.text import english_stem, join_compounds, stem, words_of

GLOSSARY_DIR = Path(str(files(__package__ or "knowledge"))) / "glossary"
WEIGHT_EXPANSION = 0.6  # a synonym's or a glossary translation's weight, beside the word's own 1.0
BM25_K1 = 1.2
BM25_B = 0.5


# --- glossary and stop words ----------------------------------------------------------------------------


def _yaml(name: str) -> dict[str, Any]:
    data = yaml.safe_load((GLOSSARY_DIR / name).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{name}: expected a mapping")
    return data


@dataclass(frozen=True)
class Glossary:
    """Stop words, French synonyms and the English -> French glossary, as folded token tuples."""

    stopwords: frozenset[str]
    fr_synonyms: dict[tuple[str, ...], tuple[str, ...]]
    en_fr: dict[tuple[str, ...], tuple[str, ...]]
    en_fr_stemmed: dict[tuple[str, ...], tuple[str, ...]]
    fr_synonyms_stemmed: dict[tuple[str, ...], tuple[str, ...]]
    longest: int


@cache
def load_glossary() -> Glossary:
    """Load the glossaries of ``knowledge/glossary`` (cached)."""
    lexicon = _yaml("lexicon.yaml")
    stop = {
        w for key in ("stopwords_fr", "stopwords_en") for item in lexicon[key] for w in words_of(str(item))
    }
    fr = {
        tuple(words_of(str(k))): tuple(words_of(str(v)))
        for k, v in _yaml("fr_synonyms.yaml")["fr_synonyms"].items()
        if words_of(str(k))
    }
    en = {
        tuple(words_of(str(k))): tuple(words_of(str(v)))
        for k, v in _yaml("en_fr.yaml")["en_fr"].items()
        if words_of(str(k))
    }
    en_stemmed = {tuple(english_stem(w) for w in k): v for k, v in en.items()}
    # A synonym also matches another form of its words ("rachète" finds "racheter").
    fr_stemmed = {tuple(stem(w) for w in k): v for k, v in fr.items()}
    longest = max(len(k) for k in [*fr, *en])
    return Glossary(frozenset(stop), fr, en, en_stemmed, fr_stemmed, longest)


# --- queries ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """A stem of the query, with its weight and the word (concept) it stands for."""

    stem: str
    weight: float
    concept: int


@dataclass(frozen=True)
class Query:
    """A query as stems: each content word is a concept; expansions stand for the words they replace."""

    terms: tuple[Term, ...]
    concepts: tuple[str, ...]
    ignored: tuple[int, ...] = ()  # concepts left out of the coverage (weak words without a synonym)

    def stems(self) -> list[str]:
        """Return the distinct stems."""
        return list(dict.fromkeys(t.stem for t in self.terms))


def _glossary_matches(
    table: Mapping[tuple[str, ...], tuple[str, ...]], seq: Sequence[str], longest: int
) -> Iterator[tuple[int, tuple[str, ...], tuple[str, ...]]]:
    """Yield (start, window, replacement) for the longest glossary entry starting at each position."""
    for i in range(len(seq)):
        for n in range(min(longest, len(seq) - i), 0, -1):
            window = tuple(seq[i : i + n])
            if "" not in window and window in table:
                yield i, window, table[window]
                break


def _concepts(words: Sequence[str], stopwords: frozenset[str]) -> tuple[list[str], dict[int, int]]:
    """Return the content words (concepts) and, for each word position, the concept it is."""
    concepts: list[str] = []
    concept_of: dict[int, int] = {}
    for i, w in enumerate(words):
        if w not in stopwords and not (w.isdigit() and len(w) > 4):
            concept_of[i] = len(concepts)
            concepts.append(w)
    return concepts, concept_of


def _tables(
    glossary: Glossary, words: list[str], lang: str
) -> list[tuple[dict[tuple[str, ...], tuple[str, ...]], list[str]]]:
    """Return each glossary table with the sequence it is looked up in (words, or their stems)."""
    stems = [stem(w) if w not in glossary.stopwords else "" for w in words]
    tables = [
        (glossary.fr_synonyms, words),
        (glossary.fr_synonyms_stemmed, stems),  # function words never match by stem ("ce" is not "CEE")
    ]
    if lang == "en":
        tables.append((glossary.en_fr, words))
        tables.append((glossary.en_fr_stemmed, [english_stem(w) for w in words]))
    return tables


def _weigh(
    weights: dict[tuple[str, int], float], stopwords: frozenset[str], word: str, weight: float, concept: int
) -> None:
    """Keep the highest weight of a word's stem for a concept (function words and letters left out)."""
    if word in stopwords or len(word) < 2:
        return
    key = (stem(word), concept)
    weights[key] = max(weights.get(key, 0.0), weight)


def analyse_query(words: Sequence[str], lang: str = "fr", weak: Iterable[str] = ()) -> Query:
    """Turn folded words into weighted stems, expanding synonyms and (in English) the glossary.

    `weak` words (outside the texts, and no noun: "rapidement", "reçoit") still search through their
    synonyms, but they do not count in the coverage of the question unless a synonym gave them a meaning.
    """
    glossary = load_glossary()
    words = join_compounds([w for w in words if w])
    concepts, concept_of = _concepts(words, glossary.stopwords)
    weights: dict[tuple[str, int], float] = {}
    expanded: set[int] = set()
    for i, w in enumerate(words):
        if i in concept_of:
            _weigh(weights, glossary.stopwords, w, 1.0 if lang != "en" else 0.6, concept_of[i])
    for table, seq in _tables(glossary, words, lang):
        for start, window, value in _glossary_matches(table, seq, glossary.longest):
            owners = [concept_of[j] for j in range(start, start + len(window)) if j in concept_of]
            if not owners:
                # A phrase of function words only ("qu'est-ce qu'un"): it stands for one concept of its own.
                owners = [len(concepts)]
                concepts.append(" ".join(window))
            for word in value:
                for owner in owners:
                    _weigh(weights, glossary.stopwords, word, WEIGHT_EXPANSION, owner)
            expanded.update(owners)
    terms = tuple(Term(s, w, c) for (s, c), w in weights.items())
    weak_words = set(weak)
    ignored = tuple(c for c, word in enumerate(concepts) if word in weak_words and c not in expanded)
    return Query(terms, tuple(concepts), ignored)


def document_stems(text: str, stopwords: frozenset[str]) -> list[str]:
    """Return the stems of a document's content words."""
    return [stem(w) for w in words_of(text) if w not in stopwords]


# --- BM25 ---------------------------------------------------------------------------------------------------


class Bm25:
    """A BM25 index over stemmed documents, scoring weighted queries."""

    def __init__(
        self, documents: Sequence[Sequence[str]] | None = None, *, model: Any = None, df: Any = None
    ):
        if model is not None:
            self.model = model
            self.df: dict[str, int] = df
            self.n = int(df.get("", 0)) or 1
            return
        assert documents is not None
        self.model = bm25s.BM25(k1=BM25_K1, b=BM25_B)
        corpus = [list(d) if d else [""] for d in documents]
        self.model.index(corpus, show_progress=False)
        counts: dict[str, int] = {}
        for doc in corpus:
            for s in set(doc):
                counts[s] = counts.get(s, 0) + 1
        self.df = counts
        self.n = len(corpus)
        self.df[""] = self.n

    def idf(self, stem_: str) -> float:
        """Return the inverse document frequency of a stem (the highest for unknown stems)."""
        df = self.df.get(stem_, 0)
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def scores(self, terms: Iterable[Term], mask: np.ndarray | None = None) -> np.ndarray:
        """Return every document's score for weighted terms."""
        vocab = self.model.vocab_dict
        total = np.zeros(self.n, dtype=np.float32)
        for term in terms:
            token_id = vocab.get(term.stem)
            if token_id is None or not term.stem:
                continue
            total += term.weight * self.model.get_scores_from_ids([token_id], weight_mask=mask)
        return total
