"""The page registry and navigation: which pages exist, in agenda order, and how `?page=` and
`?wall=` steer them. dashboard.py hands `navigation_pages()` to st.navigation; the shared
frame (ui), the wall's rotation (wall) and the tests read `PAGES`.

Only registered pages live in `pages/` (DESIGN.md, the `pages/` folder trap): an unregistered
file there would still be served.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from antifraud import config
from antifraud.texts import plain

ROOT = config.ROOT


@dataclass(frozen=True)
class PageSpec:
    file: str          # relative to the project root
    title: str
    url_path: str

    @property
    def path(self) -> Path:
        return ROOT / self.file


# The single registry of pages, in agenda order. dashboard.py passes these to st.navigation.
PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/overview.py", "本周态势", "overview"),
    PageSpec("pages/areas.py", "高发区域", "areas"),
    PageSpec("pages/interception.py", "止付冻结", "interception"),
    PageSpec("pages/warnings.py", "预警劝阻", "warnings"),
    PageSpec("pages/types.py", "诈骗类型", "types"),
    PageSpec("pages/bureaus.py", "分县局排名", "bureaus"),
    PageSpec("pages/followup.py", "督办", "followup"),
    PageSpec("pages/data_import.py", "数据导入", "import"),
)

IMPORT_PAGE = "import"      # the upload page: not on the meeting's agenda (it reads no figures)


def agenda() -> list[PageSpec]:
    """The meeting's pages whose file exists, in agenda order (every page but the import)."""
    return [p for p in PAGES if p.path.exists() and p.url_path != IMPORT_PAGE]


# The opening slide of the wall (what changed beyond chance): registered, but not in the menu.
CHANGES = PageSpec("pages/changes.py", "本周显著变化", "changes")


def is_wall() -> bool:
    return str(st.query_params.get("wall", "")).strip().lower() in ("1", "true", "yes", "on")


_NAV: dict[str, object] = {}


def navigation_pages() -> list:
    """st.Page objects for the registered pages whose file exists (bureaus.py may land later)."""
    out = []
    for i, spec in enumerate(p for p in PAGES if p.path.exists()):
        page = st.Page(str(spec.path), title=spec.title, url_path=spec.url_path, default=(i == 0))
        _NAV[spec.url_path] = page
        out.append(page)
    # the wall's opening slide: reachable by its link and by `?page=changes`, never in the menu
    _NAV[CHANGES.url_path] = st.Page(str(CHANGES.path), title=CHANGES.title, url_path=CHANGES.url_path,
                                     visibility="hidden")
    return out + [_NAV[CHANGES.url_path]]


def follow_page_param(current) -> None:
    """`?page=areas` opens that page (shared links, the wall); an unknown name gets a notice."""
    wanted = str(st.query_params.get("page", "")).strip()
    if not wanted:
        return
    target = _NAV.get(wanted)
    if target is None:
        st.session_state["_page_notice"] = f"链接中的页面 “{plain(wanted)}” 不存在，已显示首页。"
        return
    if getattr(current, "url_path", None) == target.url_path:
        return
    # the wall keeps `page` (it pins the rotation); elsewhere it would hold the user on this page
    keep = {k: st.query_params.get_all(k) for k in st.query_params if k != "page" or is_wall()}
    st.switch_page(target, query_params=keep)
