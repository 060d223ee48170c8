"""A campaign: a template, a validated recipient list, the marketer's choices — and what it will send.

This is the glue the Compose page and the `send` command share: which rows receive the message,
which are left out and why, the personalised values (defaults and GSM-safe Greek applied), the
SMS figures, and the frozen manifest built from exactly those values.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from enum import StrEnum

import pandas as pd

from lib import i18n
from lib.ledger import Ledger, LedgerCheck, is_marketing_kind, template_kind, wording
from lib.ledger.rules import Rule, empty_left_out, rule_result
from lib.personalization import preview
from lib.recipients import RecipientList, emails, mobiles
from lib.recipients.problems import join_words
from lib.rules import consent
from lib.sending.manifest import ManifestRecipient, SendManifest, build_manifest, make_manifest
from lib.templates import Channel, Template

# Column keys of excluded() (stable names code and tests look rows up by; a page words its own headers).
EXCLUDED_COLUMNS = ["Row", "Customer id", "Why it is left out"]


@dataclass(frozen=True)
class CampaignChoices:
    defaults: dict[str, str] = field(default_factory=dict)
    gsm_greek: bool = False
    keep_first_duplicate: bool = False
    include_already_received: bool = False  # the marketer's decision to send again to those people


@dataclass(frozen=True)
class CampaignPreview:
    template: Template
    recipients: RecipientList
    choices: CampaignChoices
    candidates: pd.DataFrame  # valid rows after the duplicate choice: uniqueId, address…, one column per tag
    values: pd.DataFrame  # the candidates' tag values as written (index = spreadsheet row)
    metrics: preview.ListMetrics
    rules: LedgerCheck | None = None  # the ledger's verdict on the valid rows (None: no ledger)
    people: pd.DataFrame | None = None  # the valid rows' ledger keys (index = spreadsheet row)
    tz: tzinfo = UTC

    @property
    def rules_left_out(self) -> pd.DataFrame:
        """Rows the rules leave out, after the marketer's choice (index = spreadsheet row)."""
        if self.rules is None:
            return empty_left_out()
        return self.rules.applied(self.choices.include_already_received)

    @property
    def left_out_counts(self) -> dict[str, int]:
        """Rule code -> people left out: the one set of numbers every screen and command shows."""
        return {} if self.rules is None else self.rules.counts(self.choices.include_already_received)

    @property
    def already_received_count(self) -> int:
        """People who already received it (left out unless the marketer includes them)."""
        return 0 if self.rules is None else self.rules.already_received

    def left_out_summary(self) -> list[str]:
        """'27 left out: already received', '3 opted out'…"""
        return wording.summary(self.left_out_counts)

    def missing_value_summary(self) -> list[str]:
        """'1 row has no value for {{voucherCode}}: left out unless you set a default (step 3)', one per tag."""
        sentences = []
        no_column = set(self.recipients.mapping.missing_tags)  # said once, as the error about the column
        for tag in self.metrics.missing.columns.difference(list(no_column), sort=False):
            count = int(self.metrics.missing[tag].sum())
            if count:
                sentences.append(i18n.t("campaign.missing_value", n=count, tag="{{" + tag + "}}"))
        return sentences

    @property
    def consent_notice(self) -> str | None:
        """For a marketing template whose file has no consent column: the one sentence saying so."""
        notice = consent.not_checked_notice(self.template, consent.reading_of(self.recipients))
        return None if notice is None else notice.message

    def rule_reasons(self) -> pd.Series:
        """row -> the sentence saying why the rules leave it out."""
        cap_days = self.rules.cap_days if self.rules is not None else None
        return wording.reasons(self.rules_left_out, self.tz, cap_days)

    def stage_for_send(self, ledger: Ledger, manifest: SendManifest) -> None:
        """Hand the ledger what this check decided, to be recorded with the send of `manifest`."""
        if self.people is None:
            return
        include = self.already_received_count if self.choices.include_already_received else None
        ledger.stage(manifest.hash, self.rules_left_out, self.people, include_already_received=include or None,
                     marketing=is_marketing_kind(template_kind(self.template)))

    @property
    def tags(self) -> tuple[str, ...]:
        return preview.template_tags(self.template)

    @property
    def sendable_rows(self) -> pd.Index:
        return self.metrics.rows.index[self.metrics.rows["error"].astype(str) == ""]

    @property
    def sendable_count(self) -> int:
        return self.metrics.sendable

    def excluded(self) -> pd.DataFrame:
        """Every row that will not receive the message, with the reason in plain words."""
        frame = self.recipients.frame
        errors = self.recipients.problems
        errors = errors[errors["severity"] == "error"]
        by_row = errors.groupby("row")["message"].agg(lambda m: "; ".join(dict.fromkeys(m)))
        invalid = frame.index[~frame["valid"].to_numpy(dtype=bool)]
        parts = [pd.DataFrame({"row": invalid, "reason": by_row.reindex(invalid).fillna(i18n.t("campaign.reason.not_valid")).to_numpy()})]
        valid = frame.index[frame["valid"].to_numpy(dtype=bool)]
        ruled = self.rules_left_out.index
        if len(ruled):
            parts.append(pd.DataFrame({"row": ruled, "reason": self.rule_reasons().reindex(ruled).to_numpy()}))
        dropped = valid.difference(self.candidates.index).difference(ruled)
        if len(dropped):
            parts.append(pd.DataFrame({"row": dropped, "reason": i18n.t("campaign.reason.same_destination")}))
        missing = self.metrics.rows["error"].astype(str)
        missing = missing[missing != ""]
        if len(missing):
            parts.append(pd.DataFrame({"row": missing.index, "reason": missing.to_numpy()}))
        rows = pd.concat(parts, ignore_index=True).sort_values("row", kind="stable")
        ids = frame["uniqueId"].reindex(rows["row"]).to_numpy()
        return pd.DataFrame({EXCLUDED_COLUMNS[0]: rows["row"].to_numpy(), EXCLUDED_COLUMNS[1]: ids,
                             EXCLUDED_COLUMNS[2]: rows["reason"].to_numpy()})

    def manifest(self, schedule_at: datetime | None) -> SendManifest:
        """The frozen send: the same values the preview shows, defaults written into the payload."""
        return build_manifest(
            self.template,
            self.candidates,
            schedule_at=schedule_at,
            defaults=self.choices.defaults,
            gsm_greek=self.choices.gsm_greek,
        )

    def row_preview(self, row: int) -> dict:
        return preview.preview_row_json(
            self.template, self._preview_frame(), row, self.choices.defaults, self.choices.gsm_greek
        )

    def riskiest(self, limit: int = 8) -> list[preview.RiskyRow]:
        return preview.riskiest_rows(self.template, self.values, self.metrics, limit)

    def _preview_frame(self) -> pd.DataFrame:
        address = self.candidates[["uniqueId", destination_column(self.template.channel)]]
        return pd.concat([address, self.values], axis=1)


