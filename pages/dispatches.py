"""Dispatches: what went out, what is still moving, what failed — and charts to show a manager."""

from __future__ import annotations

import dataclasses
import html
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import streamlit as st

import ui
from lib import charts, exports, i18n
from lib.history import queries as q
from lib.history import refresh as r
from lib.history.detail import RefusedColumn, refused_headed
from lib.history.tables import Column, header
from lib.history.vocabulary import DispatchStatus, Outcome, channel_label
from lib.history.warming import ViewKeeper
from lib.ledger import wording
from lib.messaging import PlatformError
from lib.team import Action

person = ui.require_action(Action.VIEW_DISPATCHES)
rt = ui.page_setup()
tz = rt.settings.tz
template_names = {t.id: t.name for t in rt.templates()}
PAGE_SIZE = 50  # sends per page of the table: 10,000 sends draw as fast as 50
# The toolbar keeps one button, the PNG download a manager pastes into a report.
PLOTLY_CONFIG = {
    "displaylogo": False,
    "displayModeBar": True,
    "modeBarButtons": [["toImage"]],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}
EMPTY = "—"  # what an empty cell shows, instead of "None"
COUNT = st.column_config.NumberColumn(format="localized")  # thousands separators


def status_column(width: int | None = None):
    """A column of status pills: each status in its words, its colour chosen by the status itself."""
    return st.column_config.MultiselectColumn(
        i18n.t("dispatches.column.status"),
        options=[s.label for s in q.STATUS_CHOICES],
        color=[charts.status_colour(s) for s in q.STATUS_CHOICES],
        help=i18n.t("dispatches.column.status_help"),
        width=width,
    )


def status_cells(values: pd.Series) -> pd.Series:
    """Lists of statuses as the reader reads them (a cell of a status column)."""
    return values.map(lambda statuses: [DispatchStatus(s).label for s in statuses])


WHEN = "DD/MM/YYYY HH:mm"  # digits: the same in Greek and English (month names would stay English)


def when_column(label: str | None = None, format: str = WHEN, width: str | int = "medium", **kwargs):  # noqa: A002
    """A date column wide enough to show the whole date and time."""
    return st.column_config.DatetimeColumn(label, format=format, width=width, **kwargs)


IDS = (Column.SEND, Column.DISPATCH, Column.PART, RefusedColumn.ROW)  # numbers without separators


