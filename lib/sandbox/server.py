"""The sandbox platform: a Starlette app speaking the contract's two endpoints, run by uvicorn.

Error codes (the platform documents 2 and 18; the rest are the sandbox's own, stable for tests):
1 authentication, 2 body not a JSON object, 3 required field missing, 4 field has a wrong type or
value, 5 unknown template, 6 empty recipients, 7 unknown dispatch, 8 unknown endpoint,
18 uniqueId repeated within the call.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from lib.messaging.models import parse_platform_datetime
from lib.sandbox.store import DispatchStore, ValidRecipient
from lib.sandbox.validation import is_valid_email, is_valid_mobile
from lib.templates import SHIPPED_CATALOG, CatalogError, Template, load_catalog

log = logging.getLogger(__name__)

KNOBS = ("response_delay_seconds", "step_seconds", "error_template_ids")
MAX_ID = 2**63 - 1  # ids are 64-bit on the platform (and in SQLite)
SCHEDULE_HORIZON = timedelta(days=366)  # the sandbox refuses schedules further ahead than this
EARLIEST_SCHEDULE = datetime(2000, 1, 1, tzinfo=UTC)  # a past date sends now (the contract's sample is 2016)
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


@dataclass(frozen=True)
class SandboxConfig:
    host: str = "127.0.0.1"
    port: int = 8765  # 0: any free port
    user: str = "demo"
    password: str = field(default="demo", repr=False)
    templates_path: Path = SHIPPED_CATALOG
    data_dir: Path = Path("data/sandbox")
    allowed_countries: tuple[str, ...] = ("GR",)
    step_seconds: float = 2.0  # time between lifecycle steps Draft -> Pending -> Queued
    response_delay_seconds: float = 0.0  # delay before answering SendMessages (after the dispatch exists)
    error_template_ids: frozenset[int] = frozenset()  # dispatches of these templates end in Error
    timezone: str = "Europe/Athens"


# (English, Greek) for every message the sandbox can answer with.
MESSAGES: dict[str, tuple[str, str]] = {
    "auth": (
        "Authorization has been denied for this request",
        "Δεν επιτρέπεται η πρόσβαση: λάθος όνομα χρήστη ή κωδικός",
    ),
    "parse": (
        "No object was posted or posted object could not be parsed",
        "Δεν στάλθηκε αντικείμενο ή το αντικείμενο δεν μπόρεσε να αναγνωστεί",
    ),
    "required": ("{field} is required", "Το πεδίο {field} είναι υποχρεωτικό"),
    "invalid": ("{field} is not valid: {value}", "Το πεδίο {field} δεν είναι έγκυρο: {value}"),
    "template": ("Template {id} was not found", "Το πρότυπο {id} δεν βρέθηκε"),
    "empty": (
        "recipients must contain at least one recipient",
        "Η λίστα recipients πρέπει να έχει τουλάχιστον έναν παραλήπτη",
    ),
    "not_object": ("Recipient {n} is not an object", "Ο παραλήπτης {n} δεν είναι αντικείμενο"),
    "no_unique_id": ("Recipient {n} has no uniqueId", "Ο παραλήπτης {n} δεν έχει uniqueId"),
    "duplicate": (
        "uniqueId {id} appears more than once in this call",
        "Το uniqueId {id} εμφανίζεται περισσότερες από μία φορές σε αυτή την κλήση",
    ),
    "dispatch": ("Dispatch {id} was not found", "Η αποστολή {id} δεν βρέθηκε"),
    "route": ("There is no {method} {path} on this server", "Δεν υπάρχει {method} {path} σε αυτόν τον διακομιστή"),
}
ERROR_CODES = {
    "auth": 1, "parse": 2, "required": 3, "invalid": 4, "template": 5, "empty": 6, "not_object": 4,
    "no_unique_id": 3, "duplicate": 18, "dispatch": 7, "route": 8,
}  # fmt: skip


class ApiError(Exception):
    def __init__(self, status: int, key: str, **params: Any):
        super().__init__(key)
        self.status, self.key, self.params = status, key, params


def _language(request: Request) -> int:
    """0 for English, 1 for Greek, from the first tag of Accept-Language."""
    first = request.headers.get("accept-language", "en").split(",")[0].split(";")[0].strip().lower()
    return 1 if first.startswith("el") else 0


def _error_response(request: Request, error: ApiError) -> JSONResponse:
    text = MESSAGES[error.key][_language(request)].format(**error.params)
    # The client's own text is echoed back: a lone surrogate in it must not make the answer unencodable.
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    headers = {"WWW-Authenticate": 'Basic realm="sandbox"'} if error.status == 401 else None
    return JSONResponse({"error": text, "errorCode": ERROR_CODES[error.key]}, error.status, headers=headers)


class Sandbox:
    """The app's state: config (with live knobs), the dispatch store and the template catalog."""

    def __init__(self, config: SandboxConfig):
        self._config = config
        self._config_lock = threading.Lock()
        self.tz = ZoneInfo(config.timezone)
        self.store = DispatchStore(Path(config.data_dir), self.tz)
        self._catalog: tuple[tuple[Path, int], dict[int, Template]] | None = None
        self.app = self._build_app()

    @property
    def config(self) -> SandboxConfig:
        return self._config

    def set_knobs(self, **knobs: Any) -> None:
        unknown = set(knobs) - set(KNOBS)
        if unknown:
            raise TypeError(f"Not a sandbox knob: {', '.join(sorted(unknown))} (knobs: {', '.join(KNOBS)})")
        if "error_template_ids" in knobs:
            knobs["error_template_ids"] = frozenset(int(i) for i in knobs["error_template_ids"])
        with self._config_lock:
            self._config = replace(self._config, **knobs)

    def templates(self) -> dict[int, Template]:
        """The catalog, re-read when the file changes (the Templates page edits the same file)."""
        path = Path(self.config.templates_path)
        try:
            key = (path, path.stat().st_mtime_ns)
        except OSError:
            key = (path, -1)
        with self._config_lock:
            return self._load_catalog(path, key)

    def _load_catalog(self, path: Path, key: tuple[Path, int]) -> dict[int, Template]:
        if self._catalog is None or self._catalog[0] != key:
            try:
                self._catalog = (key, {t.id: t for t in load_catalog(path)})
            except (OSError, CatalogError) as exc:
                log.warning("Sandbox cannot read the template catalog %s: %s", path, exc)
                if self._catalog is None:
                    self._catalog = (key, {})
        return self._catalog[1]

    # ---- HTTP --------------------------------------------------------------------------------

    def _build_app(self) -> Starlette:
        async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
            assert isinstance(exc, HTTPException)
            return _error_response(
                request, ApiError(exc.status_code, "route", method=request.method, path=request.url.path)
            )

        return Starlette(
            routes=[
                Route("/api/SendMessages", self._guard(self.send_messages), methods=["POST"]),
                Route("/api/Dispatches/{dispatch_id}", self._guard(self.get_dispatch), methods=["GET"]),
            ],
            exception_handlers={HTTPException: on_http_error},
        )

    def _guard(self, handler: Callable[[Request], Any]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> JSONResponse:
            try:
                self._authenticate(request)
                return await handler(request)
            except ApiError as error:
                return _error_response(request, error)

        return endpoint

    def _authenticate(self, request: Request) -> None:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise ApiError(401, "auth") from None
        config = self.config
        user_ok = secrets.compare_digest(user.encode(), config.user.encode())
        password_ok = secrets.compare_digest(password.encode(), config.password.encode())
        if scheme.lower() != "basic" or not (user_ok and password_ok):
            raise ApiError(401, "auth")

    async def send_messages(self, request: Request) -> JSONResponse:
        config = self.config  # one consistent set of knobs for this request
        raw = await request.body()
        # Parsing and validating 10k recipients takes a while: keep the event loop free for other calls.
        answer = await run_in_threadpool(self._accept, raw, config)
        if config.response_delay_seconds > 0:  # after the dispatch exists: "maybe delivered" for the client
            await asyncio.sleep(config.response_delay_seconds)
        return JSONResponse(answer)

    def _accept(self, raw: bytes, config: SandboxConfig) -> dict[str, Any]:
        """Validate a SendMessages body, store the dispatch, and return the answer (or raise ApiError)."""
        try:
            body = json.loads(raw.decode("utf-8-sig"))
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "parse") from None
        if not isinstance(body, dict) or (_SURROGATE_ESCAPE.search(raw) and _has_lone_surrogate(body)):
            raise ApiError(400, "parse")
        template_id = _template_id(body)
        if "recipients" not in body or body["recipients"] is None:
            raise ApiError(400, "required", field="recipients")
        if not isinstance(body["recipients"], list):
            raise ApiError(400, "invalid", field="recipients", value="not a list")
        schedule = self._schedule_date(body.get("scheduleDate"))
        template = self.templates().get(template_id)
        if template is None:
            raise ApiError(404, "template", id=template_id)
        if not body["recipients"]:
            raise ApiError(400, "empty")
        recipients = _recipients(body["recipients"])
        channel = template.channel.value
        valid, invalid_emails, invalid_mobiles = _split_valid(recipients, channel, config.allowed_countries)
        now = time.time()
        dispatch_id = self.store.create(
            template_id=template.id,
            channel=channel,
            subject=template.subject,
            body=template.body,
            recipients=valid,
            schedule_at=schedule,
            step_seconds=config.step_seconds,
            fails=template.id in config.error_template_ids,
            now=now,
        )
        send_date = schedule or datetime.fromtimestamp(now, self.tz)
        return {
            "dispatch": dispatch_id,
            "totalRecipients": len(recipients),
            "totalRecipientsSent": len(valid),
            "invalidRecipients": len(recipients) - len(valid),
            "sendDate": send_date.astimezone(self.tz).isoformat(timespec="seconds"),
            "invalidEmails": invalid_emails,
            "invalidMobiles": invalid_mobiles,
        }

    async def get_dispatch(self, request: Request) -> JSONResponse:
        raw = request.path_params["dispatch_id"]
        try:
            dispatch_id = int(raw) if raw.strip().isdecimal() else int("not a number")
        except ValueError:
            raise ApiError(400, "invalid", field="DispatchId", value=raw) from None
        if dispatch_id > MAX_ID:
            raise ApiError(404, "dispatch", id=dispatch_id)
        dispatch = await run_in_threadpool(self.store.get, dispatch_id, time.time())
        if dispatch is None:
            raise ApiError(404, "dispatch", id=dispatch_id)
        return JSONResponse(dispatch)

    def _schedule_date(self, raw: Any) -> datetime | None:
        """The schedule, or 400 for anything that is not a date between 2000 and a year from now (a
        year-9999 date would overflow every later computation of when the dispatch moves)."""
        if raw is None or raw == "":
            return None
        try:
            when = parse_platform_datetime(raw, self.tz) if isinstance(raw, str) else _bad_schedule(raw)
            now = datetime.now(self.tz)
            if when is None or when - now > SCHEDULE_HORIZON or when < EARLIEST_SCHEDULE:
                raise ValueError(raw)
            return when
        except (ValueError, OverflowError):
            raise ApiError(400, "invalid", field="scheduleDate", value=raw) from None

    def outbox(self) -> list[dict[str, Any]]:
        return self.store.outbox(time.time())


