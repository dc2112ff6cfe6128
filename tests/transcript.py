"""Transcript harness for the conversation core (errbot/maubot style): send text, read the replies."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pdfplumber
from fpdf import FPDF

from bot.app import build_core
from bot.core import Core
from bot.messages import Attachment, Incoming, Reply, SessionKey
from bot.settings import Settings
from bot.store import open_store
from dossier_checker.spec import DossierSpec, load_specs


def make_core(data_dir: Path, **settings: Any) -> Core:
    """Build a core over a SQLite file in ``data_dir`` (the same file a restarted core reopens)."""
    config = Settings(data_dir=str(data_dir), **settings)
    return Core(config, open_store(config.effective_database_url))


class Clock:
    """A clock a test moves by hand: naive UTC, like the store's timestamps."""

    def __init__(self, start: datetime | None = None) -> None:
        # Tuesday 18 November 2025, 11:00 in Monaco (office hours).
        self.now = start or datetime(2025, 11, 18, 10, 0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    @classmethod
    def real(cls) -> Clock:
        """Start at the real time (for what reads the real clock too, like ``vetpharma stats``)."""
        return cls(datetime.now(UTC).replace(tzinfo=None))


def make_helpdesk(data_dir: Path, clock: Clock | None = None, **settings: Any) -> Core:
    """Build the whole product's core (``build_core``: tickets, staff commands, figures) over a SQLite file."""
    config = Settings(data_dir=str(data_dir), **settings)
    return build_core(config, store=open_store(config.effective_database_url, clock=clock))


@dataclass
class Chat:
    """One user talking to a core; keeps the last replies for assertions."""

    core: Core
    user: str = "alice"
    transport: str = "test"
    room: str = "room-1"
    replies: list[Reply] = field(default_factory=list)
    log: list[tuple[str, list[Reply]]] = field(default_factory=list)
    name: str | None = None  # display name on the transport

    @property
    def key(self) -> SessionKey:
        return SessionKey(self.transport, self.room, self.user)

    def send(self, text: str, *, reply_to: str | None = None) -> str:
        """Send one message (``reply_to``: the bot message it answers) and return every reply's text."""
        incoming = Incoming(key=self.key, text=text, display_name=self.name, reply_to_text=reply_to)
        return self._deliver(incoming, text)

    def upload(self, name: str, data: bytes, mime: str = "application/pdf") -> str:
        """Send one file and return the replies' text."""
        incoming = Incoming(key=self.key, attachment=Attachment(name, mime, data), display_name=self.name)
        return self._deliver(incoming, f"[{name}]")

    @property
    def mine(self) -> list[Reply]:
        """The last replies shown in this chat (not relayed elsewhere)."""
        return [r for r in self.replies if r.to is None or r.to == self.key]

    def to(self, key: SessionKey) -> list[Reply]:
        """The last replies relayed to another session (a staff room, a user's chat)."""
        return [r for r in self.replies if r.to == key and key != self.key]

    def _deliver(self, incoming: Incoming, shown: str) -> str:
        self.replies = self.core.handle(incoming)
        self.log.append((shown, self.replies))
        return self.text

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.replies)

    @property
    def last(self) -> Reply:
        return self.replies[-1]

    @property
    def choices(self) -> list[str]:
        return [c.label for c in self.last.choices]

    def files(self) -> list[tuple[str, bytes]]:
        return [(r.file.name, r.file.data) for r in self.replies if r.file is not None]

    def transcript(self) -> str:
        """Render the conversation so far, for failure messages."""
        lines = []
        for sent, replies in self.log:
            lines.append(f"> {sent}")
            lines += [r.text for r in replies]
        return "\n".join(lines)


def pdf_text(data: bytes) -> str:
    """Read a PDF back with pdfplumber, pages joined."""
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def pdf_pages(data: bytes) -> list[str]:
    """Read each page of a PDF back."""
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def text_pdf(*lines: str) -> bytes:
    """Make a one-page text PDF, like a scanned-then-OCRed or exported document."""
    pdf = FPDF()
    pdf.core_fonts_encoding = "windows-1252"
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    for line in lines:
        pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


DIPLOMA_LINES = (
    "RÉPUBLIQUE FRANÇAISE",
    "Ministère de l'Enseignement supérieur",
    "DIPLÔME D'ÉTAT DE DOCTEUR EN PHARMACIE",
    "Le président de l'Université de Montpellier confère à Marie Dupont, née le 3 mai 1980,",
    "le diplôme d'État de docteur en pharmacie, thèse soutenue le 12 juin 2006.",
    "Faculté de pharmacie",
    "Le recteur",
    "Copie certifiée conforme à l'original",
)


def spec(kind: str) -> DossierSpec:
    return load_specs()[kind]


def asked_field(chat: Chat, dossier: DossierSpec, lang: str) -> str | None:
    """Return the id of the field whose question the last reply asks (None at the review)."""
    text = chat.last.text
    found = [f.id for f in dossier.fields if f.question[lang] in text]
    # "Quel est son prénom ?" is inside no other question, but take the longest match to be safe.
    return max(found, key=lambda fid: len(dossier.field(fid).question[lang]), default=None)  # type: ignore[union-attr]


def answer_every_question(
    chat: Chat, dossier: DossierSpec, lang: str, answers: Mapping[str, str], limit: int = 60
) -> list[str]:
    """Answer each question the bot asks from a table by field id; return the field ids in asking order."""
    asked: list[str] = []
    for _ in range(limit):
        field_id = asked_field(chat, dossier, lang)
        if field_id is None:
            return asked
        assert field_id in answers, f"no scripted answer for {field_id}\n{chat.transcript()}"
        asked.append(field_id)
        chat.send(answers[field_id])
    raise AssertionError(f"the walkthrough did not end\n{chat.transcript()}")
