"""First run needs nothing: build the default database from sample_data/ when it is missing."""
from __future__ import annotations

import contextlib
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
    if path.exists() or not is_default:
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
