"""The app in a real browser: it starts on the sandbox and says so, and shows its connection."""

import pytest

from tests.support_browser import browser_page, console_app, screenshot, wait_for_app_idle  # noqa: F401

pytestmark = pytest.mark.browser


def test_home_shows_sandbox_badge_and_connection(console_app, browser_page):  # noqa: F811
    page = browser_page
    page.goto(console_app.url)
    wait_for_app_idle(page)
    badge = page.get_by_test_id("sandbox-badge")
    # The first visit after a server start may run the script twice (the app's navigation takes over
    # from the pages folder's): idle in between is not yet the page.
    badge.wait_for()
    assert "nothing is really sent" in badge.inner_text()
    panel = page.locator(".st-key-connection-panel")
    panel.get_by_text("Connected to").wait_for()
    assert console_app.sandbox_url in panel.inner_text()
    assert "Set (never shown)" in panel.inner_text()
    assert "demo" not in panel.locator("code").inner_text()  # the address shows no credentials
    screenshot(page, "home")


def test_templates_page_lists_the_catalog(console_app, browser_page):  # noqa: F811
    from tests.support_browser import open_page

    page = browser_page
    open_page(page, console_app.url, "Templates")
    page.get_by_text("every preview is drawn from this copy").wait_for()
    assert page.get_by_test_id("sandbox-badge").is_visible()
    page.get_by_role("tab", name="Create or edit").click()
    screenshot(page, "templates")
