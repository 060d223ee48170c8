"""`python -m lib [--lang el|en] COMMAND ...`: the command line, one module per command in this package.

Each command module has `main(argv) -> exit code`; `migrate` is lib.history.migrate's own. The reader's
language is chosen here, once, before the command does anything: `--lang el|en` anywhere on the line (it
is a global option, taken out before the command reads its own), else CONSOLE_LANGUAGE, else Greek.
Every sentence a command prints, its `--help` and argparse's own words (lib.cli.options) follow it; exit
codes and the keys of `--json` output never do.
"""

from __future__ import annotations

import importlib
import sys

from lib import i18n
from lib.cli.options import install_argparse_words

# (module[:function], key of the one line that describes the command in `python -m lib --help`)
COMMANDS = {
    "sandbox": ("lib.cli.sandbox", "cli.command.sandbox"),
    "check": ("lib.cli.check", "cli.command.check"),
    "preview": ("lib.cli.preview", "cli.command.preview"),
    "send": ("lib.cli.send", "cli.command.send"),
    "refresh": ("lib.cli.refresh", "cli.command.refresh"),
    "optout": ("lib.cli.optout", "cli.command.optout"),
    "templates": ("lib.cli.templates", "cli.command.templates"),
    "team": ("lib.cli.team", "cli.command.team"),
    "audit": ("lib.cli.audit", "cli.command.audit"),
    "run": ("lib.cli.run", "cli.command.run"),
    "migrate": ("lib.history.migrate", "cli.command.migrate"),
    "worker": ("lib.cli.worker", "cli.command.worker"),
    "approvals": ("lib.cli.approvals", "cli.command.approvals"),
    "approve": ("lib.cli.approvals:approve_main", "cli.command.approve"),
    "reject": ("lib.cli.approvals:reject_main", "cli.command.reject"),
}
EXIT_USAGE = 2

install_argparse_words()


class LanguageError(Exception):
    """`--lang` without a language we have."""


def take_language(argv: list[str]) -> tuple[str | None, list[str]]:
    """(the language of `--lang X` / `--lang=X`, the other arguments); nothing after `--` is looked at."""
    rest: list[str] = []
    language = None
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg == "--":
            rest += argv[index:]
            break
        if arg == "--lang" or arg.startswith("--lang="):
            if arg == "--lang":
                if index + 1 >= len(argv):
                    raise LanguageError("")
                value, index = argv[index + 1], index + 2
            else:
                value, index = arg.partition("=")[2], index + 1
            if value.strip().lower() not in i18n.LANGUAGES:
                raise LanguageError(value)
            language = value.strip().lower()
            continue
        rest.append(arg)
        index += 1
    return language, rest


def usage() -> str:
    lines = [i18n.t("cli.usage.line"), "", i18n.t("cli.usage.commands")]
    lines += [f"  {name:<10} {i18n.t(key)}" for name, (_, key) in COMMANDS.items()]
    lines += ["", i18n.t("cli.usage.language")]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        language, argv = take_language(argv)
    except LanguageError as exc:
        print(i18n.t("cli.language.unknown", value=str(exc) or "—", choices=", ".join(i18n.LANGUAGES)),
              file=sys.stderr)
        return EXIT_USAGE
    i18n.use(language or i18n.default_language())
    asked_for_help = bool(argv) and argv[0] in ("-h", "--help")
    if not argv or asked_for_help or argv[0] not in COMMANDS:
        print(usage(), file=sys.stderr if argv and not asked_for_help else sys.stdout)
        return 0 if not argv or asked_for_help else EXIT_USAGE
    module_name, _, function = COMMANDS[argv[0]][0].partition(":")  # "module" runs module.main
    entry = getattr(importlib.import_module(module_name), function or "main")
    from lib.history.store import StoreError

    try:
        return int(entry(argv[1:]) or 0)
    except StoreError as exc:  # the history database cannot be used: one sentence, no traceback
        print(f"{argv[0]}: {exc}", file=sys.stderr)
        return EXIT_USAGE
