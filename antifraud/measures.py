"""Measures per bureau for a window, and the KPI comparison table built from them."""
from __future__ import annotations

import copy
import datetime as dt
import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

import queries
from antifraud import config, metrics, periods, significance, stats
from antifraud.periods import COMPLETE, NO_DATA, DataSpan, Period, recent_weeks


@dataclass(frozen=True)
class Filters:
    bureaus: tuple[str, ...] = ()     # () = whole city
    types: tuple[str, ...] = ()       # () = every fraud type

    def params(self) -> dict:
        return {"bureaus": list(self.bureaus), "types": list(self.types)}


def data_span() -> DataSpan:
    """What the data covers (`data_status`, one row kept by every import), read once per
    database stamp (the header, the ranking's windows and the tests all ask)."""
    return queries.memo("data_span", (), _data_span)


def _data_span() -> DataSpan:
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
        frame = frame.join(sign.set_index("bureau_id"), how="left")
    return frame


def by_bureau_windows(spans: list[tuple[dt.date, dt.date]], filters: Filters = Filters(),
                      sources: tuple[str, ...] = tuple(SOURCES)) -> list[pd.DataFrame]:
    """`by_bureau` (without medians) for several windows [start, end] at once: each measure
    query reads the rollup once for all of them (this week, last week, last year, YTDs).

    Each window's frame is kept per database stamp (queries.memo_many): a page that needs a
    window again (分县局排名: the ranking's six windows, then the funnel's) reads nothing, and
    only the windows not kept yet are read.
    """
    sources = tuple(sources)

    def read(missing):
        return per_bureau(measure_parts([s for _, _, s in missing], filters, sources), len(missing), filters)
    found = queries.memo_many("by_bureau", [(sources, filters, tuple(span)) for span in spans], read)
    return [frame.copy() for frame in found]


def measure_parts(spans: list[tuple[dt.date, dt.date]], filters: Filters = Filters(),
                  sources: tuple[str, ...] = tuple(SOURCES)) -> list[pd.DataFrame]:
    """The measure queries' rows (window_no, bureau_id, measures...) for windows [start, end]."""
    p = {"starts": [s for s, _ in spans], "ends": [e + dt.timedelta(days=1) for _, e in spans],
         **filters.params()}
    return [queries.run(name, **p) for name in sources]


def per_bureau(parts: list[pd.DataFrame] | pd.DataFrame, count: int, filters: Filters = Filters(),
               first: int = 1) -> list[pd.DataFrame]:
    """Windows first .. first+count-1 of `measure_parts` (or of those parts `_side_by_side`)
    as frames of every bureau (index bureau_id)."""
    units = queries.run("units")[["bureau_id", "bureau_name", "district_name", "population"]]
    units = units.assign(population=pd.to_numeric(units["population"], errors="coerce").astype(float))
    units = units.set_index("bureau_id")
    numbers = range(first, first + count)
    # every window's rows side by side at once, one row per (window, bureau), missing ones 0
    grid = pd.MultiIndex.from_product([numbers, units.index], names=["window_no", "bureau_id"])
    wide = (parts if isinstance(parts, pd.DataFrame) else _side_by_side(parts)).reindex(grid).fillna(0.0)
    frames = []
    for number in numbers:
        frame = units.join(wide.xs(number, level="window_no"), how="left")
        if filters.bureaus:
            frame = frame[frame.index.isin(filters.bureaus)]
        frames.append(frame)
    return frames


