"""The only writer of the database: copy, change, checkpoint, swap.

The live file is never opened for writing. An import copies it to a temporary file
beside it, applies the batches there, refreshes the rollups for the days it touched,
checkpoints, closes, fsyncs and `os.replace`s the copy over the live file. A crash at
any moment leaves the old file whole; the temporary file is removed on failure.

Imports into one database take turns (an exclusive lock on `.<name>.lock` beside it):
two copies of the same original would each swap in, and the later one would silently
drop the earlier one's rows. The turn-holder also removes temporary files that killed
imports left behind, so a crash never costs a second copy of the database on disk.
"""
from __future__ import annotations

import contextlib
import hashlib
import datetime as dt
import errno
import os
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from antifraud import clock, config

SCHEMA = (Path(__file__).parent / "schema.sql").read_text(encoding="utf-8")
ROLLUPS = (Path(__file__).parent / "rollups.sql").read_text(encoding="utf-8")

DISK_FULL = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}
DISK_FULL_TEXT = tuple(os.strerror(e).lower() for e in DISK_FULL)


class DiskFullError(config.UsageError):
    """The import ran out of disk (or of the file-size limit); the live file is untouched."""


KEYS = {"cases": ["case_id"], "warnings": ["warning_id"], "strikes": ["bureau_id", "date"]}
TIME_COLUMN = {"cases": "reported_at", "warnings": "issued_at", "strikes": "date"}


@dataclass
class Batch:
    """One extract, already parsed and validated: rows ready for its table."""
    kind: str                      # cases | warnings | strikes
    frame: object                  # pandas or pyarrow: canonical columns (schema names), personal data removed
    file_name: str
    sha256: str
    rows_read: int
    rows_rejected: int = 0
    reject_file: str | None = None
    note: str = ""
    user_name: str | None = None
    # filled in by apply()
    rows_new: int = 0
    rows_updated: int = 0
    already_loaded: bool = False
    unknown_labels: dict = field(default_factory=dict)


def table_columns(con, table: str) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = $t "
        "ORDER BY ordinal_position", {"t": table}).fetchall()]


def create_schema(con) -> None:
    for statement in SCHEMA.split(";"):
        if statement.strip():
            con.execute(statement)


def _replace_reference(con, table: str, frame: pd.DataFrame, source: str, now) -> None:
    cols = table_columns(con, table)
    frame = frame.copy()
    frame["source_file"] = source
    frame["ingested_at"] = now
    for c in cols:
        if c not in frame:
            frame[c] = None
    con.execute(f"DELETE FROM {table}")
    con.register("_ref", frame[cols])
    con.execute(f"INSERT INTO {table} SELECT * FROM _ref")
    con.unregister("_ref")


def _columns_of(frame) -> list[str]:
    names = getattr(frame, "column_names", None)          # a pyarrow table
    return list(names if names is not None else frame.columns)


def _in_time_order(frame, column: str) -> bool:
    """Whether an Arrow batch's rows already come in time order, as extracts usually do:
    then the table stays in time order (what the rollups' zone maps need) without a sort."""
    if not isinstance(frame, pa.Table) or column not in frame.column_names:
        return False
    times = frame.column(column)
    if times.null_count or not pa.types.is_temporal(times.type):
        return False
    return len(times) < 2 or pc.all(pc.less_equal(times.slice(0, len(times) - 1), times.slice(1))).as_py()


