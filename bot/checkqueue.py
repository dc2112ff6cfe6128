"""Document checks on a PostgreSQL task queue (procrastinate): bot processes enqueue, workers check.

A bot process keeps the uploaded files in the store and enqueues their check in the same transaction, so a
check is never lost nor run on files that were not saved. A worker (``vetpharma worker``, any number, on any
machine sharing the database) runs the checker, then in one transaction keeps the report, deletes the files
(unless the user keeps them) and posts the replies to the outbox, which every bot process delivers. A job
run twice (its worker killed after that transaction) finds its replies posted and does nothing.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import procrastinate
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot import outbox
from bot.cluster import lock_key
from bot.messages import Reply, SessionKey
from bot.quotas import WINDOW, owner_of, queued_check_delay
from bot.settings import LimitsSettings
from bot.store import CheckUsage, Store, StoredFile

log = logging.getLogger(__name__)

TASK = "vetpharma.check_upload"
QUEUE = "checks"
CHECK_ATTEMPTS = 5


@dataclass(frozen=True)
class QueuedCheckResult:
    """What a worker made of a queued check: the report to keep, the replies to send, files to keep."""

    file_names: tuple[str, ...]
    report: dict[str, Any]
    replies: tuple[Reply, ...]
    keep_files: bool
    pages: int = 0  # pages read, for the user's per-minute budget
    seconds: float = 0.0  # seconds spent reading


class CheckRunner(Protocol):
    """The core's side of a queued check (``Core.run_queued_check``)."""

    store: Store

    def run_queued_check(
        self, key: SessionKey, dossier_id: int, files: Sequence[StoredFile]
    ) -> QueuedCheckResult | None: ...


def libpq_url(url: str) -> str:
    """Turn a SQLAlchemy PostgreSQL URL into the libpq one procrastinate's psycopg pool takes."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ValueError("the check queue needs a PostgreSQL database_url")
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def _lock(dossier_id: int) -> str:
    # Checks of one dossier run one after the other: each one's checklist includes the previous reports.
    return f"dossier:{dossier_id}"


def make_app(
    url: str, *, runner: CheckRunner | None = None, limits: LimitsSettings | None = None
) -> procrastinate.App:
    """Build the queue's app on the database; with ``runner``, the app a worker runs checks with.

    With ``limits``, a user's pages and checking seconds per minute hold across every worker: a check whose
    user has spent the minute's budget is queued again for when it allows.
    """
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=libpq_url(url)))

    def check_upload(
        context: procrastinate.JobContext,
        *,
        transport: str,
        chat: str,
        user: str,
        dossier_id: int,
        file_ids: list[int],
    ) -> None:
        if runner is None:
            raise RuntimeError("this process only enqueues checks")
        job = context.job
        key = SessionKey(transport, chat, user)
        usage = CheckUsage(runner.store) if limits is not None else None
        if usage is not None and limits is not None:
            delay = queued_check_delay(
                usage.since(owner_of(key), runner.store.clock() - WINDOW), limits, runner.store.clock()
            )
            if delay > 0:
                log.info("a check waits %.0f s for its user's budget of pages and seconds", delay)
                priority = job.priority if job is not None else 0
                _defer_later(app, runner.store, key, dossier_id, file_ids, priority, delay)
                return
        job_id = job.id if job is not None else None
        run_check(runner, key, dossier_id, file_ids, source=f"check:{job_id}", usage=usage, limits=limits)

    # A check that fails (database gone for a moment) is tried again; one that works is never run twice.
    retry = procrastinate.RetryStrategy(max_attempts=CHECK_ATTEMPTS, wait=5)
    app.task(name=TASK, queue=QUEUE, pass_context=True, retry=retry)(check_upload)
    return app


def _defer_later(
    app: procrastinate.App,
    store: Store,
    key: SessionKey,
    dossier_id: int,
    file_ids: Sequence[int],
    priority: int,
    delay: float,
) -> None:
    """Queue a check again, to run once ``delay`` seconds have passed, keeping its place among its user's."""
    with Session(store.engine) as db:
        connection = db.connection().connection.driver_connection
        app.configure_task(
            TASK,
            lock=_lock(dossier_id),
            connection=connection,
            priority=priority,
            schedule_in={"seconds": math.ceil(delay)},
        ).defer(
            transport=key.transport,
            chat=key.chat,
            user=key.user,
            dossier_id=dossier_id,
            file_ids=list[Any](file_ids),
        )
        db.commit()


def run_check(
    runner: CheckRunner,
    key: SessionKey,
    dossier_id: int,
    file_ids: Sequence[int],
    *,
    source: str,
    within: Callable[[Session], None] | None = None,
    usage: CheckUsage | None = None,
    limits: LimitsSettings | None = None,
) -> bool:
    """Check a job's files and post the report; False when it was done before or the files are gone.

    ``within(db)`` runs in the transaction that keeps the report (a caller's own record of the check).
    """
    with _claimed(runner.store, source):
        return _run_check(
            runner, key, dossier_id, file_ids, source=source, within=within, usage=usage, limits=limits
        )


