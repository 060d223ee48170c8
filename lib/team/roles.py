"""Roles and what each may do: one table, one function, checked in lib (pages only hide what it refuses).

| role     | may                                                                 |
|----------|---------------------------------------------------------------------|
| viewer   | Dispatches, charts, exports                                          |
| sender   | a viewer's, and compose, test-send to themselves, submit and resume  |
| approver | a sender's, and approve or reject others' sends, read the audit trail |
| admin    | everything: templates, the do-not-contact list, the team, settings   |

Approving one's own send is refused elsewhere (the approval itself knows who submitted it):
here only the role is asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from lib import i18n


class Role(StrEnum):
    VIEWER = "viewer"
    SENDER = "sender"
    APPROVER = "approver"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        """The role's name as a heading or a table cell shows it ("Sender")."""
        return i18n.coded(ROLE_LABEL, self)

    @property
    def in_sentence(self) -> i18n.Msg:
        """The role's name inside a sentence ("Sam (sender) may not …")."""
        return i18n.Msg(f"{ROLE_IN_SENTENCE}.{self.value}")

    @property
    def description(self) -> str:
        """What the role may do, completing "<role>: …"."""
        return i18n.coded(ROLE_ABOUT, self)


ROLE_LABEL = i18n.family("team.role", Role)
ROLE_IN_SENTENCE = i18n.family("team.role_in_sentence", Role)
ROLE_ABOUT = i18n.family("team.role_about", Role)


class Action(StrEnum):
    VIEW_DISPATCHES = "view_dispatches"
    EXPORT = "export"
    VIEW_TEMPLATES = "view_templates"
    COMPOSE = "compose"
    TEST_SEND = "test_send"
    SUBMIT_SEND = "submit_send"
    RESUME_SEND = "resume_send"
    DECIDE_UNKNOWN = "decide_unknown"  # record an unknown part as sent / not sent
    APPROVE_SEND = "approve_send"
    VIEW_AUDIT = "view_audit"
    MANAGE_TEMPLATES = "manage_templates"
    MANAGE_OPTOUTS = "manage_optouts"
    MANAGE_TEAM = "manage_team"
    VIEW_SETTINGS = "view_settings"

    @property
    def phrase(self) -> i18n.Msg:
        """Completes "may not …" in a refusal."""
        return i18n.Msg(f"{ACTION_PHRASE}.{self.value}")


ACTION_PHRASE = i18n.family("team.may", Action)

_EVERYONE = frozenset(Role)
_SENDERS = frozenset({Role.SENDER, Role.APPROVER, Role.ADMIN})
_APPROVERS = frozenset({Role.APPROVER, Role.ADMIN})
_ADMINS = frozenset({Role.ADMIN})

ALLOWED: dict[Action, frozenset[Role]] = {
    Action.VIEW_DISPATCHES: _EVERYONE,
    Action.EXPORT: _EVERYONE,
    Action.VIEW_TEMPLATES: _EVERYONE,
    Action.COMPOSE: _SENDERS,
    Action.TEST_SEND: _SENDERS,
    Action.SUBMIT_SEND: _SENDERS,
    Action.RESUME_SEND: _SENDERS,
    Action.DECIDE_UNKNOWN: _SENDERS,
    Action.APPROVE_SEND: _APPROVERS,
    Action.VIEW_AUDIT: _APPROVERS,
    Action.MANAGE_TEMPLATES: _ADMINS,
    Action.MANAGE_OPTOUTS: _ADMINS,
    Action.MANAGE_TEAM: _ADMINS,
    Action.VIEW_SETTINGS: _ADMINS,
}


def allowed(role: Role | str, action: Action | str) -> bool:
    """Whether `role` may take `action`; an unknown role or action is refused, never guessed."""
    try:
        return Role(role) in ALLOWED[Action(action)]
    except (ValueError, KeyError):
        return False


@dataclass(frozen=True)
class Person:
    """Someone using the console: a team member, or the one local person when sign-in is off."""

    email: str  # the local person's is their operator name
    name: str
    role: Role
    active: bool = True
    local: bool = False  # no sign-in: one person holding every role

    @property
    def actor(self) -> str:
        """How the audit trail and the send records name this person."""
        return self.email

    @property
    def role_label(self) -> str:
        return i18n.t("team.role_every") if self.local else self.role.label


def local_person(operator: str) -> Person:
    """Without sign-in there is one person, named by CONSOLE_OPERATOR, holding every role."""
    return Person(email=operator, name=operator, role=Role.ADMIN, local=True)


class NotAllowed(PermissionError):
    """The person's role does not allow the action; str() is one plain sentence."""

    def __init__(self, person: Person, action: Action):
        self.person = person
        self.action = Action(action)
        super().__init__(i18n.Msg("team.not_allowed", name=person.name, role=person.role.in_sentence,
                                  action=self.action.phrase))


def can(person: Person, action: Action | str) -> bool:
    return person.active and allowed(person.role, action)


def require(person: Person, action: Action | str) -> None:
    """Raise NotAllowed unless `person` may take `action`."""
    if not can(person, action):
        raise NotAllowed(person, Action(action))