def _apply_batch(con, batch: Batch, now) -> None:
    """Upsert by key with one scan of the batch per step, all in SQL: rows whose data did
    not change are left where they are, so a re-import rewrites nothing."""
    table, keys = batch.kind, KEYS[batch.kind]
    cols = table_columns(con, table)
    given = set(_columns_of(batch.frame))
    stamp = {"source_file": "$file", "ingested_at": "$now"}
    select = ", ".join(f"{stamp[c]} AS {c}" if c in stamp else (f'"{c}"' if c in given else f"NULL AS {c}")
                       for c in cols)
    params = {"file": batch.file_name, "now": now}
    con.register("_new", batch.frame)
    time_col = TIME_COLUMN[table]
    try:
        met = con.execute(f"SELECT count(*) FROM _new s SEMI JOIN {table} t ON "
                          + " AND ".join(f"t.{k} = s.{k}" for k in keys)).fetchall()[0][0]
        if not met:
            # no stored row has these keys (a first load, a history back-load, a new week):
            # nothing to compare with, so no staging copy
            order = "" if _in_time_order(batch.frame, time_col) else f" ORDER BY {time_col}"
            con.execute(f"INSERT INTO {table} SELECT {select} FROM _new{order}", params)
            con.execute(f"INSERT INTO touched_days SELECT DISTINCT CAST({time_col} AS DATE) FROM _new")
            batch.rows_new, batch.rows_updated = len(batch.frame), 0
            return
        # typed staging table so comparisons use the table's types, not the frame's
        con.execute(f"CREATE OR REPLACE TEMP TABLE _stage AS SELECT * FROM {table} LIMIT 0")
        con.execute(f"INSERT INTO _stage SELECT {select} FROM _new", params)
    finally:
        con.unregister("_new")
    key_list = ", ".join(keys)
    data_cols = [c for c in cols if c not in stamp]
    same = " AND ".join(f"t.{c} IS NOT DISTINCT FROM s.{c}" for c in data_cols)
    # the stored rows this batch meets: their day (a changed row may move) and whether it changed
    con.execute(f"CREATE OR REPLACE TEMP TABLE _met AS SELECT {', '.join('s.' + k for k in keys)}, "
                f"CAST(t.{time_col} AS DATE) AS day, NOT ({same}) AS changed "
                f"FROM _stage s JOIN {table} t ON {' AND '.join(f't.{k} = s.{k}' for k in keys)}")
    existing, changed = con.execute("SELECT count(*), count(*) FILTER (WHERE changed) FROM _met").fetchone()
    batch.rows_new = len(batch.frame) - existing
    batch.rows_updated = changed
    on = " AND ".join(f"t.{k} = m.{k}" for k in keys)
    con.execute("INSERT INTO touched_days SELECT DISTINCT day FROM _met WHERE changed")
    if changed:
        con.execute(f"DELETE FROM {table} t USING _met m WHERE m.changed AND {on}")
    if not batch.rows_new and not changed:        # a re-import of what is stored: nothing to write
        for temp in ("_met", "_stage"):
            con.execute(f"DROP TABLE {temp}")
        return
    # new and changed rows go in, in time order; unchanged ones are already there
    fresh = (f"(SELECT * FROM _stage t ANTI JOIN (SELECT {key_list} FROM _met WHERE NOT changed) m ON {on})"
             if existing > changed else "_stage")
    con.execute(f"INSERT INTO touched_days SELECT DISTINCT CAST({time_col} AS DATE) FROM {fresh}")
    con.execute(f"INSERT INTO {table} SELECT * FROM {fresh} ORDER BY {time_col}")
    for temp in ("_met", "_stage"):
        con.execute(f"DROP TABLE {temp}")


ROLLUP_TABLES = ("case_daily", "warning_daily", "warning_bureau_daily", "warning_sign_daily", "case_weekly",
                 "warning_bureau_weekly", "warning_sign_weekly", "warning_sign_city", "warning_sign_seconds",
                 "warning_sign_seconds_block", "area_weekly",
                 "data_span")
# Any change to the rollup or schema SQL changes this, and the next import rebuilds every
# rollup from the tables: a database built by an older version never mixes definitions.
ROLLUP_VERSION = hashlib.sha256((SCHEMA + ROLLUPS).encode("utf-8")).hexdigest()[:16]


def overdue_limits() -> dict[str, int]:
    limits = config.setting("warnings.limit_minutes", {}) or {}
    return {"high": int(limits.get("高", 30)), "mid": int(limits.get("中", 120)),
            "low": int(limits.get("低", 1440))}


def _meta(con, key: str):
    row = con.execute("SELECT value FROM meta WHERE key = $k", {"k": key}).fetchone()
    return row[0] if row else None


def prepare_rollups(con) -> None:
    """Before the batches: drop the rollups of an older definition (all days get rebuilt)."""
    if _meta(con, "rollup_version") == ROLLUP_VERSION:
        return
    for table in ROLLUP_TABLES:
        con.execute(f"DROP TABLE IF EXISTS {table}")
    create_schema(con)
    con.execute("CREATE OR REPLACE TEMP TABLE _rebuild_all AS SELECT 1 AS yes")


