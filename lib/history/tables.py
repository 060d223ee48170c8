"""The Dispatches page's tables and the history export, one row per send, part or dispatch."""

from __future__ import annotations

import pandas as pd

from lib.history.loading import History, _local, _lookup
from lib.history.rollup import rollups
from lib.history.vocabulary import CHANNEL_LABELS


def send_table(history: History, limit: int | None = None, offset: int = 0) -> pd.DataFrame:
    """One row per send (what a marketer did), newest first: the columns that fit a 1024 px screen.
    Everything else about a send is in its detail (send_summary) and the export."""
    sends = history.sends.iloc[offset:] if limit is None else history.sends.iloc[offset : offset + limit]
    return pd.DataFrame(
        {
            "Send": sends["id"].astype("int64"),
            "Created": _local(sends["created_at"], history.tz),
            # a test send is marked where the eye already is, without a column of its own
            "Template": [f"{name} · test send" if test else name
                         for name, test in zip(sends["template_name"], sends["is_test"], strict=True)],
            "Recipients": sends["submitted"].astype("int64"),
            "Status": sends["statuses"],  # every label its parts have, the one most needing attention first
            "Progress": rollups(history, sends),
        }
    ).reset_index(drop=True)


def send_summary(history: History, send_id: int) -> dict[str, object] | None:
    """The expanded send: every figure the table leaves out, label -> value (None when empty)."""
    found = history.sends[history.sends["id"] == send_id]
    if found.empty:
        return None
    row = found.iloc[0]
    scheduled = row["schedule_at"]
    return {
        "Status": rollups(history, found)[0],
        "Template": row["template_name"],
        "Channel": CHANNEL_LABELS.get(row["channel"], str(row["channel"])),
        "Created": row["created_at"].tz_convert(history.tz).to_pydatetime(),
        "Scheduled for": None if pd.isna(scheduled) else scheduled.tz_convert(history.tz).to_pydatetime(),
        "Sent by": row["created_by"],
        "Recipients": int(row["submitted"]),
        "Accepted by the platform": int(row["accepted"]),
        "Rejected by our checks": int(row["excluded_recipients"]),
        "Rejected by the platform": int(row["platform_invalid"]),
        "Not confirmed": int(row["unconfirmed"]),
        "Dispatches": int(row["dispatch_count"]),
        "Test send": "yes" if row["is_test"] else "no",
    }



def export_table(history: History) -> pd.DataFrame:
    """One row per dispatch (or per part without one) with its send, under the headers a manager reads in Excel."""
    chunks, dispatches, sends = history.chunks, history.dispatches, history.sends
    d = dispatches.set_index("dispatch_id")
    by_send = sends.set_index("id")
    rows = pd.DataFrame(
        {
            "Send": chunks["send_id"].astype("int64"),
            "Part": chunks["seq"].astype("int64"),
            "Dispatch": chunks["dispatch_id"].astype("Int64"),
            "Template": _lookup(chunks["send_id"], by_send["template_name"]),
            "Channel": _lookup(chunks["send_id"], by_send["channel"]).map(CHANNEL_LABELS),
            "Created": _lookup(chunks["send_id"], by_send["created_at"]),
            "Scheduled for": _lookup(chunks["send_id"], by_send["schedule_at"]),
            "Sent by": _lookup(chunks["send_id"], by_send["created_by"]),
            "Test send": _lookup(chunks["send_id"], by_send["is_test"]).map({True: "yes", False: "no"}),
            "Status": chunks["label"],
            "Recipients": chunks["recipient_count"].astype("int64"),
            "Accepted": chunks["accepted"].astype("int64"),
            "Rejected by the platform": chunks["platform_invalid"].astype("int64"),
            "Finished queuing": _lookup(chunks["dispatch_id"], d["finished_queuing_at"]),
            "Problem": _lookup(chunks["dispatch_id"], d["error_message"]).astype(object).fillna(chunks["error_message"]),
        }
    )
    tracked = dispatches[dispatches["send_id"].isna()]
    if len(tracked):
        rows = pd.concat(
            [
                rows,
                pd.DataFrame(
                    {
                        "Dispatch": tracked["dispatch_id"].astype("Int64"),
                        "Template": tracked["template"],
                        "Channel": tracked["message_type_id"].map({1: "sms", 2: "email"}).map(CHANNEL_LABELS),
                        "Created": tracked["created_at"],
                        "Status": tracked["status"],
                        "Recipients": tracked["total_recipients"],
                        "Finished queuing": tracked["finished_queuing_at"],
                        "Problem": tracked["error_message"],
                        "Sent by": "tracked by number",
                    }
                ),
            ],
            ignore_index=True,
        )
    return rows.sort_values(["Created", "Send", "Part"], ascending=[False, False, True], na_position="last")


def send_parts(history: History, send_id: int) -> pd.DataFrame:
    """The chunks of one send with their dispatches: the expanded row."""
    chunks = history.chunks[history.chunks["send_id"] == send_id].sort_values("seq")
    d = history.dispatches.set_index("dispatch_id")
    return pd.DataFrame(
        {
            "Part": chunks["seq"].astype("int64"),
            "Dispatch": chunks["dispatch_id"].astype("Int64"),
            "Status": [[label] for label in chunks["label"]],
            "Recipients": chunks["recipient_count"].astype("int64"),
            "Accepted": chunks["accepted"].astype("int64"),
            "Rejected by the platform": chunks["platform_invalid"].astype("int64"),
            "Finished queuing": _local(
                pd.to_datetime(_lookup(chunks["dispatch_id"], d["finished_queuing_at"]), utc=True), history.tz
            ),
            "Problem": _lookup(chunks["dispatch_id"], d["error_message"]).astype(object).fillna(chunks["error_message"]),
        }
    ).reset_index(drop=True)


def tracked_table(history: History) -> pd.DataFrame:
    tracked = history.dispatches[history.dispatches["send_id"].isna()].sort_values("created_at", ascending=False)
    return pd.DataFrame(
        {
            "Dispatch": tracked["dispatch_id"].astype("int64"),
            "Template": tracked["template"],
            "Created": _local(tracked["created_at"], history.tz),
            "Recipients": tracked["total_recipients"],
            "Status": [[label] for label in tracked["status"]],
        }
    ).reset_index(drop=True)
