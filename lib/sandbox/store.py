"""Dispatch state and the outbox, persisted under the sandbox's data dir.

State is derived, not driven by a timer: a dispatch's status at time t follows from when it was
created, its scheduleDate and the step length it was created with. Whenever someone looks (a GET,
or a read of the outbox) the store brings due dispatches up to date and, the first time one is
fully queued, appends its rendered messages to outbox.jsonl. A SQLite write transaction around
"mark flushed + append" makes each message appear once, across threads and processes.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from lib.sandbox.rendering import fill_tags

log = logging.getLogger(__name__)

FIRST_DISPATCH_ID = 180000
DRAFT, PENDING, QUEUED, ERROR = 1, 2, 3, 7
GAVE_UP = 2  # `fails` of a dispatch the outbox writer could not deliver (1: the error template knob)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS dispatches (
    id INTEGER PRIMARY KEY,
    template_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at REAL NOT NULL,        -- unix seconds
    schedule_at REAL,                -- unix seconds, NULL when sent now
    step_seconds REAL NOT NULL,
    fails INTEGER NOT NULL,          -- 1: ends in Error (the error_template_ids knob)
    total_recipients INTEGER NOT NULL,
    status INTEGER NOT NULL,         -- last status persisted
    modified_at REAL NOT NULL,
    flushed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS recipients (
    dispatch_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    unique_id TEXT NOT NULL,
    address TEXT NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (dispatch_id, seq)
);
"""


@dataclass(frozen=True)
class ValidRecipient:
    unique_id: str
    address: str  # the channel's address: mobile for SMS, email for Email
    payload: Mapping[str, str]


@dataclass(frozen=True)
class Timeline:
    """When a dispatch moves: Draft until pending_at, Pending until queued_at, then Queued or Error."""

    created_at: float
    pending_at: float
    queued_at: float
    finished_at: float

    @classmethod
    def of(cls, created_at: float, schedule_at: float | None, step: float, recipients: int) -> Timeline:
        pending_at = created_at + step
        queued_at = created_at + 2 * step
        if schedule_at is not None and schedule_at > created_at:
            queued_at = max(queued_at, schedule_at + step)
        # Queuing takes a moment, so a poller can see "started but not finished".
        finished_at = queued_at + min(step / 4, 0.001 * recipients)
        return cls(created_at, pending_at, queued_at, finished_at)


