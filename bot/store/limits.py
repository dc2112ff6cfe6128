"""Per-user counters shared by every process: messages in the rate limit's window, checks in the budgets."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.engine import StoreEngine, _Base, utc_now

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

    def __init__(self, store: StoreEngine) -> None:
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

    def __init__(self, store: StoreEngine) -> None:
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
