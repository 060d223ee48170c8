"""Streamlit pieces shared by every page: the runtime, who is signed in, the platform banner, status badges."""

from __future__ import annotations

import contextlib
import functools
import gc
import html
from datetime import datetime

import pandas as pd
import streamlit as st

from lib import audit, i18n, team
from lib.campaign import CampaignPreview, check_rules, preview_campaign
from lib.charts import status_colour  # one palette for badges and charts, keyed by the status
from lib.history.store import StoreError
from lib.history.vocabulary import DispatchStatus
from lib.i18n import t
from lib.recipients import RecipientList
from lib.runtime import ConsoleRuntime, start_runtime
from lib.sending.engine import WORKER_LIVE_WITHIN, SendEngine, SendError, SendProgress
from lib.sending.manifest import SendManifest
from lib.settings import SettingsError, get_settings, names_sign_in_provider
from lib.team import AccessMode, Action, Person
from lib.team.preferences import preferred_language, remember_language
from lib.templates_audit import AuditedCatalog

escape = html.escape



@st.cache_resource(show_spinner=i18n.t("ui.starting"))  # in the console's language: nobody is known yet
def _runtime() -> ConsoleRuntime:
    return start_runtime(get_settings())


def get_runtime() -> ConsoleRuntime:
    """The process-wide runtime; a bad setting stops every page with one plain sentence."""
    try:
        return _runtime()
    except (SettingsError, StoreError) as exc:
        st.error(t("ui.cannot_start", reason=str(exc)))
        st.stop()


def own_navigation() -> None:
    """Make sure this run goes through app.py's st.navigation.

    On the first request after a server start Streamlit still believes the `pages/` folder is the
    app's navigation (its process-wide `uses_pages_directory` flag is only cleared once
    st.navigation has run) and may run a page script directly, without app.py. Such a run is
    restarted at once, through app.py, before it draws anything."""
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def sidebar_navigation(pages, where=None) -> None:
    """The app's own links in the sidebar (the config hides Streamlit's, see app.py)."""
    with where if where is not None else st.sidebar:
        for page in pages:
            st.page_link(page)


def page_setup() -> ConsoleRuntime:
    """Call first in every page (after `require_action`). app.py draws the banner and the sidebar
    before running a page. A page run directly by Streamlit (see own_navigation) is restarted
    through app.py; under AppTest a page runs alone and draws its banner and sign-out itself."""
    own_navigation()
    rt = get_runtime()
    if not st.session_state.pop("_shell_drawn", False):
        inject_css()
        platform_banner(rt)
        identity_sidebar(current_person())
    return rt


# ---- who is using the console (issue 11) ------------------------------------------------------

def _auth_section():
    """The [auth] secrets section st.login reads (AppTest swaps st.secrets, so tests reach it too)."""
    secrets = st.secrets
    return secrets.get("auth") if secrets.load_if_toml_exists() else None


def _provider_name(section) -> str | None:
    """None for the default provider ([auth] client_id), else the first [auth.NAME] with a client_id."""
    if section.get("client_id"):
        return None
    return next((name for name, value in section.items() if hasattr(value, "get") and value.get("client_id")), None)


def access_mode(rt: ConsoleRuntime) -> AccessMode:
    """How people get in; a live platform without sign-in (and without CONSOLE_AUTH=off) stops here."""
    try:
        return team.access_mode(rt.settings, names_sign_in_provider(_auth_section()))
    except team.AccessConfigError as exc:
        st.error(t("ui.cannot_start", reason=str(exc)))
        st.stop()


@st.cache_resource(show_spinner=False)
def _bootstrap_admins(database_url: str, admins: tuple[str, ...]) -> tuple[str, ...]:
    """CONSOLE_ADMINS into the team, once per process (it never overrides what the Team page set)."""
    return tuple(team.bootstrap_admins(get_runtime().store, admins))


