"""Parsing what the platform sends: datetimes in every shape seen, and status numbers we do not know."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from lib import i18n
from lib.messaging import MessageType, SendResult, SendStatus, parse_platform_datetime, send_status_label
from lib.messaging.models import DRAFT, ERROR, PENDING, QUEUED

ATHENS = ZoneInfo("Europe/Athens")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2016-05-12T10:00:00+03:00", datetime(2016, 5, 12, 10, 0, tzinfo=timezone(timedelta(hours=3)))),
        ("2016-05-12T10:00:00", datetime(2016, 5, 12, 10, 0, tzinfo=ATHENS)),  # no offset: Athens (summer, +03)
        ("2016-01-12T10:00:00", datetime(2016, 1, 12, 10, 0, tzinfo=ATHENS)),  # no offset: Athens (winter, +02)
        ("2017-08-18T11:17:50.26", datetime(2017, 8, 18, 11, 17, 50, 260000, tzinfo=ATHENS)),
        ("2017-08-18T11:17:51.837", datetime(2017, 8, 18, 11, 17, 51, 837000, tzinfo=ATHENS)),
        ("2017-08-18T11:17:51.8370123", datetime(2017, 8, 18, 11, 17, 51, 837012, tzinfo=ATHENS)),  # .NET ticks
        ("2017-08-18T11:17:51.5Z", datetime(2017, 8, 18, 11, 17, 51, 500000, tzinfo=UTC)),
        ("2017-08-18T08:17:51z", datetime(2017, 8, 18, 8, 17, 51, tzinfo=UTC)),  # same instant as 11:17:51 Athens
        (
            "2017-08-18T11:17:51.123456789-04:00",
            datetime(2017, 8, 18, 11, 17, 51, 123456, tzinfo=timezone(-timedelta(hours=4))),
        ),
        ("2017-08-18T11:17:51+0300", datetime(2017, 8, 18, 11, 17, 51, tzinfo=timezone(timedelta(hours=3)))),
        ("2017-08-18 11:17", datetime(2017, 8, 18, 11, 17, tzinfo=ATHENS)),
        (None, None),
        ("", None),
    ],
)
def test_platform_datetimes_parse_to_aware_instants(text, expected):
    parsed = parse_platform_datetime(text, ATHENS)
    assert parsed == expected
    if parsed is not None:
        assert parsed.tzinfo is not None
        assert parsed.utcoffset() == expected.utcoffset()


def test_timezone_may_be_given_by_name():
    assert parse_platform_datetime("2016-01-12T10:00:00", "UTC") == datetime(2016, 1, 12, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["yesterday", "2016-13-01T10:00:00", "12/05/2016 10:00", "2016-05-12T25:00:00", 12])
def test_garbage_datetimes_are_refused(text):
    with pytest.raises(ValueError):
        parse_platform_datetime(text, ATHENS)


@pytest.mark.parametrize(
    ("number", "label", "known"),
    [(1, "Draft", True), (2, "Pending", True), (3, "Queued", True), (7, "Error", True), (5, "Status 5", False)],
)
def test_send_status_keeps_unknown_numbers(number, label, known):
    status = SendStatus(number)
    assert (int(status), status.label, status.is_known, str(status)) == (number, label, known, label)
    assert SendStatus(number) is status


@pytest.mark.parametrize(("number", "label"), [(1, "SMS"), (2, "Email"), (4, "Type 4")])
def test_message_type_labels(number, label):
    assert MessageType(number).label == label


def test_unknown_status_does_not_break_the_known_members():
    SendStatus(42)
    assert [s.label for s in SendStatus] == ["Draft", "Pending", "Queued", "Error"]


def test_send_result_from_the_contract_sample():
    result = SendResult.from_json(
        {
            "dispatch": 180249,
            "totalRecipients": 2,
            "totalRecipientsSent": 1,
            "invalidRecipients": 1,
            "sendDate": "2016-05-12T10:00:00+03:00",
            "invalidEmails": [],
            "invalidMobiles": [{"uniqueId": "CustomerIdB", "mobile": "1936862208"}],
        },
        ATHENS,
    )
    assert result.dispatch == 180249 and result.invalid_mobiles[0].unique_id == "CustomerIdB"
    assert result.to_json()["invalidMobiles"] == [{"uniqueId": "CustomerIdB", "mobile": "1936862208"}]
    assert result.to_json()["sendDate"] == "2016-05-12T10:00:00+03:00"


SAMPLE = {"dispatch": 180249, "totalRecipients": 2, "totalRecipientsSent": 1, "invalidRecipients": 1,
          "sendDate": "2016-05-12T10:00:00+03:00", "invalidEmails": [],
          "invalidMobiles": [{"uniqueId": "CustomerIdB", "mobile": "1936862208"}]}  # fmt: skip


@pytest.mark.parametrize(
    ("dispatch", "counts"),
    [
        (1, True), (180249, True), (2**63 - 1, True),
        (0, False), (-180249, False), (2**63, False), (True, False), (False, False),
        ("180249", False), (180249.0, False), (None, False), ([180249], False),
    ],
)  # fmt: skip
def test_only_a_whole_number_dispatch_counts(dispatch, counts):
    data = SAMPLE | {"dispatch": dispatch}
    if counts:
        assert SendResult.from_json(data, ATHENS, posted=2).dispatch == dispatch
    else:
        with pytest.raises(ValueError):
            SendResult.from_json(data, ATHENS, posted=2)
    with pytest.raises(KeyError):
        SendResult.from_json({k: v for k, v in SAMPLE.items() if k != "dispatch"}, ATHENS)


@pytest.mark.parametrize(
    ("change", "posted", "reason"),
    [
        ({}, 2, None),
        ({}, None, None),  # nothing to compare the total with
        ({"totalRecipients": 3}, 2, "1 accepted plus 1 refused is not its total of 3; it counted 3 recipients where the console posted 2"),
        ({}, 3, "it counted 2 recipients where the console posted 3"),
        ({"totalRecipients": 101500, "totalRecipientsSent": 101499, "invalidRecipients": 1}, 2,
         "it counted 101,500 recipients where the console posted 2; it accepted 101,499 recipients out of the 2 posted"),
        ({"totalRecipientsSent": None}, 2, "its recipient counts are missing or not whole numbers"),
        ({"totalRecipientsSent": "1"}, 2, "its recipient counts are missing or not whole numbers"),
        ({"invalidRecipients": 1.0}, 2, "its recipient counts are missing or not whole numbers"),
        ({"invalidRecipients": -1, "totalRecipientsSent": 3}, 2,
         "its recipient counts are missing or not whole numbers; it accepted 3 recipients out of the 2 posted"),
        ({"sendDate": "yesterday"}, 2, "its send time cannot be read"),
        ({"invalidMobiles": "1936862208"}, 2, "its list of refused recipients cannot be read"),
    ],
)  # fmt: skip
def test_figures_that_do_not_add_up_are_flagged_and_the_answer_kept(change, posted, reason):
    data = {k: v for k, v in (SAMPLE | change).items() if v is not None}
    result = SendResult.from_json(data, ATHENS, posted=posted, answer_text="as it came")
    assert result.inconsistency == reason and result.figures_add_up is (reason is None)
    assert result.dispatch == 180249 and result.platform_answer == "as it came"


@pytest.mark.parametrize(
    ("number", "greek", "english"),
    [(1, "Πρόχειρο", "Draft"), (2, "Σε εκκρεμότητα", "Pending"), (3, "Στην ουρά", "Queued"), (7, "Σφάλμα", "Error"),
     (5, "Κατάσταση 5", "Status 5"), (None, "Πρόχειρο", "Draft"), (float("nan"), "Πρόχειρο", "Draft"),
     (3.0, "Στην ουρά", "Queued")],
)
def test_the_platforms_statuses_are_named_once_in_each_language(number, greek, english):
    """What the history and the charts import: one definition of the numbers, words from the catalog."""
    with i18n.language("el"):
        assert send_status_label(number) == greek
    with i18n.language("en"):
        assert send_status_label(number) == english
    assert (DRAFT, PENDING, QUEUED, ERROR) == (1, 2, 3, 7)
