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

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRETS_PATH = PROJECT_ROOT / ".streamlit" / "secrets.toml"
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'data' / 'console.db'}"


class SettingsError(ValueError):
    """A setting has a value the console cannot work with. str() is one line for the user."""


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
        raise SettingsError(
            f"{name} must look like 3/7d (at most 3 messages in 7 days) or off, not {raw!r}"
        )
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
    language: str = "en"
    sms_part_price: Decimal = Decimal("0.05")
    max_rows: int = 1_000_000
    schedule_horizon_days: int = 30
    retention_days: int = 90
    operator: str = "marketer"
    repeat_days: int = 30  # already received: the same template within this many days is left out
    frequency_cap: FrequencyCap | None = None  # marketing messages per person per channel; None = off
    # The embedded sandbox, used when api_url is None.
    sandbox_port: int = 0  # 0: any free loopback port
    sandbox_dir: Path = PROJECT_ROOT / "data" / "sandbox"
    sandbox_step_seconds: float = 2.0

    @property
    def uses_sandbox(self) -> bool:
        return self.api_url is None

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


def _read_secrets(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path.name} is not valid TOML: {exc}") from None
    return {k: str(v) for k, v in data.items() if not isinstance(v, dict)}


def _int(name: str, raw: str, minimum: int) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, not {value}")
    return value


def _country(name: str, raw: str) -> str:
    code = raw.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise SettingsError(f"{name} has an unknown country code {raw.strip()!r} (use two letters, like GR)")
    return code


def _url(name: str, raw: str) -> str:
    url = raw.strip().rstrip("/")
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise SettingsError(f"{name} must be an http(s) address like https://platform.example.com, not {raw!r}")
    return url


def load_settings(env: dict[str, str] | None = None, secrets_path: Path | None = None) -> Settings:
    """Build Settings from `env` (default os.environ) over the secrets file. Raises SettingsError."""
    source = _read_secrets(secrets_path or DEFAULT_SECRETS_PATH)
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
        raise SettingsError("MESSAGING_API_USER and MESSAGING_API_PASSWORD must be set when MESSAGING_API_URL is")
    if (raw := get("DATABASE_URL")) is not None:
        if "://" not in raw:
            raise SettingsError(f"DATABASE_URL must be a database address like sqlite:///data/console.db, not {raw!r}")
        values["database_url"] = raw.strip()
    if (raw := get("CONSOLE_REGION")) is not None:
        values["region"] = _country("CONSOLE_REGION", raw)
    if (raw := get("CONSOLE_ALLOWED_COUNTRIES")) is not None:
        codes = tuple(_country("CONSOLE_ALLOWED_COUNTRIES", c) for c in raw.split(",") if c.strip())
        if not codes:
            raise SettingsError("CONSOLE_ALLOWED_COUNTRIES must name at least one country, like GR")
        values["allowed_countries"] = codes
    if (raw := get("CONSOLE_TIMEZONE")) is not None:
        try:
            ZoneInfo(raw.strip())
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(f"CONSOLE_TIMEZONE is not a known time zone: {raw!r} (like Europe/Athens)") from None
        values["timezone"] = raw.strip()
    if (raw := get("CONSOLE_BATCH_SIZE")) is not None:
        values["batch_size"] = _int("CONSOLE_BATCH_SIZE", raw, 1)
    if (raw := get("CONSOLE_LANGUAGE")) is not None:
        if raw.strip().lower() not in ("en", "el"):
            raise SettingsError(f"CONSOLE_LANGUAGE must be en or el, not {raw!r}")
        values["language"] = raw.strip().lower()
    if (raw := get("CONSOLE_SMS_PART_PRICE")) is not None:
        try:
            price = Decimal(raw.strip())
        except InvalidOperation:
            raise SettingsError(f"CONSOLE_SMS_PART_PRICE must be a number like 0.05, not {raw!r}") from None
        if not price.is_finite() or price < 0:
            raise SettingsError(f"CONSOLE_SMS_PART_PRICE must be zero or more, not {raw!r}")
        values["sms_part_price"] = price
    if (raw := get("CONSOLE_MAX_ROWS")) is not None:
        values["max_rows"] = _int("CONSOLE_MAX_ROWS", raw, 1)
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
            raise SettingsError(f"CONSOLE_SANDBOX_STEP_SECONDS must be a number of seconds, not {raw!r}") from None
    if (raw := get("CONSOLE_OPERATOR") or get("USER")) is not None:
        values["operator"] = raw.strip()
    return Settings(**values)


@functools.cache
def get_settings() -> Settings:
    """The process's settings, read once."""
    return load_settings()
