"""SMS encoding, length and parts for a whole list at once, without a Python loop per row.

A message is the template's literal text with each tag slot filled by a value. Its GSM-7
septets, UTF-16 units and encoding therefore add up from the literals (constant) and from
each value (one figure per value). Values are measured with Arrow's string kernels, on the
distinct values of a column when it repeats (names, amounts, dates) or on the column itself
when nearly every value is different (voucher codes). Rows then combine with numpy.

The only thing that does not add up is a multi-part message containing a two-unit character
(an extension character in GSM-7, an emoji in UCS-2): where the part boundaries fall decides
whether it moves to the next part. Those rows alone are rendered and counted character by
character, still vectorised (numpy over a rows × characters matrix).

`sms.sms_metrics` is the one-message reference; tests and the bench check this module
agrees with it row for row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lib.personalization import sms
from lib.personalization.tags import ParsedTemplate


def _char_class(chars: str, negate: bool = False) -> str:
    body = "".join(f"\\x{{{ord(c):X}}}" for c in sorted(set(chars)))
    return f"[{'^' if negate else ''}{body}]"


NON_GSM7 = _char_class(sms.GSM7_BASIC_CHARACTERS + sms.GSM7_EXTENSION_CHARACTERS, negate=True)
FIRST_NON_GSM7 = f"(?P<c>{NON_GSM7})"
GSM7_EXTENSION = _char_class(sms.GSM7_EXTENSION_CHARACTERS)
ASTRAL = "[\\x{10000}-\\x{10FFFF}]"
_EXTENSION_CODEPOINTS = np.array(sorted(ord(c) for c in sms.GSM7_EXTENSION_CHARACTERS), dtype=np.uint32)

# Above this share of distinct values, measuring every row beats finding the distinct ones.
_DISTINCT_SHARE = 0.5
_SAMPLE = 4096


@dataclass
class ValueFigures:
    """Per row figures of one column's values (numpy arrays of the column's length)."""

    codepoints: np.ndarray  # int64
    extension: np.ndarray  # GSM-7 extension characters (each costs one extra septet)
    astral: np.ndarray  # characters outside the BMP (each costs one extra UTF-16 unit)
    gsm7: np.ndarray  # bool: every character is GSM-7
    triggers: np.ndarray  # object: first non-GSM-7 character ("" when GSM-7) per row, or per distinct value…
    codes: np.ndarray | None = None  # …with the row → distinct value codes

    def trigger_at(self, rows: np.ndarray) -> np.ndarray:
        """First non-GSM-7 character of the values at these row positions (a bool mask or indices)."""
        return self.triggers[rows] if self.codes is None else self.triggers[self.codes[rows]]


def _measure(values: pa.Array) -> ValueFigures:
    """Figures for every element of an Arrow string array without nulls."""
    n = len(values)
    if _all_letters_and_digits(values):  # codes, card numbers, points: nothing to look for
        zeros = np.zeros(n, dtype=np.int64)
        codepoints = pc.binary_length(values).to_numpy().astype(np.int64)
        return ValueFigures(codepoints, zeros, zeros, np.ones(n, dtype=bool), np.full(1, "", dtype=object), zeros)
    codepoints = pc.utf8_length(values).to_numpy().astype(np.int64)
    extension = pc.count_substring_regex(values, GSM7_EXTENSION).to_numpy().astype(np.int64)
    if pc.all(pc.string_is_ascii(values)).as_py() is not False:
        astral = np.zeros(n, dtype=np.int64)
    else:
        astral = pc.count_substring_regex(values, ASTRAL).to_numpy().astype(np.int64)
    not_gsm7 = pc.match_substring_regex(values, NON_GSM7).to_numpy(zero_copy_only=False)
    trigger = np.full(n, "", dtype=object)
    where = np.flatnonzero(not_gsm7)
    if where.size:
        found = pc.extract_regex(values.take(pa.array(where)), FIRST_NON_GSM7)
        trigger[where] = pc.struct_field(found, [0]).to_numpy(zero_copy_only=False)
    return ValueFigures(codepoints, extension, astral, ~not_gsm7, trigger)


def _all_letters_and_digits(values: pa.Array) -> bool:
    plain = pc.or_(pc.ascii_is_alnum(values), pc.equal(pc.binary_length(values), 0))
    return pc.all(plain).as_py() is not False


def _take(figures: ValueFigures, codes: np.ndarray) -> ValueFigures:
    """Per distinct value figures spread to the rows; triggers stay per value until asked for."""
    taken = (getattr(figures, f)[codes] for f in ("codepoints", "extension", "astral", "gsm7"))
    trigger_codes = codes if figures.codes is None else figures.codes[codes]
    return ValueFigures(*taken, triggers=figures.triggers, codes=trigger_codes)


def _mostly_distinct(values: pa.Array) -> bool:
    if len(values) <= _SAMPLE:
        return False
    sample = values.take(pa.array(np.random.default_rng(0).integers(0, len(values), _SAMPLE)))
    return pc.count_distinct(sample).as_py() > _DISTINCT_SHARE * _SAMPLE


def measure_column(column: pd.Series) -> ValueFigures:
    """Figures for each row of a column of strings (missing values must already be "")."""
    values = pa.array(column, type=pa.large_string(), from_pandas=True)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if _mostly_distinct(values):
        return _measure(values)
    codes, uniques = pd.factorize(column)
    return _take(_measure(pa.array(np.asarray(uniques, dtype=object), type=pa.large_string())), codes)


@dataclass
class MessageFigures:
    """Per row: the figures `sms.sms_metrics` gives for each rendered message."""

    characters: np.ndarray
    parts: np.ndarray
    gsm7: np.ndarray
    trigger: np.ndarray  # object: first character forcing UCS-2, "" in GSM-7
    values: dict[str, ValueFigures]  # the per-column figures they were added up from


def _literal_figures(text: str) -> tuple[int, int, int, str]:
    """(code points, extension characters, astral characters, first non-GSM-7 character)."""
    return (
        len(text),
        sum(ch in sms.GSM7_EXTENSION for ch in text),
        sum(ord(ch) > 0xFFFF for ch in text),
        sms.non_gsm7_characters(text)[:1],
    )


def message_figures(
    parsed: ParsedTemplate, columns: dict[str, pd.Series], n: int, figures: dict[str, ValueFigures] | None = None
) -> MessageFigures:
    """Figures of the `n` messages `parsed` renders from `columns` (tag → n filled values).
    `figures` may hold columns already measured (e.g. ones GSM-safe Greek left unchanged)."""
    figures = dict(figures or {})
    for tag in parsed.tags:
        if tag not in figures:
            figures[tag] = measure_column(columns[tag])
    literals = [_literal_figures(text) for text in parsed.parts[0::2]]
    slots = list(parsed.parts[1::2])

    codepoints = np.full(n, sum(f[0] for f in literals), dtype=np.int64)
    extension = np.full(n, sum(f[1] for f in literals), dtype=np.int64)
    astral = np.full(n, sum(f[2] for f in literals), dtype=np.int64)
    gsm7 = np.full(n, all(not f[3] for f in literals))
    for tag in slots:
        codepoints += figures[tag].codepoints
        extension += figures[tag].extension
        astral += figures[tag].astral
        gsm7 &= figures[tag].gsm7

    characters = np.where(gsm7, codepoints + extension, codepoints + astral)
    single = np.where(gsm7, sms.GSM7_SINGLE_PART, sms.UCS2_SINGLE_PART)
    per_part = np.where(gsm7, sms.GSM7_PER_PART, sms.UCS2_PER_PART)
    parts = np.where(characters <= single, 1, -(-characters // per_part))

    # A straddling character costs one unit of a part. P parts always hold `characters` plus
    # P − 1 such losses unless the last part is nearly full: only those rows need a closer look.
    slack = parts * per_part - characters
    wide = np.where(gsm7, extension > 0, astral > 0)
    uneven = np.flatnonzero((parts > 1) & wide & (slack < parts - 1))
    if uneven.size:
        literal_texts = list(parsed.parts[0::2])
        parts[uneven] = _exact_parts(literal_texts, slots, columns, figures, uneven, gsm7[uneven], characters[uneven])
    trigger = _first_trigger(literals, slots, figures, n)
    return MessageFigures(characters=characters, parts=parts, gsm7=gsm7, trigger=trigger, values=figures)


def _first_trigger(literals, slots, figures: dict[str, ValueFigures], n: int) -> np.ndarray:
    """The first character, in reading order, that forces UCS-2 in each message."""
    trigger = np.full(n, "", dtype=object)
    undecided = np.ones(n, dtype=bool)
    for index, literal in enumerate(literals):
        if literal[3]:
            trigger[undecided] = literal[3]
            break
        if index == len(slots):
            break
        values = figures[slots[index]]
        found = undecided & ~values.gsm7
        trigger[found] = values.trigger_at(found)
        undecided &= values.gsm7
    return trigger


def wide_offsets(text: str, gsm7: bool) -> list[int]:
    """Where each two-unit character of `text` starts, in septets (GSM-7) or UTF-16 units (UCS-2)."""
    offsets, position = [], 0
    for ch in text:
        wide = ch in sms.GSM7_EXTENSION if gsm7 else ord(ch) > 0xFFFF
        if wide:
            offsets.append(position)
        position += 2 if wide else 1
    return offsets


def _ragged_gather(lists: list[list[int]], codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For row i taking list codes[i]: (row position of each element, the element), flattened."""
    lengths = np.array([len(v) for v in lists], dtype=np.int64)
    flat = np.array([x for v in lists for x in v], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    counts = lengths[codes]
    owner = np.repeat(np.arange(len(codes)), counts)
    first = np.repeat(starts[codes] - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    return owner, flat[first + np.arange(counts.sum())]


def _keep_near_boundaries(
    owners: list, offsets: list, owner: np.ndarray, offset: np.ndarray, per_part: np.ndarray
) -> None:
    """Collect the two-unit characters that could straddle a part boundary, drop the rest.

    Part k ends at k·per_part units less one for every earlier part that ended early, so
    only a character starting at k·per_part − 1 − j (0 ≤ j < k) can straddle it."""
    end = offset + 1
    per = per_part[owner]
    remainder = end % per
    near = (remainder == 0) | (remainder > per - (-(-end // per)))
    owners.append(owner[near])
    offsets.append(offset[near])


def _exact_parts(
    literals: list[str],
    slots: list[str],
    columns: dict[str, pd.Series],
    figures: dict[str, ValueFigures],
    rows: np.ndarray,
    gsm7: np.ndarray,
    total: np.ndarray,
) -> np.ndarray:
    """Parts when no two-unit character may straddle two parts, for the given row positions.

    Every two-unit character's start (in the row's units) is collected as (row, offset): the
    literal ones are fixed, the ones inside values are worked out once per distinct value.
    A greedy fill then moves part by part for all rows at once: a part of `per_part` units
    that would end in the middle of a character ends one unit early instead."""
    count = len(rows)
    per_part = np.where(gsm7, sms.GSM7_PER_PART, sms.UCS2_PER_PART)
    start = np.zeros(count, dtype=np.int64)
    owners, offsets = [], []
    for index, literal in enumerate(literals):
        for encoding in (True, False):
            selected = np.flatnonzero(gsm7 == encoding)
            for offset in wide_offsets(literal, encoding):
                _keep_near_boundaries(owners, offsets, selected, start[selected] + offset, per_part)
        literal_units = np.where(
            gsm7,
            len(literal) + sum(ch in sms.GSM7_EXTENSION for ch in literal),
            len(literal) + sum(ord(ch) > 0xFFFF for ch in literal),
        )
        start += literal_units
        if index == len(slots):
            break
        tag = slots[index]
        values = figures[tag]
        wide = np.where(gsm7, values.extension[rows], values.astral[rows])
        for encoding in (True, False):
            carrying = np.flatnonzero((wide > 0) & (gsm7 == encoding))
            if carrying.size:
                codes, uniques = pd.factorize(columns[tag].iloc[rows[carrying]])
                lists = [wide_offsets(value, encoding) for value in uniques]  # once per distinct value
                owner, offset = _ragged_gather(lists, codes)
                _keep_near_boundaries(owners, offsets, carrying[owner], start[carrying[owner]] + offset, per_part)
        start += values.codepoints[rows] + wide
    owner = np.concatenate(owners) if owners else np.zeros(0, dtype=np.int64)
    offset = np.concatenate(offsets) if offsets else np.zeros(0, dtype=np.int64)
    straddle_keys = np.sort(owner * (1 << 32) + offset)

    used = np.zeros(count, dtype=np.int64)
    parts = np.zeros(count, dtype=np.int64)
    positions = np.arange(count, dtype=np.int64)
    while (active := used < total).any():
        parts += active
        limit = used + per_part
        probe = positions * (1 << 32) + (limit - 1)
        if len(straddle_keys):
            found = np.minimum(np.searchsorted(straddle_keys, probe), len(straddle_keys) - 1)
            straddles = straddle_keys[found] == probe
        else:
            straddles = np.zeros(count, dtype=bool)
        ends = np.where(limit >= total, total, np.where(straddles, limit - 1, limit))
        used = np.where(active, ends, used)
    return parts
