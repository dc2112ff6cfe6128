"""Alembic environment: run the revisions on the connection ``bot.schema`` hands over (no alembic.ini)."""

from __future__ import annotations

from typing import Any

from alembic import context

connection = context.config.attributes["connection"]


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Leave out of a new revision what only the migrations declare (the queue's tables), never drop it."""
    return not (reflected and compare_to is None)


context.configure(
    connection=connection,
    target_metadata=context.config.attributes.get("target_metadata"),
    render_as_batch=connection.dialect.name == "sqlite",
    include_object=include_object,
)
with context.begin_transaction():
    context.run_migrations()
