"""First run needs nothing: build the default database from sample_data/ when it is missing."""
from __future__ import annotations

import contextlib
import functools
import sys
from pathlib import Path

from antifraud import config


def sample_files() -> list[Path]:
    folder = config.project_path("sample_dir")
    return sorted(p for p in folder.iterdir()
                  if p.suffix.lower() in (".csv", ".xlsx") and p.name.startswith(("案件", "预警", "打击")))


def ensure_database(path: Path | None = None, is_default: bool | None = None, progress=None) -> Path:
    """Return the database path; build the *default* one from the sample if it is missing.

    A path given with --db or ANTIFRAUD_DB is never filled with sample data.
    """
    if path is None:
        path, is_default = config.db_path()
    if path.exists():
        upgrade_rollups(path)
        return path
    if not is_default:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    # several sessions may open the dashboard at once on a fresh install: one builds,
    # the others wait for it and then find the file
    with _turn(path.with_name(f".{path.name}.bootstrap.lock")):
        if path.exists():
            return path
        from antifraud import ingest
        print(f"首次运行：正在用 sample_data/ 的模拟数据建立数据库 {path} …", file=sys.stderr)
        ingest.ingest_files(sample_files(), path, progress=progress)
    return path


def needs_rebuild(path: Path) -> bool:
    """Whether the database was built by a version with other rollup definitions (its
    summaries lack what the queries read). Checked once per file version (inode, mtime)."""
    st = path.stat()
    return _built_by_older(str(path), st.st_ino, st.st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _built_by_older(path: str, inode: int, mtime_ns: int) -> bool:
    import duckdb
    from antifraud import store
    try:
        con = duckdb.connect(path, read_only=True)
    except duckdb.Error:
        return False                 # not a database we can read: the pages say so calmly
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'rollup_version'").fetchone()
    except duckdb.Error:
        return False
    finally:
        con.close()
    return row is not None and row[0] != store.ROLLUP_VERSION


def upgrade_rollups(path: Path) -> bool:
    """A database built by an older version gets its rollups rebuilt once, through the store's
    atomic swap (the tables are kept as they are); the pages then read what they expect.
    True when it rebuilt."""
    if not needs_rebuild(path):
        return False
    with _turn(path.with_name(f".{path.name}.bootstrap.lock")):
        if not needs_rebuild(path):
            return False
        from antifraud import store, units
        print(f"数据库由旧版本建立：正在重建汇总表 {path} …", file=sys.stderr)
        store.apply(path, [], units.load_units(), units.load_stations())
    return True


@contextlib.contextmanager
def _turn(lock_path: Path):
    try:
        import fcntl
    except ImportError:  # pragma: no cover - no flock: a duplicate build is only slower
        yield
        return
    with open(lock_path, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
