"""One sandbox per process, started on demand: the console's default when MESSAGING_API_URL is unset.

Streamlit reruns scripts and may build several sessions at once, so the start is guarded by a
module-level lock and the running sandbox is kept as a singleton until the process exits.
"""

from __future__ import annotations

import atexit
import logging
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from lib.sandbox.server import RunningSandbox, SandboxConfig, run_sandbox_in_thread

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


def embedded_sandbox_for(settings: Any) -> RunningSandbox:
    """The embedded sandbox configured from the console's Settings, accepting its user and password."""
    return start_embedded_sandbox(
        settings.sandbox_dir,
        port=settings.sandbox_port,
        user=settings.api_user,
        password=settings.api_password,
        step_seconds=settings.sandbox_step_seconds,
        allowed_countries=tuple(settings.allowed_countries),
        timezone=settings.timezone,
    )
