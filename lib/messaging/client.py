"""The one HTTP client for the platform's Messaging API (and the sandbox, which speaks the same).

POST /api/SendMessages is never retried: the API has no idempotency, so a retry could message
every customer twice. GET /api/Dispatches/{id} is retried with backoff on connection errors and
502/503/504. Connect and read timeouts are separate: a slow connect means "not delivered", a slow
read after sending means "maybe delivered".
"""

from __future__ import annotations

import http
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import requests
import urllib3.exceptions

from lib.messaging.errors import (
    AuthenticationError,
    NotFoundError,
    OutcomeUnknown,
    PlatformError,
    PlatformServerError,
    PlatformUnreachable,
    RequestRejected,
)
from lib.messaging.models import Dispatch, Recipient, SendResult

log = logging.getLogger(__name__)

RETRYABLE_GET_STATUSES = frozenset({502, 503, 504})
MAYBE_FORWARDED_STATUSES = frozenset({502, 504})
T = TypeVar("T")


@dataclass(frozen=True)
class ConnectionStatus:
    """What the Home page shows: can we reach the platform, and does it accept our credentials?"""

    reachable: bool
    authenticated: bool | None  # None: could not tell
    message: str

    @property
    def ok(self) -> bool:
        return self.reachable and self.authenticated is True


