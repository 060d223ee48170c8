"""Shared fixtures: a real sandbox over HTTP (`sandbox`) and a client bound to it (`client`)."""

from __future__ import annotations

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
