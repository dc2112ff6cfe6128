"""Document checks on the PostgreSQL task queue: enqueued with the upload, run by a worker process,
reported through the outbox by whichever bot process polls it, once, even when the worker is killed."""

from __future__ import annotations

import asyncio
import random
import signal
import threading
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot import outbox
from bot.analytics import Analytics
from bot.app import build_core
from bot.checkqueue import _claimed, run_check
from bot.core import Core
from bot.messages import Reply, SessionKey
from bot.metrics import render_queue_metrics, start_metrics_server
from bot.outbox import deliver_once
from bot.router import Router
from bot.settings import QueueSettings, Settings
from bot.store import open_store
from tests import postgres_server
from tests.pdfgen import render
from tests.queue_harness import job_statuses, scanned_diploma, start_worker, stop, wait_for
from tests.transcript import DIPLOMA_LINES, Chat, text_pdf

pytestmark = pytest.mark.slow
STAMP = "%Y-%m-%d %H:%M:%S,%f"  # a log line's time


def _core(url: str, data_dir: Path) -> Core:
    settings = Settings(data_dir=str(data_dir), database_url=url, queue=QueueSettings(enabled=True))
    return build_core(settings, store=open_store(url))


class Inbox:
    """A transport that keeps what it is asked to send (the outbox's delivery is under test, not a chat app)."""

    def __init__(self) -> None:
        self.sent: list[tuple[SessionKey, Reply]] = []
        self.router = Router()

        async def send(key: SessionKey, reply: Reply) -> None:
            self.sent.append((key, reply))

        self.router.register("test", send)

    def deliver_until(self, core: Core, count: int, timeout: float) -> None:
        """Poll the outbox until ``count`` replies were sent."""

        def poll() -> bool:
            asyncio.run(deliver_once(core.store.engine, self.router, lease=timedelta(seconds=5)))
            return len(self.sent) >= count

        wait_for(poll, timeout, f"{count} delivered replies (got {len(self.sent)})")


def test_an_upload_is_checked_by_a_worker_and_reported_through_the_outbox(
    postgres: str, tmp_path: Path
) -> None:
    url = postgres_server.fresh_database(postgres)
    core = _core(url, tmp_path)
    chat = Chat(core, user="ana")
    chat.send("/dossier opening")
    text = chat.upload("diplome.pdf", text_pdf(*DIPLOMA_LINES))
    assert "being checked" in text or "vérification est en cours" in text
    # The upload waits in the store with its job, nothing is checked in this process.
    assert job_statuses(url) == {"todo": 1}
    worker = start_worker(url, tmp_path, "worker")
    inbox = Inbox()
    try:
        inbox.deliver_until(core, 1, timeout=90)
    finally:
        stop(worker)
    # One compact reply: what the file held, then what is still missing in one line.
    (summary,) = (reply.text for _, reply in inbox.sent)
    assert all(key == chat.key for key, _ in inbox.sent)
    assert "diplome.pdf" in summary and "art. 6 a)" in summary
    assert "Encore à fournir" in summary and "art. 6 c)" in summary
    # The report is kept with the dossier, the file is gone (the user did not ask to keep it).
    (dossier,) = core.store.dossiers(chat.key)
    assert len(core.store.checks(dossier.id)) == 1
    assert core.store.files(chat.key, dossier.id) == []
    # /status (any process) shows the diploma as received.
    assert "✅" in chat.send("/status")
    core.close()


def test_a_file_sent_before_choosing_a_dossier_is_queued_when_the_dossier_is_chosen(
    postgres: str, tmp_path: Path
) -> None:
    url = postgres_server.fresh_database(postgres)
    core = _core(url, tmp_path)
    chat = Chat(core, user="ben")
    chat.upload("diplome.pdf", text_pdf(*DIPLOMA_LINES))
    assert job_statuses(url) == {}
    text = chat.send("/dossier opening")
    assert "diplome.pdf" in text
    assert job_statuses(url) == {"todo": 1}
    (dossier,) = core.store.dossiers(chat.key)
    assert [f.name for f in core.store.files(chat.key, dossier.id)] == ["diplome.pdf"]
    core.close()


