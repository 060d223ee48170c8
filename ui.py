"""Streamlit pieces shared by every page: the runtime, who is signed in, the platform banner, status badges."""

from __future__ import annotations

import html
from datetime import datetime

import pandas as pd
import streamlit as st

from lib import team
from lib.campaign import CampaignPreview, check_rules, preview_campaign
from lib.charts import STATUS_COLOURS as CHART_STATUS_COLOURS
from lib.history.store import StoreError
from lib.recipients import RecipientList
from lib.runtime import ConsoleRuntime, start_runtime
from lib.sending.engine import DuplicateSend, SendEngine, SendOutcome
from lib.sending.jobs import get_job, start_job
from lib.sending.manifest import SendManifest
from lib.settings import SettingsError, get_settings, names_sign_in_provider
from lib.team import AccessMode, Action, Person
from lib.templates_audit import AuditedCatalog

escape = html.escape

# One palette for badges and charts; our chunk states Accepted/Posting join the platform's.
STATUS_COLOURS = {**CHART_STATUS_COLOURS, "Accepted": CHART_STATUS_COLOURS["Queued"], "Posting": "#1d70b8"}


@st.cache_resource(show_spinner="Starting the console…")
def _runtime() -> ConsoleRuntime:
    return start_runtime(get_settings())


def get_runtime() -> ConsoleRuntime:
    """The process-wide runtime; a bad setting stops every page with one plain sentence."""
    try:
        return _runtime()
    except (SettingsError, StoreError) as exc:
        st.error(f"The console cannot start: {exc}")
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

NOT_IN_TEAM = "You are signed in as {email}, who is not in this console's team: ask an admin to add you."


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
        st.error(f"The console cannot start: {exc}")
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
        st.error(NOT_IN_TEAM.format(email=email or "an account without an email address"))
        st.sidebar.button("Sign out", on_click=st.logout, key="sign_out")
        st.stop()
    if st.session_state.get("_signed_in_as") != person.email:  # once per browser session and sign-in
        team.record_sign_in(rt.store, person, st.user.get("iat"))
        st.session_state["_signed_in_as"] = person.email
    return person


def _sign_in_screen() -> None:
    st.title("Campaign Console")
    st.write("Sign in with your work account to use the console.")
    provider = _provider_name(_auth_section())
    if st.button("Sign in", type="primary", key="sign_in"):
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


def identity_sidebar(person: Person) -> None:
    """The signed-in person's name and role, and sign-out, on every page."""
    with st.sidebar:
        if person.local:
            st.caption(f"Working as **{person.name}** — no sign-in, every role.")
            return
        st.markdown(f"**{person.name}**  \n{person.role.label} · {person.email}",
                    help="Your role decides what you may do here; an admin changes it on the Team page.")
        st.button("Sign out", on_click=st.logout, key="sign_out", icon=":material/logout:")


def audited_catalog(rt: ConsoleRuntime, person: Person) -> AuditedCatalog:
    """The template catalog, every change checked against the person's role and written to the audit trail."""
    return AuditedCatalog(rt.catalog, rt.store, person)


def mark_shell_drawn() -> None:
    st.session_state["_shell_drawn"] = True


def platform_banner(rt: ConsoleRuntime) -> None:
    """On every page, so nobody mistakes the sandbox for the real platform, or the reverse."""
    if access_mode(rt) is AccessMode.OPEN:
        st.markdown(
            f'<div class="cc-banner cc-open" data-testid="open-console"><b>{team.OPEN_WARNING}.</b> '
            "Sign-in is turned off (CONSOLE_AUTH=off) on a live platform.</div>",
            unsafe_allow_html=True,
        )
    if rt.is_sandbox:
        st.markdown(
            '<div class="cc-banner cc-sandbox" data-testid="sandbox-badge">'
            "<b>Sandbox — nothing is really sent.</b> "
            "Messages go to a local test platform and its outbox file.</div>",
            unsafe_allow_html=True,
        )
    else:
        st.markdown(
            '<div class="cc-banner cc-live" data-testid="live-badge">'
            f"<b>Live platform:</b> {html.escape(rt.platform_url)} — messages are really sent and paid for.</div>",
            unsafe_allow_html=True,
        )


