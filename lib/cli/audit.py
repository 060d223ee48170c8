"""`python -m lib audit [--since] [--person] [--action] [--limit] [--json] [--as EMAIL]`: the audit trail.

Acts as a named person under the team's rules like `team` (lib.cli.team); the same exit codes.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, time, timedelta

from lib import audit
from lib.cli.team import EXIT_OK, EXIT_USAGE, _as_option, _Parser, _run, _Stop, acting_person
from lib.history.store import HistoryStore
from lib.settings import Settings
from lib.team.roles import Action, require


def _audit_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m lib audit", description="Read the audit trail, newest first.")
    p.add_argument("--since", help="from this date or time (console time zone), e.g. 2026-12-01 or 7d for a week")
    p.add_argument("--person", action="append", default=[], metavar="EMAIL", help="only what this person did")
    p.add_argument("--action", action="append", default=[], choices=[a.value for a in audit.AuditAction])
    p.add_argument("--limit", type=int, default=1000, help="at most this many events (default 1000)")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    _as_option(p)
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
        message = f"--since {raw!r} is not a date like 2026-12-01, a time like 2026-12-01T09:00, or 7d"
        raise _Stop(message, EXIT_USAGE) from None
    return when if when.tzinfo else when.replace(tzinfo=settings.tz)


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


def main(argv: list[str] | None = None) -> int:
    return _run(_audit, _audit_parser(), list(sys.argv[1:] if argv is None else argv))
