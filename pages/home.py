"""Home: which platform the console is connected to, and whether it answers."""

import time

import streamlit as st

import ui
from lib.team import AccessMode, Action, can

person = ui.current_person()
rt = ui.page_setup()
st.title("Campaign Console")
st.write(
    "Compose SMS and email campaigns from a template and your customer spreadsheet, check every "
    "personalised message before anything leaves, send now or later, and follow what happened."
)

if ui.access_mode(rt) is AccessMode.SIGN_IN:
    st.caption(f"Signed in as {person.name} ({person.role.label.lower()}).")
else:
    st.info(f"No sign-in: anyone who can open this console works as **{person.name}**, with every role "
            "(set CONSOLE_OPERATOR to change the name). Configure sign-in before sharing it with a team.",
            icon=":material/person:")

links = [("pages/compose.py", Action.COMPOSE, "Compose a campaign", ":material/edit_square:"),
         ("pages/dispatches.py", Action.VIEW_DISPATCHES, "Follow what was sent", ":material/monitoring:"),
         ("pages/templates.py", Action.MANAGE_TEMPLATES, "Manage templates", ":material/description:")]
allowed_links = [(page, label, icon) for page, action, label, icon in links if can(person, action)]
for column, (page, label, icon) in zip(st.columns(3), allowed_links, strict=False):
    column.page_link(page, label=label, icon=icon)
if not can(person, Action.VIEW_SETTINGS):
    st.stop()  # the connection and the settings in force are for admins

CHECK_EVERY_SECONDS = 60
checked = st.session_state.get("connection_check")
if st.session_state.pop("recheck_connection", False) or not checked or time.time() - checked[0] > CHECK_EVERY_SECONDS:
    checked = (time.time(), rt.client.check_connection())
    st.session_state["connection_check"] = checked
status = checked[1]

with st.container(border=True, key="connection-panel"):
    st.subheader("Connection")
    left, right = st.columns(2)
    left.markdown("**Platform**")
    left.write("Embedded sandbox (local test platform)" if rt.is_sandbox else "Live messaging platform")
    left.markdown("**Address**")
    left.code(rt.platform_url, language=None)
    right.markdown("**User**")
    right.write(rt.settings.api_user)
    right.markdown("**Password**")
    right.write("Set (never shown)" if rt.settings.api_password else "Not set")
    if status.reachable and status.authenticated is not False:
        st.success(status.message, icon=":material/check_circle:")
    elif status.reachable:
        st.error(status.message, icon=":material/key_off:")
    else:
        st.error(status.message, icon=":material/cloud_off:")
    if st.button("Check again"):
        st.session_state["recheck_connection"] = True
        st.rerun()

with st.container(border=True):
    st.subheader("Settings in force")
    s = rt.settings
    st.markdown(
        f"- Mobile numbers read as **{s.region}** when they have no country code; allowed countries: "
        f"**{', '.join(s.allowed_countries)}**\n"
        f"- Times shown and scheduled in **{s.timezone}**\n"
        f"- Recipients sent **{s.batch_size:,}** per request; platform messages in **{s.language}**\n"
        f"- Estimated price per SMS part: **{s.sms_part_price}**"
    )
