"""The Compose page's steps, run headless with AppTest against a fresh store and sandbox."""

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from streamlit.testing.v1 import AppTest

from lib.scheduling import format_when
from lib.settings import get_settings
from tests.support_app import app_env, page_path  # noqa: F401
from tests.support_browser import wait_until
from tests.support_worker import wait_for

FIXTURE = Path(__file__).parent / "fixtures" / "compose" / "promo-with-problems.csv"
ATHENS = ZoneInfo("Europe/Athens")


def compose(upload: tuple[str, bytes] | None = ("promo.csv", FIXTURE.read_bytes()), template_index: int = 0) -> AppTest:
    at = AppTest.from_file(page_path("compose.py"), default_timeout=60).run()
    at.selectbox(key="compose_template").select_index(template_index).run()
    if upload:
        at.get("file_uploader")[0].upload(upload[0], upload[1], "text/csv").run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def worker(app_env):  # noqa: F811
    """The sender, as `make run` starts it: a worker posting queued sends (here a thread of the test)."""
    import threading

    from lib.sending.worker import Worker

    runtime = app_env._runtime()
    sender = Worker(runtime, "apptest-worker", poll_seconds=0.05, refresh_every=None)
    stop = threading.Event()
    thread = threading.Thread(target=sender.run_forever, args=(stop,), daemon=True)
    thread.start()
    wait_for(lambda: runtime.store.live_workers(timedelta(seconds=10)), 10, "the worker's first heartbeat")
    yield sender
    stop.set()
    thread.join(30)


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def texts(at: AppTest) -> str:
    return "\n".join(e.value for e in [*at.markdown, *at.error, *at.warning, *at.info, *at.success, *at.caption])


def test_problems_are_counted_and_summarised_for_the_marketer(app_env):  # noqa: F811
    at = compose()
    assert (metric(at, "Rows in the file"), metric(at, "Will receive it"), metric(at, "Left out")) == ("8", "3", "5")
    shown = texts(at)
    assert "Fix the mobile number in 1 row" in shown
    assert "Remove 1 repeated customer id" in shown
    assert len(at.get("download_button")) >= 2  # rows to fix, as Excel and CSV


def test_preview_leaves_out_a_row_missing_a_tag_until_a_default_is_given(app_env):  # noqa: F811
    at = compose()
    assert (metric(at, "Will receive it"), metric(at, "Left out")) == ("3", "5")
    assert "Missing value for {{voucherCode}}" in texts(at)
    at.text_input(key="compose_default_voucherCode").input("WELCOME").run()
    assert (metric(at, "Will receive it"), metric(at, "Left out")) == ("4", "4")
    assert any(b.label == "Send now to 4 people" for b in at.button)


@pytest.mark.parametrize(
    ("days_ahead", "message"),
    [(-1, "in the past"), (45, "more than 30 days ahead")],
)
def test_schedules_outside_the_window_are_refused_with_the_reason(app_env, days_ahead, message):  # noqa: F811
    at = compose()
    at.radio(key="compose_when").set_value("at").run()
    at.date_input(key="compose_day").set_value(date.today() + timedelta(days=days_ahead)).run()
    assert any(message in e.value for e in at.error)
    assert not any(b.key == "compose_send" for b in at.button)


