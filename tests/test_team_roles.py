"""Every role × every action: the one table the console asks before anything is done."""

import pytest

from lib.settings import Settings
from lib.team import Action, NotAllowed, Person, Role, access_mode, allowed, local_person, require
from lib.team.access import AccessConfigError, AccessMode, command_line_uses_team

V, S, A, M = Role.VIEWER, Role.SENDER, Role.APPROVER, Role.ADMIN
# action -> roles that may take it, written out by hand (not derived from lib) so a slip in lib shows up.
EXPECTED = {
    Action.VIEW_DISPATCHES: {V, S, A, M},
    Action.EXPORT: {V, S, A, M},
    Action.VIEW_TEMPLATES: {V, S, A, M},
    Action.COMPOSE: {S, A, M},
    Action.TEST_SEND: {S, A, M},
    Action.SUBMIT_SEND: {S, A, M},
    Action.RESUME_SEND: {S, A, M},
    Action.DECIDE_UNKNOWN: {S, A, M},
    Action.APPROVE_SEND: {A, M},
    Action.VIEW_AUDIT: {A, M},
    Action.MANAGE_TEMPLATES: {M},
    Action.MANAGE_OPTOUTS: {M},
    Action.MANAGE_TEAM: {M},
    Action.VIEW_SETTINGS: {M},
}


def test_the_table_covers_every_action():
    assert set(EXPECTED) == set(Action)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", list(Role))
def test_role_may_or_may_not(role, action):
    assert allowed(role, action) is (role in EXPECTED[action])
    person = Person(email=f"{role}@example.com", name=f"A {role}", role=role)
    if role in EXPECTED[action]:
        require(person, action)
    else:
        with pytest.raises(NotAllowed) as refused:
            require(person, action)
        assert str(refused.value).startswith(f"A {role} ({role.value}) may not ")
        assert "_" not in str(refused.value)  # a sentence, never a field name


@pytest.mark.parametrize("role, action", [("owner", "compose"), ("admin", "delete_everything"), ("", "")])
def test_unknown_roles_and_actions_are_refused(role, action):
    assert allowed(role, action) is False


def test_a_removed_person_may_do_nothing():
    removed = Person(email="ex@example.com", name="Ex", role=Role.ADMIN, active=False)
    with pytest.raises(NotAllowed):
        require(removed, Action.VIEW_DISPATCHES)


def test_the_local_person_holds_every_role():
    person = local_person("maria")
    assert person.name == "maria" and person.local
    for action in Action:
        require(person, action)


LIVE = {"api_url": "https://platform.example.com"}


@pytest.mark.parametrize(
    "settings, provider, app, cli_uses_team",
    [
        ({}, False, AccessMode.LOCAL, False),
        ({}, True, AccessMode.SIGN_IN, True),
        ({"auth": "on"}, False, "refuse", True),
        ({"auth": "on"}, True, AccessMode.SIGN_IN, True),
        ({"auth": "off"}, True, AccessMode.LOCAL, False),
        (LIVE, False, "refuse", True),
        (LIVE, True, AccessMode.SIGN_IN, True),
        ({**LIVE, "auth": "off"}, False, AccessMode.OPEN, False),
        ({**LIVE, "auth": "off"}, True, AccessMode.OPEN, False),
    ],
)
def test_access_mode(settings, provider, app, cli_uses_team):
    s = Settings(**settings, sign_in_configured=provider)
    if app == "refuse":
        with pytest.raises(AccessConfigError) as refused:
            access_mode(s, provider)
        assert "[auth]" in str(refused.value)
    else:
        assert access_mode(s, provider) is app
    assert command_line_uses_team(s) is cli_uses_team
