"""Wall mode (`?wall=1`): the meeting-room screen.

Dark and large, no sidebar, toolbar or navigation menu; a header with the period, the
districts and 数据截至 (amber when the data is stale); the agenda pages rotate with a
dwell time (`?page=` pins one), the presenter steps with links or keys (→/PageDown,
←/PageUp, P pauses); an import that replaces the database is picked up by a timed
fragment that reruns the app in place (no reload, filters stay in the URL).

The pure pieces (stale days, agenda order, significant changes, header HTML) take plain
values and are tested without Streamlit; the Streamlit pieces are tested in a browser
(tests/browser), because timers do not fire inside AppTest.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import html
import logging
import time
from dataclasses import dataclass

import streamlit as st

from antifraud import clock, config, registry

CHANGES_TITLE = registry.CHANGES.title
CHANGES_URL = registry.CHANGES.url_path

log = logging.getLogger("antifraud.wall")

NOT_ON_WALL = {"import"}          # agenda pages the wall never rotates to
AMBER = "#f5b301"

# Stable test ids only; no external fonts or assets (Chinese glyphs come from local fonts).
CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
[data-testid="stSidebarNav"], [data-testid="stToolbar"], [data-testid="stHeader"], [data-testid="stMainMenu"],
[data-testid="stAppDeployButton"], [data-testid="stDecoration"], [data-testid="stStatusWidget"],
[data-testid="stDownloadButton"], [data-testid="stException"], [data-testid="stTooltipIcon"],
[data-testid="stTooltipHoverTarget"] svg, footer { display: none !important; }
/* Streamlit's own modals (e.g. "Page not found" on a fresh server) have nobody to close them. */
[data-testid="stDialog"], [role="dialog"], div:has(> [role="dialog"]) { display: none !important; }
/* Definitions in caption type cannot be read across a room; the browser view keeps them. */
[data-testid="stElementContainer"]:has([data-testid="stCaptionContainer"]) { display: none !important; }
/* The fold: what does not fit below the header is left to the browser view (see FOLD_JS). */
.wall-folded { display: none !important; }
[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] { gap: 0.5rem; }
[data-testid="stMarkdownContainer"] h3, [data-testid="stMarkdownContainer"] h4 { padding: 0.45rem 0 !important; }
html { font-size: 20px; }
.stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] { background: #0b0e14; color: #eef0f3; }
h1, h2, h3, h4, h5, p, span, label, li, div { color: #eef0f3; }
[data-testid="stMainBlockContainer"], .block-container {
  padding: 0.3rem 1.2rem 0.3rem 1.2rem !important; max-width: 100% !important; }
[data-testid="stMain"] { overflow: hidden !important; }
/* A rerun must not flicker: keep elements fully visible while a new run replaces them. */
[data-stale="true"], [data-stale="true"] * { opacity: 1 !important; transition: none !important; }
/* Pieces Streamlit draws in its (light) theme colours, canvases included: turned dark by inverting
   lightness while keeping hue (red stays red, green stays green). */
[data-testid="stMetricDelta"], [data-testid="stDataFrame"], [data-testid="stTable"],
[data-testid="stRadioOption"] > div > div:first-child {
  filter: invert(1) hue-rotate(180deg); }
[data-testid="stMetricDelta"] p { color: inherit !important; }
[data-testid="stTable"] * { color: revert; }
[data-testid="stMetricDelta"] p { font-size: 1.05rem !important; }
[data-testid="stMetricValue"] { font-size: 2.2rem !important; line-height: 1.15; }
[data-testid="stMetricLabel"] p { font-size: 1.05rem !important; color: #c9ced6 !important; }
[data-testid="stVerticalBlockBorderWrapper"] { border-color: #2c3340 !important; }
.js-plotly-plot .main-svg { background: transparent !important; }
.wall-bar { display: flex; align-items: baseline; gap: 1.2rem; border-bottom: 2px solid #2c3340;
  padding: 0 0 0.25rem 0; white-space: nowrap; overflow: hidden; }
.wall-title { font-size: 1.9rem; font-weight: 700; color: #ffffff; }
.wall-step { font-size: 1rem; color: #8d96a3; }
.wall-info { font-size: 1.05rem; color: #d7dbe1; overflow: hidden; text-overflow: ellipsis; flex: 1 1 auto; }
.wall-info b { color: #ffffff; }
.wall-stale { font-size: 1.1rem; font-weight: 700; color: #111; background: #f5b301;
  padding: 0.05rem 0.6rem; border-radius: 0.3rem; }
.wall-fresh { font-size: 1rem; color: #8d96a3; }
.wall-notice { font-size: 0.95rem; color: #f5b301; }
.st-key-wall_nav { gap: 0.4rem !important; justify-content: flex-end; }
.st-key-wall_first { display: none !important; }
.st-key-wall_nav [data-testid="stPageLink"] a { padding: 0 0.3rem; min-height: 0; }
.st-key-wall_nav [data-testid="stPageLink"] p { font-size: 0.95rem; color: #8d96a3 !important; }
.wall-changes { width: 100%; border-collapse: collapse; font-size: 1.35rem; margin-top: 0.6rem; }
.wall-changes th { text-align: left; color: #8d96a3; font-weight: 400; border-bottom: 1px solid #2c3340;
  padding: 0.3rem 0.8rem; }
.wall-changes td { padding: 0.45rem 0.8rem; border-bottom: 1px solid #1e242e; }
.wall-changes .bad { color: #ff6b6b; font-weight: 700; }
.wall-changes .good { color: #4cd98a; font-weight: 700; }
.wall-changes .neutral { color: #c9ced6; font-weight: 400; }
.wall-changes .z { color: #8d96a3; font-weight: 400; font-size: 1rem; }
.wall-more { color: #aab2bd; font-size: 1rem; margin-top: 0.4rem; }
.wall-calm { font-size: 1.6rem; color: #c9ced6; margin: 3rem 0; }
.wall-types { font-size: 1.35rem; color: #c9ced6; margin: 1.2rem 0 0.6rem; }
.wall-types ul { margin: 0.3rem 0 0; padding-left: 1.2rem; list-style: none; }
.wall-types li { padding: 0.25rem 0; }
.wall-types .bad { color: #ff6b6b; font-weight: 700; }
.wall-subhead { color: #8d96a3; font-size: 1.1rem; }
.wall-table { width: 100%; border-collapse: collapse; font-size: 1.2rem; line-height: 1.3; table-layout: auto; }
.wall-table th { text-align: left; color: #aab2bd; font-weight: 400; border-bottom: 1px solid #3a4250;
  padding: 0.2rem 0.5rem; white-space: nowrap; }
.wall-table td { padding: 0.25rem 0.5rem; border-bottom: 1px solid #1e242e; white-space: nowrap; vertical-align: top; }
.wall-table td.num, .wall-table th.num { text-align: right; font-variant-numeric: tabular-nums; }
.wall-table td.wrap { white-space: normal; }
.wall-table tr:nth-child(even) td { background: #10151e; }
.wall-table.compact td { padding: 0.1rem 0.5rem; line-height: 1.18; }
.wall-table td.hot { color: #ff6b6b; font-weight: 700; }
.wall-table-title { font-size: 1.25rem; font-weight: 700; color: #ffffff; margin: 0.2rem 0 0.1rem 0; }
.wall-table-note { font-size: 1.2rem; color: #f5d47a; margin: 0 0 0.3rem 0; }
.wall-table-more { font-size: 0.95rem; color: #8d96a3; margin-top: 0.2rem; }
</style>
"""

