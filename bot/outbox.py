"""Replies waiting in the database for a bot process to send them (reports of checks run by a worker).

A worker posts the replies of a finished check in the same transaction as its report; every bot process
polls for replies to its transports, claims a few for a lease (``FOR UPDATE SKIP LOCKED``, so two processes
never take the same row), sends them and marks them delivered. A process killed between sending and marking
leaves its rows to be sent again by another once the lease ends: the only way a report arrives twice.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.messages import Choice, OutgoingFile, Reply, SessionKey
from bot.router import Router
from bot.store import utc_now

log = logging.getLogger(__name__)

_metadata = sa.MetaData()
# Created by migration 0002; mirrored here for queries.
outbox = sa.Table(
    "outbox",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("transport", sa.String(32), nullable=False),
    sa.Column("chat", sa.String(255), nullable=False),
    sa.Column("user", sa.String(255), nullable=False),
    sa.Column("replies", sa.Text, nullable=False),
    sa.Column("source", sa.String(64), nullable=True, unique=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("claimed_until", sa.DateTime, nullable=True),
    sa.Column("claims", sa.Integer, nullable=False, server_default="0"),
    sa.Column("delivered_at", sa.DateTime, nullable=True),
)

# Delivered rows are kept this long (a job run again finds its source and posts nothing), then deleted.
KEEP_DELIVERED = timedelta(days=1)
# A parcel whose sending failed (transport stopping, network) is tried again after this, this many times.
RETRY_AFTER = timedelta(seconds=5)
MAX_CLAIMS = 10


@dataclass(frozen=True)
class Parcel:
    """Replies for one session, claimed by this process for delivery."""

    id: int
    key: SessionKey
    replies: tuple[Reply, ...]
    claims: int = 1


def encode_replies(replies: Sequence[Reply]) -> str:
    """Write replies as JSON (files in base64)."""
    return json.dumps(
        [
            {
                "text": r.text,
                "choices": [[c.label, c.value] for c in r.choices],
                "file": None
                if r.file is None
                else {
                    "name": r.file.name,
                    "mime": r.file.mime,
                    "data": base64.b64encode(r.file.data).decode(),
                },
                "to": None if r.to is None else [r.to.transport, r.to.chat, r.to.user],
            }
            for r in replies
        ],
        ensure_ascii=False,
    )


def decode_replies(text: str) -> tuple[Reply, ...]:
    """Read replies written by ``encode_replies``."""
    result = []
    for item in json.loads(text):
        file = item.get("file")
        to = item.get("to")
        result.append(
            Reply(
                text=str(item.get("text", "")),
                choices=tuple(Choice(str(label), str(value)) for label, value in item.get("choices", [])),
                file=None
                if not file
                else OutgoingFile(str(file["name"]), str(file["mime"]), base64.b64decode(file["data"])),
                to=None if not to else SessionKey(str(to[0]), str(to[1]), str(to[2])),
            )
        )
    return tuple(result)


def already_posted(db: Session, source: str) -> bool:
    """Tell whether replies from this source (a check job) were already posted."""
    return db.scalar(sa.select(outbox.c.id).where(outbox.c.source == source)) is not None


def post(db: Session, key: SessionKey, replies: Sequence[Reply], *, source: str | None = None) -> None:
    """Leave replies for a session, inside the caller's transaction."""
    db.execute(
        outbox.insert().values(
            transport=key.transport,
            chat=key.chat,
            user=key.user,
            replies=encode_replies(replies),
            source=source,
            created_at=utc_now(),
        )
    )


