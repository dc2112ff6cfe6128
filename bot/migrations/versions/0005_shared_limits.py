"""Per-user limits in the database, shared by every process: message rate counters, checks of queue workers

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Either may have been created on open by a development build.
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "rate_counters" not in existing:
        _create_rate_counters()
    if "check_usage" not in existing:
        _create_check_usage()


def _create_check_usage() -> None:
    # The checks each user's queued uploads took (or reserved), for the pages and seconds per minute.
    op.create_table(
        "check_usage",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("owner", sa.String(length=300), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("check_usage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_check_usage_owner"), ["owner"], unique=False)
        batch_op.create_index(batch_op.f("ix_check_usage_at"), ["at"], unique=False)


def _create_rate_counters() -> None:
    # Each user's messages of the last minute (several processes behind a balancer count them together).
    op.create_table(
        "rate_counters",
        sa.Column("transport", sa.String(length=32), nullable=False),
        sa.Column("user", sa.String(length=255), nullable=False),
        sa.Column("hits", sa.Text(), nullable=False),
        sa.Column("warned_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("transport", "user"),
    )
    with op.batch_alter_table("rate_counters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rate_counters_updated_at"), ["updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("check_usage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_check_usage_at"))
        batch_op.drop_index(batch_op.f("ix_check_usage_owner"))
    op.drop_table("check_usage")
    with op.batch_alter_table("rate_counters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rate_counters_updated_at"))
    op.drop_table("rate_counters")
