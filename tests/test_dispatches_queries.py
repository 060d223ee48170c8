"""The Dispatches page's numbers, from a real history store filled by real sends to the sandbox."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from lib import exports, i18n
from lib.history import queries as q
from lib.history import schema as s
from lib.history.detail import refused_headed
from lib.history.refresh import pending_dispatches, refresh_pending, track_dispatch
from lib.history.store import open_store
from lib.history.tables import headed
from lib.messaging import MessagingClient, Recipient
from lib.sandbox.server import SandboxConfig, run_sandbox_in_thread
from lib.sending.status import ChunkStatus
from tests.conftest import SANDBOX_PASSWORD, SANDBOX_USER
from tests.support_dispatches import EMAIL_TEMPLATE, SMS_TEMPLATE, mobiles, poll, record_send

S = q.DispatchStatus

ATHENS = ZoneInfo("Europe/Athens")
INVALID_MOBILE = "1936862208"


@pytest.fixture
def store(database_url):
    """On SQLite and on PostgreSQL (the `database_url` fixture)."""
    return open_store(database_url)


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One sandbox and one filled store for the read-only tests of this module (filling takes a second)."""
    work = tmp_path_factory.mktemp("queries")
    config = SandboxConfig(port=0, user=SANDBOX_USER, password=SANDBOX_PASSWORD, data_dir=work / "sandbox",
                           step_seconds=0.1)
    with run_sandbox_in_thread(config) as sandbox, MessagingClient(
        sandbox.url, SANDBOX_USER, SANDBOX_PASSWORD, get_retries=0
    ) as client:
        store = open_store(f"sqlite:///{work / 'history.db'}")
        yield store, _fill(store, client)


@pytest.fixture
def filled(shared):
    return shared[1]


def _fill(store, client):
    """Four sends: one fine, one with a refused mobile, one email, one that broke half-way."""
    fine = record_send(
        store, client, destinations=mobiles(3), excluded=2, created_by="maria", estimated_cost=Decimal("0.15")
    )
    refused = record_send(store, client, destinations=[*mobiles(2, start=10), INVALID_MOBILE], created_by="nikos")
    email = record_send(store, client, template_id=EMAIL_TEMPLATE, destinations=["a@example.com", "b@example.com"])
    broken = record_send(store, client, destinations=mobiles(4, start=20), batch_size=1, post=False)
    parts = store.get_send(broken).chunks
    store.move_chunk(parts[0].id, expected=ChunkStatus.PENDING, new=ChunkStatus.POSTING)
    store.move_chunk(parts[0].id, expected=ChunkStatus.POSTING, new=ChunkStatus.UNKNOWN)
    store.move_chunk(parts[1].id, expected=ChunkStatus.PENDING, new=ChunkStatus.POSTING)
    store.move_chunk(
        parts[1].id, expected=ChunkStatus.POSTING, new=ChunkStatus.REJECTED, error_message="Template 71 is disabled"
    )
    poll(lambda: refresh_pending(store, client, only_due=False) and not pending_dispatches(store), 10, "all Queued")
    return {"fine": fine, "refused": refused, "email": email, "broken": broken}


def _today() -> date:
    return datetime.now(ATHENS).date()


def _load(store, **filters):
    flt = q.HistoryFilter(start=_today() - timedelta(days=7), end=_today(), **filters)
    return q.load_history(store, flt, ATHENS)


def test_kpis_add_up(shared, filled):
    store = shared[0]
    k = q.kpis(_load(store))
    assert k.sends == 4
    assert k.dispatches == 3
    assert k.recipients_submitted == 5 + 3 + 2 + 4
    assert k.rejected_by_us == 2
    assert k.accepted == 3 + 2 + 2
    assert k.rejected_by_platform == 1 + 1  # the refused mobile + the refused chunk's recipient
    assert k.not_confirmed == 3  # one unknown part + two never sent
    assert k.recipients_submitted == k.accepted + k.rejected_by_us + k.rejected_by_platform + k.not_confirmed
    assert k.estimated_parts == 3 + 3 + 4  # SMS only
    assert k.estimated_cost == Decimal("0.15")
    assert k.dispatches_in_error == 0


