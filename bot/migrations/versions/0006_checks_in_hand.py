"""Checks in hand: the record of an upload being checked in a bot process, so a crash's upload is checked again

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Builds before this revision created the table when a process first checked an upload: keep theirs.
    if "checks_in_hand" in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        "checks_in_hand",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("transport", sa.String(length=32), nullable=False),
        sa.Column("chat", sa.String(length=255), nullable=False),
        sa.Column("user", sa.String(length=255), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("file_ids", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("checks_in_hand", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checks_in_hand_user"), ["user"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("checks_in_hand", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checks_in_hand_user"))
    op.drop_table("checks_in_hand")
