"""Answers computed from the user's figures: decision dates, assistants required, practical experience."""

from __future__ import annotations

from collections.abc import Callable

from bot.answering.context import Context, phrase
from bot.answering.model import Answer, cite
from bot.answering.quoting import quote_source
from bot.answering.situations import clarification, experience_lines, headcount_lines, study_in_doubt
from bot.answering.wording import counted, format_date, format_months, ordinal
from bot.i18n import t
from knowledge.calculators import (
    DeadlineResult,
    ExperienceResult,
    StaffingResult,
    assistants_required,
    decision_deadline,
    experience_required,
)
from knowledge.facts import Facts, StaffingScale, load_facts
from nlu import Understanding
from nlu.calculators import load_calculators
from nlu.situation import find_events, third_cycle_said
from nlu.text import fold

# --- the results in words -------------------------------------------------------------------------------------


def _assistants(n: int, lang: str) -> str:
    return t(lang, "calc_assistants_none") if n == 0 else counted(lang, "calc_assistants", n)


def describe_staffing(result: StaffingResult, lang: str, facts: Facts | None = None) -> str:
    """Explain a staffing result in one or two sentences, citing the article and part."""
    facts = facts or load_facts()
    category = facts.category(result.category)
    name = category.name.get(lang) if category else ""
    who = t(lang, "calc_staffing_who", category=result.category, name=name, headcount=result.headcount)
    if not result.covered:
        return t(lang, "calc_staffing_uncovered", who=who, note=facts.staffing.uncovered_note.get(lang))
    scale = facts.staffing.scale_for(result.category)
    assert scale is not None and result.assistants is not None
    n, article, last = result.assistants, scale.article, scale.bands[-1]
    if n == 0:
        first = scale.bands[0]
        return t(
            lang,
            "calc_staffing_none",
            who=who,
            article=article,
            assistants=_assistants(0, lang),
            low=first.low,
            part=first.part,
        )
    shared = {
        "who": who,
        "assistants": _assistants(n, lang),
        "article": article,
        "part": result.sources[-1].part,
    }
    if not result.beyond_bands:
        return counted(lang, "calc_staffing_band", n, low=result.low, high=result.high, **shared)
    return t(
        lang,
        "calc_staffing_beyond",
        last=last.assistants,
        last_low=last.low,
        last_high=last.high,
        step=scale.step,
        nth=ordinal(n, lang),
        low=result.low,
        high=result.high,
        **shared,
    )


def describe_scale(scale: StaffingScale, lang: str) -> str:
    """Describe one staffing scale (when no headcount is given)."""
    cats = ", ".join(f"{c}°" for c in scale.categories)
    bands = ", ".join(
        t(lang, "calc_scale_band", assistants=b.assistants, low=b.low, high=b.high) for b in scale.bands
    )
    return t(
        lang,
        "calc_scale",
        article=scale.article,
        categories=cats,
        bands=bands,
        step=scale.step,
        low=scale.bands[0].low,
    )


def describe_experience(result: ExperienceResult, lang: str, facts: Facts | None = None) -> str:
    """Explain an experience result, citing the article and part."""
    facts = facts or load_facts()
    category = facts.category(result.category)
    name = category.name.get(lang) if category else ""
    if result.months is None or result.base_months is None:
        return facts.experience.uncovered_note.get(lang)
    duration = format_months(result.months, lang)
    rule = t(lang, "calc_experience_rule", category=result.category, name=name, duration=duration)
    part = result.sources[0].part
    if result.reduced_by:
        third = "_third" if result.reduced_by == "II 2° b)" else ""
        text = t(
            lang,
            "calc_experience_reduced",
            rule=rule,
            base=format_months(result.base_months, lang),
            article=result.article,
            part=part,
            reduced_by=result.reduced_by,
            studies=t(lang, f"calc_experience_studies{third}", years=result.study_years),
        )
    else:
        text = t(lang, "calc_experience_cited", rule=rule, article=result.article, part=part)
        if result.study_years is not None:
            key = "calc_experience_no_reduction" if result.reducible else "calc_experience_not_reducible"
            text += " " + t(lang, key, years=result.study_years)
    if result.where is not None:
        text += " " + t(lang, "calc_experience_where", where=result.where.get(lang))
    return text


def describe_deadline(result: DeadlineResult, lang: str, inspection: bool = False) -> str:
    """Explain a deadline: the date, how the delay is counted, suspension and silence.

    With `inspection` (an on-site inspection is needed, art. 13), the extended date comes first.
    """
    dates = {
        "name": t(lang, f"calc_procedure_{result.procedure}"),
        "received": format_date(result.received, lang),
        "due": format_date(result.due, lang),
        "days": result.days,
        "article": result.article,
    }
    extended = format_date(result.extended_due, lang) if result.extended_due else ""
    if inspection and result.extended_due and result.extended_days:
        lead = t(
            lang, "calc_deadline_inspection", extended=extended, extended_days=result.extended_days, **dates
        )
        return lead + " " + _delay_rules(result, lang)
    text = t(lang, "calc_deadline", **dates)
    if result.via:
        text += " " + _via_sentence(result, lang)
    if result.extended_due and result.extended_days:
        text += " " + t(
            lang, "calc_deadline_extension", extended_days=result.extended_days, extended=extended
        )
    return text + " " + _delay_rules(result, lang)


