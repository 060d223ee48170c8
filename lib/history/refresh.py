"""Status refresh: ask the platform about every dispatch that is not final, and remember what changed.

The platform has no list endpoint, so the history store is the list and `GET /api/Dispatches/{id}`
refreshes it. One round:

1. pick the dispatches that are not final and are due (old dispatches are asked less often);
2. ask the platform about the first one alone: if the platform is down or refuses our credentials,
   stop there and say so once, instead of failing 200 times;
3. ask about the rest concurrently (a bounded thread pool: the platform is one host);
4. write every answer in one transaction from this thread (SQLite has one writer): the dispatch row
   always, a status snapshot only when the status, a flag, a queuing time or the error changed;
5. record in `meta` when status was last refreshed and, if it could not be, why.

Used by the Dispatches page (a Streamlit fragment) and by `python -m lib refresh`.

A dispatch is keyed by (platform, dispatch_id): a store bound to a platform (`store.for_platform`)
asks only about that platform's dispatches, so a sandbox rehearsal never asks the live platform
about sandbox ids (or the reverse). A snapshot is numbered per dispatch and inserted with
insert-or-ignore on that number: two refreshers that saw the same change record it once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, select, update

from lib import i18n
from lib.history import schema as s
from lib.history.store import SANDBOX_PLATFORM, HistoryStore, set_meta, upsert
from lib.messaging import (
    AuthenticationError,
    Dispatch,
    MessagingClient,
    NotFoundError,
    OutcomeUnknown,
    PlatformError,
    PlatformServerError,
    PlatformUnreachable,
)
from lib.sending import notes

DEFAULT_WORKERS = 8  # requests' connection pool keeps 10 per host; stay under it

META_LAST_REFRESH_AT = "last_refresh_at"  # ISO time of the last round that reached the platform
META_LAST_REFRESH_ERROR = "last_refresh_error"  # why the last round could not refresh ("" when it could)
META_LAST_ATTEMPT_AT = "last_refresh_attempt_at"

# How long a not-final dispatch may go unasked, by how long ago it last changed.
# A dispatch that has sat Pending for a day is not going to change in the next five seconds.
BACKOFF_STEPS: tuple[tuple[timedelta, timedelta], ...] = (
    (timedelta(minutes=2), timedelta(seconds=3)),
    (timedelta(minutes=15), timedelta(seconds=15)),
    (timedelta(hours=2), timedelta(minutes=1)),
    (timedelta(days=1), timedelta(minutes=5)),
)
OLDEST_INTERVAL = timedelta(minutes=30)
# A dispatch scheduled for later is asked about again shortly before its time, not constantly.
SCHEDULED_LEAD = timedelta(minutes=1)

# The page's background refresh: never faster than this, and slower when nothing is pending.
PAGE_MIN_INTERVAL = timedelta(seconds=3)
PAGE_MAX_INTERVAL = timedelta(minutes=5)
PAGE_IDLE_INTERVAL = timedelta(minutes=1)
PAGE_DOWN_INTERVAL = timedelta(seconds=30)

SNAPSHOT_FIELDS = (
    "send_status_id",
    "has_started_queuing",
    "has_finished_queuing",
    "started_queuing_at",
    "finished_queuing_at",
    "error_message",
)


def utcnow() -> datetime:
    return datetime.now(UTC)


# ---------------------------------------------------------------------------------------------
# When to ask


@dataclass(frozen=True)
class PendingDispatch:
    dispatch_id: int
    created_at: datetime | None
    first_seen_at: datetime
    last_refreshed_at: datetime | None
    last_changed_at: datetime | None
    send_at: datetime | None
    platform: str = SANDBOX_PLATFORM

    @property
    def quiet_since(self) -> datetime:
        return self.last_changed_at or self.created_at or self.first_seen_at


def refresh_interval(dispatch: PendingDispatch, now: datetime) -> timedelta:
    """How long this dispatch may go unasked: short while it is moving, long once it has sat still."""
    if dispatch.send_at is not None and dispatch.send_at - SCHEDULED_LEAD > now:
        until_due = dispatch.send_at - SCHEDULED_LEAD - now
        return max(PAGE_MIN_INTERVAL, min(OLDEST_INTERVAL, until_due))
    quiet = max(timedelta(0), now - dispatch.quiet_since)
    for younger_than, interval in BACKOFF_STEPS:
        if quiet < younger_than:
            return interval
    return OLDEST_INTERVAL


def is_due(dispatch: PendingDispatch, now: datetime) -> bool:
    if dispatch.last_refreshed_at is None:
        return True
    return now - dispatch.last_refreshed_at >= refresh_interval(dispatch, now)


def next_run_in(pending: Sequence[PendingDispatch], now: datetime, *, platform_down: bool = False) -> timedelta:
    """When the page's background refresh should run next: as soon as the first dispatch is due,
    within [PAGE_MIN_INTERVAL, PAGE_MAX_INTERVAL]; PAGE_IDLE_INTERVAL when nothing is pending
    (to pick up sends made elsewhere); PAGE_DOWN_INTERVAL while the platform is failing."""
    if platform_down:
        return PAGE_DOWN_INTERVAL
    if not pending:
        return PAGE_IDLE_INTERVAL
    waits = []
    for dispatch in pending:
        if dispatch.last_refreshed_at is None:
            waits.append(timedelta(0))
        else:
            waits.append(dispatch.last_refreshed_at + refresh_interval(dispatch, now) - now)
    return max(PAGE_MIN_INTERVAL, min(PAGE_MAX_INTERVAL, min(waits)))


def pending_dispatches(store: HistoryStore) -> list[PendingDispatch]:
    """Every dispatch of the store's platform that is not final (uses the is_final index)."""
    d = s.dispatches.c
    query = select(
        d.dispatch_id, d.created_at, d.first_seen_at, d.last_refreshed_at, d.last_changed_at, d.send_at, d.platform
    ).where(d.is_final.is_(False), *_on_platform(store))
    with store.read() as conn:
        return [PendingDispatch(*row) for row in conn.execute(query)]


