"""Which language a message is in: French, English, or another one."""

from __future__ import annotations

import re
from collections.abc import Sequence

from nlu.lexicon import Lexicon

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
    if other >= 2 and other > fr and other > en:
        return "other", other - max(fr, en)
    return ("en", en - fr) if en > fr else ("fr", fr - en)
