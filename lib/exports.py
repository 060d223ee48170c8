"""Files for Excel: the one place where CSV and XLSX downloads are written (history and rows to fix).

Formula injection: a text cell starting with = + - @ (or a tab / carriage return, which Excel strips
before looking) would be run as a formula when the file is opened. `needs_neutralising` decides that
for both formats. A CSV cell has no formatting, so it gets a leading apostrophe (`neutralise`); an
XLSX cell is stored as text with Excel's own "quote prefix" style, which shows the text as written
("-5 credits", no apostrophe) and keeps it text when someone edits it.

CSV follows what Greek (and most European) Excel opens with a double click: `;` between cells and
UTF-8 with a BOM; CONSOLE_CSV_DELIMITER=, gives commas. Times are written in the console's time zone
(Excel has no time zones), to the second, with the zone named in the column header.
"""

from __future__ import annotations

import io
import numbers
from datetime import datetime, tzinfo
from decimal import Decimal

import numpy as np
import pandas as pd

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def needs_neutralising(value: object) -> bool:
    """True for text a spreadsheet would run as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def neutralise(value: object) -> object:
    """For CSV: the value, with a leading apostrophe if it is text Excel would read as a formula."""
    return "'" + value if needs_neutralising(value) else value


def default_delimiter() -> str:
    from lib.settings import get_settings

    return get_settings().csv_delimiter


def _local_times(frame: pd.DataFrame, tz: tzinfo | None) -> pd.DataFrame:
    """Aware datetime columns → naive local times to the second, header suffixed with the zone."""
    out = frame.copy()
    renames = {}
    for column in out.columns:
        series = out[column]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            zone = tz or series.dt.tz
            out[column] = series.dt.tz_convert(zone).dt.tz_localize(None).dt.floor("s")
            renames[column] = f"{column} ({zone})"
        elif pd.api.types.is_datetime64_dtype(series.dtype):
            out[column] = series.dt.floor("s")
    return out.rename(columns=renames)


def to_csv_bytes(frame: pd.DataFrame, tz: tzinfo | None = None, delimiter: str | None = None) -> bytes:
    """UTF-8 with a BOM so Excel on Windows reads Greek text; every text cell formula-safe."""
    out = _local_times(frame, tz)
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise)
    out.columns = [str(neutralise(str(c))) for c in out.columns]
    text = out.to_csv(index=False, sep=delimiter or default_delimiter(), date_format=TIME_FORMAT, lineterminator="\r\n")
    return text.encode("utf-8-sig")


def to_xlsx_bytes(
    frame: pd.DataFrame, tz: tzinfo | None = None, sheet_name: str = "Dispatches", all_text: bool = False
) -> bytes:
    """One sheet, header frozen and filterable; text is always stored as text, never as a formula or link.
    `all_text`: every cell written as text in text-formatted columns (rows to fix: no 6.93686E+09)."""
    import xlsxwriter

    out = _local_times(frame, tz)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    sheet = book.add_worksheet(sheet_name)
    text = book.add_format({"num_format": "@"}) if all_text else None
    quoted = book.add_format({"quote_prefix": True, **({"num_format": "@"} if all_text else {})})
    bold = book.add_format({"bold": True, **({"num_format": "@"} if all_text else {})})
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for col, header in enumerate(out.columns):
        sheet.write_string(0, col, str(header), bold)
        sheet.set_column(col, col, _width(out[header], str(header)), text)
    for r, row in enumerate(out.itertuples(index=False, name=None), start=1):
        for col, value in enumerate(row):
            _write(sheet, r, col, value, all_text, text, quoted, when)
    sheet.freeze_panes(1, 0)
    if len(out.columns):
        sheet.autofilter(0, 0, max(len(out), 1), len(out.columns) - 1)
    book.close()
    return buffer.getvalue()


def _write(sheet, r: int, col: int, value, all_text: bool, text, quoted, when) -> None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return
    if all_text or isinstance(value, str):
        value = str(value)
        sheet.write_string(r, col, value, quoted if needs_neutralising(value) else text)
    elif isinstance(value, bool | np.bool_):
        sheet.write_boolean(r, col, bool(value))
    elif isinstance(value, datetime):
        sheet.write_datetime(r, col, pd.Timestamp(value).to_pydatetime(), when)
    elif isinstance(value, numbers.Number):
        sheet.write_number(r, col, float(value) if isinstance(value, Decimal) else value)
    else:
        sheet.write_string(r, col, str(value), quoted if needs_neutralising(str(value)) else text)


def _width(series: pd.Series, header: str) -> int:
    """Column width from the header and the first rows; empty cells (NaN, None) count as nothing."""
    sample = [len(str(v)) for v in series.head(200) if v is not None and not (not isinstance(v, str) and pd.isna(v))]
    return min(60, max([len(header), 8, *sample]) + 2)
