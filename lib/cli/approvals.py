"""`python -m lib approvals`, `python -m lib approve SEND_ID`, `python -m lib reject SEND_ID --reason TEXT`.

The command line acts as a named person (`--as EMAIL`, else CONSOLE_OPERATOR) under the team's rules
(lib.cli.team.acting_person). `approve` prints what the sender saw and asks before approving (or takes
--yes); the approval binds to the manifest it printed (or the one given with --manifest): if the send
is not that one any more, nothing is approved.

Exit status: 0 done; 1 the send cannot be decided (not waiting for approval, another manifest,
expired, or cancelled); 2 bad arguments or settings; 77 refused by the team's rules: not in the team,
a role that may not approve, or one's own send (77 is sysexits' EX_NOPERM).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from lib import approvals, i18n
from lib.cli.options import add_language_option, json_text
from lib.cli.team import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, _Stop, acting_person
from lib.history.store import HistoryStore, StoreError
from lib.personalization.preview import reasons_text
from lib.runtime import open_console_store
from lib.settings import Settings, SettingsError, load_settings
from lib.team.people import TeamError
from lib.team.roles import Action, NotAllowed, require

EXIT_NOT_DECIDED = 1
YES = ("y", "yes", "ν", "ναι")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise _Stop(f"{self.prog}: {message}", EXIT_USAGE)


def _parser(command: str) -> argparse.ArgumentParser:
    about = {
        "approvals": "cli.approvals.about",
        "approve": "cli.approvals.approve.about",
        "reject": "cli.approvals.reject.about",
    }[command]
    p = _Parser(prog=f"python -m lib {command}", description=i18n.t(about), epilog=i18n.t("cli.approvals.exit_codes"),
                formatter_class=argparse.RawDescriptionHelpFormatter)
    if command == "approvals":
        p.add_argument("--json", action="store_true", help=i18n.t("cli.option.json_list"))
    else:
        p.add_argument("send_id", type=int, metavar="SEND_ID")
    if command == "approve":
        p.add_argument("--manifest", metavar="HASH", help=i18n.t("cli.approvals.option.manifest"))
        p.add_argument("--yes", action="store_true", help=i18n.t("cli.approvals.option.yes"))
    if command == "reject":
        p.add_argument("--reason", required=True, help=i18n.t("cli.approvals.option.reason"))
    p.add_argument("--as", dest="acting_as", metavar="EMAIL", help=i18n.t("cli.option.as"))
    add_language_option(p)
    return p


def _print_review(review, settings: Settings) -> None:
    for label, value in approvals.summary_lines(review, settings.tz, settings.currency):
        print(f"{str(label) + ':':<32} {value}")
    for risky in review.summary.get("riskiest", [])[:5]:
        print(f"{i18n.t('cli.approvals.worth_a_look'):<32} "
              + i18n.t("cli.approvals.risky_row", row=str(risky["row"]), why=reasons_text(approvals.risky_reasons(risky))))


def _list(args, settings: Settings, store: HistoryStore) -> int:
    person = acting_person(settings, store, args.acting_as)
    require(person, Action.APPROVE_SEND)
    waiting = approvals.awaiting(store)
    if args.json:
        print(json_text([{"send_id": r.send.id, "submitted_by": r.submitted_by,
                           "submitted_at": r.submitted_at.isoformat(), "manifest_hash": r.send.manifest_hash,
                           "you_may_decide": approvals.may_decide(r, person), "summary": r.summary}
                          for r in waiting], indent=True))
        return EXIT_OK
    for review in waiting:
        _print_review(review, settings)
        if not approvals.may_decide(review, person):
            print(f"{'':<32} {i18n.t('cli.approvals.yours')}")
        print()
    print(i18n.t("cli.approvals.count", n=len(waiting)))
    return EXIT_OK


def _approve(args, settings: Settings, store: HistoryStore, ask: Callable[[str], str]) -> int:
    person = acting_person(settings, store, args.acting_as)
    require(person, Action.APPROVE_SEND)
    review = store.send_review(args.send_id)
    seen = args.manifest
    if review is not None and seen is None:
        _print_review(review, settings)
        seen = review.send.manifest_hash
        if not args.yes and review.send.queue_state == "awaiting":
            try:
                answer = ask(i18n.t("cli.approvals.confirm", id=str(args.send_id)) + " ")
            except EOFError:
                answer = ""
            if answer.strip().lower() not in YES:
                raise _Stop(i18n.t("cli.approvals.cancelled"), EXIT_NOT_DECIDED)
    print(approvals.approve(store, args.send_id, person, seen or "").sentence)
    return EXIT_OK


def _reject(args, settings: Settings, store: HistoryStore) -> int:
    person = acting_person(settings, store, args.acting_as)
    print(approvals.reject(store, args.send_id, person, args.reason).sentence)
    return EXIT_OK


def run(command: str, argv: list[str], ask: Callable[[str], str] = input) -> int:
    try:
        args = _parser(command).parse_args(argv)
        settings = load_settings()
        store = open_console_store(settings)
        if command == "approvals":
            return _list(args, settings, store)
        if command == "approve":
            return _approve(args, settings, store, ask)
        return _reject(args, settings, store)
    except _Stop as stop:
        print(stop, file=sys.stderr)
        return stop.code
    except (NotAllowed, approvals.OwnSend) as exc:
        print(i18n.t("cli.refused", reason=exc), file=sys.stderr)
        return EXIT_REFUSED
    except approvals.ApprovalRefused as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_NOT_DECIDED
    except (TeamError, SettingsError, StoreError) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE


def main(argv: list[str] | None = None) -> int:
    return run("approvals", list(sys.argv[1:] if argv is None else argv))


def approve_main(argv: list[str] | None = None) -> int:
    return run("approve", list(sys.argv[1:] if argv is None else argv))


def reject_main(argv: list[str] | None = None) -> int:
    return run("reject", list(sys.argv[1:] if argv is None else argv))
