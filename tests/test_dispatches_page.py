"""The Dispatches page under Streamlit's AppTest: KPIs, filters, search, detail, tracking, platform down."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import ui
from lib.history.refresh import pending_dispatches, refresh_pending
from lib.history.store import open_store
from lib.messaging import Recipient
from lib.runtime import ConsoleRuntime
from lib.settings import load_settings
from tests.conftest import SANDBOX_PASSWORD, SANDBOX_USER
from tests.support_dispatches import EMAIL_TEMPLATE, SMS_TEMPLATE, mobiles, poll, record_send

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "dispatches.py")


@pytest.fixture
def runtime(tmp_path, sandbox, client, monkeypatch):
    database_url = f"sqlite:///{tmp_path / 'history.db'}"
    settings = load_settings(
        env={
            "MESSAGING_API_URL": sandbox.url,
            "MESSAGING_API_USER": SANDBOX_USER,
            "MESSAGING_API_PASSWORD": SANDBOX_PASSWORD,
            "DATABASE_URL": database_url,
            "CONSOLE_AUTH": "off",  # a live platform without sign-in: one local person (issue 11)
        },
        secrets_path=tmp_path / "no-secrets.toml",
    )
    rt = ConsoleRuntime(settings, sandbox.url, open_store(database_url), client)
    monkeypatch.setattr(ui, "get_runtime", lambda: rt)
    return rt


def _app() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.run()
    assert not at.exception, at.exception
    return at


def _open_tab(at: AppTest, label: str) -> AppTest:
    """Click a tab: only the open one is drawn (the tabs keep their state under the key "dispatches-view")."""
    at.session_state["dispatches-view"] = label
    at.run()
    assert not at.exception, at.exception
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _sends(at: AppTest) -> list[int]:
    return [int(v) for v in at.dataframe[0].value["Send"]]


@pytest.fixture
def two_sends(runtime, client):
    sms = record_send(runtime.store, client, destinations=[*mobiles(2), "1936862208"], created_by="maria")
    email = record_send(runtime.store, client, template_id=EMAIL_TEMPLATE, destinations=["a@example.com"])
    refresh_pending(runtime.store, client, only_due=False)
    return {"sms": sms, "email": email}


def test_kpis_and_table_show_the_history(two_sends):
    at = _app()
    metrics = _metrics(at)
    assert metrics["Sends"] == "2" and metrics["Dispatches"] == "2"
    assert metrics["Recipients submitted"] == "4" and metrics["Rejected by the platform"] == "1"
    assert _sends(at) == [two_sends["email"], two_sends["sms"]]


@pytest.mark.parametrize(
    ("widget", "choice", "expected"),
    [
        ("filter-channels", ["email"], ["email"]),
        ("filter-templates", [SMS_TEMPLATE], ["sms"]),
        ("filter-statuses", ["error"], []),
    ],
)
def test_filters_narrow_the_table_and_kpis(two_sends, widget, choice, expected):
    at = _app()
    at.multiselect(key=widget).set_value(choice).run()
    assert not at.exception
    assert _metrics(at)["Sends"] == str(len(expected))
    if expected:
        assert _sends(at) == [two_sends[name] for name in expected]
    else:
        assert any("No sends match these filters" in m.value for m in at.markdown)


def test_search_by_dispatch_id_opens_its_detail(runtime, two_sends):
    [dispatch_id] = [c.dispatch_id for c in runtime.store.get_send(two_sends["sms"]).chunks]
    at = _app()
    at.text_input(key="dispatches_search").set_value(str(dispatch_id)).run()
    assert not at.exception
    assert _sends(at) == [two_sends["sms"]]
    assert any("across all dates" in i.value for i in at.info)
    assert at.session_state["dispatches_detail"] == dispatch_id
    assert any(e.label == "Every field the platform returned" for e in at.expander)
    assert any("Part 1 of send" in c.value for c in at.caption)


def test_search_with_no_match_says_so(two_sends):
    at = _app()
    at.text_input(key="dispatches_search").set_value("nobody").run()
    assert any("Nothing matches" in w.value for w in at.warning)


def test_track_unknown_dispatch_says_it_is_not_on_the_platform(runtime):
    at = _open_tab(_app(), "Track a dispatch")
    at.text_input(key="track-id").set_value("180249")
    at.button(key="track-submit").click().run()
    assert [e.value for e in at.error] == ["No dispatch 180249 on the platform"]


def test_track_a_dispatch_made_elsewhere(runtime, client):
    result = client.send_messages(SMS_TEMPLATE, [Recipient(unique_id="X", mobile_phone="6936862208")])
    at = _open_tab(_app(), "Track a dispatch")
    at.text_input(key="track-id").set_value(f" {result.dispatch} ")
    at.button(key="track-submit").click().run()
    assert not at.error
    assert any(f"Dispatch {result.dispatch} is now tracked" in s.value for s in at.success)
    assert _metrics(at)["Dispatches"] == "1"


def test_platform_down_shows_history_and_one_banner(runtime, client, sandbox, two_sends):
    with runtime.store.write() as conn:  # make the dispatches due again
        from lib.history import schema as s

        conn.execute(s.dispatches.update().values(is_final=False, last_refreshed_at=None))
    sandbox.stop()
    refresh_pending(runtime.store, client, only_due=False)  # the worker's round: the platform is down
    at = _app()
    banners = [w.value for w in at.warning if "Not refreshing now" in w.value]
    assert len(banners) == 1 and "Could not reach the platform" in banners[0]
    assert _metrics(at)["Sends"] == "2"


def test_live_status_lists_sends_rolled_up_and_never_calls_the_platform(runtime, client, sandbox, two_sends):
    from lib.history import refresh as r
    from lib.history import schema as s

    with runtime.store.write() as conn:  # the platform is still working on the SMS send's dispatches
        conn.execute(s.dispatches.update().values(last_changed_at=datetime.now(UTC) - timedelta(hours=1)))
        conn.execute(s.dispatches.update().where(s.dispatches.c.send_id == two_sends["sms"])
                     .values(is_final=False, send_status_id=2))
    sandbox.stop()  # a page that asked the platform would now record it as down
    at = _app()
    live = [h.value for h in at.get("html") if f'data-testid="live-send-{two_sends["sms"]}"' in h.value]
    assert len(live) == 1, "one row for the send, not one per dispatch"
    assert "1 dispatch: pending" in live[0] and 'data-status="pending"' in live[0]
    assert any("The sender is not running" in w.value for w in at.warning)
    assert not r.refresh_health(runtime.store).failing, "the page itself asked the platform"

    at.button(key="refresh-now").click().run()
    assert r.refresh_requested(runtime.store)  # the worker picks the request up; the page called nobody
    assert not r.refresh_health(runtime.store).failing


def test_empty_history_explains_itself(runtime):
    at = _app()
    assert _metrics(at)["Sends"] == "0"
    assert any("Nothing is in progress" in m.value for m in at.markdown)


def test_test_sends_are_marked_and_kept_out_of_totals_unless_asked(runtime, client, two_sends):
    test_send = record_send(runtime.store, client, destinations=mobiles(1), is_test=True)
    at = _app()
    assert _metrics(at)["Sends"] == "2" and _metrics(at)["Recipients submitted"] == "4"
    assert test_send not in _sends(at)
    at.checkbox(key="filter-include-tests").check().run()
    assert _metrics(at)["Sends"] == "3" and _metrics(at)["Recipients submitted"] == "5"
    marked = at.dataframe[0].value.set_index("Send")["Template"]
    assert marked[test_send].endswith(" · test send") and not marked[two_sends["sms"]].endswith("test send")


def test_tables_show_a_dash_for_empty_cells_and_separate_thousands(runtime, client, two_sends):
    broken = record_send(runtime.store, client, destinations=mobiles(2), batch_size=1, post=False)
    at = _app()
    assert at.title[0].value == "Dispatches"
    table = at.dataframe[0]
    config = json.loads(table.proto.columns)
    assert config["Recipients"]["type_config"]["format"] == "localized"  # 1,234 not 1234
    assert config["Created"]["width"] >= 100  # the whole date and time, not cut off
    at.session_state["dispatches_open_send"] = broken
    at.run()
    parts = at.dataframe[1].value  # a send that never went out: no dispatch, no time
    assert list(parts["Dispatch"]) == ["—", "—"] and list(parts["Finished queuing"]) == ["—", "—"]
    assert "None" not in parts.astype(str).to_numpy().ravel().tolist()


def _all_queued(store, client) -> None:
    poll(lambda: refresh_pending(store, client, only_due=False) and not pending_dispatches(store), 10, "all Queued")


def test_one_row_per_send_with_its_status_rolled_up_over_its_dispatches(runtime, client, two_sends):
    big = record_send(runtime.store, client, destinations=mobiles(5), batch_size=2)
    _all_queued(runtime.store, client)
    at = _app()
    table = at.dataframe[0].value.set_index("Send")
    assert list(table.index) == [big, two_sends["email"], two_sends["sms"]]  # sends, not their dispatches
    assert table.loc[big, "Progress"] == "3 dispatches: queued"
    assert table.loc[two_sends["sms"], "Progress"] == "1 dispatch: queued"
    # what fits at 1024 px; channel, who sent it and the rejected counts are in the send's detail
    assert list(table.reset_index().columns) == ["Send", "Created", "Template", "Recipients", "Progress"]


def test_opening_a_send_shows_its_summary_and_its_dispatches(runtime, client, two_sends):
    big = record_send(runtime.store, client, destinations=[*mobiles(4), "1936862208"], batch_size=2,
                      created_by="maria")
    _all_queued(runtime.store, client)
    dispatch_ids = [c.dispatch_id for c in runtime.store.get_send(big).chunks]
    at = _app()
    assert not any(s.value.startswith("Send #") for s in at.subheader)
    at.session_state["dispatches_open_send"] = big  # as the live panel's Details button or a selected row does
    at.run()
    assert not at.exception
    assert any(s.value == f"Send #{big}" for s in at.subheader)
    assert any("send-rollup" in h.value and "3 dispatches: queued" in h.value for h in at.get("html"))
    assert _metrics(at)["Recipients"] == "5" and _metrics(at)["Rejected by the platform"] == "1"
    assert any("made" in c.value and "by maria" in c.value for c in at.caption)
    parts = at.dataframe[1].value
    assert [int(d) for d in parts["Dispatch"]] == dispatch_ids and list(parts["Part"]) == [1, 2, 3]
    assert any("Its dispatches (3 parts)" in m.value for m in at.markdown)
    assert not at.get("html") or not any("detail-heading" in h.value for h in at.get("html"))  # choose one first


def test_a_send_of_one_dispatch_opens_with_that_dispatchs_detail(runtime, two_sends):
    [dispatch_id] = [c.dispatch_id for c in runtime.store.get_send(two_sends["sms"]).chunks]
    at = _app()
    at.session_state["dispatches_open_send"] = two_sends["sms"]
    at.run()
    assert any(f"Dispatch {dispatch_id}" in h.value and "detail-heading" in h.value for h in at.get("html"))


def test_ten_thousand_sends_are_paged_newest_first(runtime, client):
    sends = [record_send(runtime.store, client, destinations=mobiles(1), post=False) for _ in range(55)]
    at = _app()
    assert _sends(at) == sends[::-1][:50]
    assert any("Sends 1–50 of 55" in c.value for c in at.caption)
    at.number_input(key="sends-page").set_value(2).run()
    assert _sends(at) == sends[::-1][50:]


def test_a_queued_send_without_dispatches_waits_for_the_sender_and_the_page_still_draws(runtime, client):
    send_id = record_send(runtime.store, client, destinations=mobiles(3), post=False)
    runtime.store.requeue_send(send_id)
    at = _app()
    [live] = [h.value for h in at.get("html") if f'data-testid="live-send-{send_id}"' in h.value]
    assert 'data-status="waiting"' in live and "no dispatch yet" in live
    assert _metrics(at)["Sends"] == "1"


def test_the_page_in_greek(two_sends, monkeypatch):
    monkeypatch.setenv("CONSOLE_LANGUAGE", "el")
    at = _app()
    assert at.title[0].value == "Ιστορικό αποστολών"
    metrics = _metrics(at)
    assert metrics["Αποστολές"] == "2" and metrics["Παραλήπτες που υποβλήθηκαν"] == "4"
    assert metrics["Απορρίφθηκαν από την πλατφόρμα"] == "1"
    table = at.dataframe[0].value
    assert list(table.columns) == ["Αποστολή", "Δημιουργήθηκε", "Πρότυπο", "Παραλήπτες", "Πρόοδος"]
    assert all(progress.startswith("1 παρτίδα: ") for progress in table["Πρόοδος"])  # its status may still move
    assert [t.label for t in at.tabs] == ["Αποστολές", "Γραφήματα", "Παρακολούθηση παρτίδας", "Λήψη"]
    assert not any("Sends" in str(m.label) for m in at.metric)


def test_only_the_open_tab_is_drawn_so_a_visit_sends_no_charts(runtime, two_sends):
    at = _app()
    assert _sends(at) == [two_sends["email"], two_sends["sms"]]
    assert not at.get("plotly_chart"), "the Charts tab's figures went to a browser that did not open it"
    assert not at.get("download_button") and not any(t.key == "track-id" for t in at.text_input)

    _open_tab(at, "Charts")
    assert len(at.get("plotly_chart")) == 5  # recipients, per send, dispatches, invalid share, upcoming
    assert not at.dataframe, "the Sends table is drawn only in its own tab"
    _open_tab(at, "Download")
    assert [b.proto.label for b in at.get("download_button")] == ["Download CSV (2 rows)", "Download Excel (2 rows)"]
    _open_tab(at, "Sends")
    assert _sends(at) == [two_sends["email"], two_sends["sms"]] and not at.get("plotly_chart")


def test_details_in_the_live_panel_open_the_send_in_the_sends_tab_from_any_tab(runtime, two_sends):
    from lib.history import schema as s

    with runtime.store.write() as conn:  # still moving: the send is listed in the live panel
        conn.execute(s.dispatches.update().where(s.dispatches.c.send_id == two_sends["sms"])
                     .values(is_final=False, send_status_id=2))
    at = _open_tab(_app(), "Charts")
    at.button(key=f"live-detail-{two_sends['sms']}").click().run()
    assert not at.exception, at.exception
    assert at.session_state["dispatches-view"] == "Sends"
    assert any(h.value == f"Send #{two_sends['sms']}" for h in at.subheader)