# ---------------------------------------------------------------------------------------------
# Asking


@dataclass
class RefreshReport:
    """What one round did; `problem` is set when the platform could not be asked at all."""

    started_at: datetime
    asked: int = 0
    changed: list[int] = field(default_factory=list)
    became_final: list[int] = field(default_factory=list)
    not_found: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    skipped_not_due: int = 0
    still_pending: int = 0
    problem: i18n.Msg | str | None = None  # put into words when read
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.problem is None

    def summary(self) -> str:
        """One line for the command line and the worker's log, in the reader's language."""
        if self.problem:
            return i18n.t("history.refresh.not_refreshed", problem=self.problem)
        parts = [i18n.t("history.refresh.asked", n=self.asked), i18n.t("history.refresh.changed", n=len(self.changed))]
        if self.became_final:
            parts.append(i18n.t("history.refresh.finished", n=len(self.became_final)))
        if self.not_found:
            parts.append(i18n.t("history.refresh.not_found", n=len(self.not_found)))
        if self.failed:
            parts.append(i18n.t("history.refresh.failed", n=len(self.failed)))
        parts.append(i18n.t("history.refresh.still_pending", n=self.still_pending))
        return i18n.t("history.refresh.summary", parts=", ".join(parts), seconds=i18n.number(self.seconds, 1))


# Errors that say the platform as a whole cannot be asked right now (as opposed to "this dispatch").
PLATFORM_DOWN_ERRORS = (AuthenticationError, PlatformUnreachable, OutcomeUnknown, PlatformServerError)


def _on_platform(store: HistoryStore) -> list:
    return [] if store.platform is None else [s.dispatches.c.platform == store.platform]


def _fetch(client: MessagingClient, dispatch_id: int) -> Dispatch | PlatformError:
    try:
        return client.get_dispatch(dispatch_id)
    except PlatformError as exc:
        return exc


