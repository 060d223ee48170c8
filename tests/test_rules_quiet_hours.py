"""Quiet hours: the minute they start and end, the window crossing midnight, the days the clocks change."""

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from lib.rules import quiet_hours
from lib.rules.quiet_hours import parse_quiet_hours
from lib.scheduling import QuietHoursError, check_quiet_hours, offer_label, schedulable
from lib.settings import SettingsError, load_settings
from lib.templates import Channel, Template, TemplateKind

ATHENS = ZoneInfo("Europe/Athens")
PROMO = Template(71, "Promo", Channel.SMS, "Code {{voucherCode}}")
SERVICE_SMS = Template(72, "Order ready", Channel.SMS, "Ready", kind=TemplateKind.SERVICE)
PROMO_EMAIL = Template(81, "Sale", Channel.EMAIL, "<p>Sale</p>", "Sale")
SETTINGS = load_settings(env={}, secrets_path=None)  # the default: 21:00-09:00, Europe/Athens


def at(y, m, d, hh, mm, ss=0, fold=0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=ATHENS, fold=fold)


@pytest.mark.parametrize(
    ("when", "allowed", "next_allowed"),
    [
        (at(2026, 12, 1, 20, 59, 59), True, None),
        (at(2026, 12, 1, 21, 0), False, at(2026, 12, 2, 9, 0)),  # the minute they start
        (at(2026, 12, 1, 23, 59), False, at(2026, 12, 2, 9, 0)),
        (at(2026, 12, 2, 0, 0), False, at(2026, 12, 2, 9, 0)),  # past midnight: the same morning
        (at(2026, 12, 2, 8, 59, 59), False, at(2026, 12, 2, 9, 0)),
        (at(2026, 12, 2, 9, 0), True, None),  # the minute they end
        (at(2026, 12, 2, 12, 0), True, None),
        (at(2026, 12, 31, 22, 0), False, at(2027, 1, 1, 9, 0)),  # across the year
    ],
)
def test_default_window_at_its_boundaries(when, allowed, next_allowed):
    verdict = quiet_hours.check(when, PROMO, SETTINGS)
    assert verdict.allowed is allowed
    assert verdict.next_allowed == next_allowed
    if not allowed:
        assert verdict.code == quiet_hours.CODE_SCHEDULED
        assert "inside quiet hours (21:00–09:00" in verdict.reason and "from 09:00 to 21:00" in verdict.reason


def test_a_time_given_in_utc_is_judged_on_the_athens_wall_clock():
    assert not quiet_hours.check(datetime(2026, 12, 1, 19, 0, tzinfo=UTC), PROMO, SETTINGS)  # 21:00 in Athens
    assert quiet_hours.check(datetime(2026, 12, 1, 18, 59, tzinfo=UTC), PROMO, SETTINGS)


@pytest.mark.parametrize(
    ("now", "next_allowed", "real_hours_until"),
    [
        # Clocks go forward at 03:00 on 28 Mar 2027: 21:00 Sat to 09:00 Sun is 11 real hours.
        (at(2027, 3, 27, 21, 0), at(2027, 3, 28, 9, 0), 11),
        (at(2027, 3, 28, 4, 0), at(2027, 3, 28, 9, 0), 5),
        # Clocks go back at 04:00 on 25 Oct 2026: 21:00 Sat to 09:00 Sun is 13 real hours.
        (at(2026, 10, 24, 21, 0), at(2026, 10, 25, 9, 0), 13),
        (at(2026, 10, 25, 3, 30, fold=1), at(2026, 10, 25, 9, 0), 5.5),  # the second 03:30
    ],
    ids=["forward-evening", "forward-morning", "back-evening", "back-second-0330"],
)
def test_on_the_days_the_clocks_change_the_quiet_hours_still_end_at_0900_on_the_wall(now, next_allowed, real_hours_until):
    verdict = quiet_hours.check(None, PROMO, SETTINGS, now=now)
    assert not verdict.allowed and verdict.code == quiet_hours.CODE_NOW
    assert verdict.next_allowed == next_allowed
    assert verdict.next_allowed.astimezone(ATHENS).strftime("%H:%M") == "09:00"
    assert verdict.next_allowed.astimezone(UTC) - now.astimezone(UTC) == timedelta(hours=real_hours_until)


