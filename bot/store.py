"""Conversation state that survives restarts: sessions, dossiers, check reports, kept files (SQLAlchemy).

The same code runs on the default SQLite file and on a PostgreSQL URL. Every value that leaves this module
is a frozen dataclass of plain data, so a session is JSON and a restart loses nothing.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from bot.messages import SessionKey
from bot.schema import upgrade as upgrade_schema
from bot.statuses import DossierStatus, TicketStatus

# The names callers already use (bot/statuses.py holds the enums).
IN_PROGRESS = DossierStatus.IN_PROGRESS
REVIEW = DossierStatus.REVIEW
COMPLETED = DossierStatus.COMPLETED
CANCELLED = DossierStatus.CANCELLED
DOSSIER_STATUSES = (IN_PROGRESS, REVIEW, COMPLETED, CANCELLED)
OPEN_STATUSES = (IN_PROGRESS, REVIEW, COMPLETED)

# How many of the user's recent messages a session keeps (context for a human handoff).
RECENT_MESSAGES = 10

TICKET_OPEN = TicketStatus.OPEN
TICKET_CLOSED = TicketStatus.CLOSED


DOSSIER_NUMBER_ATTEMPTS = 50  # numbers tried when other processes create the same user's dossiers at once


def utc_now() -> datetime:
    """Return the current UTC time, naive, as the store keeps it."""
    return datetime.now(UTC).replace(tzinfo=None)


class _Base(DeclarativeBase):
    pass


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


class _CheckRow(_Base):
    __tablename__ = "checks"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    dossier_id: Mapped[int] = mapped_column(sa.ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    file_names: Mapped[str] = mapped_column(sa.Text)
    report: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utc_now)


class _FileRow(_Base):
    __tablename__ = "files"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    transport: Mapped[str] = mapped_column(sa.String(32), index=True)
    chat: Mapped[str] = mapped_column(sa.String(255))
    user: Mapped[str] = mapped_column(sa.String(255), index=True)
    dossier_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("dossiers.id", ondelete="CASCADE"), nullable=True, index=True
    )
    name: Mapped[str] = mapped_column(sa.String(255))
    mime: Mapped[str] = mapped_column(sa.String(128))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utc_now)


class _HandoffRow(_Base):
    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    transport: Mapped[str] = mapped_column(sa.String(32), index=True)
    chat: Mapped[str] = mapped_column(sa.String(255))
    user: Mapped[str] = mapped_column(sa.String(255), index=True)
    lang: Mapped[str] = mapped_column(sa.String(8))
    context: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utc_now)


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


@dataclass(frozen=True)
class CheckRecord:
    """The checker's report on files uploaded for a dossier (the files themselves are gone)."""

    id: int
    dossier_id: int
    file_names: tuple[str, ...]
    report: Mapping[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class StoredFile:
    """An uploaded file kept in the store: waiting for a dossier, or kept at the user's request."""

    id: int
    key: SessionKey
    dossier_id: int | None
    name: str
    mime: str
    data: bytes
    created_at: datetime


@dataclass(frozen=True)
class ForgetResult:
    """How many rows of each kind a deletion removed."""

    sessions: int = 0
    dossiers: int = 0
    checks: int = 0
    files: int = 0
    handoffs: int = 0

    @property
    def total(self) -> int:
        return self.sessions + self.dossiers + self.checks + self.files + self.handoffs


@dataclass(frozen=True)
class HandoffRecord:
    """A request to talk to a person (a ticket): whose, its status, and its context as plain data."""

    number: int
    key: SessionKey
    lang: str
    status: str
    context: Mapping[str, Any]
    created_at: datetime


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


def _check_value(row: _CheckRow) -> CheckRecord:
    return CheckRecord(
        id=row.id,
        dossier_id=row.dossier_id,
        file_names=tuple(json.loads(row.file_names)),
        report=json.loads(row.report),
        created_at=row.created_at,
    )


def _file_value(row: _FileRow) -> StoredFile:
    return StoredFile(
        id=row.id,
        key=SessionKey(row.transport, row.chat, row.user),
        dossier_id=row.dossier_id,
        name=row.name,
        mime=row.mime,
        data=row.data,
        created_at=row.created_at,
    )


def _handoff_value(row: _HandoffRow) -> HandoffRecord:
    try:
        context = json.loads(row.context or "{}")
    except ValueError:
        context = {}
    return HandoffRecord(
        number=row.id,
        key=SessionKey(row.transport, row.chat, row.user),
        lang=row.lang,
        status=row.status,
        context=context if isinstance(context, dict) else {},
        created_at=row.created_at,
    )


def _owned(stmt: Any, table: Any, key: SessionKey) -> Any:
    return stmt.where(table.transport == key.transport, table.chat == key.chat, table.user == key.user)


def _tune_sqlite(engine: Engine, *, file: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted rows (a user's /forget, the retention purge) are overwritten, not left in free pages.
        cursor.execute("PRAGMA secure_delete=ON")
        if file:
            # Free pages go back to the file system (``Store.checkpoint``): a user's deleted uploads do not
            # leave the database file its largest size. Takes effect on a new file; older ones are
            # converted once on opening.
            cursor.execute("PRAGMA auto_vacuum=INCREMENTAL")
            # WAL: readers do not block the writer (several bot processes may share the file), and a
            # commit costs one fsync of the log instead of two of the database.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


class Store:
    """Sessions, dossiers, reports and kept files of every user, in one SQL database."""

    def __init__(self, url: str, *, clock: Callable[[], datetime] | None = None) -> None:
        self.url = url
        # Naive UTC "now" for every timestamp written (a test moves it to check the retention purge).
        self.clock: Callable[[], datetime] = clock or utc_now
        file = url.startswith("sqlite:///") and url != "sqlite:///:memory:"
        if file:
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        # hide_parameters: a failed statement's error (which gets logged) must not carry message text.
        self.engine = sa.create_engine(url, hide_parameters=True)
        if self.engine.dialect.name == "sqlite":
            _tune_sqlite(self.engine, file=file)
        # Migrations first (a database of an older release is upgraded in place), then any table a module
        # declares that no revision creates yet.
        upgrade_schema(self.engine)
        _Base.metadata.create_all(self.engine)
        if file:
            self._enable_incremental_vacuum()
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def _enable_incremental_vacuum(self) -> None:
        with self.engine.connect() as connection:
            mode = connection.exec_driver_sql("PRAGMA auto_vacuum").scalar()
            if mode != 2:  # a file made before: VACUUM rewrites it with the mode set on connecting
                connection.exec_driver_sql("PRAGMA auto_vacuum=INCREMENTAL")
                connection.exec_driver_sql("VACUUM")

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        with self._sessions.begin() as db:
            yield db

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

    # Check reports

    def add_check(self, dossier_id: int, file_names: Sequence[str], report: Mapping[str, Any]) -> CheckRecord:
        """Keep the checker's report for files uploaded to a dossier."""
        with self._tx() as db:
            row = _CheckRow(
                dossier_id=dossier_id,
                file_names=json.dumps(list(file_names), ensure_ascii=False),
                report=json.dumps(dict(report), ensure_ascii=False, default=str),
                created_at=self.clock(),
            )
            db.add(row)
            db.flush()
            return _check_value(row)

    def checks(self, dossier_id: int) -> list[CheckRecord]:
        """Return every report kept for a dossier, oldest first."""
        with self._tx() as db:
            rows = db.scalars(
                sa.select(_CheckRow).where(_CheckRow.dossier_id == dossier_id).order_by(_CheckRow.id)
            )
            return [_check_value(r) for r in rows]

    # Files

    def add_file(
        self, key: SessionKey, dossier_id: int | None, name: str, mime: str, data: bytes
    ) -> StoredFile:
        """Keep an uploaded file (pending a dossier, or at the user's request)."""
        with self._tx() as db:
            row = _FileRow(
                transport=key.transport,
                chat=key.chat,
                user=key.user,
                dossier_id=dossier_id,
                name=name,
                mime=mime,
                data=data,
                created_at=self.clock(),
            )
            db.add(row)
            db.flush()
            return _file_value(row)

    def files(self, key: SessionKey, dossier_id: int | None) -> list[StoredFile]:
        """Return the user's kept files for a dossier (None: files waiting for a dossier)."""
        with self._tx() as db:
            stmt = _owned(sa.select(_FileRow), _FileRow, key)
            stmt = stmt.where(
                _FileRow.dossier_id.is_(None) if dossier_id is None else _FileRow.dossier_id == dossier_id
            )
            return [_file_value(r) for r in db.scalars(stmt.order_by(_FileRow.id))]

    def add_files(
        self,
        key: SessionKey,
        dossier_id: int | None,
        files: Sequence[tuple[str, str, bytes]],
        *,
        within: Callable[[Session, list[int]], None] | None = None,
    ) -> list[int]:
        """Keep uploaded files, and run ``within(db, ids)`` (enqueue their check) in the same transaction."""
        with self._tx() as db:
            rows = [
                _FileRow(
                    transport=key.transport,
                    chat=key.chat,
                    user=key.user,
                    dossier_id=dossier_id,
                    name=name,
                    mime=mime,
                    data=data,
                    created_at=self.clock(),
                )
                for name, mime, data in files
            ]
            db.add_all(rows)
            db.flush()
            ids = [row.id for row in rows]
            if within is not None:
                within(db, ids)
            return ids

    def assign_files(
        self,
        key: SessionKey,
        ids: Sequence[int],
        dossier_id: int,
        *,
        within: Callable[[Session, list[int]], None] | None = None,
    ) -> list[int]:
        """Attach some of the user's files to a dossier, running ``within(db, ids)`` in the same transaction."""
        with self._tx() as db:
            stmt = _owned(sa.select(_FileRow), _FileRow, key).where(_FileRow.id.in_(list(ids)))
            rows = list(db.scalars(stmt.order_by(_FileRow.id)))
            for row in rows:
                row.dossier_id = dossier_id
            db.flush()
            assigned = [row.id for row in rows]
            if within is not None and assigned:
                within(db, assigned)
            return assigned

    def files_by_id(self, ids: Sequence[int]) -> list[StoredFile]:
        """Return the files with these ids that still exist (a check worker reads its job's files)."""
        with self._tx() as db:
            stmt = sa.select(_FileRow).where(_FileRow.id.in_(list(ids))).order_by(_FileRow.id)
            return [_file_value(r) for r in db.scalars(stmt)]

    def finish_check(
        self,
        dossier_id: int,
        file_names: Sequence[str],
        report: Mapping[str, Any],
        *,
        delete_file_ids: Sequence[int],
        within: Callable[[Session], None] | None = None,
    ) -> None:
        """Keep a queued check's report, delete its files, and run ``within(db)`` (post the replies), at once."""
        with self._tx() as db:
            db.add(
                _CheckRow(
                    dossier_id=dossier_id,
                    file_names=json.dumps(list(file_names), ensure_ascii=False),
                    report=json.dumps(dict(report), ensure_ascii=False, default=str),
                    created_at=self.clock(),
                )
            )
            if delete_file_ids:
                db.execute(sa.delete(_FileRow).where(_FileRow.id.in_(list(delete_file_ids))))
            if within is not None:
                within(db)

    def delete_files(self, ids: Sequence[int]) -> int:
        """Delete files by id and give their space back; return how many were deleted."""
        if not ids:
            return 0
        with self._tx() as db:
            result = db.execute(sa.delete(_FileRow).where(_FileRow.id.in_(list(ids))))
            deleted = int(getattr(result, "rowcount", 0) or 0)
        self.checkpoint()
        return deleted

    def stored_bytes(self, transport: str, user: str) -> int:
        """Return the bytes of every file kept for one user (waiting for a dossier, or kept on request)."""
        with self._tx() as db:
            total = db.scalar(
                sa.select(sa.func.coalesce(sa.func.sum(sa.func.length(_FileRow.data)), 0)).where(
                    _FileRow.transport == transport, _FileRow.user == user
                )
            )
            return int(total or 0)

    def stored_files(self, key: SessionKey) -> int:
        """Return how many files wait for this session's next dossier."""
        with self._tx() as db:
            stmt = _owned(sa.select(sa.func.count()).select_from(_FileRow), _FileRow, key)
            return int(db.scalar(stmt.where(_FileRow.dossier_id.is_(None))) or 0)

    # Human handoff

    def add_handoff(self, key: SessionKey, lang: str, context: Mapping[str, Any]) -> int:
        """Record a request to talk to a person; return its number."""
        with self._tx() as db:
            row = _HandoffRow(
                transport=key.transport,
                chat=key.chat,
                user=key.user,
                lang=lang,
                context=json.dumps(dict(context), ensure_ascii=False, default=str),
                created_at=self.clock(),
            )
            db.add(row)
            db.flush()
            return row.id

    def handoffs(self, key: SessionKey) -> list[dict[str, Any]]:
        """Return this user's handoff requests (context included)."""
        with self._tx() as db:
            rows = db.scalars(_owned(sa.select(_HandoffRow), _HandoffRow, key).order_by(_HandoffRow.id))
            return [
                {"id": r.id, "lang": r.lang, "status": r.status, "context": json.loads(r.context)}
                for r in rows
            ]

    def handoff(self, number: int) -> HandoffRecord | None:
        """Return a ticket by its number (staff side: whoever owns it)."""
        with self._tx() as db:
            row = db.get(_HandoffRow, number)
            return None if row is None else _handoff_value(row)

    def open_handoff(self, key: SessionKey) -> HandoffRecord | None:
        """Return this user's most recent open ticket, if any."""
        with self._tx() as db:
            row = db.scalar(
                _owned(sa.select(_HandoffRow), _HandoffRow, key)
                .where(_HandoffRow.status == TICKET_OPEN)
                .order_by(_HandoffRow.id.desc())
                .limit(1)
            )
            return None if row is None else _handoff_value(row)

    def list_handoffs(
        self, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[HandoffRecord]:
        """Return the latest tickets (of one status, or all), newest first, skipping the first ``offset``."""
        with self._tx() as db:
            stmt = sa.select(_HandoffRow).order_by(_HandoffRow.id.desc()).limit(limit).offset(max(0, offset))
            if status is not None:
                stmt = stmt.where(_HandoffRow.status == status)
            return [_handoff_value(r) for r in db.scalars(stmt)]

    def count_handoffs(self) -> dict[str, int]:
        """Count the stored tickets by status."""
        with self._tx() as db:
            rows = db.execute(sa.select(_HandoffRow.status, sa.func.count()).group_by(_HandoffRow.status))
            return {str(status): int(count) for status, count in rows}

    def update_handoff(
        self,
        number: int,
        change: Callable[[HandoffRecord], tuple[str, Mapping[str, Any]]],
    ) -> HandoffRecord | None:
        """Rewrite a ticket's status and context from its current value, in one transaction."""
        with self._tx() as db:
            row = db.get(_HandoffRow, number, with_for_update=True)
            if row is None:
                return None
            status, context = change(_handoff_value(row))
            row.status = status
            row.context = json.dumps(dict(context), ensure_ascii=False, default=str)
            db.flush()
            return _handoff_value(row)

    # Privacy

    def forget_user(self, transport: str, user: str) -> ForgetResult:
        """Delete everything stored about one user on one transport, in every chat."""
        with self._tx() as db:
            dossier_ids = list(
                db.scalars(
                    sa.select(_DossierRow.id).where(
                        _DossierRow.transport == transport, _DossierRow.user == user
                    )
                )
            )
            done = self._delete(db, dossier_ids, transport=transport, user=user)
        self.checkpoint()
        return done

    def checkpoint(self) -> None:
        """Fold SQLite's write-ahead log into the database and give free pages back to the disk."""
        if self.engine.dialect.name != "sqlite":
            return
        with self.engine.connect() as connection:
            # executescript runs the pragma to its end (one execute frees a single page).
            raw: Any = connection.connection.dbapi_connection
            raw.executescript("PRAGMA incremental_vacuum;")
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def purge_inactive(self, before: datetime) -> ForgetResult:
        """Delete the sessions untouched since ``before`` and everything that belongs to them."""
        total = ForgetResult()
        with self._tx() as db:
            stale = list(db.scalars(sa.select(_SessionRow).where(_SessionRow.updated_at < before)))
            keys = [SessionKey(r.transport, r.chat, r.user) for r in stale]
        for key in keys:
            with self._tx() as db:
                dossier_ids = list(db.scalars(_owned(sa.select(_DossierRow.id), _DossierRow, key)))
                done = self._delete(db, dossier_ids, transport=key.transport, user=key.user, chat=key.chat)
            total = ForgetResult(*(a + b for a, b in zip(_counts(total), _counts(done), strict=True)))
        if total.total:
            self.checkpoint()
        return total

    def _delete(
        self, db: Session, dossier_ids: list[int], *, transport: str, user: str, chat: str | None = None
    ) -> ForgetResult:
        def scope(stmt: Any, table: Any) -> Any:
            stmt = stmt.where(table.transport == transport, table.user == user)
            return stmt if chat is None else stmt.where(table.chat == chat)

        def count(result: Any) -> int:
            return int(getattr(result, "rowcount", 0) or 0)

        checks = files = 0
        if dossier_ids:
            checks = count(db.execute(sa.delete(_CheckRow).where(_CheckRow.dossier_id.in_(dossier_ids))))
            files += count(db.execute(sa.delete(_FileRow).where(_FileRow.dossier_id.in_(dossier_ids))))
        files += count(db.execute(scope(sa.delete(_FileRow), _FileRow)))
        dossiers = count(db.execute(scope(sa.delete(_DossierRow), _DossierRow)))
        handoffs = count(db.execute(scope(sa.delete(_HandoffRow), _HandoffRow)))
        sessions = count(db.execute(scope(sa.delete(_SessionRow), _SessionRow)))
        return ForgetResult(
            sessions=sessions, dossiers=dossiers, checks=checks, files=files, handoffs=handoffs
        )

    def count_rows(self, transport: str, user: str) -> int:
        """Count every stored row that belongs to one user (privacy checks)."""
        with self._tx() as db:
            total = 0
            for table in (_SessionRow, _DossierRow, _FileRow, _HandoffRow):
                total += int(
                    db.scalar(
                        sa.select(sa.func.count())
                        .select_from(table)
                        .where(table.transport == transport, table.user == user)
                    )
                    or 0
                )
            dossier_ids = sa.select(_DossierRow.id).where(
                _DossierRow.transport == transport, _DossierRow.user == user
            )
            total += int(
                db.scalar(
                    sa.select(sa.func.count())
                    .select_from(_CheckRow)
                    .where(_CheckRow.dossier_id.in_(dossier_ids))
                )
                or 0
            )
            return total


def _counts(result: ForgetResult) -> tuple[int, int, int, int, int]:
    return (result.sessions, result.dossiers, result.checks, result.files, result.handoffs)


def is_storage_error(exc: BaseException) -> bool:
    """Tell whether an exception came from the database (full disk, read-only file, lost connection)."""
    return isinstance(exc, sa.exc.SQLAlchemyError)


def open_store(url: str, *, clock: Callable[[], datetime] | None = None) -> Store:
    """Open (and create if needed) the store at a SQLAlchemy URL."""
    return Store(url, clock=clock)


# Inbox: every incoming message is recorded before it is handled and marked done once answered, so that a
# crash loses nothing and a message delivered twice (a replayed sync, a re-sent update) is answered once.

INBOX_PENDING = "pending"
INBOX_DONE = "done"


class _InboxRow(_Base):
    __tablename__ = "inbox"

    transport: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    # The transport's own id of the message: Matrix event id, Telegram update id.
    message_id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    chat: Mapped[str] = mapped_column(sa.String(255))
    user: Mapped[str] = mapped_column(sa.String(255))
    payload: Mapped[str] = mapped_column(sa.Text, default="{}")
    status: Mapped[str] = mapped_column(sa.String(16), default=INBOX_PENDING, index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utc_now, index=True)


@dataclass(frozen=True)
class InboxMessage:
    """A message recorded but not yet answered: what the adapter needs to handle it again."""

    transport: str
    message_id: str
    key: SessionKey
    payload: dict[str, Any]
    created_at: datetime


class Inbox:
    """The incoming messages of every transport, recorded before handling (idempotency keys)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        # Tables of a database opened before the inbox existed.
        _InboxRow.__table__.create(store.engine, checkfirst=True)  # type: ignore[attr-defined]

    def record(self, transport: str, message_id: str, key: SessionKey, payload: Mapping[str, Any]) -> bool:
        """Record a message as pending; False when it was already recorded (a duplicate delivery)."""
        try:
            with self.store._tx() as db:
                if db.get(_InboxRow, (transport, message_id)) is not None:
                    return False
                db.add(
                    _InboxRow(
                        transport=transport,
                        message_id=message_id,
                        chat=key.chat,
                        user=key.user,
                        payload=json.dumps(payload, ensure_ascii=False),
                        status=INBOX_PENDING,
                        created_at=self.store.clock(),
                    )
                )
        except sa.exc.IntegrityError:  # another process recorded it first
            return False
        return True

    def done(self, transport: str, message_id: str) -> None:
        """Mark a message answered, and drop its content (only its id is kept, to refuse a duplicate)."""
        with self.store._tx() as db:
            row = db.get(_InboxRow, (transport, message_id))
            if row is not None:
                row.status = INBOX_DONE
                row.payload = "{}"

    def pending(self, transport: str, limit: int = 1000) -> list[InboxMessage]:
        """Return the messages recorded but never answered (a crash), oldest first."""
        with self.store._tx() as db:
            rows = db.scalars(
                sa.select(_InboxRow)
                .where(_InboxRow.transport == transport, _InboxRow.status == INBOX_PENDING)
                .order_by(_InboxRow.created_at)
                .limit(limit)
            )
            found = []
            for row in rows:
                try:
                    payload = json.loads(row.payload)
                except ValueError:
                    payload = {}
                found.append(
                    InboxMessage(
                        row.transport,
                        row.message_id,
                        SessionKey(row.transport, row.chat, row.user),
                        payload if isinstance(payload, dict) else {},
                        row.created_at,
                    )
                )
            return found

    def last_chat(self, transport: str, user: str) -> str | None:
        """Return the chat a user's latest recorded message came from (None when none is kept)."""
        with self.store._tx() as db:
            chat: str | None = db.scalar(
                sa.select(_InboxRow.chat)
                .where(_InboxRow.transport == transport, _InboxRow.user == user)
                .order_by(_InboxRow.created_at.desc())
                .limit(1)
            )
            return chat

    def status(self, transport: str, message_id: str) -> str | None:
        """Return a message's status (pending, done), or None when it was never recorded."""
        with self.store._tx() as db:
            row = db.get(_InboxRow, (transport, message_id))
            return None if row is None else row.status

    def purge(self, before: datetime) -> int:
        """Forget the messages recorded before ``before`` (answered or given up); return how many."""
        with self.store._tx() as db:
            result = db.execute(sa.delete(_InboxRow).where(_InboxRow.created_at < before))
            return int(getattr(result, "rowcount", 0) or 0)


class _MemoRow(_Base):
    __tablename__ = "adapter_memo"

    transport: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utc_now, index=True)


class Memo:
    """What adapters must remember across restarts: the choices a button or a sent message stands for."""

    def __init__(self, store: Store) -> None:
        self.store = store
        _MemoRow.__table__.create(store.engine, checkfirst=True)  # type: ignore[attr-defined]

    def put(self, transport: str, kind: str, key: str, value: str) -> None:
        """Remember ``value`` under (transport, kind, key), replacing an earlier one."""
        with self.store._tx() as db:
            row = db.get(_MemoRow, (transport, kind, key))
            if row is None:
                db.add(
                    _MemoRow(
                        transport=transport, kind=kind, key=key, value=value, created_at=self.store.clock()
                    )
                )
            else:
                row.value = value

    def get(self, transport: str, kind: str, key: str) -> str | None:
        """Return what was remembered under (transport, kind, key), or None."""
        with self.store._tx() as db:
            row = db.get(_MemoRow, (transport, kind, key))
            return None if row is None else row.value

    def purge(self, before: datetime) -> int:
        """Forget what was remembered before ``before``; return how many entries."""
        with self.store._tx() as db:
            result = db.execute(sa.delete(_MemoRow).where(_MemoRow.created_at < before))
            return int(getattr(result, "rowcount", 0) or 0)


_T = TypeVar("_T")


class _RateRow(_Base):
    __tablename__ = "rate_counters"

    transport: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    user: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    # JSON list of the ISO times of the user's messages counted in the current window.
    hits: Mapped[str] = mapped_column(sa.Text, default="[]")
    warned_at: Mapped[datetime | None] = mapped_column(sa.DateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utc_now, index=True)


@dataclass(frozen=True)
class RateWindow:
    """One user's messages counted in the rate limit's window, and when they were last told they are over it."""

    hits: tuple[datetime, ...] = ()
    warned_at: datetime | None = None


def _rate_window(row: _RateRow) -> RateWindow:
    try:
        hits = tuple(datetime.fromisoformat(str(h)) for h in json.loads(row.hits))
    except (ValueError, TypeError):
        hits = ()
    return RateWindow(hits, row.warned_at)


class RateCounters:
    """Per-user message times in the database, so that every process sharing it counts the same messages."""

    def __init__(self, store: Store) -> None:
        self.store = store
        _RateRow.__table__.create(store.engine, checkfirst=True)  # type: ignore[attr-defined]

    def update(self, transport: str, user: str, change: Callable[[RateWindow], tuple[RateWindow, _T]]) -> _T:
        """Apply ``change`` to a user's window with their row locked (one process at a time); return its result."""
        with self.store._tx() as db:
            row = db.get(_RateRow, (transport, user), with_for_update=True)
            if row is None:
                try:
                    with db.begin_nested():
                        db.add(
                            _RateRow(transport=transport, user=user, hits="[]", updated_at=self.store.clock())
                        )
                except sa.exc.IntegrityError:  # another process added it first
                    pass
                row = db.get(_RateRow, (transport, user), with_for_update=True, populate_existing=True)
                assert row is not None
            window, result = change(_rate_window(row))
            row.hits = json.dumps([h.isoformat() for h in window.hits])
            row.warned_at = window.warned_at
            row.updated_at = self.store.clock()
            return result

    def window(self, transport: str, user: str) -> RateWindow:
        """Read a user's window without changing it."""
        with self.store._tx() as db:
            row = db.get(_RateRow, (transport, user))
            return RateWindow() if row is None else _rate_window(row)

    def purge(self, before: datetime) -> int:
        """Forget the windows untouched since ``before``; return how many."""
        with self.store._tx() as db:
            result = db.execute(sa.delete(_RateRow).where(_RateRow.updated_at < before))
            return int(getattr(result, "rowcount", 0) or 0)


class _CheckUseRow(_Base):
    __tablename__ = "check_usage"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    # The user a check counts for ("transport:user"), when, and the pages and seconds it took (or reserved).
    owner: Mapped[str] = mapped_column(sa.String(300), index=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime, default=utc_now, index=True)
    pages: Mapped[int] = mapped_column(sa.Integer, default=0)
    seconds: Mapped[float] = mapped_column(sa.Float, default=0.0)


@dataclass(frozen=True)
class CheckUse:
    """One check counted in a user's budget: when it started, its pages and its seconds."""

    at: datetime
    pages: int
    seconds: float


class CheckUsage:
    """The checks of every queue worker, per user, so that the per-minute budgets hold across workers."""

    def __init__(self, store: Store) -> None:
        self.store = store
        _CheckUseRow.__table__.create(store.engine, checkfirst=True)  # type: ignore[attr-defined]

    def reserve(self, owner: str, seconds: float) -> int:
        """Count a check about to start as taking ``seconds``; return the id to settle it with."""
        with self.store._tx() as db:
            row = _CheckUseRow(owner=owner, at=self.store.clock(), pages=0, seconds=seconds)
            db.add(row)
            db.flush()
            return int(row.id)

    def settle(self, use_id: int, pages: int, seconds: float) -> None:
        """Replace a reservation by the pages read and the seconds spent."""
        with self.store._tx() as db:
            row = db.get(_CheckUseRow, use_id)
            if row is not None:
                row.pages, row.seconds = pages, seconds

    def since(self, owner: str, start: datetime) -> list[CheckUse]:
        """Return a user's checks started since ``start``, oldest first."""
        with self.store._tx() as db:
            rows = db.scalars(
                sa.select(_CheckUseRow)
                .where(_CheckUseRow.owner == owner, _CheckUseRow.at >= start)
                .order_by(_CheckUseRow.at)
            )
            return [CheckUse(row.at, row.pages, row.seconds) for row in rows]

    def purge(self, before: datetime) -> int:
        """Forget the checks started before ``before``; return how many."""
        with self.store._tx() as db:
            result = db.execute(sa.delete(_CheckUseRow).where(_CheckUseRow.at < before))
            return int(getattr(result, "rowcount", 0) or 0)
