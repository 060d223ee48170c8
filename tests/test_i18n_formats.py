"""Numbers, money, dates and plurals as a Greek and an English reader write them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from lib import i18n

ATHENS = ZoneInfo("Europe/Athens")


@pytest.mark.parametrize(("lang", "value", "decimals", "expected"), [
    ("el", 0, None, "0"),
    ("el", 999, None, "999"),
    ("el", 1234, None, "1.234"),
    ("el", 1_000_000, None, "1.000.000"),
    ("el", 1234.5, 2, "1.234,50"),
    ("el", -5, None, "-5"),
    ("en", 1234, None, "1,234"),
    ("en", 1_000_000, None, "1,000,000"),
    ("en", 1234.5, 2, "1,234.50"),
    ("en", 0.05, 2, "0.05"),
])
def test_numbers(lang, value, decimals, expected):
    assert i18n.number(value, decimals, lang=lang) == expected


@pytest.mark.parametrize(("lang", "amount", "currency", "expected"), [
    ("el", Decimal("1234.56"), "EUR", "1.234,56\xa0€"),
    ("el", Decimal("0.05"), "EUR", "0,05\xa0€"),
    ("el", Decimal("0.005"), "EUR", "0,01\xa0€"),  # half up to the cent
    ("el", Decimal("-5"), "EUR", "-5,00\xa0€"),
    ("en", Decimal("1234.56"), "EUR", "€1,234.56"),
    ("en", Decimal("0.005"), "EUR", "€0.01"),
    ("en", 5, "USD", "$5.00"),
    ("en", 5, "GBP", "£5.00"),
])
def test_money(lang, amount, currency, expected):
    assert i18n.money(amount, currency, lang=lang) == expected


@pytest.mark.parametrize(("lang", "style", "expected"), [
    ("el", "day", "Τρίτη 1 Δεκ"),
    ("el", "short", "1 Δεκ"),
    ("el", "full", "1 Δεκ 2026"),
    ("en", "day", "Tuesday 1 Dec"),
    ("en", "full", "1 Dec 2026"),
])
def test_dates(lang, style, expected):
    assert i18n.date_text(date(2026, 12, 1), style, lang=lang) == expected


@pytest.mark.parametrize(("lang", "seconds", "expected"), [
    ("el", False, "1 Δεκ 2026, 10:02"),
    ("el", True, "1 Δεκ 2026, 10:02:09"),
    ("en", False, "1 Dec 2026, 10:02"),
])
def test_date_and_time(lang, seconds, expected):
    moment = datetime(2026, 12, 1, 10, 2, 9, 123456, tzinfo=ATHENS)
    assert i18n.datetime_text(moment, seconds=seconds, lang=lang) == expected


@pytest.mark.parametrize(("lang", "n", "expected"), [
    ("el", 0, "0 παραλήπτες"),
    ("el", 1, "1 παραλήπτης"),
    ("el", 2, "2 παραλήπτες"),
    ("el", 1234, "1.234 παραλήπτες"),
    ("en", 0, "0 recipients"),
    ("en", 1, "1 recipient"),
    ("en", 2, "2 recipients"),
    ("en", 1234, "1,234 recipients"),
])
def test_plurals(lang, n, expected):
    with i18n.language(lang):
        assert i18n.t("common.recipients", n=n) == expected


def test_a_message_is_put_into_words_in_the_language_of_the_reader():
    message = i18n.Msg("common.recipients", n=3)
    with i18n.language("el"):
        assert str(message) == "3 παραλήπτες"
    with i18n.language("en"):
        assert str(message) == "3 recipients"


def test_the_language_defaults_to_the_console_setting(monkeypatch):
    monkeypatch.setenv("CONSOLE_LANGUAGE", "el")
    assert i18n.current() == "el"
    monkeypatch.setenv("CONSOLE_LANGUAGE", "en")
    assert i18n.current() == "en"
    with i18n.language("el"):
        assert i18n.current() == "el"
    assert i18n.current() == "en"


def test_a_missing_key_shows_itself_rather_than_failing():
    assert i18n.t("no.such.key") == "no.such.key"
