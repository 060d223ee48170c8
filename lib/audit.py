"""The audit trail: who did what, when, to which object — written in the same transaction as the action.

`record(conn, actor, action, object, details)` takes the caller's open write connection, so the
action and its audit row commit together or not at all: a failed action leaves no audit row, and
an action is never left without one. The table is append-only (database triggers refuse UPDATE and
DELETE). Details never hold a password, a token or a recipient's personal data: `record` refuses
keys that name them, so a careless caller fails in its tests rather than leaking into the trail.

The trail stores codes (the action, the object's type); their words come from the `audit` catalog
in the reader's language (`AuditAction.label`, `object_words`, `column_words`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Connection, insert, or_, select

from lib import i18n
from lib.history import schema as s


class AuditAction(StrEnum):
    SIGN_IN = "sign_in"
    TEAM_ADD = "team_add"
    TEAM_CHANGE = "team_change"
    TEAM_REMOVE = "team_remove"
    TEMPLATE_CREATE = "template_create"
    TEMPLATE_EDIT = "template_edit"
    TEMPLATE_DELETE = "template_delete"
    TEMPLATES_IMPORT = "templates_import"
    UPLOAD = "upload"
    # For the send flow (wired by the lead): see the report for what each carries.
    SEND_SUBMIT = "send_submit"
    TEST_SEND = "test_send"
    SEND_APPROVE = "send_approve"
    SEND_REJECT = "send_reject"
    SEND_EXPIRE = "send_expire"  # a scheduled send not approved before its time
    SEND_RESUME = "send_resume"
    SEND_DECISION = "send_decision"  # a person's "mark as sent / not sent" on an unknown chunk
    SEND_POSTED = "send_posted"  # the sender finished a run of a send: its dispatch ids and counts
    OPTOUT_ADD = "optout_add"
    OPTOUT_REMOVE = "optout_remove"

    @property
    def label(self) -> str:
        """What the trail says for this action, in the reader's language."""
        return i18n.coded(ACTION_WORDS, self)


ACTION_WORDS = i18n.family("audit.action", AuditAction)
# The types of object an event is about (record's `object`), named in the reader's language.
OBJECT_TYPES = ("send", "chunk", "template", "catalog", "person", "file", "do_not_contact", "do_not_contact_import")
OBJECT_WORDS = i18n.family("audit.object", OBJECT_TYPES)
# The columns of `events_table` (stable keys, also read by `python -m lib audit`); their headings: column_words().
EVENT_COLUMNS = ("When", "Person", "Action", "Object", "Details")
COLUMN_WORDS = i18n.family("audit.column", [c.lower() for c in EVENT_COLUMNS])


def object_words(object_type: str | None) -> str | None:
    """'send', 'template' … in the reader's language; a type the trail does not know is shown as stored."""
    if object_type in OBJECT_TYPES:
        return i18n.coded(OBJECT_WORDS, object_type)
    return object_type


def column_words() -> dict[str, str]:
    """events_table's column -> its heading in the reader's language (the page and its exports)."""
    return {column: i18n.coded(COLUMN_WORDS, column.lower()) for column in EVENT_COLUMNS}

# Keys that would carry a secret or a recipient's personal data: never in the trail, at any depth.
FORBIDDEN_KEYS = frozenset({
    "password", "api_password", "secret", "client_secret", "cookie_secret", "token", "id_token",
    "access_token", "refresh_token", "authorization", "mobile", "mobiles", "destination", "destinations",
    "recipient", "recipients", "payload", "card_number", "firstname", "lastname", "phone",
})


class AuditError(ValueError):
    """A caller tried to write something the audit trail must never hold."""


@dataclass(frozen=True)
class AuditEvent:
    id: int
    at: datetime
    actor: str
    actor_name: str | None  # the team member's name when the actor is in the team
    action: str
    object_type: str | None
    object_id: str | None
    details: dict

    @property
    def action_label(self) -> str:
        try:
            return AuditAction(self.action).label
        except ValueError:
            return self.action


