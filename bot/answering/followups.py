"""Questions that lean on another: follow-ups ("et pour un dépositaire ?"), and two questions in one message.

A follow-up names only what changes (a category, a request, a headcount, a date); the rest of its subject is
the previous question's. ``compose(previous, message)`` writes the question the user means: the previous one
with the changed element put in place of its own (or the message before it when it had none), so the answerer
reads one whole question. ``split_questions`` cuts a message at its question marks.
"""

from __future__ import annotations

import re

from nlu import understand
from nlu.lexicon import load_lexicon
from nlu.text import fold

# Openings of a follow-up that names only what changes (folded).
_FOLLOW_UP_START = re.compile(
    r"^\W*(?:ok(?:ay)?\W+|d'?accord\W+|merci\W+|thanks\W+|et\s+(?:alors\s+)?|and\s+|also\s+|aussi\s+|"
    r"what about|how about|même chose|meme chose|pareil|idem|same (?:for|with|question)|"
    r"et si\b|and if\b|sinon\b|and what if\b|what if\b|pour (?:un|une|le|la|les|l)\b|for (?:a|an|the)\b)",
)
_MAX_FOLLOW_UP_WORDS = 14
_SHORT = 6  # a part this short, with no subject of its own, continues the part before it


def split_questions(text: str) -> list[str]:
    """Cut a message into its questions at question marks; a single question comes back alone."""
    parts = [p.strip() for p in re.split(r"(?<=\?)\s+(?=\S)", text.strip()) if p.strip()]
    merged: list[str] = []
    for part in parts:
        if merged and len(fold(part).split()) < 2:
            merged[-1] = f"{merged[-1]} {part}"
        else:
            merged.append(part)
    return merged


def is_follow_up(message: str) -> bool:
    """Tell whether a message only names what changes from the question before it ("et pour un dépositaire ?")."""
    folded = fold(message).strip()
    words = folded.split()
    if not words or len(words) > _MAX_FOLLOW_UP_WORDS:
        return False
    cue = bool(_FOLLOW_UP_START.match(folded))
    if not cue and len(words) > _SHORT:
        return False  # a longer message is read once, by the core, as a question of its own
    u = understand(message)
    e = u.entities
    names_a_change = bool(
        e.categories
        or e.procedure
        or e.dates
        or e.durations
        or e.study_years
        or re.search(r"\b\d+\b", folded)
    )
    own_subject = bool(e.articles) or u.intent == "calculation" or u.formality is not None
    return names_a_change and not own_subject and (cue or len(words) <= _SHORT)


def continues(part: str) -> bool:
    """Tell whether the second question of a message leans on the first ("En combien de temps ?")."""
    if is_follow_up(part):
        return True
    words = fold(part).split()
    e = understand(part).entities
    return len(words) <= _SHORT + 2 and not (e.articles or e.categories or e.procedure or e.dates)


def _spans(folded: str, phrases: list[str]) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    for phrase in sorted(set(phrases), key=len, reverse=True):
        pattern = r"\b" + r"\W+".join(re.escape(w) for w in phrase.split()) + r"\b"
        for m in re.finditer(pattern, folded):
            if not any(m.start() < e and s < m.end() for s, e in found):
                found.append(m.span())
    return sorted(found)


def _replace(text: str, spans: list[tuple[int, int]], new: str) -> str:
    """Put ``new`` in place of the first span and drop the others."""
    out = text
    for i, (start, end) in sorted(enumerate(spans), key=lambda x: -x[1][0]):
        out = out[:start] + (new if i == 0 else "") + out[end:]
    return re.sub(r"\s{2,}", " ", out).strip()


def compose(previous: str, message: str) -> str:
    """Write the question a follow-up means, from the previous question and what the follow-up changes."""
    before = understand(previous)
    now = understand(message)
    source = previous if len(fold(previous)) == len(previous) else fold(previous)
    folded = fold(source)
    lexicon = load_lexicon()
    e, p = now.entities, before.entities
    if e.categories and p.categories:
        spans = _spans(folded, [c.surface for c in p.categories])
        if spans:
            return _replace(source, spans, e.categories[0].surface)
    if e.procedure and p.procedure and e.procedure != p.procedure:
        phrases = [ph.text for name in lexicon.procedures for ph in lexicon.procedures[name]]
        spans = _spans(folded, [fold(ph) for ph in phrases])
        new = next(
            (fold(ph.text) for ph in lexicon.procedures[e.procedure] if fold(ph.text) in fold(message)),
            e.procedure,
        )
        if spans:
            return _replace(source, spans, new)
    numbers = re.findall(r"\b\d{1,5}\b", fold(message))
    if numbers and not e.dates and p.headcounts:
        spans = [m.span() for m in re.finditer(rf"\b{p.headcounts[0]}\b", folded)]
        if spans:
            return _replace(source, spans[:1], numbers[0])
    return f"{message.strip()} — {previous.strip()}"