def _text(series: pd.Series, column: str) -> pd.Series:
    """A column with empty cells as text: "—" where empty, numbers with separators, dates without seconds."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return series.map(lambda v: EMPTY if pd.isna(v) else i18n.datetime_text(v.to_pydatetime()))
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        if column in IDS:
            return series.map(lambda v: EMPTY if pd.isna(v) else f"{v:.0f}")
        return series.map(lambda v: EMPTY if pd.isna(v) else i18n.number(round(v)))
    return series.astype(object).where(series.notna() & series.ne(""), EMPTY)


def draw_table(frame: pd.DataFrame, column_config: dict | None = None, headers: dict | None = None, **kwargs):
    """st.dataframe as a marketer reads it: "—" for empty cells (never "None"), thousands separators,
    whole dates, headers in the reader's language (`headers`: column code -> words; lib.history.tables'
    own codes by default). Columns with an empty cell become text, so their typed column_config is dropped.
    `column_config` is keyed by the column codes."""
    out, config = frame.copy(), {**count_columns(frame), **(column_config or {})}
    for column in out.columns:
        series = out[column]
        if series.dtype == object and series.map(lambda v: isinstance(v, list)).any():
            continue
        if series.isna().any() or (series.dtype == object and series.eq("").any()):
            out[column] = _text(series, column)
            if column in config and not isinstance(config[column], str):
                config[column] = st.column_config.TextColumn(width=config[column].get("width") or "medium")
    names = {c: (headers or {}).get(c) or (header(c) if c in set(Column) else str(c)) for c in out.columns}
    out = out.rename(columns=names)
    config = {names.get(c, c): v for c, v in config.items()}
    return st.dataframe(out, hide_index=True, column_config=config, **kwargs)


def count_columns(frame: pd.DataFrame) -> dict:
    return {c: COUNT for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
            and not pd.api.types.is_bool_dtype(frame[c]) and c not in IDS}


def short_time(moment: datetime) -> str:
    return i18n.datetime_text(moment.astimezone(tz), year=False)


st.title(i18n.t("dispatches.title"))
st.caption(i18n.t("dispatches.caption", zone=rt.settings.timezone))


# ---- live status: what the store knows, re-read every few seconds without redrawing the page ------
# The page never asks the platform itself: the worker refreshes statuses (and picks up "Refresh now").

LIVE_EVERY = timedelta(seconds=2)
VIEW_KEY = "dispatches-view"  # the open tab (its label), below the filters and KPIs


def _live_row(send: q.LiveSend) -> str:
    if send.schedule_at is not None and send.schedule_at > datetime.now(UTC):
        when = i18n.t("dispatches.live.scheduled", time=short_time(send.schedule_at))
    else:
        when = i18n.t("dispatches.live.created", time=short_time(send.created_at))
    parts = ""
    if send.parts_total > 1:
        parts = " · " + i18n.t("dispatches.live.parts_done", n=send.parts_total, done=send.parts_done)
    if send.parts_in_doubt:
        parts += " · " + i18n.t("dispatches.live.in_doubt", n=send.parts_in_doubt)
    test = " · " + i18n.t("dispatches.live.test_send") if send.is_test else ""
    heading = i18n.t("dispatches.send_heading", number=str(send.send_id))
    return (
        f'<div class="cc-live-row" data-testid="live-send-{send.send_id}" data-status="{html.escape(send.status)}">'
        f"{ui.status_badge(send.status)} <b>{html.escape(heading)}</b> · {html.escape(send.template)} · "
        f"{i18n.t('common.recipients', n=send.recipients)} · {html.escape(send.created_by)} · {when}{test}<br>"
        f'<span class="cc-live-detail">{html.escape(send.rollup)}{html.escape(parts)}</span></div>'
    )


@st.fragment(run_every=LIVE_EVERY)
@ui.in_reader_language
def live_status() -> None:
    now = datetime.now(UTC)
    include = bool(st.session_state.get("filter-include-tests", False))
    live = q.live_sends(rt.store, now, template_names, include_tests=include)
    shown = [(s.send_id, s.status) for s in live]
    if st.session_state.get("dispatches_live_shown", shown) != shown:
        st.session_state["dispatches_live_shown"] = shown
        st.rerun(scope="app")  # a send started, moved on or finished: the table and KPIs change too
    st.session_state["dispatches_live_shown"] = shown
    health = r.refresh_health(rt.store)
    with st.container(border=True, key="live-panel"):
        head, button = st.columns([2, 1], vertical_alignment="center")
        head.subheader(i18n.t("dispatches.live.title"))
        if button.button(i18n.t("dispatches.live.refresh"), key="refresh-now", icon=":material/refresh:"):
            r.request_refresh(rt.store)
            st.session_state["dispatches_refresh_asked"] = now
        if not ui.sender_running(engine):
            st.warning(i18n.t("dispatches.live.sender_stopped", command="`make run`"), icon=":material/pause_circle:")
        if banner := health.banner(now, tz):
            st.warning(banner, icon=":material/cloud_off:")
        elif r.refresh_requested(rt.store):
            st.caption(i18n.t("dispatches.live.checking"))
        elif health.last_refresh_at is not None:
            st.caption(i18n.t("dispatches.live.last_checked",
                              time=i18n.time_text(health.last_refresh_at.astimezone(tz), seconds=True)))
        if not live:
            st.write(i18n.t("dispatches.live.nothing"))
        for send in live:
            text, action = st.columns([4, 1], vertical_alignment="center")
            text.html(_live_row(send))
            if action.button(i18n.t("dispatches.live.details"), key=f"live-detail-{send.send_id}"):
                st.session_state["dispatches_open_send"] = send.send_id
                st.session_state[VIEW_KEY] = i18n.t("dispatches.tab.sends")  # where the send opens
                st.rerun(scope="app")


engine = rt.engine()
live_status()


# ---- filters -----------------------------------------------------------------------------------

today = datetime.now(tz).date()
template_options = q.filter_options(rt.store, template_names)
ALL = i18n.t("dispatches.filter.all")
with st.container(border=True, key="filters"):
    # Two rows: at 1024 px one row of four cut the period's dates and the labels off.
    period_col, template_col = st.columns([1, 1])
    channel_col, status_col, tests_col = st.columns([1, 1, 1], vertical_alignment="bottom")
    period = period_col.date_input(
        i18n.t("dispatches.filter.period"), value=q.default_period(today), max_value=today, format="DD/MM/YYYY",
        key="filter-period",
    )
    chosen_templates = template_col.multiselect(
        i18n.t("dispatches.filter.template"), list(template_options),
        format_func=lambda i: f"{i} · {template_options[i]}", placeholder=ALL, key="filter-templates",
    )
    chosen_channels = channel_col.multiselect(
        i18n.t("dispatches.filter.channel"), ["sms", "email"], format_func=channel_label, placeholder=ALL,
        key="filter-channels",
    )
    chosen_statuses = status_col.multiselect(
        i18n.t("dispatches.filter.status"), list(q.STATUS_CHOICES), format_func=lambda s: DispatchStatus(s).label,
        placeholder=ALL, key="filter-statuses",
    )
    search = st.text_input(
        i18n.t("dispatches.filter.search"),
        placeholder=i18n.t("dispatches.filter.search_example", number="180249", customer="CustomerIdB"),
        key="dispatches_search",
    )
    include_tests = tests_col.checkbox(
        i18n.t("dispatches.filter.tests"), value=False, key="filter-include-tests",
        help=i18n.t("dispatches.filter.tests_help"),
    )

start, end = (period[0], period[-1]) if isinstance(period, tuple) and period else (today, today)
if isinstance(period, date) and not isinstance(period, tuple):
    start = end = period
flt = q.HistoryFilter(
    start=start,
    end=end,
    template_ids=tuple(chosen_templates),
    channels=tuple(chosen_channels),
    statuses=tuple(DispatchStatus(s) for s in chosen_statuses),
    search=search.strip(),
    include_tests=include_tests,
)


@st.cache_resource(max_entries=16, ttl=timedelta(minutes=10), show_spinner=False)
def load_page_data(database_url: str, filter_key: tuple, version: tuple, names_key: tuple, tz_name: str,
                   language: str) -> dict:  # fmt: skip
    """The history and its KPIs, rebuilt only when the filters, the data (`version`) or the reader's language
    change: clicking around the page does not re-read 20k rows each time. The charts and the export are
    built apart (load_figures, load_export), when their tab is opened: most visits never open them."""
    with i18n.language(language):
        history = q.load_history(rt.store, q.HistoryFilter(*filter_key), tz, dict(names_key))
        return {"history": history, "kpis": q.kpis(history)}


@st.cache_resource(max_entries=16, ttl=timedelta(minutes=10), show_spinner=False)
def load_figures(database_url: str, filter_key: tuple, version: tuple, names_key: tuple, tz_name: str,
                 language: str) -> dict:  # fmt: skip
    """The Charts tab's four history charts, cached under the same key as the history they draw."""
    history = load_page_data(database_url, filter_key, version, names_key, tz_name, language)["history"]
    with i18n.language(language):
        chosen = q.HistoryFilter(*filter_key)
        narrowed = chosen.search or chosen.statuses or chosen.template_ids or chosen.channels
        period = (i18n.t("dispatches.period.range", start=i18n.date_text(chosen.start, "short"), end=i18n.date_text(chosen.end))
                  if chosen.start and chosen.end else i18n.t("dispatches.period.chosen"))  # fmt: skip
        no_sends = i18n.t("dispatches.empty.sends_filtered") if narrowed else i18n.t("dispatches.empty.sends", period=period)
        return {
            "recipients": charts.recipients_per_day(q.recipients_by_outcome(history), no_sends),
            "per-send": charts.outcomes_per_send(q.outcomes_by_send(history), no_sends),
            "dispatches": charts.dispatches_per_day(
                q.dispatches_by_status(history),
                i18n.t("dispatches.empty.dispatches_filtered") if narrowed
                else i18n.t("dispatches.empty.dispatches", period=period),
            ),
            "invalid": charts.invalid_share_over_time(
                q.invalid_share(history),
                i18n.t("dispatches.empty.sends_filtered") if narrowed
                else i18n.t("dispatches.empty.recipients", period=period),
            ),
        }


