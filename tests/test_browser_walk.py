"""Every page, opened through the app's navigation as a person would, at 1024 and 1440 px wide:
no page raises, and a screenshot of each is saved under tests/artifacts/ to be looked at."""

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


# The page has finished drawing when its script is idle and its elements stopped changing for half a second.
SETTLED = """() => {
    const app = document.querySelector('[data-testid=stApp]');
    const count = document.querySelectorAll('[data-testid=stMain] [data-testid=stElementContainer]').length;
    const idle = app && app.getAttribute('data-test-script-state') === 'notRunning';
    const now = Date.now();
    if (!idle || window.__walkCount !== count) { window.__walkCount = count; window.__walkSince = now; return false; }
    return now - window.__walkSince > 500;
}"""


def wait_until_drawn(page) -> None:
    page.evaluate("() => { window.__walkCount = -1; }")  # a click's rerun may not have begun yet
    wait_for_app_idle(page)
    page.wait_for_function(SETTLED, polling=100, timeout=30_000)


@pytest.mark.parametrize("width", [1024, 1440])
def test_every_page_opens_without_an_error_at_both_widths(console_app, browser_page, width):  # noqa: F811
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(console_app.url)
    wait_until_drawn(page)
    expected = {"Home", "Compose", "Dispatches", "Templates", "Do not contact", "Team", "Audit"}
    # On a busy machine the sidebar may still be filling in when the page is idle: wait for the whole of it.
    wait_until(lambda: expected <= set(sidebar_titles(page)), 30, "the whole navigation")
    titles = sidebar_titles(page)
    for title in titles:
        sidebar_link(page, title).click()
        wait_until_drawn(page)
        assert page.get_by_test_id("stException").count() == 0, f"{title} raised an exception"
        name = title.lower().replace(" ", "-")
        screenshot(page, f"walk-{name}-{width}")
