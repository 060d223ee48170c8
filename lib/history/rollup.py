"""A send's status over its parts in words: "100 dispatches: 98 queued, 2 pending"."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from lib import i18n
from lib.history.loading import History
from lib.history.vocabulary import (
    APPROVAL_STATUS,
    NOT_SENT,
    PART_CODES,
    PLATFORM_CODES,
    REJECTED,
    UNKNOWN,
    DispatchStatus,
    _attention_rank,
)

# "1,200 queued" in a list of counts; "3 dispatches: queued" when every dispatch has one status.
COUNT_WORDS = i18n.family("history.rollup.count", PLATFORM_CODES)
ALL_WORDS = i18n.family("history.rollup.all", PLATFORM_CODES)
# "1 part not sent": what a part without a dispatch says (a queued send's unsent parts wait for the sender).
PART_WORDS = i18n.family("history.rollup.parts", (*PART_CODES, DispatchStatus.WAITING))


def separator() -> str:
    """Between the pieces of a roll-up or a list of reasons: "; " in English, " · " in Greek (where ";" asks a question)."""
    return i18n.t("history.rollup.separator")


def rollups(history: History, sends: pd.DataFrame) -> list[str]:
    """rollup_text for the given rows of history.sends, in their order. Only for the rows shown
    (a page of the table, one send's detail): 10,000 of them would cost the page a tenth of a second."""
    chunks = history.chunks[history.chunks["send_id"].isin(sends["id"])]
    by_send: dict[int, dict[DispatchStatus, int]] = {}
    for (send_id, label), n in chunks.groupby(["send_id", "label"]).size().items():
        by_send.setdefault(send_id, {})[label] = int(n)
    return [
        APPROVAL_STATUS[state].label if state in APPROVAL_STATUS else rollup_text(by_send.get(i, {}), queued=state == "queued")
        for i, state in zip(sends["id"], sends["queue_state"], strict=True)
    ]


def dispatch_counts_text(counts: Mapping[DispatchStatus, int]) -> str | None:
    """"100 dispatches: 98 queued, 2 pending" for dispatches counted by status, in the order given;
    None when there is none."""
    counts = {status: n for status, n in counts.items() if n}
    if not counts:
        return None
    total = sum(counts.values())
    if len(counts) == 1:
        return i18n.coded(ALL_WORDS, next(iter(counts)), n=total)
    listed = ", ".join(
        i18n.coded(COUNT_WORDS, status, n=n) for status, n in counts.items()
    )
    return i18n.t("history.rollup.mixed", total=i18n.Msg("history.rollup.dispatches", n=total), counts=listed)


def rollup_text(labels: Mapping[DispatchStatus, int], *, queued: bool = False) -> str:
    """A send's status over its parts, as a person reads it: "100 dispatches: 98 queued, 2 pending".

    `labels` counts the send's parts by status (a platform status for a part with a dispatch; not sent,
    unknown or rejected for one without). Parts of a queued send that have not gone out yet wait for
    the sender rather than "not sent"."""
    dispatched = {k: v for k, v in labels.items() if k not in PART_CODES and v}
    dispatched = dict(sorted(dispatched.items(), key=lambda kv: (_attention_rank(kv[0]), kv[0])))
    pieces = []
    if text := dispatch_counts_text(dispatched):
        pieces.append(text)
    for status in (UNKNOWN, REJECTED, NOT_SENT):
        if n := labels.get(status, 0):
            phrase = DispatchStatus.WAITING if status == NOT_SENT and queued else status
            pieces.append(i18n.coded(PART_WORDS, phrase, n=n))
    if pieces:
        return separator().join(pieces)
    return i18n.t("history.rollup.waiting") if queued else i18n.t("history.rollup.nothing")