def claim(engine: Engine, transports: Iterable[str], *, lease: timedelta, limit: int = 20) -> list[Parcel]:
    """Take up to ``limit`` undelivered parcels for these transports for ``lease`` (oldest first)."""
    names = sorted(transports)
    if not names:
        return []
    now = utc_now()
    with Session(engine) as db, db.begin():
        rows = db.execute(
            sa.select(
                outbox.c.id,
                outbox.c.transport,
                outbox.c.chat,
                outbox.c.user,
                outbox.c.replies,
                outbox.c.claims,
            )
            .where(
                outbox.c.delivered_at.is_(None),
                outbox.c.transport.in_(names),
                sa.or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now),
            )
            .order_by(outbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        if not rows:
            return []
        ids = [row.id for row in rows]
        db.execute(
            outbox.update()
            .where(outbox.c.id.in_(ids))
            .values(claimed_until=now + lease, claims=outbox.c.claims + 1)
        )
    return [
        Parcel(
            row.id, SessionKey(row.transport, row.chat, row.user), decode_replies(row.replies), row.claims + 1
        )
        for row in rows
    ]


def release(engine: Engine, ids: Sequence[int]) -> None:
    """Give parcels whose sending failed back to the outbox, to be tried again after ``RETRY_AFTER``."""
    if not ids:
        return
    with Session(engine) as db, db.begin():
        db.execute(
            outbox.update().where(outbox.c.id.in_(list(ids))).values(claimed_until=utc_now() + RETRY_AFTER)
        )


def mark_delivered(engine: Engine, ids: Sequence[int]) -> None:
    """Record parcels as sent, and drop those sent long ago."""
    now = utc_now()
    with Session(engine) as db, db.begin():
        if ids:
            db.execute(outbox.update().where(outbox.c.id.in_(list(ids))).values(delivered_at=now))
        db.execute(outbox.delete().where(outbox.c.delivered_at < now - KEEP_DELIVERED))


@dataclass(frozen=True)
class OutboxFigures:
    """Undelivered parcels and the age of the oldest, for the metrics endpoint."""

    waiting: int
    oldest_seconds: float


def figures(engine: Engine) -> OutboxFigures:
    """Count the parcels not yet delivered."""
    with Session(engine) as db:
        count, oldest = db.execute(
            sa.select(sa.func.count(), sa.func.min(outbox.c.created_at)).where(
                outbox.c.delivered_at.is_(None)
            )
        ).one()
    age = (utc_now() - oldest).total_seconds() if oldest is not None else 0.0
    return OutboxFigures(int(count or 0), max(0.0, age))


async def deliver_once(engine: Engine, router: Router, *, lease: timedelta) -> int:
    """Send what is waiting for this process's transports; return how many parcels were delivered."""
    parcels = await asyncio.to_thread(claim, engine, router.transports, lease=lease)
    done: list[int] = []
    failed: list[int] = []
    for parcel in parcels:
        deliveries = await router.deliver_all(parcel.replies, parcel.key)
        if all(d.delivered for d in deliveries) or parcel.claims >= MAX_CLAIMS:
            if not all(d.delivered for d in deliveries):
                log.warning(
                    "a report to %s could not be sent after %d tries", parcel.key.transport, parcel.claims
                )
            done.append(parcel.id)
        else:
            failed.append(parcel.id)
    if done:
        await asyncio.to_thread(mark_delivered, engine, done)
    if failed:
        await asyncio.to_thread(release, engine, failed)
    return len(done)


async def deliver_forever(
    engine: Engine, router: Router, stop: asyncio.Event, *, every: float, lease: timedelta
) -> None:
    """Deliver waiting parcels until ``stop`` is set (a database error is logged, and tried again)."""
    while not stop.is_set():
        try:
            sent = await deliver_once(engine, router, lease=lease)
        except Exception:
            log.exception("could not deliver the waiting reports")
            sent = 0
        if sent:
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)


def take_for(engine: Engine, key: SessionKey) -> list[Reply]:
    """Take the replies waiting for one session, marked delivered (a terminal prints them itself)."""
    now = utc_now()
    where = (
        outbox.c.delivered_at.is_(None),
        outbox.c.transport == key.transport,
        outbox.c.chat == key.chat,
        outbox.c.user == key.user,
    )
    with Session(engine) as db, db.begin():
        rows = db.execute(
            sa.select(outbox.c.id, outbox.c.replies).where(*where).order_by(outbox.c.id).with_for_update()
        ).all()
        if rows:
            ids = [row.id for row in rows]
            db.execute(outbox.update().where(outbox.c.id.in_(ids)).values(delivered_at=now))
    return [reply for row in rows for reply in decode_replies(row.replies)]


def leave_for(engine: Engine, replies: Sequence[Reply]) -> None:
    """Leave replies addressed to other sessions in the outbox (for their transport's process to send)."""
    with Session(engine) as db, db.begin():
        for reply in replies:
            if reply.to is not None:
                post(db, reply.to, [replace(reply, to=None)])
