"""The one text normaliser: folding (case, accents, ligatures, quotes), words, stems, numbers stated in prose.

Every module that compares typed or extracted text folds it here: the NLU, the search, the walkthrough's
answers and the checker's page text.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Sequence
from functools import cache, lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import snowballstemmer
import yaml

_TOKEN = re.compile(r"[a-z0-9]+")
# Typographic apostrophes and quotes as typed on phones and in Word documents.
APOSTROPHES = str.maketrans(
    {"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'", "«": '"', "»": '"', "“": '"', "”": '"'}
)
# Ligatures Unicode does not decompose (casefold has already made "Œ" "œ" and "ß" "ss").
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})


def fold(text: str) -> str:
    """Lower-case, strip accents, open ligatures, straighten quotes: 'Délai d’Œuvre' -> "delai d'oeuvre"."""
    text = text.translate(APOSTROPHES).casefold().translate(_LIGATURES)
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def fold_words(text: str, keep: str = "") -> str:
    """Fold, then keep letters, digits and ``keep`` as words separated by single spaces."""
    return " ".join(re.sub(f"[^0-9a-z{re.escape(keep)}]+", " ", fold(text)).split())


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
# --- closed word sets (knowledge/glossary/words.yaml) --------------------------------------------------------

WORDS_FILE = Path(str(files(__package__ or "knowledge"))) / "glossary" / "words.yaml"


@cache
def _word_lists() -> dict[str, Any]:
    data = yaml.safe_load(WORDS_FILE.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{WORDS_FILE.name}: expected a mapping of list names")
    return data


def _listed(name: str, kind: type) -> Any:
    value = _word_lists().get(name)
    if not isinstance(value, kind):
        raise ValueError(f"{WORDS_FILE.name}: {name!r} is not a {'list' if kind is list else 'mapping'}")
    return value


def word_set(name: str) -> frozenset[str]:
    """Return one closed word set of the glossary, folded."""
    return frozenset(fold(str(word)) for word in _listed(name, list))


def word_numbers(name: str) -> dict[str, int]:
    """Return one word-to-number table of the glossary (keys folded, order kept)."""
    return {fold(str(word)): int(value) for word, value in _listed(name, dict).items()}


def word_names(name: str) -> dict[str, str]:
    """Return one word-to-name table of the glossary (keys folded, order kept): 'semaines' -> 'week'."""
    return {fold(str(word)): str(value) for word, value in _listed(name, dict).items()}


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


_NUMBER_WORDS = word_numbers("stated_numbers")
_UNIT_WORD = r"(?:jours?|semaines?|mois|ans?|années?|heures?|fois|days?|weeks?|months?|years?|hours?|a month)"
_WORD_NUMBER = re.compile(
    r"\b(" + "|".join(sorted(map(re.escape, _NUMBER_WORDS), key=len, reverse=True)) + r")\s+" + _UNIT_WORD,
    re.I,
)
_ARTICLE_REF = re.compile(
    r"\b(?:articles?|art\.)\s+(?:premier|\d+)(?:\s*(?:,|et|à|and|to)\s*(?:premier|\d+))*", re.I
)
_DIGITS = re.compile(r"(?<![\d/])\d+(?![\d/])")


def numbers_in(text: str) -> set[int]:
    """Return the numbers a sentence states, in digits or in words before a unit, leaving article numbers out."""
    text = _ARTICLE_REF.sub(" ", text)
    found = {int(m.group(0)) for m in _DIGITS.finditer(text)}
    found |= {_NUMBER_WORDS[m.group(1).lower()] for m in _WORD_NUMBER.finditer(text)}
    return found
