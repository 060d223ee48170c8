"""Marketing consent, read from an optional column of the recipient file ("Marketing consent", "συγκατάθεση").

Accepted, whatever the case, accents or surrounding spaces: yes/no, ναι/όχι, y/n, 1/0, true/false,
x/empty. Anything else is an error naming the row and the column: a consent is never guessed.
Each distinct value is read once, so a million-row column costs one factorize and a lookup.
When the template is marketing, rows without consent are left out; without a consent column at all,
a marketing send says once that consent was not checked.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib.recipients.problems import Problem, ProblemCode, empty_problem_frame, message, problem_frame
from lib.templates import Template

CODE_UNREADABLE = ProblemCode.CONSENT_UNREADABLE  # an error: the row is not sent
CODE_NO_CONSENT = ProblemCode.CONSENT_NO  # the left-out reason for a marketing template
CODE_NOT_CHECKED = ProblemCode.CONSENT_NOT_CHECKED  # once per marketing send without a consent column
HEADER_ROW = 1

_YES = ("yes", "y", "ναι", "1", "true", "x")
_NO = ("no", "n", "όχι", "0", "false", "")
_SHOWN_VALUE_LIMIT = 40


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_READINGS: dict[str, bool] = {_plain(v): True for v in _YES} | {_plain(v): False for v in _NO}


def read_value(text: str | None) -> bool | None:
    """One cell: True (consent), False (none), None (unreadable). A missing cell is no consent."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return False
    return _READINGS.get(_plain(str(text)))


@dataclass(frozen=True)
class ConsentReading:
    header: str | None  # the column as the file writes it; None: the file has no consent column
    given: pd.Series | None  # per spreadsheet row: True / False / <NA> (unreadable); None without a column
    problems: pd.DataFrame  # one error per unreadable cell (row, column, code, severity, message)

    @property
    def checked(self) -> bool:
        return self.header is not None

    def unreadable_rows(self) -> pd.Index:
        return pd.Index([], dtype="int64") if self.given is None else self.given.index[self.given.isna().to_numpy()]


def read_consent(cells: pd.Series | None, header: str | None) -> ConsentReading:
    """Read a whole consent column (index = spreadsheet row numbers). `cells` None: no column."""
    if cells is None or header is None:
        return ConsentReading(None, None, empty_problem_frame())
    codes, distinct = pd.factorize(cells, use_na_sentinel=True)
    readings = [read_value(v) for v in distinct] + [False]  # the last one is for missing cells (code -1)
    yes = np.array([r is True for r in readings])[codes]
    unreadable = np.array([r is None for r in readings])[codes]
    given = pd.Series(pd.arrays.BooleanArray(yes, unreadable), index=cells.index)
    if not unreadable.any():
        return ConsentReading(header, given, empty_problem_frame())
    bad_codes = codes[unreadable]
    texts = np.array([_unreadable_message(str(v)) for v in distinct], dtype=object)[bad_codes]
    problems = problem_frame(cells.index[unreadable], header, CODE_UNREADABLE, list(texts))
    return ConsentReading(header, given, problems)


def reading_of(recipients) -> ConsentReading:
    """The consent a RecipientList's validation already read (its frame's `marketingConsent` column and its
    consent.unreadable problems): no second pass over the file."""
    header = recipients.mapping.marketing_consent
    if header is None:
        return read_consent(None, None)
    problems = recipients.problems
    return ConsentReading(header, recipients.frame["marketingConsent"], problems[problems["code"].eq(CODE_UNREADABLE)])


def no_consent_reason() -> str:
    """Why a row without consent is left out of a marketing send, in the reader's language."""
    return message(CODE_NO_CONSENT)


def _unreadable_message(value: str) -> str:
    shown = value.strip()
    if len(shown) > _SHOWN_VALUE_LIMIT:
        shown = shown[: _SHOWN_VALUE_LIMIT - 1] + "…"
    return message(CODE_UNREADABLE, found=shown)


def left_out_without_consent(reading: ConsentReading, template: Template) -> pd.Index:
    """Spreadsheet rows a marketing template leaves out because they did not consent (unreadable rows are
    errors, not counted here). Empty for service templates and when the file has no consent column."""
    if not template.is_marketing or reading.given is None:
        return pd.Index([], dtype="int64")
    refused = reading.given.eq(False).fillna(False).to_numpy(dtype=bool)
    return reading.given.index[refused]


def not_checked_notice(template: Template, reading: ConsentReading) -> Problem | None:
    """The one file-level warning for a marketing send whose file has no consent column; None otherwise."""
    if not template.is_marketing or reading.checked:
        return None
    return Problem.of(HEADER_ROW, "", CODE_NOT_CHECKED)
