"""Several processes: the outbox of replies a worker leaves, handled webhook updates, procrastinate's jobs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("transport", sa.String(length=32), nullable=False),
        sa.Column("chat", sa.String(length=255), nullable=False),
        sa.Column("user", sa.String(length=255), nullable=False),
        sa.Column("replies", sa.Text(), nullable=False),
        # What produced the replies ("check:<job id>"): a job run twice posts them once.
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_until", sa.DateTime(), nullable=True),
        # How many times a process took it: more than once means one died (or stalled) while sending it.
        sa.Column("claims", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", name="uq_outbox_source"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_transport"), ["transport"], unique=False)
    # Updates (Telegram webhooks) already answered, so a redelivery is not answered twice.
    op.create_table(
        "handled_updates",
        sa.Column("transport", sa.String(length=32), nullable=False),
        sa.Column("update_id", sa.String(length=255), nullable=False),
        sa.Column("handled_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("transport", "update_id"),
    )
    with op.batch_alter_table("handled_updates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_handled_updates_handled_at"), ["handled_at"], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and not sa.inspect(bind).has_table("procrastinate_jobs"):
        # procrastinate's own schema (its jobs, events, workers tables and functions), as its release ships
        # it; a later procrastinate migration comes in as a revision of ours, copied from its sql/migrations.
        from procrastinate.schema import SchemaManager

        bind.exec_driver_sql(SchemaManager.get_schema().replace("%", "%%"))


def downgrade() -> None:
    op.drop_table("handled_updates")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_transport"))
    op.drop_table("outbox")
