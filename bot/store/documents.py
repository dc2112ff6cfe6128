"""Uploaded files kept while they wait or are checked, and the checker's reports on them."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.messages import SessionKey
from bot.store.engine import StoreEngine, _Base, _owned, utc_now


class _CheckRow(_Base):
    __tablename__ = "checks"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    dossier_id: Mapped[int] = mapped_column(sa.ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    file_names: Mapped[str] = mapped_column(sa.Text)
    report: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utc_now)


class _FileRow(_Base):
    __tablename__ = "files"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    transport: Mapped[str] = mapped_column(sa.String(32), index=True)
    chat: Mapped[str] = mapped_column(sa.String(255))
    user: Mapped[str] = mapped_column(sa.String(255), index=True)
    dossier_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("dossiers.id", ondelete="CASCADE"), nullable=True, index=True
    )
    name: Mapped[str] = mapped_column(sa.String(255))
    mime: Mapped[str] = mapped_column(sa.String(128))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utc_now)


@dataclass(frozen=True)
class CheckRecord:
    """The checker's report on files uploaded for a dossier (the files themselves are gone)."""

    id: int
    dossier_id: int
    file_names: tuple[str, ...]
    report: Mapping[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class StoredFile:
    """An uploaded file kept in the store: waiting for a dossier, or kept at the user's request."""

    id: int
    key: SessionKey
    dossier_id: int | None
    name: str
    mime: str
    data: bytes
    created_at: datetime


def _check_value(row: _CheckRow) -> CheckRecord:
    return CheckRecord(
        id=row.id,
        dossier_id=row.dossier_id,
        file_names=tuple(json.loads(row.file_names)),
        report=json.loads(row.report),
        created_at=row.created_at,
    )


def _file_value(row: _FileRow) -> StoredFile:
    return StoredFile(
        id=row.id,
        key=SessionKey(row.transport, row.chat, row.user),
        dossier_id=row.dossier_id,
        name=row.name,
        mime=row.mime,
        data=row.data,
        created_at=row.created_at,
    )


class DocumentStore(StoreEngine):
    """The files and check reports part of the store."""

    # Check reports

    def add_check(self, dossier_id: int, file_names: Sequence[str], report: Mapping[str, Any]) -> CheckRecord:
        """Keep the checker's report for files uploaded to a dossier."""
        with self._tx() as db:
            row = _CheckRow(
                dossier_id=dossier_id,
                file_names=json.dumps(list(file_names), ensure_ascii=False),
                report=json.dumps(dict(report), ensure_ascii=False, default=str),
                created_at=self.clock(),
            )
            db.add(row)
            db.flush()
            return _check_value(row)

    def checks(self, dossier_id: int) -> list[CheckRecord]:
        """Return every report kept for a dossier, oldest first."""
        with self._tx() as db:
            rows = db.scalars(
                sa.select(_CheckRow).where(_CheckRow.dossier_id == dossier_id).order_by(_CheckRow.id)
            )
            return [_check_value(r) for r in rows]

    # Files

    def add_file(
        self, key: SessionKey, dossier_id: int | None, name: str, mime: str, data: bytes
    ) -> StoredFile:
        """Keep an uploaded file (pending a dossier, or at the user's request)."""
        with self._tx() as db:
            row = _FileRow(
                transport=key.transport,
                chat=key.chat,
                user=key.user,
                dossier_id=dossier_id,
                name=name,
                mime=mime,
                data=data,
                created_at=self.clock(),
            )
            db.add(row)
            db.flush()
            return _file_value(row)

    def files(self, key: SessionKey, dossier_id: int | None) -> list[StoredFile]:
        """Return the user's kept files for a dossier (None: files waiting for a dossier)."""
        with self._tx() as db:
            stmt = _owned(sa.select(_FileRow), _FileRow, key)
            stmt = stmt.where(
                _FileRow.dossier_id.is_(None) if dossier_id is None else _FileRow.dossier_id == dossier_id
            )
            return [_file_value(r) for r in db.scalars(stmt.order_by(_FileRow.id))]

    def add_files(
        self,
        key: SessionKey,
        dossier_id: int | None,
        files: Sequence[tuple[str, str, bytes]],
        *,
        within: Callable[[Session, list[int]], None] | None = None,
    ) -> list[int]:
        """Keep uploaded files, and run ``within(db, ids)`` (enqueue their check) in the same transaction."""
        with self._tx() as db:
            rows = [
                _FileRow(
                    transport=key.transport,
                    chat=key.chat,
                    user=key.user,
                    dossier_id=dossier_id,
                    name=name,
                    mime=mime,
                    data=data,
                    created_at=self.clock(),
                )
                for name, mime, data in files
            ]
            db.add_all(rows)
            db.flush()
            ids = [row.id for row in rows]
            if within is not None:
                within(db, ids)
            return ids

    def assign_files(
        self,
        key: SessionKey,
        ids: Sequence[int],
        dossier_id: int,
        *,
        within: Callable[[Session, list[int]], None] | None = None,
    ) -> list[int]:
        """Attach some of the user's files to a dossier, running ``within(db, ids)`` in the same transaction."""
        with self._tx() as db:
            stmt = _owned(sa.select(_FileRow), _FileRow, key).where(_FileRow.id.in_(list(ids)))
            rows = list(db.scalars(stmt.order_by(_FileRow.id)))
            for row in rows:
                row.dossier_id = dossier_id
            db.flush()
            assigned = [row.id for row in rows]
            if within is not None and assigned:
                within(db, assigned)
            return assigned

    def files_by_id(self, ids: Sequence[int]) -> list[StoredFile]:
        """Return the files with these ids that still exist (a check worker reads its job's files)."""
        with self._tx() as db:
            stmt = sa.select(_FileRow).where(_FileRow.id.in_(list(ids))).order_by(_FileRow.id)
            return [_file_value(r) for r in db.scalars(stmt)]

    def finish_check(
        self,
        dossier_id: int,
        file_names: Sequence[str],
        report: Mapping[str, Any],
        *,
        delete_file_ids: Sequence[int],
        within: Callable[[Session], None] | None = None,
    ) -> None:
        """Keep a queued check's report, delete its files, and run ``within(db)`` (post the replies), at once."""
        with self._tx() as db:
            db.add(
                _CheckRow(
                    dossier_id=dossier_id,
                    file_names=json.dumps(list(file_names), ensure_ascii=False),
                    report=json.dumps(dict(report), ensure_ascii=False, default=str),
                    created_at=self.clock(),
                )
            )
            if delete_file_ids:
                db.execute(sa.delete(_FileRow).where(_FileRow.id.in_(list(delete_file_ids))))
            if within is not None:
                within(db)

    def delete_files(self, ids: Sequence[int]) -> int:
        """Delete files by id and give their space back; return how many were deleted."""
        if not ids:
            return 0
        with self._tx() as db:
            result = db.execute(sa.delete(_FileRow).where(_FileRow.id.in_(list(ids))))
            deleted = int(getattr(result, "rowcount", 0) or 0)
        self.checkpoint()
        return deleted

    def stored_bytes(self, transport: str, user: str) -> int:
        """Return the bytes of every file kept for one user (waiting for a dossier, or kept on request)."""
        with self._tx() as db:
            total = db.scalar(
                sa.select(sa.func.coalesce(sa.func.sum(sa.func.length(_FileRow.data)), 0)).where(
                    _FileRow.transport == transport, _FileRow.user == user
                )
            )
            return int(total or 0)

    def stored_files(self, key: SessionKey) -> int:
        """Return how many files wait for this session's next dossier."""
        with self._tx() as db:
            stmt = _owned(sa.select(sa.func.count()).select_from(_FileRow), _FileRow, key)
            return int(db.scalar(stmt.where(_FileRow.dossier_id.is_(None))) or 0)
