"""The results journal: where a POST's answer goes when the database cannot take it.

Between a POST and the write of its result the database may be locked or full. The engine retries
the write for a bounded time; if it still fails, the answer (send, chunk, seq, dispatch id, what the
platform said, when) is appended as one JSON line to this append-only file beside the database, the
dispatch id is printed, and the send stops. The next start (worker, `python -m lib send`, the app's
runtime) replays the file into the store before anything else, and empties it only after every
line was applied. Appends and the replay hold an exclusive lock on the file (fcntl), so a line
appended during a replay is never lost by the truncation.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

DATETIME_KEYS = ("created_at", "send_at")  # in a line's `dispatch` part


def journal_path_for(database_url: str, data_dir: Path = Path("data")) -> Path:
    """SQLite: next to the database file; PostgreSQL (or anything else): under data/, named after the database."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        db = Path(url.database).expanduser()
        return db.with_name(db.name + ".results-journal.jsonl")
    name = f"{url.host or 'local'}_{url.port or ''}_{url.database or 'db'}".replace("/", "_")
    return data_dir / f"{name}.results-journal.jsonl"


class ResultJournal:
    def __init__(self, path: Path):
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"ResultJournal({str(self.path)!r})"

    @contextmanager
    def _locked(self, mode: str) -> Iterator:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, mode, encoding="utf-8") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield handle
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def append(self, entry: dict) -> None:
        """One line, flushed and fsynced before returning: it must survive the process."""
        line = json.dumps(entry, ensure_ascii=False, default=_encode, separators=(",", ":"))
        with self._locked("a") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def entries(self) -> list[dict]:
        if not self.path.exists():
            return []
        with self._locked("r") as handle:
            return _parse(handle.read())[0]

    def replay(self, apply) -> int:
        """Apply every line with `apply(entry)` (which must be idempotent: a replay cut short is run
        again in full), then empty the file. Returns the number of lines applied. If `apply` raises,
        the file is left as it was and the error propagates."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return 0
        with self._locked("r+") as handle:
            entries, damaged = _parse(handle.read())
            for entry in entries:
                apply(entry)
            if damaged:  # kept for a person to read, never silently dropped
                with open(self.path.with_name(self.path.name + ".damaged"), "a", encoding="utf-8") as aside:
                    aside.write("".join(line + "\n" for line in damaged))
            handle.seek(0)
            handle.truncate()
            handle.flush()
            os.fsync(handle.fileno())
        if entries:
            log.info("replayed %s result(s) from %s into the store", len(entries), self.path)
        return len(entries)


def _encode(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot journal {type(value).__name__}")


def _parse(text: str) -> tuple[list[dict], list[str]]:
    entries, damaged = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:  # a line cut by a crash mid-write: keep going, say so
            log.error("results journal line %s is damaged; kept aside in .damaged: %r", number, line[:200])
            damaged.append(line)
            continue
        dispatch = entry.get("dispatch")
        if dispatch:
            for key in DATETIME_KEYS:
                if dispatch.get(key):
                    dispatch[key] = datetime.fromisoformat(dispatch[key])
        entries.append(entry)
    return entries, damaged
