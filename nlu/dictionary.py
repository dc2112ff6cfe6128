"""The general vocabulary of each language, from the system word lists (Debian ``wamerican`` and ``wfrench``).

A word of everyday English or French ("write", "between", "chambre") is no sign that a question lies outside
the texts; only a word that is neither the texts' nor the language's (a brand, a jargon, a typo nobody mends)
is. The lists are installed by ``make``; when one is missing, the language has no general vocabulary and only
the texts' words count as known.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

WORD_LISTS = {
    "en": Path("/usr/share/dict/american-english"),
    "fr": Path("/usr/share/dict/french"),
}
_LIGATURES = {"œ": "oe", "æ": "ae", "ß": "ss"}  # as the messages are folded (lower case)
_ACCENTS = re.compile("[\u0300-\u036f]")
_WORD = re.compile("[a-z]+")


@cache
def general_words(lang: str) -> frozenset[str]:
    """Return the folded words of a language's system word list (empty when it is not installed)."""
    path = WORD_LISTS.get(lang)
    if path is None or not path.is_file():
        return frozenset()
    text = path.read_text(encoding="utf-8", errors="replace").casefold()
    for ligature, plain in _LIGATURES.items():
        text = text.replace(ligature, plain)
    # ``fold`` on the whole list at once, at C speed: the decomposed accents dropped.
    folded = _ACCENTS.sub("", unicodedata.normalize("NFKD", text))
    return frozenset(w for w in folded.split() if _WORD.fullmatch(w))


def is_general_word(word: str, lang: str) -> bool:
    """Tell whether a folded word belongs to the everyday vocabulary of a language."""
    return word in general_words(lang)
