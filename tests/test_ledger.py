"""The recipient ledger: never twice per person, never to those who said no.

Sends go through the real engine to the real sandbox over HTTP; the rules are checked through the
same campaign the Compose page and `send` use.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, update

from lib.campaign import CampaignChoices, preview_campaign
from lib.history import schema
from lib.history.store import NewRecipient, close_all_stores, open_store, utcnow
from lib.ledger import Ledger, Rule
from lib.ledger.gate import LedgerGate
from lib.ledger.optout import OptOutList
from lib.recipients import clear_cache, load_recipient_list
from lib.sending.engine import SendEngine
from lib.settings import SettingsError, load_settings
from lib.templates import Channel, load_catalog, template_tags

PROMO = next(t for t in load_catalog() if t.id == 71)
SPRING = next(t for t in load_catalog() if t.id == 81)
HEADER = "customer id;mobile;voucherCode;voucherAmount;expirationDate\n"
BASE = HEADER + (
    "C001;6936862208;V1;10 €;31/12/2026\n"
    "C002;6936862209;V2;10 €;31/12/2026\n"
    "C003;6936862210;;10 €;31/12/2026\n"
)


def settings_with(**env):
    values = {"CONSOLE_FREQUENCY_CAP": "3/7d", **env}
    return load_settings(env=values, secrets_path=Path("/nonexistent"))


class Console:
    """A store with the ledger installed, an engine on the sandbox, and the campaign path."""

    def __init__(self, url, client, settings):
        self.store = open_store(url)
        self.settings = settings
        self.ledger = Ledger(self.store, settings).install()
        self.now = utcnow()  # "now" for the checks, so boundaries are exact
        self.engine = SendEngine(self.store, client, batch_size=2, platform_url=client.base_url, is_sandbox=True,
                                 operator="maria")

    def campaign(self, text, template=PROMO, defaults=None, include=False, now=None):
        recipients = load_recipient_list(text.encode(), "list.csv", channel=template.channel,
                                         template_tags=template_tags(template), settings=self.settings)
        choices = CampaignChoices(defaults or {}, include_already_received=include)
        return preview_campaign(template, recipients, choices, Decimal("0.05"), self.ledger, now=now)

    def send(self, text, schedule=None, **kw):
        """(campaign, outcome or None when nobody is left to send to)."""
        campaign = self.campaign(text, **kw)
        if campaign.sendable_count == 0:
            return campaign, None
        manifest = campaign.manifest(schedule)
        campaign.stage_for_send(self.ledger, manifest)
        return campaign, self.engine.submit(manifest)


@pytest.fixture(params=["look up", "scan"])
def console(request, tmp_path, client, monkeypatch):
    """Each test twice: people looked up by key (a chunk, a small list) and the whole window scanned
    (a large list), the two ways the ledger reads its entries."""
    import lib.ledger.ledger

    monkeypatch.setattr(lib.ledger.ledger, "_FEW_PEOPLE", 5_000 if request.param == "look up" else 0)
    clear_cache()
    yield Console(f"sqlite:///{tmp_path / 'history.db'}", client, settings_with())
    close_all_stores()


def backdated_send(console, members, *, days_ago, template_id=71, channel="sms", status="accepted", is_test=False,
                   minutes=0):
    """A send recorded `days_ago` days (and `minutes`) before console.now, its chunk in `status`."""
    now = console.now - timedelta(days=days_ago, minutes=minutes)
    send_id = console.store.create_send(
        manifest_hash=f"h{now.timestamp()}{template_id}", claim=f"c{now.timestamp()}{template_id}{is_test}",
        template_id=template_id, template_name="t", channel=channel, schedule_at=None, created_by="maria",
        platform_url="http://x", is_sandbox=True, is_test=is_test, resend_of=None, excluded_recipients=0,
        estimated_parts=None, estimated_cost=None, batch_size=100, chunks=[members], now=now,
    )
    with console.store.write() as conn:
        conn.execute(update(schema.chunks).where(schema.chunks.c.send_id == send_id).values(status=status))
    return send_id


def person(uid="C001", mobile="+306936862208", row=2):
    return NewRecipient(uid, row, mobile, None, ())


def rules_for(console, text=BASE, **kw) -> dict[int, str]:
    campaign = console.campaign(text, defaults={"voucherCode": "X"}, now=console.now, **kw)
    return dict(campaign.rules_left_out["rule"].items())


# ---- already received: the window, the outcomes that count -----------------------------------------

@pytest.mark.parametrize(
    ("days_ago", "minutes", "status", "is_test", "left_out"),
    [
        (30, -1, "accepted", False, True),  # 29 days 23:59 ago: inside the 30 days
        (30, 0, "accepted", False, True),  # exactly 30 days ago: still inside
        (30, 1, "accepted", False, False),  # 30 days and a minute ago: outside
        (1, 0, "unknown", False, True),  # may have gone out: counts as received
        (1, 0, "posting", False, True),
        (1, 0, "marked_sent", False, True),
        (1, 0, "rejected", False, False),  # refused by the platform: nothing went out
        (1, 0, "pending", False, False),
        (1, 0, "accepted", True, False),  # a test never counts as having received the campaign
    ],
)
def test_already_received_at_its_boundaries(console, days_ago, minutes, status, is_test, left_out):
    backdated_send(console, [person()], days_ago=days_ago, minutes=minutes, status=status, is_test=is_test)
    assert (rules_for(console).get(2) == Rule.ALREADY_RECEIVED) is left_out


def test_already_received_says_when_and_which_send(console):
    send_id = backdated_send(console, [person()], days_ago=2)
    campaign = console.campaign(BASE, defaults={"voucherCode": "X"})
    sent_at = console.store.get_send(send_id).send.created_at.astimezone(console.settings.tz)
    reason = campaign.excluded().set_index("Row").loc[2, "Why it is left out"]
    assert reason == f"Already received this message on {sent_at.day} {sent_at:%b} at {sent_at:%H:%M} (send #{send_id})"
    assert campaign.left_out_summary() == ["1 left out: already received"]


def test_another_template_or_channel_is_not_already_received(console):
    backdated_send(console, [person()], days_ago=1, template_id=73)
    assert rules_for(console) == {}


# ---- frequency cap -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("earlier_days", "left_out"),
    [
        ([1, 2], False),  # two in the last 7 days: the third is allowed
        ([1, 2, 3], True),  # three already: a fourth is over the cap
        ([1, 2, 7], True),  # exactly 7 days ago still counts
        ([1, 2, 8], False),  # 8 days ago does not
    ],
)
def test_frequency_cap_counts_marketing_messages_across_templates(console, earlier_days, left_out):
    for i, days in enumerate(earlier_days):  # other templates: the cap is across all of them
        backdated_send(console, [person()], days_ago=days, template_id=72 + (i % 2))
    rules = rules_for(console)
    assert (rules.get(2) == Rule.FREQUENCY_CAP) is left_out
    if left_out:
        reason = console.campaign(BASE, defaults={"voucherCode": "X"}, now=console.now).excluded().set_index("Row").loc[2]
        assert reason["Why it is left out"] == "Already got 3 messages in the last 7 days"


def test_frequency_cap_off_and_unreadable():
    assert settings_with(CONSOLE_FREQUENCY_CAP="off").frequency_cap is None
    assert load_settings(env={}, secrets_path=Path("/nonexistent")).frequency_cap is None
    assert str(settings_with().frequency_cap) == "3/7d"
    with pytest.raises(SettingsError, match="^CONSOLE_FREQUENCY_CAP must look like 3/7d"):
        settings_with(CONSOLE_FREQUENCY_CAP="three a week")
    with pytest.raises(SettingsError, match="^CONSOLE_REPEAT_DAYS"):
        settings_with(CONSOLE_REPEAT_DAYS="a month")


# ---- normalisation: one person however they are written -------------------------------------------

@pytest.mark.parametrize("written", ["+30 693 686 2208", "00306936862208", "6936862208", "693-686-2208"])
def test_a_mobile_matches_however_it_is_written(console, written):
    backdated_send(console, [person(uid="OTHER-ID")], days_ago=1)
    text = HEADER + f"NEW;{written};V1;10 €;31/12/2026\n"
    assert rules_for(console, text) == {2: Rule.ALREADY_RECEIVED}


@pytest.mark.parametrize(
    ("sent_to", "written"),
    [
        ("maria@example.gr", "Maria@Example.GR"),
        ("Maria@Example.GR", "maria@example.gr"),
        ("maria@ελλάδα.gr", f"maria@{'ελλάδα'.encode('idna').decode()}.gr"),  # IDN: Unicode vs punycode
        (f"maria@{'ελλάδα'.encode('idna').decode()}.gr", "MARIA@ΕΛΛΆΔΑ.GR"),
    ],
)
def test_an_address_matches_in_any_case_and_either_idn_form(console, sent_to, written):
    from lib.recipients import emails

    stored = emails.check_one(sent_to).normalized  # what a recipient list would have recorded
    backdated_send(console, [person(uid="OTHER", mobile=stored)], days_ago=1, template_id=81, channel="email")
    text = "customer id;email;Firstname;voucherCode\n" + f"NEW;{written};Maria;V1\n"
    campaign = console.campaign(text, template=SPRING)
    assert dict(campaign.rules_left_out["rule"].items()) == {2: Rule.ALREADY_RECEIVED}


def test_customer_ids_match_in_any_case(console):
    backdated_send(console, [person(uid="AbC-001", mobile="+306900000001")], days_ago=1)
    assert rules_for(console, HEADER + " ABC-001 ;6936862208;V1;10 €;31/12/2026\n") == {2: Rule.ALREADY_RECEIVED}


# ---- the innocent variants, through the real sandbox ----------------------------------------------

VARIANTS = {
    "the same file with one customer added": (BASE + "C004;6936862211;V4;10 €;31/12/2026\n", {}, None, 1),
    "a trailing space in a cell": (BASE.replace("C001;6936862208;", "C001 ;6936862208 ;"), {}, None, 0),
    "the same list scheduled for later": (BASE, {}, timedelta(days=1), 0),
    "numbers written +30 69…": (BASE.replace(";6936862", ";+30 69 36862"), {}, None, 0),
    "ids in lower case": (BASE.replace("C00", "c00"), {}, None, 0),
    "a default left empty on the second try": (BASE, {}, None, 0),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_innocent_variants_send_to_nobody_twice(console, sandbox, variant):
    _, first = console.send(BASE, defaults={"voucherCode": "WELCOME"})
    assert first.totals.accepted == 3
    text, defaults, later, newcomers = VARIANTS[variant]
    schedule = (utcnow() + later) if later else None
    campaign, second = console.send(text, schedule=schedule, defaults=defaults)
    assert campaign.left_out_counts == {"already_received": 3}
    if newcomers:
        assert second.totals.accepted == newcomers
        assert console.ledger.left_out_counts(second.send_id) == {"already_received": 3}  # the send's record
    else:
        assert second is None  # nothing posted: nobody left
        assert len(console.store.list_sends(10)) == 1
    messages = sandbox.wait_for_outbox(3 + newcomers, timeout=20)
    assert max(Counter(m["to"] for m in messages).values()) == 1  # nobody got it twice


def test_everyone_left_out_posts_nothing_and_says_why(console):
    console.send(BASE, defaults={"voucherCode": "WELCOME"})
    campaign, outcome = console.send(BASE, defaults={"voucherCode": "WELCOME"})
    assert outcome is None and campaign.sendable_count == 0
    assert campaign.left_out_summary() == ["3 left out: already received"]


def test_including_them_on_purpose_is_recorded_with_the_send(console):
    console.send(BASE, defaults={"voucherCode": "WELCOME"})
    campaign = console.campaign(BASE, defaults={"voucherCode": "WELCOME"}, include=True)
    assert campaign.already_received_count == 3 and campaign.sendable_count == 3
    manifest = campaign.manifest(utcnow() + timedelta(hours=2))  # another schedule: not the same manifest
    campaign.stage_for_send(console.ledger, manifest)
    outcome = console.engine.submit(manifest)
    assert console.ledger.include_decision(outcome.send_id) == 3


# ---- do not contact ---------------------------------------------------------------------------

def test_opted_out_people_are_left_out_and_no_choice_includes_them(console):
    optouts = OptOutList(console.ledger)
    optouts.add("+30 693 686 2208", channel="sms", reason="STOP", added_by="maria")
    optouts.add("c002", channel="both", reason="asked by phone", added_by="maria", customer_id=True)
    optouts.add("6936862210", channel="email", reason="email only", added_by="maria")  # not for SMS
    for include in (False, True):
        campaign = console.campaign(BASE, defaults={"voucherCode": "X"}, include=include)
        assert dict(campaign.rules_left_out["rule"].items()) == {2: Rule.OPTED_OUT, 3: Rule.OPTED_OUT}
        assert campaign.left_out_summary() == ["2 opted out"]


def test_removal_keeps_the_history_and_lets_them_receive_again(console):
    optouts = OptOutList(console.ledger)
    optouts.add("6936862208", reason="STOP", added_by="maria")
    optouts.remove("+306936862208", reason="subscribed again", removed_by="nikos")
    assert rules_for(console) == {}
    [entry] = optouts.entries(include_removed=True)
    assert (entry.removed_by, entry.removed_reason) == ("nikos", "subscribed again")


def test_import_adds_the_good_rows_in_one_go_and_names_the_bad(console):
    data = "mobile;email;reason\n6936862208;;STOP\n12345;;STOP\n;Maria@Example.GR;unsubscribed\n;not-an-address;x\n"
    report = OptOutList(console.ledger).import_file(data.encode(), "stop.csv", added_by="maria")
    assert (report.added, [p[:2] for p in report.problems]) == (2, [(3, "mobile"), (5, "email")])
    assert {e.value for e in OptOutList(console.ledger).entries()} == {"+306936862208", "maria@example.gr"}


# ---- the gate: right before each POST -----------------------------------------------------------

def new_send(console, members, template_id=71, is_test=False):
    return console.store.create_send(
        manifest_hash=f"m{len(members)}{is_test}", claim=f"m{len(members)}{is_test}", template_id=template_id,
        template_name="t", channel="sms", schedule_at=None, created_by="maria", platform_url="http://x",
        is_sandbox=True, is_test=is_test, resend_of=None, excluded_recipients=0, estimated_parts=None,
        estimated_cost=None, batch_size=10, chunks=[members],
    )


def admit(console, send_id):
    detail = console.store.get_send(send_id)
    chunk = detail.chunks[0]
    kept = LedgerGate(console.ledger).admit(detail.send, chunk, console.store.chunk_recipients(chunk.id))
    return [m.unique_id for m in kept]


def test_an_opt_out_between_upload_and_send_is_removed_and_recorded(console):
    send_id = new_send(console, [person("C001", "+306936862208", 2), person("C002", "+306936862209", 3)])
    assert admit(console, send_id) == ["C001", "C002"]
    OptOutList(console.ledger).add("693 686 2209", reason="replied STOP", added_by="maria")
    assert admit(console, send_id) == ["C001"]
    assert console.ledger.left_out_counts(send_id) == {"opted_out_after_upload": 1}


def test_the_gate_leaves_out_who_received_it_meanwhile_unless_the_send_says_otherwise(console):
    backdated_send(console, [person("C001")], days_ago=0)  # another tab sent it a moment ago
    send_id = new_send(console, [person("C001"), person("C002", "+306936862209", 3)])
    assert admit(console, send_id) == ["C002"]
    assert console.ledger.left_out_counts(send_id) == {"already_received": 1}

    with console.store.write() as conn:  # the marketer had chosen to include them: recorded on the send
        conn.execute(schema.send_decisions_ledger.insert().values(
            send_id=send_id, decision="include_already_received", people=1, decided_by="maria", decided_at=utcnow()))
        conn.execute(schema.ledger_left_out.delete().where(schema.ledger_left_out.c.send_id == send_id))
    assert admit(console, send_id) == ["C001", "C002"]


def test_the_gate_applies_the_frequency_cap_and_passes_tests_untouched(console):
    for days in (1, 2, 3):
        backdated_send(console, [person("C001")], days_ago=days, template_id=73)
    send_id = new_send(console, [person("C001"), person("C002", "+306936862209", 3)])
    assert admit(console, send_id) == ["C002"]
    assert console.ledger.left_out_counts(send_id) == {"frequency_cap": 1}
    test_id = new_send(console, [person("C001")], is_test=True)
    assert admit(console, test_id) == ["C001"]


# ---- retention ---------------------------------------------------------------------------------

def test_purge_deletes_the_people_but_the_hashed_ledger_still_works(console):
    send_id = backdated_send(console, [person("C001"), person("C002", "+306936862209", 3)], days_ago=5)
    OptOutList(console.ledger).add("6936862210", reason="STOP", added_by="maria")
    assert console.store.purge_personal_data(utcnow(), retention_days=1) == 2
    assert console.store.stored_recipient_counts([c.id for c in console.store.get_send(send_id).chunks]) == {1: 0}
    with console.store.read() as conn:
        kept = conn.execute(select(schema.ledger_chunks)).mappings().all()
    assert [r["members"] for r in kept] == [2]
    assert not any(b"6936" in r["dest_keys"] + r["uid_keys"] or b"C00" in r["uid_keys"] for r in kept)  # keys only
    assert rules_for(console) == {2: Rule.ALREADY_RECEIVED, 3: Rule.ALREADY_RECEIVED, 4: Rule.OPTED_OUT}


def test_the_purge_keeps_a_chunks_people_until_the_ledger_has_made_their_keys(console, sandbox):
    """A send recorded from a check carries match keys; its HMAC record is made from the chunk's people
    afterwards, so the purge must not delete them first."""
    console.send(BASE, defaults={"voucherCode": "X"})
    later = utcnow() + timedelta(days=2)
    assert console.store.purge_personal_data(later, retention_days=1) == 0  # their keys are not made yet
    assert console.ledger.complete_keys(sent_before=later - timedelta(days=1)) == 2  # its two parts, as a start does
    assert console.store.purge_personal_data(later, retention_days=1) == 3
    assert rules_for(console) == {2: Rule.ALREADY_RECEIVED, 3: Rule.ALREADY_RECEIVED, 4: Rule.ALREADY_RECEIVED}


def test_a_check_after_reading_ahead_still_sees_a_send_made_meanwhile(console):
    """`check` reads the ledger ahead while the file is read; a send recorded in between still counts."""
    console.ledger.read_ahead(71, "sms", True)
    console.ledger._wait_for_read_ahead()
    assert rules_for(console) == {}
    console.ledger.read_ahead(71, "sms", True)
    console.ledger._wait_for_read_ahead()
    backdated_send(console, [person("C002", "+306936862209", 3)], days_ago=1)
    assert rules_for(console) == {3: Rule.ALREADY_RECEIVED}


def test_an_idle_worker_makes_the_ledger_keys_of_a_recorded_send(console, sandbox):
    import threading

    from support_worker import wait_for

    from lib.sending.worker import Worker

    def unkeyed() -> int:
        with console.store.read() as conn:
            return len(conn.execute(select(schema.ledger_chunks.c.id).where(
                schema.ledger_chunks.c.dest_keys.is_(None))).all())

    console.send(BASE, defaults={"voucherCode": "X"})
    assert unkeyed() == 2
    stop = threading.Event()
    worker = Worker(lambda: console.engine, refresh_every=None, ledger=console.ledger, poll_seconds=0.05)
    thread = threading.Thread(target=worker.run_forever, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_for(lambda: unkeyed() == 0, 30, "the worker to make the ledger's keys")
    finally:
        stop.set()
        thread.join(30)


def test_the_secret_is_made_once_and_never_shown(console, tmp_path):
    from lib.ledger.keys import SECRET_META_KEY

    secret = console.store.get_meta(SECRET_META_KEY)
    assert len(bytes.fromhex(secret)) == 32
    again = Ledger(open_store(console.store.url, shared=False), console.settings)
    assert again.keys.key("+306936862208") == console.ledger.keys.key("+306936862208")
    assert secret not in repr(console.ledger.keys) and secret not in repr(console.ledger.keys.__dict__)


def test_a_database_from_before_the_ledger_gets_its_tables(tmp_path):
    from alembic import command
    from sqlalchemy import inspect

    from lib.history.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    store = open_store(url, shared=False)
    with store.engine.begin() as conn:  # as revision 0006 left it: no ledger tables, nor what came after them
        for table in (schema.preferences, schema.approvals, schema.send_reviews, *reversed(schema.LEDGER_TABLES)):
            table.drop(conn)
        for table, column in (("sends", "not_before"), ("sends", "language"), ("chunks", "error_code"),
                              ("chunks", "error_params")):  # 0009 and 0011
            conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN {column}")
        for index in ("ix_chunks_status", "ix_chunks_updated_at", "ix_dispatches_last_changed_at",
                      "ix_dispatches_first_seen_status"):  # 0014
            conn.exec_driver_sql(f"DROP INDEX {index}")
        command.stamp(alembic_config(conn), "0006")
    store.engine.dispose()
    store = open_store(url, shared=False)
    with store.read() as conn:
        assert {"ledger_chunks", "ledger_left_out", "ledger_sends", "do_not_contact", "send_rule_decisions"} <= set(
            inspect(conn).get_table_names())


def test_rows_to_fix_list_the_rows_the_rules_leave_out(console):
    from lib.campaign import check_rules, rule_problems
    from lib.recipients import export_rows_to_fix

    backdated_send(console, [person()], days_ago=1)
    OptOutList(console.ledger).add("6936862209", reason="STOP", added_by="maria")
    recipients = load_recipient_list(BASE.encode(), "list.csv", channel=Channel.SMS,
                                     template_tags=template_tags(PROMO), settings=console.settings)
    _, check = check_rules(PROMO, recipients, False, console.ledger, now=console.now)
    exported = export_rows_to_fix(recipients, "csv", extra=rule_problems(check, False, console.settings.tz))
    lines = exported.decode("utf-8-sig").splitlines()
    assert lines[1].startswith("2;C001;") and "Already received this message on" in lines[1]
    assert lines[2].startswith("3;C002;") and lines[2].endswith("On the do not contact list")
    assert len(lines) == 3  # row 4 (C003) is fine: not in the file to fix


def test_no_consent_is_one_more_rule_in_the_same_counts(console):
    text = ("customer id;mobile;voucherCode;voucherAmount;expirationDate;Marketing consent\n"
            "C001;6936862208;V1;10 €;31/12/2026;ναι\nC002;6936862209;V2;10 €;31/12/2026;όχι\n"
            "C003;6936862210;V3;10 €;31/12/2026;\n")
    campaign = console.campaign(text, now=console.now)
    assert dict(campaign.rules_left_out["rule"].items()) == {3: Rule.NO_CONSENT, 4: Rule.NO_CONSENT}
    assert campaign.left_out_summary() == ["2 left out: no marketing consent"] and campaign.consent_notice is None
    assert campaign.sendable_count == 1
    assert console.campaign(BASE, defaults={"voucherCode": "X"}).consent_notice.startswith("Consent was not checked")


def test_the_ledger_works_the_same_on_sqlite_and_postgresql(database_url):
    store = open_store(database_url)
    try:
        ledger = Ledger(store, settings_with()).install()
        members = [person("C001", "+306936862208", 2), person("C002", "+306936862209", 3)]
        send_id = store.create_send(
            manifest_hash="h", claim="h", template_id=71, template_name="t", channel="sms", schedule_at=None,
            created_by="maria", platform_url="http://x", is_sandbox=True, is_test=False, resend_of=None,
            excluded_recipients=0, estimated_parts=None, estimated_cost=None, batch_size=10, chunks=[members],
        )
        with store.write() as conn:
            conn.execute(update(schema.chunks).where(schema.chunks.c.send_id == send_id).values(status="accepted"))
        OptOutList(ledger).add("6936862210", reason="STOP", added_by="maria")
        keys = ledger.member_keys("sms", [person("c001", "+306900000000"), person("X", "+306936862210")])
        keys.index = [2, 3]
        verdict = ledger.check(keys, ledger.context(71, "sms", True))
        assert dict(verdict.left_out["rule"].items()) == {2: Rule.ALREADY_RECEIVED, 3: Rule.OPTED_OUT}
        ledger.record_left_out(send_id, store.get_send(send_id).chunks[0].id, [2], ["opted_out_after_upload"])
        assert ledger.left_out_counts(send_id) == {"opted_out_after_upload": 1}
    finally:
        close_all_stores()


def test_someone_the_gate_left_out_never_counts_as_having_received_it(console):
    send_id = backdated_send(console, [person("C001"), person("C002", "+306936862209", 3)], days_ago=1)
    chunk = console.store.get_send(send_id).chunks[0]
    console.ledger.record_left_out(send_id, chunk.id, [1], ["frequency_cap"])  # C001, before the POST
    assert rules_for(console) == {3: Rule.ALREADY_RECEIVED}  # C002 got it; C001 did not


def test_three_messages_to_one_shared_number_in_one_send_reach_the_cap(console):
    shared = "+306936862208"  # three customers sharing one phone: it got three messages
    backdated_send(console, [person("A1", shared, 2), person("A2", shared, 3), person("A3", shared, 4)],
                   days_ago=1, template_id=73)
    assert rules_for(console) == {2: Rule.FREQUENCY_CAP}


# ---- match keys (revision 0012): lists are joined on keyed SipHash pairs, HMAC stays the record ----

def _forget_match_keys(console):
    """The ledger as a console before revision 0012 left it: HMAC keys only."""
    with console.store.write() as conn:
        conn.execute(update(schema.ledger_chunks).values(dest_match=None, uid_match=None))
        conn.execute(update(schema.do_not_contact).values(match1=None, match2=None))
    console.ledger = Ledger(console.store, console.settings)  # nothing read and kept from before


def test_people_recorded_before_match_keys_are_still_left_out(console):
    backdated_send(console, [person("C001")], days_ago=5)  # already received, by number and id
    for days in (1, 2):  # two messages of another template: with one more below, C002 is at the cap
        backdated_send(console, [person("OTHER1", "+306936862209", 3)], days_ago=days, template_id=73)
    OptOutList(console.ledger).add("6936862210", reason="STOP", added_by="maria")
    OptOutList(console.ledger).add("C004", customer_id=True, reason="STOP", added_by="maria")
    _forget_match_keys(console)
    backdated_send(console, [person("C002", "+306936862219", 3)], days_ago=3, template_id=72)  # recorded after
    text = BASE + "C004;6936862211;V4;10 €;31/12/2026\n"
    assert rules_for(console, text) == {2: Rule.ALREADY_RECEIVED, 3: Rule.FREQUENCY_CAP, 4: Rule.OPTED_OUT,
                                        5: Rule.OPTED_OUT}


@pytest.mark.parametrize("first_key", [lambda k: 7, lambda k: (k & 0xF) + 1, lambda k: k ^ 0x5A5A])
def test_whatever_the_first_match_keys_the_rules_give_the_same_answer(console, monkeypatch, first_key):
    """Two people whose first 64-bit match keys collide (forced here for everyone, or for many) are
    told apart by the second: nobody is left out for someone else's message or opt-out."""
    import numpy as np

    from lib.ledger.keys import MatchKeys

    real = MatchKeys.keys

    def colliding(self, texts):
        first, second = real(self, texts)
        forced = np.array([first_key(int(k)) for k in first], dtype=np.int64)
        return np.where(first != 0, forced, 0), second

    monkeypatch.setattr(MatchKeys, "keys", colliding)
    backdated_send(console, [person("C001")], days_ago=5)
    for days in (1, 2, 3):
        backdated_send(console, [person("OTHER", "+306936862299", 9)], days_ago=days, template_id=73)
    OptOutList(console.ledger).add("6936862210", reason="STOP", added_by="maria")
    text = BASE + "C009;6936862299;V9;10 €;31/12/2026\n"
    assert rules_for(console, text) == {2: Rule.ALREADY_RECEIVED, 4: Rule.OPTED_OUT, 5: Rule.FREQUENCY_CAP}


