"""The user's situation in one message: each date with its role, the staff by activity, the study diploma.

The cues are data (``knowledge/glossary/situation.yaml``). A date takes the role named by the closest cue
before it in its clause, or failing that the first cue after it; staff groups take the role of the words
that follow their number (art. 39 operations, activities it does not count, or the whole headcount).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from nlu.entities import DateSpan, find_date_spans
from nlu.lexicon import GLOSSARY_DIR

# --- cues ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cues:
    """The cue lists of ``situation.yaml``, each compiled to one pattern."""

    date_roles: tuple[tuple[str, re.Pattern[str]], ...]
    operations: tuple[tuple[int, re.Pattern[str]], ...]
    not_counted: re.Pattern[str]
    total: re.Pattern[str]
    already_counted: re.Pattern[str]
    rest: re.Pattern[str]
    topics: tuple[tuple[str, re.Pattern[str]], ...]


def _pattern(entries: Any) -> re.Pattern[str]:
    """Compile cue entries: each a word beginning (or phrase) that starts at a word boundary."""
    words = sorted({str(e).strip().lower() for e in entries or [] if str(e).strip()}, key=len, reverse=True)
    parts = [r"\s+".join(re.escape(w) for w in re.split(r"[\s']+", entry)) for entry in words]
    return re.compile(r"\b(?:" + "|".join(parts) + r")") if parts else re.compile(r"(?!)")


@cache
def load_cues() -> Cues:
    """Read ``knowledge/glossary/situation.yaml`` (cached)."""
    data = yaml.safe_load((GLOSSARY_DIR / "situation.yaml").read_text(encoding="utf-8"))
    roles = tuple((str(role), _pattern(entries)) for role, entries in data["date_roles"].items())
    operations = tuple((int(op), _pattern(entries)) for op, entries in data["staff_operations"].items())
    return Cues(
        roles,
        operations,
        _pattern(data["staff_not_counted"]),
        _pattern(data["staff_total"]),
        _pattern(data["staff_already_counted"]),
        _pattern(data["staff_rest"]),
        tuple((str(topic), _pattern(entries)) for topic, entries in data["topics"].items()),
    )


def find_topics(folded: str) -> frozenset[str]:
    """Return the topics a message speaks of (lapse, works, lease, absence, decision...)."""
    plain = re.sub(r"[-']", " ", folded)
    return frozenset(topic for topic, pattern in load_cues().topics if pattern.search(plain))


# --- dates and their roles ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DatedEvent:
    """A date of the message and what happened on it.

    role: received | filed | notified | signed | completed | ceased | contract_end | info_requested |
    info_received | since | None (no cue).
    """

    day: dt.date
    role: str | None
    year_given: bool = True
    day_given: bool = True


_CLAUSE = re.compile(r"[.;?!\n]|\bmais\b|\bbut\b")
# After a date, its cue ends at the next connector: "reçu le 1er mars et notifié le…" gives "notifié" to the next.
_AFTER_CUT = re.compile(r"[;.?!\n]|\bet\b|\band\b|\bpuis\b|\bthen\b|\bmais\b|\bbut\b")


def _roles_in(text: str, cues: Cues) -> list[tuple[int, str]]:
    """Return (position, role) of each cue in a piece of text."""
    found: list[tuple[int, str]] = []
    for role, pattern in cues.date_roles:
        for m in pattern.finditer(text):
            found.append((m.start(), role))
    return sorted(found)


def find_events(folded: str, lang: str) -> list[DatedEvent]:
    """Return each date of a message with its role."""
    cues = load_cues()
    spans = find_date_spans(folded, lang)
    events: list[DatedEvent] = []
    for i, span in enumerate(spans):
        start_before = spans[i - 1].end if i else 0
        before = folded[start_before : span.start]
        clause_start = [m.end() for m in _CLAUSE.finditer(before)]
        before = before[clause_start[-1] :] if clause_start else before
        end_after = spans[i + 1].start if i + 1 < len(spans) else len(folded)
        after = folded[span.end : end_after]
        clause_end = _AFTER_CUT.search(after)
        after = after[: clause_end.start()] if clause_end else after
        role = _pick_role(_roles_in(before, cues), _roles_in(after, cues))
        events.append(DatedEvent(span.day, role, span.year_given, span.day_given))
    return _settle(events)


def _pick_role(before: list[tuple[int, str]], after: list[tuple[int, str]]) -> str | None:
    """Take the closest cue before the date ("since" yields to any other), else the first one after it."""
    if before:
        precise = [r for _, r in before if r != "since"]
        return precise[-1] if precise else before[-1][1]
    if after:
        return after[0][1]
    return None


def _settle(events: list[DatedEvent]) -> list[DatedEvent]:
    """Mend roles from the order of events: what is received after information was asked for is the answer."""
    settled: list[DatedEvent] = []
    asked = False
    for event in events:
        role = event.role
        if role == "info_requested":
            asked = True
        elif asked and role in {"received", "filed", None}:
            role = "info_received"
        settled.append(DatedEvent(event.day, role, event.year_given, event.day_given))
    return settled


# --- staff by activity (art. 39) ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffGroup:
    """A number of staff and what they do, as the user wrote it.

    role: total (the whole headcount) | counted (art. 39 operations) | not_counted | unclear (both kinds).
    """

    count: int
    role: str
    activity: str  # the user's words for what they do ("" for a bare total)
    operations: tuple[int, ...] = ()  # the art. 39 operations (1, 2, 3) the words name
    already_counted: bool = False  # "80 personnes comptées", "counted under article 39"


@dataclass(frozen=True)
class StaffBreakdown:
    """The staff of an establishment as the message describes it."""

    groups: tuple[StaffGroup, ...]
    rest_role: str | None = None  # "the rest are office staff": counted | not_counted | None

    @property
    def total(self) -> int | None:
        """Return the whole headcount given, if any."""
        return next((g.count for g in self.groups if g.role == "total"), None)

    @property
    def parts(self) -> tuple[StaffGroup, ...]:
        """Return the groups by activity (not the total)."""
        return tuple(g for g in self.groups if g.role != "total")


_HEADCOUNT_NUMBER = re.compile(
    r"(?<![\d,./°-])\b(\d{1,5})\b(?![\d,./°]|\s*(?:°|%|e\b|er\b|eme\b|kg|g\b|h\b))"
)
_DURATION_AFTER = re.compile(
    r"^\s*-?\s*(?:ans?|annees?|mois|jours?|semaines?|heures?|years?|months?|days?|weeks?|hours?)\b"
)
_ARTICLE_BEFORE = re.compile(r"(?:\bart(?:icle)?s?\.?|\bcategories?|\bcategory|\bcat\.?)\s*$")
_LEAD = re.compile(
    r"^(?:\W|\b(?:en|au|aux|a|la|le|les|l|dans|de|des|du|d|in|at|on|the|of|them|whom|doing|handling|working|who|"
    r"are|is|sont|qui|font|fait|s|occupent|occupe|travaillent|work|do|those|these|ceux|celles|eux|ci|personnes?|"
    r"people|persons?|staff|employees?|salaries|salarie|employes?|agents?|sont affectes|affectes?|assigned)\b)+"
)
_TAIL = re.compile(r"(?:\W|\b(?:et|and|plus|puis|then|dont|of|with|avec)\b)+$")
_SENTENCE_END = re.compile(r"[.?!](?:\s|$)")
_QUESTION_TAIL = re.compile(r"[:?]|,\s*(?:combien|quel|how|what|which|nombre|faut|do we|must)\b")


def _activity(folded: str, original: str, start: int, end: int) -> str:
    """Return the user's words for an activity (as written when the folded text keeps the positions)."""
    words = folded[start:end]
    cut = _QUESTION_TAIL.search(words)
    words = words[: cut.start()] if cut else words
    lead = _LEAD.match(words)
    first = start + (lead.end() if lead else 0)
    tail = _TAIL.search(folded[first : start + len(words)])
    last = first + (tail.start() if tail else len(folded[first : start + len(words)]))
    source = original if len(original) == len(folded) else folded
    return source[first:last][:60].strip(" ,;:()")


