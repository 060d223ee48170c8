"""The frozen manifest of a send: exactly who gets which message, when, and its fingerprint.

Built once from the validated recipient table, with tag defaults already written in, so the
preview and the send read the same values. The hash is what "never twice" is checked against.

Hash decision: the hash covers the template id, the schedule (as UTC, or "now") and the set of
recipients — uniqueId, destination, card number and every payload key/value — taken in uniqueId
order. It is independent of row order and row numbers: the same customers getting the same
messages is the same send, even if the marketer re-sorted the file in Excel. Any change to a
template, a schedule, one payload value or one recipient gives a different hash.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from lib.personalization.tags import parse_template
from lib.templates import Channel, Template

HASH_FORMAT = 1  # bump if the hashed form changes (old sends then no longer match new manifests)
MAX_PROBLEMS_LISTED = 5

DESTINATION_COLUMN = {Channel.SMS: "mobilePhone", Channel.EMAIL: "email"}


class ManifestError(ValueError):
    """The recipients cannot be made into a send as they are; str() names rows and columns."""


@dataclass(frozen=True, slots=True)
class ManifestRecipient:
    row_number: int  # as the spreadsheet numbers it: header = 1, first recipient = 2
    unique_id: str
    destination: str  # mobile (E.164) for SMS, email address for email
    card_number: str | None
    payload: tuple[tuple[str, str], ...]  # (tag, value) in the template's tag order


@dataclass(frozen=True)
class SendManifest:
    template_id: int
    template_name: str
    channel: Channel
    schedule_at: datetime | None  # aware; None = send now
    recipients: tuple[ManifestRecipient, ...]
    hash: str

    def __len__(self) -> int:
        return len(self.recipients)

    def chunks(self, batch_size: int) -> list[tuple[ManifestRecipient, ...]]:
        """Consecutive slices of at most `batch_size`, in spreadsheet order; one POST each."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        return [self.recipients[i : i + batch_size] for i in range(0, len(self.recipients), batch_size)]

    def chunk_count(self, batch_size: int) -> int:
        return math.ceil(len(self.recipients) / batch_size)


