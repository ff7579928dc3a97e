"""`python -m antifraud bench --browser`: what a person waits for, in headless Chromium.

Two figures of issue 16 (a benchmark, not a timed test), measured in one browser:
- **full page load** of every agenda page (a fresh browser context each time: no HTTP cache,
  a new Streamlit session) against a bare Streamlit page with one plotly chart served the same
  way (same Streamlit, same .streamlit/config.toml), as the median of `--repeat` loads; and
  against a bare page drawing **the same elements** (as many charts, tables, maps, texts,
  widgets of each kind as the page showed, made-up content, no frame): what of a load is the
  dashboard's own, and what is Streamlit drawing that much;
- **in-app page switch**: in one tab, a click on the next page in the sidebar until that page
  has finished, walking the agenda `--repeat` times; the slowest page's median is the figure.

"Finished" is what tests/browser/harness.py waits for — connected, script not running, no
spinner or skeleton, text in the main area — plus every chart drawn (plotly's SVG, the map's
canvas), held for `SETTLE_MS`; the time is that of the first moment of the final idle stretch.
A switch counts only once the script was seen running after the click (a DOM observer), so
the idle state before the rerun starts is never taken for the end.

Debian's /usr/bin/chromium through Playwright, nothing downloaded.
"""
from __future__ import annotations

import json
import statistics
import sys
import textwrap
import time
import urllib.parse
from pathlib import Path

from antifraud import bench, clock
from antifraud.load import run, servers

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1920, "height": 1080}
SETTLE_MS = 300
POLL_S = 0.025

BARE_APP = textwrap.dedent("""\
    # A bare Streamlit page: one chart (the yardstick of a full page load) or, with ?main=…&side=…,
    # as many elements of each kind as a dashboard page shows, with made-up content: what
    # Streamlit itself takes to draw that much, without the dashboard's frame, data or styling.
    import pandas as pd
    import plotly.express as px
    import pydeck as pdk
    import streamlit as st

    def chart(i):
        st.plotly_chart(px.line(x=list(range(12)), y=[3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8]), key=f"chart{i}")

    frame = pd.DataFrame({"区县": [f"第{i}区" for i in range(15)], "案件": range(15),
                          "损失(万元)": [x * 1.5 for x in range(15)], "率%": [x / 10 for x in range(15)]})
    DRAW = {
        "stPlotlyChart": chart,
        "stDataFrame": lambda i: st.dataframe(frame, hide_index=True, key=f"df{i}"),
        "stTable": lambda i: st.table(frame),
        "stDeckGlJsonChart": lambda i: st.pydeck_chart(pdk.Deck(
            layers=[pdk.Layer("ScatterplotLayer", [{"p": [113.9 + k / 100, 35.3], "r": 500} for k in range(30)],
                              get_position="p", get_radius="r")],
            initial_view_state=pdk.ViewState(longitude=114.0, latitude=35.3, zoom=9), map_provider=None), key=f"map{i}"),  # no basemap: offline
        "stMetric": lambda i: st.metric(f"指标{i}", 1234, 12),
        "stHtml": lambda i: st.html(f"<div style='padding:4px'>说明 {i}</div>"),
        "stPageLink": lambda i: st.page_link(f"http://localhost/{i}", label=f"页面{i}"),   # never followed
        "stDownloadButton": lambda i: st.download_button("下载 csv", b"a,b", file_name="a.csv", key=f"dl{i}"),
        "stSelectbox": lambda i: st.selectbox(f"选择{i}", ["甲", "乙"], key=f"sb{i}"),
        "stMultiSelect": lambda i: st.multiselect(f"多选{i}", ["甲", "乙"], key=f"ms{i}"),
        "stButton": lambda i: st.button(f"按钮{i}", key=f"bt{i}"),
        "stEmpty": lambda i: st.empty(),
    }

    def draw(census, where, prefix):
        with where:
            for kind_count in filter(None, census.split(",")):
                kind, count = kind_count.split(":")
                for i in range(int(count)):
                    DRAW.get(kind, lambda i: st.markdown(f"一段说明文字，**第{i}段**。"))(f"{prefix}{kind}{i}")

    if "main" in st.query_params or "side" in st.query_params:
        draw(st.query_params.get("side", ""), st.sidebar, "side")
        draw(st.query_params.get("main", ""), st.container(), "main")
    else:
        chart(0)
    """)

