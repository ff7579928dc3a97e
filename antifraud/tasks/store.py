"""The task store: a SQLite file beside the database (`tasks.sqlite3`), many writers at once.

Tasks are written from many browser sessions (the chair, twelve bureaus) at any time, so
they cannot live in the analytic DuckDB file: it has one writer, and an import replaces
it by an atomic swap that would drop anything written in between. SQLite in WAL mode
takes short transactions from many threads and processes (a writer waits up to the busy
timeout for another; readers never wait), survives `kill -9` mid-write (a transaction is
in the file whole or not at all), and is in the standard library. docs/tasks.md says why
and where its limits are.

- Schema version in `PRAGMA user_version`; `MIGRATIONS` bring any older file up to date,
  each in one transaction. A file from a newer program is refused, not guessed at.
- Optimistic concurrency: every change names the version it was made from; a stale one
  raises `Conflict` and changes nothing. Every write is `BEGIN IMMEDIATE`, so the version
  check and the update cannot interleave with another writer.
- A journal line (who, when, field, old → new, resulting version) for every change, in
  the same transaction as the change. Nothing is ever deleted: triggers refuse DELETE on
  every table and UPDATE on feedback and journal; a task is withdrawn (撤销) with a reason.
"""
from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import threading
from pathlib import Path

from antifraud import clock, config
from antifraud.tasks import validate
from antifraud.tasks.model import (ANSWERED, CLOSING, OPEN, PENDING, STORED, WITHDRAWN, Change, Draft,
                                   Feedback, Target, Task, field_text)

log = logging.getLogger("antifraud.tasks")

BUSY_TIMEOUT_S = 15.0

_V1 = """
CREATE TABLE tasks (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    version         INTEGER NOT NULL CHECK (version >= 1),
    bureaus         TEXT NOT NULL CHECK (bureaus <> ''),
    subject         TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
    meeting_week    TEXT NOT NULL,
    due_period      TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ({statuses})),
    target          TEXT NOT NULL DEFAULT '',
    closing_note    TEXT NOT NULL DEFAULT '',
    withdraw_reason TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE TABLE feedback (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id   INTEGER NOT NULL REFERENCES tasks (id),
    at        TEXT NOT NULL,
    user_name TEXT NOT NULL,
    text      TEXT NOT NULL
);
CREATE TABLE journal (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id   INTEGER NOT NULL REFERENCES tasks (id),
    version   INTEGER NOT NULL,
    at        TEXT NOT NULL,
    user_name TEXT NOT NULL,
    field     TEXT NOT NULL,
    old       TEXT NOT NULL,
    new       TEXT NOT NULL
);
CREATE INDEX tasks_meeting ON tasks (meeting_week);
CREATE INDEX tasks_due ON tasks (due_period);
CREATE INDEX feedback_task ON feedback (task_id, id);
CREATE INDEX journal_task ON journal (task_id, id);
CREATE TRIGGER tasks_never_deleted BEFORE DELETE ON tasks
    BEGIN SELECT RAISE(ABORT, 'tasks are never deleted: withdraw them'); END;
CREATE TRIGGER feedback_never_deleted BEFORE DELETE ON feedback
    BEGIN SELECT RAISE(ABORT, 'feedback is never deleted'); END;
CREATE TRIGGER feedback_never_changed BEFORE UPDATE ON feedback
    BEGIN SELECT RAISE(ABORT, 'feedback is never changed'); END;
CREATE TRIGGER journal_never_deleted BEFORE DELETE ON journal
    BEGIN SELECT RAISE(ABORT, 'the journal is never deleted'); END;
CREATE TRIGGER journal_never_changed BEFORE UPDATE ON journal
    BEGIN SELECT RAISE(ABORT, 'the journal is never changed'); END;
""".replace("{statuses}", ", ".join(f"'{s}'" for s in STORED))

# (version, script): each brings a file from version-1 to version. Append only; never edit one
# that has shipped — a centre's file has already run it.
MIGRATIONS: tuple[tuple[int, str], ...] = ((1, _V1),)

