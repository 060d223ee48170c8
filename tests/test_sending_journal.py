"""The database is locked between a POST and the write of its result: the answer is retried, then
journalled beside the database, the dispatch id printed, exit 5; the next start replays it.

The lock is real (another SQLite connection holds the write lock longer than the retries last) and
the HTTP side is the real sandbox."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import pytest

import lib.cli.send as send_cli
import lib.sending.engine as engine_module
from lib.history.store import close_all_stores, open_store
from lib.sending.engine import ResultNotRecorded, replay_journal
from lib.sending.journal import ResultJournal, journal_path_for
from lib.sending.status import ChunkStatus
from lib.settings import load_settings
from lib.templates import load_catalog
from tests.conftest import SANDBOX_PASSWORD, SANDBOX_USER
from tests.support_worker import big_manifest, make_engine, new_client, sandbox_received, wait_for

QUICK = 0.1  # SQLite gives up on a lock after 0.1 s (not 15 s): the stores below are opened with it


@pytest.fixture
def quick_lock_errors(monkeypatch):
    """The engine retries a refused result for 0.5 s (not 10 s), so the test is quick."""
    close_all_stores()
    monkeypatch.setattr(engine_module, "RECORD_RETRY_SECONDS", 0.5)
    yield
    close_all_stores()


def db_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def lock_while_posting(url: str, store, release: threading.Event) -> threading.Thread:
    """Once a chunk is being posted, take the database's write lock until `release` is set."""

    def hold():
        def posting():
            detail = store.get_send(1)
            return detail is not None and any(c.status is ChunkStatus.POSTING for c in detail.chunks)

        wait_for(posting, 30, "a POST")
        db = sqlite3.connect(db_path(url), timeout=30, isolation_level=None)
        db.execute("BEGIN IMMEDIATE")
        release.wait(60)
        db.execute("ROLLBACK")
        db.close()

    thread = threading.Thread(target=hold)
    thread.start()
    return thread


def test_a_result_the_locked_database_refuses_is_journalled_then_replayed(tmp_path, sandbox, quick_lock_errors):
    url = f"sqlite:///{tmp_path / 'console.db'}"
    store = open_store(url, shared=False, busy_timeout=QUICK)
    sandbox.set_knobs(response_delay_seconds=0.5)  # time to take the lock while the POST is in flight
    release = threading.Event()
    locker = lock_while_posting(url, store, release)
    try:
        with new_client(sandbox.url) as client, pytest.raises(ResultNotRecorded) as caught:
            make_engine(store, client).submit(big_manifest(4, tag="J"))
    finally:
        release.set()
        locker.join(30)
    [dispatch_id] = _sandbox_dispatch_ids(sandbox)
    assert caught.value.dispatch_id == dispatch_id and str(dispatch_id) in str(caught.value)
    journal = ResultJournal(journal_path_for(url))
    assert journal.path == tmp_path / "console.db.results-journal.jsonl"
    [entry] = [json.loads(line) for line in journal.path.read_text().splitlines()]
    assert (entry["send_id"], entry["seq"], entry["status"], entry["dispatch_id"]) == (1, 1, "accepted", dispatch_id)
    assert [c.status for c in store.get_send(1).chunks] == ["posting", "pending"]  # nothing more was posted

    assert replay_journal(store) == 1
    assert journal.path.read_text() == ""  # emptied only after the replay was written
    assert replay_journal(store) == 0
    [first, second] = store.get_send(1).chunks
    assert (first.status, first.dispatch_id, first.total_recipients_sent) == ("accepted", dispatch_id, 2)
    sandbox.set_knobs(response_delay_seconds=0)
    with new_client(sandbox.url) as client:
        resumed = make_engine(store, client).resume(1)
    assert resumed.complete and resumed.dispatch_ids[0] == dispatch_id
    received = sandbox_received(sandbox)
    assert len(received) == 4 and set(received.values()) == {1}
    store.engine.dispose()


def test_replaying_twice_or_after_a_takeover_writes_the_answer_once(tmp_path, sandbox):
    url = f"sqlite:///{tmp_path / 'console.db'}"
    store = open_store(url)
    with new_client(sandbox.url) as client:
        engine = make_engine(store, client)
        send_id = engine.enqueue(big_manifest(2, tag="T"))
    chunk = store.get_send(send_id).chunks[0]
    store.move_chunk(chunk.id, expected=ChunkStatus.PENDING, new=ChunkStatus.POSTING)
    entry = {
        "send_id": send_id, "chunk_id": chunk.id, "seq": 1, "status": "accepted", "dispatch_id": 424242,
        "fields": {"dispatch_id": 424242, "total_recipients_sent": 2, "invalid_recipients": 0, "invalid_json": None,
                   "error_message": None},
        "dispatch": {"dispatch_id": 424242, "send_id": send_id, "chunk_id": chunk.id, "template_id": 71,
                     "message_type_id": 1, "total_recipients": 2, "send_status_id": 1, "is_test": False,
                     "created_at": "2026-12-01T10:00:00+00:00", "send_at": None},
        "at": "2026-12-01T10:00:00+00:00",
    }  # fmt: skip
    journal = ResultJournal(journal_path_for(url))
    journal.append(entry)
    journal.append(entry)  # the same answer twice (a replay cut short, then run again)
    store.claim_send("new-worker", engine.lease)  # a takeover first: the chunk is now unknown
    assert store.get_chunk(chunk.id).status is ChunkStatus.UNKNOWN
    assert replay_journal(store) == 2
    after = store.get_chunk(chunk.id)
    assert (after.status, after.dispatch_id) == ("accepted", 424242)  # the platform's own answer wins
    assert engine.outcome(send_id).dispatch_ids == [424242]


