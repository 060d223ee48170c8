"""`python -m lib optout …` and the `leftOut` section of `python -m lib check --json`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import lib.cli.check as check_cli
import lib.cli.optout as optout_cli
from lib import i18n
from lib.history.store import NewRecipient, close_all_stores, open_store
from lib.ledger import Ledger
from lib.ledger.optout import OptOutList
from lib.recipients import clear_cache
from lib.settings import load_settings


@pytest.fixture
def settings(tmp_path, monkeypatch):
    clear_cache()
    values = load_settings(env={"DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}", "CONSOLE_OPERATOR": "maria"},
                           secrets_path=Path("/nonexistent"))
    monkeypatch.setattr(optout_cli, "get_settings", lambda: values)
    monkeypatch.setattr(check_cli, "get_settings", lambda: values)
    yield values
    close_all_stores()


def test_optout_add_import_remove_list_export(settings, tmp_path, capsys):
    assert optout_cli.main(["add", "+30 693 111 2233", "--reason", "STOP", "--channel", "sms"]) == 0
    assert "+306931112233 is on the do not contact list (SMS)" in capsys.readouterr().out
    file = tmp_path / "stop.csv"
    file.write_text("email;reason\nMaria@Example.GR;unsubscribed\nnot-an-address;x\n", encoding="utf-8")
    assert optout_cli.main(["import", str(file)]) == 1  # a bad row: reported, the good one added
    out = capsys.readouterr().out
    assert "1 added to the do not contact list." in out and "row 3, email: Not a valid email address" in out
    assert optout_cli.main(["remove", "6931112233"]) == 2  # a reason is required
    capsys.readouterr()
    assert optout_cli.main(["remove", "6931112233", "--reason", "asked again"]) == 0
    assert optout_cli.main(["list"]) == 0
    listed = capsys.readouterr().out
    assert "maria@example.gr" in listed and "+306931112233" not in listed.split("taken off")[-1]
    assert optout_cli.main(["export"]) == 0
    exported = capsys.readouterr().out.splitlines()
    assert exported[0].startswith("Channel;Kind;Value") and exported[1].startswith("SMS and email;Email;maria@example.gr;unsubscribed;file import: stop.csv;maria;")  # Excel's own delimiter, like every export
    assert optout_cli.main(["add", "12345"]) == 2
    assert "Not a mobile number or an email address" in capsys.readouterr().err


def test_optout_list_and_export_name_channel_and_source_in_the_readers_language(settings, tmp_path, capsys):
    with i18n.language("el"):
        assert optout_cli.main(["add", "6931112233", "--channel", "sms"]) == 0
        file = tmp_path / "διαγραφές.csv"
        file.write_text("email\nmaria@example.gr\n", encoding="utf-8")
        assert optout_cli.main(["import", str(file), "--channel", "email"]) == 0
        # Rows written before sources were codes hold English words: read the same way.
        optouts = OptOutList(Ledger(open_store(settings.database_url), settings))
        optouts.add("6931112244", source="command line", added_by="maria")
        optouts.add("6931112255", source="import: παλιά.csv", added_by="maria")
        capsys.readouterr()
        assert optout_cli.main(["export"]) == 0
        exported = capsys.readouterr().out.splitlines()
        assert optout_cli.main(["list"]) == 0
        listed = capsys.readouterr().out
    # (a mobile's leading + is kept from Excel's formulas by a quote, as in every export)
    assert exported[0] == "Κανάλι;Είδος;Τιμή;Αιτία;Προέλευση;Προστέθηκε από;Προστέθηκε στις"
    by_value = {line.split(";")[2]: line.split(";")[:5] for line in exported[1:]}
    assert by_value == {
        "'+306931112233": ["SMS", "Κινητό", "'+306931112233", "", "η γραμμή εντολών"],
        "maria@example.gr": ["Email", "Email", "maria@example.gr", "", "εισαγωγή αρχείου: διαγραφές.csv"],
        "'+306931112244": ["SMS και email", "Κινητό", "'+306931112244", "", "η γραμμή εντολών"],
        "'+306931112255": ["SMS και email", "Κινητό", "'+306931112255", "", "εισαγωγή αρχείου: παλιά.csv"],
    }
    assert "both" not in listed and "sms" not in listed and "command" not in listed and "import:" not in listed
    assert "SMS και email" in listed and "εισαγωγή αρχείου: διαγραφές.csv" in listed


def test_check_json_has_a_left_out_section_by_rule(settings, tmp_path, capsys):
    store = open_store(settings.database_url)
    ledger = Ledger(store, settings).install()
    store.create_send(
        manifest_hash="h", claim="h", template_id=71, template_name="Promo", channel="sms", schedule_at=None,
        created_by="maria", platform_url="http://x", is_sandbox=True, is_test=False, resend_of=None,
        excluded_recipients=0, estimated_parts=None, estimated_cost=None, batch_size=10,
        chunks=[[NewRecipient("C1", 2, "+306936862208", None, ())]],
    )
    from sqlalchemy import update

    from lib.history import schema

    with store.write() as conn:
        conn.execute(update(schema.chunks).values(status="accepted"))
    from lib.ledger.optout import OptOutList

    OptOutList(ledger).add("6936862209", reason="STOP", added_by="maria")
    file = tmp_path / "list.csv"
    file.write_text("uniqueId,mobilePhone,voucherCode,voucherAmount,expirationDate\n"
                    "C1,6936862208,V,1,x\nC2,6936862209,V,1,x\nC3,6936862210,V,1,x\n", encoding="utf-8")
    assert check_cli.main([str(file), "--channel", "sms", "--template", "71", "--json"]) == 0
    left_out = json.loads(capsys.readouterr().out)["leftOut"]
    assert left_out["byRule"] == {"already_received": 1, "opted_out": 1} and left_out["total"] == 2
    assert [(r["row"], r["rule"]) for r in left_out["rows"]] == [(2, "already_received"), (3, "opted_out")]
    assert left_out["rows"][1]["message"] == "On the do not contact list"
    assert check_cli.main([str(file), "--channel", "sms"]) == 0  # no template: the do-not-contact list only
    assert "Left out by the rules: 1 opted out" in capsys.readouterr().out
