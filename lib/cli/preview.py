"""`python -m lib preview FILE --template ID [--row N | --unique-id X | --riskiest] [--default tag=value]...
[--map NAME=COLUMN]... [--gsm-safe-greek] [--json]`: what recipients will receive, before anything is sent.

Without a selection, the first recipient is shown. `--json` prints JSON Lines: one object per
previewed row (`row, uniqueId, to, subject, text, encoding, characters, parts, missing,
defaultsUsed, error`, plus `reasons` with --riskiest) and a last line `{"summary": {...}}` with
the list's totals (parts, distribution, UCS-2 rows, cost). Totals count the rows that can be
sent: valid recipients with a value (or a default) for every tag.

Exit 0 when the preview was shown; 2 with one line on stderr when it could not be.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from lib import i18n
from lib.cli.options import (
    add_gsm_safe_greek_option,
    add_language_option,
    add_map_option,
    json_text,
    ledger_reading_ahead,
    problem_words,
)
from lib.personalization.preview import (
    ListMetrics,
    find_row,
    list_metrics,
    preview_row_json,
    riskiest_rows,
    summary_json,
    tag_values,
    template_tags,
)
from lib.personalization.tags import TemplateSyntaxError
from lib.settings import SettingsError, get_settings
from lib.templates import CatalogError, Channel, Template

ADDRESS_COLUMNS = ["uniqueId", "mobilePhone", "email"]


class _Refused(Exception):
    """A reason the preview cannot be shown; str() is one line for the user."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise _Refused(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m lib preview", description=i18n.t("cli.preview.about"))
    parser.add_argument("file", help=i18n.t("cli.option.recipient_file"))
    parser.add_argument("--template", type=int, required=True, help=i18n.t("cli.preview.option.template"))
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--row", type=int, help=i18n.t("cli.preview.option.row"))
    which.add_argument("--unique-id", help=i18n.t("cli.preview.option.unique_id"))
    which.add_argument("--riskiest", action="store_true", help=i18n.t("cli.preview.option.riskiest"))
    parser.add_argument("--default", action="append", default=[], metavar="TAG=VALUE",
                        help=i18n.t("cli.preview.option.default"))
    add_map_option(parser)
    add_gsm_safe_greek_option(parser)
    parser.add_argument("--sheet", help=i18n.t("cli.option.sheet"))
    parser.add_argument("--json", action="store_true", help=i18n.t("cli.preview.option.json"))
    parser.add_argument(
        "--include-already-received", action="store_true", help=i18n.t("cli.preview.option.already_received"),
    )
    add_language_option(parser)
    return parser


def _rules(recipients, template: Template, include_already_received: bool, ledger):
    """(rows the rules leave out, their counts by rule, why per row): the same campaign check as send."""
    from lib.campaign import CampaignChoices, preview_campaign

    settings = get_settings()
    choices = CampaignChoices(include_already_received=include_already_received)
    campaign = preview_campaign(template, recipients, choices, settings.sms_part_price, ledger)
    return campaign.rules_left_out.index, campaign.left_out_counts, campaign.rule_reasons()


def _template(template_id: int) -> Template:
    from lib.runtime import console_templates  # the one catalog: the Templates page's, whatever the entry point

    templates = {t.id: t for t in console_templates(get_settings())}
    if template_id not in templates:
        raise _Refused(i18n.t("cli.template.missing", id=str(template_id)))
    return templates[template_id]


def _defaults(pairs: list[str], template: Template) -> dict[str, str]:
    tags = template_tags(template)
    defaults = {}
    for pair in pairs:
        tag, equals, value = pair.partition("=")
        tag = tag.strip().strip("{}").strip()
        if not equals or not tag:
            raise _Refused(i18n.t("cli.preview.default_shape", value=repr(pair)))
        if tag not in tags:
            known = ", ".join(f"{{{{{t}}}}}" for t in tags) or i18n.t("cli.none")
            raise _Refused(i18n.t("cli.preview.no_such_tag", id=str(template.id), tag=f"{{{{{tag}}}}}", tags=known))
        defaults[tag] = value
    return defaults


def _load(path: Path, template: Template, sheet: str | None, map_options: list[str]):
    """(recipients frame with address columns and one column per tag, RecipientList)."""
    from lib.recipients import RecipientFileError, load_for_template

    if not path.is_file():
        raise _Refused(i18n.t("cli.file.missing", file=str(path)))
    tags = template_tags(template)
    try:
        recipients = load_for_template(path, template, get_settings(), sheet, map_options)
    except RecipientFileError as exc:
        raise _Refused(f"{path.name}: {exc}") from None
    frame = recipients.frame
    addresses = frame[[c for c in ADDRESS_COLUMNS if c in frame.columns]]
    view = pd.concat([addresses, tag_values(frame, tags, recipients.payload_columns)], axis=1)
    return view, recipients


def _recipient_errors(recipients, row: int) -> str | None:
    errors = [str(p.message) for p in recipients.problems_for_row(row) if p.severity.value == "error"]
    return "; ".join(errors) or None


