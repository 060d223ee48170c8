"""Rows to fix, handed back as a file Excel cannot mangle again, ready to fix and upload again.

The first column is the row's number in the marketer's own file ("Row in your file") and the last is
what is wrong with it ("Problems"), both in the reader's language; between them the cells exactly as written. On upload both console
columns are recognised and not sent (lib.recipients.mapping.CONSOLE_COLUMNS).
XLSX: every cell written as text in text-formatted columns (no 6.93686E+09, no lost leading zeros).
CSV: `;` and UTF-8 with BOM for Excel (CONSOLE_CSV_DELIMITER); formula-looking cells neutralised.
Both through lib.exports, the one writer of files for Excel.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

from lib import exports, i18n
from lib.recipients.mapping import CONSOLE_COLUMNS, problems_header, row_header
from lib.recipients.recipient_list import RecipientList


def rows_to_fix(recipient_list: RecipientList, only_errors: bool = True, extra: pd.DataFrame | None = None) -> pd.DataFrame:
    """The row number, the cells as written, then a Problems column; one row per spreadsheet row.
    `extra`: more problems in the same shape (rows the ledger's rules leave out), listed as errors are."""
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
    out = table.loc[rows, [c for c in table.columns if c not in CONSOLE_COLUMNS]].copy()
    out.insert(0, row_header(), [str(int(r)) for r in rows])
    out[problems_header()] = joined.reindex(rows).fillna("").to_numpy()
    return out


def export_rows_to_fix(
    recipient_list: RecipientList, fmt: Literal["xlsx", "csv"] = "xlsx", only_errors: bool = True,
    delimiter: str | None = None,
    extra: pd.DataFrame | None = None,
) -> bytes:
    frame = rows_to_fix(recipient_list, only_errors, extra)
    if fmt == "xlsx":
        return exports.to_xlsx_bytes(frame, sheet_name=i18n.t("recipients.export.sheet"), all_text=True)
    if fmt == "csv":
        return exports.to_csv_bytes(frame.astype(object).where(frame.notna(), ""), delimiter=delimiter)
    raise ValueError(f"Unknown export format {fmt!r}: use 'xlsx' or 'csv'")
