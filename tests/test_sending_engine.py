"""The send engine against the real sandbox over HTTP: chunks, never twice, failures, crash and resume."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import select, update

from lib import i18n
from lib.history import schema
from lib.history.store import SendRecord, StoredRecipient, close_all_stores, open_store
from lib.messaging.client import MessagingClient
from lib.personalization.tags import parse_template
from lib.sending.engine import ChunkProgress, ChunkResult, DuplicateSend, SendEngine, SendError, _headline, _totals
from lib.sending.manifest import ManifestRecipient, SendManifest, build_manifest
from lib.sending.status import ChunkStatus
from lib.templates import load_catalog
from tests.conftest import SANDBOX_PASSWORD, SANDBOX_USER

PROMO = next(t for t in load_catalog() if t.id == 71)


@pytest.fixture
def db_url(database_url):
    """The engine's tests run on SQLite and on PostgreSQL (the team store)."""
    yield database_url
    close_all_stores()


@pytest.fixture
def store(db_url):
    return open_store(db_url)


def make_engine(store, client, batch_size=2, **kw):
    return SendEngine(
        store,
        client,
        batch_size=batch_size,
        platform_url=kw.pop("platform_url", client.base_url),
        is_sandbox=True,
        operator="maria",
        **kw,
    )


def new_client(url, *, password=SANDBOX_PASSWORD, read_timeout=5.0):
    return MessagingClient(url, SANDBOX_USER, password, connect_timeout=1.0, read_timeout=read_timeout)


def recipients_frame(n=5, mobiles=None):
    return pd.DataFrame(
        {
            "uniqueId": [f"CUST{i}" for i in range(n)],
            "mobilePhone": mobiles or [f"+3069{36000000 + i}" for i in range(n)],
            "email": [None] * n,
            "cardNumber": [None] * n,
            "voucherCode": [f"V{i}" for i in range(n)],
            "voucherAmount": ["10 €"] * n,
            "expirationDate": ["31/12/2026"] * n,
        },
        index=range(2, n + 2),
        dtype="string",
    )


def manifest(n=5, **kw):
    return build_manifest(PROMO, recipients_frame(n, **kw), schedule_at=None)


def expected_messages(m: SendManifest):
    body = parse_template(PROMO.body)
    return sorted((r.unique_id, r.destination, body.render(dict(r.payload))) for r in m.recipients)


def settled_outbox(sandbox, client, dispatch_ids, timeout=15.0):
    """The outbox once every given dispatch is final (so no more of their messages can appear)."""
    deadline = time.monotonic() + timeout
    while not all(client.get_dispatch(d).is_final for d in dispatch_ids):
        assert time.monotonic() < deadline, "dispatches did not settle in time"
        time.sleep(0.05)
    return [(m["uniqueId"], m["to"], m["text"]) for m in sandbox.outbox()]


def stored_dispatch_ids(store):
    with store.read() as conn:
        return sorted(conn.execute(select(schema.dispatches.c.dispatch_id)).scalars())


# ---- the happy path --------------------------------------------------------------------------


def test_each_chunk_is_posted_once_and_the_outbox_holds_exactly_the_manifest(store, client, sandbox):
    m = manifest(5)
    events: list[ChunkProgress] = []
    outcome = make_engine(store, client).submit(m, on_progress=events.append, excluded_recipients=2)

    assert [(c.seq, c.status, c.recipient_count) for c in outcome.chunks] == [
        (1, "accepted", 2),
        (2, "accepted", 2),
        (3, "accepted", 1),
    ]
    assert outcome.headline == "Sent to 5 recipients in 3 dispatches."
    assert outcome.totals.submitted == outcome.totals.accepted == 5
    assert len(set(outcome.dispatch_ids)) == 3
    assert stored_dispatch_ids(store) == sorted(outcome.dispatch_ids)
    assert [(e.seq, e.status) for e in events] == [
        (1, "posting"), (1, "accepted"), (2, "posting"), (2, "accepted"), (3, "posting"), (3, "accepted"),
    ]  # fmt: skip
    assert events[-1].recipients_accepted == 5 and events[-1].chunks_done == 3

    outbox = settled_outbox(sandbox, client, outcome.dispatch_ids)
    assert sorted(outbox) == expected_messages(m)
    send = store.get_send(outcome.send_id).send
    assert (send.state, send.excluded_recipients, send.created_by) == ("accepted", 2, "maria")