def status_badge(label: str) -> str:
    """HTML for a coloured status pill; use with unsafe_allow_html."""
    colour = STATUS_COLOURS.get(label, "#505a5f")
    return f'<span class="cc-badge" style="background:{colour}">{html.escape(label)}</span>'


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
            overflow: visible !important; text-overflow: clip !important; height: auto !important}
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


def outcome_panel(outcome: SendOutcome, engine: SendEngine) -> None:
    """What happened to every chunk, who the platform refused, and who may or may not have it."""
    if outcome.complete:
        st.success(outcome.headline)
    elif outcome.has_unknown:
        st.error(outcome.headline)
    else:
        st.warning(outcome.headline)
    chunks = pd.DataFrame(
        [
            {"Chunk": c.seq, "Status": c.status.value.capitalize(), "Dispatch": c.dispatch_id,
             "Recipients": c.recipient_count, "Accepted by platform": c.total_recipients_sent,
             "Refused by platform": len(c.invalids), "Message": c.error or ""}
            for c in outcome.chunks
        ]
    )
    st.dataframe(chunks, hide_index=True, width="stretch",
                 column_config={"Dispatch": st.column_config.NumberColumn(format="%d")})
    if outcome.dispatch_ids:
        st.markdown("Dispatch ids: " + ", ".join(f"**{d}**" for d in outcome.dispatch_ids))
        st.page_link("pages/dispatches.py", label="Follow their status on the Dispatches page", icon=":material/monitoring:")
    if outcome.platform_rejected_recipients:
        st.warning(f"The platform refused {len(outcome.platform_rejected_recipients):,} recipients that the console had "
                   "accepted:")
        st.dataframe(pd.DataFrame([
            {"Row": r.row_number, "Customer id": r.unique_id, "Destination": r.destination, "Reason": r.reason}
            for r in outcome.platform_rejected_recipients
        ]), hide_index=True, width="stretch")
    if outcome.has_unknown:
        uncertain = outcome.uncertain_recipients
        st.error(f"{len(uncertain):,} recipients may or may not have received the message. They are not sent again "
                 "automatically: check the Dispatches page before deciding.")
        st.dataframe(pd.DataFrame([{"Row": r.row_number, "Customer id": r.unique_id, "Destination": r.destination}
                                   for r in uncertain[:1000]]), hide_index=True, width="stretch")
    if outcome.can_resume:
        resume_panel(outcome, engine)


def resume_panel(outcome: SendOutcome, engine: SendEngine) -> None:
    waiting = outcome.totals.pending + outcome.totals.rejected
    st.info(f"{waiting:,} recipients in chunks that did not go out can be sent now. Nothing that was accepted, "
            "or may have gone out, is sent again.")
    key = f"resume_{outcome.send_id}"
    agreed = st.checkbox(f"Yes, send the remaining {waiting:,} recipients of send #{outcome.send_id}", key=f"{key}_ok")
    started = st.session_state.get(f"{key}_job") is not None
    if st.button("Resume the send", key=key, disabled=not agreed or started):
        job = start_job("resume", lambda progress: engine.resume(outcome.send_id, on_progress=progress))
        st.session_state[f"{key}_job"] = job.id
        st.session_state["compose_active_job"] = job.id
        st.rerun(scope="fragment")


@st.fragment(run_every=0.5)
def send_job_panel(job_id: str, engine: SendEngine) -> None:
    """Watch a background send: progress while it runs, then exactly what happened."""
    job = get_job(st.session_state.get("compose_active_job") or job_id)
    if job is None:
        st.info("This send was started in an earlier session: see the Dispatches page.")
        return
    if job.running:
        p = job.progress
        done, total = (p.chunks_done, p.chunk_count) if p else (0, 1)
        st.progress(done / max(total, 1), text=f"Sending… {done} of {total} chunks" if p else "Sending…")
        return
    if isinstance(job.error, DuplicateSend):
        st.error(str(job.error))
    elif job.error is not None:
        st.error(f"The send stopped: {job.error}. Nothing more is sent; the Dispatches page shows what went out.")
    else:
        outcome_panel(engine.outcome(job.outcome.send_id), engine)
