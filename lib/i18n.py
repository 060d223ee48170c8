"""Words a person reads, in Greek or English: message catalogs, plurals, numbers, money and dates.

`lib` speaks in codes and `Msg` values (a catalog key and its parameters); the edge — a page, the command
line — sets the reader's language with `use()` and turns them into words (`t()`, or `str()` of a `Msg`).
Catalogs are gettext `.po` files read with Babel: `locale/<language>/LC_MESSAGES/<area>.po`, one file per
area of the console so each can be edited on its own; the message id is a dotted key
(`compose.send.button`) whose first part names the file. A plural message has `msgid_plural` and one
`msgstr[i]` per plural form of the language; it is chosen by the parameter `n`.

Parameters are formatted for the language before they are put into the sentence: integers and decimals
with the language's separators (`1.234` / `1,234`), dates and times with Babel's locale data, a `Msg`
rendered in the same language. Sentences therefore never carry a format spec (`{n}`, not `{n:,}`).
"""

from __future__ import annotations

import gettext
import logging
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

log = logging.getLogger(__name__)

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
# Each language names itself, so a reader who cannot read the current one still finds theirs.
LANGUAGES: dict[str, str] = {"el": "Ελληνικά", "en": "English"}
FALLBACK = "en"  # the words of a key that lacks them in the reader's language
DEFAULT = "el"  # the console's users are Greek marketers: Greek unless CONSOLE_LANGUAGE says otherwise

_current: ContextVar[str | None] = ContextVar("console_language", default=None)


class CatalogError(Exception):
    """A catalog file that cannot be read, or two files defining one key."""


# --- the reader's language ------------------------------------------------------------------------------


def default_language() -> str:
    """CONSOLE_LANGUAGE when it names a language we have (settings refuse any other at start), else Greek."""
    raw = (os.environ.get("CONSOLE_LANGUAGE") or "").strip().lower()
    return raw if raw in LANGUAGES else DEFAULT


def current() -> str:
    """The language set by the edge for this thread of work, else the console's default."""
    return _current.get() or default_language()


def use(language: str | None) -> None:
    """Render every following message of this thread (a page run, a command) in `language`."""
    _current.set(language if language in LANGUAGES else None)


@contextmanager
def language(lang: str | None) -> Iterator[None]:
    """Render messages in `lang` inside the block (the worker posting a send in its sender's language)."""
    token = _current.set(lang if lang in LANGUAGES else None)
    try:
        yield
    finally:
        _current.reset(token)


def babel_locale(lang: str | None = None) -> Locale:
    return _locale(lang or current())


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


# --- catalogs --------------------------------------------------------------------------------------------


class _Catalog:
    """One language's messages from every `.po` file of its folder, and its plural rule."""

    def __init__(self, lang: str):
        self.lang = lang
        self.messages: dict[str, str | tuple[str, ...]] = {}
        self.sources: dict[str, str] = {}
        self.plural_index = gettext.c2py("(n != 1)")
        folder = LOCALE_DIR / lang / "LC_MESSAGES"
        for path in sorted(folder.glob("*.po")):
            self._read(path)

    def _read(self, path: Path) -> None:
        try:
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=self.lang)
        except Exception as exc:  # a broken catalog must say which file, not fail somewhere later
            raise CatalogError(f"{path}: {exc}") from exc
        self.plural_index = gettext.c2py(catalog.plural_expr)
        for message in catalog:
            if not message.id:
                continue  # the header
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            if key in self.messages:
                raise CatalogError(f"{key} is defined in both {self.sources[key]} and {path.name}")
            string = message.string
            if isinstance(string, tuple):
                if all(string):
                    self.messages[key] = tuple(string)
            elif string:
                self.messages[key] = string
            self.sources[key] = path.name

    def lookup(self, key: str, n: Any) -> str | None:
        found = self.messages.get(key)
        if isinstance(found, tuple):
            index = self.plural_index(abs(int(n))) if isinstance(n, (int, float, Decimal)) else len(found) - 1
            return found[min(index, len(found) - 1)]
        return found


@cache
def catalog(lang: str) -> _Catalog:
    return _Catalog(lang)


def keys(lang: str) -> set[str]:
    """Every key that `lang`'s catalog translates (the completeness test compares the languages)."""
    return set(catalog(lang).messages)


# Keys built at run time from a code (`status.queued`, `problem.mobile.invalid`): declared here by the module
# that owns the codes, so the completeness test knows they are used although no literal names them.
KEY_FAMILIES: dict[str, tuple[str, ...]] = {}


def family(prefix: str, codes: Iterable[Any]) -> str:
    """Declare that keys `prefix.<code>` are looked up for every code; returns the prefix."""
    KEY_FAMILIES[prefix] = tuple(_code(code) for code in codes)
    return prefix


