"""预警劝阻: warnings by level, source and result; dissuasion; sign/feedback times; overdue list."""
import streamlit as st

import queries
from antifraud import charts, measures, ui, widgets, wall as wall_mode
from antifraud.views import warnings as views

ctx = ui.frame("预警劝阻")
period = ctx.period

# the tiles' windows and the bureau table's week come from one read of the warning rollup
figures = measures.period_figures(period, ctx.filters, ctx.span)
frames, totals, kpis = figures.frames, figures.totals, figures.kpis
widgets.kpi_tiles(kpis, views.TILES, ctx.kind)



def breakdown():
    rows = queries.run("warning_breakdown", **ctx.params())
    return views.crosstab(rows, "level"), views.crosstab(rows, "source")


def overdue():
    """The overdue list as shown, and its counts per bureau and level."""
    rows = queries.run("overdue_warnings", **ctx.params())
    return views.overdue_table(rows, ctx.units), views.overdue_by_bureau(rows, ctx.units)


# what the page derives from its reads is kept for every viewer of this link
by_level, by_source = ctx.derive("warning_breakdown", breakdown)
results = {r: r for r in by_level.columns if r not in ("level", "合计")}
overdue_rows, per_bureau = ctx.derive("overdue", overdue)
lim = views.limits()


def wall_layout() -> None:
    """One screen for the meeting: the overdue 高-level warnings with their times, where they are, results."""
    shown, line, left_out = views.wall_overdue(overdue_rows, "高", n=10)
    line += f"；预警后被骗{int(totals['now'].get('victimized_after', 0))}人"
    a, b = st.columns([11, 9], gap="medium")
    with a:
        st.html(wall_mode.table_html(shown, title=f"高级超期预警（时限{lim['high']}分钟）", note=line,
                                hot=("超时(分钟)",), testid="wallOverdue", size="1.3rem",
                                more=f"另有{left_out}条高级超期预警见浏览器页面。" if left_out else None,
                                empty="本期没有高级超期预警。"))
    with b:
        widgets.chart(charts.stacked(per_bureau.head(8), "区县", {lv: f"{lv}级" for lv in views.LEVELS},
                                "超期预警最多的区县", "条", horizontal=True, height=400),
                 key="overdue_bars")
        widgets.chart(charts.stacked(by_level, "level", results, "各级别预警的劝阻结果", "条",
                                horizontal=True, height=270), key="by_level")


if ctx.wall:
    wall_layout()
    st.stop()

a, b = st.columns(2)
with a:
    widgets.chart(charts.stacked(by_level, "level", results, f"各级别预警的劝阻结果（{period.label}）", "条",
                            horizontal=True, height=300), widgets.definition("warnings", "dissuasion_rate"), key="by_level")
with b:
    widgets.chart(charts.stacked(by_source, "source", {r: r for r in by_source.columns if r not in ("source", "合计")},
                            f"各来源预警的劝阻结果（{period.label}）", "条", horizontal=True, height=300),
             "指令来源：省反诈中心、市反诈中心、银行、运营商等。", key="by_source")

c, d = st.columns(2)
with c:
    widgets.chart(charts.stacked(per_bureau, "区县", {lv: f"{lv}级" for lv in views.LEVELS},
                            f"各区县超期预警数（{period.label}）", "条", horizontal=True),
             widgets.definition("overdue_rate"), key="overdue_bars")
with d:
    table = views.bureau_table(frames["now"], queries.run("sign_median", **ctx.params()), ctx.units)
    widgets.table(table, f"预警劝阻_分县局_{period.key}", title="各区县劝阻、超期、签收与反馈用时",
             caption="比率单位%。" + widgets.definition("dissuasion_rate", "victimized_after_rate", "median_sign_minutes")
             + "；反馈用时(中位)：反馈时间 − 下发时间 的中位数。", height=420)

widgets.table(overdue_rows, f"超期预警_{period.key}",
         title=f"超期预警清单：{len(overdue_rows)}条",
         caption=f"时限：高级{lim['high']}分钟、中级{lim['mid']}分钟、低级{lim['low']}分钟；"
                 "未反馈且时限已过的计为超期。按级别、区县、下发时间排序。", height=420, limit=views.OVERDUE_SHOWN)
