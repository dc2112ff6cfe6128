"""Helpers for the tests of several processes: settings on PostgreSQL, worker processes, a scanned page."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import sqlalchemy as sa

from tests.pdfgen import render
from tests.transcript import DIPLOMA_LINES, text_pdf

ROOT = Path(__file__).resolve().parents[1]

# Short heartbeats so a killed worker's check is queued again within seconds (the defaults say 30 s).
FAST_QUEUE = {
    "VETPHARMA_QUEUE_ENABLED": "true",
    "VETPHARMA_QUEUE_HEARTBEAT_SECONDS": "0.5",
    "VETPHARMA_QUEUE_STALLED_AFTER_SECONDS": "3",
    "VETPHARMA_QUEUE_OUTBOX_POLL_SECONDS": "0.2",
    "VETPHARMA_QUEUE_OUTBOX_LEASE_SECONDS": "5",
}


def environment(url: str, data_dir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return the environment of a bot or worker process on this database (no settings file)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VETPHARMA_", "TELEGRAM_"))}
    env.update(FAST_QUEUE)
    env.update(
        {
            "VETPHARMA_CONFIG": str(data_dir / "none.toml"),
            "VETPHARMA_DATABASE_URL": url,
            "VETPHARMA_DATA_DIR": str(data_dir),
            "VETPHARMA_LOG_LEVEL": "INFO",
        }
    )
    env.update(extra or {})
    return env


def start_worker(
    url: str, data_dir: Path, name: str, extra: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start ``vetpharma worker`` in its own process, logging to ``data_dir/name.log``."""
    log = open(data_dir / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "worker"],
        cwd=ROOT,
        env=environment(url, data_dir, extra),
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 60) -> None:
    """Stop a process (SIGKILL if it does not end in time)."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` until it holds; fail the test naming ``what`` otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def job_statuses(url: str) -> dict[str, int]:
    """Count the check queue's jobs by status."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT status, count(*) FROM procrastinate_jobs GROUP BY status")
            )
            return {str(status): int(count) for status, count in rows}
    finally:
        engine.dispose()


def scanned_diploma(seed: int = 1) -> bytes:
    """Return a one-page scanned diploma (an image-only PDF: the checker must OCR it)."""
    rng = random.Random(seed)
    return render.scanned(text_pdf(*DIPLOMA_LINES), rng, dpi=200, noise=10.0, blur=0.5)
