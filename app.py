"""Campaign Console: the entry point. Builds the navigation; each page is a short script in pages/."""

import streamlit as st

import ui

st.set_page_config(page_title="Campaign Console", page_icon="✉️", layout="wide")
ui.inject_css()
runtime = ui.get_runtime()
ui.platform_banner(runtime)

navigation = st.navigation(
    [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("pages/compose.py", title="Compose", icon=":material/edit_square:"),
        st.Page("pages/dispatches.py", title="Dispatches", icon=":material/monitoring:"),
        st.Page("pages/templates.py", title="Templates", icon=":material/description:"),
        st.Page("pages/do_not_contact.py", title="Do not contact", icon=":material/block:"),
    ]
)
ui.mark_shell_drawn()
navigation.run()
