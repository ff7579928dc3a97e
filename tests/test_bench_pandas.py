"""The bench's plain-pandas baseline computes the same results as the queries it stands for.

Every pandas equivalent (antifraud/bench_pandas.py, raw tables only) against
`queries.run_uncached` on the fixture database, over representative windows and filters;
then on the fixture plus rows with missing values, fractional seconds and a warning still
waiting for feedback; then each page's recorded calls, replayed through pandas as the
bench does.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

import queries
from antifraud import bench, bench_pandas, store, units
from support import ROOT

D = dt.date
WINDOWS = {
    "city-week": dict(start=D(2026, 11, 16), end=D(2026, 11, 23)),
    "one-bureau": dict(start=D(2026, 11, 16), end=D(2026, 11, 23), bureaus=["410702"]),
    "type": dict(start=D(2026, 11, 16), end=D(2026, 11, 23), types=["刷单返利"]),
    "bureaus-and-types": dict(start=D(2026, 11, 9), end=D(2026, 11, 23), bureaus=["410711", "410725"],
                              types=["虚假贷款", "刷单返利"]),
    "previous-week": dict(start=D(2026, 11, 9), end=D(2026, 11, 16)),
    "mid-week": dict(start=D(2026, 11, 18), end=D(2026, 11, 25)),
    "ytd": dict(start=D(2026, 1, 1), end=D(2026, 11, 23)),
    "ytd-last-year": dict(start=D(2025, 1, 1), end=D(2025, 11, 23)),
    "empty": dict(start=D(2020, 1, 6), end=D(2020, 1, 13)),
}
EXTRAS = {"$min_loss": [{"min_loss": 1_000_000}, {"min_loss": 0}],
          "$lo": [{"lo": -10**9, "hi": 10**9}, {"lo": 60, "hi": 1800}]}
COMPARED = sorted(set(bench_pandas.QUERIES) & set(queries.names()))


def calls(name: str) -> list[tuple[str, dict]]:
    sql = queries.sql_text(name)
    if "$starts" in sql:   # several windows at once: each window alone, then all plain ones together
        # per-window time ranges ($los/$his): everything, and one narrow range
        ranges = [{"los": [lo], "his": [hi]} for lo, hi in ((-10**9, 10**9), (60, 1800))] if "$los" in sql else [{}]
        one = [(f"{label}-{'-'.join(str(v[0]) for v in r.values())}".rstrip("-"),
                {"bureaus": [], "types": [], **{k: v for k, v in p.items() if k not in ("start", "end")},
                 "starts": [p["start"]], "ends": [p["end"]], **r})
               for label, p in WINDOWS.items() for r in ranges]
        plain = [p for p in WINDOWS.values() if set(p) == {"start", "end"}]
        every = {"starts": [p["start"] for p in plain], "ends": [p["end"] for p in plain], "bureaus": [], "types": []}
        if "$los" in sql:
            every.update(los=[60 * (i + 1) for i in range(len(plain))], his=[1800 + 600 * i for i in range(len(plain))])
        return one + [("all-windows", every)]
    if "$ids" in sql:      # a task's list of warning and case ids: found, unknown, none
        return [("ids", {"ids": ["W1", "W5", "C1", "C4", "nope"]}), ("no-ids", {"ids": []})]
    if "$start" not in sql:
        return [("all", {})]
    extras = next((v for k, v in EXTRAS.items() if k in sql), [{}])
    return [(f"{label}-{'-'.join(map(str, extra.values()))}".rstrip("-"), {"bureaus": [], "types": [], **p, **extra})
            for label, p in WINDOWS.items() for extra in extras]


CASES = [pytest.param(name, params, id=f"{name}-{label}") for name in COMPARED for label, params in calls(name)]


# ---------------------------------------------------------------- comparing frames

def _normal(col: pd.Series) -> pd.Series:
    """Numbers as float, times as Timestamp, anything else as object with None for missing."""
    if pd.api.types.is_datetime64_any_dtype(col):
        return pd.to_datetime(col).astype("datetime64[ns]")
    values = col.dropna()
    if len(values) and all(isinstance(v, dt.date) for v in values):
        return pd.to_datetime(col).astype("datetime64[ns]")
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col) or (
            len(values) and all(isinstance(v, (int, float, Decimal, np.number)) for v in values)):
        return pd.to_numeric(col.astype(object).where(col.notna(), np.nan)).astype(float)
    return col.astype(object).where(col.notna(), None)


def assert_same(got: pd.DataFrame, want: pd.DataFrame, what: str = "") -> None:
    assert list(got.columns) == list(want.columns), what
    assert len(got) == len(want), f"{what}: {len(got)} rows, SQL {len(want)}\n{got}\n{want}"
    got = got.apply(_normal).reset_index(drop=True)
    want = want.apply(_normal).reset_index(drop=True)
    keys = list(got.columns)
    got = got.sort_values(keys, ignore_index=True, na_position="last")
    want = want.sort_values(keys, ignore_index=True, na_position="last")
    for col in keys:
        a, b = got[col], want[col]
        if pd.api.types.is_float_dtype(b):
            same = np.isclose(a.astype(float), b, rtol=1e-9, atol=1e-9, equal_nan=True)
        else:
            same = (a == b) | (a.isna() & b.isna())
        assert bool(np.all(same)), f"{what}: column {col}\npandas\n{got}\nSQL\n{want}"


def _from_json(params: dict) -> dict:
    return {k: D.fromisoformat(v) if isinstance(v, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", v) else v
            for k, v in params.items()}


# ---------------------------------------------------------------- databases

@pytest.fixture(scope="session")
def frames(fixture_db):
    return bench_pandas.load(str(fixture_db))


def _edge_rows() -> list[store.Batch]:
    """Missing values, fractional seconds, a negative stop delay, overdue borders, the next week."""
    ts = pd.Timestamp
    cases = pd.DataFrame([
        dict(case_id="E1", reported_at=ts("2026-11-19 08:00:00.600"), bureau_id="410702", frozen_amount=100.0,
             last_transfer_at=ts("2026-11-19 07:00:00.900"), stop_payment_at=ts("2026-11-19 07:30:00.100")),
        dict(case_id="E2", reported_at=ts("2026-11-21 12:00:00"), bureau_id="410711", station="牧野派出所",
             fraud_type="刷单返利", loss_amount=5000.0, stopped_amount=0.0, frozen_amount=0.0,
             last_transfer_at=ts("2026-11-21 11:00:00"), stop_payment_at=ts("2026-11-21 10:59:00"),
             status="已破案", victim_gender="男", payer_bank="农业银行"),
        dict(case_id="E3", reported_at=ts("2026-11-23 01:00:00"), bureau_id="410725", station="城关派出所",
             township="城关镇", fraud_type="虚假贷款", loss_amount=2500000.0),
    ])
    warnings = pd.DataFrame([
        dict(warning_id="X1", issued_at=ts("2026-11-23 00:45:00"), bureau_id="410702", level="高",
             source="省反诈中心", fraud_type="刷单返利", result="处置中"),                # limit not yet passed
        dict(warning_id="X2", issued_at=ts("2026-11-23 00:20:00"), bureau_id="410702", level="高",
             source="省反诈中心", fraud_type="刷单返利", result="处置中"),                # passed by data_as_of
        dict(warning_id="X6", issued_at=ts("2026-11-23 00:30:00"), bureau_id="410711", level="高",
             source="银行", fraud_type="虚假征信", result="处置中"),                      # passed exactly then
        dict(warning_id="X3", issued_at=ts("2026-11-20 10:00:00.900"), signed_at=ts("2026-11-20 10:00:01.100"),
             feedback_at=ts("2026-11-21 10:00:01"), bureau_id="410711"),                 # no level: the 低 limit
        dict(warning_id="X4", issued_at=ts("2026-11-20 09:00:00"), signed_at=ts("2026-11-20 09:16:00"),
             feedback_at=ts("2026-11-20 11:00:00"), bureau_id="410725", level="中", source="银行",
             fraud_type="虚假贷款", result="劝阻成功", victimized_after=True, avoided_loss=800.0),  # exactly 2 h
        dict(warning_id="X5", issued_at=ts("2026-11-21 09:00:00"), signed_at=ts("2026-11-21 08:59:30"),
             feedback_at=ts("2026-11-21 09:10:00"), bureau_id="410725", level="低", source="银行",
             fraud_type="虚假贷款", result="误报", victimized_after=False, avoided_loss=0.0),
    ])
    return [store.Batch(kind, frame, f"edge-{kind}.csv", f"edge-{kind}", rows_read=len(frame))
            for kind, frame in (("cases", cases), ("warnings", warnings))]


@pytest.fixture(scope="session")
def edge_db(fixture_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("edge") / "edge.duckdb"
    shutil.copyfile(fixture_db, path)
    store.apply(path, _edge_rows(), units.load_units(), units.load_stations())
    return path


@pytest.fixture(scope="session")
def edge_frames(edge_db):
    return bench_pandas.load(str(edge_db))


# ---------------------------------------------------------------- tests

@pytest.mark.parametrize("name,params", CASES)
def test_pandas_equals_sql_on_fixture(fixture_db, frames, name, params):
    assert_same(bench_pandas.run(frames, name, **params), queries.run_uncached(name, fixture_db, **params), name)


@pytest.mark.parametrize("name,params", CASES)
def test_pandas_equals_sql_on_edge_rows(edge_db, edge_frames, name, params):
    assert_same(bench_pandas.run(edge_frames, name, **params), queries.run_uncached(name, edge_db, **params), name)


@pytest.mark.parametrize("name,params", CASES)
def test_runner_gives_the_frame_df_gives(edge_db, name, params):
    """The runner fetches through numpy, or Arrow for some row lists (both faster): the frame is
    DuckDB's df(), exactly, dtypes and missing values included."""
    import duckdb
    sql = queries.sql_text(name)
    con = duckdb.connect(str(edge_db), read_only=True)
    try:
        want = con.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql}).df()
    finally:
        con.close()
    got = queries.run_uncached(name, edge_db, **params)
    # rows the SQL leaves unordered (a group by, ties) come in any order, run to run
    got, want = (f.sort_values(list(f.columns), ignore_index=True) for f in (got, want))
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_edge_rows_reach_the_awkward_branches(edge_db, edge_frames):
    """The edge database really holds what it is there for (else the test above proves less)."""
    week = dict(start=D(2026, 11, 16), end=D(2026, 11, 30), bureaus=[], types=[])
    overdue = set(bench_pandas.run(edge_frames, "overdue_warnings", **week).warning_id)
    assert {"X2", "X3", "X6", "W5"} <= overdue and not {"X1", "X4"} & overdue
    minutes = queries.run_uncached("stop_minutes", edge_db, **week).set_index("payer_bank").minutes
    assert minutes["（未注明）"] == 30.0 and minutes["农业银行"] == -1.0
    assert queries.run_uncached("type_totals", edge_db, starts=[week["start"]], ends=[week["end"]],
                                bureaus=[], types=[]).fraud_type.isna().any()


