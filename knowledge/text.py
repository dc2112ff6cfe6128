"""Text normalisation for retrieval: folded words, compounds joined, French and English stems."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import snowballstemmer

_TOKEN = re.compile(r"[a-z0-9]+")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "’": "'", "‘": "'"})


def fold(text: str) -> str:
    """Lower-case and strip accents."""
    text = unicodedata.normalize("NFKD", text.translate(_LIGATURES).lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


# "sous traiter", "sous-traitance", "sous traitant": one word, or "sous" (a function word) leaves "traiter",
# which matches every "traitement" of the texts.
_SOUS_TRAITER = re.compile(r"\bsous[\s-]+(?=trait)")


def words_of(text: str) -> list[str]:
    """Return the folded word tokens of a text."""
    return _TOKEN.findall(_SOUS_TRAITER.sub("sous", fold(text)))


def join_compounds(words: Sequence[str]) -> list[str]:
    """Join the tokens of compounds the texts write in two words ('sous', 'traiter' -> 'soustraiter')."""
    joined: list[str] = []
    for word in words:
        if joined and joined[-1] == "sous" and word.startswith("trait"):
            joined[-1] = "sous" + word
        else:
            joined.append(word)
    return joined


_FRENCH = snowballstemmer.stemmer("french")
_ENGLISH = snowballstemmer.stemmer("english")
_STEM_LOCK = threading.Lock()


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Return the French stem of a folded word."""
    with _STEM_LOCK:  # snowballstemmer objects keep state between calls
        return str(_FRENCH.stemWord(word))


@lru_cache(maxsize=50_000)
def english_stem(word: str) -> str:
    """Return the English stem of a folded word."""
    with _STEM_LOCK:
        return str(_ENGLISH.stemWord(word))
