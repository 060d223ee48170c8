"""`python -m lib refresh` as cron or a service would run it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from lib.history import schema as s
from lib.history.store import open_store
from tests.conftest import SANDBOX_PASSWORD, SANDBOX_USER, subprocess_env
from tests.support_dispatches import poll, record_send

ROOT = Path(__file__).resolve().parents[1]


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    full_env = subprocess_env("MESSAGING_API_", "CONSOLE_", "DATABASE_")
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "lib", "refresh", *args], cwd=ROOT, env=full_env, capture_output=True, text=True,
        timeout=60,
    )


@pytest.fixture
def database_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'history.db'}"


def _env(database_url: str, url: str, password: str = SANDBOX_PASSWORD) -> dict[str, str]:
    """The CLI pointed at the running sandbox (as `make run` does): it refreshes the sandbox's dispatches."""
    return {
        "DATABASE_URL": database_url,
        "CONSOLE_SANDBOX_PORT": str(urlsplit(url).port),
        "MESSAGING_API_USER": SANDBOX_USER,
        "MESSAGING_API_PASSWORD": password,
    }


def _status(database_url: str, dispatch_id: int) -> int:
    with open_store(database_url).read() as conn:
        return conn.execute(
            select(s.dispatches.c.send_status_id).where(s.dispatches.c.dispatch_id == dispatch_id)
        ).scalar_one()


def test_once_refreshes_and_exits_zero(database_url, client):
    store = open_store(database_url)
    send_id = record_send(store, client)
    [dispatch_id] = [c.dispatch_id for c in store.get_send(send_id).chunks]

    def queued():
        done = _run(["--once", "--all"], _env(database_url, client.base_url))
        assert done.returncode == 0, done.stderr
        assert "asked about 1 dispatch" in done.stdout
        return _status(database_url, dispatch_id) == 3

    poll(queued, 15, "the CLI to see the dispatch Queued", interval=0.2)


def test_every_runs_round_after_round(database_url, client):
    record_send(open_store(database_url), client)
    done = _run(["--every", "0.2", "--rounds", "2"], _env(database_url, client.base_url))
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.strip().splitlines()) == 2


def test_platform_down_exits_one_with_the_reason(database_url, client, sandbox):
    record_send(open_store(database_url), client)
    url = client.base_url
    sandbox.stop()
    done = _run(["--once"], _env(database_url, url))
    assert done.returncode == 1
    assert "Not refreshed: Could not reach the platform" in done.stdout


def test_wrong_password_never_printed(database_url, client):
    record_send(open_store(database_url), client)
    done = _run(["--once"], _env(database_url, client.base_url, password="hunter2-wrong"))
    assert done.returncode == 1
    assert "hunter2-wrong" not in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--every", "0"], "above 0"), (["--workers", "0"], "at least 1")],
)
def test_bad_arguments(args, message, database_url):
    done = _run(args, {"DATABASE_URL": database_url})
    assert done.returncode == 2 and message in done.stderr


def test_no_platform_configured_says_what_to_set(database_url):
    done = _run(["--once"], {"DATABASE_URL": database_url})
    assert done.returncode == 2 and "MESSAGING_API_URL" in done.stderr
