"""Page widgets over the shared look: tables with their downloads (audited), charts in the
shared template, the KPI tiles, definitions from the metric catalogue. Pages lay these out.
"""
from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from antifraud import access, metrics, registry, significance, stats
from antifraud.texts import plain, rate_points, change_text

is_wall = registry.is_wall

def table(frame: pd.DataFrame, name: str, *, title: str | None = None, caption: str | None = None,
          height: int | str = "auto", column_config: dict | None = None, hide_index: bool = True,
          downloads: bool = True, key: str | None = None, empty: str = "（本期无数据）",
          limit: int | None = None) -> None:
    """A dataframe (text shown as text, never HTML) with csv and xlsx downloads.

    `empty` is what an empty result says (e.g. 「本期没有明显上升的类型」, not 「无数据」).
    `limit`: a long list shows its first rows and says so; the downloads hold every row (ten
    thousand rows are read in a spreadsheet, not scrolled through in a browser, and every run
    would serialise them again).
    """
    if title:
        st.markdown(f"**{plain(title, 80)}**")
    if frame is None or frame.empty:
        # on the wall captions are hidden (unreadable at a distance); this one is content
        (st.markdown if is_wall() else st.caption)(empty)
    else:
        # a fixed height only pays off for long tables; short ones would show empty rows
        h = height if isinstance(height, str) or len(frame) > 12 else "auto"
        shown = frame if limit is None or len(frame) <= limit else frame.head(limit)
        st.dataframe(_numeric(shown), height=h, hide_index=hide_index, column_config=column_config,
                     width="stretch")
        if len(shown) < len(frame):
            caption = (f"显示前{len(shown):,}条，共{len(frame):,}条；完整清单请下载 csv 或 xlsx。"
                       + (caption or ""))
    if caption:
        st.caption(caption)
    if downloads and frame is not None and not frame.empty and not is_wall():
        _downloads(frame, name, title or name, key or name)


def _numeric(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing values show blank, not 'None': number columns become floats, text columns get ''."""
    out = frame.copy()
    out.attrs = {}          # what a builder noted for other builders is not shown (nor serialised)
    for col in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[col]) or not frame[col].isna().any():
            continue
        values = frame[col].dropna()
        if len(values) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            out[col] = pd.to_numeric(frame[col], errors="coerce")
        elif all(isinstance(v, str) for v in values):
            out[col] = frame[col].astype(object).where(frame[col].notna(), "")
    return out


def _downloads(frame: pd.DataFrame, name: str, title: str, key: str) -> None:
    from antifraud import exports
    safe = re.sub(r"[^\w\-一-鿿]+", "_", name).strip("_") or "table"
    out = frame.reset_index(drop=False) if not isinstance(frame.index, pd.RangeIndex) else frame
    row = st.container(horizontal=True, gap="small")
    who = access.current()
    signed = title + (f"（下载人：{who.name}）" if who is not None else "")
    csv = audited(lambda: exports.csv_bytes(out), f"{safe}.csv", title, len(out), who)
    xlsx = audited(lambda: exports.xlsx_bytes({title[:31]: out}, title=signed), f"{safe}.xlsx", title, len(out), who)
    row.download_button("下载 csv", data=csv, file_name=f"{safe}.csv",
                      mime="text/csv", on_click="ignore", key=f"dl_csv_{key}")
    row.download_button("下载 xlsx", data=xlsx,
                      file_name=f"{safe}.xlsx", on_click="ignore", key=f"dl_xlsx_{key}",
                      mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def audited(make, file_name: str, what: str, rows: int | None, who):
    """The download's bytes, made when it is clicked, with a line in the audit store (who, what, when)."""
    scope = "&".join(f"{k}={v}" for k in st.query_params for v in st.query_params.get_all(k)
                     if k != access.KIOSK_PARAM)[:500]

    def data():
        payload = make()
        from antifraud import audit
        audit.default().record_download(who.name if who is not None else None, file_name,
                                        what, rows, scope)
        return payload
    return data


def chart(fig, caption: str | None = None, *, key: str | None = None, height: int | None = None) -> None:
    """A plotly figure in the shared template (its title says what it shows) and its definition."""
    from antifraud import charts
    charts.apply_theme(fig, dark=is_wall())
    if height:
        fig.update_layout(height=height)
    st.plotly_chart(fig, theme=None, key=key, config={"displaylogo": False, "displayModeBar": False})
    if caption:
        st.caption(caption)


def definition(*names: str) -> str:
    """Captions come from the metric catalogue's definitions."""
    return "；".join(f"{metrics.get(n).label}：{metrics.get(n).definition}" for n in names)


def kpi_tiles(kpis: dict, names, kind: str = "week", columns: int | None = None) -> None:
    """One tile per metric: value, 环比 as the delta, 同比 and YTD below; a third line when the
    recent weeks changed beyond chance (近3周较此前12周); colour by direction, only when announced.

    Rates change in percentage points (a rate of 2% rising to 3% is "+1.00个百分点", not +50%).
    """
    from antifraud import significance
    names = list(names)
    cols = st.columns(columns or len(names))
    prev_key, prev_value = ("wow_pct", "prev_week") if kind == "week" else ("mom_pct", "prev_month")
    for i, name in enumerate(names):
        m, k = metrics.get(name), kpis.get(name, {})
        rate = m.kind == "rate"
        pts = (lambda before: rate_points(k.get("value"), k.get(before))) if rate else (lambda before: None)
        with cols[i % len(cols)].container(border=True):
            text, colour = change_text(None if rate else k.get(prev_key), k.get("flag", ""), k.get("q"),
                                       m.direction, "环比", pts(prev_value))
            has_delta = (pts(prev_value) if rate else k.get(prev_key)) is not None
            st.metric(m.label, m.format(k.get("value")), delta=text if has_delta else None,
                      delta_color=colour, help=m.definition)
            yoy, ycol = change_text(None if rate else k.get("yoy_pct"), k.get("flag_yoy", ""), k.get("q_yoy"),
                                    m.direction, "同比", pts("last_year"))
            if rate:
                d = rate_points(k.get("ytd"), k.get("ytd_last_year"))
                tail = f"（{d:+.2f}个百分点）" if d is not None else ""
            else:
                tail = f"（{k['ytd_yoy_pct']:+.1f}%）" if k.get("ytd_yoy_pct") is not None else ""
            ytd = f"年累计 {m.format(k.get('ytd'))}{tail}"
            st.markdown(f":{ycol}[{plain(yoy)}] · :gray[{plain(ytd, 60)}]")
            if k.get("flag_recent"):
                words = significance.change_words(m, k, significance.RECENT, kind) or ""
                tone = {"good": "green", "bad": "red"}.get(stats.tone(m.direction, k["flag_recent"]), "gray")
                mark = {"alarm": "‼", "warn": "!"}.get(stats.level(k.get("q_recent")), "")
                st.markdown(f":{tone}[{plain(words, 60)}{mark}]")
