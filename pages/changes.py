"""本周显著变化: what changed beyond chance in the chosen period (rises first) — the wall's opening
slide, before last meeting's follow-up and the fixed agenda. Hidden from the menu; `?page=changes`
pins it. The choice is statistics (antifraud/significance.py), the table the wall's (wall.changes_html)."""
import html

import streamlit as st

from antifraud import headlines, measures, registry, significance, ui, wall

ctx = ui.frame(registry.CHANGES.title)
if ctx.no_data or ctx.provisional:
    st.html(f'<div class="wall-calm" data-testid="wallCalm">{html.escape(ctx.span.notice(ctx.period) or "")}</div>')
else:
    kpis = measures.period_figures(ctx.period, ctx.filters, ctx.span, medians=False).kpis
    rising = headlines.rising_types(measures.type_changes(ctx.period, ctx.filters, ctx.span))
    st.html(wall.changes_html(significance.significant_changes(kpis, ctx.kind), ctx.kind, rising))
st.caption("显著：与上期、去年同期和此前几周比较，各指标按自身历史的周间波动放宽检验，同时列出的变化按错误发现率控制"
           "（加权 Benjamini–Hochberg）；红色为不利方向，绿色为有利方向，‼ 为极显著。方法见 docs/significance.md。"
           "随后按固定议程：" + "、".join(s.title for s in wall.agenda(registry.PAGES, False)) + "。")
