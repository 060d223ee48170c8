"""The send queue and the worker, on SQLite and PostgreSQL, against the real sandbox over HTTP.

Every "posted once" is counted in the sandbox's own records (the recipients it stored per
dispatch), never in ours.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update

from lib import i18n
from lib.history import schema
from lib.history.store import close_all_stores, open_store, utcnow
from lib.sending.engine import DuplicateSend, SendError
from lib.sending.manifest import make_manifest
from lib.sending.status import ChunkStatus
from lib.sending.worker import Worker
from tests.conftest import SANDBOX_PASSWORD, SANDBOX_USER, subprocess_env
from tests.support_worker import PROMO, big_manifest, make_engine, new_client, sandbox_received, wait_for

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _close_stores():
    yield
    close_all_stores()


def enqueue_many(url, sandbox, count, size, batch_size, *, as_live=False):
    store = open_store(url)
    with new_client(sandbox.url) as client:
        engine = make_engine(store, client, batch_size=batch_size, as_live=as_live)
        return [engine.enqueue(big_manifest(size, tag=f"S{i}_")) for i in range(count)]


def drain_with(url, sandbox, *, lease=timedelta(seconds=30)):
    """One worker with its own connections (as another process would have), run until the queue is empty."""
    store = open_store(url, shared=False)
    try:
        with new_client(sandbox.url) as client:
            worker = Worker(lambda: make_engine(store, client, batch_size=3, lease=lease), refresh_every=None)
            claimed = []
            while (send_id := worker.run_once()) is not None:
                claimed.append(send_id)
            return claimed
    finally:
        store.engine.dispose()


def test_enqueue_records_a_queued_send_and_posts_nothing(database_url, sandbox):
    [send_id] = enqueue_many(database_url, sandbox, 1, 5, 2)
    with new_client(sandbox.url) as client:
        outcome = make_engine(open_store(database_url), client).outcome(send_id)
    assert (outcome.progress_state, outcome.finished, outcome.running) == ("queued", False, False)
    assert [c.status for c in outcome.chunks] == ["pending"] * 3
    assert sandbox_received(sandbox) == {}


def test_two_worker_threads_drain_the_queue_and_post_every_send_once(database_url, sandbox):
    send_ids = enqueue_many(database_url, sandbox, 6, 7, 3)
    results: dict[str, list[int]] = {}
    threads = [
        threading.Thread(target=lambda name=name: results.setdefault(name, drain_with(database_url, sandbox)))
        for name in ("a", "b")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(results["a"] + results["b"]) == send_ids  # each send claimed by exactly one worker
    received = sandbox_received(sandbox)
    assert len(received) == 6 * 7 and set(received.values()) == {1}
    store = open_store(database_url)
    for send_id in send_ids:
        detail = store.get_send(send_id)
        assert detail.send.queue_state == "done" and detail.send.lease_owner is None
        assert {c.status for c in detail.chunks} == {ChunkStatus.ACCEPTED}


def worker_process(url, sandbox, *extra):
    env = subprocess_env("MESSAGING_", "CONSOLE_", "DATABASE_URL")
    env.update(
        DATABASE_URL=url, MESSAGING_API_URL=sandbox.url, MESSAGING_API_USER=SANDBOX_USER,
        MESSAGING_API_PASSWORD=SANDBOX_PASSWORD, CONSOLE_BATCH_SIZE="3",
    )  # fmt: skip
    command = [sys.executable, "-m", "lib", "worker", "--no-refresh", "--poll", "0.1", *extra]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_two_worker_processes_drain_the_queue_and_stop_cleanly_on_sigterm(database_url, sandbox):
    send_ids = enqueue_many(database_url, sandbox, 8, 5, 2, as_live=True)
    sandbox_only = enqueue_many(database_url, sandbox, 1, 3, 2)  # another platform's: never theirs
    store = open_store(database_url)
    workers = [worker_process(database_url, sandbox) for _ in range(2)]
    try:
        wait_for(lambda: store.queued_send_ids() == sandbox_only, 90, "the workers to drain the queue", interval=0.2)
        wait_for(lambda: len(store.live_workers(timedelta(seconds=10))) == 2, 30, "both workers' heartbeats")
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        logs = [w.communicate(timeout=30)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], logs
    assert all("stopped" in log for log in logs), logs
    assert sum(log.count("claimed") for log in logs) == len(send_ids)
    received = sandbox_received(sandbox)
    assert len(received) == 8 * 5 and set(received.values()) == {1}
    assert store.live_workers(timedelta(seconds=10)) == []  # they said they stopped


@pytest.mark.parametrize("race", range(20))
def test_two_workers_racing_for_one_send_post_it_once(postgres, sandbox, race):
    url = postgres.create_database(f"race_w_{race}_{os.getpid()}")
    [send_id] = enqueue_many(url, sandbox, 1, 4, 2)
    barrier = threading.Barrier(2, timeout=30)
    claimed = []

    def work():
        store = open_store(url, shared=False)
        try:
            with new_client(sandbox.url) as client:
                worker = Worker(lambda: make_engine(store, client, batch_size=2), refresh_every=None)
                barrier.wait()
                claimed.append(worker.run_once())
        finally:
            store.engine.dispose()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(claimed, key=str) == sorted([send_id, None], key=str)
    received = sandbox_received(sandbox)
    assert len(received) == 4 and set(received.values()) == {1}


@pytest.mark.parametrize("race", range(20))
def test_two_submitters_enqueuing_the_same_list_make_one_send(postgres, sandbox, race):
    url = postgres.create_database(f"race_s_{race}_{os.getpid()}")
    open_store(url)  # the database exists before anyone sends
    manifest = big_manifest(4, tag=f"R{race}_")
    barrier = threading.Barrier(2, timeout=30)
    results = []

    def submit():
        store = open_store(url, shared=False)
        try:
            with new_client(sandbox.url) as client:
                engine = make_engine(store, client)
                barrier.wait()
                results.append(engine.enqueue(manifest))
        except DuplicateSend as refused:
            results.append(refused)
        finally:
            store.engine.dispose()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    sent = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, DuplicateSend)]
    assert len(sent) == 1 and len(refused) == 1 and refused[0].previous_send_id == sent[0]
    assert open_store(url).queued_send_ids() == sent


# ---- takeover ----------------------------------------------------------------------------------


def expire_lease(store, send_id):
    with store.write() as conn:
        conn.execute(
            update(schema.sends).where(schema.sends.c.id == send_id).values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )


def test_a_dead_workers_send_is_taken_over_posting_becomes_unknown_and_pending_goes_out(database_url, sandbox):
    [send_id] = enqueue_many(database_url, sandbox, 1, 6, 2)
    store = open_store(database_url)
    dead = store.claim_send("dead-worker", timedelta(seconds=30))
    first = store.get_send(send_id).chunks[0]
    store.move_chunk(first.id, expected=ChunkStatus.PENDING, new=ChunkStatus.POSTING, count_attempt=True)
    with new_client(sandbox.url) as client:
        worker = Worker(lambda: make_engine(store, client, batch_size=2), refresh_every=None)
        assert worker.run_once() is None  # its lease is still running: nobody takes it
        shown = worker.engine.outcome(send_id)
        assert (shown.progress_state, shown.worker) == ("sending", "dead-worker")
        assert dead.send_id == send_id
        expire_lease(store, send_id)  # time passes: the dead worker's lease runs out
        assert worker.run_once() == send_id
        outcome = worker.engine.outcome(send_id)
    assert [c.status for c in outcome.chunks] == ["unknown", "accepted", "accepted"]
    assert "stopped while this part was being sent" in outcome.chunks[0].error
    assert outcome.finished and not outcome.running
    received = sandbox_received(sandbox)
    assert sorted(received) == [f"S0_{i:06d}" for i in range(2, 6)]  # chunk 1 was never posted again
    assert set(received.values()) == {1}


def test_a_worker_that_lost_its_lease_stops_before_the_next_chunk(database_url, sandbox):
    [send_id] = enqueue_many(database_url, sandbox, 1, 6, 2)
    store = open_store(database_url)
    with new_client(sandbox.url) as client:
        engine = make_engine(store, client)
        claim = store.claim_send("slow-worker", timedelta(seconds=30))

        def stolen(progress):
            if progress.status is ChunkStatus.ACCEPTED and progress.seq == 1:  # another worker takes over now
                store.claim_send("thief", timedelta(seconds=30), send_id=send_id, now=utcnow() + timedelta(hours=1))

        assert engine.post_claimed(claim, on_progress=stolen) is False
    assert [c.status for c in store.get_send(send_id).chunks] == ["accepted", "pending", "pending"]
    assert store.get_send(send_id).send.lease_owner == "thief"


# ---- decisions about unknown chunks -----------------------------------------------------------


@pytest.fixture
def unknown_send(database_url, sandbox):
    """A send of 4 recipients whose first chunk (2) is unknown: the answer came too late."""
    store = open_store(database_url)
    sandbox.set_knobs(response_delay_seconds=1.0)
    with new_client(sandbox.url, read_timeout=0.3) as slow:
        outcome = make_engine(store, slow).submit(big_manifest(4, tag="U"))
    sandbox.set_knobs(response_delay_seconds=0)
    assert [c.status for c in outcome.chunks] == ["unknown", "pending"]
    return store, outcome.send_id


def test_mark_as_sent_is_final_recorded_with_the_name_and_the_rest_can_be_resumed(unknown_send, sandbox):
    store, send_id = unknown_send
    with new_client(sandbox.url) as client:
        engine = make_engine(store, client)
        assert engine.decide_unknown(send_id, 1, "marked_sent", "eleni", note="seen on the platform") == "marked_sent"
        with pytest.raises(SendError, match="not in doubt"):
            engine.decide_unknown(send_id, 1, "resend_at_risk", "eleni")
        assert engine.request_resume(send_id, "eleni") == 1
        assert Worker(lambda: engine, refresh_every=None).run_once() == send_id
        outcome = engine.outcome(send_id)
    assert [c.status for c in outcome.chunks] == ["marked_sent", "accepted"] and outcome.complete
    assert "1 of 2 parts (2 recipients) was marked as sent after checking with the platform." in outcome.headline
    [decision] = store.chunk_decisions(send_id)
    assert (decision["seq"], decision["decision"], decision["decided_by"], decision["note"]) == (
        1, "marked_sent", "eleni", "seen on the platform",
    )  # fmt: skip
    assert set(sandbox_received(sandbox).values()) == {1}  # chunk 1 went out once (before its timeout), never again


@pytest.mark.parametrize("decision", ["marked_not_sent", "resend_at_risk"])
def test_mark_as_not_sent_or_resend_queues_the_chunk_again(unknown_send, sandbox, decision):
    store, send_id = unknown_send
    with new_client(sandbox.url) as client:
        engine = make_engine(store, client)
        assert engine.decide_unknown(send_id, 1, decision, "nikos") == "pending"
        assert engine.outcome(send_id).progress_state == "queued"
        assert Worker(lambda: engine, refresh_every=None).run_once() == send_id
        outcome = engine.outcome(send_id)
    assert [c.status for c in outcome.chunks] == ["accepted", "accepted"]
    assert [(d["decision"], d["decided_by"]) for d in store.chunk_decisions(send_id)] == [(decision, "nikos")]
    # The sandbox did create chunk 1's first dispatch before answering too late: the resend, a
    # person's recorded decision, is the only way anyone gets it twice.
    assert sandbox_received(sandbox)["U000000"] == 2 and sandbox_received(sandbox)["U000002"] == 1


@pytest.mark.parametrize(
    ("seq", "decision", "who", "says"),
    [
        (1, "forget_it", "eleni", "Choose one of"),
        (1, "marked_sent", "  ", "Say who decides"),
        (2, "marked_sent", "eleni", "not in doubt"),
        (9, "marked_sent", "eleni", "has no part 9"),
    ],
)
def test_decisions_that_cannot_be_recorded_are_refused_in_a_sentence(unknown_send, sandbox, seq, decision, who, says):
    store, send_id = unknown_send
    with new_client(sandbox.url) as client, pytest.raises(SendError, match=says):
        make_engine(store, client).decide_unknown(send_id, seq, decision, who)
    assert store.chunk_decisions(send_id) == []


def test_a_decision_is_in_the_audit_trail_with_its_name_or_not_at_all(unknown_send, sandbox):
    from lib import audit

    store, send_id = unknown_send
    with new_client(sandbox.url) as client:
        engine = make_engine(store, client)
        engine.decide_unknown(send_id, 1, "marked_sent", "eleni", note="seen on the platform")
        with pytest.raises(SendError):
            engine.decide_unknown(send_id, 1, "marked_sent", "eleni")  # refused: no second audit row
    with store.read() as conn:
        events = audit.list_events(conn, actions=[audit.AuditAction.SEND_DECISION])
    assert [(e.actor, e.object_type, e.details) for e in events] == [
        ("eleni", "chunk", {"send": send_id, "part": 1, "decision": "marked_sent", "note": "seen on the platform"}),
    ]


def test_refresh_now_makes_the_worker_ask_every_pending_dispatch_not_only_those_due(database_url, sandbox):
    from lib.history import refresh as r

    store = open_store(database_url)
    with new_client(sandbox.url) as client:
        engine = make_engine(store, client, batch_size=10)
        engine.submit(big_manifest(2, tag="R"))
        worker = Worker(lambda: engine, refresh_every=60)
        scoped = store.for_platform(engine.platform)
        assert worker.refresh_once().asked == 1  # first look: due
        assert worker.refresh_once().asked == 0  # just asked: not due again yet
        before = r.refresh_health(scoped).last_attempt_at
        r.request_refresh(scoped)
        stop = threading.Event()
        loop = threading.Thread(target=worker._refresh_loop, args=(stop,), daemon=True)
        loop.start()
        try:
            wait_for(lambda: not r.refresh_requested(scoped), 10, "the worker to take the request")
        finally:
            stop.set()
            loop.join(10)
    # Within a second, not after refresh_every (60 s): the dispatch, not due, was asked anyway.
    assert r.refresh_health(scoped).last_attempt_at > before


# ---- the gate ----------------------------------------------------------------------------------


class LeaveOut:
    """Leaves out everyone in chunk 2 and the first member of chunk 3."""

    def __init__(self):
        self.asked = []

    def admit(self, send, chunk, members):
        self.asked.append(chunk.seq)
        if chunk.seq == 2:
            return []
        return list(members[1:]) if chunk.seq == 3 else list(members)


def test_the_gate_is_asked_before_each_post_and_only_kept_members_are_posted(database_url, sandbox):
    store = open_store(database_url)
    gate = LeaveOut()
    with new_client(sandbox.url) as client:
        outcome = make_engine(store, client, gate=gate).submit(big_manifest(6, tag="G"))
    assert gate.asked == [1, 2, 3]
    assert [c.status for c in outcome.chunks] == ["accepted", "left_out", "accepted"]
    assert outcome.complete and outcome.totals.left_out == 2
    assert sorted(sandbox_received(sandbox)) == ["G000000", "G000001", "G000005"]


# ---- status refresh under its lease ------------------------------------------------------------


def test_only_the_worker_holding_the_refresh_lease_refreshes(database_url, sandbox):
    store = open_store(database_url)
    with new_client(sandbox.url) as client:
        make_engine(store, client).submit(big_manifest(2, tag="F"))
        one = Worker(lambda: make_engine(store, client), "w1")
        two = Worker(lambda: make_engine(store, client), "w2")
        assert one.refresh_once() is not None and two.refresh_once() is None
        assert one.refresh_once() is not None  # renewed by its holder
        store.release_refresh_lease("w1")
        assert two.refresh_once() is not None and one.refresh_once() is None


def test_two_refreshers_writing_the_same_answer_at_once_make_one_snapshot(postgres, sandbox):
    """Transaction A wrote a snapshot and has not committed; B writes the same answer meanwhile. With
    check-then-insert B cannot see A's row and adds a second; insert-or-ignore waits for A and adds none."""
    from lib.history.refresh import apply_dispatch

    url = postgres.create_database(f"snap_{os.getpid()}")
    store = open_store(url)
    with new_client(sandbox.url) as client:
        [dispatch_id] = make_engine(store, client).submit(big_manifest(2, tag="P")).dispatch_ids
        answer = client.get_dispatch(dispatch_id)
    other = open_store(url, shared=False)
    with store.write() as first:
        apply_dispatch(first, answer, utcnow(), platform="sandbox")
        second = threading.Thread(target=lambda: _apply_in(other, answer))
        second.start()
        wait_for(lambda: second_is_waiting(store) or not second.is_alive(), 30, "the second writer to wait or finish")
    second.join(30)
    with store.read() as conn:
        snapshots = conn.execute(
            select(func.count()).select_from(schema.dispatch_snapshots).where(
                schema.dispatch_snapshots.c.dispatch_id == dispatch_id
            )
        ).scalar()
    assert snapshots == 1
    other.engine.dispose()