def current_person() -> Person:
    """Who is using this session. Stops the page with a sign-in button for someone not signed in,
    and with one sentence (and nothing else) for someone signed in who is not in the team."""
    rt = get_runtime()
    if access_mode(rt) is not AccessMode.SIGN_IN:
        return team.local_person(rt.settings.operator)
    if not st.user.get("is_logged_in"):
        _sign_in_screen()
        st.stop()
    _bootstrap_admins(rt.settings.database_url, rt.settings.admins)
    email = str(st.user.get("email") or "")
    if st.session_state.get("_signed_in_as") is None:
        team.adopt_provider_name(rt.store, email, st.user.get("name"))
    person = team.team_person(rt.store, email)
    if person is None:
        st.error(t("ui.not_in_team", email=email) if email else t("ui.not_in_team_no_email"))
        st.sidebar.button(t("ui.sign_out"), on_click=st.logout, key="sign_out")
        st.stop()
    if st.session_state.get("_signed_in_as") != person.email:  # once per browser session and sign-in
        team.record_sign_in(rt.store, person, st.user.get("iat"))
        st.session_state["_signed_in_as"] = person.email
    return person


def _sign_in_screen() -> None:
    st.title(t("ui.app_name"))
    st.write(t("ui.sign_in.prompt"))
    provider = _provider_name(_auth_section())
    if st.button(t("ui.sign_in.button"), type="primary", key="sign_in"):
        st.login(provider) if provider else st.login()


def require_action(action: Action) -> Person:
    """Call first in a page: the person using it, or the page stops with one plain sentence."""
    own_navigation()
    person = current_person()
    if not team.can(person, action):
        st.error(str(team.NotAllowed(person, action)))
        st.stop()
    return person


def can(action: Action) -> bool:
    """For hiding what the person may not do (the action itself is checked in lib as well)."""
    return team.can(current_person(), action)


def _reader(rt: ConsoleRuntime) -> str | None:
    """Who the language preference belongs to: the signed-in email, the operator without sign-in."""
    if access_mode(rt) is not AccessMode.SIGN_IN:
        return rt.settings.operator
    return str(st.user.get("email") or "").strip().lower() or None if st.user.get("is_logged_in") else None


def use_reader_language(rt: ConsoleRuntime) -> None:
    """Every word of this run in the reader's language: chosen in this browser session, else the one
    they chose last time (remembered per person), else CONSOLE_LANGUAGE."""
    if st.session_state.get("language") not in i18n.LANGUAGES:
        reader = _reader(rt)
        try:
            remembered = preferred_language(rt.store, reader) if reader else None
        except StoreError:
            remembered = None  # the store's own fault is reported by the page; words fall back to the default
        st.session_state["language"] = remembered or i18n.default_language()
    i18n.use(st.session_state["language"])


def in_reader_language(draw):
    """For a fragment or a dialog: Streamlit reruns those on their own, without app.py, so they set the
    reader's language themselves (a live panel would otherwise fall back to the default every few seconds)."""
    @functools.wraps(draw)
    def drawn_in_reader_language(*args, **kwargs):
        i18n.use(st.session_state.get("language"))
        return draw(*args, **kwargs)
    return drawn_in_reader_language


def language_picker(rt: ConsoleRuntime) -> None:
    """The sidebar's language choice, each language named in itself; remembered for the person."""
    def chosen() -> None:
        language = st.session_state["_language_picker"]
        st.session_state["language"] = language
        reader = _reader(rt)
        if reader:
            with contextlib.suppress(StoreError):  # still used for this browser session
                remember_language(rt.store, reader, language)
    codes = list(i18n.LANGUAGES)
    st.sidebar.selectbox(i18n.t("common.language.label"), codes, index=codes.index(i18n.current()),
                         format_func=i18n.LANGUAGES.__getitem__, key="_language_picker", on_change=chosen)


def identity_sidebar(person: Person) -> None:
    """The signed-in person's name and role, and sign-out, on every page."""
    with st.sidebar:
        if person.local:
            st.caption(t("ui.working_as", name=person.name))
            return
        st.markdown(f"**{person.name}**  \n{person.role.label} · {person.email}", help=t("ui.role_help"))
        st.button(t("ui.sign_out"), on_click=st.logout, key="sign_out", icon=":material/logout:")


def audited_catalog(rt: ConsoleRuntime, person: Person) -> AuditedCatalog:
    """The template catalog, every change checked against the person's role and written to the audit trail."""
    return AuditedCatalog(rt.catalog, rt.store, person)


def mark_shell_drawn() -> None:
    st.session_state["_shell_drawn"] = True


_long_lived_frozen = False


