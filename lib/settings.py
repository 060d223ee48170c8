"""One typed settings object, read once from the environment or `.streamlit/secrets.toml`.

The environment wins over the secrets file, so a deployment can override a checked-in
example without editing it. A bad value stops start-up with one line naming the variable:
a console that silently falls back to a default could send to the wrong place.
"""

from __future__ import annotations

import functools
import os
import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

from lib import i18n
from lib.rules.quiet_hours import DEFAULT_WINDOW, QuietHours, parse_quiet_hours

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRETS_PATH = PROJECT_ROOT / ".streamlit" / "secrets.toml"
# With no DATABASE_URL, live work and sandbox rehearsal keep separate files: a rehearsal never
# blocks, mixes with or gets mistaken for live history.
LIVE_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'data' / 'console.db'}"
SANDBOX_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'data' / 'sandbox' / 'console.db'}"
DEFAULT_DATABASE_URL = SANDBOX_DATABASE_URL  # Settings() talks to the sandbox


class SettingsError(ValueError):
    """A setting has a value the console cannot work with. str() is one line for the user, in the language of
    the moment it was found (settings.po; the variable is always named as it is spelled)."""


@dataclass(frozen=True)
class FrequencyCap:
    """At most `messages` marketing messages per person and channel in any `days` days."""

    messages: int
    days: int

    def __str__(self) -> str:
        return f"{self.messages}/{self.days}d"


_FREQUENCY_CAP = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*d(?:ays?)?\s*$", re.IGNORECASE)


def _frequency_cap(name: str, raw: str) -> FrequencyCap | None:
    if raw.strip().lower() == "off":
        return None
    match = _FREQUENCY_CAP.match(raw)
    if not match or int(match.group(1)) < 1 or int(match.group(2)) < 1:
        raise SettingsError(i18n.t("settings.frequency_cap", name=name, value=repr(raw)))
    return FrequencyCap(int(match.group(1)), int(match.group(2)))


@dataclass(frozen=True)
class Settings:
    api_url: str | None = None  # None: the embedded sandbox
    api_user: str = "demo"
    api_password: str = field(default="demo", repr=False)
    database_url: str = DEFAULT_DATABASE_URL
    region: str = "GR"
    allowed_countries: tuple[str, ...] = ("GR",)
    timezone: str = "Europe/Athens"
    batch_size: int = 1000
    language: str = i18n.DEFAULT
    sms_part_price: Decimal = Decimal("0.05")
    currency: str = "EUR"  # ISO code of the account's currency; every amount is shown in it (lib.money)
    # A live send to more recipients than this asks for the count to be typed before it goes (Compose).
    confirm_above: int = 1000
    max_rows: int = 1_000_000
    max_file_text_mb: int = 256  # text one recipient file may hold once opened (1M rows of ~250 characters)
    schedule_horizon_days: int = 30
    retention_days: int = 90
    operator: str = "marketer"
    repeat_days: int = 30  # already received: the same template within this many days is left out
    frequency_cap: FrequencyCap | None = None  # marketing messages per person per channel; None = off
    csv_delimiter: str = ";"  # what Greek (European) Excel opens with a double click
    # Sign-in (issue 11): "auto" signs people in when a provider is configured; "on" insists on one;
    # "off" turns sign-in and the team's roles off (a live platform then warns on every page).
    auth: str = "auto"
    admins: tuple[str, ...] = ()  # lower-cased emails bootstrapped into the team as admins
    sign_in_configured: bool = False  # .streamlit/secrets.toml has an [auth] section naming a provider
    # Live sends to more than this many recipients need a second person's approval when sign-in applies
    # (lib.approvals); 0: every live send. Sandbox and test sends never need it.
    approval_threshold: int = 0
    # Rules for marketing messages (issue 9): quiet hours (None: off) and the SMS opt-out text (None: off).
    quiet_hours: QuietHours | None = parse_quiet_hours(DEFAULT_WINDOW)
    sms_optout_text: str | None = None
    # The most one platform request may take, connect to last byte of the answer (a dripping answer is cut here).
    request_deadline_seconds: float = 90.0
    # The embedded sandbox, used when api_url is None.
    sandbox_port: int = 0  # 0: any free loopback port
    sandbox_dir: Path = PROJECT_ROOT / "data" / "sandbox"
    sandbox_step_seconds: float = 2.0
    db_busy_timeout: float = 15.0  # seconds to wait for another process's SQLite write lock

    @property
    def uses_sandbox(self) -> bool:
        return self.api_url is None

    @property
    def max_file_text_bytes(self) -> int:
        return self.max_file_text_mb * 1024 * 1024

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def __repr__(self) -> str:  # the password never appears, not even masked length
        return (
            f"Settings(api_url={self.api_url!r}, api_user={self.api_user!r}, "
            f"database_url={_redact_url(self.database_url)!r}, region={self.region!r}, "
            f"allowed_countries={self.allowed_countries!r}, timezone={self.timezone!r}, "
            f"batch_size={self.batch_size}, language={self.language!r})"
        )

    __str__ = __repr__


