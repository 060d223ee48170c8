"""The rules that leave a person out of a send, as codes with parameters; wording is in `wording.py`.

A rule result is a frame indexed by spreadsheet row with columns `rule` (a Rule code), `send_id`
and `at` (the earlier send that counts against the person, when there is one) and `count` (messages
already received, for the frequency cap). Each row carries at most one rule, the first in PRIORITY:
a person who opted out is reported as opted out even if they also received the message already,
because that is the one no decision can undo.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


class Rule(StrEnum):
    OPTED_OUT = "opted_out"  # on the do-not-contact list when the list was checked
    OPTED_OUT_AFTER_UPLOAD = "opted_out_after_upload"  # added to it between the check and the POST
    NO_CONSENT = "no_consent"  # marketing template, consent column says no (the `rules` engineer's parser)
    FREQUENCY_CAP = "frequency_cap"
    ALREADY_RECEIVED = "already_received"


PRIORITY: tuple[Rule, ...] = (
    Rule.OPTED_OUT, Rule.OPTED_OUT_AFTER_UPLOAD, Rule.NO_CONSENT, Rule.FREQUENCY_CAP, Rule.ALREADY_RECEIVED,
)
OVERRIDABLE = frozenset({Rule.ALREADY_RECEIVED})  # the marketer may include these on purpose; nothing else
LEFT_OUT_COLUMNS = ["rule", "send_id", "at", "count"]

# chunk statuses that mean the message went out, or may have
RECEIVED_STATUSES = ("accepted", "marked_sent", "posting", "unknown")


@dataclass(frozen=True)
class RuleContext:
    template_id: int
    channel: str
    marketing: bool
    now: datetime
    repeat_days: int
    frequency_cap: object | None  # lib.settings.FrequencyCap
    exclude_send_id: int | None = None  # the gate: a send never counts against itself


def empty_left_out() -> pd.DataFrame:
    frame = pd.DataFrame({
        "rule": pd.Series(dtype="object"), "send_id": pd.Series(dtype="Int64"),
        "at": pd.Series(dtype="datetime64[us, UTC]"), "count": pd.Series(dtype="Int64"),
    })
    frame.index.name = "row"
    return frame


def rule_result(rows: np.ndarray, rule: Rule, send_id=None, at=None, count=None) -> pd.DataFrame:
    """A rule's verdict for `rows` (spreadsheet numbers) in the shape `combine` and the campaign take:
    how a rule computed elsewhere (consent) hands its rows in, e.g. rule_result(rows, Rule.NO_CONSENT)."""
    n = len(rows)
    frame = pd.DataFrame(
        {
            "rule": pd.array(pa.repeat(pa.scalar(rule.value), n), dtype="str"),  # arrow's, not n objects
            "send_id": _nullable_ints(send_id, n),
            "at": _utc_times(at, n),
            "count": _nullable_ints(count, n),
        },
        index=pd.Index(rows, name="row"),
    )
    return frame


def _nullable_ints(values, n: int) -> pd.arrays.IntegerArray:
    """Int64 with NA for missing, built from arrays (a list of a million None is 0.03 s per column)."""
    if values is None:
        return pd.arrays.IntegerArray(np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool))
    try:
        return pd.arrays.IntegerArray(np.asarray(values, dtype=np.int64), np.zeros(n, dtype=bool))
    except (TypeError, ValueError):  # holds a missing value: the general (slower) way
        return pd.array(values, dtype="Int64")


def _utc_times(at, n: int) -> pd.Series:
    """UTC datetimes without a per-element Python loop (a million NaT are not a million objects)."""
    naive = np.full(n, np.datetime64("NaT", "us")) if at is None else np.asarray(at, dtype="datetime64[us]")
    return pd.DatetimeIndex(naive).tz_localize("UTC")  # UTC wall times as given: stays vectorised


def combine(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """One rule per row, the first in PRIORITY (an unknown rule after every known one)."""
    parts = [p for p in parts if not p.empty]
    if not parts:
        return empty_left_out()
    both = pd.concat(parts)
    known = [x.value for x in PRIORITY]
    rank = pc.index_in(pa.array(both["rule"], type=pa.string(), from_pandas=True), value_set=pa.array(known))
    rank = rank.fill_null(len(known)).to_numpy(zero_copy_only=False).astype(np.int64)
    rows = both.index.to_numpy(dtype=np.int64)
    # sorted by row, then by rule priority, then by the parts' order: the first of each row wins
    order = np.lexsort((np.arange(len(rows)), rank, rows))
    ordered = rows[order]
    first = np.ones(len(order), dtype=bool)
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    result = both.iloc[order[first]]
    result.index.name = "row"
    return result


def window_start(now: datetime, days: int) -> datetime:
    """The earliest moment still inside a window of `days` days ending now (inclusive: a message
    exactly `days` days ago still counts)."""
    return now - timedelta(days=days)
