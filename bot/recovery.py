"""Uploads a crash interrupted are checked after the restart, once.

While a check runs in the bot process, its files wait in the store with a record of the check in hand (who,
which dossier, which process). The report and the record's removal are one transaction, so a check is either
reported or still on record. A process starting up checks again what a dead process left on record, through
the path queued checks take (``bot.checkqueue.run_check``): the report is kept, the files deleted, and the
replies posted to the outbox for the user's transport in one transaction, so each interrupted upload is
reported once. A transport that hands the same upload over again after the restart (an inbox replay, a
webhook sent again) meets the record of the recovered check and is told the report was already sent.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot import outbox
from bot.i18n import t
from bot.messages import Reply, SessionKey
from bot.store import Store, StoredFile, utc_now

if TYPE_CHECKING:
    from bot.checkqueue import CheckRunner, QueuedCheckResult

log = logging.getLogger(__name__)

IN_HAND = "in_hand"
RECOVERED = "recovered"
# A check on record this long is taken as interrupted even when its process (on another machine) cannot be
# seen: no check lasts that long (each file has its seconds).
OTHER_HOST_AFTER = timedelta(hours=1)
# A recovered check is remembered this long (its files' fingerprint only), so that a transport handing the
# upload over again is told the report was sent rather than checked twice.
REMEMBER_RECOVERED = timedelta(days=1)

# Created by migration 0006 (``bot/migrations``), like every table of the store.
_metadata = sa.MetaData()
checks_in_hand = sa.Table(
    "checks_in_hand",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("transport", sa.String(32), nullable=False),
    sa.Column("chat", sa.String(255), nullable=False),
    sa.Column("user", sa.String(255), nullable=False, index=True),
    sa.Column("dossier_id", sa.Integer, nullable=False),
    sa.Column("file_ids", sa.Text, nullable=False),  # JSON list of the files' ids in the store
    sa.Column("fingerprint", sa.String(64), nullable=False),  # sha256 over the files' bytes
    sa.Column("holder", sa.String(255), nullable=False),  # host:pid of the process checking them
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)


@dataclass(frozen=True)
class InHand:
    """A check on record: its id and the ids of its files in the store."""

    id: int
    file_ids: tuple[int, ...]


def forget(store: Store, transport: str, user: str) -> int:
    """Delete every record of one user's checks (/forget); their files go with the user's others."""
    with Session(store.engine) as db, db.begin():
        result = db.execute(
            checks_in_hand.delete().where(
                checks_in_hand.c.transport == transport, checks_in_hand.c.user == user
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)


def _expire(db: Session) -> None:
    """Drop the records of recovered checks old enough that no transport will hand their upload over again."""
    db.execute(
        checks_in_hand.delete().where(
            checks_in_hand.c.status == RECOVERED,
            checks_in_hand.c.created_at < utc_now() - REMEMBER_RECOVERED,
        )
    )


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def fingerprint(files: Sequence[tuple[str, str, bytes]]) -> str:
    """Return one digest of a check's files (names and bytes)."""
    digest = hashlib.sha256()
    for name, _, data in files:
        digest.update(hashlib.sha256(name.encode("utf-8", "replace")).digest())
        digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


def hold(
    store: Store, key: SessionKey, dossier_id: int, files: Sequence[tuple[str, str, bytes]]
) -> InHand | None:
    """Keep a check's files and its record before it runs; None when it was already recovered and reported."""
    digest = fingerprint(files)
    with Session(store.engine) as db:
        done = db.scalar(
            sa.select(checks_in_hand.c.id).where(
                checks_in_hand.c.transport == key.transport,
                checks_in_hand.c.user == key.user,
                checks_in_hand.c.fingerprint == digest,
                checks_in_hand.c.status == RECOVERED,
            )
        )
    if done is not None:
        return None
    held: list[int] = []

    def record(db: Session, ids: list[int]) -> None:
        _expire(db)
        record_id = db.scalar(
            checks_in_hand.insert()
            .values(
                transport=key.transport,
                chat=key.chat,
                user=key.user,
                dossier_id=dossier_id,
                file_ids=json.dumps(ids),
                fingerprint=digest,
                holder=_holder(),
                status=IN_HAND,
                created_at=utc_now(),
            )
            .returning(checks_in_hand.c.id)
        )
        held.append(int(record_id or 0))

    # Stored as the dossier's files for the time of the check (quota and /forget see them like the others).
    ids = store.add_files(
        key, dossier_id, [(n, m or "application/octet-stream", d) for n, m, d in files], within=record
    )
    return InHand(held[0], tuple(ids))


