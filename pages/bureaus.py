"""分县局排名: fair ranking with rank ranges, gaps in words, completeness, funnel, all metrics."""
import streamlit as st

from antifraud import funnel, measures, metrics, ranking, texts, ui, widgets, wall as wall_mode
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
    st.error(f"排名设置有误：{texts.plain(exc, 200)}（请检查 settings.toml 的 [ranking] 部分）")
    st.stop()

start, end = frame.attrs["start"], frame.attrs["end"]
if frame.attrs.get("no_data"):
    st.info(f"{start} 至 {end} 尚无数据，没有排名。")
    st.stop()
if frame.attrs.get("provisional"):
    st.warning(f"暂定排名：{period.label}数据尚不完整（{start} 至 {end}），仅供参考，不作为正式排名。")
else:
    st.caption(f"统计区间 {start} 至 {end}")
if ctx.districts:
    st.caption("排名始终列出全部分县局，★ 为所选辖区。")

if ctx.wall:
    # room-readable type; each gap on its own line, so the 差距 column is never cut
    screen = ranking.screen_table(frame, cfg, ctx.filters.bureaus)
    scores = ["总分"] + [label for _, label, _ in cfg.dimensions]
    st.html(wall_mode.table_html(screen, title="分县局排名（排名区间重叠的名次应视为并列）",
                                 formats={c: "{:.1f}" for c in scores}, lines=("差距（与全市中位比）",),
                                 widths={"差距（与全市中位比）": "42%"}, size="1.0rem", testid="wallRanking"))
else:
    widgets.table(ranking.screen_table(frame, cfg, ctx.filters.bureaus), f"分县局排名_{period.key}_{which}",
             title="分县局排名（排名区间重叠的名次应视为并列）",
             caption=("总分与各维度分 0–100，50 为全市水平；小样本的比率先向全市水平收缩，排名区间来自计数的重抽样"
                      f"（{cfg.resamples} 次，{cfg.interval:.0%}）。排名变化：↑ 为上升；上期名次仍在本期排名区间内的标“不显著”。样本不足：案件少于"
                      f"{cfg.min_cases}起，只给排名区间、不给确切名次。缺失记录一律按不利计，少记不会得分更高。方法见 docs/ranking.md。"),
             column_config={**{c: st.column_config.NumberColumn(format="%.1f", width=60)
                               for c in ["总分"] + [label for _, label, _ in cfg.dimensions]},
                            **{c: st.column_config.Column(width=w) for c, w in
                               (("排名", 50), ("排名区间", 70), ("排名变化", 110), ("发案数", 60), ("样本", 70),
                                ("本辖区", 50), ("分县局", 120))},
                            "差距（与全市中位比）": st.column_config.TextColumn(width=660)},
             height=min(35 * (len(frame) + 1) + 3, 620))

if not ctx.wall:
    left, right = st.columns([3, 2])
    with left:
        widgets.chart(funnel.rank_ranges(frame), "条为排名区间（计数重抽样的中间"
                 f"{cfg.interval:.0%}），点为本期名次；区间重叠的分县局之间差异不可靠。", key="rank_ranges")
    with right:
        widgets.table(ranking.completeness_table(frame), f"记录完整性_{period.key}_{which}", title="记录完整性",
                 caption="有止付但缺时间：有止付冻结金额或止付时间、却缺转账或止付时间的案件；记录完整率 = 1 −"
                         "（有止付但缺时间 + 预警未反馈）÷（有止付案件 + 预警数）。缺失一律按不利计分。",
                 column_config={"记录完整率": st.column_config.NumberColumn(format="percent")})
    notes = [f"{metrics.get(n).label}：{note}" for n, note in ranking.FAIR_NOTES.items()
             if n in frame.attrs.get("metrics", [])]
    dropped = [ranking.YOY_LABEL if n == ranking.YOY else metrics.get(n).label for n in frame.attrs.get("dropped", [])]
    observed = ranking.metric_columns(frame, cfg)
    formats = {c: st.column_config.NumberColumn(format="percent" if c in ranking.RATE_LABELS else "%.2f")
               for c in observed.columns if c != "分县局"}
    with st.expander("各项排名指标（计分所用的观测值）"):
        widgets.table(observed, f"排名指标_{period.key}_{which}", column_config=formats,
                 caption="；".join(notes) + ("。本期无数据未计分的指标：" + "、".join(dropped) if dropped else ""))

    bounds = {"period": (period.start, period.end), "28d": period.last_28(), "ytd": period.ytd()}[which]
    by_bureau = measures.by_bureau(*bounds, ranking.city_filters(ctx.filters), medians=True)

    st.markdown("**漏斗图**")
    options = funnel.choices(cfg)
    picked = st.selectbox("指标", options, format_func=lambda n: metrics.get(n).label, key="funnel_metric")
    # the funnel's limit curves are kept for every viewer of this link, window and metric
    widgets.chart(funnel.figure_of(ctx.derive("funnel", lambda: funnel.spec(by_bureau, picked), which, picked)),
             widgets.definition(picked) + "。虚线为95%、点线为99.8%控制限（按全市水平与各自分母）；"
             "限外的点与全市的差异超出偶然波动。", key="funnel")

    table = metrics.table(by_bureau, [m.name for m in metrics.CATALOGUE] + [m.name for m in metrics.EXTRA])
    table = table.apply(lambda col: col.astype(float))
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
    widgets.table(screen, f"分县局指标_{period.key}_{which}", title="全部指标（按分县局，可点击列名排序）",
             caption="万人指标按常住人口计；金额单位万元（下载文件为元）。", column_config=config,
             downloads=False)
    widgets._downloads(table.rename(columns={m.name: f"{m.label}" + ("(元)" if m.kind in ("amount", "yuan_per_case") else "")
                                        for m in list(metrics.CATALOGUE) + list(metrics.EXTRA)}),
                  f"分县局指标_{period.key}_{which}", "分县局指标", "all_metrics")