def _via_sentence(result: DeadlineResult, lang: str) -> str:
    """Say how the request reaches the delay of article 5: article 22 through article 9, article 15 directly."""
    if result.procedure == "transfer":
        return t(lang, "calc_deadline_via_transfer", article=result.article)
    return t(lang, "calc_deadline_via", via=result.via[0], article=result.article)


def _delay_rules(result: DeadlineResult, lang: str) -> str:
    """Say how the delay is suspended, what silence means, and how the date was counted."""
    suspension = result.suspension.article if result.suspension else result.article
    silence = result.silence.article if result.silence else result.article
    return t(lang, "calc_delay_rules", suspension=suspension, silence=silence)


def calculate(ctx: Context, u: Understanding, lang: str) -> Answer | None:
    """Run the first calculator of the lexicon a question asks for, or return None when none applies."""
    for calculator in load_calculators():
        if calculator.answers(u.words, u.entities):
            return CALCULATORS[calculator.name](ctx, u, lang)
    return None


def deadline(ctx: Context, u: Understanding, lang: str) -> Answer:
    """Compute the date a decision is due from the date a dossier was received."""
    e = u.entities
    assert e.date is not None
    procedure = e.procedure or ("modification" if e.on_site_inspection else "opening")
    result = decision_deadline(procedure, e.date, ctx.facts)
    text = describe_deadline(result, lang, inspection=e.on_site_inspection)
    # A transfer is decided under article 22, which leads to 9 and then 5: the article the user asked about first.
    articles = (
        [*result.via, result.article] if result.procedure == "transfer" else [result.article, *result.via]
    )
    if result.suspension:
        articles.append(result.suspension.article)
    source = result.sources[0]
    quote = quote_source(ctx, source.article, source.quote, lang)
    body = text + ("\n\n" + quote if quote else "")
    assumed = False
    dated = next((ev for ev in find_events(fold(u.text), u.lang) if ev.day == e.date), None)
    if dated is not None and dated.role == "filed":
        # Filed is not received complete: the delay may start later; say so instead of asserting the date.
        body = text + "\n" + t(lang, "calc_filed_only") + ("\n\n" + quote if quote else "")
        assumed = True
    # Without the request named, the delay depends on it: the chat asks (opening 90 days, modification 30).
    ask = (
        clarification("request", lang, ("opening", "modification", "transfer"))
        if e.procedure is None and not e.on_site_inspection
        else None
    )
    return Answer(
        u.text,
        "calculation",
        True,
        body,
        cite(articles),
        0.0,
        lang,
        clarify=ask,
        route="computed",
        assumed=assumed,
    )


def _count_phrase(n: int, lang: str) -> str:
    if n == 0:
        return phrase(lang, "no_assistant")
    return phrase(lang, "assistant_one" if n == 1 else "assistant_many", n=n)


def staffing(ctx: Context, u: Understanding, lang: str) -> Answer:
    """Count the assistant pharmacists a category and headcount require (art. 37-39)."""
    e = u.entities
    rules = ctx.facts.staffing
    ops = t(lang, "list_separator").join(o.get(lang) for o in rules.operations)
    note = phrase(lang, "count_note", ops=ops)
    # The headcount article 39 counts, from the staff by activity the message gives (one line of computation).
    counted, computed, assumption = headcount_lines(u, lang)
    if counted is None and computed:
        body = "\n".join([*computed, note])
        return Answer(
            u.text, "calculation", False, body, cite(["39"]), 0.0, lang, route="computed", assumed=True
        )
    headcount = counted if counted is not None else e.headcount
    if e.category is not None and headcount is not None:
        result = assistants_required(e.category, headcount, ctx.facts)
        return _staffing_of(ctx, u, lang, result, computed, note, assumption)
    if headcount is not None:
        return _staffing_any_category(ctx, u, lang, headcount, computed, [note, *assumption])
    if e.category is not None and rules.scale_for(e.category) is None:
        text = rules.uncovered_note.get(lang)
        articles = [rules.uncovered_quote_article, *[s.article for s in rules.scales]]
        return Answer(u.text, "calculation", True, text, cite(articles), 0.0, lang, route="computed")
    scales = [s for s in rules.scales if e.category is None or e.category in s.categories]
    lines = [] if e.category is not None else [phrase(lang, "assistants_by_scale")]
    lines += [describe_scale(s, lang) for s in scales]
    if e.category is None:
        lines.append("• " + phrase(lang, "uncovered_feed"))
    lines.append(note)
    articles = [*[s.article for s in scales], rules.headcount_article]
    return Answer(
        u.text,
        "calculation",
        True,
        "\n".join(lines),
        cite(articles),
        0.0,
        lang,
        route="computed",
        assumed=True,
    )


