"""The store's rollups: overdue at export time, rebuild on a new definition, loss variance."""
import datetime as dt

import duckdb
import pandas as pd
import pytest

import queries
from antifraud import store, units

DAY = dt.date(2026, 11, 22)


def _warning(wid, issued, level, feedback=None):
    return {"warning_id": wid, "issued_at": pd.Timestamp(issued), "signed_at": None,
            "feedback_at": pd.Timestamp(feedback) if feedback else None, "source": "市反诈中心",
            "level": level, "fraud_type": "刷单返利", "bureau_id": "410711", "station": "牧野派出所",
            "method": "电话", "result": "处置中", "victimized_after": False, "avoided_loss": 0}


def _case(cid, reported, loss):
    return {"case_id": cid, "reported_at": pd.Timestamp(reported), "bureau_id": "410711",
            "fraud_type": "刷单返利", "loss_amount": loss, "status": "已立案"}


def _load(db, kind, rows):
    frame = pd.DataFrame(rows)
    store.apply(db, [store.Batch(kind, frame, f"{kind}.csv", f"sha-{kind}-{len(rows)}", len(rows))],
                units.load_units(), units.load_stations())


def _overdue(db):
    queries.use_database(db)
    try:
        p = {"start": DAY, "end": DAY + dt.timedelta(days=1), "bureaus": [], "types": []}
        counted = int(queries.run("warning_measures", starts=[p["start"]], ends=[p["end"]],
                                   bureaus=[], types=[])["overdue"].sum())
        listed = sorted(queries.run("overdue_warnings", **p)["warning_id"])
        return counted, listed
    finally:
        queries.use_database(None)


def test_pending_warning_is_overdue_only_once_its_limit_has_passed(tmp_path):
    db = tmp_path / "t.duckdb"
    _load(db, "cases", [_case("K1", "2026-11-22 23:30", 1000)])          # data as of 23:30
    _load(db, "warnings", [
        _warning("A", "2026-11-22 23:20", "高"),     # limit 23:50 > 23:30: still within its time
        _warning("B", "2026-11-22 00:00", "低"),     # limit 11-23 00:00: within its time
        _warning("C", "2026-11-22 20:00", "中"),     # limit 22:00 passed, no feedback: overdue
        _warning("D", "2026-11-22 10:00", "高", "2026-11-22 10:45"),  # 45 min > 30: overdue
        _warning("E", "2026-11-22 11:00", "高", "2026-11-22 11:30"),  # exactly 30 min: in time
    ])
    assert _overdue(db) == (2, ["C", "D"])
    # next import only adds a case the next morning; the clock moved past A's and B's limits
    _load(db, "cases", [_case("K1", "2026-11-22 23:30", 1000), _case("K2", "2026-11-23 10:00", 500)])
    assert _overdue(db) == (4, ["A", "B", "C", "D"])


def test_rollups_of_an_older_definition_are_rebuilt(tmp_path, monkeypatch):
    db = tmp_path / "t.duckdb"
    _load(db, "cases", [_case("K1", "2026-11-20 10:00", 1000), _case("K2", "2026-11-21 10:00", 3000)])
    import duckdb
    con = duckdb.connect(str(db))
    con.execute("UPDATE case_daily SET cases = 99")              # a stale, differently defined rollup
    con.execute("UPDATE meta SET value = 'old' WHERE key = 'rollup_version'")
    con.close()
    _load(db, "warnings", [_warning("A", "2026-11-22 09:00", "高", "2026-11-22 09:10")])
    queries.use_database(db)
    try:
        m = queries.run("case_measures", starts=[dt.date(2026, 11, 1)], ends=[dt.date(2026, 12, 1)],
                        bureaus=[], types=[])
    finally:
        queries.use_database(None)
    assert int(m["cases"].sum()) == 2
    # sum of squared losses for the compound-Poisson test of the loss total
    assert float(m["loss_sq"].sum()) == pytest.approx(1000.0 ** 2 + 3000.0 ** 2)


def test_a_database_built_by_an_older_version_gets_its_rollups_rebuilt(tmp_path):
    """An upgrade (other rollup definitions) must not leave the pages failing until the next
    import: the first page run rebuilds the rollups through the store; the tables stay."""
    from antifraud import bootstrap
    from support import build_fixture_db
    db = build_fixture_db(tmp_path / "old.duckdb")
    con = duckdb.connect(str(db))
    con.execute("DROP TABLE warning_sign_daily")                        # what an older version lacked
    con.execute("UPDATE meta SET value = 'older' WHERE key = 'rollup_version'")
    before = con.execute("SELECT count(*), sum(loss_amount) FROM cases").fetchone()
    con.close()
    assert bootstrap.needs_rebuild(db)
    assert bootstrap.ensure_database(db, is_default=False) == db
    assert not bootstrap.needs_rebuild(db)
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*), sum(loss_amount) FROM cases").fetchone() == before
        assert con.execute("SELECT sum(warnings) FROM warning_sign_daily").fetchone()[0] == \
            con.execute("SELECT count(signed_at) FROM warnings").fetchone()[0]
    finally:
        con.close()
    assert bootstrap.upgrade_rollups(db) is False                        # current: nothing to do
