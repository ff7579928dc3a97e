"""bench: ingest, page query sets and plain-pandas baselines, measured in one run.

For each history length (`--years`, same `--scale`):
1. generate UTF-8 csv extracts with the sample generator (reused when already there);
2. ingest each extract kind with `python -m antifraud ingest` in a child process
   (wall time, rows/s, peak RSS from wait4) next to DuckDB's own typed `read_csv` of the
   same files into a fresh file (the practical limit);
3. serve every page in a child process with Streamlit's AppTest, record the queries one
   view runs (`queries.run_uncached`), then replay exactly that set, uncached, on a new
   connection (cold: `queries._readers` cleared);
4. replay each page's recorded calls through their plain-pandas equivalents over the raw
   rows in another child (`antifraud.bench_pandas`);
then replay every history's recorded sets warm (reader kept) in one child, interleaved
round by round across pages and histories, so load from elsewhere weighs on the 1- and
2-year figures alike; and on the longest history load one more week into the full database
and export Parquet. Results go to `<out>/bench.json`; a table goes to stdout.

Generated data and databases stay under `--out` (git-ignored `bench-out/`).
"""
from __future__ import annotations

import datetime as dt
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from antifraud import clock, config, periods

ROOT = config.ROOT
KINDS = (("cases", "案件"), ("warnings", "预警"), ("strikes", "打击"))
HISTORY_END = "2026-W46"      # fixed, so runs are comparable; the extra week is W47
EXTRA_WEEK = "2026-W47"
SEED = 20261124


# ------------------------------------------------------------------ small helpers

def _python() -> list[str]:
    return [sys.executable]


def run_measured(argv: list[str], env: dict | None = None) -> dict:
    """Run a Python child (`[python, "-m", module, ...]`) and measure its wall time and peak RSS.

    The peak is the child's own VmHWM, written at exit by a thin wrapper (`bench hwm`):
    `ru_maxrss` from wait4 would also count the parent's pages from before the exec.
    """
    started = time.perf_counter()
    stamp = f"{os.getpid()}-{time.time_ns()}"
    tmp = Path(os.environ.get("TMPDIR", "/tmp"))
    log_path, hwm_path = tmp / f"antifraud-bench-{stamp}.log", tmp / f"antifraud-bench-{stamp}.hwm"
    if argv[1:2] == ["-m"]:
        argv = [argv[0], "-m", "antifraud.bench", "hwm", *argv[2:]]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **(env or {}), "ANTIFRAUD_BENCH_HWM": str(hwm_path)},
                                stdout=subprocess.PIPE, stderr=log)
        chunks = []
        while True:
            chunk = proc.stdout.read(65536)
            if not chunk:
                break
            chunks.append(chunk)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    stderr = log_path.read_text(encoding="utf-8", errors="replace")
    log_path.unlink(missing_ok=True)
    try:
        peak = float(hwm_path.read_text())
        hwm_path.unlink()
    except (OSError, ValueError):
        peak = usage.ru_maxrss / 1024
    return {"seconds": elapsed, "returncode": proc.returncode, "peak_rss_mb": peak,
            "stdout": b"".join(chunks).decode("utf-8", "replace"), "stderr": stderr}


