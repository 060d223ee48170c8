"""CSV and XLSX downloads of the filtered history, safe to open in Excel.

Formula injection: a text cell starting with = + - @ (or a tab / carriage return, which Excel strips
before looking) would be run as a formula when the file is opened. Such cells get a leading
apostrophe, in both formats, so what a marketer sees is the text, never a computed value.
Numbers, dates and booleans are written as themselves. Times are written in the console's time
zone (Excel has no time zones), with the zone named in the column header.
"""

from __future__ import annotations

import io
from datetime import tzinfo

import pandas as pd

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """The value, with a leading apostrophe if it is text Excel would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _local_times(frame: pd.DataFrame, tz: tzinfo | None) -> pd.DataFrame:
    """Aware datetime columns → naive local times, header suffixed with the zone."""
    out = frame.copy()
    renames = {}
    for column in out.columns:
        series = out[column]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            zone = tz or series.dt.tz
            out[column] = series.dt.tz_convert(zone).dt.tz_localize(None)
            renames[column] = f"{column} ({zone})"
    return out.rename(columns=renames)


def safe_frame(frame: pd.DataFrame, tz: tzinfo | None = None) -> pd.DataFrame:
    """The frame as it will be exported: local naive times and neutralised text cells."""
    out = _local_times(frame, tz)
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise)
    out.columns = [str(neutralise(str(c))) for c in out.columns]
    return out


def to_csv_bytes(frame: pd.DataFrame, tz: tzinfo | None = None) -> bytes:
    """UTF-8 with a BOM so Excel on Windows reads Greek text correctly."""
    return safe_frame(frame, tz).to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(frame: pd.DataFrame, tz: tzinfo | None = None, sheet_name: str = "Dispatches") -> bytes:
    """One sheet, header frozen and filterable; text is always stored as text, never as a formula or link."""
    out = safe_frame(frame, tz)
    buffer = io.BytesIO()
    with pd.ExcelWriter(
        buffer,
        engine="xlsxwriter",
        datetime_format="yyyy-mm-dd hh:mm:ss",
        date_format="yyyy-mm-dd",
        engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False}},
    ) as writer:
        out.to_excel(writer, sheet_name=sheet_name, index=False)
        sheet = writer.sheets[sheet_name]
        sheet.freeze_panes(1, 0)
        if len(out.columns):
            sheet.autofilter(0, 0, max(len(out), 1), len(out.columns) - 1)
        for index, column in enumerate(out.columns):
            sample = out[column].head(200).astype(str).map(len)
            width = max([len(str(column))] + ([int(sample.max())] if len(sample) else []))
            sheet.set_column(index, index, min(60, width + 2))
    return buffer.getvalue()