# Presenter keys. Streamlit itself uses r, c and Esc; clickers send PageUp/PageDown.
KEYS_JS = """
<script>
(function () {
  if (window.__antifraudWallKeys) return;
  window.__antifraudWallKeys = true;
  const map = {ArrowRight: 'next', PageDown: 'next', ArrowLeft: 'prev', PageUp: 'prev', p: 'pause', P: 'pause'};
  document.addEventListener('keydown', function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.target && /INPUT|TEXTAREA|SELECT/.test(e.target.tagName)) return;
    const which = map[e.key];
    if (!which) return;
    const link = document.querySelector('.st-key-wall_' + which + ' a');
    if (link) { e.preventDefault(); link.click(); }
  });
})();
</script>
"""


# The fold. A page drawn for the browser can be longer than the screen; the wall shows its
# top-level blocks in order while they fit and leaves the rest (detail tables, as a rule) to the
# browser view, so nothing is ever cut in half and nothing scrolls. Re-evaluated after every
# change of the page in one pass (no paint in between, so nothing flickers).
FOLD_JS = """
<script>
(function () {
  if (window.__antifraudWallFold) return;
  window.__antifraudWallFold = true;
  const FOLDED = 'wall-folded';
  function fold() {
    const main = document.querySelector('[data-testid="stMainBlockContainer"] > [data-testid="stVerticalBlock"]');
    if (!main) return;
    const limit = window.innerHeight - 2;
    const blocks = Array.from(main.children);
    blocks.forEach(el => el.classList.remove(FOLDED));
    const rects = blocks.map(el => el.getBoundingClientRect());
    let cut = false, folded = [];
    blocks.forEach(function (el, i) {
      cut = cut || (rects[i].height > 0 && rects[i].bottom > limit);
      if (!cut) return;
      el.classList.add(FOLDED);
      const t = rects[i].height > 0 ? (el.innerText || '').trim().split('\\n')[0] : '';
      if (t) folded.push(t.slice(0, 40));
    });
    document.documentElement.dataset.wallFolded = JSON.stringify(folded);
  }
  let timer = null;
  new MutationObserver(function () { clearTimeout(timer); timer = setTimeout(fold, 120); })
    .observe(document.body, {childList: true, subtree: true});
  window.addEventListener('resize', fold);
  fold();
})();
</script>
"""


