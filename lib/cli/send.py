"""`python -m lib send FILE --template ID [--schedule ISO] [--default tag=value]... [--map NAME=COLUMN]...
[--gsm-safe-greek] [--yes] [--resend-of SEND_ID]`

The same engine as the Compose page: reads and validates the file, builds the manifest (defaults
applied as the preview applies them), prints the confirmation summary, asks (or takes --yes),
sends chunk by chunk with a progress line per chunk, and prints the dispatch ids.
`python -m lib send --resume SEND_ID [--include-unknown] [--yes]` sends what did not go out.
`python -m lib send --resolve SEND_ID --chunk N --as sent|not-sent|resend --by NAME [--note TEXT]` records
a person's decision about a chunk that may or may not have gone out (after checking with the platform).

Exit codes: 0 sent; 1 not (completely) sent: platform error, refused chunk, cancelled;
2 unreadable file or bad arguments; 3 validation problems (no valid rows, missing tags, every row
left out by the rules: do not contact, already received, frequency cap; `--include-already-received`
sends again to those who already received it, recorded as a decision);
4 refused duplicate; 5 some chunk may or may not have gone out, or the history database refused
a chunk's result (it was saved to the results journal beside the database, replayed at the next
start, and its dispatch id printed); 6 submitted for approval: a live send waits for another person's
approval (issue 11; `python -m lib approve SEND_ID`) and nothing was posted; 77 refused by the team's
rules (the person it acts as, CONSOLE_OPERATOR, is not in the team or may not send).
With a worker running (`python -m lib worker`), the send is queued for it and this command follows
it in the database until it ends, printing the same progress; with none, it is posted here.
Uses the embedded sandbox (data in CONSOLE_SANDBOX_DIR, default data/sandbox) when
MESSAGING_API_URL is unset.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from lib import approvals, i18n
from lib.cli.options import add_gsm_safe_greek_option, add_language_option, add_map_option, problem_words
from lib.runtime import ConsoleRuntime, start_runtime
from lib.sending.engine import (
    WORKER_LIVE_WITHIN,
    ChunkProgress,
    DuplicateSend,
    ResultNotRecorded,
    SendError,
    SendOutcome,
)
from lib.sending.manifest import ManifestError, SendManifest
from lib.sending.status import ChunkStatus
from lib.settings import Settings, SettingsError, get_settings
from lib.team.roles import Action, NotAllowed, Person, require
from lib.templates import CatalogError, Channel, Template

EXIT_OK, EXIT_PLATFORM, EXIT_USAGE, EXIT_INVALID, EXIT_DUPLICATE, EXIT_UNKNOWN = 0, 1, 2, 3, 4, 5
EXIT_AWAITING_APPROVAL, EXIT_REFUSED = 6, 77
# --as WORD: the decision recorded (engine.DECISIONS), and the key of what the command says it did.
RESOLUTIONS = {
    "sent": ("marked_sent", "cli.send.resolved.sent"),
    "not-sent": ("marked_not_sent", "cli.send.resolved.not_sent"),
    "resend": ("resend_at_risk", "cli.send.resolved.resend"),
}
SHOWN_INVALIDS = 20
YES = ("y", "yes", "ν", "ναι")  # a confirmation's yes, in either language


class _Stop(Exception):
    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line and exit 2, never a usage dump in the middle of a send
        raise _Stop(f"send: {message}", EXIT_USAGE)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="python -m lib send", description=i18n.t("cli.send.about"), epilog=i18n.t("cli.send.exit_codes"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", nargs="?", help=i18n.t("cli.option.recipient_file"))
    p.add_argument("--template", type=int, help=i18n.t("cli.send.option.template"))
    p.add_argument("--schedule", help=i18n.t("cli.send.option.schedule"))
    p.add_argument("--default", action="append", default=[], metavar="TAG=VALUE", help=i18n.t("cli.send.option.default"))
    add_map_option(p)
    add_gsm_safe_greek_option(p)
    p.add_argument("--sheet", help=i18n.t("cli.option.sheet"))
    p.add_argument("--yes", action="store_true", help=i18n.t("cli.send.option.yes"))
    p.add_argument("--resend-of", type=int, metavar="SEND_ID", help=i18n.t("cli.send.option.resend_of"))
    p.add_argument(
        "--include-already-received", action="store_true", help=i18n.t("cli.send.option.already_received"),
    )
    p.add_argument("--resume", type=int, metavar="SEND_ID", help=i18n.t("cli.send.option.resume"))
    p.add_argument("--include-unknown", action="store_true", help=i18n.t("cli.send.option.include_unknown"))
    p.add_argument("--resolve", type=int, metavar="SEND_ID", help=i18n.t("cli.send.option.resolve"))
    p.add_argument("--chunk", type=int, metavar="N", help=i18n.t("cli.send.option.chunk"))
    p.add_argument("--as", dest="decision", choices=sorted(RESOLUTIONS), help=i18n.t("cli.send.option.as"))
    p.add_argument("--by", help=i18n.t("cli.send.option.by"))
    p.add_argument("--note", help=i18n.t("cli.send.option.note"))
    add_language_option(p)
    return p


def main(argv: list[str], *, ask: Callable[[str], str] = input) -> int:
    try:
        args = _parser().parse_args(argv)
        if args.resolve is not None:
            return _resolve(args)
        if args.resume is None and (args.file is None or args.template is None):
            raise _Stop("send: " + i18n.t("cli.send.file_and_template"), EXIT_USAGE)
        settings = get_settings()
        platform = start_runtime(settings)
        try:
            if args.resume is not None:
                return _resume(args, platform, ask)
            return _send(args, settings, platform, ask)
        finally:
            platform.close()
    except _Stop as stop:
        print(str(stop), file=sys.stderr)
        return stop.code
    except SettingsError as exc:
        print(f"send: {exc}", file=sys.stderr)
        return EXIT_USAGE


# ---- the platform ----------------------------------------------------------------------------


# ---- send ------------------------------------------------------------------------------------


def _send(args, settings: Settings, platform: ConsoleRuntime, ask: Callable[[str], str]) -> int:
    template = _template(platform, args.template)
    schedule_at = _schedule(args.schedule, settings)
    _refuse_if_ruled_out(template, settings, schedule_at)
    defaults = _defaults(args.default)
    if platform.ledger is not None:
        from lib.campaign import read_rules_ahead

        read_rules_ahead(template, platform.ledger)
    campaign, manifest = _manifest(args, settings, template, schedule_at, defaults, platform.ledger)
    engine = platform.engine()
    previous = [s for s in engine.find_previous_sends(manifest) if not s.is_test]
    if previous and args.resend_of is None:
        message = engine.describe_previous(previous[-1])
        raise _Stop(i18n.t("cli.send.duplicate", reason=message, id=str(previous[-1].id)), EXIT_DUPLICATE)
    excluded = len(campaign.excluded())
    parts, cost = _parts_and_cost(template, campaign)
    sender = _sender(settings, platform)
    approval = approvals.needs_approval(settings, sender, is_sandbox=platform.is_sandbox, recipients=len(manifest))
    print(_summary(template, manifest, excluded, parts, cost, settings, platform, args.resend_of, campaign))
    question = "cli.send.confirm_approval" if approval else "cli.send.confirm"
    _confirm(args.yes, i18n.t(question, n=len(manifest)) + " ", ask)
    if platform.ledger is not None:
        campaign.stage_for_send(platform.ledger, manifest)
    workers = platform.store.live_workers(WORKER_LIVE_WITHIN, platform=engine.platform)
    try:
        if approval:  # recorded for an approver; nothing is posted
            send_id = approvals.submit_for_approval(
                engine, manifest, sender, template=template, campaign=campaign, excluded=excluded, parts=parts,
                cost=cost, resend_of=args.resend_of,
            )
            print(approvals.submitted_sentence(send_id))
            return EXIT_AWAITING_APPROVAL
        send_id = engine.enqueue(
            manifest,
            resend_of=args.resend_of,
            estimated_parts=parts,
            estimated_cost=cost,
            excluded_recipients=excluded,
            created_by=sender.actor,
        )
        if workers:  # a worker posts it; this process only watches the store
            print(i18n.t("cli.send.queued_for_worker", id=str(send_id), n=len(workers)))
            outcome = engine.follow(send_id, on_progress=_print_progress)
        else:  # no worker: post it here, with the same code a worker runs (claiming only this send)
            outcome = engine.run_send(send_id, on_progress=_print_progress)
            if platform.ledger is not None:  # the ledger's record, as an idle worker would make it
                platform.ledger.complete_keys()
    except DuplicateSend as exc:
        raise _Stop(i18n.t("cli.refused", reason=exc), EXIT_DUPLICATE) from None
    except ResultNotRecorded as exc:
        raise _Stop(i18n.t("cli.send.not_recorded", reason=exc, dispatch=str(exc.dispatch_id)), EXIT_UNKNOWN) from None
    except SendError as exc:
        raise _Stop(str(exc), EXIT_USAGE) from None
    return _report(outcome)


def _sender(settings: Settings, platform: ConsoleRuntime) -> Person:
    """The person this command sends as (CONSOLE_OPERATOR), under the team's rules when they apply."""
    from lib.cli import team as team_cli

    try:
        person = team_cli.acting_person(settings, platform.store, None)
        require(person, Action.SUBMIT_SEND)
    except team_cli._Stop as stop:
        raise _Stop(str(stop), EXIT_REFUSED) from None
    except NotAllowed as exc:
        raise _Stop(i18n.t("cli.refused", reason=exc), EXIT_REFUSED) from None
    return person


