"""A send's status over its parts in words: "100 dispatches: 98 queued, 2 pending"."""

from __future__ import annotations

import pandas as pd

from lib.history.loading import History
from lib.history.vocabulary import APPROVAL_STATUS, NOT_SENT, REJECTED, UNKNOWN, _attention_rank


def rollups(history: History, sends: pd.DataFrame) -> list[str]:
    """rollup_text for the given rows of history.sends, in their order. Only for the rows shown
    (a page of the table, one send's detail): 10,000 of them would cost the page a tenth of a second."""
    chunks = history.chunks[history.chunks["send_id"].isin(sends["id"])]
    by_send: dict[int, dict[str, int]] = {}
    for (send_id, label), n in chunks.groupby(["send_id", "label"]).size().items():
        by_send.setdefault(send_id, {})[label] = int(n)
    return [
        APPROVAL_STATUS[state] if state in APPROVAL_STATUS else rollup_text(by_send.get(i, {}), queued=state == "queued")
        for i, state in zip(sends["id"], sends["queue_state"], strict=True)
    ]


# What a part without a dispatch says in a send's roll-up ("1 part not sent").
PART_PHRASES = {NOT_SENT: "not sent", UNKNOWN: "may or may not have gone out", REJECTED: "refused by the platform"}


def _counted(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def rollup_text(labels: dict[str, int], *, queued: bool = False) -> str:
    """A send's status over its parts, as a person reads it: "100 dispatches: 98 queued, 2 pending".

    `labels` counts the send's parts by label (a platform status for a part with a dispatch; Not sent,
    Unknown or Rejected for one without). Parts of a queued send that have not gone out yet wait for
    the sender rather than "not sent"."""
    dispatched = {k: v for k, v in labels.items() if k not in PART_PHRASES and v}
    dispatched = dict(sorted(dispatched.items(), key=lambda kv: (_attention_rank(kv[0]), kv[0])))
    pieces = []
    if dispatched:
        total = _counted(sum(dispatched.values()), "dispatch", "dispatches")
        if len(dispatched) == 1:
            pieces.append(f"{total}: {next(iter(dispatched)).lower()}")
        else:
            pieces.append(f"{total}: " + ", ".join(f"{n:,} {label.lower()}" for label, n in dispatched.items()))
    for label in (UNKNOWN, REJECTED, NOT_SENT):
        if n := labels.get(label, 0):
            phrase = "waiting for the sender" if label == NOT_SENT and queued else PART_PHRASES[label]
            pieces.append(f"{_counted(n, 'part', 'parts')} {phrase}")
    return "; ".join(pieces) or ("Waiting for the sender" if queued else "Nothing sent")
