"""Compose: template → recipients → preview → schedule → test → confirm → result.

Steps unlock in order; every decision lives in lib (campaign, recipients, personalization,
sending). The Send button only queues the send (one transaction); the worker process posts it, and
step 7 watches it in the store, so no rerun, closed tab or restarted app can cut one off half-way.
"""

from datetime import datetime, timedelta

import pandas as pd
import streamlit as st
import streamlit.components.v1 as components

import ui
from lib import approvals
from lib.campaign import CampaignChoices, build_test_send, own_address, rule_problems, send_refusal
from lib.ledger import wording
from lib.personalization.preview import gsm_greek_changes
from lib.personalization.render import html_to_text, safe_preview_html
from lib.recipients import (
    ColumnMapping,
    RecipientFileError,
    export_rows_to_fix,
    list_sheets,
    load_recipient_list,
    mapping_targets,
)
from lib.scheduling import (
    QuietHoursError,
    ScheduleError,
    check_quiet_hours,
    format_when,
    offer_label,
    schedule_at,
)
from lib.sending.engine import SendError
from lib.sending.manifest import ManifestError
from lib.templates import Channel, template_tags

MAX_PROBLEM_ROWS_SHOWN = 500
person = ui.require_action(ui.Action.COMPOSE)
rt = ui.page_setup()
settings = rt.settings
state = st.session_state
st.title("Compose a campaign")


def step(number: int, title: str) -> None:
    st.subheader(f"{number}. {title}", anchor=f"step-{number}")


# ---- 1. Template ------------------------------------------------------------------------------
step(1, "Template")
templates = rt.templates()
template = st.selectbox(
    "Template", templates, index=None, key="compose_template", placeholder="Choose a template",
    format_func=lambda t: f"{t.id} · {t.name} · {t.channel.label}",
)
if template is None:
    st.caption("Templates come from the console's catalog (see the Templates page).")
    st.stop()
tags = template_tags(template)
with st.container(border=True):
    st.markdown(
        f"**{template.channel.label}** template {template.id} — needs "
        + (", ".join(f"`{{{{{t}}}}}`" for t in tags) or "no personalisation")
    )
    if template.channel == Channel.EMAIL:
        st.markdown(f"Subject: {template.subject}")
    st.code(template.body, language=None, wrap_lines=True)

# ---- 2. Recipients ----------------------------------------------------------------------------
step(2, "Recipients")
upload = st.file_uploader(
    "Your customer file (CSV or Excel). The first row must hold the column names.",
    type=["csv", "txt", "tsv", "xlsx"], key="compose_upload",
)
if upload is None:
    st.stop()
data = upload.getvalue()
ui.audit_upload_once(rt, person, upload.file_id, upload.name, data)
sheet = None
if upload.name.lower().endswith(".xlsx"):
    try:
        sheets = list_sheets(data, upload.name)
    except RecipientFileError as exc:
        st.error(str(exc))
        st.stop()
    if len(sheets) > 1:
        sheet = st.selectbox("Sheet", sheets, key="compose_sheet")
mapping_key = ("compose_mapping", upload.file_id, template.id, sheet)
mapping: ColumnMapping | None = state.get(str(mapping_key))
try:
    with st.spinner(f"Reading and checking {upload.name}…"):
        recipients = load_recipient_list(
            data, upload.name, channel=template.channel, template_tags=tags, settings=settings,
            sheet=sheet, mapping=mapping,
        )
except RecipientFileError as exc:
    st.error(str(exc))
    st.stop()

with st.expander("Columns: which column feeds which field", expanded=bool(recipients.mapping.missing_tags)):
    choices = [None, *recipients.headers]
    targets = mapping_targets(tags)
    columns = st.columns(3)
    for i, (label, target) in enumerate(targets):
        current = recipients.mapping.header_for(target)
        picked = columns[i % 3].selectbox(
            label, choices, index=choices.index(current) if current in choices else 0,
            format_func=lambda h: "— none —" if h is None else h, key=f"map-{upload.file_id}-{template.id}-{label}",
        )
        if picked != current:
            state[str(mapping_key)] = recipients.mapping.with_override(target, picked)
            st.rerun()

