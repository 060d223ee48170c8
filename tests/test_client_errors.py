"""Every way a call can fail becomes a typed error with a plain sentence, and never leaks the password."""

from __future__ import annotations

import json
import logging
import socket
import threading

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from lib import i18n
from lib.messaging import (
    AuthenticationError,
    MessagingClient,
    NotFoundError,
    OutcomeUnknown,
    PlatformError,
    PlatformServerError,
    PlatformUnreachable,
    Recipient,
    RequestRejected,
)
from lib.sandbox.server import ServerThread

PASSWORD = "Sup3r-Secret-Pa55"
ONE = [Recipient("C1", mobile_phone="6936862208", payload={"Firstname": "Anna", "expirationDate": "1/6"})]
BAD_GATEWAY_PAGE = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"


class ScriptedPlatform:
    """A stand-in for a proxy in front of the platform: answers from a script, counting calls."""

    def __init__(self, answers: list[tuple[int, str]]):
        self.answers, self.calls, self._lock = list(answers), 0, threading.Lock()

    async def handle(self, request: Request):
        with self._lock:
            status, body = self.answers[min(self.calls, len(self.answers) - 1)]
            self.calls += 1
        if body.startswith("{"):
            return JSONResponse(json.loads(body), status)
        return HTMLResponse(body, status)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/api/SendMessages", self.handle, methods=["POST"]),
                Route("/api/Dispatches/{dispatch_id}", self.handle, methods=["GET"]),
            ]
        )


@pytest.fixture
def serve():
    """Start any ASGI app on a free port for this test; returns its URL. Stopped at teardown."""
    servers: list[ServerThread] = []

    def start(app) -> str:
        servers.append(ServerThread(app, name="scripted-platform").start())
        return servers[-1].url

    yield start
    for server in servers:
        server.stop()


def client_for(url: str, password: str = PASSWORD, **kwargs) -> MessagingClient:
    options = {"connect_timeout": 1.0, "read_timeout": 3.0, "get_retries": 2, "retry_backoff": 0.01} | kwargs
    return MessagingClient(url, "demo", password, **options)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_wrong_password_is_an_authentication_error_naming_the_settings(sandbox):
    with pytest.raises(AuthenticationError) as caught:
        client_for(sandbox.url, password="wrong-" + PASSWORD).send_messages(71, ONE)
    error = caught.value
    assert error.http_status == 401 and error.error_code == 1
    assert "MESSAGING_API_USER" in str(error) and "MESSAGING_API_PASSWORD" in str(error)
    assert sandbox.outbox() == []


def test_unknown_dispatch_is_not_found(client):
    with pytest.raises(NotFoundError) as caught:
        client.get_dispatch(999999)
    assert caught.value.http_status == 404
    assert str(caught.value) == "No dispatch 999999 on the platform"


def test_unknown_template_is_not_found(client):
    with pytest.raises(NotFoundError, match="no template 999"):
        client.send_messages(999, ONE)


@pytest.mark.parametrize(
    ("recipients", "code", "words"),
    [
        ([], 6, "at least one recipient"),
        ([{"uniqueId": "A", "mobilePhone": "6936862208"}, {"uniqueId": "A", "mobilePhone": "6936862209"}], 18, "A"),
        ([{"mobilePhone": "6936862208"}], 3, "uniqueId"),
    ],
)
def test_rejected_request_carries_the_platform_error_and_code(client, recipients, code, words):
    with pytest.raises(RequestRejected) as caught:
        client.send_messages(71, recipients)
    error = caught.value
    assert (error.http_status, error.error_code) == (400, code)
    assert words in str(error) and str(error).startswith("The platform refused the request")


def test_greek_accept_language_gives_greek_errors(sandbox):
    greek = MessagingClient(sandbox.url, "demo", "nope", language="el")
    with pytest.raises(AuthenticationError):
        greek.get_dispatch(1)
    raw = greek._session.post(f"{sandbox.url}/api/SendMessages", data=b"not json")
    assert raw.status_code == 401
    body = raw.json()
    assert body["errorCode"] == 1 and "πρόσβαση" in body["error"]


