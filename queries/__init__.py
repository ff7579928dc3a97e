"""The one door to the database: `run(name, **params) -> DataFrame`.

Each result has its own file `queries/<name>.sql` with `$named` parameters (a shared piece,
such as the split of windows into weeks and days, is `-- @include`d from queries/parts/). The reader
is an in-memory DuckDB connection that ATTACHes the live file READ_ONLY; it is cached
per file stamp (inode, mtime), so an import that swaps the file is picked up by the
next query while running queries finish on the old handle. Every query gets its own
cursor and is fetched fully.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import threading
import time
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import duckdb
import pandas as pd

from antifraud import config

HERE = Path(__file__).parent
log = logging.getLogger("antifraud.queries")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_lock = threading.Lock()
_readers: dict[tuple, duckdb.DuckDBPyConnection] = {}
_database: Path | None = None
timings: list[tuple[str, float]] = []   # (name, seconds) of recent queries, for the footer and bench


def use_database(path: str | os.PathLike | None) -> None:
    """Point the runner at a database file (None: ANTIFRAUD_DB or the default path)."""
    global _database
    _database = Path(path) if path else None


def database() -> Path:
    return _database or config.db_path()[0]


def stamp(path: Path | None = None) -> tuple[int, int]:
    st = (path or database()).stat()
    return st.st_ino, st.st_mtime_ns


_INCLUDE = re.compile(r"^-- @include ([a-z][a-z0-9_]*)$", re.M)


@lru_cache(maxsize=None)
def sql_text(name: str) -> str:
    """The query's SQL, with each `-- @include part` line replaced by queries/parts/<part>.sql
    (a piece several queries share, such as the split of windows into weeks and days)."""
    if not _NAME.match(name):
        raise ValueError(f"bad query name {name!r}")
    text = (HERE / f"{name}.sql").read_text(encoding="utf-8")
    return _INCLUDE.sub(lambda m: (HERE / "parts" / f"{m.group(1)}.sql").read_text(encoding="utf-8").rstrip("\n"),
                        text)


def names() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.sql"))


def _reader(path: Path, file_stamp: tuple[int, int]) -> duckdb.DuckDBPyConnection:
    key = (str(path), file_stamp)
    with _lock:
        con = _readers.get(key)
        if con is None:
            con = duckdb.connect(":memory:", config={"threads": _threads()})
            con.execute(f"ATTACH '{_quote(path)}' AS live (READ_ONLY)")
            # older handles stay referenced by running cursors until they finish
            for old in [k for k in _readers if k[0] == key[0]]:
                del _readers[old]
            _readers[key] = con
            _drop_idle_cursors()
        return con


# Cursors given back after a query, per reader: a new cursor and its `USE live` cost ~0.3 ms
# and a page runs about ten queries. A cursor serves one query at a time (taken off the list
# while it runs) and only the reader that made it: after a swap or a cleared reader the old
# ones are dropped, never reused.
_idle: dict[int, tuple[duckdb.DuckDBPyConnection, list]] = {}
IDLE_CURSORS = 8


def _cursor(con: duckdb.DuckDBPyConnection):
    with _lock:
        kept = _idle.get(id(con))
        if kept is not None and kept[0] is con and kept[1]:
            return kept[1].pop()
    cur = con.cursor()
    cur.execute("USE live")
    return cur


def _give_back(con: duckdb.DuckDBPyConnection, cur) -> None:
    with _lock:
        _drop_idle_cursors()
        if any(c is con for c in _readers.values()):
            kept = _idle.setdefault(id(con), (con, []))
            if len(kept[1]) < IDLE_CURSORS:
                kept[1].append(cur)
                return
    cur.close()


def _drop_idle_cursors() -> None:
    """Close the kept cursors of readers replaced by a swap or cleared (under _lock): they
    hold the old file open."""
    for key in [k for k, (c, _) in _idle.items() if not any(c is r for r in _readers.values())]:
        for cur in _idle.pop(key)[1]:
            cur.close()


def _threads() -> int:
    """Threads per query ([database] reader_threads, default 1). The pages run many small
    queries: on one thread each takes ~15 % less (no scheduling of a second thread), and
    sessions served at the same time use the other cores; only a year-to-date median scan
    gets slower (measured in docs/performance.md)."""
    try:
        return max(1, int(config.setting("database.reader_threads", 1)))
    except (TypeError, ValueError):
        return 1


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")


def _normalise(value):
    if isinstance(value, (list, tuple, set, frozenset)):
        return [str(v) for v in sorted(value)] if isinstance(value, (set, frozenset)) else [str(v) for v in value]
    return value


def run_uncached(name: str, path: Path | None = None, **params) -> pd.DataFrame:
    path = Path(path) if path else database()
    sql = sql_text(name)
    bound = {k: _normalise(v) for k, v in params.items() if f"${k}" in sql}
    started = time.perf_counter()
    last_error = None
    for _ in range(3):  # the file may be swapped between stat and ATTACH; retry on the new one
        try:
            con = _reader(path, stamp(path))
            cur = _cursor(con)
            try:
                if name in ARROW:
                    frame = _arrow_frame(cur.sql(sql, params=bound or None).to_arrow_table())
                else:
                    # the frame df() gives, ~0.5 ms sooner for a small result (a page runs ~10)
                    frame = pd.DataFrame(cur.execute(sql, bound).fetchnumpy())
            except BaseException:
                cur.close()              # a failed or interrupted query's cursor is not reused
                raise
            _give_back(con, cur)
            break
        except (duckdb.IOException, FileNotFoundError) as exc:
            last_error = exc
            time.sleep(0.05)
    else:
        raise last_error
    elapsed = time.perf_counter() - started
    timings.append((name, elapsed))
    del timings[:-200]
    log.debug("query %s %.1f ms", name, elapsed * 1000)
    return frame


# Row lists of thousands of rows with text columns: fetched through Arrow they reach pandas in
# about half the time (overdue_warnings at the top scale: 24 -> 16 ms), with the same frame as
# df() (tests/test_bench_pandas.py). Small results are faster through numpy, so only these.
ARROW = frozenset({"overdue_warnings", "stop_minutes"})


def _arrow_frame(table) -> pd.DataFrame:
    frame = table.to_pandas()
    for field in table.schema:      # as df() gives them: dates as datetime64[us]
        if str(field.type).startswith("date"):
            frame[field.name] = pd.to_datetime(frame[field.name]).astype("datetime64[us]")
        elif str(field.type) == "string" and not len(frame):     # df() types an empty text column object
            frame[field.name] = frame[field.name].astype(object)
        elif str(field.type).startswith("decimal"):
            raise TypeError(f"{field.name}: a DECIMAL converts differently through Arrow; fetch it with df()")
    return frame


def _in_streamlit() -> bool:
    try:
        from streamlit.runtime import exists
        return exists()
    except Exception:  # pragma: no cover - streamlit missing in a bare install
        return False


def _cached():
    import streamlit as st

    @st.cache_data(max_entries=2000, show_spinner=False)
    def cached(name: str, path: str, file_stamp: tuple, params: tuple) -> pd.DataFrame:
        return run_uncached(name, Path(path), **{k: (list(v) if isinstance(v, tuple) else v)
                                                 for k, v in params})
    return cached


_cached_fn = None


def run(name: str, **params) -> pd.DataFrame:
    """Run queries/<name>.sql with named parameters. Cached by name, params and file stamp."""
    global _cached_fn
    path = database()
    if not _in_streamlit():
        return run_uncached(name, path, **params)
    if _cached_fn is None:
        _cached_fn = _cached()
    key = tuple(sorted((k, tuple(_normalise(v)) if isinstance(v, (list, tuple, set, frozenset)) else v)
                       for k, v in params.items()))
    return _cached_fn(name, str(path), stamp(path), key).copy()


# Results derived from several queries that pages, sessions and the wall share (a period's
# figures, a window's per-bureau measures), kept per database stamp and settings file: an
# import or an edit of settings.toml changes the stamp, so they are computed again. A small LRU in the process rather than
# st.cache_data: no pickling on every read, and the same in tests, the bench and the app.
MEMO_ENTRIES = 256
_memo: OrderedDict = OrderedDict()
_memo_lock = threading.Lock()


def memo(kind: str, key, compute):
    """`compute()` once per (kind, key, database file and stamp); callers must not change the
    value they get (copy what they change)."""
    return memo_many(kind, [key], lambda missing: [compute()])[0]


def memo_many(kind: str, keys: list, compute) -> list:
    """The values of several keys; `compute(missing keys)` returns, in order, the values of
    those not kept yet (one read for all of them)."""
    path = database()
    try:
        file_stamp = stamp(path)
    except FileNotFoundError:       # results keyed by their own content need no database
        file_stamp = None
    # the settings file too: thresholds, weights and limits shape what is derived
    settings = config.settings_path()
    where = (kind, str(path), file_stamp, str(settings), settings.stat().st_mtime_ns)
    found = {}
    with _memo_lock:
        for key in keys:
            if (*where, key) in _memo:
                _memo.move_to_end((*where, key))
                found[key] = _memo[(*where, key)]
    missing = list(dict.fromkeys(k for k in keys if k not in found))
    if missing:
        found.update(zip(missing, compute(missing)))
        with _memo_lock:
            for key in missing:
                _memo[(*where, key)] = found[key]
            while len(_memo) > MEMO_ENTRIES:
                _memo.popitem(last=False)
    return [found[k] for k in keys]


def frame_key(frame: pd.DataFrame | None):
    """A key for memo from a frame's content (columns and rows; the index is not part of it)."""
    if frame is None:
        return None
    rows = pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()
    return tuple(map(str, frame.columns)), hashlib.sha1(rows).hexdigest()


def clear_memo() -> None:
    with _memo_lock:
        _memo.clear()


def scalar(name: str, **params):
    frame = run(name, **params)
    return None if frame.empty else frame.iat[0, 0]


