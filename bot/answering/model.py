"""The values an answer is made of: citations and the answer itself (SPEC §3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from knowledge.index import DECREE_ID
from knowledge.search import Passage


@dataclass(frozen=True)
class Citation:
    """An article an answer rests on, most relevant first."""

    text: str  # text id: "am-2003-175", "code-de-la-sante-publique"
    article: str  # the number as printed: "1", "13", "R4211-63"
    part: str | None = None

    def to_json_dict(self) -> dict[str, str]:
        """Return the citation as in the ``ask --json`` contract."""
        return {"text": self.text, "article": self.article}


@dataclass(frozen=True)
class Clarification:
    """A short question whose answer the reply depends on, with the choices (label, text completing the question)."""

    slot: str  # category | request | study
    question: str
    options: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Answer:
    """One answer to one question."""

    question: str
    intent: str
    answered: bool
    answer: str
    citations: tuple[Citation, ...]
    confidence: float
    lang: str
    passages: tuple[Passage, ...] = ()
    entities: dict[str, Any] = field(default_factory=dict)
    # A short question the answer depends on (which category, request, study length), with its choices.
    clarify: Clarification | None = None
    # Two questions in one message: the answer to each (this answer then joins them).
    parts: tuple[Answer, ...] = ()
    route: str = ""  # which part answered: rule | computed | formality | lookup | definition ("" otherwise)
    # The route lacked a fact it needed (request, category, study length, a date's role) and stated an assumption.
    assumed: bool = False
    # The question's evidence (``confidence.Evidence``) the confidence was derived from (benches and training).
    evidence: Any = field(default=None, compare=False, repr=False)

    def to_json_dict(self) -> dict[str, Any]:
        """Return the ``vetpharma ask --json`` object (SPEC §3); two questions in one keep each answer in ``answers``."""
        data: dict[str, Any] = {
            "question": self.question,
            "intent": self.intent,
            "answered": self.answered,
            "answer": self.answer,
            "citations": [c.to_json_dict() for c in self.citations],
            "confidence": round(self.confidence, 2),
        }
        if self.parts:
            data["answers"] = [part.to_json_dict() for part in self.parts]
        return data


def cite(articles: Any) -> tuple[Citation, ...]:
    """Return citations of decree articles, each once, in order."""
    return tuple(Citation(DECREE_ID, a) for a in dict.fromkeys(articles))
