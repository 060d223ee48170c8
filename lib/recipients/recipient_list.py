"""A validated recipient list: one row per recipient, each carrying its own problems.

Rows keep the spreadsheet's numbering (header = row 1). The required address follows the channel
(SMS: mobilePhone, Email: email); the other address is checked too, but a bad one only warns and is
left out of the message. Results are cached by the file's content hash, so a second look is free.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from lib import i18n
from lib.recipients import emails, mobiles
from lib.recipients.mapping import (
    ColumnMapping,
    Field,
    MappingOptionError,
    apply_map_options,
    detect_mapping,
    tags_missing,
)
from lib.recipients.problems import (
    PROBLEM_COLUMNS,
    Problem,
    Severity,
    empty_problem_frame,
    field_words,
    message,
    problem_frame,
    rows_phrase,
    severity_of,
    summary_sentences,
)
from lib.recipients.reading import RecipientFileError, Table, read_table
from lib.settings import Settings, get_settings
from lib.templates import Channel, Template, template_tags

FIELD_COLUMNS = [f.value for f in Field]
HEADER_ROW = 1


@dataclass
class RecipientList:
    headers: list[str]
    mapping: ColumnMapping
    channel: Channel
    frame: pd.DataFrame  # index = spreadsheet row; uniqueId, mobilePhone, email, cardNumber, payload..., valid
    problems: pd.DataFrame  # row, column, code, severity, message; sorted by row
    content_hash: str
    filename: str = ""
    table: pd.DataFrame | None = None  # the cells as written, columns = headers (for export)
    payload_columns: dict[str, str] = field(default_factory=dict)  # payload key -> frame column
    repeated_id_extra: int = 0

    @property
    def row_count(self) -> int:
        return len(self.frame)

    @property
    def valid_count(self) -> int:
        return int(self.frame["valid"].sum())

    @property
    def invalid_count(self) -> int:
        return self.row_count - self.valid_count

    @property
    def warning_count(self) -> int:
        """Recipient rows with at least one warning (file-level warnings are in summary())."""
        warnings = self.problems.loc[self.problems["severity"].eq(Severity.WARNING.value) & self.problems["row"].gt(HEADER_ROW)]
        return int(warnings["row"].nunique())

    @property
    def destination_column(self) -> str:
        return Field.MOBILE_PHONE.value if self.channel is Channel.SMS else Field.EMAIL.value

    def problem_list(self, limit: int | None = None) -> list[Problem]:
        rows = self.problems if limit is None else self.problems.head(limit)
        return [
            Problem(int(r), str(c), str(code), Severity(s), str(m))
            for r, c, code, s, m in zip(rows["row"], rows["column"], rows["code"], rows["severity"], rows["message"], strict=True)
        ]

    def problems_for_row(self, row: int) -> list[Problem]:
        rows = self.problems.loc[self.problems["row"].eq(row)]
        return [Problem(int(r.row), r.column, r.code, Severity(r.severity), r.message) for r in rows.itertuples()]

    def summary(self) -> list[str]:
        return summary_sentences(self.problems, self.channel.value, self.repeated_id_extra)

    def valid_frame(self, keep_first_duplicate_destination: bool = False) -> pd.DataFrame:
        """Rows that can be sent, without the `valid` column. With keep_first_duplicate_destination, a
        destination repeated in later rows is sent to once, from its first valid row."""
        sendable = self.frame.loc[self.frame["valid"]].drop(columns="valid")
        if keep_first_duplicate_destination:
            destination = sendable[self.destination_column]
            sendable = sendable.loc[~(destination.duplicated(keep="first") & destination.notna())]
        return sendable


# ---------------------------------------------------------------------------- loading and caching

_CACHE_SIZE = 4
_results: OrderedDict[tuple, RecipientList] = OrderedDict()
_tables: OrderedDict[tuple, Table] = OrderedDict()
_lock = threading.Lock()


def load_recipient_list(
    data: bytes,
    filename: str,
    *,
    channel: Channel,
    template_tags: Sequence[str] = (),
    settings: Settings | None = None,
    sheet: str | int | None = None,
    mapping: ColumnMapping | None = None,
) -> RecipientList:
    """Read, map and validate a recipient file. Raises RecipientFileError when it cannot be read at all.
    The result is shared between callers with the same bytes and parameters: treat it as read-only."""
    settings = settings or get_settings()
    channel = Channel(channel)
    content_hash = hashlib.sha256(data).hexdigest()
    table_key = (content_hash, sheet, settings.max_rows, settings.max_file_text_bytes)
    # The problems are worded when the list is checked: a reader of another language gets their own words.
    key = (*table_key, channel, tuple(template_tags), settings.region, tuple(settings.allowed_countries), mapping,
           i18n.current())
    with _lock:
        if key in _results:
            _results.move_to_end(key)
            return _results[key]
        table = _tables.get(table_key)
    if table is None:
        table = read_table(
            data, filename, sheet=sheet, max_rows=settings.max_rows, max_text_bytes=settings.max_file_text_bytes
        )
        release_unused_memory()
        _remember(_tables, table_key, table)
    result = build_recipient_list(table, channel=channel, template_tags=template_tags, settings=settings, mapping=mapping)
    result.content_hash, result.filename = content_hash, filename
    _remember(_results, key, result)
    return result


def release_unused_memory() -> None:
    """Hand arrow's freed scratch memory back to the system between steps: a million-row list otherwise
    keeps every step's temporaries resident and peaks far higher than it needs to."""
    pa.default_memory_pool().release_unused()


