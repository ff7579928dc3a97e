"""反诈研判指挥看板 — entry point: `streamlit run dashboard.py`.

Registers the agenda pages (ui.PAGES) with st.navigation and runs the chosen one. The
shared filters, header and access check are not drawn here: every page calls
`ui.frame()` itself, because a freshly started server may run a page URL without this
file (DESIGN.md, the `pages/` folder trap).
"""
import streamlit as st

from antifraud import ui

st.set_page_config(page_title=ui.APP_TITLE, layout="wide",
                   initial_sidebar_state="collapsed" if ui.is_wall() else "auto")
page = st.navigation(ui.navigation_pages(), position="hidden" if ui.is_wall() else "sidebar")
ui.follow_page_param(page)
page.run()