def _hwm_wrapper(module: str, rest: list[str]) -> None:
    """Run `python -m module rest...` in this process and leave its VmHWM in a file at exit."""
    import atexit
    import runpy

    def write():
        target = os.environ.get("ANTIFRAUD_BENCH_HWM")
        peak = _vm_hwm_mb()
        if target and peak is not None:
            Path(target).write_text(str(peak))

    atexit.register(write)
    sys.argv = [module, *rest]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo, hi = int(pos), min(int(pos) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def machine() -> dict:
    def sh(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
        except Exception:  # noqa: BLE001 - informative only
            return ""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import duckdb
    import pandas
    mem = sh(["free", "-h"]).splitlines()
    return {"nproc": os.cpu_count(), "cpu": cpu, "free_h": mem[1] if len(mem) > 1 else "",
            "python": platform.python_version(), "duckdb": duckdb.__version__,
            "pandas": pandas.__version__, "os": platform.platform()}


# ------------------------------------------------------------------ data

def generate(folder: Path, scale: float, years: float, end: str, seed: int) -> dict:
    marker = folder / ".bench-complete.json"
    want = {"scale": scale, "years": years, "end": end, "seed": seed}
    if marker.exists() and json.loads(marker.read_text()).get("args") == want:
        info = json.loads(marker.read_text())
        # the files next to the marker, wherever the bench runs from (the marker may hold the
        # paths relative to another working directory: `--out bench-out/…` elsewhere)
        info["files"] = {kind: [str(folder / Path(f).name) for f in fs] for kind, fs in info["files"].items()}
        info["reused"] = True
        return info
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    res = run_measured([*_python(), "-m", "antifraud", "sample", "--scale", str(scale), "--years", str(years),
                        "--seed", str(seed), "--end", end, "--format", "csv", "--out", str(folder)])
    if res["returncode"] != 0:
        raise RuntimeError(f"sample failed: {res['stderr'][-500:]}")
    files = {kind: sorted(str(p) for p in folder.iterdir() if p.name.startswith(prefix) and p.suffix == ".csv")
             for kind, prefix in KINDS}
    info = {"args": want, "files": files, "generate_seconds": round(res["seconds"], 1),
            "rows": {kind: sum(_csv_rows(Path(f)) for f in fs) for kind, fs in files.items()}}
    marker.write_text(json.dumps(info, ensure_ascii=False, indent=1))
    info["reused"] = False
    return info


def _csv_rows(path: Path) -> int:
    import duckdb
    con = duckdb.connect()
    try:
        return con.execute("SELECT count(*) FROM read_csv($p, header = true, all_varchar = true)",
                           {"p": str(path)}).fetchone()[0]
    finally:
        con.close()


def _q(path) -> str:
    return str(path).replace("'", "''")


def duckdb_read_csv(files: list[str], scratch: Path) -> float:
    """DuckDB's own typed read of the same files into a new database file, checkpointed."""
    import duckdb
    scratch.unlink(missing_ok=True)
    con = duckdb.connect(str(scratch))
    try:
        header = con.execute("SELECT * FROM read_csv($p, header = true, all_varchar = true) LIMIT 0",
                             {"p": str(files[0])}).description
        # ids look numeric but are text; let DuckDB type the rest (times, amounts)
        types = {c[0]: "VARCHAR" for c in header
                 if "编号" in c[0] or c[0].endswith("_id") or "分县局" in c[0] or "单位" in c[0]}
        started = time.perf_counter()
        con.execute("CREATE TABLE t AS SELECT * FROM read_csv($p, header = true, types = $t)",
                    {"p": [str(f) for f in files], "t": types})
        con.execute("CHECKPOINT")
        return time.perf_counter() - started
    finally:
        con.close()
        scratch.unlink(missing_ok=True)
        Path(str(scratch) + ".wal").unlink(missing_ok=True)


def ingest(files: list[str], db: Path) -> dict:
    res = run_measured([*_python(), "-m", "antifraud", "ingest", *files, "--db", str(db)])
    if res["returncode"] not in (0, 1):
        raise RuntimeError(f"ingest failed ({res['returncode']}): {res['stderr'][-800:]}")
    return res


# ------------------------------------------------------------------ pages (child process)

def page_specs() -> list[tuple[str, str, Path]]:
    from antifraud.registry import agenda
    return [(p.url_path, p.title, p.path) for p in agenda()]


def serve_worker(db: str, week: str, warm_runs: int, cold_runs: int) -> dict:
    """Child: run every page once under AppTest to learn its query set, then replay it."""
    os.environ["ANTIFRAUD_DB"] = db
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    import queries
    queries.use_database(db)
    original = queries.run_uncached
    recorded: list[tuple[str, dict]] = []

    def recording(name, path=None, **params):
        recorded.append((name, params))
        return original(name, path, **params)

    queries.run_uncached = recording
    out = {"pages": []}
    for key, title, path in page_specs():
        st.cache_data.clear()
        queries.clear_memo()     # each page measured on its own: nothing kept from the page before
        queries._readers.clear()
        recorded.clear()
        at = AppTest.from_file(str(path), default_timeout=600)
        at.query_params["week"] = week
        started = time.perf_counter()
        at.run()
        page_seconds = time.perf_counter() - started
        errors = [str(e.message)[:300] for e in at.exception] + [str(e.value)[:200] for e in at.error]
        calls = list(recorded)

        def replay() -> tuple[float, dict]:
            per = {}
            total = 0.0
            for name, params in calls:
                t = time.perf_counter()
                original(name, Path(db), **params)
                elapsed = time.perf_counter() - t
                total += elapsed
                per[name] = per.get(name, 0.0) + elapsed
            return total, per

        cold, warm, per_query = [], [], {}
        for _ in range(cold_runs):
            queries._readers.clear()
            gc.collect()
            cold.append(replay()[0])
        replay()  # settle the warm reader
        for _ in range(warm_runs):
            total, per = replay()
            warm.append(total)
            for name, s in per.items():
                per_query.setdefault(name, []).append(s)
        out["pages"].append({
            "page": key, "title": title, "queries": len(calls), "distinct_queries": len({c[0] for c in calls}),
            "page_run_seconds": round(page_seconds, 3), "errors": errors,
            "calls": [[name, _jsonable(params)] for name, params in calls],
            "cold_median_ms": statistics.median(cold) * 1000 if cold else None,
            "cold_p95_ms": quantile(cold, 0.95) * 1000 if cold else None,
            "warm_median_ms": statistics.median(warm) * 1000 if warm else None,
            "warm_p95_ms": quantile(warm, 0.95) * 1000 if warm else None,
            "per_query_warm_median_ms": {n: round(statistics.median(v) * 1000, 2)
                                         for n, v in sorted(per_query.items(), key=lambda kv: -statistics.median(kv[1]))},
        })
    out["vm_hwm_mb"] = _vm_hwm_mb()
    return out


def _jsonable(params: dict) -> dict:
    """A query's parameters as JSON: dates as ISO strings, list-likes as lists."""
    def one(v):
        if isinstance(v, (dt.date, dt.datetime)):
            return v.isoformat()
        if isinstance(v, (set, frozenset)):
            return sorted(v)
        return list(v) if isinstance(v, tuple) else v
    return {k: one(v) for k, v in params.items()}


def _vm_hwm_mb() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def serve(db: Path, week: str, warm_runs: int, cold_runs: int) -> dict:
    res = run_measured([*_python(), "-m", "antifraud.bench", "serve", str(db), week, str(warm_runs),
                        str(cold_runs)], env={"ANTIFRAUD_DB": str(db)})
    if res["returncode"] != 0:
        raise RuntimeError(f"page worker failed: {res['stderr'][-1500:]}")
    out = json.loads(res["stdout"].strip().splitlines()[-1])
    out["peak_rss_mb"] = res["peak_rss_mb"]
    return out


def replay_worker(spec_path: str, warm_runs: int) -> dict:
    """Child: the recorded calls of every history's pages, replayed warm and interleaved —
    each round runs every page on every history in turn — so that what else the machine does
    meanwhile weighs on every history alike, and the 1- and 2-year figures compare."""
    import queries
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))    # [{"db":, "pages": {page: calls}}]
    plans = [(entry["db"], page, [(name, _from_json(params)) for name, params in calls])
             for page in spec[0]["pages"] for entry in spec if page in entry["pages"]
             for calls in [entry["pages"][page]]]

    def replay(db, calls) -> tuple[float, dict]:
        per, total = {}, 0.0
        for name, params in calls:
            t = time.perf_counter()
            queries.run_uncached(name, Path(db), **params)
            elapsed = time.perf_counter() - t
            total += elapsed
            per[name] = per.get(name, 0.0) + elapsed
        return total, per

    for db, _, calls in plans:      # settle each reader and page once
        replay(db, calls)
    warm = {(db, page): [] for db, page, _ in plans}
    per_query = {(db, page): {} for db, page, _ in plans}
    for _ in range(warm_runs):
        for db, page, calls in plans:
            gc.collect(0)
            total, per = replay(db, calls)
            warm[(db, page)].append(total)
            for name, seconds in per.items():
                per_query[(db, page)].setdefault(name, []).append(seconds)
    out = {}
    for (db, page), times in warm.items():
        out.setdefault(db, {})[page] = {
            "warm_median_ms": statistics.median(times) * 1000, "warm_p95_ms": quantile(times, 0.95) * 1000,
            "per_query_warm_median_ms": {n: round(statistics.median(v) * 1000, 2) for n, v in sorted(
                per_query[(db, page)].items(), key=lambda kv: -statistics.median(kv[1]))}}
    return out


