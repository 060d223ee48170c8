"""One character named for a marketer, in the reader's language, when it is worth a look: it makes SMS
parts shorter, is not in the GSM alphabet, or is invisible.

Unicode's own names ("Right single quotation mark") are English only, and read well in English, so an
English reader gets them. A reader of any other language gets what kind of character it is, from the
catalog («εισαγωγικό», «ελληνικό γράμμα», «emoji»): a Greek marketer needs to know that the 'Ε' in a
name is a Greek letter, or that the apostrophe is a curly quote, not the character's full Unicode name.
An invisible character also gets its code point (U+200B), the only way to find it in Excel.

`Character` is a parameter of a `Msg`: it becomes words only when the sentence holding it is rendered,
so a sentence stored for later (an approval's riskiest rows) is read in its reader's language.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from lib import i18n

# Characters with a name a marketer knows better than Unicode's, in every language.
_FRIENDLY = {"\u00a0": "nbsp", "\u200b": "zwsp", "\ufeff": "bom"}
FRIENDLY_NAMES = i18n.family("personalization.char", _FRIENDLY.values())

CLASSES = (
    "greek_letter", "latin_accented", "latin_letter", "cyrillic_letter", "letter", "accent", "quote", "dash",
    "ellipsis", "space", "control", "format", "emoji", "currency", "symbol", "digit", "punctuation", "other",
)  # fmt: skip
CLASS_WORDS = i18n.family("personalization.char_class", CLASSES)
UNICODE_NAMES_LANGUAGE = "en"  # the language Unicode names characters in
_QUOTE_WORDS = ("QUOTATION", "APOSTROPHE", "PRIME")


def character_class(char: str) -> str:
    """What kind of character `char` is, as a code of CLASSES (from Unicode's category and name)."""
    category, name = unicodedata.category(char), unicodedata.name(char, "")
    if category.startswith("L"):
        return _letter_class(char, name)
    if category.startswith("M"):
        return "accent"
    if category in ("Pi", "Pf") or any(word in name for word in _QUOTE_WORDS):
        return "quote"
    simple = {"Pd": "dash", "Zs": "space", "Zl": "space", "Zp": "space", "Cc": "control", "Cf": "format",
              "Sc": "currency"}  # fmt: skip
    if category in simple:
        return simple[category]
    if char == "\u2026":
        return "ellipsis"
    if category == "So" and (0x1F000 <= ord(char) <= 0x1FAFF or 0x2600 <= ord(char) <= 0x27BF):
        return "emoji"
    return {"S": "symbol", "N": "digit", "P": "punctuation"}.get(category[0], "other")


def _letter_class(char: str, name: str) -> str:
    if name.startswith("GREEK"):
        return "greek_letter"
    if name.startswith("CYRILLIC"):
        return "cyrillic_letter"
    if name.startswith("LATIN"):
        return "latin_accented" if len(unicodedata.normalize("NFD", char)) > 1 else "latin_letter"
    return "letter"


@dataclass(frozen=True)
class Character:
    """'’' (Right single quotation mark) / «’» (εισαγωγικό); an invisible one as 'a zero-width space
    (U+200B)'. Rendered when the sentence holding it is."""

    char: str

    def name(self) -> str:
        friendly = _FRIENDLY.get(self.char)
        if friendly:
            return i18n.coded(FRIENDLY_NAMES, friendly)
        kind = i18n.coded(CLASS_WORDS, character_class(self.char))
        if i18n.current() == UNICODE_NAMES_LANGUAGE:
            return unicodedata.name(self.char, "").capitalize() or kind  # control characters have no name
        return kind

    def visible(self) -> bool:
        return self.char.isprintable() and not self.char.isspace() and unicodedata.category(self.char) != "Cf"

    def __str__(self) -> str:
        if self.visible():
            return i18n.t("personalization.char_shown", char=self.char, name=self.name())
        return i18n.t("personalization.char_invisible", name=self.name(), code=f"U+{ord(self.char):04X}")
