"""File bytes -> a table of text: every cell a string as the marketer typed it, rows numbered as Excel numbers them.

The format is decided by the bytes, not the file name: a CSV saved as .xlsx still reads, a picture renamed
.csv is refused in one sentence. CSV goes through pyarrow (fast, all columns typed as strings up front) and
falls back to Python's csv module for ragged rows; workbooks (xlsx, xlsm, xls, ods) go through calamine.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import threading
import zipfile
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from lib import i18n
from lib.recipients.limits import ReadLimits, TooLarge, check_archive, check_xls
from lib.recipients.problems import Problem, file_error, human_size

MAX_FILE_BYTES = 200 * 1024 * 1024  # Streamlit's default upload limit
MAX_COLUMNS = 500
MAX_UNZIPPED_BYTES = 2 * 1024**3  # a 1M-row workbook unpacks to a few hundred MB
MAX_ZIP_RATIO = 150  # real workbooks compress 5-30x; bombs compress 1000x
DELIMITERS = (",", ";", "\t", "|")
SAMPLE_BYTES = 64 * 1024
DEFAULT_MAX_TEXT_BYTES = 256 * 1024 * 1024  # CONSOLE_MAX_FILE_TEXT_MB: 1M rows of ~250 characters
NOT_TEXT = ("\ufffd", "\x00")  # what a byte that is not UTF-8 became, and NUL: neither belongs in a message

_MAGIC_IMAGES = (b"\x89PNG", b"GIF87a", b"GIF89a", b"\xff\xd8\xff", b"BM", b"II*\x00", b"MM\x00*", b"RIFF")
_MAGIC_OTHER_BINARY = (b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!", b"\x7fELF", b"MZ", b"{\\rtf")
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class RecipientFileError(ValueError):
    """A file that cannot be read as a recipient list at all. str() is one plain sentence, in the reader's
    language when it is shown (the argument is an i18n.Msg)."""


@dataclass
class Table:
    headers: list[str]
    data: pd.DataFrame  # columns = headers, index = spreadsheet row numbers, every cell a str
    kind: str  # "csv" or "workbook"
    encoding: str = ""
    delimiter: str = ""
    notes: list[Problem] = field(default_factory=list)  # file-level warnings (blank headers)


def read_table(
    data: bytes,
    filename: str = "",
    *,
    sheet: str | int | None = None,
    max_rows: int = 1_000_000,
    max_text_bytes: int = DEFAULT_MAX_TEXT_BYTES,
) -> Table:
    """Read `data` into a Table, or raise RecipientFileError with one sentence. Nothing bigger than
    `max_text_bytes` of text (or its share of cells) is ever built, whatever the file claims."""
    if len(data) == 0 or (not data[:SAMPLE_BYTES].strip() and not data.strip()):
        raise RecipientFileError(file_error("empty"))
    if len(data) > MAX_FILE_BYTES:
        raise RecipientFileError(file_error("too_big", size=human_size(len(data)), limit=human_size(MAX_FILE_BYTES)))
    limits = ReadLimits(max_text_bytes)
    if data.startswith(_ZIP) or data.startswith(_OLE):
        rows, first_row = _read_workbook(data, sheet, limits)
        return _table_from_rows(rows, first_row, "workbook", max_rows)
    _refuse_binary(data)
    return _read_text(data, max_rows, limits)


def list_sheets(data: bytes, filename: str = "", *, max_text_bytes: int | None = None) -> list[str]:
    """Names of the visible worksheets of a workbook, in order; [] for a CSV."""
    if not (data.startswith(_ZIP) or data.startswith(_OLE)):
        return []
    if max_text_bytes is None:
        from lib.settings import get_settings

        max_text_bytes = get_settings().max_file_text_bytes
    workbook = _open_workbook(data, ReadLimits(max_text_bytes))
    return [m.name for m in workbook.sheets_metadata if _is_visible_worksheet(m)]


# ---------------------------------------------------------------------------- binary sniffing


def _refuse_binary(data: bytes) -> None:
    head = data[:16]
    if head.startswith(b"%PDF"):
        raise RecipientFileError(file_error("pdf"))
    if head.startswith(_MAGIC_IMAGES):
        raise RecipientFileError(file_error("image"))
    if head.startswith(_MAGIC_OTHER_BINARY):
        raise RecipientFileError(file_error("not_spreadsheet"))


def _looks_binary(sample: str) -> bool:
    if not sample:
        return False
    controls = sum(1 for c in sample if ord(c) < 32 and c not in "\t\r\n\f\v")
    return controls > max(2, len(sample) // 1000)


# ---------------------------------------------------------------------------- text (CSV, TSV)


def _utf16_without_bom(sample: bytes) -> str | None:
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _guess_single_byte(data: bytes) -> str:
    """Greek Excel saves Windows-1253, Western Excel Windows-1252. Greek words are runs of high bytes;
    Western accents are single high bytes among ASCII letters."""
    arr = np.frombuffer(data, dtype=np.uint8)
    high = arr >= 0xC0
    n_high = int(high.sum())
    if n_high == 0:
        return "cp1252"
    paired = int((high[1:] & high[:-1]).sum())
    # Bytes undefined in Windows-1253 (0xAA, 0xD2, 0xFF) only appear in Western text.
    if np.isin(arr, np.array([0xAA, 0xD2, 0xFF], dtype=np.uint8)).any():
        return "cp1252"
    return "cp1253" if paired * 2 >= n_high * 0.5 else "cp1252"


def _decode(data: bytes, encoding: str) -> str:
    for candidate in (encoding, "cp1252" if encoding == "cp1253" else "cp1253", "latin-1"):
        try:
            return data.decode(candidate)
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")


def _read_text(data: bytes, max_rows: int, limits: ReadLimits) -> Table:
    """Decode and parse delimited text. UTF-8 bytes go to pyarrow untouched (no Python copy of the file).

    A file that is UTF-8 apart from a few broken bytes stays UTF-8: the broken bytes become U+FFFD and
    their cells are reported. Only a file with no UTF-8 in it at all is read as Windows-1253/1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        encoding, utf8 = "utf-8-sig", data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
        utf8 = _decode_utf16(data, encoding, limits)
    elif (utf16 := _utf16_without_bom(data[:SAMPLE_BYTES])) is not None:
        encoding = utf16
        utf8 = _decode_utf16(data, encoding, limits)
    else:
        encoding, utf8 = "utf-8", data
    sample = utf8[:SAMPLE_BYTES].decode("utf-8", errors="ignore")
    if encoding.startswith("utf-8") and _invalid_utf8(utf8):
        text = utf8.decode("utf-8", errors="replace")
        if encoding == "utf-8" and not _mostly_utf8(utf8, text):
            encoding = _guess_single_byte(data)
            _refuse_too_much_text(len(data) + 2 * int(np.count_nonzero(np.frombuffer(data, np.uint8) >= 0x80)), limits)
            text = _decode(data, encoding)
        sample = text[:SAMPLE_BYTES]
        utf8 = text.encode("utf-8")
        del text
    if _looks_binary(sample):
        raise RecipientFileError(file_error("not_spreadsheet"))
    _refuse_too_much_text(len(utf8), limits)
    sample, utf8, delimiter = _sep_line(sample, utf8)
    delimiter = delimiter or _detect_delimiter(sample)
    _refuse_too_many_cells(utf8, delimiter, _header_width(sample, delimiter), limits)
    records = _parse_records(utf8, delimiter, sample)
    table = _table_from_columns(records, "csv", max_rows)
    table.encoding, table.delimiter = encoding, delimiter
    if "\ufffd".encode() in utf8 or b"\x00" in utf8:
        table.notes.extend(_cells_not_text(table))
    return table


