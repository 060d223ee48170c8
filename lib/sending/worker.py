"""The worker: the process that posts queued sends and refreshes dispatch statuses.

The database is the queue. A worker loops:
1. replay the results journal into the store (once, at start, before anything else);
2. claim the oldest queued send nobody holds (or whose holder's lease expired) with a lease, post
   its pending chunks in order renewing the lease before each, and give the send back as done;
   a send taken over from a dead worker has its `posting` chunks recorded unknown (never posted
   again by themselves) and its pending chunks go out;
3. in its own thread, every few seconds: if it holds the one refresh lease, refresh the dispatches
   that are due (so two workers never ask about the same dispatch at once);
4. idle, it makes the ledger's HMAC keys of recently recorded chunks, a few at a time;
5. in another thread: a heartbeat in `workers`, which `python -m lib send` reads to know whether
   a worker is running. (The lease of the send in hand is renewed by the engine's own keeper thread,
   so a dead worker's send is taken over SEND_LEASE after its death, whatever a POST's deadline.)
Idle, it polls for new sends every ~0.5 s. A stop (SIGINT/SIGTERM in `python -m lib worker`) is
honoured between chunks: a POST in flight is never cut off, and the send it was posting is given
back still queued for the next claim.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError

from lib.approvals import expire_overdue
from lib.history.refresh import clear_refresh_request, refresh_pending, refresh_requested
from lib.history.store import StoreError
from lib.sending.engine import ChunkProgress, ResultNotRecorded, SendEngine, local_owner_id, replay_journal
from lib.sending.status import ChunkStatus

log = logging.getLogger("lib.worker")

POLL_SECONDS = 0.5
HEARTBEAT_SECONDS = 2.0
REFRESH_EVERY_SECONDS = 3.0
REQUEST_POLL_SECONDS = 1.0  # how soon a "Refresh now" is noticed
REFRESH_LEASE = timedelta(seconds=60)
ERROR_BACKOFF_SECONDS = 5.0
KEY_CHUNKS_PER_ROUND = 20  # ledger chunks keyed per idle round: about 0.2 s for 20,000 people


class Worker:
    def __init__(
        self,
        engine_factory,
        owner_id: str | None = None,
        *,
        poll_seconds: float = POLL_SECONDS,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
        refresh_every: float | None = REFRESH_EVERY_SECONDS,
        refresh_lease: timedelta = REFRESH_LEASE,
        ledger=None,
    ):
        """`engine_factory`: a callable returning a SendEngine, or a ConsoleRuntime (its `.engine()`).
        `refresh_every=None`: this worker does not refresh statuses. `ledger`: the ledger whose HMAC keys it
        completes when idle (a runtime's own when `engine_factory` is one)."""
        factory: Callable[[], SendEngine] = getattr(engine_factory, "engine", engine_factory)
        self.engine = factory()
        self.ledger = ledger if ledger is not None else getattr(engine_factory, "ledger", None)
        self.store = self.engine.store
        self.owner_id = owner_id or local_owner_id()
        self.poll_seconds = poll_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.refresh_every = refresh_every
        self.refresh_lease = refresh_lease

    # ---- one send ----------------------------------------------------------------------------

    def run_once(self, stop: threading.Event | None = None) -> int | None:
        """Claim one queued send and post it. Returns its id, or None when nothing was waiting."""
        claim = self.store.claim_send(self.owner_id, self.engine.lease, platform=self.engine.platform)
        if claim is None:
            return None
        if claim.previous_owner:
            unknown = f"; chunk(s) {', '.join(map(str, claim.became_unknown))} recorded unknown" if claim.became_unknown \
                else ""  # fmt: skip
            log.info("send #%s taken over from %s (its lease expired)%s", claim.send_id, claim.previous_owner, unknown)
        else:
            log.info("send #%s claimed", claim.send_id)
        finished = self.engine.post_claimed(claim, on_progress=_log_progress, stop=stop)
        outcome = self.engine.outcome(claim.send_id)
        log.info("send #%s %s: %s", claim.send_id, "done" if finished else "given back", outcome.headline)
        return claim.send_id

    # ---- the loop ----------------------------------------------------------------------------

    def run_forever(self, stop_event: threading.Event) -> None:
        """Until `stop_event` is set. Raises ResultNotRecorded if the database refused a POST's answer
        (it is in the journal; the caller stops the process: nothing more may be posted meanwhile)."""
        replayed = replay_journal(self.store, self.engine.journal)
        if replayed:
            log.info("replayed %s result(s) from %s", replayed, self.engine.journal.path)
        self._beat()
        log.info("started as %s (pid %s)", self.owner_id, os.getpid())
        helpers = [threading.Thread(target=self._heartbeat_loop, args=(stop_event,), name="worker-heartbeat", daemon=True)]
        if self.refresh_every is not None:
            helpers.append(
                threading.Thread(target=self._refresh_loop, args=(stop_event,), name="worker-refresh", daemon=True)
            )
        for thread in helpers:
            thread.start()
        try:
            while not stop_event.is_set():
                try:
                    self._expire_unapproved()
                    claimed = self.run_once(stop_event)
                except ResultNotRecorded:
                    raise
                except (StoreError, SQLAlchemyError) as exc:  # the database is busy or away: say so, try again shortly
                    log.error("the history database cannot be used right now: %s", first_line(exc))
                    claimed = None
                except Exception:  # a bug (or a failing gate) must not stop every other send: log, back off
                    log.exception("posting a send failed; its unsent chunks stay queued")
                    stop_event.wait(ERROR_BACKOFF_SECONDS)
                    continue
                if claimed is None:
                    self._complete_ledger_keys()
                    stop_event.wait(self.poll_seconds)
        finally:
            stop_event.set()
            for thread in helpers:
                thread.join(timeout=30)
            self._goodbye()

    def _complete_ledger_keys(self) -> None:
        """Idle: make the ledger's HMAC keys of recently recorded chunks, a few at a time (a new send is
        claimed within a fraction of a second). A database problem waits for the next round."""
        if self.ledger is None:
            return
        try:
            self.ledger.complete_keys(chunks=KEY_CHUNKS_PER_ROUND)
        except (StoreError, SQLAlchemyError) as exc:
            log.warning("ledger keys not made yet: %s", first_line(exc))

    def _expire_unapproved(self) -> None:
        """A scheduled send still waiting for approval when its time comes is never sent (lib.approvals)."""
        for send_id in expire_overdue(self.store):
            log.info("send #%s expired: it was not approved before its time", send_id)

    def _beat(self) -> None:
        self.store.heartbeat(self.owner_id, socket.gethostname(), os.getpid(), platform=self.engine.platform)

    def _heartbeat_loop(self, stop_event: threading.Event) -> None:
        while not stop_event.wait(self.heartbeat_seconds):
            try:
                self._beat()
            except (StoreError, SQLAlchemyError) as exc:
                log.warning("heartbeat not written: %s", first_line(exc))

    def refresh_once(self):
        """One status refresh round if this worker holds the refresh lease; the report, or None.
        After a person's "Refresh now" (refresh_requested) every pending dispatch is asked, due or not."""
        platform = self.engine.platform
        if not self.store.take_refresh_lease(self.owner_id, self.refresh_lease, platform=platform):
            return None
        store = self.store.for_platform(platform)
        asked_now = refresh_requested(store)
        if asked_now:
            clear_refresh_request(store)
        report = refresh_pending(store, self.engine.client, only_due=not asked_now)
        if report.asked or report.problem:
            log.info("status refresh: %s", report.summary())
        return report

    def _refresh_loop(self, stop_event: threading.Event) -> None:
        # Every refresh_every seconds, or within a second of a person's "Refresh now".
        tick = min(REQUEST_POLL_SECONDS, self.refresh_every)
        last = time.monotonic()
        while not stop_event.wait(tick):
            try:
                due = time.monotonic() - last >= self.refresh_every
                if not due and not refresh_requested(self.store.for_platform(self.engine.platform)):
                    continue
                last = time.monotonic()
                self.refresh_once()
            except Exception as exc:  # a refresh problem must never stop the sending loop
                log.error("status refresh failed: %s", first_line(exc))

    def _goodbye(self) -> None:
        try:
            self.store.release_refresh_lease(self.owner_id)
            self.store.worker_stopped(self.owner_id)
        except (StoreError, SQLAlchemyError) as exc:
            log.warning("could not record the stop: %s", first_line(exc))
        log.info("%s stopped", self.owner_id)


def _log_progress(progress: ChunkProgress) -> None:
    if progress.status is ChunkStatus.POSTING:
        return
    where = f"send #{progress.send_id} chunk {progress.seq}/{progress.chunk_count} ({progress.recipient_count:,})"
    if progress.status is ChunkStatus.ACCEPTED:
        log.info("%s: sent, dispatch %s", where, progress.dispatch_id)
    elif progress.error:
        log.info("%s: %s: %s", where, progress.status.label.lower(), progress.error)
    else:
        log.info("%s: %s", where, progress.status.label.lower())


def first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]