def test_a_check_whose_worker_is_killed_is_run_again_by_another_and_reported_once(
    postgres: str, tmp_path: Path
) -> None:
    url = postgres_server.fresh_database(postgres)
    core = _core(url, tmp_path)
    chat = Chat(core, user="carla")
    chat.send("/dossier opening")
    chat.upload("scan.pdf", scanned_diploma())
    first = start_worker(url, tmp_path, "first")
    try:
        wait_for(lambda: job_statuses(url).get("doing") == 1, 60, "the first worker to take the check")
    finally:
        stop(first, signal.SIGKILL)
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        posted = connection.execute(sa.text("SELECT count(*) FROM outbox")).scalar_one()
    engine.dispose()
    assert posted == 0, "the check ended before the kill: nothing to test"
    second = start_worker(url, tmp_path, "second")
    inbox = Inbox()
    try:
        inbox.deliver_until(core, 1, timeout=120)
    finally:
        stop(second)
    # One report, one delivery; the job was taken again after the first worker went silent.
    assert len(inbox.sent) == 1
    (dossier,) = core.store.dossiers(chat.key)
    assert len(core.store.checks(dossier.id)) == 1
    assert (
        "retried" in (tmp_path / "second.log").read_text()
        or "queued again" in (tmp_path / "second.log").read_text()
    )
    core.close()


def test_a_worker_told_to_stop_finishes_its_check_first(postgres: str, tmp_path: Path) -> None:
    url = postgres_server.fresh_database(postgres)
    core = _core(url, tmp_path)
    chat = Chat(core, user="dora")
    chat.send("/dossier opening")
    chat.upload("scan.pdf", scanned_diploma(2))
    worker = start_worker(url, tmp_path, "graceful")
    try:
        wait_for(lambda: job_statuses(url).get("doing") == 1, 60, "the worker to take the check")
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(120) == 0
    finally:
        stop(worker, signal.SIGKILL)
    # The check in hand was finished and reported before the worker left; nothing waits or runs.
    assert job_statuses(url) == {}
    inbox = Inbox()
    inbox.deliver_until(core, 1, timeout=10)
    core.close()


def test_a_check_still_running_when_the_grace_ends_is_reported_once(postgres: str, tmp_path: Path) -> None:
    url = postgres_server.fresh_database(postgres)
    core = _core(url, tmp_path)
    chat = Chat(core, user="emma")
    chat.send("/dossier opening")
    chat.upload("scan.pdf", scanned_diploma(3))
    # A short stall limit: the silent worker looks stalled after 1 s (its reading lasts 5-13 s, quiet or loaded).
    hurried = {"VETPHARMA_QUEUE_SHUTDOWN_GRACE_SECONDS": "0.2", "VETPHARMA_QUEUE_STALLED_AFTER_SECONDS": "1"}
    first = start_worker(url, tmp_path, "hurried", hurried)
    try:
        wait_for(lambda: job_statuses(url).get("doing") == 1, 60, "the worker to take the check")
        first.send_signal(signal.SIGTERM)
        first.wait(120)
    finally:
        stop(first, signal.SIGKILL)
    # The grace ended during the check (precondition). The checking thread cannot be interrupted: the worker
    # ends it before exiting, and the job (left alone while its check's lock is held) is not reported twice.
    assert "after graceful timeout" in (tmp_path / "hurried.log").read_text()
    second = start_worker(url, tmp_path, "second")
    inbox = Inbox()
    try:
        inbox.deliver_until(core, 1, timeout=120)
    finally:
        stop(second)
    # One compact reply for the one check, not two: the job queued again is not reported again.
    asyncio.run(deliver_once(core.store.engine, inbox.router, lease=timedelta(seconds=5)))
    assert len(inbox.sent) == 1
    (dossier,) = core.store.dossiers(chat.key)
    assert len(core.store.checks(dossier.id)) == 1
    core.close()


