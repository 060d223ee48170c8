"""Dispatches and Templates in a real browser: the Excel download opens and has the rows, the delete box
starts unticked for the next template, and screenshots at 1024 and 1440 px for a person to look at."""

from __future__ import annotations

import io

import openpyxl
import pytest

from lib.history.refresh import refresh_pending
from lib.history.store import open_store
from lib.messaging import MessagingClient
from tests.support_browser import (  # noqa: F401
    browser_page,
    console_app,
    open_page,
    screenshot,
    wait_for_app_idle,
)
from tests.support_dispatches import mobiles, record_send

TOP = "document.querySelector('[data-testid=stMain]').scrollTo(0, 0)"

pytestmark = pytest.mark.browser


def _record(console_app):  # noqa: F811
    store = open_store(console_app.database_url)
    with MessagingClient(console_app.sandbox_url, "demo", "demo") as client:
        sends = [
            record_send(store, client, destinations=[*mobiles(3), "1936862208"]),
            record_send(store, client, destinations=mobiles(1200), batch_size=1000),
            record_send(store, client, destinations=mobiles(1), is_test=True),
        ]
        refresh_pending(store, client, only_due=False)
    return store, sends


def test_excel_download_opens_and_has_the_rows(console_app, browser_page):  # noqa: F811
    page = browser_page
    open_page(page, console_app.url, "Dispatches")  # starts the embedded sandbox
    store, _ = _record(console_app)
    page.reload()
    wait_for_app_idle(page)
    page.get_by_role("tab", name="Download").click()
    button = page.get_by_role("button", name="Download Excel")
    button.wait_for()
    assert "(3 rows)" in button.inner_text()  # two parts of the big send, one of the small; no test send
    with page.expect_download(timeout=30_000) as download:
        button.click()
    sheet = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Send", "Part", "Dispatch", "Template")
    assert len(rows) == 1 + 3
    assert sorted(r[rows[0].index("Recipients")] for r in rows[1:]) == [4, 200, 1000]
    assert all(r[rows[0].index("Test send")] == "no" for r in rows[1:])
    log = console_app.log_path.read_text(errors="replace")
    assert "MediaFileStorageError" not in log and "has no len()" not in log

    page.get_by_role("tab", name="Sends").click()
    for width in (1024, 1440):
        page.set_viewport_size({"width": width, "height": 900})
        wait_for_app_idle(page)
        cut = page.evaluate("""[...document.querySelectorAll('[data-testid=stMetricLabel], [data-testid=stMetricLabel] *')]
            .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)""")
        assert cut == [], f"metric labels cut off at {width} px: {cut}"
        page.evaluate(TOP)
        screenshot(page, f"dispatches-{width}")
    page.get_by_role("tab", name="Charts").click()
    page.locator(".st-key-chart-recipients .js-plotly-plot").first.wait_for()
    modebar = page.locator(".st-key-chart-recipients .modebar-btn")
    assert modebar.count() == 1 and "png" in (modebar.first.get_attribute("data-title") or "").lower()
    for width in (1024, 1440):
        page.set_viewport_size({"width": width, "height": 900})
        wait_for_app_idle(page)
        page.evaluate(TOP)
        screenshot(page, f"dispatches-charts-{width}")


def test_the_delete_box_starts_unticked_for_the_next_template(console_app, browser_page):  # noqa: F811
    page = browser_page
    open_page(page, console_app.url, "Templates")
    page.get_by_text("Yes, delete template", exact=False).click()
    wait_for_app_idle(page)
    assert page.get_by_role("checkbox").first.is_checked()
    page.get_by_role("button", name="Delete template").click()
    wait_for_app_idle(page)
    page.get_by_text("deleted.").wait_for()
    next_box = page.get_by_role("checkbox").first
    assert not next_box.is_checked(), "the box is already ticked for the next template"
    assert page.get_by_role("button", name="Delete template").is_disabled()
    for width in (1024, 1440):
        page.set_viewport_size({"width": width, "height": 900})
        wait_for_app_idle(page)
        page.evaluate(TOP)
        screenshot(page, f"templates-{width}")
