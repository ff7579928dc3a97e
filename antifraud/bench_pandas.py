"""The plain-pandas baseline: every query a page runs, recomputed from raw rows as an analyst would.

Run as a child of `bench` (`python -m antifraud.bench_pandas DB CALLS RUNS`): it loads the
raw tables into memory once (timed apart, memory noted), then for every page replays the
query calls that page's view made (CALLS: a JSON file `{page: [[name, params], ...]}`,
recorded by `bench serve`) through the pandas equivalent of each query, `RUNS` times, and
prints one JSON line: load seconds, frame memory, median and p95 per page.

`QUERIES` holds one function per `queries/<name>.sql`: it takes the frames and the query's
own keyword parameters (`start`, `end` exclusive, `bureaus`, `types`, `unit`, `min_loss`,
`lo`, `hi`; dates or ISO strings) and returns the query's columns. They read only the raw tables,
never the rollups, and count what `antifraud/rollups.sql` counts (overdue with the limits
and export time stored in `meta`).
"""
from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

RAW = ("cases", "warnings", "strikes", "units", "stations", "meta", "imports")
AMOUNTS = {"cases": ("loss_amount", "stopped_amount", "frozen_amount", "returned_amount"),
           "warnings": ("avoided_loss",)}
FAST_STOP = pd.Timedelta(minutes=30)
WARNING_FLAGS = ["signed_at", "feedback_at", "level", "result", "victimized_after", "avoided_loss"]


def load(db: str) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(db, read_only=True)
    try:
        frames = {t: con.table(t).df() for t in RAW}
    finally:
        con.close()
    for table, cols in AMOUNTS.items():
        for col in cols:
            frames[table][col] = frames[table][col].astype(float)
    w = frames["warnings"]
    w["victimized_after"] = w["victimized_after"].astype("boolean").fillna(False).astype(bool)
    frames["strikes"]["date"] = pd.to_datetime(frames["strikes"]["date"])
    return frames


# ---------------------------------------------------------------- helpers

def _window(frame: pd.DataFrame, col: str, start, end, bureaus=(), types=(), cols=None) -> pd.DataFrame:
    """Rows with `col` in [start, end), in the chosen bureaus and fraud types (empty: all).

    `cols`: only these (and the filters' columns) are copied out, as an analyst would pick
    them: copying every column of a year of warnings costs more than summing them.
    """
    t = frame[col]
    if cols is not None:
        cols = list(dict.fromkeys([col, "bureau_id", *(["fraud_type"] if types else []), *cols]))
    sub = frame.loc[(t >= pd.Timestamp(start)) & (t < pd.Timestamp(end)), frame.columns if cols is None else cols]
    if bureaus:
        sub = sub[sub.bureau_id.isin(bureaus)]
    if types:
        sub = sub[sub.fraud_type.isin(types)]
    return sub


def _seconds(since: pd.Series, until: pd.Series) -> pd.Series:
    """DuckDB's date_diff('second', since, until): whole seconds on each side (times carry fractions)."""
    return (until.dt.floor("s") - since.dt.floor("s")).dt.total_seconds()


def _minutes(since: pd.Series, until: pd.Series) -> pd.Series:
    return _seconds(since, until) / 60


def _trunc(times: pd.Series, unit: str) -> pd.Series:
    """date_trunc('week' | 'month', time) as a day: the Monday, or the 1st."""
    day = times.dt.normalize()
    if unit == "week":
        return day - pd.to_timedelta(day.dt.weekday, unit="D")
    if unit == "month":
        return day - pd.to_timedelta(day.dt.day - 1, unit="D")
    raise ValueError(f"unit {unit!r}: only 'week' and 'month'")


def _meta(f) -> dict:
    return dict(zip(f["meta"].key, f["meta"].value))


def _limits(f) -> dict:
    """The overdue limits (minutes) the rollups were built with, as queries/overdue_limits.sql reads them."""
    meta = _meta(f)
    return {k: int(meta[f"limit_{k}"]) if meta.get(f"limit_{k}") is not None else None
            for k in ("high", "mid", "low")}


def _limit_minutes(f, level: pd.Series) -> pd.Series:
    """Each row's limit: 高, 中, anything else 低 (np.select: Series.map is slow on arrow strings)."""
    lim = {k: np.nan if v is None else v for k, v in _limits(f).items()}
    return pd.Series(np.select([level == "高", level == "中"], [lim["high"], lim["mid"]], lim["low"]),
                     index=level.index, dtype=float)


