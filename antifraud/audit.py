"""The audit store: downloads (who, what, when) and login attempts (for the lockout).

It is a small SQLite file beside the database (`audit.sqlite3`; settings [auth] audit_file),
not a table in the DuckDB file, because the dashboard never writes the database: a DuckDB
writer blocks every reader, and imports replace the file by an atomic swap that would
drop rows written in between. SQLite is in the standard library, takes short appends from
many threads and processes at once (WAL, a busy timeout), and is never swapped.

Recording must not take a page down: a failure to write is logged and swallowed; a
failure to *read* login attempts counts as locked (fail closed).
"""
from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import threading
from pathlib import Path

from antifraud import clock, config

log = logging.getLogger("antifraud.audit")

SCHEMA = """
CREATE TABLE IF NOT EXISTS downloads (
    at TEXT NOT NULL, user_name TEXT, file_name TEXT NOT NULL, what TEXT, rows INTEGER, scope TEXT);
CREATE TABLE IF NOT EXISTS logins (
    at TEXT NOT NULL, user_name TEXT NOT NULL, method TEXT NOT NULL, ok INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS logins_user_at ON logins (user_name, at);
"""


def _now() -> dt.datetime:
    return clock.stamp()


class AuditStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._ready = False
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        if not self._ready:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                con.execute("PRAGMA journal_mode=WAL")
                con.executescript(SCHEMA)
                self._ready = True
        return con

    def _write(self, sql: str, params: tuple) -> bool:
        try:
            con = self._connect()
            try:
                con.execute(sql, params)
            finally:
                con.close()
            return True
        except (sqlite3.Error, OSError) as exc:
            log.error("audit: could not record (%s)", type(exc).__name__)
            return False

    def record_download(self, user: str | None, file_name: str, what: str = "", rows: int | None = None,
                        scope: str = "", now: dt.datetime | None = None) -> bool:
        return self._write("INSERT INTO downloads VALUES (?, ?, ?, ?, ?, ?)",
                           ((now or _now()).isoformat(sep=" "), user, file_name, what, rows, scope))

    def record_login(self, user: str, method: str, ok: bool, now: dt.datetime | None = None) -> bool:
        return self._write("INSERT INTO logins VALUES (?, ?, ?, ?)",
                           ((now or _now()).isoformat(sep=" "), user, method, int(bool(ok))))

    def locked(self, user: str, failures: int, minutes: float, now: dt.datetime | None = None) -> bool:
        """`failures` failed attempts since the last success within the last `minutes`."""
        now = now or _now()
        since = (now - dt.timedelta(minutes=minutes)).isoformat(sep=" ")
        try:
            con = self._connect()
            try:
                last_ok = con.execute("SELECT max(at) FROM logins WHERE user_name = ? AND ok = 1",
                                      (user,)).fetchone()[0]
                start = max(since, last_ok) if last_ok else since
                n = con.execute("SELECT count(*) FROM logins WHERE user_name = ? AND ok = 0 AND at > ?",
                                (user, start)).fetchone()[0]
            finally:
                con.close()
        except (sqlite3.Error, OSError) as exc:
            log.error("audit: cannot read login attempts (%s); treating as locked", type(exc).__name__)
            return True
        return n >= failures

    def downloads(self) -> list[tuple]:
        con = self._connect()
        try:
            return con.execute("SELECT at, user_name, file_name, what, rows, scope FROM downloads "
                               "ORDER BY rowid").fetchall()
        finally:
            con.close()

    def logins(self) -> list[tuple]:
        con = self._connect()
        try:
            return con.execute("SELECT at, user_name, method, ok FROM logins ORDER BY rowid").fetchall()
        finally:
            con.close()


def path_for(db: Path) -> Path:
    value = str(config.setting("auth.audit_file", "") or "")
    if value:
        p = Path(value)
        return p if p.is_absolute() else config.ROOT / p
    return Path(db).parent / "audit.sqlite3"


_stores: dict[Path, AuditStore] = {}


def default() -> AuditStore:
    """The store beside the database the app reads (queries.database())."""
    import queries
    path = path_for(queries.database())
    store = _stores.get(path)
    if store is None:
        store = _stores[path] = AuditStore(path)
    return store
