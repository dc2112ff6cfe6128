"""One record of incoming updates: the webhooks' handled_updates rows move into the inbox, as answered

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_inbox = sa.table(
    "inbox",
    sa.column("transport", sa.String),
    sa.column("message_id", sa.String),
    sa.column("chat", sa.String),
    sa.column("user", sa.String),
    sa.column("payload", sa.Text),
    sa.column("status", sa.String),
    sa.column("created_at", sa.DateTime),
)
_handled = sa.table(
    "handled_updates",
    sa.column("transport", sa.String),
    sa.column("update_id", sa.String),
    sa.column("handled_at", sa.DateTime),
)


def upgrade() -> None:
    # The inbox (recorded before handling, "pending" then "done") is now the one record of every path: long
    # polling, Matrix and webhooks. An update a webhook process answered is an inbox row marked done.
    if "handled_updates" not in set(sa.inspect(op.get_bind()).get_table_names()):
        return
    known = sa.exists().where(
        _inbox.c.transport == _handled.c.transport, _inbox.c.message_id == _handled.c.update_id
    )
    rows = sa.select(
        _handled.c.transport,
        _handled.c.update_id,
        sa.literal(""),
        sa.literal(""),
        sa.literal("{}"),
        sa.literal("done"),
        _handled.c.handled_at,
    ).where(~known)
    op.execute(_inbox.insert().from_select([c.name for c in _inbox.columns], rows))
    with op.batch_alter_table("handled_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handled_updates_handled_at"))
    op.drop_table("handled_updates")


def downgrade() -> None:
    op.create_table(
        "handled_updates",
        sa.Column("transport", sa.String(length=32), nullable=False),
        sa.Column("update_id", sa.String(length=255), nullable=False),
        sa.Column("handled_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("transport", "update_id"),
    )
    with op.batch_alter_table("handled_updates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_handled_updates_handled_at"), ["handled_at"], unique=False)
    answered = sa.select(_inbox.c.transport, _inbox.c.message_id, _inbox.c.created_at).where(
        _inbox.c.status == "done"
    )
    op.execute(_handled.insert().from_select(["transport", "update_id", "handled_at"], answered))