def _apply_in(store, answer):
    from lib.history.refresh import apply_dispatch

    with store.write() as conn:
        apply_dispatch(conn, answer, utcnow(), platform="sandbox")


def second_is_waiting(store) -> bool:
    with store.engine.connect() as conn:  # outside the open transaction: its own connection
        waiting = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")).scalar()
    return waiting > 0


class AppStopped(BaseException):
    """The app's process going away mid-send (not an Exception: nothing may swallow it)."""


def test_a_send_the_app_started_and_left_half_way_is_finished_by_the_worker(database_url, sandbox):
    store = open_store(database_url)

    def app_goes_away(progress):
        if progress.status is ChunkStatus.ACCEPTED and progress.seq == 2:
            raise AppStopped

    with new_client(sandbox.url) as client:
        with pytest.raises(AppStopped):
            make_engine(store, client).submit(big_manifest(8, tag="A"), on_progress=app_goes_away)
        halfway = make_engine(store, client).outcome(1)
        assert [c.status for c in halfway.chunks] == ["accepted", "accepted", "pending", "pending"]
        assert halfway.progress_state == "queued"  # still in the queue, nobody holding it
        worker = Worker(lambda: make_engine(store, client), refresh_every=None)
        assert worker.run_once() == 1
        done = worker.engine.outcome(1)
    assert done.complete and done.progress_state == "done"
    received = sandbox_received(sandbox)
    assert len(received) == 8 and set(received.values()) == {1}