def test_an_end_shown_twice_when_the_clocks_go_back_ends_at_its_next_showing():
    settings = replace(SETTINGS, quiet_hours=parse_quiet_hours("21:00-03:30"))
    first = quiet_hours.check(None, PROMO, settings, now=at(2026, 10, 25, 2, 0))
    assert first.next_allowed.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 03:30 EEST
    # After 04:00 EEST the wall clock shows 03:00-03:59 again: quiet until 03:30 (EET) comes round.
    second = quiet_hours.check(None, PROMO, settings, now=at(2026, 10, 25, 3, 10, fold=1))
    assert second.next_allowed.astimezone(UTC) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 03:30 EET


def test_an_end_skipped_by_the_clocks_going_forward_becomes_the_first_minute_after_the_jump():
    settings = replace(SETTINGS, quiet_hours=parse_quiet_hours("21:00-03:30"))
    verdict = quiet_hours.check(None, PROMO, settings, now=at(2027, 3, 28, 1, 0))
    assert verdict.next_allowed.astimezone(UTC) == datetime(2027, 3, 28, 1, 0, tzinfo=UTC)  # 04:00 EEST
    assert verdict.next_allowed.astimezone(ATHENS).strftime("%H:%M %z") == "04:00 +0300"


@pytest.mark.parametrize(
    ("window", "when", "allowed"),
    [
        ("13:00-15:00", at(2026, 12, 1, 12, 59), True),
        ("13:00-15:00", at(2026, 12, 1, 13, 0), False),
        ("13:00-15:00", at(2026, 12, 1, 14, 59), False),
        ("13:00-15:00", at(2026, 12, 1, 15, 0), True),
        ("22-8", at(2026, 12, 1, 7, 59), False),
        ("22-8", at(2026, 12, 1, 8, 0), True),
        ("00:00-06:00", at(2026, 12, 1, 0, 0), False),
        ("00:00-06:00", at(2026, 12, 1, 23, 59), True),
    ],
)
def test_other_windows_inside_one_day_or_across_midnight(window, when, allowed):
    settings = replace(SETTINGS, quiet_hours=parse_quiet_hours(window))
    assert quiet_hours.check(when, PROMO, settings).allowed is allowed


def test_a_window_inside_one_day_offers_its_end_the_same_day():
    settings = replace(SETTINGS, quiet_hours=parse_quiet_hours("13:00-15:00"))
    verdict = quiet_hours.check(at(2026, 12, 1, 14, 0), PROMO, settings)
    assert verdict.next_allowed == at(2026, 12, 1, 15, 0)
    assert "before 13:00 or from 15:00" in verdict.reason


@pytest.mark.parametrize(
    ("template", "env", "held"),
    [
        (PROMO, {}, True),
        (SERVICE_SMS, {}, False),
        (PROMO_EMAIL, {}, False),
        (PROMO, {"CONSOLE_QUIET_HOURS": "off"}, False),
        (PROMO_EMAIL, {"CONSOLE_QUIET_HOURS_CHANNELS": "sms,email"}, True),
        (SERVICE_SMS, {"CONSOLE_QUIET_HOURS_KINDS": "marketing, service"}, True),
    ],
)
def test_only_marketing_sms_are_held_unless_configured(template, env, held):
    settings = load_settings(env=env, secrets_path=None)
    assert quiet_hours.check(at(2026, 12, 1, 23, 0), template, settings).allowed is not held