@dataclass(frozen=True)
class SendRefusal:
    """A rule that refuses the whole send, not a row: the template lacks the opt-out text, or it is quiet hours.
    `offer`: for quiet hours, the earliest time the send can be scheduled instead."""

    code: str
    message: str
    offer: datetime | None = None


def send_refusal(template: Template, settings, when: datetime | None, *, now: datetime | None = None,
                 quiet_hours: bool = True) -> SendRefusal | None:
    """The one check Compose (right before it queues the send), `send`, `check` and `preview` make before
    a send: the template must carry CONSOLE_SMS_OPTOUT_TEXT (the setting may have changed since the
    template was saved), and a marketing SMS may not go out in quiet hours. `when` None is now.
    `quiet_hours=False`: the commands that only read a file (`check`, `preview`) have no time to judge."""
    from lib.rules import optout_text
    from lib.scheduling import QuietHoursError, check_quiet_hours

    if missing := optout_text.check_before_send(template, settings):
        return SendRefusal(optout_text.CODE, missing)
    if quiet_hours:
        try:
            check_quiet_hours(when, template, settings, now=now or datetime.now(settings.tz))
        except QuietHoursError as exc:
            return SendRefusal(exc.code, str(exc), exc.offer)
    return None


def destination_column(channel: Channel) -> str:
    return "mobilePhone" if channel is Channel.SMS else "email"


