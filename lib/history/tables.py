"""The Dispatches page's tables and the history export, one row per send, part or dispatch.

The page's tables have code column names (`send`, `finished_queuing`) and statuses as DispatchStatus
values; `headed()` gives their headers in the reader's language, and the page shows each status by its
label. The export is a file a manager opens in Excel: its headers and cells are words already."""

from __future__ import annotations

from enum import StrEnum

import pandas as pd

from lib import i18n
from lib.history.loading import History, _local, _lookup
from lib.history.rollup import rollups
from lib.history.vocabulary import DispatchStatus, Outcome, channel_label


class Column(StrEnum):
    SEND = "send"
    PART = "part"
    DISPATCH = "dispatch"
    TEMPLATE = "template"
    CHANNEL = "channel"
    CREATED = "created"
    SCHEDULED_FOR = "scheduled_for"
    SENT_BY = "sent_by"
    TEST_SEND = "test_send"
    STATUS = "status"
    PROGRESS = "progress"
    RECIPIENTS = "recipients"
    ACCEPTED = "accepted"
    REJECTED_BY_PLATFORM = "rejected_by_platform"
    FINISHED_QUEUING = "finished_queuing"
    PROBLEM = "problem"
    DISPATCHES = "dispatches"


COLUMN_WORDS = i18n.family("history.column", Column)


def header(column: str) -> str:
    """The header of a column in the reader's language ("Finished queuing", "Ολοκλήρωση ουράς")."""
    return i18n.coded(COLUMN_WORDS, column)


