"""The live panel: sends in progress, rolled up over their parts and dispatches (a few indexed queries)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, select

from lib import i18n
from lib.history import schema as s
from lib.history.loading import _platform, _stored_template_names
from lib.history.rollup import dispatch_counts_text
from lib.history.store import HistoryStore
from lib.history.vocabulary import NOT_SENT, UNKNOWN, DispatchStatus, status_label
from lib.sending.status import ChunkStatus

# A send shows its least advanced dispatch.
LIVE_ORDER = (DispatchStatus.ERROR, DispatchStatus.DRAFT, DispatchStatus.OTHER, DispatchStatus.PENDING,
              DispatchStatus.QUEUED)  # fmt: skip
WAITING, HELD, SENDING = DispatchStatus.WAITING, DispatchStatus.HELD, DispatchStatus.SENDING


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
    status: DispatchStatus  # waiting, held, sending, unknown, or its least advanced dispatch's status
    parts_done: int
    parts_total: int
    dispatch_counts: dict[DispatchStatus, int]  # platform status -> dispatches, in LIVE_ORDER
    parts_in_doubt: int = 0  # may or may not have gone out: waiting for a person's decision

    @property
    def rollup(self) -> str:
        """"100 dispatches: 98 queued, 2 pending" (or "no dispatch yet")."""
        return dispatch_counts_text(self.dispatch_counts) or i18n.t("history.rollup.no_dispatch")


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
        by_status: dict[int, dict[DispatchStatus, int]] = {}
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


def _live_send(row, chunks: dict, dispatches: dict[DispatchStatus, int], names: dict[int, str], now: datetime) -> LiveSend:
    ordered = dict(sorted(dispatches.items(), key=lambda kv: LIVE_ORDER.index(kv[0]) if kv[0] in LIVE_ORDER else 2))
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
