"""Calculators over the curated facts: assistants required, practical experience, decision deadlines.

Every number comes from ``knowledge/facts/*.yaml`` (whose quotes are checked against the text); every
result names the article and part it rests on, and says so when the decree does not cover a case. The
results are worded in the reader's language by ``bot/answering/calculations.py`` (``config/messages``).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from knowledge.facts import Facts, Text, load_facts


@dataclass(frozen=True)
class Source:
    """Where a result comes from: article, part label and the verbatim passage."""

    article: str
    part: str | None
    quote: str


# --- assistants (art. 37-39) ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffingResult:
    """Assistant pharmacists or veterinarians required for a category and a headcount."""

    category: int
    headcount: int
    assistants: int | None  # None: no scale covers the category
    article: str
    sources: tuple[Source, ...]
    low: int | None = None  # the headcount range this number holds for
    high: int | None = None
    beyond_bands: bool = False  # reached by the "et ainsi de suite" step

    @property
    def covered(self) -> bool:
        """Tell whether articles 37-38 cover the category."""
        return self.assistants is not None


def assistants_required(category: int, headcount: int, facts: Facts | None = None) -> StaffingResult:
    """Return the assistants required for one establishment of a category with this many staff."""
    facts = facts or load_facts()
    staffing = facts.staffing
    scale = staffing.scale_for(category)
    if scale is None:
        return StaffingResult(
            category,
            headcount,
            None,
            staffing.uncovered_quote_article,
            (Source(staffing.uncovered_quote_article, None, staffing.uncovered_quote),),
        )
    first = scale.bands[0]
    if headcount < first.low:
        return StaffingResult(
            category,
            headcount,
            0,
            scale.article,
            (Source(scale.article, first.part, first.quote),),
            0,
            first.low - 1,
        )
    for band in scale.bands:
        if band.low <= headcount <= band.high:
            return StaffingResult(
                category,
                headcount,
                band.assistants,
                scale.article,
                (Source(scale.article, band.part, band.quote),),
                band.low,
                band.high,
            )
    last = scale.bands[-1]
    # "et ainsi de suite par effectif de N personnes supplémentaires": each further block of N persons
    # beyond the last printed band, begun or complete, brings one more assistant (as a begun band does).
    steps = math.ceil((headcount - last.high) / scale.step)
    low = last.high + (steps - 1) * scale.step + 1
    high = last.high + steps * scale.step
    return StaffingResult(
        category,
        headcount,
        last.assistants + steps,
        scale.article,
        (
            Source(scale.article, last.part, last.quote),
            Source(scale.article, scale.step_part, scale.step_quote),
        ),
        low,
        high,
        beyond_bands=True,
    )


# --- practical experience (art. 25-27) -------------------------------------------------------------------------


@dataclass(frozen=True)
class ExperienceResult:
    """Practical experience required of the responsible (and deputies) of a category."""

    category: int
    months: int | None  # None: articles 26-27 do not cover the category
    base_months: int | None
    article: str
    sources: tuple[Source, ...]
    study_years: int | None = None
    third_cycle: bool = False
    reduced_by: str | None = None  # part of article 26 II applied
    where: Text | None = None
    reducible: bool = False


def experience_required(
    category: int, study_years: int | None = None, third_cycle: bool = False, facts: Facts | None = None
) -> ExperienceResult:
    """Return the practical experience required for a category, given the length of study."""
    facts = facts or load_facts()
    ex = facts.experience
    rule = ex.rule_for(category)
    if rule is None:
        return ExperienceResult(
            category, None, None, ex.general_article, (Source(ex.general_article, None, ex.general_quote),)
        )
    sources = [Source(rule.article, rule.part, rule.quote)]
    months = rule.months
    reduced_by = None
    if rule.reducible and study_years is not None:
        for step in sorted(ex.reductions, key=lambda r: r.months):
            fits_years = study_years >= step.study_years and (
                step.study_years_max is None or study_years <= step.study_years_max
            )
            if fits_years and (third_cycle or not step.third_cycle):
                months = step.months
                reduced_by = step.part
                sources.append(Source(ex.reductions_article, step.part, step.quote))
                break
    return ExperienceResult(
        category,
        months,
        rule.months,
        rule.article,
        tuple(sources),
        study_years,
        third_cycle,
        reduced_by,
        rule.where,
        rule.reducible,
    )


# --- decision deadlines (art. 5, 9, 13; 15 and 22 refer to them) ---------------------------------------------


@dataclass(frozen=True)
class DeadlineResult:
    """The latest decision date for a request, and how the delay runs."""

    procedure: str  # opening | extension | transfer | modification
    received: dt.date
    days: int
    due: dt.date
    article: str
    extended_days: int | None = None  # modification with an on-site inspection
    extended_due: dt.date | None = None
    sources: tuple[Source, ...] = ()
    suspension: Source | None = None
    silence: Source | None = None
    via: tuple[str, ...] = ()  # articles that lead to this delay (15 or 22)


_VIA = {"extension": ("15",), "transfer": ("22", "9")}


def decision_deadline(procedure: str, received: dt.date, facts: Facts | None = None) -> DeadlineResult:
    """Return the decision deadline for a complete and regular dossier received on a date."""
    facts = facts or load_facts()
    if procedure == "modification":
        base = facts.delay("modification_decision")
        extended = facts.delay("modification_inspection")
        suspension = facts.delay("modification_suspension")
        silence = facts.delay("modification_silence")
    else:
        base = facts.delay("opening_decision")
        extended = None
        suspension = facts.delay("opening_suspension")
        silence = facts.delay("opening_silence")
    if base is None or base.amount is None or suspension is None or silence is None:
        raise LookupError("delays.yaml lacks the decision delays")
    due = received + dt.timedelta(days=base.amount)
    ext_days = extended.amount if extended is not None else None
    return DeadlineResult(
        procedure,
        received,
        base.amount,
        due,
        base.article,
        ext_days,
        received + dt.timedelta(days=ext_days) if ext_days else None,
        tuple(Source(d.article, None, d.quote) for d in (base, extended) if d is not None),
        Source(suspension.article, None, suspension.quote),
        Source(silence.article, None, silence.quote),
        _VIA.get(procedure, ()),
    )


# --- the headcount of article 39 ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffPart:
    """A group of staff as the user described it: how many, what they do, whether article 39 counts them."""

    count: int
    activity: str
    counted: bool


@dataclass(frozen=True)
class HeadcountResult:
    """The headcount article 39 counts, and how it was reached.

    basis: listed (the groups doing art. 39 operations, summed) | total_less_excluded (a total less the
    groups it does not count) | stated_counted (the user gave a headcount already counted) | bare_total (a
    total with nothing said of activities: an assumption) | unclear (the message does not say enough).
    """

    counted: int | None
    basis: str
    total: int | None
    kept: tuple[StaffPart, ...] = ()
    left_out: tuple[StaffPart, ...] = ()
    rest: int = 0  # staff of the total not described in the message
    rest_counted: bool | None = None
    article: str = "39"


def count_headcount(
    total: int | None,
    parts: tuple[StaffPart, ...],
    rest_counted: bool | None = None,
    stated_counted: bool = False,
) -> HeadcountResult:
    """Return the headcount of article 39 from a total and the groups by activity (either may be missing)."""
    kept = tuple(p for p in parts if p.counted)
    left_out = tuple(p for p in parts if not p.counted)
    listed = sum(p.count for p in parts)
    if total is not None and listed > total:
        # The groups are not parts of that number (or the message is inconsistent): do not guess.
        return HeadcountResult(None, "unclear", total, kept, left_out)
    rest = total - listed if total is not None else 0
    if not parts:
        if total is None:
            return HeadcountResult(None, "unclear", None)
        basis = "stated_counted" if stated_counted else "bare_total"
        return HeadcountResult(total, basis, total)
    if kept:
        counted = sum(p.count for p in kept) + (rest if rest_counted else 0)
        return HeadcountResult(counted, "listed", total, kept, left_out, rest, rest_counted)
    if total is None:
        # Only groups that article 39 does not count: the others are unknown.
        return HeadcountResult(None, "unclear", None, kept, left_out)
    if rest_counted is False:
        return HeadcountResult(0, "listed", total, kept, left_out, rest, rest_counted)
    return HeadcountResult(rest, "total_less_excluded", total, kept, left_out, rest, True)


# --- dates from the user's situation ---------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """Add (or take away) calendar months; the day is kept, or the month's last day when it has fewer."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for last in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(f"no date for {day} + {months} months")


