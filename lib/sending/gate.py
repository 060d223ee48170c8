"""The last check before a chunk's POST: who of its members may still receive the message.

The rules that decide who receives a message (do not contact, already received, frequency cap…)
run when the list is validated and again here, right before each chunk goes out, because the
world may have changed in between (someone opted out after the upload). The engine asks its gate
for every chunk; the gate records whoever it leaves out, with the rule, and returns the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from lib.history.store import ChunkRecord, SendRecord, StoredRecipient


class ChunkGate(Protocol):
    def admit(self, send: SendRecord, chunk: ChunkRecord, members: Sequence[StoredRecipient]) -> list[StoredRecipient]:
        """The members that may still be posted, in posting order. Records the others itself."""
        ...


class AdmitEveryone:
    """No rules: every member is posted (tests of the engine alone)."""

    def admit(self, send: SendRecord, chunk: ChunkRecord, members: Sequence[StoredRecipient]) -> list[StoredRecipient]:
        return list(members)
