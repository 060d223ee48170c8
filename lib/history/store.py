"""Open the history store and read/write sends, chunks, dispatches and the template catalog.

`open_store(url)` is cheap to call on every Streamlit rerun: one engine (and one migration check,
see `lib.history.migrate`) per URL per process. Two engines: SQLite (the embedded default) runs in
WAL mode with a busy timeout and foreign keys on, and its write transactions start with BEGIN
IMMEDIATE so two processes writing at once wait for each other instead of failing half-way;
PostgreSQL (`postgresql+psycopg://…`, for teams) uses ordinary transactions, with unique constraints
and compare-and-set updates deciding every race. Database faults surface as StoreError: one
sentence naming the database and what to do.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import Connection, Engine, Table, create_engine, event, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError, DBAPIError, IntegrityError, OperationalError

from lib import i18n
from lib.history import schema as s
from lib.history.migrate import MigrationRefused, MigrationReport, migrate
from lib.sending.status import ChunkStatus, transition
from lib.templates import Channel, Template, TemplateKind

SQLITE_BUSY_TIMEOUT = 15.0  # seconds; the CONSOLE_DB_BUSY_TIMEOUT setting
SANDBOX_PLATFORM = "sandbox"  # the platform key of every sandbox send and dispatch


APPROVAL_AWAITING = "awaiting"  # sends.queue_state of a send waiting for an approver (lib.approvals)
APPROVAL_STATES = {"approved": "queued", "rejected": "rejected", "expired": "expired"}  # decision -> queue_state


class StoreError(RuntimeError):
    """The history database cannot be used as it is; str() is a sentence for the user, in the reader's
    language when it is read (the argument is an i18n.Msg)."""


class ClaimTaken(Exception):
    """Another send already holds this claim (same manifest, or the same override)."""

    def __init__(self, claim: str, holder_send_id: int):
        super().__init__(f"claim already held by send #{holder_send_id}")
        self.claim = claim
        self.holder_send_id = holder_send_id


def utcnow() -> datetime:
    return datetime.now(UTC)


def strip_credentials(url: str) -> str:
    """`https://user:pw@host/x` -> `https://host/x`: credentials never reach the database."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


# ---------------------------------------------------------------------------------------------
# Records returned to callers (plain frozen dataclasses; no SQLAlchemy rows leak out)


@dataclass(frozen=True)
class SendRecord:
    id: int
    manifest_hash: str
    claim: str
    template_id: int
    template_name: str
    channel: str
    schedule_at: datetime | None
    created_at: datetime
    created_by: str
    platform_url: str
    is_sandbox: bool
    is_test: bool
    resend_of: int | None
    total_recipients: int
    excluded_recipients: int
    estimated_parts: int | None
    estimated_cost: Decimal | None
    batch_size: int
    platform: str = SANDBOX_PLATFORM  # the platform key (see platform_key)
    # the queue (issue 10): 'queued' until a run posted every chunk it could, then 'done'
    queue_state: str = "done"
    queued_at: datetime | None = None
    lease_owner: str | None = None  # the worker posting it (while lease_expires_at is ahead)
    lease_expires_at: datetime | None = None
    finished_at: datetime | None = None
    not_before: datetime | None = None  # held until then (quiet hours reached part-way)
    language: str | None = None  # the submitter's language (issue 13): the worker posts in it
    # chunk status -> number of chunks; recipient counts per status
    chunk_counts: dict[str, int] = field(default_factory=dict)
    recipient_counts: dict[str, int] = field(default_factory=dict)

    @property
    def chunk_total(self) -> int:
        return sum(self.chunk_counts.values())

    @property
    def any_accepted(self) -> bool:
        return self.chunk_counts.get(ChunkStatus.ACCEPTED, 0) + self.chunk_counts.get(ChunkStatus.MARKED_SENT, 0) > 0

    @property
    def fully_accepted(self) -> bool:
        finished = sum(self.chunk_counts.get(s, 0) for s in (ChunkStatus.ACCEPTED, ChunkStatus.MARKED_SENT,
                                                              ChunkStatus.LEFT_OUT))  # fmt: skip
        return self.any_accepted and finished == self.chunk_total

    def lease_held(self, now: datetime) -> bool:
        """A worker is posting this send right now (its lease has not expired)."""
        return self.lease_owner is not None and self.lease_expires_at is not None and self.lease_expires_at > now

    @property
    def state(self) -> str:
        """'accepted' (every chunk went out), 'partial' (some did), 'unknown' (none certainly did,
        some may have), 'in progress' (a chunk is being posted) or 'not sent'."""
        if self.fully_accepted:
            return "accepted"
        if self.any_accepted:
            return "partial"
        if self.chunk_counts.get(ChunkStatus.UNKNOWN, 0):
            return "unknown"
        if self.chunk_counts.get(ChunkStatus.POSTING, 0):
            return "in progress"
        return "not sent"


@dataclass(frozen=True)
class ApprovalRecord:
    send_id: int
    manifest_hash: str
    decision: str  # approved | rejected | expired
    decided_by: str
    decided_at: datetime
    reason: str | None


@dataclass(frozen=True)
class SendReview:
    """A send submitted for approval: the send, who submitted it, what they saw, the decisions so far."""

    send: SendRecord
    submitted_by: str
    submitted_at: datetime
    summary: dict
    decisions: tuple[ApprovalRecord, ...] = ()


@dataclass(frozen=True)
class ChunkRecord:
    id: int
    send_id: int
    seq: int
    status: ChunkStatus
    recipient_count: int
    dispatch_id: int | None
    total_recipients_sent: int | None
    invalid_recipients: int | None
    invalid_json: str | None
    error_message: str | None
    attempts: int
    updated_at: datetime
    # The platform's answer as received, kept only when its figures did not add up (see SendResult).
    platform_answer: str | None = None
    # The note as a catalog key and JSON parameters, rendered in the reader's language (issue 13).
    error_code: str | None = None
    error_params: str | None = None

    @property
    def platform_invalids(self) -> dict:
        """{"invalidEmails": [...], "invalidMobiles": [{"uniqueId", "mobile"}]} as the platform returned."""
        return json.loads(self.invalid_json) if self.invalid_json else {"invalidEmails": [], "invalidMobiles": []}