def test_a_scheduled_send_says_when(store, client):
    at = (datetime.now(client.tz) + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    m = build_manifest(PROMO, recipients_frame(2), schedule_at=at)
    outcome = make_engine(store, client).submit(m)
    assert outcome.headline == f"Scheduled for {at.day} {at:%b} at 10:00 to 2 recipients in 1 dispatch."
    assert outcome.send.schedule_at == at


def test_recipients_the_platform_refuses_are_traced_back_to_their_rows(store, client):
    mobiles = ["+306936000000", "+306936000001", "+35799123456", "+306936000003"]  # row 4: Cyprus, not allowed
    outcome = make_engine(store, client).submit(manifest(4, mobiles=mobiles))
    assert outcome.complete
    assert [(i.unique_id, i.row_number, i.destination) for i in outcome.platform_rejected_recipients] == [
        ("CUST2", 4, "+35799123456")
    ]
    assert outcome.totals.accepted == 3 and outcome.totals.platform_invalid == 1
    assert outcome.headline == "Sent to 3 recipients in 2 dispatches; the platform refused 1 recipient as invalid."


# ---- never twice -----------------------------------------------------------------------------


def test_the_same_manifest_is_refused_naming_the_earlier_send(store, client, sandbox):
    engine = make_engine(store, client)
    first = engine.submit(manifest(3))
    with pytest.raises(DuplicateSend) as caught:
        engine.submit(manifest(3))  # the same file again
    assert caught.value.previous_send_id == first.send_id
    assert f"(send #{first.send_id}, by maria, 3 recipients)" in str(caught.value)
    assert "already sent on" in str(caught.value)
    assert [s.id for s in engine.find_previous_sends(manifest(3))] == [first.send_id]
    assert len(store.list_sends()) == 1
    assert sorted(settled_outbox(sandbox, client, first.dispatch_ids)) == expected_messages(manifest(3))


def test_an_override_naming_the_earlier_send_works_once(store, client, sandbox):
    engine = make_engine(store, client)
    first = engine.submit(manifest(3))
    again = engine.submit(manifest(3), resend_of=first.send_id)
    assert again.complete and again.send.resend_of == first.send_id
    with pytest.raises(DuplicateSend) as caught:
        engine.submit(manifest(3), resend_of=first.send_id)
    assert caught.value.previous_send_id == again.send_id  # the next override must name the latest send
    with pytest.raises(SendError, match="different list"):
        engine.submit(manifest(4), resend_of=first.send_id)
    with pytest.raises(SendError, match="no send #99"):
        engine.submit(manifest(3), resend_of=99)
    outbox = settled_outbox(sandbox, client, first.dispatch_ids + again.dispatch_ids)
    assert sorted(outbox) == sorted(expected_messages(manifest(3)) * 2)


def test_test_sends_may_be_repeated(store, client):
    engine = make_engine(store, client)
    assert engine.submit(manifest(1), is_test=True).complete
    assert engine.submit(manifest(1), is_test=True).complete
    assert engine.submit(manifest(1)).complete  # a test does not block the real send


def test_two_simultaneous_submissions_make_one_send(db_url, sandbox):
    m = manifest(6)
    open_store(db_url)  # the console's database exists before anyone sends
    barrier = threading.Barrier(2, timeout=30)  # a thread that fails early must not hang the other
    results = []

    def submit():
        store = open_store(db_url, shared=False)  # its own connections, like a second process
        try:
            with new_client(sandbox.url) as client:
                engine = make_engine(store, client)
                barrier.wait()
                results.append(engine.submit(m))
        except Exception as exc:  # DuplicateSend is expected; anything else fails the assertion below
            results.append(exc)
        finally:
            store.engine.dispose()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(isinstance(r, DuplicateSend) or not isinstance(r, Exception) for r in results), results
    sent = [r for r in results if not isinstance(r, DuplicateSend)]
    refused = [r for r in results if isinstance(r, DuplicateSend)]
    assert len(sent) == 1 and len(refused) == 1
    assert refused[0].previous_send_id == sent[0].send_id
    with new_client(sandbox.url) as client:
        assert sorted(settled_outbox(sandbox, client, sent[0].dispatch_ids)) == expected_messages(m)


# ---- failures --------------------------------------------------------------------------------


def test_a_read_timeout_leaves_the_chunk_unknown_stops_and_resume_never_resends_it(store, sandbox):
    m = manifest(5)
    sandbox.set_knobs(response_delay_seconds=1.5)
    with new_client(sandbox.url, read_timeout=0.5) as slow:
        outcome = make_engine(store, slow).submit(m)
    assert [c.status for c in outcome.chunks] == ["unknown", "pending", "pending"]
    assert outcome.has_unknown and outcome.can_resume
    assert [r.unique_id for r in outcome.uncertain_recipients] == ["CUST0", "CUST1"]
    assert outcome.headline.startswith("1 of 3 parts may or may not have gone out: 2 recipients (rows 2–3).")
    assert (outcome.totals.unknown, outcome.totals.pending) == (2, 3)

    sandbox.set_knobs(response_delay_seconds=0)
    with new_client(sandbox.url) as client:
        resumed = make_engine(store, client).resume(outcome.send_id)
        assert [c.status for c in resumed.chunks] == ["unknown", "accepted", "accepted"]
        assert [c.attempts for c in resumed.chunks] == [1, 1, 1]
        outbox = sandbox.wait_for_outbox(5)
        settled = settled_outbox(sandbox, client, resumed.dispatch_ids)
    # The unknown chunk did reach the sandbox (its dispatch was created before the delay): each
    # customer got the message exactly once, because the engine never posted chunk 1 again.
    assert len(outbox) >= 5 and sorted(settled) == expected_messages(m)


def test_connection_refused_leaves_the_chunk_pending_and_resume_sends_everything(store, sandbox):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead_url = f"http://127.0.0.1:{s.getsockname()[1]}"
    m = manifest(3)
    with new_client(dead_url) as dead:
        outcome = make_engine(store, dead).submit(m)
    assert [c.status for c in outcome.chunks] == ["pending", "pending"]
    assert "Could not reach the platform" in outcome.chunks[0].error
    assert "Resume send #1" in outcome.headline and not outcome.has_unknown
    with new_client(sandbox.url) as client:
        resumed = make_engine(store, client).resume(outcome.send_id)
        assert resumed.complete and resumed.headline == "Sent to 3 recipients in 2 dispatches."
        assert sorted(settled_outbox(sandbox, client, resumed.dispatch_ids)) == expected_messages(m)


def test_a_chunk_the_platform_refuses_is_rejected_and_the_next_chunks_still_go(store, client, sandbox):
    good = manifest(5)
    people = list(good.recipients)
    people[3] = replace(people[3], unique_id=people[2].unique_id)  # chunk 2 now breaks the platform's rule
    broken = replace(good, recipients=tuple(people), hash="b" * 64)
    outcome = make_engine(store, client).submit(broken)
    assert [c.status for c in outcome.chunks] == ["accepted", "rejected", "accepted"]
    assert "The platform refused the request" in outcome.chunks[1].error
    assert "1 of 3 parts was refused by the platform" in outcome.headline
    assert [r.row_number for r in outcome.chunks[1].recipients] == [4, 5]


@pytest.mark.parametrize(
    ("template_id", "password", "says"),
    [
        (999, SANDBOX_PASSWORD, "no template 999"),
        (71, "wrong-password", "refused the user name and password"),
    ],
)
def test_refusals_that_would_hit_every_chunk_stop_the_send(store, sandbox, template_id, password, says):
    m = replace(manifest(5), template_id=template_id)
    with new_client(sandbox.url, password=password) as client:
        outcome = make_engine(store, client).submit(m)
    assert [c.status for c in outcome.chunks] == ["rejected", "pending", "pending"]
    assert says in outcome.chunks[0].error
    assert sandbox.outbox() == []


# ---- crash safety ----------------------------------------------------------------------------


class ProcessKilled(BaseException):
    """Stands in for the process dying: not an Exception, so nothing may swallow it."""


def test_a_process_killed_between_chunks_leaves_accurate_state_and_resume_sends_only_the_rest(db_url, sandbox):
    m = manifest(5)

    def die_after_first_chunk(progress: ChunkProgress):
        if progress.status is ChunkStatus.ACCEPTED:
            raise ProcessKilled

    first_store = open_store(db_url, shared=False)
    with new_client(sandbox.url) as client, pytest.raises(ProcessKilled):
        make_engine(first_store, client).submit(m, on_progress=die_after_first_chunk)
    first_store.engine.dispose()

    restarted = open_store(db_url, shared=False)  # a new process on the same file
    with new_client(sandbox.url) as client:
        engine = make_engine(restarted, client)
        before = engine.outcome(1)
        assert [c.status for c in before.chunks] == ["accepted", "pending", "pending"]
        assert before.send.state == "partial" and before.totals.accepted == 2
        with pytest.raises(DuplicateSend, match="already sent on .*2 recipients so far"):
            engine.submit(m)
        after = engine.resume(1)
        assert after.complete and len(after.dispatch_ids) == 3
        assert sorted(settled_outbox(sandbox, client, after.dispatch_ids)) == expected_messages(m)
    restarted.engine.dispose()


def test_a_chunk_left_posting_is_reported_unknown_and_not_resent(store, client, sandbox):
    m = manifest(4)

    def die_during_second_post(progress: ChunkProgress):
        if progress.seq == 2 and progress.status is ChunkStatus.POSTING:
            raise ProcessKilled

    engine = make_engine(store, client, stale_posting_after=timedelta(seconds=5))
    with pytest.raises(ProcessKilled):
        engine.submit(m, on_progress=die_during_second_post)
    # The callback runs before the status write, so chunk 2 is still pending; make it look like
    # the process died during the POST itself, an hour ago.
    with store.write() as conn:
        conn.execute(
            update(schema.chunks)
            .where(schema.chunks.c.seq == 2)
            .values(status="posting", updated_at=datetime.now().astimezone() - timedelta(hours=1))
        )
    shown = engine.outcome(1)
    assert shown.totals.unknown == 2 and shown.has_unknown
    assert shown.headline.startswith("1 of 2 parts may or may not have gone out: 2 recipients (rows 4–5).")
    resumed = engine.resume(1)
    assert [c.status for c in resumed.chunks] == ["accepted", "unknown"]
    assert "stopped while this part was being sent" in resumed.chunks[1].error
    outbox = settled_outbox(sandbox, client, resumed.dispatch_ids)
    assert sorted(outbox) == expected_messages(m)[:2]


def test_resume_with_include_unknown_resends_the_unknown_chunk(store, sandbox):
    m = manifest(2)
    sandbox.set_knobs(response_delay_seconds=1.0)
    with new_client(sandbox.url, read_timeout=0.3) as slow:
        outcome = make_engine(store, slow).submit(m)
    assert [c.status for c in outcome.chunks] == ["unknown"]
    sandbox.set_knobs(response_delay_seconds=0)
    with new_client(sandbox.url) as client:
        engine = make_engine(store, client)
        assert engine.resume(1).chunks[0].status == "unknown"  # not without the explicit decision
        assert engine.resume(1, include_unknown=True).complete


# ---- what is stored --------------------------------------------------------------------------


def test_credentials_never_reach_the_database(store, client, db_url):
    url_with_password = client.base_url.replace("http://", f"http://{SANDBOX_USER}:{SANDBOX_PASSWORD}@")
    outcome = make_engine(store, client, platform_url=url_with_password).submit(manifest(3))
    assert outcome.complete and "@" not in outcome.send.platform_url
    if not db_url.startswith("sqlite"):  # PostgreSQL: no file to read; the stored record is checked above
        return
    close_all_stores()  # checkpoint the WAL into the file
    path = Path(db_url.removeprefix("sqlite:///"))
    for file in path.parent.glob(path.name + "*"):
        assert SANDBOX_PASSWORD.encode() not in file.read_bytes()


def test_resume_refuses_a_send_that_does_not_exist(store, client):
    with pytest.raises(SendError, match="no send #7"):
        make_engine(store, client).resume(7)


def test_an_empty_manifest_is_refused_before_anything_is_recorded(store, client):
    with pytest.raises(SendError, match="no one to send to"):
        make_engine(store, client).submit(replace(manifest(1), recipients=()))
    assert store.list_sends() == []


def test_manifest_recipients_round_trip_through_the_store(store, client):
    m = SendManifest(71, "Promo", PROMO.channel, None, (ManifestRecipient(9, "X", "+306936000009", "C9", (("voucherCode", "A"), ("voucherAmount", "1"), ("expirationDate", "x"))),), "c" * 64)  # fmt: skip
    outcome = make_engine(store, client).submit(m)
    assert outcome.complete
    [stored] = store.chunk_recipients(outcome.chunks[0].chunk_id)
    assert (stored.row_number, stored.card_number, stored.payload["voucherCode"]) == (9, "C9", "A")


# ---- a platform that answers 5xx ---------------------------------------------------------------


class _FailingPlatform(http.server.BaseHTTPRequestHandler):
    status = 500
    body = b'{"error": "Internal error", "errorCode": 99}'

    def do_POST(self):  # noqa: N802 - the stdlib's name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


PARSE_REFUSAL = b'{"error": "No object was posted or posted object could not be parsed", "errorCode": 2}'


@pytest.mark.parametrize(
    ("status", "body", "chunk_status"),
    [
        (500, _FailingPlatform.body, "unknown"),  # the platform may have created the dispatch before failing
        (503, _FailingPlatform.body, "unknown"),
        (502, _FailingPlatform.body, "unknown"),  # a gateway may have passed the send on before failing
        (504, _FailingPlatform.body, "unknown"),
        (500, PARSE_REFUSAL, "rejected"),  # the platform's own refusal of the body: nothing was acted on
    ],
)
def test_server_errors_stop_the_send_as_the_client_judges_them(store, status, body, chunk_status):
    handler = type("Handler", (_FailingPlatform,), {"status": status, "body": body})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with new_client(f"http://127.0.0.1:{server.server_address[1]}") as client:
            outcome = make_engine(store, client).submit(manifest(3))
    finally:
        server.shutdown()
        server.server_close()
    assert [c.status for c in outcome.chunks] == [chunk_status, "pending"]
    assert str(status) in outcome.chunks[0].error


# ---- the headline in Greek ------------------------------------------------------------------

ATHENS = ZoneInfo("Europe/Athens")


def _send(**kw) -> SendRecord:
    base = dict(
        id=7, manifest_hash="h", claim="h", template_id=71, template_name="Promo", channel="sms", schedule_at=None,
        created_at=datetime(2026, 12, 1, 8, 0, tzinfo=UTC), created_by="maria", platform_url="http://sandbox",
        is_sandbox=True, is_test=False, resend_of=None, total_recipients=0, excluded_recipients=0,
        estimated_parts=None, estimated_cost=None, batch_size=2,
    )  # fmt: skip
    return SendRecord(**(base | kw))


def _chunk(seq, status, count, *, sent=None, rows=(), error=None) -> ChunkResult:
    people = tuple(StoredRecipient(seq, i, f"C{r}", r, "+30693600000", None, {}) for i, r in enumerate(rows))
    return ChunkResult(seq=seq, chunk_id=seq, status=ChunkStatus(status), dispatch_id=180000 + seq if sent else None,
                       recipient_count=count, recipients=people, total_recipients_sent=sent, invalids=(),
                       error=error, attempts=1)  # fmt: skip


def _headline_in(lang, chunks, unit="chunks", **send):
    total = sum(c.recipient_count for c in chunks)
    with i18n.language(lang):
        return _headline(_send(total_recipients=total, **send), chunks, _totals(total, chunks), ATHENS, unit)


@pytest.mark.parametrize(
    ("chunks", "greek", "english"),
    [
        ([_chunk(1, "accepted", 1, sent=1)],
         "Στάλθηκε σε 1 παραλήπτη, σε 1 παρτίδα.", "Sent to 1 recipient in 1 dispatch."),
        ([_chunk(1, "accepted", 2, sent=2)],
         "Στάλθηκε σε 2 παραλήπτες, σε 1 παρτίδα.", "Sent to 2 recipients in 1 dispatch."),
        ([_chunk(1, "accepted", 2, sent=1)],
         "Στάλθηκε σε 1 παραλήπτη, σε 1 παρτίδα· η πλατφόρμα απέρριψε 1 παραλήπτη ως μη έγκυρο.",
         "Sent to 1 recipient in 1 dispatch; the platform refused 1 recipient as invalid."),
        ([_chunk(1, "unknown", 1, rows=(2,)), _chunk(2, "pending", 1)],
         "Για 1 από 2 μέρη δεν είναι γνωστό αν στάλθηκε: 1 παραλήπτης μπορεί να το έλαβε ή να μην το έλαβε "
         "(γραμμή 2). Ελέγξτε τη σελίδα «Ιστορικό αποστολών» πριν τους ξαναστείλετε. 1 από 2 μέρη (1 παραλήπτης) "
         "δεν στάλθηκε ακόμη. Συνεχίστε την αποστολή #7 για να σταλεί ό,τι δεν στάλθηκε.",
         "1 of 2 parts may or may not have gone out: 1 recipient (row 2). Check the Dispatches page before "
         "sending to them again. 1 of 2 parts (1 recipient) was not sent yet. Resume send #7 to send what did "
         "not go out."),
        ([_chunk(1, "unknown", 2, rows=(2, 3)), _chunk(2, "unknown", 2, rows=(5, 6))],
         "Για 2 από 2 μέρη δεν είναι γνωστό αν στάλθηκαν: 4 παραλήπτες μπορεί να το έλαβαν ή να μην το έλαβαν "
         "(γραμμές 2–3, 5–6). Ελέγξτε τη σελίδα «Ιστορικό αποστολών» πριν τους ξαναστείλετε.",
         "2 of 2 parts may or may not have gone out: 4 recipients (rows 2–3, 5–6). Check the Dispatches page "
         "before sending to them again."),
        ([_chunk(1, "accepted", 2, sent=2), _chunk(2, "rejected", 1, error="Η πλατφόρμα απέρριψε το αίτημα")],
         "1 από 2 μέρη στάλθηκε σε 2 παραλήπτες. 1 από 2 μέρη απορρίφθηκε από την πλατφόρμα: "
         "Η πλατφόρμα απέρριψε το αίτημα. Συνεχίστε την αποστολή #7 για να σταλεί ό,τι δεν στάλθηκε.",
         "1 of 2 parts went out to 2 recipients. 1 of 2 parts was refused by the platform: Η πλατφόρμα "
         "απέρριψε το αίτημα. Resume send #7 to send what did not go out."),
    ],
)  # fmt: skip
def test_the_headline_in_greek_and_english(chunks, greek, english):
    assert _headline_in("el", chunks) == greek
    assert _headline_in("en", chunks) == english


def test_a_scheduled_send_says_when_in_greek():
    at = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)  # 10:00 in Athens
    chunks = [_chunk(1, "accepted", 1, sent=1)]
    assert _headline_in("el", chunks, schedule_at=at) == "Προγραμματίστηκε για 3 Δεκ στις 10:00, σε 1 παραλήπτη, σε 1 παρτίδα."
    assert _headline_in("en", chunks, schedule_at=at) == "Scheduled for 3 Dec at 10:00 to 1 recipient in 1 dispatch."


