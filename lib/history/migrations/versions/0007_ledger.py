"""The recipient ledger and the do-not-contact list (issue 9).

New tables only, each created if missing: ledger_chunks (a chunk's members' keyed hashes, packed),
ledger_left_out (members the gate left out before a POST), ledger_sends (the template's kind when
sent), do_not_contact (entries and their removal), send_rule_decisions (including people who already
received a message, on purpose). Frozen copies of lib.history.schema's definitions at this revision.

Revision ID: 0007
Revises: 0006
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
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    inspect,
)

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UTCDateTime = DateTime(timezone=True)


def _tables() -> MetaData:
    m = MetaData()
    Table("sends", m, Column("id", Integer, primary_key=True))  # only for the foreign keys; never created here
    Table(
        "ledger_chunks", m,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("send_id", Integer, ForeignKey("sends.id"), nullable=False),
        Column("chunk_id", Integer, nullable=True),
        Column("left_out", String(32), nullable=True),
        Column("members", Integer, nullable=False),
        Column("row_numbers", LargeBinary, nullable=False),
        Column("dest_keys", LargeBinary, nullable=False),
        Column("uid_keys", LargeBinary, nullable=False),
        Index("ix_ledger_chunks_send", "send_id"),
    )
    Table(
        "ledger_left_out", m,
        Column("send_id", Integer, ForeignKey("sends.id"), nullable=False),
        Column("chunk_id", Integer, nullable=False),
        Column("position", Integer, nullable=False),
        Column("rule", String(32), nullable=False),
        PrimaryKeyConstraint("chunk_id", "position"),
        Index("ix_ledger_left_out_send", "send_id"),
    )
    Table(
        "ledger_sends", m,
        Column("send_id", Integer, ForeignKey("sends.id"), primary_key=True, autoincrement=False),
        Column("is_marketing", Boolean, nullable=False),
    )
    Table(
        "do_not_contact", m,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("channel", String(5), nullable=False),
        Column("kind", String(8), nullable=False),
        Column("value", Text, nullable=False),
        Column("key", BigInteger, nullable=False),
        Column("reason", Text, nullable=False),
        Column("source", Text, nullable=False),
        Column("added_by", Text, nullable=False),
        Column("added_at", UTCDateTime, nullable=False),
        Column("removed_at", UTCDateTime, nullable=True),
        Column("removed_by", Text, nullable=True),
        Column("removed_reason", Text, nullable=True),
        Index("ix_do_not_contact_key", "key"),
    )
    Table(
        "send_rule_decisions", m,
        Column("send_id", Integer, ForeignKey("sends.id"), nullable=False),
        Column("decision", String(40), nullable=False),
        Column("people", Integer, nullable=False),
        Column("decided_by", Text, nullable=False),
        Column("decided_at", UTCDateTime, nullable=False),
        PrimaryKeyConstraint("send_id", "decision"),
    )
    return m


def upgrade() -> None:
    bind = op.get_bind()
    existing = set(inspect(bind).get_table_names())
    tables = _tables()
    for name in ("ledger_chunks", "ledger_left_out", "ledger_sends", "do_not_contact", "send_rule_decisions"):
        if name not in existing:
            tables.tables[name].create(bind)


def downgrade() -> None:
    raise NotImplementedError("The history store is never migrated down; restore a backup instead")