def _mostly_utf8(utf8: bytes, text: str) -> bool:
    """True when the valid multi-byte characters at least match the broken bytes: a UTF-8 file with a
    bad byte somewhere. A Windows-1253 file is nearly all broken bytes (Greek letters rarely pair up
    into valid UTF-8 by chance); a Western file with no UTF-8 sequence at all has none valid."""
    broken = text.count("\ufffd")
    ascii_bytes = int(np.count_nonzero(np.frombuffer(utf8, dtype=np.uint8) < 0x80))
    valid_multibyte = len(text) - ascii_bytes - broken
    return valid_multibyte > 0 and valid_multibyte >= broken


def _cells_not_text(table: Table) -> list[Problem]:
    """An error for every cell holding a broken byte (shown as U+FFFD) or a NUL, with its row and column."""
    code = "cell.not_text"
    found: list[Problem] = []
    for header in table.headers:
        column = table.data[header]
        mask = column.str.contains(NOT_TEXT[0], regex=False) | column.str.contains(NOT_TEXT[1], regex=False)
        for row in column.index[mask.to_numpy(dtype=bool)]:
            found.append(Problem.of(int(row), header, code))
    return found


def _refuse_too_much_text(size: int, limits: ReadLimits) -> None:
    if size > limits.text_bytes:
        raise RecipientFileError(file_error("too_much_text", size=human_size(size), limit=human_size(limits.text_bytes)))