def preview_campaign(
    template: Template,
    recipients: RecipientList,
    choices: CampaignChoices,
    price_per_part: Decimal,
    ledger: Ledger | None = None,
    *,
    now: datetime | None = None,
    extra_rules: Sequence[pd.DataFrame] = (),
    checked: tuple[pd.DataFrame, LedgerCheck] | None = None,
) -> CampaignPreview:
    """The campaign as it will go out. With a `ledger`, the rules run once here (do not contact,
    frequency cap, already received, plus `extra_rules` computed elsewhere, like consent) and the
    rows they leave out are not candidates; every count shown anywhere comes from this one result.
    `checked`: check_rules' result when the caller already has it (the page shows it a step earlier)."""
    tags = preview.template_tags(template)
    valid = recipients.valid_frame(keep_first_duplicate_destination=choices.keep_first_duplicate)
    rules = people = None
    if ledger is not None:
        people, rules = checked if checked is not None else check_rules(
            template, recipients, choices.keep_first_duplicate, ledger, now=now, extra_rules=extra_rules)
        valid = valid.drop(index=rules.applied(choices.include_already_received).index)
    values = preview.tag_values(valid, tags, recipients.payload_columns)
    keep = ["uniqueId", destination_column(template.channel), "cardNumber"]
    candidates = valid[[c for c in keep if c in valid.columns]].copy()
    for tag in values.columns:  # build_manifest reads a tag from `payload.<tag>` first
        candidates[f"payload.{tag}"] = values[tag]
    metrics = preview.list_metrics(template, values, choices.defaults, choices.gsm_greek, price_per_part)
    tz = ledger.settings.tz if ledger is not None else UTC
    return CampaignPreview(template, recipients, choices, candidates, values, metrics, rules, people, tz)


def read_rules_ahead(template: Template, ledger: Ledger) -> None:
    """Let the ledger read what the rules for `template` join against while the list is being read
    (`Ledger.read_ahead`): call it before loading the file."""
    ledger.read_ahead(template.id, template.channel, is_marketing_kind(template_kind(template)))


def check_rules(
    template: Template, recipients: RecipientList, keep_first_duplicate: bool, ledger: Ledger, *,
    now: datetime | None = None, extra_rules: Sequence[pd.DataFrame] = (),
) -> tuple[pd.DataFrame, LedgerCheck]:
    """(the valid rows' ledger keys, the rules' verdict on them), before the marketer's override."""
    valid = recipients.valid_frame(keep_first_duplicate_destination=keep_first_duplicate)
    marketing = is_marketing_kind(template_kind(template))
    refused = consent.left_out_without_consent(consent.reading_of(recipients), template).intersection(valid.index)
    if len(refused):  # the consent column (lib.rules.consent) as one more rule, in the same result
        extra_rules = [*extra_rules, rule_result(refused.to_numpy(), Rule.NO_CONSENT)]
    ctx = ledger.context(template.id, template.channel, marketing, now)
    return ledger.check_list(valid, template.channel, destination_column(template.channel), ctx, extra_rules)


def rule_problems(check: LedgerCheck, include_already_received: bool, tz: tzinfo) -> pd.DataFrame:
    """The rules' rows in the problems table's shape (row, column, code, severity, message)."""
    left_out = check.applied(include_already_received)
    return pd.DataFrame({
        "row": left_out.index.to_numpy(dtype="int64"), "column": "", "code": left_out["rule"].astype(str).to_numpy(),
        "severity": "left out", "message": wording.reasons(left_out, tz, check.cap_days).to_numpy(),
    })


def own_address(channel: Channel, raw: str, region: str, allowed: tuple[str, ...]) -> str:
    """The marketer's own mobile (E.164) or email for a test send, or ValueError saying what is wrong."""
    if channel is Channel.SMS:
        verdict = mobiles.check_one(raw, region, allowed)
        if verdict.e164 is None:
            raise ValueError(i18n.t("campaign.own_mobile", problem=verdict.message))
        return verdict.e164
    checked = emails.check_one(raw)
    if checked.normalized is None:
        raise ValueError(i18n.t("campaign.own_email", problem=checked.message))
    return checked.normalized


def build_test_send(campaign: CampaignPreview, row: int, destination: str) -> SendManifest:
    """One message rendered with `row`'s data, to the marketer's own address. Its uniqueId is new
    every time, so a second test is a second, deliberate send and never a duplicate of the campaign."""
    if row not in campaign.sendable_rows:
        raise ValueError(i18n.t("campaign.test_row_left_out", row=str(row)))
    one = build_manifest(
        campaign.template, campaign.candidates.loc[[row]], schedule_at=None,
        defaults=campaign.choices.defaults, gsm_greek=campaign.choices.gsm_greek,
    ).recipients[0]
    test = ManifestRecipient(row, f"TEST-{row}-{time.time_ns()}", destination, None, one.payload)
    return make_manifest(campaign.template, [test], schedule_at=None)


