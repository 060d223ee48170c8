"""Read-side queries for the Dispatches page, one module per concern; this module names them all.

- `lib.history.vocabulary`: statuses and outcomes, their order of attention
- `lib.history.loading`: the filtered history read into pandas (filters, labels, per-send roll-ups)
- `lib.history.rollup`: a send's status over its parts in words
- `lib.history.kpis`: the figures at the top of the page
- `lib.history.tables`: the page's tables and the history export
- `lib.history.chart_frames`: frames for lib.charts
- `lib.history.live`: the live panel
- `lib.history.detail`: one dispatch or send in detail

Fast on 10k sends / 20k dispatches / 100k snapshots: each page run is a handful of indexed SELECTs
read straight into pandas; snapshots are only read for the one dispatch whose detail is open.
"""


from lib.history.chart_frames import (
    dispatches_by_status,
    invalid_share,
    outcomes_by_send,
    recipients_by_outcome,
    upcoming,
)
from lib.history.detail import DispatchDetail, dispatch_detail, invalid_recipients, next_steps, status_history
from lib.history.kpis import Kpis, kpis
from lib.history.live import HELD, LIVE_ORDER, SENDING, WAITING, LiveSend, live_sends
from lib.history.loading import (
    History,
    HistoryFilter,
    default_period,
    filter_options,
    history_version,
    load_history,
    status_labels,
    template_labels,
)
from lib.history.rollup import rollup_text, rollups
from lib.history.tables import export_table, send_parts, send_summary, send_table, tracked_table
from lib.history.vocabulary import (
    APPROVAL_STATUS,
    CHANNELS,
    NOT_SENT,
    OUTCOME_ACCEPTED,
    OUTCOME_OURS,
    OUTCOME_PLATFORM,
    OUTCOME_UNCONFIRMED,
    REJECTED,
    STATUS_ATTENTION_ORDER,
    STATUS_CHOICES,
    UNKNOWN,
    DispatchStatus,
    Outcome,
    channel_label,
    status_label,
)

__all__ = [
    "APPROVAL_STATUS", "CHANNELS", "DispatchStatus", "Outcome", "channel_label", "HELD", "LIVE_ORDER", "NOT_SENT", "OUTCOME_ACCEPTED", "OUTCOME_OURS",
    "OUTCOME_PLATFORM", "OUTCOME_UNCONFIRMED", "REJECTED", "SENDING", "STATUS_ATTENTION_ORDER", "STATUS_CHOICES",
    "UNKNOWN", "WAITING", "DispatchDetail", "History", "HistoryFilter", "Kpis", "LiveSend", "default_period",
    "dispatch_detail", "dispatches_by_status", "export_table", "filter_options", "history_version",
    "invalid_recipients", "invalid_share", "kpis", "live_sends", "load_history", "next_steps", "outcomes_by_send",
    "recipients_by_outcome", "rollup_text", "rollups", "send_parts", "send_summary", "send_table", "status_history",
    "status_label", "status_labels", "template_labels", "tracked_table", "upcoming",
]