def test_a_stopping_worker_still_reading_a_scan_keeps_its_check_and_reads_it_once(
    postgres: str, tmp_path: Path
) -> None:
    """SIGTERM mid-OCR, grace over: the worker falls silent while its thread still reads the pages. Its check's
    lock says it is alive, so no worker (itself included) queues the job again: the pages are read once, the
    report sent once."""
    url = postgres_server.fresh_database(postgres)
    core = _core(url, tmp_path)
    chat = Chat(core, user="fanny")
    chat.send("/dossier opening")
    # A short stall limit: the silent worker looks stalled after 1 s (its reading lasts 5-13 s, quiet or loaded).
    hurried = {"VETPHARMA_QUEUE_SHUTDOWN_GRACE_SECONDS": "0.2", "VETPHARMA_QUEUE_STALLED_AFTER_SECONDS": "1"}
    workers = {name: start_worker(url, tmp_path, name, hurried) for name in ("one", "two")}
    logs = {name: tmp_path / f"{name}.log" for name in workers}
    try:
        for name in workers:
            wait_for(lambda n=name: "Starting worker" in logs[n].read_text(), 120, f"worker {name} to start")
        # About ten scanned pages: the worker is still reading them (up to its file budget) long after it falls
        # silent, however fast the machine (three pages took 7 s at load 7, too close to the 6 s needed).
        rng = random.Random(7)
        chat.upload("scan.pdf", render.scanned(text_pdf(*DIPLOMA_LINES * 40), rng, dpi=200, noise=10.0))
        wait_for(lambda: job_statuses(url).get("doing") == 1, 60, "a worker to take the check")
        first = next(name for name in workers if "Starting job" in logs[name].read_text())
        second = next(name for name in workers if name != first)
        workers[first].send_signal(signal.SIGTERM)
        workers[first].wait(300)
        inbox = Inbox()
        inbox.deliver_until(core, 1, timeout=120)
        wait_for(lambda: job_statuses(url) == {}, 60, "the job to end")
    finally:
        for process in workers.values():
            stop(process)
    first_text, second_text = logs[first].read_text(), logs[second].read_text()
    # Precondition: the grace ended during the check, and the worker was silent long enough to look stalled.
    assert "after graceful timeout" in first_text
    ended = [line for line in first_text.splitlines() if "ended with status" in line]
    aborted = [line for line in first_text.splitlines() if "after graceful timeout" in line]
    assert ended and aborted, first_text
    silent = datetime.strptime(ended[0][:23], STAMP) - datetime.strptime(aborted[0][:23], STAMP)
    assert silent.total_seconds() > 2 * float(hurried["VETPHARMA_QUEUE_STALLED_AFTER_SECONDS"]), first_text
    # Not queued again, read by the first worker only, reported once.
    assert "queued again" not in first_text + second_text
    assert "Starting job" not in second_text
    asyncio.run(deliver_once(core.store.engine, inbox.router, lease=timedelta(seconds=5)))
    assert len(inbox.sent) == 1
    (dossier,) = core.store.dossiers(chat.key)
    assert len(core.store.checks(dossier.id)) == 1
    core.close()


def test_a_check_run_again_while_its_first_run_holds_it_waits_and_reads_nothing(
    postgres: str, tmp_path: Path
) -> None:
    """A job taken again while its check runs elsewhere (queued again by an older worker) waits for that run,
    then finds its report posted: no second reading, no second report."""
    url = postgres_server.fresh_database(postgres)
    core = _core(url, tmp_path)
    chat = Chat(core, user="gina")
    chat.send("/dossier opening")
    chat.upload("diplome.pdf", text_pdf(*DIPLOMA_LINES))
    (dossier,) = core.store.dossiers(chat.key)
    file_ids = [f.id for f in core.store.files(chat.key, dossier.id)]
    source = "check:4242"
    outcome: list[bool] = []
    with _claimed(core.store, source):  # the first run, in hand
        again = threading.Thread(
            target=lambda: outcome.append(run_check(core, chat.key, dossier.id, file_ids, source=source))
        )
        again.start()
        again.join(3)
        assert again.is_alive() and outcome == []  # the second run waits
        with Session(core.store.engine) as db, db.begin():
            outbox.post(db, chat.key, [Reply("rapport")], source=source)  # the first run reports
    again.join(60)
    assert outcome == [False]
    assert core.store.checks(dossier.id) == []  # nothing was read again
    core.close()


def test_metrics_show_the_queue_and_health_answers(postgres: str, tmp_path: Path) -> None:
    url = postgres_server.fresh_database(postgres)
    core = _core(url, tmp_path)
    chat = Chat(core, user="eve")
    chat.send("/dossier opening")
    chat.upload("diplome.pdf", text_pdf(*DIPLOMA_LINES))
    text = render_queue_metrics(core.store.engine, "bot")
    assert 'vetpharma_check_jobs{status="waiting"} 1' in text
    assert 'vetpharma_check_jobs{status="running"} 0' in text
    assert 'vetpharma_process_info{role="bot"} 1' in text
    assert "vetpharma_reports_waiting 0" in text
    settings = Settings(data_dir=str(tmp_path), database_url=url, queue=QueueSettings(enabled=True))
    server = start_metrics_server(settings, Analytics(core.store), port=0)
    try:
        base = f"http://127.0.0.1:{server.port}"
        for path in ("/health/alive", "/health/ready"):
            with urllib.request.urlopen(base + path, timeout=10) as response:
                assert response.status == 200
        with urllib.request.urlopen(base + "/metrics", timeout=10) as response:
            assert 'vetpharma_check_jobs{status="waiting"} 1' in response.read().decode()
    finally:
        server.close()
        core.close()
