"""Quiet hours (CONSOLE_QUIET_HOURS, default 21:00-09:00 in the console's time zone): no marketing SMS then.

The window is wall-clock time in CONSOLE_TIMEZONE and may cross midnight. It starts at its first minute
(21:00 is quiet) and ends at its last (09:00 is allowed again). Email and service templates are exempt
unless CONSOLE_QUIET_HOURS_CHANNELS / CONSOLE_QUIET_HOURS_KINDS say otherwise. On the days the clocks
change, "09:00" is still 09:00 on the wall: the next allowed time is computed in local time, and a wall
time the clocks skip is replaced by the first minute after the jump.

Checked before a send is queued (lib.campaign.send_refusal: Compose, `send`) and again by the sender
before each chunk (ConsoleRuntime.quiet_hours_hold): a marketing SMS sent "now" whose last chunks reach
quiet hours is not cut short and nobody is left out: the chunks still pending are held (sends.not_before,
the send stays queued) and a worker posts them when quiet hours end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from lib import i18n
from lib.scheduling import format_when
from lib.templates import Channel, Template, TemplateKind

CODE_NOW = "quiet_hours.now"
CODE_SCHEDULED = "quiet_hours.scheduled"
DEFAULT_WINDOW = "21:00-09:00"
_TIME = r"([01]?\d|2[0-3])(?::([0-5]\d))?"
_WINDOW = re.compile(rf"^\s*{_TIME}\s*[-–—]\s*{_TIME}\s*$")
_OFF = {"off", "none", "no", "false", "0"}


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time
    channels: frozenset[Channel] = frozenset({Channel.SMS})
    kinds: frozenset[TemplateKind] = frozenset({TemplateKind.MARKETING})

    @property
    def crosses_midnight(self) -> bool:
        return self.start > self.end

    def applies_to(self, template: Template) -> bool:
        return template.channel in self.channels and template.kind in self.kinds

    def contains(self, wall: time) -> bool:
        """Is this wall-clock time quiet? Start inclusive, end exclusive (08:59:59 is quiet, 09:00 is not)."""
        if self.crosses_midnight:
            return wall >= self.start or wall < self.end
        return self.start <= wall < self.end

    def describe(self) -> str:
        """'21:00–09:00'."""
        return f"{self.start:%H:%M}–{self.end:%H:%M}"

    def allowed_phrase(self) -> str:
        """'from 09:00 to 21:00', or for a window inside one day 'before 13:00 or from 15:00'."""
        if self.crosses_midnight:
            return i18n.t("rules.quiet.allowed_between", start=f"{self.end:%H:%M}", end=f"{self.start:%H:%M}")
        return i18n.t("rules.quiet.allowed_around", start=f"{self.start:%H:%M}", end=f"{self.end:%H:%M}")

    def next_allowed(self, when: datetime, tz: ZoneInfo) -> datetime:
        """The first moment at or after `when` outside quiet hours, in `tz` (`when` itself if allowed)."""
        local = when.astimezone(tz)
        if not self.contains(local.time()):
            return local
        # Inside: the window ends at `end` today, unless we are in its evening part (crossing midnight).
        day = local.date() + timedelta(days=1) if self.crosses_midnight and local.time() >= self.start else local.date()
        return _wall_time_reached(day, self.end, tz, after=local)


def _wall_time_reached(day: date, at: time, tz: ZoneInfo, *, after: datetime) -> datetime:
    """The first instant after `after` at which the wall clock on `day` shows `at` or later."""
    for fold in (0, 1):  # a time shown twice (clocks going back): its first showing still to come
        candidate = datetime.combine(day, at, tzinfo=tz).replace(fold=fold)
        exists = candidate.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == candidate.replace(tzinfo=None)
        # Compared in UTC: two datetimes in the same zone compare by wall clock, blind to `fold`.
        if exists and candidate.astimezone(UTC) > after.astimezone(UTC):
            return candidate
        if not exists:  # skipped by the clocks going forward: the first minute after the jump
            return _end_of_gap(candidate, tz)
    return datetime.combine(day, at, tzinfo=tz)


def _end_of_gap(missing: datetime, tz: ZoneInfo) -> datetime:
    earliest = missing.replace(fold=1).astimezone(UTC)
    latest = missing.replace(fold=0).astimezone(UTC)
    wanted = missing.replace(tzinfo=None)
    moment = earliest
    while moment < latest and moment.astimezone(tz).replace(tzinfo=None) < wanted:
        moment += timedelta(minutes=1)
    return moment.astimezone(tz)


def parse_quiet_hours(raw: str, channels: str | None = None, kinds: str | None = None) -> QuietHours | None:
    """The setting's value ('21:00-09:00', '21-9', 'off'); None when off. ValueError with the reason
    (without the variable's name: lib.settings adds it)."""
    text = raw.strip()
    if text.lower() in _OFF:
        return None
    match = _WINDOW.match(text)
    if not match:
        raise ValueError(f"must be two times like {DEFAULT_WINDOW}, or off, not {raw!r}")
    h1, m1, h2, m2 = match.groups()
    start, end = time(int(h1), int(m1 or 0)), time(int(h2), int(m2 or 0))
    if start == end:
        raise ValueError(f"starts and ends at the same time ({raw.strip()}): use off to have no quiet hours")
    return QuietHours(
        start, end,
        channels=_members(channels, Channel, "CONSOLE_QUIET_HOURS_CHANNELS", "sms or email") or QuietHours.channels,
        kinds=_members(kinds, TemplateKind, "CONSOLE_QUIET_HOURS_KINDS", "marketing or service") or QuietHours.kinds,
    )


def _members(raw: str | None, enum, name: str, allowed: str) -> frozenset | None:
    if raw is None or not raw.strip():
        return None
    try:
        return frozenset(enum(part.strip().lower()) for part in raw.split(",") if part.strip())
    except ValueError:
        raise ValueError(f"{name} must list {allowed} separated by commas, not {raw!r}") from None


@dataclass(frozen=True)
class QuietHoursVerdict:
    allowed: bool
    code: str = ""  # CODE_NOW or CODE_SCHEDULED when refused
    reason: str = ""  # the sentence for the marketer
    next_allowed: datetime | None = None  # aware, in the console's zone, when refused

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = QuietHoursVerdict(True)


def check(when: datetime | None, template: Template, settings, *, now: datetime | None = None) -> QuietHoursVerdict:
    """May `template` go out at `when` (None: now)? `settings` is a lib.settings.Settings (quiet_hours, tz).

    Refused "now" says it is quiet hours and offers the next allowed time; refused schedules say why."""
    quiet: QuietHours | None = settings.quiet_hours
    if quiet is None or not quiet.applies_to(template):
        return ALLOWED
    tz = settings.tz
    moment = (now or datetime.now(tz)) if when is None else when
    local = moment.astimezone(tz)
    if not quiet.contains(local.time()):
        return ALLOWED
    following = quiet.next_allowed(local, tz)
    what = _what(template)
    if when is None:
        reason = i18n.t("rules.quiet.now", time=f"{local:%H:%M}", zone=tz.key, window=quiet.describe(), what=what,
                        when=format_when(following, tz))
        return QuietHoursVerdict(False, CODE_NOW, reason, following)
    reason = i18n.t("rules.quiet.scheduled", when=format_when(local, tz), window=quiet.describe(), zone=tz.key,
                    what=what, allowed=quiet.allowed_phrase())
    return QuietHoursVerdict(False, CODE_SCHEDULED, reason, following)


def _what(template: Template) -> str:
    """'marketing SMS', 'service emails': what quiet hours hold back."""
    if template.channel is Channel.SMS:
        return i18n.t("rules.quiet.what.marketing_sms" if template.is_marketing else "rules.quiet.what.service_sms")
    return i18n.t("rules.quiet.what.marketing_email" if template.is_marketing else "rules.quiet.what.service_email")
