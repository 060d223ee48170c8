"""The ledger in a real browser: a list with two people who already received template 71 and one who opted
out; Compose counts them, sends to the rest only, and the sandbox's own outbox shows who got it.

Works with either console fixture (the app alone, or `python -m lib run` with a worker): it waits on the
store and the outbox, not on the page's wording of the result."""

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from lib.history.store import NewRecipient, close_all_stores, open_store
from lib.ledger import Ledger
from lib.ledger.optout import OptOutList
from lib.messaging.client import MessagingClient
from lib.settings import load_settings
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
HEADER = "customer id;mobile;voucherCode;voucherAmount;expirationDate\n"
PEOPLE = {"C101": "6936862101", "C102": "6936862102", "C103": "6936862103", "C104": "6936862104",
          "C105": "6936862105"}
LIST = HEADER + "".join(f"{uid};{mobile};V{uid};10 €;31/12/2026\n" for uid, mobile in PEOPLE.items())


def seed(database_url):
    """A past send of template 71 to C101 and C102 (accepted), and C103 on the do not contact list, written
    through lib into the app's own store (its ledger keys use the store's secret, like the app's)."""
    store = open_store(database_url)
    ledger = Ledger(store, load_settings(env={"DATABASE_URL": database_url}, secrets_path=Path("/nonexistent"))).install()
    send_id = store.create_send(
        manifest_hash="seed", claim="seed", template_id=71, template_name="Promo code", channel="sms",
        schedule_at=None, created_by="maria", platform_url="http://earlier", is_sandbox=True, is_test=False,
        resend_of=None, excluded_recipients=0, estimated_parts=None, estimated_cost=None, batch_size=10,
        chunks=[[NewRecipient(uid, row, f"+30{PEOPLE[uid]}", None, ()) for row, uid in ((2, "C101"), (3, "C102"))]],
    )
    with store.write() as conn:
        conn.execute(sa.text("update chunks set status = 'accepted' where send_id = :id"), {"id": send_id})
    OptOutList(ledger).add(PEOPLE["C103"], reason="replied STOP", added_by="maria")
    close_all_stores()
    return send_id


def sent_to(app, after_send: int) -> list[str]:
    """Customer ids in the sandbox's outbox from the dispatches of sends after `after_send` (asking the platform
    about each dispatch, as the console's refresh does, lets an embedded sandbox write its outbox)."""
    engine = sa.create_engine(app.database_url)
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(sa.text(
            "select dispatch_id from chunks where send_id > :s and dispatch_id is not null"), {"s": after_send})]
    engine.dispose()
    client = MessagingClient(app.sandbox_url, "demo", "demo")
    if not ids or not all(client.get_dispatch(i).is_final for i in ids):
        return []
    outbox = app.sandbox_dir / "outbox.jsonl"
    lines = outbox.read_text().splitlines() if outbox.exists() else []
    return sorted(m["uniqueId"] for m in map(json.loads, lines) if m["dispatchId"] in ids)


def test_compose_counts_who_already_received_it_and_who_opted_out_and_sends_to_the_rest(
        console_app, browser_page, tmp_path,  # noqa: F811
):
    seeded = seed(console_app.database_url)
    page = browser_page
    open_page(page, console_app.url, "Compose")
    choose(page, "compose_template", "71 · Promo code")
    upload = tmp_path / "customers.csv"
    upload.write_text(LIST, encoding="utf-8")
    page.locator("input[type='file']").set_input_files(str(upload))
    page.get_by_role("button", name="Send now to 2 people").wait_for()
    wait_for_app_idle(page)
    main = page.get_by_test_id("stMain")
    shown = main.inner_text()
    assert "2 left out: already received" in shown and "1 opted out" in shown
    for width in (1024, 1440):
        page.set_viewport_size({"width": width, "height": 1000})
        wait_for_app_idle(page)
        page.locator(".st-key-confirm-summary").scroll_into_view_if_needed()
        screenshot(page, f"ledger-compose-summary-{width}")
    assert page.get_by_text("Send again to the 2 people who already received it").is_visible()

    page.get_by_role("button", name="Send now to 2 people").click()
    received = wait_until(lambda: sent_to(console_app, seeded), 60, "the sandbox's outbox to show the send")
    assert received == ["C104", "C105"]

    for width in (1024, 1440):  # opened at each width: a table keeps the width it was first drawn at
        page.set_viewport_size({"width": width, "height": 1000})
        open_page(page, console_app.url, "Do not contact")
        page.get_by_test_id("stDataFrame").first.wait_for()  # the list (its cells are drawn on a canvas)
        wait_for_app_idle(page)
        screenshot(page, f"ledger-do-not-contact-{width}")
