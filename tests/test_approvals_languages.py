"""What the sender saw, read by an approver in another language (issue 13): the rows worth a look keep
their reasons as catalog keys, so a send submitted in English reads in Greek to a Greek approver and the
other way round; summaries stored before that keep their words; an expiry's reason is a code."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from lib import approvals, audit, i18n
from lib.cli import main
from tests.test_approvals import ANN, awaiting_send, store  # noqa: F401
from tests.test_approvals_cli import live  # noqa: F401

# A curly apostrophe in a voucher code: not in the GSM alphabet, so it makes SMS parts shorter and is unusual.
ROWS = ("uniqueId,mobilePhone,voucherCode,voucherAmount,expirationDate\n"
        "C1,6936862208,V1,10 €,31/12/2026\nC2,6936862209,V’2,5 €,31/12/2026\n")
ENGLISH_REASONS = ("Shorter SMS parts (70 characters instead of 160) because of '’' (Right single quotation mark)",
                   "{{voucherCode}} contains '’' (Right single quotation mark)")
GREEK_REASONS = ("Μικρότερα τμήματα SMS (70 χαρακτήρες αντί για 160) λόγω χαρακτήρα εκτός αλφαβήτου GSM: «’» (εισαγωγικό)",
                 "Το {{voucherCode}} περιέχει ασυνήθιστο χαρακτήρα: «’» (εισαγωγικό)")


def run(capsys, *argv) -> tuple[int, str]:
    code = main(list(argv))
    out, _ = capsys.readouterr()
    return code, out


@pytest.mark.parametrize(("submitted_in", "read_in", "expected", "foreign"), [
    ("en", "el", GREEK_REASONS, ENGLISH_REASONS),
    ("el", "en", ENGLISH_REASONS, GREEK_REASONS),
])
def test_the_approver_reads_the_senders_reasons_in_their_own_language(live, capsys, submitted_in, read_in,  # noqa: F811
                                                                      expected, foreign):
    live.write_text(ROWS, encoding="utf-8")
    code, out = run(capsys, "send", str(live), "--template", "71", "--yes", "--lang", submitted_in)
    assert code == 6, out  # waits for approval
    code, out = run(capsys, "approvals", "--as", "abe@example.com", "--lang", read_in)
    assert code == 0
    for reason in expected:
        assert reason in out, out
    for reason in foreign:
        assert reason not in out


def test_approvals_json_keeps_the_reasons_codes_and_their_english_words(live, capsys):  # noqa: F811
    live.write_text(ROWS, encoding="utf-8")
    run(capsys, "send", str(live), "--template", "71", "--yes", "--lang", "el")
    code, out = run(capsys, "approvals", "--as", "abe@example.com", "--json")
    [waiting] = json.loads(out)
    [risky] = [r for r in waiting["summary"]["riskiest"] if r["row"] == 3]
    assert risky["why"] == list(ENGLISH_REASONS)  # words for scripts reading --json, whatever the sender's language
    assert [r["key"] for r in risky["reasons"]] == ["personalization.risk.ucs2", "personalization.risk.contains"]


def test_a_summary_stored_with_words_still_reads():
    """Sends submitted before the reasons had codes keep the words their sender read."""
    old = {"row": 3, "why": ["Longest message: 150 characters"]}
    with i18n.language("el"):
        assert [str(r) for r in approvals.risky_reasons(old)] == ["Longest message: 150 characters"]
    damaged = {"row": 3, "reasons": [{"params": {}}], "why": ["Longest message: 150 characters"]}
    assert approvals.risky_reasons(damaged) == ["Longest message: 150 characters"]


def audit_details(store, action: str) -> tuple[str, str]:  # noqa: F811
    with store.read() as conn:
        [row] = audit.events_table(audit.list_events(conn, actions=[action]))
    return row["Details"], row["Person"]


def test_an_expiry_is_recorded_as_a_code_and_read_in_the_readers_language(store):  # noqa: F811
    t0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    send_id = awaiting_send(store, schedule_at=t0 + timedelta(hours=1))
    assert approvals.expire_overdue(store, t0 + timedelta(hours=2)) == [send_id]
    with i18n.language("el"):
        details, person = audit_details(store, "send_expire")
    assert person == "η κονσόλα"
    assert "απόφαση: έληξε χωρίς έγκριση" in details and "αιτία: δεν εγκρίθηκε πριν από την ώρα της" in details
    with i18n.language("en"):
        details, person = audit_details(store, "send_expire")
    assert person == "the console" and "reason: not approved before its time" in details


def test_an_expiry_recorded_with_words_reads_in_greek_too(store):  # noqa: F811
    """Trail rows written before the reason was a code hold the English words."""
    with store.write() as conn:
        audit.record(conn, "console", audit.AuditAction.SEND_EXPIRE, ("send", 7),
                     {"decision": "expired", "reason": "not approved before its time"})
    with i18n.language("el"):
        details, _ = audit_details(store, "send_expire")
    assert details == "απόφαση: έληξε χωρίς έγκριση· αιτία: δεν εγκρίθηκε πριν από την ώρα της"


def test_a_rejection_reason_is_shown_as_the_approver_wrote_it(store):  # noqa: F811
    send_id = awaiting_send(store)
    approvals.reject(store, send_id, ANN, "expired voucher list", now=datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    with i18n.language("el"):
        details, _ = audit_details(store, "send_reject")
    assert "αιτία: expired voucher list" in details  # free text is never taken for a code
