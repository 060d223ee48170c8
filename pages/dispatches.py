"""Dispatches: what went out, what is still moving, what failed — and charts to show a manager."""

from __future__ import annotations

import dataclasses
import html
import logging
import threading
import time
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import streamlit as st

import ui
from lib import charts, exports
from lib.history import queries as q
from lib.history import refresh as r
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
STATUS_COLUMN = st.column_config.MultiselectColumn(
    "Status",
    options=list(q.STATUS_CHOICES),
    color=[charts.status_colour(s) for s in q.STATUS_CHOICES],
    help="Draft, Pending, Queued, Error: the platform's status. Unknown: no answer came back, it may have gone out. "
    "Rejected: the platform refused that part. Not sent: the send stopped before that part.",
)
WHEN = "D MMM YYYY, HH:mm"


def when_column(label: str | None = None, format: str = WHEN, width: str | int = "medium", **kwargs):  # noqa: A002
    """A date column wide enough to show the whole date and time."""
    return st.column_config.DatetimeColumn(label, format=format, width=width, **kwargs)


IDS = ("Send", "Dispatch", "Part", "Chunk", "Spreadsheet row")
SHOWN_WHEN = "%-d %b %Y, %H:%M"


def _text(series: pd.Series, column: str) -> pd.Series:
    """A column with empty cells as text: "—" where empty, numbers with separators, dates without seconds."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return series.map(lambda v: EMPTY if pd.isna(v) else f"{v:{SHOWN_WHEN}}")
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        pattern = "{:.0f}" if column in IDS else "{:,.0f}"
        return series.map(lambda v: EMPTY if pd.isna(v) else pattern.format(v))
    return series.astype(object).where(series.notna() & series.ne(""), EMPTY)


def draw_table(frame: pd.DataFrame, column_config: dict | None = None, **kwargs):
    """st.dataframe as a marketer reads it: "—" for empty cells (never "None"), thousands separators,
    whole dates. Columns with an empty cell become text, so their typed column_config is dropped."""
    out, config = frame.copy(), {**count_columns(frame), **(column_config or {})}
    for column in out.columns:
        series = out[column]
        if series.dtype == object and series.map(lambda v: isinstance(v, list)).any():
            continue
        if series.isna().any() or (series.dtype == object and series.eq("").any()):
            out[column] = _text(series, column)
            if column in config and not isinstance(config[column], str):
                config[column] = st.column_config.TextColumn(width="medium")
    return st.dataframe(out, hide_index=True, column_config=config, **kwargs)


def count_columns(frame: pd.DataFrame) -> dict:
    return {c: COUNT for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
            and not pd.api.types.is_bool_dtype(frame[c]) and c not in IDS}


st.title("Dispatches")
st.caption(f"Every send made from this console, refreshed from the platform. Times in {rt.settings.timezone}.")


# ---- live status: what the store knows, re-read every few seconds without redrawing the page ------
# The page never asks the platform itself: the worker refreshes statuses (and picks up "Refresh now").

LIVE_EVERY = timedelta(seconds=2)


def _live_row(send: q.LiveSend) -> str:
    when = f"created {send.created_at.astimezone(tz):%d %b %H:%M}"
    if send.schedule_at is not None and send.schedule_at > datetime.now(UTC):
        when = f"scheduled for {send.schedule_at.astimezone(tz):%d %b %H:%M}"
    parts = "" if send.parts_total <= 1 else f" · {send.parts_done:,} of {send.parts_total:,} parts done"
    if send.parts_in_doubt:
        doubt = "1 part" if send.parts_in_doubt == 1 else f"{send.parts_in_doubt:,} parts"
        parts += f" · {doubt} may or may not have gone out: open Details to decide"
    test = " · test send" if send.is_test else ""
    return (
        f'<div class="cc-live-row" data-testid="live-send-{send.send_id}" data-status="{html.escape(send.status)}">'
        f"{ui.status_badge(send.status)} <b>Send #{send.send_id}</b> · {html.escape(send.template)} · "
        f"{ui.plural(send.recipients, 'recipient')} · {html.escape(send.created_by)} · {when}{test}<br>"
        f'<span class="cc-live-detail">{html.escape(send.rollup)}{parts}</span></div>'
    )


@st.fragment(run_every=LIVE_EVERY)
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
        head, button = st.columns([3, 1], vertical_alignment="center")
        head.subheader("Live status")
        if button.button("Refresh now", key="refresh-now", icon=":material/refresh:"):
            r.request_refresh(rt.store)
            st.session_state["dispatches_refresh_asked"] = now
        if not ui.sender_running(engine):
            st.warning("The sender is not running, so statuses are not checked with the platform and queued sends "
                       "wait — `make run` starts it.", icon=":material/pause_circle:")
        if banner := health.banner(now, tz):
            st.warning(banner, icon=":material/cloud_off:")
        elif r.refresh_requested(rt.store):
            st.caption("Checking every status with the platform now…")
        elif health.last_refresh_at is not None:
            st.caption(f"Statuses last checked with the platform at {health.last_refresh_at.astimezone(tz):%H:%M:%S}; "
                       "the sender checks again every few seconds while anything is moving.")
        if not live:
            st.write("Nothing is in progress. Sends appear here while they are being sent and while the platform "
                     "is working on them.")
        for send in live:
            text, action = st.columns([6, 1], vertical_alignment="center")
            text.html(_live_row(send))
            if action.button("Details", key=f"live-detail-{send.send_id}"):
                st.session_state["dispatches_open_send"] = send.send_id
                st.rerun(scope="app")


engine = rt.engine()
live_status()


# ---- filters -----------------------------------------------------------------------------------

today = datetime.now(tz).date()
template_options = q.filter_options(rt.store, template_names)
with st.container(border=True, key="filters"):
    # Two rows: at 1024 px one row of four cut the period's dates and the labels off.
    period_col, template_col = st.columns([1, 1])
    channel_col, status_col, tests_col = st.columns([1, 1, 1], vertical_alignment="bottom")
    period = period_col.date_input(
        "Period (day the send was made)", value=q.default_period(today), max_value=today, format="DD/MM/YYYY",
        key="filter-period",
    )
    chosen_templates = template_col.multiselect(
        "Template", list(template_options), format_func=lambda i: f"{i} · {template_options[i]}", placeholder="All",
        key="filter-templates",
    )
    chosen_channels = channel_col.multiselect(
        "Channel", ["sms", "email"], format_func=q.CHANNEL_LABELS.get, placeholder="All", key="filter-channels"
    )
    chosen_statuses = status_col.multiselect("Status", list(q.STATUS_CHOICES), placeholder="All", key="filter-statuses")
    search = st.text_input(
        "Search by dispatch number or a recipient's customer ID",
        placeholder="e.g. 180249 or CustomerIdB",
        key="dispatches_search",
    )
    include_tests = tests_col.checkbox(
        "Include test sends", value=False, key="filter-include-tests",
        help="Tests sent to yourself from Compose. Left out of the table, totals and charts unless ticked.",
    )

start, end = (period[0], period[-1]) if isinstance(period, tuple) and period else (today, today)
if isinstance(period, date) and not isinstance(period, tuple):
    start = end = period
flt = q.HistoryFilter(
    start=start,
    end=end,
    template_ids=tuple(chosen_templates),
    channels=tuple(chosen_channels),
    statuses=tuple(chosen_statuses),
    search=search.strip(),
    include_tests=include_tests,
)


@st.cache_resource(max_entries=16, ttl=timedelta(minutes=10), show_spinner=False)
def load_page_data(database_url: str, filter_key: tuple, version: tuple, names_key: tuple, tz_name: str) -> dict:
    """The history and everything drawn from it, rebuilt only when the filters or the data change
    (`version`): clicking around the page does not re-read 20k rows each time."""
    chosen = q.HistoryFilter(*filter_key)
    history = q.load_history(rt.store, chosen, tz, dict(names_key))
    narrowed = chosen.search or chosen.statuses or chosen.template_ids or chosen.channels
    period_text = f"{chosen.start:%d %b} – {chosen.end:%d %b %Y}" if chosen.start and chosen.end else "the chosen period"
    return {
        "history": history,
        "kpis": q.kpis(history),
        "export": q.export_table(history),
        "figures": {
            "recipients": charts.recipients_per_day(
                q.recipients_by_outcome(history),
                "No sends match these filters" if narrowed else f"No sends between {period_text}",
            ),
            "per-send": charts.outcomes_per_send(
                q.outcomes_by_send(history),
                "No sends match these filters" if narrowed else f"No sends between {period_text}",
            ),
            "dispatches": charts.dispatches_per_day(
                q.dispatches_by_status(history),
                "No dispatches match these filters" if narrowed else f"No dispatches between {period_text}",
            ),
            "invalid": charts.invalid_share_over_time(
                q.invalid_share(history),
                "No sends match these filters" if narrowed else f"No recipients submitted between {period_text}",
            ),
        },
    }


def page_data(chosen: q.HistoryFilter) -> dict:
    names = {t.id: t.name for t in rt.templates()}
    return load_page_data(rt.store.url, dataclasses.astuple(chosen), q.history_version(rt.store),
                          tuple(sorted(names.items())), rt.settings.timezone)  # fmt: skip


WARM_EVERY = 1.0  # seconds between checks of the store's data version (one small query)


def default_filter() -> q.HistoryFilter:
    """What a person opening the page sees first (the widgets' defaults above)."""
    start, end = q.default_period(datetime.now(tz).date())
    return q.HistoryFilter(start=start, end=end, include_tests=False)


@dataclasses.dataclass
class DefaultViewKeeper:
    thread: threading.Thread | None = None
    last_visit: float = dataclasses.field(default_factory=time.monotonic)


@st.cache_resource(show_spinner=False)
def default_view_keeper(database_url: str) -> DefaultViewKeeper:
    """One thread per console process rebuilds the default view's data soon after the store changes, so the
    next person to open the page finds it cached (10,000 sends take longer to read than the 2 s a page may
    take). A cache hit costs one small query. It stops when nobody has opened the page for IDLE_AFTER
    seconds, or when the store is gone (a test's temporary one); the next visit starts it again."""
    keeper = DefaultViewKeeper()

    def keep_warm() -> None:
        while time.monotonic() - keeper.last_visit < IDLE_AFTER:
            time.sleep(WARM_EVERY)
            try:
                page_data(default_filter())
            except Exception:  # noqa: BLE001 (store gone or busy: the page reads it itself when opened)
                logging.getLogger(__name__).warning("Dispatches: stopped keeping the default view ready", exc_info=True)
                return

    keeper.thread = threading.Thread(target=keep_warm, name="dispatches-default-view", daemon=True)
    keeper.thread.start()
    return keeper


IDLE_AFTER = 15 * 60


def keep_default_view_ready() -> None:
    keeper = default_view_keeper(rt.store.url)
    keeper.last_visit = time.monotonic()
    if keeper.thread is None or not keeper.thread.is_alive():
        default_view_keeper.clear()
        default_view_keeper(rt.store.url)


data = page_data(flt)
keep_default_view_ready()
history = data["history"]
if history.search_note:
    (st.info if history.sends.size or history.dispatches.size else st.warning)(history.search_note)


# ---- KPIs --------------------------------------------------------------------------------------

k = data["kpis"]
with st.container(border=True, key="kpis"):
    row1 = st.columns(5)
    row1[0].metric("Sends", f"{k.sends:,}")
    row1[1].metric("Dispatches", f"{k.dispatches:,}", help="One per request the platform accepted")
    row1[2].metric("Recipients submitted", f"{k.recipients_submitted:,}", help="Every valid and invalid row uploaded")
    row1[3].metric("Accepted by the platform", f"{k.accepted:,}")
    row1[4].metric("Not confirmed", f"{k.not_confirmed:,}", help="In parts that were never sent or got no answer")
    row2 = st.columns(5)
    row2[0].metric("Rejected by our checks", f"{k.rejected_by_us:,}")
    row2[1].metric("Rejected by the platform", f"{k.rejected_by_platform:,}")
    row2[2].metric("Estimated SMS parts", f"{k.estimated_parts:,}")
    row2[3].metric(
        "Estimated SMS cost",
        "—" if k.estimated_cost is None else f"€{k.estimated_cost:,.2f}",
        help="From the price per SMS part in the settings, for the sends that had an estimate"
        + ("; no send in this period had one" if k.estimated_cost is None else ""),
    )
    row2[4].metric("Dispatches in Error", f"{k.dispatches_in_error:,}")


# ---- detail of one dispatch ---------------------------------------------------------------------


def draw_detail(dispatch_id: int) -> None:
    detail = q.dispatch_detail(rt.store, dispatch_id)
    if detail is None:
        st.warning(f"Dispatch {dispatch_id} is not in the history. Track it by number to add it.")
        return
    row = detail.row
    with st.container(border=True, key="dispatch-detail"):
        st.html(
            f'<h3 data-testid="detail-heading">Dispatch {dispatch_id} {ui.status_badge(detail.status)}</h3>'
        )
        where = (
            f"Part {detail.chunk['seq']} of send #{detail.send['id']} by {html.escape(detail.send['created_by'])}"
            if detail.send and detail.chunk
            else "Tracked by number (sent from outside this console)"
        )
        st.caption(where)
        if detail.send:
            draw_left_out(detail.send["id"])
        if row["error_message"]:
            st.error(f"The platform reports: {row['error_message']}")
        st.plotly_chart(charts.dispatch_timeline(row, tz), config=PLOTLY_CONFIG, theme=None, key="timeline")
        history_frame = q.status_history(rt.store, dispatch_id, tz)
        # one under the other: side by side, at 1024 px the table's Status was cut off at the right edge
        st.plotly_chart(charts.status_history(history_frame, tz), config=PLOTLY_CONFIG, theme=None, key="history")
        draw_table(
            pd.DataFrame(
                {
                    "Seen at": history_frame["seen_at"],
                    "Status": [[s] for s in history_frame["status"]],
                    "Started queuing": history_frame["has_started_queuing"],
                    "Finished queuing": history_frame["has_finished_queuing"],
                    "Error": history_frame["error_message"],
                }
            ),
            {"Status": {**STATUS_COLUMN, "width": 95}, "Seen at": when_column(format="DD/MM/YY HH:mm:ss", width=130)},
        )
        if detail.send:
            refused = q.invalid_recipients(rt.store, detail.send["id"])
            refused = refused[refused["Dispatch"] == dispatch_id]
            if not refused.empty:
                st.markdown(f"**Recipients the platform refused in this dispatch ({len(refused)})**")
                draw_table(refused)
            for step in q.next_steps(rt.store, detail.send["id"]):
                st.warning(step, icon=":material/priority_high:")
        with st.expander("Every field the platform returned", expanded=False):
            if detail.platform_fields:
                draw_table(
                    pd.DataFrame(
                        {"Field": list(detail.platform_fields),
                         "Value": [EMPTY if v is None else str(v) for v in detail.platform_fields.values()]}
                    )
                )
            else:
                st.write("The platform has not been asked about this dispatch yet.")


def draw_left_out(send_id: int) -> None:
    """The rules' record of the send: who they left out, by rule, and any decision to include people again."""
    if rt.ledger is None:
        return
    for line in wording.send_record(rt.ledger.left_out_counts(send_id), rt.ledger.include_decision(send_id)):
        st.markdown(line)


def draw_send_summary(send_id: int) -> None:
    """What the table leaves out of one send: its figures and who made it when."""
    summary = q.send_summary(history, send_id)
    if summary is None:
        return
    st.html(f'<div data-testid="send-rollup"><b>{html.escape(str(summary["Status"]))}</b></div>')
    made = f"{summary['Created']:{SHOWN_WHEN}}"
    scheduled = summary["Scheduled for"]
    timing = f"scheduled for {scheduled:{SHOWN_WHEN}}" if scheduled else "sent straight away"
    test = " · a test send" if summary["Test send"] == "yes" else ""
    st.caption(f"{html.escape(str(summary['Template']))} · {summary['Channel']} · made {made} by "
               f"{summary['Sent by']} · {timing}{test}")
    figures = ("Recipients", "Accepted by the platform", "Rejected by our checks", "Rejected by the platform",
               "Not confirmed")
    for column, label in zip(st.columns(len(figures)), figures, strict=True):
        column.metric(label, f"{summary[label]:,}")


def draw_send(send_id: int) -> None:
    with st.container(border=True, key="send-detail"):
        st.subheader(f"Send #{send_id}")
        draw_send_summary(send_id)
        parts = q.send_parts(history, send_id)
        st.markdown(f"**Its dispatches ({ui.plural(len(parts), 'part')})** — select one for its timeline "
                    "and status history")
        chosen = draw_table(
            parts.drop(columns=["Accepted", "Problem"]),  # what fits at 1024 px; problems are said below
            {"Part": st.column_config.NumberColumn(width=45), "Dispatch": st.column_config.NumberColumn(width=75),
             "Status": {**STATUS_COLUMN, "width": 95}, "Recipients": st.column_config.NumberColumn(format="localized", width=85),
             "Rejected by the platform": st.column_config.NumberColumn(
                 "Refused", format="localized", width=70, help="Recipients the platform refused in this dispatch"),
             "Finished queuing": when_column(format="DD/MM/YY HH:mm:ss", width=125)},
            on_select="rerun",
            selection_mode="single-row",
            key=f"send-{send_id}-parts",
        )
        for part, problem in zip(parts["Part"], parts["Problem"], strict=True):
            if isinstance(problem, str) and problem:
                st.error(f"Part {part}: {problem}")
        rows = chosen.selection.rows if chosen else []
        own = [int(d) for d in parts["Dispatch"].dropna()]
        if rows and pd.notna(parts.iloc[rows[0]]["Dispatch"]):
            st.session_state["dispatches_detail"] = int(parts.iloc[rows[0]]["Dispatch"])
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
            st.markdown(f"**Recipients the platform refused ({len(invalid):,})**")
            draw_table(invalid)


# ---- the table, charts, tracking, downloads -------------------------------------------------------

sends_tab, charts_tab, track_tab, download_tab = st.tabs(["Sends", "Charts", "Track a dispatch", "Download"])

with sends_tab:
    sends = history.sends
    if sends.empty:
        st.write("No sends match these filters." if not history.searched else "")
    else:
        pages = (len(sends) + PAGE_SIZE - 1) // PAGE_SIZE
        page_number = 1
        if pages > 1:
            pager, note = st.columns([1, 3], vertical_alignment="bottom")
            page_number = int(pager.number_input(f"Page (of {pages:,})", 1, pages, 1, key="sends-page"))
            first = (page_number - 1) * PAGE_SIZE
            note.caption(f"Sends {first + 1:,}–{min(first + PAGE_SIZE, len(sends)):,} of {len(sends):,}, newest "
                         "first. Download to have them all in Excel.")
        table = q.send_table(history, limit=PAGE_SIZE, offset=(page_number - 1) * PAGE_SIZE)
        selection = draw_table(
            table.drop(columns="Status"),  # the roll-up says it in words; 560 px at 1024 hold no second column
            on_select="rerun",
            selection_mode="single-row",
            key="sends-table",
            column_config={
                "Send": st.column_config.NumberColumn(format="#%d", width=56),
                "Created": when_column(format="DD/MM/YY HH:mm", width=105),
                "Template": st.column_config.TextColumn(width=115),
                "Recipients": st.column_config.NumberColumn(format="localized", width=80),
                "Progress": st.column_config.TextColumn(
                    "Status", width=160, help="A dispatch is one request to the platform: a send to many people goes out as "
                    "several, each with its own status. Select the send to see them."),
            },
        )
        chosen_rows = selection.selection.rows if selection else []
        if chosen_rows:
            draw_send(int(table.iloc[chosen_rows[0]]["Send"]))
        elif opened_send := st.session_state.get("dispatches_open_send"):
            draw_send(int(opened_send))
        else:
            st.caption("Select a send to see its dispatches, refused recipients and what to do next.")
    tracked = q.tracked_table(history)
    if not tracked.empty:
        st.subheader("Dispatches tracked by number")
        draw_table(tracked, {"Status": STATUS_COLUMN, "Created": when_column()})
        opened = st.selectbox(
            "Open the detail of tracked dispatch", [None, *tracked["Dispatch"].tolist()], key="tracked-detail"
        )
        if opened:
            st.session_state["dispatches_detail"] = int(opened)
    if history.searched and len(history.dispatches) == 1:
        st.session_state["dispatches_detail"] = int(history.dispatches["dispatch_id"].iloc[0])
    if detail_id := st.session_state.get("dispatches_detail"):
        draw_detail(int(detail_id))

with charts_tab:
    now = datetime.now(UTC)
    figures = {
        **data["figures"],
        "upcoming": charts.upcoming_schedule(q.upcoming(rt.store, now, flt, template_names), now, tz),
    }
    for key, figure in figures.items():
        with st.container(key=f"chart-{key}"):
            st.plotly_chart(figure, config=PLOTLY_CONFIG, theme=None, key=f"chart-{key}-figure")

with track_tab:
    st.write(
        "Follow a dispatch made outside this console (by another tool or colleague): enter its number and it is "
        "fetched, stored and refreshed like the others."
    )
    with st.form("track-form", clear_on_submit=False):
        typed = st.text_input("Dispatch number", placeholder="180249", key="track-id")
        submitted = st.form_submit_button("Track", key="track-submit")
    if submitted:
        try:
            found = r.track_dispatch(rt.store, rt.client, r.parse_dispatch_id(typed))
        except (r.TrackError, PlatformError) as exc:
            st.error(str(exc))
        else:  # draw the whole page again so the KPIs, table and detail include it
            st.session_state["dispatches_detail"] = found.dispatch_id
            st.session_state["track_flash"] = f"Dispatch {found.dispatch_id} is now tracked: {found.status_label}."
            st.rerun()
    if flash := st.session_state.pop("track_flash", None):
        st.success(flash)

with download_tab:
    st.write("The filtered history, one row per part of each send, ready for Excel. Charts download as PNG from their "
             "own toolbar (the camera icon).")
    rows = data["export"]
    stem = f"dispatches-{start:%Y%m%d}-{end:%Y%m%d}"
    csv_col, xlsx_col = st.columns(2)
    csv_col.download_button(
        f"Download CSV ({len(rows):,} rows)", lambda: exports.to_csv_bytes(rows, tz, rt.settings.csv_delimiter), f"{stem}.csv", "text/csv",
        icon=":material/download:",
    )
    xlsx_col.download_button(
        f"Download Excel ({len(rows):,} rows)",
        lambda: exports.to_xlsx_bytes(rows, tz),
        f"{stem}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
    )
