"""Emerging hot spots and the busiest places (pure: weekly place counts in, frames out).

    emerging(frame, week_start, *, level="township", baseline_weeks=None, rising_weeks=None,
             min_cases=None, warn_z=None) -> DataFrame
    top_places(frame, start, end, *, level="station", n=None, baseline_weeks=None) -> DataFrame

`frame` holds weekly counts per place, as the query `area_weekly_places` returns them:
`week_start` (Monday), `bureau_id`, `station`, `township`, `cases`. Defaults come from
settings [hotspots] and [significance].

A place is an emerging hot spot in the week starting `week_start` when it has at least
`min_cases` cases that week and either
- its cases rose `rising_weeks` or more weeks in a row ("连续4周上升，3→9起"), or
- they are significantly above its own mean of the `baseline_weeks` before
  (Poisson z = 2(√now − √mean) ≥ warn_z: "高于前4周均值2.3起，本周9起").
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from antifraud import config, stats

COLUMNS = ["bureau_id", "place", "level", "cases", "baseline", "run", "run_from", "z", "reason"]
LEVEL_WORD = {"township": "乡镇街道", "station": "派出所"}


def _setting(value, name, default):
    return value if value is not None else type(default)(config.setting(name, default))


def weekly_matrix(frame: pd.DataFrame, level: str, weeks: list[dt.date]) -> pd.DataFrame:
    """(bureau_id, place) × week_start counts, zeros where a place had no case that week."""
    if frame is None or frame.empty:
        return pd.DataFrame(columns=weeks, index=pd.MultiIndex.from_tuples([], names=["bureau_id", "place"]))
    f = frame.copy()
    f["week_start"] = pd.to_datetime(f["week_start"]).dt.date
    f["place"] = f[level].fillna("（未注明）").astype(str)
    m = f.pivot_table(index=["bureau_id", "place"], columns="week_start", values="cases",
                      aggfunc="sum", fill_value=0)
    return m.reindex(columns=weeks, fill_value=0).fillna(0).astype(int)


def rising_run(series: list[int]) -> int:
    """How many week-over-week rises end at the last value (3, 4, 6, 9 -> 3)."""
    run = 0
    for i in range(len(series) - 1, 0, -1):
        if series[i] > series[i - 1]:
            run += 1
        else:
            break
    return run


def emerging(frame: pd.DataFrame, week_start: dt.date, *, level: str = "township",
             baseline_weeks: int | None = None, rising_weeks: int | None = None,
             min_cases: int | None = None, warn_z: float | None = None) -> pd.DataFrame:
    """Emerging hot spots in the week starting `week_start`, most cases first (see module doc)."""
    baseline_weeks = _setting(baseline_weeks, "hotspots.baseline_weeks", 4)
    rising_weeks = _setting(rising_weeks, "hotspots.rising_weeks", 3)
    min_cases = _setting(min_cases, "hotspots.min_cases", 3)
    warn_z = _setting(warn_z, "significance.warn_z", 2.0)
    span = max(baseline_weeks, rising_weeks + 4)
    weeks = [week_start - dt.timedelta(days=7 * k) for k in range(span, -1, -1)]
    m = weekly_matrix(frame, level, weeks)
    word = "本周"
    rows = []
    for (bureau, place), counts in m.iterrows():
        series = [int(v) for v in counts.tolist()]
        now = series[-1]
        if now < min_cases:
            continue
        base = series[-1 - baseline_weeks:-1]
        mean = sum(base) / len(base) if base else 0.0
        z = stats.poisson_z(now, mean)
        run = rising_run(series)
        reasons = []
        if run >= rising_weeks:
            reasons.append(f"连续{run}周上升，{series[-1 - run]}→{now}起")
        if z is not None and z >= warn_z and now > mean:
            reasons.append(f"高于前{baseline_weeks}周均值{mean:.1f}起，{word}{now}起")
        if reasons:
            rows.append({"bureau_id": bureau, "place": place, "level": level, "cases": now,
                         "baseline": round(mean, 2), "run": run, "run_from": series[-1 - run],
                         "z": round(z, 2) if z is not None else None, "reason": "；".join(reasons)})
    out = pd.DataFrame(rows, columns=COLUMNS)
    # most cases first: the room asks about the place with most victims, then the sharpest rise
    return out.sort_values(["cases", "z", "place"], ascending=[False, False, True]).reset_index(drop=True)


def top_places(frame: pd.DataFrame, start: dt.date, end: dt.date, *, level: str = "station",
               n: int | None = None, baseline_weeks: int | None = None) -> pd.DataFrame:
    """The `n` places with most cases in weeks starting in [start, end], against the weeks before.

    `baseline` is the mean weekly count of the `baseline_weeks` weeks before `start`,
    scaled to the period's number of weeks, so a month compares with four weeks × 4.3.
    """
    n = _setting(n, "hotspots.top_n", 10)
    baseline_weeks = _setting(baseline_weeks, "hotspots.baseline_weeks", 4)
    cols = ["bureau_id", "place", "cases", "baseline", "change_pct"]
    if frame is None or frame.empty:
        return pd.DataFrame(columns=cols)
    f = frame.copy()
    f["week_start"] = pd.to_datetime(f["week_start"]).dt.date
    f["place"] = f[level].fillna("（未注明）").astype(str)
    in_period = f[(f.week_start >= start) & (f.week_start <= end)]
    first = start - dt.timedelta(days=7 * baseline_weeks)
    before = f[(f.week_start >= first) & (f.week_start < start)]
    weeks_in_period = max(1, len({start + dt.timedelta(days=7 * k) for k in range(0, 60)
                                  if start + dt.timedelta(days=7 * k) <= end}))
    now = in_period.groupby(["bureau_id", "place"])["cases"].sum()
    base = before.groupby(["bureau_id", "place"])["cases"].sum() / baseline_weeks * weeks_in_period
    out = pd.DataFrame({"cases": now}).join(pd.DataFrame({"baseline": base}), how="left").fillna(0)
    out = out[out.cases > 0].reset_index()
    out["cases"] = out["cases"].astype(int)
    out["baseline"] = out["baseline"].astype(float).round(2)
    out["change_pct"] = [stats.pct_change(a, b) for a, b in zip(out.cases, out.baseline)]
    out = out.sort_values(["cases", "place"], ascending=[False, True]).head(n)
    return out[cols].reset_index(drop=True)
