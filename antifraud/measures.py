"""Measures per bureau for a window, and the KPI comparison table built from them."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

import queries
from antifraud import metrics, stats
from antifraud.periods import COMPLETE, NO_DATA, DataSpan, Period


@dataclass(frozen=True)
class Filters:
    bureaus: tuple[str, ...] = ()     # () = whole city
    types: tuple[str, ...] = ()       # () = every fraud type

    def params(self) -> dict:
        return {"bureaus": list(self.bureaus), "types": list(self.types)}


def data_span() -> DataSpan:
    """What the data covers (`data_status`, one row kept by every import)."""
    frame = queries.run("data_status")
    row = frame.iloc[0] if len(frame) else pd.Series(dtype=object)

    def moment(key):
        v = row.get(key)
        return None if v is None or pd.isna(v) else pd.Timestamp(v).to_pydatetime()
    first = moment("first_day")
    return DataSpan(first_day=first.date() if first else None, data_as_of=moment("data_as_of"),
                    as_of_imported_at=moment("as_of_imported_at"), last_import_at=moment("last_import_at"))


def _window(start: dt.date, end: dt.date, filters: Filters) -> dict:
    return {"start": start, "end": end + dt.timedelta(days=1), **filters.params()}


# Which query returns which additive measures (population comes with the units).
SOURCES = {
    "case_measures": ("cases", "loss", "stopped", "frozen", "returned", "intercepted", "solved",
                      "fast_stop_n", "fast_stop_den", "stop_cases", "loss_sq"),
    "warning_measures": ("warnings", "dissuaded", "overdue", "victimized_after", "feedback_missing",
                         "signed_missing", "avoided_loss"),
    "strike_measures": ("arrests", "gangs", "dens", "cards_frozen"),
}


def sources_for(names) -> tuple[str, ...]:
    """The measure queries that the metrics `names` read (None: every metric, every query)."""
    if names is None:
        return tuple(SOURCES)
    needed = set()
    for m in map(metrics.get, names):
        needed |= {m.numerator, m.denominator, m.variance} - {None}
    return tuple(q for q, cols in SOURCES.items() if needed & set(cols))


def by_bureau(start: dt.date, end: dt.date, filters: Filters = Filters(), medians: bool = False,
              sources: tuple[str, ...] = tuple(SOURCES)) -> pd.DataFrame:
    """Additive measures per bureau for [start, end] (inclusive), every bureau listed.

    The median sign/feedback minutes are not additive: they need the window's raw warnings,
    the one scan that grows with the window. Only callers that show them ask (`medians`).
    `sources` limits the measure queries run to those a caller's metrics read (`sources_for`).
    """
    frame = by_bureau_windows([(start, end)], filters, sources)[0]
    if medians:
        sign = queries.run("sign_median", **_window(start, end, filters))
        frame = frame.join(sign[sign.bureau_id.notna()].set_index("bureau_id"), how="left")
    return frame


def by_bureau_windows(spans: list[tuple[dt.date, dt.date]], filters: Filters = Filters(),
                      sources: tuple[str, ...] = tuple(SOURCES)) -> list[pd.DataFrame]:
    """`by_bureau` (without medians) for several windows [start, end] at once: each measure
    query reads the rollup once for all of them (this week, last week, last year, YTDs)."""
    p = {"starts": [s for s, _ in spans], "ends": [e + dt.timedelta(days=1) for _, e in spans],
         **filters.params()}
    units = queries.run("units")[["bureau_id", "bureau_name", "district_name", "population"]]
    parts = [queries.run(name, **p) for name in sources]
    frames = []
    for number in range(1, len(spans) + 1):
        frame = units.set_index("bureau_id")
        for part in parts:
            mine = part[part.window_no == number].drop(columns="window_no").set_index("bureau_id")
            frame = frame.join(mine, how="left")
        for col in metrics.MEASURES:
            if col in frame and col != "population":
                frame[col] = pd.to_numeric(frame[col], errors="coerce").fillna(0).astype(float)
        frame["population"] = pd.to_numeric(frame["population"], errors="coerce").astype(float)
        if filters.bureaus:
            frame = frame[frame.index.isin(filters.bureaus)]
        frames.append(frame)
    return frames


def type_totals(spans: list[tuple[dt.date, dt.date]], filters: Filters = Filters()) -> list[pd.DataFrame]:
    """Cases and amounts per fraud type (most cases first) for each window [start, end]; one query."""
    found = queries.run("type_totals", starts=[s for s, _ in spans],
                        ends=[e + dt.timedelta(days=1) for _, e in spans], **filters.params())
    return [found[found.window_no == number].drop(columns="window_no").reset_index(drop=True)
            for number in range(1, len(spans) + 1)]


def total(frame: pd.DataFrame, start: dt.date, end: dt.date, filters: Filters = Filters(),
          medians: bool = True) -> pd.Series:
    """City (or filtered) total: additive measures summed, the median taken over all rows."""
    out = frame[[c for c in metrics.MEASURES if c in frame]].sum(numeric_only=True)
    out["median_sign_minutes"] = sign_median(start, end, filters) if medians else float("nan")
    return out


def sign_median(start: dt.date, end: dt.date, filters: Filters = Filters()) -> float:
    """Exact median minutes from issue to sign over [start, end] (NaN without signed warnings).

    Without sorting the window: the daily histogram of sign times (`sign_buckets`) says which
    bucket(s) hold the middle rank(s) and their time range; only the raw rows in that range
    are counted per second (`sign_seconds_between`), and the middle value(s) read off the
    running count — two middle values averaged, as median() does. A year's median reads
    ~1/8 of the year's rows instead of sorting all of them.
    """
    p = _window(start, end, filters)
    hist = queries.run("sign_buckets", **p)
    total = int(hist.warnings.sum()) if len(hist) else 0
    if total == 0:
        return float("nan")
    ranks = ((total - 1) // 2, total // 2)          # 0-based middle rank(s)
    upto = hist.warnings.cumsum()
    below = upto - hist.warnings
    held = hist[(upto > ranks[0]) & (below <= ranks[1])]
    base = int(below[held.index[0]])
    seconds = queries.run("sign_seconds_between", **p, lo=int(held.min_seconds.min()),
                          hi=int(held.max_seconds.max()))
    running = seconds.warnings.cumsum().to_numpy()
    middle = [seconds.seconds.iat[int(np.searchsorted(running, k - base, side="right"))] for k in ranks]
    return float(sum(middle)) / 2 / 60


def windows(period: Period) -> dict[str, tuple[dt.date, dt.date]]:
    return {"now": (period.start, period.end), "prev": (period.prev().start, period.prev().end),
            "last_year": (period.last_year().start, period.last_year().end),
            "ytd": period.ytd(), "ytd_last_year": period.ytd_last_year()}


def window_frames(period: Period, filters: Filters = Filters(),
                  shown: tuple[str, ...] | None = None) -> dict[str, pd.DataFrame]:
    """Per-bureau measures of the period and its comparison windows (`windows`), read once
    per measure query; `shown` (metric names) limits them to what those metrics read."""
    spans = windows(period)
    return dict(zip(spans, by_bureau_windows(list(spans.values()), filters, sources_for(shown))))


def totals_of(frames: dict[str, pd.DataFrame], period: Period, filters: Filters = Filters(),
              medians: bool = True) -> dict[str, pd.Series]:
    """The totals of `window_frames` (with the median sign time of each window if `medians`)."""
    spans = windows(period)
    return {key: total(frame, *spans[key], filters, medians) for key, frame in frames.items()}


def window_totals(period: Period, filters: Filters = Filters(), medians: bool = True,
                  shown: tuple[str, ...] | None = None) -> dict[str, pd.Series]:
    """Totals for the period and its comparison windows. `medians=False` skips the median
    sign time (None in the KPIs) for pages that do not show it: it is the costly one.
    `shown` (metric names) computes only what those metrics read; the others are None."""
    medians = medians and (shown is None or "median_sign_minutes" in shown)
    return totals_of(window_frames(period, filters, shown), period, filters, medians)


def _z(metric: metrics.Metric, now: pd.Series, before: pd.Series) -> float | None:
    if metric.test == "poisson":
        return stats.poisson_z(now.get(metric.numerator, 0), before.get(metric.numerator, 0))
    if metric.test == "compound":
        return stats.compound_z(now.get(metric.numerator), now.get(metric.variance),
                                before.get(metric.numerator), before.get(metric.variance))
    if metric.test == "proportion":
        return stats.proportion_z(now.get(metric.numerator), now.get(metric.denominator),
                                  before.get(metric.numerator), before.get(metric.denominator))
    return None


def _round(v, digits=2):
    return None if v is None else round(v, digits)


def coverage(period: Period, span: DataSpan) -> dict[str, str | bool]:
    """The period's state ("now") and, per comparison window, whether the data covers it whole.

    A comparison against a window the data does not cover (last year before the data began,
    a YTD that starts before it) is no comparison; a period that is not complete is compared
    with nothing (its figures still move).
    """
    state = span.of(period)
    out: dict[str, str | bool] = {"now": state}
    for key, (start, end) in windows(period).items():
        if key == "ytd":      # the period's own year to date: shown with the period, if the data covers its start
            out[key] = state != NO_DATA and span.first_day is not None and span.first_day <= start
        elif key != "now":
            out[key] = state == COMPLETE and span.covers(start, end)
    return out


def kpis(totals: dict[str, pd.Series], kind: str = "week",
         covered: dict[str, str | bool] | None = None) -> dict[str, dict]:
    """Every catalogue metric with its comparisons, in the report JSON's shape.

    `covered` (from `coverage`) blanks what the data cannot support: every figure of a period
    the data does not reach, and every change against a window it does not cover whole.
    Without it every window counts (figures computed by hand in tests, the archive's replay).
    """
    prev_key, change_key = ("prev_week", "wow_pct") if kind == "week" else ("prev_month", "mom_pct")
    covered = covered or {}
    state = covered.get("now", COMPLETE)
    usable = {k: state != NO_DATA and covered.get(k, True) is not False for k in totals}
    usable["now"] = state != NO_DATA
    out = {}
    for m in metrics.CATALOGUE:
        v = {k: (m.value(s) if usable.get(k) else None) for k, s in totals.items()}
        z = _z(m, totals["now"], totals["prev"]) if usable["now"] and usable["prev"] else None
        z_yoy = _z(m, totals["now"], totals["last_year"]) if usable["now"] and usable["last_year"] else None
        integer = m.kind == "count"
        conv = (lambda x: None if x is None else int(round(x))) if integer else (
            lambda x: None if x is None else round(x, 6 if m.kind in ("rate", "per_10k") else 2))
        out[m.name] = {
            "value": conv(v["now"]), prev_key: conv(v["prev"]),
            change_key: _round(stats.pct_change(v["now"], v["prev"])),
            "last_year": conv(v["last_year"]), "yoy_pct": _round(stats.pct_change(v["now"], v["last_year"])),
            "ytd": conv(v["ytd"]), "ytd_last_year": conv(v["ytd_last_year"]),
            "ytd_yoy_pct": _round(stats.pct_change(v["ytd"], v["ytd_last_year"])),
            "z": _round(z), "flag": stats.flag(z), "z_yoy": _round(z_yoy), "flag_yoy": stats.flag(z_yoy),
        }
    return out
