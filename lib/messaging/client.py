"""The one HTTP client for the platform's Messaging API (and the sandbox, which speaks the same).

The API has no idempotency, so a POST /api/SendMessages that reaches the platform twice messages
every customer twice. What each answer to a POST means, decided once here:

- Nothing repeats a POST: not our code, not requests (redirects are never followed: every request
  is sent with allow_redirects=False, and the session finds no redirect target in any answer), not
  urllib3 (the adapter's Retry allows 0 retries of any kind, redirects and statuses included).
- Connection refused, name not found, TLS failure, connect timeout: `PlatformUnreachable` (the
  request certainly did not leave; safe to send later).
- 2xx with a dispatch that is a whole JSON number from 1 to 2**63 - 1: a `SendResult`. Anything
  else as the dispatch (missing, null, true, 180001.0, "180001", -1, 0) or a body that is not a
  JSON object: `OutcomeUnknown`. Figures that are missing or do not add up are kept as received
  and flagged on the result (`SendResult.inconsistency`), never "corrected".
- 3xx (a redirect, 307/308 included): `OutcomeUnknown`. Something between us and the platform
  answered instead of the platform; it may have passed the send on first.
- 401/403 `AuthenticationError`, 404 `NotFoundError`, other 4xx `RequestRejected`: the platform
  refused the request before acting on it.
- 5xx, 502/503/504 included: `OutcomeUnknown`, because a platform (or gateway) that fails may have
  created the dispatch first. The one exception is the platform's own refusal of this request's
  body: a JSON body `{"error": "<text>", "errorCode": 2}` (2 = "No object was posted or posted
  object could not be parsed", the one code the platform documents as a refusal before acting;
  see REFUSED_BEFORE_ACTING). That is a `PlatformServerError` with maybe_delivered False. Code 18
  ("already exists") and every undocumented code stay unknown.
- Read timeout, connection dropped after the request was sent, an answer cut short, or the
  request deadline passed: `OutcomeUnknown`.

Every request has a total deadline (`request_deadline`, CONSOLE_REQUEST_DEADLINE_SECONDS): connect,
send and the whole answer. Socket timeouts alone cannot enforce it (an answer dripping one byte
every few seconds never trips a read timeout), so the body is streamed and the deadline checked
before every read, and a watchdog timer shuts the connection's socket down when the deadline
passes, which also cuts a wait for headers that arrive a byte at a time.

GET /api/Dispatches/{id} is retried with backoff on connection errors, timeouts (the deadline
included) and 502/503/504; a GET has no side effects.

Every request says which language its reader reads (Accept-Language: the language the edge set with
`i18n.use`, or the one the worker posts a send in), so the platform's own error texts come back in it.
"""

from __future__ import annotations

import contextlib
import http
import http.client
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import requests
import urllib3.connection
import urllib3.connectionpool
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from lib import i18n
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
# The platform's error codes that mean "refused before acting" even on a 5xx (see the module docstring).
REFUSED_BEFORE_ACTING = frozenset({2})
DEFAULT_REQUEST_DEADLINE = 90.0
READ_SIZE = 64 * 1024
T = TypeVar("T")

# urllib3 repeats nothing: no retry after a connection error, a read error, a status or a redirect.
NO_RETRIES = Retry(
    total=0,
    connect=0,
    read=False,  # a read error is raised as it is (requests then says ReadTimeout), never retried
    redirect=0,
    status=0,
    other=0,
    status_forcelist=frozenset(),
    raise_on_redirect=False,
    raise_on_status=False,
    respect_retry_after_header=False,
)


