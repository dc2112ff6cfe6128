"""Cross-checks between the answers and the documents, and between the documents themselves.

A document that names the company (statutes, registration extract, lease) keeps a few identity features
when it is checked: its folded text, the legal forms and the register it names, its registration numbers
and the company name it states. The warnings are recomputed from those features and the answers each
time either changes (a corrected company name, another document), so they never go stale. The rules a
piece runs are the dossier rules of its spec's ``checks`` (dossier_checker.rules, scope "dossier": rule ->
the answer field it reads), each implemented once here, in ``CROSS_RULES``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from dossier_checker.features import Folded, fold, similar_name
from dossier_checker.model import PieceWarning
from dossier_checker.spec import DossierSpec
from dossier_checker.tuning import tuning

# Warnings recomputed from stored features: a stored copy of them read answers that may have changed.
CROSS_WARNINGS: frozenset[str] = frozenset(
    {
        "warn_company_name_differs",
        "warn_registration_other_company",
        "warn_company_form_differs",
        "warn_registration_foreign",
        "warn_address_differs",
        "warn_registration_number_differs",
        "warn_company_name_absent",
    }
)
# A registration extract of another company, or of a foreign register, does not prove this one exists.
DOUBTFUL: frozenset[str] = frozenset({"warn_registration_other_company", "warn_registration_foreign"})

# Legal forms as the answers name them (config/dossiers/opening.yaml, company_form) and as documents
# write them: the abbreviation (with or without dots, in capitals) or the words, folded.
_FORMS: tuple[tuple[str, str, str], ...] = (
    ("SAM", r"S\.?\s?A\.?\s?M", "societe anonyme monegasque"),
    ("SARL", r"S\.?\s?A\.?\s?R\.?\s?L", "societe a responsabilite limitee"),
    ("SAS", r"S\.?\s?A\.?\s?S(?:\.?\s?U)?", "societe par actions simplifiee"),
    ("SNC", r"S\.?\s?N\.?\s?C", "societe en nom collectif"),
    ("SCS", r"S\.?\s?C\.?\s?S", "societe en commandite simple"),
)
MONACO_FORMS: frozenset[str] = frozenset({"SAM", "SARL", "SNC", "SCS"})  # the forms the walkthrough offers
_RCI = re.compile(r"\bR\.?\s?C\.?\s?I\b|repertoire du commerce et de l industrie", re.IGNORECASE)
_RCS = re.compile(
    r"\bR\.?\s?C\.?\s?S\b|registre du commerce et des societes|\bk\s?bis\b|\bsiren\b|greffe du tribunal",
    re.IGNORECASE,
)
_RCI_NUMBER = re.compile(r"(?<![\w])(\d{2})\s?([SPsp])\s?(\d{4,6})(?![\w])")
_SIREN = re.compile(r"(?<!\d)(?<!\d\s)(\d{3})\s?(\d{3})\s?(\d{3})(?![\d])")
_NAME_LINE = re.compile(
    r"(?:d[ée]nomination(?:\s+sociale)?(?:\s+ou\s+raison\s+sociale)?|raison\s+sociale)\s*:\s*"
    r"(?P<name>[^\n:]{2,80}?)\s*(?:\s{2,}|forme\s+juridique|$)",
    re.IGNORECASE | re.MULTILINE,
)
_NAME_QUOTED = re.compile(
    r"d[ée]nomination\s+(?:de|suivante)?\s*:?\s*[«\"]\s*(?P<name>[^»\"\n]{2,80}?)\s*[»\"]"
)
_CITY_WORDS = frozenset(
    {"monaco", "98000", "mc", "principaute", "de", "la", "le", "les", "du", "des", "l", "d"}
)
FEATURE_TEXT_CHARS = 6000


def legal_forms(text: str) -> list[str]:
    """Name the legal forms a document writes (abbreviation in capitals, or in words)."""
    folded = f" {fold(text)} "
    found = []
    for code, abbreviation, words in _FORMS:
        if re.search(rf"(?<![A-Za-z]){abbreviation}\.?(?![A-Za-z])", text) or f" {words} " in folded:
            found.append(code)
    return found


def registry(text: str) -> str:
    """Tell which register a registration extract comes from: Monaco's RCI, a French RCS, or neither."""
    folded = fold(text)
    head = fold(text[:800])
    for where in (head, folded):
        rci, rcs = bool(_RCI.search(where)), bool(_RCS.search(where))
        if rci != rcs:
            return "rci" if rci else "rcs"
    return ""


def _numbers_in(line: str) -> list[str]:
    numbers = [f"{y}{letter.upper()}{int(serial):05d}" for y, letter, serial in _RCI_NUMBER.findall(line)]
    return numbers + [a + b + c for a, b, c in _SIREN.findall(line)]


