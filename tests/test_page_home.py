"""Home: the connection panel in sandbox mode, and against a live platform with wrong credentials."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from lib.settings import get_settings
from tests.support_app import app_env, page_path  # noqa: F401


def home() -> AppTest:
    # Through app.py, whose navigation the Home page links into.
    at = AppTest.from_file(str(Path(page_path("home.py")).parents[1] / "app.py"), default_timeout=30).run()
    assert not at.exception, at.exception
    return at


def all_text(at: AppTest) -> str:
    return "\n".join(e.value for e in [*at.markdown, *at.success, *at.error, *at.code, *at.get("text")] if e.value)


def test_sandbox_mode_says_so_and_is_connected(app_env):  # noqa: F811
    at = home()
    text = all_text(at)
    assert "Sandbox — nothing is really sent" in text
    assert at.success and at.success[0].value.startswith("Connected to http://127.0.0.1:")


def test_live_platform_with_a_wrong_password_is_named_without_showing_it(app_env, sandbox, monkeypatch):  # noqa: F811
    monkeypatch.setenv("MESSAGING_API_URL", sandbox.url)
    monkeypatch.setenv("MESSAGING_API_USER", "demo")
    monkeypatch.setenv("MESSAGING_API_PASSWORD", "not-the-password-42")
    monkeypatch.setenv("CONSOLE_AUTH", "off")
    get_settings.cache_clear()
    at = home()
    text = all_text(at)
    assert "Live platform" in text and sandbox.url in text
    assert "Sandbox — nothing is really sent" not in text
    assert at.error and "MESSAGING_API_PASSWORD" in at.error[0].value
    assert "not-the-password-42" not in text
