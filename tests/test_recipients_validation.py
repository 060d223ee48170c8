"""Mobile and email verdicts: tables at the boundaries, and the fast column path equal to the libraries."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib.recipients import emails, mobiles

GR = ("GR",)


@pytest.mark.parametrize(
    "raw, e164, code",
    [
        ("6936862208", "+306936862208", None),
        ("693 686 2208", "+306936862208", None),
        ("+30 693 686 2208", "+306936862208", None),
        ("00306936862208", "+306936862208", None),
        ("30-693-686-2208", "+306936862208", None),
        ("306936862208", "+306936862208", None),
        ("(693) 686-2208", "+306936862208", None),
        ("  6936862208  ", "+306936862208", None),
        ("6851234567", "+306851234567", None),
        ("9412345678", "+309412345678", None),
        ("6936862208.0", "+306936862208", "mobile.excel_repaired"),
        ("6.936862208E+09", "+306936862208", "mobile.excel_repaired"),
        ("6.936862208e+09", "+306936862208", "mobile.excel_repaired"),
        ("3.06936862208E+11", "+306936862208", "mobile.excel_repaired"),
        ("6.93686E+09", None, "mobile.excel_digits_lost"),
        ("6E+09", None, "mobile.excel_digits_lost"),
        ("", None, "mobile.missing"),
        ("   ", None, "mobile.missing"),
        ("2101234567", None, "mobile.not_mobile"),
        ("+30 210 123 4567", None, "mobile.not_mobile"),
        ("8001234567", None, "mobile.not_mobile"),
        ("693686220", None, "mobile.too_short"),
        ("69368622", None, "mobile.too_short"),
        ("6936862208123", None, "mobile.too_long"),
        ("69368622081", None, "mobile.invalid"),
        ("1936862208", None, "mobile.invalid"),
        ("6861234567", None, "mobile.invalid"),
        ("+357 99 123456", None, "mobile.country_not_allowed"),
        ("+44 7911 123456", None, "mobile.country_not_allowed"),
        ("n/a", None, "mobile.invalid"),
        ("six nine three", None, "mobile.invalid"),
    ],
)
def test_mobile_verdicts(raw, e164, code):
    verdict = mobiles.check_one(raw, "GR", GR)
    assert (verdict.e164, verdict.code) == (e164, code)
    column = mobiles.check_many(pd.Series([raw], dtype="str"), "GR", GR)
    assert (_none(column.value.iloc[0]), _none(column.code.iloc[0])) == (e164, code)


@pytest.mark.parametrize(
    "code, message",
    [
        ("mobile.invalid", "Not a valid mobile number for Greece"),
        ("mobile.too_short", "Mobile number is too short"),
        ("mobile.missing", "Missing"),
        ("mobile.not_mobile", "This is a landline number, not a mobile"),
    ],
)
def test_mobile_messages_are_plain(code, message):
    raw = {"mobile.invalid": "1936862208", "mobile.too_short": "69368622", "mobile.missing": "", "mobile.not_mobile": "2101234567"}[code]
    assert mobiles.check_one(raw, "GR", GR).message == message


def test_foreign_numbers_when_allowed_and_other_default_region():
    assert mobiles.check_one("+357 99 123456", "GR", ("GR", "CY")).e164 == "+35799123456"
    assert mobiles.check_one("99 123456", "CY", ("CY",)).e164 == "+35799123456"
    verdict = mobiles.check_one("+30 693 686 2208", "CY", ("CY",))
    assert verdict.code == "mobile.country_not_allowed"
    assert verdict.message == "Numbers from Greece are not allowed (only Cyprus)"
    column = mobiles.check_many(pd.Series(["99 123456", "6936862208"], dtype="str"), "CY", ("CY",))
    assert column.value.iloc[0] == "+35799123456"
    assert column.code.iloc[1] == "mobile.too_long"  # Cypriot numbers have 8 digits


@pytest.mark.parametrize(
    "raw, normalized",
    [
        ("maria@example.gr", "maria@example.gr"),
        ("Maria.Papadopoulou@Example.GR", "Maria.Papadopoulou@example.gr"),
        ("  maria+promo@example.gr ", "maria+promo@example.gr"),
        ("INFO@example.gr", "info@example.gr"),
        ("μαρία@παράδειγμα.ελ", "μαρία@παράδειγμα.ελ"),
        ("user@BÜCHER.de", "user@bücher.de"),
        ("user@xn--bcher-kva.de", "user@bücher.de"),
        ("maria@", None),
        ("maria.example.gr", None),
        ("maria@example", None),
        ("maria@@example.gr", None),
        ("maria@example..gr", None),
        ("maria@-example.gr", None),
        ("maria@example.test", None),
        ("Maria <maria@example.gr>", None),
        ("", None),
    ],
)
def test_email_verdicts(raw, normalized):
    verdict = emails.check_one(raw)
    assert verdict.normalized == normalized
    if normalized is None:
        assert verdict.code == ("email.missing" if not raw.strip() else "email.invalid")
    column = emails.check_many(pd.Series([raw], dtype="str"))
    assert _none(column.value.iloc[0]) == normalized


def _none(value):
    return None if pd.isna(value) else value


# ---------------------------------------------------------------------------- fast path == library

_PUNCT = st.sampled_from(["", "", "", " ", "-", ".", "(", ")", "/", "+", "x", "e", ","])
_PREFIX = st.sampled_from(["", "", "+30", "0030", "30", "+", "00", "+357", "(+30) ", "+30 (0)", "'", "3", "0"])
_NATIONAL = st.tuples(
    st.sampled_from(["69", "68", "94", "21", "22", "80", "70", "90", "50", "30", "1", "0", "6", "8"]),
    st.text(alphabet="0123456789", min_size=4, max_size=12),
).map("".join)
_SUFFIX = st.sampled_from(["", "", "", ".0", ".00", ",0", "E+09", "e+09", " ", "-", "."])


@st.composite
def typed_numbers(draw) -> str:
    digits = draw(_PREFIX) + draw(_NATIONAL)
    return "".join(draw(_PUNCT) + c for c in digits) + draw(_SUFFIX)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(typed_numbers(), min_size=1, max_size=80))
def test_mobile_column_path_equals_phonenumbers_for_every_value(values):
    column = mobiles.check_many(pd.Series(values, dtype="str"), "GR", GR)
    for raw, value, code, message in zip(values, column.value, column.code, column.message, strict=True):
        expected = mobiles.check_one(raw, "GR", GR)
        assert (_none(value), _none(code), _none(message)) == (expected.e164, expected.code, expected.message), raw


_ATOMS = st.sampled_from(
    ["a", "B", "zz", "info", "Sales", "x.y", "..", ".", "-", "_", "+", "1", "é", "μαρία", '"q"', "xn--", "--",
     "-a", "a-", "test", "local", "COM", "gr", "ü", "\u0301", " "]
)  # fmt: skip


@st.composite
def typed_emails(draw) -> str:
    local = "".join(draw(st.lists(_ATOMS, max_size=4)))
    labels = draw(st.lists(st.lists(_ATOMS, min_size=1, max_size=3).map("".join), min_size=1, max_size=4))
    return local + draw(st.sampled_from(["@", "@", "", "@@"])) + ".".join(labels)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(typed_emails(), min_size=1, max_size=80))
def test_email_column_path_equals_email_validator_for_every_value(values):
    column = emails.check_many(pd.Series(values, dtype="str"))
    for raw, value, code in zip(values, column.value, column.code, strict=True):
        expected = emails.check_one(raw)
        assert (_none(value), _none(code)) == (expected.normalized, expected.code), raw
