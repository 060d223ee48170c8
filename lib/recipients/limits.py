"""How much a workbook would become once opened, measured before anything is opened.

calamine reads a whole sheet into memory as one dense rectangle, copying each shared string into every
cell that uses it. A 343 KB workbook with one 4 MB shared string in 20,000 cells becomes 80 GB; a sheet
with one cell in A1 and one in XFD1048576 becomes 17 billion cells. Both abort the process (Rust's
allocator does not raise), so the archive is measured first: the sheet XML and the string table are
streamed through in chunks and scanned with numpy, never parsed into objects.

XLSX: cells counted, the rectangle from the cells' `r="B12"` references, text as the sum over cells of
their shared string's size (its XML size, an upper bound) plus inline strings. ODS: content.xml is
streamed through expat, multiplying by number-rows-repeated / number-columns-repeated as calamine does.
"""

from __future__ import annotations

import re
import struct
import zipfile
from dataclasses import dataclass
from xml.parsers import expat

import numpy as np

_CHUNK = 8 * 1024 * 1024
_OVERLAP = 256  # bytes carried into the next chunk so a reference cut in two is read whole
_BYTES_PER_CELL = 8  # an empty cell still costs a pointer in every copy of the table
_SPARSE_FACTOR = 8  # a rectangle may be this many times the cells written in it


@dataclass(frozen=True)
class ReadLimits:
    """What one file may become once read. Sized from the text limit: the default (256 MB) holds
    1M rows of ~250 characters, and 32M cells (1M rows of 32 columns)."""

    text_bytes: int

    @property
    def cells(self) -> int:
        return self.text_bytes // _BYTES_PER_CELL

    @property
    def sparse_area(self) -> int:
        return self.cells // 8

    @property
    def shared_strings(self) -> int:
        return self.text_bytes // 32

    @classmethod
    def from_megabytes(cls, megabytes: int) -> ReadLimits:
        return cls(megabytes * 1024 * 1024)


@dataclass(frozen=True)
class SheetSize:
    cells: int = 0  # cells written in the file
    rows: int = 0  # last row used (1-based)
    columns: int = 0  # last column used (1-based)
    text_bytes: int = 0  # text every cell would hold once read

    @property
    def area(self) -> int:
        """Cells of the rectangle a dense reader fills: last row x last column."""
        return self.rows * self.columns


class TooLarge(Exception):
    """The archive would exceed a limit once opened; `what` is text, cells or strings."""

    def __init__(self, what: str, size: SheetSize | None = None, amount: int = 0):
        super().__init__(what)
        self.what, self.size, self.amount = what, size, amount


def check_archive(archive: zipfile.ZipFile, limits: ReadLimits) -> None:
    """Raise TooLarge if any sheet of this XLSX or ODS archive would exceed `limits` once read."""
    names = {info.filename: info for info in archive.infolist()}
    if "content.xml" in names and "mimetype" in names:
        _check(_ods_size(archive), limits)
        return
    lengths = _shared_string_lengths(archive, names, limits)
    for name in names:
        if re.fullmatch(r"xl/worksheets/[^/]+\.xml", name):
            _check(_xlsx_sheet_size(archive, name, lengths, limits), limits)


def _check(size: SheetSize, limits: ReadLimits) -> None:
    if max(size.cells, size.area) > limits.cells:
        raise TooLarge("cells", size)
    # A real sheet fills most of its rectangle; two cells at opposite corners make calamine build (and
    # the process hold) 16 million empty ones. Up to `sparse_area` any shape is fine.
    if size.area > max(_SPARSE_FACTOR * size.cells, limits.sparse_area):
        raise TooLarge("sparse", size)
    if size.text_bytes > limits.text_bytes:
        raise TooLarge("text", size, size.text_bytes)


# ---------------------------------------------------------------------------- byte scanning


def _chunks(archive: zipfile.ZipFile, name: str):
    """(array, end) pairs over a member: `end` is where matches stop counting (the overlap is seen again)."""
    carry = b""
    with archive.open(name) as stream:
        while True:
            block = stream.read(_CHUNK)
            buffer = carry + block
            if not block:
                if buffer:
                    yield np.frombuffer(buffer, dtype=np.uint8), len(buffer)
                return
            end = max(0, len(buffer) - _OVERLAP)
            yield np.frombuffer(buffer, dtype=np.uint8), end
            carry = buffer[end:]


def _find(arr: np.ndarray, pattern: bytes, end: int) -> np.ndarray:
    """Start positions of `pattern` in arr[:end] (the pattern may run past `end`)."""
    limit = min(end, arr.size - len(pattern) + 1)
    if limit <= 0:
        return np.empty(0, dtype=np.int64)
    positions = np.flatnonzero(arr[:limit] == pattern[0])
    for offset, byte in enumerate(pattern[1:], start=1):
        positions = positions[arr[positions + offset] == byte]
    return positions