def shift(day: dt.date, amount: int, unit: str) -> dt.date:
    """Move a date by an amount of days, weeks, months or years (negative: back)."""
    if unit == "day":
        return day + dt.timedelta(days=amount)
    if unit == "week":
        return day + dt.timedelta(weeks=amount)
    if unit == "month":
        return add_months(day, amount)
    if unit == "year":
        return add_months(day, 12 * amount)
    raise ValueError(f"no date arithmetic in {unit}")


@dataclass(frozen=True)
class DatedDelay:
    """A date the decree's delay gives from an event of the user's situation.

    ``direction`` is +1 for "within N after the event" and -1 for "at the latest N before it"; ``paused``
    holds the days a suspension adds (art. 9, art. 13 al. 2).
    """

    delay_id: str
    article: str
    quote: str
    start: dt.date
    amount: int
    unit: str
    direction: int
    due: dt.date
    paused: int = 0
    pause_from: dt.date | None = None
    pause_to: dt.date | None = None


def dated_delay(
    delay_id: str,
    start: dt.date,
    *,
    direction: int = 1,
    amount: int | None = None,
    unit: str | None = None,
    paused: tuple[dt.date, dt.date] | None = None,
    facts: Facts | None = None,
) -> DatedDelay:
    """Apply one delay of ``delays.yaml`` to the date of an event (amount and unit default to the delay's)."""
    facts = facts or load_facts()
    delay = facts.delay(delay_id)
    if delay is None:
        raise LookupError(f"delays.yaml has no delay {delay_id!r}")
    value = amount if amount is not None else delay.amount
    step = unit or delay.unit
    if value is None:
        raise LookupError(f"the delay {delay_id!r} has no amount")
    due = shift(start, direction * value, step)
    days = 0
    if paused is not None:
        # The delay stops while information is awaited: the days it stood still are added back.
        days = max(0, (paused[1] - paused[0]).days)
        due += dt.timedelta(days=days)
    return DatedDelay(
        delay_id,
        delay.article,
        delay.quote,
        start,
        value,
        step,
        direction,
        due,
        days,
        paused[0] if paused else None,
        paused[1] if paused else None,
    )