def test_a_file_that_is_not_a_spreadsheet_gets_one_sentence(app_env):  # noqa: F811
    at = compose(upload=("customers.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4))
    assert len(at.error) == 1 and "\n" not in at.error[0].value
    assert not at.get("metric")


def test_send_then_a_second_session_is_refused_until_the_earlier_send_is_named(app_env, worker):  # noqa: F811
    at = compose()
    at.button(key="compose_send").click().run()
    runtime = app_env._runtime()
    wait_until(lambda: runtime.store.list_sends(10) and runtime.store.list_sends(10)[0].state == "accepted",
               20, "the send to be accepted")
    send_id = runtime.store.list_sends(10)[0].id

    again = compose()  # the ledger first: the same people already received it
    assert "Nobody is left to send to: 3 left out: already received" in " ".join(e.value for e in again.error)
    assert "- 3 left out: already received" in texts(again)  # the summary above the problems table
    problems = again.dataframe[0].value
    received = problems[problems["Problem"].str.startswith("Already received this message on")]
    assert list(received["Row"]) == [2, 3, 9] and f"(send #{send_id})" in received["Problem"].iloc[0]
    left_out_tab = again.dataframe[-1].value
    assert set(received["Row"]) <= set(left_out_tab["Row"])  # the same rows in the Left out tab
    assert not any(b.key == "compose_send" for b in again.button)
    include = again.checkbox(key="compose_include_received")
    assert include.label == "Send again to the 3 people who already received it"
    include.check().run()
    refusal = " ".join(e.value for e in again.error)  # then the whole-manifest claim, the last line of defence
    assert "already sent" in refusal and f"send #{send_id}" in refusal
    assert not any(b.key == "compose_send" for b in again.button)
    again.text_input(key="compose_resend").input(str(send_id)).run()
    assert any(b.label == "Send now to 3 people" for b in again.button)
    assert "Sent again on purpose:** 3 people who already received it" in texts(again)
    assert len(runtime.store.list_sends(10)) == 1


def test_test_send_goes_to_the_marketers_own_number_and_is_recorded_as_a_test(app_env):  # noqa: F811
    at = compose()
    at.text_input(key="compose_own_address").input("12345").run()
    at.button(key="compose_send_test").click().run()
    assert any("Your mobile number" in e.value for e in at.error)

    at.text_input(key="compose_own_address").input("693 111 2233").run()
    at.button(key="compose_send_test").click().run()
    assert any(s.value.startswith("Test: Sent to 1 recipient") for s in at.success), [s.value for s in at.success]
    runtime = app_env._runtime()
    sends = runtime.store.list_sends(10, include_tests=True)
    assert [s.is_test for s in sends] == [True]
    messages = runtime.sandbox.wait_for_outbox(1, timeout=20)
    assert messages[0]["to"] in ("+306931112233", "306931112233", "6931112233")
    assert messages[0]["text"].startswith("Your voucher SPRING19")
    # The campaign itself is still unsent: a test never counts as the campaign.
    assert any(b.label == "Send now to 3 people" and not b.disabled for b in at.button)


def test_email_campaign_checks_addresses_and_shows_values_as_text(app_env):  # noqa: F811
    emails = Path(__file__).parent / "fixtures" / "compose" / "spring-emails.csv"
    at = compose(upload=("spring.csv", emails.read_bytes()), template_index=3)  # 81 · Spring sale (email)
    assert (metric(at, "Will receive it"), metric(at, "Left out")) == ("2", "1")
    assert "Fix the email address in 1 row" in texts(at)
    at.radio(key="compose_find_by").set_value("row").run()
    at.number_input(key="compose_row").set_value(3).run()  # row 3: a name holding a script tag
    subjects = [m.value for m in at.markdown if m.value.startswith("**Subject:**")]
    assert any("&lt;script&gt;alert(1)&lt;/script&gt;" in s for s in subjects)


def test_a_tag_with_no_column_is_named_and_can_be_mapped_by_hand(app_env):  # noqa: F811
    renamed = FIXTURE.read_bytes().replace(b";voucherCode;", b";code;")
    at = compose(upload=("promo.csv", renamed))
    assert [e.value for e in at.error][0].startswith("Choose which column fills {{voucherCode}}")
    assert metric(at, "Will receive it") == "0"
    picker = next(s for s in at.selectbox if s.label == "{{voucherCode}} in the message")
    picker.set_value("code").run()
    assert metric(at, "Will receive it") == "3"
    assert "Choose which column fills" not in texts(at)


def test_a_timeout_after_posting_tells_who_may_or_may_not_have_it_and_never_resends(app_env, worker):  # noqa: F811
    at = compose()
    runtime = app_env._runtime()
    runtime.client.read_timeout = 0.5
    runtime.sandbox.set_knobs(response_delay_seconds=2.0)
    at.button(key="compose_send").click().run()
    wait_until(lambda: runtime.store.list_sends(10) and runtime.store.list_sends(10)[0].state == "unknown",
               20, "the send to be recorded as unknown")
    wait_until(lambda: runtime.store.list_sends(10)[0].queue_state == "done", 20, "the worker to give the send back")
    at.run()
    errors = " ".join(e.value for e in at.error)
    assert "3 recipients may or may not have received the message" in errors
    assert "Nothing is sent to them again until someone decides" in errors
    assert not any(b.label == "Send the parts that did not go out" for b in at.button)  # nothing pending

    # A person checks with the platform, finds it did not go out, and says so: it is sent, and recorded.
    runtime.sandbox.set_knobs(response_delay_seconds=0.0)
    runtime.client.read_timeout = 10
    at.radio(key="compose-result-choice-1").set_value("marked_not_sent").run()
    assert not runtime.store.chunk_decisions(1), "choosing is not deciding: a confirmation is needed"
    at.button(key="compose-result-confirm-1").click().run()
    wait_until(lambda: runtime.store.list_sends(10)[0].state == "accepted", 20, "the part to be sent after the decision")
    wait_until(lambda: runtime.store.list_sends(10)[0].queue_state == "done", 20, "the send to leave the queue")
    at.run()
    assert any(s.value.startswith("Sent to 3 recipients") for s in at.success), [s.value for s in at.success]
    assert [(d["decision"], d["decided_by"]) for d in runtime.store.chunk_decisions(1)] == [("marked_not_sent", "apptest")]
    from lib import audit

    with runtime.store.read() as conn:
        events = audit.list_events(conn, actions=[audit.AuditAction.SEND_DECISION])
    assert [(e.actor, e.details["decision"], e.details["part"]) for e in events] == [("apptest", "marked_not_sent", 1)]


def test_without_a_sender_running_the_send_waits_and_says_so(app_env):  # noqa: F811
    at = compose()
    at.button(key="compose_send").click().run()
    runtime = app_env._runtime()
    assert any(w.value.startswith("The sender is not running: the send waits until it starts") for w in at.warning)
    send = runtime.store.list_sends(10)[0]
    assert (send.queue_state, send.state, send.created_by) == ("queued", "not sent", "apptest")  # nothing posted
    assert runtime.sandbox.outbox() == []


def quiet_window_around_now(monkeypatch, hours: int = 2) -> datetime:
    """Quiet hours from `hours` before now to `hours` after (on the 5-minute grid); returns their end."""
    now = datetime.now(ATHENS)
    start = (now - timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)
    end = (now + timedelta(hours=hours)).replace(second=0, microsecond=0)
    end += timedelta(minutes=-end.minute % 5)
    monkeypatch.setenv("CONSOLE_QUIET_HOURS", f"{start:%H:%M}-{end:%H:%M}")
    get_settings.cache_clear()
    return end


def test_now_inside_quiet_hours_is_refused_and_the_next_allowed_time_is_one_click(app_env, monkeypatch):  # noqa: F811
    end = quiet_window_around_now(monkeypatch)
    at = compose()  # 71 · Promo code: a marketing SMS
    refusal = " ".join(e.value for e in at.error)
    assert "inside quiet hours" in refusal and f"{end:%H:%M}" in refusal
    assert not any(b.key == "compose_send" for b in at.button)
    offer = at.button(key="compose_quiet_offer")
    assert offer.label.startswith(f"Schedule for {end:%H:%M} ")

    offer.click().run()
    assert not at.exception
    assert not any("quiet hours" in e.value for e in at.error)
    assert at.radio(key="compose_when").value == "at"
    assert (at.date_input(key="compose_day").value, at.time_input(key="compose_time").value) == (end.date(), end.time())
    assert any(c.value.startswith(f"Goes out {format_when(end, ATHENS)}") for c in at.caption)
    assert any(b.label == f"Schedule for {end.day} {end:%b %H:%M} to 3 people" for b in at.button)


def test_a_schedule_inside_quiet_hours_is_refused_with_the_reason(app_env, monkeypatch):  # noqa: F811
    quiet_window_around_now(monkeypatch)
    at = compose()
    at.button(key="compose_quiet_offer").click().run()
    inside = (datetime.now(ATHENS) + timedelta(hours=1)).replace(second=0, microsecond=0)
    at.date_input(key="compose_day").set_value(inside.date())
    at.time_input(key="compose_time").set_value(inside.time()).run()
    refusal = " ".join(e.value for e in at.error)
    assert "is inside quiet hours" in refusal and "marketing SMS are not sent" in refusal
    assert not any(b.key == "compose_send" for b in at.button)


def test_service_templates_are_not_held_by_quiet_hours(app_env, monkeypatch):  # noqa: F811
    quiet_window_around_now(monkeypatch)
    at = compose(template_index=1)  # 72 · member welcome: a service SMS
    at.text_input(key="compose_default_cardNumber").input("-").run()
    at.text_input(key="compose_default_points").input("0").run()
    assert not any("quiet hours" in e.value for e in at.error)
    assert any(b.key == "compose_send" for b in at.button)


# ---- confirmation before money goes out (issue 12) ------------------------------------------------------------


@pytest.fixture
def live_env(app_env, sandbox, monkeypatch):  # noqa: F811
    """The console pointed at a platform that is not its embedded sandbox (here: a sandbox on its own port),
    as a live console is; sign-in off, so nobody's approval is needed and the confirmation is what stands."""
    from tests.conftest import SANDBOX_PASSWORD, SANDBOX_USER

    monkeypatch.setenv("MESSAGING_API_URL", sandbox.url)
    monkeypatch.setenv("MESSAGING_API_USER", SANDBOX_USER)
    monkeypatch.setenv("MESSAGING_API_PASSWORD", SANDBOX_PASSWORD)
    monkeypatch.setenv("CONSOLE_AUTH", "off")
    monkeypatch.setenv("CONSOLE_CONFIRM_ABOVE", "2")
    get_settings.cache_clear()
    from lib.templates import load_catalog

    catalog = app_env._runtime().catalog  # a live console's catalog lives in its store: set it up as an admin would
    for template in load_catalog():
        catalog.save(template)
    yield app_env


def test_live_send_above_the_threshold_needs_the_count_typed_in_a_dialog(live_env):
    at = compose()
    runtime = live_env._runtime()
    assert not runtime.is_sandbox
    at.button(key="compose_send").click().run()
    assert runtime.store.list_sends(10) == []  # the first click only opens the confirmation
    dialog = "\n".join(m.value for m in at.markdown)
    for shown in ("**Template:** 71 · Promo code (SMS)", "**People who will receive it:** 3 people", "**When:** now",
                  f"**Platform:** {runtime.platform_url}", "**Estimated cost:** €0.15 for 3 SMS parts",
                  "**GSM-safe Greek:** off", "**Defaults for empty values:** none"):
        assert shown in dialog
    confirm = at.button(key="compose_send_confirmed")
    assert confirm.label == "Send now to 3 people" and confirm.disabled
    at.text_input(key="compose_typed_count").input("2").run()
    assert any(e.value.startswith("That is not 3") for e in at.error)
    assert at.button(key="compose_send_confirmed").disabled and runtime.store.list_sends(10) == []
    at.text_input(key="compose_typed_count").input("3").run()
    at.button(key="compose_send_confirmed").click().run()
    assert not at.exception, at.exception
    sends = runtime.store.list_sends(10)
    assert [(s.total_recipients, s.queue_state) for s in sends] == [(3, "queued")]
    assert not any(b.key == "compose_send_confirmed" for b in at.button)  # the dialog closed
    assert at.button(key="compose_send").disabled


def test_at_or_below_the_threshold_or_on_the_sandbox_one_click_queues_the_send(live_env, monkeypatch):
    import streamlit as st

    monkeypatch.setenv("CONSOLE_CONFIRM_ABOVE", "3")  # 3 people: not above it
    get_settings.cache_clear()
    st.cache_resource.clear()  # the console starts again with the new setting (same store, same platform)
    at = compose()
    at.button(key="compose_send").click().run()
    assert not any(b.key == "compose_send_confirmed" for b in at.button)
    assert [s.total_recipients for s in live_env._runtime().store.list_sends(10)] == [3]


def test_the_sandbox_never_asks_for_the_count(app_env, monkeypatch):  # noqa: F811
    monkeypatch.setenv("CONSOLE_CONFIRM_ABOVE", "0")
    get_settings.cache_clear()
    at = compose()
    at.button(key="compose_send").click().run()
    assert not any(b.key == "compose_send_confirmed" for b in at.button)
    assert len(app_env._runtime().store.list_sends(10)) == 1


# ---- one set of numbers, one clear error, plain words (issue 12) ------------------------------------------------


def confirmation(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown if m.value.startswith("- **Template:**"))


def test_every_count_on_the_page_is_the_campaigns(app_env):  # noqa: F811
    # Row 10 repeats row 2's number under another id: a warning, and the row is still sent.
    data = FIXTURE.read_bytes() + "C010;6936862208;Maria;SPRING30;20 €;28/09/2026\n".encode()
    at = compose(upload=("promo.csv", data))
    assert (metric(at, "Will receive it"), metric(at, "Left out"), metric(at, "Warnings")) == ("4", "5", "1")
    problems = at.dataframe[0].value
    assert list(problems.columns) == ["Row", "Column", "What happens", "Problem"]  # every column has a header
    left_out = problems[problems["What happens"] == "Left out"]
    assert left_out["Row"].nunique() == 5  # the row without a voucher code is there too, not only in the tab
    assert "Missing value for {{voucherCode}}" in set(left_out.loc[left_out["Row"] == 7, "Problem"])
    assert list(problems.loc[problems["What happens"] == "Sent (check it)", "Row"]) == [10]
    tab = at.dataframe[-1].value
    assert sorted(tab["Row"]) == sorted(left_out["Row"].unique())
    assert any(t.label == "Left out (5)" for t in at.tabs)
    summary = confirmation(at)
    assert "**People who will receive it:** 4 people" in summary and "**Left out:** 5 rows" in summary
    assert at.button(key="compose_send").label == "Send now to 4 people"
    assert "- 1 row has no value for {{voucherCode}}: left out unless you set a default in step 3" in texts(at)

    at.text_input(key="compose_default_voucherCode").input("WELCOME").run()  # a choice in step 3 moves them all
    assert (metric(at, "Will receive it"), metric(at, "Left out")) == ("5", "4")
    assert at.dataframe[0].value.query("`What happens` == 'Left out'")["Row"].nunique() == 4
    assert at.button(key="compose_send").label == "Send now to 5 people"
    assert "**Defaults for empty values:** {{voucherCode}} in the message: WELCOME where the file has none" \
        in confirmation(at)


def test_one_person_is_one_person_on_the_button_and_in_the_summary(app_env):  # noqa: F811
    one = "customer id;mobile;voucherCode;voucherAmount;expirationDate\nC001;6936862208;SPRING19;100 €;28/09/2026\n"
    at = compose(upload=("one.csv", one.encode()))
    assert at.button(key="compose_send").label == "Send now to 1 person"
    assert "**People who will receive it:** 1 person" in confirmation(at)
    at.radio(key="compose_when").set_value("at").run()
    at.date_input(key="compose_day").set_value(date(2026, 12, 30) if date.today() < date(2026, 12, 1) else
                                               date.today() + timedelta(days=2))
    at.time_input(key="compose_time").set_value(datetime(2000, 1, 1, 10, 0).time()).run()
    day = at.date_input(key="compose_day").value
    assert at.button(key="compose_send").label == f"Schedule for {day.day} {day:%b} 10:00 to 1 person"


def test_a_tag_without_a_column_is_one_error_at_the_top_with_the_columns_open(app_env):  # noqa: F811
    renamed = FIXTURE.read_bytes().replace(b";voucherCode;", b";code;")
    at = compose(upload=("promo.csv", renamed))
    assert at.error[0].value.startswith("Choose which column fills {{voucherCode}}")
    assert sum("Choose which column" in e.value for e in at.error) == 1
    assert "needs a column called" not in texts(at) and not at.warning  # not a warning on row 1
    problems = at.dataframe[0].value
    assert not (problems["Row"] == 1).any() and metric(at, "Warnings") == "0"
    columns = next(e for e in at.expander if e.label.startswith("Columns"))
    assert columns.proto.expanded


def test_sms_length_and_money_are_said_once_in_plain_words(app_env):  # noqa: F811
    greek = FIXTURE.read_bytes().replace(b"SPRING19", "ΚΑΛΟ19".encode()).replace(b"SPRING20", "ΚΑΛΟ20".encode())
    at = compose(upload=("promo.csv", greek))
    said = texts(at)
    shorter = [w.value for w in at.warning if "make each SMS part shorter" in w.value]
    assert shorter == ["Greek letters (Κ) make each SMS part shorter (70 characters instead of 160) "
                       "in 2 messages."]
    assert said.count("70 characters instead of 160") == 1 + sum(  # once, plus the rows picked to look at
        "Why look" in c.value and "70 characters instead of 160" in c.value for c in at.caption)
    for field_name in ("UCS", "Chunk", "chunk", "templateId", "uniqueId", "part(s)", "(SMS) (SMS)", "Dispatch"):
        assert field_name not in said, field_name
    assert metric(at, "Estimated cost") == "€0.25"  # 3 messages: 1 + 2 + 2 parts at €0.05
    assert "**Estimated cost:** €0.25 for 5 SMS parts" in confirmation(at)
    assert "**GSM-safe Greek:** off" in confirmation(at)

    at.toggle(key="compose_gsm_greek").set_value(True).run()  # offered: it saves parts here
    assert "GSM-safe Greek saves 2 SMS parts across the list." in [i.value for i in at.info]
    assert metric(at, "Estimated cost") == "€0.15" and "**GSM-safe Greek:** on" in confirmation(at)


def test_gsm_safe_greek_is_not_offered_on_a_greek_text_and_the_page_says_why(app_env):  # noqa: F811
    at = compose(template_index=1)  # 72 · a Greek welcome text
    at.text_input(key="compose_default_cardNumber").input("-").run()
    at.text_input(key="compose_default_points").input("0").run()
    assert not any(t.key == "compose_gsm_greek" for t in at.toggle)
    assert any(c.value.startswith("GSM-safe Greek (capitals without accents) cannot make this cheaper") for c in at.caption)
    assert [i.value for i in at.info if "70 characters instead of 160" in i.value]  # the one box about length
    assert not [w.value for w in at.warning if "70 characters instead of 160" in w.value]


def test_a_missing_column_is_not_also_counted_as_empty_values(app_env):  # noqa: F811
    at = compose(template_index=1)  # 72 needs cardNumber and points: the file has neither column
    assert at.error[0].value.startswith("Choose which columns fill {{cardNumber}} and {{points}}")
    assert not any("no value for {{cardNumber}}" in m.value for m in at.markdown)  # said once, above