checked = ui.cached_rules(template, recipients, bool(state.get("compose_keep_first", False)), rt.ledger)
include_received = bool(state.get("compose_include_received", False))
rule_rows = rule_problems(checked[1], include_received, settings.tz) if checked is not None else None
valid_rows, warning_count = recipients.valid_count, recipients.warning_count
a, b, c, d = st.columns(4)
a.metric("Rows in the file", f"{recipients.row_count:,}")
b.metric("Can be sent", f"{valid_rows:,}")
c.metric("Rows with errors", f"{recipients.invalid_count:,}")
d.metric("Warnings", f"{warning_count:,}")
for sentence in recipients.summary():
    st.markdown(f"- {sentence}")
if checked is not None:
    for sentence in wording.summary(checked[1].counts(include_received)):
        st.markdown(f"- {sentence}")

problems = recipients.problems
if rule_rows is not None and len(rule_rows):
    problems = pd.concat([problems, rule_rows], ignore_index=True).sort_values("row", kind="stable")
if len(problems):
    show = st.radio("Show", ["All problems", "Errors only", "Warnings only"], horizontal=True, key="compose_filter")
    if show != "All problems":
        problems = problems[problems["severity"] == ("error" if show == "Errors only" else "warning")]
    shown = problems.head(MAX_PROBLEM_ROWS_SHOWN)
    st.dataframe(
        shown.rename(columns={"row": "Row", "column": "Column", "severity": "", "message": "Problem"})
        .drop(columns=["code"]),
        hide_index=True, width="stretch", height=min(420, 38 + 35 * len(shown)),
    )
    if len(problems) > MAX_PROBLEM_ROWS_SHOWN:
        st.caption(f"Showing the first {MAX_PROBLEM_ROWS_SHOWN:,} of {len(problems):,} problems; the download has all.")
    if recipients.table is not None:
        cells = ui.highlighted_problem_rows(recipients, shown)
        with st.expander("The rows with problems, as in your file (problem cells highlighted)"):
            st.dataframe(cells, width="stretch")
    left, right = st.columns(2)
    stem = upload.name.rsplit(".", 1)[0]
    left.download_button(
        "Download rows to fix (Excel, every cell as text)", lambda: export_rows_to_fix(recipients, "xlsx", extra=rule_rows),
        file_name=f"{stem}-rows-to-fix.xlsx",
    )
    right.download_button(
        "Download rows to fix (CSV)", lambda: export_rows_to_fix(recipients, "csv", extra=rule_rows),
        file_name=f"{stem}-rows-to-fix.csv",
    )
if valid_rows == 0:
    st.error("No row of this file can be sent. Fix the problems above and upload the file again.")
    st.stop()

# ---- 3. Preview -------------------------------------------------------------------------------
step(3, "Preview every message")
choice_cols = st.columns(2)
keep_first = False
if (recipients.problems["code"] == "destination.repeated").any():
    keep_first = choice_cols[0].checkbox(
        "Send once per repeated number or address (keep the first row)", key="compose_keep_first"
    )
gsm_greek = False
if template.channel == Channel.SMS:
    gsm_greek = choice_cols[1].toggle(
        "GSM-safe Greek: write Greek in capitals without accents (cheaper SMS)", key="compose_gsm_greek"
    )
defaults = {}
if tags:
    with st.expander("Defaults for empty values (written into what is sent)"):
        default_cols = st.columns(min(3, len(tags)))
        for i, tag in enumerate(tags):
            value = default_cols[i % len(default_cols)].text_input(f"{{{{{tag}}}}}", key=f"compose_default_{tag}")
            if value:
                defaults[tag] = value
campaign_choices = CampaignChoices(defaults, gsm_greek, keep_first, include_received)
campaign = ui.cached_campaign(template, recipients, campaign_choices, settings.sms_part_price, rt.ledger, checked)
metrics = campaign.metrics
excluded = ui.remember("excluded", (id(campaign),), campaign.excluded)
if campaign.already_received_count:
    st.checkbox(wording.send_again_label(campaign.already_received_count), key="compose_include_received",
                help="They are left out unless you tick this. Your decision is recorded with the send.")

