"""One dispatch or send in detail: its row, status history, refused recipients and what to do next."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import tzinfo
from enum import StrEnum

import pandas as pd
from sqlalchemy import select

from lib import i18n
from lib.history import schema as s
from lib.history.loading import _frame, _local, _platform, _raw
from lib.history.refused import platform_refusals
from lib.history.rollup import separator
from lib.history.store import HistoryStore
from lib.history.vocabulary import status_label
from lib.sending.notes import chunk_note
from lib.sending.status import ChunkStatus


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


class RefusedColumn(StrEnum):
    ROW = "row"
    CUSTOMER_ID = "customer_id"
    DESTINATION = "destination"
    REASON = "reason"
    PART = "part"
    DISPATCH = "dispatch"


REFUSED_WORDS = i18n.family("history.refused_column", RefusedColumn)


def invalid_recipients(store: HistoryStore, send_id: int) -> pd.DataFrame:
    """Recipients the platform refused, with the spreadsheet row when it is still kept, and why
    (lib.history.refused: the rule the sending engine follows too). Columns: RefusedColumn codes;
    `refused_headed()` gives their headers."""
    rows = []
    with store.read() as conn:
        chunk_rows = conn.execute(
            select(s.chunks.c.id, s.chunks.c.seq, s.chunks.c.dispatch_id, s.chunks.c.invalid_json)
            .where(s.chunks.c.send_id == send_id, s.chunks.c.invalid_json.is_not(None))
            .order_by(s.chunks.c.seq)
        ).all()
    for chunk_id, seq, dispatch_id, invalid_json in chunk_rows:
        try:
            said = json.loads(invalid_json)
        except ValueError:
            continue
        if not isinstance(said, dict):
            continue
        for refused in platform_refusals(store, chunk_id, said):
            rows.append({
                RefusedColumn.ROW: refused.row_number,
                RefusedColumn.CUSTOMER_ID: refused.unique_id,
                RefusedColumn.DESTINATION: refused.destination,
                RefusedColumn.REASON: refused.refusal.reason,
                RefusedColumn.PART: seq,
                RefusedColumn.DISPATCH: dispatch_id,
            })  # fmt: skip
    return pd.DataFrame(rows, columns=list(RefusedColumn))


def refused_headed(frame: pd.DataFrame) -> pd.DataFrame:
    """invalid_recipients' frame under headers in the reader's language."""
    return frame.rename(columns={c: i18n.coded(REFUSED_WORDS, c) for c in frame.columns if c in set(RefusedColumn)})


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
        steps.append(i18n.t(
            "history.next.unknown", n=len(unknown), numbers=_numbers(unknown), people=_people(unknown),
            time=i18n.time_text(detail.send.created_at), template=str(detail.send.template_id),
        ))  # fmt: skip
    if pending:
        steps.append(i18n.t(
            "history.next.pending", n=len(pending), numbers=_numbers(pending), people=_people(pending),
            command=f"`python -m lib send --resume {send_id}`",
        ))  # fmt: skip
    if rejected:
        reasons = separator().join(sorted({note for c in rejected if (note := chunk_note(c))}))
        steps.append(i18n.t(
            "history.next.rejected", n=len(rejected), numbers=_numbers(rejected),
            reasons=reasons or i18n.t("history.next.no_reason"),
        ))  # fmt: skip
    return steps


def _people(chunks) -> str:
    return i18n.t("common.recipients", n=sum(c.recipient_count for c in chunks))


def _numbers(chunks) -> str:
    """"1, 3": which parts (numbered as the send's parts are)."""
    return ", ".join(str(c.seq) for c in chunks)
