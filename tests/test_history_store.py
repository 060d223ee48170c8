"""The history store on SQLite and PostgreSQL: schema creation, claims, chunk CAS, purge, templates.

Migrations: tests/test_history_migrations.py. Database faults: tests/test_history_faults.py."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import inspect, select

from lib.history import schema
from lib.history.migrate import head_revision
from lib.history.store import ClaimTaken, NewRecipient, close_all_stores, open_store, strip_credentials
from lib.sending.status import ChunkStatus
from lib.templates import Channel, Template, TemplateKind


@pytest.fixture
def db_url(database_url):
    """Every test here runs on SQLite and on PostgreSQL (the `database_url` fixture)."""
    yield database_url
    close_all_stores()


def recipients(n, start=0):
    return [
        NewRecipient(f"C{i}", i + 2, f"+30693000{i:04d}", None, (("voucherCode", f"V{i}"),))
        for i in range(start, start + n)
    ]


def new_send(store, claim="h" * 64, chunks=None, **overrides):
    values = dict(
        manifest_hash="h" * 64,
        claim=claim,
        template_id=71,
        template_name="Promo",
        channel="sms",
        schedule_at=None,
        created_by="maria",
        platform_url="http://127.0.0.1:9/",
        is_sandbox=True,
        is_test=False,
        resend_of=None,
        excluded_recipients=3,
        estimated_parts=10,
        estimated_cost=Decimal("0.50"),
        batch_size=2,
        chunks=chunks if chunks is not None else [recipients(2), recipients(1, 2)],
    )
    values.update(overrides)
    return store.create_send(**values)


def test_first_open_creates_every_table_at_the_newest_revision(db_url):
    store = open_store(db_url)
    names = set(inspect(store.engine).get_table_names())
    assert set(schema.metadata.tables) <= names
    assert "schema_version" not in names
    assert store.version() == head_revision()
    if store.engine.dialect.name == "sqlite":
        with store.read() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_open_twice_returns_the_same_store(db_url):
    assert open_store(db_url) is open_store(db_url)


def test_send_and_chunks_are_written_together_and_read_back(db_url):
    store = open_store(db_url)
    at = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Athens"))
    send_id = new_send(store, schedule_at=at)
    detail = store.get_send(send_id)
    assert detail.send.total_recipients == 3
    assert detail.send.schedule_at == at and detail.send.schedule_at.tzinfo is UTC
    assert detail.send.created_at.tzinfo is UTC
    assert detail.send.estimated_cost == Decimal("0.50")
    assert [(c.seq, c.status, c.recipient_count) for c in detail.chunks] == [(1, "pending", 2), (2, "pending", 1)]
    assert detail.send.state == "not sent"
    members = store.chunk_recipients(detail.chunks[0].id)
    assert [(m.unique_id, m.row_number, m.payload) for m in members] == [
        ("C0", 2, {"voucherCode": "V0"}),
        ("C1", 3, {"voucherCode": "V1"}),
    ]


def test_naive_datetimes_are_refused(db_url):
    with pytest.raises(Exception, match="timezone-aware"):
        new_send(open_store(db_url), schedule_at=datetime(2026, 12, 1, 10, 0))


def test_a_claim_is_held_by_one_send_only(db_url):
    store = open_store(db_url)
    first = new_send(store)
    with pytest.raises(ClaimTaken) as caught:
        new_send(store)
    assert caught.value.holder_send_id == first
    assert len(store.list_sends()) == 1
    assert len(store.get_send(first).chunks) == 2  # the refused send left no chunks behind


def test_concurrent_claims_make_exactly_one_send(db_url):
    store = open_store(db_url)
    barrier = threading.Barrier(6)
    results = []

    def attempt():
        barrier.wait()
        try:
            results.append(new_send(store, chunks=[recipients(200)]))
        except ClaimTaken as exc:
            results.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [r for r in results if isinstance(r, int)]
    assert len(winners) == 1
    assert all(r.holder_send_id == winners[0] for r in results if isinstance(r, ClaimTaken))


def test_move_chunk_is_compare_and_set(db_url):
    store = open_store(db_url)
    chunk = store.get_send(new_send(store)).chunks[0]
    assert store.move_chunk(chunk.id, expected=ChunkStatus.PENDING, new=ChunkStatus.POSTING, count_attempt=True)
    assert not store.move_chunk(chunk.id, expected=ChunkStatus.PENDING, new=ChunkStatus.POSTING)
    dispatch = {"dispatch_id": 9001, "send_id": chunk.send_id, "chunk_id": chunk.id, "send_status_id": 1}
    assert store.move_chunk(
        chunk.id, expected=ChunkStatus.POSTING, new=ChunkStatus.ACCEPTED, dispatch_id=9001, dispatch=dispatch
    )
    after = store.get_chunk(chunk.id)
    assert (after.status, after.dispatch_id, after.attempts) == (ChunkStatus.ACCEPTED, 9001, 1)
    with store.read() as conn:
        row = conn.execute(select(schema.dispatches)).mappings().one()
    assert (row["dispatch_id"], row["send_id"], row["is_final"]) == (9001, chunk.send_id, False)
    assert store.get_send(chunk.send_id).send.state == "partial"


def test_sends_with_manifest_and_list_sends(db_url):
    store = open_store(db_url)
    a = new_send(store)
    b = new_send(store, claim="h" * 64 + f":resend-of:{a}", resend_of=a)
    new_send(store, manifest_hash="x" * 64, claim="x" * 64, is_test=True)
    assert [r.id for r in store.sends_with_manifest("h" * 64)] == [a, b]
    assert [r.id for r in store.list_sends(limit=2)] == [3, b]
    assert [r.id for r in store.list_sends(include_tests=False)] == [b, a]


def test_purge_removes_old_personal_data_and_keeps_the_counts(db_url):
    store = open_store(db_url)
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    old = new_send(store, now=now - timedelta(days=91))
    recent = new_send(store, claim="recent", now=now - timedelta(days=89))
    assert store.purge_personal_data(now, retention_days=90) == 3
    old_detail, recent_detail = store.get_send(old), store.get_send(recent)
    assert store.chunk_recipients(old_detail.chunks[0].id) == []
    assert len(store.chunk_recipients(recent_detail.chunks[0].id)) == 2
    assert old_detail.send.total_recipients == 3 and old_detail.chunks[0].recipient_count == 2


@pytest.mark.parametrize(
    ("url", "stored"),
    [
        ("https://user:s3cret@api.example.com/x", "https://api.example.com/x"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("https://u:p@h:8443", "https://h:8443"),
    ],
)
def test_platform_url_never_keeps_credentials(db_url, url, stored):
    store = open_store(db_url)
    assert store.get_send(new_send(store, platform_url=url)).send.platform_url == stored
    assert strip_credentials(url) == stored


def test_templates_crud(db_url):
    store = open_store(db_url)
    promo = Template(71, "Promo", Channel.SMS, "Code {{voucherCode}}")
    store.upsert_template(promo)
    store.upsert_template(Template(81, "Mail", Channel.EMAIL, "<p>Hi</p>", "Hello"))
    store.upsert_template(Template(71, "Promo v2", Channel.SMS, "Code {{voucherCode}}!"))
    assert [(t.id, t.name) for t in store.list_templates()] == [(71, "Promo v2"), (81, "Mail")]
    store.upsert_template(Template(81, "Mail", Channel.EMAIL, "<p>Hi</p>", "Hello", kind=TemplateKind.SERVICE))
    assert [t.kind for t in store.list_templates()] == [TemplateKind.MARKETING, TemplateKind.SERVICE]
    assert store.delete_template(81) and not store.delete_template(81)
    assert [t.id for t in store.list_templates()] == [71]


def test_meta_round_trip(db_url):
    store = open_store(db_url)
    assert store.get_meta("last_refresh_at") is None
    store.set_meta("last_refresh_at", "2026-11-28T12:00:00+00:00")
    store.set_meta("last_refresh_at", "2026-11-28T12:05:00+00:00")
    assert store.get_meta("last_refresh_at") == "2026-11-28T12:05:00+00:00"
