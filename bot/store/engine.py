"""The store's database: the engine (SQLite tuned, or PostgreSQL), migrations on opening, transactions.

Every table of the store is declared on ``_Base`` by the modules of this package; ``bot.store`` puts them
together in one ``Store``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from bot.messages import SessionKey
from bot.schema import upgrade as upgrade_schema


def utc_now() -> datetime:
    """Return the current UTC time, naive, as the store keeps it."""
    return datetime.now(UTC).replace(tzinfo=None)


class _Base(DeclarativeBase):
    pass


def _owned(stmt: Any, table: Any, key: SessionKey) -> Any:
    return stmt.where(table.transport == key.transport, table.chat == key.chat, table.user == key.user)


def _tune_sqlite(engine: Engine, *, file: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted rows (a user's /forget, the retention purge) are overwritten, not left in free pages.
        cursor.execute("PRAGMA secure_delete=ON")
        if file:
            # Free pages go back to the file system (``Store.checkpoint``): a user's deleted uploads do not
            # leave the database file its largest size. Takes effect on a new file; older ones are
            # converted once on opening.
            cursor.execute("PRAGMA auto_vacuum=INCREMENTAL")
            # WAL: readers do not block the writer (several bot processes may share the file), and a
            # commit costs one fsync of the log instead of two of the database.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


class StoreEngine:
    """One SQL database (SQLite file or PostgreSQL URL), migrated on opening, with its transactions."""

    def __init__(self, url: str, *, clock: Callable[[], datetime] | None = None) -> None:
        self.url = url
        # Naive UTC "now" for every timestamp written (a test moves it to check the retention purge).
        self.clock: Callable[[], datetime] = clock or utc_now
        file = url.startswith("sqlite:///") and url != "sqlite:///:memory:"
        if file:
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        # hide_parameters: a failed statement's error (which gets logged) must not carry message text.
        self.engine = sa.create_engine(url, hide_parameters=True)
        if self.engine.dialect.name == "sqlite":
            _tune_sqlite(self.engine, file=file)
        # Migrations first (a database of an older release is upgraded in place), then any table a module
        # declares that no revision creates yet.
        upgrade_schema(self.engine)
        _Base.metadata.create_all(self.engine)
        if file:
            self._enable_incremental_vacuum()
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def _enable_incremental_vacuum(self) -> None:
        with self.engine.connect() as connection:
            mode = connection.exec_driver_sql("PRAGMA auto_vacuum").scalar()
            if mode != 2:  # a file made before: VACUUM rewrites it with the mode set on connecting
                connection.exec_driver_sql("PRAGMA auto_vacuum=INCREMENTAL")
                connection.exec_driver_sql("VACUUM")

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        with self._sessions.begin() as db:
            yield db

    def checkpoint(self) -> None:
        """Fold SQLite's write-ahead log into the database and give free pages back to the disk."""
        if self.engine.dialect.name != "sqlite":
            return
        with self.engine.connect() as connection:
            # executescript runs the pragma to its end (one execute frees a single page).
            raw: Any = connection.connection.dbapi_connection
            raw.executescript("PRAGMA incremental_vacuum;")
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def is_storage_error(exc: BaseException) -> bool:
    """Tell whether an exception came from the database (full disk, read-only file, lost connection)."""
    return isinstance(exc, sa.exc.SQLAlchemyError)