def _overdue(f, w: pd.DataFrame) -> pd.Series:
    """Feedback later than the level's limit, or none yet though the limit had passed by the export."""
    limit = pd.to_timedelta(_limit_minutes(f, w.level), unit="min")
    as_of = pd.Timestamp(_meta(f).get("data_as_of"))
    late = (w.feedback_at - w.issued_at) > limit
    waited = w.feedback_at.isna() & (w.issued_at + limit <= as_of)
    return late | waited


def _case_flags(c: pd.DataFrame) -> pd.DataFrame:
    """Per case, what case_daily adds up."""
    loss = c.loss_amount.fillna(0)
    stopped, frozen = c.stopped_amount.fillna(0), c.frozen_amount.fillna(0)
    return pd.DataFrame({
        "cases": 1, "loss": loss, "stopped": stopped, "frozen": frozen,
        "intercepted": stopped + frozen, "returned": c.returned_amount.fillna(0),
        "solved": c.status == "已破案",
        "fast_stop_n": (c.stop_payment_at - c.last_transfer_at) <= FAST_STOP,
        "fast_stop_den": c.stop_payment_at.notna() & c.last_transfer_at.notna(),
        "stop_cases": (stopped + frozen > 0) | c.stop_payment_at.notna(),
        "loss_sq": loss ** 2,
    }, index=c.index)


# ---------------------------------------------------------------- one function per query

def units(f, **_):
    cols = ["bureau_id", "bureau_name", "district_name", "population", "aliases", "kind", "lon", "lat"]
    return f["units"][cols].sort_values("bureau_id", ignore_index=True)


def stations(f, **_):
    cols = ["station_id", "station_name", "bureau_id", "lon", "lat"]
    return f["stations"][cols].sort_values("station_id", ignore_index=True)


def recent_imports(f, **_):
    cols = ["imported_at", "user_name", "file_name", "kind", "rows_read", "rows_loaded", "rows_new",
            "rows_updated", "rows_rejected", "note"]
    return f["imports"].sort_values("imported_at", ascending=False)[cols].head(30).reset_index(drop=True)


def data_status(f, **_):
    reported, issued = f["cases"].reported_at, f["warnings"].issued_at
    return pd.DataFrame({"data_as_of": [pd.Timestamp(_meta(f).get("data_as_of"))],
                         "as_of_imported_at": [pd.Timestamp(_meta(f).get("as_of_imported_at"))],
                         "last_import_at": [f["imports"].imported_at.max()],
                         "first_day": [reported.min().normalize()],
                         "last_case_day": [reported.max().normalize()],
                         "last_warning_day": [issued.max().normalize()]})


def fraud_types_present(f, **_):
    n = pd.concat([f["cases"].fraud_type, f["warnings"].fraud_type]).value_counts()
    return n.rename_axis("fraud_type").reset_index(name="n")


def overdue_limits(f, **_):
    return pd.DataFrame([_limits(f)])


def case_measures(f, start, end, bureaus=(), types=(), **_):
    c = _window(f["cases"], "reported_at", start, end, bureaus, types)
    return _case_flags(c).groupby(c.bureau_id).sum().reset_index()


def _per_window(single):
    """A query over several windows ($starts/$ends): the one-window result for each, numbered
    from 1 in `window_no` (the analyst's loop over this week, last week, last year, YTDs)."""
    def run(f, starts, ends, **params):
        parts = [single(f, s, e, **params).assign(window_no=i) for i, (s, e) in enumerate(zip(starts, ends), 1)]
        out = pd.concat(parts, ignore_index=True)
        return out[["window_no", *[c for c in out.columns if c != "window_no"]]]
    run.__name__ = single.__name__
    return run


case_measures = _per_window(case_measures)


def type_totals(f, start, end, bureaus=(), types=(), **_):
    c = _window(f["cases"], "reported_at", start, end, bureaus, types)
    out = c.groupby("fraud_type", dropna=False).agg(
        cases=("case_id", "size"), loss=("loss_amount", "sum"), stopped=("stopped_amount", "sum"),
        frozen=("frozen_amount", "sum"), returned=("returned_amount", "sum"))
    return out.sort_values("cases", ascending=False).reset_index()


type_totals = _per_window(type_totals)


def area_weekly_places(f, start, end, bureaus=(), types=(), **_):
    """Weeks *starting* in [start, end): a week that starts before `end` may run past it."""
    c = _window(f["cases"], "reported_at", start, pd.Timestamp(end) + pd.Timedelta(days=7), bureaus, types)
    c = c.assign(week_start=_trunc(c.reported_at, "week"))
    c = c[(c.week_start >= pd.Timestamp(start)) & (c.week_start < pd.Timestamp(end))]
    out = c.groupby(["week_start", "bureau_id", "station", "township"], dropna=False).agg(
        cases=("case_id", "size"), loss=("loss_amount", "sum"))
    return out.reset_index()