def _check_details(value: object, path: str = "details") -> None:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if str(key).lower() in FORBIDDEN_KEYS:
                raise AuditError(f"{path} has a key {key!r}: the audit trail never holds secrets or personal data")
            _check_details(inner, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for inner in value:
            _check_details(inner, path)


def record(
    conn: Connection,
    actor: str,
    action: AuditAction | str,
    object: tuple[str, object] | None = None,  # noqa: A002 - (object type, object id), e.g. ("template", 71)
    details: Mapping | None = None,
    *,
    at: datetime | None = None,
) -> int:
    """Append one event on the caller's connection (inside its transaction); returns the event id."""
    details = dict(details or {})
    _check_details(details)
    object_type, object_id = object if object is not None else (None, None)
    result = conn.execute(
        insert(s.audit_events).values(
            at=at or datetime.now(UTC),
            actor=str(actor),
            action=str(AuditAction(action)),
            object_type=object_type,
            object_id=None if object_id is None else str(object_id),
            details=json.dumps(details, ensure_ascii=False, sort_keys=True, default=str),
        )
    )
    return int(result.inserted_primary_key[0])


def upload_details(file_name: str, data: bytes) -> dict:
    """What the trail keeps about an uploaded file: its name, size and SHA-256, never its content."""
    return {"file_name": file_name, "size_bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def record_upload(conn: Connection, actor: str, file_name: str, data: bytes, **extra) -> int:
    """An upload (recipient list, catalog file): call in the transaction that keeps what was read from it."""
    return record(conn, actor, AuditAction.UPLOAD, ("file", file_name), {**upload_details(file_name, data), **extra})


def record_send(conn: Connection, send: Mapping, *, template_version: str = "") -> int:
    """A send (or a test send) as recorded, in the transaction that records it: what was sent, to how
    many, the rules' decisions (filled in by the ledger's writer) and whether it waits for approval."""
    details = {
        "template_id": send["template_id"], "template_name": send["template_name"],
        "template_version": template_version, "manifest_hash": send["manifest_hash"], "channel": send["channel"],
        "recipient_count": send["total_recipients"], "schedule_at": send["schedule_at"],
        "platform": send["platform"], "is_sandbox": send["is_sandbox"],
    }  # fmt: skip
    if not send["is_test"]:
        details.update(
            left_out=send["excluded_recipients"], left_out_by_rule=send.get("left_out_by_rule", {}),
            include_already_received=send.get("include_already_received", 0),
            estimated_parts=send["estimated_parts"], estimated_cost=send["estimated_cost"],
            awaiting_approval=send["queue_state"] == "awaiting", resend_of=send["resend_of"],
        )  # fmt: skip
    action = AuditAction.TEST_SEND if send["is_test"] else AuditAction.SEND_SUBMIT
    return record(conn, send["created_by"], action, ("send", send["id"]), details, at=send["created_at"])


def list_events(
    conn: Connection,
    *,
    actors: list[str] | None = None,
    actions: list[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
) -> list[AuditEvent]:
    """Events newest first; `since` inclusive, `until` exclusive; filters are OR within, AND across."""
    e, p = s.audit_events, s.people
    query = select(e, p.c.name.label("actor_name")).select_from(e.outerjoin(p, p.c.email == e.c.actor))
    if actors:
        query = query.where(or_(*(e.c.actor == a for a in actors)))
    if actions:
        query = query.where(e.c.action.in_([str(a) for a in actions]))
    if since is not None:
        query = query.where(e.c.at >= since)
    if until is not None:
        query = query.where(e.c.at < until)
    query = query.order_by(e.c.at.desc(), e.c.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return [
        AuditEvent(
            id=r["id"], at=r["at"], actor=r["actor"], actor_name=r["actor_name"], action=r["action"],
            object_type=r["object_type"], object_id=r["object_id"], details=json.loads(r["details"] or "{}"),
        )
        for r in conn.execute(query).mappings()
    ]


def actors(conn: Connection) -> list[str]:
    """Everyone who appears in the trail, for the page's person filter."""
    return list(conn.execute(select(s.audit_events.c.actor).distinct().order_by(s.audit_events.c.actor)).scalars())


# Who the trail names for what the sender (the worker process) did on its own, e.g. posting a part.
SENDER_ACTOR = "console sender"
# Who the trail names for what the console decided by itself, e.g. a send expired unapproved (lib.approvals).
CONSOLE_ACTOR = "console"

# Every key a detail of the trail holds (at any depth: a template's snapshot, a role before and after),
# named in the reader's language; a key the trail does not know is shown as recorded.
DETAIL_KEYS = (
    "accepted", "dispatch_ids", "may_have_gone_out", "not_sent", "worker", "awaiting_approval", "channel",
    "estimated_cost", "estimated_parts", "include_already_received", "file_name", "size_bytes", "sha256", "name",
    "role", "returned", "issued_at", "entries", "entry_ids", "already_listed", "rows_with_problems", "kind",
    "source", "reason", "left_out", "left_out_by_rule", "template_id", "template_name", "template_version",
    "manifest_hash", "total_recipients", "excluded_recipients", "recipient_count", "schedule_at", "is_test",
    "is_sandbox", "platform", "resend_of", "submitted_by", "decision", "before", "after", "added", "changed",
    "removed", "added_by", "note", "status", "send", "part", "parts", "id", "subject", "body",
)  # fmt: skip
DETAIL_WORDS = i18n.family("audit.detail", DETAIL_KEYS)
# Values recorded as codes, put into words by the key holding them (roles, channels and kinds of templates
# are named by their own enums). A reason is free text except the expiry's code.
VALUE_CODES = (
    "approved", "rejected", "expired", "marked_sent", "marked_not_sent", "resend_at_risk",  # decision
    "not_approved_in_time",  # reason (lib.approvals.NOT_APPROVED_IN_TIME)
    "both", "mobile", "email", "customer",  # channel of a do-not-contact entry, kind of entry (lib.ledger.optout)
    "sandbox",  # platform of a sandbox send (a live one is its address)
)  # fmt: skip
VALUE_WORDS = i18n.family("audit.value", [code.lower().replace(" ", "_") for code in VALUE_CODES])
CODED_KEYS = frozenset({"decision", "reason", "role", "channel", "kind", "source", "platform"})
# Trail rows written before the expiry's reason was a code hold these words.
_OLD_WORDS = {"not approved before its time": "not_approved_in_time"}


class _DetailsReader:
    """Puts a trail's details into the reader's words, amounts in the account's currency and times in the
    console's zone. It remembers the words of each key and plain value it met: the rows of one table repeat
    them, and the Audit page reads up to 5,000 rows."""

    def __init__(self, tz=UTC, currency: str | None = None):
        self.tz, self.currency = tz, currency
        self.separator, self.list_separator = i18n.t("common.separator"), i18n.t("audit.details.list_separator")
        self._keys: dict[str, str] = {}
        self._values: dict[tuple, str] = {}

    def line(self, details: Mapping, separator: str | None = None) -> str:
        return (separator or self.separator).join(f"{self._key(key)}: {self.value(key, value)}"
                                                  for key, value in details.items())  # fmt: skip

    def _key(self, key: str) -> str:
        if key not in self._keys:
            self._keys[key] = i18n.coded(DETAIL_WORDS, key) if key in DETAIL_KEYS else key.replace("_", " ")
        return self._keys[key]

    def value(self, key: str, value) -> str:
        if isinstance(value, Mapping | list | tuple):
            return self._collection(key, value)
        seen = (key, type(value), value)  # the type too: True and 1 are equal keys of a dict
        if seen not in self._values:
            self._values[seen] = self._scalar(key, value)
        return self._values[seen]

    def _collection(self, key: str, value) -> str:
        if not value:
            return i18n.t("audit.value.none")
        if key == "left_out_by_rule" and isinstance(value, Mapping):
            from lib.ledger import wording  # lib.ledger writes this trail: imported when read

            return self.list_separator.join(map(str, wording.summary(value))) or i18n.t("audit.value.none")
        if isinstance(value, Mapping):  # a role before and after, a template's snapshot
            return f"({self.line(value, self.list_separator)})"
        return self.list_separator.join(self.value(key, v) for v in value)

    def _scalar(self, key: str, value) -> str:
        if value is None or value == "":
            return i18n.t("audit.value.none")
        if isinstance(value, bool):
            return i18n.t("audit.value.yes") if value else i18n.t("audit.value.no")
        if key in CODED_KEYS:
            return _coded_words(key, str(value))
        return _plain_words(key, value, self.tz, self.currency)


def describe_details(details: dict, tz=UTC, currency: str | None = None) -> str:
    """One readable line for a table cell: `key: value; key: value`, in the reader's language."""
    return _DetailsReader(tz, currency).line(details)


def _coded_words(key: str, value: str) -> str:
    from lib.team.roles import Role  # lib.team writes this trail: imported when read
    from lib.templates import Channel, TemplateKind

    code = _OLD_WORDS.get(value, value)
    if key == "role" and code in set(Role):
        return Role(code).label
    if key == "channel" and code in set(Channel):
        return Channel(code).label
    if key == "kind" and code in set(TemplateKind):
        return TemplateKind(code).label
    if key == "source":  # of a do-not-contact entry: lib.ledger.optout's codes (or its older words)
        from lib.ledger.optout import source_words

        return source_words(code)
    if code in VALUE_CODES:
        return i18n.coded(VALUE_WORDS, code.lower().replace(" ", "_"))
    return value  # free text: a rejection's reason, as the approver wrote it


def _plain_words(key: str, value, tz, currency: str | None) -> str:
    if key == "schedule_at":
        try:
            return i18n.datetime_text(datetime.fromisoformat(str(value)).astimezone(tz))
        except ValueError:
            return str(value)
    if key == "issued_at" and isinstance(value, int | float):
        return i18n.datetime_text(datetime.fromtimestamp(value, tz), seconds=True)
    if key == "estimated_cost":
        try:
            amount = Decimal(str(value))
        except ArithmeticError:
            return str(value)
        return i18n.money(amount, currency) if currency else i18n.number(amount)
    if isinstance(value, int) and key in _COUNTS:
        return i18n.number(value)
    return str(value)


# Numbers that are amounts (grouped as the language writes them); ids and part numbers are shown as recorded.
_COUNTS = frozenset({"accepted", "may_have_gone_out", "not_sent", "estimated_parts", "size_bytes", "entries",
                     "already_listed", "rows_with_problems", "left_out", "total_recipients", "excluded_recipients",
                     "recipient_count", "parts", "include_already_received"})  # fmt: skip


def _person_words(ev: AuditEvent) -> str:
    from lib.team.people import BOOTSTRAP_ACTOR  # lib.team writes this trail: imported when read

    if ev.actor == SENDER_ACTOR:
        return i18n.t("audit.actor.sender")
    if ev.actor == CONSOLE_ACTOR:
        return i18n.t("audit.actor.console")
    if ev.actor == BOOTSTRAP_ACTOR:
        return i18n.t("audit.actor.settings", name=BOOTSTRAP_ACTOR)
    return f"{ev.actor_name} <{ev.actor}>" if ev.actor_name else ev.actor


def events_table(events: list[AuditEvent], tz=UTC, currency: str | None = None) -> list[dict]:
    """Rows for the page, the CSV/XLSX export and `python -m lib audit`; amounts in `currency` when given."""
    reader = _DetailsReader(tz, currency)
    return [
        {
            "When": ev.at.astimezone(tz),
            "Person": _person_words(ev),
            "Action": ev.action_label,
            "Object": " ".join(x for x in (object_words(ev.object_type), ev.object_id) if x),
            "Details": reader.line(ev.details),
        }
        for ev in events
    ]
