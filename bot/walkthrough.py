"""The dossier walkthrough as pure functions over a dossier spec: what to ask next, how to read an answer.

Nothing here stores or sends anything: ``next_step(spec, answers)`` looks at the answers so far and says
which field comes next (or that every field is answered and the review comes), ``read_answer`` turns what
the user typed into the value stored for a field, or into the reason it does not fit.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from bot.i18n import t
from dossier_checker.spec import AdviceSpec, ChoiceSpec, DossierSpec, FieldSpec, condition_fields
from knowledge.dates import DateProblem, read_date
from knowledge.text import fold_words
from nlu.numbers import normalise_digits, read_decimal, read_index

# A skipped optional field is answered with None: asked once, shown as skipped, left out of the letter.
SKIPPED = None

YES_WORDS = frozenset(
    {
        "oui",
        "o",
        "yes",
        "y",
        "yep",
        "yeah",
        "ouais",
        "vrai",
        "true",
        "exact",
        "exactement",
        "affirmatif",
        "bien sur",
    }
)
NO_WORDS = frozenset({"non", "n", "no", "nope", "faux", "false", "pas du tout", "negatif"})
NONE_WORDS = frozenset({"aucun", "aucune", "none", "nothing", "rien", "neant", "sans objet", "n/a", "na"})

# What a required free-text answer of "none" reads as in the (French) letter.
NOTHING = "Néant"
# Word lists of the system (Debian's wfrench and wamerican): which words are French, which English.
FRENCH_WORDS = Path("/usr/share/dict/french")
ENGLISH_WORDS = Path("/usr/share/dict/american-english")


# Everyday names of the categories of article 2, beside their labels (accents and case do not matter).
CATEGORY_WORDS: dict[str, str] = {
    "fabricant": "1", "fabrication": "1", "manufacturer": "1", "manufacturing": "1", "producteur": "1",
    "importateur": "2", "importation": "2", "import": "2", "importer": "2",
    "exploitant": "3", "exploitation": "3", "marketing": "3", "titulaire amm": "3",
    "depositaire": "4", "depot": "4", "depositary": "4",
    "grossiste": "5", "distributeur en gros": "5", "distribution en gros": "5", "wholesaler": "5",
    "wholesale": "5", "grossiste repartiteur": "5", "distributeur": "5",
    "exportateur": "6", "exportation": "6", "export": "6", "exporter": "6", "grossiste exportateur": "6",
    "antiparasitaires": "7", "antiparasitaire": "7", "antiparasitic": "7", "antiparasitics": "7",
    "essais cliniques": "8", "essai clinique": "8", "clinical trials": "8", "clinical trial": "8",
    "premelanges": "9", "premelange": "9", "premix": "9", "premixes": "9",
    "premelanges exportation": "10", "premixes export": "10",
    "aliments medicamenteux": "11", "fabricant d aliments medicamenteux": "11", "medicated feed": "11",
    "importateur d aliments medicamenteux": "12", "medicated feed importer": "12",
    "distributeur d aliments medicamenteux": "13", "medicated feed distributor": "13",
    "exportateur d aliments medicamenteux": "14", "medicated feed export": "14",
}  # fmt: skip


def fold(text: str) -> str:
    """Fold a typed answer into words as they are compared ("5°" keeps its sign)."""
    return fold_words(text, keep="°_")


# ----------------------------------------------------------------------------------------------------------
# Steps


@dataclass(frozen=True)
class Ask:
    """Ask this field; it is number ``number`` of ``total`` fields that apply to these answers."""

    field: FieldSpec
    number: int
    total: int


@dataclass(frozen=True)
class Review:
    """Every field that applies is answered: show the answers for review before finishing."""

    total: int


Step = Ask | Review


def next_step(spec: DossierSpec, answers: Mapping[str, Any]) -> Step:
    """Say what comes next: the first field that applies and has no answer, else the review.

    The total counts every field that applies or may still apply (its condition reads a question not yet
    answered), so it never grows as the walk goes on: it only shrinks when an answer rules questions out.
    """
    active = spec.active_fields(answers)
    possible = [f for f in spec.fields if f in active or condition_fields(f.required_if) - answers.keys()]
    for spec_field in active:
        if spec_field.id not in answers:
            return Ask(spec_field, possible.index(spec_field) + 1, len(possible))
    return Review(len(active))


def answered_fields(spec: DossierSpec, answers: Mapping[str, Any]) -> list[FieldSpec]:
    """List the fields that apply and have an answer (skipped ones included), in spec order."""
    return [f for f in spec.active_fields(answers) if f.id in answers]


def go_back(
    spec: DossierSpec, answers: Mapping[str, Any], history: Sequence[str]
) -> tuple[dict[str, Any], tuple[str, ...], FieldSpec | None]:
    """Undo the last answer that still applies; return the answers, the history and the field reopened."""
    remaining = list(history)
    new_answers = dict(answers)
    active = {f.id for f in spec.active_fields(answers)}
    while remaining:
        field_id = remaining.pop()
        if field_id in active and field_id in new_answers:
            del new_answers[field_id]
            return new_answers, tuple(remaining), spec.field(field_id)
    return new_answers, tuple(remaining), None


def record(
    answers: Mapping[str, Any], history: Sequence[str], field_id: str, value: Any
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Store one answer; the history keeps each field once, in the order last answered."""
    new_answers = dict(answers)
    new_answers[field_id] = value
    return new_answers, (*[h for h in history if h != field_id], field_id)