def large_cases(f, start, end, min_loss, bureaus=(), types=(), **_):
    c = _window(f["cases"], "reported_at", start, end, bureaus, types)
    c = c[c.loss_amount >= min_loss].merge(f["units"][["bureau_id", "bureau_name"]], on="bureau_id", how="left")
    cols = ["case_id", "reported_at", "bureau_id", "bureau_name", "station", "fraud_type", "loss_amount",
            "stopped_amount", "frozen_amount", "returned_amount", "status"]
    return c.sort_values(["loss_amount", "reported_at"], ascending=[False, True])[cols].reset_index(drop=True)


def stop_minutes(f, start, end, bureaus=(), types=(), **_):
    c = _window(f["cases"], "reported_at", start, end, bureaus, types)
    c = c[c.last_transfer_at.notna() & c.stop_payment_at.notna()]
    return pd.DataFrame({"bureau_id": c.bureau_id, "fraud_type": c.fraud_type,
                         "payer_bank": c.payer_bank.fillna("（未注明）"),
                         "minutes": _minutes(c.last_transfer_at, c.stop_payment_at)}).reset_index(drop=True)


def victim_profile(f, start, end, bureaus=(), types=(), **_):
    c = _window(f["cases"], "reported_at", start, end, bureaus, types)
    keys = [c.fraud_type.fillna("其他"), c.victim_age_band.fillna("未知"), c.victim_gender.fillna("未知")]
    return c.groupby(keys).size().reset_index(name="cases")


def strike_measures(f, start, end, bureaus=(), **_):
    """Strikes carry no fraud type: a type filter does not apply."""
    s = _window(f["strikes"], "date", start, end, bureaus)
    return s.groupby("bureau_id")[["arrests", "gangs", "dens", "cards_frozen"]].sum(min_count=1).reset_index()


strike_measures = _per_window(strike_measures)


def _warning_flags(f, w: pd.DataFrame) -> pd.DataFrame:
    """Per warning, what warning_daily adds up."""
    return pd.DataFrame({"warnings": 1, "dissuaded": w.result == "劝阻成功", "overdue": _overdue(f, w),
                         "victimized_after": w.victimized_after, "feedback_missing": w.feedback_at.isna(),
                         "signed_missing": w.signed_at.isna(), "avoided_loss": w.avoided_loss.fillna(0)},
                        index=w.index)


def warning_measures(f, start, end, bureaus=(), types=(), **_):
    w = _window(f["warnings"], "issued_at", start, end, bureaus, types, WARNING_FLAGS)
    return _warning_flags(f, w).groupby(w.bureau_id).sum().reset_index()


warning_measures = _per_window(warning_measures)


def warning_breakdown(f, start, end, bureaus=(), types=(), **_):
    w = _window(f["warnings"], "issued_at", start, end, bureaus, types, [*WARNING_FLAGS, "source"])
    cols = ["warnings", "dissuaded", "overdue", "victimized_after", "feedback_missing"]
    return _warning_flags(f, w)[cols].groupby([w.level, w.source, w.result], dropna=False).sum().reset_index()


def overdue_warnings(f, start, end, bureaus=(), types=(), **_):
    w = _window(f["warnings"], "issued_at", start, end, bureaus, types)
    w = w[_overdue(f, w)]
    w = w.assign(sign_minutes=_minutes(w.issued_at, w.signed_at),
                 feedback_minutes=_minutes(w.issued_at, w.feedback_at),
                 limit_minutes=_limit_minutes(f, w.level),
                 rank=np.select([w.level == "高", w.level == "中"], [0, 1], 2))
    cols = ["warning_id", "bureau_id", "station", "level", "source", "fraud_type", "result", "issued_at",
            "signed_at", "feedback_at", "sign_minutes", "feedback_minutes", "limit_minutes"]
    return w.sort_values(["rank", "bureau_id", "issued_at"])[cols].reset_index(drop=True)


def sign_median(f, start, end, bureaus=(), types=(), **_):
    w = _window(f["warnings"], "issued_at", start, end, bureaus, types, ["signed_at", "feedback_at"])
    m = pd.DataFrame({"median_sign_minutes": _minutes(w.issued_at, w.signed_at),
                      "median_feedback_minutes": _minutes(w.issued_at, w.feedback_at)})
    return m.groupby(w.bureau_id).median().reset_index()