def test_a_page_reads_parts_where_the_command_line_reads_chunks():
    chunks = [_chunk(1, "left_out", 2), _chunk(2, "accepted", 1, sent=1)]
    assert _headline_in("el", chunks, unit="parts") == (
        "1 από 2 μέρη στάλθηκε σε 1 παραλήπτη. Σε 1 από 2 μέρη εξαιρέθηκαν όλοι οι παραλήπτες, οπότε δεν στάλθηκε."
    )
    assert _headline_in("en", chunks, unit="parts") == (
        "1 of 2 parts went out to 1 recipient. 1 of 2 parts had everyone left out, so it was not sent."
    )


def test_a_send_submitted_and_read_in_greek_says_so_in_greek(store, client):
    with i18n.language("el"):
        outcome = make_engine(store, client).submit(manifest(1))
    assert outcome.headline == "Στάλθηκε σε 1 παραλήπτη, σε 1 παρτίδα."
    with i18n.language("en"):  # the same send read on the English console
        assert make_engine(store, client).outcome(outcome.send_id).headline == "Sent to 1 recipient in 1 dispatch."


def test_a_duplicate_is_refused_in_the_readers_language(store, client):
    m = manifest(2)
    make_engine(store, client).submit(m)
    with pytest.raises(DuplicateSend) as caught:
        make_engine(store, client).submit(m)
    with i18n.language("el"):
        greek = str(caught.value)
    assert greek.startswith("Αυτή η λίστα με αυτό το πρότυπο στάλθηκε ήδη στις ")
    assert "(αποστολή #1, από maria, 2 παραλήπτες)" in greek and greek.endswith("επανάληψη της αποστολής #1.")
    assert str(caught.value).startswith("This list and template were already sent on ")
