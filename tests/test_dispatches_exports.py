"""History exports: Excel must show text, never run it, and must read Greek and times correctly."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pandas as pd
import pytest

from lib import exports


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
        ("+30 693 686 2208", "'+30 693 686 2208"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Promo 71", "Promo 71"),
        ("a=b", "a=b"),
        ("", ""),
        (-5, -5),
        (None, None),
    ],
)
def test_neutralise(value, expected):
    assert exports.neutralise(value) == expected


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "dispatch_id": [180249, 180250],
            "template": ["=cmd|' /C calc'!A0", "Γενέθλια"],
            "recipients": [10, 3],
            "created_at": pd.to_datetime([datetime(2025, 3, 1, 8, 0, 7, 345000, tzinfo=UTC)] * 2),
            "created_by": ["@maria", "nikos"],
            "note": ["-5 credits", None],
        }
    )


def test_csv_is_semicolon_bom_excel_safe_and_in_local_time_to_the_second():
    data = exports.to_csv_bytes(_frame(), tz=ZoneInfo("Europe/Athens"), delimiter=";")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0]["template"] == "'=cmd|' /C calc'!A0"
    assert rows[1]["template"] == "Γενέθλια"
    assert rows[0]["created_by"] == "'@maria"
    assert rows[0]["created_at (Europe/Athens)"] == "2025-03-01 10:00:07"  # no milliseconds
    assert rows[0]["recipients"] == "10"


def test_csv_delimiter_comes_from_the_setting(monkeypatch):
    from lib.settings import get_settings

    monkeypatch.setenv("CONSOLE_CSV_DELIMITER", ",")
    get_settings.cache_clear()
    try:
        assert exports.to_csv_bytes(_frame()).decode("utf-8-sig").startswith("dispatch_id,template,")
    finally:
        get_settings.cache_clear()


def test_xlsx_has_no_formulas_and_keeps_numbers_and_times():
    data = exports.to_xlsx_bytes(_frame(), tz=ZoneInfo("Europe/Athens"))
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    header = [c.value for c in sheet[1]]
    assert header == ["dispatch_id", "template", "recipients", "created_at (Europe/Athens)", "created_by", "note"]
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row]
    assert all(c.data_type != "f" for c in cells)
    # Shown as written, kept text by Excel's quote prefix: no literal apostrophe in the cell.
    assert sheet["B2"].value == "=cmd|' /C calc'!A0" and sheet["B2"].quotePrefix
    assert sheet["F2"].value == "-5 credits" and sheet["F2"].quotePrefix
    assert sheet["B3"].value == "Γενέθλια" and not sheet["B3"].quotePrefix
    assert sheet["F3"].value is None  # an empty text cell (NaN) is an empty cell, not a crash
    assert sheet["A2"].value == 180249 and sheet["C3"].value == 3
    assert sheet["D2"].value == datetime(2025, 3, 1, 10, 0, 7)
    assert sheet.freeze_panes == "A2"


def test_empty_history_exports_just_the_header():
    empty = _frame().iloc[0:0]
    assert exports.to_csv_bytes(empty, delimiter=";").decode("utf-8-sig").strip().startswith("dispatch_id;template")
    sheet = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx_bytes(empty))).active
    assert sheet.max_row == 1
