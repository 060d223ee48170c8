"""Maker–checker for real: the sandbox configured as a live platform, the app under `streamlit run` with
sign-in at the loopback OpenID Connect provider, a worker process. A sender submits a live send and it
waits (the worker posts nothing); an approver in a second browser context approves it; the worker
sends it (counted in the sandbox's own records); the audit export names both people."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lib.history.store import close_all_stores, open_store
from lib.team import add_member, bootstrap_admins, team_person
from lib.templates import load_catalog
from tests.conftest import SANDBOX_PASSWORD, SANDBOX_USER, subprocess_env
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProvider, TestUser
from tests.support_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    _healthy,
    choose,
    free_port,
    screenshot,
    sidebar_link,
    wait_for_app_idle,
    wait_until,
)
from tests.support_worker import sandbox_dispatch_count, sandbox_received

pytestmark = pytest.mark.browser
FIXTURE = Path(__file__).parent / "fixtures" / "compose" / "promo-with-problems.csv"
SAM = TestUser("sam@example.com", "Sam Sender")
ABE = TestUser("abe@example.com", "Abe Approver")


def _start(argv, env, log_path: Path) -> subprocess.Popen:
    with open(log_path, "wb") as log:
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def live_app(tmp_path, sandbox):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database_url = f"sqlite:///{tmp_path / 'console.db'}"
    store = open_store(database_url, shared=False)
    bootstrap_admins(store, ["ann@example.com"])
    ann = team_person(store, "ann@example.com")
    add_member(store, ann, SAM.email, SAM.name, "sender")
    add_member(store, ann, ABE.email, ABE.name, "approver")
    for template in load_catalog():  # the live platform's catalog is the local copy in the store
        store.upsert_template(template)
    store.engine.dispose()
    close_all_stores()
    with OidcProvider([SAM, ABE]) as provider:
        provider.allow_redirect(f"{url}/oauth2callback")
        secrets_file = tmp_path / "secrets.toml"
        secrets_file.write_text(
            f'[auth]\nredirect_uri = "{url}/oauth2callback"\ncookie_secret = "a-test-cookie-secret-that-is-long-enough"\n'
            f'client_id = "{CLIENT_ID}"\nclient_secret = "{CLIENT_SECRET}"\nserver_metadata_url = "{provider.metadata_url}"\n'
        )
        env = subprocess_env("MESSAGING_API_", "CONSOLE_")
        env.update(DATABASE_URL=database_url, MESSAGING_API_URL=sandbox.url, MESSAGING_API_USER=SANDBOX_USER,
                   MESSAGING_API_PASSWORD=SANDBOX_PASSWORD, CONSOLE_ADMINS="ann@example.com",
                   CONSOLE_QUIET_HOURS="off", CONSOLE_OPERATOR="worker")
        app = _start([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                      "--server.port", str(port), "--server.address", "127.0.0.1", "--secrets.files",
                      str(secrets_file)], env, tmp_path / "streamlit.log")
        worker = _start([sys.executable, "-m", "lib", "worker"], env, tmp_path / "worker.log")
        try:
            wait_until(lambda: app.poll() is not None or _healthy(url), 60, "the app's /_stcore/health")
            assert app.poll() is None, (tmp_path / "streamlit.log").read_text()[-3000:]
            yield url, database_url
        finally:
            _stop(worker)
            _stop(app)
            print((tmp_path / "worker.log").read_text()[-2000:])


@pytest.fixture
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def signed_in_page(browser, url: str, user: TestUser):
    """A page in its own browser context (its own cookies: another person's session)."""
    page = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True).new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    wait_for_app_idle(page)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("button", name=f"Sign in as {user.name}").click()
    page.wait_for_url(f"{url}/**")
    wait_for_app_idle(page)
    return page


def test_a_sender_submits_an_approver_approves_the_worker_sends(live_app, browser, sandbox):
    url, database_url = live_app
    sender = signed_in_page(browser, url, SAM)
    sidebar_link(sender, "Compose").click()
    wait_for_app_idle(sender)
    choose(sender, "compose_template", "71 · Promo code")
    sender.locator("input[type='file']").set_input_files(str(FIXTURE))
    sender.get_by_text("Fix the mobile number in 1 row").wait_for()
    wait_for_app_idle(sender)
    submit = sender.get_by_role("button", name="Submit for approval: send to 3 recipients")
    submit.click()
    sender.get_by_text("waits for approval by another approver").wait_for()
    wait_for_app_idle(sender)
    screenshot(sender, "approval-1-submitted")
    store = open_store(database_url, shared=False)
    [send] = store.list_sends()
    assert (send.queue_state, send.created_by) == ("awaiting", SAM.email)

    approver = signed_in_page(browser, url, ABE)
    sidebar_link(approver, "Approvals").click()
    wait_for_app_idle(approver)
    main = approver.get_by_test_id("stMain")
    main.get_by_text(f"Send #{send.id}: Promo code").wait_for()
    assert "Submitted by: sam@example.com" in main.inner_text()
    assert sandbox_dispatch_count(sandbox) == 0  # the worker is running and posted nothing
    screenshot(approver, "approval-2-waiting")
    approver.get_by_text(f"I checked send #{send.id} and it may go out").click()
    wait_for_app_idle(approver)
    approver.get_by_role("button", name="Approve", exact=True).click()
    approver.get_by_text(f"Send #{send.id} is approved").wait_for()

    wait_until(lambda: sum(sandbox_received(sandbox).values()) == 3, 60, "the worker to send the approved send")
    assert sandbox_received(sandbox) == {"C001": 1, "C002": 1, "C008": 1}

    sidebar_link(approver, "Audit").click()
    wait_for_app_idle(approver)
    with approver.expect_download() as download:
        approver.get_by_role("button", name="Download CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    done = {(r["Person"], r["Action"]) for r in rows}
    assert ("Sam Sender <sam@example.com>", "Send submitted") in done
    assert ("Abe Approver <abe@example.com>", "Send approved") in done
    screenshot(approver, "approval-3-audit")
    store.engine.dispose()
