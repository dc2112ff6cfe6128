"""Sessions and dossiers: each conversation's state and each user's dossiers, as plain data."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bot.messages import SessionKey
from bot.statuses import DossierStatus
from bot.store.engine import StoreEngine, _Base, _owned, utc_now

# The names callers already use (bot/statuses.py holds the enums).
IN_PROGRESS = DossierStatus.IN_PROGRESS
REVIEW = DossierStatus.REVIEW
COMPLETED = DossierStatus.COMPLETED
CANCELLED = DossierStatus.CANCELLED
DOSSIER_STATUSES = (IN_PROGRESS, REVIEW, COMPLETED, CANCELLED)
OPEN_STATUSES = (IN_PROGRESS, REVIEW, COMPLETED)

# How many of the user's recent messages a session keeps (context for a human handoff).
RECENT_MESSAGES = 10

DOSSIER_NUMBER_ATTEMPTS = 50  # numbers tried when other processes create the same user's dossiers at once


class _SessionRow(_Base):
    __tablename__ = "sessions"

    transport: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    chat: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    user: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    lang: Mapped[str] = mapped_column(sa.String(8))
    state: Mapped[str] = mapped_column(sa.Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utc_now, index=True)


class _DossierRow(_Base):
    __tablename__ = "dossiers"
    __table_args__ = (sa.UniqueConstraint("transport", "chat", "user", "number", name="uq_dossier_number"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    transport: Mapped[str] = mapped_column(sa.String(32), index=True)
    chat: Mapped[str] = mapped_column(sa.String(255))
    user: Mapped[str] = mapped_column(sa.String(255), index=True)
    number: Mapped[int] = mapped_column(sa.Integer)
    kind: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16))
    answers: Mapped[str] = mapped_column(sa.Text, default="{}")
    history: Mapped[str] = mapped_column(sa.Text, default="[]")
    advice_shown: Mapped[str] = mapped_column(sa.Text, default="[]")
    editing: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utc_now)
    completed_at: Mapped[datetime | None] = mapped_column(sa.DateTime, nullable=True)


@dataclass(frozen=True)
class SessionState:
    """One conversation's state: language, active dossier, choices last offered, pending confirmations."""

    key: SessionKey
    lang: str
    lang_explicit: bool = False
    active_dossier: int | None = None
    # Choices of the last reply, as (label, value): a number or a label typed back means that value.
    offered: tuple[tuple[str, str], ...] = ()
    # False when the last reply's choices were actions named by words: a number typed back picks none.
    offered_numbered: bool = True
    # A question the bot asked outside the walkthrough ("forget": confirm deletion).
    awaiting: str | None = None
    keep_files: bool = False
    recent: tuple[str, ...] = ()
    # Names of the files being checked, saved before the check: still there on the next message if the
    # process died during it (the files are gone with it; the user is told to send them again).
    checking: tuple[str, ...] = ()
    created_at: datetime | None = None
    updated_at: datetime | None = None
    # A question waiting for the user's choice (which category, request, study length), and what it asks.
    pending_question: str | None = None
    pending_slot: str | None = None
    # The last question answered: a follow-up ("et pour un dépositaire ?") takes its subject from it.
    last_question: str | None = None

    def remember(self, text: str) -> SessionState:
        """Return the state with one more recent message (kept for a human handoff's context)."""
        if not text:
            return self
        return replace(self, recent=(*self.recent, text[:500])[-RECENT_MESSAGES:])

    def _state_json(self) -> str:
        return json.dumps(
            {
                "lang_explicit": self.lang_explicit,
                "active_dossier": self.active_dossier,
                "offered": [list(pair) for pair in self.offered],
                "offered_numbered": self.offered_numbered,
                "awaiting": self.awaiting,
                "keep_files": self.keep_files,
                "recent": list(self.recent),
                "pending_question": self.pending_question,
                "pending_slot": self.pending_slot,
                "last_question": self.last_question,
                "checking": list(self.checking),
            },
            ensure_ascii=False,
        )


