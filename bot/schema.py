"""Schema migrations (Alembic): create, stamp and upgrade the store's database, on SQLite and PostgreSQL.

A database made before migrations existed (tables but no ``alembic_version``) is stamped at the baseline
revision, which is exactly that schema, and then upgraded in place. Several processes may open one
PostgreSQL database at once: an advisory lock lets one of them migrate while the others wait.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"
# A table every database made by release 0.1 holds: its presence without a version table means "stamp".
_LEGACY_MARKER = "sessions"
# pg_advisory_lock key of schema changes ("vetp" "sche" as two 32-bit halves, any fixed number works).
_MIGRATION_LOCK = 0x76657470_73636865 - (1 << 63)


@dataclass(frozen=True)
class SchemaState:
    """Where a database stands: its revision (None: no version table) and the newest one available."""

    current: str | None
    head: str
    legacy: bool

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """Return the newest revision this release knows."""
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head


def _state(connection: Connection) -> SchemaState:
    current = MigrationContext.configure(connection).get_current_revision()
    legacy = current is None and sa.inspect(connection).has_table(_LEGACY_MARKER)
    return SchemaState(current=current, head=head_revision(), legacy=legacy)


def schema_state(engine: Engine) -> SchemaState:
    """Read the database's revision without changing anything."""
    with engine.connect() as connection:
        return _state(connection)


def upgrade(engine: Engine) -> SchemaState:
    """Bring the database to the newest revision (stamping a pre-migration database first)."""
    with engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            connection.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK})
            connection.commit()
        try:
            state = _state(connection)
            if not state.up_to_date:
                config = _config(connection)
                if state.legacy:
                    command.stamp(config, BASELINE)
                command.upgrade(config, "head")
                connection.commit()
            return _state(connection)
        finally:
            if postgres:
                connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": _MIGRATION_LOCK})
                connection.commit()
