"""The client against the real sandbox over HTTP: the contract's samples, field for field."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lib import i18n
from lib.messaging import Dispatch, InvalidMobile, MessageType, MessagingClient, Recipient, SendStatus
from lib.settings import Settings

ATHENS = ZoneInfo("Europe/Athens")

# The contract's sample request, verbatim (including the undocumented `password` fields).
CONTRACT_SAMPLE_REQUEST = json.loads(
    """
{
"templateId":71,
"scheduleDate":"2016-05-12T10:00:00+03:00",
"recipients":
[
{
"uniqueId":"CustomerIdA",
"email":"customer.a@example.com",
"mobilePhone":"6936862208",
"password":"ABC123",
"payload":
{
"voucherCode": "SPRING19",
"voucherAmount": "100 €",
"expirationDate": "28/09/2019"
}
},
{
"uniqueId":"CustomerIdB",
"email":"customer.b@example.com",
"mobilePhone":"1936862208",
"password":"XXXYYY",
"payload":
{
"voucherCode": "VIP-SALES",
"voucherAmount": "200 €",
"expirationDate": "28/09/2019"
}
}
]
}
"""
)

CONTRACT_DISPATCH_FIELDS = [
    "dispatchId", "campaignMessageId", "scheduleId", "createdAt", "startedQueuingAt", "finishedQueuingAt",
    "messageTypeId", "isTest", "isInitialized", "hasStartedQueuing", "hasFinishedQueuing", "totalRecipients",
    "sendStatusId", "errorMessage", "lastUpdate", "queueAt", "sendAt", "legacyCode1", "gatewayId", "gatewayId1",
    "creationDate", "modifiedDate",
]  # fmt: skip


def wait_until_final(client: MessagingClient, dispatch_id: int, timeout: float = 5.0) -> Dispatch:
    import time

    deadline = time.monotonic() + timeout
    while True:
        dispatch = client.get_dispatch(dispatch_id)
        if dispatch.is_final or time.monotonic() > deadline:
            return dispatch
        time.sleep(0.02)


def test_contract_sample_request_gets_the_contract_sample_response(sandbox, client):
    raw = client._session.post(f"{sandbox.url}/api/SendMessages", json=CONTRACT_SAMPLE_REQUEST)
    assert raw.status_code == 200
    body = raw.json()
    assert set(body) == {
        "dispatch", "totalRecipients", "totalRecipientsSent", "invalidRecipients", "sendDate", "invalidEmails",
        "invalidMobiles",
    }  # fmt: skip
    assert isinstance(body["dispatch"], int)
    assert body["totalRecipients"] == 2
    assert body["totalRecipientsSent"] == 1
    assert body["invalidRecipients"] == 1
    assert body["sendDate"] == "2016-05-12T10:00:00+03:00"
    assert body["invalidEmails"] == []
    assert body["invalidMobiles"] == [{"uniqueId": "CustomerIdB", "mobile": "1936862208"}]


def test_client_sends_the_sample_and_reads_typed_results(client):
    schedule = datetime(2016, 5, 12, 10, 0, tzinfo=ATHENS)
    result = client.send_messages(71, CONTRACT_SAMPLE_REQUEST["recipients"], schedule_date=schedule)
    assert (result.total_recipients, result.total_recipients_sent, result.invalid_recipients) == (2, 1, 1)
    assert result.send_date == schedule and result.send_date.utcoffset() == timedelta(hours=3)
    assert result.invalid_emails == []
    assert result.invalid_mobiles == [InvalidMobile("CustomerIdB", "1936862208")]


def test_get_returns_every_field_of_the_contract_sample(sandbox, client):
    result = client.send_messages(71, CONTRACT_SAMPLE_REQUEST["recipients"])
    dispatch = wait_until_final(client, result.dispatch)
    raw = client._session.get(f"{sandbox.url}/api/Dispatches/{result.dispatch}").json()
    assert list(raw) == CONTRACT_DISPATCH_FIELDS
    assert raw["scheduleId"] is None and raw["gatewayId"] == "" and raw["gatewayId1"] == ""
    assert dispatch.dispatch_id == result.dispatch
    assert dispatch.campaign_message_id == 71
    assert dispatch.message_type_id is MessageType.SMS
    assert dispatch.send_status_id is SendStatus.QUEUED and dispatch.is_final
    assert dispatch.total_recipients == 1
    assert dispatch.has_started_queuing and dispatch.has_finished_queuing and dispatch.is_initialized
    assert dispatch.created_at <= dispatch.started_queuing_at <= dispatch.finished_queuing_at
    assert all(d.tzinfo is not None for d in (dispatch.created_at, dispatch.queue_at, dispatch.modified_date))
    # The model writes back exactly the contract's field names.
    assert list(dispatch.to_json()) == CONTRACT_DISPATCH_FIELDS


def test_contract_dispatch_sample_parses_and_round_trips():
    sample = {
        "dispatchId": 180249, "campaignMessageId": 71, "scheduleId": None, "createdAt": "2017-08-18T11:17:50.26",
        "startedQueuingAt": "2017-08-18T11:17:51.837", "finishedQueuingAt": "2017-08-18T11:17:51.97",
        "messageTypeId": 1, "isTest": False, "isInitialized": True, "hasStartedQueuing": True,
        "hasFinishedQueuing": True, "totalRecipients": 1, "sendStatusId": 3, "errorMessage": None,
        "lastUpdate": None, "queueAt": "2016-05-12T10:00:00", "sendAt": "2016-05-12T10:00:00", "legacyCode1": None,
        "gatewayId": "", "gatewayId1": "", "creationDate": "2016-05-12T10:00:00", "modifiedDate": "2016-05-12T10:00:00",
    }  # fmt: skip
    dispatch = Dispatch.from_json(sample, ATHENS)
    assert dispatch.created_at == datetime(2017, 8, 18, 11, 17, 50, 260000, tzinfo=ATHENS)
    assert dispatch.finished_queuing_at.microsecond == 970000
    assert dispatch.is_final and dispatch.send_status_id.label == "Queued"
    again = Dispatch.from_json(dispatch.to_json(), ATHENS)
    assert again == dispatch


@pytest.mark.parametrize(
    ("status", "finished", "final"),
    [(1, False, False), (2, False, False), (3, False, False), (3, True, True), (7, False, True), (5, False, False)],
)
def test_is_final_only_for_error_or_fully_queued(status, finished, final):
    dispatch = Dispatch(dispatch_id=1, send_status_id=SendStatus(status), has_finished_queuing=finished)
    assert dispatch.is_final is final


def test_recipient_to_json_is_camel_case_and_omits_missing_fields():
    recipient = Recipient("C1", mobile_phone="6936862208", payload={"Firstname": "Μαρία"})
    assert recipient.to_json() == {"uniqueId": "C1", "mobilePhone": "6936862208", "payload": {"Firstname": "Μαρία"}}
    full = Recipient("C2", mobile_phone="6936862208", email="c2@shop.gr", card_number="9001")
    assert full.to_json() == {
        "uniqueId": "C2", "mobilePhone": "6936862208", "email": "c2@shop.gr", "cardNumber": "9001", "payload": {},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        (datetime(2026, 6, 10, 10, 0), "2026-06-10T10:00:00+03:00"),  # naive: read in Athens (summer)
        (datetime(2026, 12, 10, 10, 0), "2026-12-10T10:00:00+02:00"),  # naive: read in Athens (winter)
        (datetime(2026, 6, 10, 7, 0, tzinfo=ZoneInfo("UTC")), "2026-06-10T10:00:00+03:00"),  # aware: same instant
        (datetime(2026, 6, 10, 10, 0, 30, 999), "2026-06-10T10:00:30+03:00"),
    ],
)
def test_schedule_date_is_sent_as_iso_8601_with_offset(given, sent):
    client = MessagingClient("http://127.0.0.1:1", "u", "p")
    assert client.format_schedule_date(given) == sent


def test_scheduled_send_reports_the_schedule_as_send_date(client):
    when = datetime.now(ATHENS).replace(microsecond=0) + timedelta(days=1)
    result = client.send_messages(73, [Recipient("C1", mobile_phone="6936862208")], schedule_date=when)
    assert result.send_date == when


def test_recipient_objects_and_dicts_mix(client, sandbox):
    recipients = [
        Recipient("C1", mobile_phone="+306936862208", payload={"Firstname": "Anna", "expirationDate": "1/6"}),
        {"uniqueId": "C2", "mobilePhone": "6936862209", "payload": {"Firstname": "Nikos", "expirationDate": "2/6"}},
    ]
    result = client.send_messages(73, recipients)
    assert result.total_recipients_sent == 2
    texts = sorted(m["text"] for m in sandbox.wait_for_outbox(2))
    assert texts[0].startswith("Happy birthday Anna!") and texts[1].startswith("Happy birthday Nikos!")


def test_from_settings_asks_in_the_readers_language_and_uses_the_timezone():
    settings = Settings(api_url="https://platform.example.com", api_user="shop", api_password="pw", language="en")
    client = MessagingClient.from_settings(settings)
    assert client.base_url == "https://platform.example.com"
    with i18n.language("el"):  # a page in Greek
        assert client.request_language() == "el"
    with i18n.language("en"):
        assert client.request_language() == "en"
    assert client.tz == ZoneInfo("Europe/Athens")
    sandbox_client = MessagingClient.from_settings(Settings(), base_url="http://127.0.0.1:5555/")
    assert sandbox_client.base_url == "http://127.0.0.1:5555"
    with pytest.raises(ValueError):
        MessagingClient.from_settings(Settings())
