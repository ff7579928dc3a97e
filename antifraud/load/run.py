"""`python -m antifraud bench --load 1,10,30,60`: N viewers at once against a real server.

For each N (a step), N Locust viewers (locustfile.Viewer, in a child process: swarm.py)
open links to the agenda pages with URL filters and walk the agenda, all starting at once,
for `--duration` seconds. Reported per N, from the viewers' side and the server's:
- page run p50/p95/max: rerun request → script_finished (what Streamlit spends on a view,
  plus a loopback hop), over every view of the step, first loads and in-app switches alike;
  and the steady-state p95: the views begun after every viewer had its first page (the N
  first pages, asked in the same second, queue behind each other);
- views per second: views finished ÷ the step's wall time;
- server CPU seconds per view and the CPU share of the machine's cores: psutil on every
  server process tree (Streamlit replicas, nginx), sampled every 0.25 s;
- peak resident memory of the servers (the sum over replicas, sampled) — plus each replica's
  own high-water mark (VmHWM) at the end.
With `--replicas 2` (or more) the viewers go through nginx (nginx.py) to that many
Streamlit processes reading the same database file; sessions and views are counted per replica
from nginx's access log. `--replicas 1,2` runs every step on one process, then on two.

Before the steps one viewer per replica and link opens "/" and walks every page once: the
figures are for a warm server, as on a Monday morning after the first look at each link (the
first view of a link computes what its pages derive; the warm-up reports what that took).
Opening "/" first also takes a
fresh server out of the auto-discovery mode of DESIGN.md's `pages/` trap; in that mode the
first in-app switch of a session that opened a page URL loses the week and the district (seen
in Chromium too), which would measure other pages than the viewers asked for.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

from antifraud import bench, clock, periods
from antifraud.load import servers

DEFAULT_STEPS = (1, 10, 30, 60)
SATURATED = 0.8         # a step below this share of the idle-server rate: viewers queue


# ------------------------------------------------------------------ the database and its links

def bench_database(out: Path, scale: float, years: float, log) -> Path:
    """The page bench's database for this scale and history (bench-out/db/s<scale>-y<years>.duckdb),
    generated and ingested the bench's way when it is not there yet."""
    tag = f"s{scale:g}-y{years:g}"
    db = out / "db" / f"{tag}.duckdb"
    done = db.with_suffix(".ingest.json")
    if db.exists() and done.exists():
        return db
    db.parent.mkdir(parents=True, exist_ok=True)
    data = bench.generate(out / "data" / tag, scale, years, bench.HISTORY_END, bench.SEED)
    log(f"[load] building {db} (" + ", ".join(f"{k} {n:,}" for k, n in data["rows"].items()) + ")")
    result = bench.ingest_history(out, tag, data, db, 2_000_000, log)
    done.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return db


def agenda() -> list[tuple[str, str, str]]:
    """(name, url path, title) of every agenda page; the default page's path is ""."""
    from antifraud import warm
    return warm.agenda()


def links(db: Path, week: str | None = None, districts: int = 3) -> tuple[str, list[str]]:
    """The week shown and the URL filters viewers open: the city, a few districts, the week
    before, a fraud type, and the month — the links a centre sends round."""
    import queries
    status = queries.run_uncached("data_status", db)
    units = queries.run_uncached("units", db)
    if week is None:
        as_of = status["data_as_of"].iloc[0] if len(status) else None
        # the last week that has ended in the data: the week of the day after the last event, minus one
        day = clock.today() if as_of is None or as_of != as_of else (as_of + dt.timedelta(days=1)).date()
        week = periods.week_of(day).prev().key
    period = periods.parse(week)
    names = [str(d) for d in units["district_name"].tolist()][:districts]
    month = periods.month_of(period.start).key
    qs = [urllib.parse.urlencode(p) for p in (
        {"week": week}, *({"week": week, "district": d} for d in names), {"week": period.prev().key},
        {"week": week, "type": "刷单返利"}, {"month": month})]
    return week, qs


# ------------------------------------------------------------------ servers

