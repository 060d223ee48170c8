"""`python -m lib optout add|import|remove|list|export`: the do-not-contact list from the command line.

    add VALUE [--channel sms|email|both] [--reason TEXT] [--customer-id]
    import FILE [--channel ...] [--reason TEXT]     (CSV/XLSX; bad rows reported, good rows added at once)
    remove VALUE --reason TEXT [--customer-id]
    list [--search TEXT] [--removed]
    export [--out FILE]                              (CSV; stdout without --out)

Exit 0 done; 1 an import with rows that could not be read (the good rows were added); 2 refused.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lib.history.store import open_store
from lib.ledger.ledger import Ledger
from lib.ledger.optout import OptOutError, OptOutList
from lib.recipients import RecipientFileError
from lib.settings import SettingsError, get_settings


class _Refused(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise _Refused(f"optout: {message}")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m lib optout", description="Manage the do not contact list.")
    sub = p.add_subparsers(dest="action", required=True, parser_class=_Parser)
    add = sub.add_parser("add", help="put one mobile, address or customer id on the list")
    add.add_argument("value")
    add.add_argument("--channel", default="both", choices=["sms", "email", "both"])
    add.add_argument("--reason", default="")
    add.add_argument("--customer-id", action="store_true", help="VALUE is a customer id")
    imp = sub.add_parser("import", help="add every row of a CSV or Excel file")
    imp.add_argument("file")
    imp.add_argument("--channel", default="both", choices=["sms", "email", "both"])
    imp.add_argument("--reason", default="")
    rem = sub.add_parser("remove", help="take an entry off the list (the history is kept)")
    rem.add_argument("value")
    rem.add_argument("--reason", required=True)
    rem.add_argument("--customer-id", action="store_true")
    lst = sub.add_parser("list", help="show the entries")
    lst.add_argument("--search", default="")
    lst.add_argument("--removed", action="store_true", help="include removed entries")
    exp = sub.add_parser("export", help="every entry as CSV")
    exp.add_argument("--out")
    return p


def main(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv)
        settings = get_settings()
        optouts = OptOutList(Ledger(open_store(settings.database_url), settings))
        return _run(args, optouts, settings.operator)
    except (_Refused, OptOutError, RecipientFileError, SettingsError, OSError) as exc:
        print(str(exc), file=sys.stderr)
        return 2


def _run(args, optouts: OptOutList, operator: str) -> int:
    if args.action == "add":
        entry = optouts.add(args.value, channel=args.channel, reason=args.reason, source="command line",
                            added_by=operator, customer_id=args.customer_id)
        print(f"{entry.value} is on the do not contact list ({_channel_words(entry.channel)}).")
        return 0
    if args.action == "import":
        path = Path(args.file)
        report = optouts.import_file(path.read_bytes(), path.name, channel=args.channel, reason=args.reason,
                                     added_by=operator)
        print("\n".join(report.sentences()))
        return 1 if report.problems else 0
    if args.action == "remove":
        optouts.remove(args.value, reason=args.reason, removed_by=operator, customer_id=args.customer_id)
        print(f"{args.value.strip()} was taken off the do not contact list; the removal is recorded.")
        return 0
    if args.action == "list":
        entries = optouts.entries(args.search, include_removed=args.removed)
        for e in entries:
            removed = f"  REMOVED {e.removed_at:%Y-%m-%d} by {e.removed_by}: {e.removed_reason}" if e.removed_at else ""
            print(f"{e.value:<32} {e.channel:<5} {e.reason or '-':<24} {e.source} · {e.added_by} · "
                  f"{e.added_at:%Y-%m-%d %H:%M}{removed}")
        print(f"{len(entries):,} entr{'y' if len(entries) == 1 else 'ies'}")
        return 0
    data = optouts.export_csv()
    if args.out:
        Path(args.out).write_bytes(data)
        print(f"Wrote {args.out}")
    else:
        sys.stdout.write(data.decode("utf-8-sig"))
    return 0


def _channel_words(channel: str) -> str:
    return {"sms": "SMS", "email": "email", "both": "SMS and email"}[channel]
