"""The send engine: one POST per chunk, every state written to the history store around it.

Order of events for a send (crash safety):
1. The send, every chunk (pending) and every recipient are written in ONE transaction, which also
   takes the manifest's claim (a UNIQUE column): a second submission of the same manifest, from
   another tab, user or process, fails there and nothing is posted.
2. Per chunk: pending -> posting is committed BEFORE the POST, and the result (accepted with its
   dispatch id, rejected, unknown, back to pending) is committed right AFTER it. A process that
   dies leaves every chunk in its last recorded status; a chunk found in `posting` later may have
   gone out and is reported (and, once stale, recorded) as unknown.

Failure handling (the API has no idempotency, so nothing is ever retried automatically; what
each answer means is decided in lib.messaging.client, see its docstring):
- OutcomeUnknown (read timeout, the request deadline passed, connection lost after sending, any
  3xx redirect, any 5xx except the platform's own refusal of the body, a 2xx without a whole-number
  dispatch) and any unexpected error: the chunk is UNKNOWN and the send STOPS; later chunks stay
  pending. A slow or failing platform would most likely do the same to every later chunk, and the
  marketer should check what went out before anything more is sent. Unknown chunks are resent
  only by `resume(include_unknown=True)`.
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
`resume` sends the pending and rejected chunks of the same send, in order.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal

from lib.history.store import ClaimTaken, HistoryStore, NewRecipient, SendRecord, StoredRecipient, utcnow
from lib.messaging.errors import (
    AuthenticationError,
    NotFoundError,
    OutcomeUnknown,
    PlatformError,
    PlatformUnreachable,
    RequestRejected,
)
from lib.messaging.models import Recipient, SendResult
from lib.sending.manifest import SendManifest
from lib.sending.status import ChunkStatus, transition
from lib.templates import Channel

log = logging.getLogger(__name__)

DRAFT = 1  # the platform's sendStatusId of a dispatch just created
STALE_POSTING_MARGIN = timedelta(seconds=30)


class SendError(RuntimeError):
    """A send or resume that cannot start; str() is a sentence for the marketer."""


class DuplicateSend(SendError):
    """This manifest already has a send (or is being sent right now). Naming that send in
    `submit(..., resend_of=previous_send_id)` is the explicit override."""

    def __init__(self, message: str, previous: SendRecord):
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
    error: str | None = None
    chunks_done: int = 0  # chunks finished in this run, this one included once it has a result
    recipients_accepted: int = 0  # totalRecipientsSent so far in this run


@dataclass(frozen=True)
class InvalidRecipient:
    unique_id: str
    row_number: int | None  # None when the personal data was already purged
    destination: str
    reason: str


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
    error: str | None
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


@dataclass(frozen=True)
class SendOutcome:
    send_id: int
    send: SendRecord
    chunks: tuple[ChunkResult, ...]
    totals: SendTotals
    platform_rejected_recipients: tuple[InvalidRecipient, ...]
    headline: str

    @property
    def dispatch_ids(self) -> list[int]:
        return [c.dispatch_id for c in self.chunks if c.dispatch_id is not None]

    @property
    def complete(self) -> bool:
        return all(c.status is ChunkStatus.ACCEPTED for c in self.chunks)

    @property
    def has_unknown(self) -> bool:
        return any(c.may_have_gone_out for c in self.chunks)

    @property
    def can_resume(self) -> bool:
        return any(c.status in (ChunkStatus.PENDING, ChunkStatus.REJECTED) for c in self.chunks)

    @property
    def uncertain_recipients(self) -> list[StoredRecipient]:
        """Everyone who may or may not have received the message."""
        return [r for c in self.chunks if c.may_have_gone_out for r in c.recipients]


ProgressCallback = Callable[[ChunkProgress], None]


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
    ):
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.store = store
        self.client = client
        self.batch_size = batch_size
        self.platform_url = platform_url
        self.is_sandbox = is_sandbox
        self.operator = operator
        self.tz = timezone or getattr(client, "tz", None) or UTC
        if stale_posting_after is None:
            waited = getattr(client, "request_deadline", None) or (
                getattr(client, "connect_timeout", 10.0) + getattr(client, "read_timeout", 60.0)
            )  # no POST outlives the client's deadline
            stale_posting_after = timedelta(seconds=waited) + STALE_POSTING_MARGIN
        self.stale_posting_after = stale_posting_after

    # ---- before sending ----------------------------------------------------------------------

    def find_previous_sends(self, manifest: SendManifest) -> list[SendRecord]:
        """Earlier sends of this exact manifest, oldest first, with `.state` accepted/partial/…"""
        return self.store.sends_with_manifest(manifest.hash)

    # ---- sending -----------------------------------------------------------------------------

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
    ) -> SendOutcome:
        """Record the send, then post it chunk by chunk. Raises DuplicateSend before posting
        anything if this manifest was already sent (unless `resend_of` names that send)."""
        if not manifest.recipients:
            raise SendError("There is no one to send to: the list has no recipients")
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
                created_by=self.operator,
                platform_url=self.platform_url,
                is_sandbox=self.is_sandbox,
                is_test=is_test,
                resend_of=resend_of,
                excluded_recipients=excluded_recipients,
                estimated_parts=estimated_parts,
                estimated_cost=estimated_cost,
                batch_size=self.batch_size,
                chunks=chunks,
            )
        except ClaimTaken as taken:
            previous = self._send_record(taken.holder_send_id)
            raise DuplicateSend(self.describe_previous(previous), previous) from None
        log.info("send #%s recorded: %s recipients in %s chunks", send_id, len(manifest), len(chunks))
        return self._run(send_id, on_progress, include_unknown=False)

    def resume(
        self, send_id: int, *, on_progress: ProgressCallback | None = None, include_unknown: bool = False
    ) -> SendOutcome:
        """Post the pending and rejected chunks of an earlier send (and its unknown ones only with
        include_unknown=True, after a person accepted the risk of a duplicate)."""
        detail = self.store.get_send(send_id)
        if detail is None:
            raise SendError(f"There is no send #{send_id}")
        self._expire_stale_posting(detail.chunks)
        return self._run(send_id, on_progress, include_unknown=include_unknown)

    def outcome(self, send_id: int) -> SendOutcome:
        """The current state of a send, as the result page shows it."""
        detail = self.store.get_send(send_id)
        if detail is None:
            raise SendError(f"There is no send #{send_id}")
        results = tuple(self._chunk_result(c) for c in detail.chunks)
        totals = _totals(detail.send.total_recipients, results)
        invalids = tuple(i for c in results for i in c.invalids)
        return SendOutcome(
            send_id=send_id,
            send=detail.send,
            chunks=results,
            totals=totals,
            platform_rejected_recipients=invalids,
            headline=_headline(detail.send, results, totals, self.tz),
        )

    # ---- internals ---------------------------------------------------------------------------

    def _claim(self, manifest: SendManifest, resend_of: int | None, is_test: bool) -> str:
        if is_test:  # a test to the marketer's own phone may be repeated; it is never a campaign
            return f"{manifest.hash}:test:{uuid.uuid4().hex}"
        if resend_of is None:
            return manifest.hash
        previous = self.store.get_send(resend_of)
        if previous is None:
            raise SendError(f"There is no send #{resend_of} to send again")
        if previous.send.manifest_hash != manifest.hash:
            raise SendError(
                f"Send #{resend_of} was a different list, template or schedule, so this is not a resend of it"
            )
        return f"{manifest.hash}:resend-of:{resend_of}"

    def _send_record(self, send_id: int) -> SendRecord:
        detail = self.store.get_send(send_id)
        assert detail is not None  # it holds a claim, so it exists
        return detail.send

    def describe_previous(self, previous: SendRecord) -> str:
        """Why a manifest with this earlier send is refused, naming it (the DuplicateSend message)."""
        when = _when(previous.created_at, self.tz)
        who = f"send #{previous.id}, by {previous.created_by}"
        state = previous.state
        if state in ("accepted", "partial"):
            reached = previous.recipient_counts.get(ChunkStatus.ACCEPTED, 0)
            return (
                f"This list and template were already sent on {when} ({who}, {reached:,} recipients"
                f"{'' if state == 'accepted' else ' so far'}). Sending it again would message the same "
                f"people twice. To do it anyway, confirm a resend of send #{previous.id}."
            )
        if state == "unknown":
            return (
                f"This list and template were already submitted on {when} ({who}) and it is not known "
                f"whether it went out. Check send #{previous.id} on the Dispatches page before sending again."
            )
        return (
            f"This list and template were already submitted on {when} ({who}) and may still be going out "
            f"(another tab or person). Open send #{previous.id} to resume it instead of starting again."
        )

    def _expire_stale_posting(self, chunks: Iterable) -> None:
        """A chunk left `posting` longer than any POST can take belongs to a process that died
        during its POST: it may have gone out, so it is recorded as unknown."""
        cutoff = utcnow() - self.stale_posting_after
        for chunk in chunks:
            if chunk.status is ChunkStatus.POSTING and chunk.updated_at < cutoff:
                transition(chunk.status, ChunkStatus.UNKNOWN)
                self.store.move_chunk(
                    chunk.id,
                    expected=ChunkStatus.POSTING,
                    new=ChunkStatus.UNKNOWN,
                    error_message="The console stopped while this chunk was being sent; it may have gone out",
                )

    def _run(self, send_id: int, on_progress: ProgressCallback | None, *, include_unknown: bool) -> SendOutcome:
        detail = self.store.get_send(send_id)
        eligible = {ChunkStatus.PENDING, ChunkStatus.REJECTED} | ({ChunkStatus.UNKNOWN} if include_unknown else set())
        todo = [c for c in detail.chunks if c.status in eligible]
        stored = self.store.stored_recipient_counts([c.id for c in todo])
        purged = [c.seq for c in todo if stored[c.id] != c.recipient_count]
        if purged:
            raise SendError(
                f"The recipients of send #{send_id} were deleted after the retention period, so its unsent "
                "chunks cannot be sent from here. Upload the file again to send to them."
            )
        run = _Run(send_id=send_id, chunk_count=len(detail.chunks), on_progress=on_progress)
        for chunk in todo:
            if not self._post_chunk(detail.send, chunk, self.store.chunk_recipients(chunk.id), run):
                break
        return self.outcome(send_id)

    def _post_chunk(self, send: SendRecord, chunk, members: Sequence[StoredRecipient], run: _Run) -> bool:
        """Post one chunk; returns False when the send must stop here."""
        transition(chunk.status, ChunkStatus.POSTING, override=chunk.status is ChunkStatus.UNKNOWN)
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
            return self._record_failure(chunk, ChunkStatus.PENDING, exc, run, keep_going=False)
        except (AuthenticationError, NotFoundError) as exc:
            return self._record_failure(chunk, ChunkStatus.REJECTED, exc, run, keep_going=False)
        except RequestRejected as exc:
            return self._record_failure(chunk, ChunkStatus.REJECTED, exc, run, keep_going=True)
        except PlatformError as exc:  # OutcomeUnknown, PlatformServerError and anything new
            uncertain = isinstance(exc, OutcomeUnknown) or exc.maybe_delivered or type(exc) is PlatformError
            status = ChunkStatus.UNKNOWN if uncertain else ChunkStatus.REJECTED
            return self._record_failure(chunk, status, exc, run, keep_going=False)
        except Exception as exc:  # a bug must not leave the chunk looking unsent: it may have gone out
            log.exception("send #%s chunk %s: unexpected error while posting", send.id, chunk.seq)
            message = f"An unexpected problem interrupted this chunk ({type(exc).__name__}); it may have gone out"
            return self._record_failure(chunk, ChunkStatus.UNKNOWN, PlatformError(message), run, keep_going=False)
        self._record_accepted(send, chunk, result, run)
        return True

    def _record_accepted(self, send: SendRecord, chunk, result: SendResult, run: _Run) -> None:
        transition(ChunkStatus.POSTING, ChunkStatus.ACCEPTED)
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
        recorded = self.store.move_chunk(
            chunk.id,
            expected=ChunkStatus.POSTING,
            new=ChunkStatus.ACCEPTED,
            now=now,
            dispatch_id=result.dispatch,
            total_recipients_sent=sent,
            invalid_recipients=result.invalid_recipients if add_up else None,
            invalid_json=_invalid_json(result) if add_up else None,
            platform_answer=None if add_up else result.platform_answer,
            error_message=None if add_up else _figures_note(result, chunk.recipient_count),
            dispatch=dispatch,
        )
        if not recorded:  # should not happen: only a stale-posting sweep could have moved it
            log.error("send #%s chunk %s accepted as dispatch %s but its status had changed", send.id, chunk.seq,
                      result.dispatch)  # fmt: skip
        run.accepted += sent
        run.done += 1
        run.report(chunk.seq, ChunkStatus.ACCEPTED, chunk.recipient_count, dispatch_id=result.dispatch)

    def _record_failure(self, chunk, status: ChunkStatus, exc: PlatformError, run: _Run, *, keep_going: bool) -> bool:
        transition(ChunkStatus.POSTING, status)
        self.store.move_chunk(chunk.id, expected=ChunkStatus.POSTING, new=status, error_message=str(exc))
        run.done += 1
        run.report(chunk.seq, status, chunk.recipient_count, error=str(exc))
        return keep_going

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
            error=chunk.error_message,
            attempts=chunk.attempts,
        )

    def _reconcile_invalids(self, chunk) -> list[InvalidRecipient]:
        """The platform's invalids, traced back to spreadsheet rows: mobiles by uniqueId, emails by address."""
        said = chunk.platform_invalids
        mobiles = said.get("invalidMobiles") or []
        emails = [str(e) for e in said.get("invalidEmails") or []]
        found = self.store.find_chunk_recipients(
            chunk.id, unique_ids=[str(m.get("uniqueId", "")) for m in mobiles], destinations=emails
        )
        by_id = {r.unique_id: r for r in found}
        by_address: dict[str, list[StoredRecipient]] = {}
        for r in found:
            by_address.setdefault(r.destination.lower(), []).append(r)
        out = []
        for m in mobiles:
            match = by_id.get(str(m.get("uniqueId", "")))
            out.append(
                InvalidRecipient(
                    unique_id=str(m.get("uniqueId", "")),
                    row_number=match.row_number if match else None,
                    destination=str(m.get("mobile") or (match.destination if match else "")),
                    reason="The platform refused this mobile number",
                )
            )
        for email in emails:
            matches = by_address.get(email.lower()) or [None]
            for match in matches:
                out.append(
                    InvalidRecipient(
                        unique_id=match.unique_id if match else "",
                        row_number=match.row_number if match else None,
                        destination=email,
                        reason="The platform refused this email address",
                    )
                )
        return sorted(out, key=lambda i: (i.row_number is None, i.row_number or 0))