class Front:
    """The Streamlit replicas, nginx in front when there is more than one, and the sampler."""

    def __init__(self, db: Path, replicas: int, workdir: Path, env: dict | None = None):
        self.workdir = workdir
        self.replicas: list[servers.Server] = []
        self.proxy: servers.Server | None = None
        try:
            for i in range(replicas):
                self.replicas.append(servers.start_streamlit(db, workdir / f"replica{i + 1}", env=env,
                                                             name=f"replica{i + 1}"))
            if replicas > 1:
                self.proxy = servers.start_nginx([r.url.removeprefix("http://") for r in self.replicas],
                                                 workdir / "nginx")
        except Exception:
            self.stop()
            raise
        self.url = (self.proxy or self.replicas[0]).url
        watched = {r.name: r.process.pid for r in self.replicas}
        if self.proxy:
            watched["nginx"] = self.proxy.process.pid
        self.sampler = servers.Sampler(watched).start()

    def upstream_names(self) -> dict:
        return {r.url.removeprefix("http://"): r.name for r in self.replicas}

    def routes(self) -> dict:
        """nginx's routing cookie -> replica name, from its access log."""
        if not self.proxy:
            return {}
        names = self.upstream_names()
        return {row["route"]: names.get(row["upstream"], row["upstream"])
                for row in servers.access_log(self.workdir / "nginx") if row["route"] and row["upstream"]}

    def stop(self) -> None:
        sampler = getattr(self, "sampler", None)
        if sampler:
            sampler.stop()
        for server in [self.proxy, *self.replicas]:
            if server:
                server.stop()


def warm_up(front: Front, pages: list, link_list: list[str], timeout: float, log) -> list[dict]:
    """Every page of every link once on every replica, straight to it (not through nginx) —
    the first look at each link after an import, which computes what the pages derive for it
    (figures kept per database stamp): `python -m antifraud warm`'s views (antifraud/warm)."""
    from antifraud import warm
    out = [{"replica": r.pop("server"), **r} for r in
           warm.view([(replica.name, replica.url) for replica in front.replicas], pages, link_list, timeout)]
    first = [w for w in out if w["link"] == link_list[0]]
    log("[load] warm-up (first link): " + ", ".join(f"{w['replica']} {w['page']} {w['seconds']:.2f} s" for w in first)
        + f"; {len(out)} views over {len(link_list)} links, {sum(w['seconds'] for w in out):.1f} s in all")
    bad = [w for w in out if not w["ok"]]
    if bad:
        raise RuntimeError(f"a page fails before any load: {bad}")
    return out


# ------------------------------------------------------------------ one step

class Swarm:
    """The Locust child of one step, which a caller can follow (`views()`) and end early (`stop()`)."""

    def __init__(self, front: Front, users: int, pages: list, link_list: list[str], duration: float,
                 think: float, views_per_session: int, timeout: float, seed: int):
        folder = front.workdir / "swarm"
        folder.mkdir(parents=True, exist_ok=True)
        stamp = f"{users}-{time.time_ns()}"
        self.config_path, self.out_path = folder / f"config-{stamp}.json", folder / f"result-{stamp}.json"
        self.events_path, self.stop_path = folder / f"views-{stamp}.jsonl", folder / f"stop-{stamp}"
        self.log_path = folder / f"swarm-{stamp}.log"
        self.config_path.write_text(json.dumps({
            "host": front.url, "pages": [[name, path] for name, path, _ in pages], "links": link_list,
            "think": think, "views_per_session": views_per_session, "timeout": timeout, "users": users,
            "duration": duration, "seed": seed, "events_path": str(self.events_path),
            "stop_path": str(self.stop_path)}, ensure_ascii=False), encoding="utf-8")
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "antifraud.load.swarm", str(self.config_path), str(self.out_path)],
                cwd=bench.ROOT, stdout=log, stderr=subprocess.STDOUT)

    def views(self) -> list[dict]:
        """The views finished so far."""
        if not self.events_path.exists():
            return []
        lines = self.events_path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.endswith("}")]

    def stop(self) -> None:
        self.stop_path.touch()

    def finish(self, timeout: float) -> dict:
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise RuntimeError("the load generator did not stop")
        if code != 0 or not self.out_path.exists():
            tail = self.log_path.read_text(errors="replace")[-2000:] if self.log_path.exists() else ""
            raise RuntimeError(f"the load generator failed ({code}):\n{tail}")
        return json.loads(self.out_path.read_text(encoding="utf-8"))


