"""The rules that refuse a whole send (opt-out text, quiet hours) on every path that sends or checks, and the
audit trail of do-not-contact changes."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

import lib.cli.check as check_cli
from lib.audit import AuditAction, list_events
from lib.campaign import send_refusal
from lib.history import schema
from lib.history.store import close_all_stores, open_store
from lib.ledger import Ledger
from lib.ledger.optout import OptOutList
from lib.rules.quiet_hours import CODE_NOW, CODE_SCHEDULED
from lib.settings import get_settings, load_settings
from lib.templates import load_catalog
from tests.support_app import app_env, page_path  # noqa: F401
from tests.test_dispatches_page import runtime  # noqa: F401
from tests.test_sending_cli import HEADER, csv, env, run  # noqa: F401

ATHENS = ZoneInfo("Europe/Athens")
CATALOG = {t.id: t for t in load_catalog()}
PROMO, WELCOME = CATALOG[71], CATALOG[72]  # a marketing SMS, a service SMS
OPTOUT = "STOP 54321"


def settings(**values):
    return load_settings(env={"CONSOLE_TIMEZONE": "Europe/Athens", **values}, secrets_path=Path("/nonexistent"))


def at(hour, minute=0):
    return datetime(2026, 12, 2, hour, minute, tzinfo=ATHENS)


@pytest.mark.parametrize(
    ("template", "values", "when", "now", "code"),
    [
        (PROMO, {"CONSOLE_SMS_OPTOUT_TEXT": OPTOUT, "CONSOLE_QUIET_HOURS": "off"}, None, at(12), "optout_text.missing"),
        (PROMO, {"CONSOLE_QUIET_HOURS": "off"}, None, at(12), None),  # no opt-out text asked for
        (WELCOME, {"CONSOLE_SMS_OPTOUT_TEXT": OPTOUT, "CONSOLE_QUIET_HOURS": "off"}, None, at(12), None),  # service
        (PROMO, {}, None, at(21), CODE_NOW),  # the minute quiet hours start
        (PROMO, {}, None, at(20, 59), None),
        (PROMO, {}, None, at(9), None),  # the minute they end
        (PROMO, {}, at(22), at(12), CODE_SCHEDULED),
        (WELCOME, {}, None, at(23), None),
    ],
)
def test_the_whole_send_is_refused_by_the_opt_out_text_or_quiet_hours(template, values, when, now, code):
    refusal = send_refusal(template, settings(**values), when, now=now)
    assert (refusal.code if refusal else None) == code


def test_quiet_hours_are_offered_as_the_next_allowed_time():
    refusal = send_refusal(PROMO, settings(), None, now=at(23))
    assert refusal.offer == datetime(2026, 12, 3, 9, 0, tzinfo=ATHENS)
    assert "inside quiet hours" in refusal.message
    assert send_refusal(PROMO, settings(), None, now=at(23), quiet_hours=False) is None


def test_send_command_refuses_a_marketing_sms_without_the_opt_out_text_and_posts_nothing(
        env, monkeypatch, csv, capsys, sandbox):  # noqa: F811
    values = {**env, "CONSOLE_SMS_OPTOUT_TEXT": OPTOUT, "CONSOLE_QUIET_HOURS": "off"}
    code = run(values, monkeypatch, csv(), "--template", "71", "--default", "voucherAmount=20 €", "--yes")
    assert code == 3
    assert f"Add the opt-out text '{OPTOUT}' to this marketing SMS" in capsys.readouterr().err
    assert sandbox.outbox() == [] and open_store(values["DATABASE_URL"]).list_sends() == []


def test_send_command_refuses_now_in_quiet_hours_and_says_which_schedule_to_add(
        env, monkeypatch, csv, capsys, sandbox):  # noqa: F811
    now = datetime.now(ATHENS)
    window = f"{now.hour:02d}:00-{(now.hour + 2) % 24:02d}:00"  # around now, whatever the hour
    values = {**env, "CONSOLE_QUIET_HOURS": window, "CONSOLE_TIMEZONE": "Europe/Athens"}
    code = run(values, monkeypatch, csv(), "--template", "71", "--default", "voucherAmount=20 €", "--yes")
    err = capsys.readouterr().err
    assert code == 3 and "inside quiet hours" in err and "add --schedule " in err
    assert sandbox.outbox() == []


@pytest.fixture
def check_settings(tmp_path, monkeypatch):
    values = settings(DATABASE_URL=f"sqlite:///{tmp_path / 'h.db'}", CONSOLE_SMS_OPTOUT_TEXT=OPTOUT)
    monkeypatch.setattr(check_cli, "get_settings", lambda: values)
    yield values
    close_all_stores()


def test_check_says_the_template_lacks_the_opt_out_text(check_settings, tmp_path, capsys):
    file = tmp_path / "list.csv"
    file.write_text(HEADER + "C1,6936862208,V1,10 €,31/12/2026\n", encoding="utf-8")
    assert check_cli.main([str(file), "--channel", "sms", "--template", "71", "--json"]) == 3
    refused = json.loads(capsys.readouterr().out)["refused"]
    assert refused["code"] == "optout_text.missing" and OPTOUT in refused["message"]
    assert check_cli.main([str(file), "--channel", "sms", "--template", "72"]) == 3  # 72 lacks its tags' columns
    assert "Cannot be sent" not in capsys.readouterr().out  # a service SMS needs no opt-out text


def test_compose_refuses_to_send_when_the_opt_out_text_became_required(app_env, monkeypatch):  # noqa: F811
    monkeypatch.setenv("CONSOLE_SMS_OPTOUT_TEXT", OPTOUT)  # set after template 71 was saved without it
    get_settings.cache_clear()
    page = AppTest.from_file(page_path("compose.py"), default_timeout=60).run()
    page.selectbox(key="compose_template").select_index(0).run()
    data = (HEADER + "C1,6936862208,V1,10 €,31/12/2026\n").encode()
    page.get("file_uploader")[0].upload("promo.csv", data, "text/csv").run()
    assert not page.exception, page.exception
    assert any(f"Add the opt-out text '{OPTOUT}'" in e.value for e in page.error)
    assert not any(b.key == "compose_send" for b in page.button)


# ---- the audit trail of the do-not-contact list ---------------------------------------------------------

def test_every_change_to_the_list_is_audited_without_the_number_or_address(tmp_path):
    values = settings(DATABASE_URL=f"sqlite:///{tmp_path / 'h.db'}")
    store = open_store(values.database_url)
    optouts = OptOutList(Ledger(store, values))
    optouts.add("+30 693 111 2233", reason="STOP", added_by="maria")
    optouts.import_file(b"email\nMaria@Example.GR\nnot-an-address\n", "stop.csv", added_by="nikos")
    optouts.remove("6931112233", reason="asked again", removed_by="eleni")
    with store.read() as conn:
        events = list(reversed(list_events(conn)))
        stored = conn.execute(select(schema.audit_events)).all()
    assert [(e.actor, e.action) for e in events] == [
        ("maria", AuditAction.OPTOUT_ADD), ("nikos", AuditAction.OPTOUT_ADD), ("eleni", AuditAction.OPTOUT_REMOVE)]
    assert events[0].details["entries"] == 1 and events[0].details["source"] == "console"
    assert (events[1].details["entries"], events[1].details["rows_with_problems"]) == (1, 1)
    assert events[2].details["entries"] == 1
    trail = repr(stored)
    assert "6931112233" not in trail and "maria@example.gr" not in trail.lower()
    close_all_stores()


def test_a_failed_import_leaves_no_entry_and_no_audit_row(tmp_path, monkeypatch):
    values = settings(DATABASE_URL=f"sqlite:///{tmp_path / 'h.db'}")
    store = open_store(values.database_url)
    optouts = OptOutList(Ledger(store, values))
    import lib.ledger.optout as module

    def broken(*_a, **_k):
        raise RuntimeError("audit down")

    monkeypatch.setattr(module.audit, "record", broken)
    with pytest.raises(RuntimeError):
        optouts.import_file(b"email\nmaria@example.gr\n", "stop.csv", added_by="nikos")
    assert optouts.count() == 0
    close_all_stores()



# ---- the send's record on the Dispatches page ---------------------------------------------------------------

PEOPLE = HEADER + "".join(f"C{i},69368622{i:02d},V{i},10 €,31/12/2026\n" for i in range(1, 6))


def test_dispatches_detail_shows_who_the_rules_left_out_with_composes_counts(runtime, client):  # noqa: F811
    from decimal import Decimal

    from lib.campaign import CampaignChoices, preview_campaign
    from lib.ledger.gate import LedgerGate
    from lib.recipients import clear_cache, load_recipient_list
    from lib.sending.engine import SendEngine
    from lib.templates import template_tags
    from tests.test_dispatches_page import _app

    clear_cache()
    runtime.ledger = Ledger(runtime.store, runtime.settings).install()
    engine = SendEngine(runtime.store, client, batch_size=10, platform_url=client.base_url, is_sandbox=True,
                        operator="maria", gate=LedgerGate(runtime.ledger))

    def send(text, include=False):
        recipients = load_recipient_list(text.encode(), "list.csv", channel=PROMO.channel,
                                         template_tags=template_tags(PROMO), settings=runtime.settings)
        campaign = preview_campaign(PROMO, recipients, CampaignChoices(include_already_received=include),
                                    Decimal("0.05"), runtime.ledger)
        manifest = campaign.manifest(None)
        campaign.stage_for_send(runtime.ledger, manifest)
        return campaign, engine.submit(manifest)

    send(HEADER + "C1,6936862201,V1,10 €,31/12/2026\nC2,6936862202,V2,10 €,31/12/2026\n")
    OptOutList(runtime.ledger).add("6936862203", reason="STOP", added_by="maria")
    campaign, outcome = send(PEOPLE)
    assert campaign.left_out_summary() == ["1 opted out", "2 left out: already received"]
    _, again = send(PEOPLE.replace("V5", "V6"), include=True)  # C1, C2 and C4, C5 (send 2) on purpose

    for send_id, expected in [
        (outcome.send_id, "3 people left out by the rules: 1 opted out; 2 left out: already received."),
        (again.send_id, "Sent again on purpose to 4 people who already received it."),
    ]:
        dispatch_id = runtime.store.get_send(send_id).chunks[0].dispatch_id
        page = _app()
        page.text_input(key="dispatches_search").set_value(str(dispatch_id)).run()
        assert not page.exception, page.exception
        assert expected in [m.value for m in page.markdown]


# ---- keyed hashes of a large list: two processes, the same keys ---------------------------------------------

def test_keys_from_two_processes_are_the_hmac_of_each_value(monkeypatch):
    import hmac
    import threading

    import numpy as np

    import lib.ledger.keys as keys

    secret = b"s" * 32
    values = [f"+30693{i:07d}" for i in range(1001)] + [None, "", float("nan")]
    expected = [int.from_bytes(hmac.digest(secret, v.encode(), "sha256")[:8], "little", signed=True)
                for v in values[:1001]] + [0, 0, 0]
    monkeypatch.setattr(keys, "PARALLEL_MIN", 10)
    forks, fork, may_fork = [], keys.os.fork, keys._may_fork
    monkeypatch.setattr(keys.os, "fork", lambda: forks.append(1) or fork())
    monkeypatch.setattr(keys, "_may_fork", lambda: True)  # whatever threads earlier tests left running
    assert keys.LedgerKeys(secret).keys(values).tolist() == expected  # forked: halves joined in order
    assert forks == [1]
    monkeypatch.setattr(keys, "_may_fork", may_fork)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:  # a threaded process (the Streamlit server) never forks, and gets the same keys
        monkeypatch.setattr(keys.os, "fork", lambda: (_ for _ in ()).throw(AssertionError("forked")))
        assert np.array_equal(keys.LedgerKeys(secret).keys(values), np.array(expected, dtype=np.int64))
    finally:
        stop.set()
        other.join()


def test_preview_shows_the_message_and_says_the_send_would_be_refused(tmp_path, monkeypatch, capsys):
    from lib.cli.preview import main as preview

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'h.db'}")
    monkeypatch.setenv("CONSOLE_SMS_OPTOUT_TEXT", OPTOUT)
    get_settings.cache_clear()
    file = tmp_path / "list.csv"
    file.write_text(HEADER + "C1,6936862208,V1,10 €,31/12/2026\n", encoding="utf-8")
    try:
        assert preview([str(file), "--template", "71"]) == 0
        out = capsys.readouterr().out
        assert "Your voucher V1 is worth 10 €" in out and f"Cannot be sent: Add the opt-out text '{OPTOUT}'" in out
        assert preview([str(file), "--template", "71", "--json"]) == 0
        summary = json.loads(capsys.readouterr().out.splitlines()[-1])["summary"]
        assert summary["refused"]["code"] == "optout_text.missing"
    finally:
        get_settings.cache_clear()
        close_all_stores()
