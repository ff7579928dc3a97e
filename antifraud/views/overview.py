"""Builders for 本周态势: the 12-period trend against last year, the type shift, large cases."""
from __future__ import annotations

import pandas as pd

from antifraud.periods import DataSpan, Period
from antifraud.views.common import bureau_names, final_periods, short_label, wan

HEADLINE_TILES = ("cases", "loss", "interception_rate", "dissuasion_rate", "fast_stop_rate", "overdue_rate")


def trend_frame(now: pd.DataFrame, last_year: pd.DataFrame, chosen: list[Period], measure: str = "cases",
                scale: float = 1.0, span: DataSpan | None = None) -> pd.DataFrame:
    """One row per chosen period: `label`, `now`, `last_year` (the same ISO week / month a year before).

    `now` and `last_year` hold rows of period_start and measures (PeriodFigures.trend). With `span`, a
    period whose figures are not final (or a last-year period before the data) is left blank
    (NaN): the line stops there instead of falling to zero.
    """
    def lookup(frame):
        if frame is None or frame.empty:
            return {}
        return {pd.Timestamp(d).date(): float(v) for d, v in zip(frame["period_start"], frame[measure])}
    a, b = lookup(now), lookup(last_year)
    final = final_periods(chosen, span)
    final_ly = final_periods([p.last_year() for p in chosen], span)
    nan = float("nan")
    rows = [{"label": short_label(p),
             "now": a.get(p.start, 0.0) / scale if p.start in final else nan,
             "last_year": b.get(p.last_year().start, 0.0) / scale if p.last_year().start in final_ly else nan}
            for p in chosen]
    return pd.DataFrame(rows, columns=["label", "now", "last_year"])


def type_shift(now: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
    """`type_totals` of this period and the comparison period -> the frame `headlines.sentences` reads."""
    cols = ["fraud_type", "cases", "loss"]
    a = now[cols] if now is not None and len(now) else pd.DataFrame(columns=cols)
    b = before[cols] if before is not None and len(before) else pd.DataFrame(columns=cols)
    out = a.merge(b, on="fraud_type", how="outer", suffixes=("", "_before"))
    for c in ("cases", "loss", "cases_before", "loss_before"):
        out[c] = pd.to_numeric(out[c], errors="coerce").fillna(0).astype(float)
    return out.sort_values(["cases", "fraud_type"], ascending=[False, True]).reset_index(drop=True)


def large_cases_table(frame: pd.DataFrame, units: pd.DataFrame | None = None) -> pd.DataFrame:
    """The 大额案件 list for the screen: no victim data, amounts in 万元."""
    cols = ["案件编号", "报案时间", "分县局", "派出所", "诈骗类型", "损失(万元)", "止付(万元)",
            "冻结(万元)", "返还(万元)", "止付冻结(万元)", "状态"]
    if frame is None or frame.empty:
        return pd.DataFrame(columns=cols)
    names = bureau_names(units) if units is not None else {}
    bureau = frame["bureau_name"] if "bureau_name" in frame else frame["bureau_id"].map(names)
    stopped, frozen = wan(frame["stopped_amount"]).fillna(0), wan(frame["frozen_amount"]).fillna(0)
    out = pd.DataFrame({
        "案件编号": frame["case_id"].astype(str),
        "报案时间": pd.to_datetime(frame["reported_at"]).dt.strftime("%m-%d %H:%M"),
        "分县局": bureau.fillna(frame["bureau_id"]).astype(str),
        "派出所": frame["station"].fillna("").astype(str),
        "诈骗类型": frame["fraud_type"].fillna("").astype(str),
        "损失(万元)": wan(frame["loss_amount"]).round(2),
        "止付(万元)": stopped.round(2), "冻结(万元)": frozen.round(2),
        "返还(万元)": wan(frame["returned_amount"]).fillna(0).round(2),
        "止付冻结(万元)": (stopped + frozen).round(2),
        "状态": frame["status"].fillna("").astype(str),
    })
    return out[cols].reset_index(drop=True)
