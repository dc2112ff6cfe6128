"""The general vocabulary of each language, from the system word lists (Debian ``wamerican`` and ``wfrench``).

A word of everyday English or French ("write", "between", "chambre") is no sign that a question lies outside
the texts; only a word that is neither the texts' nor the language's (a brand, a jargon, a typo nobody mends)
is. The lists are installed by ``make``; when one is missing, the language has no general vocabulary and only
the texts' words count as known.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from nlu.text import fold

WORD_LISTS = {
    "en": Path("/usr/share/dict/american-english"),
    "fr": Path("/usr/share/dict/french"),
}
_WORD = re.compile("[a-z]+")


@cache
def general_words(lang: str) -> frozenset[str]:
    """Return the folded words of a language's system word list (empty when it is not installed)."""
    path = WORD_LISTS.get(lang)
    if path is None or not path.is_file():
        return frozenset()
    # Folded as messages are, the whole list at once.
    folded = fold(path.read_text(encoding="utf-8", errors="replace"))
    return frozenset(w for w in folded.split() if _WORD.fullmatch(w))


def is_general_word(word: str, lang: str) -> bool:
    """Tell whether a folded word belongs to the everyday vocabulary of a language."""
    return word in general_words(lang)
