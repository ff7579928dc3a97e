"""Emerging hot spots and the busiest places (weekly place counts in, frames out; the hot-spot tests kept by content).

    emerging(frame, week_start, *, level=None, covered=None, min_cases=None) -> DataFrame
    top_places(frame, start, end, *, level="station", n=None, baseline_weeks=None) -> DataFrame

`frame` holds weekly counts per place, as the query `area_weekly_places` returns them:
`week_start` (Monday), `bureau_id`, `station`, `township`, `cases`.

A place is an emerging hot spot in the week starting `week_start` when its cases of the
last 1, 2 or 3 weeks lie above its own level of 12 earlier weeks (two weeks apart) beyond chance —
the exact count test of stats.count_test, the best window with a Bonferroni factor, widened
by the dispersion of all places' week-to-week changes — with the false discovery rate
controlled over every place tested that week (Benjamini–Hochberg at [significance] q), and
it has at least `min_cases` cases that week. A place rising several weeks in a row says so
in its reason, but a run alone is chance often enough (one place in 24 rises three weeks
in a row by luck) not to announce anything. Method: docs/significance.md.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

import queries
from antifraud import config, significance, stats

COLUMNS = ["bureau_id", "place", "level", "cases", "baseline", "run", "run_from", "recent_weeks",
           "recent_cases", "z", "p", "q", "reason"]
LEVEL_WORD = {"township": "乡镇街道", "station": "派出所"}
UNNAMED = "（未注明）"


def _setting(value, name, default):
    return value if value is not None else type(default)(config.setting(name, default))


def history_weeks() -> int:
    """Weeks read before the hot week: the baseline and recent windows, and enough past weeks
    to estimate how much places vary from week to week."""
    return max(_setting(None, "hotspots.history_weeks", 26),
               significance.baseline_span() + max(significance.recent_weeks()) + 4)


def weekly_matrix(frame: pd.DataFrame, level: str, weeks: list[dt.date]) -> pd.DataFrame:
    """(bureau_id, place) × week_start counts, zeros where a place had no case that week."""
    if frame is None or frame.empty:
        return pd.DataFrame(columns=weeks, index=pd.MultiIndex.from_tuples([], names=["bureau_id", "place"]))
    f = frame.copy()
    f["week_start"] = pd.to_datetime(f["week_start"]).dt.date
    f["place"] = f[level].fillna(UNNAMED).astype(str)
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


def level_of(frame: pd.DataFrame) -> str:
    """Townships when the extracts name them, else stations: chosen by the data's shape, never by
    which level happens to find something (that would test two families and show the luckier)."""
    if frame is not None and len(frame) and "township" in frame and frame["township"].notna().any():
        return "township"
    return "station"


def place_dispersion(counts: np.ndarray) -> float:
    """φ of all places' consecutive weekly counts (rows = places, columns = weeks)."""
    a, b = counts[:, :-1].ravel(), counts[:, 1:].ravel()
    keep = (a + b) > 0
    return stats.dispersion(((b[keep] - a[keep]) / np.sqrt(a[keep] + b[keep])).tolist())


def emerging(frame: pd.DataFrame, week_start: dt.date, *, level: str | None = None,
             covered=None, min_cases: int | None = None) -> pd.DataFrame:
    """Emerging hot spots in the week starting `week_start`, most cases first (see module doc).

    `covered(week_start) -> bool` says which weeks the data covers whole (default: all); a week
    it does not cover ends the history there, so the weeks before the data are never read as
    weeks without cases, and a hot week that is not covered finds nothing.

    The tests of every place (~0.1 s at a city's volume) run once per content of `frame` and
    arguments (queries.memo, keyed by a hash of the rows): the page, the wall and the 督办
    suggestions ask again and again.
    """
    level = level or level_of(frame)
    min_cases = _setting(min_cases, "hotspots.min_cases", 3)
    span = history_weeks()
    weeks = [week_start - dt.timedelta(days=7 * k) for k in range(span, -1, -1)]
    if covered is not None:
        if not covered(week_start):
            return pd.DataFrame(columns=COLUMNS)
        first = next((i for i in range(len(weeks) - 1, -1, -1) if not covered(weeks[i])), -1)
        weeks = weeks[first + 1:]
    key = (queries.frame_key(frame), week_start, level, min_cases, tuple(weeks))
    return queries.memo("emerging", key, lambda: _emerging(frame, level, min_cases, weeks)).copy()


def _emerging(frame: pd.DataFrame, level: str, min_cases: int, weeks: list[dt.date]) -> pd.DataFrame:
    base_n, ks, guard = significance.baseline_weeks(), significance.recent_weeks(), significance.guard_weeks()
    m = weekly_matrix(frame, level, weeks)
    m = m[m.sum(axis=1) > 0]
    if m.empty or len(weeks) < base_n + guard + 1:
        return pd.DataFrame(columns=COLUMNS)
    counts = m.to_numpy()
    phi = place_dispersion(counts[:, :-max(ks)])
    rows = []
    for (bureau, place), series in zip(m.index, counts.tolist()):
        rise = significance.count_rise(series, phi)
        if rise is None:
            continue
        rows.append({"bureau_id": bureau, "place": place, "level": level, "cases": series[-1],
                     "baseline": round(rise.baseline, 2), "run": rising_run(series),
                     "recent_weeks": rise.weeks, "recent_cases": rise.cases, "p": rise.p, "z": rise.z})
    out = pd.DataFrame(rows)
    if out.empty:
        return pd.DataFrame(columns=COLUMNS)
    out["q"] = stats.bh(out["p"].tolist())          # every place with a case in the span is tested
    out = out[(out.q <= stats.q_level()) & (out.cases >= min_cases)].copy()
    if out.empty:
        return pd.DataFrame(columns=COLUMNS)
    out["run_from"] = [int(m.loc[(b, pl)].iloc[-1 - r]) for b, pl, r in zip(out.bureau_id, out.place, out.run)]
    out["reason"] = [_reason(r, base_n) for r in out.itertuples(index=False)]
    # most cases first: the room asks about the place with most victims, then the sharpest rise
    out = out.sort_values(["cases", "q", "place"], ascending=[False, True, True])
    return out[COLUMNS].reset_index(drop=True)


def _reason(r, base_n: int) -> str:
    window = "本周" if r.recent_weeks == 1 else f"近{r.recent_weeks}周"
    parts = [f"{window}{int(r.recent_cases)}起，此前{base_n}周周均{r.baseline:.1f}起"]
    if r.run >= int(config.setting("hotspots.rising_weeks", 3)):
        parts.insert(0, f"连续{int(r.run)}周上升，{int(r.run_from)}→{int(r.cases)}起")
    return "；".join(parts)


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
