"""本周态势: headline KPIs with 环比/同比/YTD, the 12-period trend, headline sentences, large cases."""
import streamlit as st

import queries
from antifraud import archive, charts, config, headlines, measures, metrics, ui
from antifraud.views import common, overview

ctx = ui.frame("本周态势")
period = ctx.period

kpis = measures.kpis(measures.window_totals(period, ctx.filters, medians=False), ctx.kind, ctx.covered)
shift = overview.type_shift(*measures.type_totals([(p.start, p.end) for p in (period, period.prev())], ctx.filters))

if not ctx.wall:
    # late reports change issued figures: say so instead of silently rewriting history
    shown = {name: row for name, row in kpis.items() if name != "median_sign_minutes"}  # not computed here
    for line in archive.revision_sentences(archive.period_revisions(period, ctx.filters, shown)):
        st.info(f"修订：{ui.plain(line, 200)}（会商材料发布后数据有更新）")

for line in headlines.sentences(kpis, shift, ctx.kind, ctx.state):
    st.markdown(f"#### {ui.plain(line, 300)}" if ctx.wall else f"**{ui.plain(line, 300)}**")

ui.kpi_tiles(kpis, overview.HEADLINE_TILES, ctx.kind)
st.caption("箭头旁为环比；下方为同比与年初以来累计。只有显著变化（|z| ≥ 2，标“!”；≥ 3 标“‼”）才着色："
           "红色表示朝不利方向变化，绿色表示朝有利方向变化，灰色表示变化不显著。损失金额按复合泊松方差检验，其他金额不做检验。")

n = int(config.setting("overview.trend_weeks", 12))
chosen = common.recent_periods(period, n)
unit = "week" if ctx.kind == "week" else "month"
span = dict(start=chosen[0].start, end=chosen[-1].end_exclusive, unit=unit)
span_ly = dict(start=chosen[0].last_year().start, end=chosen[-1].last_year().end_exclusive, unit=unit)
now_trend = queries.run("case_trend", **span, **ctx.filters.params())
ly_trend = queries.run("case_trend", **span_ly, **ctx.filters.params())
word = "周" if ctx.kind == "week" else "个月"

left, right = st.columns(2)
with left:
    frame = overview.trend_frame(now_trend, ly_trend, chosen, "cases", span=ctx.span)
    ui.chart(charts.trend_vs_last_year(frame, f"近{n}{word}发案数与去年同期", "起"),
             ui.definition("cases") + "。去年同期：同一ISO周（月）。", key="trend_cases")
with right:
    frame = overview.trend_frame(now_trend, ly_trend, chosen, "loss", scale=10000, span=ctx.span)
    ui.chart(charts.trend_vs_last_year(frame, f"近{n}{word}损失金额与去年同期（万元）", "万元"),
             ui.definition("loss"), key="trend_loss")

threshold = float(config.setting("overview.large_case_yuan", 1_000_000))
large = queries.run("large_cases", **ctx.params(), min_loss=threshold)
ui.table(overview.large_cases_table(large), f"大额案件_{period.key}",
         title=f"大额案件（损失 ≥ {threshold / 10000:,.0f}万元）：{len(large)}起",
         caption="按损失金额从高到低；止付冻结 = 止付金额 + 冻结金额。不含任何当事人信息。")