def _refuse_too_many_cells(utf8: bytes, delimiter: str, width: int, limits: ReadLimits) -> None:
    """Lines x columns, and every delimiter, bound the cells the parser will build: checked before parsing
    (a file of 150 million empty lines, or one line of 100 million commas, is small on disk)."""
    lines = max(utf8.count(b"\n"), utf8.count(b"\r")) + 1
    cells = max(lines * width, utf8.count(delimiter.encode()))
    if cells > limits.cells:
        raise RecipientFileError(file_error("too_many_cells_text", cells=cells, limit=limits.cells))


def _decode_utf16(data: bytes, encoding: str, limits: ReadLimits) -> bytes:
    _refuse_too_much_text(len(data) * 3 // 2, limits)  # a UTF-16 unit becomes at most 3 bytes of UTF-8
    try:
        return data.decode(encoding).encode("utf-8")
    except UnicodeDecodeError:
        raise RecipientFileError(file_error("not_spreadsheet")) from None


def _invalid_utf8(data: bytes) -> bool:
    # Cheaper than bytes.decode on 100 MB: pyarrow validates without building a Python str.
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int32))
    one_value = pa.Array.from_buffers(pa.binary(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        one_value.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return True
    return False


def _sep_line(sample: str, utf8: bytes) -> tuple[str, bytes, str]:
    """Excel's `sep=;` first line names the delimiter."""
    first = sample.split("\n", 1)[0].strip()
    if len(first) == 5 and first.lower().startswith("sep=") and first[4] in DELIMITERS:
        if b"\n" not in utf8:
            raise RecipientFileError(file_error("empty"))
        cut = utf8.index(b"\n") + 1
        return sample[len(sample.split("\n", 1)[0]) + 1 :], utf8[cut:], first[4]
    return sample, utf8, ""


def _detect_delimiter(sample: str) -> str:
    """The delimiter giving the header the most columns with the following rows agreeing."""
    lines = sample.splitlines()
    if len(sample) >= SAMPLE_BYTES - 4 and len(lines) > 1:
        lines = lines[:-1]  # the last sampled line may be cut short
    text = "\n".join(lines[:50])
    best, best_score = ",", (-1.0, 0)
    for delimiter in DELIMITERS:
        try:
            records = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if any(c.strip() for c in r)][:20]
        except csv.Error:
            continue
        if not records:
            continue
        width = len(records[0])
        if width < 2:
            continue
        agree = sum(1 for r in records[1:] if len(r) == width) / max(1, len(records) - 1)
        score = (agree, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _parse_records(utf8: bytes, delimiter: str, sample: str) -> list[pa.ChunkedArray] | list[list[str]]:
    width = _header_width(sample, delimiter)
    if width > MAX_COLUMNS:
        raise RecipientFileError(file_error("too_many_columns", columns=width, limit=MAX_COLUMNS))
    try:
        table = pacsv.read_csv(
            io.BytesIO(utf8),
            read_options=pacsv.ReadOptions(autogenerate_column_names=True),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                quote_char='"',
                double_quote=True,
                newlines_in_values=b'"' in utf8,
                ignore_empty_lines=False,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{i}": pa.string() for i in range(width)},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _python_records(utf8, delimiter)
    if table.num_columns != width or any(t != pa.string() for t in table.schema.types):
        return _python_records(utf8, delimiter)
    return table.columns


def _header_width(sample: str, delimiter: str) -> int:
    try:
        first = next(csv.reader(io.StringIO(sample), delimiter=delimiter), [])
    except csv.Error:
        first = sample.split("\n", 1)[0].split(delimiter)
    return max(1, len(first))


def _python_records(utf8: bytes, delimiter: str) -> list[list[str]]:
    """Slow path for ragged rows and odd quoting: Python's csv module, rows padded to the widest."""
    text = utf8.decode("utf-8", errors="replace")
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False))
    except csv.Error:
        raise RecipientFileError(file_error("not_spreadsheet")) from None
    return _rows_to_columns(rows)


def _rows_to_columns(rows: list[list[str]]) -> list[list[str]]:
    width = max((len(r) for r in rows), default=0)
    if width > MAX_COLUMNS:
        raise RecipientFileError(file_error("too_many_columns", columns=width, limit=MAX_COLUMNS))
    columns: list[list[str]] = [[] for _ in range(width)]
    for row in rows:
        for i in range(width):
            columns[i].append(row[i] if i < len(row) else "")
    return columns


# ---------------------------------------------------------------------------- workbooks


def _open_workbook(data: bytes, limits: ReadLimits):
    import python_calamine

    _refuse_oversized_workbook(data, limits)
    try:
        return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except python_calamine.PasswordError:
        raise RecipientFileError(file_error("encrypted")) from None
    except Exception:  # calamine raises many types for broken files; all mean the same to the user
        raise RecipientFileError(file_error("corrupt_workbook")) from None


_measured: OrderedDict[tuple[str, int], bool] = OrderedDict()  # workbooks that passed, by content and limit
_measured_lock = threading.Lock()


def _refuse_oversized_workbook(data: bytes, limits: ReadLimits) -> None:
    """Measure a workbook before calamine opens it; once per content and limit (the page lists the
    sheets, then reads one: the same bytes twice)."""
    key = (hashlib.sha256(data).hexdigest(), limits.text_bytes)
    with _measured_lock:
        if key in _measured:
            return
    if data.startswith(_ZIP):
        _refuse_zip_bomb(data, limits)
    else:
        _refuse_big_xls(data, limits)
    with _measured_lock:
        _measured[key] = True
        while len(_measured) > 16:
            _measured.popitem(last=False)


def _refuse_zip_bomb(data: bytes, limits: ReadLimits) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            _refuse_ratio_bombs(infos)
            check_archive(archive, limits)
    except RecipientFileError:
        raise
    except (zipfile.BadZipFile, ValueError, EOFError, OSError, NotImplementedError, RuntimeError):
        raise RecipientFileError(file_error("corrupt_workbook")) from None
    except TooLarge as too_large:
        raise RecipientFileError(_too_large_sentence(too_large, limits)) from None


def _refuse_big_xls(data: bytes, limits: ReadLimits) -> None:
    try:
        check_xls(data, limits)
    except TooLarge as too_large:
        raise RecipientFileError(_too_large_sentence(too_large, limits)) from None


def _too_large_sentence(too_large: TooLarge, limits: ReadLimits) -> i18n.Msg:
    size = too_large.size
    if too_large.what == "cells" and size is not None:
        return file_error(
            "too_many_cells", rows=size.rows, column=_column_letter(max(size.columns, 1) - 1),
            cells=max(size.area, size.cells), limit=limits.cells,
        )
    if too_large.what == "sparse" and size is not None:
        return file_error(
            "sparse_sheet", rows=size.rows, column=_column_letter(max(size.columns, 1) - 1), filled=size.cells,
            cells=size.area,
        )
    if too_large.what == "strings":
        return file_error("too_many_strings", limit=limits.shared_strings)
    return file_error("too_much_text", size=human_size(too_large.amount), limit=human_size(limits.text_bytes))


def _refuse_ratio_bombs(infos: list[zipfile.ZipInfo]) -> None:
    if "EncryptedPackage" in {i.filename for i in infos}:
        raise RecipientFileError(file_error("encrypted"))
    total = sum(i.file_size for i in infos)
    if total > MAX_UNZIPPED_BYTES:
        raise RecipientFileError(file_error("zip_bomb"))
    for info in infos:
        if info.file_size > 10 * 1024 * 1024 and info.file_size > MAX_ZIP_RATIO * max(1, info.compress_size):
            raise RecipientFileError(file_error("zip_bomb"))
    names = {i.filename for i in infos}
    if not ({"[Content_Types].xml", "mimetype"} & names):
        raise RecipientFileError(file_error("not_spreadsheet"))


def _is_visible_worksheet(meta) -> bool:
    return str(meta.typ).endswith("WorkSheet") and str(meta.visible).endswith(".Visible")


def _read_workbook(data: bytes, sheet: str | int | None, limits: ReadLimits) -> tuple[list[list], int]:
    workbook = _open_workbook(data, limits)
    try:
        if isinstance(sheet, str):
            if sheet not in workbook.sheet_names:
                raise RecipientFileError(file_error("no_sheet", sheet=sheet))
            chosen = workbook.get_sheet_by_name(sheet)
        elif isinstance(sheet, int):
            chosen = workbook.get_sheet_by_index(sheet)
        else:
            visible = [m.name for m in workbook.sheets_metadata if _is_visible_worksheet(m)]
            if not visible:
                raise RecipientFileError(file_error("no_visible_sheet"))
            chosen = workbook.get_sheet_by_name(visible[0])
        rows = chosen.to_python(skip_empty_area=False)
    except RecipientFileError:
        raise
    except Exception:
        raise RecipientFileError(file_error("corrupt_workbook")) from None
    return rows, 1


def cell_text(value: object) -> str:
    """A workbook cell as the marketer sees it: whole numbers without '.0', dates day first (28/09/2026)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e17:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):  # day first, as Greek (and most European) Excel shows dates
        if value.time() == dt.time():
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M:%S" if value.second else "%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S" if value.second else "%H:%M")
    if isinstance(value, dt.timedelta):
        return str(value)
    return "" if value is None else str(value)


def _table_from_rows(rows: list[list], first_row: int, kind: str, max_rows: int) -> Table:
    if len(rows) > max_rows + 1_000:  # rows beyond the limit are counted again after blanks are dropped
        _refuse_row_count(rows, max_rows)
    width = max((len(r) for r in rows), default=0)
    if width > MAX_COLUMNS:
        raise RecipientFileError(file_error("too_many_columns", columns=width, limit=MAX_COLUMNS))
    if any(len(r) != width for r in rows):
        rows = [list(r) + [""] * (width - len(r)) for r in rows]
    columns = [_text_column(values) for values in zip(*rows, strict=True)]
    return _table_from_columns(columns, kind, max_rows, first_row=first_row)


def _text_column(values: tuple) -> pa.ChunkedArray:
    """A workbook column as text. Columns of text convert in C; others go cell by cell."""
    try:
        array = pa.array(values, type=pa.string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        array = pa.array([v if type(v) is str else cell_text(v) for v in values], type=pa.string())
    return pa.chunked_array([array.fill_null("")])


def _refuse_row_count(rows: list[list], max_rows: int) -> None:
    filled = sum(1 for r in rows if any(cell_text(v).strip() for v in r)) - 1
    if filled > max_rows:
        raise RecipientFileError(file_error("too_many_rows", rows=filled, limit=max_rows))


# ---------------------------------------------------------------------------- columns -> Table


def _blank_rows(arrays: list[pa.ChunkedArray]) -> np.ndarray:
    """Rows whose every cell is empty or spaces. Only rows blank in the first column need the others checked."""

    def blank(values) -> np.ndarray:
        return pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(values)), 0).to_numpy(zero_copy_only=False)

    candidates = np.flatnonzero(blank(arrays[0]))
    for array in arrays[1:]:
        if candidates.size == 0:
            break
        candidates = candidates[blank(array.take(pa.array(candidates)))]
    mask = np.zeros(len(arrays[0]), dtype=bool)
    mask[candidates] = True
    return mask


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _table_from_columns(columns, kind: str, max_rows: int, first_row: int = 1) -> Table:
    """Columns of text (arrow or lists), first record = header wherever the first non-blank record is."""
    arrays = [c if isinstance(c, pa.ChunkedArray) else pa.chunked_array([pa.array(c, type=pa.string())]) for c in columns]
    if not arrays or len(arrays[0]) == 0:
        raise RecipientFileError(file_error("empty"))
    filled = np.flatnonzero(~_blank_rows(arrays))
    if filled.size == 0:
        raise RecipientFileError(file_error("empty"))
    header_at = int(filled[0])
    data_at = filled[1:]
    if data_at.size == 0:
        raise RecipientFileError(file_error("header_only"))
    if data_at.size > max_rows:
        raise RecipientFileError(file_error("too_many_rows", rows=int(data_at.size), limit=max_rows))

    raw_headers = [str(a[header_at].as_py()).strip() for a in arrays]
    contiguous = int(data_at[-1] - data_at[0]) == data_at.size - 1
    take = None if contiguous else pa.array(data_at)
    headers: list[str] = []
    series: list[pd.Series] = []
    notes: list[Problem] = []
    index = pd.Index(data_at + first_row, name="row")
    for i, (name, array) in enumerate(zip(raw_headers, arrays, strict=True)):
        values = array.slice(int(data_at[0]), data_at.size) if take is None else array.take(take)
        if not name:
            if pc.all(pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(values)), 0)).as_py():
                continue  # blank trailing (or in-between) column: nothing to read
            # The name is the column's key in every language (the table is shared); the sentence is worded.
            name = f"Column {_column_letter(i)}"
            notes.append(Problem.of(header_at + first_row, name, "header.blank", column=name, letter=_column_letter(i)))
        headers.append(name)
        column = values.to_pandas()
        column.index, column.name = index, name
        series.append(column)
    _refuse_duplicate_headers(raw_headers, headers)
    frame = pd.concat(series, axis=1) if series else pd.DataFrame(index=index)
    frame.columns = pd.Index(headers, dtype=object)
    return Table(headers=headers, data=frame, kind=kind, notes=notes)


def _refuse_duplicate_headers(raw_headers: list[str], headers: list[str]) -> None:
    seen: dict[str, int] = {}
    for i, name in enumerate(raw_headers):
        if not name:
            continue
        if name in seen:
            raise RecipientFileError(
                file_error("duplicate_headers", first=_column_letter(seen[name]), second=_column_letter(i), name=name)
            )
        seen[name] = i