def _redact_url(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@")
    return url


def _read_secrets_toml(path: Path) -> dict:
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(i18n.t("settings.toml", file=path.name, problem=str(exc))) from None


def names_sign_in_provider(auth_section: object) -> bool:
    """True when an `[auth]` secrets section names an OpenID Connect provider, as `st.login` needs:
    `client_id` at its top (the default provider) or in a named `[auth.NAME]` sub-section."""
    if not isinstance(auth_section, dict) and not hasattr(auth_section, "items"):
        return False
    section = dict(auth_section.items())
    if section.get("client_id"):
        return True
    return any(hasattr(v, "items") and dict(v.items()).get("client_id") for v in section.values())


def _emails(name: str, raw: str) -> tuple[str, ...]:
    emails = tuple(dict.fromkeys(e.strip().lower() for e in raw.split(",") if e.strip()))
    for email in emails:
        local, _, domain = email.partition("@")
        if not local or "." not in domain or " " in email:
            raise SettingsError(i18n.t("settings.emails", name=name, value=repr(email)))
    return emails


def _int(name: str, raw: str, minimum: int) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise SettingsError(i18n.t("settings.whole_number", name=name, value=repr(raw))) from None
    if value < minimum:
        raise SettingsError(i18n.t("settings.at_least", name=name, minimum=minimum, value=value))
    return value


def _seconds(name: str, raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise SettingsError(i18n.t("settings.seconds", name=name, value=repr(raw))) from None
    if not value > 0 or value == float("inf"):
        raise SettingsError(i18n.t("settings.seconds_above_zero", name=name, value=repr(raw)))
    return value


def _country(name: str, raw: str) -> str:
    code = raw.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise SettingsError(i18n.t("settings.country", name=name, value=repr(raw.strip())))
    return code


def _has_credentials(raw: str) -> bool:
    """True when the address carries a user name or password (`https://user:pw@host`), even without a scheme."""
    authority = raw.strip().split("://", 1)[-1]
    for end in "/?#":
        authority = authority.split(end, 1)[0]
    return "@" in authority


def _url(name: str, raw: str) -> str:
    if _has_credentials(raw):  # checked first, and the value is never echoed: it holds a password
        raise SettingsError(i18n.t("settings.url_credentials", name=name))
    url = raw.strip().rstrip("/")
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise SettingsError(i18n.t("settings.url", name=name, value=repr(raw)))
    return url


def _quiet_hours(window: str, channels: str | None, kinds: str | None) -> QuietHours | None:
    try:
        return parse_quiet_hours(window, channels, kinds)
    except ValueError as exc:
        text = str(exc)
        if text.startswith("CONSOLE_"):
            raise SettingsError(text) from None
        raise SettingsError(i18n.t("settings.quiet_hours", name="CONSOLE_QUIET_HOURS", problem=text)) from None


def load_settings(env: dict[str, str] | None = None, secrets_path: Path | None = None) -> Settings:
    """Build Settings from `env` (default os.environ) over the secrets file. Raises SettingsError."""
    secrets = _read_secrets_toml(secrets_path or DEFAULT_SECRETS_PATH)
    source = {k: str(v) for k, v in secrets.items() if not isinstance(v, dict)}
    source.update({k: v for k, v in (os.environ if env is None else env).items()})

    def get(name: str) -> str | None:
        value = source.get(name)
        return value if value is not None and value.strip() != "" else None

    values: dict[str, object] = {}
    if (raw := get("MESSAGING_API_URL")) is not None:
        values["api_url"] = _url("MESSAGING_API_URL", raw)
    if (raw := get("MESSAGING_API_USER")) is not None:
        values["api_user"] = raw
    if (raw := get("MESSAGING_API_PASSWORD")) is not None:
        values["api_password"] = raw
    if values.get("api_url") and not (get("MESSAGING_API_USER") and get("MESSAGING_API_PASSWORD")):
        raise SettingsError(i18n.t("settings.credentials_missing", user="MESSAGING_API_USER",
                                   password="MESSAGING_API_PASSWORD", url="MESSAGING_API_URL"))
    if (raw := get("DATABASE_URL")) is not None:
        if "://" not in raw:
            raise SettingsError(i18n.t("settings.database_url", name="DATABASE_URL", value=repr(raw)))
        values["database_url"] = raw.strip()
    elif values.get("api_url"):
        values["database_url"] = LIVE_DATABASE_URL
    if (raw := get("CONSOLE_DB_BUSY_TIMEOUT")) is not None:
        try:
            values["db_busy_timeout"] = float(raw)
        except ValueError:
            raise SettingsError(i18n.t("settings.seconds", name="CONSOLE_DB_BUSY_TIMEOUT", value=repr(raw))) from None
        if not values["db_busy_timeout"] >= 0:
            raise SettingsError(i18n.t("settings.seconds_zero_or_more", name="CONSOLE_DB_BUSY_TIMEOUT", value=repr(raw)))
    if (raw := get("CONSOLE_REGION")) is not None:
        values["region"] = _country("CONSOLE_REGION", raw)
    if (raw := get("CONSOLE_ALLOWED_COUNTRIES")) is not None:
        codes = tuple(_country("CONSOLE_ALLOWED_COUNTRIES", c) for c in raw.split(",") if c.strip())
        if not codes:
            raise SettingsError(i18n.t("settings.no_country", name="CONSOLE_ALLOWED_COUNTRIES"))
        values["allowed_countries"] = codes
    if (raw := get("CONSOLE_TIMEZONE")) is not None:
        try:
            ZoneInfo(raw.strip())
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(i18n.t("settings.timezone", name="CONSOLE_TIMEZONE", value=repr(raw))) from None
        values["timezone"] = raw.strip()
    if (raw := get("CONSOLE_BATCH_SIZE")) is not None:
        values["batch_size"] = _int("CONSOLE_BATCH_SIZE", raw, 1)
    if (raw := get("CONSOLE_LANGUAGE")) is not None:
        if raw.strip().lower() not in i18n.LANGUAGES:
            raise SettingsError(i18n.t("settings.language", name="CONSOLE_LANGUAGE", value=repr(raw)))
        values["language"] = raw.strip().lower()
    if (raw := get("CONSOLE_SMS_PART_PRICE")) is not None:
        try:
            price = Decimal(raw.strip())
        except InvalidOperation:
            raise SettingsError(i18n.t("settings.price", name="CONSOLE_SMS_PART_PRICE", value=repr(raw))) from None
        if not price.is_finite() or price < 0:
            raise SettingsError(i18n.t("settings.zero_or_more", name="CONSOLE_SMS_PART_PRICE", value=repr(raw)))
        values["sms_part_price"] = price
    if (raw := get("CONSOLE_CURRENCY")) is not None:
        if not re.fullmatch(r"[A-Za-z]{3}", raw.strip()):
            raise SettingsError(i18n.t("settings.currency", name="CONSOLE_CURRENCY", value=repr(raw)))
        values["currency"] = raw.strip().upper()
    if (raw := get("CONSOLE_CONFIRM_ABOVE")) is not None:
        values["confirm_above"] = _int("CONSOLE_CONFIRM_ABOVE", raw, 0)
    if (raw := get("CONSOLE_MAX_ROWS")) is not None:
        values["max_rows"] = _int("CONSOLE_MAX_ROWS", raw, 1)
    if (raw := get("CONSOLE_MAX_FILE_TEXT_MB")) is not None:
        values["max_file_text_mb"] = _int("CONSOLE_MAX_FILE_TEXT_MB", raw, 1)
    if (raw := get("CONSOLE_SCHEDULE_HORIZON_DAYS")) is not None:
        values["schedule_horizon_days"] = _int("CONSOLE_SCHEDULE_HORIZON_DAYS", raw, 1)
    if (raw := get("CONSOLE_RETENTION_DAYS")) is not None:
        values["retention_days"] = _int("CONSOLE_RETENTION_DAYS", raw, 1)
    if (raw := get("CONSOLE_REPEAT_DAYS")) is not None:
        values["repeat_days"] = _int("CONSOLE_REPEAT_DAYS", raw, 1)
    if (raw := get("CONSOLE_FREQUENCY_CAP")) is not None:
        values["frequency_cap"] = _frequency_cap("CONSOLE_FREQUENCY_CAP", raw)
    if (raw := get("CONSOLE_SANDBOX_PORT")) is not None:
        values["sandbox_port"] = _int("CONSOLE_SANDBOX_PORT", raw, 0)
    if (raw := get("CONSOLE_SANDBOX_DIR")) is not None:
        values["sandbox_dir"] = Path(raw.strip())
    if (raw := get("CONSOLE_SANDBOX_STEP_SECONDS")) is not None:
        try:
            values["sandbox_step_seconds"] = float(raw)
        except ValueError:
            raise SettingsError(i18n.t("settings.seconds", name="CONSOLE_SANDBOX_STEP_SECONDS", value=repr(raw))) from None
    if (raw := get("CONSOLE_CSV_DELIMITER")) is not None:
        if raw not in (";", ",", "\t", "tab"):
            raise SettingsError(i18n.t("settings.csv_delimiter", name="CONSOLE_CSV_DELIMITER", value=repr(raw)))
        values["csv_delimiter"] = "\t" if raw == "tab" else raw
    if get("CONSOLE_QUIET_HOURS") or get("CONSOLE_QUIET_HOURS_CHANNELS") or get("CONSOLE_QUIET_HOURS_KINDS"):
        values["quiet_hours"] = _quiet_hours(
            get("CONSOLE_QUIET_HOURS") or DEFAULT_WINDOW, get("CONSOLE_QUIET_HOURS_CHANNELS"),
            get("CONSOLE_QUIET_HOURS_KINDS"),
        )
    if (raw := get("CONSOLE_SMS_OPTOUT_TEXT")) is not None:
        if "{{" in raw or "}}" in raw:
            raise SettingsError(i18n.t("settings.optout_text", name="CONSOLE_SMS_OPTOUT_TEXT", value=repr(raw)))
        values["sms_optout_text"] = " ".join(raw.split())
    if (raw := get("CONSOLE_REQUEST_DEADLINE_SECONDS")) is not None:
        values["request_deadline_seconds"] = _seconds("CONSOLE_REQUEST_DEADLINE_SECONDS", raw)
    if (raw := get("CONSOLE_OPERATOR") or get("USER")) is not None:
        values["operator"] = raw.strip()
    if (raw := get("CONSOLE_AUTH")) is not None:
        if raw.strip().lower() not in ("auto", "on", "off"):
            raise SettingsError(i18n.t("settings.auth", name="CONSOLE_AUTH", value=repr(raw)))
        values["auth"] = raw.strip().lower()
    if (raw := get("CONSOLE_APPROVAL_THRESHOLD")) is not None:
        values["approval_threshold"] = _int("CONSOLE_APPROVAL_THRESHOLD", raw, 0)
    if (raw := get("CONSOLE_ADMINS")) is not None:
        values["admins"] = _emails("CONSOLE_ADMINS", raw)
    values["sign_in_configured"] = names_sign_in_provider(secrets.get("auth"))
    return Settings(**values)


@functools.cache
def get_settings() -> Settings:
    """The process's settings, read once."""
    return load_settings()