# ---- what the Compose page says: one set of numbers, the button, the confirmation --------------------------

class Outcome(StrEnum):
    """What happens to a row of the problems table."""

    LEFT_OUT = "left_out"
    STILL_SENT = "still_sent"  # a warning: sent, worth a look


OUTCOMES = i18n.family("campaign.outcome", Outcome)
OUTCOME_COLUMN = "What happens"  # the outcome in the reader's words
OUTCOME_CODE = "outcome"  # the Outcome itself: filter and count on this, never on the words
LEFT_OUT, STILL_SENT = Outcome.LEFT_OUT, Outcome.STILL_SENT


@dataclass(frozen=True)
class CampaignCounts:
    """The campaign's numbers, the only ones Compose shows (metrics, problems table, tab, confirmation, button)."""

    rows_in_file: int
    will_receive: int
    left_out: int  # rows (the Left out tab has one line each)
    warnings: int  # lines of the problems table whose rows are still sent


def campaign_counts(campaign: CampaignPreview) -> CampaignCounts:
    table = problems_table(campaign)
    return CampaignCounts(
        campaign.recipients.row_count, campaign.sendable_count, len(campaign.excluded()),
        int((table[OUTCOME_CODE] == Outcome.STILL_SENT).sum()),
    )


def problems_table(campaign: CampaignPreview) -> pd.DataFrame:
    """Every problem line (row, column, code, message, What happens): the file's errors and warnings, then every
    other row the campaign leaves out (rules, missing values, repeated destinations) with the same reason as
    the Left out tab. A template tag with no column is not a line here: the page says it once, at the top."""
    problems = campaign.recipients.problems
    problems = problems[problems["code"] != "tag.column_missing"]
    errors = set(problems.loc[problems["severity"] == "error", "row"].astype(int))
    excluded = campaign.excluded()
    more = excluded[~excluded[EXCLUDED_COLUMNS[0]].isin(errors)]
    codes = pd.Series("left_out", index=more.index)
    if campaign.rules is not None:
        rule_codes = campaign.rules_left_out["rule"].astype(str)
        codes = more[EXCLUDED_COLUMNS[0]].map(rule_codes).astype(object).fillna("left_out")
    extra = pd.DataFrame({"row": more[EXCLUDED_COLUMNS[0]].astype("int64").to_numpy(), "column": "",
                          "code": codes.to_numpy(dtype=object), "severity": "left out",
                          "message": more[EXCLUDED_COLUMNS[2]].to_numpy(dtype=object)})
    table = pd.concat([problems[["row", "column", "code", "severity", "message"]], extra], ignore_index=True)
    table = table.drop_duplicates(["row", "message"]).sort_values("row", kind="stable").reset_index(drop=True)
    # A warning on a row that is left out anyway (no consent, say) is not "sent": one outcome per row.
    sent = (table["severity"] == "warning") & ~table["row"].isin(excluded[EXCLUDED_COLUMNS[0]])
    table[OUTCOME_CODE] = [Outcome.STILL_SENT if s else Outcome.LEFT_OUT for s in sent]
    words = {outcome: i18n.coded(OUTCOMES, outcome) for outcome in Outcome}
    table[OUTCOME_COLUMN] = table[OUTCOME_CODE].map(words)
    return table


def rows_to_fix_file(campaign: CampaignPreview, fmt: str) -> bytes:
    """The rows-to-fix download: the file's problems and every other row the campaign leaves out (rules, missing
    values), so it holds the same rows as the problems table."""
    from lib.recipients import export_rows_to_fix

    table = problems_table(campaign)
    extra = table[table["severity"] == "left out"].drop(columns=[OUTCOME_COLUMN, OUTCOME_CODE])
    return export_rows_to_fix(campaign.recipients, fmt, extra=extra)


