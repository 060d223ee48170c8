"""What every page needs, built once per server process: settings, platform, client, history.

With no platform configured the embedded sandbox is started here, on loopback, so the console
talks HTTP to it exactly as it would to the real platform.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field

from lib.history.store import HistoryStore, open_store, utcnow
from lib.messaging.client import MessagingClient
from lib.sandbox.server import RunningSandbox, SandboxConfig, run_sandbox_in_thread
from lib.sending.engine import SendEngine
from lib.settings import Settings
from lib.templates import SHIPPED_CATALOG, FileCatalog, Template


@dataclass
class ConsoleRuntime:
    settings: Settings
    platform_url: str
    store: HistoryStore
    client: MessagingClient = field(repr=False)
    sandbox: RunningSandbox | None = field(default=None, repr=False)

    @property
    def is_sandbox(self) -> bool:
        return self.sandbox is not None

    @property
    def catalog(self) -> FileCatalog | StoreCatalog:
        """Templates the console previews with: the sandbox's own file in sandbox mode,
        otherwise the local copy kept in the history store."""
        if self.sandbox is not None:
            return FileCatalog(self.sandbox.config.templates_path)
        return StoreCatalog(self.store)

    def templates(self) -> list[Template]:
        return self.catalog.list()

    def engine(self) -> SendEngine:
        s = self.settings
        return SendEngine(
            self.store, self.client, batch_size=s.batch_size, platform_url=self.platform_url,
            is_sandbox=self.is_sandbox, operator=s.operator, timezone=s.tz,
        )


class StoreCatalog:
    """The local copy of the live platform's templates, kept in the history store."""

    def __init__(self, store: HistoryStore):
        self.store = store

    def list(self) -> list[Template]:
        return self.store.list_templates()

    def save(self, template: Template) -> None:
        self.store.upsert_template(template)

    def delete(self, template_id: int) -> None:
        self.store.delete_template(template_id)

    def replace_all(self, templates: list[Template]) -> None:
        for old in self.list():
            if old.id not in {t.id for t in templates}:
                self.delete(old.id)
        for template in templates:
            self.save(template)


def start_sandbox(settings: Settings) -> RunningSandbox:
    settings.sandbox_dir.mkdir(parents=True, exist_ok=True)
    # The sandbox serves its own copy of the catalog, so editing templates never touches the repo.
    templates_path = settings.sandbox_dir / "templates.json"
    if not templates_path.exists():
        shutil.copyfile(SHIPPED_CATALOG, templates_path)
    config = SandboxConfig(
        templates_path=templates_path,
        port=settings.sandbox_port,
        user=settings.api_user,
        password=settings.api_password,
        data_dir=settings.sandbox_dir,
        allowed_countries=settings.allowed_countries,
        step_seconds=settings.sandbox_step_seconds,
        timezone=settings.timezone,
    )
    return run_sandbox_in_thread(config)


def start_runtime(settings: Settings) -> ConsoleRuntime:
    sandbox = start_sandbox(settings) if settings.uses_sandbox else None
    platform_url = sandbox.url if sandbox is not None else settings.api_url
    client = MessagingClient.from_settings(settings, base_url=platform_url)
    store = open_store(settings.database_url)
    # Recipients' personal data older than the retention period is purged at every start.
    store.purge_personal_data(utcnow(), settings.retention_days)
    return ConsoleRuntime(settings, platform_url, store, client, sandbox)