# ---------------------------------------------------------------- settings and pure helpers

@dataclass(frozen=True)
class WallSettings:
    dwell_seconds: float = 60.0
    refresh_seconds: float = 30.0
    stale_days: int = 3
    meeting_order: bool = True


def wall_settings() -> WallSettings:
    """[wall] of settings.toml; unusable values fall back to the defaults, never below 5 s."""
    d = WallSettings()

    def num(key, default, low):
        try:
            return max(low, float(config.setting(f"wall.{key}", default)))
        except (TypeError, ValueError):
            return default
    return WallSettings(dwell_seconds=num("dwell_seconds", d.dwell_seconds, 5),
                        refresh_seconds=num("refresh_seconds", d.refresh_seconds, 2),
                        stale_days=int(num("stale_days", d.stale_days, 0)),
                        meeting_order=bool(config.setting("wall.meeting_order", d.meeting_order)))


def days_without_data(data_as_of: dt.datetime | None, now: dt.datetime) -> int | None:
    """Whole calendar days from the newest data to today; None when there is no data."""
    if data_as_of is None:
        return None
    return max(0, (now.date() - data_as_of.date()).days)


def stale_text(data_as_of: dt.datetime | None, now: dt.datetime, limit_days: int) -> str | None:
    """'数据已N天未更新' when the newest data is older than `limit_days`; else None."""
    days = days_without_data(data_as_of, now)
    if days is None:
        return "暂无数据"
    return f"数据已{days}天未更新" if days > limit_days else None


@dataclass(frozen=True)
class Slide:
    url_path: str
    title: str
    target: str          # what st.switch_page / st.page_link take: a page file relative to the root


OPENING = ("followup",)          # in meeting order, last meeting's tasks follow the changes slide


def agenda(page_specs, meeting_order: bool) -> list[Slide]:
    """The rotation: in meeting order, 本周显著变化 and then last meeting's follow-up (督办: what
    it decided comes back first), then the fixed agenda in registry order."""
    shown = [s for s in page_specs if s.url_path not in NOT_ON_WALL and s.path.exists()]
    if meeting_order:
        shown = [s for s in shown if s.url_path in OPENING] + [s for s in shown if s.url_path not in OPENING]
    slides = [Slide(CHANGES_URL, CHANGES_TITLE, registry.CHANGES.file)] if meeting_order else []
    return slides + [Slide(spec.url_path, spec.title, spec.file) for spec in shown]


def position(slides: list[Slide], title: str) -> int:
    """Index of the page with this title in the rotation, -1 when it is not on it."""
    return next((i for i, s in enumerate(slides) if s.title == title), -1)


def neighbour(slides: list[Slide], index: int, step: int) -> Slide:
    return slides[(index + step) % len(slides)] if index >= 0 else slides[0 if step > 0 else -1]


