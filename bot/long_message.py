"""A message too long to read whole: the question it contains, read instead of refusing the message."""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[.?!…])\s+|\n+")
# When no sentence asks anything, the end of a message is where people put what they want.
TAIL_CHARACTERS = 1000


def question_in(text: str, limit: int) -> str:
    """Return the question(s) a long message asks (sentences ending with "?"), or its last sentences.

    The result is at most ``limit`` characters: the last questions asked when there are several.
    """
    sentences = [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]
    asked = [s for s in sentences if s.endswith("?") and len(s) <= limit]
    chosen: list[str] = []
    pool = asked or sentences
    budget = limit if asked else min(limit, TAIL_CHARACTERS)
    for sentence in reversed(pool):
        if len(sentence) > budget:
            if not chosen:
                chosen.append(sentence[-budget:].lstrip())  # one endless sentence: its end
            break
        chosen.insert(0, sentence)
        budget -= len(sentence) + 1
    return " ".join(chosen)
