"""Hostile recipient files, generated on demand (never committed as blobs): each is small on disk and
would cost the server gigabytes or a crash if the reader materialised it naively.

Used by tests/test_hostile_files.py and bench/hostile_files_bench.py.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from xml.sax.saxutils import escape

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
_SHEET_OPEN = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_CLOSE = "</sheetData></worksheet>"


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def xlsx(shared: list[str], rows: list[str], *, level: int = 9) -> bytes:
    """A minimal workbook: `shared` strings and the raw <row> XML of the one sheet."""
    strings = "".join(f"<si><t>{escape(s)}</t></si>" for s in shared)
    shared_xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(shared)}" '
        f'uniqueCount="{len(shared)}">{strings}</sst>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/sharedStrings.xml", shared_xml)
        archive.writestr("xl/worksheets/sheet1.xml", _SHEET_OPEN + "".join(rows) + _SHEET_CLOSE)
    return buffer.getvalue()


def shared_string_bomb_xlsx(string_bytes: int = 4 * 1024 * 1024, cells: int = 20_000, width: int = 10) -> bytes:
    """The issue's workbook: one 4 MB shared string referenced by 20,000 cells (80 GB once every cell
    holds its own copy). A header row of ordinary names keeps it looking like a recipient list."""
    header = "".join(f'<c r="{_column_letters(i)}1" t="inlineStr"><is><t>col{i}</t></is></c>' for i in range(width))
    rows = [f'<row r="1">{header}</row>']
    for r in range(cells // width):
        row = r + 2
        refs = "".join(f'<c r="{_column_letters(i)}{row}" t="s"><v>0</v></c>' for i in range(width))
        rows.append(f'<row r="{row}">{refs}</row>')
    big = ("Μαρία " * (string_bytes // 12 + 1)).encode("utf-8")[:string_bytes].decode("utf-8", "ignore")
    return xlsx([big], rows)


def prefixed_shared_string_bomb_xlsx(string_bytes: int = 4 * 1024 * 1024, cells: int = 20_000, width: int = 10) -> bytes:
    """The issue's workbook written with a namespace prefix on every element (<x:c>, <x:si>, <x:v>), as
    some exporters write them: calamine reads it just the same."""
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rows = ['<x:row r="1">' + "".join(
        f'<x:c r="{_column_letters(i)}1" t="inlineStr"><x:is><x:t>col{i}</x:t></x:is></x:c>' for i in range(width)
    ) + "</x:row>"]
    for r in range(2, cells // width + 2):
        refs = "".join(f'<x:c r="{_column_letters(i)}{r}" t="s"><x:v>0</x:v></x:c>' for i in range(width))
        rows.append(f'<x:row r="{r}">{refs}</x:row>')
    big = ("Μαρία " * (string_bytes // 12 + 1)).encode("utf-8")[:string_bytes].decode("utf-8", "ignore")
    sheet = f'<?xml version="1.0"?><x:worksheet xmlns:x="{ns}"><x:sheetData>{"".join(rows)}</x:sheetData></x:worksheet>'
    shared = f'<?xml version="1.0"?><x:sst xmlns:x="{ns}"><x:si><x:t>{big}</x:t></x:si></x:sst>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/sharedStrings.xml", shared)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return buffer.getvalue()


def far_corner_xlsx() -> bytes:
    """Two cells, A1 and XFD1048576: a reader that fills the rectangle between them builds 17 billion cells."""
    rows = [
        '<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c></row>',
        '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>',
    ]
    return xlsx([], rows)


def many_shared_strings_xlsx(count: int = 9_000_000, announce: bool = False) -> bytes:
    """Millions of distinct tiny shared strings no cell uses: the string table alone is the attack.
    Without `announce` the table hides its size (no uniqueCount), so a reader has to count."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/sharedStrings.xml", "w") as out:
            counts = b' count="%d" uniqueCount="%d"' % (count, count) if announce else b""
            out.write(b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
                      b'spreadsheetml/2006/main"' + counts + b">")
            for start in range(0, count, 100_000):
                out.write(b"".join(b"<si><t>%d</t></si>" % i for i in range(start, min(count, start + 100_000))))
            out.write(b"</sst>")
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            _SHEET_OPEN + '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>0</v></c></row>'
            + _SHEET_CLOSE,
        )
    return buffer.getvalue()


def sparse_corner_xlsx() -> bytes:
    """A1 and IV65536 only: within the cell limit, but 16.7 million empty cells once opened."""
    rows = [
        '<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c></row>',
        '<row r="65536"><c r="IV65536" t="inlineStr"><is><t>x</t></is></c></row>',
    ]
    return xlsx([], rows)


