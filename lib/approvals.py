"""Approval of live sends (issue 11, maker-checker): one module with the rules.

| the send                                            | needs a second person's approval |
|-----------------------------------------------------|----------------------------------|
| sandbox, or a test send                             | never                            |
| live, no sign-in (embedded default, CONSOLE_AUTH=off) | never: one local person holds every role |
| live, sign-in applies, recipients <= threshold      | no                               |
| live, sign-in applies, recipients > threshold       | yes (CONSOLE_APPROVAL_THRESHOLD, default 0: every live send) |

A send that needs approval is recorded with queue_state 'awaiting' (no worker claims it) together
with what the sender saw (`send_summary`). An approver who is not the sender approves the manifest
they saw (its hash): the send goes to the queue. A rejection needs a reason, shown to the sender.
A scheduled send not approved before its time expires. Every decision is one transaction: the send's
state, the `approvals` row and the audit event commit together or not at all.

Words (issue 13) come from the `approvals` catalog: the states by code (`approvals.state.<state>`),
refusals and decisions as `i18n.Msg` values rendered in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from lib import audit, i18n
from lib.history.store import APPROVAL_AWAITING, HistoryStore, SendRecord, SendReview, utcnow
from lib.personalization.preview import reason_from_stored, stored_reason
from lib.personalization.render import render_row
from lib.scheduling import format_when
from lib.settings import Settings
from lib.team.roles import Action, Person, require
from lib.templates import Channel, Template, TemplateKind

EXPIRED_BY = audit.CONSOLE_ACTOR  # decided_by of an expiry: nobody decided, the time passed
NOT_APPROVED_IN_TIME = "not_approved_in_time"  # the reason of an expiry: a code, put into words when read
REJECTED, EXPIRED = "rejected", "expired"
# sends.queue_state of a send in approval; what Dispatches and the command line say comes from the catalog.
APPROVAL_STATES = (APPROVAL_AWAITING, REJECTED, EXPIRED)
STATE_WORDS = i18n.family("approvals.state", APPROVAL_STATES)
KIND_WORDS = i18n.family("approvals.kind", TemplateKind)  # "a marketing message" in the summary


class ApprovalRefused(PermissionError):
    """This approval or rejection cannot be made; str() is one plain sentence in the reader's language."""

    def __init__(self, message: i18n.Msg | str):
        super().__init__(message.key if isinstance(message, i18n.Msg) else message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class OwnSend(ApprovalRefused):
    """The approver submitted the send themselves (refused by the team's rules, like a missing role)."""


@dataclass(frozen=True)
class Decision:
    send_id: int
    decision: str  # approved | rejected | expired
    sentence: i18n.Msg  # what happened, for the page and the command line (str() in the reader's language)


def needs_approval(settings: Settings, person: Person, *, is_sandbox: bool, recipients: int,
                   is_test: bool = False) -> bool:
    """Whether this send must wait for another person's approval (see the table above)."""
    if is_sandbox or is_test or person.local:
        return False
    return recipients > settings.approval_threshold


def same_person(a: str, b: str) -> bool:
    """Emails compare without case or spaces: signing in twice, or as Ann@X, is still Ann."""
    return (a or "").strip().lower() == (b or "").strip().lower()


def send_summary(*, template, manifest, left_out: dict[str, int], excluded: int, parts: int | None,
                 cost: Decimal | None, platform: str, riskiest=()) -> dict:
    """What the sender saw when they submitted: stored with the send, shown to the approver as it was."""
    return {
        "template_id": template.id,
        "template_name": template.name,
        "template_kind": str(getattr(template, "kind", "") or "marketing"),
        "channel": template.channel.value,  # a code: its words are chosen when the summary is read
        "recipients": len(manifest),
        "left_out": excluded,
        "left_out_by_rule": {str(rule): int(n) for rule, n in left_out.items() if n},
        "parts": parts,
        "estimated_cost": None if cost is None else str(cost),
        "schedule_at": None if manifest.schedule_at is None else manifest.schedule_at.isoformat(),
        "platform": platform,
        "manifest_hash": manifest.hash,
        "riskiest": [stored_risky(r) for r in riskiest],
    }


def stored_risky(risky) -> dict:
    """A row worth a look: why, as catalog keys and parameters the approver reads in their language;
    `why` keeps the English words for readers of `approvals --json` (and of the database by hand)."""
    with i18n.language("en"):
        english = [str(reason) for reason in risky.reasons]
    return {"row": int(risky.row), "reasons": [stored_reason(reason) for reason in risky.reasons], "why": english}


def risky_reasons(picked: dict) -> list[i18n.Msg | str]:
    """Why a stored row was picked, to be read in the reader's language; a summary stored before the
    reasons had codes (or a damaged one) keeps its words."""
    try:
        return [reason_from_stored(reason) for reason in picked["reasons"]]
    except (KeyError, TypeError, AttributeError):
        return list(picked.get("why", []))



def summary_lines(review: SendReview, tz, currency: str = "EUR") -> list[tuple[str, str]]:
    """(label, value) pairs for the Approvals page and `python -m lib approvals`: what the sender saw."""
    from lib.ledger import wording

    s = review.summary
    when = None if not s.get("schedule_at") else datetime.fromisoformat(s["schedule_at"])
    channel = s.get("channel")  # "sms" (older summaries kept the words: "SMS")
    channel_words = Channel(channel).label if channel in set(Channel) else channel
    kind = s.get("template_kind") or "marketing"
    kind_words = i18n.coded(KIND_WORDS, kind) if kind in set(TemplateKind) else kind
    left_out = i18n.number(s.get("left_out", 0))
    if s.get("left_out_by_rule"):
        left_out = i18n.t("approvals.summary.left_out_by_rule", count=left_out,
                          rules=i18n.t("common.separator").join(wording.summary(s["left_out_by_rule"])))  # fmt: skip
    lines = [
        (i18n.t("approvals.summary.send"), f"#{review.send.id}"),
        (i18n.t("approvals.summary.submitted_by"), i18n.t("approvals.summary.who_when", who=review.submitted_by,
                                                          when=format_when(review.submitted_at, tz))),
        (i18n.t("approvals.summary.template"), f"{s.get('template_id')} · {s.get('template_name')}"),
        (i18n.t("approvals.summary.channel"), i18n.t("approvals.summary.channel_kind", channel=channel_words,
                                                     kind=kind_words)),
        (i18n.t("approvals.summary.recipients"), i18n.number(s.get("recipients", 0))),
        (i18n.t("approvals.summary.left_out"), left_out),
        (i18n.t("approvals.summary.when"), format_when(when, tz)),
        (i18n.t("approvals.summary.platform"), str(s.get("platform"))),
    ]  # fmt: skip
    if s.get("parts") is not None:
        cost = s.get("estimated_cost")
        cost = "—" if cost is None else i18n.money(Decimal(str(cost)), currency)
        lines.append((i18n.t("approvals.summary.parts"), i18n.t("approvals.summary.parts_cost", parts=s["parts"],
                                                                cost=cost)))  # fmt: skip
    lines.append((i18n.t("approvals.summary.manifest"), str(s.get("manifest_hash"))))
    return lines


def state_label(send: SendRecord, decisions=()) -> str | None:
    """'Awaiting approval', 'Rejected: <reason>', 'Expired' in the reader's language, or None for a send
    outside approval."""
    if send.queue_state not in APPROVAL_STATES:
        return None
    label = i18n.coded(STATE_WORDS, send.queue_state)
    if send.queue_state == REJECTED:
        reason = next((d.reason for d in reversed(decisions) if d.decision == REJECTED and d.reason), None)
        return i18n.t("approvals.state.rejected_because", reason=reason) if reason else label
    return label


def state_sentence(send: SendRecord, label: str) -> str:
    """What Dispatches says about a send in one of the approval states (the label from state_label)."""
    if send.queue_state == APPROVAL_AWAITING:
        return i18n.t("approvals.sentence.awaiting", label=label, by=send.created_by, send=str(send.id))
    if send.queue_state == EXPIRED:
        return i18n.t("approvals.sentence.expired", label=label)
    return i18n.t("approvals.sentence.rejected", label=label)


def _awaiting(store: HistoryStore, send_id: int) -> SendReview:
    review = store.send_review(send_id)
    if review is None:
        raise ApprovalRefused(i18n.Msg("approvals.refused.no_approval_needed", send=str(send_id)))
    state = review.send.queue_state
    if state != APPROVAL_AWAITING:
        raise ApprovalRefused(i18n.Msg("approvals.refused.not_waiting", send=str(send_id),
                                       state=_LowerState(review.send, review.decisions)))  # fmt: skip
    return review


def _check_approver(review: SendReview, approver: Person) -> None:
    require(approver, Action.APPROVE_SEND)
    if same_person(review.submitted_by, approver.actor) or same_person(review.send.created_by, approver.actor):
        raise OwnSend(i18n.Msg("approvals.refused.own_send"))


def _overdue(review: SendReview, now: datetime) -> bool:
    return review.send.schedule_at is not None and review.send.schedule_at <= now


def _record(store: HistoryStore, review: SendReview, decision: str, by: str, reason: str | None,
            now: datetime, **details) -> bool:
    action = {"approved": audit.AuditAction.SEND_APPROVE, "rejected": audit.AuditAction.SEND_REJECT,
              "expired": audit.AuditAction.SEND_EXPIRE}[decision]
    facts = {"decision": decision, "manifest_hash": review.send.manifest_hash, "submitted_by": review.submitted_by,
             "recipient_count": review.send.total_recipients, **({"reason": reason} if reason else {}), **details}
    return store.decide_approval(
        review.send.id, manifest_hash=review.send.manifest_hash, decision=decision, decided_by=by, reason=reason,
        now=now, also=lambda conn: audit.record(conn, by, action, ("send", review.send.id), facts, at=now),
    )


def _expire(store: HistoryStore, review: SendReview, now: datetime) -> bool:
    return _record(store, review, EXPIRED, EXPIRED_BY, NOT_APPROVED_IN_TIME, now)


def approve(store: HistoryStore, send_id: int, approver: Person, seen_manifest_hash: str,
            now: datetime | None = None) -> Decision:
    """Release an awaiting send to the worker. Raises NotAllowed (role) or ApprovalRefused (one sentence)."""
    now = now or utcnow()
    review = _awaiting(store, send_id)
    _check_approver(review, approver)
    if (seen_manifest_hash or "").strip() != review.send.manifest_hash:
        raise ApprovalRefused(i18n.Msg("approvals.refused.changed", send=str(send_id)))
    if _overdue(review, now):
        _expire(store, review, now)
        raise ApprovalRefused(i18n.Msg("approvals.refused.expired", send=str(send_id)))
    if not _record(store, review, "approved", approver.actor, None, now):
        raise ApprovalRefused(i18n.Msg("approvals.refused.decided_meanwhile", send=str(send_id)))
    key = "approvals.decided.approved_scheduled" if review.send.schedule_at is not None else "approvals.decided.approved_now"
    return Decision(send_id, "approved", i18n.Msg(key, send=str(send_id)))


def reject(store: HistoryStore, send_id: int, approver: Person, reason: str,
           now: datetime | None = None) -> Decision:
    """Refuse an awaiting send, with a reason the sender reads. Raises NotAllowed or ApprovalRefused."""
    now = now or utcnow()
    reason = " ".join((reason or "").split())
    if not reason:
        raise ApprovalRefused(i18n.Msg("approvals.refused.no_reason"))
    review = _awaiting(store, send_id)
    _check_approver(review, approver)
    if not _record(store, review, REJECTED, approver.actor, reason, now):
        raise ApprovalRefused(i18n.Msg("approvals.refused.decided_meanwhile", send=str(send_id)))
    return Decision(send_id, REJECTED, i18n.Msg("approvals.decided.rejected", send=str(send_id),
                                                 by=review.submitted_by, reason=reason))  # fmt: skip


def expire_overdue(store: HistoryStore, now: datetime | None = None) -> list[int]:
    """Scheduled sends whose time came before anyone approved them: expired (the worker calls this)."""
    now = now or utcnow()
    expired = []
    for send in store.overdue_awaiting(now):
        review = store.send_review(send.id)
        if review is not None and _expire(store, review, now):
            expired.append(send.id)
    return expired


def awaiting(store: HistoryStore) -> list[SendReview]:
    """Sends waiting for approval on the store's platform, oldest first."""
    return store.sends_awaiting_approval()


def may_decide(review: SendReview, person: Person) -> bool:
    """Whether `person` may approve or reject this send (the page hides the buttons otherwise)."""
    try:
        _check_approver(review, person)
    except PermissionError:
        return False
    return True


class _LowerState:
    """A send's approval state in lower case ('already approved' once it left approval), in the
    language of the sentence holding it."""

    def __init__(self, send: SendRecord, decisions):
        self.send, self.decisions = send, tuple(decisions)

    def __str__(self) -> str:
        return (state_label(self.send, self.decisions) or i18n.t("approvals.state.already_approved")).lower()


def submitted_sentence(send_id: int) -> str:
    """What the sender reads after submitting a send that needs approval."""
    return i18n.t("approvals.submitted", send=str(send_id))


def submit_for_approval(engine, manifest, submitter: Person, *, template, campaign, excluded: int,
                        parts: int | None, cost: Decimal | None, resend_of: int | None = None) -> int:
    """Record a send that waits for an approver, with what `submitter` saw; posts nothing.
    Raises DuplicateSend as enqueue does. Compose and `python -m lib send` both come through here."""
    require(submitter, Action.SUBMIT_SEND)
    review = send_summary(template=template, manifest=manifest, left_out=campaign.left_out_counts, excluded=excluded,
                          parts=parts, cost=cost, platform=engine.platform_url, riskiest=campaign.riskiest())
    return engine.enqueue(manifest, resend_of=resend_of, estimated_parts=parts, estimated_cost=cost,
                          excluded_recipients=excluded, created_by=submitter.actor, awaiting_approval=True,
                          review=review)


def riskiest_messages(store: HistoryStore, review, template: Template | None) -> list[tuple[int, list, str]]:
    """(row, why (`risky_reasons`), the message as it will read) for the rows the sender's preview picked
    as worth a look, rendered from the send's own stored payloads: the approver reads exactly what goes out."""
    picked = review.summary.get("riskiest", [])
    stored = {r.row_number: r for r in store.recipients_at_rows(review.send.id, [p["row"] for p in picked])}
    out = []
    for p in picked:
        recipient = stored.get(p["row"])
        try:
            text = render_row(template, recipient.payload).plain_text if recipient and template else ""
        except KeyError:  # the template was edited since: its tags no longer match what was sent
            text = ""
        out.append((int(p["row"]), risky_reasons(p), text))
    return out
