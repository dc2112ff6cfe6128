"""Several processes on one PostgreSQL database behind nginx: three Telegram webhook processes, two check
workers, 20 users for 30 s; one bot process and one worker are killed with SIGKILL in the middle."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.messages import SessionKey
from bot.store import open_store
from tests import postgres_server
from tests.queue_harness import scanned_diploma
from tests.scale_harness import (
    deployment,
    diagnose,
    nginx_available,
    outcome,
    percentile,
    simulate_user,
    wait_for_reports,
)
from tests.telegram_standin import serving

pytestmark = pytest.mark.slow

USERS = 20
SECONDS = 30.0


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    reason = postgres_server.available() or nginx_available()
    if reason:
        pytest.skip(reason)
    with postgres_server.postgres_server() as admin_url:
        yield admin_url


async def test_nothing_is_lost_when_a_bot_process_and_a_worker_are_killed(
    postgres: str, tmp_path: Path
) -> None:
    url = postgres_server.fresh_database(postgres)
    scan = scanned_diploma()
    async with serving() as standin, deployment(standin, url, tmp_path, bots=3, workers=2) as deployed:
        until = time.monotonic() + SECONDS
        users = [
            asyncio.create_task(
                simulate_user(
                    standin, 1000 + i, until, scan, random.Random(i), dossier=i % 2 == 0, upload=i % 4 == 0
                )
            )
            for i in range(USERS)
        ]
        await asyncio.sleep(SECONDS / 3)
        deployed.kill_bot(1)
        await asyncio.sleep(SECONDS / 6)
        deployed.kill_worker(0)
        # The service manager starts it again a few seconds later (systemd's Restart=always).
        await asyncio.sleep(3)
        deployed.restart_worker(0)
        runs = await asyncio.gather(*users)
        await wait_for_reports(standin, runs, timeout=120)
        result = outcome(standin, runs, url)
        state = diagnose(url, tmp_path) if result.reports_missing or result.lost else ""

    print(
        f"\n{result.messages} messages, {result.uploads} uploads; {len(result.lost)} lost, "
        f"{len(result.duplicates)} answered twice (all after a redelivery: "
        f"{not result.unexplained_duplicates}), {result.retried} redelivered by Telegram; "
        f"reports missing {result.reports_missing}, twice {result.reports_twice}; question latency "
        f"p50 {percentile(result.question_seconds, 0.5):.2f} s, p99 {percentile(result.question_seconds, 0.99):.2f} s"
    )
    assert result.messages >= USERS * 2
    # Every message answered, every upload reported.
    assert result.lost == [], state
    assert result.reports_missing == [], state
    assert result.uploads == USERS // 4
    # A message is answered twice only when Telegram had to send it again (its process died after
    # replying and before recording the update as handled); no such message without a redelivery.
    assert result.unexplained_duplicates == []
    assert len(result.duplicates) <= result.retried
    # A report arrives twice only when its upload was handled twice (sent again by Telegram after its
    # process died before answering) or when the process sending it died before recording it as sent.
    assert result.unexplained_reports_twice == []
    # No dossier answer lost: each field a user answered is in their stored dossier.
    store = open_store(url)
    try:
        for run in runs:
            if not run.answered_fields:
                continue
            key = SessionKey("telegram", str(run.user), str(run.user))
            # "/dossier opening" handled twice (after a redelivery) opens a second dossier: look at all of them.
            stored = {field for dossier in store.dossiers(key) for field in dossier.answers}
            assert set(run.answered_fields) <= stored, (run.user, stored)
    finally:
        store.close()
