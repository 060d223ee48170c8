"""Shared fixtures: a real sandbox over HTTP (`sandbox`) and a client bound to it (`client`)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from lib.messaging.client import MessagingClient
from lib.sandbox.server import RunningSandbox, SandboxConfig, run_sandbox_in_thread

SANDBOX_USER = "demo"
SANDBOX_PASSWORD = "sandbox-secret-42"


@pytest.fixture
def sandbox(tmp_path) -> Iterator[RunningSandbox]:
    """A fresh sandbox on a free port, with its own data dir and fast lifecycle steps (0.2 s)."""
    config = SandboxConfig(
        port=0,
        user=SANDBOX_USER,
        password=SANDBOX_PASSWORD,
        data_dir=tmp_path / "sandbox",
        step_seconds=0.2,
    )
    with run_sandbox_in_thread(config) as running:
        yield running


@pytest.fixture
def client(sandbox) -> Iterator[MessagingClient]:
    """A MessagingClient for `sandbox` with short timeouts and quick GET retries."""
    with MessagingClient(
        sandbox.url,
        SANDBOX_USER,
        SANDBOX_PASSWORD,
        connect_timeout=2.0,
        read_timeout=5.0,
        get_retries=2,
        retry_backoff=0.05,
    ) as messaging:
        yield messaging


@pytest.fixture(autouse=True)
def quiet_hours_off_unless_tested(monkeypatch):
    """Quiet hours (default 21:00-09:00, Athens) would refuse every marketing SMS sent "now" by a test
    that runs at night: they are off unless a test sets CONSOLE_QUIET_HOURS itself (their own tests do)."""
    monkeypatch.setenv("CONSOLE_QUIET_HOURS", "off")


def subprocess_env(*without: str) -> dict[str, str]:
    """The environment for a process a test starts: this one's, minus the variables starting with `without`
    (a platform, a database, the console's settings the test sets itself), in English like the test (the
    console's own default is Greek)."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith(without)}, "CONSOLE_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def no_view_kept_past_its_test():
    """A Dispatches page run by a test starts a thread keeping its view ready for 15 minutes (one per
    store); dozens of them in the one pytest process each built every second and slowed every later test."""
    yield
    from lib.history import warming

    warming.stop_all()


@pytest.fixture(autouse=True)
def english_unless_tested():
    """Tests read English words unless they choose a language themselves (the i18n tests do); a language
    set by one test (a page run in this thread) never leaks into the next. The variable is in os.environ,
    so a process started with it inherits it; one started with an environment of its own gets
    `subprocess_env()`. Its own MonkeyPatch: a test's `monkeypatch.undo()` must not turn it Greek."""
    from lib import i18n

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONSOLE_LANGUAGE", "en")
        i18n.use(None)
        yield
        i18n.use(None)


@pytest.fixture(scope="session")
def postgres():
    """One real PostgreSQL server for the whole run (see tests/pg.py); each test makes its own database."""
    from tests.pg import PostgresUnavailable, start_postgres

    try:
        server = start_postgres()
    except PostgresUnavailable as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL tests need a local PostgreSQL: {exc}")
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> Iterator[str]:
    """The history store's URL on SQLite and on a fresh PostgreSQL database: store tests run on both.
    Stores opened on it are closed afterwards (PostgreSQL would otherwise run out of connections), and
    the PostgreSQL database is dropped (hundreds of them left behind take minutes to delete at the end)."""
    from lib.history.store import close_all_stores

    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'console.db'}"
        close_all_stores()
    else:
        server, name = request.getfixturevalue("postgres"), f"t_{uuid.uuid4().hex[:12]}"
        yield server.create_database(name)
        close_all_stores()
        server.drop_database(name)


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups (its hook would otherwise run first)
def pytest_collection_modifyitems(config, items):
    """Order and group the run for `pytest -n 2 --dist loadgroup` (the Makefile's way; harmless without xdist).

    - `slow` tests (kill -9 rounds, dripped answers) start first, so that the longest ones do not run
      alone at the end while the other worker idles.
    - Every browser test is in one group, so one worker runs them one after another as before: one
      Chromium and one console at a time, never two competing for the CPU.
    - A test whose module starts something once for all its tests (a module-scoped fixture) stays on
      one worker with the rest of its module, so it is started once, not once per worker.
    """
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable: otherwise as collected
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))
            continue
        definitions = getattr(item, "_fixtureinfo", None)
        scopes = {d.scope for defs in (definitions.name2fixturedefs.values() if definitions else ()) for d in defs}
        if "module" in scopes:
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))
