"""Rollup-based results equal the same results computed from raw rows.

The reference side is plain pandas over the raw `cases` / `warnings` rows, written from
the definitions in DATA.md (not from rollups.sql), so a wrong rollup, a day the
incremental refresh forgot, or a query reading the wrong column shows up as a mismatch.
It runs on the hand-written fixture, on the fixture after a second import that moves
and changes rows (the incremental path), and on a small generated sample.
"""
from __future__ import annotations

import datetime as dt
import functools
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

import queries
from antifraud import config, measures, metrics, periods, store, units

from support import ROOT, read_fixture

CASE_KEYS = ["day", "bureau_id", "fraud_type"]
WARNING_KEYS = ["day", "bureau_id", "fraud_type", "level", "result", "source"]
AREA_KEYS = ["week_start", "bureau_id", "station", "township", "fraud_type"]


def raw(db: Path, table: str) -> pd.DataFrame:
    return _raw(str(db), Path(db).stat().st_mtime_ns, table).copy()


@functools.lru_cache(maxsize=32)
def _raw(db: str, stamp: int, table: str) -> pd.DataFrame:
    con = duckdb.connect(db, read_only=True)
    try:
        return con.execute(f"SELECT * FROM {table}").df()
    finally:
        con.close()


def _money(series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce").astype(float)


def _limits() -> dict[str, float]:
    limits = config.setting("warnings.limit_minutes", {}) or {}
    return {"高": limits.get("高", 30), "中": limits.get("中", 120), "低": limits.get("低", 1440)}


def case_rows(cases: pd.DataFrame) -> pd.DataFrame:
    """One row per case with the additive measures DATA.md defines."""
    c = cases
    both = c.stop_payment_at.notna() & c.last_transfer_at.notna()
    stopped, frozen = _money(c.stopped_amount).fillna(0), _money(c.frozen_amount).fillna(0)
    return pd.DataFrame({
        "day": c.reported_at.dt.normalize(), "bureau_id": c.bureau_id, "fraud_type": c.fraud_type,
        "week_start": c.reported_at.dt.normalize() - pd.to_timedelta(c.reported_at.dt.weekday, unit="D"),
        "station": c.station, "township": c.township,
        "cases": 1, "loss": _money(c.loss_amount).fillna(0), "stopped": stopped, "frozen": frozen,
        "returned": _money(c.returned_amount).fillna(0),
        "solved": (c.status == "已破案").astype(int),
        "fast_stop_n": (both & ((c.stop_payment_at - c.last_transfer_at) <= pd.Timedelta(minutes=30))).astype(int),
        "fast_stop_den": both.astype(int),
        "stop_cases": ((stopped + frozen > 0) | c.stop_payment_at.notna()).astype(int),
        "loss_sq": _money(c.loss_amount).fillna(0).astype(float) ** 2,
    })


def export_time(db: Path) -> pd.Timestamp:
    """The export's time: the latest case report or warning issue in the database."""
    cases, warnings = raw(db, "cases"), raw(db, "warnings")
    return max(cases.reported_at.max(), warnings.issued_at.max())


def warning_rows(warnings: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Overdue: feedback after the limit, or none although the limit passed before as_of."""
    w = warnings
    limit = pd.to_timedelta(w.level.map(_limits()).fillna(_limits()["低"]), unit="min")
    late = ((w.feedback_at - w.issued_at) > limit) | (w.feedback_at.isna() & (w.issued_at + limit <= as_of))
    return pd.DataFrame({
        "day": w.issued_at.dt.normalize(), "bureau_id": w.bureau_id, "fraud_type": w.fraud_type,
        "level": w.level, "result": w.result, "source": w.source,
        "warnings": 1, "dissuaded": (w.result == "劝阻成功").astype(int),
        "overdue": late.astype(int),
        "victimized_after": w.victimized_after.fillna(False).astype(bool).astype(int),
        "feedback_missing": w.feedback_at.isna().astype(int),
        "signed_missing": w.signed_at.isna().astype(int),
        "avoided_loss": _money(w.avoided_loss).fillna(0),
    })


def _normal(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    frame = frame.copy()
    for k in keys:
        if k in ("day", "week_start", "block_start"):
            frame[k] = pd.to_datetime(frame[k]).dt.normalize().astype("datetime64[us]")
        else:
            frame[k] = frame[k].astype(object).where(frame[k].notna(), "<NULL>").astype(str)
    values = [c for c in frame.columns if c not in keys]
    for v in values:
        frame[v] = pd.to_numeric(frame[v]).astype(float).round(2)
    return frame.sort_values(keys).reset_index(drop=True)[keys + sorted(values)]


def assert_same_rollup(db: Path, table: str, expected: pd.DataFrame, keys: list[str]) -> None:
    expected = expected.groupby(keys, dropna=False, as_index=False).sum(numeric_only=True)
    got = raw(db, table)
    pd.testing.assert_frame_equal(_normal(got, keys), _normal(expected[got.columns], keys),
                                  check_dtype=False, obj=table)


def assert_rollups_match_raw(db: Path) -> None:
    cases, warnings = raw(db, "cases"), raw(db, "warnings")
    crow, wrow = case_rows(cases), warning_rows(warnings, export_time(db))
    assert_same_rollup(db, "case_daily", crow[CASE_KEYS + [c for c in crow if c not in
                       CASE_KEYS + ["week_start", "station", "township"]]], CASE_KEYS)
    assert_same_rollup(db, "warning_daily", wrow, WARNING_KEYS)
    assert_same_rollup(db, "warning_bureau_daily", wrow.drop(columns=["level", "result", "source"]), CASE_KEYS)
    assert_same_rollup(db, "area_weekly", crow[AREA_KEYS + ["cases", "loss"]], AREA_KEYS)
    # the weekly sums that long windows read, and the sign-time histograms
    weekly = ["week_start", "bureau_id", "fraud_type"]
    assert_same_rollup(db, "case_weekly", crow.drop(columns=["day", "station", "township"]), weekly)
    wrow["week_start"] = wrow.day - pd.to_timedelta(wrow.day.dt.weekday, unit="D")
    assert_same_rollup(db, "warning_bureau_weekly", wrow.drop(columns=["day", "level", "result", "source"]), weekly)
    signed = warnings[warnings.signed_at.notna()]
    seconds = (signed.signed_at.dt.floor("s") - signed.issued_at.dt.floor("s")).dt.total_seconds().astype("int64")
    sign = pd.DataFrame({"day": signed.issued_at.dt.normalize(), "bureau_id": signed.bureau_id,
                         "fraud_type": signed.fraud_type, "seconds": seconds,
                         "bucket": np.floor(2 * np.log2(seconds.clip(lower=1))).astype(int)})
    sign["week_start"] = sign.day - pd.to_timedelta(sign.day.dt.weekday, unit="D")
    for table, keys in (("warning_sign_daily", ["day", "bureau_id", "fraud_type", "bucket"]),
                        ("warning_sign_weekly", weekly + ["bucket"])):
        want = sign.groupby(keys, dropna=False).seconds.agg(warnings="size", min_seconds="min", max_seconds="max")
        got = raw(db, table)
        pd.testing.assert_frame_equal(_normal(got, keys), _normal(want.reset_index()[got.columns], keys),
                                      check_dtype=False, obj=table)
    want = sign.groupby(["day", "bucket"]).seconds.agg(warnings="size", min_seconds="min", max_seconds="max")
    got = raw(db, "warning_sign_city")
    pd.testing.assert_frame_equal(_normal(got, ["day", "bucket"]), _normal(want.reset_index()[got.columns], ["day", "bucket"]),
                                  check_dtype=False, obj="warning_sign_city")
    sign["block_start"] = np.maximum(sign.week_start, sign.day - pd.to_timedelta(sign.day.dt.day - 1, unit="D"))
    want = sign.groupby(["block_start", "seconds"]).size().rename("warnings").reset_index()
    got = raw(db, "warning_sign_seconds_block")
    pd.testing.assert_frame_equal(_normal(got, ["block_start", "seconds"]), _normal(want[got.columns], ["block_start", "seconds"]),
                                  check_dtype=False, obj="warning_sign_seconds_block")
    want = sign.groupby(["day", "seconds"]).size().rename("warnings").reset_index()
    got = raw(db, "warning_sign_seconds")
    pd.testing.assert_frame_equal(_normal(got, ["day", "seconds"]), _normal(want[got.columns], ["day", "seconds"]),
                                  check_dtype=False, obj="warning_sign_seconds")
    # the filter's choices: every type present in cases or warnings, with how often
    both = pd.concat([cases.fraud_type, warnings.fraud_type]).dropna().value_counts()
    con = duckdb.connect(str(db), read_only=True)
    try:
        kept = dict(con.execute("SELECT fraud_type, n FROM fraud_type_counts").fetchall())
    finally:
        con.close()
    assert kept == {str(k): int(v) for k, v in both.items()}


def raw_by_bureau(db: Path, start: dt.date, end: dt.date, filters: measures.Filters) -> pd.DataFrame:
    """What measures.by_bureau must return, from raw rows (end inclusive)."""
    cases, warnings = raw(db, "cases"), raw(db, "warnings")
    lo, hi = pd.Timestamp(start), pd.Timestamp(end + dt.timedelta(days=1))

    def keep(frame, time_col):
        mask = (frame[time_col] >= lo) & (frame[time_col] < hi)
        if filters.bureaus:
            mask &= frame.bureau_id.isin(filters.bureaus)
        if filters.types:
            mask &= frame.fraud_type.isin(filters.types)
        return frame[mask]

    c = case_rows(keep(cases, "reported_at")).groupby("bureau_id").sum(numeric_only=True)
    c["intercepted"] = c.stopped + c.frozen
    w = warning_rows(keep(warnings, "issued_at"), export_time(db)).groupby("bureau_id").sum(numeric_only=True)
    out = c.join(w, how="outer")
    ww = keep(warnings, "issued_at")
    minutes = (ww.signed_at - ww.issued_at).dt.total_seconds() / 60
    out = out.join(minutes.groupby(ww.bureau_id).median().rename("median_sign_minutes"), how="outer")
    return out


def assert_measures_match_raw(db: Path, period: periods.Period, filters: measures.Filters) -> None:
    queries.use_database(db)
    try:
        for start, end in measures.windows(period).values():
            got = measures.by_bureau(start, end, filters, medians=True)
            want = raw_by_bureau(db, start, end, filters)
            for col in want.columns:
                expected = want[col].reindex(got.index)
                if col != "median_sign_minutes":
                    expected = expected.fillna(0)
                pd.testing.assert_series_equal(
                    got[col].astype(float).round(4), expected.astype(float).round(4),
                    check_names=False, obj=f"{col} {start}..{end} {filters}")
            total = measures.total(got, start, end, filters)
            ww = raw(db, "warnings")
            mask = (ww.issued_at >= pd.Timestamp(start)) & (ww.issued_at < pd.Timestamp(end + dt.timedelta(days=1)))
            if filters.bureaus:
                mask &= ww.bureau_id.isin(filters.bureaus)
            if filters.types:
                mask &= ww.fraud_type.isin(filters.types)
            city_median = ((ww[mask].signed_at - ww[mask].issued_at).dt.total_seconds() / 60).median()
            if pd.isna(city_median):
                assert pd.isna(total["median_sign_minutes"])
            else:
                assert total["median_sign_minutes"] == pytest.approx(city_median)
            assert total["cases"] == want["cases"].sum()
    finally:
        queries.use_database(None)


def assert_queries_match_raw(db: Path, period: periods.Period, filters: measures.Filters) -> None:
    """The rollup-based page queries that are not measures: type mix, overdue list, places."""
    queries.use_database(db)
    try:
        p = {"start": period.start, "end": period.end_exclusive, **filters.params()}
        cases, warnings = raw(db, "cases"), raw(db, "warnings")
        lo, hi = pd.Timestamp(period.start), pd.Timestamp(period.end_exclusive)
        cm = (cases.reported_at >= lo) & (cases.reported_at < hi)
        wm = (warnings.issued_at >= lo) & (warnings.issued_at < hi)
        if filters.bureaus:
            cm &= cases.bureau_id.isin(filters.bureaus)
            wm &= warnings.bureau_id.isin(filters.bureaus)
        if filters.types:
            cm &= cases.fraud_type.isin(filters.types)
            wm &= warnings.fraud_type.isin(filters.types)
        got = measures.type_totals([(period.start, period.end)], filters)[0].set_index("fraud_type").sort_index()
        want = case_rows(cases[cm]).groupby("fraud_type")[["cases", "loss"]].sum().sort_index()
        assert list(got.index) == list(want.index)
        assert got.cases.astype(int).tolist() == want.cases.astype(int).tolist()
        assert got.loss.astype(float).round(2).tolist() == want.loss.round(2).tolist()
        # the overdue list (raw rows) agrees with the overdue counts (rollup) and the raw rule
        listed = queries.run("overdue_warnings", **p)
        flagged = warning_rows(warnings[wm], export_time(db))
        assert sorted(listed.warning_id) == sorted(warnings[wm].warning_id[flagged.overdue.astype(bool)])
        # weeks starting inside the period (area_weekly is by week)
        week_start = cases.reported_at.dt.normalize() - pd.to_timedelta(cases.reported_at.dt.weekday, unit="D")
        am = (week_start >= lo) & (week_start < hi)
        if filters.bureaus:
            am &= cases.bureau_id.isin(filters.bureaus)
        if filters.types:
            am &= cases.fraud_type.isin(filters.types)
        got = queries.run("area_weekly_places", **p)
        want = case_rows(cases[am])
        assert int(got.cases.sum()) == int(want.cases.sum())
        assert float(got.loss.astype(float).sum()) == pytest.approx(float(want.loss.sum()))
    finally:
        queries.use_database(None)


W47 = periods.parse("2026-W47")
FILTERS = [measures.Filters(), measures.Filters(bureaus=("410711",)),
           measures.Filters(types=("刷单返利", "虚假贷款")),
           measures.Filters(bureaus=("410702", "410725"), types=("刷单返利",))]


def test_fixture_rollups_equal_raw(fixture_db):
    assert_rollups_match_raw(fixture_db)


@pytest.mark.parametrize("period", [W47, periods.parse("2026-11"), periods.parse("2025-W47")],
                         ids=["W47", "2026-11", "2025-W47"])
@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: f"b{len(f.bureaus)}t{len(f.types)}")
def test_fixture_measures_equal_raw(fixture_db, period, filters):
    assert_measures_match_raw(fixture_db, period, filters)
    assert_queries_match_raw(fixture_db, period, filters)


@pytest.fixture(scope="module")
def changed_db(fixture_db, tmp_path_factory) -> Path:
    """The fixture after a second import that moves a case to another week and bureau,
    changes a warning's outcome, and adds rows: the incremental refresh must follow."""
    db = tmp_path_factory.mktemp("changed") / "changed.duckdb"
    shutil.copyfile(fixture_db, db)
    cases = read_fixture("cases")
    moved = cases[cases.case_id == "C1"].copy()
    moved["reported_at"] = pd.Timestamp("2026-11-10 08:00:00")       # W47 -> W46
    moved["bureau_id"] = "410725"
    moved["township"] = "城关镇"
    extra = cases[cases.case_id == "C2"].copy()
    extra["case_id"] = "C2b"
    extra["reported_at"] = pd.Timestamp("2026-11-22 23:59:00")       # last minute of W47
    warnings = read_fixture("warnings")
    changed = warnings[warnings.warning_id == "W3"].copy()
    changed["result"] = "劝阻成功"
    changed["feedback_at"] = pd.NaT                                   # now overdue for lack of feedback
    batches = [store.Batch("cases", pd.concat([moved, extra]), "second.csv", "second-cases", rows_read=2),
               store.Batch("warnings", changed, "second-w.csv", "second-warnings", rows_read=1)]
    store.apply(db, batches, units.load_units(), units.load_stations())
    return db


def test_incremental_rollups_equal_raw(changed_db):
    assert_rollups_match_raw(changed_db)
    cases = raw(changed_db, "cases")
    assert len(cases) == 12                          # C2b new, C1 updated in place
    for filters in FILTERS:
        for period in (W47, periods.parse("2026-W46")):
            assert_measures_match_raw(changed_db, period, filters)
            assert_queries_match_raw(changed_db, period, filters)


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory) -> Path:
    """A small generated sample (about a quarter of one city, one year), ingested."""
    try:
        import antifraud.sample  # noqa: F401
        from antifraud import ingest
    except ImportError:
        pytest.skip("generator or ingest not present")
    out = tmp_path_factory.mktemp("sample")
    done = subprocess.run([sys.executable, "-m", "antifraud", "sample", "--scale", "0.25", "--years", "1",
                           "--seed", "7", "--end", "2026-W47", "--format", "csv", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    files = sorted(p for p in out.iterdir() if p.name.startswith(("案件", "预警", "打击")))
    db = out / "sample.duckdb"
    ingest.ingest_files(files, db)
    return db


def test_sample_rollups_equal_raw(sample_db):
    assert_rollups_match_raw(sample_db)


def test_sample_measures_equal_raw(sample_db):
    con = duckdb.connect(str(sample_db), read_only=True)
    top = con.execute("SELECT bureau_id, fraud_type FROM cases GROUP BY ALL ORDER BY count(*) DESC LIMIT 1"
                      ).fetchone()
    con.close()
    for period in (W47, periods.parse("2026-10"), periods.parse("2026-W01")):
        for filters in (measures.Filters(), measures.Filters(bureaus=(top[0],)),
                        measures.Filters(types=(top[1],))):
            assert_measures_match_raw(sample_db, period, filters)
            assert_queries_match_raw(sample_db, period, filters)


@pytest.fixture(scope="module")
def sign_db(fixture_db, tmp_path_factory) -> Path:
    """The fixture plus warnings whose sign times straddle histogram buckets: ties, 0 s,
    a sign time before the issue time, one never signed, and hours."""
    db = tmp_path_factory.mktemp("sign") / "sign.duckdb"
    shutil.copyfile(fixture_db, db)
    template = read_fixture("warnings").iloc[[0]]
    seconds = [0, -30, 1, 2, 3, 10, 10, 10, 100, 101, 1449, 1450, 3600, 7200, 86400, None]
    rows = []
    for i, s in enumerate(seconds):
        row = template.copy()
        row["warning_id"] = f"S{i}"
        row["bureau_id"] = "410711" if i % 2 else "410702"
        row["issued_at"] = pd.Timestamp("2026-11-18 08:00:00") + pd.Timedelta(hours=i)
        row["signed_at"] = pd.NaT if s is None else row["issued_at"] + pd.Timedelta(seconds=s)
        rows.append(row)
    store.apply(db, [store.Batch("warnings", pd.concat(rows), "sign.csv", "sign-times", rows_read=len(rows))],
                units.load_units(), units.load_stations())
    return db


def test_second_counts_of_blocks_stay_in_order_of_seconds(sign_db):
    """After an incremental import the block counts are still stored by seconds (not appended
    block after block): the year-to-date median reads one bucket's range of seconds, and the
    zone maps skip the rest of the history only in that order."""
    con = duckdb.connect(str(sign_db), read_only=True)
    try:
        stored = [r[0] for r in con.execute("SELECT seconds FROM warning_sign_seconds_block ORDER BY rowid").fetchall()]
    finally:
        con.close()
    assert len(stored) > 16 and stored == sorted(stored)


@pytest.mark.parametrize("filters", FILTERS[:2] + [measures.Filters(bureaus=("410702",))],
                         ids=lambda f: f"b{len(f.bureaus)}")
@pytest.mark.parametrize("days", [(17, 18), (18, 18), (16, 22), (19, 19)])
def test_sign_median_from_histogram_is_exact(sign_db, filters, days):
    """measures.sign_median (histogram + one bucket's raw rows) equals the plain median of the
    raw rows, for odd and even counts and middle values in different buckets."""
    start, end = dt.date(2026, 11, days[0]), dt.date(2026, 11, days[1])
    w = raw(sign_db, "warnings")
    mask = (w.issued_at >= pd.Timestamp(start)) & (w.issued_at < pd.Timestamp(end + dt.timedelta(days=1)))
    if filters.bureaus:
        mask &= w.bureau_id.isin(filters.bureaus)
    want = ((w[mask].signed_at - w[mask].issued_at).dt.total_seconds() / 60).median()
    queries.use_database(sign_db)
    try:
        got = measures.sign_median(start, end, filters)
    finally:
        queries.use_database(None)
    if pd.isna(want):
        assert pd.isna(got)
    else:
        assert got == pytest.approx(want, abs=1e-12)


def test_measure_sources_name_what_each_query_returns(fixture_db):
    queries.use_database(fixture_db)
    try:
        for name, columns in measures.SOURCES.items():
            got = queries.run(name, starts=[dt.date(2026, 11, 16)], ends=[dt.date(2026, 11, 23)], bureaus=[], types=[])
            assert set(got.columns) - {"window_no", "bureau_id"} == set(columns), name
        # every additive measure has exactly one source, population aside
        listed = [c for cols in measures.SOURCES.values() for c in cols]
        assert sorted(listed) == sorted(set(metrics.MEASURES) - {"population"})
        assert measures.sources_for(("warnings", "dissuasion_rate")) == ("warning_measures",)
        assert measures.sources_for(("cases_per_10k", "arrests")) == ("case_measures", "strike_measures")
        assert measures.sources_for(None) == tuple(measures.SOURCES)
        # a page that shows a few metrics gets the same figures for them as the full computation
        full = measures.kpis(measures.window_totals(W47))
        shown = ("warnings", "overdue_rate", "median_sign_minutes")
        part = measures.kpis(measures.window_totals(W47, shown=shown))
        figures = ("value", "prev_week", "wow_pct", "last_year", "yoy_pct", "ytd", "ytd_last_year", "ytd_yoy_pct")
        for name in shown:      # the figures; what is announced is decided over every metric (period_figures)
            assert {k: part[name][k] for k in figures} == {k: full[name][k] for k in figures}
        assert part["cases"]["value"] is None and full["cases"]["value"] is not None
    finally:
        queries.use_database(None)


@pytest.mark.parametrize("filters", FILTERS[:2], ids=lambda f: f"b{len(f.bureaus)}")
def test_sign_medians_of_several_windows_at_once(sign_db, filters):
    """One read for every window (period_figures' five) gives each window's own exact median,
    windows without signed warnings included."""
    spans = [(dt.date(2026, 11, a), dt.date(2026, 11, b)) for a, b in ((17, 18), (18, 18), (16, 22), (19, 19))]
    spans += [(dt.date(2020, 1, 6), dt.date(2020, 1, 12)), (dt.date(2026, 1, 1), dt.date(2026, 11, 22)),
              (dt.date(2026, 11, 1), dt.date(2026, 11, 30)), (dt.date(2025, 10, 28), dt.date(2026, 11, 19))]
    queries.use_database(sign_db)
    try:
        together = measures.sign_medians(spans, filters)
        alone = [measures.sign_medians([span], filters)[0] for span in spans]
    finally:
        queries.use_database(None)
    w = raw(sign_db, "warnings")
    for (start, end), got, one in zip(spans, together, alone):
        mask = (w.issued_at >= pd.Timestamp(start)) & (w.issued_at < pd.Timestamp(end + dt.timedelta(days=1)))
        if filters.bureaus:
            mask &= w.bureau_id.isin(filters.bureaus)
        want = ((w[mask].signed_at.dt.floor("s") - w[mask].issued_at.dt.floor("s")).dt.total_seconds() / 60).median()
        if pd.isna(want):
            assert pd.isna(got) and pd.isna(one)
        else:
            assert got == pytest.approx(want, abs=1e-12) and one == got