@dataclass
class _Run:
    send_id: int
    chunk_count: int
    on_progress: ProgressCallback | None
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


def _figures_note(result: SendResult, posted: int) -> str:
    return (
        f"The platform took these {_plural(posted, 'recipient')} as dispatch {result.dispatch}, but its own "
        f"figures do not add up ({result.inconsistency}); its answer is kept as it came and its figures are "
        "not counted"
    )


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
    )


def _when(moment: datetime, tz: tzinfo) -> str:
    local = moment.astimezone(tz)
    return f"{local.day} {local:%b} at {local:%H:%M}"


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def _rows(recipients: Sequence[StoredRecipient], limit: int = 4) -> str:
    """Row numbers as compact ranges: 'rows 2–1001 and 1003–1500'."""
    numbers = sorted(r.row_number for r in recipients)
    if not numbers:
        return ""
    ranges: list[tuple[int, int]] = []
    for n in numbers:
        if ranges and n == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], n)
        else:
            ranges.append((n, n))
    parts = [f"{a}" if a == b else f"{a}–{b}" for a, b in ranges[:limit]]
    more = " and others" if len(ranges) > limit else ""
    word = "row" if len(numbers) == 1 else "rows"
    return f"{word} {', '.join(parts)}{more}"


def _headline(send: SendRecord, chunks: Sequence[ChunkResult], totals: SendTotals, tz: tzinfo) -> str:
    n = len(chunks)
    accepted = [c for c in chunks if c.status is ChunkStatus.ACCEPTED]
    uncertain = [c for c in chunks if c.may_have_gone_out]
    rejected = [c for c in chunks if c.status is ChunkStatus.REJECTED]
    pending = [c for c in chunks if c.status is ChunkStatus.PENDING]
    when = f"for {_when(send.schedule_at, tz)} " if send.schedule_at else ""
    verb = "Scheduled" if send.schedule_at else "Sent"
    refused = (
        f"; the platform refused {_plural(totals.platform_invalid, 'recipient')} as invalid"
        if totals.platform_invalid
        else ""
    )
    odd = [str(c.dispatch_id) for c in accepted if c.error]  # figures that did not add up (_record_accepted)
    flagged = (
        f" The platform's own figures for {'dispatch' if len(odd) == 1 else 'dispatches'} {', '.join(odd)} do not "
        "add up: check them with the platform."
        if odd
        else ""
    )
    if len(accepted) == n:
        return f"{verb} {when}to {_plural(totals.accepted, 'recipient')} in {_plural(n, 'dispatch', 'dispatches')}{refused}.{flagged}"
    sentences = []
    if uncertain:
        people = [r for c in uncertain for r in c.recipients]
        rows = f" ({_rows(people)})" if people else ""
        sentences.append(
            f"{len(uncertain)} of {n} chunks may or may not have gone out: {_plural(totals.unknown, 'recipient')}{rows}. "
            "Check the Dispatches page before sending to them again."
        )
    if accepted:
        sentences.append(f"{len(accepted)} of {n} chunks went out to {_plural(totals.accepted, 'recipient')}{refused}.")
    if rejected:
        sentences.append(f"{len(rejected)} of {n} chunks were refused by the platform: {rejected[0].error}.")
    if pending:
        why = next((c.error for c in pending if c.error), None)
        because = f" ({why})" if why else ""
        sentences.append(
            f"{len(pending)} of {n} chunks ({_plural(totals.pending, 'recipient')}) were not sent yet{because}."
        )
    if rejected or pending:
        sentences.append(f"Resume send #{send.id} to send what did not go out.")
    return " ".join(s.replace("..", ".") for s in sentences) + flagged
