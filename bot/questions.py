"""The core's view of the NLU and of question answering (``nlu.understand``, ``bot.answer.answer_question``).

Both are optional at import time: until they are installed the core says plainly that it cannot answer
questions, and every other feature keeps working.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.faults import log_failure

log = logging.getLogger(__name__)

QUESTION_INTENTS = frozenset({"rule_question", "article_lookup", "calculation", "out_of_scope"})


@dataclass(frozen=True)
class Understood:
    """What the NLU made of a message."""

    lang: str | None
    intent: str
    entities: Mapping[str, Any] = field(default_factory=dict)
    # The NLU's own reading, handed back to the answerer so that a message is understood once.
    reading: Any = None
    hint: str | None = None  # the language hint it was read with


@dataclass(frozen=True)
class Answered:
    """A question's answer as the core shows it."""

    text: str
    answered: bool
    lang: str | None
    citations: tuple[Mapping[str, str], ...] = ()
    confidence: float = 0.0
    # A short question the answer depends on: its slot, its text and its choices (label, value).
    clarify_slot: str | None = None
    clarify_question: str | None = None
    clarify_options: tuple[tuple[str, str], ...] = ()


def _load(module: str, name: str) -> Callable[..., Any] | None:
    try:
        found = getattr(importlib.import_module(module), name, None)
    except ImportError as exc:
        log.info("%s.%s is not available: %s", module, name, exc)
        return None
    return found if callable(found) else None


def _entities(value: Any) -> dict[str, Any]:
    procedure = getattr(value, "procedure", None)
    if isinstance(procedure, str):
        # nlu.Entities names the dossier a message is about: opening | modification | transfer | extension.
        return {"dossier": ["opening" if procedure == "extension" else procedure]}
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, list | tuple):
        result: dict[str, Any] = {}
        for item in value:
            label = getattr(item, "label", None) or getattr(item, "kind", None) or getattr(item, "type", None)
            if label is not None:
                result.setdefault(str(label), []).append(getattr(item, "value", item))
        return result
    return {}


class Questions:
    """Understands free text and answers questions about the decree, when those modules are installed."""

    def __init__(self) -> None:
        self._understand = _load("nlu", "understand")
        self._answer = _load("bot.answer", "answer_question")
        self._is_follow_up = _load("bot.answering.followups", "is_follow_up")
        self._compose = _load("bot.answering.followups", "compose")
        self._warm_up = _load("bot.answer", "warm_up_default")
        self.ready = threading.Event()  # set once the models are loaded (at once when there are none)
        if self._warm_up is None:
            self.ready.set()

    def warm_up(self) -> None:
        """Load the language models and the answerer now, so that no question waits for them; never raises."""
        try:
            if self._warm_up is not None:
                self._warm_up()
        except Exception:
            log.exception("warming up question answering failed; questions will load what they need")
        finally:
            self.ready.set()

    def warm_up_in_background(self) -> threading.Thread:
        """Start the warm-up in a thread (the transports connect meanwhile); ``ready`` tells when it is done."""
        thread = threading.Thread(target=self.warm_up, name="questions-warm-up", daemon=True)
        thread.start()
        return thread

    @property
    def can_answer(self) -> bool:
        """Tell whether question answering is installed."""
        return self._answer is not None

    def understand(self, text: str, lang: str | None = None) -> Understood | None:
        """Return the intent and language of a message (``lang``: the session's, a hint), or None without an NLU."""
        if self._understand is None:
            return None
        try:
            result = self._understand(text, lang)
        except Exception:
            log_failure(log, "the NLU failed on a message")
            return None
        lang = getattr(result, "lang", None)
        return Understood(
            lang=lang if isinstance(lang, str) else None,
            intent=str(getattr(result, "intent", "") or ""),
            entities=_entities(getattr(result, "entities", None)),
            reading=result,
            hint=lang,
        )

    def answer(self, text: str, lang: str | None, understood: Understood | None = None) -> Answered | None:
        """Answer a question from the texts (reusing the NLU's reading of it), or None when answering is not installed."""
        if self._answer is None:
            return None
        if understood is not None and understood.reading is not None and understood.hint == lang:
            result = self._answer(text, lang, understood.reading)
        else:
            result = self._answer(text, lang)
        citations = tuple(
            {
                str(k): str(v)
                for k, v in (c.items() if isinstance(c, Mapping) else vars(c).items())
                if v is not None
            }
            for c in (getattr(result, "citations", None) or ())
        )
        answer_lang = getattr(result, "lang", None)
        clarify = getattr(result, "clarify", None)
        return Answered(
            text=str(getattr(result, "answer", "") or ""),
            answered=bool(getattr(result, "answered", False)),
            lang=answer_lang if isinstance(answer_lang, str) else None,
            citations=citations,
            confidence=float(getattr(result, "confidence", 0.0) or 0.0),
            clarify_slot=getattr(clarify, "slot", None),
            clarify_question=getattr(clarify, "question", None),
            clarify_options=tuple(getattr(clarify, "options", ()) or ()),
        )

    def follow_up(self, previous: str | None, text: str) -> str:
        """Return the question a follow-up means given the previous one ("et pour un dépositaire ?"), else the text."""
        if not previous or self._is_follow_up is None or self._compose is None:
            return text
        try:
            if self._is_follow_up(text):
                return str(self._compose(previous, text))
        except Exception:
            log.exception("could not read a follow-up")
        return text
