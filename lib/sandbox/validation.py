"""The platform's per-recipient address checks: a mobile of an allowed country, a well-formed email.

Each distinct value is checked once (lru_cache): a chunk of 10k recipients repeats few numbers,
but the library calls cost about 24 µs each.
"""

from __future__ import annotations

import functools
import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

_SEPARATORS = re.compile(r"[\s\-().]")
_MOBILE_TYPES = frozenset({phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE})


@functools.lru_cache(maxsize=65536)
def is_valid_mobile(raw: str, allowed_countries: tuple[str, ...]) -> bool:
    """True for a valid mobile number of one of `allowed_countries`, written nationally
    (6936862208), with + or 00 (+306936862208, 00306936862208) or with the bare country code (306936862208)."""
    text = _SEPARATORS.sub("", raw.strip())
    if text.startswith("00"):
        text = "+" + text[2:]
    if text.startswith("+"):
        candidates: list[tuple[str, str | None]] = [(text, None)]
    elif text.isdigit():
        candidates = [(text, region) for region in allowed_countries] + [("+" + text, None)]
    else:
        return False
    for number, region in candidates:
        try:
            parsed = phonenumbers.parse(number, region)
        except phonenumbers.NumberParseException:
            continue
        if (
            phonenumbers.region_code_for_number(parsed) in allowed_countries
            and phonenumbers.is_valid_number(parsed)
            and phonenumbers.number_type(parsed) in _MOBILE_TYPES
        ):
            return True
    return False


@functools.lru_cache(maxsize=65536)
def is_valid_email(raw: str) -> bool:
    """Syntax only: the platform does not look the domain up, and neither do we."""
    try:
        validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError:
        return False
    return bool(raw.strip())