def refresh_pending(
    store: HistoryStore,
    client: MessagingClient,
    *,
    now: datetime | None = None,
    only_due: bool = True,
    workers: int = DEFAULT_WORKERS,
) -> RefreshReport:
    """One refresh round over the not-final dispatches (only those due, unless `only_due=False`)."""
    now = now or utcnow()
    clock_start = datetime.now(UTC)
    pending = pending_dispatches(store)
    platform_of = {p.dispatch_id: p.platform for p in pending if not only_due or is_due(p, now)}
    due = list(platform_of)
    report = RefreshReport(started_at=now, skipped_not_due=len(pending) - len(due))
    if due:
        results = _fetch_all(client, due, workers)
        report.problem = _platform_problem(results)
        answered = {i: r for i, r in results.items() if isinstance(r, Dispatch)}
        report.asked = len(answered) + sum(1 for r in results.values() if isinstance(r, NotFoundError))
        for dispatch_id, result in results.items():
            if isinstance(result, NotFoundError):
                report.not_found.append(dispatch_id)
            elif isinstance(result, PlatformError):
                report.failed[dispatch_id] = str(result)
        with store.write() as conn:
            for dispatch_id, dispatch in answered.items():
                changed, final = apply_dispatch(conn, dispatch, now, platform=platform_of[dispatch_id])
                if changed:
                    report.changed.append(dispatch_id)
                if final:
                    report.became_final.append(dispatch_id)
            if answered or report.not_found:
                _mark_asked(conn, [(platform_of[i], i) for i in report.not_found], now)
    report.still_pending = len(pending) - len(report.became_final)
    if due:
        _record_round(store, report, now, reached=report.problem is None)
    elif not pending and refresh_health(store).failing:
        _record_round(store, report, now, reached=True)  # nothing left to refresh: nothing is stale
    report.seconds = (datetime.now(UTC) - clock_start).total_seconds()
    return report


def _fetch_all(client: MessagingClient, dispatch_ids: list[int], workers: int) -> dict[int, Dispatch | PlatformError]:
    first = dispatch_ids[0]
    results: dict[int, Dispatch | PlatformError] = {first: _fetch(client, first)}
    if isinstance(results[first], PLATFORM_DOWN_ERRORS):  # the platform is down: do not knock 200 times
        return results
    rest = dispatch_ids[1:]
    if rest:
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(rest))), thread_name_prefix="refresh") as pool:
            for dispatch_id, result in zip(rest, pool.map(lambda i: _fetch(client, i), rest), strict=True):
                results[dispatch_id] = result
    return results


def _platform_problem(results: dict[int, Dispatch | PlatformError]) -> i18n.Msg | str | None:
    """A sentence when nothing could be refreshed because of the platform, else None."""
    down = [r for r in results.values() if isinstance(r, PLATFORM_DOWN_ERRORS)]
    reached = [r for r in results.values() if isinstance(r, Dispatch | NotFoundError)]
    if down and not reached:
        return down[0].message
    return None


def _problem_for_meta(problem: i18n.Msg | str | None) -> str:
    """The worker writes the problem; a page reads it later in its reader's language: kept as a code."""
    if isinstance(problem, i18n.Msg):
        return json.dumps(notes.stored(problem), ensure_ascii=False)
    return problem or ""


def _problem_from_meta(raw: str | None) -> i18n.Msg | str | None:
    if not raw:
        return None
    try:
        kept = json.loads(raw) if raw.startswith("{") else None
    except ValueError:
        kept = None
    if not isinstance(kept, dict):
        return raw  # a sentence written before problems were kept as codes
    return notes.note(kept.get("error_message"), kept.get("error_code"), kept.get("error_params"))


META_REFRESH_REQUESTED = "refresh_requested_at"


def request_refresh(store: HistoryStore, now: datetime | None = None) -> None:
    """Ask the worker to refresh every dispatch of the store's platform soon ("Refresh now"): the page
    never calls the platform itself."""
    store.set_meta(_meta_key(store, META_REFRESH_REQUESTED), (now or utcnow()).astimezone(UTC).isoformat())


def refresh_requested(store: HistoryStore) -> bool:
    return bool(store.get_meta(_meta_key(store, META_REFRESH_REQUESTED)))


