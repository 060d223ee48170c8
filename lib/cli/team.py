"""`python -m lib team add|remove|role|list`: who may use the console (`audit`: lib.cli.audit).

The command line acts as a named person (`--as EMAIL`, else CONSOLE_OPERATOR) under the same roles as
the app, whenever the app would ask for sign-in and always on a live platform (see lib.team.access);
CONSOLE_ADMINS bootstraps the first admins here too. Without sign-in it is the one local person.

Exit status: 0 done; 2 bad arguments, settings or input (the sentence says which);
77 refused: the person is not in the team or their role does not allow it (77 is sysexits' EX_NOPERM).
"""

from __future__ import annotations

import argparse
import sys

from lib import i18n
from lib.cli.options import add_language_option, json_text
from lib.history.store import HistoryStore, StoreError, open_store
from lib.settings import Settings, SettingsError, load_settings
from lib.team.access import command_line_uses_team
from lib.team.people import (
    TeamError,
    add_member,
    bootstrap_admins,
    change_role,
    list_members,
    remove_member,
    team_person,
)
from lib.team.roles import Action, NotAllowed, Person, Role, local_person, require

EXIT_OK, EXIT_USAGE, EXIT_REFUSED = 0, 2, 77


class _Stop(Exception):
    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise _Stop(f"{self.prog}: {message}", EXIT_USAGE)


def _as_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as", dest="acting_as", metavar="EMAIL", help=i18n.t("cli.option.as"))


def _team_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m lib team", description=i18n.t("cli.team.about"))
    add_language_option(p)
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    add = sub.add_parser("add", help=i18n.t("cli.team.add.about"))
    add.add_argument("email")
    add.add_argument("--name", required=True, help=i18n.t("cli.team.option.name"))
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    remove = sub.add_parser("remove", help=i18n.t("cli.team.remove.about"))
    remove.add_argument("email")
    role = sub.add_parser("role", help=i18n.t("cli.team.role.about"))
    role.add_argument("email")
    role.add_argument("role", choices=[r.value for r in Role])
    listing = sub.add_parser("list", help=i18n.t("cli.team.list.about"))
    listing.add_argument("--json", action="store_true", help=i18n.t("cli.team.option.json"))
    for sub_parser in (add, remove, role, listing):
        _as_option(sub_parser)
    return p


def acting_person(settings: Settings, store: HistoryStore, acting_as: str | None) -> Person:
    """The person the command line acts as; _Stop(EXIT_REFUSED) when the team does not know them."""
    name = (acting_as or settings.operator or "").strip()
    if not command_line_uses_team(settings):
        return local_person(name)
    bootstrap_admins(store, settings.admins)
    person = team_person(store, name)
    if person is None:
        raise _Stop(i18n.t("cli.team.not_in_team", name=name or i18n.t("cli.team.nobody")), EXIT_REFUSED)
    return person


def _print_members(store: HistoryStore, as_json: bool) -> None:
    members = list_members(store)
    if as_json:
        print(json_text([{"email": m.email, "name": m.name, "role": m.role.value, "active": m.active,
                           "added_by": m.added_by, "added_at": m.added_at.isoformat()} for m in members],
                          indent=True))
        return
    for m in members:
        state = i18n.t("cli.team.active") if m.active else i18n.t("cli.team.removed")
        print(f"{m.email:<32} {m.name:<24} {m.role.label:<14} {state}")  # the role in words; --json: its code
    print(i18n.t("cli.team.count", n=sum(m.active for m in members)))


def _team(args, settings: Settings, store: HistoryStore) -> int:
    person = acting_person(settings, store, args.acting_as)
    if args.command == "list":
        require(person, Action.MANAGE_TEAM)
        _print_members(store, args.json)
    elif args.command == "add":
        member = add_member(store, person, args.email, args.name, args.role)
        print(i18n.t("cli.team.added", name=member.name, email=member.email, role=member.role.value))
    elif args.command == "remove":
        member = remove_member(store, person, args.email)
        print(i18n.t("cli.team.removed_member", name=member.name, email=member.email))
    else:
        member = change_role(store, person, args.email, args.role)
        print(i18n.t("cli.team.role_changed", name=member.name, email=member.email, role=member.role.value))
    return EXIT_OK


def _run(handler, parser: argparse.ArgumentParser, argv: list[str]) -> int:
    try:
        args = parser.parse_args(argv)
        settings = load_settings()
        store = open_store(settings.database_url)
        return handler(args, settings, store)
    except _Stop as stop:
        print(stop, file=sys.stderr)
        return stop.code
    except NotAllowed as exc:
        print(i18n.t("cli.refused", reason=exc), file=sys.stderr)
        return EXIT_REFUSED
    except (TeamError, SettingsError, StoreError) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE


def main(argv: list[str] | None = None) -> int:
    return _run(_team, _team_parser(), list(sys.argv[1:] if argv is None else argv))