def _names_register(line: str) -> bool:
    folded = fold(line)
    return bool(_RCI.search(folded) or _RCS.search(folded) or "immatricul" in folded)


def registration_numbers(text: str) -> list[str]:
    """Return the registration numbers on lines naming a register, normalised ("12S05678", "123456789")."""
    return list(
        dict.fromkeys(n for line in text.splitlines() if _names_register(line) for n in _numbers_in(line))
    )


def numbered_lines(text: str) -> str:
    """Keep the lines that give a registration number, each with the line before (who it belongs to)."""
    lines = text.splitlines()
    kept = []
    for i, line in enumerate(lines):
        before = lines[i - 1] if i else ""
        if _numbers_in(line) and (_names_register(line) or _names_register(before)):
            kept.append(fold(f"{before} {line}"))
    return "\n".join(kept)


def stated_name(text: str) -> str:
    """Return the company name a document states ("Dénomination : X", "la dénomination de « X »")."""
    for pattern in (_NAME_LINE, _NAME_QUOTED):
        match = pattern.search(text)
        if match:
            return " ".join(match.group("name").split())
    return ""


def identity_features(text: str) -> dict[str, str]:
    """Keep what the cross-checks read of a document (personal data: kept as long as its report)."""
    return {
        "text": fold(text)[:FEATURE_TEXT_CHARS],
        "forms": ",".join(legal_forms(text)),
        "registry": registry(text),
        "numbers": ",".join(registration_numbers(text)),
        "name": stated_name(text),
        "numbered_lines": numbered_lines(text),
    }


_FORM_WORDS = re.compile(
    r"\b(?:s a m|sam|s a r l|sarl|s a s u?|sasu?|s n c|snc|s c s|scs|societe|ste)\b"
    r"|\b(?:anonyme monegasque|a responsabilite limitee|par actions simplifiee|en nom collectif|"
    r"en commandite simple)\b"
)


def _bare_name(name: str) -> str:
    """Fold a company name without its legal form ("Vetopharm S.A.M." -> "vetopharm")."""
    return " ".join(_FORM_WORDS.sub(" ", fold(name)).split())


def same_company(answer: str, name: str) -> bool:
    """Tell whether two company names are the same one (legal form aside, OCR-tolerant)."""
    a, b = _bare_name(answer), _bare_name(name)
    if not a or not b:
        return True
    return a == b or fuzz.token_set_ratio(a, b) >= tuning().crosscheck.name_cutoff


def _names_company(answer: str, text: str) -> bool:
    bare = _bare_name(answer)
    return not bare or similar_name(bare, Folded.of(text, True), tuning().crosscheck.name_cutoff)


def address_found(address: str, text: str) -> bool:
    """Tell whether an address is written in a folded text: its house number exactly, its street fuzzily."""
    words = [w for w in fold(address).split() if w not in _CITY_WORDS]
    number = next((w for w in words if w.isdigit()), "")
    street = " ".join(w for w in words if not w.isdigit() and len(w) > 1)
    cutoff = tuning().crosscheck.address_cutoff
    if not street:
        return not number or f" {number} " in f" {text} "
    if not number:
        return fuzz.partial_ratio(street, text, score_cutoff=cutoff) > 0
    for match in re.finditer(rf"(?<!\d){number}(?!\d)", text):
        window = text[match.end() : match.end() + len(street) + 12]  # "12, rue", "12 bis rue"
        if fuzz.partial_ratio(street, window, score_cutoff=cutoff) > 0:
            return True
    return False


Found = tuple[str, tuple[tuple[str, str], ...]] | None  # a warning's code and parameters, or none


@dataclass(frozen=True)
class Reading:
    """One document as the dossier rules read it: its stored identity features, and the dossier around it."""

    stored: Mapping[str, str]
    extract: bool = False  # the piece is the registration extract (it runs monaco_registry)
    registered: Sequence[str] = ()  # the numbers on the dossier's registration extract

    @property
    def text(self) -> str:
        """Return the document's folded text."""
        return self.stored.get("text", "")


def _company_name(doc: Reading, answer: str) -> Found:
    """The company name the document states is the answer's (else: it names the company somewhere)."""
    if not answer:
        return None
    name = doc.stored.get("name", "")
    if name and not same_company(answer, name):
        code = "warn_registration_other_company" if doc.extract else "warn_company_name_differs"
        return code, (("name", answer), ("found", name))
    if not name and not _names_company(answer, doc.text):
        return "warn_company_name_absent", (("name", answer),)
    return None