TASK_FIELDS = ("bureaus", "subject", "meeting_week", "due_period", "target", "status",
               "closing_note", "withdraw_reason")


class StoreError(Exception):
    """A sentence for the page: the store cannot do this (conflict, closed task, I/O)."""


class Conflict(StoreError):
    pass


class NotFound(StoreError):
    pass


_UNSET = object()


def latest_version() -> int:
    return MIGRATIONS[-1][0]


def _stamp(moment: dt.datetime | None = None) -> str:
    return (moment or clock.stamp()).isoformat(sep=" ")


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


class TaskStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._ready = False
        self._lock = threading.Lock()

    # ------------------------------------------------------------ connections and schema

    def exists(self) -> bool:
        return self.path.exists()

    def _open(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        con.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        con.execute("PRAGMA foreign_keys = ON")
        # FULL: a task the chair saw saved survives a power cut, not only a killed process;
        # tasks are few, the extra fsync costs nothing anyone notices
        con.execute("PRAGMA synchronous = FULL")
        return con

    def _connect(self) -> sqlite3.Connection:
        try:
            if not self._ready:
                with self._lock:
                    if not self._ready:
                        self.path.parent.mkdir(parents=True, exist_ok=True)
                        con = self._open()
                        try:
                            con.execute("PRAGMA journal_mode = WAL")
                            migrate(con)
                        finally:
                            con.close()
                        self._ready = True
            return self._open()
        except StoreError:
            raise
        except (sqlite3.Error, OSError) as exc:
            log.error("tasks: cannot open %s (%s: %s)", self.path, type(exc).__name__, exc)
            raise StoreError("督办事项库暂时无法打开，请稍后再试（详情已记入日志）。") from exc

    def _run(self, work, write: bool):
        """`work(con)` in one transaction (IMMEDIATE when writing); sqlite errors become a sentence."""
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                out = work(con)
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
            return out
        except StoreError:
            raise
        except (sqlite3.Error, OSError) as exc:
            log.error("tasks: %s failed (%s: %s)", "write" if write else "read", type(exc).__name__, exc)
            raise StoreError("督办事项库暂时无法读写，本次操作未保存，请稍后再试（详情已记入日志）。") from exc
        finally:
            con.close()

    def last_change(self) -> int:
        """The newest journal line's id (0: none, or no store yet): every change writes one, so a
        wall that re-reads when this moves shows a new status within its refresh interval."""
        if not self.exists():
            return 0
        return self._run(lambda con: con.execute("SELECT coalesce(max(id), 0) FROM journal").fetchone()[0],
                         write=False)

    def schema_version(self) -> int:
        return self._run(lambda con: con.execute("PRAGMA user_version").fetchone()[0], write=False)

    # ------------------------------------------------------------ reading

    def get(self, task_id: int) -> Task:
        def work(con):
            tasks = _load(con, "WHERE id = ?", (int(task_id),))
            if not tasks:
                raise NotFound(f"督办事项 {int(task_id)} 不存在。")
            return tasks[0]
        return self._run(work, write=False)

    def tasks(self, bureaus=None) -> list[Task]:
        """Every task (oldest first); with `bureaus`, those naming any of them."""
        tasks = self._run(lambda con: _load(con, "", ()), write=False)
        if bureaus:
            wanted = set(bureaus)
            tasks = [t for t in tasks if wanted & set(t.bureaus)]
        return tasks

    def journal(self, task_id: int | None = None) -> list[Change]:
        sql = "SELECT task_id, at, user_name, field, old, new FROM journal"
        params: tuple = ()
        if task_id is not None:
            sql, params = sql + " WHERE task_id = ?", (int(task_id),)

        def work(con):
            return [Change(r[0], _time(r[1]), r[2], r[3], r[4], r[5])
                    for r in con.execute(sql + " ORDER BY id", params).fetchall()]
        return self._run(work, write=False)

    # ------------------------------------------------------------ writing

    def create(self, draft: Draft, user: str, known_bureaus: set[str] | None = None,
               names: dict[str, str] | None = None) -> Task:
        clean = validate.draft(draft, known_bureaus, names)
        user = _user(user)

        def work(con):
            now = _stamp()
            values = {"bureaus": clean.bureaus, "subject": clean.subject, "meeting_week": clean.meeting_week,
                      "due_period": clean.due_period, "target": clean.target, "status": PENDING}
            cur = con.execute(
                "INSERT INTO tasks (version, bureaus, subject, meeting_week, due_period, status, target, "
                "created_by, created_at, updated_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (field_text("bureaus", clean.bureaus), clean.subject, clean.meeting_week, clean.due_period,
                 PENDING, field_text("target", clean.target), user, now, now))
            task_id = cur.lastrowid
            for name, value in values.items():
                text = field_text(name, value)
                if text:
                    _journal(con, task_id, 1, now, user, name, "", text)
            return _load(con, "WHERE id = ?", (task_id,))[0]
        return self._run(work, write=True)

    def edit(self, task_id: int, version: int, user: str, *, subject=_UNSET, bureaus=_UNSET,
             due_period=_UNSET, target=_UNSET, known_bureaus: set[str] | None = None,
             names: dict[str, str] | None = None) -> Task:
        """Change what the chair may change on an open task; an unchanged value is no change."""
        user = _user(user)
        wanted = {}
        if subject is not _UNSET:
            wanted["subject"] = validate.subject(subject)
        if bureaus is not _UNSET:
            wanted["bureaus"] = validate.bureaus(bureaus, known_bureaus, names)
        if target is not _UNSET:
            wanted["target"] = validate.target(target)

        def work(con):
            task = _current(con, task_id, version)
            if task.status not in OPEN:
                raise StoreError(f"该督办事项已{task.status}，不能再修改。")
            if due_period is not _UNSET:
                wanted["due_period"] = validate.due_period(due_period, task.meeting_week)
            changes = {k: v for k, v in wanted.items() if field_text(k, v) != field_text(k, getattr(task, k))}
            return _apply(con, task, user, changes) if changes else task
        return self._run(work, write=True)

    def add_feedback(self, task_id: int, user: str, text: str, bureaus: set[str] | None = None) -> Task:
        """A bureau's feedback; `bureaus` (the writer's own) must include one of the task's.

        Feedback appends and names no version: two people of one bureau writing at once
        both get theirs in; it is refused only once the task is closed or withdrawn.
        """
        body = validate.feedback(text)
        user = _user(user)

        def work(con):
            task = _current(con, task_id, None)
            if task.status not in OPEN:
                raise StoreError(f"该督办事项已{task.status}，不能再反馈。")
            if bureaus is not None and not set(bureaus) & set(task.bureaus):
                raise StoreError("只能对本单位的督办事项反馈。")
            now = _stamp()
            con.execute("INSERT INTO feedback (task_id, at, user_name, text) VALUES (?, ?, ?, ?)",
                        (task.id, now, user, body))
            changes = {"status": ANSWERED} if task.status == PENDING else {}
            return _apply(con, task, user, changes, now=now, feedback=body)
        return self._run(work, write=True)

    def close(self, task_id: int, version: int, user: str, outcome: str, note: str = "") -> Task:
        if outcome not in CLOSING:
            raise validate.Invalid("办结结论应为“已完成”或“未达标”。")
        note = validate.closing_note(note)
        user = _user(user)

        def work(con):
            task = _current(con, task_id, version)
            if task.status not in OPEN:
                raise StoreError(f"该督办事项已{task.status}，不能再办结。")
            changes = {"status": outcome}
            if note:
                changes["closing_note"] = note
            return _apply(con, task, user, changes)
        return self._run(work, write=True)

    def withdraw(self, task_id: int, version: int, user: str, reason: str) -> Task:
        reason = validate.withdraw_reason(reason)
        user = _user(user)

        def work(con):
            task = _current(con, task_id, version)
            if task.status not in OPEN:
                raise StoreError(f"该督办事项已{task.status}，不能再撤销。")
            return _apply(con, task, user, {"status": WITHDRAWN, "withdraw_reason": reason})
        return self._run(work, write=True)

    # ------------------------------------------------------------ upkeep

    def verify(self) -> list[str]:
        """What is wrong with the file (empty: consistent). See docs/tasks.md."""
        problems: list[str] = []

        def work(con):
            state = con.execute("PRAGMA integrity_check").fetchone()[0]
            if state != "ok":
                problems.append(f"integrity_check: {state}")
            have = con.execute("PRAGMA user_version").fetchone()[0]
            if have != latest_version():
                problems.append(f"schema version {have}, expected {latest_version()}")
            rows = con.execute(f"SELECT {_COLUMNS} FROM tasks ORDER BY id").fetchall()
            journal = con.execute("SELECT task_id, version, field, new FROM journal ORDER BY id").fetchall()
            feedback = dict(con.execute("SELECT task_id, count(*) FROM feedback GROUP BY task_id").fetchall())
            last: dict[tuple[int, str], str] = {}
            top: dict[int, int] = {}
            told: dict[int, int] = {}
            for task_id, version, name, new in journal:
                last[(task_id, name)] = new
                top[task_id] = max(top.get(task_id, 0), version)
                if name == "feedback":
                    told[task_id] = told.get(task_id, 0) + 1
            columns = [c.strip() for c in _COLUMNS.split(",")]
            for row in rows:
                values = dict(zip(columns, row))
                task_id, version = values["id"], values["version"]
                try:
                    _task(row, ())
                except Exception as exc:  # noqa: BLE001 - reported, not raised
                    problems.append(f"task {task_id}: unreadable ({type(exc).__name__})")
                for name in TASK_FIELDS:
                    value = values[name]
                    if last.get((task_id, name), "") != value:
                        problems.append(f"task {task_id}: {name} is {value!r}, journal says "
                                        f"{last.get((task_id, name), '')!r}")
                if top.get(task_id) != version:
                    problems.append(f"task {task_id}: version {version}, journal ends at {top.get(task_id)}")
                if feedback.get(task_id, 0) != told.get(task_id, 0):
                    problems.append(f"task {task_id}: {feedback.get(task_id, 0)} feedback rows, "
                                    f"{told.get(task_id, 0)} in the journal")
        self._run(work, write=False)
        return problems

    def backup(self, dest: str | Path) -> Path:
        """A consistent copy while writers go on (SQLite's online backup), written beside then renamed."""
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        part = dest.with_name(dest.name + ".part")
        part.unlink(missing_ok=True)
        con = self._connect()
        try:
            out = sqlite3.connect(part)
            try:
                con.backup(out)
                out.execute("PRAGMA journal_mode = DELETE")   # one self-contained file
            finally:
                out.close()
        except (sqlite3.Error, OSError) as exc:
            part.unlink(missing_ok=True)
            raise StoreError(f"督办事项库备份失败（{type(exc).__name__}）。") from exc
        finally:
            con.close()
        part.replace(dest)
        return dest