def test_a_live_worker_keeps_its_short_lease_through_a_slow_post(database_url, sandbox, caplog):
    """The lease (0.6 s) is shorter than each POST (1.5 s): the heartbeat renews it, so the other
    worker never takes the send over and no chunk ends unknown."""
    [send_id] = enqueue_many(database_url, sandbox, 1, 4, 2)
    sandbox.set_knobs(response_delay_seconds=1.5)
    store = open_store(database_url)
    stop = threading.Event()
    threads = []
    for name in ("w1", "w2"):
        own = open_store(database_url, shared=False)
        client = new_client(sandbox.url)
        worker = Worker(lambda s=own, c=client: make_engine(s, c, lease=timedelta(seconds=0.6)), name,
                        poll_seconds=0.05, refresh_every=None)  # fmt: skip
        threads.append(threading.Thread(target=worker.run_forever, args=(stop,)))
    caplog.set_level(logging.INFO, logger="lib.worker")
    for t in threads:
        t.start()
    try:
        wait_for(lambda: store.get_send(send_id).send.queue_state == "done", 60, "the send to finish", 0.1)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert [r.getMessage() for r in caplog.records if "taken over" in r.getMessage()] == []
    assert [c.status for c in store.get_send(send_id).chunks] == ["accepted", "accepted"]
    received = sandbox_received(sandbox)
    assert len(received) == 4 and set(received.values()) == {1}