def test_send_table_one_row_per_send_with_worst_status_first(shared, filled):
    store = shared[0]
    table = q.send_table(_load(store))
    assert list(table["send"]) == sorted(filled.values(), reverse=True)
    broken = table.set_index("send").loc[filled["broken"]]
    assert broken["status"] == [S.UNKNOWN, S.REJECTED, S.NOT_SENT]
    assert broken["progress"] == "1 part may or may not have gone out; 1 part refused by the platform; 2 parts not sent"
    fine = table.set_index("send").loc[filled["fine"]]
    assert fine["status"] == [S.QUEUED] and fine["progress"] == "1 dispatch: queued" and fine["recipients"] == 5
    assert table["created"].dt.tz is None  # shown in local time
    assert list(table.columns) == ["send", "created", "template", "recipients", "status", "progress"]
    assert list(headed(table).columns) == ["Send", "Created", "Template", "Recipients", "Status", "Progress"]
    summary = q.send_summary(_load(store), filled["broken"])
    assert summary[q.Outcome.NOT_CONFIRMED] == 3 and summary["dispatches"] == 0 and summary["scheduled_for"] is None
    assert q.send_summary(_load(store), filled["fine"])["sent_by"] == "maria"


@pytest.mark.parametrize(
    ("labels", "queued", "said"),
    [
        ({S.QUEUED: 98, S.PENDING: 2}, False, "100 dispatches: 2 pending, 98 queued"),
        ({S.QUEUED: 1}, False, "1 dispatch: queued"),
        ({S.QUEUED: 1_500}, False, "1,500 dispatches: queued"),
        ({S.ERROR: 1, S.QUEUED: 3}, False, "4 dispatches: 1 error, 3 queued"),
        ({S.QUEUED: 2, S.NOT_SENT: 1}, False, "2 dispatches: queued; 1 part not sent"),
        ({S.QUEUED: 2, S.NOT_SENT: 3}, True, "2 dispatches: queued; 3 parts waiting for the sender"),
        ({S.UNKNOWN: 1}, False, "1 part may or may not have gone out"),
        ({}, True, "Waiting for the sender"),
        ({}, False, "Nothing sent"),
    ],
)
def test_a_sends_status_is_rolled_up_over_its_parts(labels, queued, said):
    assert q.rollup_text(labels, queued=queued) == said


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"channels": ("email",)}, {"email"}),
        ({"template_ids": (SMS_TEMPLATE,)}, {"fine", "refused", "broken"}),
        ({"statuses": (S.UNKNOWN,)}, {"broken"}),
        ({"statuses": (S.QUEUED,)}, {"fine", "refused", "email"}),
        ({"statuses": (S.ERROR,)}, set()),
    ],
)
def test_filters(shared, filled, filters, expected):
    store = shared[0]
    ids = set(_load(store, **filters).sends["id"])
    assert ids == {filled[name] for name in expected}


@pytest.mark.parametrize(
    ("created_utc", "in_period"),
    [
        (datetime(2025, 2, 28, 21, 59, tzinfo=UTC), False),  # 23:59 on 28 Feb in Athens
        (datetime(2025, 2, 28, 22, 0, tzinfo=UTC), True),  # 00:00 on 1 Mar in Athens
        (datetime(2025, 3, 31, 20, 59, tzinfo=UTC), True),  # 23:59 on 31 Mar (summer time from 30 Mar)
        (datetime(2025, 3, 31, 21, 0, tzinfo=UTC), False),  # 00:00 on 1 Apr
    ],
)
def test_period_is_whole_local_days(store, created_utc, in_period):
    send_id = store.create_send(
        manifest_hash="a" * 64, claim="c", template_id=71, template_name="Promo", channel="sms", schedule_at=None,
        created_by="t", platform_url="http://x", is_sandbox=True, is_test=False, resend_of=None,
        excluded_recipients=0, estimated_parts=None, estimated_cost=None, batch_size=10, chunks=[], now=created_utc,
    )
    flt = q.HistoryFilter(start=date(2025, 3, 1), end=date(2025, 3, 31))
    assert (send_id in set(q.load_history(store, flt, ATHENS).sends["id"])) is in_period


def test_search_by_dispatch_id_ignores_the_period(shared, filled):
    store = shared[0]
    [dispatch_id] = [c.dispatch_id for c in store.get_send(filled["refused"]).chunks]
    flt = q.HistoryFilter(start=date(2000, 1, 1), end=date(2000, 1, 2), search=str(dispatch_id))
    history = q.load_history(store, flt, ATHENS)
    assert list(history.sends["id"]) == [filled["refused"]]
    assert "across all dates" in history.search_note


def test_search_by_unique_id_of_an_invalid_recipient(shared, filled):
    store = shared[0]
    history = _load(store, search="C00002")  # the refused mobile, third row of that send
    assert filled["refused"] in set(history.sends["id"])


def test_search_with_no_match_says_so(shared, filled):
    store = shared[0]
    history = _load(store, search="nobody-has-this-id")
    assert history.sends.empty and "Nothing matches" in history.search_note