# ---------------------------------------------------------------- schema

def migrate(con: sqlite3.Connection) -> int:
    """Bring the file to the latest schema in one transaction; returns the version it had."""
    con.execute("BEGIN IMMEDIATE")
    try:
        have = con.execute("PRAGMA user_version").fetchone()[0]
        if have > latest_version():
            raise StoreError(f"督办事项库由更新版本的看板建立（第{have}版，本程序只认到第{latest_version()}版），"
                             "请升级本程序后再用。")
        for version, script in MIGRATIONS:
            if version > have:
                for statement in _statements(script):
                    con.execute(statement)
                con.execute(f"PRAGMA user_version = {int(version)}")
        con.execute("COMMIT")
        return have
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _statements(script: str) -> list[str]:
    """executescript() would COMMIT the open transaction; split into statements instead."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out


# ---------------------------------------------------------------- rows <-> tasks

_COLUMNS = ("id, version, bureaus, subject, meeting_week, due_period, target, status, closing_note, "
            "withdraw_reason, created_by, created_at, updated_at")


def _task(row: tuple, feedback: tuple[Feedback, ...]) -> Task:
    (tid, version, bureaus, subject, meeting, due, target, status, note, reason,
     created_by, created_at, updated_at) = row
    task = Task(id=int(tid), version=int(version), bureaus=tuple(b for b in bureaus.split(",") if b),
                subject=subject, meeting_week=meeting, due_period=due, status=status,
                created_by=created_by, created_at=_time(created_at), updated_at=_time(updated_at),
                target=Target.from_json(target), closing_note=note, withdraw_reason=reason,
                feedback=feedback)
    _ = (task.meeting, task.due)     # a task whose periods do not parse is unreadable: say so here
    return task


def _load(con: sqlite3.Connection, where: str, params: tuple) -> list[Task]:
    rows = con.execute(f"SELECT {_COLUMNS} FROM tasks {where} ORDER BY id", params).fetchall()
    if not rows:
        return []
    ids = [r[0] for r in rows]
    marks = ",".join("?" * len(ids))
    per: dict[int, list[Feedback]] = {}
    for task_id, at, user, text in con.execute(
            f"SELECT task_id, at, user_name, text FROM feedback WHERE task_id IN ({marks}) ORDER BY id", ids):
        per.setdefault(task_id, []).append(Feedback(_time(at), user, text))
    return [_task(r, tuple(per.get(r[0], ()))) for r in rows]


def _current(con: sqlite3.Connection, task_id: int, version: int | None) -> Task:
    tasks = _load(con, "WHERE id = ?", (int(task_id),))
    if not tasks:
        raise NotFound(f"督办事项 {int(task_id)} 不存在。")
    task = tasks[0]
    if version is not None and int(version) != task.version:
        raise Conflict(f"该督办事项已被他人修改（您看到的是第{int(version)}版，现为第{task.version}版），"
                       "您的修改未保存。请查看最新内容后再改。")
    return task


def _journal(con, task_id: int, version: int, at: str, user: str, name: str, old: str, new: str) -> None:
    con.execute("INSERT INTO journal (task_id, version, at, user_name, field, old, new) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (task_id, version, at, user, name, old, new))


def _apply(con, task: Task, user: str, changes: dict, now: str | None = None, feedback: str | None = None) -> Task:
    """Write `changes` and their journal lines as version+1 of `task` (guarded by the version)."""
    now = now or _stamp()
    version = task.version + 1
    sets = ", ".join(f"{name} = ?" for name in changes)
    cur = con.execute(f"UPDATE tasks SET {sets}{', ' if sets else ''}version = ?, updated_at = ? "
                      "WHERE id = ? AND version = ?",
                      (*[field_text(k, v) for k, v in changes.items()], version, now, task.id, task.version))
    if cur.rowcount != 1:      # cannot happen under BEGIN IMMEDIATE; refuse rather than overwrite
        raise Conflict("该督办事项刚被他人修改，您的修改未保存。请查看最新内容后再改。")
    if feedback is not None:
        _journal(con, task.id, version, now, user, "feedback", "", feedback)
    for name, value in changes.items():
        _journal(con, task.id, version, now, user, name, field_text(name, getattr(task, name)),
                 field_text(name, value))
    return _load(con, "WHERE id = ?", (task.id,))[0]


def _user(user: str) -> str:
    name = str(user or "").strip()[:64]
    if not name:
        raise StoreError("修改督办事项需要登录。")
    return name


# ---------------------------------------------------------------- where the store lives

def path_for(db: Path) -> Path:
    value = str(config.setting("tasks.file", "") or "")
    if value:
        p = Path(value)
        return p if p.is_absolute() else config.ROOT / p
    return Path(db).parent / "tasks.sqlite3"


_stores: dict[Path, TaskStore] = {}
_stores_lock = threading.Lock()


def default() -> TaskStore:
    """The store beside the database the app reads (queries.database())."""
    import queries
    path = path_for(queries.database())
    with _stores_lock:
        store = _stores.get(path)
        if store is None:
            store = _stores[path] = TaskStore(path)
        return store