def _as_of_imported_at(con, data_as_of, previous_as_of) -> dt.datetime | None:
    """When rows of the data's last day last arrived: this import's time if its batches brought
    rows of that day (new or changed: `touched_days` before the rollup refresh adds its own),
    else what the previous import recorded. A period ends complete only when those rows
    arrived after it ended (DATA.md, Periods and windows), so an import of old extracts
    never makes the data's newest week look complete."""
    if data_as_of is None:
        return None
    this_import = con.execute("SELECT max(imported_at) FROM imports").fetchone()[0]
    brought = con.execute("SELECT count(*) FROM touched_days WHERE day = CAST($d AS DATE)",
                          {"d": data_as_of}).fetchone()[0]
    kept = _meta(con, "as_of_imported_at")
    if brought or str(previous_as_of or "") != data_as_of.isoformat() or not kept:
        return this_import
    return dt.datetime.fromisoformat(kept)


def refresh_rollups(con) -> None:
    params = overdue_limits()
    previous_as_of = _meta(con, "data_as_of")
    data_as_of = con.execute(
        "SELECT greatest((SELECT max(reported_at) FROM cases), (SELECT max(issued_at) FROM warnings))"
    ).fetchone()[0]
    as_of_imported = _as_of_imported_at(con, data_as_of, previous_as_of)
    rebuild = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = '_rebuild_all'"
                          ).fetchone()[0]
    if rebuild:
        con.execute("INSERT INTO touched_days SELECT DISTINCT CAST(reported_at AS DATE) FROM cases "
                    "UNION SELECT DISTINCT CAST(issued_at AS DATE) FROM warnings")
        con.execute("DROP TABLE _rebuild_all")
    elif previous_as_of and data_as_of:
        # warnings still waiting for feedback may have become overdue as the clock moved on
        con.execute("INSERT INTO touched_days SELECT DISTINCT CAST(issued_at AS DATE) FROM warnings "
                    "WHERE feedback_at IS NULL AND issued_at >= CAST($prev AS TIMESTAMP) - to_minutes($longest)",
                    {"prev": previous_as_of, "longest": max(params.values())})
    con.execute("CREATE OR REPLACE TEMP TABLE touched_days AS "
                "SELECT DISTINCT day FROM touched_days WHERE day IS NOT NULL")
    params["export_time"] = data_as_of or dt.datetime(1970, 1, 1)
    values = {"data_as_of": data_as_of.isoformat() if data_as_of else None,
              "as_of_imported_at": as_of_imported.isoformat() if as_of_imported else None,
              "overdue_limits": f"高={params['high']},中={params['mid']},低={params['low']}",
              "limit_high": str(params["high"]), "limit_mid": str(params["mid"]),
              "limit_low": str(params["low"]), "rollup_version": ROLLUP_VERSION,
              "built_at": clock.stamp().isoformat()}
    con.execute("DELETE FROM meta WHERE list_contains(CAST($keys AS VARCHAR[]), key)", {"keys": list(values)})
    for key, value in values.items():
        con.execute("INSERT INTO meta VALUES ($k, $v)", {"k": key, "v": value})
    for statement in ROLLUPS.split(";"):       # after meta: data_span reads the export time there
        if statement.strip():
            con.execute(statement, params if "$" in statement else None)


def _open_read_only(db: Path):
    try:
        return duckdb.connect(str(db), read_only=True)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise config.UsageError(f"数据库 {db.name} 正被其他程序以写方式打开，请先关闭该程序再导入") from None
        raise


def already_loaded(db: Path, sha256: str, kind: str) -> bool:
    if not db.exists():
        return False
    con = _open_read_only(db)
    try:
        return bool(con.execute("SELECT count(*) FROM imports WHERE sha256 = $s AND kind = $k "
                                "AND rows_loaded > 0", {"s": sha256, "k": kind}).fetchone()[0])
    finally:
        con.close()


def _is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in DISK_FULL:
        return True
    # DuckDB reports a failed write as IOException text carrying the OS's strerror
    return isinstance(exc, duckdb.Error) and any(t in str(exc).lower() for t in DISK_FULL_TEXT)


