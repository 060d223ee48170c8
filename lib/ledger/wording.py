"""Every sentence a marketer reads about people left out by the rules: one place, codes in, words out."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo

import pandas as pd

from lib.ledger.rules import PRIORITY, Rule
from lib.rules.consent import NO_CONSENT_REASON


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def when(moment: datetime, tz: tzinfo) -> str:
    local = moment.astimezone(tz)
    return f"{local.day} {local:%b} at {local:%H:%M}"


def reason(rule: str, tz: tzinfo, send_id=None, at=None, count=None, cap_days: int | None = None) -> str:
    """Why one row is left out, as the problems table and the Left out tab say it."""
    rule = Rule(rule)
    if rule is Rule.ALREADY_RECEIVED:
        if at is not None and not pd.isna(at) and send_id is not None and not pd.isna(send_id):
            return f"Already received this message on {when(pd.Timestamp(at).to_pydatetime(), tz)} (send #{int(send_id)})"
        return "Already received this message"
    if rule is Rule.OPTED_OUT:
        return "On the do not contact list"
    if rule is Rule.OPTED_OUT_AFTER_UPLOAD:
        return "Opted out after the list was uploaded"
    if rule is Rule.NO_CONSENT:
        return NO_CONSENT_REASON
    n = 0 if count is None or pd.isna(count) else int(count)
    days = f" in the last {plural(cap_days, 'day')}" if cap_days else ""
    return f"Already got {plural(n, 'message')}{days}"


def reasons(left_out: pd.DataFrame, tz: tzinfo, cap_days: int | None = None) -> pd.Series:
    """reason() for every row of a rule result (index = spreadsheet row)."""
    texts = [
        reason(r, tz, s, a, c, cap_days)
        for r, s, a, c in zip(left_out["rule"], left_out["send_id"], left_out["at"], left_out["count"], strict=True)
    ]
    return pd.Series(texts, index=left_out.index, dtype="object")


def count_phrase(rule: str, n: int) -> str:
    """'27 left out: already received', '3 opted out' — the summary's words for one rule."""
    rule = Rule(rule)
    if rule is Rule.OPTED_OUT:
        return f"{n:,} opted out"
    if rule is Rule.OPTED_OUT_AFTER_UPLOAD:
        return f"{n:,} opted out after the upload"
    label = {
        Rule.ALREADY_RECEIVED: "already received",
        Rule.NO_CONSENT: "no marketing consent",
        Rule.FREQUENCY_CAP: "message limit reached",
    }[rule]
    return f"{n:,} left out: {label}"


def summary(counts: Mapping[str, int]) -> list[str]:
    """The count phrases in PRIORITY order, rules with nobody left out omitted."""
    return [count_phrase(r, counts[r.value]) for r in PRIORITY if counts.get(r.value)]


def send_again_label(n: int) -> str:
    """The Compose checkbox that includes people who already received the message."""
    who = "person who already received it" if n == 1 else "people who already received it"
    return f"Send again to the {n:,} {who}"


def everyone_left_out(counts: Mapping[str, int]) -> str:
    """The reason a send posts nothing."""
    return "Nobody is left to send to: " + "; ".join(summary(counts)) + "."


def send_record(counts: Mapping[str, int], included_again: int | None) -> list[str]:
    """What a send's record says about the rules (the Dispatches detail): who they left out, by rule, with the
    same phrases Compose showed, and the marketer's decision to include people again."""
    lines = []
    if counts:
        total = sum(counts.values())
        lines.append(f"{plural(total, 'person', 'people')} left out by the rules: " + "; ".join(summary(counts)) + ".")
    if included_again:
        lines.append(f"Sent again on purpose to {plural(included_again, 'person', 'people')} who already received it.")
    return lines
