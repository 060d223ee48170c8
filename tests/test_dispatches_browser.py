"""The Dispatches page in a real browser: a send's badge reaches Queued by itself, and a send made from the
command line appears, without a reload (the worker of `python -m lib run` refreshes; the page re-reads the store)."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from lib.history.store import open_store
from lib.messaging import MessagingClient
from tests.support_browser import (  # noqa: F401
    ARTIFACTS,
    ROOT,
    browser_page,
    console_app,
    screenshot,
    wait_for_app_idle,
    wait_until,
)
from tests.support_dispatches import mobiles, record_send
from tests.test_browser_walk_greek import TABLES_SIDEWAYS

pytestmark = pytest.mark.browser


def test_status_badge_reaches_queued_without_reloading(console_app, browser_page):  # noqa: F811
    page = browser_page
    page.goto(console_app.url)  # the app starts its embedded sandbox on the first visit
    wait_for_app_idle(page)
    store = open_store(console_app.database_url)
    with MessagingClient(console_app.sandbox_url, "demo", "demo") as client:
        # Scheduled a few seconds ahead: the sandbox holds it Pending, so the page sees it move.
        send_id = record_send(
            store, client, destinations=[*mobiles(3), "1936862208"], schedule_at=datetime.now(UTC) + timedelta(seconds=8)
        )
    [chunk] = store.get_send(send_id).chunks
    assert chunk.dispatch_id, f"the sandbox did not accept the send: {chunk.status} {chunk.error_message}"
    dispatch_id = chunk.dispatch_id

    page.goto(f"{console_app.url}/dispatches")
    wait_for_app_idle(page)
    row = page.locator(f'[data-testid="live-send-{send_id}"]')
    row.wait_for()
    assert row.get_attribute("data-status") in ("draft", "pending")
    assert "1 dispatch:" in row.inner_text()
    page.evaluate("window.__notReloaded = true")
    screenshot(page, "dispatches-in-progress")

    page.locator(f'[data-testid="live-send-{send_id}"][data-status="queued"]').wait_for(timeout=45_000)
    assert page.evaluate("window.__notReloaded === true"), "the page was reloaded"
    assert "Queued" in row.inner_text()

    page.locator(f".st-key-live-detail-{send_id} button").click()
    detail = page.get_by_test_id("detail-heading")
    detail.wait_for()
    wait_for_app_idle(page)
    assert f"Dispatch {dispatch_id}" in detail.inner_text() and "Queued" in detail.inner_text()
    assert page.evaluate("window.__notReloaded === true")
    page.locator(".st-key-dispatch-detail").get_by_text("Recipients the platform refused in this dispatch (1)").wait_for()
    screenshot(page, "dispatches-detail")
    page.locator(".st-key-dispatch-detail").screenshot(path=str(ARTIFACTS / "dispatches-detail-panel.png"))

    page.get_by_role("tab", name="Charts").click()
    for key in ("recipients", "per-send", "dispatches", "invalid", "upcoming"):
        chart = page.locator(f".st-key-chart-{key}")
        chart.locator(".js-plotly-plot").first.wait_for()
        chart.screenshot(path=str(ARTIFACTS / f"dispatches-chart-{key}.png"))
    assert page.locator(".st-key-chart-recipients").get_by_text("Recipients per day, by outcome").count() >= 1
    screenshot(page, "dispatches-charts")


FIXTURE = Path(__file__).parent / "fixtures" / "compose" / "promo-with-problems.csv"


def test_a_command_line_send_appears_on_an_open_page_within_5_seconds(console_app, browser_page):  # noqa: F811
    page = browser_page
    page.goto(f"{console_app.url}/dispatches")
    wait_for_app_idle(page)
    page.evaluate("window.__notReloaded = true")
    store = open_store(console_app.database_url, shared=False)
    before = {s.id for s in store.list_sends(None)}
    command = [sys.executable, "-m", "lib", "send", str(FIXTURE), "--template", "71", "--yes"]
    sender = subprocess.Popen(command, cwd=ROOT, env=console_app.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        new = wait_until(lambda: [s.id for s in store.list_sends(None) if s.id not in before], 60, "the send to be recorded")
        recorded = time.monotonic()
        page.locator(f'[data-testid="live-send-{new[0]}"]').wait_for(timeout=5_000)
        seen = time.monotonic() - recorded
    finally:
        out, _ = sender.communicate(timeout=60)
    assert seen < 5, f"appeared {seen:.1f} s after it was recorded"
    assert page.evaluate("window.__notReloaded === true"), "the page was reloaded"
    assert b"queued for the worker" in out, out.decode()
    for width in (1024, 1440):
        page.set_viewport_size({"width": width, "height": 1000})
        wait_for_app_idle(page)
        screenshot(page, f"dispatches-live-{width}")


def test_a_part_in_doubt_is_decided_on_the_send_detail_with_a_confirmation(console_app, browser_page):  # noqa: F811
    from lib.sending.status import ChunkStatus
    from tests.support_dispatches import record_send as recorded

    store = open_store(console_app.database_url, shared=False)

    class Sandbox:
        base_url = console_app.sandbox_url

    send_id = recorded(store, Sandbox(), destinations=mobiles(3), batch_size=2, post=False, created_by="maria")
    first = store.get_send(send_id).chunks[0]
    store.move_chunk(first.id, expected=ChunkStatus.PENDING, new=ChunkStatus.POSTING)
    store.move_chunk(first.id, expected=ChunkStatus.POSTING, new=ChunkStatus.UNKNOWN,
                     error_message="No answer came back within 30 s; it may have gone out")
    page = browser_page
    page.goto(f"{console_app.url}/dispatches")
    wait_for_app_idle(page)
    row = page.locator(f'[data-testid="live-send-{send_id}"][data-status="unknown"]')
    row.wait_for(timeout=10_000)
    panel = page.locator(f".st-key-send-{send_id}-decide-1")
    for _ in range(3):  # a click landing while the live panel redraws itself (every 2 s) can be lost on a busy machine
        page.locator(f".st-key-live-detail-{send_id} button").click()
        wait_for_app_idle(page)
        try:
            panel.wait_for(timeout=10_000)
            break
        except PlaywrightTimeout:
            continue
    panel.get_by_text("Mark as sent", exact=True).click()
    wait_for_app_idle(page)
    for width in (1024, 1440):
        page.set_viewport_size({"width": width, "height": 1000})
        wait_for_app_idle(page)
        panel.scroll_into_view_if_needed()
        screenshot(page, f"dispatches-send-in-doubt-{width}")
    assert store.chunk_decisions(send_id) == [], "choosing is not deciding"
    page.locator(f".st-key-send-{send_id}-confirm-1 button").click()
    wait_until(lambda: store.chunk_decisions(send_id), 10, "the decision to be recorded")
    assert [(d["decision"], d["decided_by"]) for d in store.chunk_decisions(send_id)] == [("marked_sent", "browser-test")]


def _tick_first_row(page, grid) -> None:
    """Tick the first row of a table (the grid is a canvas: click its row-selection cell)."""
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()  # in the viewport once scrolled to
    page.mouse.click(box["x"] + 17, box["y"] + 35 + 17)


def _open_first_send(page) -> None:
    _tick_first_row(page, page.locator(".st-key-sends-table [data-testid=stDataFrame]"))
    page.locator(".st-key-send-detail").wait_for(timeout=15_000)
    wait_for_app_idle(page)


def test_sends_fit_1024_px_open_to_their_dispatches_and_charts_read_well(console_app, browser_page):  # noqa: F811
    store = open_store(console_app.database_url, shared=False)
    with MessagingClient(console_app.sandbox_url, "demo", "demo") as client:
        for people, size in ((2_500, 1000), (3, 1000), (5, 2)):
            record_send(store, client, destinations=[*mobiles(people), "1936862208"], batch_size=size,
                        created_by="maria")
    page = browser_page
    for width in (1024, 1440):
        page.set_viewport_size({"width": width, "height": 1000})
        page.goto(f"{console_app.url}/dispatches")
        wait_for_app_idle(page)
        grid = page.locator(".st-key-sends-table [data-testid=stDataFrame]")
        grid.wait_for()
        sideways = page.evaluate(
            "() => { const s = document.querySelector('.st-key-sends-table .dvn-scroller');"
            " return s ? s.scrollWidth - s.clientWidth : -1 }"
        )
        screenshot(page, f"dispatches-history-{width}")
        assert 0 <= sideways <= 1, f"the Sends table scrolls sideways by {sideways} px at {width} px"
        _open_first_send(page)
        assert "3 dispatches: " in page.get_by_test_id("send-rollup").inner_text()
        screenshot(page, f"dispatches-send-open-{width}")
        assert page.evaluate(TABLES_SIDEWAYS) == [], f"a table of the open send scrolls sideways at {width} px"
        _tick_first_row(page, page.locator(".st-key-send-detail [data-testid=stDataFrame]").first)
        page.get_by_test_id("detail-heading").wait_for(timeout=15_000)
        wait_for_app_idle(page)
        page.locator(".st-key-dispatch-detail").screenshot(path=str(ARTIFACTS / f"dispatches-dispatch-open-{width}.png"))
        page.get_by_role("tab", name="Charts").click()
        chart = page.locator(".st-key-chart-per-send .js-plotly-plot").first
        chart.wait_for()
        wait_for_app_idle(page)
        assert page.locator(".st-key-chart-per-send .modebar-btn").count() == 1  # download only
        screenshot(page, f"dispatches-charts-{width}")