@st.cache_resource(max_entries=16, ttl=timedelta(minutes=10), show_spinner=False)
def load_export(database_url: str, filter_key: tuple, version: tuple, names_key: tuple, tz_name: str,
                language: str) -> pd.DataFrame:  # fmt: skip
    """The Download tab's rows (one per part), cached under the same key as the history they come from."""
    history = load_page_data(database_url, filter_key, version, names_key, tz_name, language)["history"]
    with i18n.language(language):
        return q.export_table(history)


def cache_key(chosen: q.HistoryFilter, language: str | None = None) -> tuple:
    """What the cached history, charts and export are keyed by (the data version is read once per run)."""
    names = {t.id: t.name for t in rt.templates()}
    return (rt.store.url, dataclasses.astuple(chosen), q.history_version(rt.store), tuple(sorted(names.items())),
            rt.settings.timezone, language or i18n.current())  # fmt: skip


def page_data(chosen: q.HistoryFilter, language: str | None = None) -> dict:
    return load_page_data(*cache_key(chosen, language))


def default_filter() -> q.HistoryFilter:
    """What a person opening the page sees first (the widgets' defaults above)."""
    start, end = q.default_period(datetime.now(tz).date())
    return q.HistoryFilter(start=start, end=end, include_tests=False)


@st.cache_resource(show_spinner=False)
def default_view_keeper(database_url: str, language: str) -> ViewKeeper:
    """One thread per console process and language keeps the default view's data cached (lib.history.warming)."""
    return ViewKeeper(lambda: page_data(default_filter(), language), name=f"dispatches-default-view-{language}")


