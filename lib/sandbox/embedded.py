"""The console's sandbox when MESSAGING_API_URL is unset: found if one is running, started if not.

`make run` starts the sandbox as its own process (`python -m lib sandbox`), which publishes its
address in `<sandbox dir>/sandbox.json`. The app, the worker and every command line (`send`,
`refresh`, `check`…) read that file, so they all talk to the same sandbox and read the same
template catalog without flags. A process that finds none running (a command run alone, a test)
starts one on a background thread and publishes it the same way.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lib.sandbox.server import SandboxConfig
from lib.templates import SHIPPED_CATALOG

ADDRESS_FILE = "sandbox.json"


def sandbox_catalog(sandbox_dir: Path) -> Path:
    """The sandbox's own copy of the catalog, made on first use: the Templates page edits this
    copy, never the one shipped in the repository."""
    path = Path(sandbox_dir) / "templates.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SHIPPED_CATALOG, path)
    return path


def sandbox_config_for(settings: Any) -> SandboxConfig:
    """The sandbox the console's Settings describe, accepting the console's own user and password."""
    return SandboxConfig(
        host="127.0.0.1",
        port=settings.sandbox_port,
        user=settings.api_user,
        password=settings.api_password,
        templates_path=sandbox_catalog(settings.sandbox_dir),
        data_dir=Path(settings.sandbox_dir),
        allowed_countries=tuple(settings.allowed_countries),
        step_seconds=settings.sandbox_step_seconds,
        timezone=settings.timezone,
    )


def publish_address(sandbox_dir: Path, url: str) -> Path:
    """Say where this process's sandbox listens (written atomically: readers never see half a file)."""
    path = Path(sandbox_dir) / ADDRESS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps({"url": url, "pid": os.getpid()}), encoding="utf-8")
    partial.replace(path)
    return path


def withdraw_address(sandbox_dir: Path) -> None:
    """Remove the address file if it is this process's own."""
    path = Path(sandbox_dir) / ADDRESS_FILE
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def running_sandbox_url(sandbox_dir: Path) -> str | None:
    """The address of a sandbox that is running for this data directory, or None.

    Running means: its process is alive and its port accepts connections (a file left behind by a
    process that was killed is ignored)."""
    try:
        found = json.loads((Path(sandbox_dir) / ADDRESS_FILE).read_text(encoding="utf-8"))
        url, pid = str(found["url"]), int(found["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _process_alive(pid):
        return None
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1") or parts.port is None:
        return None  # only ever a loopback sandbox: the file must not redirect sends elsewhere
    with socket.socket() as probe:
        probe.settimeout(1.0)
        if probe.connect_ex((parts.hostname, parts.port)) != 0:
            return None
    return url


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