FAR_AHEAD = timedelta(days=400)  # the sandbox refuses a schedule more than a year ahead (400, in its words)


@pytest.mark.parametrize(
    ("submitted_in", "platform_said"),
    [("el", "Το πεδίο scheduleDate δεν είναι έγκυρο"), ("en", "scheduleDate is not valid")],
)
def test_the_worker_posts_a_send_in_its_submitters_language_so_the_platforms_error_is_in_it_too(
    database_url, sandbox, submitted_in, platform_said
):
    store = open_store(database_url)
    manifest = make_manifest(PROMO, big_manifest(2).recipients, schedule_at=utcnow() + FAR_AHEAD)
    # The person submitting it reads the console in `submitted_in`.
    with new_client(sandbox.url) as client, i18n.language(submitted_in):
        send_id = make_engine(store, client).enqueue(manifest)
    # The worker process runs in the console's default language (English in the tests).
    assert drain_with(database_url, sandbox) == [send_id]
    with new_client(sandbox.url) as client:
        engine = make_engine(store, client)
        with i18n.language(submitted_in):
            [chunk] = engine.outcome(send_id).chunks
    assert chunk.status is ChunkStatus.REJECTED
    ours = {"el": "Η πλατφόρμα απέρριψε το αίτημα: ", "en": "The platform refused the request: "}[submitted_in]
    code = {"el": " (κωδικός σφάλματος 4)", "en": " (error code 4)"}[submitted_in]
    assert chunk.error.startswith(ours + platform_said) and chunk.error.endswith(code)


def test_a_chunks_note_is_read_in_the_readers_language_with_the_platforms_words_as_they_came(database_url, sandbox):
    store = open_store(database_url)
    manifest = make_manifest(PROMO, big_manifest(2).recipients, schedule_at=utcnow() + FAR_AHEAD)
    with new_client(sandbox.url) as client, i18n.language("el"):
        send_id = make_engine(store, client).enqueue(manifest)
    drain_with(database_url, sandbox)
    with new_client(sandbox.url) as client:
        engine = make_engine(store, client)
        with i18n.language("en"):  # a colleague on the English console reads the same send
            [chunk] = engine.outcome(send_id).chunks
            headline = engine.outcome(send_id).headline
    assert chunk.error.startswith("The platform refused the request: Το πεδίο scheduleDate δεν είναι έγκυρο")
    assert headline.startswith("1 of 1 part was refused by the platform: The platform refused the request: Το πεδίο")
