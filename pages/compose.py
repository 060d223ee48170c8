"""Compose: template → recipients → preview → schedule → test → confirm → result.

Steps unlock in order; every decision lives in lib (campaign, recipients, personalization,
sending). The Send button only queues the send (one transaction); the worker process posts it, and
step 7 watches it in the store, so no rerun, closed tab or restarted app can cut one off half-way.
"""

from datetime import datetime, timedelta

import streamlit as st
import streamlit.components.v1 as components

import ui
from lib import approvals, i18n
from lib.campaign import (
    LEFT_OUT,
    OUTCOME_CODE,
    OUTCOME_COLUMN,
    STILL_SENT,
    CampaignChoices,
    build_test_send,
    campaign_counts,
    confirmation_summary,
    missing_tag_sentence,
    needs_typed_count,
    own_address,
    problems_table,
    rows_to_fix_file,
    send_button_label,
    send_refusal,
    template_label,
    typed_count_matches,
)
from lib.ledger import wording
from lib.personalization.preview import (
    encoding_words,
    gsm_greek_advice,
    gsm_greek_changes,
    parts_per_recipient,
    shorter_parts_sentence,
)
from lib.personalization.render import html_to_text, safe_preview_html
from lib.recipients import (
    ColumnMapping,
    RecipientFileError,
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
    format_func=template_label,
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

if missing_sentence := missing_tag_sentence(recipients.mapping.missing_tags):
    st.error(missing_sentence)
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

# The marketer's choices live in step 3, but every number from here on is the campaign's: read them first.
keep_first = bool(state.get("compose_keep_first", False)) and (recipients.problems["code"] == "destination.repeated").any()
checked = ui.cached_rules(template, recipients, keep_first, rt.ledger)
include_received = bool(state.get("compose_include_received", False))
defaults = {tag: state[f"compose_default_{tag}"] for tag in tags if state.get(f"compose_default_{tag}")}


def campaign_for(gsm: bool):
    choices = CampaignChoices(defaults, gsm, keep_first, include_received)
    return ui.cached_campaign(template, recipients, choices, settings.sms_part_price, rt.ledger, checked)


campaign = campaign_for(bool(state.get("compose_gsm_greek", False)) and template.channel == Channel.SMS)
gsm_advice = gsm_greek_advice(campaign.metrics)
if campaign.choices.gsm_greek and not gsm_advice.offer:  # the switch is not drawn: it cannot be on
    campaign = campaign_for(False)
metrics = campaign.metrics
counts = campaign_counts(campaign)
excluded = ui.remember("excluded", (id(campaign),), campaign.excluded)
rule_summary = campaign.left_out_summary()

a, b, c, d = st.columns(4)
a.metric("Rows in the file", f"{counts.rows_in_file:,}")
b.metric("Will receive it", f"{counts.will_receive:,}")
c.metric("Left out", f"{counts.left_out:,}", help="Rows that will not be sent: the table below says why")
d.metric("Warnings", f"{counts.warnings:,}", help="Problems worth a look on rows that are still sent")
missing_column = (recipients.problems["code"] == "tag.column_missing").any()
for sentence in recipients.summary():
    if not (missing_column and "needs a column called" in sentence):  # said once, in the error above
        st.markdown(f"- {sentence}")
for sentence in [*rule_summary, *campaign.missing_value_summary()]:
    st.markdown(f"- {sentence}")

all_problems = problems_table(campaign)
problems = all_problems
if len(problems):
    show = st.radio("Show", ["All problems", "Left out only", "Warnings only"], horizontal=True, key="compose_filter")
    if show != "All problems":
        problems = problems[problems[OUTCOME_CODE] == (STILL_SENT if show == "Warnings only" else LEFT_OUT)]
    shown = problems.head(MAX_PROBLEM_ROWS_SHOWN)
    st.dataframe(
        shown[["row", "column", OUTCOME_COLUMN, "message"]]
        .rename(columns={"row": "Row", "column": "Column", "message": "Problem"}),
        hide_index=True, width="stretch", height=min(420, 38 + 35 * len(shown)),
        column_config={"Row": st.column_config.NumberColumn(width=60),
                       "Column": st.column_config.TextColumn(width=120),
                       OUTCOME_COLUMN: st.column_config.TextColumn(width=120),
                       "Problem": st.column_config.TextColumn(width=900)},  # the rest of the width, and more
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
        "Rows to fix (Excel)", lambda: rows_to_fix_file(campaign, "xlsx"),
        file_name=f"{stem}-rows-to-fix.xlsx", help="Every cell as text, so Excel keeps leading zeros", width="stretch",
    )
    right.download_button(
        "Rows to fix (CSV)", lambda: rows_to_fix_file(campaign, "csv"),
        file_name=f"{stem}-rows-to-fix.csv", width="stretch",
    )
if recipients.valid_count == 0:
    st.error("No row of this file can be sent. Fix the problems above and upload the file again.")
    st.stop()

# ---- 3. Preview -------------------------------------------------------------------------------
step(3, "Preview every message")
choice_cols = st.columns(2)
if (recipients.problems["code"] == "destination.repeated").any():
    choice_cols[0].checkbox("Send once per repeated number or address (keep the first row)", key="compose_keep_first")
if gsm_advice.offer:
    choice_cols[1].toggle(
        "GSM-safe Greek: write Greek in the values in capitals without accents (cheaper SMS)", key="compose_gsm_greek",
        help=f"Saves {wording.plural(metrics.parts_saved_by_gsm_greek, 'SMS part')} on this list.",
    )
if tags:
    with st.expander("Defaults for empty values (written into what is sent)", expanded=bool(defaults)):
        default_cols = st.columns(min(3, len(tags)))
        for i, tag in enumerate(tags):
            default_cols[i % len(default_cols)].text_input(f"{{{{{tag}}}}} in the message", key=f"compose_default_{tag}")
if campaign.already_received_count:
    st.checkbox(wording.send_again_label(campaign.already_received_count), key="compose_include_received",
                help="They are left out unless you tick this. Your decision is recorded with the send.")

if template.channel == Channel.SMS:
    a, b, _ = st.columns([1, 1, 2])
    a.metric("SMS parts in total", f"{metrics.total_parts:,}")
    b.metric("Estimated cost", i18n.money(metrics.estimated_cost, settings.currency),
             help=f"{i18n.money(metrics.price_per_part, settings.currency)} per SMS part")
    st.caption(f"SMS parts per recipient: {parts_per_recipient(metrics.distribution)}.")
    if metrics.template_note:
        st.info(metrics.template_note + ".")
    elif len(metrics.ucs2_rows):
        st.warning(shorter_parts_sentence(metrics.ucs2_by_character, len(metrics.ucs2_rows)))
    if gsm_advice.why_not:
        st.caption(gsm_advice.why_not)
    if campaign.choices.gsm_greek:
        st.info(f"GSM-safe Greek saves {i18n.t('common.sms_parts', n=metrics.parts_saved_by_gsm_greek)} across the list.")
        changes = gsm_greek_changes(campaign.values)
        if len(changes):
            st.dataframe(changes.rename(columns=str.capitalize), hide_index=True, width="stretch")


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
        st.caption(f"{wording.plural(shown['characters'], 'character')} · {wording.plural(shown['parts'], 'SMS part')}"
                   f" ({encoding_words(shown['encoding'])})")
    else:
        st.markdown(f"**Subject:** {ui.escape(shown['subject'])}", unsafe_allow_html=True)
        components.html(safe_preview_html(shown["text"]), height=320, scrolling=True)
        with st.expander("Plain-text version"):
            st.text(html_to_text(shown["text"]))


risky_tab, any_tab, excluded_tab = st.tabs(["Riskiest rows", "Any row", f"Left out ({counts.left_out:,})"])
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
                references = ", ".join(map(str, result.dispatch_ids))
                (st.success if result.complete else st.error)(
                    f"Test: {result.headline}" + (f" Platform reference {references}." if references else ""))

# ---- 6. Confirm -------------------------------------------------------------------------------
step(6, "Check and send")
send_key = f"compose_send_{manifest.hash}"
sent_id = state.get(send_key)
awaiting_key = f"compose_awaiting_{manifest.hash}"  # the send this session submitted for approval
previous = [] if sent_id or state.get(awaiting_key) else engine.find_previous_sends(manifest)
platform = "Sandbox (nothing is really sent)" if rt.is_sandbox else rt.platform_url
summary = confirmation_summary(campaign, len(manifest), scheduled, tz, platform, settings.currency)


def show_summary() -> None:
    st.markdown("\n".join(f"- **{label}:** {ui.escape(value)}" for label, value in summary.items()))
    if not rt.is_sandbox:
        st.markdown(
            f'<div class="cc-banner cc-live">This sends real messages through <b>{ui.escape(rt.platform_url)}</b>'
            " and they are paid for.</div>", unsafe_allow_html=True,
        )


with st.container(border=True, key="confirm-summary"):
    show_summary()

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


label = send_button_label(len(manifest), scheduled, tz, needs_approval=needs_approval)
typed_count = needs_typed_count(settings, is_sandbox=rt.is_sandbox, count=len(manifest))
done = sent_id is not None or bool(state.get(awaiting_key))


confirming_key = f"compose_confirming_{manifest.hash}"  # the dialog is open (it stays open across its reruns)


def open_confirmation() -> None:
    state[confirming_key] = True


def close_confirmation() -> None:
    state.pop(confirming_key, None)


def confirm_and_send() -> None:
    close_confirmation()
    start_send()


@st.dialog("Before the money goes out", width="large", on_dismiss=close_confirmation)
def confirm_send() -> None:
    # Money is spent on a live platform: the person reads what goes out and types how many people get it.
    show_summary()
    typed = st.text_input(f"Type the number of people ({len(manifest):,}) to confirm", key="compose_typed_count")
    ok = typed_count_matches(typed, len(manifest))
    if typed.strip() and not ok:
        st.error(f"That is not {len(manifest):,}: type the number of people who will receive it.")
    if st.button(label, type="primary", key="compose_send_confirmed", disabled=not ok, on_click=confirm_and_send,
                 width="stretch"):
        st.rerun()


if typed_count:
    st.button(label, type="primary", key="compose_send", on_click=open_confirmation, disabled=done, width="stretch")
    if state.get(confirming_key) and not done:
        confirm_send()
else:
    st.button(label, type="primary", key="compose_send", on_click=start_send, disabled=done, width="stretch")
if refused := state.pop(f"{send_key}_refused", None):
    st.error(refused)
if state.get(awaiting_key):
    st.info(approvals.submitted_sentence(state[awaiting_key]), icon=":material/hourglass_top:")

# ---- 7. Result --------------------------------------------------------------------------------
if sent_id is not None:
    step(7, "Result")
    ui.send_panel(int(sent_id), engine, person, key="compose-result")
