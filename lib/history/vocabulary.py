"""The words of the Dispatches page's statuses and outcomes, and their order of attention."""

from __future__ import annotations

import pandas as pd

# ---------------------------------------------------------------------------------------------
# Status vocabulary: the platform's statuses for dispatches, our own for chunks that have none.

PLATFORM_STATUS_LABELS = {1: "Draft", 2: "Pending", 3: "Queued", 7: "Error"}
NOT_SENT = "Not sent"  # a chunk never posted (the send stopped before it)
UNKNOWN = "Unknown"  # posted, no answer: it may or may not have gone out
REJECTED = "Rejected"  # the platform refused the chunk (4xx): nothing went out
# A send that needs a second person's approval (lib.approvals) shows where it stands instead of its parts.
AWAITING_APPROVAL, REJECTED_BY_APPROVER, EXPIRED = "Awaiting approval", "Rejected by an approver", "Expired"
APPROVAL_STATUS = {"awaiting": AWAITING_APPROVAL, "rejected": REJECTED_BY_APPROVER, "expired": EXPIRED}
# Worst first: a send shows the status of its part that most needs attention.
STATUS_ATTENTION_ORDER = (UNKNOWN, "Error", REJECTED, NOT_SENT, "Draft", "Pending", "Queued")
STATUS_CHOICES = ("Draft", "Pending", "Queued", "Error", UNKNOWN, REJECTED, NOT_SENT, *APPROVAL_STATUS.values())

OUTCOME_ACCEPTED = "Accepted by the platform"
OUTCOME_OURS = "Rejected by our checks"
OUTCOME_PLATFORM = "Rejected by the platform"
OUTCOME_UNCONFIRMED = "Not confirmed"

CHANNEL_LABELS = {"sms": "SMS", "email": "Email"}


def status_label(send_status_id: object) -> str:
    """Draft / Pending / Queued / Error, "Status 5" for a number the platform adds later, Draft if none yet."""
    if send_status_id is None or pd.isna(send_status_id):
        return "Draft"
    number = int(send_status_id)
    return PLATFORM_STATUS_LABELS.get(number, f"Status {number}")


def _attention_rank(label: str) -> int:
    try:
        return STATUS_ATTENTION_ORDER.index(label)
    except ValueError:
        return STATUS_ATTENTION_ORDER.index("Draft")  # "Status 5": not final, treat as early