def test_a_recorded_send_keeps_the_hmac_of_each_person_and_their_match_keys(console, sandbox):
    import hmac

    import numpy as np

    from lib.ledger.keys import SECRET_META_KEY

    _, outcome = console.send(BASE, defaults={"voucherCode": "X"})
    secret = bytes.fromhex(console.store.get_meta(SECRET_META_KEY))

    def kept_chunks():
        with console.store.read() as conn:
            return conn.execute(select(schema.ledger_chunks).where(schema.ledger_chunks.c.chunk_id.is_not(None))
                                .order_by(schema.ledger_chunks.c.chunk_id)).mappings().all()

    # Recorded from a check: the match keys it made, the HMAC record made afterwards from the recipients.
    assert [r["dest_keys"] for r in kept_chunks()] == [None, None] and console.ledger.complete_keys() == 2
    assert console.ledger.complete_keys() == 0  # made once
    kept = kept_chunks()

    def hmac_key(text):
        return int.from_bytes(hmac.digest(secret, text.encode(), "sha256")[:8], "little", signed=True)

    dest = np.concatenate([np.frombuffer(r["dest_keys"], "<i8") for r in kept]).tolist()
    uid = np.concatenate([np.frombuffer(r["uid_keys"], "<i8") for r in kept]).tolist()
    assert dest == [hmac_key(m) for m in ("+306936862208", "+306936862209", "+306936862210")]
    assert uid == [hmac_key(u) for u in ("c001", "c002", "c003")]
    assert all(len(r["dest_match"]) == len(r["uid_match"]) == 16 * r["members"] for r in kept)
    assert rules_for(console) == {2: Rule.ALREADY_RECEIVED, 3: Rule.ALREADY_RECEIVED, 4: Rule.ALREADY_RECEIVED}
    _forget_match_keys(console)  # and read by those HMAC keys alone, the same people
    assert rules_for(console) == {2: Rule.ALREADY_RECEIVED, 3: Rule.ALREADY_RECEIVED, 4: Rule.ALREADY_RECEIVED}