def freeze_long_lived_objects() -> None:
    """Once per process, before the first page reads any data: Python's full garbage collection stops
    walking the ~160,000 objects of the modules imported by then (Streamlit, pandas, Plotly, lib), which
    live as long as the process. Each full collection took 0.1 s and more on them, holding the GIL
    while a page was being served; a history being read (20,000 rows) set off one or two. Objects made
    later are collected as before, and a frozen object is still freed when nothing refers to it."""
    global _long_lived_frozen
    if not _long_lived_frozen:
        _long_lived_frozen = True
        gc.collect()
        gc.freeze()


def platform_banner(rt: ConsoleRuntime) -> None:
    """On every page, so nobody mistakes the sandbox for the real platform, or the reverse."""
    if access_mode(rt) is AccessMode.OPEN:
        st.markdown(
            f'<div class="cc-banner cc-open" data-testid="open-console"><b>{escape(str(team.OPEN_WARNING))}.</b> '
            f'{escape(t("ui.banner.open"))}</div>',
            unsafe_allow_html=True,
        )
    if rt.is_sandbox:
        st.markdown(
            '<div class="cc-banner cc-sandbox" data-testid="sandbox-badge">'
            f'<b>{escape(t("ui.banner.sandbox"))}</b> {escape(t("ui.banner.sandbox_detail"))}</div>',
            unsafe_allow_html=True,
        )
    else:
        st.markdown(
            '<div class="cc-banner cc-live" data-testid="live-badge">'
            f'<b>{escape(t("ui.banner.live"))}</b> {escape(rt.platform_url)} — {escape(t("ui.banner.live_detail"))}</div>',
            unsafe_allow_html=True,
        )


def status_badge(status: DispatchStatus) -> str:
    """HTML for a coloured status pill, in the reader's language; use with unsafe_allow_html."""
    return (f'<span class="cc-badge" data-status="{html.escape(str(status))}" '
            f'style="background:{status_colour(status)}">{html.escape(status.label)}</span>')


def inject_css() -> None:
    st.markdown(
        """<style>
        .cc-banner {padding: .5rem .9rem; border-radius: .35rem; margin-bottom: .6rem; font-size: .95rem}
        .cc-sandbox {background: #e8f1f8; border-left: 6px solid #1d70b8; color: #0b0c0c}
        .cc-live {background: #fbe4e0; border-left: 6px solid #d4351c; color: #0b0c0c}
        .cc-open {background: #d4351c; color: #fff}
        .cc-sms {background: #e8f1f8; border-radius: 1rem 1rem 1rem .2rem; padding: .7rem 1rem;
                 white-space: pre-wrap; max-width: 36rem; font-size: .95rem; margin-bottom: .3rem}
        /* Metric labels wrap instead of ending in "…" on narrow screens (1024 px with the sidebar). */
        [data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * {white-space: normal !important;
            overflow: visible !important; text-overflow: clip !important; height: auto !important;
            word-break: normal !important; overflow-wrap: normal !important; hyphens: auto}
        /* Greek labels are long words: a little smaller, so whole words fit a fifth of the page at 1024 px. */
        [data-testid="stMetricLabel"] p {font-size: .85rem !important; line-height: 1.25}
        .cc-live-detail {color: #505a5f; font-size: .88rem; margin-left: .2rem}
        .cc-badge {color: #fff; padding: .1rem .55rem; border-radius: 1rem; font-size: .8rem; font-weight: 600;
                   white-space: nowrap}
        </style>""",
        unsafe_allow_html=True,
    )


def highlighted_problem_rows(recipients: RecipientList, problems: pd.DataFrame):
    """The problem rows as written in the file, each cell with a problem coloured by severity."""
    rows = pd.Index(problems["row"].unique())
    cells = recipients.table.loc[recipients.table.index.intersection(rows)]
    colour = {"error": "background-color: #f6d7d2", "warning": "background-color: #fff2d3"}
    marks = pd.DataFrame("", index=cells.index, columns=cells.columns)
    for problem in problems.itertuples():
        known = problem.column in marks.columns and problem.row in marks.index
        if known and marks.at[problem.row, problem.column] != colour["error"]:
            marks.at[problem.row, problem.column] = colour[problem.severity]
    return cells.style.apply(lambda _: marks, axis=None)


def remember(name: str, key: tuple, build):
    """Keep one result per name in the session, rebuilt only when its key changes: a rerun
    caused by an unrelated widget must not recompute a million-row preview."""
    held = st.session_state.get(f"_remember_{name}")
    if held is None or held[0] != key:
        held = (key, build())
        st.session_state[f"_remember_{name}"] = held
    return held[1]


