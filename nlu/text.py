"""Text normalisation shared by the NLU and the answer checks: folding, tokens, number words."""

from __future__ import annotations

import re

from knowledge.text import APOSTROPHES, word_numbers
from knowledge.text import fold as fold  # the one normaliser, used by the NLU through here
from nlu.numbers import read_int

MAX_CHARS = 2000  # longer messages are read up to here: a question is never that long

_TOKEN = re.compile(r"[a-z0-9]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\ud800-\udfff]")
# Markup is read as the words it shows: scripts and styles are dropped, tags and Markdown signs removed.
_SCRIPT = re.compile(r"<(script|style)\b[^>]*>.*?(</\1\s*>|$)", re.I | re.S)
_TAG = re.compile(r"</?[a-z][^<>]{0,200}>", re.I)
_MD_LINK = re.compile(r"!?\[([^\]]{0,200})\]\([^)]{0,500}\)")
_MD_SIGNS = re.compile(r"(\*{1,3}|_{2,3}|`{1,3}|~~|^#{1,6}\s|^>\s)", re.M)


def clean(text: str) -> str:
    """Drop control characters and odd spacing, and cut an overlong message to MAX_CHARS."""
    text = _CONTROL.sub(" ", text[: MAX_CHARS * 2])
    text = _MD_SIGNS.sub(" ", _MD_LINK.sub(r"\1", _TAG.sub(" ", _SCRIPT.sub(" ", text))))
    text = text.replace("\u00a0", " ").replace("\u202f", " ").translate(APOSTROPHES)
    return re.sub(r"\s+", " ", text).strip()[:MAX_CHARS]


def tokens(text: str) -> list[str]:
    """Return the folded word tokens of a text ('d'ouverture' gives 'd', 'ouverture')."""
    return _TOKEN.findall(fold(text))


NUMBER_WORDS = word_numbers("number_words")
_COMPOUND = word_numbers("compound_numbers")  # read before the words they are made of
_WORD = re.compile(r"\b(" + "|".join(sorted(map(re.escape, NUMBER_WORDS), key=len, reverse=True)) + r")\b")


def number_value(word: str) -> int | None:
    """Return the value of a number written in digits or in (French or English) words."""
    word = fold(word).strip()
    if word.isdigit():
        return read_int(word)
    return _COMPOUND.get(word, NUMBER_WORDS.get(word))


def digits_for_words(text: str) -> str:
    """Fold a text and write its number words as digits, for comparing answers ('deux ans' = '2 ans')."""
    text = fold(text)
    for compound, value in _COMPOUND.items():
        text = text.replace(compound, str(value))
    text = _WORD.sub(lambda m: str(NUMBER_WORDS[m.group(1)]), text)
    return re.sub(r"\s+", " ", text)


def contains_fact(answer: str, fact: str) -> bool:
    """Tell whether an answer states a fact, ignoring accents, case and how numbers are written."""
    return digits_for_words(fact) in digits_for_words(answer)
