"""Bring a history database to the current schema, under a lock, with Alembic.

One path for `python -m lib migrate`, the worker's start and `open_store`:
- an empty database gets `metadata.create_all` and is stamped at the newest revision;
- a database at a hand-written `schema_version` (1, 2 or 3, before Alembic) is stamped as revision
  0001 and upgraded: revisions 0002-0004 (the old versions 2 and 3, and the team tables) add only
  what is missing, so each old version ends up the same;
- a database Alembic knows is upgraded to the newest revision;
- anything else (tables that are not ours, a revision newer than this code) is refused in one sentence.

Two processes starting at once cannot race: the whole check-and-change runs in one transaction that
first takes a lock (PostgreSQL: `pg_advisory_xact_lock`; SQLite: `BEGIN IMMEDIATE`, the write lock).
DDL is transactional on both engines, so a failed migration leaves the database as it was.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

from lib import i18n
from lib.history import schema as s

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BASELINE_REVISION = "0001"  # the schema of hand-written schema_version 1
HAND_WRITTEN_VERSIONS = (1, 2, 3)  # schema_version values before Alembic; all upgrade from 0001
MIGRATION_LOCK_KEY = 0x43434D4947  # any constant 64-bit number: "CCMIG"; advisory locks are per database
# The newest revision, read from the file names (NNNN_message.py, as `new_revision` names them): every
# process opens the store, and a current database must not cost Alembic's import and script scan.
NEWEST_REVISION = max(p.name[:4] for p in (MIGRATIONS_DIR / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


class MigrationRefused(RuntimeError):
    """The database cannot be brought to this version's schema; str() is a sentence for the user."""


ACTIONS = ("created", "upgraded", "already_current")
ACTION_WORDS = i18n.family("history.migrate.action", ACTIONS)
OLD_VERSION = "schema_version "  # MigrationReport.before of a database from before Alembic: "schema_version 3"


@dataclass(frozen=True)
class MigrationReport:
    before: str | None  # the revision found (None: an empty database; "schema_version 1" before Alembic)
    after: str  # the revision now
    action: str  # one of ACTIONS


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, built here so no alembic.ini is needed."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def migrate(engine: Engine) -> MigrationReport:
    """Create or upgrade the schema in one locked transaction. Raises MigrationRefused."""
    if _is_current(engine):
        return MigrationReport(NEWEST_REVISION, NEWEST_REVISION, "already_current")
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:  # a table rebuild drops and renames tables that others reference
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            conn = conn.execution_options(history_write=True)  # BEGIN IMMEDIATE on SQLite
            with conn.begin():
                if not sqlite:
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
                report = _migrate_locked(conn)
                if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                    raise MigrationRefused(i18n.Msg("history.migrate.dangling"))
            return report
        finally:
            if sqlite:
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")


def _is_current(engine: Engine) -> bool:
    """Already at the newest revision (read without the lock: a concurrent migration can only reach it too)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [NEWEST_REVISION]


def _migrate_locked(conn: Connection) -> MigrationReport:
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = alembic_config(conn)
    head = ScriptDirectory.from_config(config).get_current_head()
    tables = set(inspect(conn).get_table_names()) - {"sqlite_sequence"}
    if "alembic_version" in tables:
        current = MigrationContext.configure(conn).get_current_revision()
        if current == head:
            return MigrationReport(current, head, "already_current")
        if current not in _known_revisions(config):
            raise MigrationRefused(i18n.Msg("history.migrate.newer", revision=str(current)))
        command.upgrade(config, "head")
        return MigrationReport(current, head, "upgraded")
    if "schema_version" in tables:
        versions = conn.execute(text("SELECT version FROM schema_version")).scalars().all()
        if len(versions) != 1 or versions[0] not in HAND_WRITTEN_VERSIONS:
            raise MigrationRefused(i18n.Msg("history.migrate.unknown_version", versions=str(versions)))
        command.stamp(config, BASELINE_REVISION)
        command.upgrade(config, "head")
        return MigrationReport(f"{OLD_VERSION}{versions[0]}", head, "upgraded")
    if tables:
        raise MigrationRefused(i18n.Msg("history.migrate.foreign", tables=", ".join(sorted(tables)[:3])))
    s.metadata.create_all(conn)
    command.stamp(config, "head")
    return MigrationReport(None, head, "created")


def _known_revisions(config: Config) -> set[str]:
    from alembic.script import ScriptDirectory

    return {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}


def new_revision(message: str) -> Path:
    """Write the next revision (NNNN_message.py) with Alembic's autogenerate: the difference between a
    scratch SQLite database upgraded to the newest revision and lib/history/schema.py. Read and edit
    it before committing (autogenerate misses renames, data moves and server defaults)."""
    import tempfile

    from alembic import command
    from sqlalchemy import create_engine

    with tempfile.TemporaryDirectory() as scratch:
        engine = create_engine(f"sqlite:///{scratch}/scratch.db")
        with engine.connect() as conn, conn.begin():
            config = alembic_config(conn)
            command.upgrade(config, "head")
            script = command.revision(
                config, message=message, autogenerate=True, rev_id=f"{int(head_revision()) + 1:04d}"
            )
        engine.dispose()
    return Path(script.path)


def main(argv: list[str]) -> int:
    """`python -m lib migrate`: create or upgrade the configured database and say which and where."""
    import argparse

    from lib.cli.options import add_language_option
    from lib.history.store import StoreError, describe_database, open_store
    from lib.settings import SettingsError, load_settings

    parser = argparse.ArgumentParser(prog="python -m lib migrate", description=i18n.t("history.migrate.about"))
    parser.add_argument("--new-revision", metavar="MESSAGE", help=i18n.t("history.migrate.option.new_revision"))
    add_language_option(parser)
    args = parser.parse_args(argv)
    if args.new_revision:
        print(i18n.t("history.migrate.wrote", file=str(new_revision(args.new_revision))))
        return 0
    try:
        settings = load_settings()
        store = open_store(settings.database_url, shared=False, busy_timeout=settings.db_busy_timeout)
    except (SettingsError, StoreError) as exc:
        print(f"migrate: {exc}", file=sys.stderr)
        return 2
    report = store.last_migration
    store.engine.dispose()
    print(i18n.t("history.migrate.database", database=describe_database(settings.database_url)))
    print(i18n.t("history.migrate.schema", revision=report.after, action=i18n.coded(ACTION_WORDS, report.action),
                 found=_found_words(report.before)))
    return 0


def _found_words(before: str | None) -> str:
    if before is None:
        return i18n.t("history.migrate.found.empty")
    if before.startswith(OLD_VERSION):
        return i18n.t("history.migrate.found.old_version", version=before.removeprefix(OLD_VERSION))
    return i18n.t("history.migrate.found.revision", revision=before)
