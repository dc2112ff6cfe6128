"""Which language a message is in: French, English, or another one."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from nlu.lexicon import Lexicon
from nlu.text import fold

# The system's French and English word lists (Debian's wfrench and wamerican, installed by the Makefile).
DICTIONARIES = (Path("/usr/share/dict/french"), Path("/usr/share/dict/american-english"))
FOREIGN_MIN_WORDS = 3  # words in neither language before a message may be another language
FOREIGN_SHARE = 0.6  # ... and their share of the message's longer words
TYPO_SCORE = 88.0  # a word the vocabulary mends this well is a typo ("etablisement"), not a foreign word

_FRENCH_LETTERS = re.compile(r"[éèêàùçôîœ]")
_OTHER_LETTERS = re.compile(r"[¿¡ñãõßäöü]")


def _word_votes(word: str, lexicon: Lexicon) -> tuple[float, float, float]:
    """Return what one word says for French, English and another language."""
    in_fr = word in lexicon.stop_fr
    in_en = word in lexicon.stop_en
    if in_fr != in_en:
        return (1.0, 0.0, 0.0) if in_fr else (0.0, 1.0, 0.0)
    if in_fr:
        return 0.0, 0.0, 0.0
    if word in lexicon.other:
        return 0.0, 0.0, 1.0
    if len(word) <= 3:
        return 0.0, 0.0, 0.0
    if word in lexicon.english and word not in lexicon.french:
        return 0.0, 0.5, 0.0
    if word in lexicon.french and word not in lexicon.english:
        return 0.5, 0.0, 0.0
    return 0.0, 0.0, 0.0


def detect_with_margin(raw: str, words: Sequence[str], lexicon: Lexicon) -> tuple[str, float]:
    """Return the language and how far ahead of the runner-up it is (0: a guess)."""
    fr = en = other = 0.0
    for word in words:
        votes = _word_votes(word, lexicon)
        fr, en, other = fr + votes[0], en + votes[1], other + votes[2]
    if _FRENCH_LETTERS.search(raw.lower()):
        fr += 1
    if _OTHER_LETTERS.search(raw.lower()):
        other += 2
    other += _foreign_words(words, lexicon)
    if other >= 2 and other > fr and other > en:
        return "other", other - max(fr, en)
    return ("en", en - fr) if en > fr else ("fr", fr - en)


@cache
def dictionary() -> frozenset[str]:
    """Return the folded words of the French and English word lists (empty when they are not installed)."""
    found: set[str] = set()
    for path in DICTIONARIES:
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                found.update(fold(line.strip()) for line in fh if line.strip())
        except OSError:
            continue
    return frozenset(found)


def _foreign_words(words: Sequence[str], lexicon: Lexicon) -> float:
    """Count the words that are neither French nor English, when most of a message is made of them.

    A language without markers of its own (Italian, Dutch, Polish...) is then told from a French
    message with a typo or two: most of its longer words are in no French or English word list.
    """
    known = dictionary()
    longer = [w for w in words if len(w) >= 4 and w.isalpha()]
    if not known or not longer:
        return 0.0
    # A word the texts' vocabulary mends with confidence is a typo ("etablisement"), not another language.
    strange = [w for w in longer if w not in known and not lexicon.known(w) and not _typo(w, lexicon)]
    if len(strange) >= FOREIGN_MIN_WORDS and len(strange) >= FOREIGN_SHARE * len(longer):
        return float(len(strange))
    return 0.0


def _typo(word: str, lexicon: Lexicon) -> bool:
    """Tell whether a word is a typo of one the texts use ("dlai", "etablisement"), not a foreign word."""
    mended = lexicon.correct(word)
    return mended.known and mended.score >= TYPO_SCORE