def _from_json(params: dict) -> dict:
    """Recorded parameters back to what the page passed: ISO dates as dates."""
    import re

    def one(v):
        if isinstance(v, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", v):
            return dt.date.fromisoformat(v)
        return [one(x) for x in v] if isinstance(v, list) else v
    return {k: one(v) for k, v in params.items()}


def replay(histories: list[dict], out: Path, warm_runs: int, log) -> None:
    """Warm figures of every history's pages from one interleaved replay (replay_worker)."""
    spec = [{"db": h["db"], "pages": {p["page"]: p["calls"] for p in h["pages"]}} for h in histories]
    path = out / "replay.json"
    path.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    res = run_measured([*_python(), "-m", "antifraud.bench", "replay", str(path), str(warm_runs)])
    if res["returncode"] != 0:
        raise RuntimeError(f"replay worker failed: {res['stderr'][-1500:]}")
    found = json.loads(res["stdout"].strip().splitlines()[-1])
    for h in histories:
        h["loadavg_before_pages"] = h.get("loadavg_before_pages")
        for page in h["pages"]:
            page.update(found[h["db"]][page["page"]])
            if page.get("pandas_median_ms") and page["warm_median_ms"]:
                page["ratio"] = round(page["pandas_median_ms"] / page["warm_median_ms"], 1)
    log(f"[pages] warm replay of {len(histories)} histories interleaved, {warm_runs} rounds")


def pandas_baseline(db: Path, calls: dict[str, list], runs: int) -> dict:
    """The pages' recorded calls ({page: [[name, params], ...]}) replayed in plain pandas."""
    path = db.with_suffix(".calls.json")
    path.write_text(json.dumps(calls, ensure_ascii=False), encoding="utf-8")
    res = run_measured([*_python(), "-m", "antifraud.bench_pandas", str(db), str(path), str(runs)])
    if res["returncode"] != 0:
        raise RuntimeError(f"pandas worker failed: {res['stderr'][-1500:]}")
    out = json.loads(res["stdout"].strip().splitlines()[-1])
    out["peak_rss_mb"] = res["peak_rss_mb"]
    return out


# ------------------------------------------------------------------ one history

def ingest_history(out: Path, tag: str, data: dict, db: Path, chunk_rows: int, log) -> dict:
    for leftover in db.parent.glob(f"*{db.name}*"):
        leftover.unlink()
    result = {"years": data["args"]["years"], "scale": data["args"]["scale"], "rows": data["rows"],
              "generate_seconds": data.get("generate_seconds"), "ingest": []}
    for kind, _ in KINDS:
        files = data["files"][kind]
        if not files:
            continue
        rows = data["rows"][kind]
        parts = [files]
        if chunk_rows and rows > chunk_rows:
            parts = [[f] for f in split_by_month(files, chunk_rows, Path(files[0]).parent / "parts")]
        seconds, peak, codes = 0.0, 0.0, []
        for part in parts:
            res = ingest(part, db)
            seconds += res["seconds"]
            peak = max(peak, res["peak_rss_mb"])
            codes.append(res["returncode"])
        limit = duckdb_read_csv(files, out / "db" / f"readcsv-{tag}.duckdb")
        row = {"kind": kind, "rows": rows, "mb": round(sum(Path(f).stat().st_size for f in files) / 2**20, 1),
               "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds),
               "peak_rss_mb": round(peak), "read_csv_seconds": round(limit, 2),
               "ratio": round(seconds / limit, 2) if limit else None, "parts": len(parts),
               "exit": max(codes)}
        result["ingest"].append(row)
        log(f"[{tag}] ingest {kind}: {row['seconds']} s ({row['rows_per_s']:,} rows/s) in {len(parts)} call(s), "
            f"read_csv {row['read_csv_seconds']} s, ×{row['ratio']}, peak {row['peak_rss_mb']} MB")
    result["db_mb"] = round(db.stat().st_size / 2**20, 1)
    return result


def split_by_month(files: list[str], chunk_rows: int, folder: Path) -> list[str]:
    """Consecutive calendar months of one extract, grouped into files of at most ~chunk_rows
    rows, the way a centre that back-loads its history would send them."""
    import duckdb
    folder.mkdir(parents=True, exist_ok=True)
    stem = Path(files[0]).stem
    done = folder / f".{stem}.{chunk_rows}.json"
    if done.exists():
        return json.loads(done.read_text())
    con = duckdb.connect()
    try:
        con.register("src_csv", con.read_csv([str(f) for f in files], header=True, all_varchar=True))
        cols = [c[0] for c in con.execute("SELECT * FROM src_csv LIMIT 0").description]
        when = next(c for c in cols if "时间" in c or "日期" in c).replace('"', '""')
        con.execute(f"CREATE TABLE src AS SELECT *, strftime(CAST(\"{when}\" AS TIMESTAMP), '%Y-%m') AS _month "
                    "FROM src_csv")
        counts = con.execute("SELECT _month, count(*) FROM src GROUP BY 1 ORDER BY 1").fetchall()
        groups, current, size = [], [], 0
        for m, n in counts:
            if current and size + n > chunk_rows:
                groups.append(current)
                current, size = [], 0
            current.append(m)
            size += n
        if current:
            groups.append(current)
        out = []
        for i, months in enumerate(groups, 1):
            target = folder / f"{stem}_part{i:02d}.csv"
            con.execute(f"COPY (SELECT * EXCLUDE (_month) FROM src WHERE _month IN (SELECT unnest($m))) "
                        f"TO '{_q(target)}' (HEADER, FORCE_QUOTE *)", {"m": months})
            out.append(str(target))
    finally:
        con.close()
    done.write_text(json.dumps(out))
    return out


def bench_history(out: Path, scale: float, years: float, repeat: int, log, reuse_db: bool = False,
                  chunk_rows: int = 0) -> dict:
    tag = f"s{scale:g}-y{years:g}"
    data = generate(out / "data" / tag, scale, years, HISTORY_END, SEED)
    log(f"[{tag}] data {'reused' if data['reused'] else 'generated'}: "
        + ", ".join(f"{k} {n:,}" for k, n in data["rows"].items()))
    db = out / "db" / f"{tag}.duckdb"
    db.parent.mkdir(parents=True, exist_ok=True)
    done = db.with_suffix(".ingest.json")
    if reuse_db and db.exists() and done.exists():
        result = json.loads(done.read_text(encoding="utf-8"))
        log(f"[{tag}] database reused (ingest figures from {done.name})")
    else:
        result = ingest_history(out, tag, data, db, chunk_rows, log)
        done.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    result["db_mb"] = round(db.stat().st_size / 2**20, 1)
    week = HISTORY_END
    cold_runs = max(3, repeat // 4)
    result["loadavg_before_pages"] = [round(x, 1) for x in os.getloadavg()]
    # warm figures come later, from one replay that interleaves every history (replay)
    served = serve(db, week, 0, cold_runs)
    # the worker's own high-water mark; the wrapper's figure can include pre-exec pages
    result["serve_peak_rss_mb"] = round(served.get("vm_hwm_mb") or served["peak_rss_mb"])
    log(f"[{tag}] pages measured ({len(served['pages'])}), serving peak {result['serve_peak_rss_mb']} MB")
    baseline = pandas_baseline(db, {p["page"]: p["calls"] for p in served["pages"]}, max(3, min(repeat, 5)))
    result["pandas_load_seconds"] = round(baseline["load_seconds"], 1)
    result["pandas_peak_rss_mb"] = round(baseline["peak_rss_mb"])
    result["pandas_frames_mb"] = round(baseline.get("frames_mb", 0))
    log(f"[{tag}] pandas baseline: load {result['pandas_load_seconds']} s, peak {result['pandas_peak_rss_mb']} MB")
    pages = []
    for page in served["pages"]:
        pd_page = baseline["pages"].get(page["page"])
        page = dict(page)
        if pd_page:
            page["pandas_median_ms"] = pd_page["median_ms"]
            page["pandas_p95_ms"] = pd_page["p95_ms"]
            page["pandas_per_query_median_ms"] = pd_page["per_query_median_ms"]
            page["ratio"] = round(pd_page["median_ms"] / page["warm_median_ms"], 1) if page["warm_median_ms"] else None
        pages.append(page)
    result["pages"] = pages
    result["db"] = str(db)
    return result


def incremental(out: Path, db: Path, scale: float, log) -> dict:
    """One more week into the database that already holds the history.

    The generator needs a few weeks to plant its stories, so it writes a quarter ending
    with the extra week and only that week's rows are kept (ids carry the date, so they
    are new to the database).
    """
    folder = out / "data" / f"s{scale:g}-extra-{EXTRA_WEEK}"
    data = generate(folder, scale, 0.25, EXTRA_WEEK, SEED + 1)
    week = periods.parse(EXTRA_WEEK)
    files, rows = [], {}
    for kind, _ in KINDS:
        for f in data["files"][kind]:
            target = folder / "week" / Path(f).name
            rows[kind] = rows.get(kind, 0) + slice_week(Path(f), target, week.start, week.end_exclusive)
            files.append(str(target))
    # into a copy, so the history database stays as it was measured and can be reused
    plus = db.with_name(f"{db.stem}-plus-{EXTRA_WEEK}.duckdb")
    for leftover in plus.parent.glob(f"*{plus.name}*"):
        leftover.unlink()
    shutil.copyfile(db, plus)
    db = plus
    size_before = db.stat().st_size
    res = ingest(files, db)
    info = {"week": EXTRA_WEEK, "rows": rows, "seconds": round(res["seconds"], 2),
            "peak_rss_mb": round(res["peak_rss_mb"]),
            "db_mb_before": round(size_before / 2**20, 1), "db_mb_after": round(db.stat().st_size / 2**20, 1),
            "exit": res["returncode"], "summary": res["stderr"].strip().splitlines()[-3:]}
    log(f"[incremental] {EXTRA_WEEK}: {info['seconds']} s into a {info['db_mb_before']} MB database")
    return info


def slice_week(source: Path, target: Path, start: dt.date, end: dt.date) -> int:
    """Copy the rows of one week (by the extract's first time column) to a new csv."""
    import duckdb
    target.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        con.register("src_csv", con.read_csv(str(source), header=True, all_varchar=True))
        cols = [c[0] for c in con.execute("SELECT * FROM src_csv LIMIT 0").description]
        when = next(c for c in cols if "时间" in c or "日期" in c).replace('"', '""')
        con.execute(f"COPY (SELECT * FROM src_csv WHERE CAST(\"{when}\" AS TIMESTAMP) >= $s "
                    f"AND CAST(\"{when}\" AS TIMESTAMP) < $e) TO '{_q(target)}' (HEADER, FORCE_QUOTE *)",
                    {"s": start, "e": end})
        return con.execute("SELECT count(*) FROM read_csv($p, header = true, all_varchar = true)",
                           {"p": str(target)}).fetchone()[0]
    finally:
        con.close()


def export_parquet(out: Path, db: Path, log) -> dict:
    target = out / "parquet"
    res = run_measured([*_python(), "-m", "antifraud", "export-parquet", str(target), "--db", str(db)])
    if res["returncode"] != 0:
        return {"error": res["stderr"][-300:]}
    size = sum(p.stat().st_size for p in target.rglob("*.parquet"))
    files = sum(1 for _ in target.rglob("*.parquet"))
    info = {"seconds": round(res["seconds"], 1), "mb": round(size / 2**20, 1), "files": files,
            "peak_rss_mb": round(res["peak_rss_mb"])}
    log(f"[export-parquet] {info['seconds']} s, {info['mb']} MB in {files} files")
    return info


# ------------------------------------------------------------------ report

TARGETS = {"warm_p95_ms": 100, "flat_ratio": 1.2, "pandas_ratio": 20, "ingest_ratio": 3, "serve_mb": 1536}


def verdicts(result: dict) -> dict:
    """Issue 16's targets, judged on the largest history (and, for flatness, against the smallest)."""
    top = max(result["histories"], key=lambda h: (h["rows"].get("warnings", 0), h["years"]))
    low = min(result["histories"], key=lambda h: (h["years"], h["rows"].get("warnings", 0)))
    pages = top["pages"]
    before = {p["page"]: p["warm_p95_ms"] for p in low["pages"]}
    return {
        "history": f"{top['years']:g} years",
        "warm_p95_le_100ms": all((p["warm_p95_ms"] or 0) <= TARGETS["warm_p95_ms"] for p in pages),
        "flat_within_20pct": low is top or all(
            (p["warm_p95_ms"] or 0) <= TARGETS["flat_ratio"] * (before.get(p["page"]) or 0) for p in pages),
        "pandas_20x": all((p.get("ratio") or 0) >= TARGETS["pandas_ratio"] for p in pages),
        "ingest_within_3x": all((i["ratio"] or 99) <= TARGETS["ingest_ratio"] for i in top["ingest"]
                                if i["kind"] != "strikes"),
        "serve_under_1_5GB": top["serve_peak_rss_mb"] < TARGETS["serve_mb"],
    }


def table(result: dict) -> str:
    lines = []
    m = result["machine"]
    lines.append(f"机器: {m['nproc']} 核 {m['cpu']}; 内存 {m['free_h']}; DuckDB {m['duckdb']}, "
                 f"pandas {m['pandas']}, Python {m['python']}")
    lines.append(f"规模 --scale {result['scale']:g}, 重复 {result['repeat']} 次 (热，各历史交替), 冷 {max(3, result['repeat'] // 4)} 次"
                 + (f"; 热测前负载 {result['loadavg_before_replay']}" if result.get("loadavg_before_replay") else ""))
    for h in result["histories"]:
        lines.append("")
        lines.append(f"## 历史 {h['years']:g} 年: " + ", ".join(f"{k} {n:,}" for k, n in h["rows"].items())
                     + f"; 数据库 {h['db_mb']} MB")
        lines.append("| 导入 | 行数 | 秒 | 行/秒 | DuckDB read_csv 秒 | 倍数 | 峰值内存 MB |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|")
        for i in h["ingest"]:
            lines.append(f"| {i['kind']} | {i['rows']:,} | {i['seconds']} | {i['rows_per_s']:,} | "
                         f"{i['read_csv_seconds']} | {i['ratio']}× | {i['peak_rss_mb']} |")
        lines.append("")
        lines.append("| 页面 | 查询数 | 冷 中位 ms | 冷 p95 ms | 热 中位 ms | 热 p95 ms | pandas 中位 ms | pandas/热 |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        for p in h["pages"]:
            err = " ⚠" if p["errors"] else ""
            lines.append(f"| {p['title']}{err} | {p['queries']} | {_ms(p['cold_median_ms'])} | {_ms(p['cold_p95_ms'])} | "
                         f"{_ms(p['warm_median_ms'])} | {_ms(p['warm_p95_ms'])} | {_ms(p.get('pandas_median_ms'))} | "
                         f"{p.get('ratio') if p.get('ratio') is not None else '—'}× |")
        lines.append(f"服务进程峰值内存 {h['serve_peak_rss_mb']} MB; pandas 载入 {h['pandas_load_seconds']} s, "
                     f"峰值 {h['pandas_peak_rss_mb']} MB; 测页面前负载 {h.get('loadavg_before_pages')}")
    if len(result["histories"]) > 1:
        lines.append("")
        hs = result["histories"]
        lines.append("| 页面 (热 p95 ms) | " + " | ".join(f"{h['years']:g} 年" for h in hs) + " |")
        lines.append("|---|" + "---:|" * len(hs))
        for idx, p in enumerate(hs[0]["pages"]):
            cells = []
            for h in hs:
                same = [q for q in h["pages"] if q["page"] == p["page"]]
                cells.append(_ms(same[0]["warm_p95_ms"]) if same else "—")
            lines.append(f"| {p['title']} | " + " | ".join(cells) + " |")
    if result.get("incremental"):
        inc = result["incremental"]
        lines.append("")
        lines.append(f"增量导入一周 ({EXTRA_WEEK}: " + ", ".join(f"{k} {n:,}" for k, n in inc["rows"].items())
                     + f") 到 {inc['db_mb_before']} MB 的库: {inc['seconds']} s, 峰值 {inc['peak_rss_mb']} MB")
    if result.get("export_parquet") and "seconds" in result["export_parquet"]:
        e = result["export_parquet"]
        lines.append(f"export-parquet: {e['seconds']} s, {e['mb']} MB, {e['files']} 个文件")
    if result.get("verdicts"):
        lines.append("")
        lines.append("目标: " + ", ".join(f"{k}={'达成' if v is True else ('未达成' if v is False else v)}"
                                          for k, v in result["verdicts"].items()))
    return "\n".join(lines)


def _ms(v) -> str:
    if v is None:
        return "—"
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"


def main(args) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    result = {"started_at": clock.stamp().isoformat(), "scale": args.scale,
              "repeat": args.repeat, "history_end": HISTORY_END, "machine": machine(), "histories": []}
    for years in sorted(set(args.years)):
        result["histories"].append(bench_history(out, args.scale, years, args.repeat, log,
                                                   reuse_db=getattr(args, "reuse_db", False),
                                                   chunk_rows=getattr(args, "chunk_rows", 0)))
        (out / "bench.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    result["loadavg_before_replay"] = [round(x, 1) for x in os.getloadavg()]
    replay(result["histories"], out, args.repeat, log)
    (out / "bench.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    longest = Path(max(result["histories"], key=lambda h: h["years"])["db"])
    result["export_parquet"] = export_parquet(out, longest, log)
    result["incremental"] = incremental(out, longest, args.scale, log)
    result["finished_at"] = clock.stamp().isoformat()
    result["verdicts"] = verdicts(result)
    (out / "bench.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(table(result))
    log(f"结果已写入 {out / 'bench.json'}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "hwm":
        _hwm_wrapper(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) == 3 and sys.argv[1] == "table":
        print(table(json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))))
    elif len(sys.argv) == 4 and sys.argv[1] == "replay":
        print(json.dumps(replay_worker(sys.argv[2], int(sys.argv[3])), ensure_ascii=False))
    elif len(sys.argv) >= 2 and sys.argv[1] == "serve":
        db, week, warm, cold = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
        print(json.dumps(serve_worker(db, week, warm, cold), ensure_ascii=False))
    else:
        raise SystemExit("usage: python -m antifraud.bench serve DB WEEK WARM COLD | replay SPEC.json WARM | "
                         "table BENCH.json | hwm MODULE ARGS...")
