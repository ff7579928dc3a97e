"""Builders for 止付冻结: amounts and rates per bureau and over time, minutes to stop-payment."""
from __future__ import annotations

import pandas as pd

from antifraud import charts, metrics, stats
from antifraud.periods import DataSpan, Period
from antifraud.views.common import district_names, final_periods, short_label, wan

TILES = ("stopped", "frozen", "returned", "interception_rate", "recovery_rate", "fast_stop_rate")
FAST_MINUTES = 30          # the metric's definition (DATA.md): ≤ 30 minutes


TABLE = ("cases", "loss", "stopped", "frozen", "returned", "interception_rate", "recovery_rate", "fast_stop_rate")


def bureau_table(by_bureau: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Per bureau (metrics TABLE): amounts in 万元 and the three rates, best interception first."""
    rates = metrics.table(by_bureau, ["interception_rate", "recovery_rate", "fast_stop_rate"])
    names = district_names(units)
    out = pd.DataFrame({
        "区县": [names.get(str(i), str(i)) for i in by_bureau.index],
        "发案数": by_bureau["cases"].astype(int).values,
        "损失(万元)": wan(by_bureau["loss"]).round(2).values,
        "止付(万元)": wan(by_bureau["stopped"]).round(2).values,
        "冻结(万元)": wan(by_bureau["frozen"]).round(2).values,
        "返还(万元)": wan(by_bureau["returned"]).round(2).values,
        metrics.get("interception_rate").label + "(%)": (rates["interception_rate"].astype(float) * 100).round(2).values,
        metrics.get("recovery_rate").label + "(%)": (rates["recovery_rate"].astype(float) * 100).round(2).values,
        metrics.get("fast_stop_rate").label + "(%)": (rates["fast_stop_rate"].astype(float) * 100).round(2).values,
    })
    return out.sort_values(metrics.get("interception_rate").label + "(%)", ascending=False,
                           na_position="last").reset_index(drop=True)


def by_amount(table: pd.DataFrame) -> pd.DataFrame:
    """The bureau table ordered by stopped + frozen, largest first (for the bar chart)."""
    order = (table["止付(万元)"] + table["冻结(万元)"]).sort_values(ascending=False, kind="stable").index
    return table.loc[order].reset_index(drop=True)


def over_time(trend: pd.DataFrame, chosen: list[Period], span: DataSpan | None = None) -> pd.DataFrame:
    """label, stopped, frozen, returned (万元), interception_rate, fast_stop_rate per period;
    blank (NaN) for a period whose figures are not final (with `span`)."""
    final = final_periods(chosen, span)
    by_start = {}
    if trend is not None and len(trend):
        for row in trend.itertuples(index=False):
            by_start[pd.Timestamp(row.period_start).date()] = row
    rows = []
    for p in chosen:
        r = by_start.get(p.start)
        m = {} if r is None else {k: float(getattr(r, k)) for k in
                                  ("loss", "stopped", "frozen", "returned", "fast_stop_n", "fast_stop_den")}
        if m:
            m["intercepted"] = m["stopped"] + m["frozen"]
        if p.start not in final:
            rows.append({"label": short_label(p)})
            continue
        rows.append({"label": short_label(p),
                     "stopped": m.get("stopped", 0.0) / 10000, "frozen": m.get("frozen", 0.0) / 10000,
                     "returned": m.get("returned", 0.0) / 10000,
                     "interception_rate": metrics.get("interception_rate").value(m),
                     "fast_stop_rate": metrics.get("fast_stop_rate").value(m)})
    return pd.DataFrame(rows, columns=["label", "stopped", "frozen", "returned", "interception_rate",
                                       "fast_stop_rate"])


def minutes_summary(frame: pd.DataFrame, group: str, names: dict | None = None,
                    min_cases: int = 1) -> pd.DataFrame:
    """Per group: cases with both times, median and 90th-percentile minutes, 30分钟止付率."""
    label = metrics.get("fast_stop_rate").label + "(%)"
    cols = ["分组", "有两个时间的案件", "中位用时(分钟)", "P90用时(分钟)", label]
    if frame is None or frame.empty:
        return pd.DataFrame(columns=cols)
    f = frame.copy()
    f["fast"] = (f["minutes"].astype(float) <= FAST_MINUTES).astype(int)
    g = f.groupby(group)
    out = pd.DataFrame({
        "n": g.size(), "fast": g["fast"].sum(),
        "median": g["minutes"].median(), "p90": g["minutes"].quantile(0.9),
    }).reset_index()
    out = out[out.n >= min_cases]
    rate = [metrics.get("fast_stop_rate").value({"fast_stop_n": a, "fast_stop_den": n})
            for a, n in zip(out.fast, out.n)]
    names = names or {}
    res = pd.DataFrame({
        "分组": [names.get(str(x), str(x)) for x in out[group]],
        "有两个时间的案件": out["n"].astype(int).values,
        "中位用时(分钟)": out["median"].round(1).values, "P90用时(分钟)": out["p90"].round(1).values,
        label: [None if r is None else round(r * 100, 2) for r in rate],
    })
    return res.sort_values([label, "分组"], ascending=[False, True]).reset_index(drop=True)


def minutes_by(frame: pd.DataFrame, group: str, names: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Minutes to stop-payment per group (`bureau_id` shown by district name, `fraud_type`,
    `payer_bank`): the summary table (`minutes_summary`) and the box plots' figures
    (`charts.box_stats`) in the table's order."""
    names = names if group == "bureau_id" else None
    summary = minutes_summary(frame, group, names)
    if frame is None or frame.empty:
        return summary, charts.box_stats(pd.DataFrame({"group": [], "minutes": []}), "group", "minutes", [])
    labels = frame[group].astype(str)
    if names:
        labels = labels.map(names).fillna(labels)
    stats_ = charts.box_stats(pd.DataFrame({"group": labels, "minutes": frame["minutes"]}), "group", "minutes",
                              summary["分组"].tolist())
    return summary, stats_


def by_fast_stop(table: pd.DataFrame) -> pd.DataFrame:
    """区县 and 30分钟止付率(%) from `bureau_table`, best first (bureaus without a timed case last)."""
    label = metrics.get("fast_stop_rate").label + "(%)"
    return (table[["区县", label]].sort_values(label, ascending=False, na_position="last", kind="stable")
            .reset_index(drop=True))


def fast_stop_by_bureau(trend: pd.DataFrame, chosen: list[Period], units: pd.DataFrame,
                        span: DataSpan | None = None) -> pd.DataFrame:
    """30分钟止付率 per bureau (rows, district names) and period (columns, oldest first), as fractions;
    NaN where the bureau had no case with both times in that period, or the period is not final."""
    metric = metrics.get("fast_stop_rate")
    final = final_periods(chosen, span)
    names = district_names(units)
    starts = [p.start for p in chosen]
    labels = [short_label(p).replace("<br>", " ") for p in chosen]
    rows = [names.get(str(b), str(b)) for b in units["bureau_id"]]
    label_of = {start: label for start, label in zip(starts, labels) if start in final}
    t = trend if trend is not None else pd.DataFrame(columns=["period_start", "bureau_id", "fast_stop_n", "fast_stop_den"])
    t = t.assign(label=pd.to_datetime(t["period_start"]).dt.date.map(label_of),
                 name=[names.get(str(b), str(b)) for b in t["bureau_id"]]).dropna(subset=["label"])
    # one pivot per count (a cell per bureau and period), then the rate where a case had both times
    fast, timed = (t.pivot_table(index="name", columns="label", values=col, aggfunc="sum")
                   .reindex(index=list(dict.fromkeys(rows + list(t["name"]))), columns=labels)
                   .astype(float).fillna(0.0) for col in ("fast_stop_n", "fast_stop_den"))
    out = fast / timed.where(timed > 0) * metric.scale      # blank where no case had both times
    out.attrs["counts"] = (fast, timed)      # what `improving` tests
    return out


def improving(matrix: pd.DataFrame, min_run: int = 3, word: str = "周") -> pd.DataFrame:
    """Bureaus whose rate rose period after period up to the latest one, at least `min_run` times,
    and rose beyond chance: the cases of the run against the periods before it in the window
    (two proportions), with the false discovery rate controlled over every bureau — one bureau in
    24 rises three weeks in a row by luck alone. 区县, 连续上升, 从, 到 (percent), 说明 —
    「连续6周上升，33%→88%」. A period without a timed case breaks the run."""
    cols = ["区县", "连续上升", "从(%)", "到(%)", "说明"]
    fast, timed = matrix.attrs.get("counts", (None, None))
    rows = []
    for name, series in matrix.iterrows():
        values = list(series.astype(float))
        run = 0
        for i in range(len(values) - 1, 0, -1):
            now, before = values[i], values[i - 1]
            if pd.isna(now) or pd.isna(before) or not now > before:
                break
            run += 1
        p = 1.0
        if run >= min_run and fast is not None:
            n_run, d_run = fast.loc[name].iloc[-run:].sum(), timed.loc[name].iloc[-run:].sum()
            n_pre, d_pre = fast.loc[name].iloc[:-run].sum(), timed.loc[name].iloc[:-run].sum()
            test = stats.proportion_test(n_run, d_run, n_pre, d_pre)
            p = test.p if test.p is not None and (test.z or 0) > 0 else 1.0
        start, end = (values[-1 - run], values[-1]) if run else (None, None)
        rows.append({"区县": name, "连续上升": run, "p": p, "从(%)": None if start is None else round(start * 100, 1),
                     "到(%)": None if end is None else round(end * 100, 1),
                     "说明": f"连续{run}{word}上升，{start * 100:.0f}%→{end * 100:.0f}%" if run else ""})
    found = pd.DataFrame(rows, columns=["区县", "连续上升", "p", "从(%)", "到(%)", "说明"])
    if found.empty:
        return pd.DataFrame(columns=cols)
    found["q"] = stats.bh(found["p"].tolist())
    out = found[(found["连续上升"] >= min_run) & (found["q"] <= stats.q_level())]
    return out.sort_values(["连续上升", "到(%)"], ascending=False)[cols].reset_index(drop=True)