# Always the data of the store's current version, never an older one "while the new one is built"
# (stale-while-revalidate): a person who opens the page right after a send would see KPIs and a table
# without it while the live panel above already lists it. Waiting is short instead: the keeper notices
# a change within half a second and builds it in ~0.3 s, most often before this script even starts
# (the browser needs about a second to load the page first); at worst this run waits for the rest.
history_key = cache_key(flt)
data = load_page_data(*history_key)
default_view_keeper(rt.store.url, i18n.current()).visited()
history = data["history"]
if history.search_note:
    (st.info if history.sends.size or history.dispatches.size else st.warning)(history.search_note)


# ---- KPIs --------------------------------------------------------------------------------------

k = data["kpis"]
number = i18n.number
with st.container(border=True, key="kpis"):
    row1 = st.columns(5)
    row1[0].metric(i18n.t("dispatches.kpi.sends"), number(k.sends))
    row1[1].metric(i18n.t("dispatches.kpi.dispatches"), number(k.dispatches), help=i18n.t("dispatches.kpi.dispatches_help"))
    row1[2].metric(i18n.t("dispatches.kpi.submitted"), number(k.recipients_submitted),
                   help=i18n.t("dispatches.kpi.submitted_help"))
    row1[3].metric(Outcome.ACCEPTED.label, number(k.accepted))
    row1[4].metric(Outcome.NOT_CONFIRMED.label, number(k.not_confirmed), help=i18n.t("dispatches.kpi.not_confirmed_help"))
    row2 = st.columns(5)
    row2[0].metric(Outcome.REJECTED_BY_US.label, number(k.rejected_by_us))
    row2[1].metric(Outcome.REJECTED_BY_PLATFORM.label, number(k.rejected_by_platform))
    row2[2].metric(i18n.t("dispatches.kpi.parts"), number(k.estimated_parts))
    row2[3].metric(
        i18n.t("dispatches.kpi.cost"),
        EMPTY if k.estimated_cost is None else i18n.money(k.estimated_cost, "EUR"),
        help=i18n.t("dispatches.kpi.cost_help") if k.estimated_cost is not None else i18n.t("dispatches.kpi.cost_help_none"),
    )
    row2[4].metric(i18n.t("dispatches.kpi.errors"), number(k.dispatches_in_error))


