"""Find the citations in an article: parts of the same text, and other texts kept as named references."""

from __future__ import annotations

import re
from collections.abc import Iterable

from knowledge.model import Reference

# Texts the decree cites; ids are stable, titles are as the decree names them.
EXTERNAL_TEXTS: dict[str, str] = {
    "loi-1.257": "Loi n° 1.257 du 12 juillet 2002 sur le médicament vétérinaire",
    "os-7.391": "Ordonnance souveraine n° 7.391 du 17 juin 1982",
    "os-15.713": "Ordonnance souveraine n° 15.713 du 3 mars 2003 relative à la mise sur le marché des médicaments vétérinaires",
    "am-81-477": "Arrêté ministériel n° 81-477 du 29 septembre 1981 relatif à la pharmacie vétérinaire",
    "am-2003-173": "Arrêté ministériel n° 2003-173 du 3 mars 2003 relatif à la pharmacovigilance vétérinaire",
    "am-2003-174": "Arrêté ministériel n° 2003-174 du 3 mars 2003 fixant les conditions d'expérimentation des médicaments vétérinaires",
    "dir-2001-82-ce": "Directive 2001/82/CE du Parlement européen et du Conseil du 6 novembre 2001",
    "dir-90-167-cee": "Directive 90/167/CEE du Conseil du 26 mars 1990",
}

# Citations the text makes without a number: the institution named is defined by another article.
# (citing article, phrase in it, cited article, why)
IMPLICIT_REFERENCES: tuple[tuple[str, str, str, str], ...] = (
    (
        "7",
        "informations et pièces mentionnées ci-dessus",
        "6",
        "the request's content and pieces are listed in art. 6",
    ),
    ("22", "La demande de transfert", "20", "the transfer request is the one of art. 20"),
)

_NUM = r"(?:premier|\d+)"
_SEP = r"\s*(?:,|et|à|ou)\s*"
_ARTICLES = re.compile(rf"\barticles?\s+(?P<nums>{_NUM}(?:{_SEP}{_NUM})*|précité\b)")
_ITEM = r"(?:\d{1,2}°|\b[IVX]+\b|\b[a-h]\))"
_ITEMS_BEFORE = re.compile(rf"(?:aux?|du|des)\s+(?P<items>{_ITEM}(?:{_SEP}(?:aux?\s+)?{_ITEM})*)\s+de\s+l'$")
_ORDINALS = {"premier": 1, "second": 2, "deuxième": 2, "troisième": 3, "quatrième": 4, "cinquième": 5}
_ORD = "|".join(_ORDINALS)
_ALINEA_BEFORE = re.compile(rf"(?:au|du)\s+(?P<ord>{_ORD})\s+alinéa\s+de\s+l'$")
_SELF_ITEMS = re.compile(
    rf"\baux?\s+(?P<items>{_ITEM}(?:{_SEP}(?:aux?\s+)?{_ITEM})*)\s+(?:du présent article|ci-dessus)"
)
_SELF_ROMAN = re.compile(r"\bmentionn\w*\s+aux?\s+(?P<items>[IVX]+(?:\s+et\s+[IVX]+)*)\b(?!\s+de l')")
_SELF_ALINEA = re.compile(rf"\b(?:au|du)\s+(?P<ord>{_ORD})\s+alinéa\b(?!\s+de l')")
_QUALIFIERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^\s*(?:,\s*)?de la loi (?:n°\s*1\.257|précitée)"), "loi-1.257"),
    (re.compile(r"^\s*(?:,\s*)?de l'arrêté ministériel n°\s*(?P<id>\d+-\d+)"), "am-{id}"),
    (re.compile(r"^\s*(?:,\s*)?de l'ordonnance souveraine n°\s*(?P<id>[\d.]+\d)"), "os-{id}"),
    (re.compile(r"^\s*(?:,\s*)?de la Directive (?P<id>\d+/\d+/CEE?)"), "dir-{id}"),
)
_MENTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bloi n°\s*1\.257\b"), "loi-1.257"),
    (re.compile(r"\bordonnance souveraine n°\s*(?P<id>[\d.]+\d)"), "os-{id}"),
    (re.compile(r"\barrêté ministériel n°\s*(?P<id>\d+-\d+)"), "am-{id}"),
    (re.compile(r"\bDirective (?P<id>\d+/\d+/CEE?)"), "dir-{id}"),
)


def _external_id(template: str, match: re.Match[str]) -> str:
    if "{id}" not in template:
        return template
    return template.format(id=match.group("id").replace("/", "-").lower())


