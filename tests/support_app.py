"""AppTest support: run a page script against a fresh store and its own embedded sandbox.

Import into a test module: `from tests.support_app import app_env  # noqa: F401`.
"""

from __future__ import annotations

import pytest
import streamlit as st

from lib.settings import get_settings


@pytest.fixture
def app_env(tmp_path, monkeypatch):
    """Environment for one page run; yields the runtime the page will use once it has started."""
    for name in ("MESSAGING_API_URL", "MESSAGING_API_USER", "MESSAGING_API_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'console.db'}")
    monkeypatch.setenv("CONSOLE_SANDBOX_DIR", str(tmp_path / "sandbox"))
    monkeypatch.setenv("CONSOLE_SANDBOX_PORT", "0")
    monkeypatch.setenv("CONSOLE_SANDBOX_STEP_SECONDS", "0.3")
    monkeypatch.setenv("CONSOLE_OPERATOR", "apptest")
    # Quiet hours are tested on their own: other page tests must not depend on the hour they run at.
    monkeypatch.setenv("CONSOLE_QUIET_HOURS", "off")
    monkeypatch.delenv("CONSOLE_SMS_OPTOUT_TEXT", raising=False)
    get_settings.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()
    import ui

    yield ui
    try:
        runtime = ui._runtime()
        if runtime.sandbox is not None:
            runtime.sandbox.stop()
    finally:
        st.cache_resource.clear()
        get_settings.cache_clear()


def page_path(name: str) -> str:
    """Absolute path of a page script (AppTest resolves relative paths against the caller)."""
    from pathlib import Path

    return str(Path(__file__).resolve().parents[1] / "pages" / name)