def header_html(ctx, slide_no: int, slide_count: int, stale: str | None, pinned: bool, slide_id: str = "") -> str:
    """The wall's header bar: page, position in the rotation, period, districts, 数据截至."""
    e = html.escape
    as_of = f"{ctx.data_as_of:%Y-%m-%d %H:%M}" if ctx.data_as_of is not None else "—"
    period = f"{ctx.period.label}（{ctx.period.dates_label}）"
    if ctx.provisional:
        period += " 临时数据"
    elif getattr(ctx, "no_data", False):
        period += " 尚无数据"
    scope = ctx.scope + (" · " + "、".join(ctx.types) if ctx.types else "")
    step = f"{slide_no}/{slide_count}" if slide_no > 0 else ""
    if pinned:
        step = (step + " 已固定").strip()
    fresh = (f'<span class="wall-stale" data-testid="wallStale">{e(stale)}</span>' if stale else "")
    notices = "".join(f'<div class="wall-notice">{e(n)}</div>' for n in ctx.notices[:2])
    return (f'<div class="wall-bar" data-testid="wallHeader" data-slide="{e(slide_id)}">'
            f'<span class="wall-title">{e(ctx.title)}</span>'
            f'<span class="wall-step">{e(step)}</span>'
            f'<span class="wall-info"><b>{e(ctx.city)}</b> · {e(period)} · <b>{e(scope)}</b>'
            f' · <span data-testid="wallAsOf">数据截至 {e(as_of)}</span></span>{fresh}</div>{notices}')


MAX_CHANGES = 12                     # what fits the screen with the header; the rest is counted


def changes_html(changes, kind: str, rising: list[tuple[str, str]] = ()) -> str:
    """The opening slide: what changed beyond chance (significance.significant_changes), the fraud
    types announced as rising (`rising`: (type, reason), headlines.rising_types), with the rule in
    one line; a quiet week says so instead of showing an empty table."""
    from antifraud import significance, stats
    e = html.escape
    word = "本周" if kind == "week" else "本月"
    rule = f'<div class="wall-more" data-testid="wallRule">{e(stats.rule_text())}。</div>'
    types = ""
    if rising:
        items = "".join(f'<li><span class="bad">▲ {e(t)}</span>：{e(reason)}</li>' for t, reason in rising)
        types = (f'<div class="wall-types" data-testid="wallRisingTypes"><div class="wall-subhead">'
                 f'上升明显的诈骗类型</div><ul>{items}</ul></div>')
    if not changes:
        calm = f"{word}各项指标无显著变化。" if rising else f"{word}无显著变化。"
        return f'<div class="wall-calm" data-testid="wallCalm">{calm}</div>' + types + rule
    labels = [significance.COMPARISON_LABEL[c] for c in significance.comparisons(kind)]

    def cell(c, comparison: str) -> str:
        part = next((p for p in c.parts if p[0] == comparison), None)
        if part is None:
            return '<td class="neutral">—</td>'
        _, words, q, flag, tone, level = part
        arrow = "▲" if flag == "rise" else "▼"
        mark = "‼" if level == "alarm" else ""
        return f'<td class="{e(tone)}">{arrow} {e(words)}{mark}</td>'

    heads = {"环比": "环比（上期）" if kind == "week" else "环比（上月）", "同比": "同比（去年同期）",
             "近期": "近期（较此前几周）"}
    rows = [f'<tr><td>{e(c.label)}</td><td>{e(c.value)}</td>' + "".join(cell(c, lb) for lb in labels) + "</tr>"
            for c in changes[:MAX_CHANGES]]
    more = (f'<div class="wall-more">另有 {len(changes) - MAX_CHANGES} 项显著变化未列出。</div>'
            if len(changes) > MAX_CHANGES else "")
    return ('<table class="wall-changes" data-testid="wallChanges"><tr><th>指标</th><th>' + word + '</th>' +
            "".join(f"<th>{e(heads[lb])}</th>" for lb in labels) + "</tr>" + "".join(rows) + "</table>" + more + types
            + rule)


def _cell(value, fmt: str | None) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    try:
        import pandas as pd
        if value is pd.NA or value is pd.NaT:
            return ""
    except ImportError:  # pragma: no cover
        pass
    if fmt:
        try:
            return fmt.format(value)
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    return str(value)


