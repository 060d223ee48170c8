"""The Team and Audit pages, sign-in states and refusals, through AppTest (st.user seeded as Streamlit's
own AppTest allows; the real sign-in flow is tests/test_browser_sign_in.py)."""

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from lib import audit
from lib.settings import get_settings
from lib.team import bootstrap_admins, team_person
from tests.support_app import app_env, page_path  # noqa: F401

AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "a-long-cookie-secret-1234",
        "client_id": "console", "client_secret": "s3cret", "server_metadata_url": "http://127.0.0.1:9/.well-known"}
ANN = {"is_logged_in": True, "email": "Ann@Example.com", "name": "Ann Admin", "iat": 1_800_000_000}
SAM = {"is_logged_in": True, "email": "sam@example.com", "name": "Sam Sender", "iat": 1_800_000_000}


def app(page: str | None = None, user: dict | None = None, signed_in: bool = False) -> AppTest:
    path = page_path(page) if page else str(Path(page_path("home.py")).parents[1] / "app.py")
    at = AppTest.from_file(path, default_timeout=30)
    if signed_in:
        at.secrets["auth"] = AUTH
    if user is not None:
        at.user = user
    return at.run()


def text(at: AppTest) -> str:
    return "\n".join(str(e.value) for e in [*at.markdown, *at.caption, *at.info, *at.error, *at.title] if e.value)


@pytest.fixture
def team_env(app_env, monkeypatch):  # noqa: F811
    monkeypatch.setenv("CONSOLE_ADMINS", "ann@example.com")
    get_settings.cache_clear()
    return app_env


def store(ui):
    return ui.get_runtime().store


def test_without_sign_in_home_says_so_and_the_local_person_manages_the_team(app_env):  # noqa: F811
    at = app()
    assert not at.exception
    assert "No sign-in: anyone who can open this console works as **apptest**, with every role" in text(at)
    assert "Working as **apptest** — no sign-in, every role." in text(at)

    at = app("team.py")
    assert "The team below applies as soon as a sign-in provider is configured" in text(at)
    at.text_input(key="team_add_email").input("Sam@Example.com")
    at.text_input(key="team_add_name").input("Sam Sender")
    at.radio(key="team_add_role").set_value("sender")
    at.button(key="team_add_submit").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Sam Sender can now sign in as sender."]
    table = at.dataframe[0].value
    assert list(table[["Email", "Role"]].itertuples(index=False, name=None)) == [("sam@example.com", "Sender")]
    assert table["Added"][0].endswith(" by apptest")  # "2 Dec 2026 by apptest"


def test_signed_in_admin_sees_name_role_and_sign_out_and_is_audited_once(team_env):
    at = app(user=ANN, signed_in=True)
    assert not at.exception
    sidebar = "\n".join(m.value for m in at.sidebar.markdown)
    assert "**Ann Admin**" in sidebar and "Admin · ann@example.com" in sidebar
    assert at.sidebar.button(key="sign_out").label == "Sign out"
    assert "Signed in as Ann Admin (admin)." in text(at)
    at.run()  # a rerun in the same session is not a second sign-in
    with store(team_env).read() as conn:
        assert [(e.actor, e.action) for e in audit.list_events(conn, actions=["sign_in"])] == [
            ("ann@example.com", "sign_in")]


def test_someone_signed_in_but_not_in_the_team_sees_one_sentence(team_env):
    at = app(user={"is_logged_in": True, "email": "eve@example.com", "name": "Eve"}, signed_in=True)
    assert not at.exception
    assert [e.value for e in at.error] == [
        "You are signed in as eve@example.com, who is not in this console's team: ask an admin to add you."]
    visible = [m.value for m in at.markdown if not m.value.startswith("<style>")]
    assert not at.title and not visible and not at.dataframe and not at.main.button
    assert [b.label for b in at.sidebar.button] == ["Sign out"]


def test_someone_not_signed_in_is_asked_to_sign_in_and_sees_nothing_else(team_env):
    at = app("dispatches.py", user={"is_logged_in": False}, signed_in=True)
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.dataframe


@pytest.mark.parametrize("page, says", [
    ("team.py", "Sam Sender (sender) may not manage the team: ask an admin of the team."),
    ("audit.py", "Sam Sender (sender) may not read the audit trail: ask an admin of the team."),
    ("templates.py", "Sam Sender (sender) may not change the templates: ask an admin of the team."),
])
def test_a_sender_opening_an_admin_page_by_its_address_is_refused(team_env, page, says):
    rt_store = store(team_env)
    bootstrap_admins(rt_store, ["ann@example.com"])
    from lib.team import add_member

    add_member(rt_store, team_person(rt_store, "ann@example.com"), "sam@example.com", "Sam Sender", "sender")
    at = app(page, user=SAM, signed_in=True)
    assert not at.exception
    assert [e.value for e in at.error] == [says]
    assert not at.dataframe and not at.text_input


def test_a_live_platform_without_sign_in_refuses_to_start(team_env, sandbox, monkeypatch):
    for name, value in {"MESSAGING_API_URL": sandbox.url, "MESSAGING_API_USER": "demo",
                        "MESSAGING_API_PASSWORD": "sandbox-secret-42"}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    at = app()
    assert [e.value for e in at.error][0].startswith("The console cannot start: a live platform needs sign-in.")
    assert "CONSOLE_AUTH=off" in at.error[0].value and not at.title

    monkeypatch.setenv("CONSOLE_AUTH", "off")
    get_settings.cache_clear()
    st.cache_resource.clear()  # the runtime holds the settings it started with
    for page in (None, "team.py", "audit.py"):
        at = app(page)
        assert not at.exception
        assert "Anyone who can open this page can send." in "\n".join(m.value for m in at.markdown), page


def test_audit_page_shows_both_names_filters_and_exports(team_env):
    rt_store = store(team_env)
    bootstrap_admins(rt_store, ["ann@example.com"])
    from lib.team import add_member, change_role

    ann = team_person(rt_store, "ann@example.com")
    add_member(rt_store, ann, "sam@example.com", "Sam Sender", "sender")
    change_role(rt_store, ann, "sam@example.com", "approver")
    at = app("audit.py", user=ANN, signed_in=True)
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["Action"]) == ["Signed in", "Team role changed", "Added to the team", "Added to the team"]
    assert set(table["Person"]) == {"Ann Admin <ann@example.com>", "the CONSOLE_ADMINS setting"}  # added the first
    assert "before: (role: Sender)" in table["Details"][1]  # the role's own words, not its code

    at.multiselect(key="audit_actions").select("team_change").run()
    assert list(at.dataframe[0].value["Object"]) == ["person sam@example.com"]
    assert {b.label for b in at.get("download_button")} == {"Download CSV", "Download Excel"}


def test_a_template_saved_on_the_templates_page_is_audited_under_the_person(app_env):  # noqa: F811
    at = app("templates.py")
    at.text_input[0].input("501")
    at.text_input[1].input("Black Friday")
    at.text_area[0].input("Hi {{Firstname}}, 30% off today only.")
    at.button(key="template_save").click().run()
    assert not at.exception
    with store(app_env).read() as conn:
        [event] = audit.list_events(conn)
    assert (event.actor, event.action, event.object_id, event.details["before"]) == (
        "apptest", "template_create", "501", None)
    assert event.details["after"]["name"] == "Black Friday"
