"""The platform's Messaging API: typed models, typed errors, and one HTTP client."""

from lib.messaging.client import ConnectionStatus, MessagingClient
from lib.messaging.errors import (
    AuthenticationError,
    NotFoundError,
    OutcomeUnknown,
    PlatformError,
    PlatformServerError,
    PlatformUnreachable,
    RequestRejected,
)
from lib.messaging.models import (
    Dispatch,
    InvalidMobile,
    MessageType,
    Recipient,
    SendResult,
    SendStatus,
    parse_platform_datetime,
    send_status,
    send_status_label,
)

__all__ = [
    "AuthenticationError",
    "ConnectionStatus",
    "Dispatch",
    "InvalidMobile",
    "MessageType",
    "MessagingClient",
    "NotFoundError",
    "OutcomeUnknown",
    "PlatformError",
    "PlatformServerError",
    "PlatformUnreachable",
    "Recipient",
    "RequestRejected",
    "SendResult",
    "SendStatus",
    "parse_platform_datetime",
    "send_status",
    "send_status_label",
]
