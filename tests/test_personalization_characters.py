"""A character worth a look, named for the reader (issue 13): Unicode's own name in English, what kind of
character it is in Greek (Unicode names are English only), its code point when it cannot be seen."""

from __future__ import annotations

import pandas as pd
import pytest

from lib import i18n
from lib.personalization.characters import Character
from lib.personalization.preview import list_metrics, reasons_text, riskiest_rows
from lib.templates import load_catalog


@pytest.mark.parametrize(("char", "greek", "english"), [
    ("Ε", "«Ε» (ελληνικό γράμμα)", "'Ε' (Greek capital letter epsilon)"),  # looks like a Latin E
    ("’", "«’» (εισαγωγικό)", "'’' (Right single quotation mark)"),
    ("“", "«“» (εισαγωγικό)", "'“' (Left double quotation mark)"),
    ("–", "«–» (παύλα)", "'–' (En dash)"),
    ("…", "«…» (αποσιωπητικά)", "'…' (Horizontal ellipsis)"),
    ("ë", "«ë» (λατινικό γράμμα με τόνο ή σημάδι)", "'ë' (Latin small letter e with diaeresis)"),
    ("а", "«а» (κυριλλικό γράμμα)", "'а' (Cyrillic small letter a)"),  # looks like a Latin a
    ("😀", "«😀» (emoji)", "'😀' (Grinning face)"),
    ("\u200b", "κενό μηδενικού πλάτους (αόρατος χαρακτήρας, U+200B)", "a zero-width space (U+200B)"),
    ("\u2003", "ειδικό κενό (αόρατος χαρακτήρας, U+2003)", "a Em space (U+2003)"),
    ("\x07", "χαρακτήρας ελέγχου (αόρατος χαρακτήρας, U+0007)", "a control character (U+0007)"),
])
def test_a_character_is_named_in_the_readers_language(char, greek, english):
    with i18n.language("el"):
        assert str(Character(char)) == greek
    with i18n.language("en"):
        assert str(Character(char)) == english


def test_compose_says_in_greek_which_characters_make_parts_shorter():
    promo = next(t for t in load_catalog() if t.id == 71)
    values = pd.DataFrame({"voucherCode": ["V1", "V’2", "ΑΒ3"], "voucherAmount": ["10 €"] * 3,
                           "expirationDate": ["31/12/2026"] * 3}, index=pd.RangeIndex(2, 5)).astype("str")
    risky = {r.row: r.reasons for r in riskiest_rows(promo, values, list_metrics(promo, values))}
    with i18n.language("el"):
        assert reasons_text(risky[3]) == (
            "Μικρότερα τμήματα SMS (70 χαρακτήρες αντί για 160) λόγω χαρακτήρα εκτός αλφαβήτου GSM: «’» (εισαγωγικό)· "
            "Το {{voucherCode}} περιέχει ασυνήθιστο χαρακτήρα: «’» (εισαγωγικό)")
        assert "«Α» (ελληνικό γράμμα)" in reasons_text(risky[4])  # Α is not the GSM alphabet's A