def _window(arr: np.ndarray, positions: np.ndarray, width: int) -> np.ndarray:
    """width bytes from each position."""
    index = positions[:, None] + np.arange(width)
    np.minimum(index, arr.size - 1, out=index)  # past the end: the last byte again, never a digit run's start
    return arr[index]


def _leading_number(window: np.ndarray, low: int, high: int, base: int, shift: int) -> tuple[np.ndarray, np.ndarray]:
    """The value of each row's leading run of bytes in [low, high] (digits, or letters as column numbers)
    and the run's length."""
    inside = (window >= low) & (window <= high)
    run = np.logical_and.accumulate(inside, axis=1)
    value = np.zeros(window.shape[0], dtype=np.int64)
    for column in range(window.shape[1]):
        step = run[:, column]
        value = np.where(step, value * base + (window[:, column].astype(np.int64) - low + shift), value)
    return value, run.sum(axis=1)


def _closing_tag_ends(arr: np.ndarray, name: bytes, end: int) -> np.ndarray:
    """Positions just after each `</name>`, `</x:name>` (any prefix) or `<name/>` in arr[:end]."""
    tags = np.flatnonzero(arr[:end] == ord("<"))
    after_tag = arr[np.minimum(tags + 1, arr.size - 1)]
    plain = _followed_by(arr, tags[after_tag == ord("/")], b"</" + name + b">") + len(name) + 3
    empty = _followed_by(arr, tags[after_tag == name[0]], b"<" + name + b"/>") + len(name) + 3
    prefixed = _find(arr, b":" + name + b">", end)
    if prefixed.size:  # `</x:si>` closes, `<x:si>` opens: the byte after the nearest '<' says which
        before = _window(arr, np.maximum(prefixed - 12, 0), 12)[:, ::-1]
        nearest = (before == ord("<")).argmax(axis=1)
        after_opener = before[np.arange(before.shape[0]), np.maximum(nearest - 1, 0)]
        prefixed = prefixed[(before == ord("<")).any(axis=1) & (after_opener == ord("/"))] + len(name) + 2
    return np.sort(np.concatenate([plain, empty, prefixed]))


# ---------------------------------------------------------------------------- XLSX


def _shared_string_lengths(archive: zipfile.ZipFile, names: dict, limits: ReadLimits) -> np.ndarray:
    """The XML size of each shared string, in order (an upper bound of the text it holds)."""
    info = names.get("xl/sharedStrings.xml")
    if info is None:
        return np.empty(0, dtype=np.int64)
    if info.file_size > limits.text_bytes:
        raise TooLarge("text", amount=info.file_size)
    ends: list[np.ndarray] = []
    offset, count = 0, 0
    first_item = None  # where the first string starts: the table's own header is not part of it
    for arr, end in _chunks(archive, info.filename):
        if first_item is None and (found_at := bytes(arr[: _OVERLAP * 4]).find(b"si>")) >= 0:
            first_item = offset + found_at
            # An honest header that announces too many strings is refused without reading them all.
            announced = re.search(rb'uniqueCount="(\d{1,12})"', bytes(arr[:found_at]))
            if announced and int(announced.group(1)) > limits.shared_strings:
                raise TooLarge("strings", amount=int(announced.group(1)))
        found = _closing_tag_ends(arr, b"si", end) + offset
        ends.append(found)
        count += found.size
        if count > limits.shared_strings:
            raise TooLarge("strings", amount=count)
        offset += end
    if not ends:
        return np.empty(0, dtype=np.int64)
    positions = np.concatenate(ends)
    return np.diff(positions, prepend=first_item or 0)


