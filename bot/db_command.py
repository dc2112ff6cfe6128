"""``vetpharma db``: show or upgrade the database schema (Alembic revisions), SQLite or PostgreSQL."""

from __future__ import annotations

import argparse

import sqlalchemy as sa

from bot.revisions import new_revision
from bot.schema import schema_state, upgrade
from bot.settings import load_settings


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the ``db`` actions."""
    parser.add_argument(
        "action",
        choices=("upgrade", "current", "revision"),
        help="upgrade to the newest revision, show the database's, or write a new one from the models",
    )
    parser.add_argument("-m", "--message", default="schema change", help="the new revision's title")
    parser.add_argument(
        "--config", help="settings file (default: $VETPHARMA_CONFIG or config/vetpharma.toml)"
    )
    parser.add_argument("--url", help="database URL (default: the settings' database)")


def run(args: argparse.Namespace) -> int:
    """Upgrade the database in place, or print its revision."""
    if args.action == "revision":
        path = new_revision(args.message)
        print(f"wrote {path}: check it, then commit it" if path else "no revision written")
        return 0
    url = args.url or load_settings(args.config).effective_database_url
    engine = sa.create_engine(url, hide_parameters=True)
    try:
        before = schema_state(engine)
        if args.action == "current":
            note = " (made before migrations: 'upgrade' stamps it)" if before.legacy else ""
            print(f"revision {before.current or 'none'}, newest {before.head}{note}")
            return 0
        after = upgrade(engine)
        print(f"database at revision {after.current} (was {before.current or 'none'})")
        return 0
    finally:
        engine.dispose()