STOPPED_WHILE_POSTING = "The console stopped while this chunk was being sent; it may have gone out"
STOPPED_WHILE_POSTING_CODE = "sending.note.stopped_while_posting"  # its words in the reader's language


@dataclass(frozen=True)
class SendClaim:
    """A lease on one send: only `owner` posts its chunks until the lease expires."""

    send_id: int
    owner: str
    queued_at: datetime | None  # as seen when claimed: a send queued again meanwhile is not finished
    previous_owner: str | None = None  # set when this claim took the send over from another worker
    became_unknown: tuple[int, ...] = ()  # seq of chunks found `posting` and recorded unknown


@dataclass(frozen=True)
class SendDetail:
    send: SendRecord
    chunks: tuple[ChunkRecord, ...]


@dataclass(frozen=True)
class StoredRecipient:
    chunk_id: int
    position: int
    unique_id: str
    row_number: int
    destination: str
    card_number: str | None
    payload: dict[str, str]


@dataclass(frozen=True)
class NewRecipient:
    """One recipient row to write for a chunk (what the engine hands the store)."""

    unique_id: str
    row_number: int
    destination: str
    card_number: str | None
    payload: Sequence[tuple[str, str]]


# ---------------------------------------------------------------------------------------------
# Opening


_STORES: dict[tuple[str, float], HistoryStore] = {}
_STORES_LOCK = threading.Lock()


def open_store(database_url: str, *, shared: bool = True, busy_timeout: float | None = None) -> HistoryStore:
    """The store for `database_url`, created or migrated (under a lock) on first use in this process.

    Raises StoreError, with one sentence naming the database and what to do, when it cannot be used
    (a zero-byte, damaged, read-only or locked SQLite file; an unreachable PostgreSQL). An existing
    file is never replaced. `shared=False` gives a store with its own connection pool, as a second
    process would have. `busy_timeout`: seconds to wait for another process's SQLite write lock."""
    timeout = SQLITE_BUSY_TIMEOUT if busy_timeout is None else busy_timeout
    if not shared:
        return _open(database_url, timeout)
    with _STORES_LOCK:
        store = _STORES.get((database_url, timeout))
        if store is None:
            store = _STORES[(database_url, timeout)] = _open(database_url, timeout)
        return store


def _open(database_url: str, busy_timeout: float) -> HistoryStore:
    store = HistoryStore(_make_engine(database_url, busy_timeout), database_url, busy_timeout=busy_timeout)
    try:
        store.ensure_schema()
    except BaseException:
        store.engine.dispose()
        raise
    return store


def close_all_stores() -> None:
    """Dispose every cached engine (tests; a process about to exit)."""
    with _STORES_LOCK:
        for store in _STORES.values():
            store.engine.dispose()
        _STORES.clear()


