"""Mobile numbers: the shapes people type -> E.164, with phonenumbers as the judge.

`check_one` is the reference: Excel repair, then phonenumbers on the text. `check_many` gives the same
answers for a whole column: each distinct value is judged once, and the common Greek shapes
(69xxxxxxxx with +30 / 0030 / 30 in front, spaces, dashes, dots, brackets) take a vectorised path whose
verdict equals phonenumbers' for every string it accepts (the bench and a property test check this).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from phonenumbers import PhoneNumberType, ValidationResult

from lib import i18n
from lib.recipients.problems import countries_phrase, country_name, message

_WHOLE_WITH_ZEROS = re.compile(r"^\+?(\d{6,})[.,]0+$")  # 6936862208.0: Excel's float, lossless
_SCIENTIFIC = re.compile(r"^\+?(\d)(?:[.,](\d+))?[eE]\+?(\d{1,2})$")  # 6.936862208E+09
_FAST_CLEAN = " -.()"  # removed before matching the Greek shapes
# A Greek national number written with +30 or 0030 in front, or bare (not starting with 0 or 3, where
# phonenumbers would try a trunk prefix or country code), or 30 + exactly 10 digits. For each of these
# phonenumbers ends with country code 30 and this national number (GR has no national prefix), so its
# verdict is the number type from GR's own metadata patterns, applied below in the library's order.
_FAST_GREEK = r"^(?:(?:\+30|0030)(?P<n>[1-9]\d{2,14})|30(?P<t>[1-9]\d{9})|(?P<m>[124-9]\d{2,14}))$"
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
    return _invalid_in(code, tuple(allowed), i18n.current())


@functools.lru_cache(maxsize=64)
def _invalid_in(code: str, allowed: tuple[str, ...], lang: str) -> Verdict:
    """Worded once per language: a column of bad numbers asks for the same few sentences many times."""
    with i18n.language(lang):
        for_country = i18n.t("recipients.problem_for_country", countries=countries_phrase(allowed)) if allowed else ""
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
    e164 = pa.nulls(len(distinct), pa.string())  # arrow, not Python strings: a million of those is 100 MB
    codes = np.full(len(distinct), None, dtype=object)  # these only point at a few shared strings
    texts = np.full(len(distinct), None, dtype=object)
    if region == "GR" and "GR" in allowed:
        candidates, repaired, lost = _excel_repairs(stripped)
        codes[lost] = "mobile.excel_digits_lost"
        texts[lost] = _lost_messages(stripped, lost)
        cleaned = candidates
        for punctuation in _FAST_CLEAN:  # literal replaces are cheaper than one regex replace
            cleaned = pc.replace_substring(cleaned, punctuation, "")
        parts = pc.extract_regex(cleaned, _FAST_GREEK)
        groups = [pc.struct_field(parts, g) for g in ("n", "t", "m")]
        national = pc.binary_join_element_wise(*groups, "")  # the two groups that did not match are ""
        fast = pc.is_valid(parts).to_numpy(zero_copy_only=False) & ~lost
        positions = np.flatnonzero(fast)
        national = national.take(pa.array(positions))
        kinds = _greek_kinds(national)
        mobile = kinds == "mobile"
        e164 = scatter(e164, positions[mobile], pc.binary_join_element_wise("+30", national.filter(pa.array(mobile)), ""))
        for kind, code in (("other", "mobile.not_mobile"), ("invalid", "mobile.invalid"), ("short", "mobile.too_short"),
                           ("long", "mobile.too_long")):  # fmt: skip
            chosen = positions[kinds == kind]
            codes[chosen] = code
            texts[chosen] = _invalid(code, allowed).message
        fixed = positions[mobile & repaired[positions]]  # sendable, but the marketer should know Excel was at it
        codes[fixed] = "mobile.excel_repaired"
        texts[fixed] = _repaired_messages(stripped, candidates, fixed)
        fast |= lost
    slow = np.flatnonzero(~fast)
    if slow.size:
        verdicts = [check_one(raw, region, allowed) for raw in distinct.take(pa.array(slow)).to_pylist()]
        e164 = scatter(e164, slow, pa.array([v.e164 for v in verdicts], type=pa.string()))
        codes[slow] = [v.code for v in verdicts]
        texts[slow] = [v.message for v in verdicts]
    return e164, pa.array(codes, type=pa.string()), pa.array(texts, type=pa.string())


def scatter(target: pa.Array, positions: np.ndarray, values: pa.Array) -> pa.Array:
    """`target` with values[i] at positions[i] (positions ascending)."""
    if positions.size == 0:
        return target
    mask = np.zeros(len(target), dtype=bool)
    mask[positions] = True
    return pc.replace_with_mask(target, pa.array(mask), values)


_EXCEL_PARTS = r"^\+?(?:(?P<whole>\d{6,})[.,]0+|(?P<lead>\d)(?:[.,](?P<fraction>\d+))?[eE]\+?(?P<exponent>\d{1,2}))$"


def _excel_repairs(stripped: pa.Array) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """excel_repair for a whole column: (text to judge, repaired mask, digits-lost mask). A scientific
    number with more decimals than its exponent is not Excel's doing and is judged as written."""
    parts = pc.extract_regex(stripped, _EXCEL_PARTS)
    matched = pc.is_valid(parts).to_numpy(zero_copy_only=False)
    if not matched.any():
        return stripped, np.zeros(len(stripped), dtype=bool), np.zeros(len(stripped), dtype=bool)
    whole, lead, fraction, exponent = (pc.struct_field(parts, g) for g in ("whole", "lead", "fraction", "exponent"))
    exponent_value = pc.cast(pc.if_else(pc.equal(exponent, ""), "-1", exponent), pa.int64()).fill_null(-1)
    fraction_length = pc.utf8_length(fraction).fill_null(-2)
    is_whole = pc.greater(pc.utf8_length(whole), 0).fill_null(False).to_numpy(zero_copy_only=False)
    same = pc.equal(fraction_length, exponent_value).to_numpy(zero_copy_only=False)
    fewer = pc.less(fraction_length, exponent_value).to_numpy(zero_copy_only=False)
    scientific = matched & ~is_whole
    repaired = matched & (is_whole | (scientific & same))
    lost = scientific & fewer
    digits = pc.if_else(pa.array(is_whole), whole, pc.binary_join_element_wise(lead, fraction, ""))
    return pc.if_else(pa.array(repaired), digits, stripped), repaired, lost


