"""The history store's tables: agreed between the send engine and the Dispatches page.

Every datetime goes in and comes out timezone-aware UTC (`UTCDateTime`). This module is the schema
as it is now; every change to it needs an Alembic revision in lib/history/migrations/versions/ that
brings an existing database to the same shape (tests/test_history_migrations.py fails otherwise).
`lib.history.migrate` creates a new database from this metadata and upgrades an existing one.
Credentials are never stored: `sends.platform_url` is stripped of any user:password.

A platform key ("sandbox", or the live platform's URL without credentials) is part of every send
claim and every dispatch key: the sandbox and the live platform both hand out dispatch ids near
180000, so an id alone does not say which platform it belongs to.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.schema import DDL
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Aware datetimes only; stored as UTC, always returned as aware UTC (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("The history store only accepts timezone-aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()


templates = Table(
    "templates",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # the platform's templateId
    Column("name", Text, nullable=False),
    Column("channel", String(5), nullable=False),  # 'sms' | 'email'
    Column("subject", Text, nullable=False, default=""),
    Column("body", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # 'marketing' | 'service' (issue 9); NULL, for templates saved before kinds existed, reads as marketing.
    Column("kind", String(9), nullable=True),
)

sends = Table(
    "sends",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("manifest_hash", String(64), nullable=False),
    # manifest_hash for a first send; "<hash>:resend-of:<id>" for a confirmed override;
    # "<hash>:test:<uuid>" for a test send. UNIQUE with the platform: two simultaneous submissions
    # make one send, and a sandbox rehearsal never holds the claim of the live send.
    Column("claim", Text, nullable=False),
    Column("platform", Text, nullable=False),  # platform key: "sandbox" or the live URL without credentials
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
    UniqueConstraint("platform", "claim", name="uq_sends_platform_claim"),
    sqlite_autoincrement=True,  # a send number is never reused, even after a delete
)

chunks = Table(
    "chunks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("send_id", Integer, ForeignKey("sends.id"), nullable=False),
    Column("seq", Integer, nullable=False),  # 1-based
    Column("status", String(16), nullable=False),  # lib.sending.status.ChunkStatus ("marked_sent" is 11)
    Column("recipient_count", Integer, nullable=False),
    Column("dispatch_id", BigInteger, nullable=True),
    Column("total_recipients_sent", Integer, nullable=True),
    Column("invalid_recipients", Integer, nullable=True),
    Column("invalid_json", Text, nullable=True),  # {"invalidEmails": [...], "invalidMobiles": [...]} as returned
    Column("error_message", Text, nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("updated_at", UTCDateTime, nullable=False),
    # The SendMessages answer exactly as received, kept only when its figures did not add up (issue 10,
    # faults): those figures are never stored in the columns above. NULL otherwise and after the purge.
    Column("platform_answer", Text, nullable=True),
    UniqueConstraint("send_id", "seq", name="uq_chunks_send_seq"),
    Index("ix_chunks_send_id", "send_id"),
    Index("ix_chunks_status", "status"),  # parts in doubt, for the live panel (revision 0014)
    Index("ix_chunks_updated_at", "updated_at"),  # the newest part update, for the page's data version (0014)
)

chunk_recipients = Table(
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

dispatches = Table(
    "dispatches",
    metadata,
    Column("platform", Text, primary_key=True),  # the platform key (see the module docstring)
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
    Index("ix_dispatches_dispatch_id", "dispatch_id"),  # a search by number alone, across platforms
    Index("ix_dispatches_last_changed_at", "last_changed_at"),  # recent changes, for the live panel (0014)
    # The page's data version counts dispatches and sums their statuses from this index alone (0014).
    Index("ix_dispatches_first_seen_status", "first_seen_at", "send_status_id"),
)

dispatch_snapshots = Table(
    "dispatch_snapshots",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", Text, nullable=False),
    Column("dispatch_id", BigInteger, nullable=False),
    # 1, 2, 3… per dispatch: two refreshers that saw the same change both try the same number and
    # the second insert is ignored (insert-or-ignore), so a change is recorded once.
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
    Index("ix_dispatch_snapshots_dispatch_taken", "platform", "dispatch_id", "taken_at"),
)

# ---- the send queue and the worker (issue 10): leases, decisions, journal ---------------------
# The database is the queue. A send is 'queued' until a worker (or `python -m lib send` in its own
# process) has posted every chunk it could, then 'done'. Whoever posts a send holds its lease
# (lease_owner until lease_expires_at) and renews it between chunks; a send whose lease expired
# is taken over by another worker. Existing rows (sent before the queue existed) read as 'done'.

for _column in (
    Column("queue_state", String(10), nullable=False, server_default="done", default="done"),
    # queued | done; awaiting | rejected | expired for sends that need approval (lib.approvals)
    Column("queued_at", UTCDateTime, nullable=True),  # last time it was (re)queued
    Column("lease_owner", Text, nullable=True),  # the worker id posting it now
    Column("lease_expires_at", UTCDateTime, nullable=True),
    Column("finished_at", UTCDateTime, nullable=True),  # when the last run of it ended
    # Not claimed before this time: a marketing SMS that reached quiet hours part-way waits for their end.
    Column("not_before", UTCDateTime, nullable=True),
):
    sends.append_column(_column)
ix_sends_queue_state = Index("ix_sends_queue_state", sends.c.queue_state, sends.c.id)

# Words the sender writes (issue 13, revision 0011) are stored as codes and rendered in each reader's
# language: the submitter's language (the worker posts the send in it, Accept-Language) and each
# chunk's note as a catalog key with JSON parameters (error_message keeps the English text).
sends.append_column(Column("language", String(5), nullable=True))
chunks.append_column(Column("error_code", Text, nullable=True))
chunks.append_column(Column("error_params", Text, nullable=True))

workers = Table(
    "workers",
    metadata,
    Column("id", Text, primary_key=True),  # "<host>:<pid>:<random>"
    Column("host", Text, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("platform", Text, nullable=True),  # the platform key it posts to (lib.history.store.platform_key)
    Column("started_at", UTCDateTime, nullable=False),
    Column("heartbeat_at", UTCDateTime, nullable=False),
    Column("stopped_at", UTCDateTime, nullable=True),
)

# One row per platform: which worker refreshes its dispatch statuses now, so two never ask about the
# same dispatch at once (a sandbox worker and a live one each refresh their own platform's).
refresh_lease = Table(
    "refresh_lease",
    metadata,
    Column("platform", Text, primary_key=True),  # lib.history.store.platform_key
    Column("owner", Text, nullable=True),
    Column("expires_at", UTCDateTime, nullable=True),
)

# A person's decision on a chunk whose outcome was unknown, with who decided and when.
chunk_decisions = Table(
    "chunk_decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("chunk_id", Integer, ForeignKey("chunks.id"), nullable=False),
    Column("decision", String(20), nullable=False),  # marked_sent | marked_not_sent | resend_at_risk
    Column("decided_by", Text, nullable=False),
    Column("decided_at", UTCDateTime, nullable=False),
    Column("note", Text, nullable=True),
    Index("ix_chunk_decisions_chunk_id", "chunk_id"),
)


# ---- the recipient ledger and the do-not-contact list (issue 9) --------------------------------
# Keys are the first 8 bytes of HMAC-SHA-256 (lib.ledger.keys) as a signed 64-bit integer: compact,
# fast to join, and no longer personal data. The ledger is separate from chunk_recipients because
# the retention purge deletes those rows, and the rules must keep working after it. The outcome of a
# member is derived: left out (ledger_chunks.left_out or ledger_left_out), else its chunk's status
# (accepted/marked_sent: sent; posting/unknown: may have gone out; pending/rejected/left_out: not sent).

ledger_chunks = Table(
    "ledger_chunks",
    metadata,
    # One row per chunk of a send: its members' keys as packed little-endian int64 arrays, in posting
    # order (element i is position i + 1). Template, channel, time and test flag are the send's own
    # (sends.*, never purged). Rows left out when the list was checked are one row per rule with
    # chunk_id NULL and `left_out` set. Packed arrays keep a 1M send to a thousand rows: written and
    # read back in a fraction of a second, where a row per person costs seconds either way.
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("send_id", Integer, ForeignKey("sends.id"), nullable=False),
    Column("chunk_id", Integer, nullable=True),  # NULL: left out at validation (never in a chunk)
    Column("left_out", String(32), nullable=True),  # lib.ledger.rules.Rule code when chunk_id is NULL
    Column("members", Integer, nullable=False),
    Column("row_numbers", LargeBinary, nullable=False),  # int64 each, as the spreadsheet numbers them
    # HMAC keys, the record kept after the purge. NULL (revision 0013) until made from the chunk's
    # recipients after the send is recorded (lib.ledger.ledger.Ledger.complete_keys; the purge waits).
    Column("dest_keys", LargeBinary, nullable=True),
    Column("uid_keys", LargeBinary, nullable=True),
    # Match keys (revision 0012): per member two keyed 64-bit SipHash-2-4 values of the same texts,
    # packed as little-endian int64 pairs (16 bytes a member). The rules join a whole list on these
    # (lib.ledger.keys.MatchKeys); NULL in rows written before 0012, which are read by their HMAC keys.
    Column("dest_match", LargeBinary, nullable=True),
    Column("uid_match", LargeBinary, nullable=True),
    Index("ix_ledger_chunks_send", "send_id"),
)

ledger_left_out = Table(
    "ledger_left_out",
    metadata,
    # Members the gate left out right before their chunk's POST (the outcome "left out by <rule>").
    Column("send_id", Integer, ForeignKey("sends.id"), nullable=False),
    Column("chunk_id", Integer, nullable=False),
    Column("position", Integer, nullable=False),
    Column("rule", String(32), nullable=False),
    PrimaryKeyConstraint("chunk_id", "position"),
    Index("ix_ledger_left_out_send", "send_id"),
)

ledger_sends = Table(
    "ledger_sends",
    metadata,
    Column("send_id", Integer, ForeignKey("sends.id"), primary_key=True, autoincrement=False),
    Column("is_marketing", Boolean, nullable=False),  # the template's kind when it was sent (frequency cap)
)

do_not_contact = Table(
    "do_not_contact",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(5), nullable=False),  # 'sms' | 'email' | 'both'
    Column("kind", String(8), nullable=False),  # 'mobile' | 'email' | 'customer' (a customer id)
    Column("value", Text, nullable=False),  # normalised: E.164, lower-case address, or the id as given
    Column("key", BigInteger, nullable=False),  # the ledger key of `value`
    # `value`'s match keys (revision 0010; NULL before it: then computed from `value` when read)
    Column("match1", BigInteger, nullable=True),
    Column("match2", BigInteger, nullable=True),
    Column("reason", Text, nullable=False, default=""),
    Column("source", Text, nullable=False, default=""),
    Column("added_by", Text, nullable=False),
    Column("added_at", UTCDateTime, nullable=False),
    # Removal keeps the entry (history): who, when and why.
    Column("removed_at", UTCDateTime, nullable=True),
    Column("removed_by", Text, nullable=True),
    Column("removed_reason", Text, nullable=True),
    Index("ix_do_not_contact_key", "key"),
)

send_decisions_ledger = Table(
    "send_rule_decisions",
    metadata,
    Column("send_id", Integer, ForeignKey("sends.id"), nullable=False),
    Column("decision", String(40), nullable=False),  # 'include_already_received'
    Column("people", Integer, nullable=False),
    Column("decided_by", Text, nullable=False),
    Column("decided_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("send_id", "decision"),
)

LEDGER_TABLES = (ledger_chunks, ledger_left_out, ledger_sends, do_not_contact, send_decisions_ledger)
# A database made before these tables gets them from migration 0006_ledger.


# ---- platform keys for dispatches, migrations (issue 10, store) --------------------------------
# The platform columns above (sends.platform, dispatches.platform, dispatch_snapshots.platform/seq)
# came with revision 0005; schema_version gave way to Alembic's alembic_version.


# ---- team, audit (issue 11) ----------------------------------------------------------------------
# Fresh databases get these through create_all; an existing one needs a migration (the lead's).

people = Table(
    "people",
    metadata,
    Column("email", Text, primary_key=True),  # always lower-cased: the sign-in provider's email claim
    Column("name", Text, nullable=False),
    Column("role", String(10), nullable=False),  # lib.team.Role: viewer | sender | approver | admin
    Column("active", Boolean, nullable=False, default=True),  # removal is soft: the audit trail keeps its names
    Column("added_by", Text, nullable=False),
    Column("added_at", UTCDateTime, nullable=False),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", Text, nullable=False),  # a person's email, or the local operator's name without sign-in
    Column("action", String(40), nullable=False),  # lib.audit.AuditAction
    Column("object_type", String(40), nullable=True),
    Column("object_id", Text, nullable=True),
    Column("details", Text, nullable=False, default="{}"),  # JSON object; never a password or a recipient's data
    Index("ix_audit_events_at", "at"),
    Index("ix_audit_events_actor", "actor"),
    Index("ix_audit_events_action", "action"),
    sqlite_autoincrement=True,
)

# Append-only in the database itself, not only in our code: an UPDATE or DELETE on the trail fails.
_AUDIT_APPEND_ONLY = {
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
for _dialect, _statements in _AUDIT_APPEND_ONLY.items():
    for _statement in _statements:
        event.listen(audit_events, "after_create", DDL(_statement).execute_if(dialect=_dialect))


# ---- approval of live sends (issue 11, maker-checker) ------------------------------------------
# A live send that needs a second person is recorded with sends.queue_state 'awaiting' (no worker
# claims it); an approver moves it to 'queued', a rejection to 'rejected', and a scheduled send whose
# time passed first to 'expired'. `send_reviews` keeps what the sender saw when they submitted it,
# so the approver sees exactly that; `approvals` keeps every decision (append-only by use).

send_reviews = Table(
    "send_reviews",
    metadata,
    Column("send_id", Integer, ForeignKey("sends.id"), primary_key=True, autoincrement=False),
    Column("submitted_by", Text, nullable=False),
    Column("submitted_at", UTCDateTime, nullable=False),
    Column("summary", Text, nullable=False),  # JSON (lib.approvals.send_summary): counts, never personal data
)

approvals = Table(
    "approvals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("send_id", Integer, ForeignKey("sends.id"), nullable=False),
    Column("manifest_hash", String(64), nullable=False),  # the manifest the decision binds to
    Column("decision", String(10), nullable=False),  # approved | rejected | expired
    Column("decided_by", Text, nullable=False),  # an approver's email; "console" for an expiry
    Column("decided_at", UTCDateTime, nullable=False),
    Column("reason", Text, nullable=True),  # required for a rejection; shown to the sender
    Index("ix_approvals_send_id", "send_id"),
)


# The words a person reads the console in (lib.i18n), remembered across browsers: keyed by the audit trail's
# name for them (the signed-in email, or CONSOLE_OPERATOR without sign-in).
preferences = Table(
    "preferences",
    metadata,
    Column("person", Text, primary_key=True),
    Column("language", String(5), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)


meta = Table(
    "meta",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=True),
)
