"""The list preview: defaults, vectorised metrics (equal to the per-row function), riskiest rows, one row."""

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib.personalization.preview import (
    apply_defaults,
    find_row,
    gsm_greek_changes,
    list_metrics,
    payload_values,
    preview_row_json,
    render_row,
    riskiest_rows,
    summary_json,
)
from lib.personalization.sms import sms_metrics
from lib.templates import Channel, Template, load_catalog

CATALOG = {t.id: t for t in load_catalog()}
PROMO, GREEK, BIRTHDAY, SPRING_EMAIL = CATALOG[71], CATALOG[72], CATALOG[73], CATALOG[81]
LONG = Template(
    id=900,
    name="long",
    channel=Channel.SMS,
    body="Dear {{Firstname}}, [{{code}}] ~ {{amount}} " + "x" * 100 + " {{Firstname}}! {{amount}}",
)


def frame(rows: dict[str, list], start: int = 2) -> pd.DataFrame:
    """A list as the recipients reader gives it: index = spreadsheet row, string cells."""
    length = len(next(iter(rows.values())))
    return pd.DataFrame(rows, index=pd.RangeIndex(start, start + length)).astype("str")


def per_row(template: Template, payloads: pd.DataFrame, row: int):
    text = render_row(template, {tag: payloads.at[row, tag] for tag in payloads.columns}).text
    return sms_metrics(text)


def assert_vectorised_equals_per_row(template, values, defaults=None, gsm_greek=False):
    metrics = list_metrics(template, values, defaults, gsm_greek, Decimal("0.05"))
    payloads = payload_values(template, values, defaults, gsm_greek)
    for row in values.index:
        if metrics.rows.at[row, "error"]:
            continue
        expected = per_row(template, payloads, row)
        got = metrics.rows.loc[row, ["characters", "parts", "encoding", "ucs2_character"]].tolist()
        assert got == [expected.characters, expected.parts, expected.encoding, expected.ucs2_trigger], (
            row,
            payloads.loc[row].tolist(),
        )
    return metrics


# ---- defaults -------------------------------------------------------------------------------


def test_apply_defaults_fills_empty_and_na_cells_and_flags_them():
    values = frame({"Firstname": ["Maria", "", None, " "], "points": ["10", "20", "", "40"]})
    filled, missing, used = apply_defaults(values, ["Firstname", "points", "absent"], {"Firstname": "Customer"})
    assert filled["Firstname"].tolist() == ["Maria", "Customer", "Customer", " "]
    assert used["Firstname"].tolist() == [False, True, True, False]
    assert missing["Firstname"].tolist() == [False, False, False, False]
    assert missing["points"].tolist() == [False, False, True, False]
    assert missing["absent"].tolist() == [True] * 4
    assert list(filled.index) == [2, 3, 4, 5]


def test_rows_missing_a_value_are_errors_named_by_tag_and_not_counted():
    values = frame(
        {"voucherCode": ["A1", "", "C3"], "voucherAmount": ["5 €", "5 €", ""], "expirationDate": ["1/1"] * 3}
    )
    metrics = list_metrics(PROMO, values)
    assert metrics.rows["error"].tolist() == [
        "",
        "Missing value for {{voucherCode}}",
        "Missing value for {{voucherAmount}}",
    ]
    assert (metrics.recipients, metrics.sendable, metrics.rows_with_errors) == (3, 1, 2)
    assert metrics.total_parts == 1 and metrics.distribution == {1: 1}
    assert pd.isna(metrics.rows.at[3, "parts"])


def test_a_default_goes_into_the_payload_that_is_sent():
    values = frame({"voucherCode": ["A1", ""], "voucherAmount": ["5 €", "5 €"], "expirationDate": ["1/1", "1/1"]})
    payloads = payload_values(PROMO, values, {"voucherCode": "WELCOME"})
    assert payloads["voucherCode"].tolist() == ["A1", "WELCOME"]
    metrics = list_metrics(PROMO, values, {"voucherCode": "WELCOME"})
    assert metrics.rows["defaults_used"].tolist() == ["", "voucherCode"]
    assert metrics.sendable == 2


def test_several_missing_tags_are_listed_in_one_sentence():
    values = frame({"Firstname": [""], "cardNumber": [""], "points": ["3"]})
    assert list_metrics(GREEK, values).rows["error"].tolist() == ["Missing value for {{Firstname}} and {{cardNumber}}"]


