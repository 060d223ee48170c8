"""When a send goes out: now, or a local date and time inside the allowed window."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from lib import i18n

# A time a few minutes ahead may be in the past by the time the marketer clicks Send.
MINIMUM_LEAD = timedelta(minutes=2)


class ScheduleError(ValueError):
    """A schedule the console refuses; str() says why, for the marketer."""


def schedule_at(day: date, at: time, tz: ZoneInfo, *, now: datetime, horizon_days: int) -> datetime:
    """The aware datetime for `day` `at` in `tz`, or ScheduleError when it is too soon or too far."""
    when = datetime.combine(day, at).replace(tzinfo=tz)
    # A wall time skipped by the clocks going forward does not exist; say so rather than guess.
    if when.astimezone(ZoneInfo("UTC")).astimezone(tz).replace(tzinfo=None) != when.replace(tzinfo=None):
        raise ScheduleError(i18n.t("scheduling.skipped_time", time=f"{at:%H:%M}", day=i18n.date_text(day), zone=tz.key))
    if when < now + MINIMUM_LEAD:
        raise ScheduleError(i18n.t("scheduling.too_soon", when=format_when(when, tz),
                                   n=int(MINIMUM_LEAD.total_seconds() // 60)))
    if when > now + timedelta(days=horizon_days):
        raise ScheduleError(i18n.t("scheduling.too_far", when=format_when(when, tz), n=horizon_days))
    return when


def format_when(when: datetime | None, tz: ZoneInfo) -> str:
    """'Sat 28 Nov 2026, 10:00 (UTC+02:00)' ('Σάβ 28 Νοε 2026, 10:00 (UTC+02:00)'), or 'now'."""
    if when is None:
        return i18n.t("scheduling.now")
    local = when.astimezone(tz)
    offset = local.strftime("%z")
    moment = format_datetime(local, "EEE dd MMM yyyy, HH:mm", locale=i18n.babel_locale())
    return f"{moment} (UTC{offset[:3]}:{offset[3:]})"


class QuietHoursError(ScheduleError):
    """A time inside quiet hours. `offer` is the earliest time that can be scheduled instead (outside quiet
    hours, far enough ahead and on the 5-minute grid the page's time picker uses)."""

    def __init__(self, reason: str, *, code: str, offer: datetime):
        super().__init__(reason)
        self.code = code
        self.offer = offer


def check_quiet_hours(when: datetime | None, template, settings, *, now: datetime) -> None:
    """Raise QuietHoursError when `template` may not go out at `when` (None: now) under the quiet-hours rule.
    `template` is a lib.templates.Template, `settings` a lib.settings.Settings."""
    from lib.rules import quiet_hours

    verdict = quiet_hours.check(when, template, settings, now=now)
    if not verdict.allowed:
        raise QuietHoursError(verdict.reason, code=verdict.code, offer=schedulable(verdict.next_allowed, now))


def schedulable(at: datetime, now: datetime, grid_minutes: int = 5) -> datetime:
    """`at`, or the first grid time at least MINIMUM_LEAD after `now` if `at` is too close (08:59 -> 09:05)."""
    earliest = now.astimezone(UTC) + MINIMUM_LEAD  # UTC: same-zone arithmetic is wall-clock arithmetic
    if at.astimezone(UTC) >= earliest:
        return at
    local = earliest.astimezone(at.tzinfo)
    rounded = local.replace(second=0, microsecond=0)
    if rounded < local or rounded.minute % grid_minutes:
        rounded += timedelta(minutes=grid_minutes - rounded.minute % grid_minutes)
    return rounded


def offer_label(offer: datetime, now: datetime, tz: ZoneInfo) -> str:
    """'Schedule for 09:00 today', '… tomorrow', or '… on Sat 05 Dec'."""
    local, today = offer.astimezone(tz), now.astimezone(tz).date()
    at = i18n.time_text(local)
    if local.date() == today:
        return i18n.t("scheduling.offer.today", time=at)
    if local.date() == today + timedelta(days=1):
        return i18n.t("scheduling.offer.tomorrow", time=at)
    day = format_datetime(local, "EEE dd MMM", locale=i18n.babel_locale())
    return i18n.t("scheduling.offer.on", time=at, day=day)
