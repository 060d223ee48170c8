"""A marketer's whole flow in a real browser: template 71, a file with bad rows, preview, send —
and a double click on Send that still produces exactly one dispatch."""

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from lib.messaging.client import MessagingClient
from tests.conftest import subprocess_env
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

    for width in (1024, 1440):
        page.set_viewport_size({"width": width, "height": 1000})
        wait_for_app_idle(page)
        screenshot(page, f"compose-preview-{width}")
    page.set_viewport_size({"width": 1400, "height": 1000})
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


@pytest.fixture(scope="module")
def live_console(tmp_path_factory):
    """The console started against a platform that is not its own sandbox (a sandbox on its own port, as a
    live platform would be), sign-in off, asking for the count above 2 recipients; its catalog set up first."""
    import signal
    import subprocess
    import sys

    from lib.sandbox.server import SandboxConfig, run_sandbox_in_thread
    from tests.support_browser import ROOT, _healthy, free_port

    work = tmp_path_factory.mktemp("live")
    config = SandboxConfig(port=0, user="demo", password="live-secret", data_dir=work / "platform", step_seconds=0.5)
    with run_sandbox_in_thread(config) as platform:
        env = subprocess_env("MESSAGING_API_", "CONSOLE_", "DATABASE_URL")
        env.update(DATABASE_URL=f"sqlite:///{work / 'console.db'}", MESSAGING_API_URL=platform.url,
                   MESSAGING_API_USER="demo", MESSAGING_API_PASSWORD="live-secret", CONSOLE_AUTH="off",
                   CONSOLE_OPERATOR="browser-test", CONSOLE_QUIET_HOURS="off", CONSOLE_CONFIRM_ABOVE="2")
        seed = ("from lib.history.store import open_store; from lib.runtime import console_catalog; "
                "from lib.settings import get_settings; from lib.templates import load_catalog; "
                "s = get_settings(); c = console_catalog(s, open_store(s.database_url)); "
                "[c.save(t) for t in load_catalog()]")
        subprocess.run([sys.executable, "-c", seed], cwd=ROOT, env=env, check=True)
        port = free_port()
        with open(work / "console.log", "wb") as log:
            process = subprocess.Popen([sys.executable, "-m", "lib", "run", "--port", str(port)], cwd=ROOT, env=env,
                                       stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until(lambda: process.poll() is not None or _healthy(url), 90, "the live console's health")
            assert process.poll() is None, (work / "console.log").read_text()[-3000:]
            yield url
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


def test_a_live_send_shows_what_goes_out_and_asks_for_the_count(live_console, browser_page):  # noqa: F811
    page = browser_page
    open_page(page, live_console, "Compose")
    choose(page, "compose_template", "71 · Promo code")
    page.locator("input[type='file']").set_input_files(str(FIXTURE))
    page.get_by_text("Fix the mobile number in 1 row").wait_for()
    wait_for_app_idle(page)
    page.get_by_role("button", name="Send now to 3 people").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Type the number of people (3) to confirm").wait_for()
    wait_for_app_idle(page)
    assert "Estimated cost: €0.15 for 3 SMS parts" in dialog.inner_text()
    confirm = dialog.get_by_role("button", name="Send now to 3 people")
    assert confirm.is_disabled()
    for width in (1024, 1440):
        page.set_viewport_size({"width": width, "height": 1000})
        wait_for_app_idle(page)
        page.screenshot(path=str(screenshot_path(f"compose-confirm-dialog-{width}")))
    dialog.get_by_role("textbox").fill("3")
    dialog.get_by_role("textbox").press("Enter")
    wait_for_app_idle(page)
    wait_until(lambda: confirm.is_enabled(), 10, "the confirm button to be enabled")
    confirm.click()
    page.get_by_text("Sent to 3 recipients").first.wait_for(timeout=30_000)
    assert page.get_by_role("dialog").count() == 0
    wait_for_app_idle(page)
    screenshot(page, "compose-live-result")


def screenshot_path(name: str):
    from tests.support_browser import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{name}.png"
