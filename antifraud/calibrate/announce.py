"""What the dashboard announces for one period, read through the report's own functions.

Announced: the KPI changes whose flag is set (every `flag*` key of every metric in the
briefing's `kpis`: 环比, 同比 and any comparison added later), the emerging hot spots
(`hotspots`) and the ranking's notable rank changes (`rank_change_notable`). Also read,
for the record (issue 14 sets no target for it): the fraud-type table's `flag` column
(显著变化 per type, JSON `fraud_types`).

Two ways to get them, which must agree (the harness checks it on every run):
- `full`: `briefing.build` — exactly what `report --format json` prints, ≈1.7 s a week
  at scale 1, most of it in sections that announce nothing (the 28-day and year-to-date
  rankings, per-bureau tables, medians per bureau);
- `narrow`: only the calls `briefing.build` makes for those three sections, ≈0.6 s a
  week. It restates a few lines of `briefing.build`; when build changes how it gets
  them, the agreement check fails and says so.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import pandas as pd

import queries
from antifraud import briefing, measures, ranking
from antifraud.measures import Filters
from antifraud.periods import Period

PARTS = ("kpis", "hotspots", "ranking", "types")


@dataclass
class Announced:
    changes: list[tuple[str, str, str]] = field(default_factory=list)   # (metric, flag key, flag)
    hotspots: list[dict] = field(default_factory=list)                  # bureau_id, township, station, ...
    rank_notable: list[tuple[str, int]] = field(default_factory=list)   # (bureau_id, rank_change)
    type_flags: list[tuple[str, str]] = field(default_factory=list)     # (fraud_type, flag)
    kpis: dict = field(default_factory=dict)                            # the briefing's kpis, as returned

    @property
    def metrics(self) -> list[str]:
        """Metrics with at least one comparison flagged: the rows of the changes slide."""
        return list(dict.fromkeys(name for name, _, _ in self.changes))

    def flagged(self, metric: str, flag: str | None = None) -> bool:
        return any(name == metric and (flag is None or value == flag) for name, _, value in self.changes)

    def has_hotspot(self, bureau_id: str, township: str) -> bool:
        return any(h.get("bureau_id") == bureau_id and h.get("township") == township for h in self.hotspots)

    def record(self) -> dict:
        return {"changes": [list(c) for c in self.changes], "hotspots": self.hotspots,
                "rank_notable": [list(r) for r in self.rank_notable],
                "type_flags": [list(t) for t in self.type_flags]}


def flags(kpis: dict) -> list[tuple[str, str, str]]:
    """Every set `flag*` value of every metric, keys found by name, not listed."""
    out = []
    for name, row in (kpis or {}).items():
        if isinstance(row, dict):
            out.extend((name, key, str(value)) for key, value in row.items()
                       if str(key).startswith("flag") and value)
    return out


def hotspot_rows(frame: pd.DataFrame | None) -> list[dict]:
    if frame is None or frame.empty:
        return []
    keep = [c for c in ("bureau_id", "township", "station", "level", "cases", "reason") if c in frame]
    return [{k: (int(v) if k == "cases" else str(v)) for k, v in row.items()}
            for row in frame[keep].to_dict(orient="records")]


def notable_rows(frame: pd.DataFrame | None) -> list[tuple[str, int]]:
    if frame is None or frame.empty or "rank_change_notable" not in frame:
        return []
    hits = frame[frame["rank_change_notable"].fillna(False).astype(bool)]
    return [(str(b), int(c)) for b, c in zip(hits["bureau_id"], hits["rank_change"])]


def type_flag_rows(frame: pd.DataFrame | None) -> list[tuple[str, str]]:
    if frame is None or frame.empty or "flag" not in frame:
        return []
    return [(str(t), str(f)) for t, f in zip(frame["fraud_type"], frame["flag"]) if f]


def _timed(timings: dict | None, key: str, fn):
    started = time.perf_counter()
    try:
        return fn()
    finally:
        if timings is not None:
            timings[key] = timings.get(key, 0.0) + time.perf_counter() - started


def narrow(period: Period, filters: Filters = Filters(), parts=PARTS, timings: dict | None = None) -> Announced:
    """The announcing sections of `briefing.build(period, filters)`, computed as build does."""
    out = Announced()
    span = measures.data_span()
    if "kpis" in parts:
        out.kpis = _timed(timings, "kpis", lambda: measures.period_figures(period, filters, span).kpis)
        out.changes = flags(out.kpis)
    if "hotspots" in parts:
        def hot():
            first, end = briefing.place_weeks(period)
            places = queries.run("area_weekly_places", start=first, end=end, **filters.params())
            return briefing.hotspots_table(places, period, span)
        out.hotspots = hotspot_rows(_timed(timings, "hotspots", hot))
    if "ranking" in parts:
        out.rank_notable = notable_rows(_timed(timings, "ranking", lambda: ranking.rank_period(period, filters)))
    if "types" in parts:
        out.type_flags = type_flag_rows(_timed(timings, "types", lambda: briefing.types_table(
            briefing.type_totals(period, filters), measures.type_changes(period, filters, span))))
    return out


def full(period: Period, filters: Filters = Filters(), parts=PARTS, timings: dict | None = None) -> Announced:
    """The same, from the whole briefing the report renders (`parts` only trims the result)."""
    b = _timed(timings, "briefing", lambda: briefing.build(period, filters, with_revisions=False))
    out = Announced()
    if "kpis" in parts:
        out.kpis, out.changes = b.kpis, flags(b.kpis)
    if "hotspots" in parts:
        out.hotspots = hotspot_rows(b.hotspots)
    if "ranking" in parts:
        out.rank_notable = notable_rows(b.ranking)
    if "types" in parts:
        out.type_flags = type_flag_rows(b.types)
    return out


VIA = {"narrow": narrow, "briefing": full}


def differences(a: Announced, b: Announced) -> list[str]:
    """What differs between two readings of the same period ([] when they agree). The whole
    KPI table is compared, not only its flags: a reading that dropped an input of the test
    (history, coverage) may agree on the flags of one week and not of the next."""
    out = []
    plain = lambda v: json.dumps(v, sort_keys=True, default=str)  # noqa: E731
    for name in sorted(set(a.kpis) | set(b.kpis)):
        if plain(a.kpis.get(name)) != plain(b.kpis.get(name)):
            out.append(f"kpis[{name}] {plain(a.kpis.get(name))[:300]} != {plain(b.kpis.get(name))[:300]}")
    if sorted(a.changes) != sorted(b.changes):
        out.append(f"changes {sorted(a.changes)} != {sorted(b.changes)}")
    key = lambda h: (h.get("bureau_id"), h.get("township"), h.get("station"))  # noqa: E731
    if sorted(map(key, a.hotspots)) != sorted(map(key, b.hotspots)):
        out.append(f"hotspots {sorted(map(key, a.hotspots))} != {sorted(map(key, b.hotspots))}")
    if sorted(a.rank_notable) != sorted(b.rank_notable):
        out.append(f"rank_notable {sorted(a.rank_notable)} != {sorted(b.rank_notable)}")
    if sorted(a.type_flags) != sorted(b.type_flags):
        out.append(f"type_flags {sorted(a.type_flags)} != {sorted(b.type_flags)}")
    return out
