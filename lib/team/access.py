"""Who may open the console at all: sign-in with the team's roles, or one local person.

| CONSOLE_AUTH | provider configured | platform | app                                  | command line        |
|--------------|---------------------|----------|--------------------------------------|---------------------|
| auto / on    | yes                 | any      | sign in; the team's roles            | the team's roles    |
| auto         | no                  | sandbox  | no sign-in, one local person         | one local person    |
| auto / on    | no                  | live     | refuses to start                     | the team's roles    |
| on           | no                  | sandbox  | refuses to start                     | the team's roles    |
| off          | any                 | sandbox  | no sign-in, one local person         | one local person    |
| off          | any                 | live     | one local person, red line every page | one local person   |

The command line signs nobody in: it acts as the person it is told (`--as EMAIL` or CONSOLE_OPERATOR)
under the same roles whenever the app would ask for sign-in, and always on a live platform.
"""

from __future__ import annotations

from enum import StrEnum

from lib import i18n
from lib.settings import Settings


class AccessMode(StrEnum):
    SIGN_IN = "sign_in"  # people sign in with the provider; the team's roles apply
    LOCAL = "local"  # sandbox without sign-in: one local person with every role
    OPEN = "open"  # CONSOLE_AUTH=off on a live platform: one local person, and a red line on every page


class AccessConfigError(RuntimeError):
    """The console must not start like this; str() says what to set."""


OPEN_WARNING = i18n.Msg("team.open_warning")


def access_mode(settings: Settings, provider_configured: bool) -> AccessMode:
    """How the app lets people in; AccessConfigError when it must refuse to start."""
    if settings.auth == "off":
        return AccessMode.LOCAL if settings.uses_sandbox else AccessMode.OPEN
    if provider_configured:
        return AccessMode.SIGN_IN
    if not settings.uses_sandbox:
        raise AccessConfigError(i18n.Msg("team.access.live_needs_sign_in"))
    if settings.auth == "on":
        raise AccessConfigError(i18n.Msg("team.access.no_provider"))
    return AccessMode.LOCAL


def command_line_uses_team(settings: Settings) -> bool:
    """Whether `python -m lib` applies the team's roles to the person it acts as."""
    if settings.auth == "off":
        return False
    return settings.auth == "on" or settings.sign_in_configured or not settings.uses_sandbox
