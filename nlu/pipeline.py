"""spaCy's French pipeline, loaded once per process: tokens with their lemma and part of speech.

This is the only module that imports spaCy. Only the components the NLU reads are kept (the parser and
the entity recogniser are disabled: they cost time and the NLU finds its entities by rule).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

MODEL = "fr_core_news_sm"
_DISABLED = ("parser", "ner")
_lock = threading.Lock()


@dataclass(frozen=True)
class Token:
    """One word as spaCy reads it."""

    text: str
    lemma: str
    pos: str  # universal part of speech: NOUN, VERB, PROPN, ADJ, ...


_load_lock = threading.Lock()


@cache
def _load() -> Any:
    import spacy

    return spacy.load(MODEL, disable=list(_DISABLED))


def _nlp() -> Any:
    # One load per process, even when a warm-up thread and a first message ask at the same time.
    with _load_lock:
        return _load()


def load() -> None:
    """Load the model now (start-up), rather than on the first message."""
    _nlp()


@cache
def _known_words() -> frozenset[str]:
    from nlu.text import fold

    strings = _nlp().vocab.strings
    return frozenset(fold(s) for s in strings if len(s) >= 3 and s.isalpha())


def is_word(folded: str) -> bool:
    """Tell whether the model's vocabulary holds this (accent-folded) word: a real word is not a typo."""
    return folded in _known_words()


def analyse(text: str) -> tuple[Token, ...]:
    """Return the tokens of a (short) text with lemma and part of speech."""
    if not text.strip():
        return ()
    nlp = _nlp()
    # A Language object is not documented as thread-safe; the dispatcher may call from several threads.
    with _lock:
        doc = nlp(text)
    return tuple(Token(t.text, t.lemma_, t.pos_) for t in doc if not t.is_space)