def clear_refresh_request(store: HistoryStore) -> None:
    store.set_meta(_meta_key(store, META_REFRESH_REQUESTED), None)


def _meta_key(store: HistoryStore, name: str) -> str:
    """Refresh health is per platform: a sandbox that is down says nothing about the live platform."""
    return name if store.platform is None else f"{name}@{store.platform}"


def _record_round(store: HistoryStore, report: RefreshReport, now: datetime, *, reached: bool) -> None:
    stamp = now.astimezone(UTC).isoformat()
    with store.write() as conn:
        set_meta(conn, _meta_key(store, META_LAST_ATTEMPT_AT), stamp)
        if reached:
            set_meta(conn, _meta_key(store, META_LAST_REFRESH_AT), stamp)
            set_meta(conn, _meta_key(store, META_LAST_REFRESH_ERROR), "")
        else:
            set_meta(conn, _meta_key(store, META_LAST_REFRESH_ERROR), _problem_for_meta(report.problem))


def _mark_asked(conn: Connection, keys: Iterable[tuple[str, int]], now: datetime) -> None:
    """A dispatch the platform does not know still counts as asked, so it backs off like the others."""
    d = s.dispatches.c
    for platform, dispatch_id in keys:
        conn.execute(
            update(s.dispatches).where(d.platform == platform, d.dispatch_id == dispatch_id).values(last_refreshed_at=now)
        )


# ---------------------------------------------------------------------------------------------
# Writing one answer


def dispatch_values(dispatch: Dispatch) -> dict:
    """The dispatches row columns the platform's answer sets."""
    return {
        "template_id": dispatch.campaign_message_id,
        "message_type_id": None if dispatch.message_type_id is None else int(dispatch.message_type_id),
        "total_recipients": dispatch.total_recipients,
        "send_status_id": None if dispatch.send_status_id is None else int(dispatch.send_status_id),
        "has_started_queuing": bool(dispatch.has_started_queuing),
        "has_finished_queuing": bool(dispatch.has_finished_queuing),
        "is_test": bool(dispatch.is_test),
        "error_message": dispatch.error_message,
        "created_at": dispatch.created_at,
        "started_queuing_at": dispatch.started_queuing_at,
        "finished_queuing_at": dispatch.finished_queuing_at,
        "send_at": dispatch.send_at,
        "queue_at": dispatch.queue_at,
        "raw_json": json.dumps(dispatch.to_json(), ensure_ascii=False),
        "is_final": dispatch.is_final,
    }


def _state(values: dict) -> tuple:
    return tuple(values.get(name) for name in SNAPSHOT_FIELDS)


def _last_snapshot(conn: Connection, platform: str, dispatch_id: int) -> tuple[int, tuple | None]:
    """(the last snapshot's number, its state); (0, None) before the first."""
    snap = s.dispatch_snapshots.c
    row = conn.execute(
        select(snap.seq, *(snap[name] for name in SNAPSHOT_FIELDS))
        .where(snap.platform == platform, snap.dispatch_id == dispatch_id)
        .order_by(snap.seq.desc())
        .limit(1)
    ).first()
    return (0, None) if row is None else (int(row[0]), tuple(row[1:]))


def apply_dispatch(
    conn: Connection, dispatch: Dispatch, now: datetime, *, platform: str, send_id: int | None = None
) -> tuple[bool, bool]:
    """Write the platform's answer; add a snapshot if the state differs from the last one (or there
    is none yet: the first answer is news). Inserts the row for a dispatch tracked from outside.
    Returns (changed, final); changed is False when another refresher recorded the same change first."""
    values = dispatch_values(dispatch)
    last_seq, last_state = _last_snapshot(conn, platform, dispatch.dispatch_id)
    state = _state(values)
    changed = last_state != state
    row = {**values, "last_refreshed_at": now}
    if changed:
        row["last_changed_at"] = now
    known = {k: v for k, v in row.items() if not (k == "created_at" and v is None)}
    key = {"platform": platform, "dispatch_id": dispatch.dispatch_id}
    new = {**key, "send_id": send_id, "first_seen_at": now, **row}
    conn.execute(upsert(conn, s.dispatches, new, tuple(key), known))
    if changed:
        snapshot = {**key, "seq": last_seq + 1, "taken_at": now, **dict(zip(SNAPSHOT_FIELDS, state, strict=True))}
        inserted = upsert(conn, s.dispatch_snapshots, snapshot, (*key, "seq"), None).returning(s.dispatch_snapshots.c.id)
        changed = conn.execute(inserted).first() is not None  # None: another refresher recorded it first
    return changed, bool(values["is_final"])