def _refuse_if_ruled_out(template: Template, settings: Settings, schedule_at: datetime | None) -> None:
    """The opt-out text and quiet hours (lib.campaign.send_refusal, as Compose checks them), before the file is read."""
    from lib.campaign import send_refusal

    refusal = send_refusal(template, settings, schedule_at)
    if refusal is None:
        return
    reason = str(refusal.message)
    if refusal.offer is not None:
        when = f"{refusal.offer.astimezone(settings.tz):%Y-%m-%dT%H:%M}"
        reason += " " + i18n.t("cli.send.schedule_hint", when=when)
    raise _Stop(i18n.t("cli.refused", reason=reason), EXIT_INVALID)


def _template(platform: ConsoleRuntime, template_id: int) -> Template:
    try:
        templates = {t.id: t for t in platform.templates()}
    except CatalogError as exc:
        raise _Stop(i18n.t("cli.send.catalog_unreadable", reason=exc), EXIT_USAGE) from None
    if template_id not in templates:
        known = ", ".join(str(i) for i in sorted(templates)) or i18n.t("cli.none")
        raise _Stop(i18n.t("cli.template.missing_known", id=str(template_id), known=known), EXIT_USAGE)
    return templates[template_id]


def _schedule(raw: str | None, settings: Settings) -> datetime | None:
    if raw is None:
        return None
    from lib.scheduling import ScheduleError
    from lib.scheduling import schedule_at as check_schedule

    try:
        when = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise _Stop(i18n.t("cli.send.schedule_shape", value=repr(raw)), EXIT_USAGE) from None
    local = (when if when.tzinfo else when.replace(tzinfo=settings.tz)).astimezone(settings.tz)
    try:
        return check_schedule(
            local.date(),
            local.time(),
            settings.tz,
            now=datetime.now(settings.tz),
            horizon_days=settings.schedule_horizon_days,
        )
    except ScheduleError as exc:
        raise _Stop(f"--schedule: {exc}", EXIT_USAGE) from None