# ---- detail of one dispatch ---------------------------------------------------------------------

def draw_detail(dispatch_id: int) -> None:
    detail = q.dispatch_detail(rt.store, dispatch_id)
    if detail is None:
        st.warning(i18n.t("dispatches.detail.missing", dispatch=str(dispatch_id)))
        return
    row = detail.row
    with st.container(border=True, key="dispatch-detail"):
        heading = i18n.t("dispatches.detail.heading", dispatch=str(dispatch_id))
        st.html(f'<h3 data-testid="detail-heading">{html.escape(heading)} {ui.status_badge(detail.status)}</h3>')
        if detail.send and detail.chunk:
            where = i18n.t("dispatches.detail.part_of", part=str(detail.chunk["seq"]), send=str(detail.send["id"]),
                           person=html.escape(detail.send["created_by"]))
        else:
            where = i18n.t("dispatches.detail.tracked")
        st.caption(where)
        if detail.send:
            draw_left_out(detail.send["id"])
        if row["error_message"]:
            st.error(i18n.t("dispatches.detail.platform_error", error=row["error_message"]))
        st.plotly_chart(charts.dispatch_timeline(row, tz), config=PLOTLY_CONFIG, theme=None, key="timeline")
        history_frame = q.status_history(rt.store, dispatch_id, tz)
        # one under the other: side by side, at 1024 px the table's Status was cut off at the right edge
        st.plotly_chart(charts.status_history(history_frame, tz), config=PLOTLY_CONFIG, theme=None, key="history")
        draw_table(
            pd.DataFrame(
                {
                    "seen_at": history_frame["seen_at"],
                    Column.STATUS: status_cells(pd.Series([[s] for s in history_frame["status"]], dtype=object)),
                    "started": history_frame["has_started_queuing"],
                    "finished": history_frame["has_finished_queuing"],
                    "error": history_frame["error_message"],
                }
            ),
            {Column.STATUS: status_column(95), "seen_at": when_column(format="DD/MM/YY HH:mm:ss", width=130)},
            headers={
                "seen_at": i18n.t("dispatches.history.seen_at"), "started": i18n.t("dispatches.history.started"),
                "finished": i18n.t("dispatches.history.finished"), "error": i18n.t("dispatches.history.error"),
            },  # fmt: skip
        )
        if detail.send:
            refused = q.invalid_recipients(rt.store, detail.send["id"])
            refused = refused[refused[RefusedColumn.DISPATCH] == dispatch_id]
            if not refused.empty:
                st.markdown(f"**{i18n.t('dispatches.detail.refused', n=len(refused))}**")
                draw_refused(refused, one_dispatch=True)
            for step in q.next_steps(rt.store, detail.send["id"]):
                st.warning(step, icon=":material/priority_high:")
        with st.expander(i18n.t("dispatches.detail.fields"), expanded=False):
            if detail.platform_fields:
                draw_table(
                    pd.DataFrame(
                        {"field": list(detail.platform_fields),
                         "value": [EMPTY if v is None else str(v) for v in detail.platform_fields.values()]}
                    ),
                    headers={"field": i18n.t("dispatches.fields.field"), "value": i18n.t("dispatches.fields.value")},
                )
            else:
                st.write(i18n.t("dispatches.detail.not_asked"))