def table_html(frame, *, title: str | None = None, note: str | None = None, more: str | None = None,
               formats: dict | None = None, wrap=(), hot=(), widths: dict | None = None, lines=(),
               size: str | None = None, testid: str = "wallTable", empty: str = "（本期无数据）") -> str:
    """A table for the wall in room-readable type (the dataframe canvas draws small, fixed type).

    Every cell is escaped text. `wrap`: columns that may wrap onto a second line; `hot`: columns
    drawn red (what the meeting is asked about); `widths`: column -> CSS width; `lines`: columns whose
    "；"-separated parts each start a line (a two-line row instead of a cut cell); `size`: font size.
    """
    e = html.escape
    formats, widths = formats or {}, widths or {}
    head = (f'<div class="wall-table-title">{e(title)}</div>' if title else "") + \
           (f'<div class="wall-table-note" data-testid="{e(testid)}Note">{e(note)}</div>' if note else "")
    if frame is None or len(frame) == 0:
        return head + f'<div class="wall-table-note">{e(empty)}</div>'
    import pandas as pd
    numeric = {c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])}

    def cls(c) -> str:
        names = [n for n, on in (("num", c in numeric), ("wrap", c in wrap), ("hot", c in hot)) if on]
        return f' class="{" ".join(names)}"' if names else ""

    def width(c) -> str:
        return f' style="width:{e(str(widths[c]))}"' if c in widths else ""
    cols = list(frame.columns)
    th = "".join(f'<th{cls(c) if c in numeric else ""}{width(c)}>{e(str(c))}</th>' for c in cols)
    def td(c, v) -> str:
        text = _cell(v, formats.get(c))
        body = "<br>".join(e(part) for part in text.split("；")) if c in lines else e(text)
        return f"<td{cls(c)}>{body}</td>"
    rows = "".join("<tr>" + "".join(td(c, v) for c, v in zip(cols, row)) + "</tr>"
                   for row in frame.itertuples(index=False, name=None))
    tail = f'<div class="wall-table-more">{e(more)}</div>' if more else ""
    style = f' style="font-size:{e(size)}"' if size else ""
    kind = "wall-table compact" if lines else "wall-table"       # two-line rows: tighter lines
    return f'{head}<table class="{kind}" data-testid="{e(testid)}"{style}><tr>{th}</tr>{rows}</table>{tail}'


# ---------------------------------------------------------------- Streamlit pieces

def apply() -> None:
    """The look; called by ui.frame before anything else is drawn."""
    from antifraud import charts
    charts.use_template(dark=True)
    st.html(CSS)


def _params(drop=("page",)) -> dict[str, list[str]]:
    """Parameters a page change must carry. Those bound to a widget (the filters: week, month,
    district, type) follow by themselves, and Streamlit refuses to have them set directly."""
    return {k: st.query_params.get_all(k) for k in st.query_params
            if k not in drop and k not in st.session_state}


def _pinned() -> str:
    return str(st.query_params.get("page", "")).strip()


def header(ctx) -> None:
    """Header, presenter links and keys, rotation and live-data timers (ui.header calls this)."""
    cfg = wall_settings()
    slides = agenda(registry.PAGES, cfg.meeting_order)
    index = position(slides, ctx.title)
    pinned = bool(_pinned())
    stale = stale_text(ctx.data_as_of, clock.now(), cfg.stale_days)

    bar, nav = st.columns([12, 3], vertical_alignment="center", gap="small")
    bar.html(header_html(ctx, index + 1, len(slides), stale, pinned, slides[index].url_path if index >= 0 else ""))
    if slides:
        _presenter_links(nav, slides, index, pinned)
    st.html(KEYS_JS + FOLD_JS, unsafe_allow_javascript=True)

    if _opens_meeting(cfg, slides, index, pinned):
        _click("first", slides[0].url_path)         # the changes slide opens the meeting
    st.session_state["_wall_since"] = time.monotonic()
    st.session_state["_wall_drawn"] = True
    if slides and not pinned:
        st.fragment(_rotate, run_every=cfg.dwell_seconds)(neighbour(slides, index, 1), cfg.dwell_seconds)
    st.fragment(_watch_database, run_every=cfg.refresh_seconds)(_stamp())


def _opens_meeting(cfg: WallSettings, slides: list[Slide], index: int, pinned: bool) -> bool:
    """The wall's own address opens with the changes slide, once a session.

    The first agenda page is the default page, served at "/"; st.context.url carries no path
    (measured in 1.67), so "the first wall run of this session on the first agenda page" is
    what tells the wall's address apart from a step to 本周态势 later on.
    """
    first = not st.session_state.get("_wall_opened")
    st.session_state["_wall_opened"] = True      # whatever page the session started on
    default = next((sl.url_path for sl in slides if sl.url_path not in OPENING and sl.url_path != CHANGES_URL), None)
    return (first and cfg.meeting_order and not pinned and index >= 0
            and slides[index].url_path == default and slides[0].url_path == CHANGES_URL)


