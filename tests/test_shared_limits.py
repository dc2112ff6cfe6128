"""Limits shared by several processes on one PostgreSQL database: the message rate limit is counted in the
database, and queued checks are taken least-served user first."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from bot.app import build_core
from bot.checkqueue import QUEUE, CheckQueue, make_app
from bot.messages import SessionKey
from bot.quotas import RateLimiter, SharedRateLimiter, rate_limiter
from bot.settings import QueueSettings, Settings
from bot.store import open_store
from tests import postgres_server
from tests.transcript import DIPLOMA_LINES, text_pdf

ALICE = SessionKey("telegram", "1", "1")
BOB = SessionKey("telegram", "2", "2")
NOW = datetime(2026, 11, 29, 10, 0, 0)


def test_two_processes_count_one_users_messages_together(postgres: str) -> None:
    url = postgres_server.fresh_database(postgres)
    # Two processes: each its own store (connections) on the one database, counting Alice's messages at once.
    stores = [open_store(url), open_store(url)]
    limiters = [rate_limiter(10, store, lambda: NOW) for store in stores]
    assert all(isinstance(limiter, SharedRateLimiter) for limiter in limiters)
    outcomes: list[bool | None] = []
    lock = threading.Lock()

    def send(limiter: SharedRateLimiter | RateLimiter | object) -> None:
        assert isinstance(limiter, SharedRateLimiter)
        for _ in range(12):
            allowed = limiter.allow(ALICE)
            with lock:
                outcomes.append(allowed)

    threads = [threading.Thread(target=send, args=(limiter,)) for limiter in limiters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 10 allowed in all (not 10 per process); the first refused is told, the others are not told again.
    assert outcomes.count(True) == 10
    assert outcomes.count(False) == 1
    assert outcomes.count(None) == 13
    assert limiters[1].wait_seconds(ALICE) == 60
    assert limiters[0].allow(BOB) is True  # another user has their own count
    # A minute later Alice may write again, whichever process she reaches.
    later = [rate_limiter(10, store, lambda: NOW + timedelta(seconds=61)) for store in stores]
    assert later[1].allow(ALICE) is True
    assert later[0].wait_seconds(ALICE) == 0
    for store in stores:
        store.close()


def test_one_process_on_sqlite_counts_in_memory(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    limiter = rate_limiter(2, store, lambda: NOW)
    assert isinstance(limiter, RateLimiter)
    assert [limiter.allow(ALICE) for _ in range(4)] == [True, True, False, None]
    assert limiter.wait_seconds(ALICE) == 60
    store.close()


def test_queued_checks_are_taken_least_served_user_first(postgres: str) -> None:
    url = postgres_server.fresh_database(postgres)
    store = open_store(url)
    app = make_app(url)
    queue = CheckQueue(store, app)
    # Alice sends four scans, each to one of her dossiers; then Bob sends one.
    for number in range(4):
        dossier = store.create_dossier(ALICE, "opening")
        queue.submit(ALICE, dossier.id, [(f"scan{number}.pdf", "application/pdf", b"%PDF-1.4")])
    bob_dossier = store.create_dossier(BOB, "opening")
    queue.submit(BOB, bob_dossier.id, [("bob.pdf", "application/pdf", b"%PDF-1.4")])

    async def order() -> list[str]:
        async with app.open_async():
            worker = await app.job_manager.register_worker()
            taken = []
            while (job := await app.job_manager.fetch_job([QUEUE], worker)) is not None:
                taken.append(str(job.task_kwargs["user"]))
            return taken

    # In order of arrival Bob would wait for Alice's four; he goes right after her first.
    assert asyncio.run(order()) == [ALICE.user, BOB.user, ALICE.user, ALICE.user, ALICE.user]
    store.close()


def test_a_users_budget_of_pages_holds_across_workers_and_waits_instead_of_blocking_others(
    postgres: str, tmp_path: Path
) -> None:
    url = postgres_server.fresh_database(postgres)
    settings = Settings(data_dir=str(tmp_path), database_url=url, queue=QueueSettings(enabled=True))
    core = build_core(settings, store=open_store(url))
    limits = replace(settings.limits, pages_per_minute=1)
    queue = CheckQueue(core.store, make_app(url))
    diploma = text_pdf(*DIPLOMA_LINES)
    first, second = (core.store.create_dossier(ALICE, "opening") for _ in range(2))
    queue.submit(ALICE, first.id, [("one.pdf", "application/pdf", diploma)])
    queue.submit(ALICE, second.id, [("two.pdf", "application/pdf", diploma)])
    bob_dossier = core.store.create_dossier(BOB, "opening")
    queue.submit(BOB, bob_dossier.id, [("bob.pdf", "application/pdf", diploma)])
    worker = make_app(url, runner=core, limits=limits)

    async def work() -> None:
        async with worker.open_async():
            # Runs every job that may run now, then returns.
            await worker.run_worker_async(queues=[QUEUE], wait=False, install_signal_handlers=False)

    asyncio.run(work())
    # Alice's first page spent her minute: her second check waits for it; Bob's was checked meanwhile.
    assert len(core.store.checks(first.id)) == 1
    assert len(core.store.checks(bob_dossier.id)) == 1
    assert core.store.checks(second.id) == []
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        waiting = connection.execute(
            sa.text(
                "SELECT args->>'user', scheduled_at > now() FROM procrastinate_jobs WHERE status = 'todo'"
            )
        ).all()
    engine.dispose()
    assert [(user, later) for user, later in waiting] == [(ALICE.user, True)]
    core.close()