# ---- vectorised = per row ---------------------------------------------------------------------

NAMES = ["Maria", "Γιώργος", "ΓΙΩΡΓΟΣ", "ΔΦΓ", "O’Brien", "Kostas 😀", "Zoë", "", " Anna", "x" * 150, "€" * 60, "{[~]}"]


@pytest.mark.parametrize("template", [PROMO, GREEK, BIRTHDAY, LONG], ids=lambda t: t.name)
@pytest.mark.parametrize("gsm_greek", [False, True])
def test_vectorised_metrics_equal_the_per_row_function_on_a_sample(template, gsm_greek):
    rng = np.random.default_rng(4)
    n = 600
    values = frame(
        {
            "Firstname": [NAMES[i] for i in rng.integers(0, len(NAMES), n)],
            "voucherCode": [f"C{i:06d}" for i in range(n)],
            "code": [f"C{i:06d}" for i in range(n)],
            "voucherAmount": [["5 €", "€€", "10", "😀😀"][i] for i in rng.integers(0, 4, n)],
            "amount": [["5 €", "€" * 20, "10", "😀" * 9][i] for i in rng.integers(0, 4, n)],
            "expirationDate": ["28/09/2026"] * n,
            "cardNumber": [str(10**11 + i) for i in range(n)],
            "points": [str(i) for i in range(n)],
        }
    )
    metrics = assert_vectorised_equals_per_row(template, values, {"Firstname": "Πελάτη"}, gsm_greek)
    assert metrics.sendable == n


@pytest.mark.parametrize(
    ("prefix", "value", "suffix"),
    [
        ("a" * 140, "a" * 12 + "€", "a" * 153),  # '€' at septet 153: opens part 2
        ("a" * 140, "a" * 11 + "€", "a" * 154),  # '€' ends part 1 exactly
        ("a" * 10, "€" * 100, "a" * 10),
        ("ά" * 60, "ά" * 6 + "😀", "ά" * 66),  # emoji straddling the UCS-2 boundary
        ("ά" * 60, "😀" * 40, ""),
        ("€", "a" * 305, "€"),
        ("[", "~" * 152, "]" * 100),
    ],
)
def test_vectorised_parts_never_split_a_character(prefix, value, suffix):
    template = Template(id=901, name="edge", channel=Channel.SMS, body=prefix + "{{v}}" + suffix)
    values = frame({"v": [value, value[:-1], value + "a", "a" + value]})
    assert_vectorised_equals_per_row(template, values)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    literal=st.text(alphabet="a€[ά😀 ", max_size=120),
    values=st.lists(st.text(alphabet="ab€~ΔΦάα😀’ ", max_size=200), min_size=1, max_size=12),
)
def test_vectorised_metrics_equal_the_per_row_function_for_any_text(literal, values):
    template = Template(id=902, name="any", channel=Channel.SMS, body=literal + "{{v}}" + literal[::-1] + "{{v}}")
    assert_vectorised_equals_per_row(template, frame({"v": values}))


# ---- totals --------------------------------------------------------------------------------


def test_totals_distribution_ucs2_rows_and_cost():
    values = frame({"Firstname": ["Maria", "Μαρία", "x" * 150, "Nikos’"], "expirationDate": ["28/09/2026"] * 4})
    metrics = list_metrics(BIRTHDAY, values, price_per_part=Decimal("0.07"))
    assert metrics.rows["parts"].tolist() == [1, 2, 2, 2]
    assert metrics.rows["encoding"].tolist() == ["GSM-7", "UCS-2", "GSM-7", "UCS-2"]
    assert metrics.total_parts == 7
    assert metrics.distribution == {1: 1, 2: 3}
    assert metrics.ucs2_rows.to_dict() == {3: "Μ", 5: "’"}  # Μ (capital mu) is not one of GSM-7's ten
    assert metrics.estimated_cost == Decimal("0.49")
    assert metrics.template_is_gsm7 and metrics.template_note == ""


def test_gsm_safe_greek_reports_the_parts_it_saves_either_way():
    values = frame({"Firstname": ["Μαρία", "Γιώργος", "Maria"], "expirationDate": ["28/09/2026"] * 3})
    off = list_metrics(BIRTHDAY, values)
    on = list_metrics(BIRTHDAY, values, gsm_greek=True)
    assert (off.total_parts, on.total_parts) == (5, 3)
    assert off.parts_saved_by_gsm_greek == on.parts_saved_by_gsm_greek == 2
    assert on.rows["encoding"].tolist() == ["GSM-7"] * 3
    assert on.gsm_greek_tags == ["Firstname"]