def campaign_key(recipients: RecipientList, template, choices) -> tuple:
    return (recipients.content_hash, recipients.mapping.key(), recipients.channel, template,
            tuple(sorted(choices.defaults.items())), choices.gsm_greek, choices.keep_first_duplicate,
            choices.include_already_received)


def _ledger_state(base: tuple, ledger) -> tuple | None:
    """What the ledger looks like for this list: fresh, unless this session already sent it (then
    the state before its own send, so its recipients do not turn into "already received" and hide
    the send's result)."""
    frozen = st.session_state.get("_ledger_frozen")
    if frozen is not None and frozen[0] == base:
        state = frozen[1]
    else:
        state = ledger.state_token() if ledger is not None else None
    st.session_state["_ledger_state_used"] = (base, state)
    return state


def cached_rules(template, recipients: RecipientList, keep_first: bool, ledger):
    """(keys, the rules' verdict) for the valid rows, checked again whenever a send is recorded or the
    do-not-contact list changes (a cheap query), not on every rerun. None without a ledger."""
    if ledger is None:
        return None
    base = (recipients.content_hash, recipients.mapping.key(), recipients.channel, template)
    state = _ledger_state(base, ledger)
    return remember("rules", (*base, keep_first, state), lambda: check_rules(template, recipients, keep_first, ledger))


def cached_campaign(template, recipients: RecipientList, choices, price, ledger=None, checked=None) -> CampaignPreview:
    key = (*campaign_key(recipients, template, choices), price, id(checked) if checked is not None else None)
    return remember("campaign", key, lambda: preview_campaign(template, recipients, choices, price, ledger,
                                                              checked=checked))


def freeze_campaign() -> None:
    """Called when this session starts a send (see _ledger_state)."""
    st.session_state["_ledger_frozen"] = st.session_state.get("_ledger_state_used")


def cached_manifest(campaign: CampaignPreview, schedule: datetime | None) -> SendManifest:
    """Build the frozen manifest once per list, choices and schedule, not on every rerun."""
    key = (*campaign_key(campaign.recipients, campaign.template, campaign.choices), schedule)
    return remember("manifest", key, lambda: campaign.manifest(schedule))


# ---- a send's progress and result (Compose step 7, Dispatches' send detail) --------------------

SEND_WATCH_SECONDS = 1.0
# Streamlit's tables wrap a cell's text only in rows taller than 4rem: three lines of text, read at 1024 px
# without scrolling sideways (long reasons and problems).
WRAPPED_ROW_HEIGHT = 68
# The main column's width at 1024 px with the sidebar open: a table's fixed column widths add up to at most this.
FITS_1024 = 550
LIST_LIMIT = 1000  # recipients shown in a table; the download has them all
# A person's decision on a part that may or may not have gone out: the codes engine.decide_unknown takes.
# Each with its choice, what it means, and its confirm button.
DECISIONS = {
    "marked_sent": ("ui.decision.marked_sent", "ui.decision_means.marked_sent", "ui.decision_confirm.marked_sent"),
    "marked_not_sent": ("ui.decision.marked_not_sent", "ui.decision_means.marked_not_sent",
                        "ui.decision_confirm.marked_not_sent"),
    "resend_at_risk": ("ui.decision.resend_at_risk", "ui.decision_means.resend_at_risk",
                       "ui.decision_confirm.resend_at_risk"),
}


def sender_running(engine: SendEngine) -> bool:
    return bool(engine.store.live_workers(WORKER_LIVE_WITHIN, platform=engine.platform))


def send_panel(send_id: int, engine: SendEngine, person: Person, key: str) -> None:
    """A send as the store knows it: watched while it is queued or going out, then what happened."""
    progress = engine.progress(send_id)
    if progress.finished:
        send_result_panel(progress, engine, person, key)
    else:
        _watch_send(send_id, engine, key)


@st.fragment(run_every=SEND_WATCH_SECONDS)
@in_reader_language
def _watch_send(send_id: int, engine: SendEngine, key: str) -> None:
    progress = engine.progress(send_id)
    if progress.finished:
        st.rerun(scope="app")  # the result (and the rest of the page) is drawn once, not every second
    done, total = progress.chunks_done, len(progress.chunks)
    with st.container(key=f"{key}-progress"):
        if progress.running:
            st.progress(done / max(total, 1), text=t("ui.progress.sending", done=done, n=total))
        else:
            st.progress(done / max(total, 1), text=t("ui.progress.queued", send=str(send_id), done=done, n=total))
            if not sender_running(engine):
                st.warning(t("ui.sender_not_running"), icon=":material/pause_circle:")