def finish(
    store: Store, held: InHand, dossier_id: int, names: Sequence[str], report: dict[str, object]
) -> None:
    """Keep a check's report, and delete its files and record, in one transaction."""

    def drop(db: Session) -> None:
        db.execute(checks_in_hand.delete().where(checks_in_hand.c.id == held.id))

    store.finish_check(dossier_id, names, report, delete_file_ids=held.file_ids, within=drop)
    store.checkpoint()  # the files' space goes back to the disk


def release(store: Store, held: InHand) -> None:
    """Forget a check that ended without a report (an error told to the user): its files go too."""
    with Session(store.engine) as db, db.begin():
        db.execute(checks_in_hand.delete().where(checks_in_hand.c.id == held.id))
    store.delete_files(held.file_ids)


def _interrupted(row: sa.Row[tuple[object, ...]], now_host: str) -> bool:
    host, _, pid = str(row.holder).rpartition(":")
    if host != now_host:
        return bool(utc_now() - row.created_at > OTHER_HOST_AFTER)
    if not pid.isdigit() or int(pid) == os.getpid():
        return True  # a process before us had our number: it is gone
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def recover(runner: CheckRunner, transports: Collection[str]) -> list[SessionKey]:
    """Check again the uploads of processes that died during their check; return whose were reported.

    Only the uploads of ``transports`` (those this process serves, so their reports can be delivered).

    Each report goes to the outbox for the user's transport (``bot.outbox``), with the check's record
    marked recovered in the same transaction.
    """
    from bot.checkqueue import run_check

    store = runner.store
    host = socket.gethostname()
    with Session(store.engine) as db, db.begin():
        _expire(db)
        rows = db.execute(
            sa.select(checks_in_hand)
            .where(checks_in_hand.c.status == IN_HAND, checks_in_hand.c.transport.in_(sorted(transports)))
            .order_by(checks_in_hand.c.id)
        ).all()
    reported: list[SessionKey] = []
    for row in rows:
        if not _interrupted(row, host):
            continue
        key = SessionKey(row.transport, row.chat, row.user)
        ids = [int(i) for i in json.loads(row.file_ids)]
        source = f"interrupted:{row.id}"
        try:
            done = run_check(
                _Resumed(runner), key, row.dossier_id, ids, source=source, within=_mark_recovered(row.id)
            )
        except Exception:
            log.exception("could not check again an upload interrupted by a restart")
            continue
        if not done:
            # Its files are gone (/forget, the retention purge) or it was reported before: nothing to tell.
            with Session(store.engine) as db, db.begin():
                db.execute(
                    checks_in_hand.update()
                    .where(checks_in_hand.c.id == row.id)
                    .values(status=RECOVERED, file_ids="[]")
                )
            continue
        session = store.load_session(key, "fr")
        if session.checking:
            store.save_session(replace(session, checking=()))  # told by its report, not as interrupted
        log.info("checked again an upload interrupted by a restart (transport %s)", key.transport)
        reported.append(key)
    if rows:
        store.checkpoint()
    return reported


class _Resumed:
    """The core's queued-check side, its report opened with a sentence saying the check was resumed."""

    def __init__(self, runner: CheckRunner) -> None:
        self.runner = runner
        self.store = runner.store

    def run_queued_check(
        self, key: SessionKey, dossier_id: int, files: Sequence[StoredFile]
    ) -> QueuedCheckResult | None:
        result = self.runner.run_queued_check(key, dossier_id, files)
        if result is None:
            return None
        lang = self.store.load_session(key, "fr").lang
        quoted = [f"« {f.name} »" if lang == "fr" else f'"{f.name}"' for f in files]
        opening = Reply(t(lang, "check_resumed", names=", ".join(quoted)))
        return replace(result, replies=(opening, *result.replies))


def _mark_recovered(record_id: int) -> Callable[[Session], None]:
    def mark(db: Session) -> None:
        db.execute(
            checks_in_hand.update()
            .where(checks_in_hand.c.id == record_id)
            .values(status=RECOVERED, file_ids="[]", created_at=utc_now())
        )

    return mark


def take_replies(store: Store, key: SessionKey) -> list[Reply]:
    """Take the replies waiting in the outbox for one session (the terminal, which has no delivery loop)."""
    table = outbox.outbox
    with Session(store.engine) as db, db.begin():
        rows = db.execute(
            sa.select(table.c.id, table.c.replies)
            .where(
                table.c.delivered_at.is_(None),
                table.c.transport == key.transport,
                table.c.chat == key.chat,
                table.c.user == key.user,
            )
            .order_by(table.c.id)
        ).all()
        if rows:
            db.execute(
                table.update().where(table.c.id.in_([r.id for r in rows])).values(delivered_at=utc_now())
            )
    return [reply for row in rows for reply in outbox.decode_replies(row.replies)]
