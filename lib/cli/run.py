"""`python -m lib run`: the whole console as separate processes, started and stopped together.

The sandbox (when no platform is configured and none is running), the worker (sends and status
refresh) and the Streamlit app each run in their own process, so a page that dies, or a file that
exhausts the app's memory, never takes a send in flight with it. Ctrl-C (or any one of them
ending) stops them all. It says on start which platform and which database are in use.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from lib import i18n
from lib.cli.options import add_language_option
from lib.history.store import StoreError
from lib.sandbox.embedded import running_sandbox_url
from lib.settings import Settings, SettingsError, get_settings

ROOT = Path(__file__).resolve().parents[2]
SANDBOX_START_SECONDS = 30
STOP_GRACE_SECONDS = 10


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m lib run", description=i18n.t("cli.run.about"))
    p.add_argument("--host", default=os.environ.get("HOST") or "127.0.0.1", help=i18n.t("cli.run.option.host"))
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8501), help=i18n.t("cli.run.option.port"))
    add_language_option(p)
    return p


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = get_settings()
    except SettingsError as exc:
        print(f"run: {exc}", file=sys.stderr)
        return 2
    print(describe(settings), flush=True)
    migrated = _python("migrate")
    if subprocess.run(migrated, cwd=ROOT).returncode != 0:
        return 1
    children: list[subprocess.Popen] = []
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        if settings.uses_sandbox and running_sandbox_url(settings.sandbox_dir) is None:
            children.append(subprocess.Popen(_python("sandbox", "--console-settings"), cwd=ROOT))
            _wait_for_sandbox(settings, children[-1])
        children.append(subprocess.Popen(_python("worker"), cwd=ROOT))
        app = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
               "--server.address", args.host, "--server.port", str(args.port)]  # fmt: skip
        # The app's first language for each reader is the one this command speaks (`run --lang en`).
        children.append(subprocess.Popen(app, cwd=ROOT, env={**os.environ, "CONSOLE_LANGUAGE": i18n.current()}))
        print(i18n.t("cli.run.serving", url=f"http://{args.host}:{args.port}"), flush=True)
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.2)
    except (RuntimeError, StoreError) as exc:
        print(f"run: {exc}", file=sys.stderr)
    finally:
        _stop_all(children)
    ended = [child for child in children if child.returncode not in (0, -signal.SIGTERM, -signal.SIGINT, None)]
    return 0 if stopping or not ended else 1


def describe(settings: Settings) -> str:
    platform = i18n.t("cli.run.sandbox") if settings.uses_sandbox else i18n.t("cli.run.live", url=settings.api_url)
    database = make_url(settings.database_url).render_as_string(hide_password=True)
    return i18n.t("cli.run.platform", platform=platform) + "\n" + i18n.t("cli.run.database", database=database)


def _python(*command: str) -> list[str]:
    return [sys.executable, "-m", "lib", "--lang", i18n.current(), *command]  # the children speak the same language


def _wait_for_sandbox(settings: Settings, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + SANDBOX_START_SECONDS
    while running_sandbox_url(settings.sandbox_dir) is None:
        if process.poll() is not None:
            raise RuntimeError(i18n.t("cli.run.sandbox_stopped"))
        if time.monotonic() > deadline:
            raise RuntimeError(i18n.t("cli.run.sandbox_slow", seconds=SANDBOX_START_SECONDS))
        time.sleep(0.1)


def _stop_all(children: list[subprocess.Popen]) -> None:
    """The app first, then the worker (it finishes the chunk it is posting), the sandbox last."""
    for child in reversed(children):
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in reversed(children):
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
