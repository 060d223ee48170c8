"""The team and the audit trail in the store, on SQLite and PostgreSQL: changes are audited in the
same transaction, refusals leave nothing behind, and the trail cannot be rewritten."""

import hashlib

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError

from lib import audit
from lib.audit import AuditAction, AuditError
from lib.history import schema as s
from lib.history.store import open_store
from lib.team import (
    NotAllowed,
    Person,
    Role,
    TeamError,
    add_member,
    bootstrap_admins,
    change_role,
    list_members,
    local_person,
    record_sign_in,
    remove_member,
    team_person,
)


@pytest.fixture
def store(database_url):
    return open_store(database_url, shared=False)


def events(store, **filters):
    with store.read() as conn:
        return audit.list_events(conn, **filters)


def test_bootstrap_adds_the_first_admins_once(store):
    assert bootstrap_admins(store, ["Ann@Example.com", "bob@example.com"]) == ["ann@example.com", "bob@example.com"]
    assert bootstrap_admins(store, ["ann@example.com"]) == []
    assert team_person(store, "ANN@example.com").role is Role.ADMIN
    assert [e.actor for e in events(store)] == ["CONSOLE_ADMINS", "CONSOLE_ADMINS"]


def test_a_removed_admin_is_not_brought_back_by_bootstrap(store):
    bootstrap_admins(store, ["ann@example.com", "bob@example.com"])
    ann = team_person(store, "ann@example.com")
    remove_member(store, ann, "bob@example.com")
    bootstrap_admins(store, ["ann@example.com", "bob@example.com"])
    assert team_person(store, "bob@example.com") is None


def test_add_change_remove_each_leave_one_audit_row_with_the_actor(store):
    bootstrap_admins(store, ["ann@example.com"])
    ann = team_person(store, "ann@example.com")
    add_member(store, ann, " Sam@Example.com ", "Sam Sender", "sender")
    change_role(store, ann, "sam@example.com", "approver")
    remove_member(store, ann, "sam@example.com")
    trail = events(store, actors=["ann@example.com"])
    assert [e.action for e in trail] == ["team_remove", "team_change", "team_add"]
    assert {e.object_id for e in trail} == {"sam@example.com"}
    assert trail[1].details == {"before": {"role": "sender"}, "after": {"role": "approver"}}
    assert trail[0].actor_name == "ann"
    assert team_person(store, "sam@example.com") is None
    assert [m.active for m in list_members(store) if m.email == "sam@example.com"] == [False]


def test_someone_removed_can_be_added_back(store):
    bootstrap_admins(store, ["ann@example.com"])
    ann = team_person(store, "ann@example.com")
    add_member(store, ann, "sam@example.com", "Sam", "sender")
    remove_member(store, ann, "sam@example.com")
    add_member(store, ann, "sam@example.com", "Sam S.", "viewer")
    assert team_person(store, "sam@example.com") == Person("sam@example.com", "Sam S.", Role.VIEWER)


@pytest.mark.parametrize(
    "change, says",
    [
        (lambda st, ann: add_member(st, ann, "ann@example.com", "Ann", "viewer"), "already in the team"),
        (lambda st, ann: add_member(st, ann, "not-an-email", "X", "viewer"), "is not an email address"),
        (lambda st, ann: add_member(st, ann, "x@example.com", " ", "viewer"), "Give the person's name"),
        (lambda st, ann: add_member(st, ann, "x@example.com", "X", "owner"), "The role must be one of"),
        (lambda st, ann: remove_member(st, ann, "ann@example.com"), "the team's only admin"),
        (lambda st, ann: change_role(st, ann, "ann@example.com", "sender"), "the team's only admin"),
        (lambda st, ann: remove_member(st, ann, "nobody@example.com"), "is not in the team"),
    ],
)
def test_refused_changes_say_why_and_write_nothing(store, change, says):
    bootstrap_admins(store, ["ann@example.com"])
    ann = team_person(store, "ann@example.com")
    before = (list_members(store), len(events(store)))
    with pytest.raises(TeamError, match=says):
        change(store, ann)
    assert (list_members(store), len(events(store))) == before