# ---------------------------------------------------------------------------------------------
# Tracking a dispatch made outside the console


class TrackError(ValueError):
    """The id cannot be tracked; str() is a sentence for the user."""


def parse_dispatch_id(text: str) -> int:
    """A dispatch id typed by a person ("180249", " 180 249 ") or TrackError."""
    cleaned = "".join(str(text).split())
    if not cleaned:
        raise TrackError(i18n.t("history.track.empty", example="180249"))
    if not cleaned.isdigit():
        raise TrackError(i18n.t("history.track.not_digits", example="180249", text=repr(str(text).strip())))
    value = int(cleaned)
    if value <= 0 or value >= 2**63:
        raise TrackError(i18n.t("history.track.out_of_range", number=cleaned))
    return value


def track_dispatch(
    store: HistoryStore, client: MessagingClient, dispatch_id: int, *, now: datetime | None = None
) -> Dispatch:
    """Fetch a dispatch by id and keep it in the history, refreshed like the console's own, under the
    store's platform (a store bound to no platform: the sandbox).

    Raises NotFoundError ("No dispatch 180249 on the platform") or another PlatformError."""
    now = now or utcnow()
    dispatch = client.get_dispatch(dispatch_id)
    with store.write() as conn:
        apply_dispatch(conn, dispatch, now, platform=store.platform or SANDBOX_PLATFORM)
    return dispatch


# ---------------------------------------------------------------------------------------------
# How fresh the stored statuses are (for the page's banner)


@dataclass(frozen=True)
class RefreshHealth:
    last_refresh_at: datetime | None
    last_attempt_at: datetime | None
    problem: i18n.Msg | str | None  # put into words when read

    @property
    def failing(self) -> bool:
        return bool(self.problem)

    def banner(self, now: datetime, tz=None) -> str | None:
        """One sentence for the page when statuses are not being refreshed, else None."""
        if not self.problem:
            return None
        if self.last_refresh_at is None:
            when = i18n.t("history.refresh.never")
        else:
            local = self.last_refresh_at.astimezone(tz) if tz is not None else self.last_refresh_at
            when = i18n.t("history.refresh.last", ago=_ago(now - self.last_refresh_at),
                          time=i18n.datetime_text(local, year=False))
        return i18n.t("history.refresh.banner", when=when, problem=self.problem)


def _ago(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 90:
        return i18n.t("history.refresh.ago.seconds", n=seconds)
    if seconds < 90 * 60:
        return i18n.t("history.refresh.ago.minutes", n=round(seconds / 60))
    if seconds < 36 * 3600:
        return i18n.t("history.refresh.ago.hours", n=round(seconds / 3600))
    return i18n.t("history.refresh.ago.days", n=round(seconds / 86400))


def refresh_health(store: HistoryStore) -> RefreshHealth:
    keys = {_meta_key(store, name): name for name in (META_LAST_REFRESH_AT, META_LAST_REFRESH_ERROR, META_LAST_ATTEMPT_AT)}
    with store.read() as conn:
        found = conn.execute(select(s.meta.c.key, s.meta.c.value).where(s.meta.c.key.in_(list(keys)))).all()
    rows = {keys[key]: value for key, value in found}

    def stamp(key: str) -> datetime | None:
        raw = rows.get(key)
        return datetime.fromisoformat(raw) if raw else None

    return RefreshHealth(stamp(META_LAST_REFRESH_AT), stamp(META_LAST_ATTEMPT_AT),
                         _problem_from_meta(rows.get(META_LAST_REFRESH_ERROR)))
