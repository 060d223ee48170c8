"""The send engine: one POST per chunk, every state written to the history store around it.

Order of events for a send (crash safety):
1. `enqueue`: the send, every chunk (pending) and every recipient are written in ONE transaction,
   which also takes the manifest's claim (a UNIQUE column): a second submission of the same manifest,
   from another tab, user or process, fails there and nothing is posted. The send is *queued*.
2. Whoever posts it (a worker, `lib.sending.worker`, or `submit`/`run_send` in this process) first
   takes its lease (`HistoryStore.claim_send`); a chunk a previous holder left `posting` becomes
   unknown in that same transaction. The lease is renewed before each chunk and given back at the
   end (the send is then *done*); a holder that died simply lets it expire.
3. Per chunk: the gate (`ChunkGate.admit`) says who may still receive it (nobody: the chunk is
   left_out); pending -> posting is committed BEFORE the POST, and the result (accepted with its
   dispatch id, rejected, unknown, back to pending) is committed right AFTER it. If the database will
   not take that result (locked, full) it is retried for RECORD_RETRY_SECONDS, then appended to the
   results journal (lib.sending.journal) and ResultNotRecorded stops the send; the next start
   replays the journal. A process that dies leaves every chunk in its last recorded status.

Failure handling (the API has no idempotency, so nothing is ever retried automatically; what
each answer means is decided in lib.messaging.client, see its docstring):
- OutcomeUnknown (read timeout, the request deadline passed, connection lost after sending, any
  3xx redirect, any 5xx except the platform's own refusal of the body, a 2xx without a whole-number
  dispatch) and any unexpected error: the chunk is UNKNOWN and the send STOPS; later chunks stay
  pending. A slow or failing platform would most likely do the same to every later chunk, and the
  marketer should check what went out before anything more is sent. An unknown chunk moves only by
  a person's recorded decision (`decide_unknown`: mark as sent, mark as not sent, resend at risk).
- A 2xx with a real dispatch whose figures do not add up: ACCEPTED as that dispatch, but the figures
  are not stored as ours: the answer is kept as received (chunks.platform_answer), the chunk's
  recipients count as sent per the platform, and the chunk carries a note naming the mismatch.
- PlatformUnreachable (connection refused, connect timeout: certainly not delivered): the chunk
  goes back to PENDING and the send STOPS.
- AuthenticationError (401/403), NotFoundError (404: no such template) and a 5xx carrying the
  platform's own refusal of the body (errorCode 2, PlatformServerError not maybe_delivered): the
  chunk is REJECTED and the send STOPS — every later chunk would most likely be refused the same way.
- RequestRejected (other 4xx: this chunk failed validation): the chunk is REJECTED with the
  platform's message and the send CONTINUES with the next chunk.
`request_resume` queues the pending and rejected chunks of a send again; `resume` does that and
posts them here.

Words (issue 13): every sentence comes from the `sending` catalog. What the sender writes into the
store for later readers (a chunk's note) is a catalog key and its parameters (lib.sending.notes),
rendered when read; the send keeps its submitter's language, and its chunks are posted in it, so the
platform's own error texts come back in words the submitter reads. Headlines and results are
rendered in the reader's language when they are read (`outcome`, `progress`).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal

from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

from lib import audit, i18n
from lib.history.refused import platform_refusals
from lib.history.store import (
    ChunkRecord,
    ClaimTaken,
    HistoryStore,
    NewRecipient,
    SendClaim,
    SendRecord,
    StoredRecipient,
    StoreError,
    platform_key,
    utcnow,
)
from lib.messaging.errors import (
    AuthenticationError,
    NotFoundError,
    OutcomeUnknown,
    PlatformError,
    PlatformUnreachable,
    RequestRejected,
)
from lib.messaging.models import DRAFT, Recipient, SendResult
from lib.sending import notes
from lib.sending.gate import AdmitEveryone, ChunkGate
from lib.sending.journal import ResultJournal, journal_path_for
from lib.sending.manifest import SendManifest
from lib.sending.status import CHUNK_STATUS_WORDS, ChunkStatus, LowerLabel
from lib.templates import Channel

log = logging.getLogger(__name__)

SEND_LEASE = timedelta(seconds=10)  # a send is taken over this long after its poster died
RECORD_RETRY_SECONDS = 10.0  # how long a POST's result is retried against a locked or full database
FOLLOW_POLL_SECONDS = 0.5
WORKER_LIVE_WITHIN = timedelta(seconds=10)  # a worker that reported within this is running
DECISIONS = ("marked_sent", "marked_not_sent", "resend_at_risk")


def local_owner_id() -> str:
    """Who holds a lease: this host and process (and a random part, so two engines in one process differ)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class SendError(RuntimeError):
    """A send or resume that cannot start; str() is a sentence for the marketer, in the reader's language."""

    def __init__(self, message: i18n.Msg | str):
        super().__init__(message.key if isinstance(message, i18n.Msg) else message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class ResultNotRecorded(SendError):
    """The platform answered but the database would not take the answer, even after retries. The
    answer is in the results journal (replayed at the next start); the send stopped here."""

    def __init__(self, entry: dict, journal_path, cause: Exception):
        dispatch = entry.get("dispatch_id")
        where = {"seq": str(entry["seq"]), "send": str(entry["send_id"]), "cause": _cause(cause), "path": str(journal_path)}
        super().__init__(
            i18n.Msg("sending.error.not_recorded_dispatch", dispatch=str(dispatch), **where) if dispatch
            else i18n.Msg("sending.error.not_recorded", status=i18n.Msg(f"{CHUNK_STATUS_WORDS}.{entry['status']}"),
                          **where)
        )  # fmt: skip
        self.entry = entry
        self.dispatch_id = dispatch
        self.journal_path = journal_path


def _cause(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0].rstrip(".") if text else type(exc).__name__


class DuplicateSend(SendError):
    """This manifest already has a send (or is being sent right now). Naming that send in
    `submit(..., resend_of=previous_send_id)` is the explicit override."""

    def __init__(self, message: i18n.Msg | str, previous: SendRecord):
        super().__init__(message)
        self.previous = previous
        self.previous_send_id = previous.id


@dataclass(frozen=True)
class ChunkProgress:
    """Reported before each POST (status posting) and after it (its result)."""

    send_id: int
    seq: int
    chunk_count: int
    status: ChunkStatus
    recipient_count: int
    dispatch_id: int | None = None
    error: str | None = None  # in the language of whoever reports it
    chunks_done: int = 0  # chunks finished in this run, this one included once it has a result
    recipients_accepted: int = 0  # totalRecipientsSent so far in this run


@dataclass(frozen=True)
class InvalidRecipient:
    unique_id: str
    row_number: int | None  # None when the personal data was already purged
    destination: str
    reason: str  # in the reader's language (rendered when the result is read)


@dataclass(frozen=True)
class ChunkResult:
    seq: int
    chunk_id: int
    status: ChunkStatus
    dispatch_id: int | None
    recipient_count: int
    # Who is in the chunk: filled for chunks that did not certainly go out (to say who may or may
    # not have received it, or who is still waiting); empty for accepted chunks.
    recipients: tuple[StoredRecipient, ...]
    total_recipients_sent: int | None
    invalids: tuple[InvalidRecipient, ...]
    error: str | None  # the chunk's note in the reader's language (lib.sending.notes)
    attempts: int

    @property
    def may_have_gone_out(self) -> bool:
        return self.status in (ChunkStatus.UNKNOWN, ChunkStatus.POSTING)


@dataclass(frozen=True)
class SendTotals:
    """Recipient counts. submitted = accepted + platform_invalid + rejected + unknown + pending."""

    submitted: int
    accepted: int  # totalRecipientsSent of accepted chunks: the platform will deliver to them
    platform_invalid: int  # in accepted chunks, but refused one by one by the platform
    rejected: int  # in chunks the platform refused as a whole
    unknown: int  # in chunks that may or may not have gone out (unknown, or left posting)
    pending: int  # in chunks not sent yet
    marked_sent: int = 0  # in chunks a person recorded as sent after checking with the platform
    left_out: int = 0  # in chunks the gate left out entirely (never posted)


@dataclass(frozen=True)
class SendOutcome:
    send_id: int
    send: SendRecord
    chunks: tuple[ChunkResult, ...]
    totals: SendTotals
    platform_rejected_recipients: tuple[InvalidRecipient, ...]
    headline: str
    queue_state: str = "done"  # 'queued' (waiting, or being sent) or 'done'
    worker: str | None = None  # who is posting it right now (a live lease), else None

    @property
    def dispatch_ids(self) -> list[int]:
        return [c.dispatch_id for c in self.chunks if c.dispatch_id is not None]

    @property
    def finished(self) -> bool:
        """No run of it is waiting or going on: what it shows will not change by itself."""
        return self.queue_state != "queued"

    @property
    def running(self) -> bool:
        """A worker (or a `send` process) is posting it now."""
        return self.worker is not None

    @property
    def progress_state(self) -> str:
        """'queued' (waiting for a worker), 'sending' (being posted by `worker`) or 'done'."""
        if self.finished:
            return "done"
        return "sending" if self.running else "queued"

    @property
    def held(self) -> bool:
        """Waiting, still queued, for a time (quiet hours reached part-way): nobody posts it before."""
        return not self.running and self.send.not_before is not None and self.send.not_before > utcnow()

    @property
    def complete(self) -> bool:
        return all(c.status in FINISHED_STATUSES for c in self.chunks)

    @property
    def has_unknown(self) -> bool:
        return any(c.may_have_gone_out for c in self.chunks)

    @property
    def can_resume(self) -> bool:
        """Only an approver releases a send waiting for approval (or stopped by one): never a resume."""
        if self.queue_state in APPROVAL_HELD_STATES:
            return False
        return any(c.status in (ChunkStatus.PENDING, ChunkStatus.REJECTED) for c in self.chunks)

    @property
    def uncertain_recipients(self) -> list[StoredRecipient]:
        """Everyone who may or may not have received the message."""
        return [r for c in self.chunks if c.may_have_gone_out for r in c.recipients]


@dataclass(frozen=True)
class SendProgress:
    """A send as a page polling it needs it: counts and statuses only, no recipient read (cheap even
    for a stopped million-recipient send). Who is in doubt, waiting or refused: `SendEngine.recipients`."""

    send_id: int
    send: SendRecord
    chunks: tuple[ChunkResult, ...]  # without recipients or the platform's invalids
    totals: SendTotals
    headline: str
    queue_state: str
    worker: str | None

    finished = SendOutcome.finished
    running = SendOutcome.running
    progress_state = SendOutcome.progress_state
    complete = SendOutcome.complete
    has_unknown = SendOutcome.has_unknown
    can_resume = SendOutcome.can_resume
    dispatch_ids = SendOutcome.dispatch_ids
    held = SendOutcome.held

    @property
    def chunks_done(self) -> int:
        return sum(1 for c in self.chunks if c.status not in (ChunkStatus.PENDING, ChunkStatus.POSTING))

    @property
    def uncertain_chunks(self) -> list[ChunkResult]:
        return [c for c in self.chunks if c.status is ChunkStatus.UNKNOWN]


# Which recipients `SendEngine.recipients` lists, by what happened to their part.
RECIPIENT_GROUPS = {
    "uncertain": (ChunkStatus.UNKNOWN, ChunkStatus.POSTING),
    "waiting": (ChunkStatus.PENDING, ChunkStatus.REJECTED),
}


ProgressCallback = Callable[[ChunkProgress], None]
NEVER_SENT_STATES = frozenset({"rejected", "expired"})  # queue states of sends stopped before approval
APPROVAL_HELD_STATES = NEVER_SENT_STATES | {"awaiting"}  # lib.approvals: no resume, no worker
# Nothing more will happen to a chunk in these statuses (accepted, recorded sent, or nobody left).
FINISHED_STATUSES = frozenset({ChunkStatus.ACCEPTED, ChunkStatus.MARKED_SENT, ChunkStatus.LEFT_OUT})


class SendEngine:
    def __init__(
        self,
        store: HistoryStore,
        client,
        *,
        batch_size: int,
        platform_url: str,
        is_sandbox: bool,
        operator: str,
        timezone: tzinfo | None = None,
        stale_posting_after: timedelta | None = None,
        gate: ChunkGate | None = None,
        lease: timedelta | None = None,
        record_retry_seconds: float | None = None,
        journal: ResultJournal | None = None,
        hold: Callable[[SendRecord, datetime], datetime | None] | None = None,
    ):
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.store = store
        self.client = client
        self.batch_size = batch_size
        self.platform_url = platform_url
        self.is_sandbox = is_sandbox
        self.platform = platform_key(platform_url, is_sandbox)  # the sends this engine may post
        self.operator = operator
        self.tz = timezone or getattr(client, "tz", None) or UTC
        # `stale_posting_after` is accepted for older callers and no longer used: a chunk left
        # `posting` is recorded unknown when its send's lease is taken over (HistoryStore.claim_send).
        self.stale_posting_after = stale_posting_after
        # A lease is renewed every third of its length while this process posts the send (and before
        # each chunk), so it runs out only when the process is gone: then another takes the send over.
        self.lease = lease or SEND_LEASE
        self.gate: ChunkGate = gate or AdmitEveryone()
        # Asked before each chunk: a time the rest of this send must wait for (quiet hours reached
        # part-way), or None. A held send stays queued and is claimed again at that time.
        self.hold = hold

        self.record_retry_seconds = RECORD_RETRY_SECONDS if record_retry_seconds is None else record_retry_seconds
        self.journal = journal or ResultJournal(journal_path_for(store.url))

    # ---- before sending ----------------------------------------------------------------------

    def find_previous_sends(self, manifest: SendManifest) -> list[SendRecord]:
        """Earlier sends of this exact manifest, oldest first, with `.state` accepted/partial/…
        A send an approver rejected, or that expired unapproved, sent nothing: it is not one of them."""
        return [s for s in self.store.sends_with_manifest(manifest.hash) if s.queue_state not in NEVER_SENT_STATES]

    # ---- queueing ----------------------------------------------------------------------------

    def enqueue(
        self,
        manifest: SendManifest,
        *,
        resend_of: int | None = None,
        is_test: bool = False,
        estimated_parts: int | None = None,
        estimated_cost: Decimal | None = None,
        excluded_recipients: int = 0,
        awaiting_approval: bool = False,
        review: dict | None = None,
        created_by: str | None = None,
    ) -> int:
        """Record the send, its chunks (pending) and recipients in one transaction, queued for a
        worker; posts nothing. Raises DuplicateSend if this manifest was already sent (unless
        `resend_of` names that send). `awaiting_approval`: it waits for an approver instead of the
        worker, with `review` (what the sender saw; lib.approvals). `created_by`: the person
        submitting it (default: this engine's operator)."""
        if not manifest.recipients:
            raise SendError(i18n.Msg("sending.error.no_recipients"))
        claim = self._claim(manifest, resend_of, is_test)
        chunks = [[_new_recipient(r) for r in chunk] for chunk in manifest.chunks(self.batch_size)]
        try:
            send_id = self.store.create_send(
                manifest_hash=manifest.hash,
                claim=claim,
                template_id=manifest.template_id,
                template_name=manifest.template_name,
                channel=manifest.channel.value,
                schedule_at=manifest.schedule_at,
                created_by=created_by or self.operator,
                platform_url=self.platform_url,
                is_sandbox=self.is_sandbox,
                is_test=is_test,
                resend_of=resend_of,
                excluded_recipients=excluded_recipients,
                estimated_parts=estimated_parts,
                estimated_cost=estimated_cost,
                batch_size=self.batch_size,
                chunks=chunks,
                queued=True,
                awaiting_approval=awaiting_approval,
                review=review,
                template_version=manifest.template_version,
                language=i18n.current(),  # the worker posts it in its submitter's language
            )
        except ClaimTaken as taken:
            previous = self._send_record(taken.holder_send_id)
            raise DuplicateSend(self.describe_previous(previous), previous) from None
        log.info("send #%s queued: %s recipients in %s chunks", send_id, len(manifest), len(chunks))
        return send_id

    def submit(
        self,
        manifest: SendManifest,
        *,
        on_progress: ProgressCallback | None = None,
        resend_of: int | None = None,
        is_test: bool = False,
        estimated_parts: int | None = None,
        estimated_cost: Decimal | None = None,
        excluded_recipients: int = 0,
        created_by: str | None = None,
    ) -> SendOutcome:
        """enqueue + post that one send in this process (or follow it, if a worker took it first)."""
        send_id = self.enqueue(
            manifest,
            resend_of=resend_of,
            is_test=is_test,
            estimated_parts=estimated_parts,
            estimated_cost=estimated_cost,
            excluded_recipients=excluded_recipients,
            created_by=created_by,
        )
        return self.run_send(send_id, on_progress=on_progress)

    def request_resume(self, send_id: int, by: str) -> int:
        """Queue the pending and refused chunks of a send again; returns how many will be posted.
        Unknown chunks stay as they are: only `decide_unknown` moves them."""
        detail = self._detail(send_id)
        if detail.send.queue_state in APPROVAL_HELD_STATES:
            raise SendError({
                "awaiting": i18n.Msg("sending.error.resume_awaiting", send=str(send_id)),
                "rejected": i18n.Msg("sending.error.resume_rejected", send=str(send_id)),
                "expired": i18n.Msg("sending.error.resume_expired", send=str(send_id)),
            }[detail.send.queue_state])
        again = 0
        for chunk in detail.chunks:
            if chunk.status is ChunkStatus.REJECTED:
                again += self.store.move_chunk(
                    chunk.id, expected=ChunkStatus.REJECTED, new=ChunkStatus.PENDING, **notes.stored(None)
                )
            elif chunk.status is ChunkStatus.PENDING:
                again += 1
        if again:
            details = {"parts": again, "template_id": detail.send.template_id}
            self.store.requeue_send(
                send_id, audit=lambda conn: audit.record(conn, by, audit.AuditAction.SEND_RESUME, ("send", send_id), details)
            )
            log.info("send #%s queued again by %s: %s chunk(s)", send_id, by, again)
        return again

    def decide_unknown(
        self, send_id: int, chunk_seq: int, decision: str, decided_by: str, note: str | None = None
    ) -> ChunkStatus:
        """A person's decision about a chunk that may or may not have gone out, recorded with their name.

        'marked_sent': they checked with the platform and it went out (final).
        'marked_not_sent': they checked and it did not: it is queued again.
        'resend_at_risk': they accept that its recipients may get it twice: it is queued again."""
        if decision not in DECISIONS:
            raise SendError(i18n.Msg("sending.error.choose_decision", choices=", ".join(DECISIONS)))
        if not (decided_by or "").strip():
            raise SendError(i18n.Msg("sending.error.who_decides"))
        detail = self._detail(send_id)
        chunk = next((c for c in detail.chunks if c.seq == chunk_seq), None)
        if chunk is None:
            raise SendError(i18n.Msg("sending.error.no_chunk", send=str(send_id), seq=str(chunk_seq)))
        if chunk.status is not ChunkStatus.UNKNOWN:
            raise SendError(i18n.Msg("sending.error.not_in_doubt", send=str(send_id), seq=str(chunk_seq),
                                     status=LowerLabel(chunk.status)))  # fmt: skip
        new = ChunkStatus.MARKED_SENT if decision == "marked_sent" else ChunkStatus.PENDING
        record = {"decision": decision, "decided_by": decided_by.strip(), "note": note}
        message = i18n.Msg("sending.note.marked_sent", by=decided_by.strip()) if decision == "marked_sent" else None
        details = {"send": send_id, "part": chunk_seq, "decision": decision, "note": note}
        moved = self.store.move_chunk(
            chunk.id, expected=ChunkStatus.UNKNOWN, new=new, override=True, decision=record, **notes.stored(message),
            audit=lambda conn: audit.record(conn, decided_by.strip(), audit.AuditAction.SEND_DECISION,
                                            ("chunk", chunk.id), details),
        )
        if not moved:
            raise SendError(i18n.Msg("sending.error.changed_meanwhile", send=str(send_id), seq=str(chunk_seq)))
        log.info("send #%s chunk %s: %s by %s", send_id, chunk_seq, decision, decided_by)
        if new is ChunkStatus.PENDING:
            self.store.requeue_send(send_id)
        return new

    def resume(
        self, send_id: int, *, on_progress: ProgressCallback | None = None, include_unknown: bool = False
    ) -> SendOutcome:
        """Post the pending and rejected chunks of an earlier send in this process (and its unknown
        ones only with include_unknown=True: recorded as the operator's decision to risk a duplicate)."""
        detail = self._detail(send_id)
        if include_unknown:
            for chunk in detail.chunks:
                if chunk.status is ChunkStatus.UNKNOWN:
                    self.decide_unknown(send_id, chunk.seq, "resend_at_risk", self.operator, note="resume")
        self.request_resume(send_id, self.operator)
        return self.run_send(send_id, on_progress=on_progress)

    # ---- running a send ----------------------------------------------------------------------

    def run_send(
        self,
        send_id: int,
        *,
        on_progress: ProgressCallback | None = None,
        owner: str | None = None,
        stop: threading.Event | None = None,
    ) -> SendOutcome:
        """Claim this one send and post its pending chunks here; if another process holds it,
        follow it in the store until it ends."""
        owner = owner or local_owner_id()
        detail = self._detail(send_id)
        self._check_recipients_stored(detail)
        claim = self.store.claim_send(owner, self.lease, send_id=send_id, platform=self.platform)
        if claim is None:
            known = {c.seq: c.status for c in detail.chunks}
            return self.follow(send_id, on_progress=on_progress, stop=stop, known=known)
        self.post_claimed(claim, on_progress=on_progress, stop=stop)
        return self.outcome(send_id)

    def post_claimed(
        self, claim: SendClaim, *, on_progress: ProgressCallback | None = None, stop: threading.Event | None = None
    ) -> bool:
        """Post the pending chunks of a claimed send in order, renewing the lease before each; give
        the lease back at the end. Returns True if the send is finished (left the queue)."""
        finished = False
        keeper_done = threading.Event()
        keeper = threading.Thread(target=self._keep_lease, args=(claim, keeper_done), name="lease-keeper", daemon=True)
        keeper.start()
        try:
            finished = self._post_pending(claim, on_progress, stop)
        finally:
            keeper_done.set()
            keeper.join()
            try:
                self.store.release_send(claim, finished=finished)
                if finished:
                    self._record_posted(claim)
            except (StoreError, SQLAlchemyError) as exc:  # the database is failing: the lease simply expires
                log.warning("send #%s: lease not given back (%s); it expires by itself", claim.send_id, exc)
        return finished

    def _record_posted(self, claim: SendClaim) -> None:
        """The audit trail's line for a finished run: its dispatch ids and how many people each way."""
        outcome = self.progress(claim.send_id)
        details = {
            "dispatch_ids": outcome.dispatch_ids, "accepted": outcome.totals.accepted,
            "may_have_gone_out": outcome.totals.unknown, "not_sent": outcome.totals.pending + outcome.totals.rejected,
            "worker": claim.owner,
        }  # fmt: skip
        with self.store.write() as conn:
            audit.record(conn, audit.SENDER_ACTOR, audit.AuditAction.SEND_POSTED, ("send", claim.send_id), details)

    def _post_pending(self, claim: SendClaim, on_progress: ProgressCallback | None, stop) -> bool:
        detail = self._detail(claim.send_id)
        if claim.became_unknown:
            log.warning("send #%s: chunk(s) %s were being posted by %s when it stopped; recorded unknown",
                        claim.send_id, ", ".join(map(str, claim.became_unknown)), claim.previous_owner)  # fmt: skip
        todo = [c for c in detail.chunks if c.status is ChunkStatus.PENDING]
        try:
            self._check_recipients_stored(detail, todo)
        except SendError as exc:  # nothing here can be posted, now or later: the send leaves the queue
            log.error("send #%s: %s", claim.send_id, exc)
            return True
        run = _Run(send_id=claim.send_id, chunk_count=len(detail.chunks), on_progress=on_progress, owner=claim.owner)
        # Posted in the language of the person who submitted it: the platform answers its errors in it.
        with i18n.language(detail.send.language or i18n.current()):
            return self._post_chunks(claim, detail, todo, run, stop)

    def _post_chunks(self, claim: SendClaim, detail, todo, run: _Run, stop) -> bool:
        for chunk in todo:
            if stop is not None and stop.is_set():
                return False
            if self._held(detail.send):
                return False
            if not self.store.renew_lease(claim.send_id, claim.owner, self.lease):
                log.warning("send #%s: lease lost to another worker; stopping here", claim.send_id)
                return False
            members = self.store.chunk_recipients(chunk.id)
            kept = self.gate.admit(detail.send, chunk, members)
            if not kept:
                self._leave_out(chunk, run)
                continue
            if not self._post_chunk(detail.send, chunk, kept, run):
                break
        return True

    def _keep_lease(self, claim: SendClaim, done: threading.Event) -> None:
        """Renew the lease every third of its length while this process posts the send, so a lease
        can be short (it runs out only when the process is gone) whatever a POST's deadline."""
        while not done.wait(self.lease.total_seconds() / 3):
            try:
                if not self.store.renew_lease(claim.send_id, claim.owner, self.lease):
                    log.warning("send #%s: lease lost to another worker", claim.send_id)
                    return
            except (StoreError, SQLAlchemyError) as exc:  # the next renewal (or the one before each chunk) may work
                log.warning("send #%s: lease not renewed (%s)", claim.send_id, exc)

    def _held(self, send: SendRecord) -> bool:
        until = self.hold(send, utcnow()) if self.hold is not None else None
        if until is None:
            return False
        self.store.hold_send(send.id, until)
        log.info("send #%s: the rest waits until %s (quiet hours)", send.id, until.astimezone(self.tz))
        return True

    def _leave_out(self, chunk: ChunkRecord, run: _Run) -> None:
        if self.store.move_chunk(chunk.id, expected=ChunkStatus.PENDING, new=ChunkStatus.LEFT_OUT):
            run.done += 1
            run.report(chunk.seq, ChunkStatus.LEFT_OUT, chunk.recipient_count)

    def follow(
        self,
        send_id: int,
        *,
        on_progress: ProgressCallback | None = None,
        stop: threading.Event | None = None,
        poll_seconds: float = FOLLOW_POLL_SECONDS,
        live_within: timedelta = WORKER_LIVE_WITHIN,
        known: dict[int, ChunkStatus] | None = None,
    ) -> SendOutcome:
        """Watch a send another process is posting, reporting each chunk's result as the store shows
        it, until it leaves the queue. If it sits queued while no worker is alive, post it here.
        `known`: chunk statuses already reported (seq -> status); None: everything is reported."""
        seen: dict[int, ChunkStatus] = dict(known or {})
        chunk_count = len(self._detail(send_id).chunks)
        while True:
            outcome = self.outcome(send_id)
            self._report_changes(outcome, seen, chunk_count, on_progress)
            if outcome.finished or outcome.held or (stop is not None and stop.is_set()):
                return outcome
            if not outcome.running and not self.store.live_workers(live_within, platform=self.platform):
                claim = self.store.claim_send(local_owner_id(), self.lease, send_id=send_id, platform=self.platform)
                if claim is not None:
                    self.post_claimed(claim, on_progress=on_progress, stop=stop)
                    return self.outcome(send_id)
            (stop or threading.Event()).wait(poll_seconds)

    @staticmethod
    def _report_changes(outcome: SendOutcome, seen: dict, chunk_count: int, on_progress) -> None:
        if on_progress is None:
            return
        for chunk in outcome.chunks:
            before = seen.get(chunk.seq)
            seen[chunk.seq] = chunk.status
            if before is chunk.status or chunk.status in (ChunkStatus.PENDING, ChunkStatus.POSTING):
                continue
            on_progress(
                ChunkProgress(
                    send_id=outcome.send_id, seq=chunk.seq, chunk_count=chunk_count, status=chunk.status,
                    recipient_count=chunk.recipient_count, dispatch_id=chunk.dispatch_id, error=chunk.error,
                    chunks_done=sum(1 for s in seen.values() if s not in (ChunkStatus.PENDING, ChunkStatus.POSTING)),
                    recipients_accepted=outcome.totals.accepted,
                )  # fmt: skip
            )

    def outcome(self, send_id: int) -> SendOutcome:
        """The current state of a send, all read from the store (pages and the CLI watch this)."""
        detail = self._detail(send_id)
        results = tuple(self._chunk_result(c) for c in detail.chunks)
        totals = _totals(detail.send.total_recipients, results)
        invalids = tuple(i for c in results for i in c.invalids)
        send = detail.send
        return SendOutcome(
            send_id=send_id,
            send=send,
            chunks=results,
            totals=totals,
            platform_rejected_recipients=invalids,
            headline=_headline(send, results, totals, self.tz),
            queue_state=send.queue_state,
            worker=send.lease_owner if send.lease_held(utcnow()) else None,
        )

    def progress(self, send_id: int, unit: str = "parts") -> SendProgress:
        """outcome() without reading a single recipient: what a page polls every second (its headline
        speaks of `unit`: a page says parts, not chunks)."""
        detail = self._detail(send_id)
        results = tuple(
            ChunkResult(
                seq=c.seq, chunk_id=c.id, status=c.status, dispatch_id=c.dispatch_id, recipient_count=c.recipient_count,
                recipients=(), total_recipients_sent=c.total_recipients_sent, invalids=(), error=notes.chunk_note(c),
                attempts=c.attempts,
            )  # fmt: skip
            for c in detail.chunks
        )
        totals = _totals(detail.send.total_recipients, results)
        send = detail.send
        return SendProgress(
            send_id=send_id, send=send, chunks=results, totals=totals,
            headline=_headline(send, results, totals, self.tz, unit), queue_state=send.queue_state,
            worker=send.lease_owner if send.lease_held(utcnow()) else None,
        )  # fmt: skip

    def recipients(self, send_id: int, group: str, limit: int | None = None) -> list[StoredRecipient]:
        """The first `limit` recipients of a send who 'uncertain' may or may not have it, or who are
        'waiting' (their part was not sent, or was refused as a whole)."""
        return self.store.send_recipients(send_id, RECIPIENT_GROUPS[group], limit)

    def refused_recipients(self, send_id: int, limit: int | None = None) -> list[InvalidRecipient]:
        """Recipients the platform refused one by one inside accepted parts, traced back to their rows."""
        out: list[InvalidRecipient] = []
        for chunk in self._detail(send_id).chunks:
            if chunk.invalid_json:
                out.extend(self._reconcile_invalids(chunk))
            if limit is not None and len(out) >= limit:
                return out[:limit]
        return out

    def replay_journal(self) -> int:
        """Write the results a failed database could not take (see lib.sending.journal) into the store."""
        return replay_journal(self.store, self.journal)

    # ---- internals ---------------------------------------------------------------------------

    def _detail(self, send_id: int):
        detail = self.store.get_send(send_id)
        if detail is None:
            raise SendError(i18n.Msg("sending.error.no_send", send=str(send_id)))
        return detail

    def _check_recipients_stored(self, detail, todo=None) -> None:
        todo = [c for c in detail.chunks if c.status in (ChunkStatus.PENDING, ChunkStatus.REJECTED)] if todo is None \
            else todo  # fmt: skip
        stored = self.store.stored_recipient_counts([c.id for c in todo])
        if any(stored[c.id] != c.recipient_count for c in todo):
            raise SendError(i18n.Msg("sending.error.recipients_purged", send=str(detail.send.id)))

    def _claim(self, manifest: SendManifest, resend_of: int | None, is_test: bool) -> str:
        if is_test:  # a test to the marketer's own phone may be repeated; it is never a campaign
            return f"{manifest.hash}:test:{uuid.uuid4().hex}"
        if resend_of is None:
            return manifest.hash
        previous = self.store.get_send(resend_of)
        if previous is None:
            raise SendError(i18n.Msg("sending.error.no_send_to_resend", send=str(resend_of)))
        if previous.send.manifest_hash != manifest.hash:
            raise SendError(i18n.Msg("sending.error.not_a_resend", send=str(resend_of)))
        return f"{manifest.hash}:resend-of:{resend_of}"

    def _send_record(self, send_id: int) -> SendRecord:
        detail = self.store.get_send(send_id)
        assert detail is not None  # it holds a claim, so it exists
        return detail.send

    def describe_previous(self, previous: SendRecord) -> i18n.Msg:
        """Why a manifest with this earlier send is refused, naming it (the DuplicateSend message);
        str() of it is the sentence in the reader's language."""
        said = {"when": _When(previous.created_at, self.tz), "send": str(previous.id), "by": previous.created_by}
        state = previous.state
        if state in ("accepted", "partial"):
            reached = previous.recipient_counts.get(ChunkStatus.ACCEPTED, 0)
            key = "sending.previous.sent" if state == "accepted" else "sending.previous.sent_so_far"
            return i18n.Msg(key, n=reached, **said)
        if previous.queue_state == "awaiting":
            return i18n.Msg("sending.previous.awaiting", **said)
        if state == "unknown":
            return i18n.Msg("sending.previous.unknown", **said)
        return i18n.Msg("sending.previous.in_progress", **said)

    def _post_chunk(self, send: SendRecord, chunk, members: Sequence[StoredRecipient], run: _Run) -> bool:
        """Post one chunk; returns False when the send must stop here."""
        run.report(
            chunk.seq, ChunkStatus.POSTING, chunk.recipient_count
        )  # before the write: a stop here leaves it pending
        if not self.store.move_chunk(chunk.id, expected=chunk.status, new=ChunkStatus.POSTING, count_attempt=True):
            log.info("send #%s chunk %s was taken by another process; skipping it", send.id, chunk.seq)
            return True
        channel = Channel(send.channel)
        try:
            result = self.client.send_messages(
                send.template_id, [_to_recipient(r, channel) for r in members], send.schedule_at
            )
        except PlatformUnreachable as exc:
            return self._record_failure(send, chunk, ChunkStatus.PENDING, exc, run, keep_going=False)
        except (AuthenticationError, NotFoundError) as exc:
            return self._record_failure(send, chunk, ChunkStatus.REJECTED, exc, run, keep_going=False)
        except RequestRejected as exc:
            return self._record_failure(send, chunk, ChunkStatus.REJECTED, exc, run, keep_going=True)
        except PlatformError as exc:  # OutcomeUnknown, PlatformServerError and anything new
            uncertain = isinstance(exc, OutcomeUnknown) or exc.maybe_delivered or type(exc) is PlatformError
            status = ChunkStatus.UNKNOWN if uncertain else ChunkStatus.REJECTED
            return self._record_failure(send, chunk, status, exc, run, keep_going=False)
        except Exception as exc:  # a bug must not leave the chunk looking unsent: it may have gone out
            log.exception("send #%s chunk %s: unexpected error while posting", send.id, chunk.seq)
            message = i18n.Msg("sending.note.unexpected", error=type(exc).__name__)
            return self._record_failure(send, chunk, ChunkStatus.UNKNOWN, PlatformError(message), run, keep_going=False)
        self._record_accepted(send, chunk, result, run)
        return True

    def _record_accepted(self, send: SendRecord, chunk, result: SendResult, run: _Run) -> None:
        now = utcnow()
        # Figures that do not add up are kept as received (platform_answer) and never stored as ours:
        # the chunk's recipients count as sent per the platform (it took them as this dispatch).
        add_up = result.figures_add_up
        sent = result.total_recipients_sent if add_up else chunk.recipient_count
        dispatch = {
            "dispatch_id": result.dispatch,
            "send_id": send.id,
            "chunk_id": chunk.id,
            "template_id": send.template_id,
            "message_type_id": Channel(send.channel).message_type_id,
            "total_recipients": result.total_recipients if add_up else None,
            "send_status_id": DRAFT,
            "is_test": send.is_test,
            "created_at": now,
            "send_at": result.send_date,
        }
        fields = {
            "dispatch_id": result.dispatch,
            "total_recipients_sent": sent,
            "invalid_recipients": result.invalid_recipients if add_up else None,
            "invalid_json": _invalid_json(result) if add_up else None,
            "platform_answer": None if add_up else result.platform_answer,
            **notes.stored(None if add_up else _figures_note(result, chunk.recipient_count)),
        }
        self._write_result(send, chunk, ChunkStatus.ACCEPTED, fields, dispatch, now, run)
        run.accepted += sent
        run.done += 1
        run.report(chunk.seq, ChunkStatus.ACCEPTED, chunk.recipient_count, dispatch_id=result.dispatch)

    def _record_failure(
        self, send: SendRecord, chunk, status: ChunkStatus, exc: PlatformError, run: _Run, *, keep_going: bool
    ) -> bool:
        # The note keeps the sentence's key and parameters (the platform's words as it wrote them).
        self._write_result(send, chunk, status, notes.stored(exc.message), None, utcnow(), run)
        run.done += 1
        run.report(chunk.seq, status, chunk.recipient_count, error=str(exc))
        return keep_going

    def _write_result(self, send: SendRecord, chunk, status: ChunkStatus, fields: dict, dispatch, now, run) -> None:
        """Record a POST's answer. The database may be locked or full at this very moment: retry for
        a bounded time, then journal the answer beside the database and raise ResultNotRecorded.
        The entry names the lease owner: that run stops here, so the replay gives its lease back."""
        entry = {
            "send_id": send.id, "chunk_id": chunk.id, "seq": chunk.seq, "status": status.value,
            "dispatch_id": fields.get("dispatch_id"), "fields": fields, "dispatch": dispatch, "at": now,
            "owner": run.owner,
        }  # fmt: skip
        deadline = time.monotonic() + self.record_retry_seconds
        delay = 0.05
        while True:
            try:
                apply_result(self.store, entry)
                return
            except (StoreError, OperationalError, InterfaceError) as exc:  # locked, full, unreachable
                if time.monotonic() + delay > deadline:
                    failure = exc
                    break
                log.warning("send #%s chunk %s: result not written yet (%s); retrying", send.id, chunk.seq, exc)
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
        self.journal.append(entry)
        log.error("send #%s chunk %s: the database refused the result (%s); dispatch %s written to %s",
                  send.id, chunk.seq, failure, entry["dispatch_id"], self.journal.path)  # fmt: skip
        raise ResultNotRecorded(entry, self.journal.path, failure)

    def _chunk_result(self, chunk) -> ChunkResult:
        certain = chunk.status is ChunkStatus.ACCEPTED
        members = () if certain else tuple(self.store.chunk_recipients(chunk.id))
        return ChunkResult(
            seq=chunk.seq,
            chunk_id=chunk.id,
            status=chunk.status,
            dispatch_id=chunk.dispatch_id,
            recipient_count=chunk.recipient_count,
            recipients=members,
            total_recipients_sent=chunk.total_recipients_sent,
            invalids=tuple(self._reconcile_invalids(chunk)) if chunk.invalid_json else (),
            error=notes.chunk_note(chunk),
            attempts=chunk.attempts,
        )

    def _reconcile_invalids(self, chunk) -> list[InvalidRecipient]:
        """The platform's invalids, traced back to spreadsheet rows by the one rule the Dispatches page uses."""
        return [InvalidRecipient(r.unique_id, r.row_number, r.destination, reason=r.refusal.reason)
                for r in platform_refusals(self.store, chunk.id, chunk.platform_invalids)]


@dataclass
class _Run:
    send_id: int
    chunk_count: int
    on_progress: ProgressCallback | None
    owner: str | None = None  # whose lease this run posts under
    done: int = 0
    accepted: int = 0

    def report(self, seq: int, status: ChunkStatus, recipients: int, **extra) -> None:
        if self.on_progress is not None:
            self.on_progress(
                ChunkProgress(
                    send_id=self.send_id,
                    seq=seq,
                    chunk_count=self.chunk_count,
                    status=status,
                    recipient_count=recipients,
                    chunks_done=self.done,
                    recipients_accepted=self.accepted,
                    **extra,
                )
            )


def _new_recipient(r) -> NewRecipient:
    return NewRecipient(r.unique_id, r.row_number, r.destination, r.card_number, r.payload)


def _to_recipient(r: StoredRecipient, channel: Channel) -> Recipient:
    return Recipient(
        unique_id=r.unique_id,
        mobile_phone=r.destination if channel is Channel.SMS else None,
        email=r.destination if channel is Channel.EMAIL else None,
        card_number=r.card_number,
        payload=dict(r.payload),
    )


def _invalid_json(result: SendResult) -> str | None:
    if not result.invalid_emails and not result.invalid_mobiles:
        return None
    return json.dumps(
        {"invalidEmails": list(result.invalid_emails), "invalidMobiles": [m.to_json() for m in result.invalid_mobiles]},
        ensure_ascii=False,
    )


def _figures_note(result: SendResult, posted: int) -> i18n.Msg:
    return i18n.Msg("sending.note.figures", n=posted, dispatch=str(result.dispatch),
                    problems=notes.Joined(result.problems))  # fmt: skip


def _totals(submitted: int, chunks: Sequence[ChunkResult]) -> SendTotals:
    def count(*statuses: ChunkStatus) -> int:
        return sum(c.recipient_count for c in chunks if c.status in statuses)

    accepted_chunks = [c for c in chunks if c.status is ChunkStatus.ACCEPTED]
    accepted = sum(c.total_recipients_sent or 0 for c in accepted_chunks)
    return SendTotals(
        submitted=submitted,
        accepted=accepted,
        platform_invalid=count(ChunkStatus.ACCEPTED) - accepted,
        rejected=count(ChunkStatus.REJECTED),
        unknown=count(ChunkStatus.UNKNOWN, ChunkStatus.POSTING),
        pending=count(ChunkStatus.PENDING),
        marked_sent=count(ChunkStatus.MARKED_SENT),
        left_out=count(ChunkStatus.LEFT_OUT),
    )


class _When:
    """A moment as a sentence says it (`1 Dec at 10:02`), in the language of the sentence holding it."""

    def __init__(self, moment: datetime, tz: tzinfo):
        self.local = moment.astimezone(tz)

    def __str__(self) -> str:
        return i18n.t("sending.when", date=i18n.date_text(self.local, "short"), time=i18n.time_text(self.local))


def _rows(recipients: Sequence[StoredRecipient], limit: int = 4) -> i18n.Msg | None:
    """Row numbers as compact ranges: 'rows 2–1001, 1003–1500'."""
    numbers = sorted(r.row_number for r in recipients)
    if not numbers:
        return None
    ranges: list[tuple[int, int]] = []
    for n in numbers:
        if ranges and n == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], n)
        else:
            ranges.append((n, n))
    parts = ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in ranges[:limit])  # row numbers: no separators
    if len(ranges) > limit:
        return i18n.Msg("sending.rows_and_others", ranges=parts)
    # One row or a list of them (not a count: the catalog's plurals are chosen by a number shown).
    return i18n.Msg("sending.row", ranges=parts) if len(numbers) == 1 else i18n.Msg("sending.rows", ranges=parts)


