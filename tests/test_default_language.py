"""Greek by default: the console's users are Greek marketers, so with no CONSOLE_LANGUAGE set the settings,
the pages and the command line all speak Greek (every other test asks for English in tests/conftest.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

from lib import i18n
from lib.settings import load_settings
from tests.conftest import subprocess_env
from tests.support_app import app_env, page_path  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


def test_the_settings_language_is_greek_when_none_is_set(monkeypatch, tmp_path):
    monkeypatch.delenv("CONSOLE_LANGUAGE")
    assert load_settings(env={}, secrets_path=tmp_path / "absent.toml").language == "el"
    assert i18n.current() == "el"


def test_a_page_starts_in_greek_when_no_language_is_set(app_env, monkeypatch):  # noqa: F811
    monkeypatch.delenv("CONSOLE_LANGUAGE")
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception, at.exception
    picker = at.sidebar.selectbox(key="_language_picker")
    assert picker.value == "el" and picker.label == "Γλώσσα"


def console_without_language(*args: str) -> subprocess.CompletedProcess:
    env = subprocess_env("CONSOLE_LANGUAGE")
    env.pop("CONSOLE_LANGUAGE")
    return subprocess.run([sys.executable, "-m", "lib", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)


def test_the_command_line_speaks_greek_when_no_language_is_set():
    shown = console_without_language("check", "--help")
    assert shown.returncode == 0
    assert shown.stdout.startswith("χρήση: python -m lib check")
    assert "Ανάγνωση και έλεγχος ενός αρχείου παραληπτών." in shown.stdout
    refused = console_without_language("check", "list.csv", "--channel", "fax")
    assert refused.returncode == 2
    assert "όρισμα --channel: μη έγκυρη επιλογή: 'fax'" in refused.stderr
