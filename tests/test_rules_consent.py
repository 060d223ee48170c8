"""Marketing consent: every spelling read the same, unreadable values named by row and column, never guessed."""

import time

import numpy as np
import pandas as pd
import pytest

from lib.recipients import clear_cache, load_recipient_list
from lib.rules.consent import (
    CODE_NOT_CHECKED,
    CODE_UNREADABLE,
    left_out_without_consent,
    not_checked_notice,
    read_consent,
    read_value,
    reading_of,
)
from lib.settings import Settings
from lib.templates import Channel, Template, TemplateKind

PROMO = Template(71, "Promo", Channel.SMS, "Hi {{Firstname}}")
ORDER = Template(72, "Order", Channel.SMS, "Ready {{Firstname}}", kind=TemplateKind.SERVICE)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("yes", True), ("YES", True), ("Yes", True), ("  yes ", True), ("y", True), ("Y", True),
        ("ναι", True), ("ΝΑΙ", True), ("Ναι", True), ("ναί", True), (" ΝΑΊ\t", True),
        ("1", True), ("true", True), ("TRUE", True), ("True", True), ("x", True), ("X", True), (" x ", True),
        ("no", False), ("NO", False), ("n", False), ("όχι", False), ("ΌΧΙ", False), ("οχι", False), ("ΟΧΙ", False),
        ("0", False), ("false", False), ("FALSE", False), ("", False), ("   ", False), (None, False),
        ("maybe", None), ("yes please", None), ("2", None), ("-", None), ("ok", None), ("si", None),
        ("yes/no", None), ("1.5", None), ("ν", None), ("nai", None),
    ],
)
def test_every_spelling_of_yes_and_no(cell, expected):
    assert read_value(cell) is expected


def column(*cells: str) -> pd.Series:
    return pd.Series(list(cells), index=pd.RangeIndex(2, 2 + len(cells)), dtype="str")


def test_a_column_is_read_per_spreadsheet_row_and_unreadable_cells_name_row_and_column():
    reading = read_consent(column("ναι", "no", "maybe", "", " X ", "Maybe "), "Marketing consent")
    assert reading.given.tolist() == [True, False, pd.NA, False, True, pd.NA]
    assert list(reading.given.index) == [2, 3, 4, 5, 6, 7]
    problems = reading.problems.to_dict("records")
    assert [(p["row"], p["column"], p["code"], p["severity"]) for p in problems] == [
        (4, "Marketing consent", CODE_UNREADABLE, "error"),
        (7, "Marketing consent", CODE_UNREADABLE, "error"),
    ]
    assert problems[0]["message"] == "Marketing consent must be yes or no (found 'maybe')"
    assert problems[1]["message"] == "Marketing consent must be yes or no (found 'Maybe')"
    assert list(reading.unreadable_rows()) == [4, 7]


def test_without_a_column_consent_is_unknown_and_a_marketing_send_says_so_once():
    reading = read_consent(None, None)
    assert reading.given is None and not reading.checked and reading.problems.empty
    notice = not_checked_notice(PROMO, reading)
    assert (notice.row, notice.code, notice.severity) == (1, CODE_NOT_CHECKED, "warning")
    assert notice.message == "Consent was not checked: the file has no marketing consent column"
    assert not_checked_notice(ORDER, reading) is None
    assert not_checked_notice(PROMO, read_consent(column("yes"), "consent")) is None


def test_marketing_leaves_out_the_rows_that_said_no_service_leaves_out_nobody():
    reading = read_consent(column("yes", "no", "", "maybe"), "consent")
    assert list(left_out_without_consent(reading, PROMO)) == [3, 4]  # row 5 is an error, not a "no"
    assert list(left_out_without_consent(reading, ORDER)) == []
    assert list(left_out_without_consent(read_consent(None, None), PROMO)) == []


def test_the_recipient_list_maps_a_greek_consent_column_and_blocks_unreadable_rows():
    clear_cache()
    data = "κωδικός πελάτη;κινητό;Firstname;Συγκατάθεση\nC1;6936862208;Maria;ΝΑΙ\nC2;6936862209;Nikos;όχι\n" \
           "C3;6936862210;Eleni;ίσως\n"
    recipients = load_recipient_list(data.encode(), "list.csv", channel=Channel.SMS, settings=Settings())
    assert recipients.mapping.marketing_consent == "Συγκατάθεση"
    assert "Συγκατάθεση" not in recipients.mapping.payload  # our column: never sent to the platform
    assert recipients.frame["marketingConsent"].tolist() == [True, False, pd.NA]
    assert recipients.frame["valid"].tolist() == [True, True, False]
    problem = recipients.problems_for_row(4)[0]
    assert (problem.column, problem.message) == ("Συγκατάθεση", "Marketing consent must be yes or no (found 'ίσως')")
    assert "Write yes or no in the marketing consent column in 1 row" in recipients.summary()
    reading = reading_of(recipients)  # what campaign and the sender use: no second pass
    assert list(left_out_without_consent(reading, PROMO)) == [3] and list(reading.unreadable_rows()) == [4]
    assert not_checked_notice(PROMO, reading) is None


def test_a_file_without_a_consent_column_is_not_checked_and_says_so_for_marketing_only():
    clear_cache()
    data = b"customer id;mobile\nC1;6936862208\n"
    recipients = load_recipient_list(data, "list.csv", channel=Channel.SMS, settings=Settings())
    assert recipients.frame["marketingConsent"].isna().all() and recipients.frame["valid"].all()
    assert not_checked_notice(PROMO, reading_of(recipients)).message.startswith("Consent was not checked")
    assert not_checked_notice(ORDER, reading_of(recipients)) is None


def test_a_million_row_column_is_read_many_times_faster_than_row_by_row():
    """The figure itself is bench/consent_bench.py's; here only the order of magnitude, which holds on a
    busy machine too (an absolute bound failed under load)."""
    cells = np.random.default_rng(9).choice(["yes", "No", " ΝΑΙ ", "όχι", "", "x", "1", "TRUE"], 1_000_000)
    series = pd.Series(cells, index=pd.RangeIndex(2, 1_000_002), dtype="str")
    best = min(_timed(lambda: read_consent(series, "consent")) for _ in range(3))
    naive = _timed(lambda: [read_value(v) for v in cells[:100_000]]) * 10  # per-row, extrapolated to 1M
    assert best * 5 < naive, f"{best:.3f} s against {naive:.3f} s row by row"


def _timed(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started
