"""The sandbox answers 4xx, never 500, to hostile requests; its outbox writer survives any dispatch; it fills
tags with its own code (not the console's), and a template with a broken tag is never saved."""

from __future__ import annotations

import ast
import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.personalization.tags import parse_template
from lib.sandbox.rendering import fill_tags
from lib.sandbox.server import SandboxConfig, run_sandbox_in_thread
from lib.templates import CatalogError, Channel, FileCatalog, Template, load_catalog, save_catalog
from tests.conftest import SANDBOX_PASSWORD, SANDBOX_USER

AUTH = (SANDBOX_USER, SANDBOX_PASSWORD)
ATHENS = ZoneInfo("Europe/Athens")
SANDBOX_DIR = Path(__file__).resolve().parents[1] / "lib" / "sandbox"
GOOD = {"uniqueId": "A", "mobilePhone": "6936862208", "payload": {"voucherCode": "V1", "voucherAmount": "5 €"}}


def post_raw(sandbox, raw: bytes) -> requests.Response:
    headers = {"Content-Type": "application/json"}
    return requests.post(f"{sandbox.url}/api/SendMessages", data=raw, auth=AUTH, headers=headers, timeout=5)


def post(sandbox, body: dict) -> requests.Response:
    return post_raw(sandbox, json.dumps(body, ensure_ascii=False).encode())


@pytest.mark.parametrize(
    ("raw", "status", "code", "words"),
    [
        (b'{"templateId": 18446744073709551616, "recipients": [{"uniqueId": "A"}]}', 400, 4, "templateId"),
        (b'{"templateId": "9223372036854775808", "recipients": [{"uniqueId": "A"}]}', 400, 4, "templateId"),
        (b'{"templateId": "' + b"9" * 5000 + b'", "recipients": [{"uniqueId": "A"}]}', 400, 4, "templateId"),
        ('{"templateId": "7²", "recipients": [{"uniqueId": "A"}]}'.encode(), 400, 4, "templateId"),
        (b'{"templateId": 71, "recipients": [{"uniqueId": "\\ud800", "mobilePhone": "6936862208"}]}', 400, 2, ""),
        (b'{"templateId": 71, "recipients": [{"uniqueId": "A", "mobilePhone": "6936862208",'
         b' "payload": {"voucherCode": "x\\udfff"}}]}', 400, 2, ""),
        (b'{"templateId": 71, "recipients": [{"uniqueId": "A", "payload": {"\\udbff": "x"}}]}', 400, 2, ""),
        (b'{"templateId": "\\ud800", "recipients": [{"uniqueId": "A"}]}', 400, 2, ""),
        (b'{"templateId": 71, "scheduleDate": "9999-12-31T23:59:59", "recipients": [{"uniqueId": "A"}]}', 400, 4,
         "scheduleDate"),
        (b'{"templateId": 71, "scheduleDate": "9999-12-31T23:59:59+14:00", "recipients": [{"uniqueId": "A"}]}', 400,
         4, "scheduleDate"),
        (b'{"templateId": 71, "scheduleDate": "0001-01-01T00:00:00-12:00", "recipients": [{"uniqueId": "A"}]}', 400,
         4, "scheduleDate"),
        (b'{"templateId": 71, "scheduleDate": "2990-01-01T10:00:00+03:00", "recipients": [{"uniqueId": "A"}]}', 400,
         4, "scheduleDate"),
        (b'{"templateId": 71, "scheduleDate": 1e308, "recipients": [{"uniqueId": "A"}]}', 400, 4, "scheduleDate"),
        (b'{"templateId": 71, "recipients": [{"uniqueId": ' + b"9" * 5000 + b"}]}", 400, 2, ""),
    ],
)  # fmt: skip
def test_hostile_requests_get_a_4xx_error_body_and_create_nothing(sandbox, raw, status, code, words):
    response = post_raw(sandbox, raw)
    assert response.status_code == status
    answer = response.json()
    assert answer["errorCode"] == code and words in answer["error"]
    accepted = post(sandbox, {"templateId": 71, "recipients": [GOOD]}).json()
    assert accepted["dispatch"] == 180000  # the hostile request left no dispatch behind


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/api/Dispatches/18446744073709551616", 404, 7),
        ("/api/Dispatches/9223372036854775808", 404, 7),
        ("/api/Dispatches/" + "9" * 5000, 400, 4),
        ("/api/Dispatches/-1", 400, 4),
        ("/api/Dispatches/%C2%B2", 400, 4),  # '²' is a digit to str.isdigit, not to int()
        ("/api/Dispatches/%ED%A0%80", 400, 4),  # an encoded lone surrogate
    ],
)
def test_dispatch_ids_beyond_64_bits_or_not_numbers_get_a_4xx(sandbox, path, status, code):
    response = requests.get(sandbox.url + path, auth=AUTH, timeout=5)
    assert response.status_code == status
    assert response.json()["errorCode"] == code


@pytest.mark.parametrize(("days", "status"), [(300, 200), (-300, 200), (-4000, 200), (400, 400), (-10000, 400)])
def test_schedules_from_2000_to_a_year_ahead_are_accepted_and_others_refused(sandbox, days, status):
    when = (datetime.now(ATHENS) + timedelta(days=days)).isoformat(timespec="seconds")
    response = post(sandbox, {"templateId": 71, "scheduleDate": when, "recipients": [GOOD]})
    assert response.status_code == status


ODD_PAYLOADS = [
    {"voucherCode": {"nested": [1, 2, {"x": None}]}, "voucherAmount": None},
    {"voucherCode": 1e308, "voucherAmount": -0.0, "expirationDate": True},
    {"voucherCode": "{{voucherAmount}}", "voucherAmount": "}}{{", "": "empty key"},
    {"voucherCode": "\x00\u202e\ufeff", "voucherAmount": "😀" * 2000},
]


