"""Approval of live sends (lib.approvals) on SQLite and PostgreSQL: who may approve or reject which
send, what each decision leaves in the store and the audit trail, expiry, and the worker's queue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from lib import approvals, audit, i18n
from lib.history import schema
from lib.history.store import NewRecipient, close_all_stores, open_store
from lib.settings import Settings
from lib.team import NotAllowed, Person, Role, local_person

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
HASH = "a" * 64
SAM = Person("sam@example.com", "Sam Sender", Role.SENDER)
ANN = Person("ann@example.com", "Ann Approver", Role.APPROVER)
ADA = Person("ada@example.com", "Ada Admin", Role.ADMIN)
VIC = Person("vic@example.com", "Vic Viewer", Role.VIEWER)
SAM_APPROVES = Person("sam@example.com", "Sam Sender", Role.APPROVER)  # a sender who is also an approver
SAM_AS_APPROVER = Person("Sam@Example.com ", "Sam again", Role.ADMIN)  # signed in twice, other case
GONE = Person("old@example.com", "Old Approver", Role.APPROVER, active=False)


@pytest.fixture
def store(database_url):
    yield open_store(database_url)
    close_all_stores()


def awaiting_send(store, *, schedule_at=None, created_by="sam@example.com", manifest_hash=HASH) -> int:
    people = [NewRecipient(f"C{i}", i + 2, f"+30693000{i:04d}", None, (("code", f"V{i}"),)) for i in range(3)]
    return store.create_send(
        manifest_hash=manifest_hash, claim=manifest_hash, template_id=71, template_name="Promo", channel="sms",
        schedule_at=schedule_at, created_by=created_by, platform_url="https://platform.example.com",
        is_sandbox=False, is_test=False, resend_of=None, excluded_recipients=1, estimated_parts=3,
        estimated_cost=Decimal("0.15"), batch_size=2, chunks=[people[:2], people[2:]], now=T0, queued=True,
        awaiting_approval=True, review={"recipients": 3, "manifest_hash": manifest_hash, "template_name": "Promo"},
    )


def state(store, send_id) -> str:
    return store.get_send(send_id).send.queue_state


def decisions(store, send_id) -> list[tuple]:
    return [(d.decision, d.decided_by, d.reason, d.manifest_hash)
            for d in store.approval_decisions([send_id]).get(send_id, [])]


def audit_rows(store) -> list[tuple]:
    """The decisions in the trail (the submission is the first event of every send here)."""
    with store.read() as conn:
        return [(e.actor, e.action, e.object_id, e.details.get("reason"))
                for e in reversed(audit.list_events(conn)) if e.action != "send_submit"]


def test_the_submission_is_in_the_audit_trail_with_the_send(store):
    send_id = awaiting_send(store)
    with store.read() as conn:
        [event] = audit.list_events(conn)
    assert (event.actor, event.action, event.object_id) == ("sam@example.com", "send_submit", str(send_id))
    assert {k: event.details[k] for k in ("awaiting_approval", "manifest_hash", "template_id", "recipient_count",
                                           "left_out")} == {"awaiting_approval": True, "manifest_hash": HASH,
                                                            "template_id": 71, "recipient_count": 3, "left_out": 1}


# ---- who needs approval --------------------------------------------------------------------------

@pytest.mark.parametrize("is_sandbox, is_test, person, recipients, threshold, needed", [
    (False, False, SAM, 1, 0, True),  # default: every live send
    (False, False, SAM, 100, 100, False),  # at the threshold: not more than it
    (False, False, SAM, 101, 100, True),
    (True, False, SAM, 10_000, 0, False),  # sandbox sends never
    (False, True, SAM, 1, 0, False),  # a test to oneself never
    (False, False, local_person("maria"), 10_000, 0, False),  # no sign-in: one local person, no approval
])
def test_which_sends_need_approval(is_sandbox, is_test, person, recipients, threshold, needed):
    settings = Settings(approval_threshold=threshold)
    assert approvals.needs_approval(settings, person, is_sandbox=is_sandbox, recipients=recipients,
                                    is_test=is_test) is needed


# ---- approve and reject: refusals ----------------------------------------------------------------

@pytest.mark.parametrize("approver, seen, when, refusal, error", [
    (SAM_APPROVES, HASH, T0, "Nobody approves their own send", approvals.ApprovalRefused),
    (SAM, HASH, T0, "may not approve or reject a send", NotAllowed),
    (SAM_AS_APPROVER, HASH, T0, "Nobody approves their own send", approvals.ApprovalRefused),
    (VIC, HASH, T0, "may not approve or reject a send", NotAllowed),
    (Person("sue@example.com", "Sue", Role.SENDER), HASH, T0, "may not approve or reject a send", NotAllowed),
    (GONE, HASH, T0, "may not approve or reject a send", NotAllowed),
    (ANN, "b" * 64, T0, "is not the one you looked at", approvals.ApprovalRefused),  # the manifest changed
    (ANN, "", T0, "is not the one you looked at", approvals.ApprovalRefused),
])
def test_approval_is_refused(store, approver, seen, when, refusal, error):
    send_id = awaiting_send(store)
    with pytest.raises(error, match=refusal):
        approvals.approve(store, send_id, approver, seen, now=when)
    assert state(store, send_id) == "awaiting"
    assert decisions(store, send_id) == [] and audit_rows(store) == []


@pytest.mark.parametrize("approver, reason, refusal, error", [
    (SAM_APPROVES, "no", "Nobody approves their own send", approvals.ApprovalRefused),
    (VIC, "no", "may not approve or reject a send", NotAllowed),
    (ANN, "", "Say why the send is rejected", approvals.ApprovalRefused),
    (ANN, "   \n ", "Say why the send is rejected", approvals.ApprovalRefused),
])
def test_rejection_is_refused(store, approver, reason, refusal, error):
    send_id = awaiting_send(store)
    with pytest.raises(error, match=refusal):
        approvals.reject(store, send_id, approver, reason, now=T0)
    assert state(store, send_id) == "awaiting" and decisions(store, send_id) == []


# ---- decisions ---------------------------------------------------------------------------------

@pytest.mark.parametrize("approver", [ANN, ADA])
def test_an_approval_queues_the_send_for_the_worker_and_is_recorded_once(store, approver):
    send_id = awaiting_send(store)
    assert store.claim_send("w1", timedelta(minutes=1), now=T0) is None  # the worker never claims it before
    done = approvals.approve(store, send_id, approver, HASH, now=T0)
    assert done.decision == "approved" and "approved" in str(done.sentence)
    assert state(store, send_id) == "queued"
    assert decisions(store, send_id) == [("approved", approver.email, None, HASH)]
    assert audit_rows(store) == [(approver.email, "send_approve", str(send_id), None)]
    assert store.claim_send("w1", timedelta(minutes=1), now=T0).send_id == send_id
    with pytest.raises(approvals.ApprovalRefused, match="not waiting for approval"):  # a second click, a rerun
        approvals.approve(store, send_id, ADA, HASH, now=T0)
    assert len(decisions(store, send_id)) == 1


def test_a_rejection_keeps_the_reason_for_the_sender_and_never_sends(store):
    send_id = awaiting_send(store)
    approvals.reject(store, send_id, ANN, "  Wrong   list: this is last month's ", now=T0)
    detail = store.get_send(send_id)
    assert detail.send.queue_state == "rejected"
    assert approvals.state_label(detail.send, store.approval_decisions([send_id])[send_id]) == \
        "Rejected: Wrong list: this is last month's"
    assert audit_rows(store) == [("ann@example.com", "send_reject", str(send_id), "Wrong list: this is last month's")]
    assert store.claim_send("w1", timedelta(minutes=1), now=T0) is None
    assert store.requeue_send(send_id, now=T0) is False  # a resume does not bring it back
    with pytest.raises(approvals.ApprovalRefused, match=r"not waiting for approval any more \(rejected"):
        approvals.approve(store, send_id, ADA, HASH, now=T0)


@pytest.mark.parametrize("schedule, now, expired", [
    (T0 + timedelta(hours=1), T0, False),
    (T0 + timedelta(hours=1), T0 + timedelta(hours=1), True),  # at its time: too late
    (T0 + timedelta(hours=1), T0 + timedelta(days=1), True),
    (None, T0 + timedelta(days=30), False),  # "now" sends wait as long as it takes
])
def test_a_scheduled_send_not_approved_before_its_time_expires(store, schedule, now, expired):
    send_id = awaiting_send(store, schedule_at=schedule)
    assert approvals.expire_overdue(store, now) == ([send_id] if expired else [])
    assert state(store, send_id) == ("expired" if expired else "awaiting")
    if expired:
        # the reason is a code, read in the reader's language (tests/test_i18n_stored_words.py)
        assert decisions(store, send_id) == [("expired", approvals.EXPIRED_BY, "not_approved_in_time", HASH)]
        assert audit_rows(store) == [("console", "send_expire", str(send_id), "not_approved_in_time")]
        assert approvals.state_label(store.get_send(send_id).send) == "Expired"
        assert approvals.expire_overdue(store, now) == []  # once


def test_approving_too_late_expires_the_send_instead(store):
    send_id = awaiting_send(store, schedule_at=T0 + timedelta(minutes=5))
    with pytest.raises(approvals.ApprovalRefused, match="not approved before its time"):
        approvals.approve(store, send_id, ANN, HASH, now=T0 + timedelta(minutes=6))
    assert state(store, send_id) == "expired"
    assert [d[0] for d in decisions(store, send_id)] == ["expired"]


def test_a_decision_and_its_audit_row_commit_together(store, monkeypatch):
    send_id = awaiting_send(store)

    def broken(*_args, **_kwargs):
        raise audit.AuditError("the trail refused it")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(audit.AuditError):
        approvals.approve(store, send_id, ANN, HASH, now=T0)
    assert state(store, send_id) == "awaiting" and decisions(store, send_id) == []


def test_what_the_sender_saw_is_what_the_approver_sees(store):
    send_id = awaiting_send(store)
    other = awaiting_send(store, manifest_hash="c" * 64)
    waiting = approvals.awaiting(store)
    assert [r.send.id for r in waiting] == [send_id, other]
    assert waiting[0].summary == {"recipients": 3, "manifest_hash": HASH, "template_name": "Promo"}
    assert waiting[0].submitted_by == "sam@example.com"
    assert approvals.may_decide(waiting[0], ANN) and not approvals.may_decide(waiting[0], SAM_APPROVES)
    approvals.approve(store, send_id, ANN, HASH, now=T0)
    assert [r.send.id for r in approvals.awaiting(store)] == [other]


def test_two_app_processes_on_one_database_see_the_same_approvals(database_url):
    """Two stores with their own engines (as two app replicas have): a decision in one is seen by the
    other, and the second approver of the same send is refused."""
    one, two = open_store(database_url, shared=False), open_store(database_url, shared=False)
    try:
        send_id = awaiting_send(one)
        assert [r.send.id for r in approvals.awaiting(two)] == [send_id]
        approvals.approve(store=two, send_id=send_id, approver=ANN, seen_manifest_hash=HASH, now=T0)
        assert approvals.awaiting(one) == []
        with pytest.raises(approvals.ApprovalRefused, match="not waiting"):
            approvals.reject(one, send_id, ADA, "too late", now=T0)
        with one.read() as conn:
            rows = conn.execute(select(schema.approvals.c.decision)).scalars().all()
        assert rows == ["approved"]
    finally:
        one.engine.dispose()
        two.engine.dispose()


# ---- the worker ----------------------------------------------------------------------------------

def test_the_worker_never_posts_an_awaiting_send_and_posts_it_once_approved(database_url, sandbox):
    """Counted in the sandbox's own records, not ours."""
    import dataclasses
    import threading

    from lib.sending.worker import Worker
    from tests.support_worker import big_manifest, make_engine, new_client, sandbox_received, wait_for

    store = open_store(database_url)
    with new_client(sandbox.url) as client:
        engine = make_engine(store, client, batch_size=2, as_live=True)
        manifest = big_manifest(3, tag="AW")
        send_id = engine.enqueue(manifest, created_by="sam@example.com", awaiting_approval=True, review={})
        scheduled_earlier = dataclasses.replace(big_manifest(2, tag="OD"), schedule_at=datetime.now(UTC) - timedelta(minutes=1))  # its time passed
        overdue = engine.enqueue(scheduled_earlier, created_by="sam@example.com", awaiting_approval=True, review={})
        worker = Worker(lambda: make_engine(store, client, batch_size=2, as_live=True), refresh_every=None,
                        poll_seconds=0.05, heartbeat_seconds=60)
        assert worker.run_once() is None  # nothing it may claim
        stop = threading.Event()
        thread = threading.Thread(target=worker.run_forever, args=(stop,))
        thread.start()
        try:
            wait_for(lambda: state(store, overdue) == "expired", 30, "the overdue send to expire")
            assert sandbox_received(sandbox) == {} and state(store, send_id) == "awaiting"
            approvals.approve(store, send_id, ANN, manifest.hash)
            wait_for(lambda: state(store, send_id) == "done", 60, "the approved send to go out")
        finally:
            stop.set()
            thread.join(30)
    assert sandbox_received(sandbox) == {f"AW{i:06d}": 1 for i in range(3)}


