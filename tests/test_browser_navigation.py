"""The first request after a server start goes through the app's own navigation, whatever the page."""

from __future__ import annotations

import pytest

from tests.support_browser import (  # noqa: F401
    browser_page,
    console_app,
    screenshot,
    sidebar_link,
    sidebar_titles,
    wait_for_app_idle,
    wait_until,
)

pytestmark = pytest.mark.browser
APP_PAGES = ["Home", "Compose", "Dispatches", "Templates", "Do not contact", "Team", "Audit"]  # no sign-in: every role


def test_first_page_after_a_server_start_has_the_apps_navigation(console_app, browser_page):  # noqa: F811
    page = browser_page
    page.goto(f"{console_app.url}/dispatches")  # the server's very first request, straight to a page
    wait_for_app_idle(page)
    page.get_by_role("heading", name="Dispatches").first.wait_for()
    # The links are drawn in the same run, one element at a time: wait until all of them are there.
    wait_until(lambda: sidebar_titles(page) == APP_PAGES, 15, f"the sidebar to list {APP_PAGES}")
    assert page.get_by_test_id("stSidebarNav").count() == 0, "Streamlit's pages/ folder list is shown"
    assert page.get_by_test_id("sandbox-badge").count() == 1
    screenshot(page, "navigation-first-request")

    sidebar_link(page, "Templates").click()
    wait_for_app_idle(page)
    page.get_by_role("heading", name="Templates").first.wait_for()
    assert page.url.endswith("/templates")
    assert sidebar_titles(page) == APP_PAGES
    assert page.get_by_test_id("sandbox-badge").count() == 1