def _staffing_of(
    ctx: Context,
    u: Understanding,
    lang: str,
    result: StaffingResult,
    computed: list[str],
    note: str,
    assumption: list[str],
) -> Answer:
    """Answer the assistants one category and headcount require, with how the headcount was reached."""
    rules = ctx.facts.staffing
    # The answer first, then how the headcount was reached; an assumption after the rule it rests on.
    text = "\n".join([describe_staffing(result, lang, ctx.facts), *computed])
    if result.covered:
        source = result.sources[-1]
        quote = quote_source(ctx, source.article, source.quote, lang)
        quoted = "\n\n" + quote if quote else ""
        articles = [result.article, rules.headcount_article]
        tail = "".join("\n" + x for x in assumption)
        return Answer(
            u.text,
            "calculation",
            True,
            f"{text}{quoted}\n\n{note}{tail}",
            cite(articles),
            0.0,
            lang,
            route="computed",
            assumed=bool(assumption),
        )
    quote = quote_source(ctx, rules.uncovered_quote_article, rules.uncovered_quote, lang)
    articles = [
        rules.uncovered_quote_article,
        *[s.article for s in rules.scales],
        rules.assistants_rule_article,
    ]
    body = text + ("\n\n" + quote if quote else "")
    return Answer(u.text, "calculation", True, body, cite(articles), 0.0, lang, route="computed")


def _staffing_any_category(
    ctx: Context, u: Understanding, lang: str, headcount: int, computed: list[str], tail: list[str]
) -> Answer:
    """Give the assistants a headcount requires on each scale and ask which category (tail: note, assumption)."""
    rules = ctx.facts.staffing
    lines = [*computed, phrase(lang, "assistants_headcount", n=headcount)]
    for scale in rules.scales:
        result = assistants_required(scale.categories[0], headcount, ctx.facts)
        cats = f"{scale.categories[0]}° – {scale.categories[-1]}°"
        assert result.assistants is not None
        count = _count_phrase(result.assistants, lang)
        lines.append(phrase(lang, "scale_line", categories=cats, article=scale.article, count=count))
    lines.append("• " + phrase(lang, "uncovered_feed"))
    lines += tail
    articles = [
        *[s.article for s in rules.scales],
        rules.headcount_article,
        rules.uncovered_quote_article,
    ]
    ask = clarification("category", lang, ("cat_1_3", "cat_4_10", "cat_11_14"))
    return Answer(
        u.text,
        "calculation",
        True,
        "\n".join(lines),
        cite(articles),
        0.0,
        lang,
        clarify=ask,
        route="computed",
        assumed=True,
    )


def experience(ctx: Context, u: Understanding, lang: str) -> Answer:
    """State the practical experience a category requires, reduced by the studies the user names (art. 25-27)."""
    e = u.entities
    if e.category is None:
        lines = [phrase(lang, "experience_any")]
        for rule in ctx.facts.experience.rules:
            result = experience_required(rule.categories[0], e.study_years, e.third_cycle, ctx.facts)
            cats = ", ".join(f"{c}°" for c in rule.categories)
            text = describe_experience(result, lang, ctx.facts).split(", ", 1)[-1]
            lines.append(phrase(lang, "experience_line", categories=cats, text=text))
        lines.append("• " + ctx.facts.experience.uncovered_note.get(lang))
        ask = clarification("category", lang, ("cat_1_2", "cat_3", "cat_4_10"))
        return Answer(
            u.text,
            "calculation",
            True,
            "\n".join(lines),
            cite(["26", "27", "25"]),
            0.0,
            lang,
            clarify=ask,
            route="computed",
            assumed=True,
        )
    third = bool(third_cycle_said(fold(u.text)))  # "pas de 3e cycle", "no postgraduate diploma" deny it
    result = experience_required(e.category, e.study_years, third, ctx.facts)
    text = "\n".join(
        [describe_experience(result, lang, ctx.facts), *experience_lines(u, lang, ctx.facts, e.category)]
    )
    if result.months is None:
        return Answer(
            u.text,
            "calculation",
            True,
            text,
            cite(["25", "26", "27"]),
            0.0,
            lang,
            route="computed",
            assumed=True,
        )
    source = result.sources[-1]
    quote = quote_source(ctx, source.article, source.quote, lang)
    articles = [result.article, *(["26"] if result.reduced_by else []), "25"]
    body = text + ("\n\n" + quote if quote else "")
    doubt = study_in_doubt(u, e.category, ctx.facts)
    study = (
        clarification("study", lang, ("study_4", "study_5", "study_5_third", "study_6")) if doubt else None
    )
    return Answer(
        u.text,
        "calculation",
        True,
        body,
        cite(articles),
        0.0,
        lang,
        clarify=study,
        route="computed",
        assumed=study is not None,
    )


# The calculators by name: a ``calculators`` entry of knowledge/glossary/lexicon.yaml says when each one runs.
CALCULATORS: dict[str, Callable[[Context, Understanding, str], Answer]] = {
    "deadline": deadline,
    "staffing": staffing,
    "experience": experience,
}
