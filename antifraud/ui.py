"""The shared frame every page starts with: filters bound to the URL, header, access check.

A page is complete on its own: on a freshly started server the first request to a page
URL runs that page without dashboard.py (DESIGN.md, the `pages/` folder trap), so the
page itself calls `frame()` first. dashboard.py only registers `PAGES`.

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
from antifraud import access, clock, config, metrics, periods, stats, wall as wall_mode
from antifraud import measures
from antifraud.measures import Filters
from antifraud.periods import Period

ROOT = config.ROOT
APP_TITLE = "反诈研判指挥看板"
MONTH_OFF = "（按周）"
# Six KPI tiles side by side: a value like "28,512.97万元" must fit a sixth of a laptop screen.
BROWSER_CSS = """<style>
[data-testid="stMetricValue"] { font-size: clamp(1.3rem, 1.65vw, 2.25rem); }
</style>"""


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

# DATA.md's canonical list, in its order; types found in the data are appended.
FRAUD_TYPES = ("刷单返利", "虚假贷款", "冒充电商物流客服", "虚假投资理财", "虚假征信", "冒充公检法",
               "虚假购物服务", "冒充领导熟人", "冒充军警购物", "网络游戏交易", "网络婚恋交友", "加盟代理", "其他")


@dataclass
class Context:
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
    def kind(self) -> str:
        return self.period.kind

    @property
    def data_as_of(self) -> dt.datetime | None:
        return self.span.data_as_of

    @property
    def state(self) -> str:
        """periods.COMPLETE / PROVISIONAL / NO_DATA for the chosen period."""
        return self.span.of(self.period)

    @property
    def provisional(self) -> bool:
        return self.state == periods.PROVISIONAL

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

    def params(self, period: Period | None = None, **extra) -> dict:
        """Query parameters for the chosen filters over a period (end exclusive)."""
        p = period or self.period
        return {"start": p.start, "end": p.end_exclusive, **self.filters.params(), **extra}


# ---------------------------------------------------------------- pure helpers

def plain(text, limit: int = 40) -> str:
    """User-supplied text shown inside markdown: truncated, markdown/HTML characters escaped."""
    text = str(text)[:limit]
    return re.sub(r"([\\`*_\[\]<>#|~$])", r"\\\1", text)


def week_options(first_day: dt.date | None, last_day: dt.date | None) -> list[str]:
    """Week keys from the data's last week back to its first, newest first."""
    last_day = last_day or clock.today()
    first_day = first_day or last_day - dt.timedelta(days=7 * 12)
    week, first = periods.week_of(last_day), periods.week_of(first_day)
    out = []
    while week.start >= first.start and len(out) < 600:
        out.append(week.key)
        week = week.prev()
    return out


def month_options(first_day: dt.date | None, last_day: dt.date | None) -> list[str]:
    last_day = last_day or clock.today()
    first_day = first_day or last_day - dt.timedelta(days=365)
    month, first = periods.month_of(last_day), periods.month_of(first_day)
    out = []
    while month.start >= first.start and len(out) < 240:
        out.append(month.key)
        month = month.prev()
    return out


def linked_options(options: list[str], linked: list[str], kind: str) -> list[str]:
    """The options, plus a period from a shared link that lies after the data but not after
    today: a link sent before its week was imported opens that week and says so."""
    out = list(options)
    for text in linked[:1]:
        try:
            period = periods.parse(text)
        except ValueError:
            continue
        current = periods.week_of(clock.today()) if kind == "week" else periods.month_of(clock.today())
        newest = periods.parse(out[0]) if out else None
        if (period.kind == kind and period.key not in out and period.start <= current.start
                and (newest is None or period.start > newest.start)):
            out.insert(0, period.key)
    return out


_NUMBER_RUN = re.compile(r"\d[\d \-]{9,}\d")


def url_notices(raw: dict[str, list[str]], weeks: list[str], months: list[str],
                districts: list[str], types: list[str]) -> list[str]:
    """Notices for URL values that are not options (the widget will ignore them)."""
    allowed = {"week": set(weeks), "month": set(months) | {MONTH_OFF},
               "district": set(districts), "type": set(types)}
    names = {"week": "周期", "month": "月份", "district": "区县", "type": "诈骗类型"}
    out = []
    for key, valid in allowed.items():
        bad = [v for v in raw.get(key, []) if v not in valid and v != ""]
        if bad:
            # a link may carry a phone or ID number pasted by mistake: never echo one back
            shown = "、".join(f"“{plain(_NUMBER_RUN.sub('…', v))}”" for v in bad[:5])
            out.append(f"链接中的{names[key]} {shown} 无法识别（或没有数据），已忽略。")
    return out