def test_gsm_greek_changes_lists_before_and_after_per_value():
    values = frame({"Firstname": ["Μαρία", "Μαρία", "Maria", "O’Brien"], "code": ["A", "B", "C", "D"]})
    changes = gsm_greek_changes(values)
    assert changes.to_dict("records") == [
        {"tag": "Firstname", "before": "Μαρία", "after": "MAPIA", "rows": 2},
        {"tag": "Firstname", "before": "O’Brien", "after": "O'Brien", "rows": 1},
    ]


def test_a_template_that_is_not_gsm7_is_said_plainly():
    values = frame({"Firstname": ["MARIA"], "cardNumber": ["123"], "points": ["5"]})
    metrics = list_metrics(GREEK, values, gsm_greek=True)
    assert not metrics.template_is_gsm7
    assert metrics.template_note == "The template's own text has 'ε', so every SMS part holds 70 characters instead of 160"
    assert metrics.rows["encoding"].tolist() == ["UCS-2"]
    assert metrics.rows["ucs2_character"].tolist() == ["ε"]


def test_email_lists_have_no_sms_figures_but_still_check_tags():
    values = frame(
        {
            "Firstname": ["Maria", ""],
            "voucherCode": ["A", "B"],
            "voucherAmount": ["1", "2"],
            "expirationDate": ["x", "y"],
        }
    )
    metrics = list_metrics(SPRING_EMAIL, values)
    assert metrics.total_parts == 0 and metrics.estimated_cost == 0
    assert metrics.rows["error"].tolist() == ["", "Missing value for {{Firstname}}"]


# ---- riskiest rows -------------------------------------------------------------------------


def test_riskiest_rows_say_why_each_row_was_picked():
    values = frame(
        {
            "Firstname": ["Maria", "", "Nikos", "x" * 170, "Ελένη", " Anna", "Zoë\u200b", "Nikos’"],
            "expirationDate": ["1/1"] * 8,
        }
    )
    metrics = list_metrics(BIRTHDAY, values, {"Firstname": "Customer"})
    risky = {r.row: list(map(str, r.reasons)) for r in riskiest_rows(BIRTHDAY, values, metrics)}
    assert risky[3] == ["{{Firstname}} is empty, so the default 'Customer' is used"]
    assert risky[5] == ["Most parts: 2 SMS parts (235 characters)", "Longest message: 235 characters"]
    assert risky[6] == ["Shorter SMS parts (70 characters instead of 160) because of 'Ε' (Greek capital letter epsilon)"]
    assert risky[7] == ["{{Firstname}} has a space at the start or end: ' Anna'"]
    assert risky[8] == [
        "Shorter SMS parts (70 characters instead of 160) because of 'ë' (Latin small letter e with diaeresis)",
        "{{Firstname}} contains a zero-width space (U+200B)",
    ]
    assert risky[9] == [
        "Shorter SMS parts (70 characters instead of 160) because of '’' (Right single quotation mark)",
        "{{Firstname}} contains '’' (Right single quotation mark)",
    ]
    assert 2 not in risky and 4 not in risky
    assert len(riskiest_rows(BIRTHDAY, values, metrics, limit=2)) == 2


def test_riskiest_rows_include_rows_that_cannot_be_sent():
    values = frame({"Firstname": ["Maria", "", ""], "expirationDate": ["1/1"] * 3})
    metrics = list_metrics(BIRTHDAY, values)
    assert list(map(str, riskiest_rows(BIRTHDAY, values, metrics)[0].reasons)) == ["Missing value for {{Firstname}} (2 rows)"]


# ---- one row -------------------------------------------------------------------------------


def recipients_frame() -> pd.DataFrame:
    return frame(
        {
            "uniqueId": ["C1", "C2", "C3"],
            "mobilePhone": ["6936862208", "6936862209", "6936862210"],
            "email": ["a@example.com", "b@example.com", "c@example.com"],
            "Firstname": ["Μαρία", "", "Tom & <Jerry>"],
            "expirationDate": ["1/1", "2/2", "3/3"],
            "voucherCode": ["A", "B", "C"],
            "voucherAmount": ["5 €", "6 €", "7 €"],
        }
    )


