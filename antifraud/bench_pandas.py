"""The plain-pandas baseline: each page's main results from raw rows, as an analyst would.

Run as a child of `bench` (`python -m antifraud.bench_pandas DB WEEK RUNS`): it loads the
raw tables into memory once (timed apart, memory noted), then for every page computes
its main results with boolean masks and groupby on the raw rows, `RUNS` times, and
prints one JSON line: load seconds, frame memory, median and p95 per page.
"""
from __future__ import annotations

import datetime as dt
import json
import statistics
import sys
import time

import duckdb
import numpy as np
import pandas as pd

from antifraud import config, periods

TREND_WEEKS = 12


def load(db: str) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(db, read_only=True)
    try:
        frames = {t: con.execute(f"SELECT * FROM {t}").df() for t in ("cases", "warnings", "strikes", "units")}
    finally:
        con.close()
    for col in ("loss_amount", "stopped_amount", "frozen_amount", "returned_amount"):
        frames["cases"][col] = frames["cases"][col].astype(float)
    frames["warnings"]["avoided_loss"] = frames["warnings"]["avoided_loss"].astype(float)
    frames["strikes"]["date"] = pd.to_datetime(frames["strikes"]["date"])
    return frames


def _between(series: pd.Series, start: dt.date, end: dt.date) -> pd.Series:
    """[start, end] inclusive by day."""
    return (series >= pd.Timestamp(start)) & (series < pd.Timestamp(end + dt.timedelta(days=1)))


def _limits() -> dict[str, float]:
    limits = config.setting("warnings.limit_minutes", {}) or {}
    return {"高": limits.get("高", 30), "中": limits.get("中", 120), "低": limits.get("低", 1440)}


def case_measures(c: pd.DataFrame, by=None):
    fast = (c.stop_payment_at - c.last_transfer_at) <= pd.Timedelta(minutes=30)
    both = c.stop_payment_at.notna() & c.last_transfer_at.notna()
    frame = pd.DataFrame({"cases": 1, "loss": c.loss_amount, "stopped": c.stopped_amount,
                          "frozen": c.frozen_amount, "returned": c.returned_amount,
                          "solved": c.status == "已破案", "fast_stop_n": fast & both, "fast_stop_den": both})
    if by is None:
        return frame.sum()
    return frame.groupby([c[k] for k in by]).sum()


def warning_measures(w: pd.DataFrame, by=None):
    limit = pd.to_timedelta(w.level.map(_limits()).fillna(1440), unit="min")
    overdue = w.feedback_at.isna() | ((w.feedback_at - w.issued_at) > limit)
    sign = (w.signed_at - w.issued_at).dt.total_seconds() / 60
    frame = pd.DataFrame({"warnings": 1, "dissuaded": w.result == "劝阻成功", "overdue": overdue,
                          "victimized_after": w.victimized_after.fillna(False).astype(bool),
                          "avoided_loss": w.avoided_loss, "sign_minutes": sign})
    if by is None:
        out = frame.drop(columns="sign_minutes").sum()
        out["median_sign_minutes"] = sign.median()
        return out
    grouped = frame.groupby([w[k] for k in by])
    out = grouped[[c for c in frame.columns if c != "sign_minutes"]].sum()
    out["median_sign_minutes"] = grouped["sign_minutes"].median()
    return out


def windows(period: periods.Period) -> dict[str, tuple[dt.date, dt.date]]:
    return {"now": (period.start, period.end), "prev": (period.prev().start, period.prev().end),
            "last_year": (period.last_year().start, period.last_year().end),
            "ytd": period.ytd(), "ytd_last_year": period.ytd_last_year()}


def recent(period: periods.Period, n: int) -> list[periods.Period]:
    out = [period]
    while len(out) < n:
        out.append(out[-1].prev())
    return out[::-1]


def weekly(frame: pd.DataFrame, time_col: str, weeks: list[periods.Period]) -> pd.Series:
    """Row → meeting-week start for rows inside `weeks`, else NaT (the rows are masked first)."""
    mask = _between(frame[time_col], weeks[0].start, weeks[-1].end)
    sub = frame[mask]
    return sub, sub[time_col].dt.to_period("W-SUN").dt.start_time


# ---------------------------------------------------------------- one function per page

def overview(f, period):
    c, w, s = f["cases"], f["warnings"], f["strikes"]
    out = {}
    for key, (a, b) in windows(period).items():
        out[key] = (case_measures(c[_between(c.reported_at, a, b)]),
                    warning_measures(w[_between(w.issued_at, a, b)]),
                    s[_between(s.date, a, b)][["arrests", "gangs", "dens", "cards_frozen"]].sum())
    weeks = recent(period, TREND_WEEKS)
    sub, wk = weekly(c, "reported_at", weeks)
    out["trend"] = sub.groupby(wk)[["loss_amount"]].agg(["count", "sum"])
    last = [p.last_year() for p in weeks]
    sub, wk = weekly(c, "reported_at", last)
    out["trend_last_year"] = sub.groupby(wk)[["loss_amount"]].agg(["count", "sum"])
    now = c[_between(c.reported_at, period.start, period.end)]
    out["large"] = now[now.loss_amount >= 1_000_000].sort_values("loss_amount", ascending=False)
    prev = c[_between(c.reported_at, period.prev().start, period.prev().end)]
    out["types"] = now.fraud_type.value_counts().to_frame("now").join(prev.fraud_type.value_counts(), how="outer")
    return out


