"""Values of the article index: texts, sections, articles, their parts and references."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

PartKind = Literal["paragraph", "item"]


@dataclass(frozen=True)
class Reference:
    """A citation found in an article: to a part of the same text, or to another (external) text."""

    surface: str  # the words as they appear in the text
    text_id: str  # "am-2003-175", or an external text id such as "loi-1.257"
    article: str | None = None  # None: the text as a whole
    part: str | None = None  # a part label of the cited article ("3°", "al. 3", "I")
    external: bool = False

    @property
    def target(self) -> str:
        """Return a compact human form: 'art. 2, 3°' or 'loi-1.257 art. 17'."""
        where = f"art. {self.article}" if self.article else ""
        if self.part:
            where += f", {self.part}"
        return f"{self.text_id} {where}".strip() if self.external else where or self.text_id

    def to_dict(self) -> dict[str, Any]:
        return {
            "surface": self.surface,
            "text_id": self.text_id,
            "article": self.article,
            "part": self.part,
            "external": self.external,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reference:
        return cls(**data)


@dataclass(frozen=True)
class Part:
    """An addressable piece of an article: a paragraph (alinéa) or an enumerated item."""

    label: str  # "al. 2" for a plain paragraph, "5°", "a)", "II 2° a)" for (nested) items
    alinea: int  # position among the article's paragraphs, 1-based (items count as paragraphs)
    kind: PartKind
    text: str
    depth: int = 0  # nesting depth of an item (0: top level)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "alinea": self.alinea,
            "kind": self.kind,
            "text": self.text,
            "depth": self.depth,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Part:
        return cls(**data)


@dataclass(frozen=True)
class Article:
    """One article of one text, with its place in the text and what it cites."""

    text_id: str
    number: str  # as printed: "1" for Article Premier, "14", "R4211-63", "171 octies A"
    heading: str  # "Article Premier.", "Art. 14.", "Article R4211-63"
    parts: tuple[Part, ...]
    section: str | None = None  # "II"
    section_title: str | None = None
    subsection: str | None = None  # "III"
    subsection_title: str | None = None
    cites: tuple[Reference, ...] = ()
    path: str | None = None  # source file for articles read from a folder tree

    @property
    def text(self) -> str:
        """Return the article body, one paragraph per line."""
        return "\n".join(p.text for p in self.parts)

    def part(self, label: str) -> list[Part]:
        """Return the parts with this label ('d)', '2°', 'II 2° a)', 'al. 3'); a label may repeat (art. 6)."""
        wanted = normalise_label(label)
        exact = [p for p in self.parts if normalise_label(p.label) == wanted]
        if exact:
            return exact
        if wanted.startswith("al."):
            return []
        # A short label ("a)") also matches the last step of a nested one ("2° a)").
        return [
            p for p in self.parts if p.kind == "item" and normalise_label(p.label).split(" ")[-1] == wanted
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "text_id": self.text_id,
            "number": self.number,
            "heading": self.heading,
            "section": self.section,
            "section_title": self.section_title,
            "subsection": self.subsection,
            "subsection_title": self.subsection_title,
            "path": self.path,
            "parts": [p.to_dict() for p in self.parts],
            "cites": [r.to_dict() for r in self.cites],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        return cls(
            text_id=data["text_id"],
            number=data["number"],
            heading=data["heading"],
            parts=tuple(Part.from_dict(p) for p in data["parts"]),
            section=data.get("section"),
            section_title=data.get("section_title"),
            subsection=data.get("subsection"),
            subsection_title=data.get("subsection_title"),
            cites=tuple(Reference.from_dict(r) for r in data.get("cites", [])),
            path=data.get("path"),
        )


@dataclass(frozen=True)
class Section:
    """A section (or sub-section) heading of a text."""

    number: str
    title: str
    subsections: tuple[Section, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "title": self.title,
            "subsections": [s.to_dict() for s in self.subsections],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Section:
        return cls(
            data["number"], data["title"], tuple(cls.from_dict(s) for s in data.get("subsections", []))
        )


@dataclass(frozen=True)
class LegalText:
    """A whole text: its title, publication data, visas and sections (articles are kept in the index)."""

    text_id: str
    title: str
    kind: str  # "arrêté ministériel", "code"
    publication: dict[str, str] = field(default_factory=dict)  # journal, date, page, quality
    visas: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()
    signature: str = ""
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "text_id": self.text_id,
            "title": self.title,
            "kind": self.kind,
            "publication": dict(self.publication),
            "visas": list(self.visas),
            "sections": [s.to_dict() for s in self.sections],
            "signature": self.signature,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LegalText:
        return cls(
            text_id=data["text_id"],
            title=data["title"],
            kind=data["kind"],
            publication=dict(data.get("publication", {})),
            visas=tuple(data.get("visas", [])),
            sections=tuple(Section.from_dict(s) for s in data.get("sections", [])),
            signature=data.get("signature", ""),
            source=data.get("source", ""),
        )


def normalise_label(label: str) -> str:
    """Normalise a part label for comparison: 'II-2°a)' and 'II 2° a)' are the same label."""
    text = label.strip().replace("º", "°").replace("alinéa", "al.")
    text = re.sub(r"(\d+)\s*°", r"\1°", text)
    text = re.sub(r"\bal\.?\s*(\d+)", r"al. \1", text)
    tokens = _LABEL_TOKEN.findall(text)
    return " ".join(" ".join(t.split()) for t in tokens)


_LABEL_TOKEN = re.compile(r"al\. \d+|tiret \d+|\b[IVX]+\b|\d+°|\b[a-h]\)|\b\d+\.(?!\d)")