def test_preview_row_json_for_an_sms():
    row = preview_row_json(BIRTHDAY, recipients_frame(), 2)
    assert row == {
        "row": 2,
        "uniqueId": "C1",
        "to": "6936862208",
        "subject": None,
        "text": "Happy birthday Μαρία! Show this SMS at the till for 20% off until 1/1.",
        "encoding": "UCS-2",
        "characters": 70,
        "parts": 1,
        "missing": [],
        "defaultsUsed": [],
        "error": None,
    }


def test_preview_row_json_with_defaults_gsm_greek_and_a_missing_value():
    recipients = recipients_frame()
    row = preview_row_json(BIRTHDAY, recipients, 3, {"Firstname": "φίλε"}, gsm_greek=True)
    assert row["text"].startswith("Happy birthday ΦIΛE!") and row["encoding"] == "GSM-7"
    assert row["defaultsUsed"] == ["Firstname"]
    assert row["gsmGreek"] == [{"tag": "Firstname", "before": "φίλε", "after": "ΦIΛE"}]
    broken = preview_row_json(BIRTHDAY, recipients, 3)
    assert (broken["text"], broken["missing"], broken["error"]) == (
        None,
        ["Firstname"],
        "Missing value for {{Firstname}}",
    )


def test_preview_row_json_for_an_email_escapes_the_body_only():
    row = preview_row_json(SPRING_EMAIL, recipients_frame(), 4)
    assert row["to"] == "c@example.com"
    assert row["subject"] == "Tom & <Jerry>, your spring voucher is here"
    assert "<h1>Hello Tom &amp; &lt;Jerry&gt;,</h1>" in row["text"]
    assert (row["encoding"], row["parts"]) == (None, None)


@pytest.mark.parametrize(
    ("row", "unique_id", "found", "error"),
    [
        (3, None, 3, None),
        (None, "C3", 4, None),
        (None, None, 2, None),
        (9, None, None, "There is no recipient on row 9: rows go from 2 to 4"),
        (None, "nobody", None, "No recipient has customer id 'nobody'"),
    ],
)
def test_rows_are_found_by_spreadsheet_number_or_unique_id(row, unique_id, found, error):
    if error:
        with pytest.raises(LookupError, match=error):
            find_row(recipients_frame(), row, unique_id)
    else:
        assert find_row(recipients_frame(), row, unique_id) == found


def test_summary_json_and_the_row_previews_agree():
    recipients = recipients_frame()
    defaults = {"Firstname": "Customer"}
    metrics = list_metrics(BIRTHDAY, recipients, defaults, False, Decimal("0.05"))
    summary = summary_json(metrics)
    assert summary["parts"] == sum(preview_row_json(BIRTHDAY, recipients, r, defaults, False)["parts"] for r in recipients.index)
    assert summary["distribution"] == {"1": 3}
    assert summary["ucs2Rows"] == [{"row": 2, "character": "Μ"}]
    assert summary["cost"] == "0.15"


@pytest.mark.parametrize(
    ("name", "flagged"),
    [
        ("<b>Maria</b>", True),
        ("<script>alert(1)</script>", True),
        ("Tom &lt;3", True),
        ("x\" onmouseover=\"alert(1)", True),
        ("javascript:alert(1)", True),
        ("Tom & Jerry", False),
        ("3 < 5", False),
        ("Simon", False),
    ],
)
def test_riskiest_rows_flag_values_holding_html_or_script_in_email(name, flagged):
    values = frame(
        {"Firstname": ["Maria", name], "voucherCode": ["A", "B"], "voucherAmount": ["5", "6"],
         "expirationDate": ["1/1", "1/1"]}
    )
    metrics = list_metrics(SPRING_EMAIL, values)
    reasons = {r.row: list(map(str, r.reasons)) for r in riskiest_rows(SPRING_EMAIL, values, metrics)}
    markup = [reason for reason in reasons.get(3, []) if "holds HTML or script" in reason]
    assert bool(markup) is flagged, reasons
    if flagged:
        assert markup[0].startswith("{{Firstname}} holds HTML or script: ")


def test_html_in_an_sms_value_is_not_called_a_risk():
    values = frame({"Firstname": ["<b>Maria</b>"], "expirationDate": ["1/1"]})
    metrics = list_metrics(BIRTHDAY, values)
    assert not any("HTML" in str(reason) for r in riskiest_rows(BIRTHDAY, values, metrics) for reason in r.reasons)
