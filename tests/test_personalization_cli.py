"""`python -m lib preview`: rows by number, uniqueId or risk; JSON Lines; one-line refusals."""

import json

import pytest

from lib.cli.preview import main

CSV = (
    "uniqueId,mobilePhone,Firstname,expirationDate\n"
    "C1,6936862208,Μαρία,28/09/2026\n"
    "C2,6936862209,,1/1\n"
    "C3,6936862210, Nikos’,1/1\n"
    "C4,12,Bad,1/1\n"
)


@pytest.fixture
def recipients(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(CSV, encoding="utf-8")
    return str(path)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def json_lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def test_first_row_and_summary_as_text(capsys, recipients):
    code, out, err = run(capsys, recipients, "--template", "73")
    assert (code, err) == (0, "")
    assert "Row 2 · C1" in out
    assert "| Happy birthday Μαρία! Show this SMS at the till for 20% off until 28/09/2026." in out
    assert "UCS-2 · 77 characters · 2 parts" in out
    assert "4 recipients in the file, 3 valid; 2 can be sent; 1 row without a value for every tag" in out
    assert "--gsm-safe-greek would save 2 parts." in out


def test_json_lines_per_row_then_summary(capsys, recipients):
    code, out, _ = run(capsys, recipients, "--template", "73", "--row", "3", "--default", "Firstname=φίλε", "--json")
    row, summary = json_lines(out)
    assert code == 0
    assert {k: row[k] for k in ("row", "uniqueId", "encoding", "characters", "parts", "missing", "defaultsUsed")} == {
        "row": 3,
        "uniqueId": "C2",
        "encoding": "UCS-2",
        "characters": 69,
        "parts": 1,
        "missing": [],
        "defaultsUsed": ["Firstname"],
    }
    assert row["text"] == "Happy birthday φίλε! Show this SMS at the till for 20% off until 1/1."
    assert summary["summary"]["sendable"] == 3
    assert summary["summary"]["distribution"] == {"1": 1, "2": 2}
    assert summary["summary"]["parts"] == 5 and summary["summary"]["cost"] == "0.25"


def test_unique_id_and_gsm_greek(capsys, recipients):
    code, out, _ = run(capsys, recipients, "--template", "73", "--unique-id", "C1", "--gsm-greek", "--json")
    row, summary = json_lines(out)
    assert row["text"].startswith("Happy birthday MAPIA!") and (row["encoding"], row["parts"]) == ("GSM-7", 1)
    assert row["gsmGreek"] == [{"tag": "Firstname", "before": "Μαρία", "after": "MAPIA"}]
    assert summary["summary"]["partsSavedByGsmGreek"] == 2


def test_riskiest_rows_carry_their_reasons(capsys, recipients):
    code, out, _ = run(capsys, recipients, "--template", "73", "--riskiest", "--json")
    rows = {r["row"]: r for r in json_lines(out)[:-1]}
    assert code == 0
    assert rows[3]["reasons"] == ["Missing value for {{Firstname}}"]
    assert rows[3]["error"] == "Missing value for {{Firstname}}" and rows[3]["text"] is None
    assert "{{Firstname}} has a space at the start or end: ' Nikos’'" in rows[4]["reasons"]
    assert 5 not in rows  # an invalid mobile is not sent, so not a preview risk


def test_an_invalid_recipient_row_says_why_it_is_not_sent(capsys, recipients):
    _, out, _ = run(capsys, recipients, "--template", "73", "--row", "5", "--json")
    assert json_lines(out)[0]["error"] == "Mobile number is too short"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--template", "999"], "There is no template 999 in the catalog"),
        (["--template", "73", "--row", "9"], "There is no recipient on row 9: rows go from 2 to 5"),
        (["--template", "73", "--unique-id", "nobody"], "No recipient has customer id 'nobody'"),
        (
            ["--template", "73", "--default", "Surname=X"],
            "Template 73 has no tag {{Surname}}; its tags are {{Firstname}}, {{expirationDate}}",
        ),
        (["--template", "73", "--default", "Firstname"], "--default needs TAG=VALUE"),
        (["--template", "73", "--row", "2", "--riskiest"], "not allowed with argument"),
    ],
)
def test_refusals_are_one_line_and_exit_2(capsys, recipients, argv, message):
    code, out, err = run(capsys, recipients, *argv)
    assert (code, out) == (2, "")
    assert message in err and err.count("\n") == 1


def test_a_missing_file_is_refused(capsys, tmp_path):
    code, _, err = run(capsys, str(tmp_path / "absent.csv"), "--template", "73")
    assert code == 2 and "There is no file" in err


def test_map_fills_a_tag_from_a_differently_named_column(capsys, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("uniqueId,mobilePhone,Όνομα,Λήξη\nC1,6936862208,Maria,28/09/2026\n", encoding="utf-8")
    code, out, _ = run(capsys, str(path), "--template", "73", "--json")
    assert code == 0 and json_lines(out)[0]["error"]  # {{Firstname}} has no column
    code, out, err = run(capsys, str(path), "--template", "73", "--json", "--map", "Firstname=Όνομα",
                         "--map", "expirationDate=Λήξη")
    assert (code, err) == (0, "")
    assert json_lines(out)[0]["text"].startswith("Happy birthday Maria!")
    code, _, err = run(capsys, str(path), "--template", "73", "--map", "Firstname=Nope")
    assert code == 2 and "no column called 'Nope'" in err
