"""Schema migrations: a database made by release 0.1 (no migration table) is stamped and upgraded in place."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.cli import main
from bot.messages import SessionKey
from bot.schema import BASELINE, head_revision, schema_state
from bot.store import open_store
from tests import postgres_server

DATA = Path(__file__).parent / "data"
ALICE = SessionKey("telegram", "42", "42")


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same tests on a SQLite file and on a real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    return postgres_server.fresh_database(request.getfixturevalue("postgres"))


def _release_0_1_database(url: str) -> None:
    """Create the tables exactly as release 0.1 did, and one user's session and dossier in them."""
    engine = sa.create_engine(url)
    text = (DATA / f"schema_0_1.{engine.dialect.name}.sql").read_text(encoding="utf-8")
    ddl = "\n".join(line for line in text.splitlines() if not line.startswith("--"))
    with engine.begin() as connection:
        for statement in ddl.split(";"):
            if statement.strip():
                connection.exec_driver_sql(statement)
        connection.execute(
            sa.text(
                'INSERT INTO sessions (transport, chat, "user", lang, state, created_at, updated_at) '
                "VALUES ('telegram', '42', '42', 'en', '{\"lang_explicit\": true}', :now, :now)"
            ),
            {"now": "2026-01-02 03:04:05"},
        )
        connection.execute(
            sa.text(
                'INSERT INTO dossiers (transport, chat, "user", number, kind, status, answers, history, '
                "advice_shown, created_at, updated_at) VALUES ('telegram', '42', '42', 1, 'opening', "
                "'in_progress', '{\"owner\": \"company\"}', '[\"owner\"]', '[]', :now, :now)"
            ),
            {"now": "2026-01-02 03:04:05"},
        )
    engine.dispose()


def test_a_release_0_1_database_is_stamped_and_upgraded_in_place(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _release_0_1_database(url)
    engine = sa.create_engine(url)
    before = schema_state(engine)
    assert before.current is None and before.legacy
    assert main(["db", "current", "--url", url]) == 0
    assert "revision none" in capsys.readouterr().out

    assert main(["db", "upgrade", "--url", url]) == 0
    assert f"database at revision {head_revision()} (was none)" in capsys.readouterr().out
    after = schema_state(engine)
    assert after.up_to_date and not after.legacy
    tables = set(sa.inspect(engine).get_table_names())
    assert {"outbox", "checks_in_hand", "rate_counters", "check_usage", "inbox"} <= tables
    # The check queue's jobs live in PostgreSQL (procrastinate); SQLite checks in process.
    assert ("procrastinate_jobs" in tables) == (engine.dialect.name == "postgresql")
    engine.dispose()

    # The user's data is still there, read by this release's store.
    store = open_store(url)
    session = store.load_session(ALICE, "fr")
    assert session.lang == "en" and session.lang_explicit
    (dossier,) = store.dossiers(ALICE)
    assert dossier.kind == "opening" and dossier.answers == {"owner": "company"}
    store.close()


def test_a_new_database_is_created_at_the_newest_revision_and_upgrade_is_idempotent(url: str) -> None:
    store = open_store(url)
    assert schema_state(store.engine).current == head_revision()
    store.close()
    assert main(["db", "upgrade", "--url", url]) == 0
    assert schema_state(sa.create_engine(url)).current == head_revision()


def test_the_baseline_revision_is_the_release_0_1_schema(tmp_path: Path) -> None:
    """Stamping is safe only if the baseline creates what release 0.1 created: compare both databases."""
    made_by_release = f"sqlite:///{tmp_path / 'release.sqlite3'}"
    _release_0_1_database(made_by_release)
    from alembic import command

    from bot.schema import _config

    made_by_baseline = sa.create_engine(f"sqlite:///{tmp_path / 'baseline.sqlite3'}")
    with made_by_baseline.connect() as connection:
        command.upgrade(_config(connection), BASELINE)
        connection.commit()

    def shape(engine: sa.Engine) -> dict[str, object]:
        inspector = sa.inspect(engine)
        return {
            table: (
                sorted((c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)),
                sorted((i["name"], tuple(i["column_names"])) for i in inspector.get_indexes(table)),
            )
            for table in inspector.get_table_names()
            if table != "alembic_version"
        }

    assert shape(sa.create_engine(made_by_release)) == shape(made_by_baseline)


def test_the_migrations_create_every_column_the_models_declare(tmp_path: Path) -> None:
    """A column added to a model needs a revision (``vetpharma db revision -m …``), or upgraded databases lack it.

    A whole new table is created by the store on open even without a revision; this test names any other gap.
    """
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from bot.revisions import model_metadata
    from bot.schema import upgrade

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'head.sqlite3'}")
    upgrade(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), model_metadata())
    models = set(model_metadata().tables)

    def table_of(difference: object) -> str | None:
        if isinstance(difference, list):  # column changes come as a list of one tuple
            difference = difference[0]
        assert isinstance(difference, tuple)
        for item in difference[1:]:
            for owner in (item, getattr(item, "table", None)):
                if isinstance(owner, sa.Table):
                    return owner.name
            if isinstance(item, str) and item in models:
                return item
        return None

    # Tables of the queue (procrastinate's, the outbox, handled updates) are declared in the migrations only,
    # and a new table is created on open: only a change to a table the models and migrations share is a gap.
    gaps = [
        d for d in differences if table_of(d) in models and not (isinstance(d, tuple) and d[0] == "add_table")
    ]
    assert gaps == []
    # The checks in hand are created by their revision only (the store does not create them on open).
    assert not [d for d in differences if table_of(d) == "checks_in_hand"]