def _code(code: Any) -> str:
    return str(code.value if isinstance(code, Enum) else code)


def coded(prefix: str, code: Any, **params: Any) -> str:
    """The words for `code` in the family `prefix` (a status, an outcome, a problem)."""
    return t(f"{prefix}.{_code(code)}", **params)


# --- rendering -------------------------------------------------------------------------------------------


_missing_logged: set[tuple[str, str]] = set()


def t(key: str, /, **params: Any) -> str:
    """The sentence for `key` in the current language, with its parameters formatted for that language.

    A key the language lacks falls back to English, then to the key itself, so a missing translation
    is visible rather than an error in front of a marketer; the catalog test keeps that from shipping."""
    lang = current()
    n = params.get("n")
    text = catalog(lang).lookup(key, n)
    if text is None:
        if (lang, key) not in _missing_logged:
            _missing_logged.add((lang, key))
            log.warning("No %s words for message %s", lang, key)
        text = catalog(FALLBACK).lookup(key, n) if lang != FALLBACK else None
        if text is None:
            return key
    if not params:
        return text
    formatted = {name: _format(value, lang) for name, value in params.items()}
    try:
        return text.format(**formatted)
    except (KeyError, IndexError, ValueError) as exc:
        log.warning("Message %s in %s does not fit its parameters: %s", key, lang, exc)
        return text


class Msg:
    """A sentence not yet put into words: its key and parameters, rendered when the edge reads it.

    `lib` returns these so the page or the command line chooses the language; `str(msg)` renders it in
    the current one. Two messages are equal when their key and parameters are."""

    __slots__ = ("key", "params")

    def __init__(self, key: str, /, **params: Any):
        self.key = key
        self.params = params

    def __str__(self) -> str:
        return t(self.key, **self.params)

    def __repr__(self) -> str:
        return f"Msg({self.key!r}, {self.params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Msg) and (self.key, self.params) == (other.key, other.params)

    def __hash__(self) -> int:
        return hash((self.key, tuple(sorted(self.params))))

    def __add__(self, other: object) -> str:
        return str(self) + str(other)

    def __radd__(self, other: object) -> str:
        return str(other) + str(self)


def _format(value: Any, lang: str) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return format_decimal(value, locale=_locale(lang))
    if isinstance(value, (float, Decimal)):
        return format_decimal(value, format="#,##0.##", locale=_locale(lang))
    if isinstance(value, datetime):
        return datetime_text(value, lang=lang)
    if isinstance(value, date):
        return date_text(value, lang=lang)
    if isinstance(value, time):
        return time_text(value, lang=lang)
    if isinstance(value, Msg):
        with language(lang):
            return str(value)
    return str(value)


# --- numbers, money, dates -------------------------------------------------------------------------------


def number(value: int | float | Decimal, decimals: int | None = None, *, lang: str | None = None) -> str:
    """`1.234` in Greek, `1,234` in English; `decimals` fixes the digits after the separator."""
    locale = _locale(lang or current())
    if decimals is None:
        return format_decimal(value, locale=locale)
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(value, format=pattern, locale=locale, decimal_quantization=True)


def money(amount: Decimal | float | int, currency: str = "EUR", *, lang: str | None = None) -> str:
    """`1.234,56 €` in Greek, `€1,234.56` in English: the amount rounded half up to the cent."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return format_currency(value, currency.upper(), locale=_locale(lang or current()))


# Babel patterns per purpose; a reader sees the same shape for the same purpose on every page.
DATE_FORMATS = {"day": "EEEE d MMM", "short": "d MMM", "full": "d MMM yyyy"}


def date_text(value: date | datetime, style: str = "full", *, lang: str | None = None) -> str:
    """`1 Δεκ 2026` / `1 Dec 2026`; style `day` gives `Τρίτη 1 Δεκ`, `short` gives `1 Δεκ`."""
    day = value.date() if isinstance(value, datetime) else value
    return format_date(day, DATE_FORMATS[style], locale=_locale(lang or current()))


def datetime_text(value: datetime, *, seconds: bool = False, year: bool = True, lang: str | None = None) -> str:
    """`1 Δεκ 2026, 10:02` — to the minute unless `seconds`; the time zone is the value's own."""
    pattern = ("d MMM yyyy" if year else "d MMM") + (", HH:mm:ss" if seconds else ", HH:mm")
    return format_datetime(value, pattern, locale=_locale(lang or current()))


def time_text(value: time | datetime, *, seconds: bool = False, lang: str | None = None) -> str:
    return format_time(value, "HH:mm:ss" if seconds else "HH:mm", locale=_locale(lang or current()))
