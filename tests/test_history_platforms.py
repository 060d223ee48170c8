"""Sandbox rehearsal never mixes with live work: claims and dispatch keys carry the platform.

The sandbox and the live platform both hand out dispatch ids near 180000, so the same number can
belong to both. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from lib.history import schema as s
from lib.history.refresh import apply_dispatch, pending_dispatches, refresh_health, refresh_pending
from lib.history.store import ClaimTaken, close_all_stores, open_store, platform_key
from lib.messaging import MessagingClient
from lib.sending.status import ChunkStatus
from lib.settings import LIVE_DATABASE_URL, SANDBOX_DATABASE_URL, load_settings
from tests.conftest import SANDBOX_USER
from tests.support_dispatches import record_send
from tests.test_history_store import new_send

LIVE = "https://api.example.com"


@pytest.fixture
def store(database_url):
    yield open_store(database_url)
    close_all_stores()


def live_send_with_dispatch(store, dispatch_id: int, claim: str = "h" * 64) -> int:
    send_id = new_send(store, claim=claim, is_sandbox=False, platform_url="https://user:pw@api.example.com/")
    chunk = store.get_send(send_id).chunks[0]
    store.move_chunk(chunk.id, expected=ChunkStatus.PENDING, new=ChunkStatus.POSTING)
    dispatch = {"dispatch_id": dispatch_id, "send_id": send_id, "chunk_id": chunk.id, "send_status_id": 1}
    store.move_chunk(chunk.id, expected=ChunkStatus.POSTING, new=ChunkStatus.ACCEPTED, dispatch=dispatch)
    return send_id


@pytest.mark.parametrize(
    ("url", "sandbox", "key"),
    [("http://127.0.0.1:8123", True, "sandbox"), ("https://u:p@api.example.com/", False, LIVE), (LIVE, False, LIVE)],
)
def test_platform_key(url, sandbox, key):
    assert platform_key(url, sandbox) == key


def test_the_same_claim_on_sandbox_and_live_makes_two_sends_but_not_twice_on_one(store):
    rehearsal = new_send(store, is_sandbox=True)
    live = new_send(store, is_sandbox=False, platform_url=LIVE)
    assert rehearsal != live
    with pytest.raises(ClaimTaken) as taken:
        new_send(store, is_sandbox=False, platform_url=LIVE + "/")
    assert taken.value.holder_send_id == live
    assert [r.id for r in store.for_platform(LIVE).sends_with_manifest("h" * 64)] == [live]
    assert [r.id for r in store.for_platform("sandbox").list_sends()] == [rehearsal]


def test_a_dispatch_id_on_both_platforms_is_two_dispatches_and_refresh_asks_only_its_own(store, client):
    send_id = record_send(store.for_platform("sandbox"), client)
    [sandbox_id] = [c.dispatch_id for c in store.get_send(send_id).chunks]
    live_send_with_dispatch(store, sandbox_id)

    with store.read() as conn:
        rows = conn.execute(select(s.dispatches.c.platform).where(s.dispatches.c.dispatch_id == sandbox_id)).scalars()
        assert sorted(rows) == [LIVE, "sandbox"]
    assert [p.platform for p in pending_dispatches(store.for_platform("sandbox"))] == ["sandbox"]

    report = refresh_pending(store.for_platform("sandbox"), client, only_due=False)
    assert report.asked == 1 and report.ok
    with store.read() as conn:
        live_row = conn.execute(
            select(s.dispatches).where(s.dispatches.c.platform == LIVE, s.dispatches.c.dispatch_id == sandbox_id)
        ).mappings().one()
    assert live_row["last_refreshed_at"] is None and live_row["raw_json"] is None  # the sandbox's answer stayed out


def test_two_refreshers_recording_the_same_change_at_once_leave_one_snapshot(store, client):
    send_id = record_send(store, client)
    [dispatch_id] = [c.dispatch_id for c in store.get_send(send_id).chunks]
    answer = client.get_dispatch(dispatch_id)
    second_done = threading.Event()

    def second_refresher():
        with store.write() as conn:  # waits for the first one's lock (SQLite) or row lock (PostgreSQL)
            apply_dispatch(conn, answer, answer.created_at, platform="sandbox")
        second_done.set()

    with store.write() as conn:
        assert apply_dispatch(conn, answer, answer.created_at, platform="sandbox")[0]
        other = threading.Thread(target=second_refresher)
        other.start()
        assert not second_done.wait(0.5)  # it is blocked behind this transaction
    other.join(30)
    assert second_done.is_set()
    with store.read() as conn:
        count = conn.execute(
            select(func.count()).select_from(s.dispatch_snapshots).where(s.dispatch_snapshots.c.dispatch_id == dispatch_id)
        ).scalar()
    assert count == 1


@pytest.mark.parametrize(
    ("env", "database_url"),
    [
        ({}, SANDBOX_DATABASE_URL),
        ({"MESSAGING_API_URL": LIVE, "MESSAGING_API_USER": "u", "MESSAGING_API_PASSWORD": "p"}, LIVE_DATABASE_URL),
        ({"DATABASE_URL": "postgresql+psycopg://db/console"}, "postgresql+psycopg://db/console"),
    ],
)
def test_sandbox_and_live_keep_separate_database_files_unless_one_is_configured(env, database_url, tmp_path):
    assert load_settings(env=env, secrets_path=tmp_path / "none.toml").database_url == database_url
    assert SANDBOX_DATABASE_URL != LIVE_DATABASE_URL and "data/sandbox/console.db" in SANDBOX_DATABASE_URL


def test_a_sandbox_that_cannot_be_refreshed_does_not_flag_the_live_platform(store, client, sandbox):
    rehearsal = store.for_platform("sandbox")
    record_send(rehearsal, client)
    with MessagingClient(sandbox.url, SANDBOX_USER, "wrong", get_retries=0) as wrong:
        assert not refresh_pending(rehearsal, wrong, only_due=False).ok
    assert refresh_health(rehearsal).failing
    assert not refresh_health(store.for_platform(LIVE)).failing
