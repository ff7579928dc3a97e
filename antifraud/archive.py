"""Issued briefings, kept as generated, and what changed since (修订).

Late reports change last week's numbers. Instead of silently rewriting history, every
`report` run keeps what it issued — the rendered file and its JSON with the data stamp —
under `<archive>/<period>/<scope>/<YYYYmmddTHHMMSS>.{json,md,xlsx}`. `revisions()`
compares the first-issued briefing of a period with today's figures.

Where: settings [paths].archive_dir; empty (the default) means a folder `briefings/`
beside the database file, so a test or a second database never mixes its history with
the live one (the default database gives `data/briefings/`).

Baseline: the first *final* (not provisional) briefing of that period and scope; if
only provisional ones were issued, the first of those.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import os
from pathlib import Path

import pandas as pd

import queries
from antifraud import clock, config, measures, metrics
from antifraud.measures import Filters
from antifraud.periods import Period

REVISION_COLUMNS = ["period", "metric", "label", "issued", "current", "difference", "issued_at",
                    "issued_data_as_of"]


def archive_dir(db: Path | None = None) -> Path:
    value = str(config.setting("paths.archive_dir", "") or "").strip()
    if value:
        path = Path(value)
        return path if path.is_absolute() else config.ROOT / path
    return Path(db or queries.database()).parent / "briefings"


def scope_key(filters: Filters) -> str:
    """Folder name of a filter combination: 全市, or bureau ids, then types after '__'."""
    key = "+".join(sorted(filters.bureaus)) or "全市"
    if filters.types:
        key += "__" + "+".join(sorted(filters.types))
    return key


def folder(period: Period, filters: Filters, db: Path | None = None) -> Path:
    return archive_dir(db) / period.key / scope_key(filters)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def save(payload: dict, period: Period, filters: Filters, fmt: str, data: bytes | None = None,
         last_import: dt.datetime | None = None, db: Path | None = None) -> Path:
    """Keep one issued briefing: `<stamp>.json` (its figures and data stamp) and `<stamp>.<fmt>`."""
    target = folder(period, filters, db)
    target.mkdir(parents=True, exist_ok=True)
    now = clock.stamp()
    stamp = now.strftime("%Y%m%dT%H%M%S")
    n = 1
    while (target / f"{stamp}.json").exists():
        n += 1
        stamp = f"{now:%Y%m%dT%H%M%S}-{n}"
    record = dict(payload)
    record["archived_at"] = now.isoformat(timespec="seconds")
    record["data_stamp"] = {"data_as_of": payload.get("data_as_of"),
                            "last_import_at": last_import.isoformat(timespec="seconds") if last_import else None,
                            "database": Path(db or queries.database()).name}
    record["format"] = fmt
    _write_atomic(target / f"{stamp}.json", json.dumps(record, ensure_ascii=False, indent=1).encode("utf-8"))
    if data is not None and fmt != "json":
        _write_atomic(target / f"{stamp}.{fmt}", data)
    return target / f"{stamp}.json"


def issued(period: Period, filters: Filters = Filters(), db: Path | None = None) -> list[dict]:
    """Every archived briefing of this period and scope, oldest first (each its JSON + 'path')."""
    target = folder(period, filters, db)
    if not target.is_dir():
        return []
    out = []
    for path in sorted(target.glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue            # a damaged file is not a baseline
        record["path"] = str(path)
        out.append(record)
    return sorted(out, key=lambda r: (r.get("archived_at") or "", r["path"]))


def first_issued(period: Period, filters: Filters = Filters(), db: Path | None = None) -> dict | None:
    records = issued(period, filters, db)
    final = [r for r in records if not r.get("provisional")]
    return (final or records or [None])[0]


def current_values(period: Period, filters: Filters = Filters()) -> dict[str, float | None]:
    """Today's value of every catalogue metric for the period, rounded as the JSON rounds it."""
    start, end = period.start, period.end
    now = measures.total(measures.by_bureau(start, end, filters), start, end, filters)
    same = {k: now for k in ("now", "prev", "last_year", "ytd", "ytd_last_year")}
    return {name: row["value"] for name, row in measures.kpis(same, period.kind).items()}


def _differs(a, b) -> bool:
    if a is None or b is None:
        return (a is None) != (b is None)
    return not math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-6)


def revisions(period: Period, filters: Filters = Filters(), current: dict | None = None,
              db: Path | None = None) -> pd.DataFrame:
    """Metrics whose value now differs from the first-issued briefing of this period and scope.

    `current` ({metric: value}) skips recomputing when the caller already has the figures.
    Columns: period, metric, label, issued, current, difference, issued_at, issued_data_as_of;
    empty when nothing was issued or nothing changed.
    """
    base = first_issued(period, filters, db)
    if base is None:
        return pd.DataFrame(columns=REVISION_COLUMNS)
    current = current if current is not None else current_values(period, filters)
    rows = []
    for m in metrics.CATALOGUE:
        if m.name not in current:       # a page that does not compute a metric compares the rest
            continue
        was = (base.get("kpis", {}).get(m.name) or {}).get("value")
        now = current.get(m.name)
        if _differs(was, now):
            rows.append({"period": period.key, "metric": m.name, "label": m.label, "issued": was,
                         "current": now,
                         "difference": None if was is None or now is None else round(now - was, 6),
                         "issued_at": base.get("archived_at") or base.get("generated_at"),
                         "issued_data_as_of": base.get("data_as_of")})
    return pd.DataFrame(rows, columns=REVISION_COLUMNS)


def period_revisions(period: Period, filters: Filters, kpis: dict, db: Path | None = None) -> pd.DataFrame:
    """What changed since issue, for a page or briefing that already holds this period's `kpis`
    (measures.kpis): the previous period against its issued briefing (from the kpis' own
    comparison column, so nothing is recomputed), then this period if it was issued before."""
    prev_key = "prev_week" if period.kind == "week" else "prev_month"
    prev_values = {name: row[prev_key] for name, row in kpis.items()}
    if all(v is None for v in prev_values.values()):
        prev_values = None      # a period compared with nothing (not final yet): compute the previous one
    now_values = {name: row["value"] for name, row in kpis.items()}
    parts = [revisions(period.prev(), filters, prev_values, db), revisions(period, filters, now_values, db)]
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=REVISION_COLUMNS)


def briefing_revisions(b) -> pd.DataFrame:
    """The briefing's 修订 section."""
    return period_revisions(b.period, b.filters, b.kpis)


def revision_sentences(frame: pd.DataFrame) -> list[str]:
    """One line per revised metric, for a page: 「2026-W47 发案数：发布时5起，现为6起（2026-11-24 09:00发布）」."""
    out = []
    for r in frame.itertuples(index=False):
        f = metrics.BY_NAME[r.metric].format
        when = str(r.issued_at or "").replace("T", " ")[:16]
        out.append(f"{r.period} {r.label}：发布时{f(r.issued)}，现为{f(r.current)}" + (f"（{when}发布）" if when else ""))
    return out
