"""``vetpharma worker``: run queued document checks (procrastinate), any number of them, on any machine."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
from dataclasses import replace

import procrastinate
import procrastinate.exceptions

from bot.checkqueue import QUEUE, check_running, make_app
from bot.settings import QueueSettings, load_settings
from bot.store import Store

log = logging.getLogger(__name__)


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the worker's options."""
    parser.add_argument(
        "--config", help="settings file (default: $VETPHARMA_CONFIG or config/vetpharma.toml)"
    )
    parser.add_argument("--concurrency", type=int, help="checks run at once (default: queue.concurrency)")
    parser.add_argument(
        "--metrics-port", type=int, default=0, help="serve /metrics and /health/* on this port (0: off)"
    )


async def requeue_stalled(app: procrastinate.App, queue: QueueSettings, store: Store) -> None:
    """Put back in the queue the checks of workers that stopped saying they are alive (killed, cut off).

    A worker told to stop says nothing more once its grace is over, but its reading thread runs to its end:
    its check's lock (``bot.checkqueue.check_running``) tells that it is still at work, and it is left alone.
    A job is queued again only when found stalled and unlocked at two looks in a row: a check that has just
    ended (its lock released, its status not yet written) is gone by the second look.
    """
    unlocked: set[int] = set()  # stalled jobs whose check held no lock at the last look
    while True:
        await asyncio.sleep(queue.heartbeat_seconds)
        try:
            stalled = await app.job_manager.get_stalled_jobs(
                queue=QUEUE, seconds_since_heartbeat=queue.stalled_after_seconds
            )
            seen, unlocked = unlocked, set()
            for job in stalled:
                if job.id is None or await asyncio.to_thread(check_running, store, job.id):
                    continue
                unlocked.add(job.id)
                if job.id not in seen:
                    continue
                try:
                    await app.job_manager.retry_job(job)
                except procrastinate.exceptions.ConnectorException as error:
                    if "invalid status" not in str(error.__cause__):
                        raise
                    # It ended between the listing and the retry (its lock goes with its end): nothing to redo.
                    log.info("check job %s ended while it was looked at: left alone", job.id)
                    continue
                log.warning("check job %s of a silent worker is queued again", job.id)
        except Exception:
            log.exception("could not look for stalled checks")


async def work(app: procrastinate.App, queue: QueueSettings, concurrency: int, store: Store) -> None:
    """Run checks until SIGTERM or SIGINT; the checks running then are finished (or queued again)."""
    async with app.open_async():
        requeuing = asyncio.create_task(requeue_stalled(app, queue, store))
        try:
            await app.run_worker_async(
                queues=[QUEUE],
                name=f"vetpharma@{socket.gethostname()}:{os.getpid()}",
                concurrency=concurrency,
                wait=True,
                shutdown_graceful_timeout=queue.shutdown_grace_seconds,
                update_heartbeat_interval=queue.heartbeat_seconds,
                stalled_worker_timeout=queue.stalled_after_seconds,
                install_signal_handlers=True,
                delete_jobs="successful",
            )
        finally:
            requeuing.cancel()


def run(args: argparse.Namespace) -> int:
    """Check queued uploads until stopped."""
    from bot.app import build_core
    from bot.serve import configure_logging

    settings = load_settings(args.config)
    configure_logging(settings)
    if not settings.database_url.startswith("postgresql"):
        print("vetpharma worker: set database_url to the PostgreSQL database the bot processes use.")
        return 2
    if settings.queue.worker_nice > 0:
        # OCR must not take the CPU from the answers of a bot process on the same machine (children inherit it).
        os.nice(settings.queue.worker_nice)
    # The bot processes serve the figures; a worker on the same machine must not take their port.
    settings = replace(settings, helpdesk=replace(settings.helpdesk, metrics_port=0))
    core = build_core(settings)
    if args.metrics_port:
        from bot.analytics import Analytics
        from bot.metrics import start_metrics_server

        server = start_metrics_server(settings, Analytics(core.store), port=args.metrics_port, role="worker")
        core.add_closer(server.close)
    try:
        app = make_app(settings.database_url, runner=core, limits=settings.limits)
        concurrency = args.concurrency or settings.queue.concurrency
        log.info("checking queued uploads, %d at a time", concurrency)
        asyncio.run(work(app, settings.queue, concurrency, core.store))
    finally:
        core.close()
    return 0