@dataclass(frozen=True)
class ConnectionStatus:
    """What the Home page shows: can we reach the platform, and does it accept our credentials?"""

    reachable: bool
    authenticated: bool | None  # None: could not tell
    message: i18n.Msg | str  # put into words by the page that shows it, in its reader's language

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
        language: str | None = None,
        timezone: ZoneInfo | str = "Europe/Athens",
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        get_retries: int = 3,
        retry_backoff: float = 0.5,
        request_deadline: float = DEFAULT_REQUEST_DEADLINE,
    ):
        self.base_url = base_url.rstrip("/")
        self.user = user
        # None: each request asks for the reader's language (i18n.current()); a language pins it.
        self.language = language
        self.tz = ZoneInfo(timezone) if isinstance(timezone, str) else timezone
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.get_retries = max(0, get_retries)
        self.retry_backoff = retry_backoff
        if not request_deadline > 0:
            raise ValueError("request_deadline must be more than 0 seconds")
        self.request_deadline = request_deadline
        self._session = _NoRedirectSession()
        adapter = _NoRepeatAdapter()
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        # The password lives only inside the auth object, which has no repr of its own.
        self._session.auth = requests.auth.HTTPBasicAuth(user, password)
        self._session.headers.update({"Accept": "application/json"})
        if language:
            self._session.headers["Accept-Language"] = language

    @classmethod
    def from_settings(cls, settings: Any, base_url: str | None = None) -> MessagingClient:
        """A client for `settings.api_url`, or for `base_url` (the embedded sandbox's address)."""
        url = base_url or settings.api_url
        if not url:
            raise ValueError(i18n.t("messaging.error.no_address"))
        return cls(  # its language follows the reader's (i18n.current(), CONSOLE_LANGUAGE by default)
            url,
            settings.api_user,
            settings.api_password,
            timezone=settings.timezone,
            request_deadline=getattr(settings, "request_deadline_seconds", DEFAULT_REQUEST_DEADLINE),
        )

    def __repr__(self) -> str:
        return f"MessagingClient(base_url={self.base_url!r}, user={self.user!r}, language={self.language!r})"

    def request_language(self) -> str:
        """The Accept-Language of a request made now: the pinned language, else the reader's."""
        return self.language or i18n.current()

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
        self._raise_for_post_status(response)
        self._raise_for_status(response, not_found=i18n.Msg("messaging.error.no_template", template=str(int(template_id))))
        payload = self._json_or_raise(response, post=True)
        try:
            return SendResult.from_json(
                payload, self.tz, posted=len(body["recipients"]), answer_text=_body_text(response)
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise OutcomeUnknown(
                i18n.Msg("messaging.error.no_dispatch_number"), http_status=response.status_code
            ) from None

    def _raise_for_post_status(self, response: requests.Response) -> None:
        """The answers to a POST that leave it open whether the platform acted (module docstring)."""
        status = response.status_code
        if 300 <= status < 400:
            raise OutcomeUnknown(
                i18n.Msg("messaging.error.send_redirected", status=_status_text(response)), http_status=status
            )
        if status < 500:
            return
        body = _json_body(response)
        code = _error_code(body)
        if code in REFUSED_BEFORE_ACTING and _error_text(body):
            return  # the platform's own refusal of this body: _raise_for_status says so
        error, status_text = _error_text(body), _status_text(response)
        message = (i18n.Msg("messaging.error.send_problem_said", status=status_text, error=error) if error
                   else i18n.Msg("messaging.error.send_problem", status=status_text))  # fmt: skip
        raise OutcomeUnknown(message, http_status=status, error_code=code)

    def get_dispatch(self, dispatch_id: int) -> Dispatch:
        """GET /api/Dispatches/{id}, retried with backoff on connection errors and 502/503/504."""

        def attempt() -> Dispatch:
            response = self._request("GET", f"/api/Dispatches/{int(dispatch_id)}")
            self._raise_for_status(response, not_found=i18n.Msg("messaging.error.no_dispatch", dispatch=str(int(dispatch_id))))
            payload = self._json_or_raise(response, post=False)
            try:
                return Dispatch.from_json(payload, self.tz)
            except (KeyError, TypeError, ValueError, AttributeError):
                raise PlatformServerError(
                    i18n.Msg("messaging.error.not_a_dispatch", dispatch=str(int(dispatch_id))),
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
            return ConnectionStatus(False, None, exc.message)
        except OutcomeUnknown:
            return ConnectionStatus(False, None, i18n.Msg("messaging.connection.no_answer", where=where))
        status = response.status_code
        if status in (401, 403):
            return ConnectionStatus(True, False, AuthenticationError(self.user, http_status=status).message)
        if 300 <= status < 400:  # never followed: a send there would be answered by whatever redirects
            return ConnectionStatus(
                True, None, i18n.Msg("messaging.connection.redirected", where=where, status=_status_text(response))
            )
        if status < 500 and _json_body(response) is not None:
            return ConnectionStatus(True, True, i18n.Msg("messaging.connection.ok", where=where, user=self.user))
        return ConnectionStatus(
            True, None, i18n.Msg("messaging.connection.answered", where=where, status=_status_text(response))
        )

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
        """One request, read to its last byte within the deadline; raises a PlatformError otherwise."""
        url = self.base_url + path
        headers = {"Accept-Language": self.request_language()}
        if data is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        read_timeout = read_timeout or self.read_timeout
        response: requests.Response | None = None
        with _Deadline(self.request_deadline) as deadline:
            try:
                response = self._session.request(
                    method,
                    url,
                    data=data,
                    headers=headers,
                    timeout=(min(self.connect_timeout, deadline.left()), min(read_timeout, deadline.left())),
                    allow_redirects=False,
                    stream=True,
                )
                _read_body(response, deadline)
            except requests.exceptions.RequestException as exc:
                raise self._transport_error(exc, method, path, deadline, read_timeout) from None
            except (_DeadlinePassed, urllib3.exceptions.HTTPError, http.client.HTTPException, OSError) as exc:
                if response is not None:
                    response.close()  # the connection is in an unknown state: never reused
                raise self._transport_error(exc, method, path, deadline, read_timeout) from None
        log.debug("%s %s -> %s in %.0f ms", method, path, response.status_code, 1000 * deadline.elapsed())
        return response

    def _transport_error(
        self, exc: BaseException, method: str, path: str, deadline: _Deadline, read_timeout: float
    ) -> PlatformError:
        where = self.base_url
        log.info("%s %s failed: %s", method, path, type(exc).__name__)
        # A send's sentences add that the messages may or may not have gone out.
        kind = "send" if method == "POST" else "get"
        if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
            return PlatformUnreachable(i18n.Msg("messaging.error.bad_address", where=where))
        if deadline.passed or isinstance(exc, _DeadlinePassed):
            key = "messaging.error.send_deadline" if kind == "send" else "messaging.error.get_deadline"
            return OutcomeUnknown(i18n.Msg(key, where=where, seconds=_seconds(self.request_deadline)))
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return PlatformUnreachable(
                i18n.Msg("messaging.error.connect_timeout", where=where, seconds=_seconds(self.connect_timeout))
            )
        if isinstance(exc, requests.exceptions.ReadTimeout | urllib3.exceptions.ReadTimeoutError | TimeoutError):
            key = "messaging.error.send_read_timeout" if kind == "send" else "messaging.error.get_read_timeout"
            return OutcomeUnknown(i18n.Msg(key, where=where, seconds=_seconds(read_timeout)))
        if isinstance(exc, requests.exceptions.RequestException) and _never_sent(exc):
            return PlatformUnreachable(i18n.Msg(_reason(exc), where=where))
        key = "messaging.error.send_connection_broke" if kind == "send" else "messaging.error.get_connection_broke"
        return OutcomeUnknown(i18n.Msg(key, where=where))

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

    def _raise_for_status(self, response: requests.Response, *, not_found: i18n.Msg) -> None:
        status = response.status_code
        if status < 400:
            return
        if status in (401, 403):
            body = _json_body(response)
            raise AuthenticationError(self.user, http_status=status, error_code=_error_code(body))
        body = _json_body(response)
        if body is None:
            raise PlatformServerError(
                i18n.Msg("messaging.error.not_json", status=_status_text(response)), http_status=status
            )
        error, code = _error_text(body), _error_code(body)
        if status == 404:
            raise NotFoundError(not_found, http_status=404, error_code=code)
        # The platform's own words (`error`, in the language asked for) are kept as it wrote them.
        said = {"error": error} if error else {}
        if code is not None:
            said["code"] = str(code)  # an identifier, not a quantity: never "1,002"
        variant = "_".join(("said",) * bool(error) + ("code",) * (code is not None))
        if status < 500:
            key = {"": "messaging.error.refused", "said": "messaging.error.refused_said",
                   "code": "messaging.error.refused_code", "said_code": "messaging.error.refused_said_code"}[variant]
            raise RequestRejected(i18n.Msg(key, **said), http_status=status, error_code=code)
        key = {"": "messaging.error.problem", "said": "messaging.error.problem_said",
               "code": "messaging.error.problem_code", "said_code": "messaging.error.problem_said_code"}[variant]
        raise PlatformServerError(
            i18n.Msg(key, status=_status_text(response), **said), http_status=status, error_code=code
        )

    def _json_or_raise(self, response: requests.Response, *, post: bool) -> dict[str, Any]:
        body = _json_body(response)
        if isinstance(body, dict):
            return body
        status = _status_text(response)
        if post:
            # It said 2xx to a send: the messages may well be going out.
            raise OutcomeUnknown(i18n.Msg("messaging.error.send_not_json", status=status), http_status=response.status_code)
        raise PlatformServerError(i18n.Msg("messaging.error.not_json", status=status), http_status=response.status_code)


class _DeadlinePassed(Exception):
    """The request's total deadline passed between two reads of its answer."""


class _Deadline:
    """The total deadline of one request. While active (a `with` block on the calling thread), the
    connection the request uses registers itself here; when the deadline passes, a timer thread shuts
    that connection's socket down, which wakes any read or write blocked on it (a wait for headers
    included). Shutdown, not close: close() does not interrupt a recv() blocked in another thread."""

    _active = threading.local()

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.started = time.monotonic()
        self.passed = False
        self._connection: urllib3.connection.HTTPConnection | None = None
        self._finished = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True

    @classmethod
    def current(cls) -> _Deadline | None:
        return getattr(cls._active, "deadline", None)

    def left(self) -> float:
        return max(0.001, self.seconds - self.elapsed())

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def check(self) -> None:
        if self.elapsed() >= self.seconds:
            self.passed = True
            raise _DeadlinePassed

    def attach(self, connection: urllib3.connection.HTTPConnection) -> None:
        with self._lock:
            self._connection = connection
            if self.passed:
                _shut_down(connection)

    def _cut(self) -> None:
        with self._lock:
            if self._finished:
                return
            self.passed = True
            if self._connection is not None:
                _shut_down(self._connection)

    def __enter__(self) -> _Deadline:
        self._active.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()
        with self._lock:
            self._finished = True
        self._active.deadline = None


def _shut_down(connection: urllib3.connection.HTTPConnection) -> None:
    sock = getattr(connection, "sock", None)
    if sock is None:
        return
    # socket.socket's own shutdown: SSLSocket.shutdown would also drop its TLS state under a reader.
    with contextlib.suppress(OSError):  # already closed
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _WatchedHTTPConnection(urllib3.connection.HTTPConnection):
    """A connection that puts itself under the current request's deadline before connecting and sending."""

    def connect(self) -> None:
        _watch(self)
        super().connect()
        _watch(self)  # now with a socket: cut at once if the deadline passed while connecting

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(urllib3.connection.HTTPSConnection):
    def connect(self) -> None:
        _watch(self)
        super().connect()
        _watch(self)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self)
        super().request(*args, **kwargs)


def _watch(connection: urllib3.connection.HTTPConnection) -> None:
    deadline = _Deadline.current()
    if deadline is not None:
        deadline.attach(connection)


class _WatchedHTTPConnectionPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSConnectionPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_WATCHED_POOLS = {"http": _WatchedHTTPConnectionPool, "https": _WatchedHTTPSConnectionPool}


class _NoRedirectSession(requests.Session):
    """A session that sees no redirect target in any answer, so it can never follow one, whatever
    allow_redirects says (every request also passes allow_redirects=False)."""

    def get_redirect_target(self, resp: requests.Response) -> None:
        return None


class _NoRepeatAdapter(HTTPAdapter):
    """requests' adapter with urllib3 retries off (NO_RETRIES) and every connection under a deadline."""

    def __init__(self) -> None:
        super().__init__(max_retries=NO_RETRIES)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_WATCHED_POOLS)

    def proxy_manager_for(self, *args: Any, **kwargs: Any):
        manager = super().proxy_manager_for(*args, **kwargs)
        manager.pool_classes_by_scheme = dict(_WATCHED_POOLS)
        return manager


def _read_body(response: requests.Response, deadline: _Deadline) -> None:
    """Read the whole answer in pieces, checking the deadline before each; the watchdog cuts a read
    that blocks past it. Leaves the body where requests keeps it (`response.content`)."""
    pieces = []
    while True:
        deadline.check()
        piece = response.raw.read1(READ_SIZE, decode_content=True)
        if not piece:
            break
        pieces.append(piece)
    response._content = b"".join(pieces)  # noqa: SLF001 - requests' own slot for a body read in full
    response._content_consumed = True  # noqa: SLF001
    response.close()  # returns the connection to the pool (the body was read in full)


def _body_text(response: requests.Response) -> str:
    return response.content.decode(response.encoding or "utf-8", errors="replace")


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
    """The sentence for a request that never left, by why: the address not found, refused, no connection."""
    text = str(exc).lower()
    if "name or service not known" in text or "nameresolution" in text or "failed to resolve" in text:
        return "messaging.error.unreachable_not_found"
    if "refused" in text:
        return "messaging.error.unreachable_refused"
    return "messaging.error.unreachable"


def _seconds(value: float) -> int | float:
    """5.0 -> 5 (said "5 s"), 0.5 stays 0.5."""
    return int(value) if float(value).is_integer() else value
