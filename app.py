"""Campaign Console: the entry point. Decides who is using it, then builds the navigation they may see;
each page is a short script in pages/ and checks its own action again (a page can be opened by URL)."""

import streamlit as st

import ui
from lib.team import Action, can

st.set_page_config(page_title="Campaign Console", page_icon="✉️", layout="wide")
ui.inject_css()
runtime = ui.get_runtime()
person = ui.current_person()  # stops here for someone not signed in, or not in the team: they see nothing else
ui.platform_banner(runtime)
ui.identity_sidebar(person)

PAGES = [
    (None, st.Page("pages/home.py", title="Home", icon=":material/home:", default=True)),
    (Action.COMPOSE, st.Page("pages/compose.py", title="Compose", icon=":material/edit_square:")),
    (Action.VIEW_DISPATCHES, st.Page("pages/dispatches.py", title="Dispatches", icon=":material/monitoring:")),
    (Action.MANAGE_TEMPLATES, st.Page("pages/templates.py", title="Templates", icon=":material/description:")),
    (Action.MANAGE_OPTOUTS, st.Page("pages/do_not_contact.py", title="Do not contact", icon=":material/block:")),
    (Action.MANAGE_TEAM, st.Page("pages/team.py", title="Team", icon=":material/group:")),
    (Action.VIEW_AUDIT, st.Page("pages/audit.py", title="Audit", icon=":material/fact_check:")),
]
navigation = st.navigation([page for action, page in PAGES if action is None or can(person, action)])
ui.mark_shell_drawn()
navigation.run()
