"""止付冻结: stopped / frozen / returned by bureau and over time; minutes from last transfer to stop."""
import streamlit as st

import queries
from antifraud import charts, measures, ui, widgets
from antifraud.views import common, interception

ctx = ui.frame("止付冻结")
period = ctx.period

# the tiles' windows and the bureau table's week come from one read of the case rollup
figures = measures.period_figures(period, ctx.filters, ctx.span, medians=False)
frames, kpis = figures.frames, figures.kpis
widgets.kpi_tiles(kpis, interception.TILES, ctx.kind)

by_bureau = frames["now"]
table = interception.bureau_table(by_bureau, ctx.units)
# the trend periods came with the period's figures (city and per bureau)
chosen, _ = measures.trend_periods(period)
n = len(chosen)
over = interception.over_time(figures.trend, chosen, ctx.span)
word = "周" if ctx.kind == "week" else "个月"

names = common.district_names(ctx.units)


# what the page derives from the case rows and the trend is kept for every viewer of this link
def fast_stop():
    matrix = interception.fast_stop_by_bureau(figures.trend_bureaus, chosen, ctx.units, ctx.span)
    return matrix, interception.improving(matrix, word=word)


def minutes_by(group: str):
    """(summary table, box figures) of minutes to stop-payment per `group`."""
    return ctx.derive("minutes_by", lambda: interception.minutes_by(minutes(), group, names), group)


def minutes():
    return queries.run("stop_minutes", **ctx.params())


per_bureau, rising = ctx.derive("fast_stop_by_bureau", fast_stop)


def wall_layout() -> None:
    """One screen: amounts by bureau, the 30-minute rate by bureau, minutes to stop-payment by payer's bank."""
    fast = interception.by_fast_stop(table)
    rate_col = fast.columns[1]
    city_rate = kpis.get("fast_stop_rate", {}).get("value")
    banks, bank_boxes = minutes_by("payer_bank")
    a, b, c = st.columns([5, 4, 5], gap="medium")
    with a:
        widgets.chart(charts.stacked(interception.by_amount(table), "区县", {"止付(万元)": "止付", "冻结(万元)": "冻结"},
                                "各区县止付、冻结金额（万元）", "万元", horizontal=True, height=700,
                                overlay={"返还(万元)": "返还"}), key="by_bureau")
    with b:
        title = "各区县30分钟止付率（%）" if rising.empty else (
            f"30分钟止付率：{rising.区县.iloc[0]}连续{int(rising.连续上升.iloc[0])}{word}上升")
        widgets.chart(charts.bars(fast, "区县", rate_col, title, "%", text_format="{:.0f}",
                             height=700, reference=None if city_rate is None else city_rate * 100,
                             reference_label="全市"), key="fast_by_bureau")
    with c:
        widgets.chart(charts.box_figure(bank_boxes, "付款银行：最后转账至止付用时（分钟）",
                                        marker=interception.FAST_MINUTES, height=700), key="box_bank")


if ctx.wall:
    wall_layout()
    st.stop()

left, right = st.columns(2)
with left:
    widgets.chart(charts.stacked(interception.by_amount(table), "区县", {"止付(万元)": "止付", "冻结(万元)": "冻结"},
                            f"各区县止付、冻结金额及返还（{period.label}，万元）", "万元", horizontal=True,
                            overlay={"返还(万元)": "返还"}),
             widgets.definition("stopped", "frozen", "returned"), key="by_bureau")
with right:
    widgets.chart(charts.stacked(over, "label", {"stopped": "止付", "frozen": "冻结"},
                            f"近{n}{word}止付、冻结金额及返还（万元）", "万元", height=480,
                            overlay={"returned": "返还"}),
             widgets.definition("interception_rate", "recovery_rate"), key="over_time")

a, b = st.columns(2)
with a:
    widgets.chart(charts.histogram(ctx.derive("stop_minutes", lambda: minutes()["minutes"]),
                                   f"最后转账至止付用时分布（{period.label}）", bin_size=10,
                              limit=240, marker=interception.FAST_MINUTES, marker_label="30分钟"),
             "横轴为分钟（超过240分钟的计入最后一栏）。" + widgets.definition("fast_stop_rate"), key="minutes_hist")
with b:
    widgets.chart(charts.lines(over, "label", {"fast_stop_rate": "30分钟止付率", "interception_rate": "止付冻结率"},
                          f"近{n}{word}30分钟止付率与止付冻结率", percent=True),
             widgets.definition("fast_stop_rate", "interception_rate"), key="rates_over_time")

widgets.table(rising, f"30分钟止付率连续上升_{period.key}", title=f"30分钟止付率连续上升的区县（近{n}{word}）",
         empty=f"近{n}{word}没有连续3{word}以上上升的区县。",
         caption="从最新一期往前数，每期都比前一期高；某期没有同时有两个时间的案件即中断。" + widgets.definition("fast_stop_rate"))
widgets.table((per_bureau * 100).round(1).reset_index(names="区县"), f"30分钟止付率_分县局_近{n}{word}_{period.key}",
         title=f"各区县近{n}{word}30分钟止付率（%）", caption="空白：该期没有同时有两个时间的案件。")

widgets.table(table, f"止付冻结_分县局_{period.key}", title="各区县止付冻结明细",
         caption="金额单位万元，比率单位%。" + widgets.definition("interception_rate", "recovery_rate", "fast_stop_rate"))

st.markdown("**30分钟止付率与用时：按分县局、诈骗类型、付款银行**")
tabs = st.tabs(["按分县局", "按诈骗类型", "按付款银行"])
for tab, (group, label, key) in zip(tabs, [("bureau_id", "分县局", "bureau"), ("fraud_type", "诈骗类型", "type"),
                                          ("payer_bank", "付款银行", "bank")]):
    with tab:
        summary, boxes = minutes_by(group)
        summary = summary.rename(columns={"分组": label})
        c1, c2 = st.columns([3, 2])
        with c1:
            widgets.chart(charts.box_figure(boxes, f"最后转账至止付用时（{label}，分钟）",
                                            marker=interception.FAST_MINUTES,
                                            height=max(300, 30 * len(summary) + 100)),
                     "箱体为四分位区间，竖线为中位数；红色虚线为30分钟。", key=f"box_{key}")
        with c2:
            widgets.table(summary, f"止付用时_{label}_{period.key}", title=f"{label}：用时与30分钟止付率",
                     caption="只计同时有最后转账时间和止付时间的案件。", key=f"minutes_{key}")
