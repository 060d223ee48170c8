"""The words of validation in Greek: recipient problems, file errors, the rules' left-out reasons, the
campaign's plurals at 1 and 2 — and `check --json` keeps its shape (codes, not words, as data)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import lib.cli.check as check_cli
from lib import i18n
from lib.campaign import people, send_button_label
from lib.history.store import close_all_stores
from lib.ledger import wording
from lib.recipients import RecipientFileError, clear_cache, load_recipient_list
from lib.recipients.mobiles import check_one
from lib.recipients.problems import PROBLEM_COLUMNS, Problem, ProblemCode, file_error, rows_phrase
from lib.scheduling import format_when, offer_label
from lib.settings import load_settings
from lib.templates import Channel

ATHENS = ZoneInfo("Europe/Athens")
FILE = (b"customer id,mobile,consent\n"
        b"C1,6931112233,yes\n"
        b"C1,2101234567,maybe\n"
        b"C3,6931112233,no\n"
        b",,yes\n")


def greek(value) -> str:
    with i18n.language("el"):
        return str(value) if not callable(value) else value()


@pytest.mark.parametrize(("raw", "allowed", "sentence"), [
    ("2101234567", ("GR",), "Είναι σταθερό τηλέφωνο, όχι κινητό"),
    ("69", ("GR",), "Το κινητό έχει πολύ λίγα ψηφία"),
    ("", ("GR",), "Λείπει"),
    ("+35799123456", ("GR",), "Δεν επιτρέπονται αριθμοί από αυτή τη χώρα (Κύπρος)· επιτρέπονται μόνο: Ελλάδα"),
    ("6.936862208E+09", ("GR",),
     "Το Excel άλλαξε αυτόν τον αριθμό σε 6.936862208E+09· τον διαβάσαμε ως 6936862208. "
     "Την επόμενη φορά ορίστε τη στήλη ως κείμενο στο Excel"),
])
def test_a_mobile_numbers_problem_is_said_in_greek(raw, allowed, sentence):
    assert greek(lambda: check_one(raw, "GR", allowed).message) == sentence


def test_a_recipient_files_problems_are_said_in_the_readers_language_and_keep_their_codes():
    clear_cache()
    with i18n.language("el"):
        greek_list = load_recipient_list(FILE, "list.csv", channel=Channel.SMS)
        greek_problems = [p.to_json() for p in greek_list.problem_list()]
        summary = greek_list.summary()
    english = [p.to_json() for p in load_recipient_list(FILE, "list.csv", channel=Channel.SMS).problem_list()]
    assert [(p["row"], p["code"]) for p in greek_problems] == [(p["row"], p["code"]) for p in english]
    assert [(p["row"], p["message"]) for p in greek_problems] == [
        (2, "Ίδιος κωδικός πελάτη με τη γραμμή 3"),
        (3, "Ίδιος κωδικός πελάτη με τη γραμμή 2"),
        (3, "Είναι σταθερό τηλέφωνο, όχι κινητό"),
        (3, "Η συγκατάθεση για προωθητικά μηνύματα πρέπει να είναι ναι ή όχι (βρέθηκε «maybe»)"),
        (4, "Ίδιο κινητό με τη γραμμή 2"),
        (5, "Λείπει"),
        (5, "Λείπει"),
    ]
    assert english[4]["message"] == "Same mobile number as row 2"
    assert summary[0] == "Συμπληρώστε τον κωδικό πελάτη που λείπει σε 1 γραμμή"
    assert summary[-1] == ("1 γραμμή επαναλαμβάνει ένα κινητό που υπάρχει ήδη στο αρχείο: θα λάβει το μήνυμα ξανά, "
                           "εκτός αν επιλέξετε να κρατηθεί μόνο η πρώτη")


@pytest.mark.parametrize(("key", "params", "sentence"), [
    ("empty", {}, "Το αρχείο είναι κενό."),
    ("pdf", {}, "Αυτό το αρχείο είναι PDF, όχι υπολογιστικό φύλλο: ανεβάστε ένα αρχείο CSV ή Excel (.xlsx)."),
    ("too_many_rows", {"rows": 120000, "limit": 100000},
     "Το αρχείο έχει 120.000 παραλήπτες, περισσότερους από τους 100.000 που δεχόμαστε με τη μία: "
     "χωρίστε το σε μικρότερα αρχεία."),
    ("no_sheet", {"sheet": "Πελάτες"}, "Αυτό το αρχείο Excel δεν έχει φύλλο με όνομα «Πελάτες»."),
])
def test_a_file_that_is_not_a_list_is_refused_in_greek(key, params, sentence):
    assert greek(RecipientFileError(file_error(key, **params))) == sentence


def test_a_file_error_is_worded_when_it_is_shown():
    error = RecipientFileError(file_error("empty"))
    assert str(error) == "The file is empty."
    assert greek(error) == "Το αρχείο είναι κενό."
    with i18n.language("el"), pytest.raises(RecipientFileError, match="^Το αρχείο είναι κενό"):
        load_recipient_list(b"", "empty.csv", channel=Channel.SMS)


@pytest.mark.parametrize(("rows", "english", "greek_words"), [
    ([14], "row 14", "τη γραμμή 14"),
    ([14, 20], "rows 14 and 20", "τις γραμμές 14 και 20"),
    ([3, 4, 5, 6, 7, 8, 9], "rows 3, 4, 5, 6, 7 and 2 more", "τις γραμμές 3, 4, 5, 6, 7 και 2 ακόμη"),
])
def test_rows_are_named_in_both_languages(rows, english, greek_words):
    assert rows_phrase(rows) == english
    assert greek(lambda: rows_phrase(rows)) == greek_words


DEC_1_1002 = datetime(2026, 12, 1, 8, 2, tzinfo=UTC)  # 10:02 in Athens


@pytest.mark.parametrize(("rule", "extra", "english", "greek_words"), [
    ("already_received", {"send_id": 2, "at": DEC_1_1002},
     "Already received this message on 1 Dec at 10:02 (send #2)",
     "Έχει ήδη λάβει αυτό το μήνυμα στις 1 Δεκ, ώρα 10:02 (αποστολή #2)"),
    ("already_received", {}, "Already received this message", "Έχει ήδη λάβει αυτό το μήνυμα"),
    ("opted_out", {}, "On the do not contact list", "Στη λίστα «Μην επικοινωνείτε»"),
    ("opted_out_after_upload", {}, "Opted out after the list was uploaded",
     "Ζήτησε να μη λαμβάνει μηνύματα αφού ανέβηκε η λίστα"),
    ("no_consent", {}, "No marketing consent: left out of marketing messages",
     "Χωρίς συγκατάθεση για προωθητικά μηνύματα: εξαιρείται από τα προωθητικά μηνύματα"),
    ("frequency_cap", {"count": 1, "cap_days": 1}, "Already got 1 message in the last 1 day",
     "Έχει ήδη λάβει 1 μήνυμα την τελευταία 1 ημέρα"),
    ("frequency_cap", {"count": 2, "cap_days": 7}, "Already got 2 messages in the last 7 days",
     "Έχει ήδη λάβει 2 μηνύματα τις τελευταίες 7 ημέρες"),
])
def test_why_the_rules_leave_a_person_out(rule, extra, english, greek_words):
    assert wording.reason(rule, ATHENS, **extra) == english
    assert greek(lambda: wording.reason(rule, ATHENS, **extra)) == greek_words


@pytest.mark.parametrize(("say", "english", "greek_words"), [
    (lambda: wording.summary({"already_received": 1}), ["1 left out: already received"],
     ["1 εξαιρέθηκε: έχει ήδη λάβει το μήνυμα"]),
    (lambda: wording.summary({"already_received": 2, "opted_out": 1}),
     ["1 opted out", "2 left out: already received"],
     ["1 ζήτησε να μη λαμβάνει μηνύματα", "2 εξαιρέθηκαν: έχουν ήδη λάβει το μήνυμα"]),
    (lambda: wording.send_again_label(1), "Send again to the 1 person who already received it",
     "Νέα αποστολή στον 1 παραλήπτη που το έχει ήδη λάβει"),
    (lambda: wording.send_again_label(2), "Send again to the 2 people who already received it",
     "Νέα αποστολή στους 2 παραλήπτες που το έχουν ήδη λάβει"),
    (lambda: wording.send_record({"opted_out": 1}, 2),
     ["1 person left out by the rules: 1 opted out.", "Sent again on purpose to 2 people who already received it."],
     ["1 άτομο εξαιρέθηκε από τους κανόνες: 1 ζήτησε να μη λαμβάνει μηνύματα.",
      "Στάλθηκε ξανά σκόπιμα σε 2 άτομα που το είχαν ήδη λάβει."]),
    (lambda: send_button_label(1, None, ATHENS), "Send now to 1 person", "Αποστολή τώρα σε 1 άτομο"),
    (lambda: people(2), "2 people", "2 άτομα"),
    (lambda: send_button_label(1500, None, ATHENS, needs_approval=True),
     "Submit for approval: send to 1,500 recipients", "Υποβολή για έγκριση: αποστολή σε 1.500 παραλήπτες"),
])
def test_counts_are_plural_right_at_1_and_2(say, english, greek_words):
    assert say() == english
    assert greek(say) == greek_words


def test_dates_of_a_schedule_are_greek_in_greek():
    moment = datetime(2026, 11, 29, 10, 0, tzinfo=ATHENS)
    assert format_when(moment, ATHENS) == "Sun 29 Nov 2026, 10:00 (UTC+02:00)"
    assert greek(lambda: format_when(moment, ATHENS)) == "Κυρ 29 Νοε 2026, 10:00 (UTC+02:00)"
    now = datetime(2026, 11, 28, 22, 0, tzinfo=ATHENS)
    assert greek(lambda: offer_label(moment, now, ATHENS)) == "Προγραμματισμός για αύριο στις 10:00"


def test_a_problem_serialises_as_plain_strings():
    with i18n.language("el"):
        problem = Problem.of(1, "", ProblemCode.CONSENT_NOT_CHECKED)
    record = problem.to_json()
    assert list(record) == PROBLEM_COLUMNS
    assert record["code"] == "consent.not_checked" and type(record["code"]) is str
    assert record["message"] == "Η συγκατάθεση δεν ελέγχθηκε: το αρχείο δεν έχει στήλη συγκατάθεσης για προωθητικά μηνύματα"
    assert json.loads(json.dumps(record)) == record


@pytest.fixture
def check_settings(tmp_path, monkeypatch):
    clear_cache()
    values = load_settings(env={"DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}", "CONSOLE_OPERATOR": "maria"},
                           secrets_path=Path("/nonexistent"))
    monkeypatch.setattr(check_cli, "get_settings", lambda: values)
    yield values
    close_all_stores()


def test_check_json_has_the_same_shape_in_greek(check_settings, tmp_path, capsys):
    file = tmp_path / "list.csv"
    file.write_bytes(FILE)
    check_cli.main([str(file), "--channel", "sms", "--json"])
    english = json.loads(capsys.readouterr().out)
    clear_cache()
    with i18n.language("el"):
        check_cli.main([str(file), "--channel", "sms", "--json"])
    greek_report = json.loads(capsys.readouterr().out)

    def shape(value):
        if isinstance(value, dict):
            return {key: shape(v) for key, v in value.items()}
        if isinstance(value, list):
            return [shape(v) for v in value]
        return type(value).__name__

    assert shape(greek_report) == shape(english)
    assert [p["code"] for p in greek_report["problems"]] == [p["code"] for p in english["problems"]]
    assert "Ίδιο κινητό με τη γραμμή 2" in [p["message"] for p in greek_report["problems"]]


def test_a_rows_to_fix_file_downloaded_in_greek_is_read_back_by_an_english_reader():
    import csv
    import io

    from lib.recipients import export_rows_to_fix

    clear_cache()
    with i18n.language("el"):
        data = export_rows_to_fix(load_recipient_list(FILE, "list.csv", channel=Channel.SMS), "csv", delimiter=",")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][0] == "Γραμμή στο αρχείο σας" and rows[0][-1] == "Προβλήματα"
    assert rows[1][-1] == "customer id: Ίδιος κωδικός πελάτη με τη γραμμή 3"
    again = load_recipient_list(data, "fix.csv", channel=Channel.SMS)
    assert again.mapping.payload == {}  # the row number and the problems are the console's, never sent