def main(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv)
        template = _template(args.template)
        defaults = _defaults(args.default, template)
        price = get_settings().sms_part_price
        ledger = ledger_reading_ahead(template, get_settings())
        view, recipients = _load(Path(args.file), template, args.sheet, args.map)
        sendable = view.loc[recipients.frame["valid"].to_numpy(dtype=bool)]
        ruled, left_out, why = _rules(recipients, template, args.include_already_received, ledger)
        sendable = sendable.drop(index=ruled)
        metrics = list_metrics(
            template, sendable.drop(columns=ADDRESS_COLUMNS, errors="ignore"), defaults, args.gsm_safe_greek, price
        )
        if args.riskiest:
            picks = [(r.row, r.reasons) for r in riskiest_rows(template, sendable, metrics)]
        else:
            picks = [(find_row(view, args.row, args.unique_id), [])]
    except (_Refused, LookupError, SettingsError, CatalogError, TemplateSyntaxError, OSError) as exc:
        print(problem_words(exc), file=sys.stderr)
        return 2
    refusal = _refusal(template)
    previews = []
    for row, reasons in picks:
        preview = preview_row_json(template, view, row, defaults, args.gsm_safe_greek)
        if not recipients.frame.at[row, "valid"]:
            preview["error"] = _recipient_errors(recipients, row) or preview["error"]
        elif row in why.index:
            preview["error"] = why[row]
        if args.riskiest:
            preview["reasons"] = reasons
        previews.append(preview)
    if args.json:
        for preview in previews:
            print(json_text(preview))
        summary = {**summary_json(metrics), "leftOut": left_out, "refused": refusal}
        print(json_text({"summary": summary}))
    else:
        text = as_text(template, previews, metrics, recipients.row_count, left_out)
        print(text + ("\n" + i18n.t("cli.cannot_be_sent", reason=refusal["message"]) if refusal else ""))
    return 0


def _refusal(template: Template) -> dict | None:
    """What `send` would refuse about this template (the opt-out text), said with the preview rather than
    instead of it: the marketer previews to fix exactly this. Quiet hours depend on the sending time: `send`'s."""
    from lib.campaign import send_refusal

    refusal = send_refusal(template, get_settings(), None, quiet_hours=False)
    return None if refusal is None else {"code": refusal.code, "message": refusal.message}


def as_text(
    template: Template, previews: list[dict], metrics: ListMetrics, rows_in_file: int, left_out: dict | None = None
) -> str:
    from lib.ledger import wording

    lines: list[str] = []
    for preview in previews:
        lines += _row_text(template, preview) + [""]
    lines += _summary_text(template, metrics, rows_in_file)
    if left_out:
        lines.append(i18n.t("cli.left_out_by_rules", reasons=i18n.t("cli.separator").join(map(str, wording.summary(left_out)))))
    return "\n".join(lines)


def _row_text(template: Template, preview: dict) -> list[str]:
    head = i18n.t("cli.preview.row_head", row=str(preview["row"]),
                  id=preview["uniqueId"] or i18n.t("cli.preview.no_unique_id"),
                  to=preview["to"] or i18n.t("cli.preview.no_address"))
    lines = [head] + [f"  {i18n.t('cli.preview.why', reason=reason)}" for reason in preview.get("reasons", [])]
    if preview["error"]:
        return lines + [f"  {i18n.t('cli.preview.not_sent', reason=preview['error'])}"]
    if template.channel is Channel.EMAIL:
        lines.append(f"  {i18n.t('cli.preview.subject', subject=preview['subject'])}")
    lines += [f"  | {line}" for line in preview["text"].splitlines() or [""]]
    if template.channel is Channel.SMS:
        lines.append("  " + i18n.t("cli.preview.sms_line", encoding=preview["encoding"],
                                   characters=preview["characters"], n=preview["parts"]))
    if preview["defaultsUsed"]:
        tags = ", ".join(f"{{{{{t}}}}}" for t in preview["defaultsUsed"])
        lines.append("  " + i18n.t("cli.preview.defaults_used", tags=tags))
    for change in preview.get("gsmGreek", []):
        lines.append("  " + i18n.t("cli.preview.gsm_greek_change", tag=f"{{{{{change['tag']}}}}}",
                                   before=repr(change["before"]), after=repr(change["after"])))
    return lines


def _summary_text(template: Template, metrics: ListMetrics, rows_in_file: int) -> list[str]:
    line = i18n.t("cli.preview.summary", n=rows_in_file, valid=metrics.recipients, sendable=metrics.sendable)
    if metrics.rows_with_errors:
        line += i18n.t("cli.separator") + i18n.t("cli.preview.rows_without_values", n=metrics.rows_with_errors)
    lines = [line]
    if template.channel is not Channel.SMS:
        return lines
    spread = ", ".join(i18n.t("cli.preview.parts_count", n=parts, count=count)
                       for parts, count in metrics.distribution.items())
    cost = i18n.money(metrics.estimated_cost, get_settings().currency)
    lines.append(i18n.t("cli.preview.sms_parts", total=metrics.total_parts, spread=spread or i18n.t("cli.none"),
                        cost=cost))
    if metrics.template_note:
        lines.append(i18n.t("cli.preview.template_note", note=metrics.template_note))
    elif len(metrics.ucs2_rows):
        characters = ", ".join(f"{c!r}: {i18n.number(n)}" for c, n in list(metrics.ucs2_by_character.items())[:8])
        lines.append(i18n.t("cli.preview.ucs2", n=len(metrics.ucs2_rows), characters=characters))
    saved = metrics.parts_saved_by_gsm_greek
    if metrics.gsm_greek and saved:
        lines.append(i18n.t("cli.preview.gsm_greek_saves", n=saved))
    elif not metrics.gsm_greek and saved > 0:
        lines.append(i18n.t("cli.preview.gsm_greek_would_save", n=saved))
    return lines