def find_staff(folded: str, dates: list[DateSpan] | None = None, original: str = "") -> StaffBreakdown | None:
    """Read the staff groups of a message ('180 salariés dont 60 commerciaux', '45 in the warehouse')."""
    cues = load_cues()
    dates = dates if dates is not None else find_date_spans(folded, "fr")
    numbers = _headcount_numbers(folded, dates)
    groups: list[StaffGroup] = []
    for i, m in enumerate(numbers):
        end = numbers[i + 1].start() if i + 1 < len(numbers) else len(folded)
        segment = folded[m.end() : end]
        stop = _SENTENCE_END.search(segment)
        segment = segment[: stop.start()] if stop else segment
        rest = cues.rest.search(segment)
        own = segment[: rest.start()] if rest else segment
        ops = tuple(op for op, pattern in cues.operations if pattern.search(own))
        counted_already = bool(cues.already_counted.search(own))
        role = _role(cues, own, ops, counted_already)
        if role is None:
            continue
        if role == "total" and any(g.role == "total" for g in groups):
            role = "unclear"  # a second bare number of people: what they do is not said
        activity = _activity(folded, original, m.end(), m.end() + len(own))
        groups.append(StaffGroup(int(m.group(1)), role, activity, ops, counted_already))
    if not groups:
        return None
    tail = folded[numbers[-1].end() :] if numbers else ""
    return StaffBreakdown(tuple(groups), _rest_role(cues, tail))


