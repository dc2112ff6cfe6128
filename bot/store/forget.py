"""Deleting a user's data: on request (/forget), and when a session has been idle past the retention.

/forget reaches every table that names the user: sessions, dossiers, their check reports, files, tickets,
the shared limits (rate counters, check usage), the outbox's replies, and the inbox (answered messages keep
their transport id only, so a duplicate delivery is still refused; a message still pending, the /forget itself,
keeps its sender until it is answered and purged). The checks in hand (``bot.recovery.forget``) and the
analytics (anonymised on the forget event) are cleared by their own modules.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.messages import SessionKey
from bot.store.documents import _CheckRow, _FileRow
from bot.store.engine import StoreEngine, _owned
from bot.store.inbox import INBOX_DONE, _InboxRow
from bot.store.limits import _CheckUseRow, _RateRow
from bot.store.sessions import _DossierRow, _SessionRow
from bot.store.tickets import _HandoffRow

# The outbox is declared by ``bot.outbox`` (which imports this package): named here by its columns.
_OUTBOX = sa.table("outbox", sa.column("transport"), sa.column("user"))


@dataclass(frozen=True)
class ForgetResult:
    """How many rows of each kind a deletion removed."""

    sessions: int = 0
    dossiers: int = 0
    checks: int = 0
    files: int = 0
    handoffs: int = 0
    # Rows of the shared limits (rate counters, check usage), and of the outbox and inbox (/forget only).
    limits: int = 0
    messages: int = 0

    @property
    def total(self) -> int:
        return sum(_counts(self))


class ForgetStore(StoreEngine):
    """The privacy part of the store: delete one user's rows, or the idle sessions'."""

    def forget_user(self, transport: str, user: str) -> ForgetResult:
        """Delete everything stored about one user on one transport, in every chat."""
        with self._tx() as db:
            dossier_ids = list(
                db.scalars(
                    sa.select(_DossierRow.id).where(
                        _DossierRow.transport == transport, _DossierRow.user == user
                    )
                )
            )
            done = self._delete(db, dossier_ids, transport=transport, user=user)
            done = replace(
                done,
                limits=_forget_limits(db, transport, user),
                messages=_forget_messages(db, transport, user),
            )
        self.checkpoint()
        return done

    def purge_inactive(self, before: datetime) -> ForgetResult:
        """Delete the sessions untouched since ``before`` and everything that belongs to them."""
        total = ForgetResult()
        with self._tx() as db:
            stale = list(db.scalars(sa.select(_SessionRow).where(_SessionRow.updated_at < before)))
            keys = [SessionKey(r.transport, r.chat, r.user) for r in stale]
        for key in keys:
            with self._tx() as db:
                dossier_ids = list(db.scalars(_owned(sa.select(_DossierRow.id), _DossierRow, key)))
                done = self._delete(db, dossier_ids, transport=key.transport, user=key.user, chat=key.chat)
            total = ForgetResult(*(a + b for a, b in zip(_counts(total), _counts(done), strict=True)))
        if total.total:
            self.checkpoint()
        return total

    def _delete(
        self, db: Session, dossier_ids: list[int], *, transport: str, user: str, chat: str | None = None
    ) -> ForgetResult:
        def scope(stmt: Any, table: Any) -> Any:
            stmt = stmt.where(table.transport == transport, table.user == user)
            return stmt if chat is None else stmt.where(table.chat == chat)

        def count(result: Any) -> int:
            return int(getattr(result, "rowcount", 0) or 0)

        checks = files = 0
        if dossier_ids:
            checks = count(db.execute(sa.delete(_CheckRow).where(_CheckRow.dossier_id.in_(dossier_ids))))
            files += count(db.execute(sa.delete(_FileRow).where(_FileRow.dossier_id.in_(dossier_ids))))
        files += count(db.execute(scope(sa.delete(_FileRow), _FileRow)))
        dossiers = count(db.execute(scope(sa.delete(_DossierRow), _DossierRow)))
        handoffs = count(db.execute(scope(sa.delete(_HandoffRow), _HandoffRow)))
        sessions = count(db.execute(scope(sa.delete(_SessionRow), _SessionRow)))
        return ForgetResult(
            sessions=sessions, dossiers=dossiers, checks=checks, files=files, handoffs=handoffs
        )

    def count_rows(self, transport: str, user: str) -> int:
        """Count every stored row that belongs to one user (privacy checks)."""
        with self._tx() as db:
            total = 0
            for table in (_SessionRow, _DossierRow, _FileRow, _HandoffRow):
                total += int(
                    db.scalar(
                        sa.select(sa.func.count())
                        .select_from(table)
                        .where(table.transport == transport, table.user == user)
                    )
                    or 0
                )
            dossier_ids = sa.select(_DossierRow.id).where(
                _DossierRow.transport == transport, _DossierRow.user == user
            )
            total += int(
                db.scalar(
                    sa.select(sa.func.count())
                    .select_from(_CheckRow)
                    .where(_CheckRow.dossier_id.in_(dossier_ids))
                )
                or 0
            )
            return total

    def user_rows(self, transport: str, user: str) -> dict[str, int]:
        """Count, table by table, the rows that name one user (the shared limits, outbox and inbox included)."""
        owned = {
            "sessions": _SessionRow,
            "dossiers": _DossierRow,
            "files": _FileRow,
            "handoffs": _HandoffRow,
            "rate_counters": _RateRow,
            "inbox": _InboxRow,
        }
        with self._tx() as db:
            counts = {
                name: _count(db, sa.select(sa.func.count()).select_from(table), table, transport, user)
                for name, table in owned.items()
            }
            counts["outbox"] = _count(
                db, sa.select(sa.func.count()).select_from(_OUTBOX), _OUTBOX.c, transport, user
            )
            counts["check_usage"] = int(
                db.scalar(sa.select(sa.func.count()).where(_CheckUseRow.owner == f"{transport}:{user}")) or 0
            )
        return counts


def _count(db: Session, stmt: Any, table: Any, transport: str, user: str) -> int:
    return int(db.scalar(stmt.where(table.transport == transport, table.user == user)) or 0)


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _forget_limits(db: Session, transport: str, user: str) -> int:
    """Delete one user's rate counter and counted checks (``bot.quotas.owner_of`` names them so)."""
    rate = db.execute(sa.delete(_RateRow).where(_RateRow.transport == transport, _RateRow.user == user))
    usage = db.execute(sa.delete(_CheckUseRow).where(_CheckUseRow.owner == f"{transport}:{user}"))
    return _rowcount(rate) + _rowcount(usage)


def _forget_messages(db: Session, transport: str, user: str) -> int:
    """Delete one user's replies in the outbox, and strip their ids from the messages answered in the inbox."""
    outbox = db.execute(sa.delete(_OUTBOX).where(_OUTBOX.c.transport == transport, _OUTBOX.c.user == user))
    inbox = db.execute(
        sa.update(_InboxRow)
        .where(_InboxRow.transport == transport, _InboxRow.user == user, _InboxRow.status == INBOX_DONE)
        .values(chat="", user="", payload="{}")
    )
    return _rowcount(outbox) + _rowcount(inbox)


def _counts(result: ForgetResult) -> tuple[int, ...]:
    return (
        result.sessions,
        result.dossiers,
        result.checks,
        result.files,
        result.handoffs,
        result.limits,
        result.messages,
    )