REFUSED_WIDTHS = {RefusedColumn.ROW: 80, RefusedColumn.CUSTOMER_ID: 90, RefusedColumn.DESTINATION: 120,
                  RefusedColumn.PART: 50, RefusedColumn.DISPATCH: 70}


def draw_refused(refused: pd.DataFrame, one_dispatch: bool = False) -> None:
    """Who the platform refused and why; the reason wraps in the width left at 1024 px, never out of sight."""
    if one_dispatch:  # its part and dispatch are the ones the reader opened
        refused = refused.drop(columns=[RefusedColumn.PART, RefusedColumn.DISPATCH])
    headed = refused_headed(refused)
    widths = {c: w for c, w in REFUSED_WIDTHS.items() if c in refused.columns}
    config = {c: st.column_config.Column(width=w) for c, w in widths.items()}
    # Drawn inside the send's bordered panel: 20 px narrower than the main column.
    config[RefusedColumn.REASON] = st.column_config.TextColumn(width=ui.FITS_1024 - 25 - sum(widths.values()))
    draw_table(refused, config, headers=dict(zip(refused.columns, headed.columns, strict=True)),
               row_height=ui.WRAPPED_ROW_HEIGHT)


def draw_left_out(send_id: int) -> None:
    """The rules' record of the send: who they left out, by rule, and any decision to include people again."""
    if rt.ledger is None:
        return
    for line in wording.send_record(rt.ledger.left_out_counts(send_id), rt.ledger.include_decision(send_id)):
        st.markdown(str(line))


SUMMARY_FIGURES = (Column.RECIPIENTS, Outcome.ACCEPTED, Outcome.REJECTED_BY_US, Outcome.REJECTED_BY_PLATFORM,
                   Outcome.NOT_CONFIRMED)  # fmt: skip


def draw_send_summary(send_id: int) -> None:
    """What the table leaves out of one send: its figures and who made it when."""
    summary = q.send_summary(history, send_id)
    if summary is None:
        return
    st.html(f'<div data-testid="send-rollup"><b>{html.escape(str(summary[Column.STATUS]))}</b></div>')
    scheduled = summary[Column.SCHEDULED_FOR]
    words = dict(
        template=str(summary[Column.TEMPLATE]), channel=summary[Column.CHANNEL],
        made=i18n.datetime_text(summary[Column.CREATED]), person=summary[Column.SENT_BY],
    )  # fmt: skip
    if scheduled:
        line = i18n.t("dispatches.send.made_scheduled", scheduled=i18n.datetime_text(scheduled), **words)
    else:
        line = i18n.t("dispatches.send.made_now", **words)
    if summary[Column.TEST_SEND]:
        line += " · " + i18n.t("dispatches.send.a_test_send")
    st.caption(html.escape(line))
    for column, figure in zip(st.columns(len(SUMMARY_FIGURES)), SUMMARY_FIGURES, strict=True):
        label = figure.label if isinstance(figure, Outcome) else header(figure)
        column.metric(label, i18n.number(summary[figure]))


