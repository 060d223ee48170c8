"""The audit trail of sends (issue 11): what was submitted (template version, manifest, counts), test
sends, resumes, what the sender posted (dispatch ids), and Compose's uploads — each written with the
change it describes."""

from __future__ import annotations

import hashlib

from lib import audit, i18n
from lib.history.store import open_store
from lib.sending.manifest import template_version
from lib.templates import Template
from tests.support_app import app_env  # noqa: F401
from tests.support_worker import PROMO, big_manifest, make_engine, new_client
from tests.test_page_compose import FIXTURE, compose


def events(store, action: str) -> list[audit.AuditEvent]:
    with store.read() as conn:
        return [e for e in audit.list_events(conn) if e.action == action]


def test_a_send_is_in_the_trail_with_its_template_version_manifest_and_dispatch_ids(database_url, sandbox):
    store = open_store(database_url, shared=False)
    client = new_client(sandbox.url)
    engine = make_engine(store, client, batch_size=2)
    manifest = big_manifest(3)
    outcome = engine.submit(manifest, created_by="sam@example.com", excluded_recipients=1)
    [submitted] = events(store, "send_submit")
    assert (submitted.actor, submitted.object_id) == ("sam@example.com", str(outcome.send_id))
    assert submitted.details["manifest_hash"] == manifest.hash
    assert submitted.details["template_version"] == template_version(PROMO) != ""
    assert (submitted.details["recipient_count"], submitted.details["left_out"]) == (3, 1)
    assert submitted.details["awaiting_approval"] is False
    [posted] = events(store, "send_posted")
    assert posted.object_id == str(outcome.send_id)
    assert sorted(posted.details["dispatch_ids"]) == sorted(outcome.dispatch_ids) and len(outcome.dispatch_ids) == 2
    assert posted.details["accepted"] == 3
    assert not any(str(p) in str(e.details) for e in events(store, "send_submit") + [posted]
                   for p in ("+3069", "6930000000"))  # never a recipient's number
    client.close()


def test_a_test_send_is_marked_as_one_and_a_resume_names_who_asked(database_url, sandbox):
    store = open_store(database_url, shared=False)
    client = new_client(sandbox.url)
    engine = make_engine(store, client, batch_size=2)
    engine.submit(big_manifest(1, tag="T"), is_test=True, created_by="sam@example.com")
    [test] = events(store, "test_send")
    assert "left_out" not in test.details and test.details["recipient_count"] == 1
    assert events(store, "send_submit") == []

    send_id = engine.enqueue(big_manifest(3, tag="R"), created_by="sam@example.com")
    engine.request_resume(send_id, "abe@example.com")  # pending parts queued again by a person
    [resumed] = events(store, "send_resume")
    assert (resumed.actor, resumed.object_id, resumed.details["parts"]) == ("abe@example.com", str(send_id), 2)
    client.close()


def test_the_template_version_changes_with_its_text():
    edited = Template(PROMO.id, PROMO.name, PROMO.channel, PROMO.body + " ", subject=PROMO.subject, kind=PROMO.kind)
    assert template_version(edited) != template_version(PROMO)
    assert template_version(PROMO) == template_version(Template(PROMO.id, "Renamed", PROMO.channel, PROMO.body,
                                                                subject=PROMO.subject, kind=PROMO.kind))


def test_an_upload_on_compose_is_audited_once_with_its_size_and_sha256(app_env):  # noqa: F811
    at = compose()
    at.run()  # a rerun does not write it again
    store = app_env._runtime().store
    [upload] = events(store, "upload")
    data = FIXTURE.read_bytes()
    assert upload.object_id == "promo.csv"
    assert upload.details["size_bytes"] == len(data)
    assert upload.details["sha256"] == hashlib.sha256(data).hexdigest()


def test_the_trail_reads_in_greek_from_the_same_codes(database_url, sandbox):
    store = open_store(database_url, shared=False)
    engine = make_engine(store, new_client(sandbox.url), batch_size=2)
    outcome = engine.submit(big_manifest(3), created_by="sam@example.com")
    with store.read() as conn:
        events = list(reversed(audit.list_events(conn)))
    with i18n.language("el"):
        rows = audit.events_table(events)
        headings = audit.column_words()
    assert [(r["Action"], r["Object"]) for r in rows] == [
        ("Υποβολή αποστολής", f"αποστολή {outcome.send_id}"),
        ("Η αποστολή στάλθηκε στην πλατφόρμα", f"αποστολή {outcome.send_id}"),
    ]
    assert list(headings.values()) == ["Πότε", "Άτομο", "Ενέργεια", "Αντικείμενο", "Λεπτομέρειες"]
    assert [r["Action"] for r in audit.events_table(events)] == ["Send submitted", "Send posted"]
