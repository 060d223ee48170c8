"""Ledger HMAC keys made after a send is recorded (issue 9's write target): ledger_chunks.dest_keys and
uid_keys may be NULL until Ledger.complete_keys makes them from the chunk's recipients. Recording a
million recipients then writes only the match keys the check already made; the retention purge
keeps a chunk's recipients until its keys are made. Existing rows all have their keys.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ledger_chunks", schema=None) as batch_op:
        batch_op.alter_column("dest_keys", existing_type=sa.LargeBinary(), nullable=True)
        batch_op.alter_column("uid_keys", existing_type=sa.LargeBinary(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("ledger_chunks", schema=None) as batch_op:
        batch_op.alter_column("uid_keys", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.alter_column("dest_keys", existing_type=sa.LargeBinary(), nullable=False)