def _xlsx_sheet_size(archive: zipfile.ZipFile, name: str, lengths: np.ndarray, limits: ReadLimits) -> SheetSize:
    longest = int(lengths.max(initial=0))
    cells = rows = columns = text = 0
    inline_open: list[np.ndarray] = []
    inline_close: list[np.ndarray] = []
    offset, inline = 0, False
    for arr, end in _chunks(archive, name):
        inline = inline or _find(arr, b"inlineStr", end).size > 0
        # Every pattern starts at a '<' or sits around an '=': find those once per chunk, then filter.
        tags = np.flatnonzero(arr[:end] == ord("<"))
        after_tag = arr[np.minimum(tags + 1, arr.size - 1)]
        cell_tags = tags[after_tag == ord("c")]
        found = _followed_by(arr, cell_tags, b"<c ").size + _followed_by(arr, cell_tags, b"<c>").size
        if not found:  # a writer that prefixes its namespace: <x:c r="A1">
            found = _find(arr, b":c ", end).size + _find(arr, b":c>", end).size
        cells += found
        equals = np.flatnonzero(arr[:end] == ord("="))
        before_equals = arr[np.maximum(equals - 1, 0)]
        refs = _followed_by(arr, equals[before_equals == ord("r")] - 2, b' r="') + 4
        if refs.size:
            last_row, last_column = _largest_reference(arr, refs)
            rows, columns = max(rows, last_row), max(columns, last_column)
        typed = _followed_by(arr, equals[before_equals == ord("t")] - 1, b't="s"') + 5
        # Every shared-string cell counted at the longest string, unless that could break the limit:
        # then each cell's own string is looked up.
        if text + typed.size * longest > limits.text_bytes:
            text += _shared_text(arr, typed, lengths)
        else:
            text += typed.size * longest
        inline_open.append(_followed_by(arr, tags[after_tag == ord("i")], b"<is>") + offset)
        inline_close.append(_followed_by(arr, tags[after_tag == ord("/")], b"</is>") + offset)
        offset += end
    opens, closes = np.concatenate(inline_open or [np.empty(0)]), np.concatenate(inline_close or [np.empty(0)])
    if opens.size == closes.size and (opens.size or not inline):
        text += int((closes - opens).sum())
    else:  # unusual markup (<x:is> with a prefix): count the whole sheet as text rather than guess
        text += offset
    return SheetSize(cells=cells, rows=rows, columns=columns, text_bytes=text)


def _largest_reference(arr: np.ndarray, refs: np.ndarray) -> tuple[int, int]:
    """The largest row and column among references like `XFD1048576` starting at `refs`. The largest
    number has the most digits, so only the references with the longest run are converted."""
    window = _window(arr, refs, 16)
    position = np.arange(16)
    letters = (window >= ord("A")) & (window <= ord("Z"))
    letter_count = np.where(letters.all(axis=1), 16, letters.argmin(axis=1))
    digits_or_letters = ((window >= ord("0")) & (window <= ord("9"))) | (position < letter_count[:, None])
    digit_end = np.where(digits_or_letters.all(axis=1), 16, digits_or_letters.argmin(axis=1))
    digit_count = digit_end - letter_count
    last_row = _largest_run(window, letter_count, np.minimum(digit_count, 12), ord("0"), 10, 0)
    last_column = _largest_run(window, np.zeros_like(letter_count), np.minimum(letter_count, 5), ord("A"), 26, 1)
    return last_row, last_column


def _largest_run(window: np.ndarray, start: np.ndarray, count: np.ndarray, low: int, base: int, shift: int) -> int:
    longest = int(count.max(initial=0))
    if longest == 0:
        return 0
    keep = np.flatnonzero(count == longest)
    value = np.zeros(keep.size, dtype=np.int64)
    for step in range(longest):
        value = value * base + window[keep, start[keep] + step].astype(np.int64) - low + shift
    return int(value.max())


def _followed_by(arr: np.ndarray, positions: np.ndarray, pattern: bytes) -> np.ndarray:
    """The positions at which `pattern` starts (positions may point anywhere, even before 0)."""
    positions = positions[(positions >= 0) & (positions + len(pattern) <= arr.size)]
    for offset, byte in enumerate(pattern):
        positions = positions[arr[positions + offset] == byte]
    return positions


def _shared_text(arr: np.ndarray, typed: np.ndarray, lengths: np.ndarray) -> int:
    """Sum of the sizes of the shared strings the `t="s"` cells (ending at `typed`) refer to."""
    if typed.size == 0 or lengths.size == 0:
        return 0
    window = _window(arr, typed, 24)  # `><v>123</v>` or `><x:v>123</x:v>`
    is_v = (window[:, :11] == ord("v")) & (window[:, 1:12] == ord(">"))
    has_value = is_v.any(axis=1)
    start = is_v.argmax(axis=1) + 2
    digits = window[np.arange(window.shape[0])[:, None], start[:, None] + np.arange(11)]
    index, count = _leading_number(digits, 48, 57, 10, 0)
    usable = has_value & (count > 0) & (index < lengths.size)
    return int(lengths[index[usable]].sum())


# ---------------------------------------------------------------------------- XLS (BIFF8)

