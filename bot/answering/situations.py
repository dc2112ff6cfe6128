"""Answers computed from the user's situation: headcount by activity, dated delays, absences, experience.

``answer_situation(u, facts)`` reads the dates (with their role), staff groups, study length and absences of
a message (``nlu.situation``), applies the decree's rule (``knowledge.calculators``) and writes the result
with one line of computation per computed value, in the reader's language (``config/messages``). It returns
None when the message describes no situation it can compute from. A missing fact the answer depends on
(which category, which request, how long the studies lasted) becomes a ``Clarification``: a short question
with choices, whose chosen value completes the question.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from bot.answering.model import Clarification
from bot.answering.wording import format_amount, format_date, format_month, format_months
from bot.i18n import t
from knowledge.calculators import (
    AbsenceRule,
    HeadcountResult,
    StaffPart,
    absence_rules,
    count_headcount,
    dated_delay,
    exceeds,
    experience_required,
    shift,
)
from knowledge.facts import Facts
from knowledge.text import word_set
from nlu import Understanding
from nlu.situation import (
    DatedEvent,
    find_activity_question,
    find_events,
    find_staff,
    find_topics,
    third_cycle_said,
)
from nlu.text import fold


@dataclass(frozen=True)
class SituationReply:
    """A computed answer: its text, the articles it rests on (most relevant first) and the passages to quote."""

    text: str
    articles: tuple[str, ...]
    quotes: tuple[tuple[str, str], ...] = ()  # (article, verbatim passage)
    assumed: bool = False  # the answer rests on an assumption it states (a date's role, a request)
    clarify: Clarification | None = field(default=None)
    intent: str = "calculation"  # a rule weighed against the user's case (an absence) is a rule question


def clarification(slot: str, lang: str, options: tuple[str, ...]) -> Clarification:
    """Build the clarifying question of a slot with some of its options."""
    return Clarification(
        slot,
        t(lang, f"clarify_{slot}"),
        tuple((t(lang, f"clarify_option_{o}"), t(lang, f"clarify_value_{o}")) for o in options),
    )


def _date(day: dt.date, lang: str) -> str:
    return format_date(day, lang)


# --- staff (art. 37-39) ------------------------------------------------------------------------------------


def headcount_lines(u: Understanding, lang: str) -> tuple[int | None, list[str], list[str]]:
    """Return the headcount article 39 counts, the lines computing it, and the assumptions it rests on."""
    staff = find_staff(fold(u.text), original=u.text)
    if staff is None:
        return None, [], []
    parts = tuple(
        StaffPart(g.count, g.activity, g.role == "counted") for g in staff.parts if g.role != "unclear"
    )
    stated = any(g.already_counted for g in staff.groups) or bool(u.entities.articles and not parts)
    rest_counted = None if staff.rest_role is None else staff.rest_role == "counted"
    result = count_headcount(staff.total, parts, rest_counted, stated)
    if any(g.role == "unclear" for g in staff.groups) or result.counted is None:
        return None, [t(lang, "calc_headcount_unclear")], []
    if result.basis == "listed":
        return result.counted, _listed_lines(result, lang), []
    if result.basis == "total_less_excluded":
        line = t(
            lang,
            "calc_headcount_less",
            counted=result.counted,
            total=result.total,
            excluded=sum(p.count for p in result.left_out),
            activities=", ".join(p.activity for p in result.left_out if p.activity),
        )
        return result.counted, [line], []
    if result.basis == "bare_total":
        return result.counted, [], [t(lang, "calc_headcount_bare", total=result.total)]
    return result.counted, [], []


def _staff_term(part: StaffPart) -> str:
    return f"{part.count} ({part.activity})" if part.activity else str(part.count)


def _listed_lines(result: HeadcountResult, lang: str) -> list[str]:
    """Write the sum of the groups article 39 counts, then the groups it leaves out (none for one group)."""
    if len(result.kept) == 1 and not result.left_out and not result.rest:
        return []  # one group, all counted: nothing to compute
    terms = [_staff_term(p) for p in result.kept]
    if result.rest and result.rest_counted:
        terms.append(t(lang, "calc_headcount_rest_counted", rest=result.rest))
    if len(terms) > 1:
        line = f"{result.counted} = " + " + ".join(terms)
    else:  # one counted group, or none of the listed groups is one article 39 counts
        line = terms[0] if terms else str(result.counted)
    lines = [t(lang, "calc_headcount_listed", line=line)]
    left = [_staff_term(p) for p in result.left_out]
    if result.rest and not result.rest_counted:
        left.append(t(lang, "calc_headcount_rest_left_out", rest=result.rest))
    if left:
        lines.append(t(lang, "calc_headcount_left_out", items=", ".join(left)))
    return lines


def activity_verdict(u: Understanding, lang: str, facts: Facts) -> SituationReply | None:
    """Say whether the staff a question names count in the art. 39 headcount ('les commerciaux comptent-ils ?')."""
    folded = fold(u.text)
    if find_staff(folded, original=u.text) is not None:
        return None  # numbers of staff: the headcount is computed, not asked about
    asked = find_activity_question(folded, u.text)
    if asked is None:
        return None
    activities = ", ".join(asked.words)
    article = facts.staffing.headcount_article
    quote = (article, facts.staffing.headcount_quote)
    scales = tuple(s.article for s in facts.staffing.scales)
    if not asked.counted:
        text = t(lang, "calc_activity_not_counted", activities=activities)
        return SituationReply(text, (article, *scales), (quote,), intent="rule_question")
    ops = t(lang, "list_separator").join(
        facts.staffing.operations[op - 1].get(lang) for op in asked.operations
    )
    if not asked.words:
        text = t(lang, "calc_activity_which", operations=ops)
    else:
        text = t(lang, "calc_activity_counted", operations=ops)
    return SituationReply(text, (article, *scales), (quote,), intent="rule_question")


# --- dates -------------------------------------------------------------------------------------------------


def _due_line(
    lang: str, start: dt.date, due: dt.date, amount: int, unit: str, article: str, sign: str = "+"
) -> str:
    return t(
        lang,
        "calc_due_line",
        due=_date(due, lang),
        start=_date(start, lang),
        sign=sign,
        amount=format_amount(amount, unit, lang),
        article=article,
    )


def _first(events: list[DatedEvent], *roles: str | None) -> DatedEvent | None:
    return next((e for e in events if e.role in roles), None)


def dated_answer(u: Understanding, lang: str, facts: Facts) -> SituationReply | None:
    """Answer a question whose dates say what happened when (art. 9, 13, 16, 18, 19, 23, 28, 30, 40)."""
    folded = fold(u.text)
    events = find_events(folded, u.lang)
    if not events:
        return None
    topics = find_topics(folded)
    notice = _notice(events, topics, lang, facts)
    if notice is not None:
        return notice
    since = _first(events, "since") or (_first(events, None) if "keep" not in topics else None)
    who = topics & {"assistant", "responsible"}
    if since and "absence" in topics and who and not _first(events, "received", "filed"):
        return _absence_since(since.day, "assistant" in topics and "responsable" not in folded, lang, facts)
    received = _first(events, "received", "filed")
    asked = _first(events, "info_requested")
    if received and (asked or ("inspection" in topics and "prorogation_notice" in topics)):
        return _decision(u, received, asked, _first(events, "info_received"), topics, lang, facts)
    return None


def _notice(
    events: list[DatedEvent], topics: frozenset[str], lang: str, facts: Facts
) -> SituationReply | None:
    """Answer a delay that runs from one dated event: lapse, works done, cessation, lease end, provisional, sanction."""
    notified = _first(events, "notified")
    signed = _first(events, "signed")
    if (notified or signed) and "lapse" in topics and "decision" not in topics - {"lapse"}:
        return _lapse(notified, signed, lang, facts)
    completed = _first(events, "completed")
    if completed and "works" in topics:
        return _simple("modification_done_notice", completed.day, "calc_works_done", lang, facts)
    ceased = _first(events, "ceased")
    if ceased:
        if "practice" in topics:
            return _simple("practice_cessation", ceased.day, "calc_practice_cessation", lang, facts)
        return _simple("cessation_notice", ceased.day, "calc_cessation", lang, facts)
    end = _first(events, "contract_end")
    if end and "lease" in topics:
        return _simple("lease_end_notice", end.day, "calc_lease_end", lang, facts, direction=-1)
    dated = _first(events, None, "since", "signed", "notified")
    if dated and "provisional" in topics:
        return _simple("provisional_designation_max", dated.day, "calc_provisional", lang, facts)
    if dated and "sanction" in topics:
        return _simple("suspension_max", dated.day, "calc_sanction", lang, facts)
    return None


def _lapse(notified: DatedEvent | None, signed: DatedEvent | None, lang: str, facts: Facts) -> SituationReply:
    start = notified.day if notified else signed.day if signed else None
    assert start is not None
    result = dated_delay("opening_lapse", start, facts=facts)
    line = _due_line(lang, start, result.due, result.amount, result.unit, result.article)
    if notified is None and signed is not None:
        text = t(lang, "calc_lapse_signed_only", signed=_date(signed.day, lang), due=_date(result.due, lang))
        return SituationReply(
            f"{text}\n{line}", (result.article,), ((result.article, result.quote),), assumed=True
        )
    lines = [t(lang, "calc_lapse", start=_date(start, lang), due=_date(result.due, lang)), line]
    if signed is not None:
        lines.append(
            t(lang, "calc_lapse_signed", notified=_date(start, lang), signed=_date(signed.day, lang))
        )
    return SituationReply("\n".join(lines), (result.article,), ((result.article, result.quote),))


def _simple(
    delay_id: str, start: dt.date, message: str, lang: str, facts: Facts, direction: int = 1
) -> SituationReply:
    result = dated_delay(delay_id, start, direction=direction, facts=facts)
    sign = "+" if direction > 0 else "−"
    text = t(lang, message, start=_date(start, lang), due=_date(result.due, lang))
    line = _due_line(lang, start, result.due, result.amount, result.unit, result.article, sign)
    return SituationReply(f"{text}\n{line}", (result.article,), ((result.article, result.quote),))


def _absence_since(start: dt.date, assistant: bool, lang: str, facts: Facts) -> SituationReply:
    if assistant:
        result = dated_delay("assistant_absence", start, facts=facts)
        due = result.due + dt.timedelta(days=1)
        text = t(lang, "calc_assistant_date", start=_date(start, lang), due=_date(due, lang))
        return SituationReply(text, (result.article,), ((result.article, result.quote),))
    letter = dated_delay("replacement_fifteen_days", start, facts=facts)
    order = dated_delay("replacement_three_months", start, facts=facts)
    longest = dated_delay("replacement_max", start, facts=facts)
    lines = [
        t(lang, "calc_absence_since", start=_date(start, lang)),
        t(lang, "calc_absence_letter_date", due=_date(letter.due, lang)),
        t(lang, "calc_absence_order_date", due=_date(order.due + dt.timedelta(days=1), lang)),
        t(lang, "calc_absence_max_date", due=_date(longest.due, lang)),
        _due_line(lang, start, letter.due, letter.amount, letter.unit, letter.article),
    ]
    return SituationReply("\n".join(lines), ("30",), ((letter.article, letter.quote),))


def _decision(
    u: Understanding,
    received: DatedEvent,
    asked: DatedEvent | None,
    answered: DatedEvent | None,
    topics: frozenset[str],
    lang: str,
    facts: Facts,
) -> SituationReply | None:
    procedure = u.entities.procedure or ("modification" if "inspection" in topics else None)
    modification = procedure == "modification"
    base_id = "modification_decision" if modification else "opening_decision"
    pause_id = "modification_suspension" if modification else "opening_suspension"
    pause = facts.delay(pause_id)
    base = dated_delay(base_id, received.day, facts=facts)
    lines: list[str] = []
    articles: list[str] = []
    quotes: list[tuple[str, str]] = []
    if asked is not None and pause is not None:
        if answered is not None and answered.day >= asked.day:
            result = dated_delay(base_id, received.day, paused=(asked.day, answered.day), facts=facts)
            lines.append(
                t(
                    lang,
                    "calc_decision_paused",
                    days=result.amount,
                    pause_from=_date(asked.day, lang),
                    pause_to=_date(answered.day, lang),
                    pause_article=pause.article,
                    due=_date(result.due, lang),
                )
            )
            lines.append(
                t(
                    lang,
                    "calc_due_line_paused",
                    due=_date(result.due, lang),
                    start=_date(received.day, lang),
                    amount=format_amount(result.amount, result.unit, lang),
                    paused=result.paused,
                    pause_from=_date(asked.day, lang),
                    pause_to=_date(answered.day, lang),
                    pause_article=pause.article,
                )
            )
        else:
            elapsed = (asked.day - received.day).days
            lines.append(
                t(
                    lang,
                    "calc_decision_paused_open",
                    pause_from=_date(asked.day, lang),
                    days=base.amount,
                    pause_article=pause.article,
                    elapsed=elapsed,
                    left=max(0, base.amount - elapsed),
                )
            )
        articles += [pause.article, base.article]
        quotes += [(pause.article, pause.quote), (base.article, base.quote)]
    else:
        extended = facts.delay("modification_inspection")
        if extended is None or extended.amount is None:
            return None
        first = dated_delay("modification_decision", received.day, facts=facts)
        longest = dated_delay("modification_inspection", received.day, facts=facts)
        lines.append(
            t(
                lang,
                "calc_prorogation_notice",
                extended=extended.amount,
                extended_due=_date(longest.due, lang),
                days=first.amount,
                due=_date(first.due, lang),
            )
        )
        lines.append(_due_line(lang, received.day, first.due, first.amount, first.unit, first.article))
        articles.append(first.article)
        quotes.append((extended.article, extended.quote))
    if received.role == "filed":
        lines.append(t(lang, "calc_filed_assumption"))
    assumed = procedure is None or received.role == "filed"
    return SituationReply("\n".join(lines), tuple(dict.fromkeys(articles)), tuple(quotes), assumed=assumed)


# --- records kept for a period (art. 31, 48, 50, 56, 61) ----------------------------------------------------

_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")


def retention_lines(u: Understanding, lang: str, facts: Facts, article: str) -> list[str]:
    """Compute until when records must be kept, from the dates of the message and an article's retention periods.

    A period runs from the event of its role ("libération", "péremption") when the message dates it, else from
    the one date given; when several periods apply, the records are kept until the latest.
    """
    folded = fold(u.text)
    if "keep" not in find_topics(folded):
        return []
    events = find_events(folded, u.lang)
    runs = _retention_runs(events, facts, article)
    if not runs:
        return []
    due, _, _, _, exact = max(runs)
    shown = _date(due, lang) if exact else format_month(due, lang)
    lines = [
        t(lang, "calc_retention_due" if exact else "calc_retention_due_month", due=shown, article=article)
    ]
    for run_due, run_start, run_amount, run_unit, run_exact in sorted(runs):
        when = _date if run_exact else format_month
        lines.append(
            t(
                lang,
                "calc_due_line",
                due=when(run_due, lang),
                start=when(run_start, lang),
                sign="+",
                amount=format_amount(run_amount, run_unit, lang),
                article=article,
            )
        )
    spans = [(m.start(), m.end()) for m in _YEAR.finditer(folded)]
    dated_years = {e.day.year for e in events}
    targets = [int(folded[a:b]) for a, b in spans if int(folded[a:b]) not in dated_years]
    if targets:
        target = targets[-1]
        key = "calc_retention_over" if target > due.year else "calc_retention_not_yet"
        lines.insert(0, t(lang, key, target=target, due=shown))
    return lines


def _retention_runs(
    events: list[DatedEvent], facts: Facts, article: str
) -> list[tuple[dt.date, dt.date, int, str, bool]]:
    """Return each retention period of an article that a date of the message starts: due, start, amount, unit, exact."""
    delays = [d for d in facts.delays_of(article) if d.kind == "retention" and d.amount is not None]
    if not events or not delays:
        return []
    runs: list[tuple[dt.date, dt.date, int, str, bool]] = []  # due, start, amount, unit, day given
    for delay in delays:
        periods = [(delay.amount, delay.unit, delay.start_role)]
        if delay.also is not None:
            periods.append(delay.also)
        for amount, unit, role in periods:
            assert amount is not None
            event = next((e for e in events if role is not None and e.role == role), None)
            if event is None and (len(events) > 1 or len(delays) > 1):
                continue  # which date this period runs from is not said
            event = event or events[0]
            runs.append((shift(event.day, amount, unit), event.day, amount, unit, event.day_given))
    return runs


# --- absences without dates (art. 30, 40) --------------------------------------------------------------------

_BEYOND = re.compile(
    r"(?:plus d\W?|plus de|au[- ]dela d\W?|superieure? a|more than|over|beyond|longer than|exceeding)\s*(?:un|une)?\s*$"
)
_ASSISTANT_REPLACES = re.compile(
    r"assistant\w*\s+(?:qui\s+)?(?:rempla\w*|stands? in for|is standing in for)\s+"
)


def absence_answer(u: Understanding, lang: str, facts: Facts) -> SituationReply | None:
    """Weigh the length of an absence or replacement against articles 30 and 40."""
    folded = fold(u.text)
    topics = find_topics(folded)
    if "practice" in topics and "temporary" in topics and u.entities.durations:
        return _temporary_cessation(u, lang, facts)
    if "absence" not in topics or not u.entities.durations or "practice" in topics:
        return None  # a cessation (art. 28) or someone else's absence (art. 57) is not a replacement here
    if not topics & {"assistant", "responsible"}:
        return None
    length = next((d for d in u.entities.durations if d.unit in {"day", "week", "month", "year"}), None)
    if length is None:
        return None
    # The assistant is the one away unless the responsible is named too; "notre assistant remplace le
    # responsable" leaves the assistant's own post to fill (art. 40).
    assistant = "assistant" in topics and (
        ("responsable" not in folded and "responsible" not in folded)
        or bool(_ASSISTANT_REPLACES.search(folded))
    )
    where = folded.find(length.surface)
    beyond = bool(_BEYOND.search(folded[max(0, where - 25) : where])) if where >= 0 else False
    who = "assistant" if assistant else "responsible"
    rules = absence_rules(length.amount, length.unit, who, facts, beyond=beyond)
    if not rules:
        return None
    if assistant:
        rule = rules[0]
        text = t(lang, "calc_assistant_yes" if rule.applies else "calc_assistant_no", length=length.surface)
        return SituationReply(text, (rule.article,), ((rule.article, rule.quote),), intent="rule_question")
    return _replacement(rules, length.surface, lang)


_REPLACEMENT_KEYS = {
    "replacement_fifteen_days": "calc_absence_letter",
    "replacement_three_months": "calc_absence_order",
    "replacement_max": "calc_absence_max",
}


def _replacement(rules: tuple[AbsenceRule, ...], surface: str, lang: str) -> SituationReply:
    """Say which of the rules of article 30 a replacement of the responsible of this length calls for."""
    lines = [t(lang, "calc_absence_length", length=surface)]
    for rule in rules:
        lines.append(t(lang, _REPLACEMENT_KEYS[rule.delay_id] + ("_yes" if rule.applies else "_no")))
    first = next((r for r in rules if r.applies), rules[0])
    return SituationReply("\n".join(lines), ("30",), ((first.article, first.quote),), intent="rule_question")


def _temporary_cessation(u: Understanding, lang: str, facts: Facts) -> SituationReply | None:
    """Weigh a temporary cessation against the year of art. 28 after which the registration must be cancelled."""
    length = next((d for d in u.entities.durations if d.unit in {"day", "week", "month", "year"}), None)
    threshold = facts.delay("practice_cessation_threshold")
    if length is None or threshold is None or threshold.amount is None:
        return None
    longer = exceeds(length.amount, length.unit, threshold.id, facts)
    key = "calc_cessation_long" if longer else "calc_cessation_short"
    text = t(lang, key, length=length.surface)
    return SituationReply(
        text, (threshold.article,), ((threshold.article, threshold.quote),), intent="rule_question"
    )


# --- experience (art. 26-27) ---------------------------------------------------------------------------------


def experience_lines(u: Understanding, lang: str, facts: Facts, category: int) -> list[str]:
    """Return the line computing a reduced experience (art. 26 II), and how the user's own experience compares."""
    folded = fold(u.text)
    third = third_cycle_said(folded)
    result = experience_required(category, u.entities.study_years, bool(third), facts)
    lines: list[str] = []
    if result.months is None:
        return lines
    if result.reduced_by and result.study_years is not None:
        key = "calc_studies_third" if result.reduced_by == "II 2° b)" else "calc_studies_years"
        lines.append(
            t(
                lang,
                "calc_study_line",
                months=format_months(result.months, lang),
                part=result.reduced_by,
                studies=t(lang, key, years=result.study_years),
            )
        )
    have = next((d for d in u.entities.durations if d.unit in {"month", "year"}), None)
    if have is not None:
        months = have.amount * (12 if have.unit == "year" else 1)
        need = format_months(result.months, lang)
        if months >= result.months:
            lines.append(t(lang, "calc_experience_enough", have=format_months(months, lang), need=need))
        else:
            missing = format_months(result.months - months, lang)
            lines.append(
                t(lang, "calc_experience_short", have=format_months(months, lang), need=need, missing=missing)
            )
    return lines


_OWN_STUDIES = word_set("own_studies")


def study_in_doubt(u: Understanding, category: int, facts: Facts) -> bool:
    """Tell whether the experience asked about depends on a study length the user did not give."""
    rule = facts.experience.rule_for(category)
    first_person = bool(set(u.words) & _OWN_STUDIES)
    return bool(rule and rule.reducible and u.entities.study_years is None and first_person)