def sign_buckets(f, start, end, bureaus=(), types=(), **_):
    """Signed warnings per half-octave of seconds, floor(2·log2(max(s, 1))), as warning_sign_daily."""
    w = _window(f["warnings"], "issued_at", start, end, bureaus, types, ["signed_at"])
    s = _seconds(w.issued_at, w.signed_at).dropna()
    bucket = np.floor(2 * np.log2(s.clip(lower=1))).astype(int).rename("bucket")
    return s.groupby(bucket).agg(warnings="size", min_seconds="min", max_seconds="max").reset_index()


sign_buckets = _per_window(sign_buckets)


def sign_seconds_city(f, starts, ends, los, his, **_):
    """Every window's city-wide warnings per second of sign time within its [lo, hi]."""
    parts = [sign_seconds_between(f, s, e, int(lo), int(hi)).assign(window_no=i)   # the cache key makes them text
             for i, (s, e, lo, hi) in enumerate(zip(starts, ends, los, his), 1)]
    out = pd.concat(parts, ignore_index=True)
    return out[["window_no", "seconds", "warnings"]]


def sign_seconds_between(f, start, end, lo, hi, bureaus=(), types=(), **_):
    w = _window(f["warnings"], "issued_at", start, end, bureaus, types, ["signed_at"])
    s = _seconds(w.issued_at, w.signed_at)
    n = s[s.between(lo, hi)].value_counts().sort_index()
    return n.rename_axis("seconds").reset_index(name="warnings")


def task_items(f, ids=(), **_):
    ids = set(map(str, ids))
    w = f["warnings"][f["warnings"].warning_id.isin(ids)]
    c = f["cases"][f["cases"].case_id.isin(ids)]
    out = pd.concat([
        pd.DataFrame({"kind": "warning", "item_id": w.warning_id, "bureau_id": w.bureau_id,
                      "answered": w.feedback_at.notna() & (w.result.fillna("") != "处置中")}),
        pd.DataFrame({"kind": "case", "item_id": c.case_id, "bureau_id": c.bureau_id,
                      "answered": c.status.fillna("").isin(["已破案", "已撤案"])})], ignore_index=True)
    return out.sort_values(["kind", "item_id"]).reset_index(drop=True)


QUERIES = {fn.__name__: fn for fn in (
    units, stations, recent_imports, data_status, fraud_types_present, overdue_limits,
    case_measures, type_totals, area_weekly_places, large_cases,
    stop_minutes, victim_profile, strike_measures, warning_measures, warning_breakdown, overdue_warnings,
    sign_median, sign_buckets, sign_seconds_between, sign_seconds_city, task_items)}


# ---------------------------------------------------------------- the child

def run(frames: dict[str, pd.DataFrame], name: str, **params) -> pd.DataFrame:
    """The pandas equivalent of `queries.run(name, **params)`; a query without one is an error."""
    if name not in QUERIES:
        raise KeyError(f"no pandas equivalent of query {name!r} (add one to antifraud/bench_pandas.py)")
    return QUERIES[name](frames, **params)


def frames_mb(frames: dict[str, pd.DataFrame]) -> float:
    return sum(f.memory_usage(deep=True).sum() for f in frames.values()) / 2**20


def main(db: str, calls_path: str, runs: int) -> dict:
    from antifraud.bench import quantile
    pages = json.loads(Path(calls_path).read_text(encoding="utf-8"))
    missing = sorted({name for calls in pages.values() for name, _ in calls} - set(QUERIES))
    if missing:
        raise KeyError(f"no pandas equivalent of queries {missing} (add them to antifraud/bench_pandas.py)")
    started = time.perf_counter()
    frames = load(db)
    out = {"load_seconds": time.perf_counter() - started, "frames_mb": frames_mb(frames), "pages": {}}
    for page, calls in pages.items():
        totals, per_query = [], {}
        for _ in range(runs):
            total = 0.0
            per = {}
            for name, params in calls:
                t = time.perf_counter()
                run(frames, name, **params)
                elapsed = time.perf_counter() - t
                total += elapsed
                per[name] = per.get(name, 0.0) + elapsed
            totals.append(total)
            for name, s in per.items():
                per_query.setdefault(name, []).append(s)
        out["pages"][page] = {
            "queries": len(calls),
            "median_ms": statistics.median(totals) * 1000 if totals else None,
            "p95_ms": quantile(totals, 0.95) * 1000 if totals else None,
            "per_query_median_ms": {n: round(statistics.median(v) * 1000, 2)
                                    for n, v in sorted(per_query.items(), key=lambda kv: -statistics.median(kv[1]))}}
    return out


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit("usage: python -m antifraud.bench_pandas DB CALLS.json RUNS")
    print(json.dumps(main(sys.argv[1], sys.argv[2], int(sys.argv[3])), ensure_ascii=False))