def missing_tag_sentence(missing_tags: Sequence[str]) -> str | None:
    """The one error for template tags no column fills, or None."""
    if not missing_tags:
        return None
    names = join_words(["{{" + tag + "}}" for tag in missing_tags])
    if len(missing_tags) == 1:  # a name, or a list of names: not a count
        return i18n.t("campaign.missing_tag_column.one", names=names)
    return i18n.t("campaign.missing_tag_column.many", names=names)


def template_label(template: Template) -> str:
    """'71 · Promo code (SMS)': the channel once, whether or not the template's name already says it."""
    name = template.name.strip()
    said = name.lower().endswith(f"({template.channel.label.lower()})")
    return f"{template.id} · {name}" + ("" if said else f" ({template.channel.label})")


def people(count: int) -> str:
    """'1 person', '20 people', '1,000 people'."""
    return i18n.t("common.people", n=count)


def short_when(moment: datetime, tz: tzinfo) -> str:
    """'30 Dec 10:00' — the moment in the console's time zone, as a button can hold it."""
    local = moment.astimezone(tz)
    return i18n.t("campaign.short_when", day=i18n.date_text(local, "short"), time=i18n.time_text(local))


def send_button_label(count: int, when: datetime | None, tz: tzinfo, *, needs_approval: bool = False) -> str:
    """What the button will do: 'Send now to 20 people', 'Schedule for 30 Dec 10:00 to 1 person'.
    A send that needs approval keeps the approvals' wording: 'Submit for approval: send to 3 recipients'."""
    if needs_approval:
        return i18n.t("campaign.button.approval", people=i18n.t("common.recipients", n=count))
    if when is None:
        return i18n.t("campaign.button.now", people=people(count))
    return i18n.t("campaign.button.schedule", when=short_when(when, tz), people=people(count))


def needs_typed_count(settings, *, is_sandbox: bool, count: int) -> bool:
    """A live send to more than CONSOLE_CONFIRM_ABOVE people asks for the count to be typed; the sandbox never."""
    return not is_sandbox and count > settings.confirm_above


def typed_count_matches(typed: str, count: int) -> bool:
    """'1000', '1,000', '1.000' and ' 1 000 ' all confirm 1,000; anything else does not."""
    digits = "".join(ch for ch in typed if not ch.isspace() and ch not in ",.")
    return digits.isdigit() and int(digits) == count


def defaults_sentences(defaults: dict[str, str]) -> list[str]:
    """'{{voucherAmount}} in the message: 10 € where the file has none' — one per default the marketer set."""
    return [i18n.t("campaign.default_value", tag="{{" + tag + "}}", value=value) for tag, value in defaults.items()]


def confirmation_summary(
    campaign: CampaignPreview, count: int, when: datetime | None, tz: tzinfo, platform: str, currency: str,
) -> dict[str, str]:
    """Label -> value, what the confirmation repeats before money goes out."""
    from lib.scheduling import format_when

    template = campaign.template
    counts = campaign_counts(campaign)
    rows_left_out = i18n.t("common.rows", n=counts.left_out)
    if reasons := campaign.left_out_summary():
        rows_left_out = i18n.t("campaign.summary.left_out_why", rows=rows_left_out, reasons="; ".join(reasons))
    summary = {
        i18n.t("campaign.summary.template"): template_label(template),
        i18n.t("campaign.summary.people"): people(count),
        i18n.t("campaign.summary.left_out"): rows_left_out,
        i18n.t("campaign.summary.when"): format_when(when, tz),
        i18n.t("campaign.summary.platform"): platform,
    }
    if campaign.choices.include_already_received and campaign.already_received_count:
        summary[i18n.t("campaign.summary.again")] = i18n.t("campaign.summary.again_people",
                                                           people=people(campaign.already_received_count))
    if template.channel is Channel.SMS:
        metrics = campaign.metrics
        summary[i18n.t("campaign.summary.cost")] = i18n.t(
            "campaign.summary.cost_for", money=i18n.money(metrics.estimated_cost, currency),
            parts=i18n.t("common.sms_parts", n=metrics.total_parts))
        summary[i18n.t("campaign.summary.gsm_greek")] = i18n.t(
            "campaign.summary.gsm_greek_on" if campaign.choices.gsm_greek else "campaign.summary.gsm_greek_off")
    used = defaults_sentences(campaign.choices.defaults)
    summary[i18n.t("campaign.summary.defaults")] = "; ".join(used) if used else i18n.t("campaign.summary.no_defaults")
    return summary