def new_advice(spec: DossierSpec, answers: Mapping[str, Any], shown: Sequence[str]) -> list[AdviceSpec]:
    """List the conditional advice the answers now call for and that has not been shown yet."""
    return [a for a in spec.applicable_advice(answers) if a.required_if is not None and a.id not in shown]


# ----------------------------------------------------------------------------------------------------------
# Reading answers


@dataclass(frozen=True)
class Accepted:
    """The answer fits: ``value`` is what the dossier stores (JSON: str, bool, number, list of str)."""

    value: Any


@dataclass(frozen=True)
class Rejected:
    """The answer does not fit; ``reason`` is a message id, ``params`` fill it in."""

    reason: str
    params: Mapping[str, Any] = field(default_factory=dict)


Reading = Accepted | Rejected


def read_answer(spec_field: FieldSpec, raw: str, *, today: dt.date | None = None) -> Reading:
    """Read what the user typed as an answer to this field."""
    text = " ".join(raw.split())
    if not text:
        return Rejected("invalid_empty")
    match spec_field.type:
        case "yes_no":
            return _read_yes_no(spec_field, text)
        case "choice":
            return _read_choice(spec_field, text)
        case "categories":
            return _read_categories(spec_field, text)
        case "date":
            return _read_date(spec_field, text, today or dt.date.today())
        case "number":
            return _read_number(spec_field, text)
        case "person_name":
            return _read_name(spec_field, text)
        case "address":
            return _read_text(spec_field, text, need_letter=True)
        case _:
            return _read_text(spec_field, text, need_letter=False)


def _length_limits(spec_field: FieldSpec, text: str) -> Rejected | None:
    low = spec_field.validation.get("min_length")
    high = spec_field.validation.get("max_length")
    if isinstance(low, int) and len(text) < low:
        return Rejected("invalid_too_short", {"minimum": low})
    if isinstance(high, int) and len(text) > high:
        return Rejected("invalid_too_long", {"maximum": high, "length": len(text)})
    pattern = spec_field.validation.get("pattern")
    if isinstance(pattern, str) and not re.fullmatch(pattern, text):
        return Rejected("invalid_format")
    return None


def _read_text(spec_field: FieldSpec, text: str, *, need_letter: bool) -> Reading:
    if fold(text) in NONE_WORDS:
        # "none", "aucune", "n/a": an optional answer is left out, a required one reads "Néant" (in French).
        return Accepted(SKIPPED if not spec_field.required else NOTHING)
    if re.fullmatch(r"\d{1,2}", text):
        # A choice's number typed where a text is asked (a list read on an earlier question): never a value.
        return Rejected("invalid_bare_number", {"answer": text})
    problem = _length_limits(spec_field, text)
    if problem is not None:
        return problem
    if not any(c.isalnum() for c in text):
        return Rejected("invalid_no_letters")
    if need_letter and not any(c.isalpha() for c in text):
        return Rejected("invalid_address")
    return Accepted(text)


def _read_name(spec_field: FieldSpec, text: str) -> Reading:
    problem = _length_limits(spec_field, text)
    if problem is not None:
        return problem
    if any(c.isdigit() for c in text):
        return Rejected("invalid_name_digits")
    if not all(c.isalpha() or c in " -'’.," for c in text) or not any(c.isalpha() for c in text):
        return Rejected("invalid_name_characters")
    return Accepted(text)