def choose_period(week_key: str | None, month_key: str | None, default_week: Period) -> Period:
    """A chosen month overrides the week; otherwise the week, else the default week."""
    if month_key and month_key != MONTH_OFF:
        return periods.parse(month_key)
    if week_key:
        return periods.parse(week_key)
    return default_week


STATE_FLAG = {periods.PROVISIONAL: "（临时数据）", periods.NO_DATA: "（尚无数据）"}


def header_text(city: str, period: Period, scope: str, data_as_of, state: str = periods.COMPLETE) -> str:
    as_of = f"{data_as_of:%Y-%m-%d %H:%M}" if data_as_of is not None and not pd.isna(data_as_of) else "—"
    return f"{city} · {period.label}{STATE_FLAG.get(state, '')}（{period.dates_label}） · {scope} · 数据截至 {as_of}"


def change_text(pct: float | None, z: float | None, direction: int, word: str,
                points: float | None = None) -> tuple[str, str]:
    """('-12.9% 环比', colour) for a KPI delta; colour follows direction, grey unless significant.

    For a rate pass `points` (the difference in percentage points): '+3.85个百分点 环比'.
    """
    if pct is None and points is None:
        return f"{word} —", "gray"
    tone = stats.tone(direction, z)
    colour = {"good": "green", "bad": "red"}.get(tone, "gray")
    mark = {"alarm": "‼", "warn": "!"}.get(stats.level(z), "") if tone != "neutral" else ""
    change = f"{points:+.2f}个百分点" if points is not None else f"{pct:+.1f}%"
    return f"{change} {word}{mark}", colour


def rate_points(now, before) -> float | None:
    """Difference of two rates in percentage points (0.9262 vs 0.9380 -> -1.18)."""
    if now is None or before is None:
        return None
    return (now - before) * 100


# ---------------------------------------------------------------- the frame

def _raw_params() -> dict[str, list[str]]:
    return {k: [str(v) for v in st.query_params.get_all(k)] for k in ("week", "month", "district", "type")}


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


def is_wall() -> bool:
    return str(st.query_params.get("wall", "")).strip().lower() in ("1", "true", "yes", "on")


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


def _agenda_links() -> None:
    """A page run alone: the agenda in Chinese, in meeting order, in place of the file list."""
    st.html(_AUTO_NAV_CSS)
    with st.sidebar:
        for spec in PAGES:
            if spec.path.exists():
                with contextlib.suppress(Exception):  # a link the running mode cannot resolve is left out
                    st.page_link(spec.file, label=spec.title)


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
    wall = is_wall()
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


# ---------------------------------------------------------------- page helpers

def table(frame: pd.DataFrame, name: str, *, title: str | None = None, caption: str | None = None,
          height: int | str = "auto", column_config: dict | None = None, hide_index: bool = True,
          downloads: bool = True, key: str | None = None, empty: str = "（本期无数据）") -> None:
    """A dataframe (text shown as text, never HTML) with csv and xlsx downloads.

    `empty` is what an empty result says (e.g. 「本期没有明显上升的类型」, not 「无数据」).
    """
    if title:
        st.markdown(f"**{plain(title, 80)}**")
    if frame is None or frame.empty:
        # on the wall captions are hidden (unreadable at a distance); this one is content
        (st.markdown if is_wall() else st.caption)(empty)
    else:
        # a fixed height only pays off for long tables; short ones would show empty rows
        h = height if isinstance(height, str) or len(frame) > 12 else "auto"
        st.dataframe(_numeric(frame), height=h, hide_index=hide_index, column_config=column_config,
                     width="stretch")
    if caption:
        st.caption(caption)
    if downloads and frame is not None and not frame.empty and not is_wall():
        _downloads(frame, name, title or name, key or name)


