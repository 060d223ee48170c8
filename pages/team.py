"""Team: who may use the console and in which role (admins only; every change goes to the audit trail)."""

import pandas as pd
import streamlit as st

import ui
from lib import i18n, team
from lib.i18n import t
from lib.team import AccessMode, Action, NotAllowed, Role, TeamError

person = ui.require_action(Action.MANAGE_TEAM)
rt = ui.page_setup()
tz = rt.settings.tz
st.title(t("team.title"))
if ui.access_mode(rt) is not AccessMode.SIGN_IN:
    st.info(t("team.no_sign_in"), icon=":material/info:")
if flash := st.session_state.pop("team_flash", None):
    st.success(flash)

members = team.list_members(rt.store)
active = [m for m in members if m.active]
if members:
    columns = {"name": t("team.col.name"), "email": t("team.col.email"), "role": t("team.col.role"),
               "status": t("team.col.status"), "added": t("team.col.added")}
    st.dataframe(
        pd.DataFrame([
            {"name": m.name, "email": m.email, "role": m.role.label,
             "status": t("team.status.active") if m.active else t("team.status.removed"),
             "added": t("team.added_on_by", date=i18n.date_text(m.added_at.astimezone(tz)), who=m.added_by)}
            for m in members
        ], columns=list(columns)).rename(columns=columns),
        hide_index=True, width="stretch", row_height=ui.WRAPPED_ROW_HEIGHT,  # long names and emails wrap at 1024 px
        column_config={columns["name"]: st.column_config.TextColumn(width=120),
                       columns["email"]: st.column_config.TextColumn(width=130),
                       columns["role"]: st.column_config.TextColumn(width=105),
                       columns["status"]: st.column_config.TextColumn(width=80),
                       columns["added"]: st.column_config.TextColumn(width=125)},
    )
in_team = t("team.in_team", n=len(active)) if active else t("team.nobody_first")
st.caption(in_team + " " + " ".join(t("team.role_line", role=r.label, may=r.description) for r in Role))


def member_label(m) -> str:
    return f"{m.name} <{m.email}> · {m.role.label}"


def attempt(change, success: str) -> None:
    """Run a team change; its refusal is shown as the sentence lib wrote, nothing half-done."""
    try:
        change()
    except (TeamError, NotAllowed) as exc:
        st.error(str(exc))
    else:
        st.session_state["team_flash"] = success
        st.rerun()


add_tab, role_tab, remove_tab = st.tabs([t("team.tab.add"), t("team.tab.role"), t("team.tab.remove")])
roles = [r.value for r in Role]

with add_tab, st.form("team_add", clear_on_submit=False):
    left, right = st.columns(2)
    email = left.text_input(t("team.add.email"), key="team_add_email")
    name = right.text_input(t("team.add.name"), key="team_add_name")
    role = st.radio(t("team.add.role"), roles, key="team_add_role",
                    format_func=lambda r: t("team.role_choice", role=Role(r).label, may=Role(r).description))
    if st.form_submit_button(t("team.add.button"), type="primary", key="team_add_submit"):
        attempt(lambda: team.add_member(rt.store, person, email, name, role),
                t("team.add.done", name=name.strip(), role=Role(role).in_sentence))

with role_tab:
    if not active:
        st.write(t("team.nobody"))
    else:
        chosen = st.selectbox(t("team.person"), active, format_func=member_label, key="team_role_person")
        new_role = st.radio(t("team.role_tab.new_role"), roles, index=roles.index(chosen.role.value), horizontal=True,
                            format_func=lambda r: Role(r).label, key="team_role_role")
        if st.button(t("team.role_tab.button"), disabled=new_role == chosen.role.value, key="team_role_change"):
            attempt(lambda: team.change_role(rt.store, person, chosen.email, new_role),
                    t("team.role_tab.done", name=chosen.name, role=Role(new_role).in_sentence))

with remove_tab:
    if not active:
        st.write(t("team.nobody"))
    else:
        leaving = st.selectbox(t("team.person"), active, format_func=member_label, key="team_remove_person")
        agreed = st.checkbox(t("team.remove.confirm", name=leaving.name), key="team_remove_ok")
        if st.button(t("team.remove.button"), disabled=not agreed, key="team_remove"):
            st.session_state.pop("team_remove_ok", None)
            attempt(lambda: team.remove_member(rt.store, person, leaving.email),
                    t("team.remove.done", name=leaving.name))
