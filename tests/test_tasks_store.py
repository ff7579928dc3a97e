"""The task store under many writers: optimistic versions, the journal, nothing deleted,
migrations, 20 concurrent writers (threads and processes) with no lost update, `kill -9`
in the middle of writes, and the export equal to the store.

Loops are bounded by counts and by deadlines; nothing asserts on speed.
"""
from __future__ import annotations

import csv
import io
import multiprocessing
import random
import sqlite3
import threading
import time
from pathlib import Path

import openpyxl
import pytest

from antifraud import cli, clock
from antifraud.tasks import export, store as store_mod, validate
from antifraud.tasks.model import ANSWERED, DONE, PENDING, WITHDRAWN, Draft, Target
from antifraud.tasks.store import Conflict, StoreError, TaskStore

OVERDUE_5 = Target("metric", metric="overdue_rate", op="<=", value=0.05)
KNOWN = {"410702", "410711", "410725", "410781"}
WRITERS = 20
DEADLINE_S = 120


@pytest.fixture()
def frozen():
    with clock.frozen("2026-11-23 09:00") as moment:
        yield moment


@pytest.fixture()
def store(tmp_path, frozen) -> TaskStore:
    return TaskStore(tmp_path / "tasks.sqlite3")


def new(store: TaskStore, subject="卫辉市：高级预警超期，限期整改", bureaus=("410781",), target=OVERDUE_5, user="chair"):
    return store.create(Draft(bureaus, subject, "2026-W47", "", target), user, KNOWN)


def raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


# ---------------------------------------------------------------- one writer

def test_create_edit_feedback_close_with_a_journal_line_for_every_change(store):
    t = new(store)
    assert (t.id, t.version, t.status, t.due_period, t.created_by) == (1, 1, PENDING, "2026-W48", "chair")
    t = store.add_feedback(t.id, "weihui", "已约谈责任人，逐条核查超期预警", {"410781"})
    assert (t.version, t.status, len(t.feedback)) == (2, ANSWERED, 1)
    t = store.edit(t.id, 2, "chair", subject="卫辉市：超期率降至5%以下", due_period="2026-W49")
    assert (t.version, t.subject, t.due_period) == (3, "卫辉市：超期率降至5%以下", "2026-W49")
    assert store.edit(t.id, 3, "chair", subject="卫辉市：超期率降至5%以下").version == 3   # nothing changed: no version
    t = store.close(t.id, 3, "chair", DONE, "36.6% → 4.1%，达标")
    assert (t.version, t.status, t.closing_note) == (4, DONE, "36.6% → 4.1%，达标")
    lines = [(c.user, c.field, c.old, c.new) for c in store.journal(t.id)]
    assert lines == [
        ("chair", "bureaus", "", "410781"), ("chair", "subject", "", "卫辉市：高级预警超期，限期整改"),
        ("chair", "meeting_week", "", "2026-W47"), ("chair", "due_period", "", "2026-W48"),
        ("chair", "target", "", OVERDUE_5.to_json()), ("chair", "status", "", PENDING),
        ("weihui", "feedback", "", "已约谈责任人，逐条核查超期预警"), ("weihui", "status", PENDING, ANSWERED),
        ("chair", "subject", "卫辉市：高级预警超期，限期整改", "卫辉市：超期率降至5%以下"),
        ("chair", "due_period", "2026-W48", "2026-W49"),
        ("chair", "status", ANSWERED, DONE), ("chair", "closing_note", "", "36.6% → 4.1%，达标")]
    assert all(c.at == clock.now() for c in store.journal(t.id))          # the one clock
    assert store.verify() == []
    assert store.last_change() == 12                                        # what a wall watches
    assert TaskStore(store.path.parent / "no" / "tasks.sqlite3").last_change() == 0


def test_a_stale_edit_is_refused_and_nothing_is_overwritten(store):
    t = new(store)
    store.edit(t.id, 1, "deputy", subject="副主任改过的内容")
    before = (store.get(t.id), store.journal())
    for act in (lambda: store.edit(t.id, 1, "chair", subject="主持人的旧版本修改"),
                lambda: store.close(t.id, 1, "chair", DONE),
                lambda: store.withdraw(t.id, 1, "chair", "重复")):
        with pytest.raises(Conflict, match="已被他人修改（您看到的是第1版，现为第2版），您的修改未保存"):
            act()
    assert (store.get(t.id), store.journal()) == before