def test_invalid_recipients_name_the_spreadsheet_row(shared, filled):
    store = shared[0]
    table = refused_headed(q.invalid_recipients(store, filled["refused"]))
    assert table.to_dict("records") == [
        {
            "Spreadsheet row": 4,
            "Customer ID": "C00002",
            "Mobile or email": INVALID_MOBILE,
            "Reason": "The platform refused this mobile number",
            "Part": 1,
            "Dispatch": store.get_send(filled["refused"]).chunks[0].dispatch_id,
        }
    ]


def test_next_steps_for_a_send_that_broke_half_way(shared, filled):
    store = shared[0]
    steps = q.next_steps(store, filled["broken"])
    assert len(steps) == 3
    assert "may or may not have gone out" in steps[0] and "Do not send them again" in steps[0]
    assert "never sent" in steps[1] and "Send the parts that did not go out" in steps[1]
    assert "Template 71 is disabled" in steps[2]
    assert q.next_steps(store, filled["fine"]) == []


def test_dispatch_detail_has_every_platform_field_and_history(shared, filled):
    store = shared[0]
    [dispatch_id] = [c.dispatch_id for c in store.get_send(filled["fine"]).chunks]
    detail = q.dispatch_detail(store, dispatch_id)
    assert detail.status is S.QUEUED and detail.send["created_by"] == "maria"
    assert {"dispatchId", "campaignMessageId", "sendStatusId", "hasFinishedQueuing", "gatewayId"} <= set(
        detail.platform_fields
    )
    history = q.status_history(store, dispatch_id, ATHENS)
    assert history["status"].iloc[-1] == S.QUEUED
    assert q.dispatch_detail(store, 1) is None


def test_chart_frames_total_what_the_kpis_say(shared, filled):
    store = shared[0]
    history = _load(store)
    k = q.kpis(history)
    outcomes = q.recipients_by_outcome(history).groupby("outcome")["recipients"].sum()
    assert outcomes[q.OUTCOME_ACCEPTED] == k.accepted
    assert outcomes.sum() == k.recipients_submitted
    assert q.dispatches_by_status(history)["dispatches"].sum() == k.dispatches
    share = q.invalid_share(history)
    assert share["invalid"].sum() == k.rejected_by_us + k.rejected_by_platform
    per_send = q.outcomes_by_send(history)
    assert per_send["recipients"].sum() == k.recipients_submitted
    assert per_send["label"].iloc[0].startswith(f"#{history.sends['id'].iloc[0]} · ")  # newest first


def test_tracked_dispatch_appears_with_its_template(store, client):
    result = client.send_messages(SMS_TEMPLATE, [Recipient(unique_id="X", mobile_phone="6936862208")])
    track_dispatch(store, client, result.dispatch)
    history = q.load_history(
        store, q.HistoryFilter(start=_today(), end=_today()), ATHENS, template_names={SMS_TEMPLATE: "Spring promo"}
    )
    tracked = q.tracked_table(history)
    assert list(tracked["dispatch"]) == [result.dispatch]
    assert tracked["template"].iloc[0] == "Spring promo"
    assert q.kpis(history).dispatches == 1
    found = q.load_history(store, q.HistoryFilter(search=str(result.dispatch)), ATHENS)
    assert found.sends.empty and list(found.dispatches["dispatch_id"]) == [result.dispatch]


def test_upcoming_lists_only_future_scheduled_dispatches(store, client):
    later = datetime.now(UTC) + timedelta(days=1)
    record_send(store, client, schedule_at=later)
    record_send(store, client)
    refresh_pending(store, client, only_due=False)
    frame = q.upcoming(store, datetime.now(UTC), q.HistoryFilter(), {})
    assert len(frame) == 1 and frame["template"].iloc[0] == "Template 71"


def test_export_table_has_one_row_per_part(shared, filled):
    store = shared[0]
    table = q.export_table(_load(store))
    assert len(table) == 1 + 1 + 1 + 4
    assert set(table["Status"]) == {"Queued", "Unknown", "Rejected", "Not sent"}
    assert list(table.columns[:3]) == ["Send", "Part", "Dispatch"] and "Test send" in table.columns


def test_export_headers_and_statuses_in_greek_with_times_to_the_second(shared, filled):
    store = shared[0]
    with i18n.language("el"):
        table = q.export_table(_load(store))
    assert list(table.columns[:6]) == ["Αποστολή", "Μέρος", "Παρτίδα", "Πρότυπο", "Κανάλι", "Δημιουργήθηκε"]
    assert {"Δοκιμαστική αποστολή", "Παραλήπτες", "Μπήκε ολόκληρη στην ουρά", "Πρόβλημα"} <= set(table.columns)
    assert set(table["Κατάσταση"]) == {"Στην ουρά", "Αβέβαιο", "Απορρίφθηκε", "Δεν στάλθηκε"}
    assert set(table["Δοκιμαστική αποστολή"]) == {"όχι"}
    rows = list(csv.reader(io.StringIO(exports.to_csv_bytes(table, ATHENS, ";").decode("utf-8-sig")), delimiter=";"))
    assert "Δημιουργήθηκε (Europe/Athens)" in rows[0]
    created = rows[1][rows[0].index("Δημιουργήθηκε (Europe/Athens)")]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", created)  # machine-readable, to the second


