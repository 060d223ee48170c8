"""`python -m lib team …` and `python -m lib audit` act as a named person under the team's rules."""

import json

import pytest

from lib.cli import main
from lib.cli.team import EXIT_OK, EXIT_REFUSED, EXIT_USAGE
from lib.history.store import close_all_stores
from lib.settings import get_settings

LIVE = {"MESSAGING_API_URL": "https://platform.example.com", "MESSAGING_API_USER": "u", "MESSAGING_API_PASSWORD": "p"}


@pytest.fixture
def live(tmp_path, monkeypatch):
    for name, value in {**LIVE, "DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
                        "CONSOLE_ADMINS": "ann@example.com", "CONSOLE_OPERATOR": "nobody@example.com"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CONSOLE_AUTH", raising=False)
    get_settings.cache_clear()
    yield
    close_all_stores()


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_an_admin_adds_a_sender_who_may_then_not_manage_the_team(live, capsys):
    code, out, _ = run(capsys, "team", "add", "sam@example.com", "--name", "Sam Sender", "--role", "sender",
                       "--as", "Ann@Example.com")
    assert (code, out.strip()) == (EXIT_OK, "Added Sam Sender <sam@example.com> as sender.")
    code, _, err = run(capsys, "team", "add", "eve@example.com", "--name", "Eve", "--role", "admin",
                       "--as", "sam@example.com")
    assert code == EXIT_REFUSED
    assert err.strip() == "Refused: Sam Sender (sender) may not manage the team: ask an admin of the team."
    code, out, _ = run(capsys, "team", "list", "--as", "ann@example.com", "--json")
    assert code == EXIT_OK
    assert {(p["email"], p["role"]) for p in json.loads(out)} == {("ann@example.com", "admin"),
                                                                 ("sam@example.com", "sender")}


def test_someone_not_in_the_team_is_refused_with_its_own_code(live, capsys, monkeypatch):
    code, _, err = run(capsys, "team", "list")  # CONSOLE_OPERATOR is nobody@example.com
    assert code == EXIT_REFUSED and "nobody@example.com is not in the team" in err
    monkeypatch.setenv("CONSOLE_OPERATOR", "ann@example.com")
    get_settings.cache_clear()
    assert run(capsys, "team", "list")[0] == EXIT_OK


def test_audit_lists_team_changes_and_is_refused_to_a_sender(live, capsys):
    run(capsys, "team", "add", "sam@example.com", "--name", "Sam", "--role", "sender", "--as", "ann@example.com")
    run(capsys, "team", "role", "sam@example.com", "approver", "--as", "ann@example.com")
    code, out, _ = run(capsys, "audit", "--as", "ann@example.com", "--json", "--since", "1d")
    assert code == EXIT_OK
    assert [(e["actor"], e["action"], e["object_id"]) for e in json.loads(out)] == [
        ("ann@example.com", "team_change", "sam@example.com"),
        ("ann@example.com", "team_add", "sam@example.com"),
        ("CONSOLE_ADMINS", "team_add", "ann@example.com"),
    ]
    run(capsys, "team", "role", "sam@example.com", "viewer", "--as", "ann@example.com")
    code, _, err = run(capsys, "audit", "--as", "sam@example.com")
    assert code == EXIT_REFUSED and "may not read the audit trail" in err
    code, out, _ = run(capsys, "audit", "--as", "ann@example.com", "--action", "team_change")
    assert code == EXIT_OK and out.strip().endswith("2 events") and "Team role changed" in out


def test_bad_input_exits_2_with_a_sentence(live, capsys):
    code, _, err = run(capsys, "audit", "--as", "ann@example.com", "--since", "last tuesday")
    assert code == EXIT_USAGE and "--since 'last tuesday' is not a date" in err
    code, _, err = run(capsys, "team", "remove", "ann@example.com", "--as", "ann@example.com")
    assert code == EXIT_USAGE and "only admin" in err


def test_without_sign_in_the_operator_is_the_local_person(live, capsys, monkeypatch):
    monkeypatch.setenv("CONSOLE_AUTH", "off")
    get_settings.cache_clear()
    code, out, _ = run(capsys, "team", "add", "sam@example.com", "--name", "Sam", "--role", "viewer")
    assert code == EXIT_OK
    code, out, _ = run(capsys, "audit", "--json")
    assert [e["actor"] for e in json.loads(out)] == ["nobody@example.com"]  # no CONSOLE_ADMINS bootstrap either


def test_the_team_list_names_roles_in_the_readers_language(live, capsys):
    run(capsys, "team", "add", "sam@example.com", "--name", "Sam Sender", "--role", "approver", "--as", "ann@example.com")
    code, out, _ = run(capsys, "team", "list", "--as", "ann@example.com", "--lang", "el")
    sam = next(line for line in out.splitlines() if line.startswith("sam@example.com"))
    assert code == EXIT_OK and "Εγκριτής" in sam and "approver" not in sam
