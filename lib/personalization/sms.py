"""SMS encoding, length and parts for one message, as the operator counts and bills them.

GSM-7 when every character is in the GSM 03.38 basic or extension table, otherwise UCS-2.
GSM-7 counts septets (an extension character is an escape plus a septet: 2); UCS-2 counts
UTF-16 code units (an emoji outside the Basic Multilingual Plane: 2). One part holds 160
septets or 70 units; a concatenated part holds 153 or 67 because its header takes the rest.
A character is never split across two parts: an extension character with one septet left in
the part, or a surrogate pair with one unit left, moves whole to the next part.

This module is the per-message reference; `preview.list_metrics` computes the same figures
for a whole list at once and is tested against it.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# GSM 03.38 default alphabet (3GPP TS 23.038 6.2.1), in table order. 0x1B (ESC) is left out on
# purpose: it introduces the extension table and is not a character a message can contain.
GSM7_BASIC_CHARACTERS = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# The default extension table: each costs two septets (ESC + code). \f is form feed.
GSM7_EXTENSION_CHARACTERS = "\f^{}\\[~]|€"

GSM7_BASIC = frozenset(GSM7_BASIC_CHARACTERS)
GSM7_EXTENSION = frozenset(GSM7_EXTENSION_CHARACTERS)
GSM7_ALL = GSM7_BASIC | GSM7_EXTENSION

GSM7_SINGLE_PART = 160
GSM7_PER_PART = 153
UCS2_SINGLE_PART = 70
UCS2_PER_PART = 67


@dataclass(frozen=True)
class SmsMetrics:
    encoding: str  # "GSM-7" or "UCS-2"
    characters: int  # septets in GSM-7, UTF-16 code units in UCS-2
    parts: int
    ucs2_characters: str  # the distinct characters that force UCS-2, in order of first use ("" in GSM-7)

    @property
    def ucs2_trigger(self) -> str:
        """The first character that forces UCS-2, or "" for a GSM-7 message."""
        return self.ucs2_characters[:1]


def is_gsm7_text(text: str) -> bool:
    return all(ch in GSM7_ALL for ch in text)


def non_gsm7_characters(text: str) -> str:
    """The distinct characters of `text` outside GSM-7, in order of first appearance."""
    return "".join(dict.fromkeys(ch for ch in text if ch not in GSM7_ALL))


def character_widths(text: str, encoding: str) -> list[int]:
    """How many septets (GSM-7) or UTF-16 units (UCS-2) each character of `text` takes."""
    if encoding == GSM7:
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def count_parts(widths: list[int], single_part: int, per_part: int) -> int:
    """Parts needed for characters of these widths, never splitting a character."""
    total = sum(widths)
    if total <= single_part:
        return 1
    parts, used = 1, 0
    for width in widths:
        if used + width > per_part:
            parts += 1
            used = 0
        used += width
    return parts


def sms_metrics(text: str) -> SmsMetrics:
    """Encoding, length and parts of one fully rendered SMS."""
    ucs2_characters = non_gsm7_characters(text)
    encoding = UCS2 if ucs2_characters else GSM7
    widths = character_widths(text, encoding)
    if encoding == GSM7:
        parts = count_parts(widths, GSM7_SINGLE_PART, GSM7_PER_PART)
    else:
        parts = count_parts(widths, UCS2_SINGLE_PART, UCS2_PER_PART)
    return SmsMetrics(encoding=encoding, characters=sum(widths), parts=parts, ucs2_characters=ucs2_characters)
