"""Mobile numbers: the shapes people type -> E.164, with phonenumbers as the judge.

`check_one` is the reference: Excel repair, then phonenumbers on the text. `check_many` gives the same
answers for a whole column: each distinct value is judged once, and the common Greek shapes
(69xxxxxxxx with +30 / 0030 / 30 in front, spaces, dashes, dots, brackets) take a vectorised path whose
verdict equals phonenumbers' for every string it accepts (the bench and a property test check this).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from phonenumbers import PhoneNumberType, ValidationResult

from lib.recipients.problems import countries_phrase, country_name, message

_WHOLE_WITH_ZEROS = re.compile(r"^\+?(\d{6,})[.,]0+$")  # 6936862208.0: Excel's float, lossless
_SCIENTIFIC = re.compile(r"^\+?(\d)(?:[.,](\d+))?[eE]\+?(\d{1,2})$")  # 6.936862208E+09
EXCEL_SHAPES = r"^\+?(\d{6,}[.,]0+|\d([.,]\d+)?[eE]\+?\d{1,2})$"
_FAST_CLEAN = r"[ \-.()]"
_FAST_GREEK = r"^(?:\+30|0030|30)?(?P<n>69\d{8})$"
_MOBILE_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


@dataclass(frozen=True)
class Verdict:
    e164: str | None  # None when the number cannot be sent
    code: str | None  # a problem code, or None when all is well
    message: str | None = None


def excel_repair(text: str) -> tuple[str | None, str | None]:
    """(digits, code) for a number Excel turned into a float; (None, None) when the text is not Excel's doing."""
    if match := _WHOLE_WITH_ZEROS.match(text):
        return match.group(1), "mobile.excel_repaired"
    if match := _SCIENTIFIC.match(text):
        lead, fraction, exponent = match.group(1), match.group(2) or "", int(match.group(3))
        if len(fraction) == exponent:
            return lead + fraction, "mobile.excel_repaired"
        if len(fraction) < exponent:
            return None, "mobile.excel_digits_lost"
    return None, None


def check_one(raw: str | None, region: str, allowed: Sequence[str]) -> Verdict:
    """The reference verdict for one cell, straight from phonenumbers."""
    text = (raw or "").strip()
    if not text:
        return Verdict(None, "mobile.missing", message("mobile.missing"))
    digits, excel_code = excel_repair(text)
    if excel_code == "mobile.excel_digits_lost":
        return Verdict(None, excel_code, message(excel_code, raw=text))
    verdict = _library(digits or text, region, allowed)
    if excel_code and verdict.code is None:
        return Verdict(verdict.e164, excel_code, message(excel_code, raw=text, repaired=digits))
    return verdict


def _library(text: str, region: str, allowed: Sequence[str]) -> Verdict:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        code = {
            phonenumbers.NumberParseException.TOO_SHORT_NSN: "mobile.too_short",
            phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "mobile.too_short",
            phonenumbers.NumberParseException.TOO_LONG: "mobile.too_long",
        }.get(exc.error_type, "mobile.invalid")
        return _invalid(code, allowed)
    if not phonenumbers.is_valid_number(number):
        reason = phonenumbers.is_possible_number_with_reason(number)
        code = {ValidationResult.TOO_SHORT: "mobile.too_short", ValidationResult.TOO_LONG: "mobile.too_long"}.get(
            reason, "mobile.invalid"
        )
        return _invalid(code, allowed)
    country = phonenumbers.region_code_for_number(number)
    if country not in allowed:
        code = "mobile.country_not_allowed"
        return Verdict(None, code, message(code, country=country_name(country), allowed=countries_phrase(allowed)))
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        return Verdict(None, "mobile.not_mobile", message("mobile.not_mobile"))
    return Verdict(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None, None)


def _invalid(code: str, allowed: Sequence[str]) -> Verdict:
    for_country = f" for {countries_phrase(allowed)}" if allowed else ""
    return Verdict(None, code, message(code, for_country=for_country))


@dataclass
class ColumnVerdicts:
    """One entry per row, aligned with the input: value (normalised; missing = not sendable), code and message
    (missing = fine)."""

    value: pd.Series
    code: pd.Series
    message: pd.Series


def check_many(values: pd.Series, region: str, allowed: Sequence[str]) -> ColumnVerdicts:
    """check_one for a whole column, each distinct value once, the common Greek shapes vectorised."""
    encoded = arrow_text(values).dictionary_encode()
    distinct = encoded.dictionary
    e164, codes, texts = _judge_distinct(distinct, region, tuple(allowed))
    indices = encoded.indices
    return ColumnVerdicts(
        value=expand(e164, indices, values.index),
        code=expand(codes, indices, values.index),
        message=expand(texts, indices, values.index),
    )


def _judge_distinct(distinct: pa.Array, region: str, allowed: tuple[str, ...]) -> tuple[pa.Array, pa.Array, pa.Array]:
    stripped = pc.utf8_trim_whitespace(distinct)
    fast = np.zeros(len(distinct), dtype=bool)
    e164 = np.full(len(distinct), None, dtype=object)
    if region == "GR" and "GR" in allowed:
        cleaned = pc.replace_substring_regex(stripped, _FAST_CLEAN, "")
        national = pc.struct_field(pc.extract_regex(cleaned, _FAST_GREEK), "n")
        excel = pc.match_substring_regex(stripped, EXCEL_SHAPES)
        accepted = pc.and_(pc.is_valid(national), pc.invert(excel))
        fast = accepted.to_numpy(zero_copy_only=False)
        e164[fast] = pc.binary_join_element_wise("+30", national.filter(accepted), "").to_numpy(zero_copy_only=False)
    codes = np.full(len(distinct), None, dtype=object)
    texts = np.full(len(distinct), None, dtype=object)
    slow = np.flatnonzero(~fast)
    if slow.size:
        for position, raw in zip(slow, distinct.take(pa.array(slow)).to_pylist(), strict=True):
            verdict = check_one(raw, region, allowed)
            e164[position], codes[position], texts[position] = verdict.e164, verdict.code, verdict.message
    return (pa.array(e164, type=pa.string()), pa.array(codes, type=pa.string()), pa.array(texts, type=pa.string()))


def arrow_text(values: pd.Series) -> pa.Array:
    """A text column as one arrow array with no nulls (zero-copy for arrow-backed columns)."""
    array = pa.array(values, type=pa.string(), from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.fill_null("")


def expand(per_distinct: pa.Array, indices: pa.Array, index: pd.Index) -> pd.Series:
    column = per_distinct.take(indices).to_pandas()
    column.index = index
    return column.astype("str")
