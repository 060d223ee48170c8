"""A marketer's whole flow in a real browser: template 71, a file with bad rows, preview, send —
and a double click on Send that still produces exactly one dispatch."""

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from lib.messaging.client import MessagingClient
from tests.support_browser import (  # noqa: F401
    browser_page,
    choose,
    console_app,
    open_page,
    screenshot,
    wait_for_app_idle,
    wait_until,
)

pytestmark = pytest.mark.browser
FIXTURE = Path(__file__).parent / "fixtures" / "compose" / "promo-with-problems.csv"


def test_compose_flow_sends_once_even_on_double_click(console_app, browser_page):  # noqa: F811
    page = browser_page
    open_page(page, console_app.url, "Compose")
    choose(page, "compose_template", "71 · Promo code")
    screenshot(page, "compose-1-template")

    page.locator("input[type='file']").set_input_files(str(FIXTURE))
    page.get_by_text("Fix the mobile number in 1 row").wait_for()
    wait_for_app_idle(page)
    main = page.get_by_test_id("stMain")
    assert "Remove 1 repeated customer id" in main.inner_text()
    assert "format the 'mobile' column as text" in main.inner_text()
    screenshot(page, "compose-2-recipients")

    # Row 7 has no voucher code: it is left out and says why; three rows will receive the message.
    page.get_by_text("Missing value for {{voucherCode}}: this row will not be sent").first.wait_for()
    assert "Your voucher SPRING19 is worth 100 €" in main.inner_text()
    screenshot(page, "compose-3-preview")

    send = page.get_by_role("button", name="Send now to 3 people")
    send.dblclick()
    page.get_by_text("Sent to 3 recipients in 1 dispatch").wait_for(timeout=30_000)  # posted by the worker
    wait_for_app_idle(page)
    screenshot(page, "compose-4-result")
    for width in (1024, 1440):
        page.set_viewport_size({"width": width, "height": 1000})
        wait_for_app_idle(page)
        page.locator(".st-key-compose-result-progress, [data-testid=stAlertContentSuccess]").last.scroll_into_view_if_needed()
        screenshot(page, f"compose-result-{width}")

    engine = sa.create_engine(console_app.database_url)
    with engine.connect() as conn:
        sends = conn.execute(sa.text("select count(*) from sends")).scalar_one()
        dispatch_ids = [r[0] for r in conn.execute(sa.text("select dispatch_id from chunks"))]
    assert sends == 1 and len(dispatch_ids) == 1 and dispatch_ids[0] is not None
    assert str(dispatch_ids[0]) in main.inner_text()

    # The sandbox delivers exactly the three previewed messages, once each.
    client = MessagingClient(console_app.sandbox_url, "demo", "demo")
    wait_until(lambda: client.get_dispatch(dispatch_ids[0]).is_final, 20, "the dispatch to be queued")
    outbox = console_app.sandbox_dir / "outbox.jsonl"
    messages = [json.loads(line) for line in outbox.read_text().splitlines()]
    assert sorted(m["uniqueId"] for m in messages) == ["C001", "C002", "C008"]
    assert {m["text"] for m in messages} >= {"Your voucher SPRING19 is worth 100 €. Use it in any store before 28/09/2026."}