def test_a_refused_address_shared_by_two_recipients_names_both_as_the_engine_does(store):
    class NoPlatform:
        base_url = "http://sandbox"

    send_id = record_send(store, NoPlatform(), template_id=EMAIL_TEMPLATE, post=False,
                          destinations=["maria@example.gr", "Shared@Example.gr", "shared@example.gr"])  # fmt: skip
    [chunk] = store.get_send(send_id).chunks
    with store.write() as conn:
        conn.execute(s.chunks.update().where(s.chunks.c.id == chunk.id)
                     .values(invalid_json=json.dumps({"invalidEmails": ["SHARED@example.gr"], "invalidMobiles": []})))
    table = q.invalid_recipients(store, send_id)
    assert list(zip(table["row"], table["customer_id"], strict=True)) == [(3, "C00001"), (4, "C00002")]
    with i18n.language("el"):
        greek = refused_headed(q.invalid_recipients(store, send_id))
    assert list(greek.columns[:4]) == ["Γραμμή λογιστικού φύλλου", "Κωδικός πελάτη", "Κινητό ή email", "Αιτία"]
    assert set(greek["Αιτία"]) == {"Η πλατφόρμα απέρριψε αυτό το email"}


def test_empty_store_gives_empty_frames_not_errors(store):
    history = _load(store)
    assert q.kpis(history) == q.Kpis(0, 0, 0, 0, 0, 0, 0, 0, None, 0)
    assert q.send_table(history).empty and q.recipients_by_outcome(history).empty
    assert q.dispatches_by_status(history).empty and q.outcomes_by_send(history).empty
    assert q.export_table(history).empty


# ---- live status: sends, rolled up -------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "said"),
    [
        ({}, "no dispatch yet"),
        ({S.QUEUED: 1}, "1 dispatch: queued"),
        ({S.PENDING: 3}, "3 dispatches: pending"),
        ({S.PENDING: 2, S.QUEUED: 98}, "100 dispatches: 2 pending, 98 queued"),
        ({S.QUEUED: 1200, S.ERROR: 1}, "1,201 dispatches: 1,200 queued, 1 error"),
    ],
)
def test_a_send_is_rolled_up_over_its_dispatches_in_one_line(counts, said):
    send = q.LiveSend(1, "Promo", datetime.now(UTC), "maria", 10, False, None, S.QUEUED, 1, 1, counts)
    assert send.rollup == said


def test_live_sends_lists_queued_sends_one_row_each_and_tests_only_when_asked(store):
    class NoPlatform:
        base_url = "http://sandbox"

    queued = record_send(store, NoPlatform(), destinations=mobiles(5), batch_size=2, post=False)
    store.requeue_send(queued)
    test = record_send(store, NoPlatform(), destinations=mobiles(1), post=False)
    with store.write() as conn:
        from lib.history import schema as s

        conn.execute(s.sends.update().where(s.sends.c.id == test).values(is_test=True, queue_state="queued"))
    now = datetime.now(UTC)
    [row] = q.live_sends(store, now, {})
    assert (row.send_id, row.status, row.parts_done, row.parts_total, row.rollup) == (
        queued, q.WAITING, 0, 3, "no dispatch yet")  # fmt: skip
    assert [s.send_id for s in q.live_sends(store, now, {}, include_tests=True)] == [test, queued]


def test_the_data_version_changes_when_an_approver_decides(store):
    """The page's cache key: a send an approver rejects reads "Rejected by the approver" at once, although
    none of its parts or dispatches changed (only the send's queue state did)."""
    from lib.history.store import NewRecipient

    people = [NewRecipient("C0", 2, "+306930000000", None, ())]
    send_id = store.create_send(
        manifest_hash="a" * 64, claim="a" * 64, template_id=SMS_TEMPLATE, template_name="Promo", channel="sms",
        schedule_at=None, created_by="sam@example.com", platform_url="https://platform.example.com", is_sandbox=False,
        is_test=False, resend_of=None, excluded_recipients=0, estimated_parts=1, estimated_cost=None, batch_size=2,
        chunks=[people], queued=True, awaiting_approval=True, review={},
    )  # fmt: skip
    before = q.history_version(store)
    assert store.decide_approval(send_id, manifest_hash="a" * 64, decision="rejected", decided_by="ann@example.com",
                                 reason=None, now=datetime.now(UTC))  # fmt: skip
    assert q.history_version(store) != before