_BOF, _SST, _CONTINUE = 0x0809, 0x00FC, 0x003C
_LABELSST, _LABEL, _RSTRING, _MULRK, _MULBLANK = 0x00FD, 0x0204, 0x00D6, 0x00BD, 0x00BE
_CELLS = {0x0201, 0x0203, 0x027E, 0x0205, 0x0006, _LABELSST, _LABEL, _RSTRING, _MULRK, _MULBLANK}
_LONGEST_XLS_STRING = 65535 * 3  # a 16-bit character count, each character up to 3 bytes of UTF-8


def check_xls(data: bytes, limits: ReadLimits) -> None:
    """Raise TooLarge if a sheet of this Excel 97-2003 workbook would exceed `limits` once read: its cells
    (each LABELSST counted at its shared string's size) are walked record by record, nothing is decoded."""
    import olefile

    try:
        with olefile.OleFileIO(data) as ole:
            name = next((n for n in ("Workbook", "Book") if ole.exists(n)), None)
            stream = ole.openstream(name).read() if name else b""
    except Exception:  # not an OLE file we can read: calamine will say it is damaged
        return
    _check(_biff_size(stream, limits), limits)


def _biff_size(stream: bytes, limits: ReadLimits) -> SheetSize:
    """Walk the records (only their headers, in Python), then size every sheet's cells at once (numpy)."""
    kinds, bodies, sizes = [], [], []
    lengths = np.empty(0, dtype=np.int64)
    sst: list[bytes] | None = None
    position, end = 0, len(stream) - 4
    unpack = struct.Struct("<HH").unpack_from
    while position <= end:
        kind, size = unpack(stream, position)
        if sst is not None:
            if kind == _CONTINUE:
                sst.append(stream[position + 4 : position + 4 + size])
                position += 4 + size
                continue
            lengths, sst = _sst_lengths(sst, limits), None
        if kind == _SST:
            sst = [stream[position + 4 : position + 4 + size]]
        elif kind in _CELLS or kind == _BOF:
            kinds.append(kind)
            bodies.append(position + 4)
            sizes.append(size)
        position += 4 + size
    return _largest_sheet(np.frombuffer(stream, dtype=np.uint8), kinds, bodies, sizes, lengths)


def _largest_sheet(raw: np.ndarray, kinds: list, bodies: list, sizes: list, lengths: np.ndarray) -> SheetSize:
    kind, body, size = np.array(kinds, dtype=np.int64), np.array(bodies, dtype=np.int64), np.array(sizes, np.int64)
    sheet = np.cumsum(kind == _BOF)
    cell = (kind != _BOF) & (size >= 4) & (body + size <= raw.size)
    kind, body, size, sheet = kind[cell], body[cell], size[cell], sheet[cell]
    if kind.size == 0:
        return SheetSize()

    def word(offset: np.ndarray) -> np.ndarray:
        return raw[offset].astype(np.int64) | (raw[offset + 1].astype(np.int64) << 8)

    row, column = word(body), word(body + 2)
    spans = np.isin(kind, [_MULRK, _MULBLANK]) & (size >= 6)
    last_column = np.where(spans, word(np.where(spans, body + size - 2, body)), column)
    count = np.maximum(1, last_column - column + 1)
    text = np.where(np.isin(kind, [_LABEL, _RSTRING]), 2 * size, 0)
    labels = (kind == _LABELSST) & (size >= 10)
    if labels.any() and lengths.size:
        index = word(body[labels] + 6) | (word(body[labels] + 8) << 16)
        text[labels] = np.where(index < lengths.size, lengths[np.minimum(index, lengths.size - 1)], 0)
    sizes_by_sheet = [
        SheetSize(
            cells=int(count[mask].sum()), rows=int(row[mask].max()) + 1, columns=int(last_column[mask].max()) + 1,
            text_bytes=int(text[mask].sum()),
        )
        for mask in (sheet == n for n in np.unique(sheet))
    ]
    return max(sizes_by_sheet, key=lambda s: (s.text_bytes, max(s.cells, s.area)))


def _sst_lengths(segments: list[bytes], limits: ReadLimits) -> np.ndarray:
    """UTF-8 size bound of each shared string of an SST record and its CONTINUE records. A string's
    characters may be split across records; each continuation starts with its own 8/16-bit flag."""
    if len(segments[0]) < 8:
        return np.empty(0, dtype=np.int64)
    (unique,) = struct.unpack_from("<I", segments[0], 4)
    if unique > limits.shared_strings:
        raise TooLarge("strings", amount=unique)
    lengths = np.full(unique, _LONGEST_XLS_STRING, dtype=np.int64)  # what cannot be parsed counts as longest
    reader = _Segments(segments, 8)
    for index in range(unique):
        header = reader.take_header()
        if header is None:
            break
        count, flags, runs, extra = header
        lengths[index] = count * (3 if flags & 1 else 2)
        if not reader.skip_characters(count, flags & 1) or not reader.skip(runs * 4 + extra):
            break
    return lengths


