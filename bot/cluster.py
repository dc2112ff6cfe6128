"""Several bot processes on one PostgreSQL database: one update of a user at a time, each update once.

A webhook update is handled inside ``UpdateGuard.once``: it holds a PostgreSQL advisory lock on the user
(so two processes never interleave two messages of one user: their dossier is read and written whole) and
skips an update already recorded as handled (Telegram sends a webhook again when it got no answer). The
update is recorded after its replies are sent; a process killed between the two is the only way a user
gets an answer twice. On SQLite (one process) the same contract holds with in-process locks and memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Protocol

import psycopg
import psycopg_pool
import sqlalchemy as sa

from bot.store import utc_now

log = logging.getLogger(__name__)

# Handled update ids are kept this long: Telegram gives up redelivering an update well before.
KEEP_HANDLED = timedelta(days=2)


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
    """The single-process guard: asyncio locks per user, the last handled ids in memory."""

    def __init__(self, capacity: int = 50_000) -> None:
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}
        self._handled: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._capacity = capacity

    @contextlib.asynccontextmanager
    async def once(self, transport: str, update_id: str, user: str) -> AsyncIterator[bool]:
        who = (transport, user)
        lock, users = self._locks.get(who, (asyncio.Lock(), 0))
        self._locks[who] = (lock, users + 1)
        try:
            async with lock:
                seen = (transport, update_id)
                if seen in self._handled:
                    yield False
                    return
                yield True
                self._handled[seen] = None
                while len(self._handled) > self._capacity:
                    self._handled.popitem(last=False)
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
    """The guard of several processes: advisory locks and the ``handled_updates`` table in PostgreSQL."""

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
                    "SELECT 1 FROM handled_updates WHERE transport = %s AND update_id = %s",
                    (transport, update_id),
                )
                if await cursor.fetchone() is not None:
                    log.info("%s update %s was handled already: not answered again", transport, update_id)
                    yield False
                    return
                yield True
                await connection.execute(
                    "INSERT INTO handled_updates (transport, update_id, handled_at) VALUES (%s, %s, %s) "
                    "ON CONFLICT DO NOTHING",
                    (transport, update_id, utc_now()),
                )
                await self._cleanup(connection)
            finally:
                await connection.execute("SELECT pg_advisory_unlock(%s)", (key,))

    async def _cleanup(self, connection: psycopg.AsyncConnection[object]) -> None:
        now = utc_now()
        if now - self._last_cleanup < timedelta(minutes=10):
            return
        self._last_cleanup = now
        await connection.execute("DELETE FROM handled_updates WHERE handled_at < %s", (now - KEEP_HANDLED,))

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


def update_guard(database_url: str) -> UpdateGuard:
    """Return the guard that fits the database: PostgreSQL (several processes) or the local one."""
    if sa.engine.make_url(database_url).get_backend_name() == "postgresql":
        return PostgresGuard(database_url)
    return LocalGuard()
