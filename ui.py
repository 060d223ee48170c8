"""Streamlit pieces shared by every page: the runtime, the platform banner, status badges."""

from __future__ import annotations

import html

import streamlit as st

from lib.runtime import ConsoleRuntime, start_runtime
from lib.settings import SettingsError, get_settings

STATUS_COLOURS = {
    "Draft": "#505a5f",
    "Pending": "#f47738",
    "Queued": "#00703c",
    "Error": "#d4351c",
    "Unknown": "#912b88",
    "Rejected": "#d4351c",
    "Accepted": "#00703c",
    "Posting": "#1d70b8",
}


@st.cache_resource(show_spinner="Starting the console…")
def _runtime() -> ConsoleRuntime:
    return start_runtime(get_settings())


def get_runtime() -> ConsoleRuntime:
    """The process-wide runtime; a bad setting stops every page with one plain sentence."""
    try:
        return _runtime()
    except SettingsError as exc:
        st.error(f"The console cannot start: {exc}")
        st.stop()


def platform_banner(rt: ConsoleRuntime) -> None:
    """On every page, so nobody mistakes the sandbox for the real platform, or the reverse."""
    if rt.is_sandbox:
        st.markdown(
            '<div class="cc-banner cc-sandbox" data-testid="sandbox-badge">'
            "<b>Sandbox — nothing is really sent.</b> "
            "Messages go to a local test platform and its outbox file.</div>",
            unsafe_allow_html=True,
        )
    else:
        st.markdown(
            '<div class="cc-banner cc-live" data-testid="live-badge">'
            f"<b>Live platform:</b> {html.escape(rt.platform_url)} — messages are really sent and paid for.</div>",
            unsafe_allow_html=True,
        )


def status_badge(label: str) -> str:
    """HTML for a coloured status pill; use with unsafe_allow_html."""
    colour = STATUS_COLOURS.get(label, "#505a5f")
    return f'<span class="cc-badge" style="background:{colour}">{html.escape(label)}</span>'


def inject_css() -> None:
    st.markdown(
        """<style>
        .cc-banner {padding: .5rem .9rem; border-radius: .35rem; margin-bottom: .6rem; font-size: .95rem}
        .cc-sandbox {background: #e8f1f8; border-left: 6px solid #1d70b8; color: #0b0c0c}
        .cc-live {background: #fbe4e0; border-left: 6px solid #d4351c; color: #0b0c0c}
        .cc-badge {color: #fff; padding: .1rem .55rem; border-radius: 1rem; font-size: .8rem; font-weight: 600;
                   white-space: nowrap}
        </style>""",
        unsafe_allow_html=True,
    )