def test_now_is_refused_with_the_next_allowed_time_and_the_one_click_offer():
    now = at(2026, 12, 1, 22, 15)
    with pytest.raises(QuietHoursError) as caught:
        check_quiet_hours(None, PROMO, SETTINGS, now=now)
    refusal = caught.value
    assert str(refusal) == (
        "It is 22:15 (Europe/Athens time), inside quiet hours (21:00–09:00) when marketing SMS are not sent. "
        "The earliest it can go out is Wed 02 Dec 2026, 09:00 (UTC+02:00)."
    )
    assert refusal.code == quiet_hours.CODE_NOW and refusal.offer == at(2026, 12, 2, 9, 0)
    assert offer_label(refusal.offer, now, ATHENS) == "Schedule for 09:00 tomorrow"
    check_quiet_hours(at(2026, 12, 2, 9, 0), PROMO, SETTINGS, now=now)  # the offer itself is accepted


@pytest.mark.parametrize(
    ("offer", "now", "expected", "label"),
    [
        (at(2026, 12, 2, 9, 0), at(2026, 12, 2, 2, 0), at(2026, 12, 2, 9, 0), "Schedule for 09:00 today"),
        # A minute before the end there is no time to schedule 09:00: the next 5-minute step after the lead.
        (at(2026, 12, 2, 9, 0), at(2026, 12, 2, 8, 59), at(2026, 12, 2, 9, 5), "Schedule for 09:05 today"),
        (at(2026, 12, 2, 9, 0), at(2026, 12, 2, 8, 58, 30), at(2026, 12, 2, 9, 5), "Schedule for 09:05 today"),
        (at(2026, 12, 5, 9, 0), at(2026, 12, 2, 22, 0), at(2026, 12, 5, 9, 0), "Schedule for 09:00 on Sat 05 Dec"),
    ],
)
def test_the_offer_is_far_enough_ahead_to_be_scheduled(offer, now, expected, label):
    assert schedulable(offer, now) == expected
    assert offer_label(expected, now, ATHENS) == label


@pytest.mark.parametrize(
    ("raw", "start", "end"),
    [
        ("21:00-09:00", time(21), time(9)),
        (" 21:00 – 09:00 ", time(21), time(9)),
        ("22-8", time(22), time(8)),
        ("9:30-17:45", time(9, 30), time(17, 45)),
    ],
)
def test_windows_are_read_in_the_usual_spellings(raw, start, end):
    window = parse_quiet_hours(raw)
    assert (window.start, window.end) == (start, end)


@pytest.mark.parametrize("raw", ["off", "OFF", "none"])
def test_off_disables(raw):
    assert load_settings(env={"CONSOLE_QUIET_HOURS": raw}, secrets_path=None).quiet_hours is None


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"CONSOLE_QUIET_HOURS": "late evening"}, "CONSOLE_QUIET_HOURS"),
        ({"CONSOLE_QUIET_HOURS": "21:00"}, "CONSOLE_QUIET_HOURS"),
        ({"CONSOLE_QUIET_HOURS": "25:00-09:00"}, "CONSOLE_QUIET_HOURS"),
        ({"CONSOLE_QUIET_HOURS": "21:60-09:00"}, "CONSOLE_QUIET_HOURS"),
        ({"CONSOLE_QUIET_HOURS": "09:00-09:00"}, "CONSOLE_QUIET_HOURS"),
        ({"CONSOLE_QUIET_HOURS_CHANNELS": "fax"}, "CONSOLE_QUIET_HOURS_CHANNELS"),
        ({"CONSOLE_QUIET_HOURS_KINDS": "promo"}, "CONSOLE_QUIET_HOURS_KINDS"),
    ],
)
def test_an_unreadable_setting_stops_start_up_with_one_sentence_naming_it(env, named):
    with pytest.raises(SettingsError) as caught:
        load_settings(env=env, secrets_path=None)
    assert str(caught.value).startswith(named) and "\n" not in str(caught.value)


def test_the_default_is_2100_to_0900_for_marketing_sms():
    window = SETTINGS.quiet_hours
    assert (window.start, window.end, window.crosses_midnight) == (time(21), time(9), True)
    assert window.channels == {Channel.SMS} and window.kinds == {TemplateKind.MARKETING}
