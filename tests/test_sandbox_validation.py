"""The sandbox validates like the platform: auth, body shape, templates, uniqueIds, channel addresses."""

from __future__ import annotations

import pytest
import requests

from lib.sandbox.server import SandboxConfig, run_sandbox_in_thread
from lib.templates import Channel, Template, load_catalog, save_catalog
from tests.conftest import SANDBOX_PASSWORD, SANDBOX_USER

AUTH = (SANDBOX_USER, SANDBOX_PASSWORD)


def post(sandbox, body, *, auth=AUTH, language="en", raw: bytes | None = None) -> requests.Response:
    headers = {"Accept-Language": language, "Content-Type": "application/json"}
    if raw is not None:
        return requests.post(f"{sandbox.url}/api/SendMessages", data=raw, auth=auth, headers=headers, timeout=5)
    return requests.post(f"{sandbox.url}/api/SendMessages", json=body, auth=auth, headers=headers, timeout=5)


def sms(*recipients: dict) -> dict:
    return {"templateId": 71, "recipients": list(recipients)}


@pytest.mark.parametrize(
    ("mobile", "valid"),
    [
        ("6936862208", True),
        ("+306936862208", True),
        ("00306936862208", True),
        ("306936862208", True),
        ("693 686 2208", True),
        ("+30 693-686-2208", True),
        (6936862208, True),  # a number, as a careless JSON writer sends it
        ("2101234567", False),  # Athens landline
        ("1936862208", False),  # the contract's invalid example
        ("693686220", False),  # one digit short
        ("69368622081", False),  # one digit long
        ("+447911123456", False),  # valid, but not an allowed country
        ("6936a62208", False),
        ("", False),
        (None, False),
    ],
)
def test_sms_recipient_mobile_is_checked_against_allowed_countries(sandbox, mobile, valid):
    response = post(sandbox, sms({"uniqueId": "C1", "mobilePhone": mobile}))
    assert response.status_code == 200
    body = response.json()
    assert (body["totalRecipients"], body["totalRecipientsSent"], body["invalidRecipients"]) == (
        1,
        int(valid),
        int(not valid),
    )
    expected = [] if valid else [{"uniqueId": "C1", "mobile": "" if mobile is None else str(mobile)}]
    assert body["invalidMobiles"] == expected
    assert body["invalidEmails"] == []


def test_recipient_without_a_mobile_field_is_invalid_for_sms(sandbox):
    body = post(sandbox, sms({"uniqueId": "C1", "email": "c1@shop.gr"})).json()
    assert body["invalidMobiles"] == [{"uniqueId": "C1", "mobile": ""}]


def test_allowed_countries_are_configurable(tmp_path):
    config = SandboxConfig(port=0, data_dir=tmp_path, allowed_countries=("GR", "CY"), user="u", password="p")
    with run_sandbox_in_thread(config) as cyprus:
        body = post(
            cyprus,
            sms({"uniqueId": "CY", "mobilePhone": "+35799123456"}, {"uniqueId": "GB", "mobilePhone": "+447911123456"}),
            auth=("u", "p"),
        ).json()
    assert body["totalRecipientsSent"] == 1
    assert body["invalidMobiles"] == [{"uniqueId": "GB", "mobile": "+447911123456"}]


@pytest.mark.parametrize(
    ("email", "valid"),
    [
        ("maria@shop.gr", True),
        ("nikos.p+promo@mail.shop.gr", True),
        ("μαρία@παράδειγμα.gr", True),
        ("maria@", False),
        ("maria.shop.gr", False),
        ("maria@@shop.gr", False),
        ("maria@shop", False),
        ("maria @shop.gr", False),
        ("", False),
    ],
)
def test_email_recipient_address_is_checked_for_syntax(sandbox, email, valid):
    body = post(sandbox, {"templateId": 81, "recipients": [{"uniqueId": "C1", "email": email}]}).json()
    assert body["totalRecipientsSent"] == int(valid)
    assert body["invalidEmails"] == ([] if valid else [email])
    assert body["invalidMobiles"] == []


def test_invalid_recipients_are_excluded_and_counted(sandbox):
    body = post(
        sandbox,
        sms(
            {"uniqueId": "A", "mobilePhone": "6936862208"},
            {"uniqueId": "B", "mobilePhone": "2101234567"},
            {"uniqueId": "C", "mobilePhone": "6936862209", "password": "ignored", "loyaltyTier": "gold"},
        ),
    ).json()
    assert (body["totalRecipients"], body["totalRecipientsSent"], body["invalidRecipients"]) == (3, 2, 1)
    assert [m["uniqueId"] for m in sandbox.wait_for_outbox(2)] == ["A", "C"]