def describe_database(database_url: str) -> str:
    """The database as a person can find it: the SQLite file's path, or the URL without its password."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return str(Path(url.database).expanduser().resolve()) if _is_file_database(url.database) else "memory"
    return url.render_as_string(hide_password=True).replace(":***@", "@")


def _is_file_database(path: str | None) -> bool:
    return bool(path) and path != ":memory:" and not path.startswith("file:")


def _make_engine(database_url: str, busy_timeout: float) -> Engine:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if _is_file_database(url.database):
            _prepare_sqlite_file(Path(url.database).expanduser().resolve())
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": busy_timeout})
        event.listen(engine, "connect", functools.partial(_sqlite_on_connect, busy_ms=int(busy_timeout * 1000)))
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


SQLITE_HEADER = b"SQLite format 3\x00"


def _prepare_sqlite_file(path: Path) -> None:
    """Refuse a file that is not a usable SQLite database; create a missing one atomically.

    SQLite treats a zero-byte file as an empty database, so a file someone truncated would be
    silently recreated and the same list sent again: we refuse it instead. A new file is built
    beside the target and linked into place, so another starting process never sees it half-made."""
    where = str(path)
    if path.is_dir():
        raise StoreError(i18n.Msg("history.store.folder", where=where))
    if not path.exists():
        _create_sqlite_file(path)
        return
    try:
        with path.open("rb") as f:
            header = f.read(100)
    except PermissionError:
        raise StoreError(_read_only(where)) from None
    if not header:
        raise StoreError(i18n.Msg("history.store.empty", where=where))
    if not header.startswith(SQLITE_HEADER) or _looks_truncated(path, header):
        raise StoreError(_damaged(where))
    if not os.access(path, os.R_OK | os.W_OK) or not os.access(path.parent, os.W_OK | os.X_OK):
        raise StoreError(_read_only(where))


def _looks_truncated(path: Path, header: bytes) -> bool:
    """The header says how many pages there are; a shorter file lost its end. (With a non-empty
    write-ahead log the main file may lag behind, so nothing is concluded then.)"""
    if len(header) < 100:
        return True
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return False
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    counter_valid = header[24:28] == header[92:96]
    return counter_valid and pages > 0 and path.stat().st_size < pages * page_size


def _create_sqlite_file(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".new", dir=path.parent)
    except OSError as exc:
        raise StoreError(i18n.Msg("history.store.cannot_create", where=str(path), reason=str(exc.strerror))) from None
    os.close(fd)
    try:
        with contextlib.closing(sqlite3.connect(temp)) as new:
            new.execute("PRAGMA journal_mode=WAL")  # writes the header: the file is a database from now on
        with contextlib.suppress(FileExistsError):  # another process created the file first: use theirs
            os.link(temp, path)  # atomic: never replaces an existing file
    finally:
        for leftover in (temp, temp + "-wal", temp + "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(leftover)


def _read_only(where: str) -> i18n.Msg:
    return i18n.Msg("history.store.read_only", where=where)


def _damaged(where: str) -> i18n.Msg:
    return i18n.Msg("history.store.damaged", where=where)


def _locked(where: str, seconds: float) -> i18n.Msg:
    return i18n.Msg("history.store.locked", where=where, n=seconds)


def _sqlite_on_connect(dbapi_connection, _record, *, busy_ms: int) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see _sqlite_on_begin)
    cursor = dbapi_connection.cursor()
    # busy_timeout first: switching a new file to WAL needs a lock another process may hold.
    cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    # IMMEDIATE takes the write lock up front: a transaction that reads then writes cannot be
    # refused half-way because another process wrote in between. (PostgreSQL needs no such thing:
    # its row locks and unique constraints serialise the few places that read then write.)
    immediate = connection.get_execution_options().get("history_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def platform_key(platform_url: str, is_sandbox: bool) -> str:
    """The short key a send, its claim and its dispatches carry: "sandbox", or the live URL
    without credentials. Dispatch ids are only unique per platform."""
    return SANDBOX_PLATFORM if is_sandbox else strip_credentials(platform_url).rstrip("/")


# ---------------------------------------------------------------------------------------------


class HistoryStore:
    """The history database. `platform`, when set (see `for_platform`), is the platform this console
    talks to: refresh asks only about its dispatches and the Dispatches page shows only its history."""

    def __init__(self, engine: Engine, url: str, platform: str | None = None, *, busy_timeout: float = 0.0):
        self.engine = engine
        self.url = url
        self.platform = platform
        self.busy_timeout = busy_timeout
        self.last_migration: MigrationReport | None = None
        # name -> writer(conn, send_values, [(chunk_id, members)]): called inside create_send's own
        # transaction, so what a writer records (the ledger) exists exactly when the send does.
        self.send_writers: dict[str, Callable[[Connection, dict, list[tuple[int, Sequence[NewRecipient]]]], None]] = {}

    def __repr__(self) -> str:
        return f"HistoryStore({self.engine.url!r}, platform={self.platform!r})"  # the URL repr masks any password

    def for_platform(self, platform: str | None) -> HistoryStore:
        """The same database (same engine), seen from one platform."""
        return HistoryStore(self.engine, self.url, platform, busy_timeout=self.busy_timeout)

    @property
    def where(self) -> str:
        return describe_database(self.url)

    # -- transactions --------------------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction (BEGIN IMMEDIATE on SQLite), committed on exit."""
        with self._faults(), self.engine.connect() as conn:
            conn = conn.execution_options(history_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self._faults(), self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def _faults(self) -> Iterator[None]:
        """Faults of the database itself (locked, read-only, damaged, full, unreachable) become
        StoreError with a sentence. What the data or the schema refuses (a claim taken, a trigger)
        is the caller's business and passes through as it is."""
        try:
            yield
        except OperationalError as exc:
            raise StoreError(self.fault_sentence(exc)) from exc
        except DatabaseError as exc:
            if type(exc.orig) is sqlite3.DatabaseError:  # "file is not a database", "disk image is malformed"
                raise StoreError(self.fault_sentence(exc)) from exc
            raise

    def fault_sentence(self, exc: DBAPIError) -> i18n.Msg:
        message = str(exc.orig).lower()
        if self.engine.dialect.name != "sqlite":
            first = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig).__name__
            return i18n.Msg("history.store.postgres", where=self.where, reason=first)
        if "locked" in message or "busy" in message:
            return _locked(self.where, self.busy_timeout)
        if "readonly" in message or "read-only" in message or "unable to open" in message:
            return _read_only(self.where)
        if "full" in message:
            return i18n.Msg("history.store.disk_full", where=self.where)
        return _damaged(self.where)

    # -- schema --------------------------------------------------------------------------------

    def ensure_schema(self) -> MigrationReport:
        """Create the schema on an empty database, migrate an older one, refuse a newer or foreign one."""
        try:
            with self._faults():
                self.last_migration = migrate(self.engine)
                return self.last_migration
        except MigrationRefused as exc:
            raise StoreError(f"{self.where}: {exc}") from None

    def version(self) -> str | None:
        """The Alembic revision the database is at."""
        from alembic.runtime.migration import MigrationContext  # Alembic is loaded only when asked

        with self.read() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    # -- sends ---------------------------------------------------------------------------------

    def create_send(
        self,
        *,
        manifest_hash: str,
        claim: str,
        template_id: int,
        template_name: str,
        channel: str,
        schedule_at: datetime | None,
        created_by: str,
        platform_url: str,
        is_sandbox: bool,
        is_test: bool,
        resend_of: int | None,
        excluded_recipients: int,
        estimated_parts: int | None,
        estimated_cost: Decimal | None,
        batch_size: int,
        chunks: Sequence[Sequence[NewRecipient]],
        now: datetime | None = None,
        queued: bool = False,
        awaiting_approval: bool = False,
        template_version: str = "",
        review: dict | None = None,
        language: str | None = None,
    ) -> int:
        """Write the send, every chunk (pending) and every recipient in ONE transaction, before any
        POST. Raises ClaimTaken if another send to the same platform holds `claim` (enforced by the
        UNIQUE (platform, claim) constraint: a sandbox rehearsal never holds a live send's claim).
        `queued=True` puts it in the send queue for a worker (the engine's enqueue);
        `awaiting_approval=True` records it as waiting for an approver instead (no worker claims it),
        with `review` (lib.approvals.send_summary: what the sender saw) in the same transaction."""
        now = now or utcnow()
        values = dict(
            manifest_hash=manifest_hash,
            claim=claim,
            platform=platform_key(platform_url, is_sandbox),
            template_id=template_id,
            template_name=template_name,
            channel=str(channel),
            schedule_at=schedule_at,
            created_at=now,
            created_by=created_by,
            platform_url=strip_credentials(platform_url),
            is_sandbox=is_sandbox,
            is_test=is_test,
            resend_of=resend_of,
            total_recipients=sum(len(c) for c in chunks),
            excluded_recipients=excluded_recipients,
            estimated_parts=estimated_parts,
            estimated_cost=None if estimated_cost is None else str(estimated_cost),
            batch_size=batch_size,
            queue_state=APPROVAL_AWAITING if awaiting_approval else "queued" if queued else "done",
            queued_at=now if queued and not awaiting_approval else None,
            language=language,  # the submitter's: the worker posts it in that language
        )
        platform = values["platform"]
        try:
            with self.write() as conn:
                send_id = conn.execute(insert(s.sends).values(**values)).inserted_primary_key[0]
                written = [
                    (self._insert_chunk(conn, send_id, seq, members, now), members)
                    for seq, members in enumerate(chunks, start=1)
                ]
                record = {**values, "id": int(send_id)}  # writers may add what the audit row should say
                for writer in list(self.send_writers.values()):
                    writer(conn, record, written)
                if awaiting_approval:
                    conn.execute(insert(s.send_reviews).values(
                        send_id=send_id, submitted_by=created_by, submitted_at=now,
                        summary=json.dumps(review or {}, ensure_ascii=False, sort_keys=True, default=str),
                    ))
                from lib import audit  # the submission and its audit event commit together

                audit.record_send(conn, record, template_version=template_version)
                return int(send_id)
        except IntegrityError:
            holder = self.send_holding_claim(claim, platform)
            if holder is None:  # not the claim: a genuine integrity problem
                raise
            raise ClaimTaken(claim, holder) from None

    @staticmethod
    def _insert_chunk(conn: Connection, send_id: int, seq: int, members: Sequence[NewRecipient], now: datetime) -> int:
        chunk_id = conn.execute(
            insert(s.chunks).values(
                send_id=send_id,
                seq=seq,
                status=ChunkStatus.PENDING.value,
                recipient_count=len(members),
                attempts=0,
                updated_at=now,
            )
        ).inserted_primary_key[0]
        rows = [
            {
                "chunk_id": chunk_id,
                "position": position,
                "unique_id": r.unique_id,
                "row_number": r.row_number,
                "destination": r.destination,
                "card_number": r.card_number,
                "payload_json": json.dumps(dict(r.payload), ensure_ascii=False, separators=(",", ":")),
            }
            for position, r in enumerate(members, start=1)
        ]
        if rows:
            conn.execute(insert(s.chunk_recipients), rows)
        return int(chunk_id)

    def send_holding_claim(self, claim: str, platform: str | None = None) -> int | None:
        """The send holding `claim` on `platform` (default: this store's platform; any if neither)."""
        query = select(s.sends.c.id).where(s.sends.c.claim == claim, *self._on_platform(s.sends, platform))
        with self.read() as conn:
            return conn.execute(query.order_by(s.sends.c.id).limit(1)).scalar_one_or_none()

    def _on_platform(self, table: Table, platform: str | None = None) -> list:
        """The condition keeping rows of one platform (none when the store is not bound to one)."""
        platform = platform or self.platform
        return [] if platform is None else [table.c.platform == platform]

    def sends_with_manifest(self, manifest_hash: str) -> list[SendRecord]:
        """Every send of this manifest to this platform (first sends and overrides), oldest first."""
        return self._sends(s.sends.c.manifest_hash == manifest_hash, *self._on_platform(s.sends), order_desc=False)

    def list_sends(
        self, limit: int = 50, offset: int = 0, *, include_tests: bool = True, since: datetime | None = None
    ) -> list[SendRecord]:
        """Most recent first, with each send's chunk status counts."""
        conditions = self._on_platform(s.sends)
        if not include_tests:
            conditions.append(s.sends.c.is_test.is_(False))
        if since is not None:
            conditions.append(s.sends.c.created_at >= since)
        return self._sends(*conditions, limit=limit, offset=offset)

    def _sends(
        self, *conditions, limit: int | None = None, offset: int = 0, order_desc: bool = True
    ) -> list[SendRecord]:
        order = s.sends.c.id.desc() if order_desc else s.sends.c.id.asc()
        query = select(s.sends).where(*conditions).order_by(order).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        with self.read() as conn:
            rows = conn.execute(query).mappings().all()
            if not rows:
                return []
            counts = self._chunk_counts(conn, [row["id"] for row in rows])
        return [_send_record(row, *counts.get(row["id"], ({}, {}))) for row in rows]

    @staticmethod
    def _chunk_counts(conn: Connection, send_ids: list[int]) -> dict[int, tuple[dict[str, int], dict[str, int]]]:
        query = (
            select(s.chunks.c.send_id, s.chunks.c.status, func.count(), func.sum(s.chunks.c.recipient_count))
            .where(s.chunks.c.send_id.in_(send_ids))
            .group_by(s.chunks.c.send_id, s.chunks.c.status)
        )
        out: dict[int, tuple[dict[str, int], dict[str, int]]] = {}
        for send_id, status, n_chunks, n_recipients in conn.execute(query):
            chunk_counts, recipient_counts = out.setdefault(send_id, ({}, {}))
            chunk_counts[ChunkStatus(status)] = int(n_chunks)
            recipient_counts[ChunkStatus(status)] = int(n_recipients or 0)
        return out

    def get_send(self, send_id: int) -> SendDetail | None:
        """The send with its chunks in order, or None."""
        with self.read() as conn:
            row = conn.execute(select(s.sends).where(s.sends.c.id == send_id)).mappings().one_or_none()
            if row is None:
                return None
            chunk_rows = (
                conn.execute(select(s.chunks).where(s.chunks.c.send_id == send_id).order_by(s.chunks.c.seq))
                .mappings()
                .all()
            )
            counts = self._chunk_counts(conn, [send_id]).get(send_id, ({}, {}))
        return SendDetail(_send_record(row, *counts), tuple(_chunk_record(c) for c in chunk_rows))

    # -- chunks --------------------------------------------------------------------------------

    def get_chunk(self, chunk_id: int) -> ChunkRecord | None:
        with self.read() as conn:
            row = conn.execute(select(s.chunks).where(s.chunks.c.id == chunk_id)).mappings().one_or_none()
        return None if row is None else _chunk_record(row)

    def move_chunk(
        self,
        chunk_id: int,
        *,
        expected: ChunkStatus,
        new: ChunkStatus,
        count_attempt: bool = False,
        dispatch: dict | None = None,
        now: datetime | None = None,
        override: bool = False,
        decision: dict | None = None,
        audit: Callable[[Connection], object] | None = None,
        **fields,
    ) -> bool:
        """Compare-and-set a chunk's status (plus result `fields`) in one transaction.

        Returns False, writing nothing, if the chunk is no longer in `expected` (another process
        moved it first): this is what stops two resumers posting the same chunk. Asks
        `lib.sending.status.transition` first (IllegalTransition for a move the rules refuse;
        `override` is a recorded decision about an unknown chunk).
        With `dispatch`, also inserts (or adopts) the dispatches row in the same transaction; with
        `decision` ({decision, decided_by, note}), records who decided in chunk_decisions; `audit(conn)`
        writes the audit trail's row on the same connection, so both commit together or not at all.
        """
        transition(expected, new, override=override)
        now = now or utcnow()
        values = {"status": ChunkStatus(new).value, "updated_at": now, **fields}
        if count_attempt:
            values["attempts"] = s.chunks.c.attempts + 1
        with self.write() as conn:
            result = conn.execute(
                update(s.chunks)
                .where(s.chunks.c.id == chunk_id, s.chunks.c.status == ChunkStatus(expected).value)
                .values(**values)
            )
            if result.rowcount != 1:
                return False
            if dispatch is not None:
                self._record_dispatch(conn, chunk_id, dispatch, now)
            if decision is not None:
                conn.execute(insert(s.chunk_decisions).values(chunk_id=chunk_id, decided_at=now, **decision))
            if audit is not None:
                audit(conn)
        return True

    def chunk_decisions(self, send_id: int) -> list[dict]:
        """Every recorded decision about the chunks of a send, oldest first (seq, decision, decided_by, …)."""
        d, c = s.chunk_decisions, s.chunks
        query = (
            select(c.c.seq, d.c.chunk_id, d.c.decision, d.c.decided_by, d.c.decided_at, d.c.note)
            .join(c, c.c.id == d.c.chunk_id)
            .where(c.c.send_id == send_id)
            .order_by(d.c.id)
        )
        with self.read() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    # -- the send queue ------------------------------------------------------------------------

    def claim_send(
        self,
        owner: str,
        lease: timedelta,
        *,
        send_id: int | None = None,
        now: datetime | None = None,
        platform: str | None = None,
    ) -> SendClaim | None:
        """Take the lease of the oldest queued send nobody holds (or whose holder's lease expired),
        or of `send_id` only; with `platform`, only a send to that platform (a worker posts only to the
        platform it talks to). None when there is nothing to take.

        PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED, so workers never wait on each other's rows;
        SQLite: the whole claim runs under the write lock (BEGIN IMMEDIATE). In the same
        transaction, a chunk its previous holder left `posting` becomes `unknown`: that POST may
        have gone out, and it is never posted again by itself."""
        now = now or utcnow()
        q = s.sends.c
        free = or_(q.lease_owner.is_(None), q.lease_expires_at.is_(None), q.lease_expires_at <= now)
        due = or_(q.not_before.is_(None), q.not_before <= now)
        query = select(q.id, q.lease_owner, q.queued_at).where(q.queue_state == "queued", free, due)
        if send_id is not None:
            query = query.where(q.id == send_id)
        if platform is not None:
            query = query.where(q.platform == platform)
        query = query.order_by(q.id).limit(1).with_for_update(skip_locked=True)
        with self.write() as conn:
            row = conn.execute(query).first()
            if row is None:
                return None
            taken = conn.execute(
                update(s.sends).where(q.id == row.id, free).values(lease_owner=owner, lease_expires_at=now + lease)
            )
            if taken.rowcount != 1:
                return None
            transition(ChunkStatus.POSTING, ChunkStatus.UNKNOWN)
            c = s.chunks.c
            stuck = conn.execute(
                select(c.seq).where(c.send_id == row.id, c.status == ChunkStatus.POSTING.value).order_by(c.seq)
            ).scalars().all()
            if stuck:
                conn.execute(
                    update(s.chunks)
                    .where(c.send_id == row.id, c.status == ChunkStatus.POSTING.value)
                    .values(status=ChunkStatus.UNKNOWN.value, updated_at=now, error_message=STOPPED_WHILE_POSTING,
                            error_code=STOPPED_WHILE_POSTING_CODE, error_params=None)
                )
        return SendClaim(int(row.id), owner, row.queued_at, previous_owner=row.lease_owner, became_unknown=tuple(stuck))

    def renew_lease(self, send_id: int, owner: str, lease: timedelta, now: datetime | None = None) -> bool:
        """Extend this owner's lease; False when it lost the send (its lease expired and another took it)."""
        now = now or utcnow()
        q = s.sends.c
        with self.write() as conn:
            done = conn.execute(
                update(s.sends)
                .where(q.id == send_id, q.lease_owner == owner, q.queue_state == "queued")
                .values(lease_expires_at=now + lease)
            )
            return done.rowcount == 1

    def release_send(self, claim: SendClaim, *, finished: bool, now: datetime | None = None) -> None:
        """Give the lease back. `finished`: this run posted all it could, so the send leaves the queue,
        unless someone queued it again meanwhile (then it stays queued for the next claim)."""
        now = now or utcnow()
        q = s.sends.c
        with self.write() as conn:
            values: dict = {"lease_owner": None, "lease_expires_at": None}
            mine = conn.execute(select(q.queued_at, q.lease_owner).where(q.id == claim.send_id)).first()
            if mine is None or mine.lease_owner != claim.owner:
                return  # lost to a takeover: the new holder decides
            if finished and mine.queued_at == claim.queued_at:
                values.update(queue_state="done", finished_at=now)
            conn.execute(update(s.sends).where(q.id == claim.send_id).values(**values))

    def hold_send(self, send_id: int, until: datetime) -> None:
        """Nobody claims this send before `until` (it stays queued; its pending chunks wait)."""
        with self.write() as conn:
            conn.execute(update(s.sends).where(s.sends.c.id == send_id).values(not_before=until))

    def requeue_send(
        self, send_id: int, now: datetime | None = None, *, audit: Callable[[Connection], object] | None = None
    ) -> bool:
        """Put a send back in the queue (resume, a decision about an unknown chunk); `audit(conn)` writes
        the audit trail's row in the same transaction."""
        now = now or utcnow()
        with self.write() as conn:
            done = conn.execute(  # never a send waiting for approval, rejected or expired: only an approver queues it
                update(s.sends).where(s.sends.c.id == send_id, s.sends.c.queue_state.in_(("queued", "done")))
                .values(queue_state="queued", queued_at=now)
            )
            if done.rowcount == 1 and audit is not None:
                audit(conn)
            return done.rowcount == 1

    def queued_send_ids(self) -> list[int]:
        with self.read() as conn:
            return list(conn.execute(
                select(s.sends.c.id).where(s.sends.c.queue_state == "queued").order_by(s.sends.c.id)
            ).scalars())  # fmt: skip

    # -- approvals (issue 11): the rules are lib.approvals'; here only reads and compare-and-set writes

    def send_review(self, send_id: int) -> SendReview | None:
        """What the sender saw when they submitted `send_id` for approval, with its decisions."""
        reviews = self._reviews(s.send_reviews.c.send_id == send_id)
        return reviews[0] if reviews else None

    def sends_awaiting_approval(self) -> list[SendReview]:
        """Sends of this store's platform waiting for an approver, oldest first."""
        return self._reviews(s.sends.c.queue_state == APPROVAL_AWAITING, *self._on_platform(s.sends))

    def _reviews(self, *conditions) -> list[SendReview]:
        r = s.send_reviews
        query = select(r).select_from(r.join(s.sends, s.sends.c.id == r.c.send_id)).where(*conditions)
        with self.read() as conn:
            rows = conn.execute(query.order_by(r.c.send_id)).mappings().all()
            decisions = self._approval_rows(conn, [row["send_id"] for row in rows])
        sends = {x.id: x for x in self._sends(s.sends.c.id.in_([row["send_id"] for row in rows]))} if rows else {}
        return [
            SendReview(sends[row["send_id"]], row["submitted_by"], row["submitted_at"], json.loads(row["summary"]),
                       tuple(decisions.get(row["send_id"], ())))
            for row in rows
        ]

    @staticmethod
    def _approval_rows(conn: Connection, send_ids: list[int]) -> dict[int, list[ApprovalRecord]]:
        out: dict[int, list[ApprovalRecord]] = {}
        if not send_ids:
            return out
        a = s.approvals
        query = select(a).where(a.c.send_id.in_(send_ids)).order_by(a.c.decided_at, a.c.id)
        for row in conn.execute(query).mappings():
            out.setdefault(row["send_id"], []).append(_approval_record(row))
        return out

    def approval_decisions(self, send_ids: Sequence[int]) -> dict[int, list[ApprovalRecord]]:
        """Every approval decision of these sends, oldest first (Dispatches shows the latest)."""
        with self.read() as conn:
            return self._approval_rows(conn, list(send_ids))

    def decide_approval(
        self,
        send_id: int,
        *,
        manifest_hash: str,
        decision: str,
        decided_by: str,
        reason: str | None,
        now: datetime,
        also: Callable[[Connection], None] | None = None,
    ) -> bool:
        """Move an awaiting send whose manifest is still `manifest_hash` to the state of `decision`
        ('approved' -> queued, 'rejected', 'expired') and record the decision, with `also(conn)` (the
        audit trail) in the same transaction. False when it was no longer awaiting (someone decided first)."""
        q = s.sends.c
        values: dict = {"queue_state": APPROVAL_STATES[decision]}
        if decision == "approved":
            values["queued_at"] = now
        else:  # it sent nothing: its claim is freed so the sender can submit the same list again
            values.update(finished_at=now, claim=f"{manifest_hash}:{decision}:{send_id}")
        with self.write() as conn:
            moved = conn.execute(
                update(s.sends)
                .where(q.id == send_id, q.queue_state == APPROVAL_AWAITING, q.manifest_hash == manifest_hash)
                .values(**values)
            )
            if moved.rowcount != 1:
                return False
            conn.execute(insert(s.approvals).values(
                send_id=send_id, manifest_hash=manifest_hash, decision=decision, decided_by=decided_by,
                decided_at=now, reason=reason,
            ))
            if also is not None:
                also(conn)
            return True

    def overdue_awaiting(self, now: datetime) -> list[SendRecord]:
        """Scheduled sends still waiting for approval whose time has come (any platform)."""
        q = s.sends.c
        return self._sends(q.queue_state == APPROVAL_AWAITING, q.schedule_at.is_not(None), q.schedule_at <= now,
                           order_desc=False)

    # -- workers -------------------------------------------------------------------------------

    def heartbeat(
        self, worker_id: str, host: str, pid: int, now: datetime | None = None, *, platform: str | None = None
    ) -> None:
        """A worker reports in (`platform`: the platform it posts to)."""
        now = now or utcnow()
        w = s.workers.c
        with self.write() as conn:
            done = conn.execute(update(s.workers).where(w.id == worker_id).values(heartbeat_at=now, stopped_at=None))
            if done.rowcount == 0:
                conn.execute(insert(s.workers).values(
                    id=worker_id, host=host, pid=pid, platform=platform, started_at=now, heartbeat_at=now
                ))  # fmt: skip

    def worker_stopped(self, worker_id: str, now: datetime | None = None) -> None:
        with self.write() as conn:
            conn.execute(update(s.workers).where(s.workers.c.id == worker_id).values(stopped_at=now or utcnow()))

    def live_workers(self, within: timedelta, now: datetime | None = None, *, platform: str | None = None) -> list[str]:
        """Ids of workers that reported in the last `within` and did not say they stopped (with
        `platform`: only those posting to it)."""
        now = now or utcnow()
        w = s.workers.c
        query = select(w.id).where(w.heartbeat_at >= now - within, w.stopped_at.is_(None)).order_by(w.id)
        if platform is not None:
            query = query.where(w.platform == platform)
        with self.read() as conn:
            return list(conn.execute(query).scalars())

    def take_refresh_lease(
        self, owner: str, lease: timedelta, now: datetime | None = None, *, platform: str = SANDBOX_PLATFORM
    ) -> bool:
        """The lease on status refresh for one platform: True if `owner` holds it now (taken or renewed)."""
        now = now or utcnow()
        r = s.refresh_lease.c
        with self.write() as conn:
            conn.execute(upsert(conn, s.refresh_lease, {"platform": platform, "owner": None, "expires_at": None},
                                ("platform",), None))  # fmt: skip
            free = or_(r.owner.is_(None), r.owner == owner, r.expires_at.is_(None), r.expires_at <= now)
            done = conn.execute(
                update(s.refresh_lease).where(r.platform == platform, free).values(owner=owner, expires_at=now + lease)
            )
            return done.rowcount == 1

    def release_refresh_lease(self, owner: str) -> None:
        r = s.refresh_lease.c
        with self.write() as conn:
            conn.execute(update(s.refresh_lease).where(r.owner == owner).values(owner=None, expires_at=None))

    def _record_dispatch(self, conn: Connection, chunk_id: int, dispatch: dict, now: datetime) -> None:
        """Insert the dispatch under its send's platform, or adopt the row if it was tracked from
        outside before we knew it was ours (one statement: no check-then-insert race)."""
        platform = dispatch.get("platform") or conn.execute(
            select(s.sends.c.platform).join(s.chunks, s.chunks.c.send_id == s.sends.c.id).where(s.chunks.c.id == chunk_id)
        ).scalar_one()
        values = {**dispatch, "platform": platform, "first_seen_at": now}
        adopt = {"send_id": values.get("send_id"), "chunk_id": values.get("chunk_id")}
        conn.execute(upsert(conn, s.dispatches, values, ("platform", "dispatch_id"), adopt))

    def chunk_recipients(self, chunk_id: int) -> list[StoredRecipient]:
        """The recipients of one chunk in posting order (empty once personal data was purged)."""
        cr = s.chunk_recipients
        query = (
            select(
                cr.c.chunk_id,
                cr.c.position,
                cr.c.unique_id,
                cr.c.row_number,
                cr.c.destination,
                cr.c.card_number,
                cr.c.payload_json,
            )  # fmt: skip
            .where(cr.c.chunk_id == chunk_id)
            .order_by(cr.c.position)
        )
        with self.read() as conn:
            rows = conn.execute(query).all()
        return [StoredRecipient(c, p, u, r, d, card, json.loads(payload)) for c, p, u, r, d, card, payload in rows]

    def send_recipients(
        self, send_id: int, statuses: Sequence[ChunkStatus], limit: int | None = None
    ) -> list[StoredRecipient]:
        """Recipients of a send's chunks in these statuses, in posting order, the first `limit` only
        (a stopped million-recipient send must not be read whole to show a page of it)."""
        cr, c = s.chunk_recipients, s.chunks
        query = (
            select(cr)
            .join(c, c.c.id == cr.c.chunk_id)
            .where(c.c.send_id == send_id, c.c.status.in_([ChunkStatus(x).value for x in statuses]))
            .order_by(c.c.seq, cr.c.position)  # the chunks' order: no sort of a million rows
        )
        if limit is not None:
            query = query.limit(limit)
        with self.read() as conn:
            return [_stored_recipient(row) for row in conn.execute(query).mappings()]

    def recipients_at_rows(self, send_id: int, rows: Sequence[int]) -> list[StoredRecipient]:
        """The send's recipients from these spreadsheet rows (empty once personal data was purged)."""
        if not rows:
            return []
        cr, c = s.chunk_recipients, s.chunks
        query = (
            select(cr).join(c, c.c.id == cr.c.chunk_id)
            .where(c.c.send_id == send_id, cr.c.row_number.in_([int(r) for r in rows]))
        )
        with self.read() as conn:
            return [_stored_recipient(row) for row in conn.execute(query).mappings()]

    def stored_recipient_counts(self, chunk_ids: Sequence[int]) -> dict[int, int]:
        """chunk id -> recipients still stored (fewer than recipient_count once purged)."""
        if not chunk_ids:
            return {}
        cr = s.chunk_recipients
        query = select(cr.c.chunk_id, func.count()).where(cr.c.chunk_id.in_(list(chunk_ids))).group_by(cr.c.chunk_id)
        with self.read() as conn:
            counts = dict(conn.execute(query).all())
        return {chunk_id: int(counts.get(chunk_id, 0)) for chunk_id in chunk_ids}

    def find_chunk_recipients(
        self, chunk_id: int, *, unique_ids: Iterable[str] = (), destinations: Iterable[str] = ()
    ) -> list[StoredRecipient]:
        """Recipients of a chunk matching any uniqueId or destination (to reconcile platform invalids)."""
        unique_ids, destinations = list(unique_ids), list(destinations)
        if not unique_ids and not destinations:
            return []
        cr = s.chunk_recipients
        matches = []
        if unique_ids:
            matches.append(cr.c.unique_id.in_(unique_ids))
        if destinations:
            matches.append(func.lower(cr.c.destination).in_([d.lower() for d in destinations]))
        with self.read() as conn:
            rows = conn.execute(select(cr).where(cr.c.chunk_id == chunk_id, or_(*matches)).order_by(cr.c.position))
            return [_stored_recipient(row) for row in rows.mappings()]

    def purge_personal_data(self, now: datetime, retention_days: int | None = None) -> int:
        """Delete recipient rows (and the platform's lists of invalid numbers/addresses, and any answer
        kept as received, which may list them too) of sends
        older than the retention period. Counts, statuses and dispatch ids stay. Returns the number
        of recipient rows deleted. `retention_days` defaults to the CONSOLE_RETENTION_DAYS setting."""
        if retention_days is None:
            from lib.settings import get_settings

            retention_days = get_settings().retention_days
        cutoff = now - timedelta(days=retention_days)
        # A chunk whose ledger HMAC keys are not made yet keeps its recipients: they are made from them.
        unkeyed = select(s.ledger_chunks.c.chunk_id).where(
            s.ledger_chunks.c.dest_keys.is_(None), s.ledger_chunks.c.chunk_id.is_not(None))
        old_chunks = (
            select(s.chunks.c.id).join(s.sends, s.sends.c.id == s.chunks.c.send_id)
            .where(s.sends.c.created_at < cutoff, s.chunks.c.id.not_in(unkeyed))
        )
        with self.write() as conn:
            deleted = conn.execute(s.chunk_recipients.delete().where(s.chunk_recipients.c.chunk_id.in_(old_chunks)))
            conn.execute(update(s.chunks).where(s.chunks.c.id.in_(old_chunks)).values(invalid_json=None, platform_answer=None))
            return int(deleted.rowcount or 0)

    # -- templates -----------------------------------------------------------------------------

    def list_templates(self) -> list[Template]:
        with self.read() as conn:
            rows = conn.execute(select(s.templates).order_by(s.templates.c.id)).mappings().all()
        return [
            Template(
                id=r["id"], name=r["name"], channel=Channel(r["channel"]), body=r["body"], subject=r["subject"],
                kind=TemplateKind(r["kind"] or TemplateKind.MARKETING),
            )
            for r in rows
        ]

    @contextmanager
    def _in(self, conn: Connection | None) -> Iterator[Connection]:
        """The caller's transaction when given one (to commit with its audit row), else a new one."""
        if conn is not None:
            yield conn
        else:
            with self.write() as own:
                yield own

    def upsert_template(self, template: Template, now: datetime | None = None, *, conn: Connection | None = None) -> None:
        values = {
            "name": template.name,
            "channel": template.channel.value,
            "subject": template.subject or "",
            "body": template.body,
            "kind": template.kind.value,
            "updated_at": now or utcnow(),
        }
        with self._in(conn) as c:
            c.execute(upsert(c, s.templates, {"id": template.id, **values}, ("id",), values))

    def delete_template(self, template_id: int, *, conn: Connection | None = None) -> bool:
        with self._in(conn) as c:
            return c.execute(s.templates.delete().where(s.templates.c.id == template_id)).rowcount == 1

    # -- meta ----------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        with self.read() as conn:
            return conn.execute(select(s.meta.c.value).where(s.meta.c.key == key)).scalar_one_or_none()

    def set_meta(self, key: str, value: str | None) -> None:
        with self.write() as conn:
            set_meta(conn, key, value)


