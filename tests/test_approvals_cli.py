"""`python -m lib send` of a live send that needs approval (exit 6, nothing posted), and
`python -m lib approvals|approve|reject` acting as a named person under the team's rules (exit 77)."""

from __future__ import annotations

import json

import pytest

from lib.cli import main
from lib.history.store import close_all_stores, open_store
from lib.settings import get_settings
from lib.templates import load_catalog
from tests.conftest import SANDBOX_PASSWORD, SANDBOX_USER
from tests.support_worker import sandbox_dispatch_count, sandbox_received

ROWS = "uniqueId,mobilePhone,voucherCode,voucherAmount,expirationDate\n" \
       "C1,6936862208,V1,10 €,31/12/2026\nC2,6936862209,V2,5 €,31/12/2026\nC3,6936862210,V3,5 €,31/12/2026\n"


@pytest.fixture
def live(tmp_path, sandbox, monkeypatch):
    """The sandbox configured as a live platform, sign-in rules on, Ann admin, Sam sender, Abe approver."""
    url = f"sqlite:///{tmp_path / 'console.db'}"
    for name, value in {"MESSAGING_API_URL": sandbox.url, "MESSAGING_API_USER": SANDBOX_USER,
                        "MESSAGING_API_PASSWORD": SANDBOX_PASSWORD, "DATABASE_URL": url,
                        "CONSOLE_ADMINS": "ann@example.com", "CONSOLE_OPERATOR": "sam@example.com",
                        "CONSOLE_BATCH_SIZE": "2"}.items():
        monkeypatch.setenv(name, value)
    for name in ("CONSOLE_AUTH", "CONSOLE_APPROVAL_THRESHOLD"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    store = open_store(url)
    for template in load_catalog():
        store.upsert_template(template)
    assert main(["team", "add", "sam@example.com", "--name", "Sam", "--role", "sender", "--as", "ann@example.com"]) == 0
    assert main(["team", "add", "abe@example.com", "--name", "Abe", "--role", "approver",
                 "--as", "ann@example.com"]) == 0
    (tmp_path / "list.csv").write_text(ROWS, encoding="utf-8")
    yield tmp_path / "list.csv"
    get_settings.cache_clear()
    close_all_stores()


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def submit(capsys, csv) -> int:
    code, out, _ = run(capsys, "send", str(csv), "--template", "71", "--yes")
    assert code == 6, out
    assert "waits for approval by another approver" in out
    return int(out.split("Send #")[1].split()[0])


def test_a_live_send_waits_for_approval_and_posts_nothing_until_approved(live, sandbox, capsys):
    send_id = submit(capsys, live)
    assert sandbox_dispatch_count(sandbox) == 0  # the sandbox's own records
    code, out, _ = run(capsys, "approvals", "--as", "abe@example.com", "--json")
    [waiting] = json.loads(out)
    assert code == 0 and (waiting["send_id"], waiting["submitted_by"]) == (send_id, "sam@example.com")
    assert waiting["summary"]["recipients"] == 3 and waiting["you_may_decide"] is True

    code, _, err = run(capsys, "approve", str(send_id), "--as", "sam@example.com", "--yes")  # a sender
    assert code == 77 and "may not approve or reject a send" in err
    code, _, err = run(capsys, "approve", str(send_id), "--as", "nobody@example.com", "--yes")
    assert code == 77 and "not in the team" in err
    code, _, err = run(capsys, "approve", str(send_id), "--as", "abe@example.com", "--manifest", "0" * 64)
    assert code == 1 and "is not the one you looked at" in err
    code, out, _ = run(capsys, "send", "--resume", str(send_id), "--yes")  # no way around the approver
    assert code == 6 and "waits for approval" in out
    assert sandbox_dispatch_count(sandbox) == 0

    code, out, _ = run(capsys, "approve", str(send_id), "--as", "abe@example.com", "--yes")
    assert code == 0 and f"Send #{send_id} is approved" in out
    assert "Recipients who will receive it:" in out  # it printed what the sender saw first
    code, _, _ = run(capsys, "send", "--resume", str(send_id), "--yes")  # no worker: post it here
    assert sandbox_received(sandbox) == {"C1": 1, "C2": 1, "C3": 1}
    code, out, _ = run(capsys, "audit", "--as", "ann@example.com", "--json", "--action", "send_approve")
    assert [(e["actor"], e["object_id"]) for e in json.loads(out)] == [("abe@example.com", str(send_id))]


def test_nobody_approves_their_own_send_from_the_command_line(live, capsys):
    assert main(["team", "role", "sam@example.com", "approver", "--as", "ann@example.com"]) == 0
    capsys.readouterr()
    send_id = submit(capsys, live)
    code, _, err = run(capsys, "approve", str(send_id), "--as", "SAM@example.com", "--yes")
    assert code == 77 and "Nobody approves their own send" in err
    code, _, err = run(capsys, "reject", str(send_id), "--as", "sam@example.com", "--reason", "oops")
    assert code == 77


def test_a_rejection_needs_a_reason_and_the_sender_reads_it(live, sandbox, capsys):
    send_id = submit(capsys, live)
    code, _, err = run(capsys, "reject", str(send_id), "--as", "abe@example.com")
    assert code == 2 and "--reason" in err
    code, _, err = run(capsys, "reject", str(send_id), "--as", "abe@example.com", "--reason", "  ")
    assert code == 1 and "Say why" in err
    code, out, _ = run(capsys, "reject", str(send_id), "--as", "abe@example.com", "--reason", "Wrong voucher list")
    assert code == 0 and "Wrong voucher list" in out
    code, _, err = run(capsys, "approve", str(send_id), "--as", "ann@example.com", "--yes")
    assert code == 1 and "rejected: wrong voucher list" in err
    code, _, err = run(capsys, "send", "--resume", str(send_id), "--yes")
    assert code == 1 and "was rejected before approval and sent nothing" in err
    assert sandbox_dispatch_count(sandbox) == 0


def test_below_the_threshold_or_without_sign_in_a_live_send_goes_out(live, sandbox, capsys, monkeypatch):
    monkeypatch.setenv("CONSOLE_APPROVAL_THRESHOLD", "3")  # 3 recipients: not more than 3
    get_settings.cache_clear()
    code, out, _ = run(capsys, "send", str(live), "--template", "71", "--yes")
    assert code == 0 and "Sent to 3 recipients" in out


def test_without_sign_in_there_is_no_approval(live, capsys, monkeypatch):
    monkeypatch.setenv("CONSOLE_AUTH", "off")
    monkeypatch.setenv("CONSOLE_OPERATOR", "maria")
    get_settings.cache_clear()
    code, out, _ = run(capsys, "send", str(live), "--template", "71", "--yes")
    assert code == 0 and "Sent to 3 recipients" in out


def test_a_sender_the_team_does_not_know_is_refused(live, sandbox, capsys, monkeypatch):
    monkeypatch.setenv("CONSOLE_OPERATOR", "eve@example.com")
    get_settings.cache_clear()
    code, _, err = run(capsys, "send", str(live), "--template", "71", "--yes")
    assert code == 77 and "not in the team" in err
    assert sandbox_dispatch_count(sandbox) == 0


def test_after_a_rejection_the_same_list_can_be_submitted_again(live, capsys):
    first = submit(capsys, live)
    code, _, err = run(capsys, "send", str(live), "--template", "71", "--yes")
    assert code == 4 and "wait for approval by another approver" in err  # one waiting is enough
    assert run(capsys, "reject", str(first), "--as", "abe@example.com", "--reason", "Wrong day")[0] == 0
    assert submit(capsys, live) == first + 1