def shared_string_bomb_xls(cells: int = 200_000, width: int = 10, chars: int = 32_767) -> bytes:
    """The Excel 97-2003 twin: one 32,767-character shared string (the format's longest) in 200,000 cells,
    18 GB once every cell holds its own copy; 3 MB on disk."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sheet1")
    for column in range(width):
        sheet.write(0, column, f"col{column}")
    big = ("Μαρία " * (chars // 6 + 1))[:chars]
    for row in range(1, cells // width + 1):
        for column in range(width):
            sheet.write(row, column, big)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def sparse_corner_xls() -> bytes:
    """A1 and IV65536 of an Excel 97-2003 sheet: the whole 65,536 x 256 grid once opened."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sheet1")
    sheet.write(0, 0, "id")
    sheet.write(65535, 255, "x")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


_ODS_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def ods(table_rows: str) -> bytes:
    """A minimal OpenDocument spreadsheet with the raw <table:table-row> XML of one table."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Sheet1">'
        f"{table_rows}</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", _ODS_MANIFEST)
        archive.writestr("content.xml", content)
    return buffer.getvalue()


def _ods_text_cell(text: str, repeat_columns: int = 1) -> str:
    repeat = f' table:number-columns-repeated="{repeat_columns}"' if repeat_columns > 1 else ""
    return f'<table:table-cell office:value-type="string"{repeat}><text:p>{escape(text)}</text:p></table:table-cell>'


def repeated_cell_bomb_ods(string_bytes: int = 4 * 1024 * 1024, rows: int = 2_000, width: int = 10) -> bytes:
    """The ODS twin of the shared-string workbook: one 4 MB cell repeated down 2,000 rows and across
    10 columns by number-rows-repeated / number-columns-repeated (20,000 copies)."""
    header = "<table:table-row>" + "".join(_ods_text_cell(f"col{i}") for i in range(width)) + "</table:table-row>"
    big = ("Μαρία " * (string_bytes // 12 + 1)).encode("utf-8")[:string_bytes].decode("utf-8", "ignore")
    body = (
        f'<table:table-row table:number-rows-repeated="{rows}">{_ods_text_cell(big, width)}</table:table-row>'
    )
    return ods(header + body)


def csv_with_bad_byte(rows: int = 5_000, bad_row: int = 3_000) -> bytes:
    """A UTF-8 list of Greek names with one byte that is not UTF-8 in one cell (row `bad_row`, column name)."""
    lines = ["id,mobile,name"]
    for r in range(2, rows + 2):
        lines.append(f"{r},69{r:08d},Μαρία Παπαδοπούλου")
    data = ("\n".join(lines) + "\n").encode("utf-8")
    marker = f"\n{bad_row},69{bad_row:08d},Μα".encode()
    at = data.index(marker) + len(marker)
    return data[:at] + b"\xff" + data[at:]


def csv_with_nul(rows: int = 20_000, nul_row: int = 15_000) -> bytes:
    """A NUL byte in the middle of a file far beyond its first and last 64 KB (row `nul_row`, column mobile)."""
    lines = ["id,mobile,name"]
    for r in range(2, rows + 2):
        lines.append(f"{r},69{r:08d},Maria")
    data = ("\n".join(lines) + "\n").encode("utf-8")
    marker = f"\n{nul_row},69".encode()
    at = data.index(marker) + len(marker)
    return data[:at] + b"\x00" + data[at:]


def newline_bomb_csv(size: int = 150 * 1024 * 1024) -> bytes:
    """A header and 150 million empty lines: every line a row of cells."""
    return b"id,mobile\n" + b"\n" * (size - 10)


def wide_row_csv(size: int = 100 * 1024 * 1024) -> bytes:
    """A header of two columns, then one row of 100 million commas: 100 million empty cells."""
    return b"id,mobile\n1,2\n" + b"," * size + b"\n"


HOSTILE: dict[str, Callable[[], bytes]] = {
    "shared_string_bomb.xlsx": shared_string_bomb_xlsx,
    "prefixed_bomb.xlsx": prefixed_shared_string_bomb_xlsx,
    "repeated_cell_bomb.ods": repeated_cell_bomb_ods,
    "shared_string_bomb.xls": shared_string_bomb_xls,
    "far_corner.xlsx": far_corner_xlsx,
    "sparse_corner.xlsx": sparse_corner_xlsx,
    "sparse_corner.xls": sparse_corner_xls,
    "many_shared_strings.xlsx": many_shared_strings_xlsx,
    "newline_bomb.csv": newline_bomb_csv,
    "wide_row.csv": wide_row_csv,
}
