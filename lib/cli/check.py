"""`python -m lib check FILE --channel sms|email [--template ID] [--map NAME=COLUMN]... [--region GR] [--json]`.

Exit codes: 0 when at least one row can be sent (problems in other rows are listed; those rows
would be left out); 3 when no row can be sent: a tag of the template has no column, or no row
is valid; 2 with one line on stderr when the file cannot be read or the arguments are wrong.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from lib import i18n
from lib.cli.options import add_language_option, add_map_option, json_text, ledger_reading_ahead, problem_words
from lib.personalization.tags import TemplateSyntaxError
from lib.recipients.reading import RecipientFileError
from lib.recipients.recipient_list import RecipientList, load_with_map_options
from lib.settings import SettingsError, get_settings
from lib.templates import CatalogError, Channel
from lib.templates import template_tags as tags_of

SHOWN_PROBLEMS = 20
EXIT_OK, EXIT_USAGE, EXIT_NOTHING_TO_SEND = 0, 2, 3
# A problem's severity, in words (lib.recipients.problems.Severity's values).
SEVERITY_WORDS = {"error": "cli.check.severity.error", "warning": "cli.check.severity.warning"}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, like every other refusal of this command
        raise _Refused(message)


class _Refused(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m lib check", description=i18n.t("cli.check.about"), epilog=i18n.t("cli.check.exit_codes"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", help=i18n.t("cli.option.recipient_file"))
    parser.add_argument("--channel", required=True, choices=[c.value for c in Channel])
    parser.add_argument("--template", type=int, help=i18n.t("cli.check.option.template"))
    add_map_option(parser)
    parser.add_argument("--region", help=i18n.t("cli.check.option.region"))
    parser.add_argument("--sheet", help=i18n.t("cli.option.sheet"))
    parser.add_argument("--json", action="store_true", help=i18n.t("cli.check.option.json"))
    add_language_option(parser)
    return parser


def template_for(template_id: int, channel: Channel):
    from lib.runtime import console_templates  # the one catalog: the Templates page's, whatever the entry point

    templates = {t.id: t for t in console_templates(get_settings())}
    if template_id not in templates:
        raise _Refused(i18n.t("cli.template.missing", id=str(template_id)))
    template = templates[template_id]
    if template.channel is not channel:
        raise _Refused(i18n.t("cli.check.template_channel", id=str(template_id), channel=template.channel.label,
                              wanted=channel.label))
    return template


def template_tags_for(template_id: int, channel: Channel) -> tuple[str, ...]:
    return tags_of(template_for(template_id, channel))


def left_out(result: RecipientList, template, settings, ledger=None) -> dict:
    """The rules' verdict on the valid rows, from the same campaign the Compose page and `send` use:
    {"total", "byRule": {rule: n}, "rows": [{"row", "rule", "message"}]}. Without a template only the
    do-not-contact list applies (the other rules are about a template)."""
    from lib.campaign import CampaignChoices, preview_campaign
    from lib.history.store import open_store
    from lib.ledger import Ledger, wording

    ledger = ledger or Ledger(open_store(settings.database_url), settings)
    if template is not None:
        campaign = preview_campaign(template, result, CampaignChoices(), settings.sms_part_price, ledger)
        frame, counts = campaign.rules_left_out, campaign.left_out_counts
        reasons = campaign.rule_reasons()
    else:
        valid = result.valid_frame()
        people = ledger.people(valid, result.channel, result.destination_column)
        frame = ledger.opted_out(people, result.channel)
        counts = {str(k): int(v) for k, v in frame["rule"].value_counts().items()}
        reasons = wording.reasons(frame, settings.tz)
    rows = [{"row": row, "rule": rule, "message": message} for row, rule, message in zip(
        frame.index.tolist(), frame["rule"].astype(str).tolist(), reasons.reindex(frame.index).tolist(), strict=True)]
    return {"total": len(frame), "byRule": counts, "rows": rows}


def main(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv)
        settings = get_settings()
        if args.region:
            import phonenumbers

            region = args.region.strip().upper()
            if region not in phonenumbers.SUPPORTED_REGIONS:
                raise _Refused(i18n.t("cli.check.unknown_region", value=repr(args.region)))
            settings = dataclasses.replace(settings, region=region)
        channel = Channel(args.channel)
        template = template_for(args.template, channel) if args.template is not None else None
        tags = tags_of(template) if template is not None else ()
        path = Path(args.file)
        if not path.is_file():
            raise _Refused(i18n.t("cli.file.missing", file=args.file))
        ledger = ledger_reading_ahead(template, settings) if template is not None else None
        data = path.read_bytes()
        result = load_with_map_options(
            data, path.name, channel=channel, template_tags=tags, settings=settings, sheet=args.sheet,
            map_options=args.map,
        )
    except (_Refused, RecipientFileError, SettingsError, CatalogError, TemplateSyntaxError, OSError) as exc:
        print(f"{args.file if 'args' in locals() else 'check'}: {exc}" if isinstance(exc, RecipientFileError) else problem_words(exc), file=sys.stderr)
        return EXIT_USAGE
    try:
        rules = left_out(result, template, settings, ledger)
    except SettingsError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    refusal = _refusal(template, settings)
    if args.json:
        print(json_text({**as_json(result, rules), "refused": refusal}))
    else:
        cannot = "\n" + i18n.t("cli.cannot_be_sent", reason=refusal["message"]) if refusal else ""
        print(as_text(result, path.name, rules) + cannot)
    return EXIT_NOTHING_TO_SEND if refusal else exit_code(result, rules)


def _refusal(template, settings) -> dict | None:
    """The template-level refusal `send` would give (the opt-out text), as {"code", "message"}; quiet hours are
    `send`'s to judge: a check has no sending time."""
    from lib.campaign import send_refusal

    if template is None:
        return None
    refusal = send_refusal(template, settings, None, quiet_hours=False)
    return None if refusal is None else {"code": refusal.code, "message": refusal.message}


