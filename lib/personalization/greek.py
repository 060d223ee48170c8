"""Opt-in "GSM-safe Greek": rewrite payload values so a Greek SMS stays in GSM-7 (1/3 the cost).

GSM-7 has ten Greek capitals (Δ Φ Γ Λ Ω Π Ψ Σ Θ Ξ) and no lowercase or accented Greek. So:
Greek is upper-cased and loses its accents, the capitals with Latin look-alikes become those
Latin letters (Α→A, Β→B, Ε→E …), the ten GSM-7 capitals stay. Typographic punctuation that
would force UCS-2 (curly quotes, guillemets, dashes, ellipsis, no-break and zero-width spaces)
becomes its plain equivalent. Latin text is left alone. Applied to values only, never to the
template, and only when the marketer asks; the preview shows every value before and after.
"""

from __future__ import annotations

import unicodedata

# Capitals whose shape a Latin capital reproduces; the other ten are in GSM-7 as they are.
LATIN_LOOKALIKES = {
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K",
    "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
}  # fmt: skip
GSM7_GREEK_CAPITALS = "ΔΦΓΛΩΠΨΣΘΞ"

PUNCTUATION = {
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "`": "'", "´": "'",
    "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"',
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-",
    "…": "...",
    "\u037e": ";",  # Greek question mark: looks like ';' and Greek readers read ';' as '?'
    "\u0387": ",",  # ano teleia (Greek semicolon); ';' would read as a question mark
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "\u2002": " ", "\u2003": " ",
    "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "",
    "\u0384": "", "\u0385": "", "\u0301": "", "\u0308": "", "\u0342": "", "\u0313": "", "\u0314": "",
}  # fmt: skip

_GREEK_CAPITALS = set(LATIN_LOOKALIKES) | set(GSM7_GREEK_CAPITALS)


def _greek_letter_table() -> dict[str, str]:
    """Every Greek letter (modern and polytonic, any case, any accent) → its GSM-safe capital."""
    table: dict[str, str] = {}
    for codepoint in [*range(0x0370, 0x0400), *range(0x1F00, 0x2000)]:
        char = chr(codepoint)
        if not unicodedata.category(char).startswith("L"):
            continue
        base = unicodedata.normalize("NFD", char)[0].upper()
        target = LATIN_LOOKALIKES.get(base, base)
        if base in _GREEK_CAPITALS and target != char:
            table[char] = target
    return table


GSM_SAFE_GREEK_TABLE: dict[str, str] = {**_greek_letter_table(), **PUNCTUATION}
# Characters the transformation changes; a value without any of them comes out unchanged.
CHANGED_CHARACTERS = "".join(sorted(GSM_SAFE_GREEK_TABLE))
_TRANSLATION = str.maketrans(GSM_SAFE_GREEK_TABLE)


def gsm_safe_greek(value: str) -> str:
    """The GSM-safe form of one payload value: "Μαρία “Ελένη”" → 'MAPIA "EΛENH"'."""
    return unicodedata.normalize("NFC", value).translate(_TRANSLATION)