def test_every_query_the_code_names_has_a_pandas_equivalent():
    """A query name written anywhere in pages/ or antifraud/ (literal or in a loop) is one a page may run."""
    names = set(queries.names())
    files = [*(ROOT / "pages").glob("*.py"), *(ROOT / "antifraud").rglob("*.py"), ROOT / "dashboard.py"]
    used = {m for f in files if f.name != "bench_pandas.py"
            for m in re.findall(r"\"([a-z][a-z0-9_]*)\"", f.read_text(encoding="utf-8")) if m in names}
    called = {m for f in files for m in re.findall(r"queries\.(?:run|scalar)\(\s*\"(\w+)\"", f.read_text(encoding="utf-8"))}
    assert called and called <= used
    assert used - set(bench_pandas.QUERIES) == set()


def test_every_pandas_equivalent_has_its_query():
    """So each is compared above; an equivalent of a removed query goes with it."""
    assert set(bench_pandas.QUERIES) <= set(queries.names())


def test_unknown_query_fails_loudly(frames):
    with pytest.raises(KeyError, match="no pandas equivalent"):
        bench_pandas.run(frames, "no_such_query")


def test_pages_recorded_calls_replay_in_pandas(fixture_db, frames, monkeypatch):
    """What `bench serve` records for each page, JSON and back, gives the SQL's results in pandas."""
    monkeypatch.setattr(queries, "run_uncached", queries.run_uncached)   # serve_worker patches it
    monkeypatch.setenv("ANTIFRAUD_DB", str(fixture_db))
    try:
        served = bench.serve_worker(str(fixture_db), "2026-W47", 0, 0)
    finally:
        queries.use_database(None)
    served = json.loads(json.dumps(served, ensure_ascii=False))
    pages = {p["page"]: p["calls"] for p in served["pages"]}
    assert {"overview", "areas", "interception", "warnings", "types", "bureaus"} <= set(pages)
    assert all(pages.values()) and not [p["errors"] for p in served["pages"] if p["errors"]]
    monkeypatch.undo()
    for page, page_calls in pages.items():
        for name, params in page_calls:
            assert_same(bench_pandas.run(frames, name, **params),
                        queries.run_uncached(name, fixture_db, **_from_json(params)), f"{page}: {name} {params}")


