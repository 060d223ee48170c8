"""Frames for the Dispatches charts, with the columns lib.charts expects."""

from __future__ import annotations

from datetime import datetime, tzinfo

import pandas as pd
from sqlalchemy import select

from lib import i18n
from lib.history import schema as s
from lib.history.loading import (
    History,
    HistoryFilter,
    _frame,
    _local,
    _platform,
    _raw,
    _stored_template_names,
    template_name,
)
from lib.history.store import HistoryStore
from lib.history.vocabulary import OUTCOME_ACCEPTED, OUTCOME_OURS, OUTCOME_PLATFORM, OUTCOME_UNCONFIRMED, status_label


def _day(series: pd.Series, tz: tzinfo) -> pd.Series:
    return series.dt.tz_convert(tz).dt.date


def recipients_by_outcome(history: History) -> pd.DataFrame:
    sends = history.sends
    if sends.empty:
        return pd.DataFrame({"day": [], "outcome": [], "recipients": []})
    frame = pd.DataFrame(
        {
            "day": _day(sends["created_at"], history.tz),
            OUTCOME_ACCEPTED: sends["accepted"],
            OUTCOME_OURS: sends["excluded_recipients"],
            OUTCOME_PLATFORM: sends["platform_invalid"],
            OUTCOME_UNCONFIRMED: sends["unconfirmed"],
        }
    )
    long = frame.melt(id_vars="day", var_name="outcome", value_name="recipients")
    return long.groupby(["day", "outcome"], as_index=False)["recipients"].sum()


def dispatches_by_status(history: History) -> pd.DataFrame:
    d = history.dispatches.dropna(subset=["created_at"])
    if d.empty:
        return pd.DataFrame({"day": [], "status": [], "dispatches": []})
    frame = pd.DataFrame({"day": _day(d["created_at"], history.tz), "status": d["status"]})
    return frame.groupby(["day", "status"], as_index=False).size().rename(columns={"size": "dispatches"})


def invalid_share(history: History) -> pd.DataFrame:
    sends = history.sends
    if sends.empty:
        return pd.DataFrame({"day": [], "template": [], "invalid": [], "submitted": []})
    frame = pd.DataFrame(
        {
            "day": _day(sends["created_at"], history.tz),
            "template": sends["template_name"],
            "invalid": sends["excluded_recipients"] + sends["platform_invalid"],
            "submitted": sends["submitted"],
        }
    )
    return frame.groupby(["day", "template"], as_index=False)[["invalid", "submitted"]].sum()


def outcomes_by_send(history: History, latest: int = 15) -> pd.DataFrame:
    """The newest `latest` sends' recipients by outcome (lib.charts.outcomes_per_send): send, label, outcome,
    recipients; label names the send as the table does ("#12 · Spring promo · 3 Dec 10:05")."""
    sends = history.sends.head(latest)
    if sends.empty:
        return pd.DataFrame({"send": [], "label": [], "outcome": [], "recipients": []})
    created = _local(sends["created_at"], history.tz)
    frame = pd.DataFrame(
        {
            "send": sends["id"].astype("int64"),
            "label": [i18n.t("history.chart.send_label", number=f"#{i}", template=name,
                             when=i18n.datetime_text(when.to_pydatetime(), year=False))
                      for i, name, when in zip(sends["id"], sends["template_name"], created, strict=True)],  # fmt: skip
            OUTCOME_ACCEPTED: sends["accepted"],
            OUTCOME_OURS: sends["excluded_recipients"],
            OUTCOME_PLATFORM: sends["platform_invalid"],
            OUTCOME_UNCONFIRMED: sends["unconfirmed"],
        }
    )
    return frame.melt(id_vars=["send", "label"], var_name="outcome", value_name="recipients")


def upcoming(store: HistoryStore, now: datetime, flt: HistoryFilter, template_names: dict[int, str]) -> pd.DataFrame:
    """Dispatches scheduled after `now`, whatever the period (a send made last week may go out tomorrow)."""
    d = s.dispatches.c
    query = select(d.dispatch_id, d.template_id, d.total_recipients, d.send_status_id, _raw(d.send_at)).where(
        d.send_at > now, d.send_status_id.is_distinct_from(7), *_platform(s.dispatches, store)
    )
    if flt.template_ids:
        query = query.where(d.template_id.in_(flt.template_ids))
    if flt.channels:
        query = query.where(d.message_type_id.in_([1 if ch == "sms" else 2 for ch in flt.channels]))
    with store.read() as conn:
        frame = _frame(conn, query.order_by(d.send_at).limit(500), ("send_at",))
        names = {**template_names, **_stored_template_names(conn)}
    return pd.DataFrame(
        {
            "send_at": frame["send_at"],
            "template": [names.get(int(t), template_name(int(t))) if pd.notna(t) else i18n.t("history.template.unknown") for t in frame["template_id"]],
            "recipients": pd.to_numeric(frame["total_recipients"], errors="coerce").fillna(0).astype("int64"),
            "dispatch_id": frame["dispatch_id"],
            "status": [status_label(v) for v in frame["send_status_id"]],
        }
    )
