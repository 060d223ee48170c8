"""Platform keys: a send's claim and a dispatch's id are unique per platform; snapshots numbered once.

The sandbox and the live platform both hand out dispatch ids near 180000, so `dispatches` is keyed
by (platform, dispatch_id) and a send claim by (platform, claim). Existing rows get the platform of
their send ("sandbox" or the live URL without credentials); a dispatch tracked from outside gets the
platform of the latest send (or "sandbox" when there is none). `schema_version` gives way to
Alembic's own `alembic_version`.

Revision ID: 0005
Revises: 0004
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
    ForeignKeyConstraint,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.schema import CreateTable

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UTCDateTime = DateTime(timezone=True)

SEND_PLATFORM = "CASE WHEN is_sandbox THEN 'sandbox' ELSE rtrim(platform_url, '/') END"
TRACKED_PLATFORM = "COALESCE((SELECT platform FROM sends ORDER BY id DESC LIMIT 1), 'sandbox')"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _upgrade_sqlite()
    else:
        _upgrade_postgresql()
    op.drop_table("schema_version")


def downgrade() -> None:
    raise NotImplementedError("The history store is never migrated down; restore a backup instead")


# ---- PostgreSQL: change the tables in place ---------------------------------------------------


def _upgrade_postgresql() -> None:
    op.add_column("sends", Column("platform", Text, nullable=True))
    op.execute(f"UPDATE sends SET platform = {SEND_PLATFORM}")
    op.alter_column("sends", "platform", nullable=False)
    op.drop_constraint("sends_claim_key", "sends", type_="unique")
    op.create_unique_constraint("uq_sends_platform_claim", "sends", ["platform", "claim"])

    op.add_column("dispatches", Column("platform", Text, nullable=True))
    op.execute(
        "UPDATE dispatches SET platform = COALESCE("
        f"(SELECT s.platform FROM sends s WHERE s.id = dispatches.send_id), {TRACKED_PLATFORM})"
    )
    op.alter_column("dispatches", "platform", nullable=False)

    op.add_column("dispatch_snapshots", Column("platform", Text, nullable=True))
    op.add_column("dispatch_snapshots", Column("seq", Integer, nullable=True))
    op.execute(
        "UPDATE dispatch_snapshots SET platform = d.platform FROM dispatches d "
        "WHERE d.dispatch_id = dispatch_snapshots.dispatch_id"
    )
    op.execute(
        "UPDATE dispatch_snapshots SET seq = n.seq FROM (SELECT id, ROW_NUMBER() OVER "
        "(PARTITION BY dispatch_id ORDER BY taken_at, id) AS seq FROM dispatch_snapshots) n "
        "WHERE n.id = dispatch_snapshots.id"
    )
    op.alter_column("dispatch_snapshots", "platform", nullable=False)
    op.alter_column("dispatch_snapshots", "seq", nullable=False)

    op.drop_constraint("dispatch_snapshots_dispatch_id_fkey", "dispatch_snapshots", type_="foreignkey")
    op.drop_constraint("dispatches_pkey", "dispatches", type_="primary")
    op.create_primary_key("dispatches_pkey", "dispatches", ["platform", "dispatch_id"])
    op.create_index("ix_dispatches_dispatch_id", "dispatches", ["dispatch_id"])
    op.create_foreign_key(
        "fk_dispatch_snapshots_dispatch", "dispatch_snapshots", "dispatches",
        ["platform", "dispatch_id"], ["platform", "dispatch_id"],
    )
    op.create_unique_constraint("uq_dispatch_snapshots_seq", "dispatch_snapshots", ["platform", "dispatch_id", "seq"])
    op.drop_index("ix_dispatch_snapshots_dispatch_taken", "dispatch_snapshots")
    op.create_index(
        "ix_dispatch_snapshots_dispatch_taken", "dispatch_snapshots", ["platform", "dispatch_id", "taken_at"]
    )


# ---- SQLite: rebuild the three tables (lib.history.migrate turns foreign keys off around this) ---


def _new_tables() -> MetaData:
    """The three tables as this revision leaves them, under temporary names (`_new_…`)."""
    m = MetaData()
    Table("chunks", m, Column("id", Integer, primary_key=True))  # foreign key targets only
    Table("sends", m, Column("id", Integer, primary_key=True))
    Table("dispatches", m, Column("platform", Text, primary_key=True), Column("dispatch_id", BigInteger, primary_key=True))
    Table(
        "_new_sends", m,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("manifest_hash", String(64), nullable=False),
        Column("claim", Text, nullable=False),
        Column("platform", Text, nullable=False),
        Column("template_id", Integer, nullable=False),
        Column("template_name", Text, nullable=False),
        Column("channel", String(5), nullable=False),
        Column("schedule_at", UTCDateTime, nullable=True),
        Column("created_at", UTCDateTime, nullable=False),
        Column("created_by", Text, nullable=False),
        Column("platform_url", Text, nullable=False),
        Column("is_sandbox", Boolean, nullable=False),
        Column("is_test", Boolean, nullable=False),
        Column("resend_of", Integer, ForeignKey("sends.id"), nullable=True),
        Column("total_recipients", Integer, nullable=False),
        Column("excluded_recipients", Integer, nullable=False),
        Column("estimated_parts", Integer, nullable=True),
        Column("estimated_cost", Text, nullable=True),
        Column("batch_size", Integer, nullable=False),
        UniqueConstraint("platform", "claim", name="uq_sends_platform_claim"),
        sqlite_autoincrement=True,
    )
    Table(
        "_new_dispatches", m,
        Column("platform", Text, nullable=False),
        Column("dispatch_id", BigInteger, nullable=False, autoincrement=False),
        Column("send_id", Integer, ForeignKey("sends.id"), nullable=True),
        Column("chunk_id", Integer, ForeignKey("chunks.id"), nullable=True),
        Column("template_id", Integer, nullable=True),
        Column("message_type_id", Integer, nullable=True),
        Column("total_recipients", Integer, nullable=True),
        Column("send_status_id", Integer, nullable=True),
        Column("has_started_queuing", Boolean, nullable=False),
        Column("has_finished_queuing", Boolean, nullable=False),
        Column("is_test", Boolean, nullable=False),
        Column("error_message", Text, nullable=True),
        Column("created_at", UTCDateTime, nullable=True),
        Column("started_queuing_at", UTCDateTime, nullable=True),
        Column("finished_queuing_at", UTCDateTime, nullable=True),
        Column("send_at", UTCDateTime, nullable=True),
        Column("queue_at", UTCDateTime, nullable=True),
        Column("raw_json", Text, nullable=True),
        Column("is_final", Boolean, nullable=False),
        Column("first_seen_at", UTCDateTime, nullable=False),
        Column("last_refreshed_at", UTCDateTime, nullable=True),
        Column("last_changed_at", UTCDateTime, nullable=True),
        PrimaryKeyConstraint("platform", "dispatch_id"),
    )
    Table(
        "_new_dispatch_snapshots", m,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("platform", Text, nullable=False),
        Column("dispatch_id", BigInteger, nullable=False),
        Column("seq", Integer, nullable=False),
        Column("taken_at", UTCDateTime, nullable=False),
        Column("send_status_id", Integer, nullable=True),
        Column("has_started_queuing", Boolean, nullable=True),
        Column("has_finished_queuing", Boolean, nullable=True),
        Column("started_queuing_at", UTCDateTime, nullable=True),
        Column("finished_queuing_at", UTCDateTime, nullable=True),
        Column("error_message", Text, nullable=True),
        ForeignKeyConstraint(
            ["platform", "dispatch_id"], ["dispatches.platform", "dispatches.dispatch_id"],
            name="fk_dispatch_snapshots_dispatch",
        ),
        UniqueConstraint("platform", "dispatch_id", "seq", name="uq_dispatch_snapshots_seq"),
    )
    return m


def _columns(table: Table) -> list[str]:
    return [c.name for c in table.columns]


def _upgrade_sqlite() -> None:
    m = _new_tables()
    bind = op.get_bind()
    for name in ("_new_sends", "_new_dispatches", "_new_dispatch_snapshots"):
        bind.execute(CreateTable(m.tables[name]))

    sends = [c for c in _columns(m.tables["_new_sends"]) if c != "platform"]
    op.execute(
        f"INSERT INTO _new_sends ({', '.join(sends)}, platform) SELECT {', '.join(sends)}, {SEND_PLATFORM} FROM sends"
    )
    dispatches = [c for c in _columns(m.tables["_new_dispatches"]) if c != "platform"]
    op.execute(
        f"INSERT INTO _new_dispatches ({', '.join(dispatches)}, platform) SELECT {', '.join(dispatches)}, COALESCE("
        f"(SELECT s.platform FROM _new_sends s WHERE s.id = dispatches.send_id), "
        f"{TRACKED_PLATFORM.replace('FROM sends', 'FROM _new_sends')}) FROM dispatches"
    )
    snapshots = [c for c in _columns(m.tables["_new_dispatch_snapshots"]) if c not in ("platform", "seq")]
    op.execute(
        f"INSERT INTO _new_dispatch_snapshots ({', '.join(snapshots)}, platform, seq) "
        f"SELECT {', '.join('x.' + c for c in snapshots)}, d.platform, "
        "ROW_NUMBER() OVER (PARTITION BY x.dispatch_id ORDER BY x.taken_at, x.id) "
        "FROM dispatch_snapshots x JOIN _new_dispatches d ON d.dispatch_id = x.dispatch_id"
    )
    for name in ("dispatch_snapshots", "dispatches", "sends"):
        op.execute(f"DROP TABLE {name}")
    for name in ("sends", "dispatches", "dispatch_snapshots"):
        op.execute(f"ALTER TABLE _new_{name} RENAME TO {name}")

    op.create_index("ix_sends_created_at", "sends", ["created_at"])
    op.create_index("ix_sends_manifest_hash", "sends", ["manifest_hash"])
    op.create_index("ix_dispatches_send_id", "dispatches", ["send_id"])
    op.create_index("ix_dispatches_is_final", "dispatches", ["is_final"])
    op.create_index("ix_dispatches_dispatch_id", "dispatches", ["dispatch_id"])
    op.create_index(
        "ix_dispatch_snapshots_dispatch_taken", "dispatch_snapshots", ["platform", "dispatch_id", "taken_at"]
    )
