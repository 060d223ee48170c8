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

import numpy as np
import pandas as pd

from lib import i18n
from lib.personalization import preview
from lib.templates import Channel, Template

HASH_FORMAT = 1  # bump if the hashed form changes (old sends then no longer match new manifests)
MAX_PROBLEMS_LISTED = 5
HASH_BATCH = 10_000  # recipients per JSON batch fed to the hash (part of the hashed form)

DESTINATION_COLUMN = {Channel.SMS: "mobilePhone", Channel.EMAIL: "email"}


class ManifestError(ValueError):
    """The recipients cannot be made into a send as they are; str() names rows and columns, in the
    reader's language."""

    def __init__(self, message: i18n.Msg | str):
        super().__init__(message.key if isinstance(message, i18n.Msg) else message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


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
    # Rows of the valid list left out because a tag still has no value after defaults, with the
    # preview's reason: (row_number, "Missing value for {{Firstname}}"). Not part of the hash.
    excluded: tuple[tuple[int, str], ...] = ()
    # Which text of the template this send used (the audit trail names it): not part of the hash.
    template_version: str = ""

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
    """sha256 over the template id, the schedule (UTC, or null for "now") and the recipients sorted by
    uniqueId, each as [uniqueId, destination, cardNumber, [[tag, value], ...] sorted by tag]."""
    digest = hashlib.sha256()
    schedule = None if schedule_at is None else schedule_at.astimezone(UTC).isoformat()
    digest.update(json.dumps({"format": HASH_FORMAT, "template": int(template_id), "schedule": schedule}).encode())
    ordered = sorted(recipients, key=lambda r: r.unique_id)
    for start in range(0, len(ordered), HASH_BATCH):  # JSON in batches: fast, and memory stays small
        lines = [
            [r.unique_id, r.destination, r.card_number, sorted(r.payload)] for r in ordered[start : start + HASH_BATCH]
        ]
        digest.update(json.dumps(lines, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    return digest.hexdigest()


def make_manifest(
    template: Template,
    recipients: Sequence[ManifestRecipient],
    *,
    schedule_at: datetime | None,
    excluded: Sequence[tuple[int, str]] = (),
) -> SendManifest:
    """A manifest from recipients already built (the test send; tests). Checks uniqueIds."""
    if schedule_at is not None and schedule_at.tzinfo is None:
        raise ValueError("schedule_at must be timezone-aware")
    recipients = tuple(recipients)
    if not recipients:
        raise ManifestError(i18n.Msg("sending.manifest.no_recipients"))
    _check_unique_ids(recipients)
    return SendManifest(
        template_id=template.id,
        template_name=template.name,
        channel=template.channel,
        schedule_at=schedule_at,
        recipients=recipients,
        hash=manifest_hash(template.id, schedule_at, recipients),
        excluded=tuple(excluded),
        template_version=template_version(template),
    )


def template_version(template: Template) -> str:
    """A short fingerprint of the template as it was sent: any edit of its text gives another one."""
    text = json.dumps([template.id, template.channel.value, template.subject or "", template.body,
                       str(getattr(template, "kind", ""))], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def build_manifest(
    template: Template,
    valid_frame: pd.DataFrame,
    *,
    schedule_at: datetime | None,
    defaults: Mapping[str, str] | None = None,
    payload_keys: Sequence[str] | None = None,
    gsm_greek: bool = False,
) -> SendManifest:
    """The manifest for the valid rows of a recipient list (`RecipientList.valid_frame()`).

    `valid_frame` is indexed by spreadsheet row number with columns uniqueId, mobilePhone, email,
    cardNumber and one column per tag (`payload.<tag>` when the tag's column differs from the field
    of the same name). `payload_keys` defaults to the template's tags. The payload is decided by
    the preview's own functions (`apply_defaults`, then the opt-in GSM-safe Greek), so what was
    previewed is what is sent. A row still missing a tag value is not sent, exactly as the preview
    says: it is listed in `manifest.excluded` with the preview's reason. uniqueIds must be unique
    across the whole send (ManifestError naming the rows otherwise).
    """
    channel = Channel(template.channel)
    keys = tuple(payload_keys) if payload_keys is not None else preview.template_tags(template)
    destination_column = DESTINATION_COLUMN[channel]
    sources = {key: f"payload.{key}" if f"payload.{key}" in valid_frame.columns else key for key in keys}
    given = {k for k, v in (defaults or {}).items() if v not in (None, "")}
    missing_columns = [c for c in ("uniqueId", destination_column) if c not in valid_frame.columns]
    missing_columns += [f"{{{{{k}}}}}" for k in keys if sources[k] not in valid_frame.columns and k not in given]
    if missing_columns:
        raise ManifestError(i18n.Msg("sending.manifest.no_column", columns=_And([_quote(c) for c in missing_columns])))

    present = {key: valid_frame[src] for key, src in sources.items() if src in valid_frame.columns}
    values = pd.DataFrame(present, index=valid_frame.index)
    filled, missing, _ = preview.apply_defaults(values, keys, defaults)
    if gsm_greek:
        filled, _ = preview.apply_gsm_greek(filled)

    # Whole columns at a time: a million-row list must not cost a Python loop of checks per cell.
    rows = valid_frame.index.to_numpy()
    problems = [i18n.Msg("sending.manifest.row_no_unique_id", row=str(r)) for r in rows[_blank(valid_frame["uniqueId"])]]
    problems += [i18n.Msg("sending.manifest.row_no_destination", row=str(r), column=destination_column)
                 for r in rows[_blank(valid_frame[destination_column])]]  # fmt: skip
    if problems:
        raise ManifestError(_sentence(i18n.Msg("sending.manifest.cannot_send"), problems))
    incomplete = missing.to_numpy(dtype=bool).any(axis=1) if keys else np.zeros(len(rows), dtype=bool)
    excluded = [
        (int(r), preview.missing_value_message([k for k, gap in zip(keys, gaps, strict=True) if gap]))
        for r, gaps in zip(rows[incomplete], missing.to_numpy(dtype=bool)[incomplete], strict=True)
    ]
    keep = ~incomplete
    if not keep.any() and excluded:
        raise ManifestError(_sentence(i18n.Msg("sending.manifest.no_row"),
                                      [i18n.Msg("sending.manifest.row_missing", row=str(r), message=m) for r, m in excluded]))
    kept = valid_frame.loc[keep]
    ids = _texts(kept["uniqueId"])
    destinations = _texts(kept[destination_column])
    if "cardNumber" in kept.columns:
        cards = [c if c else None for c in _texts(kept["cardNumber"].mask(_blank(kept["cardNumber"]), ""))]
    else:
        cards = [None] * len(kept)
    tag_values = [_texts(filled[key].loc[keep]) for key in keys]
    payloads = (
        [tuple(zip(keys, row, strict=True)) for row in zip(*tag_values, strict=True)] if keys else [()] * len(kept)
    )
    recipients = [
        ManifestRecipient(int(r), u, d, c, p)
        for r, u, d, c, p in zip(rows[keep].tolist(), ids, destinations, cards, payloads, strict=True)
    ]
    return make_manifest(template, recipients, schedule_at=schedule_at, excluded=excluded)


def _blank(column: pd.Series) -> np.ndarray:
    """True where a cell is NA, empty or only spaces."""
    text = column.astype("object").where(column.notna(), "").astype("str")
    return (column.isna() | text.str.strip().eq("")).to_numpy(dtype=bool)


def _texts(column: pd.Series) -> list[str]:
    return [value if isinstance(value, str) else str(value) for value in column.tolist()]


def _check_unique_ids(recipients: Sequence[ManifestRecipient]) -> None:
    seen: set[str] = set()
    repeated = {r.unique_id for r in recipients if r.unique_id in seen or seen.add(r.unique_id)}
    if repeated:
        rows_by_id: dict[str, list[int]] = {}
        for r in recipients:
            if r.unique_id in repeated:
                rows_by_id.setdefault(r.unique_id, []).append(r.row_number)
        described = [i18n.Msg("sending.manifest.unique_rows", id=uid, rows=_And(rows)) for uid, rows in rows_by_id.items()]
        raise ManifestError(_sentence(i18n.Msg("sending.manifest.unique_ids"), described, total=len(described)))


def _quote(name: str) -> str:
    return f"'{name}'"


class _And:
    """'2, 3 and 6' in the language of the sentence holding it (row numbers: no thousands separator)."""

    def __init__(self, items: Sequence[object]):
        self.items = [str(n) for n in items]

    def __str__(self) -> str:
        if len(self.items) == 1:
            return self.items[0]
        return i18n.t("sending.manifest.and", first=", ".join(self.items[:-1]), last=self.items[-1])


class _Problems:
    """Problems joined into one list, in the language of the sentence holding them."""

    def __init__(self, problems: Sequence[i18n.Msg]):
        self.problems = list(problems)

    def __str__(self) -> str:
        return "; ".join(str(p) for p in self.problems)


def _sentence(lead: i18n.Msg, problems: list[i18n.Msg], total: int | None = None) -> i18n.Msg:
    shown = problems[:MAX_PROBLEMS_LISTED]
    more = (total or len(problems)) - len(shown)
    if more > 0:
        return i18n.Msg("sending.manifest.problems_more", lead=lead, problems=_Problems(shown), n=more)
    return i18n.Msg("sending.manifest.problems", lead=lead, problems=_Problems(shown))
