"""Template kinds (issue 9): templates.kind, 'marketing' | 'service'; NULL reads as marketing.

Was hand-written schema_version 2. Added only if missing: a database from a branch that numbered
its versions differently may already have it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import Column, String, inspect

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "kind" not in {c["name"] for c in inspect(op.get_bind()).get_columns("templates")}:
        op.add_column("templates", Column("kind", String(9), nullable=True))


def downgrade() -> None:
    raise NotImplementedError("The history store is never migrated down; restore a backup instead")
