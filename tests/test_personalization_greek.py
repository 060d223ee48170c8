"""GSM-safe Greek: values before and after, and that the result really is GSM-7."""

import pytest

from lib.personalization.greek import gsm_safe_greek
from lib.personalization.sms import is_gsm7_text, sms_metrics


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("Μαρία", "MAPIA"),
        ("Γιώργος", "ΓIΩPΓOΣ"),
        ("ΕΛΕΝΗ", "EΛENH"),
        ("Δημήτρης", "ΔHMHTPHΣ"),
        ("Φωτεινή", "ΦΩTEINH"),
        ("Ψαράς Θεόδωρος Ξένια Λάμπρος Πόπη", "ΨAPAΣ ΘEOΔΩPOΣ ΞENIA ΛAMΠPOΣ ΠOΠH"),
        ("Αβγό ζήτα κάππα μι νι ρο ταυ ύψιλον χι", "ABΓO ZHTA KAΠΠA MI NI PO TAY YΨIΛON XI"),
        ("ϊ ΐ ϋ ΰ Ϊ Ϋ", "I I Y Y I Y"),
        ("τελικό ς", "TEΛIKO Σ"),
        ("Ἀθῆναι", "AΘHNAI"),
        ("O’Brien", "O'Brien"),
        ("«Καλή» “χρονιά”", '"KAΛH" "XPONIA"'),
        ("10–20 — τώρα…", "10-20 - TΩPA..."),
        ("Τι κάνεις;", "TI KANEIΣ;"),
        ("no\u00a0break zero\u200bwidth", "no break zerowidth"),
        ("Maria 100 €", "Maria 100 €"),
        ("Zoë", "Zoë"),
        ("", ""),
    ],
)
def test_gsm_safe_greek_before_and_after(before, after):
    assert gsm_safe_greek(before) == after


@pytest.mark.parametrize("name", ["Μαρία", "Γιώργος", "Αικατερίνη", "Χαράλαμπος", "Ευαγγελία", "Ἀθῆναι", "Ψυχή"])
def test_greek_names_become_gsm7_and_fit_one_part(name):
    text = f"Γεια σου {name}"  # a value only; the template stays as written
    assert not is_gsm7_text(text)
    converted = gsm_safe_greek(text)
    assert is_gsm7_text(converted)
    assert sms_metrics(converted).encoding == "GSM-7"


def test_decomposed_accents_are_handled_like_composed_ones():
    assert gsm_safe_greek("α\u0301ρης") == gsm_safe_greek("άρης") == "APHΣ"


def test_latin_text_is_left_alone():
    text = "Hello Maria, your code is SPRING19 (100 €) until 28/09/2019!"
    assert gsm_safe_greek(text) == text