class DispatchStore:
    def __init__(self, data_dir: Path, tz: tzinfo):
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.tz = tz
        self.db_path = self.data_dir / "sandbox.db"
        self.outbox_path = self.data_dir / "outbox.jsonl"
        self._lock = threading.Lock()  # one writer at a time in this process; SQLite locks across processes
        self._db = sqlite3.connect(self.db_path, timeout=30, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def create(
        self,
        *,
        template_id: int,
        channel: str,
        subject: str,
        body: str,
        recipients: list[ValidRecipient],
        schedule_at: datetime | None,
        step_seconds: float,
        fails: bool,
        now: float,
    ) -> int:
        """Store a new dispatch (with a snapshot of its template) and return its id."""
        with self._write() as db:
            (last,) = db.execute("SELECT MAX(id) FROM dispatches").fetchone()
            dispatch_id = max(int(last or 0) + 1, FIRST_DISPATCH_ID)
            db.execute(
                "INSERT INTO dispatches (id, template_id, channel, subject, body, created_at, schedule_at,"
                " step_seconds, fails, total_recipients, status, modified_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    dispatch_id,
                    template_id,
                    channel,
                    subject,
                    body,
                    now,
                    schedule_at.timestamp() if schedule_at else None,
                    step_seconds,
                    int(fails),
                    len(recipients),
                    DRAFT,
                    now,
                ),
            )
            db.executemany(
                "INSERT INTO recipients (dispatch_id, seq, unique_id, address, payload) VALUES (?,?,?,?,?)",
                [
                    (dispatch_id, seq, r.unique_id, r.address, json.dumps(dict(r.payload), ensure_ascii=False))
                    for seq, r in enumerate(recipients)
                ],
            )
        return dispatch_id

    def get(self, dispatch_id: int, now: float) -> dict[str, Any] | None:
        """The dispatch as the platform's GET shows it at `now`, or None. Brings it up to date first."""
        self._advance(now, only_id=dispatch_id)
        with self._lock:
            row = self._db.execute("SELECT * FROM dispatches WHERE id = ?", (dispatch_id,)).fetchone()
            columns = [c[0] for c in self._db.execute("SELECT * FROM dispatches LIMIT 0").description]
        if row is None:
            return None
        return self._wire(dict(zip(columns, row, strict=True)), now)

    def flush_due(self, now: float) -> None:
        """Bring every dispatch up to date at `now`, writing the outbox for newly queued ones."""
        self._advance(now, only_id=None)

    def outbox(self, now: float) -> list[dict[str, Any]]:
        self.flush_due(now)
        with self._lock:  # in this process, never read while a flush is writing
            try:
                text = self.outbox_path.read_text(encoding="utf-8")
            except FileNotFoundError:
                return []
        # Another process may be mid-append: only lines ended by a newline are complete.
        return [json.loads(line) for line in text.split("\n")[:-1] if line.strip()]

    # ---- lifecycle ---------------------------------------------------------------------------

    def _advance(self, now: float, only_id: int | None) -> None:
        where = "flushed = 0" + (" AND id = ?" if only_id is not None else "")
        params = (only_id,) if only_id is not None else ()
        with self._lock:
            pending = self._db.execute(f"SELECT id FROM dispatches WHERE {where}", params).fetchall()
        for (dispatch_id,) in pending:
            try:
                self._advance_one(dispatch_id, now)
            except Exception:  # one dispatch the writer cannot handle must not stop every later one
                log.exception("Sandbox dispatch %s cannot be delivered; it ends in Error", dispatch_id)
                self._give_up(dispatch_id, now)

    def _give_up(self, dispatch_id: int, now: float) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE dispatches SET status = ?, modified_at = ?, flushed = 1, fails = ? WHERE id = ?",
                (ERROR, now, GAVE_UP, dispatch_id),
            )

    def _advance_one(self, dispatch_id: int, now: float) -> None:
        with self._write() as db:
            row = db.execute(
                "SELECT template_id, channel, subject, body, created_at, schedule_at, step_seconds, fails,"
                " total_recipients, status, flushed FROM dispatches WHERE id = ?",
                (dispatch_id,),
            ).fetchone()
            template_id, channel, subject, body, created, schedule, step, fails, total, old, flushed = row
            if flushed:
                return  # another thread or process got here first
            timeline = Timeline.of(created, schedule, step, total)
            status, changed_at = _status_at(timeline, bool(fails), now)
            done = now >= timeline.finished_at or status == ERROR
            if status != old:
                db.execute(
                    "UPDATE dispatches SET status = ?, modified_at = ? WHERE id = ?",
                    (status, changed_at, dispatch_id),
                )
            if done:
                if status == QUEUED:
                    self._append_outbox(db, dispatch_id, template_id, channel, subject, body, timeline.queued_at)
                db.execute("UPDATE dispatches SET flushed = 1 WHERE id = ?", (dispatch_id,))

    def _append_outbox(
        self,
        db: sqlite3.Connection,
        dispatch_id: int,
        template_id: int,
        channel: str,
        subject: str,
        body: str,
        queued_at: float,
    ) -> None:
        rows = db.execute(
            "SELECT unique_id, address, payload FROM recipients WHERE dispatch_id = ? ORDER BY seq", (dispatch_id,)
        ).fetchall()
        queued_text = datetime.fromtimestamp(queued_at, self.tz).isoformat(timespec="milliseconds")
        lines = []
        for unique_id, address, payload_json in rows:
            payload = json.loads(payload_json)
            message: dict[str, Any] = {
                "dispatchId": dispatch_id,
                "templateId": template_id,
                "channel": channel,
                "uniqueId": unique_id,
                "to": address,
            }
            if channel == "email":
                message["subject"] = fill_tags(subject, payload)
            message["text"] = fill_tags(body, payload, escape_html=channel == "email")
            message["queuedAt"] = queued_text
            lines.append(json.dumps(message, ensure_ascii=False) + "\n")
        # Written inside the SQLite write transaction: the flushed flag commits only after the lines are on disk.
        with self.outbox_path.open("a", encoding="utf-8") as outbox:
            outbox.write("".join(lines))
            outbox.flush()
            os.fsync(outbox.fileno())

    # ---- wire format -------------------------------------------------------------------------

    def _local(self, seconds: float | None) -> str | None:
        """The platform's style: local time without offset, milliseconds with trailing zeros cut."""
        if seconds is None:
            return None
        try:
            moment = datetime.fromtimestamp(seconds, self.tz).replace(tzinfo=None)
        except (OverflowError, OSError, ValueError):  # the server refuses such dates; old data may hold one
            return None
        text = moment.isoformat(timespec="milliseconds").rstrip("0").rstrip(".")
        return text

    def _wire(self, row: dict[str, Any], now: float) -> dict[str, Any]:
        timeline = Timeline.of(row["created_at"], row["schedule_at"], row["step_seconds"], row["total_recipients"])
        status, _ = _status_at(timeline, bool(row["fails"]), now)
        started = status in (QUEUED, ERROR)
        finished = status == QUEUED and now >= timeline.finished_at
        send_at = row["schedule_at"] if row["schedule_at"] is not None else row["created_at"]
        return {
            "dispatchId": row["id"],
            "campaignMessageId": row["template_id"],
            "scheduleId": None,
            "createdAt": self._local(row["created_at"]),
            "startedQueuingAt": self._local(timeline.queued_at) if started else None,
            "finishedQueuingAt": self._local(timeline.finished_at) if finished else None,
            "messageTypeId": 2 if row["channel"] == "email" else 1,
            "isTest": False,
            "isInitialized": status != DRAFT,
            "hasStartedQueuing": started,
            "hasFinishedQueuing": finished,
            "totalRecipients": row["total_recipients"],
            "sendStatusId": status,
            "errorMessage": _error_message(row) if status == ERROR else None,
            "lastUpdate": self._local(row["modified_at"]) if status != DRAFT else None,
            "queueAt": self._local(send_at),
            "sendAt": self._local(send_at),
            "legacyCode1": None,
            "gatewayId": "",
            "gatewayId1": "",
            "creationDate": self._local(row["created_at"]),
            "modifiedDate": self._local(row["modified_at"]),
        }


def _error_message(row: dict[str, Any]) -> str:
    if row["fails"] == GAVE_UP:
        return "The sandbox could not deliver this dispatch (see the sandbox's log)"
    return f"Template {row['template_id']} is set to fail in this sandbox (error template knob)"


def _status_at(timeline: Timeline, fails: bool, now: float) -> tuple[int, float]:
    """The status at `now` and when it began."""
    if now < timeline.pending_at:
        return DRAFT, timeline.created_at
    if now < timeline.queued_at:
        return PENDING, timeline.pending_at
    return (ERROR if fails else QUEUED), timeline.queued_at
