"""分县局排名: fair ranking with rank ranges, gaps in words, completeness, funnel, all metrics."""
import streamlit as st

from antifraud import funnel, measures, metrics, ranking, ui
from antifraud.config import UsageError

ctx = ui.frame("分县局排名")
period = ctx.period

WINDOWS = {f"{ctx.period_word}（{period.label}）": "period", "近28天": "28d", "年初以来": "ytd"}
choice = st.radio("排名区间", list(WINDOWS), horizontal=True, key="rank_window", label_visibility="collapsed")
which = WINDOWS[choice]

try:
    cfg = ranking.load_config()
    fetch = {"period": ranking.rank_period, "28d": ranking.rank_28d, "ytd": ranking.rank_ytd}[which]
    frame = fetch(period, ctx.filters, cfg=cfg)
except UsageError as exc:
    st.error(f"排名设置有误：{ui.plain(exc, 200)}（请检查 settings.toml 的 [ranking] 部分）")
    st.stop()

start, end = frame.attrs["start"], frame.attrs["end"]
if frame.attrs.get("provisional"):
    st.warning(f"暂定排名：{period.label}数据尚不完整（{start} 至 {end}），仅供参考，不作为正式排名。")
else:
    st.caption(f"统计区间 {start} 至 {end}")
if ctx.districts:
    st.caption("排名始终列出全部分县局，★ 为所选辖区。")

ui.table(ranking.screen_table(frame, cfg, ctx.filters.bureaus), f"分县局排名_{period.key}_{which}",
         title="分县局排名（排名区间重叠的名次应视为并列）",
         caption=("总分与各维度分 0–100，50 为全市水平；小样本的比率先向全市水平收缩，排名区间来自计数的重抽样"
                  f"（{cfg.resamples} 次，{cfg.interval:.0%}）。排名变化：↑ 为上升。样本不足：案件少于"
                  f"{cfg.min_cases}起。缺失记录一律按不利计，少记不会得分更高。方法见 docs/ranking.md。"),
         column_config={"总分": st.column_config.NumberColumn(format="%.1f"),
                        "记录完整率": st.column_config.NumberColumn(format="percent")},
         height=min(38 * (len(frame) + 1) + 4, 620))

if not ctx.wall:
    ui.chart(funnel.rank_ranges(frame), "条为排名区间（计数重抽样的中间"
             f"{cfg.interval:.0%}），点为本期名次；区间重叠的分县局之间差异不可靠。", key="rank_ranges")
    notes = [f"{metrics.get(n).label}：{note}" for n, note in ranking.FAIR_NOTES.items()
             if n in frame.attrs.get("metrics", [])]
    dropped = [n for n in frame.attrs.get("dropped", [])]
    with st.expander("各项排名指标（计分所用的观测值）"):
        ui.table(ranking.metric_columns(frame, cfg), f"排名指标_{period.key}_{which}",
                 caption="；".join(notes) + ("。本期无数据未计分的指标：" + "、".join(dropped) if dropped else ""))

    bounds = {"period": (period.start, period.end), "28d": period.last_28(), "ytd": period.ytd()}[which]
    by_bureau = measures.by_bureau(*bounds, ranking.city_filters(ctx.filters))

    st.markdown("**漏斗图**")
    options = funnel.choices(cfg)
    picked = st.selectbox("指标", options, format_func=lambda n: metrics.get(n).label, key="funnel_metric")
    ui.chart(funnel.figure(by_bureau, picked),
             ui.definition(picked) + "。虚线为95%、点线为99.8%控制限（按全市水平与各自分母）；"
             "限外的点与全市的差异超出偶然波动。", key="funnel")

    table = metrics.table(by_bureau, [m.name for m in metrics.CATALOGUE] + [m.name for m in metrics.EXTRA])
    table.insert(0, "分县局", by_bureau["bureau_name"].astype(str))
    screen = table.copy()
    config = {}
    for m in list(metrics.CATALOGUE) + list(metrics.EXTRA):
        if m.kind in ("amount", "yuan_per_case"):
            screen[m.name] = screen[m.name] / 10000
        config[m.name] = st.column_config.NumberColumn(
            f"{m.label}({m.unit})" if m.unit not in ("%",) else m.label,
            format="percent" if m.kind == "rate" else ("%.2f" if m.kind != "count" else "%d"),
            help=m.definition)
    ui.table(screen, f"分县局指标_{period.key}_{which}", title="全部指标（按分县局，可点击列名排序）",
             caption="万人指标按常住人口计；金额单位万元（下载文件为元）。", column_config=config,
             downloads=False)
    ui._downloads(table.rename(columns={m.name: f"{m.label}" + ("(元)" if m.kind in ("amount", "yuan_per_case") else "")
                                        for m in list(metrics.CATALOGUE) + list(metrics.EXTRA)}),
                  f"分县局指标_{period.key}_{which}", "分县局指标", "all_metrics")
