"""Which column feeds which field: recognised from English and Greek headers, overridable, tags matched."""

from __future__ import annotations

import pytest

from lib.recipients import ColumnMapping, Field, detect_mapping


@pytest.mark.parametrize(
    "header, field",
    [
        ("uniqueId", Field.UNIQUE_ID),
        ("Unique ID", Field.UNIQUE_ID),
        ("customer_id", Field.UNIQUE_ID),
        ("Customer-ID", Field.UNIQUE_ID),
        ("κωδικός πελάτη", Field.UNIQUE_ID),
        ("ΚΩΔΙΚΟΣ ΠΕΛΑΤΗ", Field.UNIQUE_ID),
        ("mobilePhone", Field.MOBILE_PHONE),
        ("Mobile", Field.MOBILE_PHONE),
        ("phone number", Field.MOBILE_PHONE),
        ("Κινητό", Field.MOBILE_PHONE),
        ("ΚΙΝΗΤΟ", Field.MOBILE_PHONE),
        ("τηλέφωνο", Field.MOBILE_PHONE),
        ("E-mail", Field.EMAIL),
        ("email address", Field.EMAIL),
        ("Ηλεκτρονικό ταχυδρομείο", Field.EMAIL),
        ("card", Field.CARD_NUMBER),
        ("Loyalty Card", Field.CARD_NUMBER),
        ("cardNumber", Field.CARD_NUMBER),
        ("Κάρτα", Field.CARD_NUMBER),
        ("Marketing consent", Field.MARKETING_CONSENT),
        ("CONSENT", Field.MARKETING_CONSENT),
        ("marketing_opt_in", Field.MARKETING_CONSENT),
        ("Συγκατάθεση", Field.MARKETING_CONSENT),
        ("ΣΥΝΑΙΝΕΣΗ", Field.MARKETING_CONSENT),
        ("συναίνεση marketing", Field.MARKETING_CONSENT),
    ],
)
def test_contract_fields_recognised_in_english_and_greek(header, field):
    mapping = detect_mapping([header, "Firstname"])
    assert mapping.header_for(field) == header
    assert mapping.payload == {"Firstname": "Firstname"}


def test_every_other_column_is_a_payload_field_under_its_own_header():
    mapping = detect_mapping(["customer id", "mobile", "Firstname", "voucher Code", "Πόντοι"])
    assert mapping.payload == {"Firstname": "Firstname", "voucher Code": "voucher Code", "Πόντοι": "Πόντοι"}
    assert mapping.to_json() == {
        "uniqueId": "customer id",
        "mobilePhone": "mobile",
        "email": None,
        "cardNumber": None,
        "marketingConsent": None,
        "payload": ["Firstname", "voucher Code", "Πόντοι"],
    }


def test_better_name_wins_when_two_columns_could_be_the_same_field():
    mapping = detect_mapping(["phone", "mobile", "id", "customer id"])
    assert mapping.mobile_phone == "mobile"
    assert mapping.unique_id == "customer id"
    assert mapping.payload == {"phone": "phone", "id": "id"}


def test_template_tags_match_exactly_then_loosely_and_are_sent_as_the_template_spells_them():
    mapping = detect_mapping(
        ["id", "mobile", "voucher code", "VoucherAmount", "voucherAmount", "Expiration_Date"],
        ["voucherCode", "voucherAmount", "expirationDate", "Firstname"],
    )
    assert mapping.payload == {
        "VoucherAmount": "VoucherAmount",
        "voucherCode": "voucher code",
        "voucherAmount": "voucherAmount",
        "expirationDate": "Expiration_Date",
    }
    assert mapping.missing_tags == ("Firstname",)


def test_tag_named_after_a_field_reads_that_fields_column():
    mapping = detect_mapping(["customer id", "mobile", "Κάρτα", "Firstname", "points"], ["Firstname", "cardNumber", "points"])
    assert mapping.card_number == "Κάρτα"
    assert mapping.payload["cardNumber"] == "Κάρτα"
    assert mapping.missing_tags == ()


def test_override_a_field_keeps_every_column_somewhere():
    mapping = detect_mapping(["id", "mobile", "work phone"])
    changed = mapping.with_override(Field.MOBILE_PHONE, "work phone")
    assert changed.mobile_phone == "work phone"
    assert changed.payload == {"mobile": "mobile"}
    assert mapping.mobile_phone == "mobile"  # the original is untouched
    unmapped = changed.with_override("mobilePhone", None)
    assert unmapped.mobile_phone is None
    assert unmapped.payload == {"mobile": "mobile", "work phone": "work phone"}


def test_override_a_tag_fills_a_missing_one():
    mapping = detect_mapping(["id", "mobile", "code"], ["voucherCode"])
    assert mapping.missing_tags == ("voucherCode",)
    changed = mapping.with_override("voucherCode", "code")
    assert changed.payload == {"voucherCode": "code"}
    assert changed.missing_tags == ()
    assert changed.header_for("voucherCode") == "code"


def test_mapping_is_hashable_and_equal_by_value():
    a = detect_mapping(["id", "mobile", "x"])
    b = ColumnMapping(unique_id="id", mobile_phone="mobile", payload={"x": "x"})
    assert a == b and hash(a) == hash(b)
    assert len({a, b}) == 1