@pytest.mark.parametrize(
    ("lang", "sentence"),
    [
        ("el", "Η πλατφόρμα απέρριψε το αίτημα: Η λίστα recipients πρέπει να έχει τουλάχιστον έναν παραλήπτη "
               "(κωδικός σφάλματος 6)"),
        ("en", "The platform refused the request: recipients must contain at least one recipient (error code 6)"),
    ],
)
def test_a_request_made_while_the_console_is_in_greek_gets_the_platforms_greek_error(client, lang, sentence):
    """No language pinned on the client: each request asks in the language the edge set."""
    with i18n.language(lang), pytest.raises(RequestRejected) as caught:
        client.send_messages(71, [])
    with i18n.language(lang):
        assert str(caught.value) == sentence


def test_the_platforms_words_stay_as_they_came_when_read_in_the_other_language(client):
    with i18n.language("el"), pytest.raises(RequestRejected) as caught:
        client.send_messages(71, [])
    # Read later by someone on the English console: our words in English, the platform's as it wrote them.
    with i18n.language("en"):
        assert str(caught.value) == (
            "The platform refused the request: Η λίστα recipients πρέπει να έχει τουλάχιστον έναν παραλήπτη (error code 6)"
        )


def test_our_own_sentences_about_a_failed_call_are_in_greek_too(client):
    with i18n.language("el"), pytest.raises(NotFoundError) as caught:
        client.get_dispatch(999999)
    with i18n.language("el"):
        assert str(caught.value) == "Δεν υπάρχει παρτίδα 999999 στην πλατφόρμα"


def test_html_bad_gateway_page_on_a_send_is_a_plain_may_or_may_not_not_a_json_traceback(serve):
    proxy = ScriptedPlatform([(502, BAD_GATEWAY_PAGE)])
    url = serve(proxy.app())
    with pytest.raises(OutcomeUnknown) as caught:
        client_for(url).send_messages(71, ONE)
    assert str(caught.value) == (
        "The platform had a problem (502 Bad Gateway) while taking the send; the messages may or may not have gone out"
    )
    assert caught.value.http_status == 502
    assert proxy.calls == 1  # a POST is never retried


def test_get_is_retried_on_gateway_errors_then_succeeds(serve):
    dispatch = '{"dispatchId": 180001, "sendStatusId": 2, "messageTypeId": 1, "createdAt": "2026-01-02T10:00:00.5"}'
    proxy = ScriptedPlatform([(503, BAD_GATEWAY_PAGE), (504, BAD_GATEWAY_PAGE), (200, dispatch)])
    result = client_for(serve(proxy.app())).get_dispatch(180001)
    assert result.dispatch_id == 180001 and result.send_status_id.label == "Pending"
    assert proxy.calls == 3


def test_get_gives_up_after_its_retries(serve):
    proxy = ScriptedPlatform([(503, '{"error": "Service busy", "errorCode": 99}')])
    url = serve(proxy.app())
    with pytest.raises(PlatformServerError, match="Service busy"):
        client_for(url, get_retries=2).get_dispatch(1)
    assert proxy.calls == 3


def test_get_is_not_retried_on_a_plain_server_error(serve):
    proxy = ScriptedPlatform([(500, '{"error": "Boom", "errorCode": 0}')])
    url = serve(proxy.app())
    with pytest.raises(PlatformServerError) as caught:
        client_for(url).get_dispatch(1)
    assert caught.value.error_code == 0 and proxy.calls == 1


def test_read_timeout_on_send_is_outcome_unknown_and_the_send_may_really_have_happened(sandbox):
    sandbox.set_knobs(response_delay_seconds=1.0)
    with pytest.raises(OutcomeUnknown) as caught:
        client_for(sandbox.url, password="sandbox-secret-42", read_timeout=0.3).send_messages(73, ONE)
    assert caught.value.maybe_delivered
    assert "may or may not" in str(caught.value)
    # The sandbox did create the dispatch: exactly why the send engine must never resend blindly.
    assert sandbox.wait_for_outbox(1, timeout=5)[0]["uniqueId"] == "C1"