def load_for_template(
    path: Path, template: Template, settings: Settings, sheet: str | None = None, map_options: Sequence[str] = ()
) -> RecipientList:
    """The recipient list in the file at `path`, checked for `template`'s channel and tags (the
    command line's way in; the page passes the uploaded bytes to load_recipient_list).
    `map_options` are the command line's `--map NAME=COLUMN`, applied over the detected mapping."""
    return load_with_map_options(
        path.read_bytes(), path.name, channel=template.channel, template_tags=template_tags(template),
        settings=settings, sheet=sheet, map_options=map_options,
    )


def load_with_map_options(
    data: bytes, filename: str, *, channel: Channel, template_tags: Sequence[str], settings: Settings,
    sheet: str | None, map_options: Sequence[str],
) -> RecipientList:
    """Read with the detected mapping, then again with `--map` options applied over it.
    A bad option raises RecipientFileError (one sentence naming it)."""
    result = load_recipient_list(data, filename, channel=channel, template_tags=template_tags, settings=settings,
                                 sheet=sheet)
    if not map_options:
        return result
    try:
        mapping = apply_map_options(result.mapping, map_options, result.headers, template_tags)
    except MappingOptionError as exc:
        raise RecipientFileError(str(exc)) from None
    return load_recipient_list(data, filename, channel=channel, template_tags=template_tags, settings=settings,
                               sheet=sheet, mapping=mapping)


def _remember(cache: OrderedDict, key: tuple, value: object) -> None:
    with _lock:
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > _CACHE_SIZE:
            cache.popitem(last=False)


def clear_cache() -> None:
    with _lock:
        _results.clear()
        _tables.clear()


def build_recipient_list(
    table: Table,
    *,
    channel: Channel,
    template_tags: Sequence[str] = (),
    settings: Settings,
    mapping: ColumnMapping | None = None,
) -> RecipientList:
    if mapping is None:
        mapping = detect_mapping(table.headers, template_tags)
    else:
        _check_mapping_headers(mapping, table.headers)
        mapping = ColumnMapping(**{**mapping.__dict__, "missing_tags": tags_missing(mapping, template_tags)})
    return _Validation(table, mapping, Channel(channel), settings).run()


def _check_mapping_headers(mapping: ColumnMapping, headers: list[str]) -> None:
    known = set(headers)
    used = [h for h in (*mapping.fields.values(), *mapping.payload.values()) if h is not None]
    unknown = [h for h in used if h not in known]
    if unknown:
        raise ValueError(i18n.t("recipients.no_such_column", header=unknown[0]))


