"""The Approvals page through AppTest, signed in (st.user seeded as Streamlit's AppTest allows): an
approver sees what the sender saw and approves or rejects; the sender sees their own send but no buttons."""

from decimal import Decimal

import pandas as pd
import pytest

from lib import approvals, audit, i18n
from lib.history.store import NewRecipient
from lib.personalization.preview import list_metrics, riskiest_rows
from lib.settings import get_settings
from lib.team import add_member, bootstrap_admins, team_person
from lib.templates import load_catalog
from tests.support_app import app_env  # noqa: F401
from tests.test_page_team import ANN, app, store, text

ABE = {"is_logged_in": True, "email": "abe@example.com", "name": "Abe Approver", "iat": 1_800_000_000}
SAM = {"is_logged_in": True, "email": "sam@example.com", "name": "Sam Sender", "iat": 1_800_000_000}
SUMMARY = {"template_id": 71, "template_name": "Promo", "template_kind": "marketing", "channel": "SMS",
           "recipients": 2, "left_out": 1, "left_out_by_rule": {"opted_out": 1}, "parts": 2,
           "estimated_cost": "0.10", "schedule_at": None, "platform": "https://platform.example.com",
           "manifest_hash": "a" * 64, "riskiest": [{"row": 3, "why": ["Longest message: 150 characters"]}]}


@pytest.fixture
def summary() -> dict:
    """What the sender saw (a test parametrizes `summary` to change it)."""
    return SUMMARY


@pytest.fixture
def waiting(app_env, monkeypatch, summary):  # noqa: F811
    """Ann (admin) added Sam (approver, who submits) and Abe (approver); Sam's send waits."""
    monkeypatch.setenv("CONSOLE_ADMINS", "ann@example.com")
    get_settings.cache_clear()
    app("home.py", user=ANN, signed_in=True)  # starts the runtime
    rt_store = store(app_env)
    bootstrap_admins(rt_store, ["ann@example.com"])
    ann = team_person(rt_store, "ann@example.com")
    add_member(rt_store, ann, "sam@example.com", "Sam Sender", "approver")
    add_member(rt_store, ann, "abe@example.com", "Abe Approver", "approver")
    people = [NewRecipient(f"C{i}", i + 2, f"+30693000{i:04d}", None, (
        ("voucherCode", f"V{i}"), ("voucherAmount", "10 €"), ("expirationDate", "31/12/2026"))) for i in range(2)]
    send_id = rt_store.create_send(
        manifest_hash="a" * 64, claim="a" * 64, template_id=71, template_name="Promo", channel="sms",
        schedule_at=None, created_by="sam@example.com", platform_url="http://sandbox", is_sandbox=True,
        is_test=False, resend_of=None, excluded_recipients=1, estimated_parts=2, estimated_cost=Decimal("0.10"),
        batch_size=2, chunks=[people], queued=True, awaiting_approval=True, review=summary)
    return rt_store, send_id


def test_an_approver_sees_what_the_sender_saw_and_approves_after_confirming(waiting):
    rt_store, send_id = waiting
    at = app("approvals.py", user=ABE, signed_in=True)
    assert not at.exception
    shown = text(at)
    for expected in ("**Submitted by:** sam@example.com", "**Recipients who will receive it:** 2",
                     "**Left out:** 1 (1 opted out)", "**SMS parts (estimated cost):** 2 (€0.10)",
                     "**Manifest:** " + "a" * 64, "Row 3: Longest message: 150 characters"):
        assert expected in shown, expected
    assert [c.value for c in at.code] == ["Your voucher V1 is worth 10 €. Use it in any store before 31/12/2026."]
    approve = at.button(key=f"approve_{send_id}")
    assert approve.disabled  # not before the confirmation
    at.checkbox(key=f"approve_ok_{send_id}").check().run()
    at.button(key=f"approve_{send_id}").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == [f"Send #{send_id} is approved: it goes out now."]
    assert rt_store.get_send(send_id).send.queue_state == "queued"
    assert "No send is waiting for approval." in [i.value for i in at.info]


def test_a_rejection_needs_a_reason(waiting):
    rt_store, send_id = waiting
    at = app("approvals.py", user=ABE, signed_in=True)
    assert at.button(key=f"reject_{send_id}").disabled
    at.text_input(key=f"reject_reason_{send_id}").input("Wrong voucher list").run()
    at.button(key=f"reject_{send_id}").click().run()
    assert not at.exception
    assert rt_store.get_send(send_id).send.queue_state == "rejected"
    with rt_store.read() as conn:
        [event] = audit.list_events(conn, actions=["send_reject"])
    assert (event.actor, event.details["reason"]) == ("abe@example.com", "Wrong voucher list")


def test_the_sender_sees_their_own_send_without_buttons(waiting):
    _, send_id = waiting
    at = app("approvals.py", user=SAM, signed_in=True)
    assert not at.exception
    assert "You submitted this send: another approver decides on it." in text(at)
    assert not [b for b in at.main.button if b.key in (f"approve_{send_id}", f"reject_{send_id}")]


def test_the_page_in_greek(waiting, monkeypatch):
    _, send_id = waiting
    monkeypatch.setenv("CONSOLE_LANGUAGE", "el")
    at = app("approvals.py", user=ABE, signed_in=True)
    assert not at.exception
    assert [t.value for t in at.title] == ["Εγκρίσεις"]
    shown = text(at)
    for expected in ("**Υποβλήθηκε από:** sam@example.com", "**Παραλήπτες που θα το λάβουν:** 2",
                     "**Κανάλι:** SMS, προωθητικό μήνυμα", "**Τμήματα SMS (εκτιμώμενο κόστος):** 2 (0,10\xa0€)"):
        assert expected in shown, expected
    at.checkbox(key=f"approve_ok_{send_id}").check().run()
    at.button(key=f"approve_{send_id}").click().run()
    assert [s.value for s in at.success] == [f"Η αποστολή #{send_id} εγκρίθηκε: στέλνεται τώρα."]


def english_senders_summary() -> dict:
    """The summary as `send_summary` stores it for a sender reading English: row 3's voucher code has a
    curly apostrophe (not in the GSM alphabet)."""
    values = pd.DataFrame({"voucherCode": ["V0", "V’1"], "voucherAmount": ["10 €"] * 2,
                           "expirationDate": ["31/12/2026"] * 2}, index=pd.RangeIndex(2, 4)).astype("str")
    promo = next(t for t in load_catalog() if t.id == 71)
    with i18n.language("en"):
        risky = [r for r in riskiest_rows(promo, values, list_metrics(promo, values)) if r.row == 3]
        return {**SUMMARY, "riskiest": [approvals.stored_risky(r) for r in risky]}


@pytest.mark.parametrize("summary", [english_senders_summary()])
def test_a_greek_approver_reads_an_english_senders_reasons_in_greek(waiting, monkeypatch):
    monkeypatch.setenv("CONSOLE_LANGUAGE", "el")
    at = app("approvals.py", user=ABE, signed_in=True)
    assert not at.exception
    shown = text(at)
    assert ("Γραμμή 3: Μικρότερα τμήματα SMS (70 χαρακτήρες αντί για 160) λόγω χαρακτήρα εκτός αλφαβήτου GSM: "
            "«’» (εισαγωγικό)· Το {{voucherCode}} περιέχει ασυνήθιστο χαρακτήρα: «’» (εισαγωγικό)") in shown, shown
    assert "quotation mark" not in shown and "Shorter" not in shown
