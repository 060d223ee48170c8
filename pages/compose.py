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
    EXCLUDED_COLUMNS,
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
from lib.i18n import t
from lib.ledger import wording
from lib.personalization.preview import (
    encoding_words,
    gsm_greek_advice,
    gsm_greek_changes,
    parts_per_recipient,
    reasons_text,
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
WRAPPED_ROW = ui.WRAPPED_ROW_HEIGHT + 20  # four lines: a long problem is read whole
person = ui.require_action(ui.Action.COMPOSE)
rt = ui.page_setup()
settings = rt.settings
state = st.session_state
st.title(t("compose.title"))


def step(number: int, title: str) -> None:
    st.subheader(f"{number}. {title}", anchor=f"step-{number}")


def tag_words(tag: str) -> str:
    return "{{" + tag + "}}"


# ---- 1. Template ------------------------------------------------------------------------------
step(1, t("compose.step.template"))
templates = rt.templates()
template = st.selectbox(
    t("compose.template"), templates, index=None, key="compose_template", placeholder=t("compose.template.choose"),
    format_func=lambda tpl: str(template_label(tpl)),
)
if template is None:
    st.caption(t("compose.template.where"))
    st.stop()
tags = template_tags(template)
with st.container(border=True):
    channel_words = str(template.channel.label)
    st.markdown(t("compose.template.needs", channel=channel_words, id=str(template.id),
                  tags=", ".join(f"`{tag_words(tag)}`" for tag in tags)) if tags
                else t("compose.template.needs_nothing", channel=channel_words, id=str(template.id)))
    if template.channel == Channel.EMAIL:
        st.markdown(t("compose.template.subject", subject=template.subject))
    st.code(template.body, language=None, wrap_lines=True)

# ---- 2. Recipients ----------------------------------------------------------------------------
step(2, t("compose.step.recipients"))
upload = st.file_uploader(t("compose.upload"), type=["csv", "txt", "tsv", "xlsx"], key="compose_upload")
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
        sheet = st.selectbox(t("compose.sheet"), sheets, key="compose_sheet")
mapping_key = ("compose_mapping", upload.file_id, template.id, sheet)
mapping: ColumnMapping | None = state.get(str(mapping_key))
try:
    with st.spinner(t("compose.reading", name=upload.name)):
        recipients = load_recipient_list(
            data, upload.name, channel=template.channel, template_tags=tags, settings=settings,
            sheet=sheet, mapping=mapping,
        )
except RecipientFileError as exc:
    st.error(str(exc))
    st.stop()

if missing_sentence := missing_tag_sentence(recipients.mapping.missing_tags):
    st.error(str(missing_sentence))
with st.expander(t("compose.columns"), expanded=bool(recipients.mapping.missing_tags)):
    choices = [None, *recipients.headers]
    targets = mapping_targets(tags)
    columns = st.columns(3)
    for i, (label, target) in enumerate(targets):
        current = recipients.mapping.header_for(target)
        picked = columns[i % 3].selectbox(
            str(label), choices, index=choices.index(current) if current in choices else 0,
            format_func=lambda h: t("compose.columns.none") if h is None else h,
            key=f"map-{upload.file_id}-{template.id}-{i}-{target}",
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
a.metric(t("compose.metric.rows"), i18n.number(counts.rows_in_file))
b.metric(t("compose.metric.will_receive"), i18n.number(counts.will_receive))
c.metric(t("compose.metric.left_out"), i18n.number(counts.left_out), help=t("compose.metric.left_out_help"))
d.metric(t("compose.metric.warnings"), i18n.number(counts.warnings), help=t("compose.metric.warnings_help"))
problem_codes = recipients.problems["code"]
# A missing column is said once, in the error above: its sentence is left out of the summary.
said_above = {str(m) for m in recipients.problems.loc[problem_codes == "tag.column_missing", "message"]}
for sentence in recipients.summary():
    if str(sentence) not in said_above:
        st.markdown(f"- {sentence}")
for sentence in [*rule_summary, *campaign.missing_value_summary()]:
    st.markdown(f"- {sentence}")

all_problems = problems_table(campaign)
problems = all_problems
FILTERS = {"all": "compose.filter.all", "left_out": "compose.filter.left_out", "warnings": "compose.filter.warnings"}
if len(problems):
    show = st.radio(t("compose.filter"), list(FILTERS), format_func=lambda f: t(FILTERS[f]), horizontal=True,
                    key="compose_filter")
    if show != "all":
        problems = problems[problems[OUTCOME_CODE] == (STILL_SENT if show == "warnings" else LEFT_OUT)]
    shown = problems.head(MAX_PROBLEM_ROWS_SHOWN)
    headers = {"row": t("compose.col.row"), "column": t("compose.col.column"), OUTCOME_COLUMN: t("compose.col.outcome"),
               "message": t("compose.col.problem")}
    table = shown[list(headers)].assign(message=shown["message"].map(str))
    st.dataframe(
        table.rename(columns=headers),
        hide_index=True, width="stretch", height=min(560, 38 + WRAPPED_ROW * len(shown)),
        # Widths that add up to the main column at 1024 px (with the sidebar open), so nothing is out of sight
        # sideways; wider windows stretch them. The problem wraps on up to four lines.
        column_config={headers["row"]: st.column_config.NumberColumn(width=60),
                       headers["column"]: st.column_config.TextColumn(width=100),
                       headers[OUTCOME_COLUMN]: st.column_config.TextColumn(width=110),
                       headers["message"]: st.column_config.TextColumn(width=ui.FITS_1024 - 270)},
        row_height=WRAPPED_ROW,
    )
    if len(problems) > MAX_PROBLEM_ROWS_SHOWN:
        st.caption(t("compose.problems.first", shown=MAX_PROBLEM_ROWS_SHOWN, count=len(problems)))
    if recipients.table is not None:
        cells = ui.highlighted_problem_rows(recipients, shown)
        with st.expander(t("compose.problems.as_in_file")):
            st.dataframe(cells, width="stretch")
    left, right = st.columns(2)
    stem = upload.name.rsplit(".", 1)[0]
    left.download_button(
        t("compose.fix.excel"), lambda: rows_to_fix_file(campaign, "xlsx"), key="compose_fix_excel",
        file_name=f"{stem}-rows-to-fix.xlsx", help=t("compose.fix.excel_help"), width="stretch",
    )
    right.download_button(
        t("compose.fix.csv"), lambda: rows_to_fix_file(campaign, "csv"), key="compose_fix_csv",
        file_name=f"{stem}-rows-to-fix.csv", width="stretch",
    )
if recipients.valid_count == 0:
    st.error(t("compose.nothing_sendable"))
    st.stop()

# ---- 3. Preview -------------------------------------------------------------------------------
step(3, t("compose.step.preview"))
choice_cols = st.columns(2)
if (problem_codes == "destination.repeated").any():
    choice_cols[0].checkbox(t("compose.keep_first"), key="compose_keep_first")
if gsm_advice.offer:
    choice_cols[1].toggle(
        t("compose.gsm_greek"), key="compose_gsm_greek",
        help=t("compose.gsm_greek.help", parts=t("common.sms_parts", n=metrics.parts_saved_by_gsm_greek)),
    )
if tags:
    with st.expander(t("compose.defaults"), expanded=bool(defaults)):
        default_cols = st.columns(min(3, len(tags)))
        for i, tag in enumerate(tags):
            default_cols[i % len(default_cols)].text_input(t("compose.defaults.field", tag=tag_words(tag)),
                                                           key=f"compose_default_{tag}")
if campaign.already_received_count:
    st.checkbox(str(wording.send_again_label(campaign.already_received_count)), key="compose_include_received",
                help=t("compose.include_received.help"))

if template.channel == Channel.SMS:
    a, b, _ = st.columns([1, 1, 2])
    a.metric(t("compose.metric.parts"), i18n.number(metrics.total_parts))
    b.metric(t("compose.metric.cost"), i18n.money(metrics.estimated_cost, settings.currency),
             help=t("compose.metric.cost_help", price=i18n.money(metrics.price_per_part, settings.currency)))
    st.caption(t("compose.parts_per_recipient", parts=str(parts_per_recipient(metrics.distribution))))
    if metrics.template_note:
        st.info(f"{metrics.template_note}.")
    elif len(metrics.ucs2_rows):
        st.warning(str(shorter_parts_sentence(metrics.ucs2_by_character, len(metrics.ucs2_rows))))
    if gsm_advice.why_not:
        st.caption(str(gsm_advice.why_not))
    if campaign.choices.gsm_greek:
        st.info(t("compose.gsm_greek.saves", parts=t("common.sms_parts", n=metrics.parts_saved_by_gsm_greek)))
        changes = gsm_greek_changes(campaign.values)
        if len(changes):
            change_headers = {"tag": t("compose.gsm.col.tag"), "before": t("compose.gsm.col.before"),
                              "after": t("compose.gsm.col.after"), "rows": t("compose.gsm.col.rows")}
            st.dataframe(changes.rename(columns=change_headers), hide_index=True, width="stretch")


if campaign.consent_notice:
    st.caption(str(campaign.consent_notice))


def show_message(row: int) -> None:
    shown = campaign.row_preview(row)
    st.markdown(t("compose.preview.row", row=str(shown["row"]), customer=str(shown["uniqueId"]), to=str(shown["to"])))
    if shown["error"]:
        st.error(t("compose.preview.not_sent", problem=str(shown["error"])))
        return
    if shown["defaultsUsed"]:
        st.caption(t("compose.preview.defaults_used", tags=", ".join(tag_words(tag) for tag in shown["defaultsUsed"])))
    if template.channel == Channel.SMS:
        st.markdown(f'<div class="cc-sms">{ui.escape(shown["text"])}</div>', unsafe_allow_html=True)
        st.caption(t("compose.preview.characters", n=shown["characters"]) + " · "
                   + t("common.sms_parts", n=shown["parts"]) + f" ({encoding_words(shown['encoding'])})")
    else:
        st.markdown(t("compose.preview.subject", subject=ui.escape(shown["subject"])), unsafe_allow_html=True)
        components.html(safe_preview_html(shown["text"]), height=320, scrolling=True)
        with st.expander(t("compose.preview.plain_text")):
            st.text(html_to_text(shown["text"]))


risky_tab, any_tab, excluded_tab = st.tabs([t("compose.tab.riskiest"), t("compose.tab.any"),
                                            t("compose.tab.left_out", count=counts.left_out)])
with risky_tab:
    riskiest = campaign.riskiest()
    if not riskiest and len(campaign.sendable_rows):
        st.caption(t("compose.riskiest.none"))
        show_message(int(campaign.sendable_rows[0]))
    for risky in riskiest:
        with st.container(border=True):
            st.caption(t("compose.riskiest.why", reasons=reasons_text(risky.reasons)))
            show_message(risky.row)
FIND_BY = {"row": "compose.find.row", "customer": "compose.find.customer"}
row_column, reason_column = EXCLUDED_COLUMNS[0], EXCLUDED_COLUMNS[2]
with any_tab:
    how = st.radio(t("compose.find"), list(FIND_BY), format_func=lambda f: t(FIND_BY[f]), horizontal=True,
                   key="compose_find_by")
    rows = campaign.candidates.index
    if how == "row":
        row = st.number_input(t("compose.col.row"), min_value=int(rows.min()), max_value=int(rows.max()),
                              key="compose_row")
    else:
        wanted = st.text_input(t("compose.col.customer_id"), key="compose_uid")
        match = campaign.candidates.index[campaign.candidates["uniqueId"] == wanted.strip()]
        row = int(match[0]) if len(match) else None
    if row is not None and row in rows:
        show_message(int(row))
    elif row is not None:
        reason = excluded.loc[excluded[row_column] == row, reason_column]
        st.info(t("compose.find.left_out", row=str(row), reason=str(reason.iloc[0])) if len(reason)
                else t("compose.find.no_row", row=str(row)))
    else:
        st.info(t("compose.find.no_customer"))
with excluded_tab:
    left_out_table = excluded.head(5000)
    left_out_table = left_out_table.assign(**{reason_column: left_out_table[reason_column].map(str)}).set_axis(
        [t("compose.col.row"), t("compose.col.customer_id"), t("compose.col.why_left_out")], axis=1)
    st.dataframe(left_out_table, hide_index=True, width="stretch", row_height=WRAPPED_ROW,
                 column_config={t("compose.col.row"): st.column_config.NumberColumn(width=60),
                                t("compose.col.customer_id"): st.column_config.TextColumn(width=120),
                                t("compose.col.why_left_out"): st.column_config.TextColumn(width=ui.FITS_1024 - 180)})
if campaign.sendable_count == 0:
    if campaign.left_out_counts:
        st.error(f"{wording.everyone_left_out(campaign.left_out_counts)} {t('compose.nothing_will_be_sent')}")
    else:
        st.error(t("compose.everyone_left_out"))
    st.stop()

# ---- 4. Schedule ------------------------------------------------------------------------------
step(4, t("compose.step.when"))
tz = settings.tz
now = datetime.now(tz)


def schedule_for(offer: datetime) -> None:
    # A callback runs before the widgets are drawn, so it may set their values.
    local = offer.astimezone(tz)
    state["compose_when"], state["compose_day"], state["compose_time"] = "at", local.date(), local.time()


WHEN = {"now": "compose.when.now", "at": "compose.when.at"}
when_choice = st.radio(t("compose.when"), list(WHEN), format_func=lambda w: t(WHEN[w]), horizontal=True,
                       key="compose_when")
scheduled = None
if when_choice != "now":
    tomorrow_ten = (now + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    state.setdefault("compose_day", tomorrow_ten.date())
    state.setdefault("compose_time", tomorrow_ten.time())
    left, right = st.columns(2)
    day = left.date_input(t("compose.when.date"), key="compose_day", format="DD/MM/YYYY")
    at = right.time_input(t("compose.when.time"), step=300, key="compose_time")
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
        str(offer_label(exc.offer, now, tz)), key="compose_quiet_offer", on_click=schedule_for, args=(exc.offer,),
        type="primary",
    )
    st.stop()
if scheduled is not None:
    st.caption(t("compose.when.goes_out", when=str(format_when(scheduled, tz)), timezone=settings.timezone))

try:
    manifest = ui.cached_manifest(campaign, scheduled)
except ManifestError as exc:
    st.error(str(exc))
    st.stop()
engine = rt.engine()

# ---- 5. Test send -----------------------------------------------------------------------------
step(5, t("compose.step.test"))
with st.container(border=True):
    left, right = st.columns([2, 1], vertical_alignment="bottom")  # a label on two lines keeps the fields level
    own = left.text_input(t("compose.test.own_mobile") if template.channel == Channel.SMS else t("compose.test.own_email"),
                          key="compose_own_address")
    test_row = right.selectbox(t("compose.test.row"), list(campaign.sendable_rows[:1000]), key="compose_test_row")
    if st.button(t("compose.test.button"), key="compose_send_test", disabled=not own):
        try:
            test = build_test_send(campaign, int(test_row), own_address(
                template.channel, own, settings.region, settings.allowed_countries))
        except ValueError as exc:
            st.error(str(exc))
        else:
            # A test goes to one person who waits for it: posted from here, not queued behind campaigns.
            with st.spinner(t("compose.test.sending")):
                try:
                    result = engine.submit(test, is_test=True, created_by=person.actor)
                except SendError as exc:
                    result = None
                    st.error(t("compose.test.not_sent", reason=str(exc)))
            if result is not None:
                references = ", ".join(map(str, result.dispatch_ids))
                (st.success if result.complete else st.error)(
                    t("compose.test.result", headline=str(result.headline))
                    + (" " + t("compose.test.reference", references=references) if references else ""))

# ---- 6. Confirm -------------------------------------------------------------------------------
step(6, t("compose.step.confirm"))
send_key = f"compose_send_{manifest.hash}"
sent_id = state.get(send_key)
awaiting_key = f"compose_awaiting_{manifest.hash}"  # the send this session submitted for approval
previous = [] if sent_id or state.get(awaiting_key) else engine.find_previous_sends(manifest)
platform = t("compose.confirm.sandbox") if rt.is_sandbox else rt.platform_url
summary = confirmation_summary(campaign, len(manifest), scheduled, tz, platform, settings.currency)


def show_summary() -> None:
    st.markdown("\n".join(f"- **{label}:** {ui.escape(str(value))}" for label, value in summary.items()))
    if not rt.is_sandbox:
        st.markdown(
            '<div class="cc-banner cc-live">'
            + t("compose.confirm.live", platform=f"<b>{ui.escape(rt.platform_url)}</b>") + "</div>",
            unsafe_allow_html=True,
        )


with st.container(border=True, key="confirm-summary"):
    show_summary()

# Checked again right before the send is queued: the opt-out setting may have changed since the template was
# saved, and the clock may have reached quiet hours since step 4 was drawn.
refusal = None if sent_id is not None else send_refusal(template, settings, scheduled)
if refusal is not None:
    st.error(str(refusal.message))
    if refusal.offer is not None:
        st.button(str(offer_label(refusal.offer, datetime.now(tz), tz)), key="compose_refusal_offer", on_click=schedule_for,
                  args=(refusal.offer,))
    st.stop()

resend_of = None
if previous:
    latest = previous[-1]
    st.error(str(engine.describe_previous(latest)))
    typed = st.text_input(t("compose.resend.type", send=str(latest.id)), key="compose_resend")
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


label = str(send_button_label(len(manifest), scheduled, tz, needs_approval=needs_approval))
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


@st.dialog(t("compose.confirm.dialog"), width="large", on_dismiss=close_confirmation)
@ui.in_reader_language
def confirm_send() -> None:
    # Money is spent on a live platform: the person reads what goes out and types how many people get it.
    show_summary()
    typed = st.text_input(t("compose.confirm.type", count=len(manifest)), key="compose_typed_count")
    ok = typed_count_matches(typed, len(manifest))
    if typed.strip() and not ok:
        st.error(t("compose.confirm.mistyped", count=len(manifest)))
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
    st.info(str(approvals.submitted_sentence(state[awaiting_key])), icon=":material/hourglass_top:")

# ---- 7. Result --------------------------------------------------------------------------------
if sent_id is not None:
    step(7, t("compose.step.result"))
    ui.send_panel(int(sent_id), engine, person, key="compose-result")
