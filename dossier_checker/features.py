"""What a page says and how it looks: OCR-tolerant phrase matching and structural features.

The only module that uses rapidfuzz. Texts are folded (lower case, no accents, punctuation as spaces)
so that "Procès-Verbal", "PROCES VERBAL" and an OCR'd "proces-verbaI" meet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from dossier_checker.model import Page
from dossier_checker.tuning import tuning
from knowledge.text import fold_words

FUZZY_MIN_LENGTH = 8  # shorter phrases must match exactly: fuzzy short words match anything
FUZZY_CUTOFF = 87.0


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """Fold page text for matching: words of letters and digits (cached: pages repeat phrases)."""
    return fold_words(text)


@dataclass(frozen=True)
class Folded:
    """A text folded once, for many phrase look-ups."""

    text: str
    padded: str  # with spaces around, for whole-word matches
    fuzzy: bool  # allow approximate matches (OCR text)

    @classmethod
    def of(cls, text: str, fuzzy: bool) -> Folded:
        """Fold a text once for many look-ups."""
        folded = fold(text)
        return cls(folded, f" {folded} ", fuzzy)


def find_phrase(phrase: str, where: Folded) -> bool:
    """Tell whether a phrase occurs in a folded text, tolerating OCR errors on long phrases."""
    needle = fold(phrase)
    if not needle:
        return False
    if f" {needle} " in where.padded:
        return True
    if len(needle) < FUZZY_MIN_LENGTH or len(where.text) < len(needle):
        return False
    if not where.fuzzy and needle in where.text:
        return True  # a word split differently (hyphenation) in a clean text layer
    if where.fuzzy:
        return fuzz.partial_ratio(needle, where.text, score_cutoff=FUZZY_CUTOFF) > 0
    return False


def phrase_position(phrase: str, line: Folded, cutoff: float = FUZZY_CUTOFF) -> int | None:
    """Return where a phrase starts in a folded line (OCR-tolerant on long phrases), or None."""
    needle = fold(phrase)
    if not needle:
        return None
    at = line.padded.find(f" {needle} ")
    if at >= 0:
        return at
    if not line.fuzzy or len(needle) < FUZZY_MIN_LENGTH or len(line.text) < len(needle):
        return None
    found = fuzz.partial_ratio_alignment(needle, line.text, score_cutoff=cutoff)
    return None if found is None else found.dest_start


def similar_name(name: str, text: Folded, cutoff: float = 85.0) -> bool:
    """Tell whether a person's name appears in a text, allowing OCR errors and missing accents."""
    needle = fold(name)
    if not needle:
        return True
    if f" {needle} " in text.padded:
        return True
    if len(needle) < 4:
        return False
    return fuzz.partial_ratio(needle, text.text, score_cutoff=cutoff) > 0


# ----------------------------------------------------------------------------------------------------------
# Structural features: names are those of dossier_checker.spec.KNOWN_FEATURES.

