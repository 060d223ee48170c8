"""`python -m lib COMMAND ...`: one entry point; each concern owns its own sub-command module."""

from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "sandbox": ("lib.sandbox.cli", "run the local sandbox messaging platform"),
    "check": ("lib.recipients.cli", "read and validate a recipient file"),
    "preview": ("lib.personalization.cli", "preview personalised messages"),
    "send": ("lib.sending.cli", "send a campaign from a file"),
    "refresh": ("lib.history.cli", "refresh the status of dispatches"),
    "optout": ("lib.ledger.cli", "manage the do not contact list"),
    "templates": ("lib.templates_cli", "list, show, import or export the template catalog"),
    "team": ("lib.team.cli", "who may use the console: team add|remove|role|list"),
    "audit": ("lib.team.audit_cli", "read the audit trail"),
    "run": ("lib.launcher", "serve the console: the sandbox, the worker and the app together"),
    "migrate": ("lib.history.migrate", "create or upgrade the history database"),
    "worker": ("lib.sending.worker_cli", "post queued sends and refresh statuses until stopped"),
    "approvals": ("lib.approvals_cli", "live sends waiting for a second person's approval"),
    "approve": ("lib.approvals_cli:approve_main", "approve a send someone else submitted"),
    "reject": ("lib.approvals_cli:reject_main", "reject a send someone else submitted, with a reason"),
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


if __name__ == "__main__":
    sys.exit(main())
