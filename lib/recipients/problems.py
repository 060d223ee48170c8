"""Every word a marketer reads about their recipient file lives here: codes, severities, messages, summaries.

Codes are stable (the CLI's JSON and the UI key on them); wording may change. Row numbers are the
spreadsheet's own (header = row 1, first recipient = row 2) so the reader can find the row in Excel.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import pandas as pd


class Severity(StrEnum):
    ERROR = "error"  # the row is not sent
    WARNING = "warning"  # the row is sent; the marketer should know


@dataclass(frozen=True)
class Problem:
    row: int  # spreadsheet numbering: header = 1, first recipient = 2
    column: str  # the header as the file writes it; "" for a whole row or the whole file
    code: str
    severity: Severity
    message: str

    def to_json(self) -> dict:
        return {
            "row": self.row,
            "column": self.column,
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
        }


PROBLEM_COLUMNS = ["row", "column", "code", "severity", "message"]

# code -> (severity, message). Messages with {placeholders} are filled per row by the helpers below.
MESSAGES: dict[str, tuple[Severity, str]] = {
    "mobile.missing": (Severity.ERROR, "Missing"),
    "mobile.invalid": (Severity.ERROR, "Not a valid mobile number{for_country}"),
    "mobile.too_short": (Severity.ERROR, "Mobile number is too short"),
    "mobile.too_long": (Severity.ERROR, "Mobile number is too long"),
    "mobile.not_mobile": (Severity.ERROR, "This is a landline number, not a mobile"),
    "mobile.country_not_allowed": (Severity.ERROR, "Numbers from {country} are not allowed (only {allowed})"),
    "mobile.excel_repaired": (
        Severity.WARNING,
        "Excel changed this number to {raw}; we read it as {repaired}. Format the column as text in Excel next time",
    ),
    "mobile.excel_digits_lost": (
        Severity.ERROR,
        "Excel cut digits off this number ({raw}): format the column as text in Excel and export the file again",
    ),
    "email.missing": (Severity.ERROR, "Missing"),
    "email.invalid": (Severity.ERROR, "Not a valid email address"),
    "unique_id.missing": (Severity.ERROR, "Missing"),
    "unique_id.repeated": (Severity.ERROR, "Same customer id as {rows}"),
    "destination.repeated": (Severity.WARNING, "Same {what} as row {first}"),
    "column.missing": (Severity.ERROR, "Your file needs a column for {what} (called, for example, {examples})"),
    "tag.column_missing": (Severity.WARNING, "Your file needs a column called '{tag}' for the template's {{{{{tag}}}}}"),
    "header.blank": (Severity.WARNING, "{column} has no name in row 1, so we called it '{column}'"),
    # A byte that is not UTF-8 in an otherwise UTF-8 file, or a NUL: the cell is not sent rather than guessed.
    "cell.not_text": (Severity.ERROR, "This cell has a character that is not valid text"),
    # Marketing consent (lib.rules.consent): unreadable is an error; "no" leaves the row out of marketing sends.
    "consent.unreadable": (Severity.ERROR, "Marketing consent must be yes or no (found '{found}')"),
    "consent.no": (Severity.WARNING, "No marketing consent: left out of marketing messages"),
    "consent.not_checked": (Severity.WARNING, "Consent was not checked: the file has no marketing consent column"),
}

# Not-a-file sentences, raised as RecipientFileError by the reader.
FILE_ERRORS: dict[str, str] = {
    "empty": "The file is empty.",
    "header_only": "The file has column names but no recipients under them.",
    "not_spreadsheet": "This file is not a spreadsheet: upload a CSV or an Excel file (.xlsx).",
    "image": "This file is a picture, not a spreadsheet: upload a CSV or an Excel file (.xlsx).",
    "pdf": "This file is a PDF, not a spreadsheet: upload a CSV or an Excel file (.xlsx).",
    "corrupt_workbook": "This Excel file is damaged and cannot be opened: open it in Excel, save it again and upload the new copy.",
    "zip_bomb": "This Excel file unpacks to far more data than a recipient list can hold, so we did not open it.",
    "encrypted": "This Excel file is protected with a password: remove the password in Excel and upload it again.",
    "too_big": "The file is {size}, over the {limit} limit: split it into smaller files.",
    "too_many_rows": "The file has {rows:,} recipients, more than the {limit:,} we can take at once: split it into smaller files.",
    "duplicate_headers": "Columns {first} and {second} are both called '{name}': rename one of them and upload again.",
    "no_sheet": "This Excel file has no sheet called '{sheet}'.",
    "no_visible_sheet": "This Excel file has no visible sheet with data.",
    "too_many_columns": "The file has {columns:,} columns, more than the {limit:,} a recipient list can have.",
    "too_much_text": (
        "This file holds {size} of text once opened, more than the {limit} a recipient list can hold, "
        "so we did not open it: split it into smaller files."
    ),
    "too_many_cells": (
        "This file's sheet reaches row {rows:,} and column {column}, {cells:,} cells in all, more than the "
        "{limit:,} a recipient list can hold, so we did not open it."
    ),
    "sparse_sheet": (
        "This file's sheet reaches row {rows:,} and column {column} with only {filled:,} cells filled: opening "
        "the empty space in between would take {cells:,} cells, so we did not open it. Delete the far-away "
        "cells in Excel, or copy your data to a new sheet, and upload it again."
    ),
    "too_many_cells_text": (
        "This file has {cells:,} cells, more than the {limit:,} a recipient list can hold, "
        "so we did not read it: split it into smaller files."
    ),
    "too_many_strings": (
        "This Excel file holds over {limit:,} different texts, more than a recipient list can hold, "
        "so we did not open it: split it into smaller files."
    ),
}

FIELD_DESCRIPTIONS: dict[str, tuple[str, str]] = {
    # field -> (what the marketer calls it, example header names)
    "uniqueId": ("the customer id", "'customer id' or 'κωδικός πελάτη'"),
    "mobilePhone": ("mobile numbers", "'mobile' or 'κινητό'"),
    "email": ("email addresses", "'email' or 'e-mail'"),
    "cardNumber": ("card numbers", "'card number' or 'κάρτα'"),
    "marketingConsent": ("marketing consent", "'marketing consent' or 'συγκατάθεση'"),
}

COUNTRY_NAMES = {
    "GR": "Greece",
    "CY": "Cyprus",
    "GB": "the United Kingdom",
    "DE": "Germany",
    "IT": "Italy",
    "FR": "France",
    "ES": "Spain",
    "BG": "Bulgaria",
    "AL": "Albania",
    "RO": "Romania",
    "TR": "Turkey",
    "US": "the United States",
}


def severity_of(code: str) -> Severity:
    return MESSAGES[code][0]


def message(code: str, **values: object) -> str:
    return MESSAGES[code][1].format(**values)


def country_name(region: str | None) -> str:
    if not region:
        return "another country"
    return COUNTRY_NAMES.get(region, region)


def countries_phrase(regions: Sequence[str]) -> str:
    return join_words([country_name(r) for r in regions], "or")


def join_words(words: Sequence[str], last: str = "and") -> str:
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {last} " + words[-1]


def rows_phrase(rows: Sequence[int], limit: int = 5) -> str:
    """'row 14', 'rows 14 and 20', 'rows 3, 4, 5, 6, 7 and 2 more'."""
    rows = list(rows)
    if len(rows) == 1:
        return f"row {rows[0]}"
    if len(rows) <= limit:
        return "rows " + join_words([str(r) for r in rows])
    return "rows " + ", ".join(str(r) for r in rows[:limit]) + f" and {len(rows) - limit} more"


def file_error(key: str, **values: object) -> str:
    return FILE_ERRORS[key].format(**values)


def human_size(size: int) -> str:
    if size >= 10 * 1024**3:
        return f"{size / 1024**3:,.0f} GB"
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.0f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"


def empty_problem_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": pd.Series([], dtype="int64"),
            "column": pd.Series([], dtype="str"),
            "code": pd.Series([], dtype="str"),
            "severity": pd.Series([], dtype="str"),
            "message": pd.Series([], dtype="str"),
        }
    )


def problem_frame(rows: Iterable[int] | pd.Index, column: str, code: str, messages: Sequence[str] | str | None = None) -> pd.DataFrame:
    """Problems of one code for many rows at once; `messages` per row or one for all (default: the code's text)."""
    rows = pd.Index(rows, dtype="int64")
    text = MESSAGES[code][1] if messages is None else messages
    return pd.DataFrame(
        {
            "row": rows.to_numpy(),
            "column": column,
            "code": code,
            "severity": severity_of(code).value,
            "message": text if isinstance(text, str) else list(text),
        },
        columns=PROBLEM_COLUMNS,
    )  # text columns become str once, after all parts are joined


def _rows(n: int) -> str:
    return f"{n:,} row" if n == 1 else f"{n:,} rows"


def summary_sentences(problems: pd.DataFrame, channel_destination: str, repeated_id_extra: int = 0) -> list[str]:
    """Group problems into actionable sentences, most blocking first."""
    if problems.empty:
        return []
    sentences: list[str] = []
    file_level = problems[problems["column"].eq("") & problems["row"].eq(1)]
    for text in dict.fromkeys(file_level.loc[file_level["severity"].eq("error"), "message"]):
        sentences.append(text)
    by_code = problems.groupby("code", sort=False)["row"]
    counts = {code: rows.nunique() for code, rows in by_code}
    columns = {code: problems.loc[problems["code"].eq(code), "column"].iloc[0] for code in counts}

    def count(*codes: str) -> int:
        rows = problems.loc[problems["code"].isin(codes), "row"]
        return rows.nunique()

    if n := count("unique_id.missing"):
        sentences.append(f"Enter the missing customer id in {_rows(n)}")
    if "unique_id.repeated" in counts:
        word = "id" if repeated_id_extra == 1 else "ids"
        sentences.append(f"Remove {repeated_id_extra:,} repeated customer {word} (rows that share an id are not sent)")
    if n := count("cell.not_text"):
        sentences.append(
            f"Fix the character that is not valid text in {_rows(n)} (shown as � or missing): they are not sent"
        )
    if n := count("mobile.missing"):
        sentences.append(f"Enter the missing mobile number in {_rows(n)}")
    if n := count("mobile.excel_digits_lost"):
        sentences.append(
            f"Excel cut digits off the mobile number in {_rows(n)}: format the '{columns['mobile.excel_digits_lost']}' "
            "column as text in Excel and export the file again"
        )
    if n := count("mobile.invalid", "mobile.too_short", "mobile.too_long", "mobile.not_mobile", "mobile.country_not_allowed"):
        severity = _severity_of_codes(problems, ("mobile.invalid", "mobile.too_short", "mobile.too_long", "mobile.not_mobile"))
        if severity == "error":
            sentences.append(f"Fix the mobile number in {_rows(n)}")
        else:
            sentences.append(f"The mobile number in {_rows(n)} is not valid; it will not be sent")
    if n := count("email.missing"):
        sentences.append(f"Enter the missing email address in {_rows(n)}")
    if n := count("email.invalid"):
        if _severity_of_codes(problems, ("email.invalid",)) == "error":
            sentences.append(f"Fix the email address in {_rows(n)}")
        else:
            sentences.append(f"The email address in {_rows(n)} is not valid; it will not be sent")
    if n := count("consent.unreadable"):
        sentences.append(f"Write yes or no in the marketing consent column in {_rows(n)}")
    if n := count("mobile.excel_repaired"):
        sentences.append(
            f"Excel had changed the mobile number in {_rows(n)} into a number like 6.936862208E+09; we read them back. "
            "Format the column as text in Excel next time"
        )
    if n := count("destination.repeated"):
        verb, pronoun = ("repeats", "it gets") if n == 1 else ("repeat", "they get")
        sentences.append(
            f"{_rows(n)} {verb} a {channel_destination} already in the file: {pronoun} the message again "
            "unless you choose to keep only the first"
        )
    for text in dict.fromkeys(file_level.loc[file_level["severity"].eq("warning"), "message"]):
        sentences.append(text)
    return sentences


def _severity_of_codes(problems: pd.DataFrame, codes: tuple[str, ...]) -> str:
    severities = problems.loc[problems["code"].isin(codes), "severity"]
    return "error" if severities.eq("error").any() else "warning"