def _people_columns(*, reason: bool) -> dict[str, str]:
    columns = {"row": t("ui.col.row"), "customer": t("ui.col.customer_id"), "destination": t("ui.col.destination")}
    return {**columns, "reason": t("ui.col.reason")} if reason else columns


def _recipients_frame(people) -> pd.DataFrame:
    columns = _people_columns(reason=False)
    return pd.DataFrame([{"row": r.row_number, "customer": r.unique_id, "destination": r.destination}
                         for r in people], columns=list(columns)).rename(columns=columns)


def _refused_frame(people) -> pd.DataFrame:
    columns = _people_columns(reason=True)
    return pd.DataFrame([{"row": r.row_number, "customer": r.unique_id, "destination": r.destination,
                          "reason": str(r.reason)} for r in people], columns=list(columns)).rename(columns=columns)


def _csv(frame: pd.DataFrame) -> bytes:
    from lib import exports

    return exports.to_csv_bytes(frame, None, get_runtime().settings.csv_delimiter)


def _people_on_demand(label: str, count: int, load, key: str, file_name: str, column_config=None) -> None:
    """A list shown only when asked for (a stopped million-recipient send stays cheap), the first
    LIST_LIMIT in a table and all of them in a download. `label` is the toggle's words, count included."""
    if not st.toggle(label, key=f"{key}-show"):
        return
    shown = load(LIST_LIMIT)
    wraps = column_config is not None  # a long column: its rows are tall enough to wrap it
    st.dataframe(shown, hide_index=True, width="stretch", column_config=column_config,
                 row_height=WRAPPED_ROW_HEIGHT if wraps else None)
    if count > LIST_LIMIT:
        st.caption(t("ui.people.first_of", shown=LIST_LIMIT, count=count))
    st.download_button(t("ui.people.download", n=count), lambda: _csv(load(None)), file_name=file_name,
                       mime="text/csv", key=f"{key}-download", icon=":material/download:")


def send_result_panel(progress: SendProgress, engine: SendEngine, person: Person, key: str) -> None:
    """What happened: counts and parts from the store, lists of people only on demand, a person's
    decision for every part that may or may not have gone out, and resume."""
    send_id, totals = progress.send_id, progress.totals
    (st.success if progress.complete else st.error if progress.has_unknown else st.warning)(str(progress.headline))
    a, b, c, d = st.columns(4)
    a.metric(t("ui.result.accepted"), i18n.number(totals.accepted + totals.marked_sent))
    b.metric(t("ui.result.unknown"), i18n.number(totals.unknown))
    c.metric(t("ui.result.not_sent"), i18n.number(totals.pending + totals.rejected + totals.left_out))
    d.metric(t("ui.result.refused"), i18n.number(totals.platform_invalid))
    columns = {"part": t("ui.col.part"), "status": t("ui.col.status"), "dispatch": t("ui.col.dispatch"),
               "recipients": t("ui.col.recipients"), "accepted": t("ui.col.accepted"), "message": t("ui.col.message")}
    parts = pd.DataFrame([
        {"part": ch.seq, "status": str(ch.status.label), "dispatch": ch.dispatch_id, "recipients": ch.recipient_count,
         "accepted": ch.total_recipients_sent, "message": str(ch.error) if ch.error else "—"}
        for ch in progress.chunks
    ], columns=list(columns)).rename(columns=columns)  # fmt: skip
    with st.expander(t("ui.result.parts", n=len(parts), send=str(send_id)), expanded=len(parts) <= 10):
        # Fits 1024 px: the platform's message, when a part has one, wraps in taller rows.
        said = any(ch.error for ch in progress.chunks)
        st.dataframe(parts, hide_index=True, width="stretch", row_height=WRAPPED_ROW_HEIGHT if said else None,
                     column_config={columns["dispatch"]: st.column_config.NumberColumn(format="%d")})
    if progress.dispatch_ids:
        ids = progress.dispatch_ids
        listed = ", ".join(f"**{d}**" for d in ids)  # the numbers themselves, not a count: no plural form to choose
        named = (t("ui.result.dispatch_named", ids=listed) if len(ids) == 1 else t("ui.result.dispatches_named", ids=listed)
                 if len(ids) <= 10 else t("ui.result.dispatches_counted", n=len(ids)))
        st.markdown(named + " — " + t("ui.result.dispatch_means"))
        st.page_link("pages/dispatches.py", icon=":material/monitoring:", label=t("ui.result.follow"))
    if totals.platform_invalid:
        # The platform's reasons are long: they wrap in a column that fits 1024 px instead of scrolling sideways.
        fits = {t("ui.col.row"): st.column_config.NumberColumn(width=60),
                t("ui.col.customer_id"): st.column_config.TextColumn(width=110),
                t("ui.col.destination"): st.column_config.TextColumn(width=130),
                t("ui.col.reason"): st.column_config.TextColumn(width=FITS_1024 - 300)}
        _people_on_demand(t("ui.people.show_refused", count=totals.platform_invalid), totals.platform_invalid,
                          lambda n: _refused_frame(engine.refused_recipients(send_id, n)), f"{key}-refused",
                          f"send-{send_id}-refused.csv", column_config=fits)
    if progress.has_unknown:
        st.error(t("ui.result.unknown_people", n=totals.unknown))
        _people_on_demand(t("ui.people.show_unknown", count=totals.unknown), totals.unknown,
                          lambda n: _recipients_frame(engine.recipients(send_id, "uncertain", n)), f"{key}-uncertain",
                          f"send-{send_id}-may-or-may-not-have-it.csv")
        for chunk in progress.uncertain_chunks:
            decision_panel(progress, chunk, engine, person, key)
    if progress.can_resume:
        resume_panel(progress, engine, person, key)


