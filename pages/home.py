"""Home: which platform the console is connected to, and whether it answers."""

import time

import streamlit as st

import ui
from lib import i18n
from lib.i18n import t
from lib.team import AccessMode, Action, can

person = ui.current_person()
rt = ui.page_setup()
st.title(t("ui.app_name"))
st.write(t("home.intro"))

if ui.access_mode(rt) is AccessMode.SIGN_IN:
    st.caption(t("home.signed_in_as", name=person.name, role=person.role.in_sentence))
else:
    st.info(t("home.no_sign_in", name=person.name), icon=":material/person:")

links = [("pages/compose.py", Action.COMPOSE, t("home.link.compose"), ":material/edit_square:"),
         ("pages/dispatches.py", Action.VIEW_DISPATCHES, t("home.link.dispatches"), ":material/monitoring:"),
         ("pages/templates.py", Action.MANAGE_TEMPLATES, t("home.link.templates"), ":material/description:")]
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
    st.subheader(t("home.connection"))
    left, right = st.columns(2)
    left.markdown(f"**{t('home.platform')}**")
    left.write(t("home.platform.sandbox") if rt.is_sandbox else t("home.platform.live"))
    left.markdown(f"**{t('home.address')}**")
    left.code(rt.platform_url, language=None)
    right.markdown(f"**{t('home.user')}**")
    right.write(rt.settings.api_user)
    right.markdown(f"**{t('home.password')}**")
    right.write(t("home.password.set") if rt.settings.api_password else t("home.password.not_set"))
    if status.reachable and status.authenticated is not False:
        st.success(str(status.message), icon=":material/check_circle:")
    elif status.reachable:
        st.error(str(status.message), icon=":material/key_off:")
    else:
        st.error(str(status.message), icon=":material/cloud_off:")
    if st.button(t("home.check_again"), key="home_check_again"):
        st.session_state["recheck_connection"] = True
        st.rerun()

with st.container(border=True):
    st.subheader(t("home.settings"))
    s = rt.settings
    st.markdown("\n".join(f"- {line}" for line in [
        t("home.settings.region", region=s.region, countries=", ".join(s.allowed_countries)),
        t("home.settings.timezone", timezone=s.timezone),
        t("home.settings.batch", batch=s.batch_size, language=i18n.LANGUAGES[i18n.current()]),
        t("home.settings.price", price=i18n.money(s.sms_part_price, s.currency)),
    ]))
