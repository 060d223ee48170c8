"""A fault-injecting HTTP proxy on loopback, between a MessagingClient and the real sandbox.

Each test sets the fault; by default it applies to every POST, or only to the POSTs (or GETs)
numbered in `on` (1-based, counted per method since the proxy started). Requests the fault does
not apply to pass straight through. The proxy counts what it forwarded to the sandbox, per method,
so a test can tell "never reached the platform" from "reached it once".

Faults (the rows of issue 10's table):
  PASS                  forward, relay the answer
  REDIRECT_307/308      answer a redirect to the same path on the sandbox, without forwarding
  ERROR_500             forward (the platform acts), then answer 500 with a JSON error
  PARSE_REFUSAL_500     answer 500 with the platform's "could not be parsed" (errorCode 2), without forwarding
  REWRITE               forward, then answer 200 with the sandbox's JSON changed by `rewrite`
  DROP                  forward, then close the connection without answering
  DRIP / DRIP_BODY      forward, then send the answer one byte every `drip_seconds` (from the status
                        line, or from the first byte of the body)
  REFUSE                connections are refused (the listening socket is closed) until `reopen()`
"""

from __future__ import annotations

import contextlib
import enum
import http.client
import http.server
import json
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

HOP_HEADERS = {"host", "connection", "content-length", "keep-alive", "transfer-encoding"}


class Fault(enum.Enum):
    PASS = "pass"
    REDIRECT_307 = "redirect 307"
    REDIRECT_308 = "redirect 308"
    ERROR_500 = "500 after forwarding"
    PARSE_REFUSAL_500 = "500 could-not-parse, not forwarded"
    REWRITE = "200 rewritten after forwarding"
    DROP = "connection dropped after forwarding"
    DRIP = "answer dripped from its first byte"
    DRIP_BODY = "answer body dripped"
    REFUSE = "connection refused"


class FaultProxy:
    def __init__(self, target_url: str, *, drip_seconds: float = 0.2):
        target = urlsplit(target_url)
        self.target_url = target_url.rstrip("/")
        self.target = (target.hostname, target.port)
        self.drip_seconds = drip_seconds
        self.fault = Fault.PASS
        self.method = "POST"
        self.on: set[int] | None = None
        self.rewrite: Callable[[dict[str, Any]], Any] = lambda answer: answer
        self.forwarded: Counter[str] = Counter()  # requests passed on to the sandbox, per method
        self.seen: Counter[str] = Counter()  # requests received, per method
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()  # open client connections (kept alive between requests)
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self._listen()

    # ---- control -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set_fault(
        self,
        fault: Fault,
        *,
        method: str = "POST",
        on: Iterable[int] | None = None,
        rewrite: Callable[[dict[str, Any]], Any] | None = None,
    ) -> None:
        """Apply `fault` to the `on`-th requests of `method` (all of them when None)."""
        with self._lock:
            self.fault, self.method = fault, method
            self.on = None if on is None else set(on)
            if rewrite is not None:
                self.rewrite = rewrite
        if fault is Fault.REFUSE:
            self._close_listener()

    def reopen(self) -> None:
        """Accept connections again on the same port, passing everything through."""
        self.set_fault(Fault.PASS)
        if self._server is None:
            self._listen(self.port)

    def stop(self) -> None:
        self._stopping.set()
        self._close_listener()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ---- serving -------------------------------------------------------------------------------

    def _listen(self, port: int = 0) -> None:
        proxy = self

        class Handler(_Handler):
            owner = proxy

        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler, bind_and_activate=False)
        server.allow_reuse_address = True
        server.daemon_threads = True
        server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.server_bind()
        server.server_activate()
        self._server, self.port = server, server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def _close_listener(self) -> None:
        """Stop listening and cut the kept-alive connections too, so the next request is really refused."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        with self._lock:
            connections, self._connections = list(self._connections), set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def _fault_for(self, method: str) -> Fault:
        with self._lock:
            self.seen[method] += 1
            applies = method == self.method and (self.on is None or self.seen[method] in self.on)
            return self.fault if applies else Fault.PASS

    def forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, str, bytes, str]:
        """Pass one request on to the sandbox; returns its (status, reason, body, content type)."""
        connection = http.client.HTTPConnection(*self.target, timeout=30)
        try:
            connection.request(method, path, body=body or None, headers=headers)
            answer = connection.getresponse()
            data = answer.read()
            with self._lock:
                self.forwarded[method] += 1
            return answer.status, answer.reason, data, answer.getheader("Content-Type", "application/json")
        finally:
            connection.close()


class _Handler(http.server.BaseHTTPRequestHandler):
    owner: FaultProxy
    protocol_version = "HTTP/1.1"  # keep-alive, as the platform does

    def setup(self) -> None:
        super().setup()
        with self.owner._lock:
            self.owner._connections.add(self.connection)

    def finish(self) -> None:
        with self.owner._lock:
            self.owner._connections.discard(self.connection)
        with contextlib.suppress(OSError):  # the client went away mid-answer
            super().finish()

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def log_message(self, *args: object) -> None:
        pass

    def _handle(self, method: str) -> None:
        proxy = self.owner
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
        fault = proxy._fault_for(method)
        if fault in (Fault.REDIRECT_307, Fault.REDIRECT_308):
            code = 307 if fault is Fault.REDIRECT_307 else 308
            return self._answer(code, b"", "text/plain", extra={"Location": proxy.target_url + self.path})
        if fault is Fault.PARSE_REFUSAL_500:
            refusal = {"error": "No object was posted or posted object could not be parsed", "errorCode": 2}
            return self._answer(500, json.dumps(refusal).encode(), "application/json")
        status, reason, data, content_type = proxy.forward(method, self.path, headers, body)
        if fault is Fault.PASS:
            return self._answer(status, data, content_type)
        if fault is Fault.ERROR_500:
            return self._answer(500, b'{"error": "Internal error", "errorCode": 99}', "application/json")
        if fault is Fault.REWRITE:
            rewritten = proxy.rewrite(json.loads(data))
            return self._answer(200, json.dumps(rewritten).encode(), "application/json")
        if fault is Fault.DROP:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return None
        return self._drip(status, reason, data, content_type, from_body=fault is Fault.DRIP_BODY)

    def _answer(self, status: int, data: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _drip(self, status: int, reason: str, data: bytes, content_type: str, *, from_body: bool) -> None:
        """The whole answer, one byte every drip_seconds, until done or the client goes away."""
        self.close_connection = True
        head = (
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n"
        ).encode("latin-1")
        if from_body:
            self.wfile.write(head)
            self.wfile.flush()
            head = b""
        try:
            for byte in (head + data):
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                if self.owner._stopping.wait(self.owner.drip_seconds):
                    return
        except OSError:
            return  # the client cut the connection: what a deadline does


def sandbox_deliveries(sandbox) -> Counter[str]:
    """How many times the sandbox took each uniqueId into a dispatch: its own records (sandbox.db), not ours."""
    import sqlite3

    path = sandbox.sandbox.store.db_path
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return Counter(unique_id for (unique_id,) in db.execute("SELECT unique_id FROM recipients"))


def sandbox_dispatch_count(sandbox) -> int:
    import sqlite3

    path = sandbox.sandbox.store.db_path
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return int(db.execute("SELECT COUNT(*) FROM dispatches").fetchone()[0])
