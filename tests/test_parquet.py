"""export-parquet round-trips: the figures read back from the Parquet equal the report's.

Two independent routes back from the files: DuckDB SQL straight over the partitioned
Parquet (what a province runs), and a new database rebuilt from the Parquet through the
ordinary writer, whose KPIs (and report JSON, when the report exists) must equal the
original's exactly.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import queries
from antifraud import measures, parquet, periods, store, units

from support import ROOT

W47 = periods.parse("2026-W47")


@pytest.fixture(scope="module")
def exported(fixture_db, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("parquet") / "export"
    parquet.export(fixture_db, out)
    return out


def over_parquet(out: Path, sql: str):
    con = duckdb.connect(":memory:")
    try:
        for table in ("cases", "warnings", "strikes", "units"):
            con.execute(f"CREATE VIEW {table} AS SELECT * FROM {parquet.read_sql(out, table)}")
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_layout(exported):
    assert (exported / "cases" / "year=2026" / "week=47" / "bureau_id=410711").is_dir()
    assert (exported / "warnings" / "year=2026" / "week=47").is_dir()
    assert (exported / "units" / "units.parquet").is_file()
    manifest = json.loads((exported / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tables"]["cases"] == 11 and manifest["tables"]["warnings"] == 8
    assert not list(exported.glob(".*tmp"))
    # a plain Parquet reader (no Hive partitioning) still sees the id as text
    con = duckdb.connect()
    kinds = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet("
                             f"'{exported}/cases/*/*/*/*.parquet', hive_partitioning = false))").fetchall())
    assert kinds["bureau_id"] == "VARCHAR" and kinds["case_id"] == "VARCHAR"


def test_week_figures_over_parquet(exported):
    # hand-computed in test_metrics: W47 cases C1..C5, loss 1,288,000; 6 warnings, 3 dissuaded
    [(cases, loss)] = over_parquet(exported, "SELECT count(*), sum(loss_amount) FROM cases "
                                             "WHERE year = 2026 AND week = 47")
    assert cases == 5 and float(loss) == 1288000.00
    [(n, dissuaded)] = over_parquet(exported, "SELECT count(*), count(*) FILTER (WHERE result = '劝阻成功') "
                                              "FROM warnings WHERE year = 2026 AND week = 47")
    assert (n, dissuaded) == (6, 3)
    per_bureau = dict(over_parquet(exported, "SELECT bureau_id, count(*) FROM cases "
                                             "WHERE year = 2026 AND week = 47 GROUP BY ALL"))
    assert per_bureau == {"410702": 2, "410711": 2, "410725": 1}
    [(arrests,)] = over_parquet(exported, "SELECT sum(arrests) FROM strikes WHERE year = 2026 AND week = 47")
    assert arrests == 4


def test_every_row_round_trips(fixture_db, exported):
    con = duckdb.connect(str(fixture_db), read_only=True)
    try:
        for table, key in (("cases", "case_id"), ("warnings", "warning_id"), ("strikes", "bureau_id, date")):
            original = con.execute(f"SELECT * FROM {table} ORDER BY {key}").df()
            back = duckdb.connect().execute(
                f"SELECT * EXCLUDE (year, week) FROM {parquet.read_sql(exported, table)} ORDER BY {key}").df()
            pd.testing.assert_frame_equal(original, back[original.columns], check_dtype=False, obj=table)
    finally:
        con.close()


def rebuild(out: Path, db: Path) -> Path:
    """A new database from the Parquet alone, through the ordinary writer."""
    con = duckdb.connect()
    batches = []
    for kind in ("cases", "warnings", "strikes"):
        frame = con.execute(f"SELECT * EXCLUDE (year, week, source_file, ingested_at) "
                            f"FROM {parquet.read_sql(out, kind)}").df()
        batches.append(store.Batch(kind, frame, f"{kind}.parquet", f"parquet-{kind}", rows_read=len(frame)))
    store.apply(db, batches, units.load_units(), units.load_stations())
    return db


def _kpis(db: Path, period, filters=measures.Filters()):
    queries.use_database(db)
    try:
        return measures.kpis(measures.window_totals(period, filters), period.kind)
    finally:
        queries.use_database(None)


def test_rebuilt_database_gives_the_same_kpis(fixture_db, exported, tmp_path):
    db = rebuild(exported, tmp_path / "rebuilt.duckdb")
    for period in (W47, periods.parse("2026-11")):
        for filters in (measures.Filters(), measures.Filters(bureaus=("410711",))):
            assert _kpis(db, period, filters) == _kpis(fixture_db, period, filters)
    assert _kpis(db, W47)["cases"]["value"] == 5


def _report_json(db: Path) -> dict:
    done = subprocess.run([sys.executable, "-m", "antifraud", "report", "--week", "2026-W47",
                           "--format", "json", "--db", str(db), "--no-archive"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_report_figures_round_trip(fixture_db, exported, tmp_path):
    try:
        import antifraud.report  # noqa: F401
    except ImportError:
        pytest.skip("report not present")
    db = rebuild(exported, tmp_path / "rebuilt.duckdb")
    original, back = _report_json(fixture_db), _report_json(db)
    for key in ("kpis", "ranking", "hotspots", "data_as_of"):
        assert back.get(key) == original.get(key), key
    assert back["kpis"]["cases"]["value"] == 5


def test_cli_export(fixture_db, tmp_path):
    done = subprocess.run([sys.executable, "-m", "antifraud", "export-parquet", str(tmp_path / "x"),
                           "--db", str(fixture_db)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert over_parquet(tmp_path / "x", "SELECT count(*) FROM warnings")[0][0] == 8
    # exporting again replaces, never duplicates
    parquet.export(fixture_db, tmp_path / "x")
    assert over_parquet(tmp_path / "x", "SELECT count(*) FROM warnings")[0][0] == 8
    missing = subprocess.run([sys.executable, "-m", "antifraud", "export-parquet", str(tmp_path / "y"),
                              "--db", str(tmp_path / "none.duckdb")], cwd=ROOT, capture_output=True, text=True)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