def _headcount_numbers(folded: str, dates: list[DateSpan]) -> list[re.Match[str]]:
    """Return the numbers that may count people: not in a date, a duration or an article reference."""
    numbers = []
    for m in _HEADCOUNT_NUMBER.finditer(folded):
        if any(d.start <= m.start() < d.end for d in dates):
            continue
        if _DURATION_AFTER.match(folded[m.end() :]) or _ARTICLE_BEFORE.search(folded[: m.start()]):
            continue
        numbers.append(m)
    return numbers


def _role(cues: Cues, own: str, ops: tuple[int, ...], counted_already: bool) -> str | None:
    """Say what a group's words make of it: counted, not counted, the total, unclear; None: not staff."""
    excluded = bool(cues.not_counted.search(own))
    if ops:
        return "unclear" if excluded else "counted"
    if excluded:
        return "not_counted"
    if cues.total.search(own) or counted_already:
        return "total"
    return None


def _rest_role(cues: Cues, tail: str) -> str | None:
    """Say whether "the rest" named after the last number counts in the headcount."""
    rest = cues.rest.search(tail)
    if rest is None:
        return None
    words = re.split(r"[.?!]", tail[rest.end() :])[0]
    if any(p.search(words) for _, p in cues.operations):
        return "counted"
    if cues.not_counted.search(words):
        return "not_counted"
    return None


# --- whether an activity counts (art. 39) --------------------------------------------------------------------

_ASKS_WHICH = re.compile(r"\b(?:quels?|quelles?|lesquels|qui|which|who|what (?:staff|people|employees))\b")
# The question is about the headcount of art. 37-39, not any "compte" ("comptes rendus", "compte dans la demande").
_HEADCOUNT_CONTEXT = re.compile(
    r"\b(?:effectif|headcount|head count|assistants?|nombre d.assistants|staff count)\b"
)
_ASKS_COUNTED = re.compile(
    r"\b(?:compt(?:e|es|ent|ee|ees|er)|counts?|counted|counting|inclu\w*|pris(?:es)? en compte|taken into account)\b"
)


@dataclass(frozen=True)
class ActivityQuestion:
    """A question whether some staff count in the art. 39 headcount ('les commerciaux comptent-ils ?')."""

    words: tuple[str, ...]  # the user's words for the activity (none: "which staff count?")
    counted: bool
    operations: tuple[int, ...] = ()


def find_activity_question(folded: str, original: str = "") -> ActivityQuestion | None:
    """Return the activity a message asks about when it asks whether it counts in the headcount."""
    if not _ASKS_COUNTED.search(folded) or not _HEADCOUNT_CONTEXT.search(folded):
        return None
    cues = load_cues()
    source = original if len(original) == len(folded) else folded
    excluded = [_word_at(source, folded, m.start()) for m in cues.not_counted.finditer(folded)]
    operations = tuple(op for op, pattern in cues.operations if pattern.search(folded))
    if excluded and not operations:
        return ActivityQuestion(tuple(dict.fromkeys(excluded)), False)
    if operations and not excluded:
        found = [_word_at(source, folded, m.start()) for _, p in cues.operations for m in p.finditer(folded)]
        return ActivityQuestion(tuple(dict.fromkeys(found)), True, operations)
    if not excluded and _ASKS_WHICH.search(folded):
        return ActivityQuestion((), True, tuple(op for op, _ in cues.operations))
    return None


def _word_at(source: str, folded: str, start: int) -> str:
    """Return the whole word of the message that starts at a position."""
    end = start
    while end < len(folded) and (folded[end].isalnum() or folded[end] in "-"):
        end += 1
    return source[start:end]


# --- study: a third-cycle diploma, said or denied ------------------------------------------------------------

_THIRD_CYCLE = re.compile(
    r"\b(?:troisieme cycle|3e cycle|3eme cycle|3 eme cycle|third[- ]cycle|3rd[- ]cycle|postgraduate|post-graduate|"
    r"dess|master specialise|specialised master|doctoral|doctorat de troisieme cycle)\b"
)
_DENIAL = re.compile(r"\b(?:pas de|pas d|sans|aucun|aucune|ni|no|without|not|never|nor)\W+(?:\w+\W+){0,2}$")


def third_cycle_said(folded: str) -> bool | None:
    """Return True when a third-cycle diploma is said, False when it is denied ('pas de 3e cycle'), else None."""
    m = _THIRD_CYCLE.search(folded)
    if m is None:
        return None
    return not _DENIAL.search(folded[max(0, m.start() - 30) : m.start()])
