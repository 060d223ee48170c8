"""Campaign Console: the entry point. Owns the navigation; each page is a short script in pages/.

Every page is reached through this script, so every page gets the console's layout (banner, sidebar).
Streamlit would otherwise treat the `pages/` folder as a navigation of its own on the first request
after a server start (listing app, compose, … and running a page without this script): the config
hides that list (client.showSidebarNavigation = false) and `ui.own_navigation` reruns such a request
through this script. Because that config also hides st.navigation's sidebar, the sidebar's links are
drawn here.
"""

import streamlit as st

import ui

ui.own_navigation()
st.set_page_config(page_title="Campaign Console", page_icon="✉️", layout="wide")
ui.inject_css()
runtime = ui.get_runtime()
ui.platform_banner(runtime)

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/compose.py", title="Compose", icon=":material/edit_square:"),
    st.Page("pages/dispatches.py", title="Dispatches", icon=":material/monitoring:"),
    st.Page("pages/templates.py", title="Templates", icon=":material/description:"),
]
navigation = st.navigation(PAGES, position="hidden")
ui.sidebar_navigation(PAGES)
ui.mark_shell_drawn()
navigation.run()
