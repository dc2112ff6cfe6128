"""The NLU's word lists and vocabulary, and fuzzy matching against them (the only module using rapidfuzz).

Word lists are data (``knowledge/glossary/lexicon.yaml``); the vocabulary is every word of the decree, of the
curated facts and of the glossaries. Typos are mended against it: "dlai" -> "delai", "perssonnes" ->
"personnes", "douverture" -> "d" + "ouverture".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from nlu.text import tokens

GLOSSARY_DIR = Path(str(files("knowledge"))) / "glossary"  # package data, also in an installed wheel
_ELISIONS = ("d", "l", "j", "m", "n", "s", "t", "c", "qu")


@dataclass(frozen=True)
class Phrase:
    """A word list entry, as folded tokens."""

    text: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class Correction:
    """A token as typed and as read: one or two words, and how sure the reading is (0-100)."""

    typed: str
    read: tuple[str, ...]
    score: float
    known: bool  # in the vocabulary as typed, or mended with confidence


@dataclass(frozen=True)
class PhraseMatch:
    """A phrase found in a token sequence, at tokens [start, end)."""

    key: str
    start: int
    end: int
    score: float


def _phrases(items: Iterable[str]) -> tuple[Phrase, ...]:
    return tuple(Phrase(item, tuple(tokens(item))) for item in items if tokens(item))


class Lexicon:
    """Word lists, stop words and the vocabulary of the texts."""

    def __init__(self, data: dict[str, object], french: Counter[str], english: Counter[str]):
        self.lists: dict[str, tuple[Phrase, ...]] = {}
        self.procedures: dict[str, tuple[Phrase, ...]] = {}
        for key, value in data.items():
            if key == "procedure" and isinstance(value, dict):
                self.procedures = {str(k): _phrases(map(str, v)) for k, v in value.items()}
            elif isinstance(value, list):
                self.lists[key] = _phrases(map(str, value))
        self.stop_fr = frozenset(w for p in self.lists["stopwords_fr"] for w in p.words)
        self.stop_en = frozenset(w for p in self.lists["stopwords_en"] for w in p.words)
        self.other = frozenset(w for p in self.lists["markers_other"] for w in p.words)
        listed = Counter(w for phrases in self.lists.values() for p in phrases for w in p.words)
        self.frequency: Counter[str] = french + english + listed
        self.french = frozenset(french)  # words of the decree, its facts and the French glossary
        self.english = frozenset(english)  # words of the English glossary and summaries
        self.domain = self.french | self.english  # what the texts know (not the signal lists)
        from knowledge.text import stem

        self.domain_stems = frozenset(stem(w) for w in self.domain if w.isalpha())
        self.vocabulary = frozenset(self.frequency)
        self._choices = sorted(w for w in self.vocabulary if len(w) >= 3 and w.isalpha())
        self.is_word: Callable[[str], bool] = lambda word: False

    def words(self, key: str) -> tuple[Phrase, ...]:
        """Return one word list."""
        return self.lists.get(key, ())

    def in_domain(self, word: str) -> bool:
        """Tell whether the texts (or their glossaries) use this word, in this form or another ('sociétés')."""
        if word in self.domain:
            return True
        from knowledge.text import stem

        return stem(word) in self.domain_stems

    def known(self, word: str) -> bool:
        """Tell whether a folded word is in the vocabulary."""
        return word in self.vocabulary

    @lru_cache(maxsize=20000)  # noqa: B019 - one Lexicon per process
    def correct(self, word: str) -> Correction:
        """Mend one folded token against the vocabulary."""
        if word in self.vocabulary or not word.isalpha() or len(word) < 4:
            return Correction(word, (word,), 100.0, word in self.vocabulary or not word.isalpha())
        for prefix in _ELISIONS:
            rest = word[len(prefix) :]
            if word.startswith(prefix) and len(rest) >= 4 and rest in self.vocabulary:
                return Correction(word, (prefix, rest), 95.0, True)
        if self.is_word(word):
            # A real word the texts do not use ("réparation") is not a misspelling of one they do ("préparation").
            return Correction(word, (word,), 100.0, False)
        cutoff = 84.0 if len(word) >= 8 else 86.0 if len(word) >= 6 else 88.0
        found = process.extract(word, self._choices, scorer=fuzz.ratio, score_cutoff=cutoff, limit=5)
        if not found:
            return Correction(word, (word,), 0.0, False)

        def rank(item: tuple[str, float, int]) -> tuple[float, int]:
            candidate, score, _ = item
            same_start = 2.0 if candidate[0] == word[0] else 0.0
            return (score + same_start, self.frequency[candidate])

        best, score, _ = max(found, key=rank)
        return Correction(word, (best,), float(score), True)

    def correct_all(self, words: Sequence[str]) -> list[Correction]:
        """Mend every token of a message."""
        return [self.correct(w) for w in words]

    def find(self, words: Sequence[str], key: str) -> list[PhraseMatch]:
        """Find the phrases of one word list in a token sequence (exact tokens, longest first)."""
        return find_phrases(words, [(p.text, p.words) for p in self.words(key)], fuzzy=False)

    def has(self, words: Sequence[str], key: str) -> bool:
        """Tell whether a token sequence holds any phrase of one word list."""
        return bool(self.find(words, key))


def find_phrases(
    words: Sequence[str],
    phrases: Sequence[tuple[str, tuple[str, ...]]],
    fuzzy: bool = True,
    cutoff: float = 88.0,
) -> list[PhraseMatch]:
    """Find phrases in a token sequence; with `fuzzy`, a window matches a phrase at `cutoff` similarity.

    Longer phrases win: a match is dropped when it overlaps a longer (or better) one.
    """
    found: list[PhraseMatch] = []
    for key, phrase in phrases:
        n = len(phrase)
        if not n or n > len(words):
            continue
        target = " ".join(phrase)
        for start in range(len(words) - n + 1):
            window = words[start : start + n]
            if window[0] != phrase[0] and not fuzzy:
                continue
            if window == tuple(phrase) or list(window) == list(phrase):
                found.append(PhraseMatch(key, start, start + n, 100.0))
                continue
            if not fuzzy or fuzz.ratio(window[0], phrase[0]) < 75:
                continue
            score = fuzz.ratio(" ".join(window), target)
            if score >= cutoff:
                found.append(PhraseMatch(key, start, start + n, float(score)))
    found.sort(key=lambda m: (-(m.end - m.start), -m.score, m.start))
    kept: list[PhraseMatch] = []
    for match in found:
        if all(match.end <= k.start or match.start >= k.end for k in kept):
            kept.append(match)
    return sorted(kept, key=lambda m: m.start)


def load_glossary_yaml(name: str) -> dict[str, object]:
    """Read one glossary YAML file, which must hold a mapping."""
    data = yaml.safe_load((GLOSSARY_DIR / name).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{name}: expected a mapping")
    return data


@cache
def load_lexicon() -> Lexicon:
    """Build the lexicon from the word lists, the glossaries, the facts and the decree (cached)."""
    from knowledge.facts import load_facts
    from knowledge.index import DECREE_ID, load_index

    vocabulary: Counter[str] = Counter()
    for article in load_index().articles(DECREE_ID):
        vocabulary.update(tokens(article.text))
    facts = load_facts()
    for note in facts.articles.values():
        vocabulary.update(tokens(note.summary.fr + " " + note.title.fr + " " + " ".join(note.words)))
    english: Counter[str] = Counter()
    for note in facts.articles.values():
        english.update(tokens(note.summary.en + " " + note.title.en))
    for category in facts.categories:
        vocabulary.update(tokens(" ".join(category.aliases)))
    glossary = load_glossary_yaml("en_fr.yaml").get("en_fr", {})
    if isinstance(glossary, dict):
        for key, value in glossary.items():
            english.update(tokens(str(key)))
            vocabulary.update(tokens(str(value)))
    synonyms = load_glossary_yaml("fr_synonyms.yaml").get("fr_synonyms", {})
    if isinstance(synonyms, dict):
        for key, value in synonyms.items():
            vocabulary.update(tokens(f"{key} {value}"))
    from nlu.pipeline import is_word

    lexicon = Lexicon(load_glossary_yaml("lexicon.yaml"), vocabulary, english)
    lexicon.is_word = is_word
    return lexicon
