"""The status refresher against the real sandbox over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lib import i18n
from lib.history import schema as s
from lib.history.refresh import (
    PAGE_DOWN_INTERVAL,
    PAGE_IDLE_INTERVAL,
    PAGE_MIN_INTERVAL,
    PendingDispatch,
    TrackError,
    is_due,
    next_run_in,
    parse_dispatch_id,
    pending_dispatches,
    refresh_health,
    refresh_interval,
    refresh_pending,
    track_dispatch,
)
from lib.history.store import open_store
from lib.messaging import MessagingClient, NotFoundError, Recipient
from tests.conftest import SANDBOX_USER
from tests.support_dispatches import SMS_TEMPLATE, mobiles, poll, record_send


@pytest.fixture
def store(database_url):
    """On SQLite and on PostgreSQL (the `database_url` fixture)."""
    return open_store(database_url)


def _row(store, dispatch_id):
    with store.read() as conn:
        return conn.execute(select(s.dispatches).where(s.dispatches.c.dispatch_id == dispatch_id)).mappings().one()


def _snapshots(store, dispatch_id):
    with store.read() as conn:
        return conn.execute(
            select(s.dispatch_snapshots)
            .where(s.dispatch_snapshots.c.dispatch_id == dispatch_id)
            .order_by(s.dispatch_snapshots.c.id)
        ).mappings().all()


def _dispatch_ids(store, send_id):
    return [c.dispatch_id for c in store.get_send(send_id).chunks]


def _refresh_until_final(store, client, timeout=10.0):
    def done():
        refresh_pending(store, client, only_due=False)
        return not pending_dispatches(store)

    poll(done, timeout, "every dispatch to reach a final status", interval=0.1)


def test_lifecycle_draft_pending_queued_is_recorded_as_snapshots(store, client, sandbox):
    # Pending lasts one step: 1 s, not the fixture's 0.2 s, so that a refresh round slowed by a busy
    # machine (two test workers, PostgreSQL) still sees it between Draft and Queued.
    sandbox.set_knobs(step_seconds=1.0)
    send_id = record_send(store, client, destinations=mobiles(3))
    [dispatch_id] = _dispatch_ids(store, send_id)
    _refresh_until_final(store, client)

    row = _row(store, dispatch_id)
    assert row["send_status_id"] == 3 and row["has_finished_queuing"] and row["is_final"]
    assert row["finished_queuing_at"] is not None and row["finished_queuing_at"].tzinfo is not None
    assert row["raw_json"] and f'"dispatchId": {dispatch_id}' in row["raw_json"]
    statuses = [snap["send_status_id"] for snap in _snapshots(store, dispatch_id)]
    assert statuses[-1] == 3
    assert statuses == sorted(statuses), "status only moves forward: Draft → Pending → Queued"
    assert set(statuses) >= {2, 3}


def test_snapshot_only_when_something_changed(store, client, sandbox):
    sandbox.set_knobs(step_seconds=60)  # stays Draft for a minute
    send_id = record_send(store, client)
    [dispatch_id] = _dispatch_ids(store, send_id)
    for _ in range(3):
        report = refresh_pending(store, client, only_due=False)
        assert report.ok and report.asked == 1
    snaps = _snapshots(store, dispatch_id)
    assert len(snaps) == 1, "three identical answers make one snapshot"
    assert _row(store, dispatch_id)["last_refreshed_at"] is not None


def test_scheduled_dispatch_is_held_pending_and_asked_about_less_often(store, client):
    later = datetime.now(UTC) + timedelta(hours=2)
    send_id = record_send(store, client, schedule_at=later)
    [dispatch_id] = _dispatch_ids(store, send_id)
    poll(
        lambda: refresh_pending(store, client, only_due=False) and _row(store, dispatch_id)["send_status_id"] == 2,
        5,
        "the scheduled dispatch to be Pending",
    )
    row = _row(store, dispatch_id)
    assert not row["is_final"] and not row["has_started_queuing"]
    assert abs(row["send_at"] - later) < timedelta(seconds=1)
    [pending] = pending_dispatches(store)
    now = datetime.now(UTC)
    assert not is_due(pending, now + timedelta(minutes=5)), "not asked again every few seconds for 2 hours"
    assert is_due(pending, later)


def test_error_template_ends_in_error_with_its_message(store, client, sandbox):
    sandbox.set_knobs(error_template_ids=[SMS_TEMPLATE])
    send_id = record_send(store, client)
    [dispatch_id] = _dispatch_ids(store, send_id)
    _refresh_until_final(store, client)
    row = _row(store, dispatch_id)
    assert row["send_status_id"] == 7 and row["is_final"]
    assert row["error_message"]
    assert _snapshots(store, dispatch_id)[-1]["error_message"] == row["error_message"]


def test_many_pending_dispatches_are_refreshed_in_one_round(store, client):
    send_id = record_send(store, client, destinations=mobiles(30), batch_size=1)
    assert len(_dispatch_ids(store, send_id)) == 30
    report = refresh_pending(store, client, only_due=False, workers=8)
    assert report.ok and report.asked == 30 and not report.failed
    assert all(_row(store, i)["last_refreshed_at"] is not None for i in _dispatch_ids(store, send_id))


def test_track_a_dispatch_made_outside_the_console(store, client):
    result = client.send_messages(SMS_TEMPLATE, [Recipient(unique_id="X1", mobile_phone="6936862208")])
    dispatch = track_dispatch(store, client, result.dispatch)
    assert dispatch.dispatch_id == result.dispatch
    row = _row(store, result.dispatch)
    assert row["send_id"] is None and row["template_id"] == SMS_TEMPLATE
    assert len(_snapshots(store, result.dispatch)) == 1
    _refresh_until_final(store, client)
    assert _row(store, result.dispatch)["send_status_id"] == 3


def test_unknown_id_says_so_and_stores_nothing(store, client):
    with pytest.raises(NotFoundError, match="No dispatch 180249 on the platform"):
        track_dispatch(store, client, 180249)
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(s.dispatches)).scalar() == 0


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("180249", 180249), (" 180 249 ", 180249), ("0001", 1)],
)
def test_parse_dispatch_id(typed, expected):
    assert parse_dispatch_id(typed) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [("", "Enter a dispatch number"), ("18a249", "only digits"), ("-5", "only digits"), ("0", "could have given")],
)
def test_parse_dispatch_id_refuses_what_is_not_a_number(typed, message):
    with pytest.raises(TrackError, match=message):
        parse_dispatch_id(typed)


def test_platform_down_keeps_history_and_says_why(store, client, sandbox):
    send_id = record_send(store, client)
    [dispatch_id] = _dispatch_ids(store, send_id)
    assert refresh_pending(store, client, only_due=False).ok
    before = _row(store, dispatch_id)
    sandbox.stop()

    report = refresh_pending(store, client, only_due=False)
    assert not report.ok and "Could not reach the platform" in str(report.problem)
    assert report.asked == 0
    after = _row(store, dispatch_id)
    assert after["send_status_id"] == before["send_status_id"] and after["last_refreshed_at"] == before["last_refreshed_at"]

    health = refresh_health(store)
    banner = health.banner(datetime.now(UTC))
    assert health.failing and "Statuses were last refreshed" in banner and "Not refreshing now" in banner
    assert "Could not reach the platform" in banner
    with i18n.language("el"):  # written by the sender in English, read by a Greek marketer in Greek
        greek = refresh_health(store).banner(datetime.now(UTC))
    assert "Δεν ήταν δυνατή η επικοινωνία με την πλατφόρμα" in greek and "Could not" not in greek


def test_wrong_credentials_are_reported_once(store, client, sandbox):
    send_id = record_send(store, client)
    assert _dispatch_ids(store, send_id)
    with MessagingClient(sandbox.url, SANDBOX_USER, "wrong", get_retries=0) as wrong:
        report = refresh_pending(store, wrong, only_due=False)
    assert not report.ok and report.asked == 0
    banner = refresh_health(store).banner(datetime.now(UTC))
    assert "never been refreshed" in banner
    assert "wrong" not in banner  # the password never shows


def test_health_recovers_after_a_good_round(store, client, sandbox):
    record_send(store, client)
    with MessagingClient(sandbox.url, SANDBOX_USER, "wrong", get_retries=0) as wrong:
        refresh_pending(store, wrong, only_due=False)
    assert refresh_health(store).failing
    refresh_pending(store, client, only_due=False)
    assert not refresh_health(store).failing and refresh_health(store).last_refresh_at is not None


NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


def _pending(quiet_for: timedelta, *, refreshed_ago: timedelta | None = None, send_in: timedelta | None = None):
    return PendingDispatch(
        dispatch_id=1,
        created_at=NOW - quiet_for,
        first_seen_at=NOW - quiet_for,
        last_refreshed_at=None if refreshed_ago is None else NOW - refreshed_ago,
        last_changed_at=None,
        send_at=None if send_in is None else NOW + send_in,
    )


@pytest.mark.parametrize(
    ("quiet_for", "interval"),
    [
        (timedelta(seconds=0), timedelta(seconds=3)),
        (timedelta(minutes=2) - timedelta(seconds=1), timedelta(seconds=3)),
        (timedelta(minutes=2), timedelta(seconds=15)),
        (timedelta(minutes=15), timedelta(minutes=1)),
        (timedelta(hours=2), timedelta(minutes=5)),
        (timedelta(days=1), timedelta(minutes=30)),
        (timedelta(days=40), timedelta(minutes=30)),
    ],
)
def test_old_dispatches_are_asked_about_less_often(quiet_for, interval):
    assert refresh_interval(_pending(quiet_for), NOW) == interval


@pytest.mark.parametrize(
    ("send_in", "interval"),
    [
        (timedelta(hours=3), timedelta(minutes=30)),
        (timedelta(minutes=11), timedelta(minutes=10)),
        (timedelta(seconds=30), timedelta(seconds=3)),  # due now: back to the quick steps
    ],
)
def test_scheduled_dispatches_are_asked_about_shortly_before_their_time(send_in, interval):
    assert refresh_interval(_pending(timedelta(0), send_in=send_in), NOW) == interval


def test_next_run_backs_off_when_only_old_dispatches_are_pending():
    fresh = _pending(timedelta(seconds=10), refreshed_ago=timedelta(seconds=1))
    old = _pending(timedelta(days=3), refreshed_ago=timedelta(minutes=1))
    assert next_run_in([fresh, old], NOW) == PAGE_MIN_INTERVAL
    assert next_run_in([old], NOW) == timedelta(minutes=5)  # capped so new sends still show up
    assert next_run_in([], NOW) == PAGE_IDLE_INTERVAL
    assert next_run_in([fresh], NOW, platform_down=True) == PAGE_DOWN_INTERVAL
