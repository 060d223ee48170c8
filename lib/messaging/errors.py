"""What can go wrong talking to the platform, as typed exceptions with plain-sentence messages.

str() of every error is one sentence a marketer can read, in the reader's language: never the
password, never a JSON dump or a traceback. The sentence is kept as a catalog key and its parameters
(`message`, an `i18n.Msg`), so an error recorded by the sender is shown later in whoever reads it;
the platform's own error text is a parameter, kept as the platform wrote it (in the language the
request asked for with Accept-Language). The two transport errors matter to the send engine,
because the API has no idempotency: `PlatformUnreachable` means the request certainly did not arrive
(safe to try again later), `OutcomeUnknown` means it may have arrived (never resend blindly).
"""

from __future__ import annotations

from typing import Any

from lib import i18n


class PlatformError(Exception):
    """Base of every platform error. `http_status`/`error_code` are None when there was no answer."""

    # True when the platform may have acted on the request even though we got an error.
    maybe_delivered: bool = False

    def __init__(self, message: i18n.Msg | str, *, http_status: int | None = None, error_code: int | None = None):
        self.message = message
        super().__init__(message.key if isinstance(message, i18n.Msg) else message)
        self.http_status = http_status
        self.error_code = error_code

    @property
    def key(self) -> str | None:
        """The catalog key of the sentence (None for a sentence given as plain text)."""
        return self.message.key if isinstance(self.message, i18n.Msg) else None

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.message.params) if isinstance(self.message, i18n.Msg) else {}

    def __str__(self) -> str:
        return str(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, http_status={self.http_status}, error_code={self.error_code})"


class AuthenticationError(PlatformError):
    """401: the platform refused the user name or password."""

    def __init__(self, user: str = "", *, http_status: int = 401, error_code: int | None = None):
        message = i18n.Msg("messaging.error.auth_user", user=user) if user else i18n.Msg("messaging.error.auth")
        super().__init__(message, http_status=http_status, error_code=error_code)


class NotFoundError(PlatformError):
    """404: no such dispatch (or template)."""


class RequestRejected(PlatformError):
    """400 and other 4xx: the platform understood the request and refused it; nothing was sent."""


class PlatformServerError(PlatformError):
    """5xx, or an answer that is not the platform's JSON (an HTML error page from a proxy)."""


class PlatformUnreachable(PlatformError):
    """The request certainly did not reach the platform: connection refused, DNS failure, connect timeout."""


class OutcomeUnknown(PlatformError):
    """The request may have reached the platform, but no usable answer came back (read timeout,
    connection closed after sending, truncated answer). A send in this state must not be repeated
    automatically: it may already be on its way to customers."""

    maybe_delivered = True