# --- absences and replacements (art. 30 and 40) ---------------------------------------------------------------


@dataclass(frozen=True)
class AbsenceRule:
    """One rule of articles 30 or 40 weighed against the length of an absence: does it apply?"""

    delay_id: str
    article: str
    quote: str
    threshold_days: int
    applies: bool


def _days(amount: int, unit: str) -> int:
    """Length of a duration in days (a month counts 30 days, a year 365) for comparing with the decree's."""
    return amount * {"day": 1, "week": 7, "month": 30, "year": 365, "hour": 0}.get(unit, 0)


def absence_rules(
    amount: int, unit: str, who: str, facts: Facts | None = None, beyond: bool = False
) -> tuple[AbsenceRule, ...]:
    """Weigh an absence against the thresholds of the decree: the responsible (art. 30) or an assistant (art. 40).

    A duration equal to the threshold does not exceed it ("dépasse quinze jours", "n'excède pas trois mois"),
    unless the user said it is beyond it (``beyond``: "plus d'un mois", "more than a month").
    """
    facts = facts or load_facts()
    ids = (
        ("assistant_absence",)
        if who == "assistant"
        else ("replacement_fifteen_days", "replacement_three_months", "replacement_max")
    )
    rules = []
    for delay_id in ids:
        delay = facts.delay(delay_id)
        if delay is None or delay.amount is None:
            continue
        applies = exceeds(amount, unit, delay_id, facts, beyond)
        rules.append(
            AbsenceRule(delay_id, delay.article, delay.quote, _days(delay.amount, delay.unit), applies)
        )
    return tuple(rules)


def exceeds(amount: int, unit: str, delay_id: str, facts: Facts | None = None, beyond: bool = False) -> bool:
    """Tell whether a length of time exceeds one of the decree's durations (equal does not exceed)."""
    facts = facts or load_facts()
    delay = facts.delay(delay_id)
    if delay is None or delay.amount is None:
        raise LookupError(f"delays.yaml has no duration {delay_id!r}")
    # Compare in the decree's own unit when the user used it (3 months vs 3 months), else in days.
    if unit == delay.unit:
        return amount > delay.amount or (beyond and amount == delay.amount)
    length, threshold = _days(amount, unit), _days(delay.amount, delay.unit)
    return length > threshold or (beyond and length == threshold)