def areas(f, period):
    c = f["cases"]
    now = c[_between(c.reported_at, period.start, period.end)]
    per_bureau = now.groupby("bureau_id").agg(cases=("case_id", "size"), loss=("loss_amount", "sum"))
    per_bureau = per_bureau.join(f["units"].set_index("bureau_id")["population"], how="right")
    per_bureau["per_10k"] = per_bureau.cases / per_bureau.population * 10000
    weeks = recent(period, 8)
    sub, wk = weekly(c, "reported_at", weeks)
    places = sub.groupby(["bureau_id", "station", "township", wk]).size().unstack(fill_value=0)
    return per_bureau, places, now.groupby(["bureau_id", "station", "township"]).size().nlargest(10)


def interception(f, period):
    c = f["cases"]
    now = c[_between(c.reported_at, period.start, period.end)]
    per_bureau = case_measures(now, ["bureau_id"])
    delay = (now.stop_payment_at - now.last_transfer_at).dt.total_seconds() / 60
    bins = pd.cut(delay, [-np.inf, 10, 30, 60, 120, 24 * 60, np.inf])
    distribution = bins.value_counts().sort_index()
    per_bank = delay.groupby(now.payer_bank).agg(["median", "count"])
    weeks = recent(period, TREND_WEEKS)
    sub, wk = weekly(c, "reported_at", weeks)
    trend = case_measures(sub.assign(week=wk), ["week"])
    return per_bureau, distribution, per_bank, trend


def warnings_page(f, period):
    w = f["warnings"]
    now = w[_between(w.issued_at, period.start, period.end)]
    by_level = now.groupby(["level", "result"]).size().unstack(fill_value=0)
    limit = pd.to_timedelta(now.level.map(_limits()).fillna(1440), unit="min")
    overdue = now[now.feedback_at.isna() | ((now.feedback_at - now.issued_at) > limit)]
    overdue_list = overdue[overdue.level == "高"].sort_values("issued_at")
    per_bureau = warning_measures(now, ["bureau_id"])
    by_source = now.groupby("source").size()
    weeks = recent(period, TREND_WEEKS)
    sub, wk = weekly(w, "issued_at", weeks)
    trend = sub.groupby(wk).agg(warnings=("warning_id", "size"),
                                dissuaded=("result", lambda r: (r == "劝阻成功").sum()))
    return by_level, overdue_list, per_bureau, by_source, trend


def types(f, period):
    c = f["cases"]
    mix = {}
    for key, (a, b) in list(windows(period).items())[:3]:
        part = c[_between(c.reported_at, a, b)]
        mix[key] = part.groupby("fraud_type").agg(cases=("case_id", "size"), loss=("loss_amount", "sum"))
    weeks = recent(period, TREND_WEEKS)
    sub, wk = weekly(c, "reported_at", weeks)
    trend = sub.groupby([wk, sub.fraud_type]).size().unstack(fill_value=0)
    now = c[_between(c.reported_at, period.start, period.end)]
    ages = now.groupby(["fraud_type", "victim_age_band"]).size().unstack(fill_value=0)
    return mix, trend, ages


def bureaus(f, period):
    c, w, s = f["cases"], f["warnings"], f["strikes"]
    out = {}
    spans = {"now": (period.start, period.end), "prev": (period.prev().start, period.prev().end),
             "last_28": period.last_28(), "ytd": period.ytd()}
    for key, (a, b) in spans.items():
        cm = case_measures(c[_between(c.reported_at, a, b)], ["bureau_id"])
        wm = warning_measures(w[_between(w.issued_at, a, b)], ["bureau_id"])
        sm = s[_between(s.date, a, b)].groupby("bureau_id")[["arrests", "gangs", "dens", "cards_frozen"]].sum()
        out[key] = f["units"].set_index("bureau_id").join(cm).join(wm).join(sm)
    return out


PAGES = {"overview": overview, "areas": areas, "interception": interception,
         "warnings": warnings_page, "types": types, "bureaus": bureaus}


def frames_mb(frames: dict[str, pd.DataFrame]) -> float:
    return sum(f.memory_usage(deep=True).sum() for f in frames.values()) / 2**20


def main(db: str, week: str, runs: int) -> dict:
    period = periods.parse(week)
    started = time.perf_counter()
    frames = load(db)
    out = {"load_seconds": time.perf_counter() - started, "frames_mb": frames_mb(frames), "pages": {}}
    for key, fn in PAGES.items():
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            fn(frames, period)
            times.append(time.perf_counter() - t)
        ordered = sorted(times)
        p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
        out["pages"][key] = {"median_ms": statistics.median(times) * 1000, "p95_ms": p95 * 1000}
    return out


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2], int(sys.argv[3])), ensure_ascii=False))
