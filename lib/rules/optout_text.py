"""The SMS opt-out text (CONSOLE_SMS_OPTOUT_TEXT, like `STOP 54xxx`): every marketing SMS must carry it.

Greek law (3471/2006) asks every marketing message to offer a free, easy way to opt out. The text is
part of the template's body, so its characters are counted in the parts and the cost like any other.
Checked when a template is saved and again right before a send, because the setting can change
after a template was saved.
"""

from __future__ import annotations

import re

from lib import i18n
from lib.templates import Channel, Template

CODE = "optout_text.missing"
_SPACES = re.compile(r"\s+")


def _comparable(text: str) -> str:
    # Case and runs of spaces do not change whether a person can reply STOP.
    return _SPACES.sub(" ", text).strip().casefold()


def needs_optout_text(template: Template, optout_text: str | None) -> bool:
    """True when the rule applies: the setting is on and the template is a marketing SMS."""
    return bool(optout_text and optout_text.strip()) and template.channel is Channel.SMS and template.is_marketing


def missing_optout_text(template: Template, optout_text: str | None) -> str | None:
    """The sentence saying what to add when a marketing SMS lacks the opt-out text; None when it is fine
    (it contains it, the template is email or service, or the setting is off)."""
    if not needs_optout_text(template, optout_text):
        return None
    if _comparable(optout_text) in _comparable(template.body):
        return None
    return missing_message(optout_text)


def missing_message(optout_text: str) -> str:
    return i18n.t("rules.optout_text.missing", text=optout_text.strip())


def check_before_send(template: Template, settings) -> str | None:
    """The send path's check (Compose, `check`, `send`, the sender): the sentence refusing the send, or None.
    `settings` is a lib.settings.Settings."""
    return missing_optout_text(template, settings.sms_optout_text)