def test_closed_and_withdrawn_tasks_take_no_more_changes(store):
    a, b = new(store), new(store, bureaus=("410711",))
    store.close(a.id, 1, "chair", DONE)
    with pytest.raises(validate.Invalid, match="请填写撤销原因"):
        store.withdraw(b.id, 1, "chair", "  ")
    store.withdraw(b.id, 1, "chair", "重复录入")
    assert store.get(b.id).status == WITHDRAWN and store.get(b.id).withdraw_reason == "重复录入"
    for t in (a, b):
        with pytest.raises(StoreError, match="不能再反馈"):
            store.add_feedback(t.id, "u", "补充", None)
        with pytest.raises(StoreError, match="不能再修改"):
            store.edit(t.id, store.get(t.id).version, "chair", subject="改")
    with pytest.raises(StoreError, match="只能对本单位的督办事项反馈"):
        store.add_feedback(new(store).id, "muye", "越权", {"410711"})
    with pytest.raises(StoreError, match="需要登录"):
        store.add_feedback(1, "  ", "无名", None)
    with pytest.raises(validate.Invalid, match="办结结论"):
        store.close(new(store).id, 1, "chair", WITHDRAWN)
    assert store.verify() == []


def test_bad_input_saves_nothing(store):
    for draft in (Draft(("410781",), "", "2026-W47"), Draft(("999999",), "x", "2026-W47"),
                  Draft(("410781",), "x", "2026-W47", "2026-W40"),
                  Draft(("410781",), "x", "2026-W47", "", Target("metric", metric="overdue_rate", op="<=", value=2))):
        with pytest.raises(validate.Invalid):
            store.create(draft, "chair", KNOWN)
    assert not store.exists() or store.tasks() == []
    t = new(store)
    with pytest.raises(validate.Invalid):
        store.add_feedback(t.id, "weihui", "<script>alert(1)</script>", None)
    with pytest.raises(validate.Invalid):
        store.edit(t.id, 1, "chair", subject="x" * 201)
    assert store.get(t.id).version == 1 and len(store.journal()) == 6


def test_nothing_is_ever_deleted_or_rewritten(store):
    t = new(store)
    store.add_feedback(t.id, "weihui", "已整改", None)
    con = raw(store.path)
    try:
        for sql in ("DELETE FROM tasks", "DELETE FROM feedback", "DELETE FROM journal",
                    "UPDATE journal SET new = 'x'", "UPDATE feedback SET text = 'x'"):
            with pytest.raises(sqlite3.DatabaseError, match="never"):
                con.execute(sql)
    finally:
        con.close()
    assert len(store.tasks()) == 1 and len(store.journal()) == 8 and store.verify() == []


# ---------------------------------------------------------------- the file: WAL, schema, migrations

def test_wal_busy_timeout_and_schema_version(store):
    new(store)
    con = raw(store.path)
    try:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert con.execute("PRAGMA user_version").fetchone()[0] == store_mod.latest_version() == 1
    finally:
        con.close()
    # another writer holds the write lock for half a second: this one waits, then succeeds
    locked = threading.Event()

    def hold():
        other = raw(store.path)
        other.execute("BEGIN IMMEDIATE")
        locked.set()
        time.sleep(0.5)
        other.execute("COMMIT")
        other.close()
    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(10)
    started = time.monotonic()
    new(store, subject="等锁之后写入")
    assert time.monotonic() - started >= 0.3
    holder.join()
    assert [t.subject for t in store.tasks()][-1] == "等锁之后写入"


def test_a_file_from_a_newer_program_is_refused_untouched(tmp_path):
    path = tmp_path / "tasks.sqlite3"
    con = raw(path)
    con.execute("PRAGMA user_version = 99")
    con.close()
    with pytest.raises(StoreError, match="更新版本的看板建立（第99版"):
        TaskStore(path).tasks()
    con = raw(path)
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] == 99
        assert con.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] == 0
    finally:
        con.close()


