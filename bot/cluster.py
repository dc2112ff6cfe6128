"""Several bot processes on one PostgreSQL database: one update of a user at a time, each update once.

A webhook update is handled inside ``UpdateGuard.once``: it holds a PostgreSQL advisory lock on the user
(so two processes never interleave two messages of one user: their dossier is read and written whole) and
skips an update the inbox holds as answered (Telegram sends a webhook again when it got no answer). The
inbox (``bot.store.Inbox``) is the one record of incoming updates for every path: an update is recorded
"pending" before it is handled and marked "done" after its replies are sent, so a process killed between the
two is the only way a user gets an answer twice; a redelivery of a pending one (its process died: the lock
is free) is handled again. On SQLite (one process) the same contract holds with in-process locks.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Protocol

import psycopg
import psycopg_pool
import sqlalchemy as sa

from bot.messages import SessionKey
from bot.store import INBOX_DONE, INBOX_PENDING, Inbox, utc_now

log = logging.getLogger(__name__)

# Handled update ids are kept this long (as the long-polling inbox keeps them): Telegram gives up redelivering
# an update well before.
KEEP_HANDLED = timedelta(days=7)


def lock_key(transport: str, user: str) -> int:
    """Return the 64-bit advisory lock number of one user of one transport."""
    digest = hashlib.blake2b(f"{transport}\x00{user}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class UpdateGuard(Protocol):
    """Runs each update once, one update of a user at a time."""

    def once(self, transport: str, update_id: str, user: str) -> contextlib.AbstractAsyncContextManager[bool]:
        """Hold the user's lock; yield False when the update was handled already; record it on success."""
        ...

    async def ready(self) -> bool:
        """Tell whether the shared state can be reached (the database answers)."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


class LocalGuard:
    """The single-process guard: asyncio locks per user, the inbox of the process's store."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def once(self, transport: str, update_id: str, user: str) -> AsyncIterator[bool]:
        who = (transport, user)
        lock, users = self._locks.get(who, (asyncio.Lock(), 0))
        self._locks[who] = (lock, users + 1)
        try:
            async with lock:
                if self.inbox.status(transport, update_id) == INBOX_DONE:
                    log.info("%s update %s was handled already: not answered again", transport, update_id)
                    yield False
                    return
                self.inbox.record(transport, update_id, SessionKey(transport, user, user), {})
                yield True
                self.inbox.done(transport, update_id)
        finally:
            lock, users = self._locks[who]
            if users <= 1:
                del self._locks[who]
            else:
                self._locks[who] = (lock, users - 1)

    async def ready(self) -> bool:
        return True

    async def close(self) -> None:
        return None


class PostgresGuard:
    """The guard of several processes: advisory locks and the ``inbox`` table in PostgreSQL."""

    def __init__(self, url: str, *, max_connections: int = 20) -> None:
        parsed = sa.engine.make_url(url)
        conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        # One connection per update being handled (the lock is the connection's); others wait for one.
        self._pool = psycopg_pool.AsyncConnectionPool(
            conninfo, min_size=1, max_size=max_connections, open=False, kwargs={"autocommit": True}
        )
        self._opened = False
        self._last_cleanup = utc_now()

    async def _open(self) -> None:
        if not self._opened:
            await self._pool.open(wait=True, timeout=30)
            self._opened = True

    @contextlib.asynccontextmanager
    async def once(self, transport: str, update_id: str, user: str) -> AsyncIterator[bool]:
        await self._open()
        key = lock_key(transport, user)
        async with self._pool.connection() as connection:
            await connection.execute("SELECT pg_advisory_lock(%s)", (key,))
            try:
                cursor = await connection.execute(
                    "SELECT status FROM inbox WHERE transport = %s AND message_id = %s",
                    (transport, update_id),
                )
                row = await cursor.fetchone()
                if row is not None and row[0] == INBOX_DONE:
                    log.info("%s update %s was handled already: not answered again", transport, update_id)
                    yield False
                    return
                if row is None:
                    # Pending already: recorded by a process that died before answering (the lock was free).
                    await connection.execute(
                        'INSERT INTO inbox (transport, message_id, chat, "user", payload, status, created_at) '
                        "VALUES (%s, %s, %s, %s, '{}', %s, %s) ON CONFLICT DO NOTHING",
                        (transport, update_id, user, user, INBOX_PENDING, utc_now()),
                    )
                yield True
                await connection.execute(
                    "UPDATE inbox SET status = %s, payload = '{}' WHERE transport = %s AND message_id = %s",
                    (INBOX_DONE, transport, update_id),
                )
                await self._cleanup(connection, transport)
            finally:
                await connection.execute("SELECT pg_advisory_unlock(%s)", (key,))

    async def _cleanup(self, connection: psycopg.AsyncConnection[object], transport: str) -> None:
        now = utc_now()
        if now - self._last_cleanup < timedelta(minutes=10):
            return
        self._last_cleanup = now
        await connection.execute(
            "DELETE FROM inbox WHERE transport = %s AND created_at < %s", (transport, now - KEEP_HANDLED)
        )

    async def ready(self) -> bool:
        try:
            await self._open()
            async with self._pool.connection(timeout=5) as connection:
                await connection.execute("SELECT 1")
            return True
        except Exception as exc:
            log.warning("database not reachable: %s", type(exc).__name__)
            return False

    async def close(self) -> None:
        if self._opened:
            await self._pool.close()
            self._opened = False


def update_guard(database_url: str, inbox: Inbox) -> UpdateGuard:
    """Return the guard that fits the database: PostgreSQL (several processes) or the local one."""
    if sa.engine.make_url(database_url).get_backend_name() == "postgresql":
        return PostgresGuard(database_url)
    return LocalGuard(inbox)