a, b, c, d = st.columns(4)
a.metric("Will receive it", f"{campaign.sendable_count:,}")
b.metric("Left out", f"{len(excluded):,}")
rule_summary = campaign.left_out_summary()
if template.channel == Channel.SMS:
    c.metric("SMS parts in total", f"{metrics.total_parts:,}")
    d.metric("Estimated cost", f"{metrics.estimated_cost:,.2f}", help=f"{metrics.price_per_part} per part")
    if metrics.template_note:
        st.warning(metrics.template_note)
    spread = ", ".join(f"{n:,} get {p} part{'s' if p > 1 else ''}" for p, n in sorted(metrics.distribution.items()))
    st.caption(f"Parts per recipient: {spread or 'none'}.")
    if len(metrics.ucs2_rows):
        by_char = ", ".join(f"'{ch}' in {n:,}" for ch, n in list(metrics.ucs2_by_character.items())[:8])
        st.warning(
            f"{len(metrics.ucs2_rows):,} messages need UCS-2 (70 characters a part instead of 160) because of: "
            f"{by_char}." + ("" if gsm_greek else " GSM-safe Greek may fix Greek letters and curly quotes.")
        )
    if gsm_greek:
        st.info(f"GSM-safe Greek saves {metrics.parts_saved_by_gsm_greek:,} SMS parts across the list.")
        changes = gsm_greek_changes(campaign.values)
        if len(changes):
            st.dataframe(changes.rename(columns=str.capitalize), hide_index=True, width="stretch")


for sentence in rule_summary:
    st.markdown(f"- {sentence}")
if campaign.consent_notice:
    st.caption(campaign.consent_notice)


def show_message(row: int) -> None:
    shown = campaign.row_preview(row)
    st.markdown(f"**Row {shown['row']}** · customer id `{shown['uniqueId']}` · to `{shown['to']}`")
    if shown["error"]:
        st.error(f"{shown['error']}: this row will not be sent. Set a default above or fix the file.")
        return
    if shown["defaultsUsed"]:
        st.caption("Defaults used for: " + ", ".join(f"{{{{{t}}}}}" for t in shown["defaultsUsed"]))
    if template.channel == Channel.SMS:
        st.markdown(f'<div class="cc-sms">{ui.escape(shown["text"])}</div>', unsafe_allow_html=True)
        st.caption(f"{shown['encoding']} · {shown['characters']} characters · {shown['parts']} part(s)")
    else:
        st.markdown(f"**Subject:** {ui.escape(shown['subject'])}", unsafe_allow_html=True)
        components.html(safe_preview_html(shown["text"]), height=320, scrolling=True)
        with st.expander("Plain-text version"):
            st.text(html_to_text(shown["text"]))


risky_tab, any_tab, excluded_tab = st.tabs(["Riskiest rows", "Any row", f"Left out ({len(excluded):,})"])
with risky_tab:
    riskiest = campaign.riskiest()
    if not riskiest and len(campaign.sendable_rows):
        st.caption("No row stands out: no empty values, defaults, unusual characters or long messages. The first:")
        show_message(int(campaign.sendable_rows[0]))
    for risky in riskiest:
        with st.container(border=True):
            st.caption("Why look: " + "; ".join(risky.reasons))
            show_message(risky.row)
with any_tab:
    how = st.radio("Find by", ["Spreadsheet row", "Customer id"], horizontal=True, key="compose_find_by")
    rows = campaign.candidates.index
    if how == "Spreadsheet row":
        row = st.number_input("Row", min_value=int(rows.min()), max_value=int(rows.max()), key="compose_row")
    else:
        wanted = st.text_input("Customer id", key="compose_uid")
        match = campaign.candidates.index[campaign.candidates["uniqueId"] == wanted.strip()]
        row = int(match[0]) if len(match) else None
    if row is not None and row in rows:
        show_message(int(row))
    elif row is not None:
        reason = excluded.loc[excluded["Row"] == row, "Why it is left out"]
        st.info(f"Row {row} is left out: {reason.iloc[0]}" if len(reason) else f"There is no row {row} to send.")
    else:
        st.info("No row with that customer id will receive this message.")
