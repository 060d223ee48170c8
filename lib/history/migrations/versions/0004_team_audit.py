"""Team and audit trail (issue 11): people, and the append-only audit_events.

Before Alembic these came only with create_all, so a database made before them lacks them and one
made after has them: each is created only if missing, with the triggers that refuse UPDATE and
DELETE on the trail.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import Boolean, Column, DateTime, Index, Integer, MetaData, String, Table, Text, inspect

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UTCDateTime = DateTime(timezone=True)

APPEND_ONLY = {
    "sqlite": [
        "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$",
        "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
    ],
}


def _tables() -> MetaData:
    m = MetaData()
    Table(
        "people", m,
        Column("email", Text, primary_key=True),
        Column("name", Text, nullable=False),
        Column("role", String(10), nullable=False),
        Column("active", Boolean, nullable=False),
        Column("added_by", Text, nullable=False),
        Column("added_at", UTCDateTime, nullable=False),
    )
    Table(
        "audit_events", m,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("at", UTCDateTime, nullable=False),
        Column("actor", Text, nullable=False),
        Column("action", String(40), nullable=False),
        Column("object_type", String(40), nullable=True),
        Column("object_id", Text, nullable=True),
        Column("details", Text, nullable=False),
        Index("ix_audit_events_at", "at"),
        Index("ix_audit_events_actor", "actor"),
        Index("ix_audit_events_action", "action"),
        sqlite_autoincrement=True,
    )
    return m


def upgrade() -> None:
    bind = op.get_bind()
    existing = set(inspect(bind).get_table_names())
    tables = _tables()
    for name in ("people", "audit_events"):
        if name not in existing:
            tables.tables[name].create(bind)
            if name == "audit_events":
                for statement in APPEND_ONLY.get(bind.dialect.name, []):
                    op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("The history store is never migrated down; restore a backup instead")