def _headline(
    send: SendRecord, chunks: Sequence[ChunkResult], totals: SendTotals, tz: tzinfo, unit: str = "chunks"
) -> str:
    """One paragraph on what happened, in the reader's language; `unit` names the pieces (the command
    line says chunks, pages say parts)."""
    n = len(chunks)
    accepted = [c for c in chunks if c.status is ChunkStatus.ACCEPTED]
    uncertain = [c for c in chunks if c.may_have_gone_out]
    rejected = [c for c in chunks if c.status is ChunkStatus.REJECTED]
    pending = [c for c in chunks if c.status is ChunkStatus.PENDING]
    marked = [c for c in chunks if c.status is ChunkStatus.MARKED_SENT]
    left_out = [c for c in chunks if c.status is ChunkStatus.LEFT_OUT]

    # "of 3 chunks": each sentence below says how many of them ("1 of 3 chunks ..."), chosen by that n.
    of = i18n.Msg("sending.headline.of_parts" if unit == "parts" else "sending.headline.of_chunks", n=n)

    def recipients(count: int) -> i18n.Msg:  # "2 recipients" on its own
        return i18n.Msg("common.recipients", n=count)

    def to_recipients(count: int) -> i18n.Msg:  # "sent to 2 recipients" (Greek: the accusative)
        return i18n.Msg("sending.to_recipients", n=count)

    refused = (
        i18n.Msg("sending.headline.refused_invalid", n=totals.platform_invalid) if totals.platform_invalid else ""
    )
    odd = [str(c.dispatch_id) for c in accepted if c.error]  # figures that did not add up (_record_accepted)
    flagged = [i18n.t("sending.headline.figures_flagged_one" if len(odd) == 1 else "sending.headline.figures_flagged",
                      dispatches=", ".join(odd))] if odd else []  # fmt: skip
    if len(accepted) == n:
        said = {"recipients": to_recipients(totals.accepted), "dispatches": i18n.Msg("sending.dispatches", n=n),
                "refused": refused}  # fmt: skip
        if send.schedule_at:
            first = i18n.t("sending.headline.scheduled", when=_When(send.schedule_at, tz), **said)
        else:
            first = i18n.t("sending.headline.sent", **said)
        return " ".join([first, *flagged])
    sentences = []
    if uncertain:
        people = [r for c in uncertain for r in c.recipients]
        rows = _rows(people)
        said = {"of": of, "recipients": i18n.Msg("sending.headline.may_have_received", n=totals.unknown)}
        sentences.append(
            i18n.t("sending.headline.uncertain_rows", n=len(uncertain), rows=rows, **said) if rows
            else i18n.t("sending.headline.uncertain", n=len(uncertain), **said)
        )  # fmt: skip
    if accepted:
        sentences.append(i18n.t("sending.headline.went_out", n=len(accepted), of=of,
                                recipients=to_recipients(totals.accepted), refused=refused))  # fmt: skip
    if marked:
        sentences.append(i18n.t("sending.headline.marked", n=len(marked), of=of,
                                recipients=recipients(totals.marked_sent)))  # fmt: skip
    if left_out:
        sentences.append(i18n.t("sending.headline.left_out", n=len(left_out), of=of))
    if rejected:
        sentences.append(i18n.t("sending.headline.rejected", n=len(rejected), of=of, error=rejected[0].error))
    held = send.not_before is not None and send.not_before > utcnow()
    if pending:
        why: object = next((c.error for c in pending if c.error), None)
        if held:
            why = i18n.Msg("sending.headline.quiet_hours", when=_When(send.not_before, tz))
        said = {"of": of, "recipients": recipients(totals.pending)}
        sentences.append(
            i18n.t("sending.headline.pending_because", n=len(pending), why=why, **said) if why
            else i18n.t("sending.headline.pending", n=len(pending), **said)
        )  # fmt: skip
    if rejected or (pending and not held):
        sentences.append(i18n.t("sending.headline.resume", send=str(send.id)))
    return " ".join([*(s.replace("..", ".") for s in sentences), *flagged])


