"""Typed mirrors of the contract's bodies: camelCase on the wire, snake_case in Python.

Every field of the contract's sample responses is kept, even those the console does not use
yet (scheduleId, legacyCode1, gatewayId1), so nothing the platform says is silently dropped.

The platform's status numbers (sendStatusId: Draft 1, Pending 2, Queued 3, Error 7) are defined
here once, as `SendStatus`; everything else (the history, the charts, the pages) imports them, and
their words come from the catalog (`send_status_label`), keyed by the status, never by its words.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from enum import IntEnum
from typing import Any
from zoneinfo import ZoneInfo

from lib import i18n

DEFAULT_TZ = ZoneInfo("Europe/Athens")


class _OpenIntEnum(IntEnum):
    """An IntEnum that keeps numbers it does not know (as pseudo-members) instead of raising:
    a platform that adds status 5 tomorrow must not crash the Dispatches page."""

    @classmethod
    def _missing_(cls, value: object) -> _OpenIntEnum | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return None
        member = int.__new__(cls, value)
        member._name_ = f"UNKNOWN_{value}"
        member._value_ = value
        cls._value2member_map_[value] = member  # one object per number, so `is` still works
        return member

    @property
    def is_known(self) -> bool:
        return self._name_ in type(self).__members__

    @property
    def code(self) -> str:
        """The member's name in lower case (`draft`): what the catalog keys its words by."""
        return self._name_.lower()

    @property
    def label(self) -> str:
        """Its words in the current language; a number the platform added later is named with it."""
        words, unknown = _WORDS[type(self)]
        return i18n.coded(words, self.code) if self.is_known else i18n.t(unknown, number=self.value)

    def __str__(self) -> str:
        return self.label


class SendStatus(_OpenIntEnum):
    """The platform's sendStatusId."""

    DRAFT = 1
    PENDING = 2
    QUEUED = 3
    ERROR = 7


# Each enum's key family for its members' words, and the key naming a number it does not know.
_WORDS: dict[type, tuple[str, str]] = {
    SendStatus: (i18n.family("messaging.send_status", [s.code for s in SendStatus]), "messaging.send_status.other"),
}
# The numbers, for code that reads sendStatusId as plain integers (SQL, pandas): import, never retype them.
DRAFT, PENDING, QUEUED, ERROR = (int(status) for status in SendStatus)
SEND_STATUS_NUMBERS: tuple[int, ...] = tuple(int(status) for status in SendStatus)


def send_status(number: object) -> SendStatus:
    """The status for a sendStatusId as stored (an int, a float from pandas, None before the platform
    said anything: Draft, the status of a dispatch just created)."""
    if number is None or number != number:  # None, or NaN from a pandas column
        return SendStatus.DRAFT
    return SendStatus(int(number))


def send_status_label(number: object) -> str:
    """Draft / Pending / Queued / Error in the reader's language, "Status 5" for a number added later."""
    return send_status(number).label


class MessageType(_OpenIntEnum):
    """The platform's messageTypeId."""

    SMS = 1
    EMAIL = 2


_WORDS[MessageType] = (
    i18n.family("messaging.message_type", [kind.code for kind in MessageType]), "messaging.message_type.other"
)


@dataclass(frozen=True)
class Recipient:
    unique_id: str
    mobile_phone: str | None = None
    email: str | None = None
    card_number: str | None = None
    payload: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"uniqueId": self.unique_id}
        if self.mobile_phone is not None:
            data["mobilePhone"] = self.mobile_phone
        if self.email is not None:
            data["email"] = self.email
        if self.card_number is not None:
            data["cardNumber"] = self.card_number
        data["payload"] = {str(k): "" if v is None else str(v) for k, v in self.payload.items()}
        return data


@dataclass(frozen=True)
class InvalidMobile:
    unique_id: str
    mobile: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> InvalidMobile:
        mobile = data.get("mobile")
        return cls(unique_id=str(data.get("uniqueId", "")), mobile="" if mobile is None else str(mobile))

    def to_json(self) -> dict[str, str]:
        return {"uniqueId": self.unique_id, "mobile": self.mobile}


MAX_DISPATCH_ID = 2**63 - 1  # the contract's `long`


def _is_whole(value: object) -> bool:
    """A JSON integer, not a bool, a float (180001.0) or a string ("180001")."""
    return isinstance(value, int) and not isinstance(value, bool)


