"""The filtered history read from the store into pandas: filters, the indexed SELECTs, labels and roll-ups.

Fast on 10k sends / 20k dispatches: each page run is a handful of indexed SELECTs (sends by created_at, chunks
and dispatches by send_id) read straight into pandas, with datetime text parsed vectorised instead of row by row."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Select, String, func, or_, select, type_coerce

from lib import i18n
from lib.history import schema as s
from lib.history.store import HistoryStore
from lib.history.vocabulary import (
    APPROVAL_STATUS,
    NOT_SENT,
    PLATFORM_STATUSES,
    REJECTED,
    UNKNOWN,
    DispatchStatus,
    _attention_rank,
)
from lib.sending.notes import note_text
from lib.sending.status import ChunkStatus

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
    """The query's rows as a frame, `times` parsed to aware UTC.

    The rows are the database driver's own tuples: SQLAlchemy's Row objects cost ~0.1 s more per
    20,000 rows. The few column types that convert what the driver returns (SQLite's 0/1 for a
    boolean) are converted here as SQLAlchemy would, column by column."""
    result = conn.execute(query)
    try:
        columns = list(result.keys())
        rows = result.cursor.fetchall()
    finally:
        result.close()
    # Column by column: pandas probing row by row costs seconds on 20k rows.
    values = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    converted = {}
    for name, column, selected in zip(columns, values, query.selected_columns, strict=True):
        convert = selected.type.dialect_impl(conn.dialect).result_processor(conn.dialect, None)
        converted[name] = [convert(v) for v in column] if convert is not None else list(column)
    frame = pd.DataFrame(converted, columns=columns)
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
                s.chunks.c.error_code,
                s.chunks.c.error_params,
                s.chunks.c.attempts,
            ).where(s.chunks.c.send_id.in_(selected)),
        )
        chunks = _word_chunk_notes(chunks)
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


def _word_chunk_notes(chunks: pd.DataFrame) -> pd.DataFrame:
    """The sender stores its notes as codes (lib.sending.notes): put those into the reader's words."""
    coded = chunks["error_code"].notna()
    if coded.any():
        chunks.loc[coded, "error_message"] = [
            note_text(m, c, p) for m, c, p in chunks.loc[coded, ["error_message", "error_code", "error_params"]].itertuples(
                index=False, name=None)
        ]
    return chunks.drop(columns=["error_code", "error_params"])


def history_version(store: HistoryStore) -> tuple:
    """Changes whenever anything the page's tables, KPIs or charts show changes (a cache key): a send
    made, or moving through approval and the queue (how many sends are in each queue state), a part's
    status (the newest part update), a dispatch tracked or changing status.

    Cheap: every figure is read from an index (revision 0014), never from the rows themselves (a
    dispatch row holds the platform's whole answer); the page's background keeper asks twice a second."""
    c, d = s.chunks.c, s.dispatches.c
    with store.read() as conn:
        sends = tuple(conn.execute(select(func.count(), func.max(s.sends.c.id))).one())
        states = conn.execute(select(s.sends.c.queue_state, func.count()).group_by(s.sends.c.queue_state)).all()
        chunks = (conn.execute(select(func.count()).select_from(s.chunks)).scalar_one(),
                  conn.execute(select(func.max(_raw(c.updated_at)))).scalar_one())  # fmt: skip
        dispatches = tuple(conn.execute(
            select(func.count(), func.max(_raw(d.first_seen_at)), func.sum(d.send_status_id))).one())  # fmt: skip
        changed = conn.execute(select(func.max(_raw(d.last_changed_at)))).scalar_one()
    return (*sends, tuple(sorted((state, int(n)) for state, n in states)), *chunks, *dispatches, changed)


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
    note = i18n.t("history.search.found", n=found, text=text) if found else i18n.t("history.search.none", text=text)
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
        [dispatch_status.fillna(DispatchStatus.DRAFT).to_numpy(dtype=object), REJECTED, UNKNOWN],
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
    # Python lists to loop over (.tolist()): iterating a pandas text column costs ~3 µs a value.
    pairs = pairs.assign(rank=[_attention_rank(label) for label in pairs["label"].tolist()]).sort_values(["send_id", "rank"])
    labels_by_send: dict[int, list[str]] = {}
    for send_id, label in zip(pairs["send_id"].tolist(), pairs["label"].tolist(), strict=True):
        labels_by_send.setdefault(send_id, []).append(label)
    dispatch_counts = dispatches.dropna(subset=["send_id"]).groupby("send_id")["dispatch_id"].count()

    ids = sends["id"]
    for column in ("accepted", "platform_invalid", "unconfirmed", "chunk_count"):
        sends[column] = _lookup(ids, per_send[column]).fillna(0).astype("int64")
    sends["statuses"] = [[APPROVAL_STATUS[state]] if state in APPROVAL_STATUS else labels_by_send.get(i, [NOT_SENT])
                         for i, state in zip(ids.tolist(), sends["queue_state"].tolist(), strict=True)]
    sends["status"] = [labels[0] for labels in sends["statuses"]]
    sends["dispatch_count"] = _lookup(ids, dispatch_counts).fillna(0).astype("int64")
    for column in ("total_recipients", "excluded_recipients"):
        sends[column] = pd.to_numeric(sends[column], errors="coerce").fillna(0).astype("int64")
    sends["submitted"] = sends["total_recipients"] + sends["excluded_recipients"]
    history.sends = sends.sort_values("created_at", ascending=False, kind="stable").reset_index(drop=True)



def status_labels(send_status_ids: pd.Series) -> pd.Series:
    """Vectorised status_label."""
    numbers = pd.to_numeric(send_status_ids, errors="coerce")
    labels = numbers.map({int(k): v for k, v in PLATFORM_STATUSES.items()}).astype(object)
    labels[labels.isna() & numbers.notna()] = DispatchStatus.OTHER
    return labels.fillna(DispatchStatus.DRAFT).astype(object)


def template_labels(template_ids: pd.Series, names: dict[int, str]) -> pd.Series:
    """Template names for ids ("Template 74" when the catalog does not know it)."""
    numbers = pd.to_numeric(template_ids, errors="coerce")
    labels = numbers.map(names).astype(object)
    other = labels.isna() & numbers.notna()
    if other.any():  # each unknown id worded once: 20,000 dispatches name a handful of templates
        worded = {n: template_name(int(n)) for n in numbers[other].unique()}
        labels[other] = numbers[other].map(worded)
    return labels.fillna(i18n.t("history.template.unknown")).astype(object)


def template_name(template_id: int) -> str:
    """"Template 74": a template the catalog does not know, by its number."""
    return i18n.t("history.template.numbered", number=str(template_id))



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



def _local(series: pd.Series, tz: tzinfo) -> pd.Series:
    return series.dt.tz_convert(tz).dt.tz_localize(None)



def _lookup(keys: pd.Series, values: pd.Series) -> pd.Series:
    """keys.map(values), also for no keys or no values (pandas cannot map onto an empty datetime series)."""
    if keys.empty or values.empty:
        return pd.Series(pd.NaT if pd.api.types.is_datetime64_any_dtype(values.dtype) else None, index=keys.index,
                         dtype=values.dtype)
    return keys.map(values)



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
                options.setdefault(int(template_id), template_name(int(template_id)))
    return dict(sorted(options.items()))
