"""Chart builders on small frames: the totals a manager reads are right, and empty data says why."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from lib import charts
from lib.history.vocabulary import DispatchStatus as S
from lib.history.vocabulary import Outcome as O

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
ATHENS = ZoneInfo("Europe/Athens")


def _titles(fig) -> tuple[str, str, str]:
    return fig.layout.title.text, fig.layout.xaxis.title.text, fig.layout.yaxis.title.text


def test_recipients_per_day_stacks_outcomes_with_right_totals():
    frame = pd.DataFrame(
        {
            "day": [date(2025, 3, 1), date(2025, 3, 1), date(2025, 3, 2), date(2025, 3, 2), date(2025, 3, 2)],
            "outcome": [O.ACCEPTED, O.REJECTED_BY_US, O.ACCEPTED, O.ACCEPTED, O.REJECTED_BY_PLATFORM],
            "recipients": [100, 5, 40, 60, 2],
        }
    )
    fig = charts.recipients_per_day(frame)
    assert fig.layout.barmode == "stack"
    by_name = {trace.name: list(trace.y) for trace in fig.data}
    assert by_name["Accepted by the platform"] == [100, 100]
    assert by_name["Rejected by our checks"] == [5]
    assert by_name["Rejected by the platform"] == [2]
    assert [t.name for t in fig.data] == [
        "Accepted by the platform",
        "Rejected by our checks",
        "Rejected by the platform",
    ]
    title, x_title, y_title = _titles(fig)
    assert "Recipients per day" in title and "people" in y_title and x_title


def test_dispatches_per_day_uses_one_colour_per_status():
    frame = pd.DataFrame(
        {
            "day": [date(2025, 3, 1)] * 3,
            "status": [S.QUEUED, S.ERROR, S.OTHER],
            "dispatches": [3, 1, 1],
        }
    )
    fig = charts.dispatches_per_day(frame)
    colours = {trace.name: trace.marker.color for trace in fig.data}
    assert colours["Queued"] == charts.STATUS_COLOURS[S.QUEUED] == "#00703c"
    assert colours["Error"] == charts.STATUS_COLOURS[S.ERROR] == "#d4351c"
    assert colours["Other platform status"] == charts.UNLISTED_STATUS_COLOUR
    assert sum(sum(trace.y) for trace in fig.data) == 5
    assert "count" in fig.layout.yaxis.title.text


def test_invalid_share_is_percent_of_submitted_per_template():
    frame = pd.DataFrame(
        {
            "day": [date(2025, 3, 1), date(2025, 3, 1), date(2025, 3, 1)],
            "template": ["Promo", "Promo", "Birthday"],
            "invalid": [1, 3, 0],
            "submitted": [10, 30, 50],
        }
    )
    fig = charts.invalid_share_over_time(frame)
    shares = {trace.name: list(trace.y) for trace in fig.data}
    assert shares == {"Birthday": [0.0], "Promo": [pytest.approx(10.0)]}
    assert "%" in fig.layout.yaxis.title.text


OUTCOME_ROWS = [  # send, label, outcome, recipients -> expected bars (newest send at the top)
    (12, "#12 · Promo · 3 Mar 10:00", O.ACCEPTED, 98),
    (12, "#12 · Promo · 3 Mar 10:00", O.REJECTED_BY_PLATFORM, 2),
    (12, "#12 · Promo · 3 Mar 10:00", O.NOT_CONFIRMED, 0),
    (11, "#11 · Birthday · 2 Mar 09:00", O.ACCEPTED, 1_000),
    (11, "#11 · Birthday · 2 Mar 09:00", O.REJECTED_BY_US, 5),
]


def test_outcomes_per_send_stacks_each_sends_recipients_newest_on_top():
    frame = pd.DataFrame(OUTCOME_ROWS, columns=["send", "label", "outcome", "recipients"])
    fig = charts.outcomes_per_send(frame)
    bars = {trace.name: dict(zip(trace.y, trace.x, strict=True)) for trace in fig.data}
    assert bars == {
        "Accepted by the platform": {"#12 · Promo · 3 Mar 10:00": 98, "#11 · Birthday · 2 Mar 09:00": 1_000},
        "Rejected by our checks": {"#11 · Birthday · 2 Mar 09:00": 5},
        "Rejected by the platform": {"#12 · Promo · 3 Mar 10:00": 2},
    }  # no empty "Not confirmed" bar in the legend
    assert fig.layout.barmode == "stack" and all(trace.orientation == "h" for trace in fig.data)
    assert list(fig.layout.yaxis.categoryarray)[-1] == "#12 · Promo · 3 Mar 10:00"  # the top row
    assert fig.layout.xaxis.tickformat == ",d"  # 1,000 people, not 1k or 1000.0


def test_upcoming_schedule_leaves_out_past_sends_and_draws_local_time():
    frame = pd.DataFrame(
        {
            "send_at": [NOW - timedelta(hours=1), NOW + timedelta(hours=2), NOW + timedelta(days=1)],
            "template": ["Promo", "Promo", "Birthday"],
            "recipients": [10, 20, 30],
            "dispatch_id": [1, 2, 3],
            "status": [S.QUEUED, S.PENDING, S.PENDING],
        }
    )
    fig = charts.upcoming_schedule(frame, now=NOW, tz=ATHENS)
    points = {trace.name: list(trace.customdata[:, 0]) for trace in fig.data}
    assert points == {"Birthday": [3], "Promo": [2]}
    promo = next(t for t in fig.data if t.name == "Promo")
    assert pd.Timestamp(promo.x[0]) == pd.Timestamp("2025-03-10 13:00")  # 11:00 UTC is 13:00 in Athens
    assert "Europe/Athens" in fig.layout.xaxis.title.text


EMPTY_CASES = [
    (charts.recipients_per_day, pd.DataFrame({"day": [], "outcome": [], "recipients": []})),
    (charts.dispatches_per_day, pd.DataFrame({"day": [], "status": [], "dispatches": []})),
    (charts.invalid_share_over_time, pd.DataFrame({"day": [], "template": [], "invalid": [], "submitted": []})),
    (charts.outcomes_per_send, pd.DataFrame({"send": [1], "label": ["#1"], "outcome": ["Not confirmed"],
                                              "recipients": [0]})),
    (charts.status_history, pd.DataFrame({"taken_at": [], "status": []})),
]


@pytest.mark.parametrize(("builder", "frame"), EMPTY_CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_empty_frames_give_a_titled_chart_that_says_why(builder, frame):
    fig = builder(frame)
    assert charts.is_empty(fig)
    assert fig.layout.title.text
    assert fig.layout.annotations and fig.layout.annotations[0].text
    assert not fig.data


def test_upcoming_schedule_with_only_past_sends_is_empty():
    frame = pd.DataFrame(
        {"send_at": [NOW - timedelta(days=1)], "template": ["Promo"], "recipients": [5], "dispatch_id": [1],
         "status": [S.QUEUED]}
    )
    fig = charts.upcoming_schedule(frame, now=NOW)
    assert charts.is_empty(fig)
    assert "Nothing is scheduled" in fig.layout.annotations[0].text


def test_empty_reason_can_name_the_filter():
    fig = charts.recipients_per_day(
        pd.DataFrame({"day": [], "outcome": [], "recipients": []}), empty_reason="No SMS sends for Promo in March"
    )
    assert fig.layout.annotations[0].text == "No SMS sends for Promo in March"


@pytest.mark.parametrize(
    ("seconds_after_created", "expected_rows"),
    [
        ({"started_queuing_at": 2, "send_at": 3600}, ["Created", "Started queuing", "Scheduled to send"]),
        # a second apart: each step on its own named row, so the names never write over each other
        ({"started_queuing_at": 1, "finished_queuing_at": 1}, ["Created", "Started queuing", "Finished queuing"]),
        ({}, ["Created"]),
    ],
)
def test_dispatch_timeline_puts_each_step_on_its_own_row(seconds_after_created, expected_rows):
    dispatch = {"dispatch_id": 180249, "created_at": NOW}
    dispatch.update({key: NOW + timedelta(seconds=s) for key, s in seconds_after_created.items()})
    fig = charts.dispatch_timeline(dispatch, tz=ATHENS)
    assert "180249" in fig.layout.title.text
    [trace] = fig.data
    assert list(trace.y) == expected_rows
    assert "text" not in trace.mode  # no labels beside the points to collide
    assert list(fig.layout.yaxis.categoryarray) == expected_rows[::-1]  # first step at the top


def test_dispatch_timeline_without_times_is_empty():
    assert charts.is_empty(charts.dispatch_timeline({"dispatch_id": 1}))


def test_status_history_steps_through_snapshots():
    frame = pd.DataFrame(
        {"taken_at": [NOW, NOW + timedelta(seconds=3)], "status": [S.DRAFT, S.QUEUED]}
    )
    fig = charts.status_history(frame)
    assert list(fig.data[0].y) == ["Draft", "Queued"]
    assert fig.data[0].line.shape == "hv"


def test_charts_leave_room_at_the_right_edge():
    frame = pd.DataFrame({"day": [date(2025, 3, 1)], "outcome": [O.ACCEPTED], "recipients": [5]})
    fig = charts.recipients_per_day(frame)
    assert fig.layout.margin.r >= 40 and fig.layout.xaxis.automargin


def test_missing_column_is_a_clear_error():
    with pytest.raises(ValueError, match="missing recipients"):
        charts.recipients_per_day(pd.DataFrame({"day": [], "outcome": []}))


def test_time_axes_read_to_the_second_not_the_millisecond():
    timeline = charts.dispatch_timeline(
        {"dispatch_id": 1, "created_at": NOW, "started_queuing_at": NOW + timedelta(seconds=2), "send_at": None},
        tz=ATHENS,
    )
    steps = charts.status_history(
        pd.DataFrame({"taken_at": [NOW, NOW + timedelta(seconds=1)], "status": [S.DRAFT, S.QUEUED]}), ATHENS
    )
    for fig in (timeline, steps):
        fmt = fig.layout.xaxis.tickformat
        assert fmt and "%S" in fmt and "%L" not in fmt and "%f" not in fmt
        low, high = (pd.Timestamp(v) for v in fig.layout.xaxis.range)
        assert high - low >= pd.Timedelta(seconds=10)  # ticks on whole seconds: no repeated labels