def dispatch_number(value: object) -> int:
    """The dispatch id of a SendMessages answer; ValueError unless it is a whole number from 1 to 2**63 - 1.

    Only this decides whether a send was taken: anything else (missing, null, true, "180001",
    180001.0, -1) leaves it unknown whether the messages went out."""
    if not _is_whole(value) or not 0 < value <= MAX_DISPATCH_ID:
        raise ValueError(f"not a dispatch number: {value!r}")
    return value


@dataclass(frozen=True)
class SendResult:
    """A SendMessages answer. `dispatch` is always a real dispatch number (from_json refuses the
    answer otherwise). The figures are the platform's: when they are missing, not whole numbers,
    or do not add up (total != sent + invalid, total != recipients posted, sent > posted),
    `problems` says why (one sentence each, `inconsistency` in the reader's words) and they must not
    be shown or counted as ours; the unreadable ones are None. `platform_answer` is the answer
    exactly as received."""

    dispatch: int
    total_recipients: int | None
    total_recipients_sent: int | None
    invalid_recipients: int | None
    send_date: datetime | None
    invalid_emails: list[str] = field(default_factory=list)
    invalid_mobiles: list[InvalidMobile] = field(default_factory=list)
    problems: tuple[i18n.Msg, ...] = ()
    platform_answer: str | None = field(default=None, repr=False, compare=False)

    @property
    def figures_add_up(self) -> bool:
        return not self.problems

    @property
    def inconsistency(self) -> str | None:
        """Why the figures cannot be taken as they are, in the reader's language; None when they add up."""
        if not self.problems:
            return None
        return i18n.t("messaging.figures.separator").join(str(p) for p in self.problems)

    @classmethod
    def from_json(
        cls,
        data: Mapping[str, Any],
        tz: tzinfo | str = DEFAULT_TZ,
        *,
        posted: int | None = None,
        answer_text: str | None = None,
    ) -> SendResult:
        """Raises KeyError/TypeError/ValueError when the body has no real dispatch number.
        `posted`: how many recipients the request carried, checked against the platform's figures."""
        dispatch = dispatch_number(data["dispatch"])
        problems: list[i18n.Msg] = []
        figures = {}
        for wire in ("totalRecipients", "totalRecipientsSent", "invalidRecipients"):
            value = data.get(wire)
            figures[wire] = value if _is_whole(value) and value >= 0 else None
        total, sent, invalid = figures.values()
        if None in figures.values():
            problems.append(i18n.Msg("messaging.figures.unreadable"))
        else:
            if total != sent + invalid:
                problems.append(i18n.Msg("messaging.figures.total", sent=sent, invalid=invalid, total=total))
            if posted is not None and total != posted:
                problems.append(i18n.Msg("messaging.figures.counted", total=total, posted=posted))
        if posted is not None and sent is not None and sent > posted:
            problems.append(i18n.Msg("messaging.figures.too_many", sent=sent, posted=posted))
        try:
            send_date = parse_platform_datetime(data.get("sendDate"), tz)
        except ValueError:
            send_date = None
            problems.append(i18n.Msg("messaging.figures.send_time"))
        try:
            invalid_emails = [str(e) for e in _list(data.get("invalidEmails"))]
            invalid_mobiles = [InvalidMobile.from_json(m) for m in _list(data.get("invalidMobiles"))]
        except (TypeError, AttributeError):
            invalid_emails, invalid_mobiles = [], []
            problems.append(i18n.Msg("messaging.figures.refused_list"))
        return cls(
            dispatch=dispatch,
            total_recipients=total,
            total_recipients_sent=sent,
            invalid_recipients=invalid,
            send_date=send_date,
            invalid_emails=invalid_emails,
            invalid_mobiles=invalid_mobiles,
            problems=tuple(problems),
            platform_answer=answer_text if answer_text is not None else json.dumps(data, ensure_ascii=False),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "dispatch": self.dispatch,
            "totalRecipients": self.total_recipients,
            "totalRecipientsSent": self.total_recipients_sent,
            "invalidRecipients": self.invalid_recipients,
            "sendDate": _iso(self.send_date),
            "invalidEmails": list(self.invalid_emails),
            "invalidMobiles": [m.to_json() for m in self.invalid_mobiles],
        }


def _list(value: object) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise TypeError("not a list")
    return value