def test_a_damaged_last_line_is_kept_aside_not_dropped(tmp_path):
    journal = ResultJournal(tmp_path / "x.results-journal.jsonl")
    journal.path.write_text('{"send_id": 1, "chunk_id": 1, "se', encoding="utf-8")  # cut by a crash mid-write
    assert journal.replay(lambda entry: pytest.fail("nothing whole to apply")) == 0
    assert (tmp_path / "x.results-journal.jsonl.damaged").read_text().startswith('{"send_id": 1')


def test_the_command_line_exits_5_printing_the_dispatch_id_and_the_next_start_replays(
    tmp_path, sandbox, quick_lock_errors, capsys
):
    url = f"sqlite:///{tmp_path / 'history.db'}"
    env = {
        "MESSAGING_API_URL": sandbox.url, "MESSAGING_API_USER": SANDBOX_USER,
        "MESSAGING_API_PASSWORD": SANDBOX_PASSWORD, "DATABASE_URL": url, "CONSOLE_BATCH_SIZE": "2",
        "CONSOLE_DB_BUSY_TIMEOUT": str(QUICK), "CONSOLE_AUTH": "off", "CONSOLE_QUIET_HOURS": "off",
    }  # fmt: skip
    settings = load_settings(env=env, secrets_path=Path("/nonexistent"))
    catalog = open_store(url)
    for template in load_catalog():
        catalog.upsert_template(template)
    rows = "".join(f"C{i},69368622{i:02d},V{i},10 €,31/12/2026\n" for i in range(4))
    (tmp_path / "list.csv").write_text("uniqueId,mobilePhone,voucherCode,voucherAmount,expirationDate\n" + rows)
    send_cli.get_settings = lambda: settings  # restored below
    sandbox.set_knobs(response_delay_seconds=0.5)
    release = threading.Event()
    locker = lock_while_posting(url, catalog, release)
    try:
        code = send_cli.main([str(tmp_path / "list.csv"), "--template", "71", "--yes"])
    finally:
        release.set()
        locker.join(30)
        sandbox.set_knobs(response_delay_seconds=0)
    [dispatch_id] = _sandbox_dispatch_ids(sandbox)
    err = capsys.readouterr().err
    assert code == 5 and f"Dispatch id: {dispatch_id}." in err and "results-journal.jsonl" in err
    code = send_cli.main(["--resume", "1", "--yes"])  # its start replays the journal first
    out = capsys.readouterr().out
    assert code == 0 and "part 2/2 (2 recipients): sent" in out and "part 1/2" not in out
    assert str(dispatch_id) in out
    received = sandbox_received(sandbox)
    assert len(received) == 4 and set(received.values()) == {1}


@pytest.fixture(autouse=True)
def _restore_settings():
    original = send_cli.get_settings
    yield
    send_cli.get_settings = original


def _sandbox_dispatch_ids(sandbox) -> list[int]:
    path = sandbox.config.data_dir / "sandbox.db"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return [i for (i,) in db.execute("SELECT id FROM dispatches ORDER BY id")]


def test_a_worker_stops_on_a_refused_result_and_the_next_worker_replays_it_first(tmp_path, sandbox, quick_lock_errors):
    from lib.sending.worker import Worker

    url = f"sqlite:///{tmp_path / 'console.db'}"
    store = open_store(url, shared=False, busy_timeout=QUICK)
    with new_client(sandbox.url) as client:
        send_id = make_engine(store, client).enqueue(big_manifest(4, tag="W"))
        sandbox.set_knobs(response_delay_seconds=0.5)
        release = threading.Event()
        locker = lock_while_posting(url, store, release)
        stop = threading.Event()
        first = Worker(lambda: make_engine(store, client), "first", poll_seconds=0.05, refresh_every=None)
        try:
            with pytest.raises(ResultNotRecorded) as caught:
                first.run_forever(stop)
        finally:
            release.set()
            locker.join(30)
            sandbox.set_knobs(response_delay_seconds=0)
        assert stop.is_set()  # it stopped: nothing more is posted while an answer is unwritten
        [dispatch_id] = _sandbox_dispatch_ids(sandbox)
        assert caught.value.dispatch_id == dispatch_id
        assert [c.status for c in store.get_send(send_id).chunks] == ["posting", "pending"]

        second = Worker(lambda: make_engine(store, client), "second", poll_seconds=0.05, refresh_every=None)
        stop = threading.Event()
        thread = threading.Thread(target=second.run_forever, args=(stop,))
        thread.start()
        try:
            wait_for(lambda: store.get_send(send_id).send.queue_state == "done", 30, "the second worker to finish")
        finally:
            stop.set()
            thread.join(30)
    chunks = store.get_send(send_id).chunks
    assert [c.status for c in chunks] == ["accepted", "accepted"] and chunks[0].dispatch_id == dispatch_id
    received = sandbox_received(sandbox)
    assert len(received) == 4 and set(received.values()) == {1}
    store.engine.dispose()


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:////srv/console/history.db", "/srv/console/history.db.results-journal.jsonl"),
        ("sqlite:///data/history.db", "data/history.db.results-journal.jsonl"),
        ("postgresql+psycopg://console:pw@db.example:5432/console", "data/db.example_5432_console.results-journal.jsonl"),
        ("postgresql+psycopg://console@127.0.0.1/team", "data/127.0.0.1__team.results-journal.jsonl"),
        ("sqlite://", "data/local__db.results-journal.jsonl"),
    ],
)
def test_the_journal_lives_beside_the_database_or_under_data(url, path):
    assert journal_path_for(url) == Path(path)
    assert "pw" not in str(journal_path_for(url))
