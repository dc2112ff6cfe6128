"""Legal topics a question speaks of (opening, modification, transfer, cessation, replacement...), each tied to
the decree's articles, from the bilingual cues of ``knowledge/glossary/legal_topics.yaml``.

A request is an action on an object: a topic that acts on one kind of object (a person, the premises and
equipment) does not apply to a question that names objects of other kinds only ("on remplace la chambre
froide" is a change of equipment, not the replacement of the pharmacist)."""

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
    object: str | None = None  # the kind of object the request acts on (``objects``), None: any


def cue_pattern(entries: list[object]) -> re.Pattern[str]:
    """Compile cue entries: each a word beginning (or phrase) that starts at a word boundary."""
    words = sorted({str(e).strip().lower() for e in entries if str(e).strip()}, key=len, reverse=True)
    parts = [r"\s+".join(re.escape(w) for w in re.split(r"[\s'-]+", entry)) for entry in words]
    return re.compile(r"\b(?:" + "|".join(parts) + r")") if parts else re.compile(r"(?!)")


@cache
def _data() -> dict[str, object]:
    data: dict[str, object] = yaml.safe_load((GLOSSARY_DIR / "legal_topics.yaml").read_text(encoding="utf-8"))
    return data


@cache
def load_topics() -> tuple[Topic, ...]:
    """Read ``knowledge/glossary/legal_topics.yaml`` (cached)."""
    topics = _data()["topics"]
    assert isinstance(topics, dict)
    return tuple(
        Topic(
            str(name),
            tuple(str(a) for a in entry["articles"]),
            cue_pattern(list(entry["cues"])),
            str(entry["object"]) if entry.get("object") else None,
        )
        for name, entry in topics.items()
    )


@cache
def load_objects() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Return each kind of object a request acts on, with the pattern of the words naming it."""
    objects = _data().get("objects") or {}
    assert isinstance(objects, dict)
    return tuple((str(kind), cue_pattern(list(words))) for kind, words in objects.items())


def plain_text(text: str) -> str:
    """Fold a text and turn hyphens and apostrophes into spaces, as cue patterns expect."""
    return re.sub(r"[-'’]", " ", fold(text))


def object_kinds(text: str) -> frozenset[str]:
    """Return the kinds of object a question names (person, premises...)."""
    plain = plain_text(text)
    return frozenset(kind for kind, pattern in load_objects() if pattern.search(plain))


def _applies(topic: Topic, kinds: frozenset[str]) -> bool:
    return topic.object is None or not kinds or topic.object in kinds


def topic_articles(text: str) -> frozenset[str]:
    """Return the articles of the legal topics a question speaks of (on the kind of object it names)."""
    plain = plain_text(text)
    kinds = object_kinds(text)
    return frozenset(
        a for t in load_topics() if t.pattern.search(plain) and _applies(t, kinds) for a in t.articles
    )


def topic_counts(text: str) -> dict[str, int]:
    """Return, for each article of the topics a question speaks of, how many of those topics hold it (an
    article where two of the question's topics meet, say a silence on an opening, is the likelier one)."""
    plain = plain_text(text)
    kinds = object_kinds(text)
    counts: dict[str, int] = {}
    for topic in load_topics():
        if topic.pattern.search(plain) and _applies(topic, kinds):
            for article in topic.articles:
                counts[article] = counts.get(article, 0) + 1
    return counts


def off_object_articles(text: str) -> frozenset[str]:
    """Return the articles of topics whose words the question uses about another kind of object."""
    plain = plain_text(text)
    kinds = object_kinds(text)
    off = {a for t in load_topics() if t.pattern.search(plain) and not _applies(t, kinds) for a in t.articles}
    return frozenset(off - topic_articles(text))
