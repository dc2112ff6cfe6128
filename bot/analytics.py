"""Usage figures and the question log for staff: an ``EventSink`` on the store's database (SQLAlchemy).

Questions are kept with who asked them only for the retention period, and until that user's /forget:
then the user ids are cleared and the question stays, anonymous, for the figures and for improving the
texts. Event rows hold counts and dossier types, never message text.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from bot import events as ev
from bot.messages import SessionKey
from bot.store import TICKET_OPEN, Store
from knowledge.index import DECREE_ID as DECREE  # its articles are shown "art. 6"; others "R4211-63 (csp-…)"

MAX_QUESTION = 1000  # characters of a question kept for review
UP = "up"
DOWN = "down"


class _Base(DeclarativeBase):
    pass


class _QuestionRow(_Base):
    __tablename__ = "analytics_questions"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    ref: Mapped[str] = mapped_column(sa.String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, index=True)
    # Who asked: cleared after the retention period and on /forget.
    transport: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    chat: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    user: Mapped[str | None] = mapped_column(sa.String(255), nullable=True, index=True)
    lang: Mapped[str] = mapped_column(sa.String(8))
    text: Mapped[str] = mapped_column(sa.Text)
    answered: Mapped[bool] = mapped_column(sa.Boolean)
    confidence: Mapped[float] = mapped_column(sa.Float)
    citations: Mapped[str] = mapped_column(sa.Text, default="[]")
    feedback: Mapped[str | None] = mapped_column(sa.String(8), nullable=True)
    feedback_at: Mapped[datetime | None] = mapped_column(sa.DateTime, nullable=True)


class _EventRow(_Base):
    __tablename__ = "analytics_events"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(sa.String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, index=True)
    transport: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    chat: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    user: Mapped[str | None] = mapped_column(sa.String(255), nullable=True, index=True)
    lang: Mapped[str] = mapped_column(sa.String(8))
    dossier_kind: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    # Counts and reasons only (files checked, piece statuses, ticket number, rows deleted).
    detail: Mapped[str] = mapped_column(sa.Text, default="{}")


@dataclass(frozen=True)
class QuestionLog:
    """One question as staff review it: no user id, ever."""

    id: int
    created_at: datetime
    lang: str
    text: str
    answered: bool
    confidence: float
    citations: tuple[Mapping[str, str], ...] = ()
    feedback: str | None = None

    @property
    def articles(self) -> tuple[str, ...]:
        """Return the cited articles, most relevant first, as staff read them."""
        return tuple(article_label(c) for c in self.citations if c.get("article"))


@dataclass(frozen=True)
class DayCount:
    """Questions asked on one (local) day, and how many of them were answered."""

    day: date
    questions: int
    answered: int


@dataclass(frozen=True)
class Figures:
    """What staff want to know about a period: questions, dossiers, checks, tickets."""

    first_day: date
    last_day: date
    per_day: tuple[DayCount, ...]
    questions: int
    answered: int
    low_confidence: int
    feedback_up: int
    feedback_down: int
    top_articles: tuple[tuple[str, int], ...]
    dossiers_started: Mapping[str, int]
    dossiers_completed: Mapping[str, int]
    dossiers_cancelled: Mapping[str, int]
    checks: int
    files_checked: int
    tickets_opened: int
    open_tickets: int

    @property
    def answered_share(self) -> float | None:
        """Return the share of questions answered (None when nobody asked anything)."""
        return self.answered / self.questions if self.questions else None

    def as_json(self) -> dict[str, Any]:
        """Return the figures as plain JSON values."""
        share = self.answered_share
        return {
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "questions": self.questions,
            "answered": self.answered,
            "answered_share": round(share, 4) if share is not None else None,
            "low_confidence": self.low_confidence,
            "feedback": {UP: self.feedback_up, DOWN: self.feedback_down},
            "per_day": [
                {"day": d.day.isoformat(), "questions": d.questions, "answered": d.answered}
                for d in self.per_day
            ],
            "top_articles": [{"article": label, "questions": n} for label, n in self.top_articles],
            "dossiers": {
                "started": sum(self.dossiers_started.values()),
                "completed": sum(self.dossiers_completed.values()),
                "cancelled": sum(self.dossiers_cancelled.values()),
                "started_by_kind": dict(self.dossiers_started),
                "completed_by_kind": dict(self.dossiers_completed),
            },
            "checks": self.checks,
            "files_checked": self.files_checked,
            "tickets_opened": self.tickets_opened,
            "open_tickets": self.open_tickets,
        }


@dataclass(frozen=True)
class Totals:
    """Every count since the database was created (Prometheus counters), and the open tickets."""

    questions: Mapping[bool, int] = field(default_factory=dict)
    feedback: Mapping[str, int] = field(default_factory=dict)
    dossiers: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (event kind, dossier kind)
    checks: int = 0
    files_checked: int = 0
    handoffs: Mapping[str, int] = field(default_factory=dict)  # by reason
    open_tickets: int = 0


def article_label(citation: Mapping[str, str]) -> str:
    """Name a cited article as staff read it: "art. 6" for the decree, "R4211-63 (csp-r4211-63)" else."""
    text, article = citation.get("text", DECREE), citation.get("article", "?")
    return f"art. {article}" if text == DECREE else f"{article} ({text})"


def _question_value(row: _QuestionRow) -> QuestionLog:
    try:
        citations = json.loads(row.citations or "[]")
    except ValueError:
        citations = []
    return QuestionLog(
        id=row.id,
        created_at=row.created_at,
        lang=row.lang,
        text=row.text,
        answered=row.answered,
        confidence=row.confidence,
        citations=tuple({str(k): str(v) for k, v in c.items()} for c in citations if isinstance(c, dict)),
        feedback=row.feedback,
    )


def _detail(row: _EventRow) -> dict[str, Any]:
    try:
        value = json.loads(row.detail or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class Analytics:
    """Records the core's events and answers staff's questions about them (figures, unanswered log)."""

    def __init__(
        self,
        store: Store,
        *,
        timezone: str = "Europe/Monaco",
        low_confidence: float = 0.5,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.store = store
        self.zone = ZoneInfo(timezone)
        self.low_confidence = low_confidence
        self.clock: Callable[[], datetime] = clock or store.clock
        _Base.metadata.create_all(store.engine)
        self._sessions = sessionmaker(store.engine, expire_on_commit=False)

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        with self._sessions.begin() as db:
            yield db

    # Recording (the core's thread)

    def record(self, event: ev.Event) -> None:
        """Store one event: a question with its answer's quality, or a count."""
        now = self.clock()
        data = event.data
        if event.kind == ev.QUESTION:
            self._record_question(event, now)
            return
        if event.kind == ev.FORGET:
            # The user's rows stay for the figures, but nothing says any longer whose they were.
            self.anonymise(event.key.transport, event.key.user)
            with self._tx() as db:
                db.add(_EventRow(kind=event.kind, created_at=now, lang=event.lang, detail="{}"))
            return
        detail: dict[str, Any] = {}
        if event.kind == ev.CHECK:
            pieces = data.get("pieces")
            detail = {
                "files": int(data.get("files", 0) or 0),
                "pieces": dict(pieces) if isinstance(pieces, Mapping) else {},
            }
        elif event.kind == ev.HANDOFF:
            detail = {"ticket": data.get("ticket"), "reason": str(data.get("reason", ""))}
        kind = data.get("kind")
        with self._tx() as db:
            db.add(
                _EventRow(
                    kind=event.kind,
                    created_at=now,
                    transport=event.key.transport,
                    chat=event.key.chat,
                    user=event.key.user,
                    lang=event.lang,
                    dossier_kind=kind if isinstance(kind, str) else None,
                    detail=json.dumps(detail, ensure_ascii=False),
                )
            )

    def _record_question(self, event: ev.Event, now: datetime) -> None:
        data = event.data
        citations = data.get("citations") or []
        ref = str(data.get("ref") or "") or f"unref-{now.timestamp()}-{id(event)}"
        with self._tx() as db:
            db.add(
                _QuestionRow(
                    ref=ref[:32],
                    created_at=now,
                    transport=event.key.transport,
                    chat=event.key.chat,
                    user=event.key.user,
                    lang=event.lang,
                    text=str(data.get("text", ""))[:MAX_QUESTION],
                    answered=bool(data.get("answered", False)),
                    confidence=float(data.get("confidence", 0.0) or 0.0),
                    citations=json.dumps(
                        [dict(c) for c in citations if isinstance(c, Mapping)], ensure_ascii=False
                    ),
                )
            )

    def set_feedback(self, ref: str, key: SessionKey, value: str) -> QuestionLog | None:
        """Record 👍 (``up``) or 👎 (``down``) on the user's own question; None if it is not theirs."""
        if value not in (UP, DOWN):
            raise ValueError(f"feedback is {UP!r} or {DOWN!r}, not {value!r}")
        with self._tx() as db:
            row = db.scalar(sa.select(_QuestionRow).where(_QuestionRow.ref == ref[:32]))
            if row is None or (row.transport, row.user) != (key.transport, key.user):
                return None
            row.feedback = value
            row.feedback_at = self.clock()
            db.flush()
            return _question_value(row)

    # Privacy

    def anonymise(self, transport: str, user: str) -> int:
        """Clear one user's ids from every row (their /forget); return how many rows changed."""
        changed = 0
        with self._tx() as db:
            for table in (_QuestionRow, _EventRow):
                result = db.execute(
                    sa.update(table)
                    .where(table.transport == transport, table.user == user)
                    .values(transport=None, chat=None, user=None)
                )
                changed += int(getattr(result, "rowcount", 0) or 0)
        if changed:
            # The ids must leave the disk too, not only the current version of the rows.
            self.store.checkpoint()
        return changed

    def purge_identities(self, before: datetime) -> int:
        """Clear the user ids of rows older than ``before`` (the retention period)."""
        changed = 0
        with self._tx() as db:
            for table in (_QuestionRow, _EventRow):
                result = db.execute(
                    sa.update(table)
                    .where(table.created_at < before, table.user.is_not(None))
                    .values(transport=None, chat=None, user=None)
                )
                changed += int(getattr(result, "rowcount", 0) or 0)
        if changed:
            # The ids must leave the disk too, not only the current version of the rows.
            self.store.checkpoint()
        return changed

    def count_identified(self, transport: str, user: str) -> int:
        """Count the rows that still name one user (privacy checks)."""
        with self._tx() as db:
            return sum(
                int(
                    db.scalar(
                        sa.select(sa.func.count())
                        .select_from(table)
                        .where(table.transport == transport, table.user == user)
                    )
                    or 0
                )
                for table in (_QuestionRow, _EventRow)
            )

    # Reading (staff)

    def local_today(self) -> date:
        """Return today's date where the office is."""
        return self.clock().replace(tzinfo=UTC).astimezone(self.zone).date()

    def _utc_start(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self.zone).astimezone(UTC).replace(tzinfo=None)

    def _local_day(self, moment: datetime) -> date:
        return moment.replace(tzinfo=UTC).astimezone(self.zone).date()

    def figures(self, days: int = 7) -> Figures:
        """Return the figures of the last ``days`` local days, today included."""
        days = max(1, days)
        last = self.local_today()
        first = last - timedelta(days=days - 1)
        since = self._utc_start(first)
        with self._tx() as db:
            questions = list(db.scalars(sa.select(_QuestionRow).where(_QuestionRow.created_at >= since)))
            events = list(db.scalars(sa.select(_EventRow).where(_EventRow.created_at >= since)))
            values = [(_question_value(q), self._local_day(q.created_at)) for q in questions]
        per_day, articles = _count_questions(values, first, days)
        by_kind, checks, files, tickets = _count_events(events)
        answered = sum(1 for q, _ in values if q.answered)
        return Figures(
            first_day=first,
            last_day=last,
            per_day=tuple(DayCount(d, c[0], c[1]) for d, c in sorted(per_day.items())),
            questions=len(values),
            answered=answered,
            low_confidence=sum(1 for q, _ in values if q.answered and q.confidence < self.low_confidence),
            feedback_up=sum(1 for q, _ in values if q.feedback == UP),
            feedback_down=sum(1 for q, _ in values if q.feedback == DOWN),
            top_articles=tuple(sorted(articles.items(), key=lambda item: (-item[1], item[0]))[:5]),
            dossiers_started=dict(by_kind[ev.DOSSIER_STARTED]),
            dossiers_completed=dict(by_kind[ev.DOSSIER_COMPLETED]),
            dossiers_cancelled=dict(by_kind[ev.DOSSIER_CANCELLED]),
            checks=checks,
            files_checked=files,
            tickets_opened=tickets,
            open_tickets=self.store.count_handoffs().get(TICKET_OPEN, 0),
        )

    def unanswered(self, limit: int = 20, days: int | None = None) -> list[QuestionLog]:
        """Return the latest questions to review: not answered, answered with low confidence, or 👎."""
        needs_review = sa.or_(
            _QuestionRow.answered.is_(False),
            _QuestionRow.confidence < self.low_confidence,
            _QuestionRow.feedback == DOWN,
        )
        stmt = sa.select(_QuestionRow).where(needs_review).order_by(_QuestionRow.id.desc()).limit(limit)
        if days is not None:
            stmt = stmt.where(
                _QuestionRow.created_at >= self._utc_start(self.local_today() - timedelta(days - 1))
            )
        with self._tx() as db:
            return [_question_value(row) for row in db.scalars(stmt)]

    def totals(self) -> Totals:
        """Return every count since the start (for the metrics endpoint)."""
        with self._tx() as db:
            questions = {
                bool(answered): int(n)
                for answered, n in db.execute(
                    sa.select(_QuestionRow.answered, sa.func.count()).group_by(_QuestionRow.answered)
                )
            }
            feedback = {
                str(value): int(n)
                for value, n in db.execute(
                    sa.select(_QuestionRow.feedback, sa.func.count())
                    .where(_QuestionRow.feedback.is_not(None))
                    .group_by(_QuestionRow.feedback)
                )
            }
            dossiers = {
                (str(kind), str(dossier_kind or "?")): int(n)
                for kind, dossier_kind, n in db.execute(
                    sa.select(_EventRow.kind, _EventRow.dossier_kind, sa.func.count())
                    .where(
                        _EventRow.kind.in_((ev.DOSSIER_STARTED, ev.DOSSIER_COMPLETED, ev.DOSSIER_CANCELLED))
                    )
                    .group_by(_EventRow.kind, _EventRow.dossier_kind)
                )
            }
            check_rows = list(db.scalars(sa.select(_EventRow).where(_EventRow.kind == ev.CHECK)))
            handoff_rows = list(db.scalars(sa.select(_EventRow).where(_EventRow.kind == ev.HANDOFF)))
            checks = len(check_rows)
            files = sum(int(_detail(r).get("files", 0) or 0) for r in check_rows)
            reasons: dict[str, set[Any]] = {}
            for row in handoff_rows:
                detail = _detail(row)
                reasons.setdefault(str(detail.get("reason", "") or "?"), set()).add(
                    detail.get("ticket", row.id)
                )
        return Totals(
            questions=questions,
            feedback=feedback,
            dossiers=dossiers,
            checks=checks,
            files_checked=files,
            handoffs={reason: len(tickets) for reason, tickets in reasons.items()},
            open_tickets=self.store.count_handoffs().get(TICKET_OPEN, 0),
        )


