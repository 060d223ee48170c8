"""Reading recipient files: every format, encoding and delimiter marketers' tools save; every bad file refused in one sentence."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib.recipients import RecipientFileError, list_sheets
from lib.recipients.reading import MAX_FILE_BYTES, read_table

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "recipients"
TESTDATA = Path(__file__).resolve().parents[1].parent / "shared" / "testdata"
SPECTRUM = TESTDATA / "csv-spectrum"
NOTIFY = TESTDATA / "notify-spreadsheets"

GREEK_HEADERS = ["Κωδικός πελάτη", "Κινητό", "Όνομα", "Ηλεκτρονικό ταχυδρομείο", "Πόντοι"]


def rows_of(table) -> list[list[str]]:
    return table.data.astype(object).values.tolist()


@pytest.mark.parametrize(
    "name, encoding, delimiter",
    [
        ("greek_semicolon_cp1253.csv", "cp1253", ";"),
        ("greek_semicolon_utf8_bom.csv", "utf-8-sig", ";"),
        ("unicode_text_utf16.txt", "utf-16", "\t"),
    ],
)
def test_greek_excel_exports_read_the_same(name, encoding, delimiter):
    table = read_table((FIXTURES / name).read_bytes(), name)
    assert (table.encoding, table.delimiter) == (encoding, delimiter)
    assert table.headers == GREEK_HEADERS
    assert rows_of(table)[0] == ["1001", "6936862208", "Μαρία", "maria@example.gr", "120"]
    assert list(table.data.index) == [2, 3, 4, 5]


def test_western_windows_1252_is_not_mistaken_for_greek():
    table = read_table((FIXTURES / "western_cp1252.csv").read_bytes(), "western.csv")
    assert table.encoding == "cp1252"
    assert table.data["Firstname"].tolist() == ["José", "Zoë", "Søren"]
    assert table.data["city"].tolist() == ["Málaga", "Besançon", "Århus"]


def test_quoted_newlines_and_delimiters_stay_in_their_cell_and_rows_keep_excel_numbers():
    table = read_table((FIXTURES / "quoted_newlines.csv").read_bytes(), "q.csv")
    assert table.data.loc[2, "note"] == "first line\r\nsecond line"
    assert table.data.loc[2, "address"] == "Ermou 1, Athens"
    assert table.data.loc[3, "address"] == "Tsimiski 2; Thessaloniki"
    assert table.data.loc[3, "note"] == 'she said "hi"'
    assert list(table.data.index) == [2, 3, 4]


def test_workbook_numbers_read_as_the_marketer_sees_them():
    data = (FIXTURES / "numbers_as_numbers.xlsx").read_bytes()
    table = read_table(data, "n.xlsx")
    assert table.headers == ["Customer ID", "Mobile", "Firstname", "voucherAmount", "expirationDate", "card"]
    assert rows_of(table)[0] == ["1001", "6936862208", "Μαρία", "10.5", "28/09/2026", "4000000000001"]
    assert table.data.loc[4, "card"] == ""


def test_workbook_reads_first_visible_sheet_or_the_chosen_one():
    data = (FIXTURES / "numbers_as_numbers.xlsx").read_bytes()
    assert list_sheets(data, "n.xlsx") == ["Customers", "Second"]
    assert read_table(data, sheet="Second").data["customer id"].tolist() == ["X1"]
    assert read_table(data, sheet=2).data["customer id"].tolist() == ["X1"]
    with pytest.raises(RecipientFileError, match="no sheet called 'Nope'"):
        read_table(data, sheet="Nope")
    assert list_sheets(b"a,b\n1,2\n", "x.csv") == []


@pytest.mark.parametrize(
    "text, expected_delimiter",
    [
        ("id,mobile\n1,6936862208\n", ","),
        ("id;mobile\n1;6936862208\n", ";"),
        ("id\tmobile\n1\t6936862208\n", "\t"),
        ("id|mobile\n1|6936862208\n", "|"),
        ('id;name\n1;"Smith, John"\n2;"Doe, Jane"\n', ";"),
        ("sep=;\nid;mobile\n1;6936862208\n", ";"),
    ],
)
def test_delimiter_is_detected(text, expected_delimiter):
    table = read_table(text.encode(), "x.csv")
    assert table.delimiter == expected_delimiter
    assert table.headers[0] == "id"
    assert len(table.headers) == 2


def test_cells_are_text_with_leading_zeros_and_no_floats():
    table = read_table(b"id,mobile,code\n007,6936862208,0123\n008,6.936862208E+09,1e5\n", "x.csv")
    assert rows_of(table) == [["007", "6936862208", "0123"], ["008", "6.936862208E+09", "1e5"]]


def test_broken_bytes_after_a_utf8_bom_do_not_turn_the_file_greek():
    table = read_table(b"\xef\xbb\xbfid,name\n1,Zo\xeb\n2,\xce\x9c\xce\xb1\n", "x.csv")
    assert table.encoding == "utf-8-sig"
    assert table.data["name"].tolist() == ["Zo\ufffd", "Μα"]


def test_headers_trimmed_blank_rows_and_blank_columns_dropped_row_numbers_kept():
    text = b" id , mobile ,,\n1,6936862208,,\n,,,\n\n2,6936862209,,\n,,,\n\n"
    table = read_table(text, "x.csv")
    assert table.headers == ["id", "mobile"]
    assert list(table.data.index) == [2, 5]


def test_ragged_rows_are_padded_not_dropped():
    table = read_table(b"id,mobile,name\n1,6936862208\n2,6936862209,Anna,extra\n", "x.csv")
    assert table.headers == ["id", "mobile", "name", "Column D"]
    assert rows_of(table) == [["1", "6936862208", "", ""], ["2", "6936862209", "Anna", "extra"]]
    assert [n.code for n in table.notes] == ["header.blank"]


@pytest.mark.parametrize(
    "data, sentence",
    [
        (b"", "The file is empty."),
        (b"   \r\n\r\n", "The file is empty."),
        (b"id,mobile\n", "The file has column names but no recipients under them."),
        (b"sep=;", "The file is empty."),
        (b"id,mobile\n,\n  ,  \n", "The file has column names but no recipients under them."),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "This file is a PDF, not a spreadsheet"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This file is a picture, not a spreadsheet"),
        (b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)), "This file is not a spreadsheet"),
        (bytes(range(256)) * 4, "This file is not a spreadsheet"),
        (b"PK\x03\x04garbage that is not a zip", "This Excel file is damaged"),
        (b"id,id\n1,2\n", "Columns A and B are both called 'id'"),
        (b" mobile ,name,mobile\n1,2,3\n", "Columns A and C are both called 'mobile'"),
    ],
)
def test_bad_files_get_one_plain_sentence(data, sentence):
    with pytest.raises(RecipientFileError) as caught:
        read_table(data, "list.csv")
    message = str(caught.value)
    assert message.startswith(sentence)
    assert "\n" not in message and "Traceback" not in message


def test_too_many_rows_and_too_big():
    with pytest.raises(RecipientFileError, match=r"The file has 3 recipients, more than the 2 we can take at once"):
        read_table(b"id\n1\n2\n3\n", "x.csv", max_rows=2)
    assert len(read_table(b"id\n1\n2\n", "x.csv", max_rows=2).data) == 2
    with pytest.raises(RecipientFileError, match="over the 200 MB limit"):
        read_table(b"id\n" + b"1\n" * (MAX_FILE_BYTES // 2 + 1), "x.csv")


def test_zip_bomb_workbook_is_refused_without_unpacking():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (60 * 1024 * 1024))
    with pytest.raises(RecipientFileError, match="unpacks to far more data"):
        read_table(buffer.getvalue(), "bomb.xlsx")


def test_workbook_with_too_many_rows_is_refused():
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, ["id", "mobile"])
    for r in range(1, 12):
        sheet.write_row(r, 0, [str(r), "6936862208"])
    workbook.close()
    with pytest.raises(RecipientFileError, match="11 recipients, more than the 10"):
        read_table(buffer.getvalue(), "x.xlsx", max_rows=10)


# ---------------------------------------------------------------------------- public test data


def _spectrum_cases():
    if not SPECTRUM.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{SPECTRUM} is absent (outside this workplace)"))]
    return sorted(p.stem for p in (SPECTRUM / "csvs").glob("*.csv"))


@pytest.mark.parametrize("name", _spectrum_cases())
def test_csv_spectrum_reads_as_its_json_says(name):
    expected = json.loads((SPECTRUM / "json" / f"{name}.json").read_text(encoding="utf-8"))
    data = (SPECTRUM / "csvs" / f"{name}.csv").read_bytes()
    if b"\r" not in data:
        # The stored copy of newlines_crlf.csv lost its CRs (line endings normalised on checkout); a
        # quoted cell keeps exactly the newline bytes the file has, so expect those.
        expected = [{k: v.replace("\r\n", "\n") for k, v in row.items()} for row in expected]
    table = read_table(data, f"{name}.csv")
    assert table.data.astype(object).to_dict("records") == expected


def _notify(path: str) -> Path:
    if not NOTIFY.is_dir():
        pytest.skip(f"{NOTIFY} is absent (outside this workplace)")
    return NOTIFY / path


EQUIVALENTS = [
    "newline_unix.csv",
    "newline_windows.csv",
    "tab separated.tsv",
    "excel 2007.xlsx",
    "excel 2007 with macro support.xlsm",
    "excel_97.xls",
    "EXCEL_95.XLS",
    "open document spreadsheet.ods",
]


@pytest.mark.parametrize("name", EQUIVALENTS)
def test_notify_equivalents_give_the_same_rows_in_every_format(name):
    table = read_table(_notify(f"spreadsheet_files/equivalents/{name}").read_bytes(), name)
    assert table.headers == ["phone number", "name", "favourite colour", "fruit"]
    assert rows_of(table) == [
        ["07739 468 050", "Pete", "Coral", "tomato"],
        ["07527 125 974", "Not Pete", "Magenta", "Avacado"],
        ["07512 058 823", "Still Not Pete", "Crimson", "Pear"],
    ]


@pytest.mark.parametrize("extension", ["csv", "tsv", "xlsx", "xlsm", "xls", "ods"])
def test_notify_pngs_renamed_as_spreadsheets_are_refused(extension):
    data = _notify(f"non_spreadsheet_files/actually_a_png.{extension}").read_bytes()
    with pytest.raises(RecipientFileError, match=r"^This file is a picture, not a spreadsheet: upload a CSV or an Excel file \(\.xlsx\)\.$"):
        read_table(data, f"actually_a_png.{extension}")


def test_notify_hidden_sheet_is_skipped_like_notify_does():
    table = read_table(_notify("spreadsheet_files/conversions/originals/xlsx_hidden_sheet.xlsx").read_bytes())
    assert table.headers == ["A1", "B1", "C1", "D1", "E1"]
    assert len(table.data) == 6


def test_notify_exotic_types_our_decisions():
    """Notify writes numbers as 123 and dates as '1995-01-27 00:00:00'; we keep whole numbers whole but
    write dates day first, as our Greek marketers see them in Excel, and name the header-less column."""
    table = read_table(_notify("spreadsheet_files/conversions/originals/xlsx_exotic_types.xlsx").read_bytes())
    assert table.headers[:6] == ["int as text", "Text formatting", "int as number", "float as number", "date as date", "date as text"]
    assert table.headers[6] == "Column G"
    assert rows_of(table)[0][:7] == ["1", "bananas", "123", "12.3", "27/01/1995", "27/01/95", "66"]
    assert table.headers[7] == "< oops missed header"  # a named column stays, even when empty


# ---------------------------------------------------------------------------- no bytes crash the reader


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.binary(max_size=600),
    st.binary(max_size=300).map(lambda b: b"PK\x03\x04" + b),
    st.binary(max_size=300).map(lambda b: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b),
    st.text(alphabet='a1,;\t|"\r\n =+Ωé\x00', max_size=200).map(lambda t: t.encode("utf-8")),
    st.text(alphabet='a1,;\t|"\r\n Ωé', max_size=200).map(lambda t: t.encode("utf-16")),
))  # fmt: skip
def test_no_byte_string_crashes_the_reader(data):
    try:
        table = read_table(data, "fuzz.csv")
    except RecipientFileError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert len(table.data) >= 1
    assert table.headers and all(isinstance(h, str) and h for h in table.headers)
    assert list(table.data.columns) == table.headers
