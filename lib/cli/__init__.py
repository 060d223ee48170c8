"""`python -m lib COMMAND ...`: the command line, one module per command in this package."""

from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "sandbox": ("lib.cli.sandbox", "run the local sandbox messaging platform"),
    "check": ("lib.cli.check", "read and validate a recipient file"),
    "preview": ("lib.cli.preview", "preview personalised messages"),
    "send": ("lib.cli.send", "send a campaign from a file"),
    "refresh": ("lib.cli.refresh", "refresh the status of dispatches"),
    "optout": ("lib.cli.optout", "manage the do not contact list"),
    "templates": ("lib.cli.templates", "list, show, import or export the template catalog"),
    "team": ("lib.cli.team", "who may use the console: team add|remove|role|list"),
    "audit": ("lib.cli.audit", "read the audit trail"),
    "run": ("lib.cli.run", "serve the console: the sandbox, the worker and the app together"),
    "migrate": ("lib.history.migrate", "create or upgrade the history database"),
    "worker": ("lib.cli.worker", "post queued sends and refresh statuses until stopped"),
    "approvals": ("lib.cli.approvals", "live sends waiting for a second person's approval"),
    "approve": ("lib.cli.approvals:approve_main", "approve a send someone else submitted"),
    "reject": ("lib.cli.approvals:reject_main", "reject a send someone else submitted, with a reason"),
}


def usage() -> str:
    lines = ["usage: python -m lib COMMAND [options]", "", "commands:"]
    lines += [f"  {name:<10} {about}" for name, (_, about) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        print(usage(), file=sys.stderr if argv and argv[0] not in ("-h", "--help") else sys.stdout)
        return 0 if not argv or argv[0] in ("-h", "--help") else 2
    module_name, _, function = COMMANDS[argv[0]][0].partition(":")  # "module" runs module.main
    entry = getattr(importlib.import_module(module_name), function or "main")
    from lib.history.store import StoreError

    try:
        return int(entry(argv[1:]) or 0)
    except StoreError as exc:  # the history database cannot be used: one sentence, no traceback
        print(f"{argv[0]}: {exc}", file=sys.stderr)
        return 2