def step(front: Front, users: int, pages: list, link_list: list[str], *, duration: float, think: float,
         views_per_session: int, timeout: float, seed: int = bench.SEED, meanwhile=None) -> dict:
    """N viewers for `duration` seconds. `meanwhile(swarm)` (if given) runs while they do — an
    import, say — and may end the step early with `swarm.stop()`."""
    swarm = Swarm(front, users, pages, link_list, duration, think, views_per_session, timeout, seed)
    try:
        extra = meanwhile(swarm) if meanwhile else None
    except BaseException:
        swarm.stop()
        swarm.finish(timeout + 120)
        raise
    raw = swarm.finish(duration + timeout + 120)
    row = summarize(front, raw)
    if extra is not None:
        row["meanwhile"] = extra
    return row


def summarize(front: Front, raw: dict) -> dict:
    views = [v for v in raw["views"] if v["kind"] in ("load", "switch", "lost")]
    good = [v for v in views if v["ok"]]
    seconds = [v["ms"] / 1000 for v in good]
    first = min((v["started_at"] for v in views), default=raw["started_at"])
    last = max((v["started_at"] + v["ms"] / 1000 for v in views), default=raw["ended_at"])
    window = front.sampler.window(first, last)
    wall = max(1e-9, last - first)
    cpu = sum(w["cpu_seconds"] for k, w in window.items() if not k.startswith("_"))
    rss = sum(w["peak_rss_mb"] for k, w in window.items() if not k.startswith("_") and k != "nginx")
    routes = front.routes()
    per_replica: dict = {}
    for s in raw["sessions"]:
        name = routes.get(s.get("route"), front.replicas[0].name if not front.proxy else "?")
        per_replica.setdefault(name, {"sessions": 0, "views": 0})
        per_replica[name]["sessions"] += 1
        per_replica[name]["views"] += s["views"]
    loads = [v["ms"] / 1000 for v in good if v["kind"] == "load"]
    opened = opening_burst_end(views)
    steady = [v["ms"] / 1000 for v in good if opened is not None and v["started_at"] > opened]
    cores = os.cpu_count() or 1
    return {
        "users": raw["users"], "views": len(good), "failed": len(views) - len(good),
        "errors": sorted({v["error"] for v in views if not v["ok"]})[:10],
        "sessions": len(raw["sessions"]),
        "sessions_lost": sum(1 for s in raw["sessions"] if s["errors"] or not s["closed"]),
        "wall_seconds": round(wall, 2), "views_per_second": round(len(good) / wall, 2),
        "p50_s": _q(seconds, 0.5), "p95_s": _q(seconds, 0.95), "max_s": round(max(seconds), 3) if seconds else None,
        "load_p95_s": _q(loads, 0.95),
        "steady_p95_s": _q(steady, 0.95), "steady_views": len(steady),
        "server_cpu_seconds": round(cpu, 2),
        "cpu_seconds_per_view": round(cpu / len(good), 3) if good else None,
        "cpu_share": round(cpu / wall / cores, 3),
        "peak_rss_mb": round(rss),
        "per_process": {k: {"cpu_seconds": round(v["cpu_seconds"], 2), "peak_rss_mb": round(v["peak_rss_mb"])}
                        for k, v in window.items() if not k.startswith("_")},
        "per_replica": per_replica,
        "generator_cpu_seconds": raw["generator_cpu_seconds"],
        "viewers_killed": raw.get("viewers_killed", 0),
        "locust": raw["locust"],
        "views_detail": raw["views"], "sessions_detail": raw["sessions"],
    }


def opening_burst_end(views: list[dict]) -> float | None:
    """When every viewer of the step had its first page: all N open their link in the same
    second, so the first views queue behind each other; the views begun after this moment are
    the steady state (`steady_p95_s`)."""
    first: dict = {}
    for v in views:
        if v["kind"] in ("load", "switch", "lost") and v.get("viewer") is not None:
            end = v["started_at"] + v["ms"] / 1000
            first[v["viewer"]] = min(first.get(v["viewer"], end), end)
    return max(first.values()) if first else None


def _q(values: list[float], q: float) -> float | None:
    return round(bench.quantile(values, q), 3) if values else None


# ------------------------------------------------------------------ report

