"""The send manifest: defaults applied, uniqueIds unique, hash stable and sensitive, chunking."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from lib import i18n
from lib.sending.manifest import ManifestError, build_manifest
from lib.templates import Channel, Template

PROMO = Template(71, "Promo code (SMS)", Channel.SMS, "Code {{voucherCode}} worth {{voucherAmount}}")
MAIL = Template(81, "Spring", Channel.EMAIL, "<p>Hi {{Firstname}}</p>", "{{Firstname}}, hello")
AT = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Athens"))


def frame(n=5, **overrides):
    data = {
        "uniqueId": [f"C{i}" for i in range(n)],
        "mobilePhone": [f"+3069360000{i:02d}" for i in range(n)],
        "email": [f"c{i}@example.com" for i in range(n)],
        "cardNumber": [f"CARD{i}" if i % 2 else None for i in range(n)],
        "voucherCode": [f"V{i}" for i in range(n)],
        "voucherAmount": ["10 €"] * n,
        "Firstname": [f"Name{i}" for i in range(n)],
    }
    data.update(overrides)
    return pd.DataFrame(data, index=range(2, n + 2), dtype="string")


def build(df=None, template=PROMO, schedule_at=None, defaults=None):
    return build_manifest(template, frame() if df is None else df, schedule_at=schedule_at, defaults=defaults)


def test_recipients_carry_row_numbers_destination_and_payload_in_tag_order():
    m = build()
    first, second = m.recipients[:2]
    assert (first.row_number, first.unique_id, first.destination, first.card_number) == (2, "C0", "+306936000000", None)
    assert first.payload == (("voucherCode", "V0"), ("voucherAmount", "10 €"))
    assert second.card_number == "CARD1"
    assert (m.template_id, m.channel, len(m)) == (71, Channel.SMS, 5)


def test_email_uses_the_email_column_and_subject_tags():
    m = build(template=MAIL)
    assert m.recipients[0].destination == "c0@example.com"
    assert m.recipients[0].payload == (("Firstname", "Name0"),)


def test_defaults_fill_empty_cells_and_nothing_else():
    df = frame(voucherAmount=["", None, "5 €", "7 €", "8 €"])
    m = build(df, defaults={"voucherAmount": "20 €"})
    assert [dict(r.payload)["voucherAmount"] for r in m.recipients] == ["20 €", "20 €", "5 €", "7 €", "8 €"]
    assert m.excluded == ()


def test_a_default_may_stand_for_a_column_the_file_lacks():
    m = build(frame().drop(columns=["voucherAmount"]), defaults={"voucherAmount": "20 €"})
    assert {dict(r.payload)["voucherAmount"] for r in m.recipients} == {"20 €"}


def test_a_row_still_missing_a_value_is_excluded_with_the_previews_reason():
    m = build(frame(voucherAmount=["1", None, "1", "", "1"]))
    assert [r.row_number for r in m.recipients] == [2, 4, 6]
    assert m.excluded == ((3, "Missing value for {{voucherAmount}}"), (5, "Missing value for {{voucherAmount}}"))


def test_the_manifest_sends_what_the_preview_shows():
    from lib.personalization.preview import payload_values

    df = frame(voucherAmount=["", "5 €", "", "7 €", "8 €"])
    shown = payload_values(PROMO, df[["voucherCode", "voucherAmount"]], {"voucherAmount": "20 €"})
    m = build(df, defaults={"voucherAmount": "20 €"})
    assert [dict(r.payload) for r in m.recipients] == shown.to_dict("records")


def test_gsm_safe_greek_is_applied_when_chosen():
    greek = Template(72, "Greek", Channel.SMS, "Γεια σου {{Firstname}}")
    df = frame(Firstname=["Μαρία", "Νίκος", "A", "B", "C"])
    plain = build_manifest(greek, df, schedule_at=None)
    safe = build_manifest(greek, df, schedule_at=None, gsm_greek=True)
    assert dict(plain.recipients[0].payload)["Firstname"] == "Μαρία"
    assert dict(safe.recipients[0].payload)["Firstname"] != "Μαρία"
    assert plain.hash != safe.hash


def test_a_tag_column_that_differs_from_the_field_is_read_from_payload_prefix():
    card = Template(72, "Card", Channel.SMS, "Card {{cardNumber}}")
    df = frame().assign(**{"payload.cardNumber": ["P0", "P1", "P2", "P3", "P4"]})
    m = build_manifest(card, df, schedule_at=None)
    assert dict(m.recipients[0].payload) == {"cardNumber": "P0"}
    assert m.recipients[0].card_number is None and m.recipients[1].card_number == "CARD1"


def test_no_row_sendable_is_refused():
    with pytest.raises(ManifestError, match="No row can be sent"):
        build(frame(2, voucherAmount=["", ""]))


def test_a_missing_column_is_named():
    with pytest.raises(ManifestError, match=r"no column for '\{\{voucherCode\}\}'"):
        build(frame().drop(columns=["voucherCode"]))


def test_duplicate_unique_ids_are_refused_naming_both_rows():
    with pytest.raises(ManifestError, match=r"customer id 'C1' is in rows 3 and 6"):
        build(frame(uniqueId=["C0", "C1", "C2", "C3", "C1"]))


def test_an_empty_list_is_refused():
    with pytest.raises(ManifestError, match="no valid recipients"):
        build(frame(0))


def test_naive_schedule_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        build(schedule_at=datetime(2026, 12, 1, 10, 0))


def test_hash_is_stable_for_identical_input_and_independent_of_row_order():
    assert build().hash == build().hash
    reversed_rows = frame().iloc[::-1]
    reversed_rows.index = range(2, 7)  # the same people, re-sorted in Excel
    assert build(reversed_rows).hash == build().hash
    assert build(schedule_at=AT).hash == build(schedule_at=AT.astimezone(ZoneInfo("UTC"))).hash


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda: build(template=Template(72, "x", Channel.SMS, PROMO.body)), id="template"),
        pytest.param(lambda: build(schedule_at=AT), id="schedule set"),
        pytest.param(lambda: build(schedule_at=AT + timedelta(minutes=1)), id="schedule moved"),
        pytest.param(lambda: build(frame(voucherCode=["V0", "V1", "V2", "V3", "CHANGED"])), id="payload value"),
        pytest.param(lambda: build(frame(4)), id="recipient removed"),
        pytest.param(lambda: build(frame(6)), id="recipient added"),
        pytest.param(lambda: build(frame(mobilePhone=[f"+3069360001{i:02d}" for i in range(5)])), id="destination"),
        pytest.param(lambda: build(frame(cardNumber=["X"] * 5)), id="card number"),
    ],
)
def test_hash_changes_with_any_part_of_the_send(change):
    assert change().hash != build().hash


@pytest.mark.parametrize(
    ("n", "batch", "sizes"), [(5, 2, [2, 2, 1]), (4, 2, [2, 2]), (1, 1000, [1]), (5, 5, [5]), (5, 1, [1] * 5)]
)
def test_chunks_respect_the_batch_size_and_add_up(n, batch, sizes):
    m = build(frame(n))
    chunks = m.chunks(batch)
    assert [len(c) for c in chunks] == sizes
    assert m.chunk_count(batch) == len(sizes)
    flat = [r for c in chunks for r in c]
    assert flat == list(m.recipients)
    assert len({r.unique_id for r in flat}) == n


def test_a_refused_list_is_explained_in_greek():
    with pytest.raises(ManifestError) as caught:
        build(frame(uniqueId=["C0", "C1", "C2", "C3", "C1"]))
    with i18n.language("el"):
        assert str(caught.value) == "Κάθε παραλήπτης χρειάζεται δικό του κωδικό πελάτη: ο κωδικός πελάτη «C1» υπάρχει στις γραμμές 3 και 6."
    assert str(caught.value) == "Each recipient needs its own customer id: customer id 'C1' is in rows 3 and 6."
