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

from lib import i18n


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
        """What a person reads for this status, in the current language (never compared by code)."""
        return i18n.coded(CHUNK_STATUS_WORDS, self)


# A chunk's status as a person reads it: `sending.chunk_status.<status>`.
CHUNK_STATUS_WORDS = i18n.family("sending.chunk_status", ChunkStatus)

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

# Why a move is refused: the catalog key of the reason (`sending.transition.<reason>`).
_REFUSALS: dict[tuple[ChunkStatus, ChunkStatus], str] = {
    (ChunkStatus.UNKNOWN, ChunkStatus.POSTING): "sending.transition.may_have_gone_out",
    (ChunkStatus.UNKNOWN, ChunkStatus.PENDING): "sending.transition.may_have_gone_out",
    (ChunkStatus.UNKNOWN, ChunkStatus.MARKED_SENT): "sending.transition.person_only",
}


class IllegalTransition(ValueError):
    """A status move the rules refuse. str() is a plain sentence in the reader's language."""

    def __init__(self, current: ChunkStatus, new: ChunkStatus, reason: str):
        self.current = current
        self.new = new
        self.reason = reason  # the catalog key of why
        self.message = i18n.Msg("sending.transition.refused", current=LowerLabel(current),
                                new=LowerLabel(new), reason=i18n.Msg(reason))  # fmt: skip
        super().__init__(reason)

    def __str__(self) -> str:
        return str(self.message)


class LowerLabel:
    """A status's words in lower case, rendered in the language of the sentence that holds it."""

    def __init__(self, status: ChunkStatus):
        self.status = status

    def __str__(self) -> str:
        return self.status.label.lower()


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
        reason = "sending.transition.final"
    elif current == new:
        reason = "sending.transition.same"
    else:
        reason = _REFUSALS.get((current, new), "sending.transition.not_allowed")
    raise IllegalTransition(current, new, reason)
