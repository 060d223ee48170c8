"""Campaign Console: the entry point. Decides who is using it, then builds the navigation they may see;
each page is a short script in pages/ and checks its own action again (a page can be opened by URL).

Every page is reached through this script, so every page gets the console's layout (banner, sidebar).
Streamlit would otherwise treat the `pages/` folder as a navigation of its own on the first request
after a server start (listing app, compose, … and running a page without this script): the config
hides that list (client.showSidebarNavigation = false) and `ui.own_navigation` reruns such a request
through this script. Because that config also hides st.navigation's sidebar, the sidebar's links are
drawn here.
"""

import streamlit as st

import ui
from lib.i18n import t
from lib.team import Action, can

ui.own_navigation()
st.set_page_config(page_icon="✉️", layout="wide")
ui.inject_css()
runtime = ui.get_runtime()
ui.use_reader_language(runtime)  # before any word is drawn, the sign-in screen's included
st.set_page_config(page_title=t("ui.app_name"))
ui.language_picker(runtime)
person = ui.current_person()  # stops here for someone not signed in, or not in the team: they see nothing else
ui.platform_banner(runtime)
links = st.sidebar.container()  # the page links above who is signed in
ui.identity_sidebar(person)

PAGES = [
    (None, st.Page("pages/home.py", title=t("app.page.home"), icon=":material/home:", default=True)),
    (Action.COMPOSE, st.Page("pages/compose.py", title=t("app.page.compose"), icon=":material/edit_square:")),
    (Action.VIEW_DISPATCHES, st.Page("pages/dispatches.py", title=t("app.page.dispatches"), icon=":material/monitoring:")),
    (Action.APPROVE_SEND, st.Page("pages/approvals.py", title=t("app.page.approvals"), icon=":material/approval:")),
    (Action.MANAGE_TEMPLATES, st.Page("pages/templates.py", title=t("app.page.templates"), icon=":material/description:")),
    (Action.MANAGE_OPTOUTS, st.Page("pages/do_not_contact.py", title=t("app.page.do_not_contact"), icon=":material/block:")),
    (Action.MANAGE_TEAM, st.Page("pages/team.py", title=t("app.page.team"), icon=":material/group:")),
    (Action.VIEW_AUDIT, st.Page("pages/audit.py", title=t("app.page.audit"), icon=":material/fact_check:")),
]
# Without sign-in there is one person and no approval (lib.approvals): no Approvals page either.
PAGES = [(a, p) for a, p in PAGES if not (person.local and a is Action.APPROVE_SEND)]
allowed = [page for action, page in PAGES if action is None or can(person, action)]
navigation = st.navigation(allowed, position="hidden")
ui.sidebar_navigation(allowed, links)
ui.mark_shell_drawn()
ui.freeze_long_lived_objects()  # before the page's data is read: only the imports are long-lived for sure
navigation.run()
