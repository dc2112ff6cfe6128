"""New migration revisions, written from what the code's models declare beyond the newest revision."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from bot import analytics, recovery
from bot.schema import _config, head_revision, upgrade
from bot.store import engine as store_engine


def model_metadata() -> sa.MetaData:
    """Return every table the code declares (the store's, the figures', the checks in hand), as one metadata."""
    combined = sa.MetaData()
    for module in (store_engine, analytics):
        for table in module._Base.metadata.tables.values():
            table.to_metadata(combined)
    recovery.checks_in_hand.to_metadata(combined)
    return combined


def new_revision(message: str) -> str | None:
    """Write a revision file with what the models declare beyond the newest revision; return its path."""
    engine = sa.create_engine("sqlite://")
    upgrade(engine)
    with engine.connect() as connection:
        config = _config(connection)
        config.attributes["target_metadata"] = model_metadata()
        head = head_revision()
        number = f"{int(head) + 1:04d}" if head.isdigit() else None
        script = command.revision(config, message=message, autogenerate=True, rev_id=number)
    engine.dispose()
    if script is None or isinstance(script, list):
        return None
    return str(script.path)