def _side_by_side(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The measure queries' rows joined on (window_no, bureau_id), their measures as floats."""
    keyed = [p.set_index(["window_no", "bureau_id"]) for p in parts]
    wide = pd.concat(keyed, axis=1) if keyed else pd.DataFrame(
        index=pd.MultiIndex.from_arrays([[], []], names=["window_no", "bureau_id"]))
    return wide.astype(float)


def window_sums(parts: list[pd.DataFrame], numbers: list[int], population: float) -> list[dict]:
    """Totals (additive measures summed over the filtered bureaus) of windows `numbers`."""
    sums = [part.drop(columns="bureau_id").groupby("window_no").sum(numeric_only=True) for part in parts]
    out = []
    for number in numbers:
        row = {"population": population}
        for frame in sums:
            if number in frame.index:
                row.update({k: float(v) for k, v in frame.loc[number].items()})
        out.append(row)
    return out


def type_totals(spans: list[tuple[dt.date, dt.date]], filters: Filters = Filters()) -> list[pd.DataFrame]:
    """Cases and amounts per fraud type (most cases first) for each window [start, end]; one query."""
    found = queries.run("type_totals", starts=[s for s, _ in spans],
                        ends=[e + dt.timedelta(days=1) for _, e in spans], **filters.params())
    return [found[found.window_no == number].drop(columns="window_no").reset_index(drop=True)
            for number in range(1, len(spans) + 1)]


def total(frame: pd.DataFrame, start: dt.date, end: dt.date, filters: Filters = Filters(),
          medians: bool = True) -> pd.Series:
    """City (or filtered) total: additive measures summed, the median taken over all rows."""
    return _total(frame, sign_median(start, end, filters) if medians else float("nan"))


def _total(frame: pd.DataFrame, median: float) -> pd.Series:
    out = frame[[c for c in metrics.MEASURES if c in frame]].sum(numeric_only=True)
    out["median_sign_minutes"] = median
    return out


def _totals(frames: dict[str, pd.DataFrame], spans: dict[str, tuple[dt.date, dt.date]], filters: Filters,
            medians: bool) -> dict[str, pd.Series]:
    """`total` of each window, the medians of all windows read together (sign_medians)."""
    found = sign_medians([spans[k] for k in frames], filters) if medians else [float("nan")] * len(frames)
    return {key: _total(frame, median) for (key, frame), median in zip(frames.items(), found)}


def sign_median(start: dt.date, end: dt.date, filters: Filters = Filters()) -> float:
    """Exact median minutes from issue to sign over [start, end] (NaN without signed warnings)."""
    return sign_medians([(start, end)], filters)[0]


def sign_medians(spans: list[tuple[dt.date, dt.date]], filters: Filters = Filters()) -> list[float]:
    """Exact median minutes from issue to sign for each window [start, end] (NaN without signed
    warnings), without sorting any window.

    One read of the sign-time histograms (`sign_buckets`, every window) says which bucket(s)
    hold each window's middle rank(s) and their time range; only the warnings in that range are
    counted per second, and the middle value(s) read off the running count — two middle values
    averaged, as median() does. Without filters one read of the city-wide per-second counts
    (`sign_seconds_city`) serves every window, so a year to date costs a few milliseconds and
    does not grow with the history; with a bureau or type filter each window counts its own
    raw rows (`sign_seconds_between`, ~1/8 of a year's rows for a year to date).
    """
    if not spans:
        return []
    hist = queries.run("sign_buckets", starts=[s for s, _ in spans],
                       ends=[e + dt.timedelta(days=1) for _, e in spans], **filters.params())
    plans = {}                      # window number -> (rows below the range, middle ranks, lo, hi)
    for number, h in hist.groupby("window_no", sort=True):
        counts = h.warnings.astype("int64").to_numpy()
        total = int(counts.sum())
        if total == 0:
            continue
        ranks = ((total - 1) // 2, total // 2)          # 0-based middle rank(s)
        upto = counts.cumsum()
        below = upto - counts
        held = (upto > ranks[0]) & (below <= ranks[1])
        plans[int(number)] = (int(below[held][0]), ranks, int(h.min_seconds.to_numpy()[held].min()),
                              int(h.max_seconds.to_numpy()[held].max()))
    found = {}
    if plans and not filters.bureaus and not filters.types:
        chosen = sorted(plans)
        seconds = queries.run("sign_seconds_city", starts=[spans[n - 1][0] for n in chosen],
                              ends=[spans[n - 1][1] + dt.timedelta(days=1) for n in chosen],
                              los=[plans[n][2] for n in chosen], his=[plans[n][3] for n in chosen])
        parts = dict(iter(seconds.groupby("window_no", sort=False)))
        found = {n: parts.get(i) for i, n in enumerate(chosen, 1)}
    else:
        for n, (_, _, lo, hi) in plans.items():
            start, end = spans[n - 1]
            found[n] = queries.run("sign_seconds_between", **_window(start, end, filters), lo=lo, hi=hi)
    out = []
    for n in range(1, len(spans) + 1):
        if n not in plans:
            out.append(float("nan"))
            continue
        base, ranks, _, _ = plans[n]
        counted = found[n]
        running = counted.warnings.astype("int64").to_numpy().cumsum()
        values = counted.seconds.to_numpy()
        middle = [values[int(np.searchsorted(running, k - base, side="right"))] for k in ranks]
        out.append(float(sum(middle)) / 2 / 60)
    return out


def windows(period: Period) -> dict[str, tuple[dt.date, dt.date]]:
    return {"now": (period.start, period.end), "prev": (period.prev().start, period.prev().end),
            "last_year": (period.last_year().start, period.last_year().end),
            "ytd": period.ytd(), "ytd_last_year": period.ytd_last_year()}


def history_weeks(period: Period) -> tuple[list[Period], list[Period]]:
    """The weeks a period's tests read (significance.History): the weeks that estimate each
    metric's dispersion, and for a week the baseline and recent weeks ending with it."""
    if period.kind == "week":
        base, recent = significance.baseline_span(), max(significance.recent_weeks())
        last = period
        recent_list = recent_weeks(last, base + recent)
        before_end = recent_list[-recent].prev()
    else:
        recent_list = []
        before_end = periods.week_of(period.start).prev()
    return recent_weeks(before_end, significance.history_weeks()), recent_list


def trend_periods(period: Period) -> tuple[list[Period], list[Period]]:
    """The trend charts' periods: the `[overview] trend_weeks` weeks (or months) ending with the
    period, oldest first, and the same periods a year before."""
    chosen = recent_weeks(period, int(config.setting("overview.trend_weeks", 12)))
    return chosen, [p.last_year() for p in chosen]


TREND_MEASURES = ("cases", "loss", "stopped", "frozen", "returned", "fast_stop_n", "fast_stop_den")


@dataclass
class PeriodFigures:
    """Everything a page, the wall or the briefing reads about one period and scope."""
    period: Period
    frames: dict[str, pd.DataFrame]        # per-bureau measures of `windows(period)`
    totals: dict[str, pd.Series]           # their totals (with the median sign time when asked)
    history: significance.History
    kpis: dict
    # per-bureau measures of the weeks of history.before: (rows by (window_no, bureau_id), the
    # window number of each week or None where the data does not cover it)
    weeks: tuple[pd.DataFrame, list[int | None]] | None = None
    # the trend charts' periods (trend_periods, both years): period_start and TREND_MEASURES,
    # one row per period; and per bureau (period_start, bureau_id, fast_stop_n, fast_stop_den)
    trend: pd.DataFrame | None = None
    trend_bureaus: pd.DataFrame | None = None

    @functools.cached_property
    def weekly(self) -> list[pd.DataFrame | None] | None:
        """Per-bureau weekly measures of history.before (None: a week not covered), built when
        a caller asks (the 督办 suggestions): the pages do not."""
        if self.weeks is None:
            return None
        wide, numbers = self.weeks
        held = set(wide.index.get_level_values("window_no"))
        return [None if n is None else (wide.xs(n, level="window_no").fillna(0.0) if n in held
                                        else pd.DataFrame(columns=wide.columns)) for n in numbers]

    def bureau_dispersion(self, metric_name: str) -> dict[str, float]:
        """Each bureau's dispersion of a metric, from its own weekly history (tests per bureau)."""
        if not self.weekly:
            return {}
        bureaus = set().union(*(set(w.index) for w in self.weekly if w is not None))
        def week(w, b):                     # noqa: E306
            if w is None:
                return None
            return w.loc[b].to_dict() if b in w.index else {}
        return {b: stats.metric_dispersion(metric_name, [week(w, b) for w in self.weekly]) for b in bureaus}


def period_figures(period: Period, filters: Filters = Filters(), span: DataSpan | None = None,
                   medians: bool = True) -> PeriodFigures:
    """The period's windows and its weekly history, one read of each rollup, and the KPIs.

    Every test is computed whatever a page shows: the announced family is the same on every
    page, on the wall and in the briefing (a colour never differs between them). Computed once
    per period, scope and database stamp (queries.memo): the pages of one meeting, the wall
    and every viewer share it; each caller gets its own copy of what it may change.
    """
    span = span if span is not None else data_span()
    kept = queries.memo("period_figures", (period, filters, span, medians),
                        lambda: _period_figures(period, filters, span, medians))
    return PeriodFigures(kept.period, {k: f.copy() for k, f in kept.frames.items()},
                         {k: t.copy() for k, t in kept.totals.items()}, kept.history, copy.deepcopy(kept.kpis),
                         kept.weeks, kept.trend.copy(), kept.trend_bureaus.copy())


def _period_figures(period: Period, filters: Filters, span: DataSpan, medians: bool) -> PeriodFigures:
    spans = windows(period)
    before, recent = history_weeks(period)
    weeks = list(dict.fromkeys(before + recent))
    trend_now, trend_ly = trend_periods(period)
    # the trend charts' periods ride along in the same read (most weeks are history weeks already)
    extra = [p for p in dict.fromkeys(trend_now + trend_ly) if p not in weeks]
    parts = measure_parts(list(spans.values()) + [(w.start, w.end) for w in weeks + extra], filters)
    wide = _side_by_side(parts)
    frames = dict(zip(spans, per_bureau(wide, len(spans), filters)))
    population = float(frames["now"]["population"].sum())
    sums = dict(zip(weeks, window_sums(parts, list(range(len(spans) + 1, len(spans) + len(weeks) + 1)),
                                       population)))
    covered = lambda w: sums[w] if span.covers(w.start, w.end) else None     # noqa: E731
    history = significance.History(before=[covered(w) for w in before], recent=[covered(w) for w in recent])
    totals = _totals(frames, spans, filters, medians)
    number = {w: len(spans) + 1 + i for i, w in enumerate(weeks + extra)}
    weekly = (wide, [number[w] if span.covers(w.start, w.end) else None for w in before])
    shown = list(dict.fromkeys(trend_now + trend_ly))
    trend = pd.DataFrame([{"period_start": p.start, **{m: float(row.get(m) or 0.0) for m in TREND_MEASURES}}
                          for p, row in zip(shown, window_sums(parts, [number[p] for p in shown], population))],
                         columns=["period_start", *TREND_MEASURES])
    trend_bureaus = _trend_bureaus(wide, {number[p]: p.start for p in trend_now})
    return PeriodFigures(period, frames, totals, history,
                         kpis(totals, period.kind, coverage(period, span), history), weekly, trend, trend_bureaus)


def _trend_bureaus(wide: pd.DataFrame, starts: dict[int, dt.date]) -> pd.DataFrame:
    """30-minute stop counts per trend period and bureau (the bureaus with any measure there)."""
    cols = ["period_start", "bureau_id", "fast_stop_n", "fast_stop_den"]
    if "fast_stop_n" not in wide:
        return pd.DataFrame(columns=cols)
    rows = wide.loc[wide.index.get_level_values("window_no").isin(list(starts)), ["fast_stop_n", "fast_stop_den"]]
    rows = rows.fillna(0.0).reset_index()
    rows.insert(0, "period_start", rows.pop("window_no").map(starts))
    return rows[cols]


def type_changes(period: Period, filters: Filters = Filters(), span: DataSpan | None = None) -> pd.DataFrame:
    """Fraud types rising beyond chance in the period (significance.type_changes), one read of
    the rollup for every week the test needs; none for a period that is not complete. Computed
    once per period, scope and database stamp (本周态势, 诈骗类型, the wall and the briefing share it)."""
    span = span if span is not None else data_span()
    return queries.memo("type_changes", (period, filters, span),
                        lambda: _type_changes(period, filters, span)).copy()


def _type_changes(period: Period, filters: Filters, span: DataSpan) -> pd.DataFrame:
    if span.of(period) != COMPLETE:
        return significance.type_changes(pd.DataFrame(), [], [])
    before, recent = history_weeks(period)
    weeks = list(dict.fromkeys(before + recent))
    spans = [(w.start, w.end) for w in weeks]
    if period.kind != "week":
        spans += [(period.start, period.end), (period.prev().start, period.prev().end)]
    found = type_totals(spans, filters)
    weekly = pd.DataFrame({w.key: (f.set_index("fraud_type")["cases"].astype(float) if len(f) else pd.Series(dtype=float))
                           for w, f in zip(weeks, found)}).fillna(0.0)
    for w in weeks:             # a week the data does not cover is no week without cases
        if not span.covers(w.start, w.end):
            weekly[w.key] = float("nan")
    month = None
    if period.kind != "week":
        now, prev = (f.set_index("fraud_type")["cases"] if len(f) else pd.Series(dtype=float) for f in found[-2:])
        month = (now, prev if span.covers(period.prev().start, period.prev().end) else pd.Series(dtype=float))
        weekly = weekly.reindex(weekly.index.union(now.index)).fillna({w.key: 0.0 for w in weeks
                                                                        if span.covers(w.start, w.end)})
    return significance.type_changes(weekly, before, recent, month=month)


def window_frames(period: Period, filters: Filters = Filters(),
                  shown: tuple[str, ...] | None = None) -> dict[str, pd.DataFrame]:
    """Per-bureau measures of the period and its comparison windows (`windows`), read once
    per measure query; `shown` (metric names) limits them to what those metrics read."""
    spans = windows(period)
    return dict(zip(spans, by_bureau_windows(list(spans.values()), filters, sources_for(shown))))


def totals_of(frames: dict[str, pd.DataFrame], period: Period, filters: Filters = Filters(),
              medians: bool = True) -> dict[str, pd.Series]:
    """The totals of `window_frames` (with the median sign time of each window if `medians`)."""
    return _totals(frames, windows(period), filters, medians)


def window_totals(period: Period, filters: Filters = Filters(), medians: bool = True,
                  shown: tuple[str, ...] | None = None) -> dict[str, pd.Series]:
    """Totals for the period and its comparison windows. `medians=False` skips the median
    sign time (None in the KPIs) for pages that do not show it: it is the costly one.
    `shown` (metric names) computes only what those metrics read; the others are None."""
    medians = medians and (shown is None or "median_sign_minutes" in shown)
    return totals_of(window_frames(period, filters, shown), period, filters, medians)


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
         covered: dict[str, str | bool] | None = None,
         history: significance.History | None = None) -> dict[str, dict]:
    """Every catalogue metric with its comparisons and their tests, in the report JSON's shape.

    `covered` (from `coverage`) blanks what the data cannot support: every figure of a period
    the data does not reach, and every change against a window it does not cover whole.
    `history` (weekly totals) gives each metric's dispersion and the recent-weeks comparison;
    without it the tests are plain (dispersion 1). Flags come from the family's q
    (significance.announce). Without `covered` every window counts (figures computed by hand
    in tests, the archive's replay).
    """
    prev_key, change_key = ("prev_week", "wow_pct") if kind == "week" else ("prev_month", "mom_pct")
    covered = covered or {}
    state = covered.get("now", COMPLETE)
    usable = {k: state != NO_DATA and covered.get(k, True) is not False for k in totals}
    usable["now"] = state != NO_DATA
    history = history or significance.History()
    out, tests = {}, {}
    comps = significance.comparisons(kind)
    for m in metrics.CATALOGUE:
        v = {k: (m.value(s) if usable.get(k) else None) for k, s in totals.items()}
        integer = m.kind == "count"
        conv = (lambda x: None if x is None else int(round(x))) if integer else (
            lambda x: None if x is None else round(x, 6 if m.kind in ("rate", "per_10k") else 2))
        row = {
            "value": conv(v["now"]), prev_key: conv(v["prev"]),
            change_key: _round(stats.pct_change(v["now"], v["prev"])),
            "last_year": conv(v["last_year"]), "yoy_pct": _round(stats.pct_change(v["now"], v["last_year"])),
            "ytd": conv(v["ytd"]), "ytd_last_year": conv(v["ytd_last_year"]),
            "ytd_yoy_pct": _round(stats.pct_change(v["ytd"], v["ytd_last_year"])),
        }
        for comp in comps:
            row.update({f"z{comp}": None, f"p{comp}": None, f"q{comp}": None, f"flag{comp}": ""})
        out[m.name] = row
        if m.test == "none" or state != COMPLETE:
            continue
        phi = stats.metric_dispersion(m.name, history.before)
        row["dispersion"] = round(phi, 3)
        if usable.get("prev"):
            tests[(m.name, significance.WOW)] = stats.compare(m.name, totals["now"], totals["prev"], phi)
        if usable.get("last_year"):
            tests[(m.name, significance.YOY)] = stats.compare(m.name, totals["now"], totals["last_year"], phi)
        if significance.RECENT in comps and history.recent:
            test, info = significance.recent_test(m, history.recent, phi)
            if test.p is not None:
                tests[(m.name, significance.RECENT)] = test
                info = {k: (round(x, 6) if isinstance(x, float) else x) for k, x in info.items()}
                row.update(info, recent_pct=_round(stats.pct_change(info["recent_value"], info["recent_baseline"])))
    significance.announce(out, tests)
    return out