def test_a_migration_runs_once_and_keeps_the_data(store, monkeypatch):
    t = new(store)
    v2 = "ALTER TABLE tasks ADD COLUMN priority TEXT NOT NULL DEFAULT '一般';\nCREATE INDEX tasks_priority ON tasks (priority);"
    monkeypatch.setattr(store_mod, "MIGRATIONS", store_mod.MIGRATIONS + ((2, v2),))
    again = TaskStore(store.path)
    assert again.get(t.id) == store.get(t.id) and again.schema_version() == 2
    con = raw(store.path)
    try:
        assert con.execute("SELECT priority FROM tasks").fetchall() == [("一般",)]
    finally:
        con.close()
    assert TaskStore(store.path).schema_version() == 2                  # a second open applies nothing
    assert again.verify() == []


def test_a_failing_migration_leaves_the_old_schema_and_data(store, monkeypatch):
    t = new(store)
    bad = "ALTER TABLE tasks ADD COLUMN ok TEXT;\nALTER TABLE no_such_table ADD COLUMN x TEXT;"
    monkeypatch.setattr(store_mod, "MIGRATIONS", store_mod.MIGRATIONS + ((2, bad),))
    with pytest.raises(StoreError, match="无法打开"):
        TaskStore(store.path).tasks()
    monkeypatch.undo()
    kept = TaskStore(store.path)
    assert kept.schema_version() == 1 and kept.get(t.id).subject == t.subject
    con = raw(store.path)
    try:
        assert "ok" not in [r[1] for r in con.execute("PRAGMA table_info(tasks)")]   # the first half rolled back
    finally:
        con.close()


