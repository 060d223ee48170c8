"""The command line in Greek or English: `--lang el|en` on any command, else CONSOLE_LANGUAGE.

Real commands (`python -m lib …` in a subprocess, with a store and sandbox data directory of their own): the
words change with the language, numbers take the language's separators, and what a script reads (exit
codes, `--json` keys) does not change at all.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lib.cli import LanguageError, take_language
from tests.conftest import subprocess_env

ROOT = Path(__file__).resolve().parents[1]
ROWS = 1234  # four digits: 1.234 in Greek, 1,234 in English


@pytest.fixture
def console(tmp_path):
    """Run `python -m lib ARGS` with the console's default settings and a store of its own."""
    base = subprocess_env("MESSAGING_API_", "CONSOLE_", "DATABASE_URL")
    base.update(CONSOLE_SANDBOX_DIR=str(tmp_path / "sandbox"), DATABASE_URL=f"sqlite:///{tmp_path / 'console.db'}",
                CONSOLE_QUIET_HOURS="off")

    def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "lib", *args], cwd=ROOT, env={**base, **(env or {})},
                              capture_output=True, text=True, timeout=120)

    return run


@pytest.fixture
def recipients(tmp_path) -> Path:
    """1,234 valid Greek mobiles and one row without a usable number."""
    lines = ["customer id;mobile"] + [f"C{i};69{30000000 + i}" for i in range(ROWS)] + ["BAD;12"]
    path = tmp_path / "list.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_check_speaks_greek_with_lang_el_and_greek_numbers(console, recipients):
    done = console("check", str(recipients), "--channel", "sms", "--lang", "el")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("list.csv: 1.235 παραλήπτες· μπορούν να σταλούν: 1.234, δεν μπορούν: 1, με προειδοποιήσεις: 0")
    assert "Στήλες: " in done.stdout and "γραμμή " in done.stdout
    english = console("check", str(recipients), "--channel", "sms")
    assert english.stdout.startswith("list.csv: 1,235 recipients, 1,234 can be sent, 1 cannot, 0 with warnings")


def test_console_language_chooses_greek_and_lang_overrides_it(console, recipients):
    greek = console("check", str(recipients), "--channel", "sms", env={"CONSOLE_LANGUAGE": "el"})
    assert greek.returncode == 0 and "μπορούν να σταλούν: 1.234" in greek.stdout
    english = console("--lang", "en", "check", str(recipients), "--channel", "sms", env={"CONSOLE_LANGUAGE": "el"})
    assert "1,234 can be sent" in english.stdout


def test_help_is_greek_down_to_argparse_words(console):
    commands = console("--lang", "el", "--help")
    assert commands.returncode == 0 and "εντολές:" in commands.stdout
    assert "ανάγνωση και έλεγχος ενός αρχείου παραληπτών" in commands.stdout
    check = console("check", "--help", "--lang", "el")
    assert check.returncode == 0
    assert check.stdout.startswith("χρήση: python -m lib check")
    assert "επιλογές:" in check.stdout and "κωδικοί εξόδου:" in check.stdout
    assert "εμφάνιση αυτής της βοήθειας και έξοδος" in check.stdout and "usage:" not in check.stdout
    send = console("send", "--help", env={"CONSOLE_LANGUAGE": "el"})
    assert "Αποστολή μιας καμπάνιας από ένα αρχείο παραληπτών." in send.stdout


def test_a_refused_argument_is_one_greek_line_with_the_same_exit_code(console, recipients):
    for lang, words in (("el", "λείπουν τα υποχρεωτικά ορίσματα: --channel"),
                        ("en", "the following arguments are required: --channel")):
        done = console("--lang", lang, "check", str(recipients))
        assert (done.returncode, done.stderr.strip()) == (2, words)


def test_a_bad_setting_is_refused_in_greek_naming_the_variable(console):
    done = console("templates", "list", env={"CONSOLE_LANGUAGE": "el", "CONSOLE_BATCH_SIZE": "0"})
    assert (done.returncode, done.stderr) == (2, "Το CONSOLE_BATCH_SIZE πρέπει να είναι τουλάχιστον 1, όχι 0\n")
    english = console("templates", "list", env={"CONSOLE_BATCH_SIZE": "0"})
    assert (english.returncode, english.stderr) == (2, "CONSOLE_BATCH_SIZE must be at least 1, not 0\n")


def _shape(value):
    """The keys and types of a JSON value, not its words."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(item) for item in value]
    return type(value).__name__


def test_json_is_the_same_in_both_languages_except_its_sentences(console, recipients):
    greek = console("--lang", "el", "check", str(recipients), "--channel", "sms", "--json")
    english = console("--lang", "en", "check", str(recipients), "--channel", "sms", "--json")
    assert greek.returncode == english.returncode == 0
    in_greek, in_english = json.loads(greek.stdout), json.loads(english.stdout)
    assert _shape(in_greek) == _shape(in_english)
    assert (in_greek["rows"], in_greek["valid"], in_greek["invalid"]) == (ROWS + 1, ROWS, 1)  # numbers stay numbers
    assert [p["row"] for p in in_greek["problems"]] == [p["row"] for p in in_english["problems"]]


def test_an_unknown_language_is_refused_before_the_command_runs(console):
    done = console("--lang", "fr", "templates", "list")
    assert done.returncode == 2 and "--lang" in done.stderr and "el, en" in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize(("argv", "language", "rest"), [
    (["check", "a.csv", "--lang", "el"], "el", ["check", "a.csv"]),
    (["--lang=en", "team", "list"], "en", ["team", "list"]),
    (["send", "--", "--lang", "el"], None, ["send", "--", "--lang", "el"]),  # after --, it is the command's
    (["worker"], None, ["worker"]),
])
def test_lang_is_taken_from_anywhere_on_the_line(argv, language, rest):
    assert take_language(argv) == (language, rest)


@pytest.mark.parametrize("argv", [["check", "--lang"], ["check", "--lang", "de"]])
def test_lang_without_a_language_we_have_is_refused(argv):
    with pytest.raises(LanguageError):
        take_language(argv)


def test_templates_from_the_sandbox_catalog_are_counted_in_greek(console):
    done = console("templates", "list", "--lang", "el")
    assert done.returncode == 0, done.stderr
    count = len(json.loads(console("templates", "list", "--json").stdout))
    assert done.stdout.splitlines()[-1] == f"{count} πρότυπα"


def test_a_file_that_cannot_be_opened_is_one_sentence_in_the_readers_language(console, tmp_path):
    missing = tmp_path / "λείπει.json"
    done = console("templates", "import", str(missing), "--lang", "el")
    assert done.returncode == 2 and done.stderr == f"Δεν υπάρχει το αρχείο {missing}\n"
    folder = console("optout", "import", str(tmp_path), "--lang", "el")
    assert folder.returncode == 2 and folder.stderr == f"Το {tmp_path} είναι φάκελος, όχι αρχείο\n"
    english = console("optout", "import", str(tmp_path / "stop.csv"))
    assert english.returncode == 2 and english.stderr == f"There is no file {tmp_path / 'stop.csv'}\n"
