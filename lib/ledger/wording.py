"""Every sentence a marketer reads about people left out by the rules: one place, codes in, words out.

The words are in the `rules` catalog, in the reader's language; plurals are the catalog's (parameter `n`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo

import numpy as np
import pandas as pd

from lib import i18n
from lib.ledger.rules import PRIORITY, Rule
from lib.rules.consent import no_consent_reason

COUNT = i18n.family("rules.count", Rule)  # "27 left out: already received", "3 opted out"


def reason(rule: str, tz: tzinfo, send_id=None, at=None, count=None, cap_days: int | None = None) -> str:
    """Why one row is left out, as the problems table and the Left out tab say it."""
    rule = Rule(rule)
    if rule is Rule.ALREADY_RECEIVED:
        if at is not None and not pd.isna(at) and send_id is not None and not pd.isna(send_id):
            local = pd.Timestamp(at).to_pydatetime().astimezone(tz)
            return i18n.t("rules.reason.already_received_on", day=i18n.date_text(local, "short"),
                          time=i18n.time_text(local), send=str(int(send_id)))
        return i18n.t("rules.reason.already_received")
    if rule is Rule.OPTED_OUT:
        return i18n.t("rules.reason.opted_out")
    if rule is Rule.OPTED_OUT_AFTER_UPLOAD:
        return i18n.t("rules.reason.opted_out_after_upload")
    if rule is Rule.NO_CONSENT:
        return no_consent_reason()
    n = 0 if count is None or pd.isna(count) else int(count)
    if cap_days:
        return i18n.t("rules.reason.frequency_cap_days", n=n, days=i18n.t("rules.days", n=cap_days))
    return i18n.t("rules.reason.frequency_cap", n=n)


def reasons(left_out: pd.DataFrame, tz: tzinfo, cap_days: int | None = None) -> pd.Series:
    """reason() for every row of a rule result (index = spreadsheet row). Rows share a few reasons (one per
    rule, send and count), so each distinct reason is worded once and spread over its rows by group number:
    a 300,000-row verdict costs a handful of sentences, not a Python step per row."""
    facts = left_out[["rule", "send_id", "at", "count"]]
    group = facts.groupby(list(facts.columns), dropna=False, sort=False).ngroup().to_numpy()
    distinct = facts.drop_duplicates()  # in the order of first appearance, as ngroup numbers the groups
    worded = np.array([_reason_of(one, tz, cap_days) for one in distinct.itertuples(index=False, name=None)]
                      or [""], dtype=object)
    return pd.Series(worded[group] if len(group) else [], index=left_out.index, dtype="object")


def _reason_of(facts: tuple, tz: tzinfo, cap_days: int | None) -> str:
    rule, send_id, at, count = (None if pd.isna(v) else v for v in facts)
    return reason(rule, tz, send_id, at, count, cap_days)


def count_phrase(rule: str, n: int) -> str:
    """'27 left out: already received', '3 opted out' — the summary's words for one rule."""
    return i18n.coded(COUNT, Rule(rule), n=n)


def summary(counts: Mapping[str, int]) -> list[str]:
    """The count phrases in PRIORITY order, rules with nobody left out omitted."""
    return [count_phrase(r, counts[r.value]) for r in PRIORITY if counts.get(r.value)]


def send_again_label(n: int) -> str:
    """The Compose checkbox that includes people who already received the message."""
    return i18n.t("rules.send_again", n=n)


def everyone_left_out(counts: Mapping[str, int]) -> str:
    """The reason a send posts nothing."""
    return i18n.t("rules.nobody_left", reasons="; ".join(summary(counts)))


def send_record(counts: Mapping[str, int], included_again: int | None) -> list[str]:
    """What a send's record says about the rules (the Dispatches detail): who they left out, by rule, with the
    same phrases Compose showed, and the marketer's decision to include people again."""
    lines = []
    if counts:
        lines.append(i18n.t("rules.record.left_out", n=sum(counts.values()), reasons="; ".join(summary(counts))))
    if included_again:
        lines.append(i18n.t("rules.record.included_again", n=included_again))
    return lines

