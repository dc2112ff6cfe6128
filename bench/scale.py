"""Scale bench: several processes on PostgreSQL behind nginx, against the single-process default.

    .venv/bin/python bench/scale.py [--users 50] [--seconds 60] [--scans 8] [--workers 1,2,4]

Prints (1) OCR throughput of the check queue: one-page scans per second with 1, 2 and 4 ``vetpharma
worker`` processes, beside one process checking them in turn (the default's in-process checker);
(2) a run of ``--users`` Telegram users for ``--seconds`` (questions, dossier steps, one scan per dossier
user, so a wave of scans early on) through nginx to three webhook processes and two workers, one bot process
and one worker killed with SIGKILL a third and half-way in: question latency p50/p99, messages lost or
answered twice; then the same users against one process on SQLite (checks in process), no kill.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.checkqueue import CheckQueue, make_app  # noqa: E402
from bot.documents import Documents  # noqa: E402
from bot.messages import SessionKey  # noqa: E402
from bot.store import open_store  # noqa: E402
from tests import postgres_server  # noqa: E402
from tests.queue_harness import scanned_diploma, start_worker, stop, wait_for  # noqa: E402
from tests.scale_harness import (  # noqa: E402
    deployment,
    outcome,
    percentile,
    simulate_user,
    wait_for_reports,
)
from tests.telegram_standin import serving  # noqa: E402


def _reports_posted(url: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(sa.text("SELECT count(*) FROM outbox")).scalar_one())
    finally:
        engine.dispose()


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def ocr_with_workers(admin_url: str, folder: Path, workers: int, scans: list[bytes]) -> float:
    """Queue the scans, let ``workers`` worker processes check them; return pages per second."""
    url = postgres_server.fresh_database(admin_url)
    store = open_store(url)
    queue = CheckQueue(store, make_app(url))
    started_workers = [start_worker(url, folder, f"ocr{workers}-{i}") for i in range(workers)]
    try:
        # Wait until every worker listens (start-up, models) so only checking is timed.
        for i in range(workers):
            log = folder / f"ocr{workers}-{i}.log"
            wait_for(lambda log=log: "Starting worker" in log.read_text(errors="replace"), 120, "a worker")
        started = time.monotonic()
        for n, scan in enumerate(scans):
            key = SessionKey("bench", f"c{n}", f"u{n}")
            dossier = store.create_dossier(key, "opening")
            queue.submit(key, dossier.id, [(f"scan{n}.pdf", "application/pdf", scan)])
        wait_for(lambda: _reports_posted(url) >= len(scans), 900, "every report")
        return len(scans) / (time.monotonic() - started)
    finally:
        for process in started_workers:
            stop(process)
        store.close()


def ocr_in_process(scans: list[bytes]) -> float:
    """Check the scans one after the other in this process, as the single-machine default does."""
    documents = Documents()
    started = time.monotonic()
    for n, scan in enumerate(scans):
        documents.check("opening", {}, [(f"scan{n}.pdf", scan)], "fr")
    return len(scans) / (time.monotonic() - started)


async def load_run(
    url: str, folder: Path, users: int, seconds: float, *, bots: int, workers: int, queue: bool, kill: bool
) -> None:
    """Drive the users against one deployment and print what they saw."""
    scan = scanned_diploma()
    async with (
        serving() as standin,
        deployment(standin, url, folder, bots=bots, workers=workers, queue=queue) as deployed,
    ):
        started = time.monotonic()
        until = started + seconds
        tasks = [
            asyncio.create_task(
                simulate_user(
                    standin,
                    2000 + i,
                    until,
                    scan,
                    random.Random(i),
                    dossier=i % 2 == 0,
                    upload=i % 2 == 0,
                    think=(1.0, 3.0),
                )
            )
            for i in range(users)
        ]
        if kill:
            await asyncio.sleep(seconds / 3)
            deployed.kill_bot(1)
            await asyncio.sleep(seconds / 6)
            deployed.kill_worker(0)
        runs = await asyncio.gather(*tasks)
        load_end = time.monotonic()
        await wait_for_reports(standin, runs, timeout=600)
        drained = time.monotonic() - load_end
        result = outcome(standin, runs, url if queue else None)
    questions = result.question_seconds
    print(f"  messages sent                {result.messages} ({result.messages / seconds:.1f}/s)")
    print(
        f"  question latency p50 / p99   {percentile(questions, 0.5):.2f} s / {percentile(questions, 0.99):.2f} s"
    )
    print(f"  uploads / reports missing    {result.uploads} / {len(result.reports_missing)}")
    print(f"  reports done after the load  {drained:.1f} s")
    print(f"  lost                         {len(result.lost)}")
    print(
        f"  answered twice               {len(result.duplicates)} (after a redelivery: "
        f"{len(result.duplicates) - len(result.unexplained_duplicates)}); Telegram redelivered {result.retried}"
    )
    print(
        f"  reports sent twice           {len(result.reports_twice)} (unexplained {len(result.unexplained_reports_twice)})"
    )


async def main_async(args: argparse.Namespace) -> int:
    folder = Path(tempfile.mkdtemp(prefix="vetpharma-scale-"))
    scans = [scanned_diploma(seed) for seed in range(args.scans)]
    with postgres_server.postgres_server() as admin_url:
        print(f"== machine: {os.cpu_count()} cores, load average {_load()} (other people's work included) ==")
        print(f"== OCR: {args.scans} one-page scans ==")
        print(f"  one process, in turn        {ocr_in_process(scans):.2f} pages/s")
        for workers in (int(w) for w in args.workers.split(",")):
            rate = ocr_with_workers(admin_url, folder, workers, scans)
            print(f"  {workers} worker process(es)       {rate:.2f} pages/s")
        print(
            f"== {args.users} users, {args.seconds:.0f} s: nginx, 3 webhook processes, 2 workers, PostgreSQL; "
            "one bot and one worker killed =="
        )
        url = postgres_server.fresh_database(admin_url)
        await load_run(url, folder, args.users, args.seconds, bots=3, workers=2, queue=True, kill=True)
    print(
        f"== {args.users} users, {args.seconds:.0f} s: one process, SQLite, checks in process (the default) =="
    )
    sqlite = f"sqlite:///{folder / 'single.sqlite3'}"
    await load_run(sqlite, folder, args.users, args.seconds, bots=1, workers=0, queue=False, kill=False)
    print(f"== load average at the end: {_load()} ==")
    print(f"(logs in {folder})")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--scans", type=int, default=8, help="one-page scans per OCR measurement")
    parser.add_argument("--workers", default="1,2,4", help="worker counts for the OCR measurement")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
