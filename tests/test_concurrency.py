"""Readers never see a mixed, empty or half-written database while imports swap it.

Two known states of one database: A is the fixture (week 2026-W47: cases C1..C5, loss
10000+50000+20000+1200000+8000 = 1,288,000 元); B re-imports C4 with a loss of 200,000
and moves C5 to 2026-11-23 (W48), so W47 holds C1..C4 with 10000+50000+20000+200000 =
280,000 元. A writer process flips the file A→B→A… through `store.apply` (copy, change,
checkpoint, fsync, os.replace) while reader threads in this process and reader processes
beside it run `queries.run`. Every read must be exactly A or exactly B.

Loops are bounded by counts and by a deadline; nothing asserts on speed.
"""
from __future__ import annotations

import ast
import gc
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from antifraud import store, units
import queries
from support import ROOT, build_fixture_db, read_fixture

W47 = {"starts": ["2026-11-16"], "ends": ["2026-11-23"], "bureaus": [], "types": []}
STATE_A = (5, 1288000.0)      # C1..C5
STATE_B = (4, 280000.0)       # C1..C4, C4 at 200,000
SWAPS = 20                    # writer flips (B, A, B, …): even count ends on A
DEADLINE_S = 90               # hard stop for every loop on a machine that is very busy

# Batches that turn A into B and back; shared with the child processes as source text.
STATES_SRC = r'''
import sys
sys.path.insert(0, {root!r})
sys.path.insert(0, {tests!r})
from support import read_fixture
from antifraud import store, units

def state_batches():
    cases = read_fixture("cases")
    a = cases[cases.case_id.isin(["C4", "C5"])].copy()
    b = a.copy()
    b.loc[b.case_id == "C4", "loss_amount"] = 200000.0
    b.loc[b.case_id == "C5", "reported_at"] = b.loc[b.case_id == "C5", "reported_at"] + __import__("pandas").Timedelta(days=1)
    mk = lambda f, tag: store.Batch("cases", f, f"state-{{tag}}.csv", f"sha-{{tag}}", rows_read=len(f))
    return {{"A": lambda: [mk(a, "A")], "B": lambda: [mk(b, "B")]}}
'''.format(root=str(ROOT), tests=str(ROOT / "tests"))

WRITER_SRC = STATES_SRC + r'''
import time
from pathlib import Path
db, swaps, deadline = Path(sys.argv[1]), int(sys.argv[2]), time.monotonic() + float(sys.argv[3])
batches = state_batches()
U, S = units.load_units(), units.load_stations()
print("ready", flush=True)
sys.stdin.readline()                   # start together with the readers
done = 0
while done < swaps and time.monotonic() < deadline:
    store.apply(db, batches["B" if done % 2 == 0 else "A"](), U, S)
    done += 1
if done % 2:                           # always leave state A behind
    store.apply(db, batches["A"](), U, S)
print(done, flush=True)
'''

READER_SRC = r'''
import json, sys, time
from collections import Counter
sys.path.insert(0, {root!r})
import queries
queries.use_database(sys.argv[1])
stop_file, deadline = sys.argv[2], time.monotonic() + float(sys.argv[3])
from pathlib import Path
seen = Counter()
print("ready", flush=True)
while not Path(stop_file).exists() and time.monotonic() < deadline:
    try:
        f = queries.run("case_measures", starts=["2026-11-16"], ends=["2026-11-23"], bureaus=[], types=[])
        seen[repr((int(f["cases"].sum()), float(f["loss"].sum())))] += 1
    except Exception as exc:
        seen["error " + type(exc).__name__ + ": " + str(exc)[:200]] += 1
print(json.dumps(seen), flush=True)
'''.format(root=str(ROOT))


def totals(frame) -> tuple[int, float]:
    return int(frame["cases"].sum()), float(frame["loss"].sum())


def read_w47() -> tuple[int, float]:
    return totals(queries.run("case_measures", **W47))


def load_states():
    namespace: dict = {}
    exec(STATES_SRC, namespace)
    return namespace["state_batches"]()


@pytest.fixture()
def live_db(tmp_path):
    db = build_fixture_db(tmp_path / "live.duckdb")
    queries.use_database(db)
    yield db
    queries.use_database(None)


def test_states_are_what_the_fixture_says(live_db):
    batches = load_states()
    assert read_w47() == STATE_A
    store.apply(live_db, batches["B"](), units.load_units(), units.load_stations())
    assert read_w47() == STATE_B
    store.apply(live_db, batches["A"](), units.load_units(), units.load_stations())
    assert read_w47() == STATE_A


def _spawn(src: str, *args) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", src, *map(str, args)], cwd=ROOT, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = proc.stdout.readline()
    assert line.strip() == "ready", (line, proc.stderr.read() if proc.poll() is not None else "")
    return proc


