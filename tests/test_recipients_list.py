"""A recipient list as the marketer meets it: counts, problems per row, summary, export, cache, CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest

from lib.cli import check as check_cli
from lib.recipients import (
    Field,
    Problem,
    RecipientFileError,
    Severity,
    clear_cache,
    detect_mapping,
    export_rows_to_fix,
    load_recipient_list,
)
from lib.settings import Settings
from lib.templates import Channel

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "recipients"
SETTINGS = Settings()

LIST = (
    "customer id;mobile;email;Firstname;voucherCode\n"
    "C1;6936862208;maria@example.gr;Μαρία;=HYPERLINK(\"x\")\n"  # row 2
    "C2;693 686 2208;nikos@example;Nikos;A2\n"  # row 3: same mobile as row 2, bad email
    "C3;2101234567;;Eleni;A3\n"  # row 4: landline
    "C1;+30 694 123 4567;kostas@example.gr;Kostas;A4\n"  # row 5: same id as row 2
    ";6941234568;sofia@example.gr;Sofia;A5\n"  # row 6: no id
    "C6;;;Anna;A6\n"  # row 7: no mobile
).encode()


@pytest.fixture(autouse=True)
def fresh_cache():
    clear_cache()
    yield
    clear_cache()


def load(data: bytes = LIST, channel: Channel = Channel.SMS, **kwargs):
    return load_recipient_list(data, "list.csv", channel=channel, settings=SETTINGS, **kwargs)


def codes_by_row(recipients) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for problem in recipients.problem_list():
        out.setdefault(problem.row, []).append(problem.code)
    return out


def test_counts_frame_and_row_numbers():
    recipients = load()
    assert recipients.row_count == 6
    assert (recipients.valid_count, recipients.invalid_count) == (1, 5)
    frame = recipients.frame
    assert list(frame.index) == [2, 3, 4, 5, 6, 7]
    assert list(frame.columns) == [
        "uniqueId", "mobilePhone", "email", "cardNumber", "marketingConsent", "Firstname", "voucherCode", "valid"
    ]
    assert frame.loc[3, "mobilePhone"] == "+306936862208"
    assert frame.loc[2, "Firstname"] == "Μαρία"
    assert frame["valid"].tolist() == [False, True, False, False, False, False]
    assert recipients.content_hash and len(recipients.content_hash) == 64


def test_every_problem_names_the_spreadsheet_row_and_the_column_as_written():
    recipients = load()
    assert codes_by_row(recipients) == {
        2: ["unique_id.repeated"],
        3: ["email.invalid", "destination.repeated"],
        4: ["mobile.not_mobile"],
        5: ["unique_id.repeated"],
        6: ["unique_id.missing"],
        7: ["mobile.missing"],
    }
    problems = {(p.row, p.code): p for p in recipients.problem_list()}
    assert problems[2, "unique_id.repeated"] == Problem(2, "customer id", "unique_id.repeated", Severity.ERROR, "Same customer id as row 5")
    assert problems[5, "unique_id.repeated"].message == "Same customer id as row 2"
    assert problems[3, "destination.repeated"] == Problem(3, "mobile", "destination.repeated", Severity.WARNING, "Same mobile number as row 2")
    assert problems[3, "email.invalid"].severity is Severity.WARNING  # an SMS list does not need the email
    assert problems[7, "mobile.missing"].message == "Missing"
    assert list(recipients.problems.columns) == ["row", "column", "code", "severity", "message"]
    assert recipients.problems["row"].is_monotonic_increasing
    assert len(recipients.problem_list(limit=2)) == 2
    assert recipients.warning_count == 1


def test_repeated_id_names_all_the_other_rows():
    data = b"id,mobile\nA,6936862201\nA,6936862202\nB,6936862203\nA,6936862204\n"
    recipients = load(data)
    messages = {p.row: p.message for p in recipients.problem_list()}
    assert messages == {2: "Same customer id as rows 3 and 5", 3: "Same customer id as rows 2 and 5", 5: "Same customer id as rows 2 and 3"}
    assert "Remove 2 repeated customer ids (rows that share an id are not sent)" in recipients.summary()


def test_summary_is_actionable_sentences():
    recipients = load(template_tags=["Firstname", "expirationDate"])
    assert recipients.summary() == [
        "Enter the missing customer id in 1 row",
        "Remove 1 repeated customer id (rows that share an id are not sent)",
        "Enter the missing mobile number in 1 row",
        "Fix the mobile number in 1 row",
        "The email address in 1 row is not valid; it will not be sent",
        "1 row repeats a mobile number already in the file: it gets the message again unless you choose to keep only the first",
        "Your file needs a column called 'expirationDate' for the template's {{expirationDate}}",
    ]
    assert recipients.mapping.missing_tags == ("expirationDate",)


def test_email_channel_requires_email_and_only_warns_about_mobiles():
    recipients = load(channel=Channel.EMAIL)
    rows = codes_by_row(recipients)
    assert rows[3] == ["email.invalid"]
    assert rows[4] == ["mobile.not_mobile", "email.missing"]
    assert 7 in rows and rows[7] == ["email.missing"]
    severities = {(p.row, p.code): p.severity for p in recipients.problem_list()}
    assert severities[4, "mobile.not_mobile"] is Severity.WARNING
    assert severities[4, "email.missing"] is Severity.ERROR
    assert recipients.frame.loc[4, "mobilePhone"] != recipients.frame.loc[4, "mobilePhone"]  # NaN: not sent


@pytest.mark.parametrize(
    "data, channel, sentence",
    [
        (b"mobile,name\n6936862208,A\n", Channel.SMS, "Your file needs a column for the customer id"),
        (b"id,name\n1,A\n", Channel.SMS, "Your file needs a column for mobile numbers"),
        (b"id,mobile\n1,6936862208\n", Channel.EMAIL, "Your file needs a column for email addresses"),
    ],
)
def test_missing_required_column_blocks_every_row_with_one_sentence(data, channel, sentence):
    recipients = load(data, channel=channel)
    assert recipients.valid_count == 0
    assert recipients.summary()[0].startswith(sentence)
    assert recipients.problem_list()[0].row == 1


def test_valid_frame_and_keep_first_duplicate_destination():
    data = b"id,mobile,name\n1,6936862208,A\n2,693-686-2208,B\n3,6936862209,C\n4,bad,D\n"
    recipients = load(data)
    assert list(recipients.valid_frame().index) == [2, 3, 4]
    kept = recipients.valid_frame(keep_first_duplicate_destination=True)
    assert list(kept.index) == [2, 4]
    assert "valid" not in kept.columns
    assert kept.loc[2, "name"] == "A"


def test_mapping_override_is_applied_and_cached_separately():
    data = b"id,mobile,work\n1,2101234567,6936862208\n"
    first = load(data)
    assert first.valid_count == 0
    mapping = first.mapping.with_override(Field.MOBILE_PHONE, "work")
    second = load(data, mapping=mapping)
    assert second.valid_count == 1
    assert second.frame.loc[2, "mobilePhone"] == "+306936862208"
    assert second.frame.loc[2, "mobile"] == "2101234567"  # the old column is now a payload field
    with pytest.raises(ValueError, match="no column called 'nope'"):
        load(data, mapping=mapping.with_override(Field.EMAIL, "nope"))


def test_second_look_at_the_same_bytes_is_the_cached_result():
    first = load()
    assert load(bytes(LIST)) is first
    assert load(channel=Channel.EMAIL) is not first
    assert load(template_tags=["Firstname"]) is not first


def test_tag_that_is_also_a_field_shares_its_column():
    data = "κωδικός πελάτη,κινητό,κάρτα,Firstname,points\n1,6936862208,4000123,Μαρία,10\n".encode()
    recipients = load(data, template_tags=["Firstname", "cardNumber", "points"])
    assert recipients.payload_columns == {"Firstname": "Firstname", "points": "points", "cardNumber": "cardNumber"}
    assert recipients.frame.loc[2, "cardNumber"] == "4000123"


def test_payload_key_colliding_with_a_field_name_gets_its_own_frame_column():
    data = b"id,mobile,card,CardNumber\n1,6936862208,111,222\n"
    detected = load(data, template_tags=["cardNumber"]).mapping
    assert detected.card_number == "CardNumber"  # the better name wins the field; the tag reads it too
    assert detected.payload["cardNumber"] == "CardNumber"
    mapping = detected.with_override(Field.CARD_NUMBER, "card")  # the marketer says: cards are in 'card'
    recipients = load(data, template_tags=["cardNumber"], mapping=mapping)
    assert recipients.mapping.payload["cardNumber"] == "CardNumber"
    column = recipients.payload_columns["cardNumber"]
    assert recipients.frame.loc[2, column] == "222"
    assert recipients.frame.loc[2, "cardNumber"] == "111"


def test_unreadable_file_raises_one_sentence():
    with pytest.raises(RecipientFileError, match="^The file is empty.$"):
        load(b"")


def test_real_shaped_fixtures_load():
    greek = load((FIXTURES / "greek_semicolon_cp1253.csv").read_bytes())
    assert greek.mapping.unique_id == "Κωδικός πελάτη"
    assert greek.valid_count == 3
    workbook = load_recipient_list(
        (FIXTURES / "numbers_as_numbers.xlsx").read_bytes(), "n.xlsx", channel=Channel.SMS, settings=SETTINGS
    )
    assert workbook.frame["mobilePhone"].tolist() == ["+306936862208", "+306936862209", "+306936862210"]
    assert workbook.frame["uniqueId"].tolist() == ["1001", "1002", "1003"]
    damaged = load((FIXTURES / "excel_damaged.csv").read_bytes())
    assert codes_by_row(damaged) == {2: ["mobile.excel_repaired"], 3: ["mobile.excel_repaired"], 4: ["mobile.excel_digits_lost"]}
    assert damaged.frame.loc[2, "mobilePhone"] == "+306936862208"


# ---------------------------------------------------------------------------- export


def test_export_xlsx_rows_to_fix_all_text():
    recipients = load()
    workbook = openpyxl.load_workbook(io.BytesIO(export_rows_to_fix(recipients, "xlsx")))
    sheet = workbook.active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Row in your file", "customer id", "mobile", "email", "Firstname", "voucherCode", "Problems")
    assert [r[0] for r in rows[1:]] == ["2", "4", "5", "6", "7"]
    assert [r[1] or "" for r in rows[1:]] == ["C1", "C3", "C1", "", "C6"]
    assert rows[2][2] == "2101234567" and rows[2][6] == "mobile: This is a landline number, not a mobile"
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.number_format == "@"
            assert cell.data_type == "s" or cell.value is None


def test_export_csv_is_semicolon_bom_formula_safe_and_can_include_every_row():
    recipients = load()
    data = export_rows_to_fix(recipients, "csv", only_errors=False, delimiter=";")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Row in your file" and rows[0][-1] == "Problems"
    assert len(rows) == 1 + 6
    assert [r[0] for r in rows[1:]] == ["2", "3", "4", "5", "6", "7"]
    assert rows[1][5] == "'=HYPERLINK(\"x\")"
    assert rows[2][-1] == "email: Not a valid email address; mobile: Same mobile number as row 2"
    assert rows[4][2] == "'+30 694 123 4567"


def test_export_csv_uses_the_delimiter_setting(monkeypatch):
    from lib.settings import get_settings

    monkeypatch.setenv("CONSOLE_CSV_DELIMITER", ",")
    get_settings.cache_clear()
    try:
        header = export_rows_to_fix(load(), "csv").decode("utf-8-sig").splitlines()[0]
    finally:
        get_settings.cache_clear()
    assert header == "Row in your file,customer id,mobile,email,Firstname,voucherCode,Problems"


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_rows_to_fix_upload_again_with_the_same_mapping(fmt):
    recipients = load()
    again = load_recipient_list(export_rows_to_fix(recipients, fmt), f"fix.{fmt}", channel=Channel.SMS, settings=SETTINGS)
    assert again.row_count == 5
    assert again.mapping.fields == recipients.mapping.fields
    assert again.mapping.payload == recipients.mapping.payload  # the row number and problems are not sent


# ---------------------------------------------------------------------------- CLI


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = check_cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_json_shape(tmp_path, capsys):
    path = tmp_path / "list.csv"
    path.write_bytes(LIST)
    code, out, err = run_cli(capsys, str(path), "--channel", "sms", "--template", "71", "--json")
    assert code == 3 and err == ""  # the template's {{voucherAmount}} has no column: no row can be sent
    result = json.loads(out)
    assert set(result) == {"rows", "valid", "invalid", "warnings", "mapping", "problems", "leftOut", "refused"}
    assert result["refused"] is None  # template 71 carries its opt-out text when that rule is on
    assert (result["rows"], result["valid"], result["invalid"]) == (6, 1, 5)
    assert result["mapping"]["uniqueId"] == "customer id"
    assert result["mapping"]["payload"] == ["Firstname", "voucherCode"]
    assert {"row": 4, "column": "mobile", "code": "mobile.not_mobile", "severity": "error",
            "message": "This is a landline number, not a mobile"} in result["problems"]  # fmt: skip
    tags = [p["message"] for p in result["problems"] if p["code"] == "tag.column_missing"]
    assert tags == [
        "Your file needs a column called 'voucherAmount' for the template's {{voucherAmount}}",
        "Your file needs a column called 'expirationDate' for the template's {{expirationDate}}",
    ]


def test_cli_text_prints_summary_and_first_problems(tmp_path, capsys):
    path = tmp_path / "list.csv"
    path.write_bytes(LIST)
    code, out, _ = run_cli(capsys, str(path), "--channel", "email", "--region", "gr")
    assert code == (0 if load(channel=Channel.EMAIL).valid_count else 3)
    assert "6 recipients" in out and "Fix the email address in 1 row" in out and "row       3" in out


@pytest.mark.parametrize(
    "content, args, message",
    [
        (b"", [], "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00", [], "This file is a picture"),
        (b"id,mobile\n1,6936862208\n", ["--template", "999"], "There is no template 999"),
        (b"id,mobile\n1,6936862208\n", ["--template", "81"], "Template 81 is an Email template, not SMS"),
        (b"id,mobile\n1,6936862208\n", ["--region", "XX"], "Unknown country code"),
    ],
)
def test_cli_refuses_with_exit_2_and_one_line(tmp_path, capsys, content, args, message):
    path = tmp_path / "list.csv"
    path.write_bytes(content)
    code, out, err = run_cli(capsys, str(path), "--channel", "sms", *args)
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1


def test_cli_missing_file_and_bad_arguments(capsys):
    code, _, err = run_cli(capsys, "/nonexistent/list.csv", "--channel", "sms")
    assert code == 2 and "There is no file" in err
    code, _, err = run_cli(capsys, "x.csv")
    assert code == 2 and "--channel" in err and err.count("\n") == 1


MAPPABLE = (
    "Κωδικός;Κινητό;First name;Code;Amount;Expires\n"
    "C1;6936862208;Maria;A1;5 €;1/1\n"
    "C2;6936862209;Nikos;A2;6 €;2/2\n"
).encode()


@pytest.mark.parametrize(
    ("content", "args", "expected"),
    [
        (LIST, ["--channel", "sms"], 0),  # some rows can be sent: the others are listed
        (LIST, ["--channel", "sms", "--template", "71"], 3),  # a tag has no column: every row left out
        (b"id;mobile\n1;2101234567\n", ["--channel", "sms"], 3),  # no valid row
        (MAPPABLE, ["--channel", "sms", "--template", "71"], 3),
        (MAPPABLE, ["--channel", "sms", "--template", "71", "--map", "voucherCode=Code",
                    "--map", "voucherAmount=Amount", "--map", "expirationDate=Expires"], 0),
        (MAPPABLE, ["--channel", "sms", "--map", "mobile=First name"], 3),  # names are not mobiles
        (MAPPABLE, ["--channel", "sms", "--map", "mobile=Nope"], 2),
        (MAPPABLE, ["--channel", "sms", "--map", "nonsense=Code"], 2),
        (MAPPABLE, ["--channel", "sms", "--map", "mobile"], 2),
    ],
)
def test_cli_exit_codes(tmp_path, capsys, content, args, expected):
    path = tmp_path / "list.csv"
    path.write_bytes(content)
    code, _, err = run_cli(capsys, str(path), *args)
    assert code == expected, err


def test_cli_map_chooses_columns_and_speaks_plain_words(tmp_path, capsys):
    path = tmp_path / "list.csv"
    path.write_bytes(MAPPABLE)
    code, out, _ = run_cli(capsys, str(path), "--channel", "sms", "--template", "71", "--json",
                           "--map", "{{voucherCode}}=Code",
                           "--map", "voucherAmount=Amount", "--map", "expirationDate=Expires", "--map", "id=Κωδικός")
    result = json.loads(out)
    assert code == 0 and result["valid"] == 2
    assert result["mapping"]["uniqueId"] == "Κωδικός" and result["mapping"]["mobilePhone"] == "Κινητό"
    code, out, err = run_cli(capsys, str(path), "--channel", "sms", "--map", "mobile=Nope")
    assert "no column called 'Nope'" in err and err.count("\n") == 1
    code, out, _ = run_cli(capsys, str(path), "--channel", "sms", "--template", "71")
    assert "Customer ID = 'Κωδικός'" in out and "Mobile = 'Κινητό'" in out and "uniqueId" not in out
    assert "no row can be sent" in out


def test_check_help_names_the_exit_codes(capsys):
    with pytest.raises(SystemExit):
        check_cli._parser().parse_args(["--help"])
    out = capsys.readouterr().out
    assert "--map NAME=COLUMN" in out and "3  no row can be sent" in out and "0  at least one row" in out


def test_mapping_labels_are_plain_words():
    from lib.recipients import mapping_targets

    labels = [label for label, _ in mapping_targets(["Firstname"])]
    assert labels == ["Customer ID", "Mobile", "Email", "Loyalty card", "Marketing consent",
                      "{{Firstname}} in the message"]


def test_detect_mapping_is_public():
    assert detect_mapping(["id", "mobile"]).mobile_phone == "mobile"
