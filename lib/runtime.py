"""What every page needs, built once per server process: settings, platform, client, history.

With no platform configured the console talks to the sandbox: the one `make run` started (found
through its address file), or, for a process on its own, one started here on loopback. Either way
the console talks HTTP to it exactly as it would to the real platform.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from lib.history.store import SANDBOX_PLATFORM, HistoryStore, SendRecord, open_store, platform_key, utcnow
from lib.ledger import Ledger, template_kind
from lib.ledger.gate import LedgerGate
from lib.messaging.client import MessagingClient
from lib.rules import quiet_hours
from lib.sandbox.embedded import (
    publish_address,
    running_sandbox_url,
    sandbox_catalog,
    sandbox_config_for,
    withdraw_address,
)
from lib.sandbox.server import RunningSandbox, run_sandbox_in_thread
from lib.sending.engine import SendEngine, replay_journal
from lib.settings import Settings
from lib.templates import FileCatalog, Template, check_tags


@dataclass
class ConsoleRuntime:
    settings: Settings
    platform_url: str
    store: HistoryStore
    client: MessagingClient = field(repr=False)
    sandbox: RunningSandbox | None = field(default=None, repr=False)  # only when started by this process
    ledger: Ledger | None = field(default=None, repr=False)

    @property
    def is_sandbox(self) -> bool:
        return self.settings.uses_sandbox

    @property
    def catalog(self) -> FileCatalog | StoreCatalog:
        return console_catalog(self.settings, self.store)

    def templates(self) -> list[Template]:
        return self.catalog.list()

    def describe_platform(self) -> str:
        return "the local sandbox (nothing reaches real customers)" if self.is_sandbox else f"THE REAL PLATFORM at {self.platform_url}"

    def close(self) -> None:
        self.client.close()
        if self.sandbox is not None:
            withdraw_address(self.settings.sandbox_dir)
            self.sandbox.stop()

    def engine(self, **options) -> SendEngine:
        """The send engine on this runtime; `options` are SendEngine's (gate, lease, …); None means default.
        Its gate is the ledger's: the rules run again right before each chunk's POST."""
        s = self.settings
        if options.get("gate") is None and self.ledger is not None:
            options["gate"] = LedgerGate(self.ledger)
        if options.get("hold") is None:
            options["hold"] = self.quiet_hours_hold
        return SendEngine(
            self.store, self.client, batch_size=s.batch_size, platform_url=self.platform_url,
            is_sandbox=self.is_sandbox, operator=options.pop("operator", None) or s.operator, timezone=s.tz,
            **{k: v for k, v in options.items() if v is not None},
        )


    def quiet_hours_hold(self, send: SendRecord, now: datetime) -> datetime | None:
        """For the sender, before each chunk: a marketing SMS sent "now" that reached quiet hours
        part-way waits for their end (a scheduled one was checked against them when it was made)."""
        if send.schedule_at is not None or send.is_test:
            return None
        template = next((t for t in self.templates() if t.id == send.template_id), None)
        if template is None:
            return None
        verdict = quiet_hours.check(None, template, self.settings, now=now)
        return None if verdict.allowed else verdict.next_allowed


class StoreCatalog:
    """The local copy of the live platform's templates, kept in the history store."""

    def __init__(self, store: HistoryStore):
        self.store = store

    def list(self) -> list[Template]:
        return self.store.list_templates()

    def save(self, template: Template) -> None:
        check_tags(template)
        self.store.upsert_template(template)

    def delete(self, template_id: int) -> None:
        self.store.delete_template(template_id)

    def replace_all(self, templates: list[Template]) -> None:
        for old in self.list():
            if old.id not in {t.id for t in templates}:
                self.delete(old.id)
        for template in templates:
            self.save(template)


def open_console_store(settings: Settings) -> HistoryStore:
    """The history store for these settings, seen from their platform (raises StoreError)."""
    store = open_store(settings.database_url, busy_timeout=settings.db_busy_timeout)
    return store.for_platform(SANDBOX_PLATFORM if settings.uses_sandbox else platform_key(settings.api_url, False))


def console_templates(settings: Settings) -> list[Template]:
    """The templates of the one catalog, for a command that needs no runtime (`check`, `preview`)."""
    store = None if settings.uses_sandbox else open_console_store(settings)
    return console_catalog(settings, store).list()


def console_catalog(settings: Settings, store: HistoryStore | None) -> FileCatalog | StoreCatalog:
    """The one template catalog, whatever the entry point: the sandbox's own file in sandbox mode,
    otherwise the local copy of the live platform's templates kept in the history store."""
    if settings.uses_sandbox:
        return FileCatalog(sandbox_catalog(settings.sandbox_dir))
    return StoreCatalog(store)


def start_runtime(settings: Settings, *, platform_url: str | None = None) -> ConsoleRuntime:
    """`platform_url`: a running platform or sandbox to use instead of what the settings say."""
    # The store first: a database that cannot be used stops the start before anything runs.
    store = open_console_store(settings)
    # A POST's answer the database could not take last time goes in before anything else.
    replay_journal(store)
    sandbox = None
    if platform_url:
        platform_url = platform_url.rstrip("/")
    elif settings.uses_sandbox:
        platform_url = running_sandbox_url(settings.sandbox_dir)
        if platform_url is None:  # nobody started one: this process serves it (and says where)
            sandbox = run_sandbox_in_thread(sandbox_config_for(settings))
            publish_address(settings.sandbox_dir, sandbox.url)
            platform_url = sandbox.url
    else:
        platform_url = settings.api_url
    client = MessagingClient.from_settings(settings, base_url=platform_url)
    runtime = ConsoleRuntime(settings, platform_url, store, client, sandbox)
    runtime.ledger = open_ledger(store, settings, runtime.templates)
    # Recipients' personal data older than the retention period is purged at every start, once the
    # ledger's keys of those chunks are made (the ledger keeps them instead of the people).
    now = utcnow()
    runtime.ledger.complete_keys(sent_before=now - timedelta(days=settings.retention_days))
    store.purge_personal_data(now, settings.retention_days)
    return runtime


def open_ledger(store: HistoryStore, settings: Settings, templates=None) -> Ledger:
    """The ledger for this store, recording every send from now on. `templates()` gives the
    catalog, for each template's kind (marketing or service)."""

    def kind_of(template_id: int) -> str | None:
        found = [t for t in (templates() if templates else []) if t.id == template_id]
        return template_kind(found[0]) if found else None

    return Ledger(store, settings, kind_of=kind_of).install()