def test_child_prints_one_json_line(fixture_db, tmp_path):
    week = {"start": "2026-11-16", "end": "2026-11-23", "bureaus": [], "types": []}
    weeks = {"starts": ["2026-11-09", "2026-11-16"], "ends": ["2026-11-16", "2026-11-23"], "bureaus": [], "types": []}
    calls = {"overview": [["units", {}], ["case_measures", weeks], ["large_cases", {**week, "min_loss": 0}]],
             "warnings": [["overdue_warnings", week], ["sign_median", {**week, "bureaus": ["410702"]}]]}
    path = tmp_path / "calls.json"
    path.write_text(json.dumps(calls, ensure_ascii=False), encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "antifraud.bench_pandas", str(fixture_db), str(path), "2"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert set(out["pages"]) == set(calls) and out["load_seconds"] > 0
    for page, page_calls in calls.items():
        assert out["pages"][page]["queries"] == len(page_calls)
        assert out["pages"][page]["median_ms"] > 0 and out["pages"][page]["p95_ms"] >= out["pages"][page]["median_ms"]

    path.write_text(json.dumps({"overview": [["no_such_query", {}]]}), encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "antifraud.bench_pandas", str(fixture_db), str(path), "1"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode != 0 and "no_such_query" in res.stderr


def test_warm_replay_interleaves_histories(fixture_db, edge_db, tmp_path, monkeypatch):
    """`bench replay`: every history's recorded pages, replayed warm round by round, each gets its figures."""
    monkeypatch.setattr(queries, "run_uncached", queries.run_uncached)   # serve_worker patches it
    monkeypatch.setenv("ANTIFRAUD_DB", str(fixture_db))
    try:
        served = bench.serve_worker(str(fixture_db), "2026-W47", 0, 0)
    finally:
        queries.use_database(None)
    pages = {p["page"]: p["calls"] for p in json.loads(json.dumps(served["pages"], ensure_ascii=False))}
    spec = tmp_path / "replay.json"
    spec.write_text(json.dumps([{"db": str(db), "pages": pages} for db in (fixture_db, edge_db)], ensure_ascii=False),
                    encoding="utf-8")
    out = bench.replay_worker(str(spec), 2)
    assert set(out) == {str(fixture_db), str(edge_db)}
    for figures in out.values():
        assert set(figures) == set(pages)
        for page in figures.values():
            assert 0 < page["warm_median_ms"] <= page["warm_p95_ms"] and page["per_query_warm_median_ms"]
