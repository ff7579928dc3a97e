"""Ingest in SQL: the folds DuckDB applies match the Arrow ones, the table stays in time
order whether or not the extract is, and a re-import rewrites only the rows that changed."""
import datetime as dt

import duckdb
import pyarrow as pa
import pytest

from antifraud import cli
from antifraud.ingest import values as V

HEADER = "预警编号,下发时间,签收时间,反馈时间,指令来源,预警级别,预警类型,分县局,派出所,劝阻方式,劝阻结果,劝阻后发案,避免损失\n"


def _row(i: int, issued: dt.datetime, result: str = "劝阻成功") -> str:
    return (f"YJ{i:08d},{issued:%Y-%m-%d %H:%M:%S},,,市反诈中心,高,刷单返利,牧野分局,王村派出所,"
            f"电话,{result},否,100.00\n")


def _write(path, rows):
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def _warnings(db):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT warning_id, issued_at, result, source_file FROM warnings").fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("cell", [" a\t", "\x1cb ", " - ", "NULL", "n/a ", "ok", "", " ", "——", "#N/A", "NaN",
                                  "无", "x y", "\r\nz"])
def test_sql_fold_matches_arrow_fold(cell):
    con = duckdb.connect()
    con.register("t", pa.table({"x": [cell]}))
    ascii_only = cell.isascii()
    sql = con.execute(f"SELECT {V.blank_marks(V.trim('x'))} FROM t").fetchall()[0][0]
    arrow = V.fold_column(pa.chunked_array([[cell]])).to_pylist()[0]
    if ascii_only:
        assert sql == arrow
    else:                                   # non-ASCII columns are folded in Arrow (NFKC first)
        assert arrow in ("", cell.strip())


def test_out_of_order_extract_is_stored_in_time_order(tmp_path, capsys):
    start = dt.datetime(2026, 11, 16, 8)
    times = [start + dt.timedelta(minutes=m) for m in (5, 1, 9, 3, 7)]
    f = _write(tmp_path / "预警.csv", [_row(i, t) for i, t in enumerate(times)])
    db = tmp_path / "af.duckdb"
    assert cli.main(["ingest", str(f), "--db", str(db)]) == 0
    stored = [r[1] for r in _warnings(db)]            # physical order: no ORDER BY
    assert stored == sorted(times)


def test_reimport_rewrites_only_changed_rows(tmp_path, capsys):
    start = dt.datetime(2026, 11, 16, 8)
    rows = [_row(i, start + dt.timedelta(hours=i)) for i in range(4)]
    db = tmp_path / "af.duckdb"
    assert cli.main(["ingest", str(_write(tmp_path / "a.csv", rows)), "--db", str(db)]) == 0
    capsys.readouterr()
    # the same rows again, one result changed and one moved to another day, plus one new row
    again = rows[:1] + [_row(1, start + dt.timedelta(hours=1), "已被骗"),
                        _row(2, start + dt.timedelta(days=2)), rows[3], _row(9, start)]
    assert cli.main(["ingest", str(_write(tmp_path / "b.csv", again)), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "read 5, loaded 5 (new 1, updated 2), rejected 0" in out
    got = {r[0]: r for r in _warnings(db)}
    assert len(got) == 5
    assert got["YJ00000001"][2] == "已被骗" and got["YJ00000001"][3] == "b.csv"
    assert got["YJ00000002"][1] == start + dt.timedelta(days=2)
    assert got["YJ00000000"][3] == "a.csv"          # unchanged: left where it was
    con = duckdb.connect(str(db), read_only=True)
    try:
        days = dict(con.execute("SELECT day, sum(warnings) FROM warning_daily GROUP BY day").fetchall())
    finally:
        con.close()
    # the moved row left its old day and counts on its new one
    assert days == {dt.date(2026, 11, 16): 4, dt.date(2026, 11, 18): 1}