def draw_send(send_id: int) -> None:
    with st.container(border=True, key="send-detail"):
        st.subheader(i18n.t("dispatches.send_heading", number=str(send_id)))
        draw_send_summary(send_id)
        parts = q.send_parts(history, send_id)
        st.markdown(i18n.t("dispatches.send.parts", n=len(parts)))
        shown = parts.drop(columns=[Column.ACCEPTED, Column.PROBLEM])  # what fits at 1024 px; problems are said below
        shown[Column.STATUS] = status_cells(shown[Column.STATUS])
        chosen = draw_table(
            shown,
            {Column.PART: st.column_config.NumberColumn(width=45), Column.DISPATCH: st.column_config.NumberColumn(width=75),
             Column.STATUS: status_column(95), Column.RECIPIENTS: st.column_config.NumberColumn(format="localized", width=85),
             Column.REJECTED_BY_PLATFORM: st.column_config.NumberColumn(
                 i18n.t("dispatches.send.refused"), format="localized", width=70,
                 help=i18n.t("dispatches.send.refused_help")),
             Column.FINISHED_QUEUING: when_column(format="DD/MM/YY HH:mm:ss", width=125)},
            on_select="rerun",
            selection_mode="single-row",
            key=f"send-{send_id}-parts",
        )
        for part, problem in zip(parts[Column.PART], parts[Column.PROBLEM], strict=True):
            if isinstance(problem, str) and problem:
                st.error(i18n.t("dispatches.send.part_problem", part=str(part), problem=problem))
        rows = chosen.selection.rows if chosen else []
        own = [int(d) for d in parts[Column.DISPATCH].dropna()]
        if rows and pd.notna(parts.iloc[rows[0]][Column.DISPATCH]):
            st.session_state["dispatches_detail"] = int(parts.iloc[rows[0]][Column.DISPATCH])
        elif len(own) == 1:  # nothing to choose between: its one dispatch's detail opens with it
            st.session_state["dispatches_detail"] = own[0]
        elif st.session_state.get("dispatches_detail") not in own and not history.searched:
            st.session_state.pop("dispatches_detail", None)  # another send's dispatch: not this one's detail
        draw_left_out(send_id)
        for step in q.next_steps(rt.store, send_id):
            st.warning(step, icon=":material/priority_high:")
        progress = engine.progress(send_id)
        for chunk in progress.uncertain_chunks:
            ui.decision_panel(progress, chunk, engine, person, key=f"send-{send_id}")
        if progress.can_resume and progress.finished:
            ui.resume_panel(progress, engine, person, key=f"send-{send_id}")
        invalid = q.invalid_recipients(rt.store, send_id)
        if not invalid.empty:
            st.markdown(f"**{i18n.t('dispatches.send.refused_all', n=len(invalid))}**")
            draw_refused(invalid)


# ---- the table, charts, tracking, downloads -------------------------------------------------------

def draw_sends_view() -> None:
    sends = history.sends
    if sends.empty:
        st.write(i18n.t("dispatches.table.none") if not history.searched else "")
    else:
        pages = (len(sends) + PAGE_SIZE - 1) // PAGE_SIZE
        page_number = 1
        if pages > 1:
            pager, note = st.columns([1, 3], vertical_alignment="bottom")
            page_number = int(pager.number_input(i18n.t("dispatches.table.page", n=pages), 1, pages, 1, key="sends-page"))
            first = (page_number - 1) * PAGE_SIZE
            note.caption(i18n.t("dispatches.table.showing", first=first + 1, last=min(first + PAGE_SIZE, len(sends)),
                                n=len(sends)))
        table = q.send_table(history, limit=PAGE_SIZE, offset=(page_number - 1) * PAGE_SIZE)
        selection = draw_table(
            table.drop(columns=Column.STATUS),  # the roll-up says it in words; 560 px at 1024 hold no second column
            on_select="rerun",
            selection_mode="single-row",
            key="sends-table",
            # At 1024 px in Greek, the longer language: "Δημιουργήθηκε" (94 px) and "Παραλήπτες" (76 px) with
            # their 8 px of padding either side, "Promo code (SMS)" (107 px) and "2 παρτίδες: στην ουρά"
            # (130 px) whole; the status stretches into the ~7 px the table has left (checked on screenshots).
            column_config={
                Column.SEND: st.column_config.NumberColumn(format="#%d", width=70),
                Column.CREATED: when_column(format="DD/MM/YY HH:mm", width=108),
                Column.TEMPLATE: st.column_config.TextColumn(width=114),
                Column.RECIPIENTS: st.column_config.NumberColumn(format="localized", width=90),
                Column.PROGRESS: st.column_config.TextColumn(
                    i18n.t("dispatches.column.status"), width=134, help=i18n.t("dispatches.table.progress_help")),
            },
        )
        chosen_rows = selection.selection.rows if selection else []
        if chosen_rows:
            draw_send(int(table.iloc[chosen_rows[0]][Column.SEND]))
        elif opened_send := st.session_state.get("dispatches_open_send"):
            draw_send(int(opened_send))
        else:
            st.caption(i18n.t("dispatches.table.select"))
    tracked = q.tracked_table(history)
    if not tracked.empty:
        st.subheader(i18n.t("dispatches.tracked.title"))
        draw_table(tracked.assign(**{Column.STATUS: status_cells(tracked[Column.STATUS])}),
                   {Column.STATUS: status_column(), Column.CREATED: when_column()})
        opened = st.selectbox(
            i18n.t("dispatches.tracked.open"), [None, *tracked[Column.DISPATCH].tolist()], key="tracked-detail"
        )
        if opened:
            st.session_state["dispatches_detail"] = int(opened)
    if history.searched and len(history.dispatches) == 1:
        st.session_state["dispatches_detail"] = int(history.dispatches["dispatch_id"].iloc[0])
    if detail_id := st.session_state.get("dispatches_detail"):
        draw_detail(int(detail_id))


