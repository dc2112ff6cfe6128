"""One active process per bot account, the others on hot standby: a PostgreSQL advisory lock is the lease.

Two Matrix processes syncing one account would each answer every message. With a PostgreSQL store, a process
takes the account's lease (``pg_try_advisory_lock`` on a connection of its own) before it logs in; the others
try again every ``standby_poll_seconds``. The lock belongs to the connection: when the active process dies
(even ``kill -9``) its connection closes, PostgreSQL drops the lock, and a standby takes over within about one
poll. The active process checks its connection every ``lease_check_seconds`` and stops syncing the moment it
cannot reach the database, since a standby may then hold the lease (TCP keepalives bound how long a dead
machine's connection lingers). With SQLite (one process on one machine) there is no lease to take.

A process contends for the lease only once it is warm (models loaded, ``warm`` set): a standby that takes over
then answers at once instead of loading the models while the account's messages wait, and of two processes
starting together the one ready first serves.

End-to-end encryption, one machine: every process of an account uses the same state folder, hence the same
device id and the same crypto store (nio's SQLite file). A standby opens neither before it holds the lease, so
the store has one writer at a time and the new active one loads it as the dead one left it (SQLite commits are
atomic): the Olm account, the Olm sessions, the room keys received. It resumes syncing from the saved token of
that same device, so the server hands it every to-device message (room keys) the dead one had not
acknowledged; one handled twice is refused by nio as already known. Outbound room keys are never stored by nio:
the new active one starts a new Megolm session and shares it. Messages are recorded in the inbox before the
sync token moves past them, so what the dead process had not answered is answered by the new one, once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg.conninfo import make_conninfo

from bot.cluster import lock_key

log = logging.getLogger(__name__)

# A connection to a machine that vanished (no FIN, no RST) is declared dead after about 10 + 3 × 5 s.
KEEPALIVE = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3}


@dataclass(frozen=True)
class Lease:
    """The right to be the active process of one account; ``lost`` is set if the database is cut off."""

    name: str
    lost: asyncio.Event
    shared: bool  # False: no database lock (SQLite, one process)


def _conninfo(database_url: str) -> str | None:
    parsed = sa.engine.make_url(database_url)
    if parsed.get_backend_name() != "postgresql":
        return None
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


async def _close(connection: psycopg.AsyncConnection[Any] | None) -> None:
    if connection is not None and not connection.closed:
        with contextlib.suppress(Exception):
            await connection.close()


async def _try_lock(
    conninfo: str, key: int, connection: psycopg.AsyncConnection[Any] | None
) -> tuple[bool, psycopg.AsyncConnection[Any] | None]:
    """Try once to take the lock; return whether it is held and the connection (None after an error)."""
    try:
        if connection is None or connection.closed:
            connection = await psycopg.AsyncConnection.connect(
                make_conninfo(conninfo, **KEEPALIVE), autocommit=True
            )
        cursor = await connection.execute("SELECT pg_try_advisory_lock(%s)", (key,))
        row = await cursor.fetchone()
        return bool(row and row[0]), connection
    except (psycopg.Error, OSError) as exc:
        log.warning("standby: the database cannot be reached (%s); trying again", type(exc).__name__)
        await _close(connection)
        return False, None


async def _until_warm(warm: threading.Event, stop: asyncio.Event, every: float) -> None:
    """Wait until ``warm`` is set (a thread sets it) or ``stop`` is."""
    while not warm.is_set() and not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)


async def _watch(connection: psycopg.AsyncConnection[Any], lease: Lease, every: float) -> None:
    """Set ``lease.lost`` as soon as the lock's connection stops answering."""
    while True:
        await asyncio.sleep(every)
        try:
            await asyncio.wait_for(connection.execute("SELECT 1"), timeout=max(every, 5.0))
        except (psycopg.Error, OSError, TimeoutError) as exc:
            log.error(
                "lost the database connection holding the lease of %s (%s): stopping, a standby takes over",
                lease.name,
                type(exc).__name__,
            )
            lease.lost.set()
            return


@contextlib.asynccontextmanager
async def active_lease(
    database_url: str,
    name: str,
    stop: asyncio.Event,
    *,
    poll_seconds: float,
    check_seconds: float,
    warm: threading.Event | None = None,
) -> AsyncIterator[Lease | None]:
    """Wait on standby until this process, once ``warm``, holds the lease of ``name``; yield it (None: stopped)."""
    conninfo = _conninfo(database_url)
    if conninfo is None:
        yield Lease(name, asyncio.Event(), shared=False)
        return
    if warm is not None and not warm.is_set():
        log.info("warming up before contending for %s", name)
        await _until_warm(warm, stop, min(poll_seconds, 0.2))
    key = lock_key("active", name)
    connection: psycopg.AsyncConnection[Any] | None = None
    told = False
    try:
        while not stop.is_set():
            held, connection = await _try_lock(conninfo, key, connection)
            if held:
                break
            if not told and connection is not None:
                log.info("standby for %s: another process is active; taking over if it stops", name)
                told = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=poll_seconds)
        if stop.is_set() or connection is None:
            yield None
            return
        log.info("active for %s", name)
        lease = Lease(name, asyncio.Event(), shared=True)
        watch = asyncio.create_task(_watch(connection, lease, check_seconds))
        try:
            yield lease
        finally:
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
    finally:
        # Closing the connection releases the lock: a standby takes over at its next try.
        await _close(connection)


async def until_either(first: asyncio.Event, second: asyncio.Event) -> asyncio.Event:
    """Return an event set as soon as either event is (the task behind it ends with them)."""
    both = asyncio.Event()

    async def follow() -> None:
        waits = {asyncio.ensure_future(first.wait()), asyncio.ensure_future(second.wait())}
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
        both.set()

    task = asyncio.ensure_future(follow())
    _FOLLOWERS.add(task)
    task.add_done_callback(_FOLLOWERS.discard)
    return both


_FOLLOWERS: set[asyncio.Future[None]] = set()
