"""What the Dispatches page's statuses and outcomes are, as codes: their words come from the catalogs
(`history.status.<code>`, `history.outcome.<code>`), their colours from lib.charts, keyed by these enums,
so a translation can never change a colour, an order or a filter."""

from __future__ import annotations

from enum import StrEnum

import pandas as pd

from lib import i18n
from lib.messaging.models import SendStatus


class DispatchStatus(StrEnum):
    """Where a dispatch, a part of a send or a whole send stands, as the Dispatches page shows it."""

    # the platform's statuses of a dispatch (lib.messaging.models.SendStatus)
    DRAFT = "draft"
    PENDING = "pending"
    QUEUED = "queued"
    ERROR = "error"
    OTHER = "other"  # a status number the platform added after this console was written
    # a part of a send without a dispatch
    UNKNOWN = "unknown"  # posted, no answer: it may or may not have gone out
    REJECTED = "rejected"  # the platform refused the part (4xx): nothing went out
    NOT_SENT = "not_sent"  # never posted (the send stopped before it)
    # a send that needs a second person's approval (lib.approvals) shows where it stands instead of its parts
    AWAITING_APPROVAL = "awaiting_approval"
    REJECTED_BY_APPROVER = "rejected_by_approver"
    EXPIRED = "expired"
    # a send in the live panel that has not gone out yet
    WAITING = "waiting"  # queued for the sender
    HELD = "held"  # queued, held for quiet hours
    SENDING = "sending"  # the sender is posting it now

    @property
    def label(self) -> str:
        """The words for the status in the reader's language ("Queued", "Στην ουρά")."""
        return i18n.coded(STATUS_WORDS, self)


STATUS_WORDS = i18n.family("history.status", DispatchStatus)

PLATFORM_STATUSES = {
    SendStatus.DRAFT: DispatchStatus.DRAFT,
    SendStatus.PENDING: DispatchStatus.PENDING,
    SendStatus.QUEUED: DispatchStatus.QUEUED,
    SendStatus.ERROR: DispatchStatus.ERROR,
}
PLATFORM_CODES = (DispatchStatus.DRAFT, DispatchStatus.PENDING, DispatchStatus.QUEUED, DispatchStatus.ERROR,
                  DispatchStatus.OTHER)  # fmt: skip
# What a part without a dispatch stands at.
PART_CODES = (DispatchStatus.UNKNOWN, DispatchStatus.REJECTED, DispatchStatus.NOT_SENT)
APPROVAL_STATUS = {
    "awaiting": DispatchStatus.AWAITING_APPROVAL,
    "rejected": DispatchStatus.REJECTED_BY_APPROVER,
    "expired": DispatchStatus.EXPIRED,
}
NOT_SENT, UNKNOWN, REJECTED = DispatchStatus.NOT_SENT, DispatchStatus.UNKNOWN, DispatchStatus.REJECTED
# Worst first: a send shows the status of its part that most needs attention.
STATUS_ATTENTION_ORDER = (
    DispatchStatus.UNKNOWN, DispatchStatus.ERROR, DispatchStatus.REJECTED, DispatchStatus.NOT_SENT,
    DispatchStatus.DRAFT, DispatchStatus.OTHER, DispatchStatus.PENDING, DispatchStatus.QUEUED,
)  # fmt: skip
# What the Status filter offers (and the table's status column knows).
STATUS_CHOICES = (
    DispatchStatus.DRAFT, DispatchStatus.PENDING, DispatchStatus.QUEUED, DispatchStatus.ERROR, DispatchStatus.OTHER,
    DispatchStatus.UNKNOWN, DispatchStatus.REJECTED, DispatchStatus.NOT_SENT, *APPROVAL_STATUS.values(),
)  # fmt: skip


class Outcome(StrEnum):
    """What became of a send's recipients (KPIs, charts, a send's summary)."""

    ACCEPTED = "accepted"  # accepted by the platform
    REJECTED_BY_US = "rejected_by_us"  # left out by our checks
    REJECTED_BY_PLATFORM = "rejected_by_platform"
    NOT_CONFIRMED = "not_confirmed"  # in parts never sent or never answered

    @property
    def label(self) -> str:
        return i18n.coded(OUTCOME_WORDS, self)


OUTCOME_WORDS = i18n.family("history.outcome", Outcome)
OUTCOME_ACCEPTED, OUTCOME_OURS = Outcome.ACCEPTED, Outcome.REJECTED_BY_US
OUTCOME_PLATFORM, OUTCOME_UNCONFIRMED = Outcome.REJECTED_BY_PLATFORM, Outcome.NOT_CONFIRMED

CHANNELS = ("sms", "email")
CHANNEL_WORDS = i18n.family("history.channel", CHANNELS)


def channel_label(channel: object) -> str:
    """"SMS" / "Email" for the channel code (the code itself for one this console does not know)."""
    return i18n.coded(CHANNEL_WORDS, channel) if channel in CHANNELS else str(channel)


def status_label(send_status_id: object) -> DispatchStatus:
    """The platform's status number as a status: Draft if none yet, OTHER for a number added later."""
    if send_status_id is None or pd.isna(send_status_id):
        return DispatchStatus.DRAFT
    return PLATFORM_STATUSES.get(SendStatus(int(send_status_id)), DispatchStatus.OTHER)


def _attention_rank(status: DispatchStatus) -> int:
    try:
        return STATUS_ATTENTION_ORDER.index(status)
    except ValueError:
        return STATUS_ATTENTION_ORDER.index(DispatchStatus.DRAFT)