def test_readers_see_only_whole_states_while_a_writer_swaps(live_db, tmp_path):
    stop_file = tmp_path / "stop"
    reader_threads, reader_procs = 4, 2
    writer = _spawn(WRITER_SRC, live_db, SWAPS, DEADLINE_S)
    procs = [_spawn(READER_SRC, live_db, stop_file, DEADLINE_S) for _ in range(reader_procs)]
    report_proc_reads = Counter()

    seen = Counter()
    lock = threading.Lock()
    stop = threading.Event()

    def reader():
        local = Counter()
        while not stop.is_set():
            try:
                local[read_w47()] += 1
            except Exception as exc:  # recorded, then failed below with its text
                local[f"error {type(exc).__name__}: {exc}"] += 1
        with lock:
            seen.update(local)

    threads = [threading.Thread(target=reader) for _ in range(reader_threads)]
    for t in threads:
        t.start()
    report_threads = [threading.Thread(target=_report_reads_until, args=(writer, live_db, report_proc_reads))
                      for _ in range(2)]
    for t in report_threads:
        t.start()
    writer.stdin.write("go\n")
    writer.stdin.flush()
    try:
        out, err = writer.communicate(timeout=DEADLINE_S + 30)
    finally:
        stop.set()
        stop_file.touch()
        for t in threads + report_threads:
            t.join(timeout=150)
    assert writer.returncode == 0, err
    swaps = int(out.strip().splitlines()[-1])

    proc_seen = Counter()
    for p in procs:
        pout, perr = p.communicate(timeout=60)
        assert p.returncode == 0, perr
        proc_seen.update({ast.literal_eval(k) if k.startswith("(") else k: v
                          for k, v in json.loads(pout.strip().splitlines()[-1]).items()})

    thread_reads, proc_reads = sum(seen.values()), sum(proc_seen.values())
    print(f"\n[concurrency] writer swaps={swaps}; reader threads={reader_threads} reads={thread_reads} "
          f"{dict(seen)}; reader processes={reader_procs} reads={proc_reads} {dict(proc_seen)}; "
          f"report processes reads={sum(report_proc_reads.values())} {dict(report_proc_reads)}")
    allowed = {STATE_A, STATE_B}
    assert set(seen) <= allowed, seen
    assert set(proc_seen) <= allowed, proc_seen
    assert set(report_proc_reads) <= allowed, report_proc_reads
    assert swaps >= 2
    # both states were observed, so the readers really ran across swaps
    assert seen[STATE_A] and seen[STATE_B], seen
    assert thread_reads >= 50 and proc_reads >= 20
    assert read_w47() == STATE_A          # the writer ends on A and the reader follows it


_report_lock = threading.Lock()


