"""One dispatch or send in detail: its row, status history, refused recipients and what to do next."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import tzinfo

import pandas as pd
from sqlalchemy import select

from lib.history import schema as s
from lib.history.loading import _frame, _local, _platform, _raw
from lib.history.store import HistoryStore
from lib.history.vocabulary import status_label
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
