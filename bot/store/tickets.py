"""Requests to talk to a person (tickets): whose, their status and their context."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bot.messages import SessionKey
from bot.statuses import TicketStatus
from bot.store.engine import StoreEngine, _Base, _owned, utc_now

TICKET_OPEN = TicketStatus.OPEN
TICKET_CLOSED = TicketStatus.CLOSED


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
class HandoffRecord:
    """A request to talk to a person (a ticket): whose, its status, and its context as plain data."""

    number: int
    key: SessionKey
    lang: str
    status: str
    context: Mapping[str, Any]
    created_at: datetime


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


class TicketStore(StoreEngine):
    """The human handoff part of the store."""

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