def efficiencies(rows: list[dict], think: float) -> list[float | None]:
    """Views/s of each step against what N viewers would get from an idle server: N ÷ (mean
    reading time + the page run of the smallest step). Near 100 %: the server keeps up;
    falling: viewers queue for it."""
    if not rows or not rows[0]["p50_s"]:
        return [None] * len(rows)
    alone = min(rows, key=lambda r: r["users"])["p50_s"]
    return [round(r["views_per_second"] / (r["users"] / (think + alone)), 2) for r in rows]


def saturation(rows: list[dict], think: float, replicas: int = 1) -> str:
    """Where adding viewers stops adding throughput: the first step below SATURATED of the
    idle-server rate, with the cores' share the servers used there."""
    if not rows:
        return ""
    best = max(rows, key=lambda r: r["views_per_second"])
    cores = os.cpu_count() or 1
    for row, eff in zip(rows, efficiencies(rows, think)):
        if eff is not None and eff < SATURATED:
            one = "（一个 Streamlit 进程最多用满约 1 核）" if replicas == 1 and cores > 1 else ""
            return (f"饱和：N={row['users']} 时每秒页面 {row['views_per_second']}，只有空闲服务器可给的 {eff:.0%}，"
                    f"页面运行 p95 {_s(row['p95_s'])} s；服务端占用 {row['cpu_share']:.0%} 的 {cores} 核{one}；"
                    f"最高 {best['views_per_second']} 页/秒")
    top = rows[-1]
    return (f"到 N={top['users']} 仍未饱和：{top['views_per_second']} 页/秒，服务端占用 "
            f"{top['cpu_share']:.0%} 的 {cores} 核")