def _count_questions(
    values: list[tuple[QuestionLog, date]], first: date, days: int
) -> tuple[dict[date, list[int]], Counter[str]]:
    """Count questions and answers per local day, and the first article cited by each answer."""
    per_day = {first + timedelta(days=i): [0, 0] for i in range(days)}
    articles: Counter[str] = Counter()
    for question, day in values:
        counts = per_day.setdefault(day, [0, 0])
        counts[0] += 1
        counts[1] += int(question.answered)
        if question.answered and question.articles:
            articles[question.articles[0]] += 1
    return per_day, articles


def _count_events(events: list[_EventRow]) -> tuple[dict[str, Counter[str]], int, int, int]:
    """Count dossiers started, completed and cancelled per kind, checks, files checked and tickets opened."""
    by_kind: dict[str, Counter[str]] = {
        k: Counter() for k in (ev.DOSSIER_STARTED, ev.DOSSIER_COMPLETED, ev.DOSSIER_CANCELLED)
    }
    checks = files = 0
    tickets: set[Any] = set()
    for row in events:
        if row.kind in by_kind:
            by_kind[row.kind][row.dossier_kind or "?"] += 1
        elif row.kind == ev.CHECK:
            checks += 1
            files += int(_detail(row).get("files", 0) or 0)
        elif row.kind == ev.HANDOFF:
            tickets.add(_detail(row).get("ticket", row.id))
    return by_kind, checks, files, len(tickets)
