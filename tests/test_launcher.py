"""`make run` (python -m lib run): the sandbox, the worker and the app as separate processes, started
and stopped together, saying which platform and database are in use."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta

import pytest
import requests

from lib.history.store import open_store
from lib.sandbox.embedded import running_sandbox_url
from tests.conftest import subprocess_env
from tests.support_browser import ROOT, free_port, wait_until


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/_stcore/health", timeout=1).ok
    except requests.RequestException:
        return False


@pytest.mark.slow
def test_run_starts_sandbox_worker_and_app_and_ctrl_c_stops_them_all(tmp_path):
    port = free_port()
    database_url = f"sqlite:///{tmp_path / 'console.db'}"
    env = subprocess_env("MESSAGING_API_", "CONSOLE_", "DATABASE_URL")
    env.update(DATABASE_URL=database_url, CONSOLE_SANDBOX_DIR=str(tmp_path / "sandbox"), CONSOLE_OPERATOR="launcher")
    with open(tmp_path / "run.log", "wb") as log:
        launcher = subprocess.Popen(
            [sys.executable, "-m", "lib", "run", "--port", str(port)], cwd=ROOT, env=env, stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    children: list[int] = []
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: launcher.poll() is not None or _healthy(url), 90, "the app to answer")
        assert launcher.poll() is None, (tmp_path / "run.log").read_text()
        said = (tmp_path / "run.log").read_text()
        assert "Platform: the sandbox (nothing is really sent)" in said
        assert f"Database: {database_url}" in said
        sandbox_url = running_sandbox_url(tmp_path / "sandbox")
        assert sandbox_url is not None, "the sandbox runs as its own process and publishes its address"
        store = open_store(database_url, shared=False)
        wait_until(lambda: store.live_workers(timedelta(seconds=30), platform="sandbox"), 30, "the worker's heartbeat")
        children = _children(launcher.pid)
        assert len(children) == 3, children  # sandbox, worker, app: three processes
    finally:
        launcher.send_signal(signal.SIGINT)
        code = launcher.wait(timeout=30)
    assert code == 0
    for pid in children:
        assert not _alive(pid), f"process {pid} outlived Ctrl-C"
    assert running_sandbox_url(tmp_path / "sandbox") is None
    assert not _healthy(url)


def _children(pid: int) -> list[int]:
    found = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in found]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True).stdout.strip()[:1] != "Z"