def exit_code(result: RecipientList, rules: dict | None = None) -> int:
    """3 when nothing could be sent: every row would be left out (a missing tag column leaves out every
    row; so do the rules when they leave out every valid row)."""
    everyone_ruled_out = rules is not None and result.valid_count > 0 and rules["total"] >= result.valid_count
    nothing = result.mapping.missing_tags or result.valid_count == 0 or everyone_ruled_out
    return EXIT_NOTHING_TO_SEND if nothing else EXIT_OK


def as_json(result: RecipientList, rules: dict | None = None) -> dict:
    return {
        "leftOut": rules or {"total": 0, "byRule": {}, "rows": []},
        "rows": result.row_count,
        "valid": result.valid_count,
        "invalid": result.invalid_count,
        "warnings": result.warning_count,
        "mapping": result.mapping.to_json(),
        "problems": [p.to_json() for p in result.problem_list()],
    }


def as_text(result: RecipientList, name: str, rules: dict | None = None) -> str:
    lines = [
        i18n.t("cli.check.counts", file=name, n=result.row_count, valid=result.valid_count,
               invalid=result.invalid_count, warnings=result.warning_count),
        i18n.t("cli.check.columns",
               columns=", ".join(f"{f.label} = {h!r}" for f, h in result.mapping.fields.items() if h)),
    ]
    if result.mapping.payload:
        tags = ", ".join(f"{{{{{k}}}}} = {v!r}" for k, v in result.mapping.payload.items())
        lines.append(i18n.t("cli.check.personalisation", tags=tags))
    if result.mapping.missing_tags:
        names = ", ".join(f"{{{{{t}}}}}" for t in result.mapping.missing_tags)
        lines.append(i18n.t("cli.check.missing_tags", tags=names))
    summary = result.summary()
    if rules and rules["total"]:
        from lib.ledger import wording

        lines.append(i18n.t("cli.left_out_by_rules", reasons=i18n.t("cli.separator").join(map(str, wording.summary(rules["byRule"])))))
    if summary:
        lines += ["", i18n.t("cli.check.to_do")] + [f"  - {s}" for s in summary]
    shown = result.problem_list(SHOWN_PROBLEMS)
    if shown:
        lines += ["", i18n.t("cli.check.first_problems", shown=len(shown), total=len(result.problems))]
        row = i18n.t("cli.check.row")
        lines += [f"  {row} {p.row:>7}  {str(p.column or '-'):<20} {_severity(p.severity.value):<7}  {p.message}"
                  for p in shown]
    return "\n".join(lines)


def _severity(code: str) -> str:
    key = SEVERITY_WORDS.get(code)
    return i18n.t(key) if key else code
