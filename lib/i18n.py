"""Words a person reads, in Greek or English: message catalogs looked up at the edge, and Babel's
locale data for numbers, money, dates and plurals.

`lib` returns codes (enums, problem codes) and parameters; pages and the command line turn them
into words with `words(language)`:

    w = words("el")
    w("nav.compose")                          -> "Νέα αποστολή"
    w.plural("people.count", 2)               -> "2 παραλήπτες"   (the count formatted for the language)
    w.number(1234.5), w.money(Decimal("5"))   -> "1.234,5", "5,00 €"
    w.date(moment), w.datetime(moment)        -> "Τρίτη 1 Δεκ", "1 Δεκ 2026, 10:02"

Catalogs are gettext .po files under `locale/<language>/LC_MESSAGES/console.po`, one message id per
concept (listmonk-style keys such as `send.leftOut.alreadyReceived`). They are read with Babel's
own parser once per process, so an edited catalog can never be shadowed by a stale compiled file.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "console"


class Language(StrEnum):
    GREEK = "el"
    ENGLISH = "en"

    @property
    def native_name(self) -> str:
        return {"el": "Ελληνικά", "en": "English"}[self.value]


class MissingMessage(KeyError):
    """A message id with no text in a catalog: a bug caught by the catalog tests, never shown."""


def catalog_path(language: Language | str) -> Path:
    return LOCALE_DIR / str(Language(language)) / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def load_catalog(language: Language | str) -> Catalog:
    with catalog_path(language).open("rb") as po:
        return read_po(po, locale=str(Language(language)), domain=DOMAIN)


@dataclass(frozen=True)
class Words:
    language: Language
    currency: str = "EUR"

    @property
    def locale(self) -> Locale:
        return Locale.parse(str(self.language))

    def __call__(self, key: str, **params: object) -> str:
        text = self._message(key).string
        if not isinstance(text, str) or not text:
            raise MissingMessage(f"{key} has no {self.language} text")
        return text.format(**params) if params else text

    def plural(self, key: str, n: int, **params: object) -> str:
        """The form of `key` for the count `n` ({n} in the text is the count, formatted)."""
        forms = self._message(key).string
        if not isinstance(forms, tuple):
            raise MissingMessage(f"{key} is not a plural message")
        index = self.locale.plural_form(abs(n))
        text = forms[_PLURAL_INDEX.get(index, len(forms) - 1)] or forms[-1]
        return text.format(n=self.number(n), **params)

    def number(self, value: int | float | Decimal, decimals: int | None = None) -> str:
        if decimals is None:
            return format_decimal(value, locale=self.locale)
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return format_decimal(value, format=pattern, locale=self.locale)

    def money(self, amount: Decimal | float) -> str:
        return format_currency(amount, self.currency, locale=self.locale)

    def date(self, value: date | datetime, tz: tzinfo | None = None) -> str:
        """Weekday, day and short month: 'Τρίτη 1 Δεκ' / 'Tuesday 1 Dec'."""
        if isinstance(value, datetime) and tz is not None:
            value = value.astimezone(tz)
        return format_date(value, "EEEE d MMM", locale=self.locale)

    def datetime(self, value: datetime, tz: tzinfo | None = None) -> str:
        """Day, short month, year and time to the minute: '1 Δεκ 2026, 10:02'."""
        local = value.astimezone(tz) if tz is not None else value
        return f"{format_date(local, 'd MMM y', locale=self.locale)}, {format_time(local, 'HH:mm', locale=self.locale)}"

    def timestamp(self, value: datetime, tz: tzinfo | None = None) -> str:
        """To the second, for exports and audit lines."""
        return format_datetime(value, "d MMM y, HH:mm:ss", tzinfo=tz, locale=self.locale)

    def _message(self, key: str):
        message = load_catalog(self.language).get(key)
        if message is None:
            raise MissingMessage(f"{key} is not in the {self.language} catalog")
        return message


# Babel names CLDR plural categories; a catalog lists its forms in this order.
_PLURAL_INDEX = {"one": 0, "other": 1}


@functools.cache
def words(language: Language | str, currency: str = "EUR") -> Words:
    return Words(Language(language), currency)
