"""Sends run in a background thread, not in the page's script run.

A Streamlit script run can be interrupted at any moment by a rerun (another click, a widget
change); a send must never be cut off by that. So the page starts a job and then only watches
it: the job keeps going, and its every step is in the history store anyway.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from lib.sending.engine import ChunkProgress, SendOutcome


@dataclass
class SendJob:
    id: str
    label: str
    progress: ChunkProgress | None = None
    outcome: SendOutcome | None = None
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def running(self) -> bool:
        return not self.done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self.done.wait(timeout)


_jobs: dict[str, SendJob] = {}
_lock = threading.Lock()


def start_job(label: str, work: Callable[[Callable[[ChunkProgress], None]], SendOutcome]) -> SendJob:
    """Run `work(on_progress)` in a thread; the returned job records progress, outcome or error."""
    job = SendJob(id=uuid.uuid4().hex, label=label)

    def on_progress(progress: ChunkProgress) -> None:
        job.progress = progress

    def run() -> None:
        try:
            job.outcome = work(on_progress)
        except BaseException as exc:  # the page shows it; nothing may die silently in a thread
            job.error = exc
        finally:
            job.done.set()

    with _lock:
        _jobs[job.id] = job
    threading.Thread(target=run, name=f"send-{job.id[:8]}", daemon=True).start()
    return job


def get_job(job_id: str | None) -> SendJob | None:
    with _lock:
        return _jobs.get(job_id) if job_id else None