def _bad_schedule(raw: Any) -> datetime:
    raise ValueError(raw)


def _template_id(body: dict[str, Any]) -> int:
    raw = body.get("templateId")
    if raw is None:
        raise ApiError(400, "required", field="templateId")
    if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).strip().isdecimal():
        raise ApiError(400, "invalid", field="templateId", value=raw)
    try:
        template_id = int(raw)
    except ValueError:  # more digits than Python converts
        raise ApiError(400, "invalid", field="templateId", value=str(raw)[:40]) from None
    if template_id > MAX_ID:
        raise ApiError(400, "invalid", field="templateId", value=str(raw)[:40])
    return template_id


def _has_lone_surrogate(value: Any) -> bool:
    """True if any string in the parsed body (keys too) holds half of a UTF-16 pair: it is not text, and
    storing or answering with it would fail later. Only looked for when the raw body has such an escape."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _recipients(raw: list[Any]) -> list[dict[str, Any]]:
    """Structural checks on each recipient; unknown fields (the contract's `password`) are ignored."""
    seen: set[str] = set()
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise ApiError(400, "not_object", n=number)
        unique_id = item.get("uniqueId")
        if isinstance(unique_id, bool) or not isinstance(unique_id, str | int) or not str(unique_id).strip():
            raise ApiError(400, "no_unique_id", n=number)
        key = str(unique_id)
        if key in seen:
            raise ApiError(400, "duplicate", id=key)
        seen.add(key)
        if item.get("payload") is not None and not isinstance(item["payload"], dict):
            raise ApiError(400, "invalid", field=f"payload of {key}", value="not an object")
    return raw


def _split_valid(
    recipients: list[dict[str, Any]], channel: str, allowed_countries: tuple[str, ...]
) -> tuple[list[ValidRecipient], list[str], list[dict[str, str]]]:
    valid: list[ValidRecipient] = []
    invalid_emails: list[str] = []
    invalid_mobiles: list[dict[str, str]] = []
    for item in recipients:
        unique_id = str(item["uniqueId"])
        payload = {str(k): "" if v is None else str(v) for k, v in (item.get("payload") or {}).items()}
        if channel == "sms":
            mobile = "" if item.get("mobilePhone") is None else str(item["mobilePhone"])
            if is_valid_mobile(mobile, allowed_countries):
                valid.append(ValidRecipient(unique_id, mobile, payload))
            else:
                invalid_mobiles.append({"uniqueId": unique_id, "mobile": mobile})
        else:
            email = "" if item.get("email") is None else str(item["email"])
            if is_valid_email(email):
                valid.append(ValidRecipient(unique_id, email.strip(), payload))
            else:
                invalid_emails.append(email)
    return valid, invalid_emails, invalid_mobiles


# ---- running it ------------------------------------------------------------------------------


class ServerThread:
    """Any ASGI app served by uvicorn on a background thread; `port=0` picks a free port."""

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int = 0, name: str = "sandbox"):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # proto=IPPROTO_TCP: asyncio only sets TCP_NODELAY on accepted sockets that say so; without it
        # every answer on a kept-alive connection waits ~40 ms for a delayed ACK (Nagle).
        self._socket = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._socket.bind((host, port))
        except OSError as exc:
            self._socket.close()
            raise OSError(f"Cannot listen on {host}:{port} ({exc.strerror}); is another sandbox running?") from None
        self._socket.listen(128)  # accept (into the backlog) from now on, before uvicorn takes over
        self.host, self.port = host, self._socket.getsockname()[1]
        # A long keep-alive: a connection the server drops just as the client reuses it turns a send
        # into "outcome unknown", so idle connections are kept well past the gap between chunks.
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            timeout_keep_alive=60,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name=name, daemon=True
        )

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self, timeout: float = 10.0) -> ServerThread:
        """Start and return once the server accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"The server on {self.url} stopped while starting")
            if time.monotonic() > deadline:
                raise TimeoutError(f"The server on {self.url} did not start within {timeout:g} s")
            time.sleep(0.005)
        with socket.create_connection((self.host, self.port), timeout=timeout):
            pass
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._socket.close()

    def serve_forever(self) -> None:
        """Serve on the calling thread (the command line): uvicorn handles Ctrl-C there."""
        self._server.run(sockets=[self._socket])

    def __enter__(self) -> ServerThread:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class RunningSandbox:
    """A sandbox serving on a background thread. Use as a context manager, or call stop()."""

    def __init__(self, sandbox: Sandbox, server: ServerThread):
        self.sandbox, self.server = sandbox, server

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def config(self) -> SandboxConfig:
        return replace(self.sandbox.config, port=self.server.port)

    def set_knobs(self, **knobs: Any) -> None:
        """Change response_delay_seconds, step_seconds or error_template_ids for later requests."""
        self.sandbox.set_knobs(**knobs)

    def outbox(self) -> list[dict[str, Any]]:
        """Every message delivered so far; due dispatches are brought up to date first."""
        return self.sandbox.outbox()

    def wait_for_outbox(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Poll until the outbox holds at least `count` messages; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            messages = self.outbox()
            if len(messages) >= count:
                return messages
            if time.monotonic() > deadline:
                raise TimeoutError(f"The outbox has {len(messages)} messages after {timeout:g} s, not {count}")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.stop()
        self.sandbox.store.close()

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"RunningSandbox(url={self.url!r}, data_dir={str(self.config.data_dir)!r})"


def build_sandbox(config: SandboxConfig) -> Sandbox:
    known = {f.name for f in fields(SandboxConfig)}
    assert known >= set(KNOBS)
    return Sandbox(config)


def run_sandbox_in_thread(config: SandboxConfig) -> RunningSandbox:
    """Start a sandbox on a background thread; returns once it accepts connections."""
    sandbox = build_sandbox(config)
    try:
        server = ServerThread(sandbox.app, config.host, config.port).start()
    except BaseException:
        sandbox.store.close()
        raise
    return RunningSandbox(sandbox, server)