class MessagingClient:
    def __init__(
        self,
        base_url: str,
        user: str,
        password: str,
        *,
        language: str = "en",
        timezone: ZoneInfo | str = "Europe/Athens",
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        get_retries: int = 3,
        retry_backoff: float = 0.5,
    ):
        self.base_url = base_url.rstrip("/")
        self.user = user
        self.language = language
        self.tz = ZoneInfo(timezone) if isinstance(timezone, str) else timezone
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.get_retries = max(0, get_retries)
        self.retry_backoff = retry_backoff
        self._session = requests.Session()
        # The password lives only inside the auth object, which has no repr of its own.
        self._session.auth = requests.auth.HTTPBasicAuth(user, password)
        self._session.headers.update({"Accept": "application/json", "Accept-Language": language})

    @classmethod
    def from_settings(cls, settings: Any, base_url: str | None = None) -> MessagingClient:
        """A client for `settings.api_url`, or for `base_url` (the embedded sandbox's address)."""
        url = base_url or settings.api_url
        if not url:
            raise ValueError("No platform address: MESSAGING_API_URL is unset and no sandbox address was given")
        return cls(
            url,
            settings.api_user,
            settings.api_password,
            language=settings.language,
            timezone=settings.timezone,
        )

    def __repr__(self) -> str:
        return f"MessagingClient(base_url={self.base_url!r}, user={self.user!r}, language={self.language!r})"

    __str__ = __repr__

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> MessagingClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ---- the two endpoints -------------------------------------------------------------------

    def send_messages(
        self,
        template_id: int,
        recipients: Sequence[Recipient | Mapping[str, Any]],
        schedule_date: datetime | None = None,
    ) -> SendResult:
        """POST /api/SendMessages once. Never retried: see OutcomeUnknown."""
        body: dict[str, Any] = {"templateId": int(template_id)}
        if schedule_date is not None:
            body["scheduleDate"] = self.format_schedule_date(schedule_date)
        body["recipients"] = [r.to_json() if isinstance(r, Recipient) else dict(r) for r in recipients]
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        response = self._request("POST", "/api/SendMessages", data=data)
        try:
            self._raise_for_status(response, not_found=f"The platform has no template {template_id}")
        except PlatformServerError as exc:
            # A gateway error or timeout may come after the gateway passed the send on to the platform.
            exc.maybe_delivered = exc.http_status in MAYBE_FORWARDED_STATUSES
            raise
        payload = self._json_or_raise(response, post=True)
        try:
            return SendResult.from_json(payload, self.tz)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise OutcomeUnknown(
                "The platform accepted the send but its answer has no dispatch number, "
                "so it is unknown whether the messages went out",
                http_status=response.status_code,
            ) from None

    def get_dispatch(self, dispatch_id: int) -> Dispatch:
        """GET /api/Dispatches/{id}, retried with backoff on connection errors and 502/503/504."""

        def attempt() -> Dispatch:
            response = self._request("GET", f"/api/Dispatches/{int(dispatch_id)}")
            self._raise_for_status(response, not_found=f"No dispatch {dispatch_id} on the platform")
            payload = self._json_or_raise(response, post=False)
            try:
                return Dispatch.from_json(payload, self.tz)
            except (KeyError, TypeError, ValueError, AttributeError):
                raise PlatformServerError(
                    f"The platform's answer about dispatch {dispatch_id} is not a dispatch",
                    http_status=response.status_code,
                ) from None

        return self._with_retries(attempt)

    def check_connection(self) -> ConnectionStatus:
        """One quick GET of dispatch 0 (which cannot exist), without retries.
        404 means reachable and authenticated; 401/403 means reachable, credentials refused."""
        where = self.base_url
        try:
            response = self._request("GET", "/api/Dispatches/0", read_timeout=min(self.read_timeout, 10.0))
        except PlatformUnreachable as exc:
            return ConnectionStatus(False, None, str(exc))
        except OutcomeUnknown:
            return ConnectionStatus(False, None, f"The platform at {where} did not answer in time")
        status = response.status_code
        if status in (401, 403):
            return ConnectionStatus(True, False, str(AuthenticationError(self.user, http_status=status)))
        if status < 500 and _json_body(response) is not None:
            return ConnectionStatus(True, True, f"Connected to {where} as {self.user}")
        return ConnectionStatus(True, None, f"The platform at {where} answered {_status_text(response)}")

    def ping(self) -> bool:
        return self.check_connection().ok

    @staticmethod
    def _tz_aware(value: datetime, tz: ZoneInfo) -> datetime:
        return value if value.tzinfo is not None else value.replace(tzinfo=tz)

    def format_schedule_date(self, value: datetime) -> str:
        """ISO 8601 with offset, in the console's time zone; a naive time is read in that zone."""
        return self._tz_aware(value, self.tz).astimezone(self.tz).replace(microsecond=0).isoformat()

    # ---- transport ---------------------------------------------------------------------------

    def _request(
        self, method: str, path: str, *, data: bytes | None = None, read_timeout: float | None = None
    ) -> requests.Response:
        url = self.base_url + path
        headers = {"Content-Type": "application/json; charset=utf-8"} if data is not None else None
        started = time.monotonic()
        try:
            response = self._session.request(
                method,
                url,
                data=data,
                headers=headers,
                timeout=(self.connect_timeout, read_timeout or self.read_timeout),
            )
            response.content  # noqa: B018 - read the whole body now, so a cut-off answer fails here
        except requests.exceptions.RequestException as exc:
            raise self._transport_error(exc, method, path) from None
        log.debug("%s %s -> %s in %.0f ms", method, path, response.status_code, 1000 * (time.monotonic() - started))
        return response

    def _transport_error(self, exc: requests.exceptions.RequestException, method: str, path: str) -> PlatformError:
        where = self.base_url
        log.info("%s %s failed: %s", method, path, type(exc).__name__)
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return PlatformUnreachable(
                f"Could not connect to the platform at {where} within {self.connect_timeout:g} s"
            )
        if isinstance(exc, requests.exceptions.ReadTimeout):
            return OutcomeUnknown(
                f"The platform at {where} received the request but did not answer within "
                f"{self.read_timeout:g} s; it may or may not have acted on it"
            )
        if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
            return PlatformUnreachable(f"The platform address {where} is not a valid web address")
        if _never_sent(exc):
            return PlatformUnreachable(f"Could not reach the platform at {where} ({_reason(exc)})")
        return OutcomeUnknown(
            f"The connection to the platform at {where} broke after the request was sent; "
            "it may or may not have acted on it"
        )

    def _with_retries(self, attempt: Callable[[], T]) -> T:
        for retry in range(self.get_retries + 1):
            try:
                return attempt()
            except (PlatformUnreachable, OutcomeUnknown, PlatformServerError) as exc:
                retryable = not isinstance(exc, PlatformServerError) or exc.http_status in RETRYABLE_GET_STATUSES
                if not retryable or retry == self.get_retries:
                    raise
                delay = self.retry_backoff * (2**retry)
                log.info("GET failed (%s); retry %d of %d in %.1f s", exc, retry + 1, self.get_retries, delay)
                time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    # ---- answers -----------------------------------------------------------------------------

    def _raise_for_status(self, response: requests.Response, *, not_found: str) -> None:
        status = response.status_code
        if status < 400:
            return
        if status in (401, 403):
            body = _json_body(response)
            raise AuthenticationError(self.user, http_status=status, error_code=_error_code(body))
        body = _json_body(response)
        if body is None:
            raise PlatformServerError(
                f"The platform answered {_status_text(response)} with a page that is not JSON", http_status=status
            )
        error, code = _error_text(body), _error_code(body)
        said = f": {error}" if error else ""
        code_text = f" (error code {code})" if code is not None else ""
        if status == 404:
            raise NotFoundError(not_found, http_status=404, error_code=code)
        if status < 500:
            raise RequestRejected(
                f"The platform refused the request{said}{code_text}", http_status=status, error_code=code
            )
        raise PlatformServerError(
            f"The platform had a problem ({_status_text(response)}){said}{code_text}",
            http_status=status,
            error_code=code,
        )

    def _json_or_raise(self, response: requests.Response, *, post: bool) -> dict[str, Any]:
        body = _json_body(response)
        if isinstance(body, dict):
            return body
        message = f"The platform answered {_status_text(response)} with a page that is not JSON"
        if post:
            # It said 2xx to a send: the messages may well be going out.
            raise OutcomeUnknown(
                message + "; it is unknown whether the messages went out", http_status=response.status_code
            )
        raise PlatformServerError(message, http_status=response.status_code)


