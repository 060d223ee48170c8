"""The sidebar's language picker: the console's words follow it, and the choice is remembered for the person."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.support_app import app_env, page_path  # noqa: F401

APP = str(Path(page_path("home.py")).parents[1] / "app.py")


def run_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception, at.exception
    return at


def picker(at: AppTest):
    return at.sidebar.selectbox(key="_language_picker")


def test_the_console_starts_in_its_configured_language(app_env, monkeypatch):  # noqa: F811
    monkeypatch.setenv("CONSOLE_LANGUAGE", "el")
    at = run_app()
    assert picker(at).value == "el"
    assert picker(at).label == "Γλώσσα"


def test_a_chosen_language_is_used_and_remembered_in_a_new_session(app_env, monkeypatch):  # noqa: F811
    monkeypatch.setenv("CONSOLE_LANGUAGE", "en")
    at = run_app()
    assert picker(at).label == "Language"
    picker(at).set_value("el").run()
    assert not at.exception, at.exception
    assert picker(at).label == "Γλώσσα"
    again = run_app()  # another browser, same person
    assert picker(again).value == "el"
