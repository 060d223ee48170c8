"""Alembic migrations of the history store, on SQLite and PostgreSQL.

The key test: a database made by the old hand-written schema (schema_version 1 = revision 0001) and
upgraded by every revision has exactly the shape `create_all` gives a new one. A change to
lib/history/schema.py without a revision fails it.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from lib.history import schema
from lib.history.migrate import MIGRATIONS_DIR, NEWEST_REVISION, head_revision
from lib.history.store import StoreError, close_all_stores, open_store
from lib.templates import Channel, Template, TemplateKind

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _close_stores():
    yield
    close_all_stores()


def _revision_module(name: str):
    path = MIGRATIONS_DIR / "versions" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"revision_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# What each hand-written schema_version had on top of version 1 ("3+team": a version-3 file that
# main's create_all made after the team tables existed).
OLD_VERSIONS = ["1", "2", "3", "3+team"]


def make_old_database(url: str, version: str = "1") -> None:
    """A database as the console before Alembic left it, with a sandbox send, a live send, their
    dispatches (the same id on both platforms is impossible then), snapshots and a template."""
    engine = create_engine(url)
    with engine.begin() as conn:
        _revision_module("0001_baseline")._baseline().create_all(conn)
        if version >= "2":
            conn.execute(text("ALTER TABLE templates ADD COLUMN kind VARCHAR(9)"))
        if version >= "3":
            conn.execute(text("ALTER TABLE chunks ADD COLUMN platform_answer TEXT"))
        if version == "3+team":
            team = _revision_module("0004_team_audit")
            team._tables().create_all(conn)
            for statement in team.APPEND_ONLY[conn.dialect.name]:
                conn.execute(text(statement))
        conn.execute(text("INSERT INTO schema_version (version) VALUES (:v)"), {"v": int(version[0])})
        conn.execute(
            text("INSERT INTO templates (id, name, channel, subject, body, updated_at) VALUES (71, 'Promo', 'sms', '', 'Hi', :t)"),
            {"t": T0},
        )
        for send_id, sandbox, url_ in ((1, True, "http://127.0.0.1:8000"), (2, False, "https://api.example.com/")):
            conn.execute(
                text(
                    "INSERT INTO sends (id, manifest_hash, claim, template_id, template_name, channel, created_at, "
                    "created_by, platform_url, is_sandbox, is_test, total_recipients, excluded_recipients, batch_size) "
                    "VALUES (:id, 'h', :claim, 71, 'Promo', 'sms', :t, 'maria', :url, :sandbox, false, 1, 0, 1000)"
                ),
                {"id": send_id, "claim": f"claim{send_id}", "t": T0, "url": url_, "sandbox": sandbox},
            )
            conn.execute(
                text(
                    "INSERT INTO chunks (id, send_id, seq, status, recipient_count, dispatch_id, attempts, updated_at) "
                    "VALUES (:id, :id, 1, 'accepted', 1, :d, 1, :t)"
                ),
                {"id": send_id, "d": 180000 + send_id, "t": T0},
            )
        for dispatch_id, send_id in ((180001, 1), (180002, 2), (180003, None)):
            conn.execute(
                text(
                    "INSERT INTO dispatches (dispatch_id, send_id, has_started_queuing, has_finished_queuing, is_test, "
                    "is_final, first_seen_at) VALUES (:d, :s, false, false, false, false, :t)"
                ),
                {"d": dispatch_id, "s": send_id, "t": T0},
            )
        for minute, status in ((1, 1), (2, 2), (3, 3)):
            conn.execute(
                text("INSERT INTO dispatch_snapshots (dispatch_id, taken_at, send_status_id) VALUES (180001, :t, :s)"),
                {"t": T0.replace(minute=minute), "s": status},
            )
    engine.dispose()


def schema_differences(url: str) -> list:
    engine = create_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, schema.metadata)
    engine.dispose()
    return differences


@pytest.mark.parametrize("version", OLD_VERSIONS)
def test_an_old_database_is_upgraded_to_exactly_the_current_schema(database_url, version):
    make_old_database(database_url, version)
    store = open_store(database_url)
    assert store.last_migration.before == f"schema_version {version[0]}"
    assert store.version() == head_revision()
    assert schema_differences(database_url) == []
    assert "schema_version" not in inspect(store.engine).get_table_names()


def test_a_new_database_matches_the_schema_too(database_url):
    store = open_store(database_url)
    assert store.last_migration.action == "created"
    assert schema_differences(database_url) == []


def test_the_upgrade_keeps_the_data_and_gives_it_platform_keys(database_url):
    make_old_database(database_url)
    store = open_store(database_url)
    with store.read() as conn:
        sends = conn.execute(text("SELECT id, platform, claim FROM sends ORDER BY id")).all()
        dispatches = conn.execute(text("SELECT dispatch_id, platform FROM dispatches ORDER BY dispatch_id")).all()
        snapshots = conn.execute(
            text("SELECT platform, seq, send_status_id FROM dispatch_snapshots ORDER BY seq")
        ).all()
    assert [tuple(r) for r in sends] == [(1, "sandbox", "claim1"), (2, "https://api.example.com", "claim2")]
    # a dispatch tracked from outside takes the platform of the latest send
    assert [tuple(r) for r in dispatches] == [
        (180001, "sandbox"), (180002, "https://api.example.com"), (180003, "https://api.example.com"),
    ]
    assert [tuple(r) for r in snapshots] == [("sandbox", 1, 1), ("sandbox", 2, 2), ("sandbox", 3, 3)]
    assert store.get_send(2).send.platform == "https://api.example.com"
    assert all(c.platform_answer is None for c in store.get_send(2).chunks)


def test_templates_saved_before_kinds_existed_read_as_marketing(database_url):
    make_old_database(database_url, "1")
    store = open_store(database_url)
    assert [(t.id, t.kind) for t in store.list_templates()] == [(71, TemplateKind.MARKETING)]
    store.upsert_template(Template(72, "Order ready", Channel.SMS, "Ready", kind=TemplateKind.SERVICE))
    assert [t.kind for t in store.list_templates()] == [TemplateKind.MARKETING, TemplateKind.SERVICE]


@pytest.mark.parametrize("version", ["1", "3+team"])
def test_the_audit_trail_is_append_only_after_the_upgrade_too(database_url, version):
    make_old_database(database_url, version)
    store = open_store(database_url)
    with store.write() as conn:
        conn.execute(
            text("INSERT INTO audit_events (at, actor, action, details) VALUES (:t, 'ann', 'sign_in', '{}')"),
            {"t": T0},
        )
    with pytest.raises(Exception, match="append-only"), store.write() as conn:
        conn.execute(text("UPDATE audit_events SET actor = 'someone else'"))


def test_a_database_from_a_newer_console_is_refused(database_url):
    open_store(database_url)
    close_all_stores()
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(StoreError, match="newer version of the console"):
        open_store(database_url)


def test_a_database_with_someone_elses_tables_is_refused_and_left_alone(database_url):
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE invoices (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    with pytest.raises(StoreError, match="not the console's history"):
        open_store(database_url)
    assert inspect(create_engine(database_url)).get_table_names() == ["invoices"]


def _migrate_process(database_url: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "lib", "migrate"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("old", [False, True], ids=["fresh", "schema_version 3"])
def test_two_processes_migrating_at_once_both_succeed_and_leave_one_schema(database_url, old):
    if old:
        make_old_database(database_url, "3")
    first, second = _migrate_process(database_url), _migrate_process(database_url)
    outputs = [p.communicate(timeout=120) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], outputs
    actions = sorted(out.split("(")[1].split(";")[0] for out, _ in outputs)
    assert actions == ["already current", "upgraded" if old else "created"]
    assert all(f"revision {head_revision()}" in out for out, _ in outputs)
    assert schema_differences(database_url) == []


def test_migrate_names_the_database_without_its_password(postgres):
    url = postgres.create_database("named_db")
    with_password = url.replace("postgres@", "postgres:s3cret-pw@")  # trust auth ignores the password
    process = _migrate_process(with_password)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "named_db" in out and "s3cret-pw" not in out + err


def test_the_newest_revision_read_from_file_names_is_alembics_head():
    """A current database is recognised without Alembic by the newest file name; it must be Alembic's head."""
    assert head_revision() == NEWEST_REVISION


def test_migrate_says_what_it_did_in_the_readers_language(tmp_path):
    database = tmp_path / "console.db"

    def migrate(language: str) -> str:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
        done = subprocess.run([sys.executable, "-m", "lib", "--lang", language, "migrate"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    head = head_revision()
    assert migrate("el") == (f"Βάση ιστορικού: {database}\n"
                             f"Σχήμα: αναθεώρηση {head} (δημιουργήθηκε· βρέθηκε κενή βάση)\n")
    assert migrate("en") == (f"History database: {database}\n"
                             f"Schema: revision {head} (already current; found revision {head})\n")