def table(result: dict) -> str:
    lines = [f"负载：{result['replicas']} 个 Streamlit 进程" + (" + nginx" if result["replicas"] > 1 else "")
             + f"，数据库 {result['db_name']}（{result['db_mb']} MB），会商周 {result['week']}；"
             f"每位观看者 {result['views_per_session']} 页换一个链接，阅读 {result['think']:g} s（±50%），"
             f"每档 {result['duration']:g} s；{result['machine']['nproc']} 核 {result['machine']['cpu']}"
             + (f"；测前负载 {result['loadavg_before']}" if result.get("loadavg_before") else ""),
             "",
             "| 同时观看 N | 页面 | 页/秒 | 占空闲可得 | 运行 p50 s | 运行 p95 s | 稳态 p95 s | 最慢 s | 首次载入 p95 s | "
             "失败 | 服务端 CPU 秒/页 | CPU 占用 | 峰值内存 MB |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r, eff in zip(result["steps"], efficiencies(result["steps"], result["think"])):
        lines.append(f"| {r['users']} | {r['views']} | {r['views_per_second']} | {'—' if eff is None else f'{eff:.0%}'} | "
                     f"{_s(r['p50_s'])} | {_s(r['p95_s'])} | {_s(r.get('steady_p95_s'))} | "
                     f"{_s(r['max_s'])} | {_s(r['load_p95_s'])} | {r['failed']} | {_s(r['cpu_seconds_per_view'])} | "
                     f"{r['cpu_share']:.0%} | {r['peak_rss_mb']} |")
    if result["replicas"] > 1:
        lines.append("")
        lines.append("| N | " + " | ".join(f"{name} 会话/页面" for name in result["replica_names"]) + " |")
        lines.append("|---:|" + "---:|" * len(result["replica_names"]))
        for r in result["steps"]:
            cells = [f"{r['per_replica'].get(n, {}).get('sessions', 0)}/{r['per_replica'].get(n, {}).get('views', 0)}"
                     for n in result["replica_names"]]
            lines.append(f"| {r['users']} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("占空闲可得：每秒页面 ÷ N/(阅读秒数 + 最小一档的运行中位数)，即服务器不排队时 N 人能看的页数")
    lines.append("稳态 p95：每位观看者的第一页都已到达之后开始的页面（N 人在同一秒打开链接，第一页彼此排队）")
    lines.append(result["saturation"])
    hwm = ", ".join(f"{k} {v:.0f} MB" for k, v in result["replica_hwm_mb"].items() if v)
    lines.append(f"各进程自身峰值内存 (VmHWM)：{hwm}")
    return "\n".join(lines)


def _s(v) -> str:
    return "—" if v is None else (f"{v:.2f}" if v < 10 else f"{v:.1f}")


def measure(db: Path, replicas: int, steps: list[int], workdir: Path, args, log) -> dict:
    """Every step against `replicas` Streamlit processes (nginx in front when more than one)."""
    pages = agenda()
    week, link_list = links(db, args.week)
    workdir.mkdir(parents=True, exist_ok=True)
    log(f"[load] {db} ({db.stat().st_size / 2**20:.1f} MB), week {week}, steps {steps}, {replicas} replica(s)")
    front = Front(db, replicas, workdir)
    result = {"started_at": clock.stamp().isoformat(), "machine": bench.machine(), "db": str(db),
              "db_name": db.name, "db_mb": round(db.stat().st_size / 2**20, 1), "week": week,
              "links": link_list, "replicas": replicas, "replica_names": [r.name for r in front.replicas],
              "duration": args.duration, "think": args.think, "views_per_session": args.views_per_session,
              "loadavg_before": [round(x, 1) for x in os.getloadavg()], "steps": []}
    try:
        result["warm_up"] = warm_up(front, pages, link_list, args.timeout, log)
        for users in steps:
            row = step(front, users, pages, link_list, duration=args.duration, think=args.think,
                       views_per_session=args.views_per_session, timeout=args.timeout)
            result["steps"].append(row)
            log(f"[load] N={users}: {row['views']} views, {row['views_per_second']}/s, p95 {row['p95_s']} s, "
                f"cpu/view {row['cpu_seconds_per_view']} s, {row['cpu_share']:.0%} of cores, "
                f"peak {row['peak_rss_mb']} MB, failed {row['failed']}")
        result["replica_hwm_mb"] = {r.name: servers.vm_hwm_mb(r.process.pid) for r in front.replicas}
    finally:
        front.stop()
    result["saturation"] = saturation(result["steps"], args.think, replicas)
    result["finished_at"] = clock.stamp().isoformat()
    (workdir / "views.json").write_text(json.dumps(
        [{"users": r["users"], "views": r["views_detail"], "sessions": r["sessions_detail"]} for r in result["steps"]],
        ensure_ascii=False), encoding="utf-8")
    result["steps"] = [{k: v for k, v in r.items() if not k.endswith("_detail")} for r in result["steps"]]
    return result


def tables(runs: list[dict]) -> str:
    """Each run's table; with several replica counts, a line comparing them at every N."""
    out = [table(r) for r in runs]
    if len(runs) > 1:
        lines = ["| N | " + " | ".join(f"{r['replicas']} 个进程：页/秒，p95 s" for r in runs) + " |",
                 "|---:|" + "---:|" * len(runs)]
        for n in sorted({s["users"] for r in runs for s in r["steps"]}):
            cells = []
            for r in runs:
                row = next((s for s in r["steps"] if s["users"] == n), None)
                cells.append(f"{row['views_per_second']}，{_s(row['p95_s'])}" if row else "—")
            lines.append(f"| {n} | " + " | ".join(cells) + " |")
        out.append("\n".join(lines))
    return "\n\n".join(out)


def main(args) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    steps = [int(x) for x in str(args.load).split(",") if x.strip()] or list(DEFAULT_STEPS)
    counts = [int(x) for x in str(args.replicas).split(",") if x.strip()] or [1]
    db = Path(args.db) if args.db else bench_database(out, args.scale, max(args.years), log)
    runs = []
    for replicas in counts:
        runs.append(measure(db, replicas, steps, out / "load-run" / f"replicas-{replicas}", args, log))
        (out / "load.json").write_text(json.dumps({"runs": runs}, ensure_ascii=False, indent=1), encoding="utf-8")
    print(tables(runs))
    log(f"结果已写入 {out / 'load.json'}")
    return 0


if __name__ == "__main__":
    # `python -m antifraud.load.run table LOAD.json`: the tables of an earlier run
    if len(sys.argv) == 3 and sys.argv[1] == "table":
        saved = json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))
        saved_runs = saved.get("runs", [saved])
        for r in saved_runs:
            r["saturation"] = saturation(r["steps"], r["think"], r["replicas"])
        print(tables(saved_runs))
    else:
        raise SystemExit("usage: python -m antifraud.load.run table LOAD.json")