with excluded_tab:
    st.dataframe(excluded.head(5000), hide_index=True, width="stretch")
if campaign.sendable_count == 0:
    if campaign.left_out_counts:
        st.error(wording.everyone_left_out(campaign.left_out_counts) + " Nothing will be sent.")
    else:
        st.error("Every row is left out: set defaults for the missing values or fix the file.")
    st.stop()

# ---- 4. Schedule ------------------------------------------------------------------------------
step(4, "When")
tz = settings.tz
now = datetime.now(tz)


def schedule_for(offer: datetime) -> None:
    # A callback runs before the widgets are drawn, so it may set their values.
    local = offer.astimezone(tz)
    state["compose_when"], state["compose_day"], state["compose_time"] = "At a date and time", local.date(), local.time()


when_choice = st.radio("Send", ["Now", "At a date and time"], horizontal=True, key="compose_when")
scheduled = None
if when_choice != "Now":
    tomorrow_ten = (now + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    state.setdefault("compose_day", tomorrow_ten.date())
    state.setdefault("compose_time", tomorrow_ten.time())
    left, right = st.columns(2)
    day = left.date_input("Date", key="compose_day", format="DD/MM/YYYY")
    at = right.time_input("Time", step=300, key="compose_time")
    try:
        scheduled = schedule_at(day, at, tz, now=now, horizon_days=settings.schedule_horizon_days)
    except ScheduleError as exc:
        st.error(str(exc))
        st.stop()
try:
    check_quiet_hours(scheduled, template, settings, now=now)
except QuietHoursError as exc:
    st.error(str(exc))
    st.button(
        offer_label(exc.offer, now, tz), key="compose_quiet_offer", on_click=schedule_for, args=(exc.offer,),
        type="primary",
    )
    st.stop()
if scheduled is not None:
    st.caption(f"Goes out {format_when(scheduled, tz)}, {settings.timezone} time.")

try:
    manifest = ui.cached_manifest(campaign, scheduled)
except ManifestError as exc:
    st.error(str(exc))
    st.stop()
engine = rt.engine()

# ---- 5. Test send -----------------------------------------------------------------------------
step(5, "Send yourself a test (recommended)")
with st.container(border=True):
    kind = "mobile number" if template.channel == Channel.SMS else "email address"
    left, right = st.columns([2, 1])
    own = left.text_input(f"Your {kind}", key="compose_own_address")
    test_row = right.selectbox("With the data of row", list(campaign.sendable_rows[:1000]), key="compose_test_row")
    if st.button("Send test", key="compose_send_test", disabled=not own):
        try:
            test = build_test_send(campaign, int(test_row), own_address(
                template.channel, own, settings.region, settings.allowed_countries))
        except ValueError as exc:
            st.error(str(exc))
        else:
            # A test goes to one person who waits for it: posted from here, not queued behind campaigns.
            with st.spinner("Sending the test…"):
                try:
                    result = engine.submit(test, is_test=True, created_by=person.actor)
                except SendError as exc:
                    result = None
                    st.error(f"The test was not sent: {exc}")
            if result is not None:
                dispatches = ", ".join(map(str, result.dispatch_ids))
                (st.success if result.complete else st.error)(
                    f"Test: {result.headline}" + (f" Dispatch {dispatches}." if dispatches else ""))

# ---- 6. Confirm -------------------------------------------------------------------------------
step(6, "Check and send")
send_key = f"compose_send_{manifest.hash}"
sent_id = state.get(send_key)
awaiting_key = f"compose_awaiting_{manifest.hash}"  # the send this session submitted for approval
previous = [] if sent_id or state.get(awaiting_key) else engine.find_previous_sends(manifest)
with st.container(border=True, key="confirm-summary"):
    summary = {
        "Template": f"{template.id} · {template.name}",
        "Channel": template.channel.label,
        "Recipients who will receive it": f"{len(manifest):,}",
        "Left out": f"{len(excluded):,}" + (f" ({'; '.join(rule_summary)})" if rule_summary else ""),
        "When": format_when(scheduled, tz),
        "Platform": "Sandbox (nothing is really sent)" if rt.is_sandbox else rt.platform_url,
    }
    if include_received and campaign.already_received_count:
        summary["Sent again on purpose"] = wording.plural(campaign.already_received_count, "person", "people") + \
            " who already received it"
    if template.channel == Channel.SMS:
        summary["SMS parts (estimated cost)"] = f"{metrics.total_parts:,} ({metrics.estimated_cost:,.2f})"
    st.markdown("\n".join(f"- **{label}:** {ui.escape(value)}" for label, value in summary.items()))
    if not rt.is_sandbox:
        st.markdown(
            f'<div class="cc-banner cc-live">This sends real messages through <b>{ui.escape(rt.platform_url)}</b>'
            " and they are paid for.</div>", unsafe_allow_html=True,
        )

# Checked again right before the send is queued: the opt-out setting may have changed since the template was
# saved, and the clock may have reached quiet hours since step 4 was drawn.
refusal = None if sent_id is not None else send_refusal(template, settings, scheduled)
if refusal is not None:
    st.error(refusal.message)
    if refusal.offer is not None:
        st.button(offer_label(refusal.offer, datetime.now(tz), tz), key="compose_refusal_offer", on_click=schedule_for,
                  args=(refusal.offer,))
    st.stop()

resend_of = None
if previous:
    latest = previous[-1]
    st.error(engine.describe_previous(latest))
    typed = st.text_input(f"To send again anyway, type the number of the earlier send ({latest.id})", key="compose_resend")
    if typed.strip() != str(latest.id):
        st.stop()
    resend_of = latest.id


needs_approval = approvals.needs_approval(settings, person, is_sandbox=rt.is_sandbox, recipients=len(manifest))


def start_send() -> None:
    # A callback runs once per click before the script; a second click finds the send and does nothing.
    if state.get(send_key) or state.get(awaiting_key) or send_refusal(template, settings, scheduled) is not None:
        return  # already started, or the rerun shows why not
    if rt.ledger is not None:
        campaign.stage_for_send(rt.ledger, manifest)
        ui.freeze_campaign()
    sms = template.channel == Channel.SMS
    try:
        if needs_approval:  # recorded for another approver (issue 11); nothing is posted
            state[awaiting_key] = approvals.submit_for_approval(
                engine, manifest, person, template=template, campaign=campaign, excluded=len(excluded),
                resend_of=resend_of, parts=metrics.total_parts if sms else None,
                cost=metrics.estimated_cost if sms else None,
            )  # fmt: skip
            return
        state[send_key] = engine.enqueue(
            manifest, resend_of=resend_of, excluded_recipients=len(excluded), created_by=person.actor,
            estimated_parts=metrics.total_parts if sms else None, estimated_cost=metrics.estimated_cost if sms else None,
        )
    except SendError as exc:  # DuplicateSend (another tab or person sent it first), nobody to send to
        state[f"{send_key}_refused"] = str(exc)


st.button(
    f"{'Submit for approval: send' if needs_approval else 'Send'} to {len(manifest):,} recipients", type="primary",
    key="compose_send", on_click=start_send, disabled=sent_id is not None or bool(state.get(awaiting_key)),
    width="stretch",
)
if refused := state.pop(f"{send_key}_refused", None):
    st.error(refused)
if state.get(awaiting_key):
    st.info(approvals.submitted_sentence(state[awaiting_key]), icon=":material/hourglass_top:")

# ---- 7. Result --------------------------------------------------------------------------------
if sent_id is not None:
    step(7, "Result")
    ui.send_panel(int(sent_id), engine, person, key="compose-result")
