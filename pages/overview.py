"""本周态势: headline KPIs with 环比/同比/YTD, the 12-period trend, headline sentences, large cases."""
import streamlit as st

import queries
from antifraud import archive, charts, config, headlines, measures, metrics, stats, texts, ui, widgets
from antifraud.views import overview

ctx = ui.frame("本周态势")
period = ctx.period

figures = measures.period_figures(period, ctx.filters, ctx.span, medians=False)
kpis = figures.kpis
shift = overview.type_shift(*measures.type_totals([(p.start, p.end) for p in (period, period.prev())], ctx.filters))

if not ctx.wall:
    # late reports change issued figures: say so instead of silently rewriting history
    shown = {name: row for name, row in kpis.items() if name != "median_sign_minutes"}  # not computed here
    for line in archive.revision_sentences(archive.period_revisions(period, ctx.filters, shown)):
        st.info(f"修订：{texts.plain(line, 200)}（会商材料发布后数据有更新）")

for line in headlines.sentences(kpis, shift, ctx.kind, ctx.state,
                                rising=measures.type_changes(period, ctx.filters, ctx.span)):
    st.markdown(f"#### {texts.plain(line, 300)}" if ctx.wall else f"**{texts.plain(line, 300)}**")

widgets.kpi_tiles(kpis, overview.HEADLINE_TILES, ctx.kind)
st.caption("箭头旁为环比；下方为同比与年初以来累计，近几周持续变化时另起一行。只有显著的变化才着色并标“!”"
           f"（{stats.rule_text()}；“‼”为极显著）：红色表示朝不利方向变化，绿色表示朝有利方向变化，灰色表示不显著。"
           "各指标按自身历史的周间波动放宽检验；止付冻结率、挽损率和止付、冻结、返还金额不做检验。")

# the trend periods, this year's and last year's, came with the period's figures
chosen, _ = measures.trend_periods(period)
n = len(chosen)
now_trend = ly_trend = figures.trend
word = "周" if ctx.kind == "week" else "个月"

left, right = st.columns(2)
with left:
    frame = overview.trend_frame(now_trend, ly_trend, chosen, "cases", span=ctx.span)
    widgets.chart(charts.trend_vs_last_year(frame, f"近{n}{word}发案数与去年同期", "起"),
             widgets.definition("cases") + "。去年同期：同一ISO周（月）。", key="trend_cases")
with right:
    frame = overview.trend_frame(now_trend, ly_trend, chosen, "loss", scale=10000, span=ctx.span)
    widgets.chart(charts.trend_vs_last_year(frame, f"近{n}{word}损失金额与去年同期（万元）", "万元"),
             widgets.definition("loss"), key="trend_loss")

threshold = float(config.setting("overview.large_case_yuan", 1_000_000))
large = queries.run("large_cases", **ctx.params(), min_loss=threshold)
widgets.table(overview.large_cases_table(large), f"大额案件_{period.key}",
         title=f"大额案件（损失 ≥ {threshold / 10000:,.0f}万元）：" + ("—" if ctx.no_data else f"{len(large)}起"),
         caption="按损失金额从高到低；止付冻结 = 止付金额 + 冻结金额。不含任何当事人信息。")
