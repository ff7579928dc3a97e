"""Child process: N Locust viewers (locustfile.Viewer) against one address for a while.

`python -m antifraud.load.swarm CONFIG.json OUT.json`. Locust is used as a library in a
process of its own because it monkey-patches the standard library with gevent on import;
the orchestrator (run.py), which samples the servers and starts nginx, stays unpatched.

All N viewers start at once (Monday morning: the meeting opens, supervisors open their
links). After `duration` seconds — or earlier, when the file `stop_path` appears — the runner
stops them; a viewer in the middle of a view finishes it first (Locust's stop_timeout), so no
view is cut off and every session closes; one that has not stopped after the grace is killed
(counted in `viewers_killed`). Each view is also appended to `events_path` (JSON
lines) as it ends, so the parent can follow the run while it goes on.
"""
from __future__ import annotations

import locust  # noqa: F401  - first: it patches the standard library with gevent

import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
from locust.env import Environment  # noqa: E402

from antifraud.load.locustfile import Viewer  # noqa: E402


def swarm(config: dict) -> dict:
    Viewer.pages = config["pages"]
    Viewer.links = config["links"] or [""]
    Viewer.think = float(config["think"])
    Viewer.views_per_session = int(config["views_per_session"])
    Viewer.timeout = float(config["timeout"])
    Viewer.seed = int(config.get("seed", Viewer.seed))
    Viewer.sessions = []
    views: list[dict] = []
    events = open(config["events_path"], "a", encoding="utf-8") if config.get("events_path") else None
    stop_path = Path(config["stop_path"]) if config.get("stop_path") else None

    def on_request(request_type, name, response_time, response_length, exception, context, start_time=None,
                   **_):
        view = {"kind": request_type, "page": name, "ms": round(response_time, 2),
                "bytes": response_length, "ok": exception is None,
                "error": None if exception is None else f"{type(exception).__name__}: {exception}"[:300],
                "started_at": start_time, **(context or {})}
        views.append(view)
        if events:
            events.write(json.dumps(view, ensure_ascii=False) + "\n")
            events.flush()

    env = Environment(user_classes=[Viewer], host=config["host"], stop_timeout=float(config["timeout"]))
    env.events.request.add_listener(on_request)
    runner = env.create_local_runner()
    users = int(config["users"])
    started = time.time()
    runner.start(users, spawn_rate=min(users, 100))
    deadline = started + float(config["duration"])
    while time.time() < deadline and not (stop_path and stop_path.exists()):
        gevent.sleep(0.2)
    stopping = time.time()
    # graceful first (a view in progress ends); a viewer that does not end within the grace —
    # seen now and then with Locust 2.47: one greenlet kept viewing for minutes after stop() —
    # is killed, so a step always ends and its result is written
    stopper = gevent.spawn(runner.stop)
    stopper.join(timeout=float(config["timeout"]) + 15)
    forced = len(runner.user_greenlets)
    if not stopper.dead or forced:
        stopper.kill(block=False)
        runner.user_greenlets.kill(block=True, timeout=10)
    runner.quit()
    ended = time.time()
    if events:
        events.close()
    stats = env.stats.total
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "users": users, "started_at": started, "stopping_at": stopping, "ended_at": ended,
        "viewers_killed": forced,
        # a view begun after the stop belongs to no step (a viewer that had to be killed)
        "views": [v for v in views if (v.get("started_at") or 0) <= stopping], "sessions": Viewer.sessions,
        "locust": {"requests": stats.num_requests, "failures": stats.num_failures,
                   "p50_ms": stats.get_response_time_percentile(0.5),
                   "p95_ms": stats.get_response_time_percentile(0.95)},
        "generator_cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "generator_peak_rss_mb": round(usage.ru_maxrss / 1024),
    }


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: python -m antifraud.load.swarm CONFIG.json OUT.json")
    result = swarm(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")))
    Path(sys.argv[2]).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
