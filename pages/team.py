"""Team: who may use the console and in which role (admins only; every change goes to the audit trail)."""

import pandas as pd
import streamlit as st

import ui
from lib import team
from lib.team import AccessMode, Action, NotAllowed, Role, TeamError

person = ui.require_action(Action.MANAGE_TEAM)
rt = ui.page_setup()
tz = rt.settings.tz
st.title("Team")
if ui.access_mode(rt) is not AccessMode.SIGN_IN:
    st.info("Sign-in is off, so nobody is asked who they are yet. The team below applies as soon as a sign-in "
            "provider is configured.", icon=":material/info:")
if flash := st.session_state.pop("team_flash", None):
    st.success(flash)

members = team.list_members(rt.store)
active = [m for m in members if m.active]
if members:
    st.dataframe(
        pd.DataFrame([
            {"Name": m.name, "Email": m.email, "Role": m.role.label, "Status": "Active" if m.active else "Removed",
             "Added by": m.added_by, "Added": m.added_at.astimezone(tz)}
            for m in members
        ], columns=["Name", "Email", "Role", "Status", "Added by", "Added"]),
        hide_index=True, width="stretch",
        column_config={"Added": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm")},
    )
in_team = f"{len(active)} {'person' if len(active) == 1 else 'people'} in the team." if active else \
    "Nobody is in the team yet: add the first people below."  # fmt: skip
st.caption(in_team + " " + " ".join(f"**{r.label}**: {r.description}." for r in Role))


def member_label(m) -> str:
    return f"{m.name} <{m.email}> · {m.role.value}"


def attempt(change, success: str) -> None:
    """Run a team change; its refusal is shown as the sentence lib wrote, nothing half-done."""
    try:
        change()
    except (TeamError, NotAllowed) as exc:
        st.error(str(exc))
    else:
        st.session_state["team_flash"] = success
        st.rerun()


add_tab, role_tab, remove_tab = st.tabs(["Add someone", "Change a role", "Remove someone"])
roles = [r.value for r in Role]

with add_tab, st.form("team_add", clear_on_submit=False):
    left, right = st.columns(2)
    email = left.text_input("Email address (the one they sign in with)", key="team_add_email")
    name = right.text_input("Name", key="team_add_name")
    role = st.radio("Role", roles, format_func=lambda r: f"{Role(r).label} — {Role(r).description}", key="team_add_role")
    if st.form_submit_button("Add to the team", type="primary"):
        attempt(lambda: team.add_member(rt.store, person, email, name, role),
                f"{name.strip()} can now sign in as {role}.")

with role_tab:
    if not active:
        st.write("Nobody is in the team yet.")
    else:
        chosen = st.selectbox("Person", active, format_func=member_label, key="team_role_person")
        new_role = st.radio("New role", roles, index=roles.index(chosen.role.value), horizontal=True,
                            format_func=lambda r: Role(r).label, key="team_role_role")
        if st.button("Change role", disabled=new_role == chosen.role.value, key="team_role_change"):
            attempt(lambda: team.change_role(rt.store, person, chosen.email, new_role),
                    f"{chosen.name} is now {new_role}.")

with remove_tab:
    if not active:
        st.write("Nobody is in the team yet.")
    else:
        leaving = st.selectbox("Person", active, format_func=member_label, key="team_remove_person")
        agreed = st.checkbox(f"Yes, {leaving.name} may no longer use the console", key="team_remove_ok")
        if st.button("Remove from the team", disabled=not agreed, key="team_remove"):
            st.session_state.pop("team_remove_ok", None)
            attempt(lambda: team.remove_member(rt.store, person, leaving.email),
                    f"{leaving.name} was removed: they can no longer sign in.")
