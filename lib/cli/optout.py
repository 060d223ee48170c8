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

from lib import i18n
from lib.cli.options import add_language_option, problem_words
from lib.history.store import open_store
from lib.ledger.ledger import Ledger
from lib.ledger.optout import CHANNEL_WORDS, OptOutError, OptOutList, Source, source_words
from lib.recipients import RecipientFileError
from lib.settings import SettingsError, get_settings


class _Refused(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise _Refused(f"optout: {message}")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m lib optout", description=i18n.t("cli.optout.about"))
    add_language_option(p)
    sub = p.add_subparsers(dest="action", required=True, parser_class=_Parser)
    add = sub.add_parser("add", help=i18n.t("cli.optout.add.about"))
    add.add_argument("value")
    add.add_argument("--channel", default="both", choices=["sms", "email", "both"])
    add.add_argument("--reason", default="")
    add.add_argument("--customer-id", action="store_true", help=i18n.t("cli.optout.option.customer_id"))
    imp = sub.add_parser("import", help=i18n.t("cli.optout.import.about"))
    imp.add_argument("file")
    imp.add_argument("--channel", default="both", choices=["sms", "email", "both"])
    imp.add_argument("--reason", default="")
    rem = sub.add_parser("remove", help=i18n.t("cli.optout.remove.about"))
    rem.add_argument("value")
    rem.add_argument("--reason", required=True)
    rem.add_argument("--customer-id", action="store_true")
    lst = sub.add_parser("list", help=i18n.t("cli.optout.list.about"))
    lst.add_argument("--search", default="")
    lst.add_argument("--removed", action="store_true", help=i18n.t("cli.optout.option.removed"))
    exp = sub.add_parser("export", help=i18n.t("cli.optout.export.about"))
    exp.add_argument("--out")
    return p


def main(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv)
        settings = get_settings()
        optouts = OptOutList(Ledger(open_store(settings.database_url), settings))
        return _run(args, optouts, settings.operator)
    except (_Refused, OptOutError, RecipientFileError, SettingsError, OSError) as exc:
        print(problem_words(exc), file=sys.stderr)
        return 2


def _run(args, optouts: OptOutList, operator: str) -> int:
    if args.action == "add":
        entry = optouts.add(args.value, channel=args.channel, reason=args.reason, source=Source.COMMAND_LINE,
                            added_by=operator, customer_id=args.customer_id)
        print(i18n.t("cli.optout.added", value=entry.value, channel=_channel_words(entry.channel)))
        return 0
    if args.action == "import":
        path = Path(args.file)
        report = optouts.import_file(path.read_bytes(), path.name, channel=args.channel, reason=args.reason,
                                     added_by=operator)
        print("\n".join(map(str, report.sentences())))
        return 1 if report.problems else 0
    if args.action == "remove":
        optouts.remove(args.value, reason=args.reason, removed_by=operator, customer_id=args.customer_id)
        print(i18n.t("cli.optout.removed", value=args.value.strip()))
        return 0
    if args.action == "list":
        entries = optouts.entries(args.search, include_removed=args.removed)
        for e in entries:
            removed = ("  " + i18n.t("cli.optout.removed_entry", when=i18n.date_text(e.removed_at), by=e.removed_by,
                                     reason=e.removed_reason)) if e.removed_at else ""
            print(f"{e.value:<32} {i18n.coded(CHANNEL_WORDS, e.channel):<13} {e.reason or '-':<24} "
                  f"{source_words(e.source)} · {e.added_by} · "
                  f"{i18n.datetime_text(e.added_at)}{removed}")
        print(i18n.t("cli.optout.count", n=len(entries)))
        return 0
    data = optouts.export_csv()
    if args.out:
        Path(args.out).write_bytes(data)
        print(i18n.t("cli.optout.wrote", file=args.out))
    else:
        sys.stdout.write(data.decode("utf-8-sig"))
    return 0


def _channel_words(channel: str) -> str:
    return i18n.t({"sms": "cli.optout.channel.sms", "email": "cli.optout.channel.email",
                   "both": "cli.optout.channel.both"}[channel])