def _report_reads_until(writer: subprocess.Popen, db: Path, seen: Counter) -> None:
    """While the writer runs, read the week through the real report command (once it exists)."""
    if not (ROOT / "antifraud" / "report.py").exists() and not (ROOT / "antifraud" / "report").is_dir():
        return
    deadline = time.monotonic() + DEADLINE_S
    while writer.poll() is None and time.monotonic() < deadline:
        done = subprocess.run([sys.executable, "-m", "antifraud", "report", "--format", "json",
                               "--week", "2026-W47", "--no-archive", "--db", str(db)],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            with _report_lock:
                seen[f"exit {done.returncode}: {done.stderr.strip()[-300:]}"] += 1
            continue
        kpis = json.loads(done.stdout)["kpis"]
        with _report_lock:
            seen[(int(kpis["cases"]["value"]), float(kpis["loss"]["value"]))] += 1


def test_reader_follows_a_swap_and_keeps_the_old_handle_for_a_running_query(live_db):
    batches = load_states()
    old_stamp = queries.stamp(live_db)
    old_reader = queries._reader(live_db, old_stamp)
    # a query on the old file, started but not yet fetched (DuckDB keeps its result open)
    running = old_reader.cursor()
    running.execute("USE live")
    running.execute("SELECT case_id, loss_amount FROM cases WHERE reported_at >= '2026-11-16' "
                    "AND reported_at < '2026-11-23' ORDER BY case_id")

    store.apply(live_db, batches["B"](), units.load_units(), units.load_stations())
    new_stamp = queries.stamp(live_db)
    assert new_stamp != old_stamp                       # a new inode: the swap is visible
    assert read_w47() == STATE_B                        # no reopen error, new data at once
    assert [k for k in queries._readers if k[0] == str(live_db)] == [(str(live_db), new_stamp)]
    del old_reader
    gc.collect()                                        # the runner dropped the old handle...
    rows = running.fetchall()                           # ...but the running query still finishes
    assert [r[0] for r in rows] == ["C1", "C2", "C3", "C4", "C5"]
    assert float(dict(rows)["C4"]) == 1200000.0          # and it saw the old file, whole
    running.close()


def test_a_second_swap_in_the_same_instant_is_still_seen(live_db):
    # The stamp is (inode, mtime_ns); every swap renames a new file in, so the inode changes
    # even if two swaps land within one clock tick.
    batches = load_states()
    stamps = {queries.stamp(live_db)}
    for state in ("B", "A", "B"):
        store.apply(live_db, batches[state](), units.load_units(), units.load_stations())
        stamps.add(queries.stamp(live_db))
        assert read_w47() == (STATE_B if state == "B" else STATE_A)
    assert len(stamps) == 4


def test_two_imports_at_once_both_land(tmp_path):
    """Two writers started together: each adds its own case; neither may be lost."""
    db = build_fixture_db(tmp_path / "live.duckdb")
    child = STATES_SRC + r'''
import pandas as pd
from pathlib import Path
db, tag, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
cases = read_fixture("cases")
extra = cases[cases.case_id == "C1"].copy()
extra["case_id"] = "X" + tag
U, S = units.load_units(), units.load_stations()
print("ready", flush=True)
while not go.exists():
    time.sleep(0.001)
store.apply(db, [store.Batch("cases", extra, f"extra-{tag}.csv", f"sha-{tag}", 1)], U, S)
'''.replace("import pandas as pd", "import time\nimport pandas as pd")
    lost = 0
    rounds = 4
    for r in range(rounds):
        go = tmp_path / f"go{r}"
        procs = [_spawn(child, db, f"{r}{w}", go) for w in range(3)]
        go.touch()
        for p in procs:
            _, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
        con = duckdb.connect(str(db), read_only=True)
        try:
            ids = {row[0] for row in con.execute("SELECT case_id FROM cases WHERE case_id LIKE 'X%'").fetchall()}
        finally:
            con.close()
        lost += len({f"X{r}{w}" for w in range(3)} - ids)
    print(f"\n[concurrency] concurrent writers: {rounds} rounds x 3 imports, lost={lost}")
    assert lost == 0


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to list open files")
def test_replaced_files_are_released_once_their_queries_are_done(live_db):
    # A long-running dashboard must not keep every replaced database open: each one is a
    # full copy that stays on disk, unlinked but allocated, until its last handle closes.
    batches = load_states()
    for i in range(10):
        read_w47()
        store.apply(live_db, batches["BA"[i % 2]](), units.load_units(), units.load_stations())
    assert read_w47() == STATE_A
    held = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(live_db.parent)) and target.endswith("(deleted)"):
            held.append(target)
    assert held == []
    assert [k for k in queries._readers if k[0] == str(live_db)] == [(str(live_db), queries.stamp(live_db))]


def test_a_readers_cursors_are_reused_and_dropped_with_it(live_db):
    """A query gives its cursor back for the next one of the same reader (no new cursor and
    `USE` per query); a swap closes the old reader's kept cursors, and a failed query's cursor
    is never given back."""
    read_w47()
    read_w47()
    reader = queries._readers[(str(live_db), queries.stamp(live_db))]
    assert [len(kept) for con, kept in queries._idle.values() if con is reader] == [1]
    with pytest.raises(duckdb.Error):
        queries.run_uncached("overdue_warnings", live_db, start="no date", end="2026-11-23", bureaus=[], types=[])
    assert [len(kept) for con, kept in queries._idle.values() if con is reader] == [0]
    store.apply(live_db, load_states()["B"](), units.load_units(), units.load_stations())
    assert read_w47() == STATE_B
    fresh = queries._readers[(str(live_db), queries.stamp(live_db))]
    kept_by = [con for con, _ in queries._idle.values()]
    assert fresh is not reader and not any(con is reader for con in kept_by) and any(con is fresh for con in kept_by)


def test_two_imports_from_one_process_take_turns_too(tmp_path):
    """Two dashboard sessions uploading at once are two threads of one process; the lock is
    per open file, so they take turns like two processes do."""
    db = build_fixture_db(tmp_path / "live.duckdb")
    c1 = read_fixture("cases").iloc[[0]]
    errors = []

    def add(tag):
        frame = c1.copy()
        frame["case_id"] = "T" + tag
        try:
            store.apply(db, [store.Batch("cases", frame, f"t{tag}.csv", f"sha-{tag}", 1)],
                        units.load_units(), units.load_stations())
        except Exception as exc:  # reported by the assertion below
            errors.append(repr(exc))

    for r in range(2):
        threads = [threading.Thread(target=add, args=(f"{r}{i}",)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert errors == []
    queries.use_database(db)
    try:
        cases = int(queries.run("case_measures", starts=["2026-11-16"], ends=["2026-11-17"],
                                bureaus=[], types=[])["cases"].sum())
    finally:
        queries.use_database(None)
    assert cases == 1 + 6          # C1 plus six copies of it reported the same day