def draw_charts_view() -> None:
    now = datetime.now(UTC)
    figures = {
        **load_figures(*history_key),
        "upcoming": charts.upcoming_schedule(q.upcoming(rt.store, now, flt, template_names), now, tz),
    }
    for name, figure in figures.items():
        with st.container(key=f"chart-{name}"):
            st.plotly_chart(figure, config=PLOTLY_CONFIG, theme=None, key=f"chart-{name}-figure")


def draw_track_view() -> None:
    st.write(i18n.t("dispatches.track.intro"))
    with st.form("track-form", clear_on_submit=False):
        typed = st.text_input(i18n.t("dispatches.track.number"), placeholder="180249", key="track-id")
        submitted = st.form_submit_button(i18n.t("dispatches.track.button"), key="track-submit")
    if submitted:
        try:
            found = r.track_dispatch(rt.store, rt.client, r.parse_dispatch_id(typed))
        except (r.TrackError, PlatformError) as exc:
            st.error(str(exc))
        else:  # draw the whole page again so the KPIs, table and detail include it
            st.session_state["dispatches_detail"] = found.dispatch_id
            st.session_state["track_flash"] = (found.dispatch_id, q.status_label(found.send_status_id))
            st.rerun()
    if flash := st.session_state.pop("track_flash", None):
        dispatch_id, status = flash
        st.success(i18n.t("dispatches.track.done", dispatch=str(dispatch_id), status=DispatchStatus(status).label))


def draw_download_view() -> None:
    st.write(i18n.t("dispatches.download.intro"))
    rows = load_export(*history_key)
    stem = f"dispatches-{start:%Y%m%d}-{end:%Y%m%d}"
    csv_col, xlsx_col = st.columns(2)
    # The files are written when clicked (a callable), not on every visit to the tab.
    csv_col.download_button(
        i18n.t("dispatches.download.csv", n=len(rows)), lambda: exports.to_csv_bytes(rows, tz, rt.settings.csv_delimiter),
        f"{stem}.csv", "text/csv", icon=":material/download:",
    )
    xlsx_col.download_button(
        i18n.t("dispatches.download.xlsx", n=len(rows)),
        lambda: exports.to_xlsx_bytes(rows, tz),
        f"{stem}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
    )


# Only the open tab is drawn (tabs that keep state; a click on another reruns the page). Drawing all four
# sent the Charts tab's figures with every visit, and the browser loaded and ran Plotly's 4.7 MB script
# before the page was idle, for a tab most visits never open.
VIEWS = {"dispatches.tab.sends": draw_sends_view, "dispatches.tab.charts": draw_charts_view,
         "dispatches.tab.track": draw_track_view, "dispatches.tab.download": draw_download_view}
for tab, draw in zip(st.tabs([i18n.t(v) for v in VIEWS], key=VIEW_KEY, on_change="rerun"), VIEWS.values(), strict=True):
    if tab.open:
        with tab:
            draw()