def _read_yes_no(spec_field: FieldSpec, text: str) -> Reading:
    folded = fold(text)
    if folded in YES_WORDS or folded.startswith(("oui ", "yes ")):
        return Accepted(True)
    if folded in NO_WORDS or folded.startswith(("non ", "no ")):
        return Accepted(False)
    if folded in {"1", "2"}:
        return Accepted(folded == "1")
    return Rejected("invalid_yes_no")


def choice_label(choice: ChoiceSpec, lang: str) -> str:
    """Return a choice's label in this language."""
    return choice.label.get(lang) or next(iter(choice.label.values()))


def _match_choice(choices: Sequence[ChoiceSpec], text: str) -> ChoiceSpec | None:
    folded = fold(text)
    index = read_index(text, len(choices))
    if index is not None:
        return choices[index - 1]
    for choice in choices:
        if fold(choice.value) == folded or any(fold(lbl) == folded for lbl in choice.label.values()):
            return choice
    # A distinctive part of a label ("société" for "Une société", "SARL").
    partial = [
        c
        for c in choices
        if len(folded) >= 3
        and any(re.search(rf"\b{re.escape(folded)}\b", fold(lbl)) for lbl in (c.value, *c.label.values()))
    ]
    if len(partial) == 1:
        return partial[0]
    names = {fold(lbl): c for c in choices for lbl in (c.value, *c.label.values())}
    close = _close_matches(folded, names, limit=2, cutoff=80)
    if len(close) == 1 or (len(close) == 2 and names[close[0]] is names[close[1]]):
        return names[close[0]]
    return None


def _close_matches(word: str, names: Iterable[str], *, limit: int, cutoff: float) -> list[str]:
    """Return the names closest to a typed word (best first), at least ``cutoff`` % alike (rapidfuzz)."""
    return [
        name
        for name, _, _ in process.extract(
            word, list(names), scorer=fuzz.ratio, limit=limit, score_cutoff=cutoff
        )
    ]


def _read_choice(spec_field: FieldSpec, text: str) -> Reading:
    choice = _match_choice(spec_field.choices, text)
    if choice is None:
        return Rejected("invalid_choice", {"answer": text})
    return Accepted(choice.value)


def _category_names(choices: Sequence[ChoiceSpec]) -> dict[str, str]:
    names = dict(CATEGORY_WORDS)
    for choice in choices:
        for label in choice.label.values():
            # "5° Distributeur en gros de médicaments vétérinaires" -> "distributeur en gros de ..."
            names[fold(re.sub(r"^\s*\d+\s*°?\s*", "", label))] = choice.value
    return names


def _read_categories(spec_field: FieldSpec, text: str) -> Reading:
    known = {c.value for c in spec_field.choices}
    names = _category_names(spec_field.choices)
    values: list[str] = []
    folded_all = fold(text)
    if re.fullmatch(r"[\d\s°,;./+et&and-]+", text.casefold()) and re.search(r"\d", text):
        # Numbers only: "1, 5 et 11", "1 5 11", "5°".
        for token in re.findall(r"\d+", text):
            if token.lstrip("0") not in known:
                return Rejected("invalid_category_number", {"answer": token, "count": len(known)})
            values.append(token.lstrip("0"))
    elif folded_all in {"toutes", "tout", "all"}:
        values = list(known)
    else:
        parts = [p.strip() for p in re.split(r"[,;/+\n]|\bet\b|\band\b|&", text) if p.strip()]
        for part in parts:
            folded = fold(part)
            number = re.fullmatch(r"(\d+)\s*°?(?:\s+.*)?", folded)
            if number and number.group(1).lstrip("0") in known:
                values.append(number.group(1).lstrip("0"))
                continue
            if folded in names:
                values.append(names[folded])
                continue
            close = _close_matches(folded, names, limit=3, cutoff=75)
            candidates = {names[c] for c in close}
            if len(candidates) == 1:
                values.append(candidates.pop())
                continue
            return Rejected("invalid_category", {"answer": part})
    unique = sorted(set(values), key=int)
    low = spec_field.validation.get("min_items")
    high = spec_field.validation.get("max_items")
    if not unique or (isinstance(low, int) and len(unique) < low):
        return Rejected("invalid_category", {"answer": text})
    if isinstance(high, int) and len(unique) > high:
        return Rejected("invalid_too_many", {"maximum": high})
    return Accepted(unique)


