"""Deleting a user's data: on request (/forget), and when a session has been idle past the retention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.messages import SessionKey
from bot.store.documents import _CheckRow, _FileRow
from bot.store.engine import StoreEngine, _owned
from bot.store.sessions import _DossierRow, _SessionRow
from bot.store.tickets import _HandoffRow


@dataclass(frozen=True)
class ForgetResult:
    """How many rows of each kind a deletion removed."""

    sessions: int = 0
    dossiers: int = 0
    checks: int = 0
    files: int = 0
    handoffs: int = 0

    @property
    def total(self) -> int:
        return self.sessions + self.dossiers + self.checks + self.files + self.handoffs


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


def _counts(result: ForgetResult) -> tuple[int, int, int, int, int]:
    return (result.sessions, result.dossiers, result.checks, result.files, result.handoffs)