@contextlib.contextmanager
def _writer_turn(db: Path):
    try:
        import fcntl
    except ImportError:  # pragma: no cover - no flock (Windows): one importer at a time by hand
        yield False
        return
    with open(db.with_name(f".{db.name}.lock"), "a+b") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"另一个导入正在写入 {db.name}，等待其完成…", file=sys.stderr)
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _remove_stale_copies(db: Path) -> None:
    """Only the lock holder writes a copy, so any other copy belongs to a killed import."""
    pattern = re.compile(rf"^\.{re.escape(db.name)}\.\d+\.tmp(\.wal)?$")
    for leftover in db.parent.iterdir():
        if pattern.match(leftover.name):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def _live_log_usable(db: Path) -> bool:
    """Whether the live file's leftover log replays; refuse while a program has it open to write."""
    try:
        _open_read_only(db).close()
        return True
    except duckdb.IOException as exc:
        if "wal" not in str(exc).lower():
            raise
        # a log from an older file cannot be replayed: nothing in it applies to this one
        print(f"注意：{db.name}.wal 与数据库不匹配，已忽略并删除", file=sys.stderr)
        return False


def apply(db: Path, batches: list[Batch], units: pd.DataFrame, stations: pd.DataFrame,
          units_source: str = "units.csv") -> None:
    """Apply every batch in one atomic swap (all or nothing)."""
    db = Path(db)
    db.parent.mkdir(parents=True, exist_ok=True)
    try:
        with _writer_turn(db) as exclusive:
            if exclusive:
                _remove_stale_copies(db)
            _apply_unlocked(db, batches, units, stations, units_source)
    except (OSError, duckdb.Error) as exc:
        if _is_disk_full(exc):
            raise DiskFullError(f"磁盘空间不足，导入未完成，原数据库未改动（{db.parent}）") from exc
        raise


def _apply_unlocked(db: Path, batches: list[Batch], units: pd.DataFrame, stations: pd.DataFrame,
                    units_source: str) -> None:
    tmp = db.with_name(f".{db.name}.{os.getpid()}.tmp")
    for stale in (tmp, tmp.with_name(tmp.name + ".wal")):
        stale.unlink(missing_ok=True)
    live_wal = db.with_name(db.name + ".wal")
    try:
        if db.exists():
            # Another program wrote to the live file and never checkpointed. Its log is part
            # of the database: carry it into the copy, or its changes are lost and the log,
            # no longer matching the swapped-in file, makes every reader fail.
            carry_log = live_wal.exists() and _live_log_usable(db)
            shutil.copyfile(db, tmp)
            if carry_log:
                shutil.copyfile(live_wal, tmp.with_name(tmp.name + ".wal"))
        con = duckdb.connect(str(tmp))
        try:
            now = clock.stamp()
            create_schema(con)
            prepare_rollups(con)
            _replace_reference(con, "units", units, units_source, now)
            _replace_reference(con, "stations", stations, "stations.csv", now)
            con.execute("CREATE OR REPLACE TEMP TABLE touched_days (day DATE)")
            for batch in batches:
                if not batch.already_loaded:
                    _apply_batch(con, batch, now)
                con.execute(
                    "INSERT INTO imports VALUES ($at, $user, $file, $sha, $kind, $read, $loaded, "
                    "$new, $updated, $rejected, $reject_file, $note)",
                    {"at": now, "user": batch.user_name, "file": batch.file_name,
                     "sha": batch.sha256, "kind": batch.kind, "read": batch.rows_read,
                     "loaded": 0 if batch.already_loaded else len(batch.frame),
                     "new": batch.rows_new, "updated": batch.rows_updated,
                     "rejected": batch.rows_rejected, "reject_file": batch.reject_file,
                     "note": batch.note})
            con.execute("CREATE OR REPLACE TEMP TABLE touched_days AS "
                        "SELECT DISTINCT day FROM touched_days WHERE day IS NOT NULL")
            refresh_rollups(con)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        # before the swap: a reader meanwhile sees the old file without its log (an older
        # whole state); after it, the old log would be replayed against the new file
        live_wal.unlink(missing_ok=True)
        os.replace(tmp, db)
        with contextlib.suppress(OSError):
            dir_fd = os.open(db.parent, os.O_RDONLY)
            os.fsync(dir_fd)
            os.close(dir_fd)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
