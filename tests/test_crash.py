"""An import killed at any moment, or starved of disk, leaves the old database whole.

The database starts in state A (the fixture plus 20,000 padding cases in 2024, so an
import takes long enough for kills to land in every phase: copy, upsert, rollups,
checkpoint, fsync, swap). The import under test turns A into B: C4's loss becomes
200,000 元 and C5 moves to W48, so week 2026-W47 reads 5 cases / 1,288,000 元 in A and
4 cases / 280,000 元 in B (C1..C4: 10000+50000+20000+200000).
"""
from __future__ import annotations

import multiprocessing
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from antifraud import store, units
import queries
from support import ROOT, build_fixture_db, read_fixture

STATE_A = (5, 1288000.0)
STATE_B = (4, 280000.0)
PADDING = 20000
ROUNDS = 25
SEED = 20261124
DISK_FULL_TEXT = "磁盘空间不足，导入未完成，原数据库未改动"

def padding_batch() -> store.Batch:
    c1 = read_fixture("cases").iloc[[0]]
    pad = pd.concat([c1] * PADDING, ignore_index=True)
    pad["case_id"] = [f"P{i:05d}" for i in range(PADDING)]
    pad["reported_at"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(range(PADDING), unit="min")
    return store.Batch("cases", pad, "padding.csv", "sha-padding", rows_read=PADDING)


def b_batch() -> store.Batch:
    cases = read_fixture("cases")
    b = cases[cases.case_id.isin(["C4", "C5"])].copy()
    b.loc[b.case_id == "C4", "loss_amount"] = 200000.0
    b.loc[b.case_id == "C5", "reported_at"] += pd.Timedelta(days=1)
    return store.Batch("cases", b, "state-B.csv", "sha-B", rows_read=2)


def import_b(db: str, ready, took) -> None:
    """The import under test, run in a child process that is killed at a random moment."""
    batch, unit_rows, station_rows = b_batch(), units.load_units(), units.load_stations()
    ready.set()
    started = time.perf_counter()
    store.apply(Path(db), [batch], unit_rows, station_rows)
    took.value = time.perf_counter() - started


def a_batch() -> store.Batch:
    cases = read_fixture("cases")
    a = cases[cases.case_id.isin(["C4", "C5"])]
    return store.Batch("cases", a, "state-A.csv", "sha-A", rows_read=2)


def w47(db: Path) -> tuple[int, float]:
    queries.use_database(db)
    try:
        f = queries.run("case_measures", starts=["2026-11-16"], ends=["2026-11-23"], bureaus=[], types=[])
    finally:
        queries.use_database(None)
    return int(f["cases"].sum()), float(f["loss"].sum())


def whole(db: Path) -> tuple[int, float]:
    """Open the file on its own and check the rollup agrees with the raw rows it came from."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        raw = con.execute("SELECT count(*), sum(loss_amount) FROM cases WHERE reported_at >= "
                          "'2026-11-16' AND reported_at < '2026-11-23'").fetchone()
        rolled = con.execute("SELECT sum(cases), sum(loss) FROM case_daily WHERE day >= '2026-11-16' "
                             "AND day < '2026-11-23'").fetchone()
        padding = con.execute("SELECT count(*) FROM cases WHERE case_id LIKE 'P%'").fetchone()[0]
        tables = con.execute("SELECT count(*) FROM information_schema.tables").fetchone()[0]
    finally:
        con.close()
    assert (int(raw[0]), float(raw[1])) == (int(rolled[0]), float(rolled[1]))
    assert padding == PADDING and tables >= 8
    return int(raw[0]), float(raw[1])


def leftovers(db: Path) -> list[str]:
    return sorted(p.name for p in db.parent.iterdir() if p.name.endswith((".tmp", ".tmp.wal")))


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    db = build_fixture_db(tmp_path_factory.mktemp("crash") / "template.duckdb")
    store.apply(db, [padding_batch()], units.load_units(), units.load_stations())
    assert w47(db) == STATE_A
    return db


@pytest.fixture()
def state_a(template, tmp_path) -> Path:
    db = tmp_path / "live.duckdb"
    shutil.copyfile(template, db)
    return db


@pytest.fixture(scope="module")
def forkserver():
    # children fork from a server that has already imported DuckDB and pandas (and has
    # opened no database, so forking it is safe): a round costs milliseconds, not seconds
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["duckdb", "pandas", "antifraud.store", "antifraud.units", "conftest"])
    # Each child re-runs the parent's __main__ file unless it is a package's __main__.
    # Streamlit's AppTest (earlier page tests) leaves dashboard.py installed as __main__,
    # so children would run the whole app before the import. Give them a bare __main__.
    saved = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield ctx
    finally:
        sys.modules["__main__"] = saved


def reset_to_a(db: Path) -> None:
    store.apply(db, [a_batch()], units.load_units(), units.load_stations())


def start_import(ctx, db: Path):
    ready, took = ctx.Event(), ctx.Value("d", -1.0)
    proc = ctx.Process(target=import_b, args=(str(db), ready, took))
    proc.start()
    for _ in range(600):                 # a child that died before its import says so at once
        if ready.wait(0.1) or not proc.is_alive():
            break
    assert ready.is_set(), f"the import child did not start (exit code {proc.exitcode})"
    return proc, took


def test_kill_9_at_random_moments_leaves_a_whole_database(state_a, forkserver):
    db = state_a
    # undisturbed runs tell how long an import takes here, to spread the kills over it
    # (the median, so one slow first run on a busy machine does not aim every kill too late)
    durations = []
    for _ in range(3):
        proc, took = start_import(forkserver, db)
        proc.join(120)
        assert proc.exitcode == 0
        durations.append(took.value)
        assert w47(db) == whole(db) == STATE_B
        reset_to_a(db)
    duration = sorted(durations)[1]

    rng = random.Random(SEED)
    outcome = {"old": 0, "new": 0}
    stale_seen = 0
    for _ in range(ROUNDS):
        proc, _ = start_import(forkserver, db)
        time.sleep(rng.uniform(0, duration * 1.3))
        proc.kill()                              # SIGKILL: no finally, no cleanup
        proc.join(60)
        assert proc.exitcode in (-signal.SIGKILL, 0)
        stale_seen += bool(leftovers(db))
        state = whole(db)                        # opens cleanly, rollups match raw rows
        assert state in (STATE_A, STATE_B), state
        assert w47(db) == state                  # and the query door agrees
        outcome["old" if state == STATE_A else "new"] += 1
        # the next import runs beside whatever the killed one left, and clears it
        reset_to_a(db)
        assert leftovers(db) == []
        assert whole(db) == STATE_A
    print(f"\n[crash] kill -9 rounds={ROUNDS} (import ≈{duration:.2f}s, seed {SEED}): "
          f"old database kept {outcome['old']}, swap already done {outcome['new']}, "
          f"rounds that left a temp copy {stale_seen}")
    # the kills landed both before and after the swap, so both outcomes were exercised
    assert outcome["old"] >= 1 and stale_seen >= 1


def test_stale_temp_files_of_another_process_do_not_break_an_import(state_a, forkserver):
    db = state_a
    junk = [db.with_name(f".{db.name}.999999.tmp"), db.with_name(f".{db.name}.999999.tmp.wal"),
            db.with_name(f".{db.name}.{os.getpid()}.tmp")]
    for path in junk:
        path.write_bytes(b"half a database from an import that was killed" * 1000)
    unrelated = db.with_name("notes.tmp")
    unrelated.write_text("not ours")
    proc, _ = start_import(forkserver, db)
    proc.join(120)
    assert proc.exitcode == 0
    assert whole(db) == STATE_B
    assert leftovers(db) == ["notes.tmp"]        # our copies cleared, a stranger's file kept


def _limited(limit: int):
    def preexec():
        # without the signal the process dies; ignored, the write fails with EFBIG instead,
        # which is what a full disk (ENOSPC) looks like to the program
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return preexec


def import_growth_with_file_limit(db: str, limit: int, result) -> None:
    """Add 50,000 cases with the file-size limit set: the copy or DuckDB's writes hit it."""
    c1 = read_fixture("cases").iloc[[0]]
    n = 50000
    grow = pd.concat([c1] * n, ignore_index=True)
    grow["case_id"] = [f"G{i}" for i in range(n)]
    grow["reported_at"] = pd.Timestamp("2025-01-01") + pd.to_timedelta(range(n), unit="min")
    _limited(limit)()
    try:
        store.apply(Path(db), [store.Batch("cases", grow, "grow.csv", "sha-grow", n)],
                    units.load_units(), units.load_stations())
        result.put("ok")
    except Exception as exc:  # the test asserts on exactly what came out
        result.put(f"{type(exc).__name__}: {exc} <- {type(exc.__cause__).__module__}."
                   f"{type(exc.__cause__).__name__}")


@pytest.mark.parametrize("phase", ["copy", "write"])
def test_full_disk_gives_a_clear_error_and_keeps_the_database(state_a, forkserver, phase):
    db = state_a
    size = db.stat().st_size
    before = db.read_bytes()
    # "copy": the limit cuts the copy of the live file; "write": the copy fits, DuckDB's own
    # writes (WAL, checkpoint) of 50,000 new rows do not
    limit = size // 2 if phase == "copy" else size + 64 * 1024
    result = forkserver.Queue()
    proc = forkserver.Process(target=import_growth_with_file_limit, args=(str(db), limit, result))
    proc.start()
    outcome = result.get(timeout=120)
    proc.join(60)
    print(f"\n[crash] full disk during {phase} (RLIMIT_FSIZE={limit} B, database {size} B): {outcome}")
    assert outcome.startswith("DiskFullError: " + DISK_FULL_TEXT), outcome
    # the two phases really failed in different places: Python's copy, then DuckDB's writes
    assert outcome.endswith("builtins.OSError") if phase == "copy" else "duckdb" in outcome.split("<-")[1]
    assert db.read_bytes() == before
    assert whole(db) == STATE_A
    assert leftovers(db) == []


def _ingest_cli_exists() -> bool:
    return (ROOT / "antifraud" / "ingest").is_dir() or (ROOT / "antifraud" / "ingest.py").exists()


@pytest.mark.skipif(not _ingest_cli_exists(), reason="antifraud ingest is not there yet")
def test_full_disk_through_the_ingest_command(state_a, tmp_path):
    db = state_a
    extract = tmp_path / "cases-grow.csv"
    cases = read_fixture("cases")
    rows = pd.concat([cases.iloc[[0]]] * 30000, ignore_index=True)
    rows["case_id"] = [f"G{i:06d}" for i in range(len(rows))]
    rows["reported_at"] = pd.Timestamp("2025-01-01") + pd.to_timedelta(range(len(rows)), unit="min")
    rows.to_csv(extract, index=False, encoding="utf-8")
    size = db.stat().st_size
    before = db.read_bytes()
    done = subprocess.run([sys.executable, "-m", "antifraud", "ingest", str(extract), "--db", str(db)],
                          cwd=ROOT, text=True, capture_output=True, timeout=180,
                          preexec_fn=_limited(size // 2))
    print(f"\n[crash] full disk through `ingest`: exit {done.returncode}, stderr {done.stderr.strip()!r}")
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2
    assert any(DISK_FULL_TEXT in line for line in lines) and "Traceback" not in done.stderr
    assert db.read_bytes() == before
    assert leftovers(db) == []


@pytest.mark.skipif(not _ingest_cli_exists(), reason="antifraud ingest is not there yet")
def test_kill_9_of_the_ingest_command(state_a, tmp_path):
    """The same through the real command: `python -m antifraud ingest B.csv --db …` killed."""
    db = state_a
    extract = tmp_path / "cases-state-B.csv"
    b_batch().frame.to_csv(extract, index=False, encoding="utf-8")
    command = [sys.executable, "-m", "antifraud", "ingest", str(extract), "--db", str(db)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=180)
    duration = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    assert whole(db) == STATE_B
    reset_to_a(db)

    rng = random.Random(SEED + 1)
    rounds, outcome = 5, {"old": 0, "new": 0}
    for _ in range(rounds):
        proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # most of a short command is interpreter start-up; aim the kills at its second half
        time.sleep(rng.uniform(0.5, 1.1) * duration)
        proc.kill()
        proc.wait(60)
        state = whole(db)
        assert state in (STATE_A, STATE_B), state
        outcome["old" if state == STATE_A else "new"] += 1
        reset_to_a(db)
        assert leftovers(db) == []
    assert not (db.parent / "rejects").exists() or not any((db.parent / "rejects").iterdir())
    print(f"\n[crash] kill -9 of `ingest` rounds={rounds} (command ≈{duration:.1f}s): "
          f"old database kept {outcome['old']}, swap already done {outcome['new']}")


@pytest.mark.skipif(not _ingest_cli_exists(), reason="antifraud ingest is not there yet")
def test_full_disk_while_writing_the_reject_report(state_a, tmp_path):
    """Ingest writes its reject report before the database: a full disk there is the same
    clear line, and no cut-off report is left to look like a real one."""
    db = state_a
    extract = tmp_path / "cases-with-rejects.csv"
    rows = pd.concat([read_fixture("cases").iloc[[0]]] * 3000, ignore_index=True)
    rows["case_id"] = [f"R{i:05d}" for i in range(len(rows))]
    rows.loc[rows.index % 2 == 1, "bureau_id"] = "不存在的分局"      # 1,500 rejected rows
    rows.to_csv(extract, index=False, encoding="utf-8")
    before = db.read_bytes()
    done = subprocess.run([sys.executable, "-m", "antifraud", "ingest", str(extract), "--db", str(db)],
                          cwd=ROOT, text=True, capture_output=True, timeout=180,
                          preexec_fn=_limited(20_000))         # the report needs far more
    print(f"\n[crash] full disk writing the reject report: exit {done.returncode}, "
          f"stderr {done.stderr.strip()!r}")
    assert done.returncode == 2
    assert DISK_FULL_TEXT in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert db.read_bytes() == before
    rejects = db.parent / "rejects"
    assert not rejects.exists() or list(rejects.iterdir()) == []


OUTSIDE_WRITER_SRC = r'''
import duckdb, os, sys, time
con = duckdb.connect(sys.argv[1])
con.execute("SET checkpoint_threshold = '1TB'")      # keep the change in the log only
con.execute("UPDATE cases SET loss_amount = 1000 WHERE case_id = 'C1'")
if sys.argv[2] == "die":
    os._exit(9)                                       # like kill -9: no checkpoint, log stays
print("holding", flush=True)
time.sleep(120)
'''


def test_a_log_left_by_an_outside_writer_is_carried_into_the_next_import(state_a, forkserver):
    """Someone opened the live file read-write (DuckDB CLI) and was killed: its committed
    change sits in live.duckdb.wal. The next import keeps that change, removes the log, and
    readers keep working after the swap (before the fix every read failed with
    'WAL checkpoint iteration does not match')."""
    db = state_a
    subprocess.run([sys.executable, "-c", OUTSIDE_WRITER_SRC, str(db), "die"], timeout=60)
    wal = db.with_name(db.name + ".wal")
    assert wal.exists()
    proc, _ = start_import(forkserver, db)               # A → B as everywhere else
    proc.join(120)
    assert proc.exitcode == 0
    assert not wal.exists()
    con = duckdb.connect(str(db), read_only=True)
    try:
        c1 = float(con.execute("SELECT loss_amount FROM cases WHERE case_id = 'C1'").fetchone()[0])
    finally:
        con.close()
    assert c1 == 1000.0                                  # the outside change survived
    # readers work after the swap. (The rollup of C1's day still says 10,000: the outside
    # writer did not refresh it and this import did not touch that day — one more reason
    # the live file is never to be written by anything but an import.)
    assert w47(db) == STATE_B


def test_an_import_refuses_while_another_program_writes_the_live_file(state_a, tmp_path):
    db = state_a
    holder = subprocess.Popen([sys.executable, "-c", OUTSIDE_WRITER_SRC, str(db), "hold"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        extract = tmp_path / "cases-state-B.csv"
        b_batch().frame.to_csv(extract, index=False, encoding="utf-8")
        before = db.read_bytes()
        done = subprocess.run([sys.executable, "-m", "antifraud", "ingest", str(extract), "--db", str(db)],
                              cwd=ROOT, capture_output=True, text=True, timeout=180)
    finally:
        holder.kill()
        holder.wait(30)
    print(f"\n[crash] import while another program writes: exit {done.returncode}, "
          f"stderr {done.stderr.strip()!r}")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "正被其他程序以写方式打开" in done.stderr
    assert db.read_bytes() == before
    assert leftovers(db) == []


def test_a_log_that_no_longer_matches_the_file_is_dropped_by_the_next_import(state_a, template, forkserver):
    """The state the old store left behind: a log from an earlier file beside the live one.
    Readers fail on it; the next import drops it and everything reads again."""
    db = state_a
    subprocess.run([sys.executable, "-c", OUTSIDE_WRITER_SRC, str(db), "die"], timeout=60)
    fresh = db.with_name("fresh.duckdb")
    shutil.copyfile(template, fresh)
    store.apply(fresh, [a_batch()], units.load_units(), units.load_stations())   # a later file
    os.replace(fresh, db)                                   # a swap that ignored the log
    with pytest.raises(duckdb.IOException):
        w47(db)
    proc, _ = start_import(forkserver, db)
    proc.join(120)
    assert proc.exitcode == 0
    assert not db.with_name(db.name + ".wal").exists()
    assert w47(db) == whole(db) == STATE_B


def test_full_disk_while_writing_a_briefing(tmp_path, fixture_db):
    """`report --out` on a full disk: one line, exit 2, and no cut-off file that looks like a briefing."""
    out = tmp_path / "briefing.xlsx"
    done = subprocess.run([sys.executable, "-m", "antifraud", "report", "--week", "2026-W47", "--format",
                           "xlsx", "--out", str(out), "--no-archive", "--db", str(fixture_db)],
                          cwd=ROOT, text=True, capture_output=True, timeout=180, preexec_fn=_limited(3000))
    print(f"\n[crash] full disk writing a briefing: exit {done.returncode}, stderr {done.stderr.strip()!r}")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "错误：磁盘空间不足，输出未写完" in done.stderr
    assert not out.exists()
