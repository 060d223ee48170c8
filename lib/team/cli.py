"""`python -m lib team add|remove|role|list` and `python -m lib audit`: the team and its audit trail.

The command line acts as a named person (`--as EMAIL`, else CONSOLE_OPERATOR) under the same roles as
the app, whenever the app would ask for sign-in and always on a live platform (see lib.team.access);
CONSOLE_ADMINS bootstraps the first admins here too. Without sign-in it is the one local person.

Exit status: 0 done; 2 bad arguments, settings or input (the sentence says which);
77 refused: the person is not in the team or their role does not allow it (77 is sysexits' EX_NOPERM).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, time, timedelta

from lib import audit
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
    parser.add_argument("--as", dest="acting_as", metavar="EMAIL", help="act as this team member (default CONSOLE_OPERATOR)")


def _team_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m lib team", description="Who may use the console, and in which role.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    add = sub.add_parser("add", help="add someone to the team")
    add.add_argument("email")
    add.add_argument("--name", required=True, help="their name, as the team sees it")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    remove = sub.add_parser("remove", help="remove someone: they can no longer sign in")
    remove.add_argument("email")
    role = sub.add_parser("role", help="change someone's role")
    role.add_argument("email")
    role.add_argument("role", choices=[r.value for r in Role])
    listing = sub.add_parser("list", help="everyone in the team")
    listing.add_argument("--json", action="store_true", help="print JSON")
    for sub_parser in (add, remove, role, listing):
        _as_option(sub_parser)
    return p


def _audit_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m lib audit", description="Read the audit trail, newest first.")
    p.add_argument("--since", help="from this date or time (console time zone), e.g. 2026-12-01 or 7d for a week")
    p.add_argument("--person", action="append", default=[], metavar="EMAIL", help="only what this person did")
    p.add_argument("--action", action="append", default=[], choices=[a.value for a in audit.AuditAction])
    p.add_argument("--limit", type=int, default=1000, help="at most this many events (default 1000)")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    _as_option(p)
    return p


def acting_person(settings: Settings, store: HistoryStore, acting_as: str | None) -> Person:
    """The person the command line acts as; _Stop(EXIT_REFUSED) when the team does not know them."""
    name = (acting_as or settings.operator or "").strip()
    if not command_line_uses_team(settings):
        return local_person(name)
    bootstrap_admins(store, settings.admins)
    person = team_person(store, name)
    if person is None:
        raise _Stop(f"Refused: {name or 'nobody'} is not in the team (give --as EMAIL of a team member)", EXIT_REFUSED)
    return person


def parse_since(raw: str | None, settings: Settings, now: datetime | None = None) -> datetime | None:
    if not raw:
        return None
    text = raw.strip().lower()
    if text.endswith("d") and text[:-1].isdigit():
        return (now or datetime.now(settings.tz)) - timedelta(days=int(text[:-1]))
    try:
        when = datetime.fromisoformat(text) if "t" in text or ":" in text else datetime.combine(
            datetime.fromisoformat(text).date(), time())
    except ValueError:
        message = f"--since {raw!r} is not a date like 2026-12-01, a time like 2026-12-01T09:00, or 7d"
        raise _Stop(message, EXIT_USAGE) from None
    return when if when.tzinfo else when.replace(tzinfo=settings.tz)


def _print_members(store: HistoryStore, as_json: bool) -> None:
    members = list_members(store)
    if as_json:
        print(json.dumps([{"email": m.email, "name": m.name, "role": m.role.value, "active": m.active,
                           "added_by": m.added_by, "added_at": m.added_at.isoformat()} for m in members], indent=2))
        return
    for m in members:
        print(f"{m.email:<32} {m.name:<24} {m.role.value:<9} {'active' if m.active else 'removed'}")
    print(f"{sum(m.active for m in members)} in the team")


def _team(args, settings: Settings, store: HistoryStore) -> int:
    person = acting_person(settings, store, args.acting_as)
    if args.command == "list":
        require(person, Action.MANAGE_TEAM)
        _print_members(store, args.json)
    elif args.command == "add":
        member = add_member(store, person, args.email, args.name, args.role)
        print(f"Added {member.name} <{member.email}> as {member.role.value}.")
    elif args.command == "remove":
        member = remove_member(store, person, args.email)
        print(f"Removed {member.name} <{member.email}>: they can no longer sign in.")
    else:
        member = change_role(store, person, args.email, args.role)
        print(f"{member.name} <{member.email}> is now {member.role.value}.")
    return EXIT_OK


def _audit(args, settings: Settings, store: HistoryStore) -> int:
    person = acting_person(settings, store, args.acting_as)
    require(person, Action.VIEW_AUDIT)
    since = parse_since(args.since, settings)
    with store.read() as conn:
        events = audit.list_events(conn, actors=[p.strip().lower() for p in args.person] or None,
                                   actions=args.action or None, since=since, limit=args.limit)
    if args.json:
        print(json.dumps([{"id": e.id, "at": e.at.isoformat(), "actor": e.actor, "actor_name": e.actor_name,
                           "action": e.action, "object_type": e.object_type, "object_id": e.object_id,
                           "details": e.details} for e in events], ensure_ascii=False, indent=2))
        return EXIT_OK
    for row in audit.events_table(events, settings.tz):
        print(f"{row['When']:%Y-%m-%d %H:%M:%S}  {row['Person']}  {row['Action']}  {row['Object']}  {row['Details']}")
    print(f"{len(events)} event{'s' if len(events) != 1 else ''}")
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
        print(f"Refused: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except (TeamError, SettingsError, StoreError) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE


def main(argv: list[str] | None = None) -> int:
    return _run(_team, _team_parser(), list(sys.argv[1:] if argv is None else argv))


def audit_main(argv: list[str] | None = None) -> int:
    return _run(_audit, _audit_parser(), list(sys.argv[1:] if argv is None else argv))
