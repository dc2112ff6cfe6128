"""The account lease of ``bot.standby`` on a real PostgreSQL: one holder, standbys waiting, a takeover when the
holder's connection goes, and the cut-off holder told to stop."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import sqlalchemy as sa

from bot.standby import active_lease
from tests import postgres_server

NAME = "matrix:@bot:example.org"


def _cut_off_lease_holders(url: str) -> int:
    """Terminate the database connections that hold an advisory lock (a holder's machine gone)."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        count = connection.execute(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            )
        ).scalar_one()
    engine.dispose()
    return int(count)


async def test_one_holder_a_waiting_standby_and_a_takeover_when_the_holder_is_cut_off(postgres: str) -> None:
    url = postgres_server.fresh_database(postgres)
    stop = asyncio.Event()
    timing = {"poll_seconds": 0.2, "check_seconds": 0.2}
    taken = asyncio.Event()

    async def standby() -> bool:
        async with active_lease(url, NAME, stop, **timing) as lease:
            taken.set()
            return lease is not None

    async with active_lease(url, NAME, stop, **timing) as first:
        assert first is not None and first.shared
        waiting = asyncio.create_task(standby())
        await asyncio.sleep(1.0)
        assert not taken.is_set()  # the standby waits while the holder lives
        assert _cut_off_lease_holders(url) == 1
        await asyncio.wait_for(first.lost.wait(), 30)  # the holder learns it may no longer act
        assert await asyncio.wait_for(waiting, 30)  # and the standby holds the lease
    stop.set()


async def test_a_standby_stopped_before_taking_over_gets_no_lease(postgres: str) -> None:
    url = postgres_server.fresh_database(postgres)
    stop = asyncio.Event()
    async with active_lease(url, NAME, stop, poll_seconds=0.2, check_seconds=5) as first:
        assert first is not None

        async def standby() -> object:
            async with active_lease(url, NAME, stop, poll_seconds=0.2, check_seconds=5) as lease:
                return lease

        waiting = asyncio.create_task(standby())
        await asyncio.sleep(0.5)
        stop.set()
        assert await asyncio.wait_for(waiting, 30) is None


async def test_one_process_on_sqlite_needs_no_lease(tmp_path: Path) -> None:
    async with active_lease(
        f"sqlite:///{tmp_path / 's.sqlite3'}", NAME, asyncio.Event(), poll_seconds=1, check_seconds=1
    ) as lease:
        assert lease is not None and not lease.shared


async def test_a_cold_process_leaves_a_free_lease_to_a_warm_one(postgres: str) -> None:
    """Only a process whose models are loaded contends: a standby taking over answers at once."""
    url = postgres_server.fresh_database(postgres)
    stop = asyncio.Event()
    cold, warm = threading.Event(), threading.Event()
    warm.set()
    order: list[str] = []

    async def contend(name: str, ready: threading.Event) -> None:
        async with active_lease(url, NAME, stop, poll_seconds=0.2, check_seconds=5, warm=ready) as lease:
            if lease is not None:  # None: stopped on standby
                order.append(name)
                await stop.wait()

    cold_task = asyncio.create_task(contend("cold", cold))
    await asyncio.sleep(0.5)
    assert order == []  # free, but not taken while the models load
    warm_task = asyncio.create_task(contend("warm", warm))
    for _ in range(150):
        if order:
            break
        await asyncio.sleep(0.1)
    assert order == ["warm"]
    cold.set()  # once warm, the other one waits on standby
    await asyncio.sleep(0.5)
    assert order == ["warm"]
    stop.set()
    await asyncio.wait_for(asyncio.gather(cold_task, warm_task), 30)