def _presenter_links(where, slides: list[Slide], index: int, pinned: bool) -> None:
    prev, nxt = neighbour(slides, index, -1), neighbour(slides, index, 1)
    here = slides[index] if index >= 0 else None

    def params(slide: Slide, pin: bool):
        out = _params()
        if pin:
            out["page"] = [slide.url_path]
        return out

    with where.container(horizontal=True, horizontal_alignment="right", key="wall_nav"):
        for key, slide, label, pin in (("prev", prev, "‹ 上一项", pinned), ("next", nxt, "下一项 ›", pinned)):
            with st.container(key=f"wall_{key}", width="content"):
                _link(slide, label, params(slide, pin))
        if here is not None:
            with st.container(key="wall_pause", width="content"):
                _link(here, "继续轮播" if pinned else "暂停轮播", params(here, not pinned))
        if slides and index > 0:        # where the meeting opens (hidden; followed once a session)
            with st.container(key="wall_first", width="content"):
                _link(slides[0], slides[0].title, params(slides[0], pinned))


def _link(slide: Slide, label: str, query_params: dict) -> None:
    try:
        st.page_link(slide.target, label=label, query_params=query_params)
    except Exception:  # noqa: BLE001 - a page not registered in this run (page run on its own) gets no link
        log.debug("no link to %s", slide.url_path, exc_info=True)


def _rotate(next_slide: Slide, dwell: float) -> None:
    # The fragment also runs once inside the full run that drew the page; only a timer tick
    # that comes a dwell after the page appeared moves on. It moves the way the presenter does,
    # by the 下一项 link: a link carries the URL-bound filters along (st.switch_page clears them
    # from the URL, so a reload would lose them), and the page changes without a reload.
    since = st.session_state.get("_wall_since", 0.0)
    if time.monotonic() - since < dwell * 0.8:
        return
    _click("next", next_slide.url_path)


def _click(which: str, note: str) -> None:
    """Follow a presenter link from the browser (retrying while the link is still being drawn)."""
    # the stamp makes each script new, so it runs again on the next tick; no "<" followed by a
    # letter or digit inside the script: the HTML sanitiser drops such a script silently
    st.html(f"<script>/* {time.monotonic():.3f} {html.escape(note)} */"
            "(function(){let n=0;(function go(){const a=document.querySelector('.st-key-wall_"
            f"{which} a');if(a){{a.click();}}else if(40 > n++){{setTimeout(go,50);}}}})();}})();"
            "</script>", unsafe_allow_javascript=True)


def _stamp():
    """What the wall watches: the database file (an import swaps it) and the tasks' journal (a
    bureau's feedback, the chair's verdict), so either shows within the refresh interval."""
    import queries
    from antifraud.tasks import store as task_store
    try:
        db = queries.stamp()
    except OSError:
        return None
    try:
        tasks = task_store.default().last_change()
    except Exception:  # noqa: BLE001 - an unreadable task store must not stop the wall picking up imports
        tasks = None
    return db, tasks


def _watch_database(seen) -> None:
    # An import replaces the file (new inode/mtime): rerun the app in place. The cached
    # queries are keyed by the stamp, so the new run reads the new data; the URL keeps the filters.
    now = _stamp()
    if now is not None and now != seen:
        st.rerun()


CALM = ('<div class="wall-calm" data-testid="wallCalm">本页暂时无法显示，稍后自动切换或重试。'
        '（详细信息已记录在服务器日志中）</div>')


@contextlib.contextmanager
def calm_errors():
    """dashboard.py runs the shared frame and the page inside this: on the wall an error is a
    calm sentence (the traceback goes to the log), never a traceback or a blank screen."""
    if not registry.is_wall():
        yield
        return
    st.session_state["_wall_drawn"] = False
    try:
        yield
    except Exception:  # noqa: BLE001 - Streamlit's stop/rerun are BaseException and pass through
        log.exception("wall: the page failed")
        st.html(CSS + CALM)
        if not st.session_state.get("_wall_drawn"):
            # no header, so no timers yet: try again every refresh interval (e.g. after an import)
            refresh = wall_settings().refresh_seconds
            st.session_state["_wall_failed_at"] = time.monotonic()
            st.fragment(_retry, run_every=refresh)(refresh)


def _retry(refresh: float) -> None:
    # runs once inline with the failed run itself: only a later timer tick reruns the app
    if time.monotonic() - st.session_state.get("_wall_failed_at", 0.0) >= refresh * 0.8:
        st.rerun()
