"""One sandbox per process, started on demand: the console's default when MESSAGING_API_URL is unset.

Streamlit reruns scripts and may build several sessions at once, so the start is guarded by a
module-level lock and the running sandbox is kept as a singleton until the process exits.
"""

from __future__ import annotations

import atexit
import logging
import shutil
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from lib.sandbox.server import RunningSandbox, SandboxConfig, run_sandbox_in_thread
from lib.templates import SHIPPED_CATALOG

log = logging.getLogger(__name__)

_lock = threading.Lock()
_running: RunningSandbox | None = None


def start_embedded_sandbox(data_dir: Path, **overrides: Any) -> RunningSandbox:
    """Start the process's sandbox on a free loopback port (or return the one already running).

    `overrides` are SandboxConfig fields (user, password, step_seconds, allowed_countries,
    timezone, templates_path, port); they only apply to the first call in a process."""
    global _running
    with _lock:
        if _running is not None:
            return _running
        config = replace(SandboxConfig(host="127.0.0.1", port=0, data_dir=Path(data_dir)), **overrides)
        _running = run_sandbox_in_thread(config)
        atexit.register(_running.stop)
        log.info("Embedded sandbox listening on %s (data in %s)", _running.url, config.data_dir)
        return _running


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