@dataclass(frozen=True)
class DossierRecord:
    """One dossier of one user: its type, status and the walkthrough's answers (plain JSON values)."""

    id: int
    key: SessionKey
    number: int
    kind: str
    status: str
    answers: Mapping[str, Any] = field(default_factory=dict)
    # Field ids in the order they were answered: "back" undoes the last one.
    history: tuple[str, ...] = ()
    advice_shown: tuple[str, ...] = ()
    # The field being changed from the review screen, if any.
    editing: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    completed_at: datetime | None = None


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _session_value(row: _SessionRow) -> SessionState:
    try:
        data = json.loads(row.state or "{}")
    except ValueError:
        data = {}
    offered = tuple(
        (str(p[0]), str(p[1])) for p in data.get("offered", []) if isinstance(p, list) and len(p) == 2
    )
    active = data.get("active_dossier")
    return SessionState(
        key=SessionKey(row.transport, row.chat, row.user),
        lang=row.lang,
        lang_explicit=bool(data.get("lang_explicit", False)),
        active_dossier=active if isinstance(active, int) else None,
        offered=offered,
        offered_numbered=data.get("offered_numbered", True) is not False,
        awaiting=data.get("awaiting") if isinstance(data.get("awaiting"), str) else None,
        keep_files=bool(data.get("keep_files", False)),
        recent=tuple(str(t) for t in data.get("recent", [])),
        pending_question=_text_or_none(data.get("pending_question")),
        pending_slot=_text_or_none(data.get("pending_slot")),
        last_question=_text_or_none(data.get("last_question")),
        checking=tuple(str(n) for n in data.get("checking", []) if isinstance(n, str)),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _dossier_value(row: _DossierRow) -> DossierRecord:
    answers = json.loads(row.answers or "{}")
    return DossierRecord(
        id=row.id,
        key=SessionKey(row.transport, row.chat, row.user),
        number=row.number,
        kind=row.kind,
        status=row.status,
        answers=answers if isinstance(answers, dict) else {},
        history=tuple(json.loads(row.history or "[]")),
        advice_shown=tuple(json.loads(row.advice_shown or "[]")),
        editing=row.editing,
        created_at=row.created_at,
        updated_at=row.updated_at,
        completed_at=row.completed_at,
    )


class SessionStore(StoreEngine):
    """The sessions and dossiers part of the store."""

    # Sessions

    def load_session(self, key: SessionKey, default_lang: str) -> SessionState:
        """Return the session of this key, or a fresh one (not stored until saved)."""
        with self._tx() as db:
            row = db.get(_SessionRow, (key.transport, key.chat, key.user))
            if row is None:
                return SessionState(key=key, lang=default_lang)
            return _session_value(row)

    def session_exists(self, key: SessionKey) -> bool:
        """Tell whether this key has a stored session."""
        with self._tx() as db:
            return db.get(_SessionRow, (key.transport, key.chat, key.user)) is not None

    def save_session(self, state: SessionState) -> SessionState:
        """Store the session and return it with its timestamps."""
        key = state.key
        now = self.clock()
        with self._tx() as db:
            row = db.get(_SessionRow, (key.transport, key.chat, key.user))
            if row is None:
                row = _SessionRow(
                    transport=key.transport, chat=key.chat, user=key.user, created_at=now, lang=state.lang
                )
                db.add(row)
            row.lang = state.lang
            row.state = state._state_json()
            row.updated_at = now
            db.flush()
            return _session_value(row)

    # Dossiers

    def create_dossier(self, key: SessionKey, kind: str) -> DossierRecord:
        """Start a new dossier of this type for this user, numbered after their others.

        Two processes serving the same user may pick the same number at once: the unique constraint refuses
        the second, which takes the next number.
        """
        for attempt in range(DOSSIER_NUMBER_ATTEMPTS):
            now = self.clock()
            try:
                with self._tx() as db:
                    last = db.scalar(_owned(sa.select(sa.func.max(_DossierRow.number)), _DossierRow, key))
                    row = _DossierRow(
                        transport=key.transport,
                        chat=key.chat,
                        user=key.user,
                        number=(last or 0) + 1,
                        kind=kind,
                        status=IN_PROGRESS,
                        created_at=now,
                        updated_at=now,
                    )
                    db.add(row)
                    db.flush()
                    return _dossier_value(row)
            except sa.exc.IntegrityError:
                if attempt == DOSSIER_NUMBER_ATTEMPTS - 1:
                    raise
                # Another process took this number: wait a random moment so that the racers spread out.
                time.sleep(random.uniform(0, 0.002 * (attempt + 1)))
        raise AssertionError("unreachable")

    def dossier(self, key: SessionKey, dossier_id: int) -> DossierRecord | None:
        """Return one dossier if it belongs to this key."""
        with self._tx() as db:
            row = db.get(_DossierRow, dossier_id)
            if row is None or SessionKey(row.transport, row.chat, row.user) != key:
                return None
            return _dossier_value(row)

    def dossier_by_number(self, key: SessionKey, number: int) -> DossierRecord | None:
        """Return the user's dossier with this number (as shown to them)."""
        with self._tx() as db:
            row = db.scalar(
                _owned(sa.select(_DossierRow), _DossierRow, key).where(_DossierRow.number == number)
            )
            return None if row is None else _dossier_value(row)

    def dossiers(self, key: SessionKey) -> list[DossierRecord]:
        """List this user's dossiers, oldest first."""
        with self._tx() as db:
            rows = db.scalars(_owned(sa.select(_DossierRow), _DossierRow, key).order_by(_DossierRow.number))
            return [_dossier_value(r) for r in rows]

    def save_dossier(self, dossier: DossierRecord) -> DossierRecord:
        """Store the dossier's answers and status."""
        if dossier.status not in DOSSIER_STATUSES:
            raise ValueError(f"unknown dossier status {dossier.status!r}")
        now = self.clock()
        with self._tx() as db:
            row = db.get(_DossierRow, dossier.id)
            if row is None:
                raise KeyError(f"dossier {dossier.id} no longer exists")
            row.status = dossier.status
            row.answers = json.dumps(dict(dossier.answers), ensure_ascii=False)
            row.history = json.dumps(list(dossier.history))
            row.advice_shown = json.dumps(list(dossier.advice_shown))
            row.editing = dossier.editing
            row.updated_at = now
            if dossier.status == COMPLETED and row.completed_at is None:
                row.completed_at = now
            db.flush()
            return _dossier_value(row)
