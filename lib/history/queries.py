"""Read-side queries for the Dispatches page: filtered history as DataFrames, KPIs, chart frames, detail.

Fast on 10k sends / 20k dispatches / 100k snapshots: each page run is a handful of indexed SELECTs
(sends by created_at, chunks and dispatches by send_id) read straight into pandas, with datetime
text parsed vectorised instead of row by row; everything after that is pandas on a few 10k rows.
Snapshots are only read for the one dispatch whose detail is open.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Select, String, func, or_, select, type_coerce

from lib.history import schema as s
from lib.history.store import HistoryStore
from lib.sending.status import ChunkStatus

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


# ---------------------------------------------------------------------------------------------
# Filters


@dataclass(frozen=True)
class HistoryFilter:
    """What the marketer chose. Dates are inclusive local days in the console's time zone.
    A search (dispatch id or a recipient's uniqueId) looks across all time, ignoring the period."""

    start: date | None = None
    end: date | None = None
    template_ids: tuple[int, ...] = ()
    channels: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    search: str = ""
    include_tests: bool = True


def default_period(today: date, days: int = 30) -> tuple[date, date]:
    return today - timedelta(days=days - 1), today


def _utc_bounds(flt: HistoryFilter, tz: tzinfo) -> tuple[datetime | None, datetime | None]:
    start = datetime.combine(flt.start, time.min, tz).astimezone(UTC) if flt.start else None
    end = datetime.combine(flt.end + timedelta(days=1), time.min, tz).astimezone(UTC) if flt.end else None
    return start, end


# ---------------------------------------------------------------------------------------------
# Loading


def _frame(conn: Connection, query: Select, times: tuple[str, ...] = ()) -> pd.DataFrame:
    result = conn.execute(query)
    columns = list(result.keys())
    rows = result.fetchall()
    # Column by column: pandas probing each SQLAlchemy Row object costs seconds on 20k rows.
    values = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    frame = pd.DataFrame({name: list(column) for name, column in zip(columns, values, strict=True)}, columns=columns)
    for column in times:
        frame[column] = _utc_times(frame[column])
    return frame


def _utc_times(values: pd.Series) -> pd.Series:
    """Stored UTC (text on SQLite, datetimes elsewhere) → aware UTC, parsed in one vectorised pass.

    SQLAlchemy writes SQLite datetimes in exactly one format; parsing with it is 10x faster than
    format inference, which stays as the fallback for other databases."""
    try:
        return pd.to_datetime(values, utc=True, format=SQLITE_DATETIME_FORMAT)
    except (ValueError, TypeError):
        return pd.to_datetime(values, utc=True, format="ISO8601", errors="coerce")


SQLITE_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def _raw(column):
    """Select a datetime column without the per-row Python conversion (pandas parses it in bulk)."""
    return type_coerce(column, String).label(column.name)


SEND_TIME_COLUMNS = ("created_at", "schedule_at")
DISPATCH_TIME_COLUMNS = ("created_at", "finished_queuing_at")


def _platform(table, store: HistoryStore) -> list:
    """Only the store's platform: a sandbox rehearsal never shows up among live sends (or the reverse)."""
    return [] if store.platform is None else [table.c.platform == store.platform]


def _sends_query(flt: HistoryFilter, tz: tzinfo, send_ids: list[int] | None, store: HistoryStore) -> Select:
    c = s.sends.c
    query = select(
        c.id,
        c.template_id,
        c.template_name,
        c.channel,
        _raw(c.schedule_at),
        _raw(c.created_at),
        c.created_by,
        c.is_test,
        c.resend_of,
        c.total_recipients,
        c.excluded_recipients,
        c.estimated_parts,
        c.estimated_cost,
        c.queue_state,
    ).where(*_platform(s.sends, store))
    if send_ids is not None:
        query = query.where(c.id.in_(send_ids))
    else:
        start, end = _utc_bounds(flt, tz)
        if start is not None:
            query = query.where(c.created_at >= start)
        if end is not None:
            query = query.where(c.created_at < end)
    if flt.template_ids:
        query = query.where(c.template_id.in_(flt.template_ids))
    if flt.channels:
        query = query.where(c.channel.in_(flt.channels))
    if not flt.include_tests:
        query = query.where(c.is_test.is_(False))
    return query


def _dispatch_columns():
    """Only what the table, KPIs, charts and export use: every extra column costs on 20k rows."""
    d = s.dispatches.c
    return (
        d.dispatch_id,
        d.send_id,
        d.template_id,
        d.message_type_id,
        d.total_recipients,
        d.send_status_id,
        d.error_message,
        *(_raw(d[name]) for name in DISPATCH_TIME_COLUMNS),
    )


def _tracked_query(flt: HistoryFilter, tz: tzinfo, dispatch_ids: list[int] | None, store: HistoryStore) -> Select:
    """Dispatches tracked by id from outside the console (no send of ours)."""
    d = s.dispatches.c
    query = select(*_dispatch_columns()).where(d.send_id.is_(None), *_platform(s.dispatches, store))
    if dispatch_ids is not None:
        return query.where(d.dispatch_id.in_(dispatch_ids))
    start, end = _utc_bounds(flt, tz)
    if start is not None:
        query = query.where(d.first_seen_at >= start)
    if end is not None:
        query = query.where(d.first_seen_at < end)
    if flt.template_ids:
        query = query.where(d.template_id.in_(flt.template_ids))
    if flt.channels:
        types = [1 if ch == "sms" else 2 for ch in flt.channels]
        query = query.where(d.message_type_id.in_(types))
    return query


@dataclass
class History:
    """The filtered history: one frame per level, already joined to what the page shows."""

    sends: pd.DataFrame
    chunks: pd.DataFrame
    dispatches: pd.DataFrame  # the console's own and tracked ones (send_id NaN)
    tz: tzinfo
    searched: bool = False
    search_note: str | None = None
    template_names: dict[int, str] = field(default_factory=dict)


def load_history(
    store: HistoryStore, flt: HistoryFilter, tz: tzinfo, template_names: dict[int, str] | None = None
) -> History:
    """Everything the page draws for `flt`, in a few indexed queries."""
    names = dict(template_names or {})
    send_ids: list[int] | None = None
    tracked_ids: list[int] | None = None
    note = None
    with store.read() as conn:
        if flt.search.strip():
            send_ids, tracked_ids, note = _search(conn, flt.search.strip())
        sends = _frame(conn, _sends_query(flt, tz, send_ids, store), SEND_TIME_COLUMNS)
        selected = _sends_query(flt, tz, send_ids, store).with_only_columns(s.sends.c.id).scalar_subquery()
        chunks = _frame(
            conn,
            select(
                s.chunks.c.id,
                s.chunks.c.send_id,
                s.chunks.c.seq,
                s.chunks.c.status,
                s.chunks.c.recipient_count,
                s.chunks.c.dispatch_id,
                s.chunks.c.total_recipients_sent,
                s.chunks.c.invalid_recipients,
                s.chunks.c.error_message,
                s.chunks.c.attempts,
            ).where(s.chunks.c.send_id.in_(selected)),
        )
        owned = _frame(
            conn, select(*_dispatch_columns()).where(s.dispatches.c.send_id.in_(selected)), DISPATCH_TIME_COLUMNS
        )
        tracked = _frame(conn, _tracked_query(flt, tz, tracked_ids, store), DISPATCH_TIME_COLUMNS)
        names.update(_stored_template_names(conn))
    dispatches = pd.concat([owned, tracked], ignore_index=True) if len(tracked) else owned
    history = History(sends, chunks, dispatches, tz, searched=send_ids is not None, search_note=note)
    history.template_names = names
    _decorate(history)
    if flt.statuses:
        _keep_statuses(history, set(flt.statuses))
    return history


def history_version(store: HistoryStore) -> tuple:
    """Changes whenever anything the page's tables, KPIs or charts show changes (a cache key).

    Cheap: counts and maxima over the sends, chunks and dispatches (a few ms on 20k rows)."""
    with store.read() as conn:
        sends = conn.execute(select(func.count(), func.max(s.sends.c.id))).one()
        chunks = conn.execute(select(func.count(), func.max(_raw(s.chunks.c.updated_at)))).one()
        dispatches = conn.execute(
            select(
                func.count(),
                func.max(_raw(s.dispatches.c.last_changed_at)),
                func.max(_raw(s.dispatches.c.first_seen_at)),
                func.sum(s.dispatches.c.send_status_id),
            )
        ).one()
    return (*sends, *chunks, *dispatches)


def _stored_template_names(conn: Connection) -> dict[int, str]:
    return dict(conn.execute(select(s.templates.c.id, s.templates.c.name)).all())


def _search(conn: Connection, text: str) -> tuple[list[int], list[int], str]:
    """Send ids and tracked dispatch ids matching a dispatch id or a recipient's uniqueId."""
    send_ids: set[int] = set()
    tracked: list[int] = []
    compact = "".join(text.split())
    if compact.isdigit() and len(compact) < 19:
        number = int(compact)
        for send_id in conn.execute(select(s.dispatches.c.send_id).where(s.dispatches.c.dispatch_id == number)).scalars():
            if send_id is None:
                tracked.append(number)
            else:
                send_ids.add(int(send_id))
        send_ids.update(conn.execute(select(s.chunks.c.send_id).where(s.chunks.c.dispatch_id == number)).scalars())
    by_recipient = (
        select(s.chunks.c.send_id)
        .join(s.chunk_recipients, s.chunk_recipients.c.chunk_id == s.chunks.c.id)
        .where(s.chunk_recipients.c.unique_id == text)
    )
    send_ids.update(conn.execute(by_recipient).scalars())
    # The platform's invalid lists outlive nothing but are the only trace of who it refused.
    needle = json.dumps(text, ensure_ascii=False)
    by_invalid = select(s.chunks.c.send_id).where(
        s.chunks.c.invalid_json.is_not(None),
        or_(s.chunks.c.invalid_json.contains(needle), s.chunks.c.invalid_json.contains(json.dumps(text))),
    )
    send_ids.update(conn.execute(by_invalid).scalars())
    found = len(send_ids) + len(tracked)
    note = (
        f"Showing {found} match{'es' if found != 1 else ''} for “{text}” across all dates"
        if found
        else f"Nothing matches “{text}”: no dispatch with that number and no recipient with that customer ID"
    )
    return sorted(send_ids), tracked, note


def _decorate(history: History) -> None:
    """Add the labels and per-send roll-ups the table, KPIs and charts share (vectorised: 20k rows)."""
    sends, chunks, dispatches = history.sends, history.chunks, history.dispatches
    dispatches["status"] = status_labels(dispatches["send_status_id"])
    dispatches["template"] = template_labels(dispatches["template_id"], history.template_names)
    status = chunks["status"]
    accepted = status == ChunkStatus.ACCEPTED.value
    rejected = status == ChunkStatus.REJECTED.value
    unanswered = status.isin([ChunkStatus.UNKNOWN.value, ChunkStatus.POSTING.value])
    dispatch_status = _lookup(chunks["dispatch_id"], pd.Series(dispatches["status"].to_numpy(), index=dispatches["dispatch_id"]))
    chunks["label"] = np.select(
        [accepted.to_numpy(), rejected.to_numpy(), unanswered.to_numpy()],
        [dispatch_status.fillna("Draft").to_numpy(dtype=object), REJECTED, UNKNOWN],
        default=NOT_SENT,
    ).astype(object)
    for column in ("total_recipients_sent", "invalid_recipients", "recipient_count"):
        chunks[column] = pd.to_numeric(chunks[column], errors="coerce").fillna(0).astype("int64")
    chunks["accepted"] = chunks["total_recipients_sent"].where(accepted, 0)
    chunks["platform_invalid"] = chunks["invalid_recipients"].where(accepted, 0) + chunks["recipient_count"].where(
        rejected, 0
    )
    chunks["unconfirmed"] = chunks["recipient_count"].where(~(accepted | rejected), 0)

    per_send = chunks.groupby("send_id").agg(
        accepted=("accepted", "sum"),
        platform_invalid=("platform_invalid", "sum"),
        unconfirmed=("unconfirmed", "sum"),
        chunk_count=("id", "count"),
    )
    pairs = chunks[["send_id", "label"]].drop_duplicates()
    pairs = pairs.assign(rank=[_attention_rank(label) for label in pairs["label"]]).sort_values(["send_id", "rank"])
    labels_by_send: dict[int, list[str]] = {}
    for send_id, label in zip(pairs["send_id"], pairs["label"], strict=True):
        labels_by_send.setdefault(send_id, []).append(label)
    dispatch_counts = dispatches.dropna(subset=["send_id"]).groupby("send_id")["dispatch_id"].count()

    ids = sends["id"]
    for column in ("accepted", "platform_invalid", "unconfirmed", "chunk_count"):
        sends[column] = _lookup(ids, per_send[column]).fillna(0).astype("int64")
    sends["statuses"] = [[APPROVAL_STATUS[state]] if state in APPROVAL_STATUS else labels_by_send.get(i, [NOT_SENT])
                         for i, state in zip(ids, sends["queue_state"], strict=True)]
    sends["status"] = [labels[0] for labels in sends["statuses"]]
    sends["dispatch_count"] = _lookup(ids, dispatch_counts).fillna(0).astype("int64")
    for column in ("total_recipients", "excluded_recipients"):
        sends[column] = pd.to_numeric(sends[column], errors="coerce").fillna(0).astype("int64")
    sends["submitted"] = sends["total_recipients"] + sends["excluded_recipients"]
    history.sends = sends.sort_values("created_at", ascending=False, kind="stable").reset_index(drop=True)


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


def status_labels(send_status_ids: pd.Series) -> pd.Series:
    """Vectorised status_label."""
    numbers = pd.to_numeric(send_status_ids, errors="coerce")
    labels = numbers.map(PLATFORM_STATUS_LABELS).astype(object)
    other = labels.isna() & numbers.notna()
    if other.any():
        labels[other] = "Status " + numbers[other].astype("int64").astype(str)
    return labels.fillna("Draft").astype(object)


def template_labels(template_ids: pd.Series, names: dict[int, str]) -> pd.Series:
    """Template names for ids ("Template 74" when the catalog does not know it)."""
    numbers = pd.to_numeric(template_ids, errors="coerce")
    labels = numbers.map(names).astype(object)
    other = labels.isna() & numbers.notna()
    if other.any():
        labels[other] = "Template " + numbers[other].astype("int64").astype(str)
    return labels.fillna("Unknown template").astype(object)


def _total_cost(costs: pd.Series) -> Decimal | None:
    """Sum of the sends' cost estimates (Decimal text); None when none of them had one."""
    known = [c for c in costs if isinstance(c, str) and c.strip()]
    total = Decimal(0)
    for cost in known:
        try:
            total += Decimal(cost)
        except InvalidOperation:
            continue
    return total if known else None


def _keep_statuses(history: History, wanted: set[str]) -> None:
    """Keep sends with any part in a wanted status (a send with one Error chunk is an Error send)."""
    keep = [bool(wanted.intersection(labels)) for labels in history.sends["statuses"]]
    history.sends = history.sends[keep].reset_index(drop=True)
    kept_ids = set(history.sends["id"])
    history.chunks = history.chunks[history.chunks["send_id"].isin(kept_ids)].reset_index(drop=True)
    d = history.dispatches
    owned = d["send_id"].isin(kept_ids)
    tracked = d["send_id"].isna() & d["status"].isin(wanted)
    history.dispatches = d[owned | tracked].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# KPIs


@dataclass(frozen=True)
class Kpis:
    sends: int
    dispatches: int
    recipients_submitted: int
    accepted: int
    rejected_by_us: int
    rejected_by_platform: int
    not_confirmed: int
    estimated_parts: int
    estimated_cost: Decimal | None  # None: no send in the period had a cost estimate
    dispatches_in_error: int


def kpis(history: History) -> Kpis:
    sends, dispatches = history.sends, history.dispatches
    sms = sends[sends["channel"] == "sms"]
    return Kpis(
        sends=len(sends),
        dispatches=len(dispatches),
        recipients_submitted=int(sends["submitted"].sum()),
        accepted=int(sends["accepted"].sum()),
        rejected_by_us=int(sends["excluded_recipients"].sum()),
        rejected_by_platform=int(sends["platform_invalid"].sum()),
        not_confirmed=int(sends["unconfirmed"].sum()),
        estimated_parts=int(pd.to_numeric(sms["estimated_parts"], errors="coerce").fillna(0).sum()),
        estimated_cost=_total_cost(sms["estimated_cost"]),
        dispatches_in_error=int((dispatches["status"] == "Error").sum()),
    )


# ---------------------------------------------------------------------------------------------
# Tables


def _local(series: pd.Series, tz: tzinfo) -> pd.Series:
    return series.dt.tz_convert(tz).dt.tz_localize(None)


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


def _lookup(keys: pd.Series, values: pd.Series) -> pd.Series:
    """keys.map(values), also for no keys or no values (pandas cannot map onto an empty datetime series)."""
    if keys.empty or values.empty:
        return pd.Series(pd.NaT if pd.api.types.is_datetime64_any_dtype(values.dtype) else None, index=keys.index,
                         dtype=values.dtype)
    return keys.map(values)


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


# ---------------------------------------------------------------------------------------------
# Chart frames (columns as lib.charts expects)


def _day(series: pd.Series, tz: tzinfo) -> pd.Series:
    return series.dt.tz_convert(tz).dt.date


def recipients_by_outcome(history: History) -> pd.DataFrame:
    sends = history.sends
    if sends.empty:
        return pd.DataFrame({"day": [], "outcome": [], "recipients": []})
    frame = pd.DataFrame(
        {
            "day": _day(sends["created_at"], history.tz),
            OUTCOME_ACCEPTED: sends["accepted"],
            OUTCOME_OURS: sends["excluded_recipients"],
            OUTCOME_PLATFORM: sends["platform_invalid"],
            OUTCOME_UNCONFIRMED: sends["unconfirmed"],
        }
    )
    long = frame.melt(id_vars="day", var_name="outcome", value_name="recipients")
    return long.groupby(["day", "outcome"], as_index=False)["recipients"].sum()


def dispatches_by_status(history: History) -> pd.DataFrame:
    d = history.dispatches.dropna(subset=["created_at"])
    if d.empty:
        return pd.DataFrame({"day": [], "status": [], "dispatches": []})
    frame = pd.DataFrame({"day": _day(d["created_at"], history.tz), "status": d["status"]})
    return frame.groupby(["day", "status"], as_index=False).size().rename(columns={"size": "dispatches"})


def invalid_share(history: History) -> pd.DataFrame:
    sends = history.sends
    if sends.empty:
        return pd.DataFrame({"day": [], "template": [], "invalid": [], "submitted": []})
    frame = pd.DataFrame(
        {
            "day": _day(sends["created_at"], history.tz),
            "template": sends["template_name"],
            "invalid": sends["excluded_recipients"] + sends["platform_invalid"],
            "submitted": sends["submitted"],
        }
    )
    return frame.groupby(["day", "template"], as_index=False)[["invalid", "submitted"]].sum()


def outcomes_by_send(history: History, latest: int = 15) -> pd.DataFrame:
    """The newest `latest` sends' recipients by outcome (lib.charts.outcomes_per_send): send, label, outcome,
    recipients; label names the send as the table does ("#12 · Spring promo · 3 Dec 10:05")."""
    sends = history.sends.head(latest)
    if sends.empty:
        return pd.DataFrame({"send": [], "label": [], "outcome": [], "recipients": []})
    created = _local(sends["created_at"], history.tz)
    frame = pd.DataFrame(
        {
            "send": sends["id"].astype("int64"),
            "label": [f"#{i} · {name} · {when:%-d %b %H:%M}"
                      for i, name, when in zip(sends["id"], sends["template_name"], created, strict=True)],  # fmt: skip
            OUTCOME_ACCEPTED: sends["accepted"],
            OUTCOME_OURS: sends["excluded_recipients"],
            OUTCOME_PLATFORM: sends["platform_invalid"],
            OUTCOME_UNCONFIRMED: sends["unconfirmed"],
        }
    )
    return frame.melt(id_vars=["send", "label"], var_name="outcome", value_name="recipients")


def upcoming(store: HistoryStore, now: datetime, flt: HistoryFilter, template_names: dict[int, str]) -> pd.DataFrame:
    """Dispatches scheduled after `now`, whatever the period (a send made last week may go out tomorrow)."""
    d = s.dispatches.c
    query = select(d.dispatch_id, d.template_id, d.total_recipients, d.send_status_id, _raw(d.send_at)).where(
        d.send_at > now, d.send_status_id.is_distinct_from(7), *_platform(s.dispatches, store)
    )
    if flt.template_ids:
        query = query.where(d.template_id.in_(flt.template_ids))
    if flt.channels:
        query = query.where(d.message_type_id.in_([1 if ch == "sms" else 2 for ch in flt.channels]))
    with store.read() as conn:
        frame = _frame(conn, query.order_by(d.send_at).limit(500), ("send_at",))
        names = {**template_names, **_stored_template_names(conn)}
    return pd.DataFrame(
        {
            "send_at": frame["send_at"],
            "template": [names.get(int(t), f"Template {int(t)}") if pd.notna(t) else "Unknown template" for t in frame["template_id"]],
            "recipients": pd.to_numeric(frame["total_recipients"], errors="coerce").fillna(0).astype("int64"),
            "dispatch_id": frame["dispatch_id"],
            "status": [status_label(v) for v in frame["send_status_id"]],
        }
    )


# ---------------------------------------------------------------------------------------------
# Live panel: what is moving now


LIVE_ORDER = ("Error", "Draft", "Pending", "Queued")  # a send shows its least advanced dispatch
WAITING = "Waiting for the sender"
HELD = "Held for quiet hours"
SENDING = "Sending"


@dataclass(frozen=True)
class LiveSend:
    """One send in progress, as the live panel shows it: where it is, rolled up over its parts and dispatches."""

    send_id: int
    template: str
    created_at: datetime
    created_by: str
    recipients: int
    is_test: bool
    schedule_at: datetime | None
    status: str  # Waiting for the sender, Sending, Unknown, or its least advanced dispatch's status
    parts_done: int
    parts_total: int
    dispatch_counts: dict[str, int]  # platform status label -> dispatches, in LIVE_ORDER
    parts_in_doubt: int = 0  # may or may not have gone out: waiting for a person's decision

    @property
    def rollup(self) -> str:
        """"100 dispatches: 98 queued, 2 pending" (or "no dispatch yet")."""
        total = sum(self.dispatch_counts.values())
        if not total:
            return "no dispatch yet"
        word = "dispatch" if total == 1 else "dispatches"
        if len(self.dispatch_counts) == 1:
            return f"{total:,} {word}: {next(iter(self.dispatch_counts)).lower()}"
        return f"{total:,} {word}: " + ", ".join(f"{n:,} {label.lower()}" for label, n in self.dispatch_counts.items())


def live_sends(
    store: HistoryStore, now: datetime, template_names: dict[int, str], *, include_tests: bool = False,
    recent: timedelta = timedelta(minutes=2), limit: int = 20,
) -> list[LiveSend]:
    """Sends in progress, newest first: queued or being sent, with a part in doubt, a dispatch not final,
    or one that changed in the last `recent` (so a send just done shows its final status for a moment). A few indexed queries whatever the history's size (the panel polls it)."""
    d, q = s.dispatches.c, s.sends.c
    moving = select(d.send_id).where(
        d.send_id.is_not(None), or_(d.is_final.is_(False), d.last_changed_at >= now - recent),
        *_platform(s.dispatches, store),
    )
    # A part that may or may not have gone out waits for a person's decision: the send stays in view.
    in_doubt = select(s.chunks.c.send_id).where(s.chunks.c.status == ChunkStatus.UNKNOWN.value)
    conditions = [or_(q.queue_state == "queued", q.id.in_(moving), q.id.in_(in_doubt)), *_platform(s.sends, store)]
    if not include_tests:
        conditions.append(q.is_test.is_(False))
    with store.read() as conn:
        rows = conn.execute(select(s.sends).where(*conditions).order_by(q.id.desc()).limit(limit)).mappings().all()
        if not rows:
            return []
        ids = [row["id"] for row in rows]
        chunk_counts = HistoryStore._chunk_counts(conn, ids)
        by_status: dict[int, dict[str, int]] = {}
        counted = select(d.send_id, d.send_status_id, func.count()).where(d.send_id.in_(ids)) \
            .group_by(d.send_id, d.send_status_id)  # fmt: skip
        for send_id, status_id, n in conn.execute(counted):
            label = status_label(status_id)
            by_status.setdefault(send_id, {})[label] = by_status.get(send_id, {}).get(label, 0) + int(n)
        names = {**template_names, **_stored_template_names(conn)}
    return [_live_send(row, chunk_counts.get(row["id"], ({}, {}))[0], by_status.get(row["id"], {}), names, now)
            for row in rows]  # fmt: skip


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _live_send(row, chunks: dict, dispatches: dict[str, int], names: dict[int, str], now: datetime) -> LiveSend:
    ordered = dict(sorted(dispatches.items(), key=lambda kv: LIVE_ORDER.index(kv[0]) if kv[0] in LIVE_ORDER else 1))
    waiting = chunks.get(ChunkStatus.PENDING, 0) + chunks.get(ChunkStatus.POSTING, 0)
    expires = row["lease_expires_at"]
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    running = row["lease_owner"] is not None and expires is not None and expires > now
    held = row.get("not_before") is not None and _aware(row["not_before"]) > now
    if row["queue_state"] == "queued":
        status = SENDING if running else HELD if held else WAITING
    elif chunks.get(ChunkStatus.UNKNOWN, 0):
        status = UNKNOWN
    else:
        status = next(iter(ordered), NOT_SENT)
    aware = [v.replace(tzinfo=UTC) if v is not None and v.tzinfo is None else v
             for v in (row["created_at"], row["schedule_at"])]  # fmt: skip
    return LiveSend(
        send_id=int(row["id"]), template=names.get(int(row["template_id"]), row["template_name"]),
        created_at=aware[0], created_by=row["created_by"], recipients=int(row["total_recipients"]),
        is_test=bool(row["is_test"]), schedule_at=aware[1], status=status,
        parts_done=sum(chunks.values()) - waiting, parts_total=sum(chunks.values()), dispatch_counts=ordered,
        parts_in_doubt=chunks.get(ChunkStatus.UNKNOWN, 0),
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Detail of one dispatch


@dataclass(frozen=True)
class DispatchDetail:
    dispatch_id: int
    row: dict  # the dispatches row (aware UTC datetimes)
    platform_fields: dict  # every field the platform returned, as it named them (empty until refreshed)
    status: str
    send: dict | None  # the send row, None for a dispatch tracked from outside
    chunk: dict | None


def dispatch_detail(store: HistoryStore, dispatch_id: int) -> DispatchDetail | None:
    with store.read() as conn:
        row = (
            conn.execute(
                select(s.dispatches).where(s.dispatches.c.dispatch_id == dispatch_id, *_platform(s.dispatches, store))
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        row = dict(row)
        send = chunk = None
        if row["send_id"] is not None:
            found = conn.execute(select(s.sends).where(s.sends.c.id == row["send_id"])).mappings().first()
            send = dict(found) if found else None
        if row["chunk_id"] is not None:
            found = conn.execute(select(s.chunks).where(s.chunks.c.id == row["chunk_id"])).mappings().first()
            chunk = dict(found) if found else None
    try:
        platform_fields = json.loads(row["raw_json"]) if row["raw_json"] else {}
    except ValueError:
        platform_fields = {}
    return DispatchDetail(dispatch_id, row, platform_fields, status_label(row["send_status_id"]), send, chunk)


def status_history(store: HistoryStore, dispatch_id: int, tz: tzinfo) -> pd.DataFrame:
    """Each recorded change of one dispatch, oldest first (uses the (dispatch_id, taken_at) index)."""
    snap = s.dispatch_snapshots.c
    query = (
        select(
            _raw(snap.taken_at),
            snap.send_status_id,
            snap.has_started_queuing,
            snap.has_finished_queuing,
            _raw(snap.started_queuing_at),
            _raw(snap.finished_queuing_at),
            snap.error_message,
        )
        .where(snap.dispatch_id == dispatch_id, *_platform(s.dispatch_snapshots, store))
        .order_by(snap.taken_at, snap.seq)
    )
    with store.read() as conn:
        frame = _frame(conn, query, ("taken_at", "started_queuing_at", "finished_queuing_at"))
    frame["status"] = [status_label(v) for v in frame["send_status_id"]]
    frame["seen_at"] = _local(frame["taken_at"], tz)
    return frame


def invalid_recipients(store: HistoryStore, send_id: int) -> pd.DataFrame:
    """Recipients the platform refused, with the spreadsheet row when it is still kept, and why."""
    rows = []
    with store.read() as conn:
        chunk_rows = conn.execute(
            select(s.chunks.c.id, s.chunks.c.seq, s.chunks.c.dispatch_id, s.chunks.c.invalid_json)
            .where(s.chunks.c.send_id == send_id, s.chunks.c.invalid_json.is_not(None))
            .order_by(s.chunks.c.seq)
        ).all()
    for chunk_id, seq, dispatch_id, invalid_json in chunk_rows:
        try:
            invalid = json.loads(invalid_json)
        except ValueError:
            continue
        mobiles = invalid.get("invalidMobiles") or []
        emails = invalid.get("invalidEmails") or []
        found = store.find_chunk_recipients(
            chunk_id,
            unique_ids=[str(m.get("uniqueId", "")) for m in mobiles if isinstance(m, dict)],
            destinations=[str(e) for e in emails],
        )
        by_id = {r.unique_id: r for r in found}
        by_destination = {r.destination.lower(): r for r in found}
        for item in mobiles:
            if not isinstance(item, dict):
                continue
            unique_id, mobile = str(item.get("uniqueId", "")), str(item.get("mobile") or "")
            match = by_id.get(unique_id)
            rows.append(
                _invalid_row(seq, dispatch_id, match, unique_id, mobile, "The platform refused this mobile number")
            )
        for email in emails:
            match = by_destination.get(str(email).lower())
            rows.append(
                _invalid_row(
                    seq, dispatch_id, match, match.unique_id if match else "", str(email),
                    "The platform refused this email address",
                )
            )
    return pd.DataFrame(
        rows, columns=["Spreadsheet row", "Customer ID", "Mobile or email", "Reason", "Part", "Dispatch"]
    )


def _invalid_row(seq, dispatch_id, match, unique_id: str, destination: str, reason: str) -> dict:
    return {
        "Spreadsheet row": match.row_number if match else None,
        "Customer ID": unique_id,
        "Mobile or email": destination,
        "Reason": reason,
        "Part": seq,
        "Dispatch": dispatch_id,
    }


def next_steps(store: HistoryStore, send_id: int) -> list[str]:
    """What to do about a send with parts that did not certainly go out, in plain words."""
    detail = store.get_send(send_id)
    if detail is None:
        return []
    from lib import approvals  # approvals reads the store too: imported here, not at module load

    label = approvals.state_label(detail.send, store.approval_decisions([send_id]).get(send_id, []))
    if label is not None:  # waiting for, or stopped by, a second person: nothing of it went out
        return [approvals.state_sentence(detail.send, label)]
    steps = []
    unknown = [c for c in detail.chunks if c.status in (ChunkStatus.UNKNOWN, ChunkStatus.POSTING)]
    pending = [c for c in detail.chunks if c.status is ChunkStatus.PENDING]
    rejected = [c for c in detail.chunks if c.status is ChunkStatus.REJECTED]
    if unknown:
        people = sum(c.recipient_count for c in unknown)
        steps.append(
            f"{_parts(unknown)} ({_people(people)}) may or may not have gone out: the platform did not answer. "
            "Do not send them again straight away: ask the platform team whether a dispatch arrived at "
            f"{detail.send.created_at:%H:%M} UTC for template {detail.send.template_id}, then record below what "
            "they said. Sending them again is a separate, explicit decision, because customers could get the "
            "message twice."
        )
    if pending:
        people = sum(c.recipient_count for c in pending)
        steps.append(
            f"{_parts(pending)} ({_people(people)}) {'was' if len(pending) == 1 else 'were'} never sent: the send "
            f"stopped before {'it' if len(pending) == 1 else 'them'}. Send the parts that did not go out (below, or "
            f"`python -m lib send --resume {send_id}`); nothing else is sent again."
        )
    if rejected:
        reasons = "; ".join(sorted({c.error_message for c in rejected if c.error_message})) or "no reason given"
        steps.append(
            f"The platform refused {_parts(rejected).lower()} ({reasons}); nothing in them went out. "
            "Fix the cause, then resume the send: only the refused parts are sent again."
        )
    return steps


def _people(n: int) -> str:
    return f"{n:,} recipient{'' if n == 1 else 's'}"


def _parts(chunks) -> str:
    seqs = ", ".join(str(c.seq) for c in chunks)
    return f"Part {seqs}" if len(chunks) == 1 else f"Parts {seqs}"


def filter_options(store: HistoryStore, template_names: dict[int, str]) -> dict[int, str]:
    """Templates that appear in the history (plus the catalog), id → name, for the filter."""
    with store.read() as conn:
        used = dict(
            conn.execute(
                select(s.sends.c.template_id, s.sends.c.template_name).where(*_platform(s.sends, store)).distinct()
            ).all()
        )
        tracked = conn.execute(
            select(s.dispatches.c.template_id)
            .where(s.dispatches.c.send_id.is_(None), *_platform(s.dispatches, store))
            .distinct()
        ).scalars()
        options = {**template_names, **used}
        for template_id in tracked:
            if template_id is not None:
                options.setdefault(int(template_id), f"Template {int(template_id)}")
    return dict(sorted(options.items()))
