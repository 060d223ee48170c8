"""Sign-in for real: the app under `streamlit run` with `[auth]` pointing at a loopback OpenID Connect
provider (tests/oidc_provider.py), driven in Chromium. A sender signs in, sees their name and role and
only their pages, signs out; someone not in the team sees one sentence."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lib.history.store import close_all_stores, open_store
from lib.team import add_member, bootstrap_admins, team_person
from tests.conftest import subprocess_env
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProvider, TestUser
from tests.support_browser import (  # noqa: F401
    ROOT,
    _healthy,
    browser_page,
    free_port,
    screenshot,
    sidebar_link,
    sidebar_titles,
    wait_for_app_idle,
    wait_until,
)

pytestmark = pytest.mark.browser

SAM = TestUser("sam@example.com", "Sam Sender")
EVE = TestUser("eve@example.com", "Eve Outsider")
ANN = TestUser("ann@example.com", "Ann Admin")


@pytest.fixture(scope="module")
def signed_app(tmp_path_factory):
    work = tmp_path_factory.mktemp("signin")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database_url = f"sqlite:///{work / 'console.db'}"
    store = open_store(database_url, shared=False)
    bootstrap_admins(store, ["ann@example.com"])
    add_member(store, team_person(store, "ann@example.com"), SAM.email, SAM.name, "sender")
    store.engine.dispose()
    close_all_stores()

    with OidcProvider([SAM, EVE, ANN]) as provider:
        provider.allow_redirect(f"{url}/oauth2callback")
        secrets_file = work / "secrets.toml"
        secrets_file.write_text(
            "[auth]\n"
            f'redirect_uri = "{url}/oauth2callback"\n'
            'cookie_secret = "a-test-cookie-secret-that-is-long-enough"\n'
            f'client_id = "{CLIENT_ID}"\n'
            f'client_secret = "{CLIENT_SECRET}"\n'
            f'server_metadata_url = "{provider.metadata_url}"\n'
        )
        env = subprocess_env("MESSAGING_API_", "CONSOLE_")
        env.update(DATABASE_URL=database_url, CONSOLE_SANDBOX_PORT=str(free_port()),
                   CONSOLE_SANDBOX_DIR=str(work / "sandbox"), CONSOLE_ADMINS="ann@example.com")
        log_path = work / "streamlit.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                 "--server.port", str(port), "--server.address", "127.0.0.1", "--secrets.files", str(secrets_file)],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )
        try:
            wait_until(lambda: process.poll() is not None or _healthy(url), 60, "the app's /_stcore/health")
            if process.poll() is not None:
                raise AssertionError(f"streamlit exited early:\n{log_path.read_text()[-3000:]}")
            yield url, provider, database_url, log_path
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def sign_in(page, url: str, user: TestUser) -> None:
    page.goto(url)
    wait_for_app_idle(page)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("button", name=f"Sign in as {user.name}").click()  # the provider's page
    page.wait_for_url(f"{url}/**")
    wait_for_app_idle(page)


def test_a_sender_signs_in_sees_name_role_and_own_pages_then_signs_out(signed_app, browser_page):  # noqa: F811
    url, provider, database_url, log_path = signed_app
    page = browser_page
    sign_in(page, url, SAM)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Sam Sender").wait_for()
    assert "Sender · sam@example.com" in sidebar.inner_text()
    nav = sidebar_titles(page)  # the app's own links (app.py draws them)
    assert "Compose" in nav and "Dispatches" in nav
    assert "Team" not in nav and "Audit" not in nav and "Templates" not in nav
    assert provider.sign_ins[-1] == SAM.email
    screenshot(page, "signed-in-sender")

    sidebar.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in", exact=True).wait_for()
    assert "Sam Sender" not in page.get_by_test_id("stApp").inner_text()

    with open_store(database_url, shared=False).read() as conn:
        from lib import audit

        assert [e.actor for e in audit.list_events(conn, actions=["sign_in"])] == [SAM.email]


def test_someone_not_in_the_team_sees_one_sentence(signed_app, browser_page):  # noqa: F811
    url, *_ = signed_app
    page = browser_page
    sign_in(page, url, EVE)
    alert = page.get_by_test_id("stAlert")
    alert.wait_for()
    assert alert.inner_text().strip() == (
        "You are signed in as eve@example.com, who is not in this console's team: ask an admin to add you.")
    assert sidebar_titles(page) == []
    assert page.get_by_test_id("stHeading").count() == 0
    screenshot(page, "signed-in-not-in-team")


def test_the_admin_from_console_admins_sees_the_team_page(signed_app, browser_page):  # noqa: F811
    url, *_ = signed_app
    page = browser_page
    sign_in(page, url, ANN)
    sidebar_link(page, "Team").click()
    wait_for_app_idle(page)
    main = page.get_by_test_id("stMain")
    main.get_by_text("2 people in the team").wait_for()
    assert "Admin · ann@example.com" in page.get_by_test_id("stSidebar").inner_text()
