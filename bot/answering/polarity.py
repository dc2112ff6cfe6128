"""Yes/no questions the decree answers "yes" to: a direct answer opens with the curated statement
(``knowledge/facts/polarity.yaml``) when the question asks exactly that, and says nothing of polarity otherwise."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import yaml

from bot.answering.topics import cue_pattern, plain_text
from nlu import Understanding
from nlu.lexicon import load_lexicon
from nlu.text import fold

POLARITY = files("knowledge") / "facts" / "polarity.yaml"


@dataclass(frozen=True)
class Statement:
    """A "yes" the decree states, with the articles it rests on and the words a question asks it with."""

    id: str
    articles: tuple[str, ...]
    quote: str
    cues: re.Pattern[str]
    categories: frozenset[int]
    text: tuple[tuple[str, str], ...]  # (language, statement)

    def get(self, lang: str) -> str:
        """Return the statement in a language (French when there is none in that one)."""
        texts = dict(self.text)
        return texts.get(lang, texts["fr"])


@cache
def load_statements() -> tuple[Statement, ...]:
    """Read the curated statements (cached)."""
    data = yaml.safe_load(POLARITY.read_text(encoding="utf-8"))
    return tuple(
        Statement(
            str(entry["id"]),
            tuple(str(a) for a in entry["articles"]),
            str(entry["quote"]),
            cue_pattern(list(entry["cues"])),
            frozenset(int(c) for c in entry.get("categories") or ()),
            tuple((str(k), str(v)) for k, v in entry["statement"].items()),
        )
        for entry in data["statements"]
    )


def asks_yes_or_no(u: Understanding) -> bool:
    """Tell whether a question asks yes or no about no number: no question word, negation or exemption, and
    no figure or duration to weigh against a threshold."""
    lexicon = load_lexicon()
    e = u.entities
    if e.durations or e.headcounts or e.dates or e.study_years is not None:
        return False
    if lexicon.has(u.words, "wh_words") or lexicon.has(u.words, "polarity_blockers"):
        return False
    if u.lang != "en":
        return "?" in u.text
    openers = {w for p in lexicon.words("yes_no_openers") for w in p.words}
    clauses = (c.split() for c in re.split(r"[,;:.!?—–-]\s", fold(u.text) + " "))
    return any(words and words[0] in openers for words in clauses)


def yes_statement(u: Understanding, article: str, lang: str) -> str | None:
    """Return the decree's "yes" to a yes/no question whose answer rests first on ``article``, or None."""
    if not asks_yes_or_no(u):
        return None
    plain = plain_text(u.text)
    named = frozenset(c.number for c in u.entities.categories)
    for statement in load_statements():
        if article not in statement.articles or not statement.cues.search(plain):
            continue
        if statement.categories and not (named and named <= statement.categories):
            continue
        return statement.get(lang)
    return None