_DIMENSION = re.compile(
    r"(?<![\d.,])(?:\d{1,3}[.,]\d{1,2}\s?(?:m|cm|mm)?|\d{2,4}\s?(?:m|cm|mm))(?![\d.,]?\d)(?!\s?(?:m²|m2|€|eur|%))",
    re.IGNORECASE,
)
# Feet and inches: 14' x 8', 9' 3", 11'-3", 12 ft 6 in (OCR reads the marks as ’ ” or doubled quotes).
_FEET = re.compile(
    r"(?<![\w.])\d{1,3}\s?(?:'|’|‘|ft\b|feet\b)(?:\s?-?\s?\d{1,2}(?:\.\d+)?\s?(?:\"|”|''|in\b))?"
    r"|(?<![\w.'’])\d{1,3}\s?(?:\"|”|'')",  # inches alone: 9", 10 3" as OCR reads them
    re.IGNORECASE,
)
_BARE = re.compile(r"(?<![\w.,'’])(\d{2,4})(?![\w.,'’%€²]|\s?(?:m²|m2|€|eur|%))")
_SCALE = re.compile(
    r"(?:[ée]chelle|scale|scala)\s*:?\s*1\s*[:/]\s*\d{2,4}|\b1\s*[:/]\s*(?:50|100|200|250|500)\b", re.I
)
_ARTICLE = re.compile(
    r"^\s*(?:(?:article|articolo|art\.)\s+(?:\d{1,3}|premier|1er|[IVXL]{1,6}\b)"
    r"|(?:first|second|third|fourth|fifth|sixth|seventh|eighth)\s*[:.])",
    re.IGNORECASE | re.MULTILINE,
)
# Numbered headings without the word "article" ("1 Constitution et dénomination", "2. Objet"): weaker.
_HEADING = re.compile(
    r"^\s*\d{1,2}(?:\.\d{1,2})?\.?\s+[A-ZÉÈÀ][a-zéèêàç']{2,}(?:\s+\S+){0,5}\s*$", re.MULTILINE
)
_REGISTRATION = re.compile(
    r"\b(?:RCI|R\.C\.I\.|RCS|R\.C\.S\.)\b[^\n]{0,40}?\d{2}\s?[A-Z]?\s?\d{3,6}"
    r"|\b\d{2}\s?S\s?\d{4,6}\b|\b\d{3}\s?\d{3}\s?\d{3}\b(?=[^\n]{0,30}(?:RCS|R\.C\.S|SIREN))"
    r"|\b(?:SIREN|SIRET)\b[^\n]{0,10}\d{3}\s?\d{3}\s?\d{3}",
    re.IGNORECASE,
)
_MONTHS = (
    "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre"
    "|january|february|march|april|may|june|july|august|september|october|november|december"
    "|gennaio|febbraio|marzo|aprile|maggio|giugno|luglio|agosto|settembre|ottobre|novembre|dicembre"
)
DATE = re.compile(
    rf"\b(?P<d>[0-3]?\d)(?:er)?\s*(?:[./-]\s*(?P<m>[01]?\d)\s*[./-]|\s+(?P<mon>{_MONTHS})\s+)\s*(?P<y>(?:19|20)\d\d)\b",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(
    r"\bfait\s+(?:a|à)\s+\w+|\bsignature\b|\ble\s+pr[ée]sident\b|\blu\s+et\s+approuv[ée]|\bsigned\b|\bfirma\b",
    re.IGNORECASE,
)
_MONEY = re.compile(r"\d[\d\s.]*[.,]\d{2}\s?(?:€|eur\b|euros?\b)|€\s?\d", re.IGNORECASE)


def page_features(page: Page) -> dict[str, float]:
    """Measure a page's structural features; each value is a strength between 0 and 1."""
    text = page.text
    vectors = page.lines + page.rects + page.curves
    drawing = 1.0 if vectors >= 40 else (0.6 if vectors >= 20 else 0.0)
    dimensions = _dimensions(text, drawing)
    rooms = len(room_labels(text))
    wanted = tuning().plans.room_labels_min
    articles = len(_ARTICLE.findall(text))
    headings = len(_HEADING.findall(text))
    dates = len(DATE.findall(text))
    return {
        "drawing": drawing,
        "dimension_labels": 1.0 if dimensions >= 4 else (0.5 if dimensions >= 2 else 0.0),
        "scale": 1.0 if _SCALE.search(text) else 0.0,
        "numbered_articles": 1.0 if articles >= 3 else (0.5 if articles >= 1 or headings >= 3 else 0.0),
        "registration_number": 1.0 if _REGISTRATION.search(text) else 0.0,
        "signature": 1.0 if _SIGNATURE.search(text) else 0.0,
        "date": 1.0 if dates else 0.0,
        "money_amounts": 1.0 if len(_MONEY.findall(text)) >= 3 else 0.0,
        "room_labels": 1.0 if rooms >= wanted else (0.5 if rooms >= max(1, wanted - 1) else 0.0),
        "before_after": 1.0 if drawing >= 0.6 and plan_states(text) == {"before", "after"} else 0.0,
    }


def _dimensions(text: str, drawing: float) -> int:
    """Count a page's lengths; on a drawing with few of them, bare centimetre figures ("350") count too."""
    dimensions = len(_DIMENSION.findall(text)) + len(_FEET.findall(text))
    if drawing < 0.6 or dimensions >= 4:
        return dimensions
    plans = tuning().plans
    # Distinct values: two OCR readings of one drawing may both hold the same figure.
    bare = {
        int(n)
        for n in _BARE.findall(text)
        if plans.bare_cm_min <= int(n) <= plans.bare_cm_max and not 1900 <= int(n) <= 2099  # no years
    }
    return dimensions + (len(bare) if len(bare) >= plans.bare_cm_count else 0)


@lru_cache(maxsize=1)
def _room_patterns() -> tuple[tuple[str, str], ...]:
    return tuple((label, f" {fold(label)} ") for label in tuning().room_labels)


def room_labels(text: str) -> frozenset[str]:
    """Return the distinct room labels of a plan ("kitchen", "stockage", "ufficio"), plural or not."""
    padded = f" {fold(text)} "
    found: set[str] = set()
    for label, needle in _room_patterns():
        if needle in padded or f"{needle[:-1]}s " in padded:
            found.add(fold(label))
    return frozenset(found)


SHORT_LINE_WORDS = 9  # a state marker counts in a title or a caption, not inside a sentence


def plan_states(text: str) -> set[str]:
    """Tell which states ("before", "after") a plan's titles and captions name, in FR, EN or IT."""
    states: set[str] = set()
    settings = tuning()
    for line in text.splitlines():
        folded = fold(line)
        if not folded or len(folded.split()) > SHORT_LINE_WORDS:
            continue
        padded = f" {folded} "
        for name, markers in (("before", settings.before_markers), ("after", settings.after_markers)):
            if any(f" {fold(m)}{end} " in padded for m in markers for end in ("", "s", "es")):
                states.add(name)
    return states


def dimension_count(text: str) -> int:
    """Count labels that read as lengths ("12,50 m", "4.20", "350 cm")."""
    return len(_DIMENSION.findall(text))
