"""One status enum for a chunk of a send, and the one function that allows or refuses each move.

listmonk-style: every handler asks `transition()` before it writes a status (the store's
`move_chunk` asks it itself), so the rules live here.

    pending ──▶ posting ──▶ accepted                       (final)
     │  ▲  ▲       │──────▶ rejected ──▶ pending / posting  (resume after a refusal)
     │  │  └───────┤──────▶ unknown ─┬─▶ marked_sent       (final; a person checked: it went out)
     │  │ (refused │                 └─▶ pending           (a person: "it did not go out", or
     │  │  before  │                                        "resend knowing the risk")
     │  └─ anything sent)
     └──▶ left_out  (final: the gate left every member out right before the POST)

Moves out of `unknown` need `override=True`: a person's decision recorded in chunk_decisions, or
the platform's own answer (a dispatch id) replayed from the results journal (unknown → accepted).
"""

from __future__ import annotations

from enum import StrEnum


class ChunkStatus(StrEnum):
    PENDING = "pending"  # written, not yet posted
    POSTING = "posting"  # the POST is in flight (or the process died during it: it may have gone out)
    ACCEPTED = "accepted"  # the platform answered with a dispatch id
    REJECTED = "rejected"  # the platform refused the request (4xx): nothing went out
    UNKNOWN = "unknown"  # the request left but no answer came back: it may or may not have gone out
    MARKED_SENT = "marked_sent"  # was unknown; a person checked with the platform and recorded that it went out
    LEFT_OUT = "left_out"  # never posted: everyone in it was left out by a rule right before its POST

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    ChunkStatus.PENDING: "Not sent yet",
    ChunkStatus.POSTING: "Being sent",
    ChunkStatus.ACCEPTED: "Sent",
    ChunkStatus.REJECTED: "Refused by the platform",
    ChunkStatus.UNKNOWN: "May or may not have gone out",
    ChunkStatus.MARKED_SENT: "Marked as sent",
    ChunkStatus.LEFT_OUT: "Everyone left out",
}

_ALLOWED: dict[ChunkStatus, frozenset[ChunkStatus]] = {
    ChunkStatus.PENDING: frozenset({ChunkStatus.POSTING, ChunkStatus.LEFT_OUT}),
    ChunkStatus.POSTING: frozenset(
        {ChunkStatus.ACCEPTED, ChunkStatus.REJECTED, ChunkStatus.UNKNOWN, ChunkStatus.PENDING}
    ),
    ChunkStatus.REJECTED: frozenset({ChunkStatus.POSTING, ChunkStatus.PENDING}),
    ChunkStatus.UNKNOWN: frozenset(),  # only with override (see below)
    ChunkStatus.ACCEPTED: frozenset(),
    ChunkStatus.MARKED_SENT: frozenset(),
    ChunkStatus.LEFT_OUT: frozenset(),
}
# What a recorded decision (or the journal's recorded answer) may do with an unknown chunk.
_OVERRIDES = frozenset({ChunkStatus.MARKED_SENT, ChunkStatus.PENDING, ChunkStatus.ACCEPTED})

_REFUSALS: dict[tuple[ChunkStatus, ChunkStatus], str] = {
    (ChunkStatus.UNKNOWN, ChunkStatus.POSTING): (
        "This chunk may already have gone out; sending it again needs an explicit decision to risk a duplicate"
    ),
    (ChunkStatus.UNKNOWN, ChunkStatus.PENDING): (
        "This chunk may already have gone out; sending it again needs an explicit decision to risk a duplicate"
    ),
    (ChunkStatus.UNKNOWN, ChunkStatus.MARKED_SENT): "only a person who checked with the platform can record that",
}


class IllegalTransition(ValueError):
    """A status move the rules refuse. str() is a plain sentence."""

    def __init__(self, current: ChunkStatus, new: ChunkStatus, reason: str):
        super().__init__(f"A chunk cannot go from {current.label.lower()!r} to {new.label.lower()!r}: {reason}")
        self.current = current
        self.new = new


def allowed_moves(current: ChunkStatus | str, *, override: bool = False) -> frozenset[ChunkStatus]:
    current = ChunkStatus(current)
    moves = _ALLOWED[current]
    if override and current is ChunkStatus.UNKNOWN:
        moves = moves | _OVERRIDES
    return moves


def transition(current: ChunkStatus | str, new: ChunkStatus | str, *, override: bool = False) -> ChunkStatus:
    """Return `new` if a chunk in `current` may move there, else raise IllegalTransition.

    `override=True` is a recorded decision about a chunk whose outcome is unknown (or the
    platform's answer replayed from the journal); it allows unknown → marked_sent, pending or
    accepted, and nothing else.
    """
    current, new = ChunkStatus(current), ChunkStatus(new)
    if new in allowed_moves(current, override=override):
        return new
    if current is ChunkStatus.ACCEPTED:
        reason = "it was already accepted by the platform and is final"
    elif current == new:
        reason = "it is already in that status"
    else:
        reason = _REFUSALS.get((current, new), "that move is not allowed")
    raise IllegalTransition(current, new, reason)