def test_dispatches_shows_where_each_send_stands_and_the_reason(store):
    from zoneinfo import ZoneInfo

    from lib.history import queries as q

    waiting = awaiting_send(store)
    rejected = awaiting_send(store, manifest_hash="r" * 64)
    expired = awaiting_send(store, manifest_hash="e" * 64, schedule_at=T0)
    approvals.reject(store, rejected, ANN, "Wrong voucher list", now=T0)
    approvals.expire_overdue(store, T0)
    history = q.load_history(store, q.HistoryFilter(), ZoneInfo("Europe/Athens"))
    table = q.send_table(history).set_index("send")
    assert [s.label for s in table.loc[waiting, "status"]] == ["Awaiting approval"]
    assert [s.label for s in table.loc[rejected, "status"]] == ["Rejected by an approver"]
    assert [s.label for s in table.loc[expired, "status"]] == ["Expired"]
    assert q.next_steps(store, rejected) == [
        "Rejected: Wrong voucher list. Nothing was sent; change what the approver asked and submit it again."]
    assert q.next_steps(store, expired)[0].startswith("Expired: It was not approved before its time")
    assert q.next_steps(store, waiting)[0].startswith("Awaiting approval: nothing is sent until an approver other "
                                                      "than sam@example.com approves it")


# ---- in Greek (issue 13) ---------------------------------------------------------------------


