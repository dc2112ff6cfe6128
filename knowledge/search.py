"""Retrieval over the article index: exact references first, then ranked search that picks the best passage.

Three BM25 indexes (``bm25s``) over French stems (``snowballstemmer``) of accent-folded words:

- parts: every paragraph and item of the shipped texts, each read with its lead-in (an item of article 6
  is read with "A chaque demande est joint un dossier comportant :");
- articles: each whole article, with its curated title, summary and the words people use for it;
- facts: the curated facts (delays, notifications), each tied to the part that holds its quote.

A query is expanded with the French synonyms and the English -> French glossary (``knowledge/glossary``).
An article's score mixes the three (each normalised by its best score; a fact counts only for the kind of
question it answers: a delay for a question about time, a retention period for one about keeping records, a
notice for one about who tells whom); the decree comes first: another text is ranked below it unless the
question names that text. The code corpus (tens of thousands of
articles) has its own index, built once and stored under ``var/``, searched only when a question names a
code, so that questions about the decree are never crowded out.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np

from knowledge.facts import Facts, load_facts
from knowledge.index import DECREE_ID, ArticleIndex, load_index
from knowledge.model import Article, Part
from knowledge.query import Bm25, Query, analyse_query, load_glossary
from knowledge.query import document_stems as document_stems  # where the answering package finds it
from knowledge.text import stem, words_of

# How the three indexes are mixed (tuned on the development questions only).
WEIGHT_ARTICLE = 0.75
WEIGHT_PART = 0.25
WEIGHT_FACT = (
    0.4  # a curated fact that holds most of the question (gated by what it asks: time, who tells whom)
)
OTHER_TEXT_FACTOR = 0.6  # another shipped text, unless the question names it
CATEGORY_MISMATCH_FACTOR = 0.6  # an article for other categories than the one the question names
CATEGORY_MATCH_FACTOR = 1.1  # an article that names the category the question names
PHRASE_BONUS = 0.15  # an article whose curated words hold a phrase of the question ("préparer les commandes")
PHRASE_GAP = 1  # words of the question a curated phrase may skip ("vétérinaire [pharmacien] responsable")
REFERENCE_BONUS = 0.3  # an article the question names ("que dit l'article 13 sur ...")
FIELD_REPEAT = 2  # how many times an article's title and words count
CODE_INDEX_VERSION = "v2"  # of the stored code-corpus index


# --- results ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Passage:
    """A paragraph or item of an article, with its score for the query."""

    text_id: str
    article: str
    label: str
    alinea: int
    text: str
    score: float


@dataclass(frozen=True)
class Hit:
    """An article found for a query, with its best passages first."""

    text_id: str
    article: str
    score: float
    passages: tuple[Passage, ...]
    facts: tuple[tuple[str, float], ...] = ()  # curated facts that matched (id, score 0-1), best first
    named: bool = False  # the question named this article


@dataclass(frozen=True)
class SearchResult:
    """Articles ranked for a query, how much of the query the best one covers, and what was searched."""

    hits: tuple[Hit, ...]
    coverage: float  # share of the question's words (weighted by rarity) found in the best article
    matched: float  # raw BM25 strength of the best article (0 when nothing matched)
    texts: tuple[str, ...]
    query: Query = field(default_factory=lambda: Query((), ()))

    @property
    def best(self) -> Hit | None:
        """Return the best hit, if any."""
        return self.hits[0] if self.hits else None


@dataclass(frozen=True)
class _FactDoc:
    fact_id: str
    text_id: str
    article: str
    part: int  # index into the article's parts
    kind: str  # delay | notice


def _locate(article: Article, quote: str) -> int:
    """Return the index of the part holding a quote (0 when it spans parts)."""
    wanted = re.sub(r"\s+", " ", quote)
    for i, part in enumerate(article.parts):
        if wanted in re.sub(r"\s+", " ", part.text):
            return i
    return 0


def _lead_in(article: Article, i: int) -> str:
    """Return the context an item is read with: its parent items and the paragraph that introduces it."""
    part = article.parts[i]
    context: list[str] = []
    depth = part.depth
    for j in range(i - 1, -1, -1):
        previous = article.parts[j]
        if previous.kind == "paragraph" and previous.depth == 0 and part.kind == "item":
            context.append(previous.text)
            break
        if previous.depth < depth:
            context.append(previous.text)
            depth = previous.depth
            if depth == 0 and part.kind != "item":
                break
    return " ".join(context)


def _fact_documents(facts: Facts) -> Iterator[tuple[str, str, str, str]]:
    """Yield (fact id, article, quote, searchable text) for the facts that answer questions."""
    for d in facts.delays:
        text = " ".join([d.subject.fr, d.subject.en, d.statement.fr, d.statement.en, " ".join(d.keywords)])
        yield d.id, d.article, d.quote, text
    for n in facts.notifications:
        text = " ".join([n.who.fr, n.whom.fr, n.what.fr, n.who.en, n.whom.en, n.what.en])
        yield "notice:" + n.id, n.article, n.quote, text


class Searcher:
    """Ranked search over the shipped texts (and, when asked, the code corpus)."""

    def __init__(self, index: ArticleIndex, facts: Facts | None = None):
        self.index = index
        self.facts = facts or load_facts()
        glossary = load_glossary()
        self.stopwords = glossary.stopwords
        self.articles: list[Article] = list(index.articles())
        self.part_owner: list[tuple[int, int]] = []  # part doc -> (article position, part position)
        part_docs: list[list[str]] = []
        article_docs: list[list[str]] = []
        self.article_stems: list[frozenset[str]] = []
        self.phrases: dict[int, tuple[tuple[str, ...], ...]] = {}  # article position -> curated phrases
        for a_pos, article in enumerate(self.articles):
            for p_pos, part in enumerate(article.parts):
                part_docs.append(document_stems(part.text + " " + _lead_in(article, p_pos), self.stopwords))
                self.part_owner.append((a_pos, p_pos))
            extra = ""
            note = self.facts.articles.get(article.number) if article.text_id == DECREE_ID else None
            if note is not None:
                # What the article is about, in people's words, and the titles of the articles it cites
                # ("l'autorisation visée à l'article 12" is about a modification). Article 2 is cited to name a
                # category, not a subject: it is left out.
                cited = {
                    r.article
                    for r in article.cites
                    if not r.external and r.text_id == DECREE_ID and r.article and r.article != "2"
                }
                cited_titles = [
                    self.facts.articles[c].title.fr for c in sorted(cited) if c in self.facts.articles
                ]
                labels = " ".join([note.title.fr, note.title.en, " ".join(note.words)])
                extra = " ".join([*[labels] * FIELD_REPEAT, note.summary.fr, note.summary.en, *cited_titles])
                phrases = (tuple(document_stems(w, self.stopwords)) for w in note.words)
                self.phrases[a_pos] = tuple(dict.fromkeys(p for p in phrases if len(p) >= 2))
            doc = document_stems(article.text + " " + extra, self.stopwords)
            article_docs.append(doc)
            self.article_stems.append(frozenset(doc))

        self.position = {(a.text_id, a.number): i for i, a in enumerate(self.articles)}
        self.part_index = Bm25(part_docs)
        self.article_index = Bm25(article_docs)
        self.fact_docs: list[_FactDoc] = []
        fact_texts: list[list[str]] = []
        self.fact_stems: list[frozenset[str]] = []
        for fact_id, number, quote, text in _fact_documents(self.facts):
            pos = self.position.get((DECREE_ID, number))
            if pos is None:
                continue
            kind = "notice" if fact_id.startswith("notice:") else self._delay_kind(fact_id)
            self.fact_docs.append(
                _FactDoc(fact_id, DECREE_ID, number, _locate(self.articles[pos], quote), kind)
            )
            fact_texts.append(document_stems(text, self.stopwords))
            self.fact_stems.append(frozenset(fact_texts[-1]))
        self.fact_index = Bm25(fact_texts)
        self._codes: CodeSearcher | None = None
        self._codes_lock = threading.Lock()

    def _delay_kind(self, fact_id: str) -> str:
        """Return 'retention' for a record-keeping period (it answers only questions about keeping), else 'delay'."""
        delay = self.facts.delay(fact_id)
        return "retention" if delay is not None and delay.kind == "retention" else "delay"

    def _category_damping(self, categories: Sequence[int]) -> dict[tuple[str, str], float]:
        """Return the factors of the decree's articles that name the categories a question names, or others."""
        named = set(categories)
        return {
            (DECREE_ID, number): CATEGORY_MATCH_FACTOR
            if named & set(note.categories)
            else CATEGORY_MISMATCH_FACTOR
            for number, note in self.facts.articles.items()
            if named and note.categories
        }

    # -- the code corpus --------------------------------------------------------------------------------

    def codes(self) -> CodeSearcher | None:
        """Return the code-corpus searcher (built or loaded on first use), or None without a corpus."""
        if self.index.codes is None:
            return None
        with self._codes_lock:
            if self._codes is None:
                self._codes = CodeSearcher.open(self.index, self.stopwords)
            return self._codes

    # -- search -------------------------------------------------------------------------------------------

    def search(
        self,
        words: Sequence[str] | str,
        lang: str = "fr",
        *,
        named_articles: Sequence[tuple[str | None, str]] = (),
        named_texts: Sequence[str] = (),
        weak: Iterable[str] = (),
        fact_kinds: Iterable[str] = ("delay", "retention", "notice"),
        damped: Mapping[tuple[str, str], float] | None = None,
        categories: Sequence[int] = (),
        limit: int = 5,
    ) -> SearchResult:
        """Rank articles and passages for a question (folded words, or a text to tokenise)."""
        if isinstance(words, str):
            words = words_of(words)
        named_code_texts = [t for t in named_texts if t != DECREE_ID]
        # The words naming a code ("code civil") choose where to search; they are not what is searched for.
        naming = {w for t in named_code_texts for w in t.split("-")}
        query = analyse_query([w for w in words if w not in naming], lang, weak)
        result = self._search_shipped(
            query,
            named_articles,
            named_code_texts,
            limit,
            frozenset(fact_kinds),
            {**self._category_damping(categories), **(damped or {})},
        )
        return self._with_codes(result, query, named_code_texts, limit) if named_code_texts else result

    def _with_codes(
        self, result: SearchResult, query: Query, named_code_texts: Sequence[str], limit: int
    ) -> SearchResult:
        """Put the articles of the codes the question names first, the decree's after."""
        codes = self.codes()
        if codes is None or not query.terms:
            return result
        shipped = {t for t in self.index.texts if any(a.text_id == t for a in self.articles)}
        wanted = [t for t in named_code_texts if t not in shipped or codes.has_text(t)]
        code_hits = codes.search(query, wanted, limit) if wanted else []
        if not code_hits:
            return result
        hits = [*code_hits, *result.hits][:limit]
        best = hits[0]
        coverage = result.coverage if best.text_id in shipped else codes.coverage(query, best)
        texts = tuple(dict.fromkeys([*result.texts, *wanted]))
        return SearchResult(tuple(hits), coverage, best.score, texts, query)

    def _search_shipped(
        self,
        query: Query,
        named_articles: Sequence[tuple[str | None, str]],
        named_texts: Sequence[str],
        limit: int,
        fact_kinds: frozenset[str] = frozenset({"delay", "retention", "notice"}),
        damped: Mapping[tuple[str, str], float] | None = None,
    ) -> SearchResult:
        texts = tuple(dict.fromkeys(a.text_id for a in self.articles))
        named_positions = self._named_positions(named_articles)
        if not query.terms and not named_positions:
            return SearchResult((), 0.0, 0.0, texts, query)
        a_raw = self.article_index.scores(query.terms)
        p_norm = _normalised(self.part_index.scores(query.terms))
        f_raw = self.fact_index.scores(query.terms) if self.fact_docs else np.zeros(0, dtype=np.float32)
        best_part = np.zeros(len(self.articles), dtype=np.float32)
        for doc, (a_pos, _) in enumerate(self.part_owner):
            best_part[a_pos] = max(best_part[a_pos], p_norm[doc])
        best_fact, fact_rank = self._fact_strengths(query, _normalised(f_raw), fact_kinds)
        score = WEIGHT_ARTICLE * _normalised(a_raw) + WEIGHT_PART * best_part + WEIGHT_FACT * best_fact
        self._adjust(score, query, named_texts, damped or {}, named_positions)
        order = [int(i) for i in np.argsort(-score) if score[int(i)] > 0][:limit]
        hits = [
            self._hit(a_pos, float(score[a_pos]), p_norm, fact_rank.get(a_pos, []), a_pos in named_positions)
            for a_pos in order
        ]
        coverage = self._coverage(query, self.article_stems[order[0]], self.article_index) if order else 0.0
        matched = float(a_raw[order[0]]) if order else 0.0
        return SearchResult(tuple(hits), coverage, matched, texts, query)

    def _named_positions(self, named_articles: Sequence[tuple[str | None, str]]) -> set[int]:
        """Return the positions of the articles the question names."""
        named = set()
        for text_id, number in named_articles:
            article = self.index.get(number, text_id)
            if article is not None and (article.text_id, article.number) in self.position:
                named.add(self.position[(article.text_id, article.number)])
        return named

    def _fact_strengths(
        self, query: Query, f_norm: np.ndarray, fact_kinds: frozenset[str]
    ) -> tuple[np.ndarray, dict[int, list[tuple[float, int]]]]:
        """Return each article's best fact strength, and its facts ranked (strength, fact document)."""
        best_fact = np.zeros(len(self.articles), dtype=np.float32)
        fact_rank: dict[int, list[tuple[float, int]]] = {}
        for doc, fact in enumerate(self.fact_docs):
            # A delay speaks for a question about time, a notice for one about who tells whom.
            if f_norm[doc] <= 0 or fact.kind not in fact_kinds:
                continue
            a_pos = self.position[(fact.text_id, fact.article)]
            # A fact speaks for its passage only when it holds most of the question, not merely its best words.
            strength = float(f_norm[doc]) * self._coverage(query, self.fact_stems[doc], self.fact_index)
            best_fact[a_pos] = max(best_fact[a_pos], strength)
            fact_rank.setdefault(a_pos, []).append((strength, doc))
        return best_fact, fact_rank

    def _adjust(
        self,
        score: np.ndarray,
        query: Query,
        named_texts: Sequence[str],
        damped: Mapping[tuple[str, str], float],
        named_positions: set[int],
    ) -> None:
        """Weigh the scores (in place): other texts, damped articles, curated phrases, named articles."""
        for a_pos, article in enumerate(self.articles):
            if article.text_id != DECREE_ID and article.text_id not in named_texts:
                score[a_pos] *= OTHER_TEXT_FACTOR
        for key, factor in damped.items():
            if key in self.position:
                score[self.position[key]] *= factor
        asked = [stem(c) for c in query.concepts]
        for a_pos, phrases in self.phrases.items():
            if score[a_pos] > 0 and any(_holds_phrase(asked, p) for p in phrases):
                score[a_pos] += PHRASE_BONUS
        for a_pos in named_positions:
            score[a_pos] += REFERENCE_BONUS

    def _hit(
        self, a_pos: int, score: float, p_norm: np.ndarray, facts: list[tuple[float, int]], named: bool
    ) -> Hit:
        """Build the hit of one article: its best three passages, its facts, whether it was named."""
        article = self.articles[a_pos]
        facts_here = sorted(facts, reverse=True)
        part_scores: dict[int, float] = {}
        for doc, (owner, p_pos) in enumerate(self.part_owner):
            if owner == a_pos:
                part_scores[p_pos] = float(p_norm[doc])
        for value, doc in facts_here:
            p_pos = self.fact_docs[doc].part
            part_scores[p_pos] = part_scores.get(p_pos, 0.0) + 0.5 * value
        ranked = sorted(part_scores.items(), key=lambda kv: (-kv[1], kv[0]))
        passages = tuple(
            Passage(
                article.text_id,
                article.number,
                article.parts[p].label,
                article.parts[p].alinea,
                article.parts[p].text,
                s,
            )
            for p, s in ranked[:3]
        )
        fact_scores = tuple((self.fact_docs[doc].fact_id, value) for value, doc in facts_here)
        return Hit(article.text_id, article.number, score, passages, fact_scores, named)

    @staticmethod
    def _coverage(query: Query, stems: frozenset[str], index: Bm25) -> float:
        """Return the share of the query's concepts (weighted by rarity) that a document holds."""
        if not query.concepts:
            return 0.0
        found = [False] * len(query.concepts)
        weight = [0.0] * len(query.concepts)
        top_idf = math.log(1 + (index.n + 0.5) / 0.5)
        for term in query.terms:
            idf = index.idf(term.stem) if term.stem in index.df else top_idf
            weight[term.concept] = max(weight[term.concept], idf)
            if term.stem in stems:
                found[term.concept] = True
        for c, word in enumerate(query.concepts):
            if word.isdigit() and not found[c]:
                # A number of the user's case ("6 semaines") the text does not write is no sign it is off topic.
                weight[c] = 0.0
            elif weight[c] == 0.0:
                weight[c] = top_idf
        for c in query.ignored:
            weight[c] = 0.0
        total = sum(weight)
        return sum(w for w, f in zip(weight, found, strict=True) if f) / total if total else 0.0