def set_meta(conn: Connection, key: str, value: str | None) -> None:
    conn.execute(upsert(conn, s.meta, {"key": key, "value": value}, ("key",), {"value": value}))


def upsert(conn: Connection, table: Table, values: dict, key: Sequence[str], on_conflict: dict | None):
    """INSERT … ON CONFLICT (key) DO UPDATE SET on_conflict (DO NOTHING when None): one statement,
    so two processes writing the same row at once cannot both decide to insert."""
    statement = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(table).values(**values)
    if on_conflict is None:
        return statement.on_conflict_do_nothing(index_elements=list(key))
    return statement.on_conflict_do_update(index_elements=list(key), set_=on_conflict)


def _fields(record_type, row) -> dict:
    """The row's columns that the record has: a column another feature adds to the table must not
    break every reader of sends and chunks."""
    names = {f.name for f in dataclasses.fields(record_type)}
    return {k: v for k, v in dict(row).items() if k in names}


def _send_record(row, chunk_counts: dict[str, int], recipient_counts: dict[str, int]) -> SendRecord:
    data = _fields(SendRecord, row)
    data["estimated_cost"] = None if data["estimated_cost"] is None else Decimal(data["estimated_cost"])
    data["is_sandbox"] = bool(data["is_sandbox"])
    data["is_test"] = bool(data["is_test"])
    return SendRecord(**data, chunk_counts=chunk_counts, recipient_counts=recipient_counts)


def _approval_record(row) -> ApprovalRecord:
    return ApprovalRecord(**_fields(ApprovalRecord, row))


def _chunk_record(row) -> ChunkRecord:
    data = _fields(ChunkRecord, row)
    data["status"] = ChunkStatus(data["status"])
    return ChunkRecord(**data)


def _stored_recipient(row) -> StoredRecipient:
    return StoredRecipient(
        chunk_id=row["chunk_id"],
        position=row["position"],
        unique_id=row["unique_id"],
        row_number=row["row_number"],
        destination=row["destination"],
        card_number=row["card_number"],
        payload=json.loads(row["payload_json"]),
    )