def _lost_messages(stripped: pa.Array, lost: np.ndarray) -> list[str]:
    return [message("mobile.excel_digits_lost", raw=raw) for raw in stripped.filter(pa.array(lost)).to_pylist()]


def _repaired_messages(stripped: pa.Array, candidates: pa.Array, positions: np.ndarray) -> list[str]:
    take = pa.array(positions)
    pairs = zip(stripped.take(take).to_pylist(), candidates.take(take).to_pylist(), strict=True)
    return [message("mobile.excel_repaired", raw=raw, repaired=digits) for raw, digits in pairs]


def _greek_kinds(national: pa.Array) -> np.ndarray:
    """'mobile', 'other' (valid, not a mobile), 'invalid', 'short' or 'long' for Greek national numbers, by
    the library's own GR metadata in the order phonenumbers' number-type check uses it. Each pattern runs
    only on the numbers still undecided, so the long fixed-line pattern sees few of them."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("GR")
    lengths = pc.utf8_length(national).to_numpy(zero_copy_only=False)
    possible = metadata.general_desc.possible_length
    kinds = np.full(len(national), "invalid", dtype=object)  # ValidationResult IS_POSSIBLE or INVALID_LENGTH
    kinds[lengths < min(possible)] = "short"
    kinds[lengths > max(possible)] = "long"
    undecided = np.flatnonzero(_matches(national, lengths, metadata.general_desc, np.arange(len(national))))
    for desc in (metadata.premium_rate, metadata.toll_free, metadata.shared_cost, metadata.voip,
                 metadata.personal_number, metadata.pager, metadata.uan, metadata.voicemail):  # fmt: skip
        hit = _matches(national, lengths, desc, undecided)
        kinds[undecided[hit]] = "other"
        undecided = undecided[~hit]
    if metadata.same_mobile_and_fixed_line_pattern:
        kinds[undecided[_matches(national, lengths, metadata.fixed_line, undecided)]] = "mobile"
        return kinds
    mobile = _matches(national, lengths, metadata.mobile, undecided)
    kinds[undecided[mobile]] = "mobile"  # MOBILE, or FIXED_LINE_OR_MOBILE when fixed-line matches too
    rest = undecided[~mobile]
    kinds[rest[_matches(national, lengths, metadata.fixed_line, rest)]] = "other"
    return kinds


def _matches(national: pa.Array, lengths: np.ndarray, desc, subset: np.ndarray) -> np.ndarray:
    """phonenumbers' _is_number_matching_desc over the `subset` positions: length first, then the pattern."""
    result = np.zeros(subset.size, dtype=bool)
    if desc is None or desc.national_number_pattern is None or subset.size == 0:
        return result
    if desc.possible_length:
        candidates = np.flatnonzero(np.isin(lengths[subset], desc.possible_length))
    else:
        candidates = np.arange(subset.size)
    if candidates.size:
        values = national.take(pa.array(subset[candidates]))
        pattern = f"^(?:{desc.national_number_pattern})$"
        result[candidates] = pc.match_substring_regex(values, pattern).to_numpy(zero_copy_only=False)
    return result


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
