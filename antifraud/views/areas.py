"""Builders for 高发区域: per-10k rates per bureau, station points, place tables for the screen."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from antifraud import config, hotspots, metrics, periods, significance, stats
from antifraud.periods import Period
from antifraud.views.common import bureau_names, district_names


RATES = ("cases", "cases_per_10k")      # what the map and the rate chart show


def bureau_rates(by_bureau: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """bureau_id, district_name, bureau_name, kind, lon, lat, cases, population, value (万人发案)."""
    table = metrics.table(by_bureau, list(RATES))
    u = units.set_index("bureau_id")[["district_name", "bureau_name", "kind", "lon", "lat"]]
    out = u.join(table, how="inner").join(by_bureau[["population"]], how="left")
    out["cases"] = pd.to_numeric(out["cases"], errors="coerce").fillna(0).astype(int)
    out["value"] = pd.to_numeric(out["cases_per_10k"], errors="coerce")
    out = out.drop(columns=["cases_per_10k"]).reset_index().rename(columns={"index": "bureau_id"})
    return out.sort_values(["value", "bureau_id"], ascending=[False, True]).reset_index(drop=True)


def bar_colours(rates: pd.DataFrame, chosen: tuple[str, ...]) -> list[str] | None:
    """Chosen bureaus in the accent colour, the others grey (None: no district filter)."""
    from antifraud import charts
    if not chosen:
        return None
    return [charts.NOW if str(b) in chosen else charts.BEFORE for b in rates["bureau_id"]]


def station_points(places: pd.DataFrame, stations: pd.DataFrame) -> pd.DataFrame:
    """name, lon, lat, cases: stations with coordinates and their cases in the period."""
    cols = ["name", "lon", "lat", "cases"]
    if places is None or places.empty or stations is None or stations.empty:
        return pd.DataFrame(columns=cols)
    counts = places.groupby(["bureau_id", "station"], dropna=True)["cases"].sum().reset_index()
    s = stations.rename(columns={"station_name": "station"})[["bureau_id", "station", "lon", "lat"]]
    out = counts.merge(s, on=["bureau_id", "station"], how="inner").rename(columns={"station": "name"})
    return out[cols]


def hot_week(period: Period) -> Period:
    """The week the hot-spot test looks at: the period's week, or a month's last full week."""
    if period.kind == "week":
        return period
    week = periods.week_of(period.end)
    return week if week.end <= period.end else week.prev()


def places_window(period: Period, lookback_weeks: int) -> tuple[dt.date, dt.date]:
    """Weeks to read from area_weekly: enough before the period for baselines and runs."""
    first = min(period.start, hot_week(period).start) - dt.timedelta(days=7 * lookback_weeks)
    return periods.week_of(first).start, period.end_exclusive


def weeks_in(places: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Rows of `area_weekly_places` whose week starts inside the period."""
    if places is None or places.empty:
        return places
    days = pd.to_datetime(places["week_start"]).dt.date
    return places[(days >= period.start) & (days <= period.end)]


def place_table(top: pd.DataFrame, units: pd.DataFrame, level: str) -> pd.DataFrame:
    """Top places for the screen: 分县局, place, 本期, 前四周基准, 变化."""
    word = hotspots.LEVEL_WORD[level]
    cols = ["分县局", word, "本期发案", "前4周基准", "变化"]
    if top is None or top.empty:
        return pd.DataFrame(columns=cols)
    names = district_names(units)
    return pd.DataFrame({
        "分县局": top["bureau_id"].map(names).fillna(top["bureau_id"]),
        word: top["place"], "本期发案": top["cases"].astype(int),
        "前4周基准": top["baseline"].round(1),
        "变化": [("—" if p is None else f"{p:+.0f}%") for p in top["change_pct"]],
    })[cols]


def hotspot_table(found: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    cols = ["分县局", "地点", "层级", "本周发案", "原因"]
    if found is None or found.empty:
        return pd.DataFrame(columns=cols)
    names = district_names(units)
    return pd.DataFrame({
        "分县局": found["bureau_id"].map(names).fillna(found["bureau_id"]),
        "地点": found["place"], "层级": found["level"].map(hotspots.LEVEL_WORD),
        "本周发案": found["cases"].astype(int), "原因": found["reason"],
    })[cols]


def week_covered(span: periods.DataSpan):
    """For hotspots.emerging: whether the data covers the week starting on a given Monday whole."""
    return lambda monday: span.covers(monday, monday + dt.timedelta(days=6))


def hotspot_empty(week: Period, span: periods.DataSpan) -> str:
    """What an empty hot-spot list says: nothing announced, or no final week to test."""
    if span.of(week) != periods.COMPLETE:
        return f"{week.label}数据尚不完整，不做热点判断。"
    return "本周没有新兴热点（按错误发现率控制，偶然波动不列出）。"


def hotspot_rule() -> str:
    ks = "、".join(str(k) for k in significance.recent_weeks())
    return (f"近{ks}周发案高于该地前{significance.baseline_weeks()}周水平（精确计数检验，按各地周间波动放宽），"
            f"且{stats.rule_text()}；本周至少{int(config.setting('hotspots.min_cases', 3))}起。"
            "“连续上升”只作说明，不单独作为热点依据。")


def rate_table(rates: pd.DataFrame) -> pd.DataFrame:
    m = metrics.get("cases_per_10k")
    return pd.DataFrame({
        "区县": rates["district_name"], "分县局": rates["bureau_name"],
        "类型": rates["kind"].map({"county": "县区", "zone": "功能区"}).fillna(""),
        "发案数": rates["cases"], "常住人口": rates["population"].astype("Int64"),
        m.label: rates["value"].round(2),
    })


__all__ = ["bureau_rates", "station_points", "hot_week", "places_window", "place_table",
           "hotspot_table", "rate_table", "bureau_names"]
