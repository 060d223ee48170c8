"""Do not contact: the people who must never get a message. Add one, import a file, search, remove
with a reason, export. Every decision lives in lib.ledger.optout; this page only draws."""

import pandas as pd
import streamlit as st

import ui
from lib import i18n
from lib.i18n import t
from lib.ledger.optout import OptOutError, OptOutList, Source
from lib.recipients import RecipientFileError
from lib.team import Action

person = ui.require_action(Action.MANAGE_OPTOUTS)
rt = ui.page_setup()
optouts = OptOutList(rt.ledger)
operator = person.actor
CHANNEL_KEYS = {"both": "do_not_contact.channel.both", "sms": "do_not_contact.channel.sms",
                "email": "do_not_contact.channel.email"}


def channel_words(channel: str) -> str:
    return t(CHANNEL_KEYS[channel])


st.title(t("do_not_contact.title"))
st.caption(t("do_not_contact.about"))
on_the_list = st.empty()  # filled at the end, so it counts what this run added or took off

add_tab, import_tab = st.tabs([t("do_not_contact.tab.add"), t("do_not_contact.tab.import")])
with add_tab, st.form("dnc_add", clear_on_submit=True):
    left, right = st.columns([3, 2])  # "SMS and email" whole even at 1024 px; the reason gets its own line
    value = left.text_input(t("do_not_contact.add.value"), key="dnc_value")
    channel = right.selectbox(t("do_not_contact.for"), list(CHANNEL_KEYS), format_func=channel_words, key="dnc_channel")
    reason = st.text_input(t("do_not_contact.add.reason"), key="dnc_reason")
    is_customer = st.checkbox(t("do_not_contact.add.is_customer"), key="dnc_is_customer")
    if st.form_submit_button(t("do_not_contact.add.button"), key="dnc_add"):
        try:
            entry = optouts.add(value, channel=channel, reason=reason, source=Source.PAGE,
                                added_by=operator, customer_id=is_customer)
        except OptOutError as exc:
            st.error(str(exc))
        else:
            st.success(t("do_not_contact.add.done", value=entry.value, channel=channel_words(entry.channel)))
with import_tab:
    upload = st.file_uploader(t("do_not_contact.import.file"), type=["csv", "txt", "tsv", "xlsx"], key="dnc_upload")
    left, right = st.columns(2)
    file_channel = left.selectbox(t("do_not_contact.for"), list(CHANNEL_KEYS), format_func=channel_words,
                                  key="dnc_file_channel")
    file_reason = right.text_input(t("do_not_contact.import.reason"), key="dnc_file_reason")
    if upload is not None and st.button(t("do_not_contact.import.button"), key="dnc_import"):
        try:
            report = optouts.import_file(upload.getvalue(), upload.name, channel=file_channel, reason=file_reason,
                                         added_by=operator)
        except (OptOutError, RecipientFileError) as exc:
            st.error(str(exc))
        else:
            sentences = report.sentences()
            st.success(str(sentences[0]))
            if report.problems:
                st.warning(str(sentences[1]))
                columns = [t("do_not_contact.col.row"), t("do_not_contact.col.column"), t("do_not_contact.col.problem")]
                problems = pd.DataFrame([(row, column, str(problem)) for row, column, problem in report.problems],
                                        columns=columns)
                st.dataframe(problems, hide_index=True, width="stretch",
                             column_config={columns[2]: st.column_config.TextColumn(width="large")})

st.subheader(t("do_not_contact.list"))
search = st.text_input(t("do_not_contact.search"), key="dnc_search", placeholder=t("do_not_contact.search.placeholder"))
entries = optouts.entries(search, limit=2000)
if entries:
    columns = {"who": t("do_not_contact.col.who"), "for": t("do_not_contact.for"), "why": t("do_not_contact.col.why"),
               "added_by": t("do_not_contact.col.added_by"), "added": t("do_not_contact.col.added")}
    st.dataframe(pd.DataFrame([
        {"who": e.value, "for": channel_words(e.channel), "why": e.reason, "added_by": e.added_by,
         "added": i18n.date_text(e.added_at.astimezone(rt.settings.tz))}
        for e in entries  # what a person needs to find someone; the export has every column (kind, source, time)
    ], columns=list(columns)).rename(columns=columns), hide_index=True, width="stretch")
else:
    st.info(t("do_not_contact.no_match") if search else t("do_not_contact.empty"))
st.download_button(t("do_not_contact.export"), optouts.export_csv, file_name="do-not-contact.csv", key="dnc_export")

with st.expander(t("do_not_contact.remove")):
    who = st.selectbox(t("do_not_contact.col.who"), [e.value for e in entries], index=None, key="dnc_remove_who",
                       placeholder=t("do_not_contact.remove.choose"))
    why = st.text_input(t("do_not_contact.remove.reason"), key="dnc_remove_reason")
    if st.button(t("do_not_contact.remove.button"), key="dnc_remove", disabled=who is None or not why.strip()):
        chosen = next(e for e in entries if e.value == who)
        try:
            optouts.remove(who, reason=why, removed_by=operator, customer_id=chosen.kind == "customer")
        except OptOutError as exc:
            st.error(str(exc))
        else:
            st.success(t("do_not_contact.remove.done", value=who))
on_the_list.metric(t("do_not_contact.on_the_list"), i18n.number(optouts.count()))