def _legal_form(doc: Reading, answer: str) -> Found:
    """The legal form the document writes is the answer's."""
    forms = [f for f in doc.stored.get("forms", "").split(",") if f]
    if answer in MONACO_FORMS and forms and answer not in forms:
        return "warn_company_form_differs", (("form", answer), ("found", forms[0]))
    return None


def _monaco_registry(doc: Reading, answer: str) -> Found:
    """A Monaco company's registration extract comes from Monaco's register, not a French one."""
    if answer in MONACO_FORMS and doc.stored.get("registry") == "rcs":
        return "warn_registration_foreign", (("form", answer),)
    return None


def _address(doc: Reading, answer: str) -> Found:
    """The answer's address is written on the document."""
    if answer and not address_found(answer, doc.text):
        return "warn_address_differs", (("address", answer),)
    return None


def _registration_number(doc: Reading, answer: str) -> Found:
    """The company's registration number on the document is the one on the registration extract."""
    if not doc.registered or not answer:
        return None
    # Numbers given for this company (on a line naming it), of the extract's register.
    monaco = doc.registered[0][2:3].isalpha()
    numbers = [
        n
        for line in doc.stored.get("numbered_lines", "").splitlines()
        if _names_company(answer, line)
        for n in _numbers_in(line)
        if n[2:3].isalpha() == monaco
    ]
    if numbers and not set(numbers) & set(doc.registered):
        return "warn_registration_number_differs", (
            ("number", _shown(numbers[0])),
            ("registered", _shown(doc.registered[0])),
        )
    return None


# The dossier rules of dossier_checker.rules (scope "dossier"), each implemented once: rule -> check.
CROSS_RULES: dict[str, Callable[[Reading, str], Found]] = {
    "company_name": _company_name,
    "legal_form": _legal_form,
    "monaco_registry": _monaco_registry,
    "address": _address,
    "registration_number": _registration_number,
}


def cross_warnings(
    rules: Mapping[str, str],
    article: str,
    stored: Mapping[str, str],
    answers: Mapping[str, object],
    registered: Sequence[str] = (),
) -> list[PieceWarning]:
    """Compare one document's identity features with the answers (and the registration extract's numbers)."""
    doc = Reading(stored, "monaco_registry" in rules, registered)
    if not doc.text:
        return []
    warnings: list[PieceWarning] = []
    for rule, field in rules.items():
        found = CROSS_RULES[rule](doc, str(answers.get(field) or "").strip() if field else "")
        if found is not None:
            warnings.append(PieceWarning(found[0], article, found[1]))
    return warnings


def dossier_cross_warnings(
    spec: DossierSpec, features: Mapping[str, Mapping[str, str]], answers: Mapping[str, object]
) -> dict[str, list[PieceWarning]]:
    """Cross-check every piece found (its stored features, by piece id) against the answers and each other."""
    registered = [
        n
        for piece in spec.pieces
        if "monaco_registry" in piece.cross_checks
        for n in features.get(piece.id, {}).get("numbers", "").split(",")
        if n
    ]
    found: dict[str, list[PieceWarning]] = {}
    for piece in spec.pieces:
        stored = features.get(piece.id)
        if piece.cross_checks and stored:
            found[piece.id] = cross_warnings(piece.cross_checks, piece.article, stored, answers, registered)
    return found


def _shown(number: str) -> str:
    if len(number) == 8 and number[2].isalpha():
        return f"{number[:2]} {number[2]} {number[3:]}"
    return " ".join(number[i : i + 3] for i in range(0, len(number), 3))


def date_warnings(
    dates: Sequence[tuple[str, str, Mapping[str, object], object]], today: dt.date
) -> list[PieceWarning]:
    """Weigh the answered dates against today: passed, or inside the ministry's decision delay.

    ``dates``: (field id, article, validation, value) for each date the answers hold.
    """
    warnings: list[PieceWarning] = []
    for field, article, validation, value in dates:
        try:
            chosen = dt.date.fromisoformat(str(value))
        except ValueError:
            continue
        shown = chosen.strftime("%d/%m/%Y")
        days = validation.get("notice_within_days")
        delay_article = str(validation.get("notice_article") or article)
        if validation.get("not_before") == "today" and chosen < today:
            warnings.append(PieceWarning("warn_date_past", article, (("field", field), ("date", shown))))
        elif isinstance(days, int) and chosen < today + dt.timedelta(days=days):
            earliest = (today + dt.timedelta(days=days)).strftime("%d/%m/%Y")
            warnings.append(
                PieceWarning(
                    "warn_date_within_delay",
                    delay_article,
                    (("field", field), ("date", shown), ("days", str(days)), ("earliest", earliest)),
                )
            )
    return warnings
