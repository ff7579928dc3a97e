"""export-parquet: the tables as Parquet, partitioned year=/week=/bureau_id= (Hive layout).

A province (or any engine: DuckDB, Trino, Spark) reads the union of every city's export
without our code. `year`/`week` are the ISO year and ISO week of the row's event time
(`reported_at`, `issued_at`, strike `date`), the same Monday–Sunday weeks the meeting
uses, so a week's figures come from one folder per bureau. The partition columns are
also written into the files (WRITE_PARTITION_COLUMNS) so a reader that ignores the
folder names still has them, and `bureau_id` keeps its VARCHAR type there (a Hive
reader that infers partition types would turn `410711` into an integer).

The export reads the live file READ_ONLY (never blocks the dashboard) and writes into
a staging folder beside DIR, then swaps each table folder in, so a reader never sees a
half-written table.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
from pathlib import Path

import duckdb

from antifraud import clock, config

PARTITIONED = {"cases": "reported_at", "warnings": "issued_at", "strikes": "date"}
REFERENCE = ("units", "stations")


def _q(path: Path) -> str:
    return str(path).replace("'", "''")


def export(db: Path, out: Path) -> dict:
    """Write every table of `db` under `out`; return the manifest (row counts per table)."""
    db, out = Path(db), Path(out)
    if not db.exists():
        raise config.UsageError(f"数据库不存在：{db}")
    out.mkdir(parents=True, exist_ok=True)
    stage = out / f".export-{os.getpid()}.tmp"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir()
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH '{_q(db)}' AS live (READ_ONLY)")
        con.execute("USE live")
        manifest = {"exported_at": clock.stamp().isoformat(),
                    "database": db.name, "partitioning": ["year", "week", "bureau_id"],
                    "tables": {}}
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        manifest["data_as_of"] = meta.get("data_as_of")
        for table, time_col in PARTITIONED.items():
            n = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            manifest["tables"][table] = n
            if n == 0:
                continue
            # ORDER BY keeps each file's row groups in time order, so row-group
            # statistics let readers skip by time inside a partition too.
            con.execute(
                f"COPY (SELECT *, CAST(isoyear({time_col}) AS INTEGER) AS year, "
                f"CAST(week({time_col}) AS INTEGER) AS week FROM {table} ORDER BY {time_col}) "
                f"TO '{_q(stage / table)}' (FORMAT parquet, COMPRESSION zstd, "
                f"PARTITION_BY (year, week, bureau_id), WRITE_PARTITION_COLUMNS true)")
        for table in REFERENCE:
            (stage / table).mkdir()
            manifest["tables"][table] = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            con.execute(f"COPY (SELECT * FROM {table}) TO '{_q(stage / table / (table + '.parquet'))}' "
                        f"(FORMAT parquet, COMPRESSION zstd)")
    except BaseException:
        con.close()
        shutil.rmtree(stage, ignore_errors=True)
        raise
    con.close()
    for table in (*PARTITIONED, *REFERENCE):
        target = out / table
        if target.exists():
            old = out / f".old-{table}-{os.getpid()}.tmp"
            os.replace(target, old)
            shutil.rmtree(old, ignore_errors=True)
        if (stage / table).exists():
            os.replace(stage / table, target)
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2),
                                       encoding="utf-8")
    shutil.rmtree(stage, ignore_errors=True)
    return manifest


def read_sql(out: Path, table: str) -> str:
    """The DuckDB table expression that reads one exported table back (documented in the README)."""
    if table in REFERENCE:
        return f"read_parquet('{_q(Path(out) / table)}/*.parquet')"
    return (f"read_parquet('{_q(Path(out) / table)}/*/*/*/*.parquet', hive_partitioning = true, "
            f"hive_types = {{'year': INTEGER, 'week': INTEGER, 'bureau_id': VARCHAR}})")


def main(args) -> int:
    db, _ = config.db_path(getattr(args, "db", None))
    manifest = export(db, Path(args.dir))
    counts = ", ".join(f"{t} {n:,}" for t, n in manifest["tables"].items())
    print(f"已导出到 {args.dir}：{counts}", file=sys.stderr)
    return 0
