"""Calculators over the curated facts: assistants required, practical experience, decision deadlines.

Every number comes from ``knowledge/facts/*.yaml`` (whose quotes are checked against the text); every
result names the article and part it rests on, and says so when the decree does not cover a case.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from knowledge.facts import Band, Facts, StaffingScale, Text, load_facts

_MONTHS_FR = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
_MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def format_date(day: dt.date, lang: str) -> str:
    """Write a date as people do: '31 mai 2026', '31 May 2026'."""
    if lang == "en":
        return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {_MONTHS_FR[day.month - 1]} {day.year}"


def format_month(day: dt.date, lang: str) -> str:
    """Write a month as people do: 'mars 2024', 'March 2024'."""
    names = _MONTHS_EN if lang == "en" else _MONTHS_FR
    return f"{names[day.month - 1]} {day.year}"


def format_months(months: int, lang: str) -> str:
    """Write a duration in months as '2 ans', '1 an', '6 mois' ('2 years', '1 year', '6 months')."""
    if months % 12 == 0:
        years = months // 12
        if lang == "en":
            return f"{years} year" + ("s" if years > 1 else "")
        return f"{years} an" + ("s" if years > 1 else "")
    if lang == "en":
        return f"{months} month" + ("s" if months > 1 else "")
    return f"{months} mois"


def _ordinal(n: int, lang: str) -> str:
    if lang == "en":
        suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        return f"{n}{suffix}"
    return "1er" if n == 1 else f"{n}e"


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


def _assistants_phrase(n: int, lang: str) -> str:
    if lang == "en":
        if n == 0:
            return "no assistant pharmacist or veterinarian"
        return (
            f"{n} assistant pharmacist" + ("s" if n > 1 else "") + " or veterinarian" + ("s" if n > 1 else "")
        )
    if n == 0:
        return "aucun pharmacien ou vétérinaire assistant"
    if n == 1:
        return "1 pharmacien ou vétérinaire assistant"
    return f"{n} pharmaciens ou vétérinaires assistants"


def describe_staffing(result: StaffingResult, lang: str, facts: Facts | None = None) -> str:
    """Explain a staffing result in one or two sentences, citing the article and part."""
    facts = facts or load_facts()
    category = facts.category(result.category)
    name = category.name.get(lang) if category else ""
    who = (
        f"For an establishment of category {result.category}° ({name}) with {result.headcount} staff"
        if lang == "en"
        else f"Pour un établissement de la catégorie {result.category}° ({name}) de {result.headcount} personnes"
    )
    if not result.covered:
        return f"{who}: " + facts.staffing.uncovered_note.get(lang)
    scale = facts.staffing.scale_for(result.category)
    assert scale is not None and result.assistants is not None
    first = scale.bands[0]
    if result.assistants == 0:
        if lang == "en":
            return (
                f"{who}, article {scale.article} requires {_assistants_phrase(0, lang)}: the first one is required "
                f"from {first.low} persons (art. {scale.article} {first.part})."
            )
        return (
            f"{who}, l'article {scale.article} n'exige {_assistants_phrase(0, lang)} : le premier est requis "
            f"à partir de {first.low} personnes (art. {scale.article} {first.part})."
        )
    part = result.sources[-1].part
    if not result.beyond_bands:
        if lang == "en":
            return (
                f"{who}, {_assistants_phrase(result.assistants, lang)} are required "
                f"(art. {scale.article} {part}: {result.low} to {result.high} persons)."
            ).replace(" are required", " is required" if result.assistants == 1 else " are required")
        return (
            f"{who}, il faut {_assistants_phrase(result.assistants, lang)} "
            f"(art. {scale.article} {part} : effectif de {result.low} à {result.high} personnes)."
        )
    last: Band = scale.bands[-1]
    nth = _ordinal(result.assistants, lang)
    if lang == "en":
        return (
            f"{who}, {_assistants_phrase(result.assistants, lang)} are required: article {scale.article} {part} "
            f'provides {last.assistants} for {last.low} to {last.high} persons "and so on for each further '
            f'{scale.step} persons", so a {nth} from {result.low} to {result.high} persons.'
        )
    return (
        f"{who}, il faut {_assistants_phrase(result.assistants, lang)} : l'article {scale.article} {part} en prévoit "
        f"{last.assistants} pour un effectif de {last.low} à {last.high} personnes « et ainsi de suite par effectif "
        f"de {scale.step} personnes supplémentaires », soit un {nth} de {result.low} à {result.high} personnes."
    )


def describe_scale(scale: StaffingScale, lang: str) -> str:
    """Describe one staffing scale (when no headcount is given)."""
    cats = ", ".join(f"{c}°" for c in scale.categories)
    bands = ", ".join(
        (
            f"{b.assistants} from {b.low} to {b.high} persons"
            if lang == "en"
            else f"{b.assistants} de {b.low} à {b.high} personnes"
        )
        for b in scale.bands
    )
    if lang == "en":
        return (
            f"Article {scale.article} (categories {cats}), per establishment: {bands}, then one more for each "
            f"further {scale.step} persons; below {scale.bands[0].low} persons, none."
        )
    return (
        f"Article {scale.article} (catégories {cats}), par établissement : {bands}, puis un de plus par tranche "
        f"de {scale.step} personnes supplémentaires ; en dessous de {scale.bands[0].low} personnes, aucun."
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


def describe_experience(result: ExperienceResult, lang: str, facts: Facts | None = None) -> str:
    """Explain an experience result, citing the article and part."""
    facts = facts or load_facts()
    category = facts.category(result.category)
    name = category.name.get(lang) if category else ""
    if result.months is None or result.base_months is None:
        return facts.experience.uncovered_note.get(lang)
    duration = format_months(result.months, lang)
    base = format_months(result.base_months, lang)
    part = result.sources[0].part
    if lang == "en":
        text = (
            f"For category {result.category}° ({name}), the responsible pharmacist or veterinarian (and the deputies) "
            f"must show at least {duration} of practical experience"
        )
    else:
        text = (
            f"Pour la catégorie {result.category}° ({name}), le pharmacien ou vétérinaire responsable (et les "
            f"suppléants) doit justifier d'une expérience pratique d'au moins {duration}"
        )
    if result.reduced_by:
        if lang == "en":
            studies = f"{result.study_years} years of higher education" + (
                " plus a third-cycle diploma" if result.reduced_by == "II 2° b)" else ""
            )
            text += f": {base} under art. {result.article} {part}, reduced for {studies} (art. 26 {result.reduced_by})."
        else:
            studies = f"{result.study_years} années d'études supérieures" + (
                " et un diplôme de troisième cycle" if result.reduced_by == "II 2° b)" else ""
            )
            text += f" : {base} selon l'art. {result.article} {part}, durée ramenée pour {studies} (art. 26 {result.reduced_by})."
    else:
        text += f" (art. {result.article} {part})."
        if result.study_years is not None and result.reducible:
            text += (
                f" {result.study_years} years of study give no reduction under art. 26 II (it starts at five years)."
                if lang == "en"
                else f" {result.study_years} années d'études n'ouvrent pas de réduction au titre de l'art. 26 II (elle commence à cinq années)."
            )
        elif result.study_years is not None:
            text += (
                " The length of study does not shorten it: art. 26 II only reduces the experience of art. 26 I."
                if lang == "en"
                else " La durée des études ne la réduit pas : l'art. 26 II ne ramène que l'expérience prévue au I de l'article 26."
            )
    if result.where is not None:
        text += (" Where: " if lang == "en" else " Où : ") + result.where.get(lang) + "."
    return text


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


_PROCEDURE_NAMES = {
    "opening": Text("d'ouverture", "to open an establishment"),
    "extension": Text("d'extension d'activité", "to extend activity"),
    "transfer": Text("de transfert", "to transfer the authorisation"),
    "modification": Text("de modification", "for a modification"),
}


def describe_deadline(result: DeadlineResult, lang: str, inspection: bool = False) -> str:
    """Explain a deadline: the date, how the delay is counted, suspension and silence.

    With `inspection` (an on-site inspection is needed, art. 13), the extended date comes first.
    """
    name = _PROCEDURE_NAMES[result.procedure].get(lang)
    received = format_date(result.received, lang)
    due = format_date(result.due, lang)
    if inspection and result.extended_due and result.extended_days:
        extended = format_date(result.extended_due, lang)
        if lang == "en":
            lead = (
                f"With an on-site inspection, the decision on a request {name} received complete and regular on "
                f"{received} may be put off until {extended} at the latest: the {result.days}-day delay (until {due}) "
                f"may be extended up to {result.extended_days} days by a decision of the Minister of State notified "
                f"before the first delay ends (art. {result.article})."
            )
        else:
            lead = (
                f"Avec une enquête sur place, la décision sur une demande {name} reçue complète et régulière le "
                f"{received} peut être reportée au plus tard au {extended} : le délai de {result.days} jours (jusqu'au "
                f"{due}) peut être prorogé dans la limite de {result.extended_days} jours par décision du Ministre "
                f"d'État notifiée avant l'expiration du premier délai (art. {result.article})."
            )
        return lead + " " + _delay_rules(result, lang)
    if lang == "en":
        text = (
            f"For a request {name} whose complete and regular dossier was received on {received}, the decision is due "
            f"by {due} at the latest: {result.days} days (art. {result.article}) counted from the date the request "
            f"with a complete and regular dossier is received."
        )
        if result.via:
            text += " " + _via_sentence(result, lang)
        if result.extended_due and result.extended_days:
            text += (
                f" If an on-site inspection is needed, the Minister of State may extend it to {result.extended_days} "
                f"days, i.e. {format_date(result.extended_due, lang)}, by a decision notified before the first delay ends."
            )
        return text + " " + _delay_rules(result, lang)
    text = (
        f"Pour une demande {name} dont le dossier complet et régulier a été reçu le {received}, la décision doit "
        f"intervenir au plus tard le {due} : {result.days} jours (art. {result.article}) à compter de la date de "
        f"réception de la demande accompagnée d'un dossier complet et régulier."
    )
    if result.via:
        text += " " + _via_sentence(result, lang)
    if result.extended_due and result.extended_days:
        text += (
            f" Si une enquête sur place est nécessaire, le Ministre d'État peut proroger ce délai jusqu'à "
            f"{result.extended_days} jours, soit le {format_date(result.extended_due, lang)}, par une décision notifiée "
            "avant l'expiration du premier délai."
        )
    return text + " " + _delay_rules(result, lang)


def _via_sentence(result: DeadlineResult, lang: str) -> str:
    """Say how the request reaches the delay of article 5: article 22 through article 9, article 15 directly."""
    if result.procedure == "transfer":
        if lang == "en":
            return (
                "(A transfer request is examined under the conditions of article 9 (art. 22), which apply the "
                f"delay of article {result.article}.)"
            )
        return (
            "(La demande de transfert est instruite dans les conditions de l'article 9 (art. 22), qui renvoie au "
            f"délai de l'article {result.article}.)"
        )
    if lang == "en":
        return f"(Article {result.via[0]} applies the conditions of articles {result.article} and 6.)"
    return f"(L'article {result.via[0]} renvoie aux conditions des articles {result.article} et 6.)"


def _delay_rules(result: DeadlineResult, lang: str) -> str:
    """Say how the delay is suspended, what silence means, and how the date was counted."""
    suspension = result.suspension.article if result.suspension else result.article
    silence = result.silence.article if result.silence else result.article
    if lang == "en":
        return (
            f"The delay is suspended while further information asked for is awaited (art. {suspension}): the date "
            f"moves back by as many days. Silence when the delay expires means refusal (art. {silence}). The decree "
            "sets no rule on counting the first day; this date adds the days to the receipt date."
        )
    return (
        f"Le délai est suspendu tant que les informations complémentaires demandées ne sont pas reçues "
        f"(art. {suspension}) : la date recule d'autant. Le silence gardé à l'expiration du délai vaut refus "
        f"(art. {silence}). L'arrêté ne fixe pas de règle de computation du premier jour ; la date ajoute les "
        "jours à la date de réception."
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
