"""The briefing as Markdown: readable as-is, convertible to a printed page (pandoc, a browser).

Amounts in 万元 and rates in percent, formatted by the metric catalogue. Significance
marks: * |z| ≥ 2 (显著), ** |z| ≥ 3 (异常); ▲/▼ give the direction of a change.
"""
from __future__ import annotations

import math
import re

import pandas as pd

from antifraud import config, metrics, stats
from antifraud.briefing import Briefing, column_kind, column_label

KPI_ORDER = [m.name for m in metrics.CATALOGUE]
MAX_LIST_ROWS = 30
AREA_HEADERS = {"baseline": "基线(前几周均值)", "change_pct": "较基线(%)"}


def _cell(value, kind: str | None = None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "—"
    if kind in ("amount", "yuan_per_case"):      # the header carries the unit (万元)
        return f"{float(value) / 10000:,.2f}"
    if kind in ("rate", "per_10k", "minutes"):
        return metrics.format_value(kind, float(value))
    if kind == "count":
        return f"{int(round(float(value))):,}"
    if kind == "pct":
        return pct(value)
    if kind in ("z", "score"):
        return f"{float(value):.1f}" if kind == "score" else f"{float(value):+.2f}"
    return text(value)


def text(value) -> str:
    """Text from the data, inert in Markdown: one line, and no markup or raw HTML of its own
    (a station named `<img onerror=…>` must not become HTML when the md is converted)."""
    one_line = str(value).replace("\r", " ").replace("\n", " ")
    return re.sub(r"([\\`*_\[\]<>|~#])", r"\\\1", one_line)


def pct(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    arrow = "▲" if value > 0 else ("▼" if value < 0 else "")
    return f"{value:+.1f}%{arrow}"


def change(pct_value, z, flag) -> str:
    """A change with its arrow and significance mark; a rise from zero has no percent."""
    if pct_value is None and flag:
        return ("▲" if flag == "rise" else "▼") + mark(z)
    return pct(pct_value) + mark(z)


def mark(z) -> str:
    lvl = stats.level(z)
    return "**" if lvl == "alarm" else ("*" if lvl == "warn" else "")


def table(frame: pd.DataFrame, columns: list[str], headers: dict | None = None,
          bold_ids: set | None = None) -> str:
    if frame is None or frame.empty:
        return "（无数据）\n"
    heads = [(headers or {}).get(c) or _head(c) for c in columns]
    lines = ["| " + " | ".join(heads) + " |",
             "|" + "|".join("---:" if column_kind(c) else "---" for c in columns) + "|"]
    for row in frame.to_dict(orient="records"):
        cells = [_cell(row.get(c), column_kind(c)) for c in columns]
        if bold_ids and row.get("bureau_id") in bold_ids:
            cells = [f"**{c}**" for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _head(col: str) -> str:
    label = column_label(col)
    kind = column_kind(col)
    if kind in ("amount", "yuan_per_case"):
        return f"{label}(万元)"
    return label


def kpi_table(b: Briefing) -> str:
    now, prev = b.now_label, b.prev_label
    lines = [f"| 指标 | {now} | {prev} | 环比 | 去年同期 | 同比 | 年累计 | 去年累计 | 累计同比 |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name in KPI_ORDER:
        m, r = metrics.BY_NAME[name], b.kpis[name]
        f = (lambda v: _cell(v, "count")) if m.kind == "count" else m.format
        lines.append("| " + " | ".join([
            m.label, f(r["value"]), f(r[b.prev_key]), change(r[b.change_key], r["z"], r["flag"]),
            f(r["last_year"]), change(r["yoy_pct"], r["z_yoy"], r["flag_yoy"]), f(r["ytd"]), f(r["ytd_last_year"]),
            pct(r["ytd_yoy_pct"])]) + " |")
    return "\n".join(lines) + "\n"


def render(b: Briefing) -> str:
    marking = str(config.setting("marking.text", "") or "")
    out: list[str] = []
    add = out.append
    if marking:
        add(f"**{marking}**\n")
    add(f"# {b.title}\n")
    scope = "、".join(b.districts) if b.districts else "全市"
    facts = [f"统计周期：{b.period.label}（{b.period.dates_label}）",
             f"范围：{scope}" + (f"；诈骗类型：{'、'.join(b.filters.types)}" if b.filters.types else ""),
             f"数据截至：{b.data_as_of:%Y-%m-%d %H:%M}" if b.data_as_of else "数据截至：—",
             f"生成时间：{b.generated_at:%Y-%m-%d %H:%M}"]
    if b.provisional:
        facts.append(f"**{b.span.notice(b.period)}排名仅供参考。**")
    add("\n".join(f"- {x}" for x in facts) + "\n")

    if b.no_data:
        add("## 本期无数据\n")
        add((b.span.notice(b.period) or f"{b.period.label}（{b.period.dates_label}）在所选范围内没有案件、"
             "预警或打击战果记录。请确认数据是否已导入，或选择其他周期。") + "\n")
        _revisions(b, add)
        if marking:
            add(f"\n---\n**{marking}**\n")
        return "\n".join(out)

    add("## 一、总体态势\n")
    for s in b.headlines:
        add(f"> {text(s)}\n")
    add(kpi_table(b))
    add("注：▲上升 ▼下降；* 变化显著（|z|≥2），** 异常（|z|≥3）；金额单位万元。"
        "计数用泊松方差稳定检验，比率用两比例检验，金额不做检验。\n")
    for n in b.notes:
        add(f"注：{n}\n")

    add("## 二、高发区域\n")
    add(table(b.areas, ["bureau_name", "station", "cases", "baseline", "change_pct"],
              headers=AREA_HEADERS))
    add("\n**新出现热点**\n")
    if b.hotspots.empty:
        add("本期未发现新出现热点。\n")
    else:
        add(table(b.hotspots, ["bureau_name", "township", "station", "cases", "reason"],
                  headers={"cases": "本周发案" if b.kind == "week" else "末周发案"}))

    add("## 三、止付冻结\n")
    add(table(_active(b.interception, "cases", "stopped", "frozen"), ["bureau_name", "cases", "loss", "stopped", "frozen", "interception_rate",
                               "fast_stop_rate", "returned", "recovery_rate"]))

    add("## 四、预警劝阻\n")
    add(table(_active(b.warnings, "warnings", "overdue"), ["bureau_name", "warnings", "dissuaded", "dissuasion_rate", "overdue",
                           "overdue_high", "overdue_rate", "victimized_after", "median_sign_minutes"]))

    high = overdue_list(b, level="高")
    if len(high):
        add(f"\n**高级别超期预警（{len(high)}条）**\n")
        add(table(high.head(MAX_LIST_ROWS), list(high.columns)))
        if len(high) > MAX_LIST_ROWS:
            add(f"（另有{len(high) - MAX_LIST_ROWS}条，见 xlsx 的“超期预警”表。）\n")

    add("## 五、诈骗类型变化\n")
    add(table(b.types, ["fraud_type", "cases", "share", "cases_prev", "change_pct", "cases_last_year",
                        "yoy_pct", "loss"], headers={"cases_prev": f"{b.prev_label}发案"}))

    add("## 六、分县局排名\n")
    mine = set(b.filters.bureaus)
    _ranking(b.ranking, add, mine)
    for note in b.ranking_notes:
        add(f"注：{text(note)}\n")
    for label, frame in (("近28天", b.ranking_28d), ("年累计", b.ranking_ytd)):
        if not frame.empty:
            add(f"\n**排名（{label}）**\n")
            _ranking(frame, add, mine, gaps=False)

    add("## 七、预警提示\n")
    add("\n".join(f"- {text(a)}" for a in b.alerts) + "\n" if b.alerts else "本期无显著异常。\n")
    _revisions(b, add)
    if marking:
        add(f"\n---\n**{marking}**\n")
    return "\n".join(out)


def _ranking(frame: pd.DataFrame, add, mine: set, gaps: bool = True) -> None:
    if frame.empty:
        add("（排名暂不可用）\n")
        return
    cols = [c for c in ("rank", "bureau_name", "score", "rank_change", "rank_low", "rank_high")
            if c in frame]
    shown = frame.copy()
    if {"rank_low", "rank_high"} <= set(shown):
        shown["rank_range"] = [f"{int(a)}–{int(b)}" if pd.notna(a) and pd.notna(b) else "—"
                               for a, b in zip(shown.rank_low, shown.rank_high)]
        cols = [c for c in cols if c not in ("rank_low", "rank_high")] + ["rank_range"]
    add(table(shown, cols, headers={"rank_range": "名次区间"}, bold_ids=mine))
    if gaps and "gap" in frame:
        rows = frame[frame.bureau_id.isin(mine)] if mine else frame
        lines = [f"- {text(r.bureau_name)}：{text(r.gap)}" for r in rows.itertuples(index=False)
                 if isinstance(r.gap, str) and r.gap.strip()]
        if lines:
            add("\n**差距**\n")
            add("\n".join(lines) + "\n")


def _revisions(b: Briefing, add) -> None:
    if b.revisions is None or b.revisions.empty:
        return
    add("## 修订\n")
    add("以下指标在材料发布后因迟报数据发生变化（以首次发布的材料为准对比）：\n")
    lines = ["| 周期 | 指标 | 发布时 | 现在 | 发布时间 |", "|---|---|---:|---:|---|"]
    for r in b.revisions.itertuples(index=False):
        f = metrics.BY_NAME[r.metric].format
        lines.append(f"| {r.period} | {r.label} | {f(r.issued)} | {f(r.current)} | {r.issued_at or '—'} |")
    add("\n".join(lines) + "\n")


def overdue_list(b: Briefing, level: str | None = None) -> pd.DataFrame:
    """The 预警劝阻 page's overdue table (same builder), optionally one level only."""
    from antifraud.views import warnings as warning_views
    table_ = warning_views.overdue_table(b.overdue, b.units)
    if level is not None and len(table_):
        table_ = table_[table_["级别"] == level].drop(columns=["级别"])
    return table_.reset_index(drop=True)


def _active(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Paper has no room for rows of zeros: bureaus with nothing in `columns` are left out
    (the xlsx keeps every bureau)."""
    if frame.empty:
        return frame
    keep = (frame[list(columns)].fillna(0).astype(float) != 0).any(axis=1)
    return frame[keep]
