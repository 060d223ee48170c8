"""The chunk status machine: every move in the table, allowed or refused, with and without override."""

import itertools

import pytest

from lib import i18n
from lib.sending.status import ChunkStatus, IllegalTransition, transition

P, S, A, R, U = (ChunkStatus.PENDING, ChunkStatus.POSTING, ChunkStatus.ACCEPTED, ChunkStatus.REJECTED,
                 ChunkStatus.UNKNOWN)  # fmt: skip
M, L = ChunkStatus.MARKED_SENT, ChunkStatus.LEFT_OUT

ALLOWED = {
    (P, S),  # start posting
    (S, A),  # the platform answered with a dispatch id
    (S, R),  # 4xx: refused, nothing went out
    (S, U),  # timed out after sending: may have gone out
    (S, P),  # connection refused before anything was sent
    (R, S),  # resume a refused chunk
    (R, P),  # a person asked to resume: the refused chunk is queued again
    (P, L),  # the gate left every member out right before the POST
}
ALLOWED_WITH_OVERRIDE = ALLOWED | {
    (U, M),  # a person checked with the platform: "mark as sent"
    (U, P),  # a person: "mark as not sent", or "resend knowing the risk" (queued again)
    (U, A),  # the platform's answer, found in the results journal after the takeover
}

ALL_MOVES = list(itertools.product(ChunkStatus, repeat=2))


@pytest.mark.parametrize(("current", "new"), ALL_MOVES, ids=lambda s: str(s))
def test_every_move_without_override(current, new):
    if (current, new) in ALLOWED:
        assert transition(current, new) is new
    else:
        with pytest.raises(IllegalTransition):
            transition(current, new)


@pytest.mark.parametrize(("current", "new"), ALL_MOVES, ids=lambda s: str(s))
def test_every_move_with_override(current, new):
    if (current, new) in ALLOWED_WITH_OVERRIDE:
        assert transition(current, new, override=True) is new
    else:
        with pytest.raises(IllegalTransition):
            transition(current, new, override=True)


def test_accepts_plain_strings_as_stored_in_the_database():
    assert transition("pending", "posting") is ChunkStatus.POSTING


@pytest.mark.parametrize(
    ("current", "new", "says"),
    [
        (A, S, "already accepted"),
        (U, S, "explicit decision"),
        (U, P, "explicit decision"),
        (U, M, "only a person"),
        (M, P, "not allowed"),
        (L, S, "not allowed"),
        (P, P, "already in that status"),
        (P, A, "not allowed"),
    ],
)
def test_refusals_are_plain_sentences(current, new, says):
    with pytest.raises(IllegalTransition) as caught:
        transition(current, new)
    assert says in str(caught.value)
    assert "ChunkStatus" not in str(caught.value)


@pytest.mark.parametrize(
    ("status", "greek"),
    [(ChunkStatus.PENDING, "Δεν στάλθηκε ακόμη"), (ChunkStatus.UNKNOWN, "Αβέβαιο: μπορεί να στάλθηκε ή όχι"),
     (ChunkStatus.ACCEPTED, "Στάλθηκε"), (ChunkStatus.LEFT_OUT, "Εξαιρέθηκαν όλοι")],
)
def test_statuses_in_greek(status, greek):
    with i18n.language("el"):
        assert status.label == greek


def test_a_refused_move_in_greek():
    with pytest.raises(IllegalTransition) as caught:
        transition(ChunkStatus.UNKNOWN, ChunkStatus.POSTING)
    with i18n.language("el"):
        assert str(caught.value) == (
            "Ένα μέρος δεν μπορεί να περάσει από «αβέβαιο: μπορεί να στάλθηκε ή όχι» σε «αποστέλλεται»: "
            "Αυτό το μέρος μπορεί να έχει ήδη σταλεί· για να σταλεί ξανά χρειάζεται ρητή απόφαση ότι αναλαμβάνετε "
            "τον κίνδυνο να λάβουν κάποιοι το μήνυμα δύο φορές")
