"""The real ChunkGate: the rules again, right before each chunk's POST.

Between the check and the POST the world may change: someone asks not to be contacted, another
send of the same template goes out, the frequency cap fills up. `LedgerGate.admit` re-checks the
do-not-contact list (a person found there now is recorded as "opted out after upload"), the
frequency cap and "already received" (unless the send records the marketer's decision to include
them), records whoever it leaves out in the ledger, and returns the rest in posting order.
Test sends go to the marketer's own address and pass untouched.
"""

from __future__ import annotations

from collections.abc import Sequence

from lib.history.store import ChunkRecord, SendRecord, StoredRecipient
from lib.ledger.ledger import Ledger, is_marketing_kind
from lib.ledger.rules import Rule


class LedgerGate:
    """`LedgerGate(runtime.ledger)`, or `LedgerGate(store, settings, kind_of=...)` for a process that
    has no runtime (a worker): both record into the same ledger."""

    def __init__(self, ledger_or_store, settings=None, kind_of=None):
        if isinstance(ledger_or_store, Ledger):
            self.ledger = ledger_or_store
        else:
            self.ledger = Ledger(ledger_or_store, settings, kind_of=kind_of)

    def admit(self, send: SendRecord, chunk: ChunkRecord, members: Sequence[StoredRecipient]) -> list[StoredRecipient]:
        members = list(members)
        if send.is_test or not members:
            return members
        people = self.ledger.member_keys(send.channel, members)
        people.index = [m.position for m in members]
        marketing = self.ledger.send_is_marketing(send.id)
        if marketing is None:
            marketing = is_marketing_kind(self.ledger.kind_of(send.template_id))
        ctx = self.ledger.context(send.template_id, send.channel, marketing, exclude_send_id=send.id)
        verdict = self.ledger.check(people, ctx, opt_out_rule=Rule.OPTED_OUT_AFTER_UPLOAD)
        left_out = verdict.applied(include_already_received=self.ledger.include_decision(send.id) is not None)
        if left_out.empty:
            return members
        self.ledger.record_left_out(send.id, chunk.id, left_out.index.tolist(), left_out["rule"].tolist())
        dropped = set(left_out.index)
        return [m for m in members if m.position not in dropped]
