"""Rows to fix, handed back as a file Excel cannot mangle again.

XLSX: every cell written as text in text-formatted columns (no 6.93686E+09, no lost leading zeros).
CSV: UTF-8 with BOM for Excel; cells that a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import csv
import io
from typing import Literal

import pandas as pd

from lib.recipients.recipient_list import RecipientList

PROBLEMS_HEADER = "Problems"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def rows_to_fix(recipient_list: RecipientList, only_errors: bool = True, extra: pd.DataFrame | None = None) -> pd.DataFrame:
    """The cells as written plus a Problems column, one row per spreadsheet row. `extra`: more
    problems in the same shape (rows the ledger's rules leave out), listed as errors are."""
    table = recipient_list.table if recipient_list.table is not None else pd.DataFrame(index=recipient_list.frame.index)
    problems = recipient_list.problems
    problems = problems.loc[problems["row"].gt(1)]
    if only_errors:
        problems = problems.loc[problems["severity"].eq("error")]
    if extra is not None and len(extra):
        problems = pd.concat([problems, extra[problems.columns]], ignore_index=True).sort_values("row", kind="stable")
    described = (problems["column"].where(problems["column"].eq(""), problems["column"] + ": ") + problems["message"])
    joined = described.groupby(problems["row"].to_numpy()).agg("; ".join)
    rows = joined.index if only_errors else table.index
    out = table.loc[rows].copy()
    out[PROBLEMS_HEADER if PROBLEMS_HEADER not in out.columns else f"{PROBLEMS_HEADER} (console)"] = joined.reindex(rows).fillna("")
    return out


def export_rows_to_fix(
    recipient_list: RecipientList, fmt: Literal["xlsx", "csv"] = "xlsx", only_errors: bool = True,
    extra: pd.DataFrame | None = None,
) -> bytes:
    frame = rows_to_fix(recipient_list, only_errors, extra)
    if fmt == "xlsx":
        return _xlsx(frame)
    if fmt == "csv":
        return _csv(frame)
    raise ValueError(f"Unknown export format {fmt!r}: use 'xlsx' or 'csv'")


def neutralise(cell: str) -> str:
    """A leading apostrophe makes spreadsheets show the text instead of running it."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def _csv(frame: pd.DataFrame) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(str(h)) for h in frame.columns])
    for row in frame.itertuples(index=False, name=None):
        writer.writerow([neutralise("" if pd.isna(v) else str(v)) for v in row])
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def _xlsx(frame: pd.DataFrame) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False})
    sheet = workbook.add_worksheet("Rows to fix")
    text = workbook.add_format({"num_format": "@"})
    bold = workbook.add_format({"num_format": "@", "bold": True})
    for col, header in enumerate(frame.columns):
        sheet.set_column(col, col, min(60, max(12, len(str(header)) + 2)), text)
        sheet.write_string(0, col, str(header), bold)
    for r, row in enumerate(frame.itertuples(index=False, name=None), start=1):
        for col, value in enumerate(row):
            sheet.write_string(r, col, "" if pd.isna(value) else str(value), text)
    sheet.freeze_panes(1, 0)
    workbook.close()
    return buffer.getvalue()