def test_webhook_updates_handled_before_revision_0004_are_carried_into_the_inbox(url: str) -> None:
    """The two records of updates became one: a redelivered webhook update answered before is still refused."""
    from alembic import command

    from bot.schema import _config, upgrade
    from bot.store import Inbox

    engine = sa.create_engine(url)
    with engine.connect() as connection:
        command.upgrade(_config(connection), "0003")
        connection.commit()
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO handled_updates (transport, update_id, handled_at) "
                "VALUES ('telegram', '1001', :at), ('telegram', '1002', :at)"
            ),
            {"at": "2026-11-28 10:00:00"},
        )
        # Also in the long-polling inbox (a process switched to webhooks mid-way): one row stays.
        connection.execute(
            sa.text(
                'INSERT INTO inbox (transport, message_id, chat, "user", payload, status, created_at) '
                "VALUES ('telegram', '1002', '42', '42', '{}', 'done', :at), "
                "('matrix', '$event', '!room', '@alice:x', '{\"content\": {}}', 'pending', :at)"
            ),
            {"at": "2026-11-28 10:00:00"},
        )
    assert upgrade(engine).up_to_date
    assert "handled_updates" not in sa.inspect(engine).get_table_names()
    engine.dispose()

    store = open_store(url)
    inbox = Inbox(store)
    assert inbox.status("telegram", "1001") == "done"
    assert inbox.status("telegram", "1002") == "done"
    assert [m.message_id for m in inbox.pending("matrix")] == ["$event"]
    assert inbox.pending("telegram") == []
    store.close()


def test_checks_in_hand_created_at_run_time_by_an_older_build_are_kept_by_revision_0006(url: str) -> None:
    """Builds before 0006 created the table on first use: the revision keeps it and the upload on record."""
    from alembic import command

    from bot import recovery
    from bot.schema import _config, upgrade

    engine = sa.create_engine(url)
    with engine.connect() as connection:
        command.upgrade(_config(connection), "0005")
        connection.commit()
    assert "checks_in_hand" not in sa.inspect(engine).get_table_names()
    # What the run-time creation of those builds made, with one upload on record.
    recovery.checks_in_hand.create(engine)
    with engine.begin() as connection:
        connection.execute(
            recovery.checks_in_hand.insert().values(
                transport="telegram",
                chat="42",
                user="42",
                dossier_id=1,
                file_ids="[7]",
                fingerprint="f" * 64,
                holder="gone.example:1",
                status=recovery.IN_HAND,
                created_at=sa.func.current_timestamp(),
            )
        )
    assert upgrade(engine).up_to_date
    with engine.connect() as connection:
        rows = connection.execute(sa.select(recovery.checks_in_hand.c.file_ids)).scalars().all()
    assert rows == ["[7]"]
    engine.dispose()


def test_revision_0006_creates_the_checks_in_hand_and_drops_them_on_downgrade(url: str) -> None:
    from alembic import command

    from bot.schema import _config

    engine = sa.create_engine(url)
    with engine.connect() as connection:
        command.upgrade(_config(connection), "0006")
        connection.commit()
    inspector = sa.inspect(engine)
    assert "checks_in_hand" in inspector.get_table_names()
    assert [i["column_names"] for i in inspector.get_indexes("checks_in_hand")] == [["user"]]
    with engine.connect() as connection:
        command.downgrade(_config(connection), "0005")
        connection.commit()
    assert "checks_in_hand" not in sa.inspect(engine).get_table_names()
    engine.dispose()