def manifest_hash(template_id: int, schedule_at: datetime | None, recipients: Iterable[ManifestRecipient]) -> str:
    digest = hashlib.sha256()
    schedule = None if schedule_at is None else schedule_at.astimezone(UTC).isoformat()
    digest.update(json.dumps({"format": HASH_FORMAT, "template": int(template_id), "schedule": schedule}).encode())
    for r in sorted(recipients, key=lambda r: r.unique_id):
        line = [r.unique_id, r.destination, r.card_number, sorted(r.payload)]
        digest.update(b"\n" + json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    return digest.hexdigest()


def make_manifest(
    template: Template, recipients: Sequence[ManifestRecipient], *, schedule_at: datetime | None
) -> SendManifest:
    """A manifest from recipients already built (the test send; tests). Checks uniqueIds."""
    if schedule_at is not None and schedule_at.tzinfo is None:
        raise ValueError("schedule_at must be timezone-aware")
    recipients = tuple(recipients)
    if not recipients:
        raise ManifestError("There is no one to send to: the list has no valid recipients")
    _check_unique_ids(recipients)
    return SendManifest(
        template_id=template.id,
        template_name=template.name,
        channel=template.channel,
        schedule_at=schedule_at,
        recipients=recipients,
        hash=manifest_hash(template.id, schedule_at, recipients),
    )


def template_tags(template: Template) -> tuple[str, ...]:
    """Every tag the template needs: body, then subject (email)."""
    tags = parse_template(template.body).tags
    if template.channel is Channel.EMAIL and template.subject:
        tags += parse_template(template.subject).tags
    return tuple(dict.fromkeys(tags))


def build_manifest(
    template: Template,
    valid_frame,
    *,
    schedule_at: datetime | None,
    defaults: Mapping[str, str] | None = None,
    payload_keys: Sequence[str] | None = None,
) -> SendManifest:
    """The manifest for the valid rows of a recipient list (`RecipientList.valid_frame()`).

    `valid_frame` is indexed by spreadsheet row number with columns uniqueId, mobilePhone, email,
    cardNumber and one column per tag. `payload_keys` defaults to the template's tags. An empty
    cell takes the tag's default; a tag still empty with no default stops the send (the console
    never sends "Dear ,"). uniqueIds must be unique across the whole send.
    """
    channel = Channel(template.channel)
    keys = tuple(payload_keys) if payload_keys is not None else template_tags(template)
    defaults = dict(defaults or {})
    destination_column = DESTINATION_COLUMN[channel]
    missing_columns = [c for c in ("uniqueId", destination_column) if c not in valid_frame.columns]
    missing_columns += [k for k in keys if k not in valid_frame.columns and not _has_value(defaults.get(k))]
    if missing_columns:
        raise ManifestError("The list has no column for " + ", ".join(_quote(c) for c in missing_columns))

    columns = {
        name: valid_frame[name].tolist() for name in {"uniqueId", destination_column, *keys} if name in valid_frame
    }
    cards = valid_frame["cardNumber"].tolist() if "cardNumber" in valid_frame.columns else [None] * len(valid_frame)
    recipients: list[ManifestRecipient] = []
    problems: list[str] = []
    for i, row_number in enumerate(valid_frame.index.tolist()):
        payload = []
        for key in keys:
            value = columns[key][i] if key in columns else None
            if not _has_value(value):
                value = defaults.get(key)
            if not _has_value(value):
                problems.append(f"row {row_number} has no value for {{{{{key}}}}} and no default was set")
                continue
            payload.append((key, _text(value)))
        unique_id, destination = columns["uniqueId"][i], columns[destination_column][i]
        if not _has_value(unique_id):
            problems.append(f"row {row_number} has no uniqueId")
        if not _has_value(destination):
            problems.append(f"row {row_number} has no {destination_column}")
        recipients.append(
            ManifestRecipient(
                row_number=int(row_number),
                unique_id=_text(unique_id),
                destination=_text(destination),
                card_number=_text(cards[i]) if _has_value(cards[i]) else None,
                payload=tuple(payload),
            )
        )
    if problems:
        raise ManifestError(_sentence("Cannot send", problems))
    return make_manifest(template, recipients, schedule_at=schedule_at)


def _check_unique_ids(recipients: Sequence[ManifestRecipient]) -> None:
    rows_by_id: dict[str, list[int]] = {}
    for r in recipients:
        rows_by_id.setdefault(r.unique_id, []).append(r.row_number)
    duplicates = [(uid, rows) for uid, rows in rows_by_id.items() if len(rows) > 1]
    if duplicates:
        described = [f"uniqueId {uid!r} is in rows {_and(rows)}" for uid, rows in duplicates]
        raise ManifestError(_sentence("Each recipient needs its own uniqueId", described, total=len(duplicates)))


def _has_value(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    try:  # pandas.NA and friends
        if value != value:  # NaN-like: never equal to itself
            return False
    except TypeError:
        return False
    return str(value).strip() != ""


def _text(value: object) -> str:
    return value if isinstance(value, str) else str(value)


def _quote(name: str) -> str:
    return f"'{name}'"


def _and(numbers: Sequence[int]) -> str:
    numbers = [str(n) for n in numbers]
    return numbers[0] if len(numbers) == 1 else ", ".join(numbers[:-1]) + " and " + numbers[-1]


def _sentence(lead: str, problems: list[str], total: int | None = None) -> str:
    shown = problems[:MAX_PROBLEMS_LISTED]
    more = (total or len(problems)) - len(shown)
    tail = f" (and {more} more)" if more > 0 else ""
    return f"{lead}: " + "; ".join(shown) + tail + "."
