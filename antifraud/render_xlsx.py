"""The briefing as xlsx: a cover sheet, then one sheet per section with Chinese names.

Summary sheets carry amounts in 万元 (two decimals) and rates as percentages; the raw
per-bureau sheet carries yuan. Every sheet has the marking in its first row and in the
printed page header, a frozen header row, fitted widths, and neutralised text.
"""
from __future__ import annotations

import pandas as pd

from antifraud import config, exports, metrics, stats
from antifraud.briefing import Briefing, column_kind, column_label
from antifraud.render_md import AREA_HEADERS, overdue_list


def summary(frame: pd.DataFrame, columns: list[str], headers: dict | None = None,
            wan: bool = True) -> tuple[pd.DataFrame, dict]:
    """Chinese headers, amounts in 万元 (or yuan), and the number format kind of each column."""
    out, kinds = pd.DataFrame(), {}
    for c in columns:
        if c not in frame:
            continue
        kind = column_kind(c)
        head = (headers or {}).get(c) or column_label(c)
        values = frame[c]
        if kind in ("amount", "yuan_per_case"):
            values = pd.to_numeric(values, errors="coerce")
            if wan:
                values = values / 10000
                head, kind = f"{head}(万元)", "wan"
            else:
                head, kind = f"{head}(元)", "yuan"
        out[head] = values.reset_index(drop=True)
        if kind:
            kinds[head] = kind
    return out, kinds


def kpi_frame(b: Briefing) -> tuple[pd.DataFrame, dict]:
    rows = []
    for m in metrics.CATALOGUE:
        r = b.kpis[m.name]
        scale = 1 / 10000 if m.kind in ("amount", "yuan_per_case") else 1

        def v(x):
            return None if x is None else x * scale
        rows.append({"指标": m.label, "单位": m.unit, b.now_label: v(r["value"]), b.prev_label: v(r[b.prev_key]),
                     "环比(%)": r[b.change_key], "环比显著性": _sig(r["z"], r["flag"], m.direction),
                     "去年同期": v(r["last_year"]), "同比(%)": r["yoy_pct"],
                     "同比显著性": _sig(r["z_yoy"], r["flag_yoy"], m.direction),
                     "年累计": v(r["ytd"]), "去年累计": v(r["ytd_last_year"]), "累计同比(%)": r["ytd_yoy_pct"],
                     "_kind": m.kind})
    frame = pd.DataFrame(rows)
    return frame, {"环比(%)": "pct", "同比(%)": "pct", "累计同比(%)": "pct"}


def _sig(z, flag, direction) -> str:
    if z is None or not flag:
        return ""
    word = "异常" if stats.level(z) == "alarm" else "显著"
    tone = {"good": "向好", "bad": "需关注"}.get(stats.tone(direction, z), "")
    return f"{'上升' if flag == 'rise' else '下降'}{word}{tone}（z={z:+.2f}）"