def test_keys_sharing_their_high_bits_are_still_sorted_exactly():
    """The joins sort keys by their high bits with positions packed below; keys that share those high
    bits must still come out in full order, or a person could be missed."""
    import numpy as np

    from lib.ledger.ledger import _sorted

    rng = np.random.default_rng(9)
    cases = [np.array([5, 3, 4, 1], dtype=np.int64), np.array([-1, 1, -2**63, 0, 2**63 - 1], dtype=np.int64),
             rng.integers(-2**63, 2**63 - 1, 50_000, dtype=np.int64),
             (rng.integers(0, 2**20, 50_000) << np.int64(40)) | rng.integers(0, 2**40, 50_000)]  # shared high bits
    for keys in cases:
        order, ordered = _sorted(keys)
        assert ordered.tolist() == sorted(keys.view(np.uint64).tolist())
        assert np.array_equal(keys.view(np.uint64)[order], ordered)


def test_a_list_keyed_on_two_threads_gets_each_columns_own_keys(console):
    """`check` hashes the customer ids on a second thread while the destinations are hashed and a third
    reads the ledger: every row gets its own column's keys, and the right people are left out."""
    from lib.ledger.keys import uid_texts

    backdated_send(console, [person("C001")], days_ago=5)
    OptOutList(console.ledger).add("C003", customer_id=True, reason="STOP", added_by="maria")
    recipients = load_recipient_list(BASE.encode(), "list.csv", channel=Channel.SMS,
                                     template_tags=template_tags(PROMO), settings=console.settings)
    valid = recipients.valid_frame()
    ctx = console.ledger.context(PROMO.id, "sms", True, console.now)
    people, verdict = console.ledger.check_list(valid, "sms", "mobilePhone", ctx)
    match = console.ledger.keys.match
    for column, texts in (("dest", valid["mobilePhone"]), ("uid", uid_texts(valid["uniqueId"]))):
        for i, text in enumerate(texts):  # one value at a time, on this thread
            assert (people[f"{column}_m1"].iloc[i], people[f"{column}_m2"].iloc[i]) == match.key(text)
    assert dict(verdict.left_out["rule"].items()) == {
        2: Rule.ALREADY_RECEIVED, 4: Rule.OPTED_OUT}