class _Segments:
    """A cursor over the SST's record bodies."""

    def __init__(self, segments: list[bytes], position: int):
        self.segments, self.index, self.position = segments, 0, position

    def _next(self) -> bool:
        self.index, self.position = self.index + 1, 0
        return self.index < len(self.segments)

    def take_header(self) -> tuple[int, int, int, int] | None:
        data = self.segments[self.index]
        if self.position >= len(data) and not self._next():
            return None
        data = self.segments[self.index]
        if self.position + 3 > len(data):
            return None
        count, flags = struct.unpack_from("<HB", data, self.position)
        self.position += 3
        runs = extra = 0
        if flags & 0x08 and self.position + 2 <= len(data):
            (runs,) = struct.unpack_from("<H", data, self.position)
            self.position += 2
        if flags & 0x04 and self.position + 4 <= len(data):
            (extra,) = struct.unpack_from("<I", data, self.position)
            self.position += 4
        return count, flags, runs, extra

    def skip_characters(self, count: int, wide: int) -> bool:
        while True:
            data = self.segments[self.index]
            width = 2 if wide else 1
            step = min(count, (len(data) - self.position) // width)
            self.position += step * width
            count -= step
            if count == 0:
                return True
            if not self._next() or not self.segments[self.index]:
                return False
            wide = self.segments[self.index][0] & 1
            self.position = 1

    def skip(self, amount: int) -> bool:
        while amount:
            data = self.segments[self.index]
            step = min(amount, len(data) - self.position)
            self.position += step
            amount -= step
            if amount and not self._next():
                return False
        return True


# ---------------------------------------------------------------------------- ODS


class _OdsCounter:
    """Counts what calamine builds from content.xml: repeated rows and cells expanded, trailing empties not."""

    TABLE, ROW, CELL = "table:table", "table:table-row", "table:table-cell"
    COVERED = "table:covered-table-cell"

    def __init__(self) -> None:
        self.size = SheetSize()
        self.worst = SheetSize()
        self.row = 0
        self.row_repeat = 1
        self.column = 0
        self.cell_repeat = 1
        self.cell_text = 0
        self.cell_filled = False
        self.row_filled = False
        self.depth_in_cell = 0

    def start(self, name: str, attributes: dict) -> None:
        if name == self.TABLE:
            self.size, self.row = SheetSize(), 0
        elif name == self.ROW:
            self.row_repeat = _repeat(attributes.get("table:number-rows-repeated"))
            self.column, self.row_filled = 0, False
        elif name in (self.CELL, self.COVERED):
            self.cell_repeat = _repeat(attributes.get("table:number-columns-repeated"))
            self.cell_text, self.depth_in_cell = 0, 1
            self.cell_filled = "office:value-type" in attributes
        elif self.depth_in_cell:
            self.depth_in_cell += 1

    def text(self, data: str) -> None:
        if self.depth_in_cell > 1:
            self.cell_text += len(data.encode("utf-8"))
            self.cell_filled = True

    def end(self, name: str) -> None:
        if name in (self.CELL, self.COVERED):
            self.depth_in_cell = 0
            if self.cell_filled:
                copies = self.cell_repeat * self.row_repeat
                s = self.size
                self.size = SheetSize(
                    cells=s.cells + copies,
                    rows=max(s.rows, self.row + self.row_repeat),
                    columns=max(s.columns, self.column + self.cell_repeat),
                    text_bytes=s.text_bytes + copies * max(self.cell_text, 1),
                )
            self.column += self.cell_repeat
        elif name == self.ROW:
            self.row += self.row_repeat
        elif name == self.TABLE:
            if max(self.size.area, self.size.text_bytes) > max(self.worst.area, self.worst.text_bytes):
                self.worst = self.size
        elif self.depth_in_cell > 1:
            self.depth_in_cell -= 1


def _repeat(raw: str | None) -> int:
    try:
        return max(1, int(raw)) if raw else 1
    except ValueError:
        return 1


def _ods_size(archive: zipfile.ZipFile) -> SheetSize:
    counter = _OdsCounter()
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = counter.start
    parser.EndElementHandler = counter.end
    parser.CharacterDataHandler = counter.text
    with archive.open("content.xml") as stream:
        try:
            while block := stream.read(_CHUNK):
                parser.Parse(block, False)
            parser.Parse(b"", True)
        except expat.ExpatError:
            pass  # a damaged file: calamine says so in its own words
    counter.end(_OdsCounter.TABLE)
    return counter.worst