# (python name, wire name, kind) for every field of the contract's GET sample, in its order.
_DISPATCH_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("dispatch_id", "dispatchId", "int"),
    ("campaign_message_id", "campaignMessageId", "int?"),
    ("schedule_id", "scheduleId", "int?"),
    ("created_at", "createdAt", "datetime"),
    ("started_queuing_at", "startedQueuingAt", "datetime"),
    ("finished_queuing_at", "finishedQueuingAt", "datetime"),
    ("message_type_id", "messageTypeId", "message_type"),
    ("is_test", "isTest", "bool"),
    ("is_initialized", "isInitialized", "bool"),
    ("has_started_queuing", "hasStartedQueuing", "bool"),
    ("has_finished_queuing", "hasFinishedQueuing", "bool"),
    ("total_recipients", "totalRecipients", "int?"),
    ("send_status_id", "sendStatusId", "send_status"),
    ("error_message", "errorMessage", "str?"),
    ("last_update", "lastUpdate", "datetime"),
    ("queue_at", "queueAt", "datetime"),
    ("send_at", "sendAt", "datetime"),
    ("legacy_code1", "legacyCode1", "str?"),
    ("gateway_id", "gatewayId", "str?"),
    ("gateway_id1", "gatewayId1", "str?"),
    ("creation_date", "creationDate", "datetime"),
    ("modified_date", "modifiedDate", "datetime"),
)


@dataclass(frozen=True)
class Dispatch:
    dispatch_id: int
    campaign_message_id: int | None = None
    schedule_id: int | None = None
    created_at: datetime | None = None
    started_queuing_at: datetime | None = None
    finished_queuing_at: datetime | None = None
    message_type_id: MessageType | None = None
    is_test: bool = False
    is_initialized: bool = False
    has_started_queuing: bool = False
    has_finished_queuing: bool = False
    total_recipients: int | None = None
    send_status_id: SendStatus | None = None
    error_message: str | None = None
    last_update: datetime | None = None
    queue_at: datetime | None = None
    send_at: datetime | None = None
    legacy_code1: str | None = None
    gateway_id: str | None = None
    gateway_id1: str | None = None
    creation_date: datetime | None = None
    modified_date: datetime | None = None

    @property
    def is_final(self) -> bool:
        """True when the status will not change any more: Error, or Queued and fully queued."""
        if self.send_status_id is SendStatus.ERROR:
            return True
        return self.send_status_id is SendStatus.QUEUED and self.has_finished_queuing

    @property
    def status_label(self) -> str:
        return self.send_status_id.label if self.send_status_id is not None else i18n.t("messaging.send_status.none")

    @classmethod
    def from_json(cls, data: Mapping[str, Any], tz: tzinfo | str = DEFAULT_TZ) -> Dispatch:
        """Raises KeyError/TypeError/ValueError when the body is not a dispatch."""
        values: dict[str, Any] = {}
        for name, wire, kind in _DISPATCH_FIELDS:
            raw = data.get(wire)
            if name == "dispatch_id":
                values[name] = int(data[wire])
            elif kind == "datetime":
                values[name] = parse_platform_datetime(raw, tz)
            elif kind == "bool":
                values[name] = bool(raw)
            elif kind == "int?":
                values[name] = None if raw is None else int(raw)
            elif kind == "str?":
                values[name] = None if raw is None else str(raw)
            elif kind == "send_status":
                values[name] = None if raw is None else SendStatus(int(raw))
            elif kind == "message_type":
                values[name] = None if raw is None else MessageType(int(raw))
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name, wire, kind in _DISPATCH_FIELDS:
            value = getattr(self, name)
            if kind == "datetime":
                data[wire] = _iso(value)
            elif kind in ("send_status", "message_type"):
                data[wire] = None if value is None else int(value)
            else:
                data[wire] = value
        return data


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


# Date, time to the second, optional fraction of any length, optional Z or offset.
_PLATFORM_DATETIME = re.compile(
    r"^(?P<base>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?)(?:[.,](?P<fraction>\d+))?"
    r"(?P<zone>Z|z|[+-]\d{2}:?\d{2}(?::?\d{2})?)?$"
)


def parse_platform_datetime(value: object, tz: tzinfo | str = DEFAULT_TZ) -> datetime | None:
    """An aware datetime from what the platform sends, or None for null/empty.

    Times without an offset are the platform's local time, read in `tz`. Fractions of any length
    (.26, .837, 7-digit .NET ticks) are kept to the microsecond. Raises ValueError otherwise.
    """
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    if not isinstance(value, str):
        raise ValueError(f"not a date and time: {value!r}")
    text = value.strip()
    if not text:
        return None
    match = _PLATFORM_DATETIME.match(text)
    if not match:
        raise ValueError(f"not a date and time: {value!r}")
    fraction = (match["fraction"] or "")[:6].ljust(6, "0")
    offset = match["zone"] or ""
    if offset in ("Z", "z"):
        offset = "+00:00"
    parsed = datetime.fromisoformat(f"{match['base'].replace(' ', 'T')}.{fraction}{offset}")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)
