"""Rate-limit counters in the database, shared by every bot process

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
    if "rate_counters" in set(sa.inspect(op.get_bind()).get_table_names()):
        return  # created on open by a development build
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
    with op.batch_alter_table("rate_counters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rate_counters_updated_at"))
    op.drop_table("rate_counters")