def _defaults(pairs: list[str]) -> dict[str, str]:
    defaults = {}
    for pair in pairs:
        tag, sep, value = pair.partition("=")
        tag = tag.strip().removeprefix("{{").removesuffix("}}").strip()
        if not sep or not tag:
            raise _Stop(i18n.t("cli.send.default_shape", value=repr(pair)), EXIT_USAGE)
        defaults[tag] = value
    return defaults


def _manifest(args, settings: Settings, template: Template, schedule_at, defaults, ledger):
    """The campaign (rules applied, as the Compose page applies them) and its frozen manifest."""
    from lib.campaign import CampaignChoices, preview_campaign
    from lib.ledger import wording
    from lib.recipients import RecipientFileError, load_for_template

    path = Path(args.file)
    if not path.is_file():
        raise _Stop(i18n.t("cli.file.missing", file=args.file), EXIT_USAGE)
    try:
        recipients = load_for_template(path, template, settings, args.sheet, args.map)
    except RecipientFileError as exc:
        raise _Stop(f"{path.name}: {exc}", EXIT_USAGE) from None
    except OSError as exc:
        raise _Stop(problem_words(exc), EXIT_USAGE) from None
    unfilled = [t for t in recipients.mapping.missing_tags if not defaults.get(t)]
    if unfilled:
        names = ", ".join(f"{{{{{t}}}}}" for t in unfilled)
        raise _Stop(i18n.t("cli.send.missing_tags", file=path.name, tags=names), EXIT_INVALID)
    if recipients.valid_frame().empty:
        problems = " ".join(map(str, recipients.summary())) or i18n.t("cli.send.no_recipients")
        raise _Stop(i18n.t("cli.send.no_valid_row", file=path.name, problems=problems), EXIT_INVALID)
    choices = CampaignChoices(defaults, args.gsm_safe_greek, False, args.include_already_received)
    campaign = preview_campaign(template, recipients, choices, settings.sms_part_price, ledger)
    if campaign.sendable_count == 0 and campaign.left_out_counts:
        reason = wording.everyone_left_out(campaign.left_out_counts)
        raise _Stop(i18n.t("cli.send.everyone_left_out", file=path.name, reason=reason), EXIT_INVALID)
    try:
        manifest = campaign.manifest(schedule_at)
    except ManifestError as exc:
        raise _Stop(str(exc), EXIT_INVALID) from None
    return campaign, manifest


