"""Reader for a decree as published on the Journal de Monaco site (menu, title, visas, sections, articles)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from knowledge.model import Article, LegalText, Part, Section
from knowledge.references import find_references
from knowledge.repairs import RepairLog, apply_repairs

_ARTICLE_HEADING = re.compile(r"^(?:Article (?P<premier>Premier)|Art\. (?P<number>\d+))\.\s*$")
_LINE_ITEM = re.compile(r"^(?:- |\d{1,2}° |[a-h]\) )")
_SECTION = re.compile(r"^SECTION (?P<number>[IVX]+)\.\s*(?P<title>.*)$", re.S)
_SUBSECTION = re.compile(r"^(?P<number>I|II|III|IV)\. (?P<title>[A-Z].*)$", re.S)
_PUBLICATION = {
    "N° journal": "journal",
    "Date de publication": "date",
    "Qualité": "quality",
    "N° de page": "page",
}
_FOOTER_START = re.compile(r"^(ANNEXES|Imprimer l'article|Article précédent|Tous droits)", re.M)

# Item markers at the start of a paragraph: family, regex. Families nest in this order (rank).
_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("roman", re.compile(r"^(?P<tok>I|II|III|IV|V|VI)\s+-\s*")),
    ("degree", re.compile(r"^(?P<tok>\d{1,2})°\s*")),
    ("letter", re.compile(r"^(?P<tok>[a-h])\)\s*")),
    ("numbered", re.compile(r"^(?P<tok>\d)\.\s+")),
    ("dash", re.compile(r"^-\s+")),
)
_RANK = {"roman": 0, "degree": 1, "letter": 2, "numbered": 2, "dash": 3}
_ROMANS = ["I", "II", "III", "IV", "V", "VI"]


@dataclass
class _Item:
    family: str
    token: str
    label: str


@dataclass
class _Block:
    text: str
    family: str | None = None
    token: str = ""


@dataclass(frozen=True)
class DecreeReading:
    """The text, its articles, and the log of OCR repairs applied."""

    text: LegalText
    articles: tuple[Article, ...]
    repairs: tuple[RepairLog, ...] = field(default=())


def _marker(paragraph: str) -> tuple[str | None, str, str]:
    for family, pattern in _MARKERS:
        match = pattern.match(paragraph)
        if match:
            token = match.groupdict().get("tok") or "-"
            return family, token, paragraph
    return None, "", paragraph


def _is_successor(item: _Item, family: str | None, token: str) -> bool:
    if family != item.family:
        return False
    if family == "dash":
        return True
    if family in {"degree", "numbered"}:
        return int(token) == int(item.token) + 1
    if family == "letter":
        return ord(token) == ord(item.token) + 1
    if family == "roman":
        return _ROMANS.index(token) == _ROMANS.index(item.token) + 1
    return False


def _label_token(family: str, token: str, dash_count: int) -> str:
    return {
        "roman": token,
        "degree": f"{token}°",
        "letter": f"{token})",
        "numbered": f"{token}.",
        "dash": f"tiret {dash_count}",
    }[family]


def structure_parts(paragraphs: list[str]) -> tuple[Part, ...]:
    """Turn an article's paragraphs into labelled parts, nesting items (II > 2° > a)) and their continuations."""
    blocks = [_Block(text, *_marker(text)[:2]) for text in paragraphs]
    stack: list[_Item] = []
    dash_counts: dict[str, int] = {}
    parts: list[Part] = []
    for index, block in enumerate(blocks, start=1):
        if block.family is not None:
            rank = _RANK[block.family]
            while stack and _RANK[stack[-1].family] >= rank:
                stack.pop()
            parent = " ".join(i.label.split(" ")[-1] for i in stack) if stack else ""
            parent_label = stack[-1].label if stack else ""
            if block.family == "dash":
                dash_counts[parent_label] = dash_counts.get(parent_label, 0) + 1
            elif block.token in {"1", "a", "I"}:
                dash_counts.pop(parent_label, None)
            token = _label_token(block.family, block.token, dash_counts.get(parent_label, 0))
            label = f"{parent_label} {token}".strip() if parent else token
            stack.append(_Item(block.family, block.token, label))
            parts.append(Part(label, index, "item", block.text, len(stack) - 1))
            continue
        nxt = next((b for b in blocks[index:] if b.family is not None), None)
        owner: _Item | None = None
        for depth in range(len(stack) - 1, -1, -1):
            item = stack[depth]
            if (nxt is not None and _is_successor(item, nxt.family, nxt.token)) or item.family == "roman":
                owner = item
                del stack[depth + 1 :]
                break
        if owner is None:
            stack.clear()
            parts.append(Part(f"al. {index}", index, "paragraph", block.text, 0))
        else:
            parts.append(Part(owner.label, index, "paragraph", block.text, len(stack)))
    return tuple(parts)


