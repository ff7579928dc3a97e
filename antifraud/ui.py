"""The shared frame every page starts with: filters bound to the URL, header, access check.

A page is complete on its own: on a freshly started server the first request to a page
URL runs that page without dashboard.py (DESIGN.md, the `pages/` folder trap), so the
page itself calls `frame()` first. dashboard.py only registers the pages (registry.PAGES).
The other jobs live beside it: the registry and navigation (registry), pure text (texts),
the page widgets (widgets), the wall's look and rotation (wall).

URL parameters (DATA.md): `week`, `month`, `district` (repeatable), `type` (repeatable),
`wall`, `page`. The widgets are bound to them with `bind="query-params"`; Streamlit
drops an invalid bound value silently, so `frame()` reads the raw values first and
names what it ignored in a visible notice.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import streamlit as st

import queries
from antifraud import access, clock, config, measures, periods, registry, wall as wall_mode
from antifraud.measures import Filters
from antifraud.periods import Period
from antifraud.texts import (MONTH_OFF, choose_period, header_text, linked_options, marking_css, month_options,
                             plain, url_notices, week_options)
from antifraud.widgets import audited

APP_TITLE = "反诈研判指挥看板"
# Six KPI tiles side by side: a value like "28,512.97万元" must fit a sixth of a laptop screen.
BROWSER_CSS = """<style>
[data-testid="stMetricValue"] { font-size: clamp(1.3rem, 1.65vw, 2.25rem); }
</style>"""


# DATA.md's canonical list, in its order; types found in the data are appended.
FRAUD_TYPES = ("刷单返利", "虚假贷款", "冒充电商物流客服", "虚假投资理财", "虚假征信", "冒充公检法",
               "虚假购物服务", "冒充领导熟人", "冒充军警购物", "网络游戏交易", "网络婚恋交友", "加盟代理", "其他")


@dataclass
class Context(periods.SpanView):
    title: str
    period: Period
    filters: Filters
    districts: list[str]
    types: list[str]
    wall: bool
    span: periods.DataSpan          # what the data covers; every "is this final?" comes from it
    city: str
    units: pd.DataFrame
    notices: list[str] = field(default_factory=list)
    user: access.Identity | None = None      # who is logged in; None when no login is configured

    @property
    def no_data(self) -> bool:
        return self.state == periods.NO_DATA

    @property
    def covered(self) -> dict:
        """For measures.kpis: which windows the data supports (no change against what it does not cover)."""
        return measures.coverage(self.period, self.span)

    @property
    def scope(self) -> str:
        return "、".join(self.districts) if self.districts else "全市"

    @property
    def period_word(self) -> str:
        return "本周" if self.period.kind == "week" else "本月"

    def derive(self, kind: str, compute, *key):
        """What a page derives from its reads for this period and filters (a table, a chart's
        figures), computed once per database stamp (queries.memo) and shared by every viewer of
        the same link; `key` tells apart several of one kind. The page must not change it."""
        return queries.memo(kind, (self.period, self.filters, self.span, *key), compute)

    def params(self, period: Period | None = None, **extra) -> dict:
        """Query parameters for the chosen filters over a period (end exclusive)."""
        p = period or self.period
        return {"start": p.start, "end": p.end_exclusive, **self.filters.params(), **extra}


def _raw_params() -> dict[str, list[str]]:
    return {k: [str(v) for v in st.query_params.get_all(k)] for k in FILTER_PARAMS}


def _ensure_database() -> bool:
    from antifraud import bootstrap
    path, is_default = config.db_path()
    notice = st.empty()
    if is_default and not path.exists():
        notice.info("首次运行：正在用 sample_data/ 的模拟数据建立数据库，约需十秒，完成后自动显示。")
    elif path.exists() and bootstrap.needs_rebuild(path):
        notice.info("数据库由旧版本建立：正在重建汇总表（数据不变），完成后自动显示。")
    try:
        path = bootstrap.ensure_database(path, is_default)
    except Exception as exc:  # noqa: BLE001 - the room must see a sentence, not a traceback
        st.error(f"数据库无法建立：{plain(type(exc).__name__)}。请先运行 python -m antifraud ingest 导入数据。")
        return False
    notice.empty()
    if not Path(path).exists():
        st.error(f"数据库文件不存在：{plain(path, 120)}。请先导入数据（python -m antifraud ingest）。")
        return False
    return True


# The context built by dashboard.py for the page it is about to run (same thread, this run only).
_run = threading.local()


def frame(title: str) -> Context:
    """The first call of every page: DB, page config, filters, header, access check.

    Under dashboard.py the filters were already drawn by `shared_frame()` (in the entry
    script, so their URL parameters survive page changes); a page run alone — the first
    request to a page URL on a fresh server — draws them itself.
    """
    shared = getattr(_run, "ctx", None)
    if shared is not None:
        ctx = dataclasses.replace(shared, title=title, notices=list(shared.notices))
        st.set_page_config(page_title=f"{title} · {APP_TITLE}")
    else:
        ctx = _build(title)
        if not ctx.wall:
            _agenda_links()
    access.check(ctx)
    header(ctx)
    return ctx


# Streamlit's own list of the files in pages/, shown while a fresh server has not yet seen
# st.navigation (the page ran alone): file names in English, in file order.
_AUTO_NAV_CSS = '<style>[data-testid="stSidebarNav"]{display:none}</style>'


FILTER_PARAMS = ("week", "month", "district", "type")


def _agenda_links() -> None:
    """A page run alone: the agenda in Chinese, in meeting order, in place of the file list.

    Each link goes through dashboard.py (`?page=`) with the filters: a page run alone draws its
    filters inside the page, and Streamlit drops a page's bound parameters when it leaves it, so a
    plain link would open the next page on the whole city — a Monday-morning link after a restart
    would lose its view. The entry script registers the navigation (ending the trap for every
    session) and `registry.follow_page_param` opens the page with the filters kept.
    """
    st.html(_AUTO_NAV_CSS)
    keep = {k: st.query_params.get_all(k) for k in FILTER_PARAMS if st.query_params.get_all(k)}
    with st.sidebar:
        for spec in registry.PAGES:
            if spec.path.exists():
                with contextlib.suppress(Exception):  # a link the running mode cannot resolve is left out
                    st.page_link("dashboard.py", label=spec.title, query_params={**keep, "page": spec.url_path})


@contextlib.contextmanager
def shared_frame():
    """dashboard.py: draw the shared filters in the entry script, then run the page inside."""
    _run.ctx = _build("")
    try:
        yield _run.ctx
    finally:
        _run.ctx = None


def _build(title: str) -> Context:
    """DB, page config, data status and the sidebar filters bound to the URL."""
    wall = registry.is_wall()
    st.set_page_config(page_title=f"{title} · {APP_TITLE}" if title else APP_TITLE, layout="wide",
                       initial_sidebar_state="collapsed" if wall else "auto")
    if wall:
        wall_mode.apply()
    else:
        from antifraud import charts
        charts.use_template(dark=False)
        st.html(BROWSER_CSS)
    # before anything is read: the login form when reading needs one; a kiosk account into wall mode
    who = access.gate(title, wall)
    if not _ensure_database():
        st.stop()

    span = measures.data_span()

    units = queries.run("units")
    district_names = [str(d) for d in units["district_name"].tolist()]
    present = queries.run("fraud_types_present")["fraud_type"].astype(str).tolist()
    type_names = list(FRAUD_TYPES) + [t for t in present if t not in FRAUD_TYPES]
    raw = _raw_params()
    weeks = linked_options(week_options(span.first_day, span.last_day), raw.get("week", []), "week")
    months = linked_options(month_options(span.first_day, span.last_day), raw.get("month", []), "month")
    default_week = span.default_week()
    if default_week.key not in weeks:
        weeks.insert(0, default_week.key)

    # a supervisor limited to some districts: the URL cannot widen it (options and filter both limited)
    allowed = access.allowed_districts(who, district_names)
    if allowed == []:       # restricted, but to names no unit carries: show nothing rather than the city
        st.error("您的账号限定的区县在单位表中不存在，无法显示数据。请联系管理员核对 [auth.districts] 设置。")
        st.stop()
    raw["district"], outside = access.split_districts(raw.get("district", []), district_names, allowed)
    visible = district_names if allowed is None else allowed
    notices = url_notices(raw, weeks, months, visible, type_names)
    if outside:
        notices.append(f"链接中的区县 {'、'.join(plain(d) for d in outside[:5])} 不在您的查看范围内，已忽略。")
    if "_page_notice" in st.session_state:
        notices.append(st.session_state.pop("_page_notice"))

    side = st.sidebar
    side.markdown(f"**{APP_TITLE}**")
    access.logout_button(side)
    week_key = _week_widget(side, weeks, default_week)
    month_key = side.selectbox("月度通报（选月份则按月，会商周不再起作用）", [MONTH_OFF] + months, index=0,
                               key="month", bind="query-params")
    districts = side.multiselect("区县", visible, default=[], key="district",
                                 bind="query-params", placeholder="全市" if allowed is None else "全部可查看区县")
    districts = access.restrict(list(districts), allowed)
    types = side.multiselect("诈骗类型", type_names, default=[], key="type",
                             bind="query-params", placeholder="全部类型")

    period = choose_period(week_key, month_key, default_week)
    by_name = dict(zip(units["district_name"].astype(str), units["bureau_id"].astype(str)))
    filters = Filters(bureaus=tuple(by_name[d] for d in districts if d in by_name), types=tuple(types))
    ctx = Context(title=title, period=period, filters=filters, districts=list(districts),
                  types=list(types), wall=wall, span=span, city=str(config.setting("city.name", "")),
                  units=units, notices=notices, user=who)
    _briefing_downloads(ctx)
    return ctx


def _week_widget(side, weeks: list[str], default_week: Period) -> str:
    """The week, always written to the URL — also when it is the default.

    A widget bound with bind="query-params" drops its parameter while it holds its default,
    and the default (the latest complete week) moves with every import: a link copied today
    would open another week's figures. So the week lives in session state (`_week`, seeded
    from the URL, or from a URL changed from outside) and is written to `?week=` on every run.
    The widget itself is keyed per page by Streamlit (its id carries the page), so it is
    created with the session's week as its index on every page instead of relying on its
    own state, which a page change would reset to the first option.
    """
    state = st.session_state
    raw = [str(v) for v in st.query_params.get_all("week")]
    linked = raw[0] if raw and raw[0] in weeks else None
    if linked and linked != state.get("_week_url"):
        state["_week"] = linked
    if state.get("_week") not in weeks:
        state["_week"] = default_week.key
    key = side.selectbox("会商周", weeks, index=weeks.index(state["_week"]), key="week",
                         help="默认：数据中最后一个完整周")
    state["_week"] = state["_week_url"] = key
    if st.query_params.get_all("week") != [key]:
        st.query_params["week"] = key
    return key


def header(ctx: Context) -> None:
    if ctx.wall:   # the marking, and the user's name, on every screen
        st.html(marking_css(access.marking_line(ctx.user)))
    if ctx.wall:
        wall_mode.header(ctx)
        return
    st.markdown(f"### {ctx.title}")
    st.caption(plain(access.marking_line(ctx.user), 120))
    line = header_text(ctx.city, ctx.period, ctx.scope, ctx.data_as_of, ctx.state)
    st.caption(plain(line, 300))
    if ctx.types:
        st.caption("诈骗类型：" + plain("、".join(ctx.types), 200))
    for notice in ctx.notices:
        st.warning(notice)
    stale = wall_mode.stale_text(ctx.data_as_of, clock.now(), wall_mode.wall_settings().stale_days)
    if stale:
        st.markdown(f":orange-badge[{plain(stale, 80)}（{ctx.span.reach_text()}）]")
    state = ctx.span.notice(ctx.period)
    if state:
        (st.warning if ctx.no_data else st.info)(state)


def _briefing_downloads(ctx: Context) -> None:
    """The weekly briefing (report engineer's module) as md and xlsx, once it exists."""
    if ctx.wall:
        return
    try:
        from antifraud import report
        make = report.briefing_bytes
    except (ImportError, AttributeError):
        return
    side = st.sidebar
    side.divider()
    side.caption("研判会商材料（当前周期与筛选）")
    mimes = {"md": "text/markdown", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    for fmt in ("md", "xlsx"):
        def data(fmt=fmt):
            return make(ctx.period, ctx.filters, fmt)[1]
        name = f"briefing-{ctx.period.key}.{fmt}"
        data = audited(data, name, "会商材料", None, ctx.user)
        side.download_button(f"下载会商材料（{fmt}）", data=data, file_name=name, mime=mimes[fmt],
                             on_click="ignore", key=f"briefing_{fmt}")
