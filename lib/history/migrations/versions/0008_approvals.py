"""Approval of live sends (issue 11, maker-checker): `send_reviews` (what the sender saw when they
submitted a send for approval) and `approvals` (every decision: approved, rejected, expired).

New tables only. sends.queue_state (VARCHAR(10), no check constraint) takes three more values,
'awaiting', 'rejected' and 'expired', with no change to the column: existing sends keep theirs.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "approvals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("send_id", sa.Integer(), nullable=False),
        sa.Column("manifest_hash", sa.String(length=64), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("decided_by", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["send_id"], ["sends.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_approvals_send_id", "approvals", ["send_id"], unique=False)
    op.create_table(
        "send_reviews",
        sa.Column("send_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("submitted_by", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["send_id"], ["sends.id"]),
        sa.PrimaryKeyConstraint("send_id"),
    )


def downgrade() -> None:
    raise NotImplementedError("The history store is never migrated down; restore a backup instead")