IDLE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app) return false;
  if (app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
  if (app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-testid="stSpinner"], [data-testid="stSkeleton"]')) return false;
  for (const c of document.querySelectorAll('[data-testid="stPlotlyChart"]'))
    if (!c.querySelector('.main-svg')) return false;
  for (const c of document.querySelectorAll('[data-testid="stDeckGlJsonChart"]'))
    if (!c.querySelector('canvas')) return false;
  const main = document.querySelector('[data-testid="stMain"]') || app;
  return main.innerText.trim().length > 0 || !!main.querySelector('.main-svg');
}"""

# A switch is seen when the script state was or is "running", or when the page's elements
# change: a fast run (督办 takes ~60 ms) can go running -> notRunning within one render of the
# frontend, and the attribute then never shows "running" at all.
WATCH_JS = """() => {
  window.__runs = 0;
  const app = document.querySelector('[data-testid="stApp"]');
  new MutationObserver((mutations) => {
    for (const m of mutations)
      if (m.oldValue === 'running' || app.getAttribute('data-test-script-state') === 'running') window.__runs += 1;
  }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state'], attributeOldValue: true});
  const main = document.querySelector('[data-testid="stMain"]') || app;
  new MutationObserver(() => { window.__runs += 1; }).observe(main, {childList: true, subtree: true});
}"""

ERROR_JS = """() => document.querySelectorAll('[data-testid="stException"]').length"""

# What a page shows, as "kind:count,…" for the main area and the sidebar: the kind of each
# element (a chart or table inside its full-screen frame counted as that chart or table).
CENSUS_JS = """() => {
  const census = (root) => {
    const counts = {};
    if (!root) return '';
    for (const box of root.querySelectorAll('[data-testid="stElementContainer"]')) {
      const inner = box.querySelector('[data-testid="stPlotlyChart"], [data-testid="stDataFrame"], [data-testid="stDeckGlJsonChart"], [data-testid="stTable"]');
      const first = box.firstElementChild;
      const kind = inner ? inner.getAttribute('data-testid') : (first && first.getAttribute('data-testid')) || 'other';
      counts[kind] = (counts[kind] || 0) + 1;
    }
    return Object.entries(counts).map(([k, n]) => `${k}:${n}`).join(',');
  };
  return {main: census(document.querySelector('[data-testid="stMain"]')),
          side: census(document.querySelector('[data-testid="stSidebar"]'))};
}"""


AT_JS = """(path) => location.pathname.replace(/\\/+$/, '').split('/').pop() === path"""


def settled(page, started: float, timeout: float, must_run: bool = False, path: str | None = None) -> float:
    """Seconds from `started` (perf_counter) to the first moment of the idle stretch that held;
    with `path`, only once the address shows that page (the server has begun its run)."""
    deadline = started + timeout
    first_idle = None
    while time.perf_counter() < deadline:
        ran = ((not must_run) or page.evaluate("() => window.__runs > 0")) and (
            path is None or page.evaluate(AT_JS, path))
        idle = ran and page.evaluate(IDLE_JS)
        now = time.perf_counter()
        if idle:
            first_idle = first_idle or now
            if now - first_idle >= SETTLE_MS / 1000:
                return first_idle - started
        else:
            first_idle = None
        time.sleep(POLL_S)
    raise TimeoutError(f"the page did not settle within {timeout:g} s")


def full_load(browser, url: str, timeout: float, census: dict | None = None) -> float:
    """Seconds of a full load of `url` in a fresh context; what the page shows goes into
    `census` (CENSUS_JS) when one is given."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        page = context.new_page()
        started = time.perf_counter()
        page.goto(url, wait_until="commit", timeout=timeout * 1000)
        seconds = settled(page, started, timeout)
        if page.evaluate(ERROR_JS):
            raise RuntimeError(f"{url} shows an exception")
        if census is not None:
            census.update(page.evaluate(CENSUS_JS))
        return seconds
    finally:
        context.close()


def switches(browser, base: str, pages: list, query: str, rounds: int, timeout: float) -> dict:
    """{page: [seconds, ...]} of in-app switches to each page, walking the agenda `rounds` times."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    out: dict = {name: [] for name, _, _ in pages}
    try:
        page = context.new_page()
        page.goto(f"{base}/?{query}", wait_until="commit", timeout=timeout * 1000)
        settled(page, time.perf_counter(), timeout)
        order = [*pages[1:], pages[0]]          # from the first page on, ending where it started
        for _ in range(rounds):
            for name, path, title in order:
                link = page.get_by_role("link", name=title).first
                page.evaluate(WATCH_JS)
                started = time.perf_counter()
                link.click()
                out[name].append(settled(page, started, timeout, must_run=True, path=path))
                if page.evaluate(ERROR_JS):
                    raise RuntimeError(f"{title} shows an exception after a switch")
    finally:
        context.close()
    return out


def measure(db: Path, workdir: Path, repeat: int, timeout: float, week: str | None, log) -> dict:
    from playwright.sync_api import sync_playwright

    pages = run.agenda()
    week, links = run.links(db, week)
    query = links[0]
    bare_entry = workdir / "bare_app.py"
    workdir.mkdir(parents=True, exist_ok=True)
    bare_entry.write_text(BARE_APP, encoding="utf-8")
    app = servers.start_streamlit(db, workdir / "dashboard", name="dashboard")
    bare = servers.start_streamlit(db, workdir / "bare", entry=bare_entry, name="bare")
    result = {"week": week, "query": query, "repeat": repeat, "pages": {}}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                # leave the fresh server's auto-discovery mode (DESIGN.md) and warm both servers
                full_load(browser, f"{app.url}/?{query}", timeout)
                full_load(browser, bare.url, timeout)
                loads = {"bare": []}
                shown: dict = {name: {} for name, _, _ in pages}
                for _ in range(repeat):          # interleaved, so a busy moment hits both sides
                    loads["bare"].append(full_load(browser, bare.url, timeout))
                    for name, path, _ in pages:
                        loads.setdefault(name, []).append(
                            full_load(browser, f"{app.url}/{path}?{query}", timeout, shown[name]))
                        # the same elements drawn by bare Streamlit, right after the page
                        same = urllib.parse.urlencode({"main": shown[name]["main"], "side": shown[name]["side"]})
                        loads.setdefault(f"same:{name}", []).append(full_load(browser, f"{bare.url}/?{same}", timeout))
                log("[browser] full loads: " + ", ".join(f"{k} {statistics.median(v):.2f} s" for k, v in loads.items()))
                switched = switches(browser, app.url, pages, query, repeat, timeout)
                log("[browser] switches: " + ", ".join(f"{k} {statistics.median(v):.2f} s" for k, v in switched.items()))
            finally:
                browser.close()
    finally:
        app.stop()
        bare.stop()
    bare_median = statistics.median(loads["bare"])
    result["bare"] = {"median_s": round(bare_median, 3), "max_s": round(max(loads["bare"]), 3),
                      "all_s": [round(x, 3) for x in loads["bare"]]}
    for name, _, title in pages:
        load, switch = loads[name], switched[name]
        same = statistics.median(loads[f"same:{name}"])
        result["pages"][name] = {
            "title": title, "load_median_s": round(statistics.median(load), 3), "load_max_s": round(max(load), 3),
            "load_vs_bare": round(statistics.median(load) / bare_median, 2),
            "elements": shown[name], "same_elements_median_s": round(same, 3),
            "same_elements_vs_bare": round(same / bare_median, 2), "load_vs_same_elements": round(statistics.median(load) / same, 2),
            "switch_median_s": round(statistics.median(switch), 3), "switch_max_s": round(max(switch), 3),
            "load_all_s": [round(x, 3) for x in load], "switch_all_s": [round(x, 3) for x in switch]}
    slowest = max(result["pages"].items(), key=lambda kv: kv[1]["switch_median_s"])
    result["slowest_switch"] = {"page": slowest[0], "title": slowest[1]["title"],
                                "median_s": slowest[1]["switch_median_s"], "max_s": slowest[1]["switch_max_s"]}
    return result


def table(result: dict) -> str:
    m = result["machine"]
    lines = [f"无头 Chromium（{CHROMIUM}），{VIEWPORT['width']}×{VIEWPORT['height']}，每项 {result['repeat']} 次，"
             f"会商周 {result['week']}；数据库 {Path(result['db']).name}；{m['nproc']} 核 {m['cpu']}；"
             f"测前负载 {result['loadavg_before']}",
             "",
             "| 页面 | 完整载入 中位 s | 最慢 s | ÷ 裸页面 | 同元素裸页面 s | ÷ 裸页面 | 页面 ÷ 同元素 | 页面切换 中位 s | 最慢 s |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
             f"| 裸 Streamlit 单图页面 | {result['bare']['median_s']:.2f} | {result['bare']['max_s']:.2f} | 1.00 | — | — | — | — | — |"]
    for p in result["pages"].values():
        lines.append(f"| {p['title']} | {p['load_median_s']:.2f} | {p['load_max_s']:.2f} | {p['load_vs_bare']:.2f} | "
                     f"{p['same_elements_median_s']:.2f} | {p['same_elements_vs_bare']:.2f} | {p['load_vs_same_elements']:.2f} | "
                     f"{p['switch_median_s']:.2f} | {p['switch_max_s']:.2f} |")
    s = result["slowest_switch"]
    worst = max(p["load_vs_bare"] for p in result["pages"].values())
    lines.append("")
    own = max(p["load_vs_same_elements"] for p in result["pages"].values())
    lines.append(f"完整载入最多为裸页面的 {worst:.2f} 倍（目标 ≤ 1.2）；为同样多元素的裸 Streamlit 页面的至多 {own:.2f} 倍"
                 "（其余是 Streamlit 画这些元素本身的用时）")
    lines.append(f"最慢的页面切换：{s['title']} "
                 f"中位 {s['median_s']:.2f} s，最慢一次 {s['max_s']:.2f} s（目标 < 1 s）")
    return "\n".join(lines)


def main(args) -> int:
    import os
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    if not Path(CHROMIUM).exists():
        log(f"{CHROMIUM} is missing (apt-get install chromium)")
        return 2
    db = Path(args.db) if args.db else run.bench_database(out, args.scale, max(args.years), log)
    repeat = max(1, args.browser_repeat)
    result = {"started_at": clock.stamp().isoformat(), "machine": bench.machine(), "db": str(db),
              "loadavg_before": [round(x, 1) for x in os.getloadavg()]}
    result.update(measure(db, out / "browser-run", repeat, args.timeout, args.week, log))
    result["finished_at"] = clock.stamp().isoformat()
    (out / "browser.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(table(result))
    log(f"结果已写入 {out / 'browser.json'}")
    return 0
