"""What the adapters record across restarts: incoming messages (idempotency keys) and button choices."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bot.messages import SessionKey
from bot.store.engine import StoreEngine, _Base, utc_now

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

    def __init__(self, store: StoreEngine) -> None:
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

    def __init__(self, store: StoreEngine) -> None:
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