def headed(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame under headers in the reader's language."""
    return frame.rename(columns={c: header(c) for c in frame.columns if c in Column.__members__.values()})


def _yes_no(value: object) -> str:
    return i18n.t("history.yes") if value else i18n.t("history.no")


def send_table(history: History, limit: int | None = None, offset: int = 0) -> pd.DataFrame:
    """One row per send (what a marketer did), newest first: the columns that fit a 1024 px screen.
    Everything else about a send is in its detail (send_summary) and the export."""
    sends = history.sends.iloc[offset:] if limit is None else history.sends.iloc[offset : offset + limit]
    return pd.DataFrame(
        {
            Column.SEND: sends["id"].astype("int64"),
            Column.CREATED: _local(sends["created_at"], history.tz),
            # a test send is marked where the eye already is, without a column of its own
            Column.TEMPLATE: [i18n.t("history.table.test_send", template=name) if test else name
                              for name, test in zip(sends["template_name"], sends["is_test"], strict=True)],
            Column.RECIPIENTS: sends["submitted"].astype("int64"),
            Column.STATUS: sends["statuses"],  # every status its parts have, the one most needing attention first
            Column.PROGRESS: rollups(history, sends),
        }
    ).reset_index(drop=True)


def send_summary(history: History, send_id: int) -> dict[str, object] | None:
    """The expanded send: every figure the table leaves out, by Column or Outcome (None when empty)."""
    found = history.sends[history.sends["id"] == send_id]
    if found.empty:
        return None
    row = found.iloc[0]
    scheduled = row["schedule_at"]
    return {
        Column.STATUS: rollups(history, found)[0],
        Column.TEMPLATE: row["template_name"],
        Column.CHANNEL: channel_label(row["channel"]),
        Column.CREATED: row["created_at"].tz_convert(history.tz).to_pydatetime(),
        Column.SCHEDULED_FOR: None if pd.isna(scheduled) else scheduled.tz_convert(history.tz).to_pydatetime(),
        Column.SENT_BY: row["created_by"],
        Column.RECIPIENTS: int(row["submitted"]),
        Outcome.ACCEPTED: int(row["accepted"]),
        Outcome.REJECTED_BY_US: int(row["excluded_recipients"]),
        Outcome.REJECTED_BY_PLATFORM: int(row["platform_invalid"]),
        Outcome.NOT_CONFIRMED: int(row["unconfirmed"]),
        Column.DISPATCHES: int(row["dispatch_count"]),
        Column.TEST_SEND: bool(row["is_test"]),
    }


def _labels(statuses: pd.Series) -> pd.Series:
    return statuses.map(lambda s: DispatchStatus(s).label if isinstance(s, str) else s)


def export_table(history: History) -> pd.DataFrame:
    """One row per dispatch (or per part without one) with its send, under the headers a manager reads in
    Excel, in the reader's language; times stay datetimes (the export writes them to the second)."""
    chunks, dispatches, sends = history.chunks, history.dispatches, history.sends
    d = dispatches.set_index("dispatch_id")
    by_send = sends.set_index("id")
    rows = pd.DataFrame(
        {
            Column.SEND: chunks["send_id"].astype("int64"),
            Column.PART: chunks["seq"].astype("int64"),
            Column.DISPATCH: chunks["dispatch_id"].astype("Int64"),
            Column.TEMPLATE: _lookup(chunks["send_id"], by_send["template_name"]),
            Column.CHANNEL: _lookup(chunks["send_id"], by_send["channel"]).map(channel_label),
            Column.CREATED: _lookup(chunks["send_id"], by_send["created_at"]),
            Column.SCHEDULED_FOR: _lookup(chunks["send_id"], by_send["schedule_at"]),
            Column.SENT_BY: _lookup(chunks["send_id"], by_send["created_by"]),
            Column.TEST_SEND: _lookup(chunks["send_id"], by_send["is_test"]).map(_yes_no),
            Column.STATUS: _labels(chunks["label"]),
            Column.RECIPIENTS: chunks["recipient_count"].astype("int64"),
            Column.ACCEPTED: chunks["accepted"].astype("int64"),
            Column.REJECTED_BY_PLATFORM: chunks["platform_invalid"].astype("int64"),
            Column.FINISHED_QUEUING: _lookup(chunks["dispatch_id"], d["finished_queuing_at"]),
            Column.PROBLEM: _lookup(chunks["dispatch_id"], d["error_message"]).astype(object).fillna(chunks["error_message"]),
        }
    )
    tracked = dispatches[dispatches["send_id"].isna()]
    if len(tracked):
        rows = pd.concat(
            [
                rows,
                pd.DataFrame(
                    {
                        Column.DISPATCH: tracked["dispatch_id"].astype("Int64"),
                        Column.TEMPLATE: tracked["template"],
                        Column.CHANNEL: tracked["message_type_id"].map({1: "sms", 2: "email"}).map(channel_label),
                        Column.CREATED: tracked["created_at"],
                        Column.STATUS: _labels(tracked["status"]),
                        Column.RECIPIENTS: tracked["total_recipients"],
                        Column.FINISHED_QUEUING: tracked["finished_queuing_at"],
                        Column.PROBLEM: tracked["error_message"],
                        Column.SENT_BY: i18n.t("history.export.tracked"),
                    }
                ),
            ],
            ignore_index=True,
        )
    rows = rows.sort_values(
        [Column.CREATED, Column.SEND, Column.PART], ascending=[False, False, True], na_position="last"
    )
    return headed(rows)


def send_parts(history: History, send_id: int) -> pd.DataFrame:
    """The chunks of one send with their dispatches: the expanded row."""
    chunks = history.chunks[history.chunks["send_id"] == send_id].sort_values("seq")
    d = history.dispatches.set_index("dispatch_id")
    return pd.DataFrame(
        {
            Column.PART: chunks["seq"].astype("int64"),
            Column.DISPATCH: chunks["dispatch_id"].astype("Int64"),
            Column.STATUS: [[label] for label in chunks["label"]],
            Column.RECIPIENTS: chunks["recipient_count"].astype("int64"),
            Column.ACCEPTED: chunks["accepted"].astype("int64"),
            Column.REJECTED_BY_PLATFORM: chunks["platform_invalid"].astype("int64"),
            Column.FINISHED_QUEUING: _local(
                pd.to_datetime(_lookup(chunks["dispatch_id"], d["finished_queuing_at"]), utc=True), history.tz
            ),
            Column.PROBLEM: _lookup(chunks["dispatch_id"], d["error_message"]).astype(object).fillna(chunks["error_message"]),
        }
    ).reset_index(drop=True)


def tracked_table(history: History) -> pd.DataFrame:
    tracked = history.dispatches[history.dispatches["send_id"].isna()].sort_values("created_at", ascending=False)
    return pd.DataFrame(
        {
            Column.DISPATCH: tracked["dispatch_id"].astype("int64"),
            Column.TEMPLATE: tracked["template"],
            Column.CREATED: _local(tracked["created_at"], history.tz),
            Column.RECIPIENTS: tracked["total_recipients"],
            Column.STATUS: [[label] for label in tracked["status"]],
        }
    ).reset_index(drop=True)