def test_what_the_approver_and_the_sender_read_in_greek(store):
    send_id = awaiting_send(store)
    with i18n.language("el"):
        assert approvals.state_label(store.get_send(send_id).send) == "Σε αναμονή έγκρισης"
        assert str(approvals.approve(store, send_id, ANN, HASH, now=T0).sentence) == (
            f"Η αποστολή #{send_id} εγκρίθηκε: στέλνεται τώρα.")
        with pytest.raises(approvals.ApprovalRefused) as caught:
            approvals.approve(store, send_id, ADA, HASH, now=T0)
        assert str(caught.value) == f"Η αποστολή #{send_id} δεν περιμένει πια έγκριση (έχει ήδη εγκριθεί)."
    other = awaiting_send(store, manifest_hash="b" * 64)
    approvals.reject(store, other, ANN, "Λάθος λίστα", now=T0)
    with i18n.language("el"):
        assert approvals.state_label(store.get_send(other).send, store.approval_decisions([other])[other]) == \
            "Απορρίφθηκε: Λάθος λίστα"  # the approver's own words, as written
        with pytest.raises(approvals.OwnSend) as caught:
            approvals.approve(store, awaiting_send(store, manifest_hash="c" * 64), SAM_APPROVES, "c" * 64, now=T0)
        assert str(caught.value) == "Κανείς δεν εγκρίνει τη δική του αποστολή: πρέπει να αποφασίσει άλλος εγκριτής."
    # The same refusal read later on the English console
    assert str(caught.value) == "Nobody approves their own send: another approver must decide on it."