# ---- writing a POST's result (directly, or later from the journal) -------------------------------


def apply_result(store: HistoryStore, entry: dict) -> bool:
    """Write one POST's answer to its chunk. Idempotent: an answer already written is skipped.
    The chunk is normally `posting`; if a takeover recorded it unknown meanwhile, a dispatch id the
    platform gave still wins (the answer is certain); any other answer leaves it unknown."""
    status = ChunkStatus(entry["status"])
    at = entry["at"] if isinstance(entry["at"], datetime) else datetime.fromisoformat(entry["at"])
    fields, dispatch, chunk_id = dict(entry["fields"]), entry.get("dispatch"), entry["chunk_id"]
    if store.move_chunk(chunk_id, expected=ChunkStatus.POSTING, new=status, now=at, dispatch=dispatch, **fields):
        return True
    current = store.get_chunk(chunk_id)
    if current is None:
        log.error("send #%s chunk %s: no such chunk any more; answer %s not written", entry["send_id"], entry["seq"], entry)
        return False
    if current.status is status and current.dispatch_id == fields.get("dispatch_id"):
        return False  # written already (a replay run twice)
    if current.status is ChunkStatus.UNKNOWN and status is ChunkStatus.ACCEPTED:
        log.warning("send #%s chunk %s: the platform's answer (dispatch %s) arrived after the chunk was recorded "
                    "unknown; recording it as accepted", entry["send_id"], entry["seq"], fields.get("dispatch_id"))  # fmt: skip
        return store.move_chunk(
            chunk_id, expected=ChunkStatus.UNKNOWN, new=status, now=at, dispatch=dispatch, override=True, **fields
        )
    log.error("send #%s chunk %s is %s; its late answer %s (dispatch %s) is not written", entry["send_id"],
              entry["seq"], current.status, status, fields.get("dispatch_id"))  # fmt: skip
    return False


def replay_journal(store: HistoryStore, journal: ResultJournal | None = None) -> int:
    """Replay the results journal beside `store`'s database into it (before anything else at a start).
    The run that wrote an entry stopped right after, so its lease on that send is given back."""
    journal = journal or ResultJournal(journal_path_for(store.url))

    def apply(entry: dict) -> None:
        apply_result(store, entry)
        if entry.get("owner"):
            store.release_send(SendClaim(entry["send_id"], entry["owner"], None), finished=False)

    return journal.replay(apply)
