"""OCR repairs of the Journal de Monaco text, as a table: each repair is named, described and counted."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Repair:
    """One kind of OCR defect and how to mend it."""

    id: str
    description: str
    apply: Callable[[str], tuple[str, list[tuple[str, str]]]]  # text -> (repaired, [(before, after), ...])


@dataclass(frozen=True)
class RepairLog:
    """What one repair changed in a text."""

    repair_id: str
    changes: tuple[tuple[str, str], ...]


_ITEM = r"\d{1,2}[°8]"
# An enumeration of items of article 2: "au 18 ou au 28 du présent article", "aux 18 et 2° de l'article 2".
_ITEM_SPAN = re.compile(
    rf"\baux?\s+{_ITEM}(?:\s*(?:,|et|ou|à)\s*(?:aux?\s+)?{_ITEM})*"
    r"(?=\s+(?:de l'article 2\b|du présent article))"
)
_DEGREE_AS_8 = re.compile(r"\b([1-9])8\b")


def _degree_read_as_eight(text: str) -> tuple[str, list[tuple[str, str]]]:
    changes: list[tuple[str, str]] = []

    def fix_span(match: re.Match[str]) -> str:
        span = match.group(0)
        fixed = _DEGREE_AS_8.sub(lambda m: m.group(1) + "°", span)
        if fixed != span:
            changes.append((span, fixed))
        return fixed

    return _ITEM_SPAN.sub(fix_span, text), changes


def _regex_repair(pattern: str, replacement: str) -> Callable[[str], tuple[str, list[tuple[str, str]]]]:
    compiled = re.compile(pattern)

    def apply(text: str) -> tuple[str, list[tuple[str, str]]]:
        changes: list[tuple[str, str]] = []

        def sub(match: re.Match[str]) -> str:
            after = match.expand(replacement)
            changes.append((match.group(0), after))
            return after

        return compiled.sub(sub, text), changes

    return apply


def _join_broken_lines(text: str) -> tuple[str, list[tuple[str, str]]]:
    """Join a line break inside a paragraph, unless the next line starts an item ("- ", "1°", "a)")."""
    changes: list[tuple[str, str]] = []
    pattern = re.compile(
        r"([^\n])\n(?!\n|- |\d{1,2}°|[a-h]\) |[IVX]+ - |Art\. \d|Article Premier|SECTION )([^\n])"
    )

    def sub(match: re.Match[str]) -> str:
        changes.append((match.group(0), f"{match.group(1)} {match.group(2)}"))
        return f"{match.group(1)} {match.group(2)}"

    return pattern.sub(sub, text), changes


REPAIRS: tuple[Repair, ...] = (
    Repair(
        "degree-read-as-8",
        "'°' read as '8' in references to items of article 2: '18', '28', '48' mean 1°, 2°, 4°",
        _degree_read_as_eight,
    ),
    Repair(
        "oeuvre",
        "'œ' dropped: 'mise en ouvre' is 'mise en œuvre'",
        _regex_repair(r"\bmise en ouvre\b", "mise en œuvre"),
    ),
    Repair(
        "missing-space-after-period",
        "two sentences glued: 'publique.Le pharmacien'",
        _regex_repair(r"(?<=[a-zéèêàùç])\.(?=[A-ZÉÈ][a-zéèêàùç])", ". "),
    ),
    Repair("broken-line", "a sentence broken across two lines is one paragraph", _join_broken_lines),
)


def apply_repairs(text: str) -> tuple[str, tuple[RepairLog, ...]]:
    """Apply every repair of the table, in order; return the text and what each repair changed."""
    logs: list[RepairLog] = []
    for repair in REPAIRS:
        text, changes = repair.apply(text)
        logs.append(RepairLog(repair.id, tuple(changes)))
    return text, tuple(logs)


_NUMBER = re.compile(r"\d+(?:[.,/-]\d+)*")


def legal_numbers(text: str) -> Counter[str]:
    """Count the numbers of a text (article numbers, delays, law numbers, dates) to check repairs keep them."""
    return Counter(_NUMBER.findall(text))