def test_a_later_check_in_the_same_process_sees_what_changed_in_the_ledger(console):
    """The last window's grouped keys are kept between checks: a status that changes, a gate left-out
    and a new send each change the answer of the next check by the same ledger."""
    first = backdated_send(console, [person("C001")], days_ago=5)
    recipients = load_recipient_list(BASE.encode(), "list.csv", channel=Channel.SMS,
                                     template_tags=template_tags(PROMO), settings=console.settings)
    valid = recipients.valid_frame()
    ctx = console.ledger.context(PROMO.id, "sms", True, console.now)

    def left_out() -> dict:
        return dict(console.ledger.check_list(valid, "sms", "mobilePhone", ctx)[1].left_out["rule"].items())

    assert left_out() == left_out() == {2: Rule.ALREADY_RECEIVED}
    with console.store.write() as conn:
        conn.execute(update(schema.chunks).where(schema.chunks.c.send_id == first).values(status="failed"))
    assert left_out() == {}
    with console.store.write() as conn:
        conn.execute(update(schema.chunks).where(schema.chunks.c.send_id == first).values(status="unknown"))
    assert left_out() == {2: Rule.ALREADY_RECEIVED}
    chunk = console.store.get_send(first).chunks[0]
    console.ledger.record_left_out(first, chunk.id, [1], [Rule.OPTED_OUT_AFTER_UPLOAD.value])
    assert left_out() == {}
    backdated_send(console, [person("C002", "+306936862209", 3)], days_ago=2)
    assert left_out() == {3: Rule.ALREADY_RECEIVED}