def test_the_summary_keeps_codes_and_reads_in_the_readers_language(store):
    people = [NewRecipient("C0", 2, "+306930000000", None, (("code", "V0"),))]
    send_id = store.create_send(
        manifest_hash=HASH, claim=HASH, template_id=71, template_name="Promo", channel="sms", schedule_at=None,
        created_by="sam@example.com", platform_url="https://platform.example.com", is_sandbox=False, is_test=False,
        resend_of=None, excluded_recipients=0, estimated_parts=1, estimated_cost=Decimal("1234.5"), batch_size=2,
        chunks=[people], now=T0, queued=True, awaiting_approval=True,
        review={"channel": "sms", "template_kind": "service", "recipients": 1234, "left_out": 0, "parts": 1234,
                "estimated_cost": "1234.5", "manifest_hash": HASH},
    )  # fmt: skip
    review = store.send_review(send_id)
    with i18n.language("el"):
        greek = dict(approvals.summary_lines(review, UTC))
    with i18n.language("en"):
        english = dict(approvals.summary_lines(review, UTC))
    assert greek["Κανάλι"] == "SMS, μήνυμα εξυπηρέτησης" and english["Channel"] == "SMS, service message"
    assert greek["Παραλήπτες που θα το λάβουν"] == "1.234" and english["Recipients who will receive it"] == "1,234"
