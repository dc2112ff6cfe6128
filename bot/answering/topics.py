"""Legal topics a question speaks of (opening, modification, transfer, cessation, replacement...), each tied to
the decree's articles, from the bilingual cues of ``knowledge/glossary/legal_topics.yaml``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import yaml

from nlu.lexicon import GLOSSARY_DIR
from nlu.text import fold


@dataclass(frozen=True)
class Topic:
    """A legal topic: its articles and the pattern of its cues."""

    name: str
    articles: tuple[str, ...]
    pattern: re.Pattern[str]


def _pattern(entries: list[object]) -> re.Pattern[str]:
    """Compile cue entries: each a word beginning (or phrase) that starts at a word boundary."""
    words = sorted({str(e).strip().lower() for e in entries if str(e).strip()}, key=len, reverse=True)
    parts = [r"\s+".join(re.escape(w) for w in re.split(r"[\s'-]+", entry)) for entry in words]
    return re.compile(r"\b(?:" + "|".join(parts) + r")") if parts else re.compile(r"(?!)")


@cache
def load_topics() -> tuple[Topic, ...]:
    """Read ``knowledge/glossary/legal_topics.yaml`` (cached)."""
    data = yaml.safe_load((GLOSSARY_DIR / "legal_topics.yaml").read_text(encoding="utf-8"))
    return tuple(
        Topic(str(name), tuple(str(a) for a in entry["articles"]), _pattern(list(entry["cues"])))
        for name, entry in data["topics"].items()
    )


def topic_articles(text: str) -> frozenset[str]:
    """Return the articles of the legal topics a question speaks of."""
    plain = re.sub(r"[-'’]", " ", fold(text))
    return frozenset(a for t in load_topics() if t.pattern.search(plain) for a in t.articles)
