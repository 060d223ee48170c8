"""The send queue and the worker (issue 10): a queue state and a lease on every send, the workers'
heartbeats, the one-row status refresh lease, people's decisions about unknown chunks; chunks.status
widened to 16 characters ('marked_sent' is 11). Sends recorded before the queue read as done.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Text, inspect

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UTCDateTime = DateTime(timezone=True)


def upgrade() -> None:
    have = {c["name"] for c in inspect(op.get_bind()).get_columns("sends")}
    for column in (
        Column("queue_state", String(10), nullable=False, server_default="done"),  # NOT NULL with a default:
        Column("queued_at", UTCDateTime, nullable=True),  # SQLite adds it in place, no table rebuild
        Column("lease_owner", Text, nullable=True),
        Column("lease_expires_at", UTCDateTime, nullable=True),
        Column("finished_at", UTCDateTime, nullable=True),
    ):
        if column.name not in have:
            op.add_column("sends", column)
    op.create_index("ix_sends_queue_state", "sends", ["queue_state", "id"])
    # SQLite rebuilds the table for this (lib.history.migrate turns foreign keys off around it).
    with op.batch_alter_table("chunks") as chunks:
        chunks.alter_column("status", type_=String(16), existing_type=String(10), existing_nullable=False)
    op.create_table(
        "workers",
        Column("id", Text, primary_key=True),
        Column("host", Text, nullable=False),
        Column("pid", Integer, nullable=False),
        Column("platform", Text, nullable=True),
        Column("started_at", UTCDateTime, nullable=False),
        Column("heartbeat_at", UTCDateTime, nullable=False),
        Column("stopped_at", UTCDateTime, nullable=True),
    )
    op.create_table(
        "refresh_lease",
        Column("platform", Text, primary_key=True),
        Column("owner", Text, nullable=True),
        Column("expires_at", UTCDateTime, nullable=True),
    )
    op.create_table(
        "chunk_decisions",
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("chunk_id", Integer, ForeignKey("chunks.id"), nullable=False),
        Column("decision", String(20), nullable=False),
        Column("decided_by", Text, nullable=False),
        Column("decided_at", UTCDateTime, nullable=False),
        Column("note", Text, nullable=True),
    )
    op.create_index("ix_chunk_decisions_chunk_id", "chunk_decisions", ["chunk_id"])


def downgrade() -> None:
    raise NotImplementedError("The history store is never migrated down; restore a backup instead")