def test_an_unusable_path_is_a_sentence(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("x")
    with pytest.raises(StoreError, match="暂时无法打开"):
        TaskStore(blocked / "tasks.sqlite3").tasks()


def test_store_beside_the_database(tmp_path):
    assert store_mod.path_for(tmp_path / "data" / "a.duckdb") == tmp_path / "data" / "tasks.sqlite3"


# ---------------------------------------------------------------- 20 concurrent writers

def _append_token(path: str, task_id: int, token: str, bureaus) -> int:
    """One writer: its feedback, then a read-modify-write of the subject, retried on conflict."""
    s = TaskStore(path)
    s.add_feedback(task_id, f"user-{token}", f"反馈{token}", bureaus)
    conflicts = 0
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        t = s.get(task_id)
        try:
            s.edit(task_id, t.version, f"user-{token}", subject=t.subject + token)
            return conflicts
        except Conflict:
            conflicts += 1
            time.sleep(random.random() * 0.005)
    raise TimeoutError(token)


def _check_no_lost_update(store: TaskStore, task_id: int, tokens: list[str]) -> None:
    t = store.get(task_id)
    assert sorted(f.text for f in t.feedback) == sorted(f"反馈{x}" for x in tokens)
    assert all(t.subject.count(x) == 1 for x in tokens), t.subject          # every edit kept, none twice
    assert t.version == 1 + 2 * len(tokens)
    edits = [c for c in store.journal(task_id) if c.field == "subject" and c.old]
    assert len(edits) == len(tokens) and all(a.new == b.old for a, b in zip(edits, edits[1:]))   # a chain, no fork
    assert store.verify() == []


def test_twenty_threads_no_lost_update(store):
    t = new(store, subject="并发")
    tokens = [f"#{i:02d}" for i in range(WRITERS)]
    barrier = threading.Barrier(WRITERS)
    results, errors = [], []

    def writer(token):
        try:
            barrier.wait(timeout=30)
            results.append(_append_token(str(store.path), t.id, token, {"410781"}))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
    threads = [threading.Thread(target=writer, args=(x,)) for x in tokens]
    for th in threads:
        th.start()
    for th in threads:
        th.join(DEADLINE_S)
    assert not errors, errors
    assert len(results) == WRITERS
    _check_no_lost_update(store, t.id, tokens)


def _process_writer(path, task_id, token, barrier, queue):
    try:
        barrier.wait(timeout=60)
        queue.put(("ok", _append_token(path, task_id, token, None)))
    except BaseException as exc:  # noqa: BLE001
        queue.put(("error", repr(exc)))


def test_twenty_processes_no_lost_update(store):
    t = new(store, subject="多进程")
    tokens = [f"@{i:02d}" for i in range(WRITERS)]
    ctx = multiprocessing.get_context("fork")     # the parent has imported everything already
    barrier, queue = ctx.Barrier(WRITERS), ctx.Queue()
    procs = [ctx.Process(target=_process_writer, args=(str(store.path), t.id, x, barrier, queue)) for x in tokens]
    for p in procs:
        p.start()
    outcomes = [queue.get(timeout=DEADLINE_S) for _ in procs]
    for p in procs:
        p.join(30)
    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    _check_no_lost_update(store, t.id, tokens)


# ---------------------------------------------------------------- kill -9 during writes

def _busy_writer(path: str, moment: str) -> None:
    """Writes for ever, each transaction slowed so that a kill lands inside one."""
    with clock.frozen(moment):
        original = store_mod._journal

        def slow_journal(*args):
            original(*args)
            time.sleep(0.002)
        store_mod._journal = slow_journal
        s = TaskStore(path)
        i = 0
        while True:
            i += 1
            t = s.create(Draft(("410781",), f"崩溃测试{i}", "2026-W47", "", OVERDUE_5), "chair")
            s.add_feedback(t.id, "weihui", f"反馈{i}", None)
            t = s.edit(t.id, 2, "chair", subject=f"崩溃测试{i}（改）", due_period="2026-W50")
            if i % 2:
                s.close(t.id, t.version, "chair", DONE, "办结")
            else:
                s.withdraw(t.id, t.version, "chair", "撤销")


def test_kill_minus_nine_leaves_the_store_consistent(store):
    new(store)                                   # the file and its schema exist before the writer starts
    ctx = multiprocessing.get_context("fork")
    rng = random.Random(20261123)
    seen = 1
    for _ in range(5):
        p = ctx.Process(target=_busy_writer, args=(str(store.path), "2026-11-23 09:00"))
        p.start()
        deadline = time.monotonic() + DEADLINE_S
        while len(TaskStore(store.path).tasks()) <= seen + 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.05))
        p.kill()                                 # SIGKILL: no cleanup, no rollback by the process
        p.join(10)
        assert p.exitcode == -9
        after = TaskStore(store.path)            # a fresh process's view
        assert after.verify() == []              # schema intact, each task readable, journal matches
        tasks = after.tasks()
        assert len(tasks) > seen and all(t.subject.startswith(("崩溃测试", "卫辉市")) for t in tasks)
        seen = len(tasks)
    con = raw(store.path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("PRAGMA user_version").fetchone()[0] == store_mod.latest_version()
    finally:
        con.close()
    assert TaskStore(store.path).add_feedback(1, "weihui", "崩溃之后照常写入", None).version == 2


def test_verify_notices_a_change_outside_the_journal(store):
    t = new(store)
    con = raw(store.path)
    try:
        con.execute("UPDATE tasks SET subject = '绕过日志的修改' WHERE id = ?", (t.id,))
    finally:
        con.close()
    assert any("subject" in p for p in store.verify())


# ---------------------------------------------------------------- export equal to the store

def _filled(store: TaskStore) -> None:
    a = new(store, subject="=HYPERLINK(\"http://x\",\"点我\")")           # formula-looking: stored as typed
    store.add_feedback(a.id, "weihui", "-已约谈；+加强值守；@全体", None)
    b = new(store, subject="原阳县城关镇发案回落", bureaus=("410725",),
            target=Target("place", op="<=", value=3.0, level="township", place="城关镇"))
    store.close(b.id, 1, "chair", DONE, "已回落")
    c = new(store, subject="红旗区：答复编号", bureaus=("410702", "410711"), target=Target("ids", ids=("W2", "W3")))
    store.withdraw(c.id, 1, "chair", "与其他事项合并")


def test_export_csv_and_xlsx_equal_the_store(store, tmp_path, capsysbinary):
    _filled(store)
    db = tmp_path / "antifraud.duckdb"                   # the store sits beside it; no database needed
    assert store_mod.path_for(db) == store.path
    assert cli.main(["tasks", "export", "--db", str(db)]) == 0
    data = capsysbinary.readouterr().out
    assert data.startswith("\ufeff".encode("utf-8"))                       # UTF-8 with BOM
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    tasks = store.tasks()
    assert [int(r["编号"]) for r in rows] == [t.id for t in tasks]
    for r, t in zip(rows, tasks):
        subject = "'" + t.subject if t.subject.startswith(("=", "+", "-", "@")) else t.subject
        assert (r["督办事项"], int(r["版本"]), r["分县局编号"], r["会商周"], r["期限"], r["记录状态"]) == \
            (subject, t.version, ",".join(t.bureaus), t.meeting_week, t.due_period, t.status)
        assert r["关联指标(JSON)"] == (t.target.to_json() if t.target else "")
        assert (r["办结说明"], r["撤销原因"], r["创建人"], int(r["反馈条数"])) == \
            (t.closing_note, t.withdraw_reason, t.created_by, len(t.feedback))
    assert rows[0]["督办事项"].startswith("'=HYPERLINK")                    # inert in a spreadsheet

    out = tmp_path / "archive" / "tasks.xlsx"
    assert cli.main(["tasks", "export", "--format", "xlsx", "--out", str(out), "--db", str(db)]) == 0
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["督办事项", "反馈", "修改记录"]
    sheet = list(book["督办事项"].iter_rows(min_row=3, values_only=True))
    assert [int(r[0]) for r in sheet] == [t.id for t in tasks]
    assert sheet[0][4] == "'" + tasks[0].subject
    feedback = list(book["反馈"].iter_rows(min_row=3, values_only=True))
    assert [r[3] for r in feedback] == ["'-已约谈；+加强值守；@全体"]
    journal = list(book["修改记录"].iter_rows(min_row=3, values_only=True))
    assert len(journal) == len(store.journal())
    cells = [c for row in book["修改记录"].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)

    assert cli.main(["tasks", "export", "--table", "journal", "--db", str(db)]) == 0
    journal_rows = list(csv.DictReader(io.StringIO(capsysbinary.readouterr().out.decode("utf-8-sig"))))
    assert [(int(r["编号"]), r["字段"]) for r in journal_rows] == [(c.task_id, c.field) for c in store.journal()]


def test_export_tables_directly_match(store):
    _filled(store)
    frames = export.tables(store, {"410725": "原阳县"}, today=clock.today())
    assert len(frames["tasks"]) == 3 and len(frames["feedback"]) == 1 and len(frames["journal"]) == len(store.journal())
    assert frames["tasks"].set_index("编号").loc[2, "区县"] == "原阳县"


def test_backup_and_check_commands(store, tmp_path, capsys):
    _filled(store)
    db = tmp_path / "antifraud.duckdb"
    copy = tmp_path / "backup" / "tasks-20261123.sqlite3"
    assert cli.main(["tasks", "backup", "--out", str(copy), "--db", str(db)]) == 0
    assert TaskStore(copy).tasks() == store.tasks() and TaskStore(copy).verify() == []
    assert cli.main(["tasks", "check", "--db", str(db)]) == 0
    assert "一致" in capsys.readouterr().err
    con = raw(store.path)
    con.execute("UPDATE tasks SET status = '已完成' WHERE id = 1")
    con.close()
    assert cli.main(["tasks", "check", "--db", str(db)]) == 1
    assert cli.main(["tasks", "check", "--db", str(tmp_path / "elsewhere" / "x.duckdb")]) == 2


def test_export_without_a_store_is_empty_and_creates_nothing(tmp_path, capsysbinary):
    db = tmp_path / "none" / "antifraud.duckdb"
    assert cli.main(["tasks", "export", "--db", str(db)]) == 0
    out = capsysbinary.readouterr()
    assert out.out.decode("utf-8-sig").splitlines() == [",".join(export.TASK_COLUMNS)]
    assert not (tmp_path / "none").exists()