def render(b: Briefing) -> bytes:
    book = exports.Workbook(marking=True)
    title = b.title
    _cover(book, b)
    if b.no_data:
        book.add_lines("本期无数据", [("说明", b.span.notice(b.period) or (
            f"{b.period.label}（{b.period.dates_label}）在所选范围内没有案件、"
            "预警或打击战果记录。请确认数据是否已导入，或选择其他周期。"))],
                       title=title)
    else:
        lines = [("要点", s) for s in b.headlines] + [("提示", a) for a in b.alerts] + \
                [("注", n) for n in b.notes]
        book.add_lines("要点", lines or [("要点", "本期无显著异常。")], title=title)
        _kpis(book, b, title)
        frame, kinds = summary(b.areas, ["bureau_name", "station", "cases", "baseline", "change_pct"],
                               headers=AREA_HEADERS)
        book.add_table("高发区域", frame, title=title, kinds=kinds)
        frame, kinds = summary(b.hotspots, ["bureau_name", "township", "station", "cases", "baseline",
                                            "run", "z", "reason"],
                               headers={"cases": "本周发案" if b.kind == "week" else "末周发案"})
        book.add_table("新出现热点", frame, title=title, kinds=kinds)
        frame, kinds = summary(b.interception, ["bureau_name", "cases", "loss", "stopped", "frozen",
                                                "interception_rate", "fast_stop_rate", "returned",
                                                "recovery_rate"])
        book.add_table("止付冻结", frame, title=title, kinds=kinds)
        frame, kinds = summary(b.warnings, ["bureau_name", "warnings", "dissuaded", "dissuasion_rate",
                                            "overdue", "overdue_high", "overdue_rate", "victimized_after",
                                            "victimized_after_rate", "median_sign_minutes"])
        book.add_table("预警劝阻", frame, title=title, kinds=kinds)
        book.add_table("超期预警", overdue_list(b), title=title + "（超期预警清单）")
        frame, kinds = summary(b.types, ["fraud_type", "cases", "share", "cases_prev", "change_pct",
                                         "cases_last_year", "yoy_pct", "z", "loss"],
                               headers={"cases_prev": f"{b.prev_label}发案"})
        book.add_table("诈骗类型", frame, title=title, kinds=kinds)
        for name, data in (("分县局排名", b.ranking), ("排名(近28天)", b.ranking_28d),
                           ("排名(年累计)", b.ranking_ytd)):
            if data.empty and name != "分县局排名":
                continue
            cols = ["rank", "bureau_name", "score", "rank_change", "rank_low", "rank_high"] + \
                [c for c in data.columns if c in metrics.ALL] + ["gap"]
            frame, kinds = summary(data, list(dict.fromkeys(cols)))
            book.add_table(name, frame, title=title, kinds=kinds, notes=b.ranking_notes)
        measures_cols = ["bureau_id", "bureau_name", "district_name", "population"] + \
            [c for c in metrics.MEASURES if c in b.bureaus and c != "population"] + \
            [m.name for m in metrics.CATALOGUE if m.name in b.bureaus]
        frame, kinds = summary(b.bureaus, list(dict.fromkeys(measures_cols)), wan=False)
        book.add_table("分县局数据(元)", frame, title=title + "（原始数据，金额单位元）", kinds=kinds)
    if b.revisions is not None and not b.revisions.empty:
        rev = b.revisions.copy()
        rev["issued"] = [metrics.BY_NAME[m].format(v) for m, v in zip(rev.metric, rev.issued)]
        rev["current"] = [metrics.BY_NAME[m].format(v) for m, v in zip(rev.metric, rev.current)]
        frame = rev[["period", "label", "issued", "current", "issued_at", "issued_data_as_of"]].rename(
            columns={"period": "周期", "label": "指标", "issued": "发布时", "current": "现在",
                     "issued_at": "发布时间", "issued_data_as_of": "发布时数据截至"})
        book.add_table("修订", frame, title=title, notes=["材料发布后迟报数据使以上指标发生变化，以首次发布的材料为准对比。"])
    return book.close()


def _kpis(book, b: Briefing, title: str) -> None:
    frame, kinds = kpi_frame(b)
    kind_of = frame.pop("_kind")
    ws = book.add_table("主要指标", frame, title=title + "（金额单位万元）", kinds=kinds)
    # each row has its own unit: format the value cells row by row
    value_cols = [b.now_label, b.prev_label, "去年同期", "年累计", "去年累计"]
    codes = {"amount": "wan", "yuan_per_case": "wan", "rate": "rate", "count": "count",
             "per_10k": "per_10k", "minutes": "minutes"}
    for i, kind in enumerate(kind_of):
        fmt = book.number_format(codes.get(kind, "number"))
        for col in value_cols:
            j = list(frame.columns).index(col)
            value = frame.iat[i, j]
            if value is not None and not pd.isna(value):
                ws.write_number(i + 2, j, float(value), fmt)
    ws.write_string(len(frame) + 3, 0, "注：显著指 |z|≥2，异常指 |z|≥3；计数用泊松方差稳定检验，比率用两比例检验，金额不做检验。")


def _cover(book, b: Briefing) -> None:
    scope = "、".join(f"{d}（{n}）" for d, n in zip(b.districts, b.bureau_names)) or "全市"
    rows = [("材料", b.title),
            ("统计周期", f"{b.period.label}（{b.period.dates_label}）"),
            ("周期类型", "周（环比上周，同比去年同周）" if b.kind == "week" else "月（环比上月，同比去年同月）"),
            ("范围", scope),
            ("诈骗类型", "、".join(b.filters.types) or "全部"),
            ("数据截至", f"{b.data_as_of:%Y-%m-%d %H:%M}" if b.data_as_of else "—"),
            ("最近导入", f"{b.last_import:%Y-%m-%d %H:%M}" if b.last_import else "—"),
            ("数据状态", (b.span.notice(b.period) or "") + ("排名仅供参考" if b.provisional else "") or "完整"),
            ("生成时间", f"{b.generated_at:%Y-%m-%d %H:%M}"),
            ("密级标识", str(config.setting("marking.text", "") or "—")),
            ("单位", "汇总表金额单位万元（两位小数），比率为百分比；“分县局数据(元)”为原始数据，金额单位元。"),
            ("", ""), ("指标口径", "")]
    rows += [(m.label, f"{m.definition}（单位：{m.unit}）") for m in metrics.CATALOGUE]
    book.add_lines("封面", rows, title=b.title)
