"""Scheduling: refused in the past or beyond the horizon, shown with its offset."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from lib.scheduling import ScheduleError, format_when, schedule_at

ATHENS = ZoneInfo("Europe/Athens")
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=ATHENS)


@pytest.mark.parametrize(
    ("day", "at", "error"),
    [
        (date(2026, 11, 29), time(10, 0), None),
        (date(2026, 11, 28), time(12, 5), None),
        (date(2026, 11, 28), time(12, 1), "too close to now"),
        (date(2026, 11, 27), time(10, 0), "in the past"),
        (date(2026, 12, 28), time(11, 59), None),
        (date(2026, 12, 28), time(12, 1), "more than 30 days ahead"),
    ],
)
def test_window(day, at, error):
    if error is None:
        assert schedule_at(day, at, ATHENS, now=NOW, horizon_days=30).tzinfo is ATHENS
    else:
        with pytest.raises(ScheduleError, match=error):
            schedule_at(day, at, ATHENS, now=NOW, horizon_days=30)


def test_a_wall_time_skipped_by_daylight_saving_is_refused():
    with pytest.raises(ScheduleError, match="clocks go forward"):
        schedule_at(date(2027, 3, 28), time(3, 30), ATHENS, now=NOW, horizon_days=200)


@pytest.mark.parametrize(
    ("when", "shown"),
    [
        (datetime(2026, 11, 29, 10, 0, tzinfo=ATHENS), "Sun 29 Nov 2026, 10:00 (UTC+02:00)"),
        (datetime(2027, 6, 1, 7, 0, tzinfo=ZoneInfo("UTC")), "Tue 01 Jun 2027, 10:00 (UTC+03:00)"),
        (None, "now"),
    ],
)
def test_times_are_shown_in_the_console_zone_with_offset(when, shown):
    assert format_when(when, ATHENS) == shown
