"""The team: roles and what each may do, who is in the team, and how people get in (issue 11)."""

from lib.team.access import OPEN_WARNING, AccessConfigError, AccessMode, access_mode, command_line_uses_team
from lib.team.people import (
    Member,
    TeamError,
    add_member,
    adopt_provider_name,
    bootstrap_admins,
    change_role,
    find_member,
    list_members,
    record_sign_in,
    remove_member,
    team_person,
)
from lib.team.roles import ALLOWED, Action, NotAllowed, Person, Role, allowed, can, local_person, require

__all__ = [
    "ALLOWED",
    "OPEN_WARNING",
    "AccessConfigError",
    "AccessMode",
    "Action",
    "Member",
    "NotAllowed",
    "Person",
    "Role",
    "TeamError",
    "access_mode",
    "add_member",
    "adopt_provider_name",
    "allowed",
    "bootstrap_admins",
    "can",
    "change_role",
    "command_line_uses_team",
    "find_member",
    "list_members",
    "local_person",
    "record_sign_in",
    "remove_member",
    "require",
    "team_person",
]
