"""诈骗类型: the type mix vs the last four weeks and last year, rising types, loss and victims per type."""
import streamlit as st

import queries
from antifraud import charts, measures, ui, widgets, wall as wall_mode
from antifraud.periods import Period
from antifraud.views import types as views

ctx = ui.frame("诈骗类型")
period = ctx.period

b_start, b_end = views.baseline_window(period)
baseline = Period("range", "last4", b_start, b_end)
now, before, last_year = measures.type_totals([(p.start, p.end) for p in (period, baseline, period.last_year())],
                                              ctx.filters)
mixed = views.mix(now, before, last_year, period.days)
up = views.rising(measures.type_changes(period, ctx.filters, ctx.span))
order = mixed.fraud_type.tolist()

profile = queries.run("victim_profile", **ctx.params())
WALL_RISING = 4                  # rising types the wall lists (the browser view lists all)


def wall_layout() -> None:
    """One screen: the mix, rising types, loss per type; victims' age (dark ramp) and gender per type."""
    a, b, c = st.columns([5, 3, 4], gap="medium")
    with a:
        widgets.chart(charts.grouped(views.shares_for_chart(mixed), "fraud_type",
                                {"now": period.label, "baseline": "前4周", "last_year": "去年同期"},
                                "诈骗类型构成（占发案%）", "%", text_format=None, height=440), key="mix")
    with b:
        st.html(wall_mode.table_html(up[["诈骗类型", "说明"]].head(WALL_RISING), title="明显上升的类型",
                                     wrap=("说明",), hot=("诈骗类型",), testid="wallRising",
                                     more=f"另有{len(up) - WALL_RISING}类见浏览器页面。" if len(up) > WALL_RISING else None,
                                     empty="本期没有明显上升的类型。"))
    with c:
        loss = mixed[["fraud_type", "loss"]].assign(loss=lambda f: f.loss / 10000)
        widgets.chart(charts.bars(loss, "fraud_type", "loss", "各类型损失金额（万元）", "万元",
                             text_format="{:,.2f}", height=440), key="loss")
    d, e = st.columns([3, 2], gap="medium")
    with d:
        widgets.chart(charts.heatmap(views.age_matrix(profile, order), "各类型受害人年龄段（起）", dark=True,
                                height=500), key="age")
    with e:
        g = views.gender_shares(profile, order)
        widgets.chart(charts.stacked(g, "fraud_type", {c: c for c in g.columns if c != "fraud_type"},
                                "各类型受害人性别构成（%）", "%", horizontal=True, height=500), key="gender")


if ctx.wall:
    wall_layout()
    st.stop()

a, b = st.columns([3, 2])
with a:
    widgets.chart(charts.grouped(views.shares_for_chart(mixed), "fraud_type",
                            {"now": period.label, "baseline": "前4周", "last_year": "去年同期"},
                            f"诈骗类型构成：{period.label}与前4周、去年同期（占发案%）", "%", text_format=None,
                            height=420),
             "各窗口内该类型发案占全部发案的比例。" + widgets.definition("cases"), key="mix")
with b:
    widgets.table(up, f"上升类型_{period.key}", title="明显上升的类型",
             empty="本期没有明显上升的类型（偶然波动不列出）。" if not ctx.provisional and not ctx.no_data
             else "本期数据不完整，不做上升判断。",
             caption=views.rising_rule())
    loss = mixed[["fraud_type", "loss"]].assign(loss=lambda f: f.loss / 10000)
    widgets.chart(charts.bars(loss, "fraud_type", "loss", f"各类型损失金额（{period.label}，万元）", "万元",
                         text_format="{:,.2f}"), widgets.definition("loss", "avg_loss"), key="loss")

c, d = st.columns([3, 2])
with c:
    widgets.chart(charts.heatmap(views.age_matrix(profile, order), f"各类型受害人年龄段（{period.label}，起）"),
             "年龄只按年龄段保存（<18、18-29、30-44、45-59、60+），不含任何个人信息。", key="age")
with d:
    g = views.gender_shares(profile, order)
    widgets.chart(charts.stacked(g, "fraud_type", {c: c for c in g.columns if c != "fraud_type"},
                            f"各类型受害人性别构成（{period.label}，%）", "%", horizontal=True),
             "各类型案件中男、女受害人占比。", key="gender")

widgets.table(views.mix_table(mixed), f"诈骗类型_{period.key}", title="各类型发案、占比与损失",
         caption="前4周占比按本期长度折算后的发案计算。" + widgets.definition("avg_loss"))
