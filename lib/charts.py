"""Chart builders for the Dispatches page: a DataFrame in, a themed Plotly figure out.

Every builder is a plain function (no Streamlit, no database) so it can be tested on small frames.
Every figure has a title saying what it shows, axis titles with units, and, when there is nothing
to draw, an empty state saying why instead of blank axes a manager could misread as "zero".
The input frames are produced by `lib.history.queries`; their columns are documented per builder.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

import pandas as pd
import plotly.graph_objects as go
from babel.numbers import get_decimal_symbol, get_group_symbol

from lib import i18n
from lib.history.vocabulary import DispatchStatus, Outcome

PRIMARY = "#1d70b8"
TEXT = "#0b0c0c"
SECONDARY_TEXT = "#505a5f"
GRID = "#e5e6e7"
FONT_FAMILY = '"Source Sans Pro", "Helvetica Neue", Arial, sans-serif'

# The GOV.UK Design System palette, in the order categories take colours.
PALETTE = (
    "#1d70b8",  # blue
    "#f47738",  # orange
    "#00703c",  # green
    "#4c2c92",  # purple
    "#d53880",  # pink
    "#28a197",  # turquoise
    "#b58840",  # brown
    "#912b88",  # bright purple
    "#003078",  # dark blue
    "#85994b",  # light green
)

# One colour per status everywhere (charts, table badges): a manager learns them once. Keyed by the status,
# never by its words: a translation cannot change a colour. The order is the charts' stacking order.
STATUS_COLOURS: dict[DispatchStatus, str] = {
    DispatchStatus.DRAFT: "#505a5f",  # grey: not started
    DispatchStatus.PENDING: "#f47738",  # orange: waiting
    DispatchStatus.QUEUED: "#00703c",  # green: gone out
    DispatchStatus.ERROR: "#d4351c",  # red: failed on the platform
    DispatchStatus.REJECTED: "#942514",  # dark red: the platform refused the chunk
    DispatchStatus.UNKNOWN: "#4c2c92",  # purple: we do not know whether it went out
    DispatchStatus.AWAITING_APPROVAL: "#1d70b8",  # blue: waiting for a second person
    DispatchStatus.REJECTED_BY_APPROVER: "#942514",
    DispatchStatus.EXPIRED: "#505a5f",
    DispatchStatus.NOT_SENT: "#505a5f",
    DispatchStatus.SENDING: "#1d70b8",  # blue: on its way
    DispatchStatus.WAITING: "#505a5f",
    DispatchStatus.HELD: "#505a5f",
}
UNLISTED_STATUS_COLOUR = "#b1b4b6"  # a status the platform added later (DispatchStatus.OTHER)

OUTCOME_ORDER = (Outcome.ACCEPTED, Outcome.REJECTED_BY_US, Outcome.REJECTED_BY_PLATFORM, Outcome.NOT_CONFIRMED)
OUTCOME_COLOURS: dict[Outcome, str] = {
    Outcome.ACCEPTED: "#00703c",
    Outcome.REJECTED_BY_US: "#f47738",
    Outcome.REJECTED_BY_PLATFORM: "#d4351c",
    Outcome.NOT_CONFIRMED: "#4c2c92",
}


def status_colour(status: str) -> str:
    """The colour of a status (a DispatchStatus or its code)."""
    return STATUS_COLOURS.get(status, UNLISTED_STATUS_COLOUR)


def _status_words(status: object) -> str:
    return DispatchStatus(status).label if status in DispatchStatus.__members__.values() else str(status)


def _outcome_words(outcome: object) -> str:
    return Outcome(outcome).label if outcome in Outcome.__members__.values() else str(outcome)


def _separators() -> str:
    """Plotly's decimal and thousands separators in the reader's language (",." in Greek)."""
    locale = i18n.babel_locale()
    return get_decimal_symbol(locale) + get_group_symbol(locale)


# Plotly writes month and day names in English whatever the reader's language: Greek charts show dates
# in digits instead (d3 time formats).
DATE_FORMATS = {
    "en": {"day_tick": "%d %b", "day": "%d %b %Y", "weekday": "%a %d %b", "weekday_time": "%a %d %b %H:%M"},
    "el": {"day_tick": "%d/%m", "day": "%d/%m/%Y", "weekday": "%d/%m", "weekday_time": "%d/%m %H:%M"},
}


def _dates(kind: str) -> str:
    return DATE_FORMATS.get(i18n.current(), DATE_FORMATS["en"])[kind]


def _in_zone(axis: str, tz) -> str:
    return i18n.t("charts.axis.in_zone", axis=axis, zone=str(tz) if tz is not None else "UTC")


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str, *, legend_title: str | None = None) -> go.Figure:
    fig.update_layout(
        template="plotly_white",
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 18, "color": TEXT}},
        font={"family": FONT_FAMILY, "size": 14, "color": TEXT},
        colorway=list(PALETTE),
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        margin={"l": 70, "r": 40, "t": 60, "b": 110},  # r: the last date label is never cut off
        # traceorder normal: stacked bars would otherwise list their outcomes bottom-up, unlike the tables
        legend={"title": {"text": legend_title or ""}, "orientation": "h", "yanchor": "top", "y": -0.28, "x": 0,
                "traceorder": "normal"},
        hoverlabel={"font": {"family": FONT_FAMILY}},
        separators=_separators(),
        height=380,
    )
    fig.update_xaxes(title_text=x_title, gridcolor=GRID, linecolor=SECONDARY_TEXT, zeroline=False, automargin=True)
    fig.update_yaxes(title_text=y_title, gridcolor=GRID, linecolor=SECONDARY_TEXT, zeroline=False, automargin=True)
    return fig


def _whole_numbers(fig: go.Figure, largest: float, axis: str = "y") -> None:
    """Counts of people or dispatches never get 0.2 ticks."""
    update = fig.update_yaxes if axis == "y" else fig.update_xaxes
    update(rangemode="tozero", tickformat=",d", dtick=1 if largest <= 8 else None)


def _days_axis(fig: go.Figure, days: int) -> None:
    fig.update_xaxes(tickformat=_dates("day_tick"), dtick=86_400_000 if days <= 14 else None)


def empty_figure(title: str, reason: str, x_title: str = "", y_title: str = "") -> go.Figure:
    """A titled figure with no data and one sentence saying why."""
    fig = go.Figure()
    _layout(fig, title, x_title, y_title)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.add_annotation(
        text=reason,
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
        showarrow=False,
        font={"size": 16, "color": SECONDARY_TEXT},
    )
    fig.update_layout(meta={"empty": True, "reason": reason})
    return fig


def is_empty(fig: go.Figure) -> bool:
    meta = fig.layout.meta
    return isinstance(meta, dict) and bool(meta.get("empty"))


def _require(frame: pd.DataFrame, columns: tuple[str, ...], builder: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{builder} needs columns {', '.join(columns)}; missing {', '.join(missing)}")


def _ordered(values: pd.Series, preferred: tuple[str, ...] | list[str]) -> list[str]:
    present = [str(v) for v in pd.unique(values)]
    return [v for v in preferred if v in present] + sorted(v for v in present if v not in preferred)


def recipients_per_day(frame: pd.DataFrame, empty_reason: str | None = None) -> go.Figure:
    """Stacked bars: recipients per day by outcome. Columns: day, outcome (Outcome), recipients."""
    title = i18n.t("charts.recipients.title")
    x_title, y_title = i18n.t("charts.axis.send_day"), i18n.t("charts.axis.recipients")
    empty_reason = empty_reason or i18n.t("charts.empty.sends")
    _require(frame, ("day", "outcome", "recipients"), "recipients_per_day")
    data = frame[frame["recipients"] > 0]
    if data.empty:
        return empty_figure(title, empty_reason, x_title, y_title)
    totals = data.groupby(["day", "outcome"], as_index=False)["recipients"].sum()
    fig = go.Figure()
    for outcome in _ordered(totals["outcome"], OUTCOME_ORDER):
        part = totals[totals["outcome"] == outcome].sort_values("day")
        fig.add_bar(
            x=pd.to_datetime(part["day"]),
            y=part["recipients"],
            name=_outcome_words(outcome),
            marker_color=OUTCOME_COLOURS.get(outcome, UNLISTED_STATUS_COLOUR),
            hovertemplate="%{x|" + _dates("day") + "}<br>"
            + i18n.t("charts.hover.recipients", series=_outcome_words(outcome), value="%{y:,}")
            + "<extra></extra>",
        )
    _layout(fig, title, x_title, y_title, legend_title=i18n.t("charts.legend.outcome"))
    fig.update_layout(barmode="stack")
    _days_axis(fig, totals["day"].nunique())
    _whole_numbers(fig, float(totals.groupby("day")["recipients"].sum().max()))
    return fig


def dispatches_per_day(frame: pd.DataFrame, empty_reason: str | None = None) -> go.Figure:
    """Stacked bars: platform dispatches created per day by current status.
    Columns: day, status (DispatchStatus), dispatches."""
    title = i18n.t("charts.dispatches.title")
    x_title, y_title = i18n.t("charts.axis.dispatch_day"), i18n.t("charts.axis.dispatches")
    empty_reason = empty_reason or i18n.t("charts.empty.dispatches")
    _require(frame, ("day", "status", "dispatches"), "dispatches_per_day")
    data = frame[frame["dispatches"] > 0]
    if data.empty:
        return empty_figure(title, empty_reason, x_title, y_title)
    totals = data.groupby(["day", "status"], as_index=False)["dispatches"].sum()
    fig = go.Figure()
    for status in _ordered(totals["status"], list(STATUS_COLOURS)):
        part = totals[totals["status"] == status].sort_values("day")
        fig.add_bar(
            x=pd.to_datetime(part["day"]),
            y=part["dispatches"],
            name=_status_words(status),
            marker_color=status_colour(status),
            hovertemplate="%{x|" + _dates("day") + "}<br>"
            + i18n.t("charts.hover.dispatches", series=_status_words(status), value="%{y:,}")
            + "<extra></extra>",
        )
    _layout(fig, title, x_title, y_title, legend_title=i18n.t("charts.legend.status"))
    fig.update_layout(barmode="stack")
    _days_axis(fig, totals["day"].nunique())
    _whole_numbers(fig, float(totals.groupby("day")["dispatches"].sum().max()))
    return fig


def invalid_share_over_time(frame: pd.DataFrame, empty_reason: str | None = None) -> go.Figure:
    """Lines: % of submitted recipients found invalid per day, one colour per template.

    Columns: day, template, invalid, submitted (both counts of recipients).
    """
    title = i18n.t("charts.invalid.title")
    x_title, y_title = i18n.t("charts.axis.send_day"), i18n.t("charts.axis.invalid_share")
    empty_reason = empty_reason or i18n.t("charts.empty.recipients")
    _require(frame, ("day", "template", "invalid", "submitted"), "invalid_share_over_time")
    data = frame[frame["submitted"] > 0]
    if data.empty:
        return empty_figure(title, empty_reason, x_title, y_title)
    totals = data.groupby(["day", "template"], as_index=False)[["invalid", "submitted"]].sum()
    totals["share"] = totals["invalid"] / totals["submitted"] * 100
    fig = go.Figure()
    for index, template in enumerate(sorted(totals["template"].astype(str).unique())):
        part = totals[totals["template"].astype(str) == template].sort_values("day")
        fig.add_scatter(
            x=pd.to_datetime(part["day"]),
            y=part["share"],
            name=template,
            mode="lines+markers",
            line={"color": PALETTE[index % len(PALETTE)], "width": 3},
            marker={"size": 10},
            customdata=part[["invalid", "submitted"]].to_numpy(),
            hovertemplate="%{x|" + _dates("day") + "}<br>"
            + i18n.t("charts.hover.invalid", series=template, share="%{y:.1f}%", invalid="%{customdata[0]:,}",
                     submitted="%{customdata[1]:,}")
            + "<extra></extra>",
        )
    _layout(fig, title, x_title, y_title, legend_title=i18n.t("charts.legend.template"))
    fig.update_layout(showlegend=True)  # even for one template: the colour must say which
    top = max(5.0, float(totals["share"].max()) * 1.15)
    fig.update_yaxes(range=[0, min(100.0, top)], ticksuffix="%")
    _days_axis(fig, totals["day"].nunique())
    return fig


def outcomes_per_send(frame: pd.DataFrame, empty_reason: str | None = None) -> go.Figure:
    """Horizontal stacked bars: each recent send's recipients by outcome, newest at the top.

    Columns: send (id, newest first), label (how the send is named on the axis), outcome, recipients."""
    title = i18n.t("charts.per_send.title")
    x_title, y_title = i18n.t("charts.axis.recipients"), ""
    empty_reason = empty_reason or i18n.t("charts.empty.sends")
    _require(frame, ("send", "label", "outcome", "recipients"), "outcomes_per_send")
    if frame.empty or not (frame["recipients"] > 0).any():
        return empty_figure(title, empty_reason, x_title, y_title)
    order = list(dict.fromkeys(frame["label"]))  # newest first, as given
    totals = frame.groupby(["label", "outcome"], as_index=False, sort=False)["recipients"].sum()
    fig = go.Figure()
    for outcome in _ordered(totals["outcome"], OUTCOME_ORDER):
        part = totals[(totals["outcome"] == outcome) & (totals["recipients"] > 0)]
        if part.empty:
            continue
        fig.add_bar(
            x=part["recipients"],
            y=part["label"],
            orientation="h",
            name=_outcome_words(outcome),
            marker_color=OUTCOME_COLOURS.get(outcome, UNLISTED_STATUS_COLOUR),
            hovertemplate="%{y}<br>"
            + i18n.t("charts.hover.recipients", series=_outcome_words(outcome), value="%{x:,}")
            + "<extra></extra>",
        )
    _layout(fig, title, x_title, y_title, legend_title=i18n.t("charts.legend.outcome"))
    # the legend above the bars: below them it would sit on the axis title when there are few sends
    fig.update_layout(barmode="stack", height=max(300, 190 + 28 * len(order)), margin={"t": 100, "b": 60},
                      legend={"yanchor": "bottom", "y": 1.02})
    fig.update_yaxes(categoryorder="array", categoryarray=order[::-1], automargin=True)  # newest at the top
    _whole_numbers(fig, float(totals.groupby("label")["recipients"].sum().max()), axis="x")
    return fig


def upcoming_schedule(
    frame: pd.DataFrame,
    now: datetime,
    tz=None,
    empty_reason: str | None = None,
) -> go.Figure:
    """Calendar-like timeline of scheduled sends still to go out.

    Columns: send_at (aware datetime), template, recipients, dispatch_id, status. Rows at or before
    `now` are left out. Times are drawn in `tz` (the console's time zone) when given.
    """
    title = i18n.t("charts.upcoming.title")
    x_title, y_title = i18n.t("charts.axis.scheduled"), i18n.t("charts.legend.template")
    empty_reason = empty_reason or i18n.t("charts.empty.upcoming")
    _require(frame, ("send_at", "template", "recipients", "dispatch_id", "status"), "upcoming_schedule")
    data = frame.dropna(subset=["send_at"])
    if not data.empty:
        send_at = pd.to_datetime(data["send_at"], utc=True)
        data = data.assign(send_at=send_at)[send_at > pd.Timestamp(now).tz_convert("UTC")]
    if data.empty:
        return empty_figure(title, empty_reason, x_title, y_title)
    if tz is not None:
        data = data.assign(send_at=data["send_at"].dt.tz_convert(tz))
    local = data["send_at"].dt.tz_localize(None)
    biggest = max(1, int(data["recipients"].max()))
    fig = go.Figure()
    for index, template in enumerate(sorted(data["template"].astype(str).unique())):
        mask = data["template"].astype(str) == template
        part = data[mask]
        sizes = 14 + 26 * (part["recipients"].clip(lower=0) / biggest) ** 0.5
        fig.add_scatter(
            x=local[mask],
            y=[template] * len(part),
            mode="markers",
            name=template,
            marker={"size": sizes, "color": PALETTE[index % len(PALETTE)], "line": {"color": "#ffffff", "width": 1}},
            customdata=part[["dispatch_id", "recipients"]].assign(status=part["status"].map(_status_words)).to_numpy(),
            hovertemplate="%{x|" + _dates("weekday_time") + "}<br>"
            + template
            + "<br>"
            + i18n.t("charts.hover.upcoming", dispatch="%{customdata[0]}", value="%{customdata[1]:,}",
                     status="%{customdata[2]}")
            + "<extra></extra>",
        )
    _layout(fig, title, _in_zone(x_title, tz) if tz is not None else x_title, y_title,
            legend_title=i18n.t("charts.legend.template"))
    start = pd.Timestamp(now)
    start = start.tz_convert(tz) if tz is not None else start.tz_convert("UTC")
    start = start.tz_localize(None).normalize()
    end = max(local.max().normalize() + timedelta(days=1), start + timedelta(days=7))
    fig.update_xaxes(range=[start, end], tickformat=_dates("weekday"), dtick=86_400_000, showgrid=True)
    fig.update_layout(showlegend=False, height=max(260, 120 + 50 * data["template"].nunique()), margin={"b": 60})
    return fig


def time_ticks() -> str:
    """To the second over the day: Plotly's own ticks would show milliseconds for events seconds apart."""
    return "%H:%M:%S<br>" + _dates("day_tick")



def _time_range(first, last, margin: float) -> list:
    """An axis range with `margin` on each side and at least 10 s wide: ticks then land on whole
    seconds, so labels without milliseconds never repeat."""
    pad = max((last - first) * margin, (pd.Timedelta(seconds=10) - (last - first)) / 2)
    return [first - pad, last + pad]


class Step(StrEnum):
    """A moment in a dispatch's life on its timeline."""

    CREATED = "created"
    STARTED_QUEUING = "started_queuing"
    FINISHED_QUEUING = "finished_queuing"
    SCHEDULED = "scheduled"  # when it is to go out


STEP_WORDS = i18n.family("charts.timeline.step", Step)
TIMELINE_STEPS = (
    ("created_at", Step.CREATED),
    ("started_queuing_at", Step.STARTED_QUEUING),
    ("finished_queuing_at", Step.FINISHED_QUEUING),
)


def dispatch_timeline(dispatch: dict, tz=None) -> go.Figure:
    """One dispatch's life on a time axis: created → started → finished queuing, plus its scheduled time.

    Each step has its own row, named on the axis: steps a second apart never write over each other.
    `dispatch` is a mapping with created_at, started_queuing_at, finished_queuing_at, send_at (aware
    datetimes or None) and dispatch_id.
    """
    title = i18n.t("charts.timeline.title", dispatch=str(dispatch.get("dispatch_id", ""))).strip()
    steps = [(step, dispatch.get(key)) for key, step in TIMELINE_STEPS if dispatch.get(key) is not None]
    if dispatch.get("send_at") is not None:
        steps.append((Step.SCHEDULED, dispatch["send_at"]))
    if not steps:
        return empty_figure(title, i18n.t("charts.timeline.empty"), i18n.t("charts.axis.time"), "")

    def local(value):
        stamp = pd.Timestamp(value)
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
        return (stamp.tz_convert(tz) if tz is not None else stamp.tz_convert("UTC")).tz_localize(None)

    times = [local(at) for _, at in steps]
    codes = [step for step, _ in steps]
    labels = [i18n.coded(STEP_WORDS, step) for step in codes]
    fig = go.Figure()
    fig.add_scatter(
        x=times,
        y=labels,
        mode="markers",  # no connecting line: the scheduled time may come before the queuing steps
        marker={"size": 14, "color": [("#f47738" if step is Step.SCHEDULED else PRIMARY) for step in codes],
                "symbol": ["diamond" if step is Step.SCHEDULED else "circle" for step in codes]},
        name=i18n.t("charts.timeline.name"),
        hovertemplate="%{y}: %{x|" + _dates("day") + " %H:%M:%S}<extra></extra>",
    )
    _layout(fig, title, _in_zone(i18n.t("charts.axis.time"), tz), "")
    fig.update_layout(showlegend=False, height=160 + 40 * len(steps), margin={"b": 60, "r": 40})
    fig.update_yaxes(categoryorder="array", categoryarray=labels[::-1], automargin=True)  # first step on top
    fig.update_xaxes(range=_time_range(min(times), max(times), 0.08), tickformat=time_ticks())
    return fig


def status_history(frame: pd.DataFrame, tz=None) -> go.Figure:
    """Step line of one dispatch's status over time from its snapshots. Columns: taken_at, status (DispatchStatus)."""
    title = i18n.t("charts.history.title")
    status_title = i18n.t("charts.legend.status")
    _require(frame, ("taken_at", "status"), "status_history")
    if frame.empty:
        return empty_figure(title, i18n.t("charts.history.empty"), i18n.t("charts.axis.time"), status_title)
    taken = pd.to_datetime(frame["taken_at"], utc=True)
    taken = (taken.dt.tz_convert(tz) if tz is not None else taken).dt.tz_localize(None)
    present = set(frame["status"])
    order = [s for s in STATUS_COLOURS if s in present] + sorted(present - set(STATUS_COLOURS))
    fig = go.Figure()
    fig.add_scatter(
        x=taken,
        y=[_status_words(s) for s in frame["status"]],
        mode="lines+markers",
        line={"shape": "hv", "color": PRIMARY, "width": 3},
        marker={"size": 12, "color": [status_colour(s) for s in frame["status"]]},
        hovertemplate=i18n.t("charts.hover.history", status="%{y}", time="%{x|" + _dates("day") + " %H:%M:%S}") + "<extra></extra>",
        name=status_title,
    )
    _layout(fig, title, _in_zone(i18n.t("charts.axis.seen_at"), tz), status_title)
    fig.update_layout(showlegend=False, height=280, margin={"b": 60})
    fig.update_yaxes(categoryorder="array", categoryarray=[_status_words(s) for s in order])
    fig.update_xaxes(range=_time_range(taken.min(), taken.max(), 0.05), tickformat=time_ticks())
    return fig