@pytest.mark.parametrize("role", [Role.VIEWER, Role.SENDER, Role.APPROVER])
def test_only_admins_change_the_team(store, role):
    bootstrap_admins(store, ["ann@example.com"])
    add_member(store, team_person(store, "ann@example.com"), "pat@example.com", "Pat", role)
    pat = team_person(store, "pat@example.com")
    with pytest.raises(NotAllowed, match="may not manage the team"):
        add_member(store, pat, "eve@example.com", "Eve", "admin")
    with pytest.raises(NotAllowed):
        change_role(store, pat, "pat@example.com", "admin")  # not even themselves
    assert team_person(store, "eve@example.com") is None
    assert team_person(store, "pat@example.com").role is role


def test_the_local_person_manages_the_team_under_their_name(store):
    add_member(store, local_person("maria"), "sam@example.com", "Sam", "sender")
    assert events(store)[0].actor == "maria"


def test_audit_row_is_in_the_callers_transaction(store):
    """A failing action leaves no audit row: record() writes on the caller's connection."""
    with pytest.raises(RuntimeError), store.write() as conn:
        audit.record(conn, "ann@example.com", AuditAction.TEMPLATE_DELETE, ("template", 71), {"name": "Welcome"})
        raise RuntimeError("the delete failed after the audit row was written")
    assert events(store) == []
    with store.write() as conn:
        audit.record(conn, "ann@example.com", AuditAction.TEMPLATE_DELETE, ("template", 71), {"name": "Welcome"})
    assert [(e.action, e.object_type, e.object_id) for e in events(store)] == [("template_delete", "template", "71")]


def test_the_trail_is_append_only_in_the_database(store):
    with store.write() as conn:
        audit.record(conn, "ann@example.com", AuditAction.SIGN_IN)
    for statement in (update(s.audit_events).values(actor="someone else"), delete(s.audit_events)):
        with pytest.raises(DBAPIError, match="append-only"), store.write() as conn:
            conn.execute(statement)
    with store.read() as conn:
        assert conn.execute(select(s.audit_events.c.actor)).scalars().all() == ["ann@example.com"]


@pytest.mark.parametrize("details", [
    {"password": "x"}, {"recipients": [1]}, {"after": {"Mobile": "+30..."}}, {"rows": [{"destination": "a@b.gr"}]},
])
def test_secrets_and_personal_data_are_refused(store, details):
    with pytest.raises(AuditError, match="never holds secrets or personal data"), store.write() as conn:
        audit.record(conn, "ann@example.com", AuditAction.SEND_SUBMIT, ("send", 1), details)
    assert events(store) == []


def test_upload_keeps_name_size_and_hash_never_the_content(store):
    data = b"uniqueId,mobile\n1,6912345678\n"
    with store.write() as conn:
        audit.record_upload(conn, "sam@example.com", "list.csv", data)
    [event] = events(store)
    assert event.details == {"file_name": "list.csv", "size_bytes": 29, "sha256": hashlib.sha256(data).hexdigest()}
    assert "6912345678" not in str(event.details)


def test_a_sign_in_is_recorded_once_per_token(store):
    bootstrap_admins(store, ["ann@example.com"])
    ann = team_person(store, "ann@example.com")
    assert record_sign_in(store, ann, 1_800_000_000) is True
    assert record_sign_in(store, ann, 1_800_000_000) is False  # a second browser tab of the same sign-in
    assert record_sign_in(store, ann, 1_800_000_600) is True
    assert len(events(store, actions=["sign_in"])) == 2


def test_filters_by_person_action_and_period(store):
    from datetime import UTC, datetime

    with store.write() as conn:
        audit.record(conn, "ann@example.com", "sign_in", at=datetime(2026, 12, 1, 9, tzinfo=UTC))
        audit.record(conn, "sam@example.com", "sign_in", at=datetime(2026, 12, 1, 10, tzinfo=UTC))
        audit.record(conn, "sam@example.com", "upload", ("file", "a.csv"), at=datetime(2026, 12, 2, 9, tzinfo=UTC))
    assert len(events(store, actors=["sam@example.com"])) == 2
    assert len(events(store, actions=["sign_in"])) == 2
    since, until = datetime(2026, 12, 1, 10, tzinfo=UTC), datetime(2026, 12, 2, 9, tzinfo=UTC)
    assert [e.actor for e in events(store, since=since, until=until)] == ["sam@example.com"]
