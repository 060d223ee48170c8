"""What can be wrong with a recipient file, as codes with parameters; the words are in the `recipients` catalog.

Codes are stable (the CLI's JSON and the UI key on them); wording may change and follows the reader's
language. Row numbers are the spreadsheet's own (header = row 1, first recipient = row 2) so the reader
can find the row in Excel.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import pandas as pd

from lib import i18n


class Severity(StrEnum):
    ERROR = "error"  # the row is not sent
    WARNING = "warning"  # the row is sent; the marketer should know


class ProblemCode(StrEnum):
    MOBILE_MISSING = "mobile.missing"
    MOBILE_INVALID = "mobile.invalid"
    MOBILE_TOO_SHORT = "mobile.too_short"
    MOBILE_TOO_LONG = "mobile.too_long"
    MOBILE_NOT_MOBILE = "mobile.not_mobile"
    MOBILE_COUNTRY_NOT_ALLOWED = "mobile.country_not_allowed"
    MOBILE_EXCEL_REPAIRED = "mobile.excel_repaired"
    MOBILE_EXCEL_DIGITS_LOST = "mobile.excel_digits_lost"
    EMAIL_MISSING = "email.missing"
    EMAIL_INVALID = "email.invalid"
    UNIQUE_ID_MISSING = "unique_id.missing"
    UNIQUE_ID_REPEATED = "unique_id.repeated"
    DESTINATION_REPEATED = "destination.repeated"
    COLUMN_MISSING = "column.missing"
    TAG_COLUMN_MISSING = "tag.column_missing"
    HEADER_BLANK = "header.blank"
    # A byte that is not UTF-8 in an otherwise UTF-8 file, or a NUL: the cell is not sent rather than guessed.
    CELL_NOT_TEXT = "cell.not_text"
    # Marketing consent (lib.rules.consent): unreadable is an error; "no" leaves the row out of marketing sends.
    CONSENT_UNREADABLE = "consent.unreadable"
    CONSENT_NO = "consent.no"
    CONSENT_NOT_CHECKED = "consent.not_checked"


PROBLEM = i18n.family("recipients.problem", ProblemCode)

SEVERITIES: dict[ProblemCode, Severity] = {
    code: Severity.WARNING
    for code in (ProblemCode.MOBILE_EXCEL_REPAIRED, ProblemCode.DESTINATION_REPEATED, ProblemCode.TAG_COLUMN_MISSING,
                 ProblemCode.HEADER_BLANK, ProblemCode.CONSENT_NO, ProblemCode.CONSENT_NOT_CHECKED)
}
# Every code, its severity (the CLI's JSON and the pages key on the codes).
MESSAGES: dict[ProblemCode, Severity] = {code: SEVERITIES.get(code, Severity.ERROR) for code in ProblemCode}


@dataclass(frozen=True)
class Problem:
    row: int  # spreadsheet numbering: header = 1, first recipient = 2
    column: str  # the header as the file writes it; "" for a whole row or the whole file
    code: str  # a ProblemCode
    severity: Severity
    message: str  # the words, in the language of whoever read the file
    params: Mapping[str, object] = field(default_factory=dict, compare=False)  # what the words were made from

    @classmethod
    def of(cls, row: int, column: str, code: str, /, **params: object) -> Problem:
        """A problem worded from the catalog in the current language; `params` fill its sentence."""
        return cls(row, column, ProblemCode(code), severity_of(code), message(code, **params), params)

    def reworded(self) -> Problem:
        """The same problem in the current language (a problem kept across readers, like the reader's notes)."""
        return Problem.of(self.row, self.column, self.code, **self.params)

    def to_json(self) -> dict:
        return {
            "row": self.row,
            "column": self.column,
            "code": str(self.code),
            "severity": self.severity.value,
            "message": str(self.message),
        }


PROBLEM_COLUMNS = ["row", "column", "code", "severity", "message"]


class FileError(StrEnum):
    """Why a file is not a recipient list at all (raised as RecipientFileError by the reader)."""

    EMPTY = "empty"
    HEADER_ONLY = "header_only"
    NOT_SPREADSHEET = "not_spreadsheet"
    IMAGE = "image"
    PDF = "pdf"
    CORRUPT_WORKBOOK = "corrupt_workbook"
    ZIP_BOMB = "zip_bomb"
    ENCRYPTED = "encrypted"
    TOO_BIG = "too_big"
    TOO_MANY_ROWS = "too_many_rows"
    DUPLICATE_HEADERS = "duplicate_headers"
    NO_SHEET = "no_sheet"
    NO_VISIBLE_SHEET = "no_visible_sheet"
    TOO_MANY_COLUMNS = "too_many_columns"
    TOO_MUCH_TEXT = "too_much_text"
    TOO_MANY_CELLS = "too_many_cells"
    SPARSE_SHEET = "sparse_sheet"
    TOO_MANY_CELLS_TEXT = "too_many_cells_text"
    TOO_MANY_STRINGS = "too_many_strings"


FILE_ERROR = i18n.family("recipients.file", FileError)
FILE_ERRORS = tuple(FileError)

# The fields a file needs a column for, in the marketer's words: recipients.field.<field> and .examples
FIELDS = ("uniqueId", "mobilePhone", "email", "cardNumber", "marketingConsent")
FIELD_WORDS = i18n.family("recipients.field", FIELDS)
FIELD_EXAMPLES = i18n.family("recipients.examples", FIELDS)


def severity_of(code: str) -> Severity:
    return MESSAGES[ProblemCode(code)]


def message(code: str, **values: object) -> str:
    """The sentence for a problem code in the current language."""
    if not values:
        return _plain_message(ProblemCode(code), i18n.current())
    return i18n.coded(PROBLEM, ProblemCode(code), **values)


@functools.lru_cache(maxsize=256)
def _plain_message(code: ProblemCode, lang: str) -> str:
    """A sentence without parameters, worded once per language (asked for once per bad cell)."""
    with i18n.language(lang):
        return i18n.coded(PROBLEM, code)


def file_error(key: str, **values: object) -> i18n.Msg:
    """A not-a-file sentence, worded when it is shown (str())."""
    return i18n.Msg(f"{FILE_ERROR}.{FileError(key).value}", **values)


def field_words(field_name: str) -> tuple[str, str]:
    """(what the marketer calls the field, example header names) in the current language."""
    return i18n.coded(FIELD_WORDS, field_name), i18n.coded(FIELD_EXAMPLES, field_name)


def country_name(region: str | None) -> str:
    """The country's name in the reader's language (CLDR's), with the article English puts before some."""
    if not region:
        return i18n.t("recipients.country.other")
    name = i18n.babel_locale().territories.get(region, region)
    if i18n.current() == "en" and region in ("GB", "US"):
        return "the " + name
    return name


def countries_phrase(regions: Sequence[str]) -> str:
    return join_words([country_name(r) for r in regions], "or")


def join_words(words: Sequence[str], last: str = "and") -> str:
    """'a, b and c' (last="and") or 'a, b or c' (last="or") in the reader's language."""
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    key = "recipients.list.or" if last == "or" else "recipients.list.and"
    return i18n.t(key, first=", ".join(words[:-1]), last=words[-1])


def rows_phrase(rows: Sequence[int], limit: int = 5) -> str:
    """'row 14', 'rows 14 and 20', 'rows 3, 4, 5, 6, 7 and 2 more' (row numbers as Excel shows them)."""
    rows = [str(r) for r in rows]
    if len(rows) == 1:
        return i18n.t("recipients.row_named", row=rows[0])
    if len(rows) <= limit:
        return i18n.t("recipients.rows_named", rows=join_words(rows))
    return i18n.t("recipients.rows_named_more", rows=", ".join(rows[:limit]), more=len(rows) - limit)


def human_size(size: int) -> str:
    if size >= 10 * 1024**3:
        return i18n.t("recipients.size.gb", size=round(size / 1024**3))
    if size >= 1024 * 1024:
        return i18n.t("recipients.size.mb", size=round(size / (1024 * 1024)))
    if size >= 1024:
        return i18n.t("recipients.size.kb", size=round(size / 1024))
    return i18n.t("recipients.size.bytes", n=size)


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
    """Problems of one code for many rows at once; `messages` per row or one for all (default: the code's
    sentence without parameters, in the current language)."""
    rows = pd.Index(rows, dtype="int64")
    text = message(code) if messages is None else messages
    return pd.DataFrame(
        {
            "row": rows.to_numpy(),
            "column": column,
            "code": str(code),
            "severity": severity_of(code).value,
            "message": text if isinstance(text, str) else list(text),
        },
        columns=PROBLEM_COLUMNS,
    )  # text columns become str once, after all parts are joined


_INVALID_MOBILE = ("mobile.invalid", "mobile.too_short", "mobile.too_long", "mobile.not_mobile")


def summary_sentences(problems: pd.DataFrame, channel: str, repeated_id_extra: int = 0) -> list[str]:
    """Group problems into actionable sentences, most blocking first (`channel`: sms or email, whose
    address a repeated row repeats)."""
    if problems.empty:
        return []
    sentences: list[str] = []
    file_level = problems[problems["column"].eq("") & problems["row"].eq(1)]
    for text in dict.fromkeys(file_level.loc[file_level["severity"].eq("error"), "message"]):
        sentences.append(text)
    codes = set(problems["code"].unique())

    def count(*codes: str) -> int:
        rows = problems.loc[problems["code"].isin(codes), "row"]
        return rows.nunique()

    if n := count("unique_id.missing"):
        sentences.append(i18n.t("recipients.summary.id_missing", n=n))
    if "unique_id.repeated" in codes:
        sentences.append(i18n.t("recipients.summary.id_repeated", n=repeated_id_extra))
    if n := count("cell.not_text"):
        sentences.append(i18n.t("recipients.summary.not_text", n=n))
    if n := count("mobile.missing"):
        sentences.append(i18n.t("recipients.summary.mobile_missing", n=n))
    if n := count("mobile.excel_digits_lost"):
        column = problems.loc[problems["code"].eq("mobile.excel_digits_lost"), "column"].iloc[0]
        sentences.append(i18n.t("recipients.summary.excel_digits_lost", n=n, column=column))
    if n := count(*_INVALID_MOBILE, "mobile.country_not_allowed"):
        if _severity_of_codes(problems, _INVALID_MOBILE) == "error":
            sentences.append(i18n.t("recipients.summary.mobile_fix", n=n))
        else:
            sentences.append(i18n.t("recipients.summary.mobile_not_sent", n=n))
    if n := count("email.missing"):
        sentences.append(i18n.t("recipients.summary.email_missing", n=n))
    if n := count("email.invalid"):
        if _severity_of_codes(problems, ("email.invalid",)) == "error":
            sentences.append(i18n.t("recipients.summary.email_fix", n=n))
        else:
            sentences.append(i18n.t("recipients.summary.email_not_sent", n=n))
    if n := count("consent.unreadable"):
        sentences.append(i18n.t("recipients.summary.consent_unreadable", n=n))
    if n := count("mobile.excel_repaired"):
        sentences.append(i18n.t("recipients.summary.excel_repaired", n=n))
    if n := count("destination.repeated"):
        if channel == "email":
            sentences.append(i18n.t("recipients.summary.email_repeated", n=n))
        else:
            sentences.append(i18n.t("recipients.summary.mobile_repeated", n=n))
    for text in dict.fromkeys(file_level.loc[file_level["severity"].eq("warning"), "message"]):
        sentences.append(text)
    return sentences


def _severity_of_codes(problems: pd.DataFrame, codes: tuple[str, ...]) -> str:
    severities = problems.loc[problems["code"].isin(codes), "severity"]
    return "error" if severities.eq("error").any() else "warning"