@pytest.mark.parametrize(
    ("body", "raw", "status", "code", "words"),
    [
        (None, b"this is not json", 400, 2, "No object was posted or posted object could not be parsed"),
        (None, b"", 400, 2, "No object was posted"),
        ([1, 2], None, 400, 2, "No object was posted"),
        ({"recipients": [{"uniqueId": "A"}]}, None, 400, 3, "templateId is required"),
        ({"templateId": "seventy-one", "recipients": [{"uniqueId": "A"}]}, None, 400, 4, "templateId"),
        ({"templateId": 71}, None, 400, 3, "recipients is required"),
        ({"templateId": 71, "recipients": "A"}, None, 400, 4, "recipients"),
        ({"templateId": 71, "recipients": []}, None, 400, 6, "at least one recipient"),
        ({"templateId": 999, "recipients": [{"uniqueId": "A"}]}, None, 404, 5, "Template 999"),
        (
            {"templateId": 71, "recipients": [{"mobilePhone": "6936862208"}]},
            None,
            400,
            3,
            "Recipient 1 has no uniqueId",
        ),
        ({"templateId": 71, "recipients": [{"uniqueId": "A"}, {"uniqueId": ""}]}, None, 400, 3, "Recipient 2"),
        ({"templateId": 71, "recipients": [{"uniqueId": "A"}, "B"]}, None, 400, 4, "Recipient 2 is not an object"),
        (
            {"templateId": 71, "recipients": [{"uniqueId": "A"}, {"uniqueId": "B"}, {"uniqueId": "A"}]},
            None,
            400,
            18,
            "uniqueId A appears more than once",
        ),
        (
            {"templateId": 71, "scheduleDate": "tomorrow", "recipients": [{"uniqueId": "A"}]},
            None,
            400,
            4,
            "scheduleDate",
        ),
    ],
)
def test_malformed_requests_are_refused_with_the_error_body(sandbox, body, raw, status, code, words):
    response = post(sandbox, body, raw=raw)
    assert response.status_code == status
    answer = response.json()
    assert set(answer) == {"error", "errorCode"}
    assert answer["errorCode"] == code and words in answer["error"]
    assert sandbox.outbox() == []


def test_a_refused_request_creates_no_dispatch(sandbox):
    post(sandbox, sms({"uniqueId": "A"}, {"uniqueId": "A"}))
    first = post(sandbox, sms({"uniqueId": "A", "mobilePhone": "6936862208"})).json()["dispatch"]
    assert first == 180000


@pytest.mark.parametrize(
    "auth",
    [None, (SANDBOX_USER, "wrong"), ("someone", SANDBOX_PASSWORD), (SANDBOX_USER, "")],
    ids=["no-credentials", "wrong-password", "wrong-user", "empty-password"],
)
def test_every_call_needs_basic_auth(sandbox, auth):
    for response in (
        post(sandbox, sms({"uniqueId": "A", "mobilePhone": "6936862208"}), auth=auth),
        requests.get(f"{sandbox.url}/api/Dispatches/180000", auth=auth, timeout=5),
    ):
        assert response.status_code == 401
        assert response.json()["errorCode"] == 1
        assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert sandbox.outbox() == []


@pytest.mark.parametrize(
    ("language", "words"),
    [("el", "Δεν στάλθηκε αντικείμενο"), ("el-GR,el;q=0.9,en;q=0.8", "Δεν στάλθηκε"), ("en", "No object was posted")],
)
def test_accept_language_picks_the_language_of_errors(sandbox, language, words):
    assert words in post(sandbox, None, raw=b"{", language=language).json()["error"]


def test_greek_error_names_the_duplicate(sandbox):
    answer = post(sandbox, sms({"uniqueId": "Κ1"}, {"uniqueId": "Κ1"}), language="el").json()
    assert answer["errorCode"] == 18 and "Κ1" in answer["error"] and "περισσότερες" in answer["error"]


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [("/api/Dispatches/424242", 404, 7), ("/api/Dispatches/abc", 400, 4), ("/api/Nothing", 404, 8)],
)
def test_get_errors_are_json_bodies(sandbox, path, status, code):
    response = requests.get(sandbox.url + path, auth=AUTH, timeout=5)
    assert response.status_code == status
    assert response.json()["errorCode"] == code


def test_catalog_edits_are_picked_up_without_a_restart(tmp_path):
    catalog = tmp_path / "templates.json"
    save_catalog(load_catalog(), catalog)
    config = SandboxConfig(
        port=0, data_dir=tmp_path / "data", templates_path=catalog, user="u", password="p", step_seconds=0.05
    )
    with run_sandbox_in_thread(config) as running:
        body = {"templateId": 90, "recipients": [{"uniqueId": "A", "mobilePhone": "6936862208"}]}
        assert post(running, body, auth=("u", "p")).status_code == 404
        save_catalog([*load_catalog(catalog), Template(90, "New", Channel.SMS, "Hi {{Firstname}}")], catalog)
        assert post(running, body, auth=("u", "p")).status_code == 200
        assert running.wait_for_outbox(1)[0]["text"] == "Hi {{Firstname}}"