def _parts_and_cost(template: Template, campaign):
    if template.channel is not Channel.SMS:
        return None, None
    return campaign.metrics.total_parts, campaign.metrics.estimated_cost


def _summary(template, manifest: SendManifest, excluded, parts, cost, settings, platform, resend_of, campaign) -> str:
    from lib.scheduling import format_when

    rows: list[tuple[str, str]] = [
        (i18n.t("cli.send.summary.template"), i18n.t("cli.send.summary.template_value", name=template.name,
                                                     id=str(template.id), channel=template.channel.label)),
        (i18n.t("cli.send.summary.recipients"), i18n.t("cli.send.summary.recipients_value", count=len(manifest),
                                                       excluded=excluded)),
    ]
    for sentence in campaign.left_out_summary() + ([campaign.consent_notice] if campaign.consent_notice else []):
        rows.append(("", str(sentence)))
    if campaign.choices.include_already_received and campaign.already_received_count:
        rows.append((i18n.t("cli.send.summary.send_again"),
                     i18n.t("cli.send.summary.send_again_value", count=campaign.already_received_count)))
    if parts is not None:
        rows.append((i18n.t("cli.send.summary.parts"), i18n.t("cli.send.summary.parts_value", parts=parts,
                                                              cost=i18n.money(cost, settings.currency))))
    rows.append((i18n.t("cli.send.summary.when"), str(format_when(manifest.schedule_at, settings.tz))))
    rows.append((i18n.t("cli.send.summary.platform"), str(platform.describe_platform())))
    if resend_of is not None:
        rows.append((i18n.t("cli.send.summary.resend"), i18n.t("cli.send.summary.resend_value", id=str(resend_of))))
    width = max(len(label) for label, _ in rows) + 1
    return "\n".join(f"{label:<{width}}{value}" for label, value in rows)


def _confirm(assume_yes: bool, question: str, ask: Callable[[str], str]) -> None:
    if assume_yes:
        return
    try:
        answer = ask(question)
    except EOFError:
        answer = ""
    if answer.strip().lower() not in YES:
        raise _Stop(i18n.t("cli.send.cancelled"), EXIT_PLATFORM)


def _print_progress(progress: ChunkProgress) -> None:
    if progress.status is ChunkStatus.POSTING:
        return
    where = i18n.t("cli.send.chunk", seq=str(progress.seq), count=str(progress.chunk_count), n=progress.recipient_count)
    if progress.status is ChunkStatus.ACCEPTED:
        print(i18n.t("cli.send.chunk_sent", chunk=where, dispatch=str(progress.dispatch_id)), flush=True)
    elif progress.error:
        print(f"{where}: {str(progress.status.label).lower()}: {progress.error}", flush=True)
    else:
        print(f"{where}: {str(progress.status.label).lower()}", flush=True)