class _Validation:
    """One pass over the columns; each check adds problem frames and marks error rows."""

    def __init__(self, table: Table, mapping: ColumnMapping, channel: Channel, settings: Settings):
        self.table, self.mapping, self.channel, self.settings = table, mapping, channel, settings
        self.data = table.data
        self.index = self.data.index
        self.errors = np.zeros(len(self.index), dtype=bool)
        self.parts: list[pd.DataFrame] = []
        self.columns: dict[str, pd.Series] = {}
        self.repeated_id_extra = 0

    def run(self) -> RecipientList:
        self._file_notes()
        self._unique_ids()
        self._addresses()
        self._card_numbers()
        self._consent()
        self._destination_repeats()
        self._missing_tags()
        payload_columns = self._payload()
        frame = pd.DataFrame(self.columns, index=self.index)
        frame["valid"] = ~self.errors
        problems = pd.concat(self.parts, ignore_index=True) if self.parts else empty_problem_frame()
        problems = problems.sort_values("row", kind="stable").reset_index(drop=True)[PROBLEM_COLUMNS]
        problems = problems.astype({"column": "str", "code": "str", "severity": "str", "message": "str"})
        return RecipientList(
            headers=list(self.table.headers),
            mapping=self.mapping,
            channel=self.channel,
            frame=frame,
            problems=problems,
            content_hash="",
            table=self.data,
            payload_columns=payload_columns,
            repeated_id_extra=self.repeated_id_extra,
        )

    # -- helpers

    def _add(self, mask: np.ndarray, column: str, code: str, messages=None, severity: Severity | None = None) -> None:
        """Problems of `code` for the rows in `mask`; `messages` has one text per masked row (or one for all)."""
        if not mask.any():
            return
        part = problem_frame(self.index[mask], column, code, messages)
        if severity is not None:
            part["severity"] = severity.value
        if (severity or severity_of(code)) is Severity.ERROR:
            self.errors |= mask
        self.parts.append(part)

    def _file_problem(self, code: str, text: str, blocks_all: bool = False) -> None:
        self.parts.append(problem_frame([HEADER_ROW], "", code, [text]))
        if blocks_all:
            self.errors[:] = True

    def _stripped(self, header: str) -> pd.Series:
        return self.data[header].str.strip()

    # -- checks

    def _file_notes(self) -> None:
        """The reader's notes: file-level warnings, and errors on cells it could not read as text."""
        for note in self.table.notes:  # the table is shared by readers of every language: worded again
            part = problem_frame([note.row], note.column, note.code, [note.reworded().message])
            self.parts.append(part)
        rows = [note.row for note in self.table.notes if note.severity is Severity.ERROR and note.row > HEADER_ROW]
        if rows:
            positions = self.index.get_indexer(rows)
            self.errors[positions[positions >= 0]] = True

    def _require_column(self, target: Field) -> None:
        what, examples = field_words(target.value)
        self._file_problem("column.missing", message("column.missing", what=what, examples=examples), blocks_all=True)

    def _unique_ids(self) -> None:
        header = self.mapping.unique_id
        if header is None:
            self._require_column(Field.UNIQUE_ID)
            self.columns[Field.UNIQUE_ID.value] = pd.Series(np.nan, index=self.index, dtype="str")
            return
        ids = self._stripped(header)
        missing = ids.eq("").to_numpy()
        self._add(missing, header, "unique_id.missing")
        codes, _ = pd.factorize(ids)
        counts = np.bincount(codes)
        repeated = (counts[codes] > 1) & ~missing
        if repeated.any():
            rows = self.index.to_numpy()
            groups: dict[int, list[int]] = {}
            for code, row in zip(codes[repeated], rows[repeated], strict=True):
                groups.setdefault(int(code), []).append(int(row))
            before, _, after = message("unique_id.repeated", rows="\x00").partition("\x00")  # worded once
            one_before, _, one_after = rows_phrase(["\x00"]).partition("\x00")
            texts = []
            for c, row in zip(codes[repeated], rows[repeated], strict=True):
                others = [r for r in groups[int(c)] if r != row]
                phrase = f"{one_before}{others[0]}{one_after}" if len(others) == 1 else rows_phrase(others)
                texts.append(before + phrase + after)
            self._add(repeated, header, "unique_id.repeated", texts)
            self.repeated_id_extra = int(repeated.sum()) - len(groups)
        self.columns[Field.UNIQUE_ID.value] = ids.mask(missing)

    def _addresses(self) -> None:
        required = Field.MOBILE_PHONE if self.channel is Channel.SMS else Field.EMAIL
        for target in (Field.MOBILE_PHONE, Field.EMAIL):
            header = getattr(self.mapping, target.attribute)
            if header is None:
                if target is required:
                    self._require_column(target)
                self.columns[target.value] = pd.Series(np.nan, index=self.index, dtype="str")
                continue
            if target is Field.MOBILE_PHONE:
                verdicts = mobiles.check_many(self.data[header], self.settings.region, self.settings.allowed_countries)
            else:
                verdicts = emails.check_many(self.data[header])
            release_unused_memory()
            self._report(verdicts, header, is_required=target is required)
            self.columns[target.value] = verdicts.value

    def _report(self, verdicts: mobiles.ColumnVerdicts, header: str, is_required: bool) -> None:
        code_ids, found = pd.factorize(verdicts.code)
        if len(found) == 0:
            return
        messages = verdicts.message.to_numpy()
        for k, code in enumerate(found):
            if code.endswith(".missing") and not is_required:
                continue
            mask = code_ids == k
            severity = None if is_required else Severity.WARNING
            self._add(mask, header, code, messages[mask], severity=severity)

    def _card_numbers(self) -> None:
        header = self.mapping.card_number
        if header is None:
            self.columns[Field.CARD_NUMBER.value] = pd.Series(np.nan, index=self.index, dtype="str")
            return
        cards = self._stripped(header)
        self.columns[Field.CARD_NUMBER.value] = cards.mask(cards.eq(""))

    def _consent(self) -> None:
        """Marketing consent per row (True/False, <NA> when unreadable: an error naming row and column).
        Leaving out rows without consent depends on the template's kind: lib.campaign decides."""
        from lib.rules.consent import read_consent

        header = self.mapping.marketing_consent
        reading = read_consent(None if header is None else self.data[header], header)
        if len(reading.problems):
            self.errors |= reading.given.isna().to_numpy(dtype=bool)
            self.parts.append(reading.problems)
        given = reading.given if reading.given is not None else pd.Series(pd.NA, index=self.index, dtype="boolean")
        self.columns[Field.MARKETING_CONSENT.value] = given

    def _destination_repeats(self) -> None:
        column = Field.MOBILE_PHONE.value if self.channel is Channel.SMS else Field.EMAIL.value
        header = self.mapping.mobile_phone if self.channel is Channel.SMS else self.mapping.email
        destination = self.columns[column]
        if header is None:
            return
        codes, _ = pd.factorize(destination, use_na_sentinel=True)
        present = codes >= 0
        if not present.any():
            return
        order = np.arange(len(codes))
        first_position = np.full(codes.max() + 1, len(codes), dtype=np.int64)
        np.minimum.at(first_position, codes[present], order[present])
        first = np.where(present, first_position[np.where(present, codes, 0)], order)
        repeated = present & (first != order)
        if not repeated.any():
            return
        rows = self.index.to_numpy()
        what = i18n.Msg("recipients.destination.sms" if self.channel is Channel.SMS else "recipients.destination.email")
        before, _, after = message("destination.repeated", what=what, first="\x00").partition("\x00")
        texts = pd.Series(rows[first[repeated]]).astype(str).radd(before).add(after).tolist()  # worded once
        self._add(repeated, header, "destination.repeated", texts)

    def _missing_tags(self) -> None:
        for tag in self.mapping.missing_tags:
            self._file_problem("tag.column_missing", message("tag.column_missing", tag=tag, placeholder="{{" + tag + "}}"))

    def _payload(self) -> dict[str, str]:
        payload_columns: dict[str, str] = {}
        field_headers = {f.value: h for f, h in self.mapping.fields.items()}
        for key, header in self.mapping.payload.items():
            name = key
            if key in FIELD_COLUMNS or key == "valid" or key in self.columns:
                if field_headers.get(key) == header:
                    payload_columns[key] = key  # the same column feeds the field and the tag
                    continue
                name = f"payload.{key}"
            self.columns[name] = self.data[header]
            payload_columns[key] = name
        return payload_columns
