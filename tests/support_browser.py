"""Browser-test support: the real app under `streamlit run`, driven by Playwright in Debian's Chromium.

Import the fixtures into a test module: `from tests.support_browser import console_app, browser_page  # noqa: F401`.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.conftest import subprocess_env

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling out of this closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout:.0f}s waiting for {what}")


@dataclass
class ConsoleApp:
    url: str
    sandbox_url: str
    database_url: str
    sandbox_dir: Path
    log_path: Path
    env: dict  # the console's environment: a command line run with it talks to the same store and sandbox


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/_stcore/health", timeout=1).ok
    except requests.RequestException:
        return False


@pytest.fixture(scope="module")
def console_app(tmp_path_factory) -> Iterator[ConsoleApp]:
    work = tmp_path_factory.mktemp("console")
    port, sandbox_port = free_port(), free_port()
    env = subprocess_env("MESSAGING_API_", "CONSOLE_", "DATABASE_URL")
    env.update(
        DATABASE_URL=f"sqlite:///{work / 'console.db'}",
        CONSOLE_SANDBOX_PORT=str(sandbox_port),
        CONSOLE_SANDBOX_DIR=str(work / "sandbox"),
        CONSOLE_SANDBOX_STEP_SECONDS="1",
        CONSOLE_OPERATOR="browser-test",
        CONSOLE_QUIET_HOURS="off",  # a browser test must not depend on the hour it runs at
    )
    log_path = work / "console.log"
    with open(log_path, "wb") as log:
        # The whole console as `make run` starts it: the sandbox, the worker (which posts every send and
        # refreshes statuses) and the app, each its own process.
        process = subprocess.Popen(
            [sys.executable, "-m", "lib", "run", "--port", str(port)], cwd=ROOT, env=env, stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: process.poll() is not None or _healthy(url), 90, "the app's /_stcore/health")
        if process.poll() is not None:
            raise AssertionError(f"the console exited early:\n{log_path.read_text()[-3000:]}")
        from lib.sandbox.embedded import running_sandbox_url

        sandbox_url = running_sandbox_url(work / "sandbox") or f"http://127.0.0.1:{sandbox_port}"
        yield ConsoleApp(url, sandbox_url, env["DATABASE_URL"], work / "sandbox", log_path, env)
    finally:
        process.send_signal(signal.SIGINT)  # the launcher stops the app, the worker and the sandbox
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def browser_page():
    """A fresh headless Chromium page (one browser per test keeps the import list to one name)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        page.set_default_timeout(30_000)
        yield page
        browser.close()


def wait_for_app_idle(page, timeout_ms: int = 30_000) -> None:
    """Wait until Streamlit is connected and no script run is in progress."""
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-connection-state="CONNECTED"][data-test-script-state="notRunning"]',
        timeout=timeout_ms,
    )


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    # Streamlit scrolls inside its main container, so a full-page shot needs a viewport that tall.
    size = page.viewport_size
    height = page.evaluate("document.querySelector('[data-testid=stMain]')?.scrollHeight || 0")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(height + 50, 12000))})
    # Streamlit draws off-screen widgets lazily: wait until no placeholder skeleton is left.
    page.wait_for_function("document.querySelectorAll('[data-testid=stSkeleton]').length === 0", timeout=10_000)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    return path


def choose(page, key: str, option_text: str) -> None:
    """Pick an option of the selectbox whose widget key is `key`."""
    page.locator(f".st-key-{key} input").click()
    page.get_by_role("option").filter(has_text=option_text).first.click()
    wait_for_app_idle(page)


def open_page(page, app_url: str, title: str) -> None:
    """Open the app at its root, then a page through the navigation, as a person would."""
    page.goto(app_url)
    wait_for_app_idle(page)
    sidebar_link(page, title).click()
    wait_for_app_idle(page)


def sidebar_link(page, title: str):
    """The app's own link to a page in the sidebar (app.py draws them; Streamlit's list is hidden)."""
    return page.get_by_test_id("stSidebar").get_by_test_id("stPageLink-NavLink").filter(
        has=page.get_by_text(title, exact=True)
    )


def sidebar_titles(page) -> list[str]:
    links = page.get_by_test_id("stSidebar").get_by_test_id("stPageLink-NavLink")
    return [links.nth(i).get_by_test_id("stMarkdownContainer").inner_text().strip() for i in range(links.count())]
