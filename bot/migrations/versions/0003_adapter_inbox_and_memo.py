"""Adapters: the inbox of incoming messages, remembered buttons and feedback

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A database opened by a development build of this release may hold the tables already (the store creates
    # a missing table on open).
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "adapter_memo" not in existing:
        _create_memo()
    if "inbox" not in existing:
        _create_inbox()


def _create_memo() -> None:
    # What adapters remember across restarts: the value behind a Telegram button, the feedback offered
    # with a Matrix answer.
    op.create_table(
        "adapter_memo",
        sa.Column("transport", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("transport", "kind", "key"),
    )
    with op.batch_alter_table("adapter_memo", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_adapter_memo_created_at"), ["created_at"], unique=False)


def _create_inbox() -> None:
    # Every incoming message, recorded before it is handled and marked done once answered.
    op.create_table(
        "inbox",
        sa.Column("transport", sa.String(length=32), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("chat", sa.String(length=255), nullable=False),
        sa.Column("user", sa.String(length=255), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("transport", "message_id"),
    )
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbox_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_inbox_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_status"))
        batch_op.drop_index(batch_op.f("ix_inbox_created_at"))

    op.drop_table("inbox")
    with op.batch_alter_table("adapter_memo", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_adapter_memo_created_at"))

    op.drop_table("adapter_memo")