def _numeric(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing values show blank, not 'None': number columns become floats, text columns get ''."""
    out = frame.copy()
    for col in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[col]) or not frame[col].isna().any():
            continue
        values = frame[col].dropna()
        if len(values) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            out[col] = pd.to_numeric(frame[col], errors="coerce")
        elif all(isinstance(v, str) for v in values):
            out[col] = frame[col].astype(object).where(frame[col].notna(), "")
    return out


def _downloads(frame: pd.DataFrame, name: str, title: str, key: str) -> None:
    from antifraud import exports
    safe = re.sub(r"[^\w\-一-鿿]+", "_", name).strip("_") or "table"
    out = frame.reset_index(drop=False) if not isinstance(frame.index, pd.RangeIndex) else frame
    row = st.container(horizontal=True, gap="small")
    who = access.current()
    signed = title + (f"（下载人：{who.name}）" if who is not None else "")
    csv = audited(lambda: exports.csv_bytes(out), f"{safe}.csv", title, len(out), who)
    xlsx = audited(lambda: exports.xlsx_bytes({title[:31]: out}, title=signed), f"{safe}.xlsx", title, len(out), who)
    row.download_button("下载 csv", data=csv, file_name=f"{safe}.csv",
                      mime="text/csv", on_click="ignore", key=f"dl_csv_{key}")
    row.download_button("下载 xlsx", data=xlsx,
                      file_name=f"{safe}.xlsx", on_click="ignore", key=f"dl_xlsx_{key}",
                      mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def audited(make, file_name: str, what: str, rows: int | None, who):
    """The download's bytes, made when it is clicked, with a line in the audit store (who, what, when)."""
    scope = "&".join(f"{k}={v}" for k in st.query_params for v in st.query_params.get_all(k)
                     if k != access.KIOSK_PARAM)[:500]

    def data():
        payload = make()
        from antifraud import audit
        audit.default().record_download(who.name if who is not None else None, file_name,
                                        what, rows, scope)
        return payload
    return data


def marking_css(text: str) -> str:
    """The marking as a fixed corner label drawn by CSS: a style-only st.html takes no room on the wall."""
    escaped = "".join(ch if ch.isalnum() and ch.isascii() else f"\\{ord(ch):x} " for ch in text)
    return ("<style>[data-testid='stMain']::after { content: '" + escaped + "'; position: fixed; right: 0.8rem;"
            " bottom: 0.3rem; font-size: 0.85rem; color: #f5b301; z-index: 1000; pointer-events: none; }</style>")


def chart(fig, caption: str | None = None, *, key: str | None = None, height: int | None = None) -> None:
    """A plotly figure in the shared template (its title says what it shows) and its definition."""
    from antifraud import charts
    charts.apply_theme(fig, dark=is_wall())
    if height:
        fig.update_layout(height=height)
    st.plotly_chart(fig, theme=None, key=key, config={"displaylogo": False, "displayModeBar": False})
    if caption:
        st.caption(caption)


def definition(*names: str) -> str:
    """Captions come from the metric catalogue's definitions."""
    return "；".join(f"{metrics.get(n).label}：{metrics.get(n).definition}" for n in names)


def kpi_tiles(kpis: dict, names, kind: str = "week", columns: int | None = None) -> None:
    """One tile per metric: value, 环比 as the delta, 同比 and YTD below; colour by direction.

    Rates change in percentage points (a rate of 2% rising to 3% is "+1.00个百分点", not +50%).
    """
    names = list(names)
    cols = st.columns(columns or len(names))
    prev_key, prev_value = ("wow_pct", "prev_week") if kind == "week" else ("mom_pct", "prev_month")
    for i, name in enumerate(names):
        m, k = metrics.get(name), kpis.get(name, {})
        rate = m.kind == "rate"
        pts = (lambda before: rate_points(k.get("value"), k.get(before))) if rate else (lambda before: None)
        with cols[i % len(cols)].container(border=True):
            text, colour = change_text(None if rate else k.get(prev_key), k.get("z"), m.direction, "环比",
                                       pts(prev_value))
            has_delta = (pts(prev_value) if rate else k.get(prev_key)) is not None
            st.metric(m.label, m.format(k.get("value")), delta=text if has_delta else None,
                      delta_color=colour, help=m.definition)
            yoy, ycol = change_text(None if rate else k.get("yoy_pct"), k.get("z_yoy"), m.direction, "同比",
                                    pts("last_year"))
            if rate:
                d = rate_points(k.get("ytd"), k.get("ytd_last_year"))
                tail = f"（{d:+.2f}个百分点）" if d is not None else ""
            else:
                tail = f"（{k['ytd_yoy_pct']:+.1f}%）" if k.get("ytd_yoy_pct") is not None else ""
            ytd = f"年累计 {m.format(k.get('ytd'))}{tail}"
            st.markdown(f":{ycol}[{plain(yoy)}] · :gray[{plain(ytd, 60)}]")


# ---------------------------------------------------------------- navigation (dashboard.py)

_NAV: dict[str, object] = {}


def navigation_pages() -> list:
    """st.Page objects for the registered pages whose file exists (bureaus.py may land later)."""
    out = []
    for i, spec in enumerate(p for p in PAGES if p.path.exists()):
        page = st.Page(str(spec.path), title=spec.title, url_path=spec.url_path, default=(i == 0))
        _NAV[spec.url_path] = page
        out.append(page)
    return out


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
