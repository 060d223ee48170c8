"""Options and words shared by the command line's sub-commands: one name and one help text for each.

Also argparse's own words ("usage:", "options", "the following arguments are required: …"): argparse
looks them up through its module-level gettext function `_`; `install_argparse_words` points it at our
catalogs (cli.argparse.*), so `--help` and a refused argument read in the chosen language. A message
argparse has that we did not translate stays as argparse says it.
"""

from __future__ import annotations

import argparse
from typing import Any

import orjson

from lib import i18n

# argparse's message → our key; the English catalog holds argparse's own text (percent placeholders
# are argparse's: it fills them after the lookup).
_ARGPARSE_WORDS = {
    "usage: ": "cli.argparse.usage",
    "positional arguments": "cli.argparse.positional_arguments",
    "options": "cli.argparse.options",
    "show this help message and exit": "cli.argparse.help",
    "argument %(argument_name)s: %(message)s": "cli.argparse.argument",
    "unrecognized arguments: %s": "cli.argparse.unrecognized",
    "not allowed with argument %s": "cli.argparse.not_allowed_with",
    "the following arguments are required: %s": "cli.argparse.required",
    "one of the arguments %s is required": "cli.argparse.one_required",
    "expected one argument": "cli.argparse.expected_one",
    "expected at most one argument": "cli.argparse.expected_at_most_one",
    "expected at least one argument": "cli.argparse.expected_at_least_one",
    "ambiguous option: %(option)s could match %(matches)s": "cli.argparse.ambiguous",
    "invalid %(type)s value: %(value)r": "cli.argparse.invalid_value",
    "invalid choice: %(value)r (choose from %(choices)s)": "cli.argparse.invalid_choice",
    "%(prog)s: error: %(message)s\n": "cli.argparse.error",
    "can't open '%(filename)s': %(error)s": "cli.argparse.cannot_open",
}


def argparse_words(message: str) -> str:
    key = _ARGPARSE_WORDS.get(message)
    return i18n.t(key) if key else message


def install_argparse_words() -> None:
    argparse._ = argparse_words  # argparse's own translation hook (it calls _() when it speaks)


class _Language(argparse.Action):
    """`--lang` reached a command's own parser (its main called directly): use it from here on."""

    def __call__(self, parser, namespace, values, option_string=None):
        i18n.use(values)
        setattr(namespace, self.dest, values)


def add_language_option(parser: argparse.ArgumentParser) -> None:
    """`--lang el|en` in every command's help; `python -m lib` takes it out before the command runs."""
    parser.add_argument("--lang", choices=sorted(i18n.LANGUAGES), action=_Language, help=i18n.t("cli.option.lang"))


def add_map_option(parser: argparse.ArgumentParser) -> None:
    """`--map NAME=COLUMN` on check, preview and send."""
    parser.add_argument("--map", action="append", default=[], metavar="NAME=COLUMN", help=i18n.t("cli.option.map"))


def add_gsm_safe_greek_option(parser: argparse.ArgumentParser) -> None:
    """`--gsm-safe-greek` on preview and send; `--gsm-greek` (its old name in preview) is a hidden alias."""
    parser.add_argument(
        "--gsm-safe-greek", action="store_true", dest="gsm_safe_greek", help=i18n.t("cli.option.gsm_safe_greek"),
    )
    parser.add_argument("--gsm-greek", action="store_true", dest="gsm_safe_greek", help=argparse.SUPPRESS)


def json_text(value: Any, *, indent: bool = False) -> str:
    """`--json` output: keys and codes as they are; a sentence (a Msg from lib) in the reader's language.
    UTF-8 as it is (Greek is not escaped); `indent`: two spaces a level. Encoded by orjson: a million-row
    check's 300,000 left-out rows took the standard library 0.45 s of CPU, orjson 0.13 s."""
    return orjson.dumps(value, default=_words, option=orjson.OPT_INDENT_2 if indent else 0).decode()


def _words(value: Any) -> Any:
    if isinstance(value, i18n.Msg):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def problem_words(exc: BaseException) -> str:
    """What a command prints for `exc`: our own errors are sentences already; Python's file errors
    (`[Errno 2] No such file or directory: 'x.csv'`) are English and name an errno, so they become one
    sentence naming the file and what is wrong with it."""
    if not isinstance(exc, OSError) or exc.filename is None:
        return str(exc)
    file = str(exc.filename)
    if isinstance(exc, FileNotFoundError | NotADirectoryError):
        return i18n.t("cli.file.missing", file=file)
    if isinstance(exc, IsADirectoryError):
        return i18n.t("cli.file_problem.folder", file=file)
    if isinstance(exc, PermissionError):
        return i18n.t("cli.file_problem.not_readable", file=file)
    return i18n.t("cli.file_problem.other", file=file, reason=exc.strerror or str(exc))


def ledger_reading_ahead(template, settings):
    """The ledger for `template`'s rules, already reading what they join against while the file is read."""
    from lib.campaign import read_rules_ahead
    from lib.history.store import open_store
    from lib.ledger import Ledger

    ledger = Ledger(open_store(settings.database_url), settings)
    read_rules_ahead(template, ledger)
    return ledger