def _json_body(response: requests.Response) -> Any:
    try:
        return json.loads(response.content.decode(response.encoding or "utf-8", errors="strict"))
    except (ValueError, UnicodeDecodeError, LookupError):
        return None


def _error_text(body: Any) -> str:
    if isinstance(body, dict):
        for key in ("error", "message", "Message"):
            if isinstance(body.get(key), str) and body[key].strip():
                return body[key].strip().rstrip(".")
    return ""


def _error_code(body: Any) -> int | None:
    if isinstance(body, dict):
        try:
            return int(body["errorCode"])
        except (KeyError, TypeError, ValueError):
            return None
    return None


def _status_text(response: requests.Response) -> str:
    try:
        phrase = http.HTTPStatus(response.status_code).phrase
    except ValueError:
        phrase = response.reason or ""
    return f"{response.status_code} {phrase}".strip()


def _never_sent(exc: BaseException) -> bool:
    """True when the failure happened before any byte of the request left: refused, DNS, TLS, proxy."""
    if isinstance(exc, requests.exceptions.ProxyError | requests.exceptions.SSLError):
        return True
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError):
            return True
        if isinstance(current, urllib3.exceptions.MaxRetryError):
            current = current.reason
            continue
        nested = [a for a in getattr(current, "args", ()) if isinstance(a, BaseException)]
        current = nested[0] if nested else (current.__cause__ or current.__context__)
    return False


def _reason(exc: BaseException) -> str:
    text = str(exc).lower()
    if "name or service not known" in text or "nameresolution" in text or "failed to resolve" in text:
        return "the address was not found"
    if "refused" in text:
        return "connection refused"
    return "no connection"
