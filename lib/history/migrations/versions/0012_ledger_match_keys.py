"""Ledger match keys (issue 9's speed target): ledger_chunks.dest_match / uid_match (two keyed 64-bit
SipHash-2-4 values per member, packed) and do_not_contact.match1 / match2, beside the HMAC keys the
ledger keeps. The rules join a list on these, so a 1M list is no longer HMAC'd at check time.

Existing rows get NULL: their match keys cannot be derived (the ledger holds no values, only HMACs).
The rules read a chunk without match keys by its HMAC keys (lib.ledger.ledger, the "HMAC path"), and
a do-not-contact entry without them gets them from its kept `value` at read time: nobody recorded
before this revision is missed. Old sends leave the rules' windows after CONSOLE_REPEAT_DAYS.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ledger_chunks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dest_match", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("uid_match", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("do_not_contact", schema=None) as batch_op:
        batch_op.add_column(sa.Column("match1", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("match2", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("do_not_contact", schema=None) as batch_op:
        batch_op.drop_column("match2")
        batch_op.drop_column("match1")
    with op.batch_alter_table("ledger_chunks", schema=None) as batch_op:
        batch_op.drop_column("uid_match")
        batch_op.drop_column("dest_match")
