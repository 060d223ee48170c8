"""`python -m lib audit [--since] [--person] [--action] [--limit] [--json] [--as EMAIL]`: the audit trail.

Acts as a named person under the team's rules like `team` (lib.cli.team); the same exit codes.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, time, timedelta

from lib import audit, i18n
from lib.cli.options import add_language_option, json_text
from lib.cli.team import EXIT_OK, EXIT_USAGE, _as_option, _Parser, _run, _Stop, acting_person
from lib.history.store import HistoryStore
from lib.settings import Settings
from lib.team.roles import Action, require


def _audit_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m lib audit", description=i18n.t("cli.audit.about"))
    p.add_argument("--since", help=i18n.t("cli.audit.option.since"))
    p.add_argument("--person", action="append", default=[], metavar="EMAIL", help=i18n.t("cli.audit.option.person"))
    p.add_argument("--action", action="append", default=[], choices=[a.value for a in audit.AuditAction])
    p.add_argument("--limit", type=int, default=1000, help=i18n.t("cli.audit.option.limit"))
    p.add_argument("--json", action="store_true", help=i18n.t("cli.option.json_list"))
    _as_option(p)
    add_language_option(p)
    return p


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
        raise _Stop(i18n.t("cli.audit.since_shape", value=repr(raw)), EXIT_USAGE) from None
    return when if when.tzinfo else when.replace(tzinfo=settings.tz)


def _audit(args, settings: Settings, store: HistoryStore) -> int:
    person = acting_person(settings, store, args.acting_as)
    require(person, Action.VIEW_AUDIT)
    since = parse_since(args.since, settings)
    with store.read() as conn:
        events = audit.list_events(conn, actors=[p.strip().lower() for p in args.person] or None,
                                   actions=args.action or None, since=since, limit=args.limit)
    if args.json:
        print(json_text([{"id": e.id, "at": e.at.isoformat(), "actor": e.actor, "actor_name": e.actor_name,
                           "action": e.action, "object_type": e.object_type, "object_id": e.object_id,
                           "details": e.details} for e in events], indent=True))
        return EXIT_OK
    for row in audit.events_table(events, settings.tz, settings.currency):
        when = i18n.datetime_text(row["When"], seconds=True)
        print(f"{when}  {row['Person']}  {row['Action']}  {row['Object']}  {row['Details']}")
    print(i18n.t("cli.audit.count", n=len(events)))
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    return _run(_audit, _audit_parser(), list(sys.argv[1:] if argv is None else argv))
