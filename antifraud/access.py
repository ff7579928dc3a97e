"""Who may see a page. Minimal for now: the import page is off unless settings enable it.

Another engineer adds login here later; every page reaches this through `ui.frame`,
so a page URL requested directly is checked as well.
"""
from __future__ import annotations

from antifraud import config

IMPORT_TITLE = "数据导入"


def import_enabled() -> bool:
    return bool(config.setting("import.enabled", False))


def allowed(title: str) -> tuple[bool, str]:
    """(allowed, reason shown when not)."""
    if title == IMPORT_TITLE and not import_enabled():
        return False, "数据导入页面未启用：请在 settings.toml 的 [import] 中设置 enabled = true。"
    return True, ""


def check(ctx) -> None:
    """Stop the page with a calm sentence when it may not be shown."""
    ok, reason = allowed(ctx.title)
    if not ok:
        import streamlit as st
        st.markdown(f"### {ctx.title}")
        st.info(reason)
        st.stop()
