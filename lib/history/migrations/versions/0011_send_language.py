"""Words the sender writes are stored as codes, rendered in each reader's language (issue 13).

sends.language: the language of the person who submitted the send; the worker posts it in that
language (Accept-Language), so the platform's own error texts come back in words the sender reads.
chunks.error_code / chunks.error_params: the catalog key and JSON parameters of a chunk's note (a
refusal, a timeout, "marked as sent by"), rendered when read; error_message keeps the English text
(and, for rows written before this revision, the only text there is).
Existing rows: NULL (sends in the console's default language; notes read as they were written).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sends", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=5), nullable=True))
    with op.batch_alter_table("chunks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("error_code", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("error_params", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chunks", schema=None) as batch_op:
        batch_op.drop_column("error_params")
        batch_op.drop_column("error_code")
    with op.batch_alter_table("sends", schema=None) as batch_op:
        batch_op.drop_column("language")