def decision_panel(progress: SendProgress, chunk, engine: SendEngine, person: Person, key: str) -> None:
    """One part that may or may not have gone out: a person decides, confirms, and is recorded."""
    with st.container(border=True, key=f"{key}-decide-{chunk.seq}"):
        st.markdown(t("ui.decide.part", part=str(chunk.seq)) + f" · {t('common.recipients', n=chunk.recipient_count)} · "
                    + escape(str(chunk.error) if chunk.error else t("ui.decide.no_answer")))
        if not team.can(person, Action.DECIDE_UNKNOWN):
            st.caption(str(team.NotAllowed(person, Action.DECIDE_UNKNOWN)))
            return
        choice = st.radio(t("ui.decide.what"), list(DECISIONS), index=None, format_func=lambda c: t(DECISIONS[c][0]),
                          horizontal=True, key=f"{key}-choice-{chunk.seq}", label_visibility="collapsed")
        if choice is None:
            return
        st.info(t(DECISIONS[choice][1]))
        if st.button(t(DECISIONS[choice][2]), key=f"{key}-confirm-{chunk.seq}", type="primary"):
            try:
                engine.decide_unknown(progress.send_id, chunk.seq, choice, person.actor)
            except SendError as exc:
                st.error(str(exc))
                return
            st.session_state.pop(f"{key}-choice-{chunk.seq}", None)
            st.rerun()


def resume_panel(progress: SendProgress, engine: SendEngine, person: Person, key: str) -> None:
    waiting = progress.totals.pending + progress.totals.rejected
    st.info(t("ui.resume.can", n=waiting))
    if not team.can(person, Action.RESUME_SEND):
        st.caption(str(team.NotAllowed(person, Action.RESUME_SEND)))
        return
    agreed = st.checkbox(t("ui.resume.agree", n=waiting, send=str(progress.send_id)), key=f"{key}-resume-ok")
    if st.button(t("ui.resume.button"), key=f"{key}-resume", disabled=not agreed):
        engine.request_resume(progress.send_id, person.actor)
        st.session_state.pop(f"{key}-resume-ok", None)
        st.rerun()


def audit_upload_once(rt: ConsoleRuntime, person, file_id: str, name: str, data: bytes) -> None:
    """The audit trail's line for an upload (name, size, SHA-256), once per file, not on every rerun."""
    recorded = st.session_state.setdefault("_audited_uploads", set())
    if file_id in recorded:
        return
    with rt.store.write() as conn:
        audit.record_upload(conn, person.actor, name, data)
    recorded.add(file_id)