@contextlib.contextmanager
def _claimed(store: Store, source: str) -> Iterator[None]:
    """Hold the check's advisory lock (PostgreSQL) while it runs.

    A job queued again while its first worker still runs it (that worker told to stop, its grace over, its
    heartbeat gone) waits here, then finds the report posted instead of reading the pages a second time. A
    worker killed outright loses its connection, and with it the lock.
    """
    if store.engine.dialect.name != "postgresql":
        yield
        return
    key = lock_key("check", source)
    with store.engine.connect() as connection:
        # The server drops the lock of a worker whose machine vanished within about 10 + 3 x 5 s.
        for setting, value in (("idle", 10), ("interval", 5), ("count", 3)):
            connection.execute(sa.text(f"SET tcp_keepalives_{setting} = {value}"))
        held = connection.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar()
        if not held:
            log.info("check %s is being run by another worker: waiting for it", source)
            connection.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": key})
        connection.commit()
        try:
            yield
        finally:
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.commit()


def check_running(store: Store, job_id: int) -> bool:
    """Tell whether a worker is still running a queued job's check (its lock is held: the process is alive)."""
    if store.engine.dialect.name != "postgresql":
        return False
    key = lock_key("check", f"check:{job_id}")
    with store.engine.connect() as connection:
        free = connection.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar()
        if free:
            connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": key})
        connection.commit()
    return not free


def _run_check(
    runner: CheckRunner,
    key: SessionKey,
    dossier_id: int,
    file_ids: Sequence[int],
    *,
    source: str,
    within: Callable[[Session], None] | None,
    usage: CheckUsage | None,
    limits: LimitsSettings | None,
) -> bool:
    store = runner.store
    with Session(store.engine) as db:
        if outbox.already_posted(db, source):
            log.info("check %s was already reported", source)
            return False
    files = store.files_by_id(file_ids)
    if not files:
        # The user deleted everything (/forget), or the retention purge ran: nothing to report.
        return False
    use_id = None
    if usage is not None and limits is not None:
        # Reserved until settled, as in process: the user's next check waits while this one runs.
        usage.purge(store.clock() - 2 * WINDOW)
        use_id = usage.reserve(owner_of(key), limits.file_seconds * len(files))
    try:
        result = runner.run_queued_check(key, dossier_id, files)
    except BaseException:
        if usage is not None and use_id is not None:
            usage.settle(use_id, 0, 0.0)
        raise
    if usage is not None and use_id is not None:
        pages, seconds = (0, 0.0) if result is None else (result.pages, result.seconds)
        usage.settle(use_id, pages, seconds)
    if result is None:
        return False

    def post(db: Session) -> None:
        outbox.post(db, key, result.replies, source=source)
        if within is not None:
            within(db)

    delete = [] if result.keep_files else [f.id for f in files]
    store.finish_check(dossier_id, result.file_names, result.report, delete_file_ids=delete, within=post)
    return True


def fair_priority(db: Session, key: SessionKey) -> int:
    """Return the priority of a user's new check: minus the checks of theirs already waiting or running.

    Workers take the highest priority first (then the oldest), so the user with the fewest checks in the queue
    is served first: a user who sends twenty scans gets their first checked at once, and every other user's
    next check goes before their second.
    """
    waiting = db.execute(
        sa.text(
            "SELECT count(*) FROM procrastinate_jobs WHERE queue_name = :queue AND status IN ('todo', 'doing') "
            "AND args->>'transport' = :transport AND args->>'user' = :user"
        ),
        {"queue": QUEUE, "transport": key.transport, "user": key.user},
    ).scalar_one()
    return -int(waiting)


class CheckQueue:
    """The bot process's side: keep uploads and enqueue their check in one transaction."""

    def __init__(self, store: Store, app: procrastinate.App) -> None:
        self.store = store
        self.app = app

    def _enqueue(self, key: SessionKey, dossier_id: int) -> Any:
        def within(db: Session, ids: list[int]) -> None:
            priority = fair_priority(db, key)
            connection = db.connection().connection.driver_connection
            configured = self.app.configure_task(
                TASK, lock=_lock(dossier_id), connection=connection, priority=priority
            )
            configured.defer(
                transport=key.transport,
                chat=key.chat,
                user=key.user,
                dossier_id=dossier_id,
                file_ids=list[Any](ids),
            )

        return within

    def submit(self, key: SessionKey, dossier_id: int, files: Sequence[tuple[str, str, bytes]]) -> list[int]:
        """Keep new uploads for a dossier and enqueue their check."""
        return self.store.add_files(key, dossier_id, files, within=self._enqueue(key, dossier_id))

    def submit_waiting(self, key: SessionKey, dossier_id: int, file_ids: Sequence[int]) -> list[int]:
        """Attach files that waited for a dossier to it and enqueue their check."""
        return self.store.assign_files(key, file_ids, dossier_id, within=self._enqueue(key, dossier_id))


@dataclass(frozen=True)
class QueueFigures:
    """The check queue now: jobs waiting and running, and the age of the oldest of each (seconds)."""

    waiting: int
    running: int
    oldest_waiting_seconds: float
    oldest_running_seconds: float


def queue_figures(engine: sa.Engine) -> QueueFigures:
    """Read the queue's depth and job ages from procrastinate's tables."""
    query = sa.text(
        "SELECT j.status::text, count(DISTINCT j.id), "
        "coalesce(extract(epoch FROM now() - min(e.at)), 0) "
        "FROM procrastinate_jobs j LEFT JOIN procrastinate_events e ON e.job_id = j.id AND e.type = 'deferred' "
        "WHERE j.queue_name = :queue AND j.status IN ('todo', 'doing') GROUP BY j.status"
    )
    with engine.connect() as connection:
        rows = {str(s): (int(n), float(age)) for s, n, age in connection.execute(query, {"queue": QUEUE})}
    waiting, waiting_age = rows.get("todo", (0, 0.0))
    running, running_age = rows.get("doing", (0, 0.0))
    return QueueFigures(waiting, running, waiting_age, running_age)
