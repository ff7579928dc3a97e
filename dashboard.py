"""反诈研判指挥看板 — entry point: `streamlit run dashboard.py`.

Registers the pages (registry.PAGES and the wall's hidden opening slide) with st.navigation
and runs the chosen one inside `ui.shared_frame()`, which draws the shared filters here, in
the entry script, so that their URL parameters survive page changes (widgets drawn inside a
page lose theirs). Every page still starts with `ui.frame()` (header, access check) and draws
the filters itself when it runs alone: a freshly started server may run a page URL without
this file (DESIGN.md, the `pages/` folder trap).
"""
import streamlit as st

from antifraud import registry, ui, wall

st.set_page_config(page_title=ui.APP_TITLE, layout="wide",
                   initial_sidebar_state="collapsed" if registry.is_wall() else "auto")
page = st.navigation(registry.navigation_pages(), position="hidden" if registry.is_wall() else "sidebar")
registry.follow_page_param(page)
with wall.calm_errors():  # on the wall an error is a calm sentence, never a traceback
    with ui.shared_frame():  # filters drawn here keep their URL parameters across page changes
        page.run()
