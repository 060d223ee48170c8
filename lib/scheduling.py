"""When a send goes out: now, or a local date and time inside the allowed window."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# A time a few minutes ahead may be in the past by the time the marketer clicks Send.
MINIMUM_LEAD = timedelta(minutes=2)


class ScheduleError(ValueError):
    """A schedule the console refuses; str() says why, for the marketer."""


def schedule_at(day: date, at: time, tz: ZoneInfo, *, now: datetime, horizon_days: int) -> datetime:
    """The aware datetime for `day` `at` in `tz`, or ScheduleError when it is too soon or too far."""
    when = datetime.combine(day, at).replace(tzinfo=tz)
    # A wall time skipped by the clocks going forward does not exist; say so rather than guess.
    if when.astimezone(ZoneInfo("UTC")).astimezone(tz).replace(tzinfo=None) != when.replace(tzinfo=None):
        raise ScheduleError(f"{at:%H:%M} does not exist on {day:%d %b %Y} in {tz.key}: the clocks go forward then")
    if when < now + MINIMUM_LEAD:
        raise ScheduleError(
            f"{format_when(when, tz)} is in the past or too close to now: choose a time at least "
            f"{int(MINIMUM_LEAD.total_seconds() // 60)} minutes ahead"
        )
    if when > now + timedelta(days=horizon_days):
        raise ScheduleError(f"{format_when(when, tz)} is more than {horizon_days} days ahead: choose an earlier date")
    return when


def format_when(when: datetime | None, tz: ZoneInfo) -> str:
    """'Sat 28 Nov 2026, 10:00 (UTC+02:00)', or 'now'."""
    if when is None:
        return "now"
    local = when.astimezone(tz)
    offset = local.strftime("%z")
    return f"{local:%a %d %b %Y, %H:%M} (UTC{offset[:3]}:{offset[3:]})"