def test_the_outbox_writer_delivers_any_payload_and_keeps_going(sandbox):
    recipients = [
        {"uniqueId": n if n % 2 else f"U{n}", "mobilePhone": "6936862208", "payload": payload}
        for n, payload in enumerate(ODD_PAYLOADS)
    ]
    assert post(sandbox, {"templateId": 71, "recipients": recipients}).status_code == 200
    assert post(sandbox, {"templateId": 71, "recipients": [GOOD]}).status_code == 200
    outbox = sandbox.wait_for_outbox(len(ODD_PAYLOADS) + 1)
    by_id = {m["uniqueId"]: m["text"] for m in outbox}
    assert "{'nested': [1, 2, {'x': None}]}" in by_id["U0"]
    assert "Your voucher {{voucherAmount}} is worth }}{{." in by_id["U2"]  # values are never filled again
    assert by_id["A"].startswith("Your voucher V1 is worth 5 €.")


def test_a_dispatch_the_writer_cannot_deliver_ends_in_error_and_later_ones_still_arrive(sandbox, client):
    first = post(sandbox, {"templateId": 71, "recipients": [GOOD]}).json()["dispatch"]
    with sqlite3.connect(sandbox.config.data_dir / "sandbox.db") as db:  # a record no request could have made
        db.execute("UPDATE recipients SET payload = 'not json' WHERE dispatch_id = ?", (first,))
    second = post(sandbox, {"templateId": 71, "recipients": [{**GOOD, "uniqueId": "B"}]}).json()["dispatch"]
    assert [m["uniqueId"] for m in sandbox.wait_for_outbox(1)] == ["B"]
    broken = requests.get(f"{sandbox.url}/api/Dispatches/{first}", auth=AUTH, timeout=5)
    assert broken.status_code == 200
    assert broken.json()["sendStatusId"] == 7 and "could not deliver" in broken.json()["errorMessage"]
    assert client.get_dispatch(second).send_status_id.value == 3


def test_a_catalog_template_with_a_broken_tag_is_still_delivered_as_written(tmp_path):
    """Hand-edited catalogs bypass the save check: the sandbox delivers what the platform would, no 500."""
    catalog = tmp_path / "templates.json"
    broken = Template(90, "Broken", Channel.SMS, "Hi {{Firstname, your code is {{voucherCode}} }}x{{")
    save_catalog([*load_catalog(), broken], catalog)
    config = SandboxConfig(port=0, data_dir=tmp_path / "data", templates_path=catalog, user="u", password="p",
                           step_seconds=0.05)  # fmt: skip
    with run_sandbox_in_thread(config) as running:
        body = {"templateId": 90, "recipients": [{**GOOD, "payload": {"voucherCode": "V9"}}]}
        response = requests.post(f"{running.url}/api/SendMessages", json=body, auth=("u", "p"), timeout=5)
        assert response.status_code == 200
        assert running.wait_for_outbox(1)[0]["text"] == "Hi {{Firstname, your code is V9 }}x{{"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("Hello {{Firstname", "A tag is opened with '{{' but never closed with '}}' at character 7"),
        ("Hello {{ }}", "Empty tag {{}} at character 7"),
        ("}}x{{", "'}}' closes a tag that was never opened at character 1"),
        ("{{a {{b}} }}", "A tag is opened inside another tag at character 5"),
    ],
)
def test_a_template_with_a_broken_tag_is_refused_when_saved(tmp_path, body, problem):
    catalog = FileCatalog(tmp_path / "templates.json")
    catalog.save(Template(70, "Fine", Channel.SMS, "Hi {{Firstname}}"))
    with pytest.raises(CatalogError) as refused:
        catalog.save(Template(71, "Broken", Channel.SMS, body))
    assert str(refused.value) == f"The body has a broken tag: {problem}"
    assert [t.id for t in catalog.list()] == [70]


def test_an_email_subject_with_a_broken_tag_is_refused_when_saved(tmp_path):
    with pytest.raises(CatalogError, match="The subject has a broken tag"):
        FileCatalog(tmp_path / "t.json").save(Template(80, "Mail", Channel.EMAIL, "<p>Hi</p>", subject="{{Name"))


# ---------------------------------------------------------------------------- two renderers, one rule


def test_the_sandbox_does_not_use_the_consoles_renderer():
    for path in SANDBOX_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n.startswith("lib.personalization") for n in names), path.name


_tag_names = st.text(alphabet="abcXYZ _.-0Ωé", min_size=1, max_size=8).filter(lambda n: n.strip() != "")
_literals = st.text(alphabet="ab {}<>&\"'€\n", max_size=8).filter(lambda t: "{{" not in t and "}}" not in t)


@st.composite
def _templates(draw):
    parts, names = [], []
    for _ in range(draw(st.integers(0, 4))):
        literal = draw(_literals)
        name = draw(_tag_names)
        pad = draw(st.sampled_from(["", " ", "  "]))
        parts.append(literal + "{{" + pad + name + pad + "}}")
        names.append(name.strip())
    text = "".join(parts) + draw(_literals)
    try:
        parse_template(text)
    except ValueError:  # literals around tags can still make braces ambiguous ('{' + '{{'): not a valid template
        return None
    return text, names


@settings(max_examples=300, deadline=None)
@given(_templates(), st.dictionaries(_tag_names.map(str.strip), st.text(max_size=6), max_size=4), st.booleans())
def test_both_renderers_agree_on_every_valid_template(template, values, escape_html):
    if template is None:
        return
    text, names = template
    payload = {**{name: f"<{name}&>" for name in names}, **values}
    assert fill_tags(text, payload, escape_html=escape_html) == parse_template(text).render(
        payload, escape_html=escape_html
    )