def _blocks(body: str) -> list[str]:
    """Split on blank lines, and put an article heading on its own even without a blank line."""
    out: list[str] = []
    for chunk in re.split(r"\n\s*\n", body):
        lines: list[str] = []
        for line in chunk.strip().split("\n"):
            if lines and _LINE_ITEM.match(line):
                out.append("\n".join(lines))
                lines = []
            if _ARTICLE_HEADING.match(line.strip()):
                if lines:
                    out.append("\n".join(lines))
                    lines = []
                out.append(line.strip())
            else:
                lines.append(line.rstrip())
        if lines and any(line.strip() for line in lines):
            out.append("\n".join(lines))
    return out


def _publication(lines: list[str]) -> dict[str, str]:
    """Read the publication box of the page (journal number, date, quality, page)."""
    publication: dict[str, str] = {}
    for line in lines:
        cleaned = line.strip().lstrip("•").strip()
        for prefix, key in _PUBLICATION.items():
            if cleaned.startswith(prefix + " "):
                publication[key] = cleaned[len(prefix) :].strip()
    return publication


def _article(
    text_id: str,
    number: str,
    heading: str,
    paragraphs: list[str],
    place: tuple[Section | None, Section | None],
) -> Article:
    """Build one article from its paragraphs, with the references it makes (each once, not to itself)."""
    sec, sub = place
    parts = structure_parts(paragraphs)
    cites = find_references("\n".join(p.text for p in parts), text_id, number)
    seen: set[tuple[str, str | None, str | None]] = set()
    unique = []
    for ref in cites:
        key = (ref.text_id, ref.article, ref.part)
        if key not in seen and not (ref.text_id == text_id and ref.article == number and ref.part is None):
            seen.add(key)
            unique.append(ref)
    return Article(
        text_id=text_id,
        number=number,
        heading=heading,
        parts=parts,
        section=sec.number if sec else None,
        section_title=sec.title if sec else None,
        subsection=sub.number if sub else None,
        subsection_title=sub.title if sub else None,
        cites=tuple(unique),
    )


def _body(lines: list[str]) -> tuple[str, tuple[RepairLog, ...]]:
    """Return the decree's body, from the first visa to the page footer, with its OCR repairs applied."""
    start = next(i for i, line in enumerate(lines) if line.startswith("Vu "))
    body = "\n".join(lines[start:])
    footer = _FOOTER_START.search(body)
    if footer:
        body = body[: footer.start()]
    return apply_repairs(body)


def read_decree(raw: str, text_id: str, source: str = "") -> DecreeReading:
    """Read the Journal de Monaco page of a decree into a text and its articles."""
    lines = raw.replace("\r\n", "\n").split("\n")
    title = next(line.strip() for line in lines if re.match(r"^\s*Arrêté Ministériel n°", line))
    body, repairs = _body(lines)

    visas: list[str] = []
    sections: list[Section] = []
    subsections: dict[str, list[Section]] = {}
    articles: list[Article] = []
    section: Section | None = None
    subsection: Section | None = None
    current: tuple[str, str] | None = None  # (number, heading)
    paragraphs: list[str] = []
    signature: list[str] = []
    meta: dict[str, tuple[Section | None, Section | None]] = {}

    def flush() -> None:
        if current is not None:
            articles.append(_article(text_id, *current, paragraphs, meta[current[0]]))

    in_signature = False
    for block in _blocks(body):
        text = " ".join(block.split())
        heading = _ARTICLE_HEADING.match(block)
        section_match = _SECTION.match(block)
        if block.startswith("Vu ") and current is None:
            visas.append(text)
        elif text == "Arrêtons :":
            continue
        elif section_match:
            flush()
            current, paragraphs = None, []
            section = Section(section_match.group("number"), " ".join(section_match.group("title").split()))
            sections.append(section)
            subsection = None
        elif section is not None and section.number == "II" and _SUBSECTION.match(text):
            flush()
            current, paragraphs = None, []
            sub_match = _SUBSECTION.match(text)
            assert sub_match is not None
            subsection = Section(sub_match.group("number"), sub_match.group("title").strip())
            subsections.setdefault(section.number, []).append(subsection)
        elif heading:
            flush()
            number = "1" if heading.group("premier") else heading.group("number")
            current, paragraphs = (number, block.strip()), []
            meta[number] = (section, subsection)
        elif text.startswith("Fait à Monaco") or in_signature:
            in_signature = True
            signature.append(text)
        elif current is not None:
            paragraphs.append(text)
    flush()
    full_sections = tuple(Section(s.number, s.title, tuple(subsections.get(s.number, []))) for s in sections)
    legal_text = LegalText(
        text_id=text_id,
        title=title,
        kind="arrêté ministériel",
        publication=_publication(lines),
        visas=tuple(visas),
        sections=full_sections,
        signature=" ".join(signature),
        source=source,
    )
    return DecreeReading(legal_text, tuple(articles), repairs)
