"""The figures at the top of the Dispatches page."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import pandas as pd

from lib.history.loading import History
from lib.history.vocabulary import DispatchStatus


def _total_cost(costs: pd.Series) -> Decimal | None:
    """Sum of the sends' cost estimates (Decimal text); None when none of them had one."""
    known = [c for c in costs if isinstance(c, str) and c.strip()]
    total = Decimal(0)
    for cost in known:
        try:
            total += Decimal(cost)
        except InvalidOperation:
            continue
    return total if known else None



@dataclass(frozen=True)
class Kpis:
    sends: int
    dispatches: int
    recipients_submitted: int
    accepted: int
    rejected_by_us: int
    rejected_by_platform: int
    not_confirmed: int
    estimated_parts: int
    estimated_cost: Decimal | None  # None: no send in the period had a cost estimate
    dispatches_in_error: int


def kpis(history: History) -> Kpis:
    sends, dispatches = history.sends, history.dispatches
    sms = sends[sends["channel"] == "sms"]
    return Kpis(
        sends=len(sends),
        dispatches=len(dispatches),
        recipients_submitted=int(sends["submitted"].sum()),
        accepted=int(sends["accepted"].sum()),
        rejected_by_us=int(sends["excluded_recipients"].sum()),
        rejected_by_platform=int(sends["platform_invalid"].sum()),
        not_confirmed=int(sends["unconfirmed"].sum()),
        estimated_parts=int(pd.to_numeric(sms["estimated_parts"], errors="coerce").fillna(0).sum()),
        estimated_cost=_total_cost(sms["estimated_cost"]),
        dispatches_in_error=int((dispatches["status"] == DispatchStatus.ERROR).sum()),
    )