def test_connection_refused_is_unreachable():
    url = f"http://127.0.0.1:{free_port()}"
    client = client_for(url)
    with pytest.raises(PlatformUnreachable) as caught:
        client.send_messages(71, ONE)
    assert "Could not reach the platform" in str(caught.value) and not caught.value.maybe_delivered
    with pytest.raises(PlatformUnreachable):
        client.get_dispatch(1)


def test_answer_cut_off_mid_body_is_outcome_unknown(serve):
    async def cut_off(scope, receive, send):
        headers = [(b"content-type", b"application/json"), (b"content-length", b"200")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b'{"dispatch": 18', "more_body": True})
        raise ConnectionResetError("simulated: connection dropped mid-answer")

    logging.getLogger("uvicorn.error").disabled = True
    try:
        url = serve(cut_off)
        with pytest.raises(OutcomeUnknown):
            client_for(url).send_messages(71, ONE)
    finally:
        logging.getLogger("uvicorn.error").disabled = False


def test_success_status_with_a_non_json_page_on_send_is_outcome_unknown(serve):
    proxy = ScriptedPlatform([(200, "<html>OK</html>")])
    url = serve(proxy.app())
    with pytest.raises(OutcomeUnknown, match="not JSON"):
        client_for(url).send_messages(71, ONE)


def test_check_connection_tells_reachable_and_authenticated_apart(sandbox):
    good = client_for(sandbox.url, password="sandbox-secret-42").check_connection()
    assert (good.reachable, good.authenticated, good.ok) == (True, True, True)
    refused = client_for(sandbox.url, password="wrong").check_connection()
    assert (refused.reachable, refused.authenticated) == (True, False)
    assert "MESSAGING_API_PASSWORD" in str(refused.message)
    down = client_for(f"http://127.0.0.1:{free_port()}").check_connection()
    assert (down.reachable, down.authenticated) == (False, None)


def test_password_never_appears_in_repr_errors_or_logs(sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    errors: list[PlatformError] = []
    client = client_for(sandbox.url)  # wrong password for this sandbox
    assert PASSWORD not in repr(client) and PASSWORD not in str(client)
    for call in (lambda: client.send_messages(71, ONE), lambda: client.get_dispatch(1)):
        with pytest.raises(PlatformError) as caught:
            call()
        errors.append(caught.value)
    with pytest.raises(PlatformError) as caught:
        client_for(f"http://127.0.0.1:{free_port()}").send_messages(71, ONE)
    errors.append(caught.value)
    status = client.check_connection()
    for text in [*(str(e) for e in errors), *(repr(e) for e in errors), str(status.message), repr(status), caplog.text]:
        assert PASSWORD not in text


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (500, BAD_GATEWAY_PAGE, OutcomeUnknown),
        (500, '{"error": "Internal error", "errorCode": 99}', OutcomeUnknown),
        (500, '{"error": "uniqueId A already exists", "errorCode": 18}', OutcomeUnknown),
        (500, '{"errorCode": 2}', OutcomeUnknown),  # no sentence of its own: not the platform's refusal
        (501, "", OutcomeUnknown),
        (502, BAD_GATEWAY_PAGE, OutcomeUnknown),
        (503, '{"error": "Service busy", "errorCode": 99}', OutcomeUnknown),
        (504, BAD_GATEWAY_PAGE, OutcomeUnknown),
        (500, '{"error": "No object was posted or posted object could not be parsed", "errorCode": 2}',
         PlatformServerError),
        (503, '{"error": "No object was posted or posted object could not be parsed", "errorCode": 2}',
         PlatformServerError),
    ],
)  # fmt: skip
def test_a_server_error_on_a_send_is_unknown_unless_the_platform_refused_the_body(serve, status, body, error):
    proxy = ScriptedPlatform([(status, body)])
    url = serve(proxy.app())
    with pytest.raises(PlatformError) as caught:
        client_for(url).send_messages(71, ONE)
    assert type(caught.value) is error and caught.value.http_status == status
    assert caught.value.maybe_delivered is (error is OutcomeUnknown) and proxy.calls == 1
    if error is OutcomeUnknown:
        assert str(caught.value).endswith("the messages may or may not have gone out")
