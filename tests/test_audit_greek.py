"""The audit trail in Greek (issue 13): every kind of event, written by the code that writes it in the
console, reads on the Audit page (and its CSV/Excel export, the same table) without an English word:
every detail's key, and every value recorded as a code (a role, a decision, a channel, a source)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lib import approvals, audit, i18n
from lib.history.store import close_all_stores, open_store
from lib.ledger import Ledger
from lib.ledger.optout import OptOutList, Source
from lib.runtime import StoreCatalog
from lib.sending.status import ChunkStatus
from lib.settings import load_settings
from lib.team import add_member, bootstrap_admins, change_role, record_sign_in, remove_member, team_person
from lib.templates import Channel, Template
from lib.templates_audit import AuditedCatalog
from tests.support_worker import big_manifest, make_engine, new_client
from tests.test_approvals import ANN, HASH, awaiting_send

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
# What may stay in Latin letters in a Greek table: addresses, fingerprints, a worker's host:pid:id, the name
# of a setting, the channels and a unit (Greek marketers write SMS, email and byte in Latin letters too) ...
NOT_WORDS = re.compile(r"\S+@\S+|https?://\S+|\b[0-9a-f]{12,}\b|\S+:\d+:[0-9a-f]+|CONSOLE_ADMINS|SHA-256"
                       r"|\bSMS\b|\b[Ee]mail\b|\bbyte\b|\.csv\b")  # fmt: skip
# ... and the data of this test written in English: template names, a tag, people named by their address.
DATA_WORDS = {"Promo", "code", "Firstname", "ada", "ann"}
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def record_every_kind_of_event(store, sandbox_url: str, settings) -> None:
    """Each action of the trail, through the function the console calls for it."""
    bootstrap_admins(store, ["ada@example.com"])
    ada = team_person(store, "ada@example.com")
    record_sign_in(store, ada, 1_800_000_000)
    add_member(store, ada, "sam@example.com", "Σάμης", "sender")
    change_role(store, ada, "sam@example.com", "approver")
    remove_member(store, ada, "sam@example.com")
    add_member(store, ada, "sam@example.com", "Σάμης", "sender")  # back in the team

    catalog = AuditedCatalog(StoreCatalog(store), store, ada)
    winter = Template(id=900, name="Χειμερινή προσφορά", channel=Channel.SMS, body="Γεια σου {{Firstname}}")
    catalog.save(winter)
    catalog.save(replace(winter, body="Καλημέρα {{Firstname}}"))
    catalog.delete(900)
    catalog.replace_all([winter])
    with store.write() as conn:
        audit.record_upload(conn, "sam@example.com", "πελάτες.csv", b"uniqueId;mobilePhone\n")

    client = new_client(sandbox_url)
    engine = make_engine(store, client, batch_size=2)
    engine.submit(big_manifest(3), created_by="sam@example.com", excluded_recipients=1)  # submitted, posted
    engine.submit(big_manifest(1, tag="T"), is_test=True, created_by="sam@example.com")
    resumed = engine.enqueue(big_manifest(3, tag="R"), created_by="sam@example.com")
    engine.request_resume(resumed, "ada@example.com")
    doubtful = engine.enqueue(big_manifest(1, tag="U"), created_by="sam@example.com")
    part = store.get_send(doubtful).chunks[0]
    store.move_chunk(part.id, expected=ChunkStatus.PENDING, new=ChunkStatus.POSTING)
    store.move_chunk(part.id, expected=ChunkStatus.POSTING, new=ChunkStatus.UNKNOWN)
    engine.decide_unknown(doubtful, part.seq, "marked_sent", "ada@example.com", note="Το είδαμε στην πλατφόρμα")
    client.close()

    approvals.approve(store, awaiting_send(store), ANN, HASH, now=T0)
    approvals.reject(store, awaiting_send(store, manifest_hash="b" * 64), ANN, "Λάθος λίστα", now=T0)
    approvals.expire_overdue(store, T0 + timedelta(hours=2))
    awaiting_send(store, manifest_hash="c" * 64, schedule_at=T0 + timedelta(hours=1))
    approvals.expire_overdue(store, T0 + timedelta(hours=2))

    optouts = OptOutList(Ledger(store, settings).install())
    optouts.add("6936862101", reason="STOP", added_by="ada@example.com", source=Source.COMMAND_LINE)
    optouts.add("6936862102", channel="sms", added_by="ada@example.com", source=Source.PAGE)
    optouts.import_file(b"mobile\n6936862103\n", "διαγραφές.csv", added_by="ada@example.com")
    optouts.remove("6936862101", reason="Ζήτησε να ξαναλαμβάνει", removed_by="ada@example.com")


def keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for inner in value.values() for k in keys(inner)}
    if isinstance(value, list):
        return {k for inner in value for k in keys(inner)}
    return set()


def english_words(text: str) -> list[str]:
    return [word for word in LATIN_WORD.findall(NOT_WORDS.sub(" ", text)) if word not in DATA_WORDS]


def test_every_kind_of_event_reads_in_greek(database_url, sandbox):
    store = open_store(database_url, shared=False)
    settings = load_settings(env={"DATABASE_URL": database_url}, secrets_path=Path("/nonexistent"))
    record_every_kind_of_event(store, sandbox.url, settings)
    with store.read() as conn:
        events = audit.list_events(conn)
    assert {e.action for e in events} == set(audit.AuditAction)  # the test covers every kind
    assert sorted(k for e in events for k in keys(e.details) if k not in audit.DETAIL_KEYS) == []
    with i18n.language("el"):
        table = audit.events_table(events, settings.tz, settings.currency)
        headings = list(audit.column_words().values())
    assert english_words(" ".join(headings)) == []
    untranslated = {(row["Action"], word) for row in table
                    for word in english_words(" ".join((row["Person"], row["Action"], row["Object"], row["Details"])))}
    assert sorted(untranslated) == []
    close_all_stores()


def test_the_details_read_as_a_greek_marketer_writes_them():
    details = {"decision": "approved", "role": "approver", "channel": "both", "kind": "customer",
               "source": "import: λίστα.csv", "schedule_at": "2026-12-02T09:00:00+00:00", "estimated_cost": "1234.5",
               "recipient_count": 1234, "is_sandbox": False, "resend_of": None, "before": {"role": "sender"},
               "left_out_by_rule": {"opted_out": 2}}  # fmt: skip
    with i18n.language("el"):
        line = audit.describe_details(details, UTC, "EUR")
    assert line == ("απόφαση: εγκρίθηκε· ρόλος: Εγκριτής· κανάλι: SMS και email· είδος: κωδικός πελάτη· "
                    "προέλευση: εισαγωγή αρχείου: λίστα.csv· προγραμματισμένη για: 2 Δεκ 2026, 09:00· "
                    "εκτιμώμενο κόστος: 1.234,50\xa0€· παραλήπτες: 1.234· δοκιμαστικό περιβάλλον: όχι· "
                    "νέα αποστολή της: —· πριν: (ρόλος: Συντάκτης)· εξαιρέθηκαν ανά κανόνα: 2 ζήτησαν να μη λαμβάνουν μηνύματα")
