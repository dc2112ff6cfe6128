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

    def to_json_dict(self) -> dict[str, Any]:
        """Return the ``vetpharma ask --json`` object (SPEC §3)."""
        return {
            "question": self.question,
            "intent": self.intent,
            "answered": self.answered,
            "answer": self.answer,
            "citations": [c.to_json_dict() for c in self.citations],
            "confidence": round(self.confidence, 2),
        }


def cite(articles: Any) -> tuple[Citation, ...]:
    """Return citations of decree articles, each once, in order."""
    return tuple(Citation(DECREE_ID, a) for a in dict.fromkeys(articles))