def _numbers(nums: str) -> list[str]:
    """Expand '28 à 32', '5 et 6', 'premier à 15' into article numbers."""
    tokens = re.findall(rf"{_NUM}|à", nums)
    out: list[str] = []
    i = 0
    while i < len(tokens):
        token = "1" if tokens[i] == "premier" else tokens[i]
        if token != "à":
            out.append(token)
        if token == "à" and out and i + 1 < len(tokens):
            end = "1" if tokens[i + 1] == "premier" else tokens[i + 1]
            out.extend(str(n) for n in range(int(out[-1]) + 1, int(end) + 1))
            i += 1
        i += 1
    return out


def _items(items: str) -> list[str]:
    """Expand '4° à 10°', '1°, 2° et 3°', 'I et II' into item labels."""
    tokens = re.findall(rf"{_ITEM}|\bà\b", items)
    out: list[str] = []
    i = 0
    while i < len(tokens):
        if tokens[i] == "à" and out and i + 1 < len(tokens) and out[-1].endswith("°"):
            start, end = int(out[-1][:-1]), int(tokens[i + 1][:-1])
            out.extend(f"{n}°" for n in range(start + 1, end + 1))
            i += 2
            continue
        if tokens[i] != "à":
            out.append(tokens[i])
        i += 1
    return out


def find_references(text: str, text_id: str, article: str) -> list[Reference]:
    """Return the citations of one passage, in order of appearance, without repeats."""
    refs, spans, covered_external = _cited_articles(text, text_id, article)
    refs += _self_references(text, text_id, article, spans)
    for pattern, template in _MENTIONS:
        for match in pattern.finditer(text):
            target = _external_id(template, match)
            if target not in covered_external:
                covered_external.add(target)
                refs.append(Reference(match.group(0), target, None, None, True))
    for citing, phrase, cited, _why in IMPLICIT_REFERENCES:
        if citing == article and phrase in text:
            refs.append(Reference(phrase, text_id, cited, None))
    return _unique(refs)


def _target(text: str, match: re.Match[str], text_id: str) -> tuple[str, bool]:
    """Return the text an article reference points to, and whether it is another text than the passage's."""
    tail = text[match.end() : match.end() + 160]
    for pattern, template in _QUALIFIERS:
        qualified = pattern.match(tail)
        if qualified:
            return _external_id(template, qualified), True
    return text_id, False


def _parts_before(text: str, match: re.Match[str], count: int) -> tuple[list[str | None], int]:
    """Return the items or paragraph named just before a reference to one article, and where they start."""
    before = text[max(0, match.start() - 80) : match.start()]
    items_match = _ITEMS_BEFORE.search(before)
    alinea_match = _ALINEA_BEFORE.search(before)
    if items_match and count == 1:
        return list(_items(items_match.group("items"))), match.start() - (len(before) - items_match.start())
    if alinea_match and count == 1:
        part = f"al. {_ORDINALS[alinea_match.group('ord')]}"
        return [part], match.start() - (len(before) - alinea_match.start())
    return [None], match.start()


def _cited_articles(
    text: str, text_id: str, article: str
) -> tuple[list[Reference], list[tuple[int, int]], set[str]]:
    """Return the references to numbered articles, the spans they cover and the other texts they cite."""
    refs: list[Reference] = []
    covered_external: set[str] = set()
    last_internal = article
    spans: list[tuple[int, int]] = []
    for match in _ARTICLES.finditer(text):
        nums = match.group("nums")
        target, external = _target(text, match, text_id)
        numbers = [last_internal] if nums == "précité" else _numbers(nums)
        if external and "à" in nums:
            numbers = [nums.replace("premier", "1").replace(" à ", "-")]
        parts, start = _parts_before(text, match, len(numbers))
        surface = text[start : match.end()]
        spans.append((start, match.end()))
        refs += [Reference(surface, target, number, part, external) for number in numbers for part in parts]
        if external:
            covered_external.add(target)
        elif numbers:
            last_internal = numbers[-1]
    return refs, spans, covered_external


def _self_references(text: str, text_id: str, article: str, spans: list[tuple[int, int]]) -> list[Reference]:
    """Return the passage's references to its own items and paragraphs ("au 3° ci-dessus")."""
    refs = []
    for pattern in (_SELF_ITEMS, _SELF_ROMAN):
        for match in pattern.finditer(text):
            if any(s <= match.start() < e for s, e in spans):
                continue
            for part in _items(match.group("items")):
                refs.append(Reference(match.group(0), text_id, article, part))
    for match in _SELF_ALINEA.finditer(text):
        if not any(s <= match.start() < e for s, e in spans):
            refs.append(Reference(match.group(0), text_id, article, f"al. {_ORDINALS[match.group('ord')]}"))
    return refs


def _unique(refs: Iterable[Reference]) -> list[Reference]:
    seen: set[tuple[str, str | None, str | None]] = set()
    out: list[Reference] = []
    for ref in refs:
        key = (ref.text_id, ref.article, ref.part)
        if key not in seen:
            seen.add(key)
            out.append(ref)
    return out
