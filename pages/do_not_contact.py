"""Do not contact: the people who must never get a message. Add one, import a file, search, remove
with a reason, export. Every decision lives in lib.ledger.optout; this page only draws."""

import pandas as pd
import streamlit as st

import ui
from lib.ledger.optout import OptOutError, OptOutList
from lib.recipients import RecipientFileError
from lib.team import Action

person = ui.require_action(Action.MANAGE_OPTOUTS)
rt = ui.page_setup()
optouts = OptOutList(rt.ledger)
operator = person.actor
CHANNEL_WORDS = {"both": "SMS and email", "sms": "SMS", "email": "Email"}
st.title("Do not contact")
st.caption("People on this list never get a message from the console, whatever the list or template. "
           "Anyone added here is also taken out of sends already under way, right before their message goes out.")
st.metric("On the list", f"{optouts.count():,}")

add_tab, import_tab = st.tabs(["Add one", "Import a file"])
with add_tab, st.form("dnc_add", clear_on_submit=True):
    left, right = st.columns([3, 2])  # "SMS and email" whole even at 1024 px; the reason gets its own line
    value = left.text_input("Mobile number, email address or customer id", key="dnc_value")
    channel = right.selectbox("For", list(CHANNEL_WORDS), format_func=CHANNEL_WORDS.get, key="dnc_channel")
    reason = st.text_input("Why (for example: replied STOP)", key="dnc_reason")
    is_customer = st.checkbox("This is a customer id", key="dnc_is_customer")
    if st.form_submit_button("Add to the list"):
        try:
            entry = optouts.add(value, channel=channel, reason=reason, source="Do not contact page",
                                added_by=operator, customer_id=is_customer)
        except OptOutError as exc:
            st.error(str(exc))
        else:
            st.success(f"{entry.value} will not be contacted ({CHANNEL_WORDS[entry.channel]}).")
with import_tab:
    upload = st.file_uploader("A CSV or Excel file with a column of mobile numbers, email addresses or customer ids",
                              type=["csv", "txt", "tsv", "xlsx"], key="dnc_upload")
    left, right = st.columns(2)
    file_channel = left.selectbox("For", list(CHANNEL_WORDS), format_func=CHANNEL_WORDS.get, key="dnc_file_channel")
    file_reason = right.text_input("Why, for rows without a reason column", key="dnc_file_reason")
    if upload is not None and st.button("Import", key="dnc_import"):
        try:
            report = optouts.import_file(upload.getvalue(), upload.name, channel=file_channel, reason=file_reason,
                                         added_by=operator)
        except (OptOutError, RecipientFileError) as exc:
            st.error(str(exc))
        else:
            sentences = report.sentences()
            st.success(sentences[0])
            if report.problems:
                st.warning(sentences[1])
                st.dataframe(pd.DataFrame(report.problems, columns=["Row", "Column", "Problem"]),
                             hide_index=True, width="stretch")

st.subheader("The list")
search = st.text_input("Search", key="dnc_search", placeholder="A number, an address, an id or a reason")
entries = optouts.entries(search, limit=2000)
if entries:
    st.dataframe(pd.DataFrame([
        {"Who": e.value, "For": CHANNEL_WORDS[e.channel], "Why": e.reason, "Added by": e.added_by,
         "Added": e.added_at.astimezone(rt.settings.tz).strftime("%d %b %Y")}
        for e in entries  # what a person needs to find someone; the export has every column (kind, source, time)
    ]), hide_index=True, width="stretch")
else:
    st.info("Nobody matches." if search else "The list is empty.")
st.download_button("Export the list (CSV)", optouts.export_csv, file_name="do-not-contact.csv", key="dnc_export")

with st.expander("Take someone off the list"):
    who = st.selectbox("Who", [e.value for e in entries], index=None, key="dnc_remove_who",
                       placeholder="Choose an entry")
    why = st.text_input("Why (kept with the entry)", key="dnc_remove_reason")
    if st.button("Take off the list", key="dnc_remove", disabled=who is None or not why.strip()):
        chosen = next(e for e in entries if e.value == who)
        try:
            optouts.remove(who, reason=why, removed_by=operator, customer_id=chosen.kind == "customer")
        except OptOutError as exc:
            st.error(str(exc))
        else:
            st.success(f"{who} was taken off the list. The removal and its reason are kept.")
