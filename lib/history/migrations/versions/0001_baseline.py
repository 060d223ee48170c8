"""Baseline: the schema as it was before Alembic (hand-written schema_version 1).

A database at schema_version 1 is stamped with this revision instead of running it.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen copy of lib/history/schema.py at the baseline: later edits there must not change what
# this revision creates.
UTCDateTime = DateTime(timezone=True)


def _baseline() -> MetaData:
    metadata = MetaData()

    Table(
        "schema_version",
        metadata,
        Column("version", Integer, nullable=False),
    )

    Table(
        "templates",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),  # the platform's templateId
        Column("name", Text, nullable=False),
        Column("channel", String(5), nullable=False),  # 'sms' | 'email'
        Column("subject", Text, nullable=False, default=""),
        Column("body", Text, nullable=False),
        Column("updated_at", UTCDateTime, nullable=False),
    )

    Table(
        "sends",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("manifest_hash", String(64), nullable=False),
        # manifest_hash for a first send; "<hash>:resend-of:<id>" for a confirmed override;
        # "<hash>:test:<uuid>" for a test send. UNIQUE: two simultaneous submissions make one send.
        Column("claim", Text, nullable=False, unique=True),
        Column("template_id", Integer, nullable=False),
        Column("template_name", Text, nullable=False),
        Column("channel", String(5), nullable=False),
        Column("schedule_at", UTCDateTime, nullable=True),
        Column("created_at", UTCDateTime, nullable=False),
        Column("created_by", Text, nullable=False),
        Column("platform_url", Text, nullable=False),
        Column("is_sandbox", Boolean, nullable=False),
        Column("is_test", Boolean, nullable=False, default=False),
        Column("resend_of", Integer, ForeignKey("sends.id"), nullable=True),
        Column("total_recipients", Integer, nullable=False),
        Column("excluded_recipients", Integer, nullable=False, default=0),
        Column("estimated_parts", Integer, nullable=True),
        Column("estimated_cost", Text, nullable=True),  # Decimal as text
        Column("batch_size", Integer, nullable=False),
        Index("ix_sends_created_at", "created_at"),
        Index("ix_sends_manifest_hash", "manifest_hash"),
        sqlite_autoincrement=True,  # a send number is never reused, even after a delete
    )

    Table(
        "chunks",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("send_id", Integer, ForeignKey("sends.id"), nullable=False),
        Column("seq", Integer, nullable=False),  # 1-based
        Column("status", String(10), nullable=False),  # lib.sending.status.ChunkStatus
        Column("recipient_count", Integer, nullable=False),
        Column("dispatch_id", BigInteger, nullable=True),
        Column("total_recipients_sent", Integer, nullable=True),
        Column("invalid_recipients", Integer, nullable=True),
        Column("invalid_json", Text, nullable=True),  # {"invalidEmails": [...], "invalidMobiles": [...]} as returned
        Column("error_message", Text, nullable=True),
        Column("attempts", Integer, nullable=False, default=0),
        Column("updated_at", UTCDateTime, nullable=False),
        UniqueConstraint("send_id", "seq", name="uq_chunks_send_seq"),
        Index("ix_chunks_send_id", "send_id"),
    )

    Table(
        "chunk_recipients",
        metadata,
        Column("chunk_id", Integer, ForeignKey("chunks.id"), nullable=False),
        Column("position", Integer, nullable=False),
        Column("unique_id", Text, nullable=False),
        Column("row_number", Integer, nullable=False),  # as the spreadsheet numbers it (header = 1)
        Column("destination", Text, nullable=False),  # mobile (E.164) or email
        Column("card_number", Text, nullable=True),
        Column("payload_json", Text, nullable=False),
        PrimaryKeyConstraint("chunk_id", "position"),
        Index("ix_chunk_recipients_unique_id", "unique_id"),
    )

    Table(
        "dispatches",
        metadata,
        Column("dispatch_id", BigInteger, primary_key=True, autoincrement=False),
        Column("send_id", Integer, ForeignKey("sends.id"), nullable=True),  # NULL: tracked by id from outside
        Column("chunk_id", Integer, ForeignKey("chunks.id"), nullable=True),
        Column("template_id", Integer, nullable=True),  # campaignMessageId
        Column("message_type_id", Integer, nullable=True),
        Column("total_recipients", Integer, nullable=True),
        Column("send_status_id", Integer, nullable=True),  # 1 Draft, 2 Pending, 3 Queued, 7 Error
        Column("has_started_queuing", Boolean, nullable=False, default=False),
        Column("has_finished_queuing", Boolean, nullable=False, default=False),
        Column("is_test", Boolean, nullable=False, default=False),
        Column("error_message", Text, nullable=True),
        Column("created_at", UTCDateTime, nullable=True),
        Column("started_queuing_at", UTCDateTime, nullable=True),
        Column("finished_queuing_at", UTCDateTime, nullable=True),
        Column("send_at", UTCDateTime, nullable=True),
        Column("queue_at", UTCDateTime, nullable=True),
        Column("raw_json", Text, nullable=True),  # the platform's last full GET body (NULL until first refresh)
        Column("is_final", Boolean, nullable=False, default=False),
        Column("first_seen_at", UTCDateTime, nullable=False),
        Column("last_refreshed_at", UTCDateTime, nullable=True),
        Column("last_changed_at", UTCDateTime, nullable=True),
        Index("ix_dispatches_send_id", "send_id"),
        Index("ix_dispatches_is_final", "is_final"),
    )

    Table(
        "dispatch_snapshots",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("dispatch_id", BigInteger, ForeignKey("dispatches.dispatch_id"), nullable=False),
        Column("taken_at", UTCDateTime, nullable=False),
        Column("send_status_id", Integer, nullable=True),
        Column("has_started_queuing", Boolean, nullable=True),
        Column("has_finished_queuing", Boolean, nullable=True),
        Column("started_queuing_at", UTCDateTime, nullable=True),
        Column("finished_queuing_at", UTCDateTime, nullable=True),
        Column("error_message", Text, nullable=True),
        Index("ix_dispatch_snapshots_dispatch_taken", "dispatch_id", "taken_at"),
    )

    Table(
        "meta",
        metadata,
        Column("key", Text, primary_key=True),
        Column("value", Text, nullable=True),
    )
    return metadata


def upgrade() -> None:
    _baseline().create_all(op.get_bind())


def downgrade() -> None:
    _baseline().drop_all(op.get_bind())