def _date_bound(value: object, today: dt.date) -> dt.date | None:
    if value is None:
        return None
    if value == "today":
        return today
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def parse_date(text: str) -> dt.date | Rejected:
    """Read a date typed as 15/09/2026, 2026-09-15, 15.09.26, "15 septembre 2026" or "September 15, 2026"."""
    parsed = read_date(normalise_digits(text))
    return Rejected(parsed.code, parsed.params) if isinstance(parsed, DateProblem) else parsed


def _read_date(spec_field: FieldSpec, text: str, today: dt.date) -> Reading:
    parsed = parse_date(text)
    if isinstance(parsed, Rejected):
        return parsed
    earliest = _date_bound(spec_field.validation.get("not_before"), today)
    latest = _date_bound(spec_field.validation.get("not_after"), today)
    if earliest and parsed < earliest:
        return Rejected("invalid_date_past", {"earliest": earliest.strftime("%d/%m/%Y")})
    if latest and parsed > latest:
        return Rejected("invalid_date_future", {"latest": latest.strftime("%d/%m/%Y")})
    return Accepted(parsed.isoformat())


def _read_number(spec_field: FieldSpec, text: str) -> Reading:
    read = read_decimal(text)
    if read is None:
        return Rejected("invalid_number")
    value: int | float = read
    if spec_field.validation.get("integer") and not float(value).is_integer():
        return Rejected("invalid_integer")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    low = spec_field.validation.get("min")
    high = spec_field.validation.get("max")
    if isinstance(low, int | float) and value < low:
        return Rejected("invalid_number_low", {"minimum": low})
    if isinstance(high, int | float) and value > high:
        return Rejected("invalid_number_high", {"maximum": high})
    return Accepted(value)


# ----------------------------------------------------------------------------------------------------------
# Showing answers


def display_value(spec_field: FieldSpec, value: Any, lang: str, *, skipped: str = "—") -> str:
    """Render a stored answer for people (review screen, letter)."""
    if value is None:
        return skipped
    if spec_field.type == "yes_no":
        yes = value is True or fold(str(value)) in YES_WORDS
        return t(lang, "value_yes" if yes else "value_no")
    if spec_field.type in {"choice", "categories"}:
        items = value if isinstance(value, list) else [value]
        labels = []
        for item in items:
            choice = spec_field.choice(item)
            labels.append(choice_label(choice, lang) if choice else str(item))
        return t(lang, "item_separator").join(labels)
    if spec_field.type == "date":
        try:
            return dt.date.fromisoformat(str(value)).strftime("%d/%m/%Y")
        except ValueError:
            return str(value)
    return str(value)


# ----------------------------------------------------------------------------------------------------------
# The letter is French: tell an English answer from a French one


@cache
def _words(path: Path) -> frozenset[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return frozenset(line.strip().casefold() for line in fh if line.strip())
    except OSError:
        return frozenset()


def looks_english(text: str) -> bool:
    """Tell whether a free-text answer reads as English rather than French (word lists; French when unsure)."""
    french, english = _words(FRENCH_WORDS), _words(ENGLISH_WORDS)
    if not french or not english:
        return False
    score = 0
    words: list[str] = []
    for compound in re.findall(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", text.casefold()):
        # "week-end" is one French word; "state-of-the-art" is English words.
        known = compound in french or compound in english
        words += [compound] if known else re.split(r"['’-]", compound)
    for word in words:
        if len(word) < 2:
            continue
        in_fr, in_en = word in french, word in english
        if in_en and not in_fr:
            score += 1
        elif in_fr and not in_en:
            score -= 1
    if re.search(r"[éèêàùçôîœâûëïü]", text.casefold()):
        score -= 1
    return score > 0


def date_notice(spec_field: FieldSpec, value: Any, today: dt.date | None = None) -> Rejected | None:
    """Say when an accepted date falls inside the decision delay the decree gives the ministry (a notice)."""
    days = spec_field.validation.get("notice_within_days")
    if spec_field.type != "date" or not isinstance(days, int) or not isinstance(value, str):
        return None
    try:
        chosen = dt.date.fromisoformat(value)
    except ValueError:
        return None
    earliest = (today or dt.date.today()) + dt.timedelta(days=days)
    if chosen >= earliest:
        return None
    article = str(spec_field.validation.get("notice_article") or spec_field.article)
    return Rejected(
        "notice_date_within_delay",
        {"days": days, "article": article, "earliest": earliest.strftime("%d/%m/%Y")},
    )