def _normalised(raw: np.ndarray) -> np.ndarray:
    """Divide scores by the best one (all zeros stay zeros)."""
    return raw / raw.max() if raw.size and raw.max() > 0 else raw


def _holds_phrase(words: Sequence[str], phrase: Sequence[str]) -> bool:
    """Tell whether the stems of a phrase occur in order in a question's, each at most PHRASE_GAP words apart."""
    for start, word in enumerate(words):
        if word != phrase[0]:
            continue
        at = start
        for wanted in phrase[1:]:
            window = words[at + 1 : at + 2 + PHRASE_GAP]
            if wanted not in window:
                break
            at += 1 + window.index(wanted)
        else:
            return True
    return False


# --- the code corpus --------------------------------------------------------------------------------------


class CodeSearcher:
    """BM25 over whole code articles, stored under ``var/index/`` beside the corpus store and reused."""

    def __init__(self, bm25: Bm25, keys: list[tuple[str, str]], index: ArticleIndex):
        self.bm25 = bm25
        self.keys = keys
        self.index = index
        self.by_text: dict[str, np.ndarray] = {}
        texts = np.array([t for t, _ in keys])
        for text_id in np.unique(texts):
            self.by_text[str(text_id)] = (texts == text_id).astype(np.float32)

    def has_text(self, text_id: str) -> bool:
        """Tell whether the corpus holds this text."""
        return text_id in self.by_text

    @classmethod
    def open(cls, index: ArticleIndex, stopwords: frozenset[str]) -> CodeSearcher:
        """Load the stored code index, or build and store it (a first run over 90,078 articles)."""
        assert index.codes is not None
        store = Path(index.codes.path)
        # The version changes whenever documents are tokenised differently (v2: "sous traiter" is one word).
        stamp = hashlib.sha256(
            f"{store.stat().st_size}:{store.stat().st_mtime_ns}:{CODE_INDEX_VERSION}".encode()
        ).hexdigest()[:16]
        folder = store.parent / f"codes-bm25-{stamp}"
        keys_file = folder / "keys.json"
        if keys_file.is_file():
            # Read into memory (a few tens of MB): a memory map makes the first questions wait on the disk.
            model = bm25s.BM25.load(str(folder), mmap=False, load_vocab=True, verbosity=0)
            payload = json.loads(keys_file.read_text(encoding="utf-8"))
            keys = [tuple(k) for k in payload["keys"]]
            return cls(Bm25(model=model, df=payload["df"]), keys, index)  # type: ignore[arg-type]
        keys = []
        docs = []
        for article in index.codes.iter_articles():
            keys.append((article.text_id, article.number))
            docs.append(document_stems(article.text, stopwords))
        bm25 = Bm25(docs)
        folder.mkdir(parents=True, exist_ok=True)
        bm25.model.save(str(folder), show_progress=False)
        keys_file.write_text(json.dumps({"keys": keys, "df": bm25.df}), encoding="utf-8")
        return cls(bm25, keys, index)

    def search(self, query: Query, texts: Sequence[str], limit: int) -> list[Hit]:
        """Return the best code articles of the named texts."""
        mask = None
        if texts:
            masks = [self.by_text[t] for t in texts if t in self.by_text]
            if not masks:
                return []
            mask = np.clip(np.sum(masks, axis=0), 0, 1).astype(np.float32)
        scores = self.bm25.scores(query.terms, mask)
        top = np.argsort(-scores)[:limit]
        hits = []
        best = float(scores[top[0]]) if len(top) else 0.0
        for doc in top:
            if scores[doc] <= 0:
                break
            text_id, number = self.keys[int(doc)]
            article = self.index.get(number, text_id)
            if article is None:
                continue
            passages = _rank_parts(article, query)
            hits.append(Hit(text_id, number, float(scores[doc]) / best if best else 0.0, passages))
        return hits

    def coverage(self, query: Query, hit: Hit) -> float:
        """Return the share of the query a code article covers."""
        article = self.index.get(hit.article, hit.text_id)
        if article is None:
            return 0.0
        stems = frozenset(document_stems(article.text, load_glossary().stopwords))
        return Searcher._coverage(query, stems, self.bm25)


def _rank_parts(article: Article, query: Query) -> tuple[Passage, ...]:
    """Rank an article's parts by the query terms they hold (for articles outside the part index)."""
    wanted = {t.stem: t.weight for t in query.terms}
    stop = load_glossary().stopwords
    scored = []
    for part in article.parts:
        stems = set(document_stems(part.text, stop))
        scored.append((sum(w for s, w in wanted.items() if s in stems), part))
    scored.sort(key=lambda x: -x[0])
    return tuple(_passage(article, part, score) for score, part in scored[:3])


def _passage(article: Article, part: Part, score: float) -> Passage:
    return Passage(article.text_id, article.number, part.label, part.alinea, part.text, score)


@lru_cache(maxsize=4)
def load_searcher(codes: Path | None = None) -> Searcher:
    """Return the searcher over the index (with the code corpus store when given), cached."""
    return Searcher(load_index(codes))
