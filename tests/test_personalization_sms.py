"""SMS encoding, length and parts: what the operator bills, as tables at every boundary."""

import pytest

from lib.personalization.sms import (
    GSM7_BASIC_CHARACTERS,
    GSM7_EXTENSION_CHARACTERS,
    is_gsm7_text,
    sms_metrics,
)

GSM7_GREEK = "ΔΦΓΛΩΠΨΣΘΞ"
NOT_GSM7_GREEK_CAPITALS = "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ"


@pytest.mark.parametrize(
    ("text", "encoding", "characters", "ucs2_characters"),
    [
        ("Hello, world!", "GSM-7", 13, ""),
        ("Café crème à Zürich £5 ¥ §", "GSM-7", 26, ""),
        ("@$_!?#%&*()+-=<>/:;.,'\"", "GSM-7", 23, ""),
        ("line\nbreak\rreturn", "GSM-7", 17, ""),
        (GSM7_GREEK, "GSM-7", 10, ""),
        ("ΑΘΗΝΑ", "UCS-2", 5, "ΑΗΝ"),
        ("αθήνα", "UCS-2", 5, "αθήν"),
        ("Γιώργος", "UCS-2", 7, "ιώργος"),
        ("ά", "UCS-2", 1, "ά"),
        ("It’s", "UCS-2", 4, "’"),
        ("“quoted”", "UCS-2", 8, "“”"),
        ("Hi 😀", "UCS-2", 5, "😀"),
        ("😀😀", "UCS-2", 4, "😀"),
        ("ç", "UCS-2", 1, "ç"),
        ("Ç", "GSM-7", 1, ""),
        ("`tick`", "UCS-2", 6, "`"),
        ("tab\there", "UCS-2", 8, "\t"),
        ("100 €", "GSM-7", 6, ""),
        ("^{}\\[~]|€", "GSM-7", 18, ""),
        ("page\fbreak", "GSM-7", 11, ""),
        ("100 € for Μαρία", "UCS-2", 15, "Μαρί"),  # distinct characters, in order
        ("", "GSM-7", 0, ""),
    ],
)
def test_encoding_and_length_per_character_class(text, encoding, characters, ucs2_characters):
    metrics = sms_metrics(text)
    assert (metrics.encoding, metrics.characters, metrics.ucs2_characters) == (encoding, characters, ucs2_characters)
    assert metrics.ucs2_trigger == ucs2_characters[:1]
    assert is_gsm7_text(text) is (encoding == "GSM-7")


@pytest.mark.parametrize("letter", list(GSM7_GREEK))
def test_the_ten_greek_capitals_in_gsm7_keep_it_gsm7(letter):
    assert sms_metrics(f"KAΛHMEPA {letter}").encoding == "GSM-7"


@pytest.mark.parametrize("letter", list(NOT_GSM7_GREEK_CAPITALS) + list("αβγδεζηθικλμνξοπρστυφχψως"))
def test_other_greek_letters_force_ucs2(letter):
    metrics = sms_metrics(f"Hello {letter}")
    assert (metrics.encoding, metrics.ucs2_trigger) == ("UCS-2", letter)


@pytest.mark.parametrize("char", list(GSM7_EXTENSION_CHARACTERS))
def test_each_extension_character_counts_twice(char):
    metrics = sms_metrics(f"a{char}b")
    assert (metrics.encoding, metrics.characters) == ("GSM-7", 4)


def test_the_tables_are_gsm_03_38():
    assert len(GSM7_BASIC_CHARACTERS) == 127  # 128 codes less ESC, which introduces the extension table
    assert "\x1b" not in GSM7_BASIC_CHARACTERS
    assert set(GSM7_EXTENSION_CHARACTERS) == set("\f^{}\\[~]|€")


@pytest.mark.parametrize(
    ("text", "characters", "parts"),
    [
        ("a" * 160, 160, 1),
        ("a" * 161, 161, 2),
        ("a" * 306, 306, 2),
        ("a" * 307, 307, 3),
        ("a" * 459, 459, 3),
        ("a" * 460, 460, 4),
        ("€" * 80, 160, 1),
        ("€" * 80 + "a", 161, 2),
        ("ά" * 70, 70, 1),
        ("ά" * 71, 71, 2),
        ("ά" * 134, 134, 2),
        ("ά" * 135, 135, 3),
        ("ά" * 201, 201, 3),
        ("ά" * 202, 202, 4),
        ("😀" * 35, 70, 1),
        ("😀" * 35 + "ά", 71, 2),
    ],
)
def test_parts_at_every_boundary(text, characters, parts):
    metrics = sms_metrics(text)
    assert (metrics.characters, metrics.parts) == (characters, parts)


@pytest.mark.parametrize(
    ("text", "characters", "parts"),
    [
        # 152 septets, then '€' at the 153rd: it cannot be split, so it opens part 2 …
        ("a" * 152 + "€" + "a" * 152, 306, 3),
        # … whereas one character earlier it fits whole at the end of part 1.
        ("a" * 151 + "€" + "a" * 153, 306, 2),
        # A single-part message has no split to worry about.
        ("a" * 152 + "€", 154, 1),
        ("a" * 152 + "€" + "a" * 6, 160, 1),
        ("a" * 152 + "€" + "a" * 7, 161, 2),
        # Same rule for an emoji (a UTF-16 surrogate pair) in UCS-2.
        ("ά" * 66 + "😀" + "ά" * 66, 134, 3),
        ("ά" * 65 + "😀" + "ά" * 67, 134, 2),
    ],
)
def test_a_two_unit_character_is_never_split_across_parts(text, characters, parts):
    metrics = sms_metrics(text)
    assert (metrics.characters, metrics.parts) == (characters, parts)
