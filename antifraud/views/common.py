"""Small shared pieces for the page builders: names of bureaus, amounts in 万元, recent periods."""
from __future__ import annotations

import pandas as pd

from antifraud import periods
from antifraud.periods import Period


def recent_periods(period: Period, count: int) -> list[Period]:
    """The `count` weeks (or months) ending with `period`, oldest first."""
    out = [period]
    while len(out) < count:
        out.append(out[-1].prev())
    return out[::-1]


def final_periods(chosen: list[Period], span: periods.DataSpan | None) -> set:
    """Starts of the chosen periods whose figures are final: a trend stops at the last of them
    instead of falling to zero where the data does not reach (or only part of a period is in)."""
    if span is None:
        return {p.start for p in chosen}
    return {p.start for p in chosen if span.of(p) == periods.COMPLETE}


def short_label(p: Period) -> str:
    if p.kind == "week":
        return f"W{p.key.split('-W')[1]}<br>{p.start:%m-%d}"
    return f"{p.start.month}月<br>{p.start.year}"


def wan(values) -> pd.Series:
    """Yuan -> 万元 (display only; exports of raw data stay in yuan)."""
    return pd.to_numeric(values, errors="coerce").astype(float) / 10000.0


def bureau_names(units: pd.DataFrame) -> dict[str, str]:
    return dict(zip(units["bureau_id"].astype(str), units["bureau_name"].astype(str)))


def district_names(units: pd.DataFrame) -> dict[str, str]:
    return dict(zip(units["bureau_id"].astype(str), units["district_name"].astype(str)))


def week_start(p: Period):
    return periods.week_of(p.start).start
