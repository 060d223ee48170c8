"""The SendMessages answer kept as received when its figures do not add up (issue 10, faults).

Was hand-written schema_version 3. Added only if missing (see 0002).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import Column, Text, inspect

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "platform_answer" not in {c["name"] for c in inspect(op.get_bind()).get_columns("chunks")}:
        op.add_column("chunks", Column("platform_answer", Text, nullable=True))


def downgrade() -> None:
    raise NotImplementedError("The history store is never migrated down; restore a backup instead")
