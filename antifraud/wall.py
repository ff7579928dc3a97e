"""Wall mode (`?wall=1`): the meeting-room screen — dark, large, no sidebar, toolbar or nav.

Minimal: the look only. Rotation and refresh are added by the wall engineer.
"""
from __future__ import annotations

import streamlit as st

# Only selectors Streamlit exposes as stable test ids; no external fonts or assets.
CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stSidebarNav"], [data-testid="stToolbar"], [data-testid="stHeader"],
[data-testid="stDecoration"], [data-testid="stStatusWidget"], footer { display: none !important; }
.stApp, [data-testid="stAppViewContainer"] { background: #0e1117; color: #e8eaed; }
html, body, [class*="css"] { font-size: 20px; }
[data-testid="stMetricValue"] { font-size: 3rem; }
[data-testid="stMainBlockContainer"], .block-container { padding-top: 1rem; max-width: 100%; }
h1, h2, h3, p, span, label, div { color: #e8eaed; }
</style>
"""


def apply() -> None:
    from antifraud import charts
    charts.use_template(dark=True)
    st.html(CSS)
