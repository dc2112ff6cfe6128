"""Which language a message is in: French, English, or another one."""

from __future__ import annotations

import re
from collections.abc import Sequence

from nlu.lexicon import Lexicon

_FRENCH_LETTERS = re.compile(r"[éèêàùçôîœ]")
_OTHER_LETTERS = re.compile(r"[¿¡ñãõßäöü]")


def detect_with_margin(raw: str, words: Sequence[str], lexicon: Lexicon) -> tuple[str, float]:
    """Return the language and how far ahead of the runner-up it is (0: a guess)."""
    fr = en = other = 0.0
    for word in words:
        in_fr = word in lexicon.stop_fr
        in_en = word in lexicon.stop_en
        if in_fr and not in_en:
            fr += 1
        elif in_en and not in_fr:
            en += 1
        elif word in lexicon.other and not in_fr and not in_en:
            other += 1
        elif not in_fr and not in_en and len(word) > 3:
            if word in lexicon.english and word not in lexicon.french:
                en += 0.5
            elif word in lexicon.french and word not in lexicon.english:
                fr += 0.5
    if _FRENCH_LETTERS.search(raw.lower()):
        fr += 1
    if _OTHER_LETTERS.search(raw.lower()):
        other += 2
    if other >= 2 and other > fr and other > en:
        return "other", other - max(fr, en)
    return ("en", en - fr) if en > fr else ("fr", fr - en)