def _report(outcome: SendOutcome) -> int:
    print(outcome.headline)
    if outcome.dispatch_ids:
        ids = ", ".join(str(d) for d in outcome.dispatch_ids)
        print(i18n.t("cli.send.dispatch_ids", id=str(outcome.send_id), ids=ids))
    invalids = outcome.platform_rejected_recipients
    if invalids:
        print(i18n.t("cli.send.platform_refused", n=len(invalids)))
        for i in invalids[:SHOWN_INVALIDS]:
            row = i18n.t("cli.send.row", row=str(i.row_number)) if i.row_number else i18n.t("cli.send.row_unknown")
            print(f"  {row}: {i.unique_id} {i.destination}: {i.reason}")
        if len(invalids) > SHOWN_INVALIDS:
            print("  " + i18n.t("cli.send.and_more", n=len(invalids) - SHOWN_INVALIDS))
    if outcome.has_unknown:
        return EXIT_UNKNOWN
    return EXIT_OK if outcome.complete else EXIT_PLATFORM


# ---- resume ----------------------------------------------------------------------------------


def _resume(args, platform: ConsoleRuntime, ask: Callable[[str], str]) -> int:
    engine = platform.engine()
    try:
        before = engine.outcome(args.resume)
    except SendError as exc:
        raise _Stop(str(exc), EXIT_USAGE) from None
    if before.send.queue_state == "awaiting":  # only an approver releases it (issue 11)
        print(i18n.t("cli.send.awaiting_approval", id=str(args.resume)))
        return EXIT_AWAITING_APPROVAL
    todo = [c for c in before.chunks if c.status in (ChunkStatus.PENDING, ChunkStatus.REJECTED)]
    unknown = [c for c in before.chunks if c.may_have_gone_out]
    if args.include_unknown:
        todo += unknown
    print(before.headline)
    if not todo:
        print(i18n.t("cli.send.nothing_to_resume"))
        return EXIT_UNKNOWN if unknown else EXIT_OK
    recipients = sum(c.recipient_count for c in todo)
    question = "cli.send.confirm_resume_unknown" if args.include_unknown and unknown else "cli.send.confirm_resume"
    _confirm(args.yes, i18n.t(question, n=len(todo), recipients=recipients, id=str(args.resume)) + " ", ask)
    workers = platform.store.live_workers(WORKER_LIVE_WITHIN, platform=engine.platform)
    try:
        if workers:
            if args.include_unknown:
                for chunk in unknown:
                    engine.decide_unknown(args.resume, chunk.seq, "resend_at_risk", engine.operator, note="--resume")
            engine.request_resume(args.resume, engine.operator)
            print(i18n.t("cli.send.queued_again", id=str(args.resume)))
            known = {c.seq: c.status for c in before.chunks if c.status not in (ChunkStatus.REJECTED, ChunkStatus.UNKNOWN)}
            outcome = engine.follow(args.resume, on_progress=_print_progress, known=known)
        else:
            outcome = engine.resume(args.resume, on_progress=_print_progress, include_unknown=args.include_unknown)
    except ResultNotRecorded as exc:
        raise _Stop(i18n.t("cli.send.not_recorded", reason=exc, dispatch=str(exc.dispatch_id)), EXIT_UNKNOWN) from None
    except SendError as exc:
        raise _Stop(str(exc), EXIT_PLATFORM) from None
    return _report(outcome)


# ---- resolve an unknown chunk ------------------------------------------------------------------


def _resolve(args) -> int:
    """`--resolve SEND_ID --chunk N --as sent|not-sent|resend --by NAME`: a person's decision, recorded."""
    if args.chunk is None or args.decision is None or not (args.by or "").strip():
        raise _Stop("send: " + i18n.t("cli.send.resolve_needs"), EXIT_USAGE)
    from lib.history.store import open_store
    from lib.sending.engine import SendEngine

    settings = get_settings()
    store = open_store(settings.database_url)
    engine = SendEngine(store, None, batch_size=settings.batch_size, platform_url="", is_sandbox=False,
                        operator=settings.operator, timezone=settings.tz)  # fmt: skip
    decision, done = RESOLUTIONS[args.decision]
    try:
        engine.decide_unknown(args.resolve, args.chunk, decision, args.by, note=args.note)
    except SendError as exc:
        raise _Stop(f"send: {exc}", EXIT_USAGE) from None
    print(i18n.t(done, chunk=str(args.chunk), id=str(args.resolve), by=args.by.strip()))
    if decision != "marked_sent":
        print(i18n.t("cli.send.resume_hint", id=str(args.resolve)))
    return EXIT_OK
