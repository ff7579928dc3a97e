"""Two Streamlit replicas behind nginx, under the load harness, with an import in the middle.

The deployment of docs/deploy.md, started unprivileged on free ports of 127.0.0.1: two
`streamlit run dashboard.py` reading one database file, nginx in front with the routing
cookie (antifraud/load/nginx.py). Locust viewers (antifraud/load) open links through nginx and
walk the agenda while `python -m antifraud ingest` swaps a later week into the same file.
Shown: no session is lost, both replicas serve the new data after the swap (the header's
"数据截至" changes), every request of a browser reaches one replica, and the sessions are split
across both. The load runs until both replicas have served views after the swap (bounded).
Select with `pytest -m replicas`; under a minute on an idle 2-core machine.
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest

from support import ROOT, build_fixture_db, read_fixture

pytestmark = pytest.mark.replicas

OLD_AS_OF = "2026-11-22 23:30"     # the fixture's latest event
NEW_AS_OF = "2026-11-24 10:00"     # the imported week's latest case
MAX_SECONDS = 150                  # the load stops earlier, once both replicas served the new data
VIEWS_AFTER = 2                    # views per replica that must start after the swap


def _missing() -> str | None:
    from antifraud.load import servers
    if not Path(servers.NGINX).exists():
        return "nginx is not installed (scripts/test.sh: apt-get install nginx)"
    if importlib.util.find_spec("locust") is None:   # not imported here: it patches the process with gevent
        return "locust is not installed (requirements-bench.txt)"
    return None


@pytest.fixture(scope="module", autouse=True)
def _prerequisites():
    reason = _missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)     # CI installs both: a missing one is a broken install, not a skip
        pytest.skip(reason)


def _week_48_extract(folder: Path) -> Path:
    cases = read_fixture("cases").iloc[[0, 1]].copy()
    cases["case_id"] = ["R48-1", "R48-2"]
    cases["reported_at"] = [pd.Timestamp("2026-11-23 09:00"), pd.Timestamp(NEW_AS_OF)]
    cases["occurred_at"] = cases["reported_at"] - pd.Timedelta(hours=1)
    cases["last_transfer_at"] = cases["reported_at"] - pd.Timedelta(minutes=30)
    cases["stop_payment_at"] = cases["reported_at"] - pd.Timedelta(minutes=10)
    path = folder / "cases-2026W48.csv"
    cases.to_csv(path, index=False, encoding="utf-8")
    return path


def test_two_replicas_share_the_load_keep_every_session_and_follow_an_import(tmp_path):
    from antifraud.load import run, servers

    db = build_fixture_db(tmp_path / "data" / "antifraud.duckdb")
    extract = _week_48_extract(tmp_path)
    env = {"ANTIFRAUD_NOW": "2026-11-30T09:00"}
    front = run.Front(db, 2, tmp_path / "front", env=env)
    try:
        pages = run.agenda()
        week, links = run.links(db, "2026-W47")
        run.warm_up(front, pages[:1], links[:1], 60, print)

        def import_a_week(swarm):
            _wait(lambda: len(swarm.views()) >= 6, 60)            # every viewer is in
            started = time.time()
            done = subprocess.run([sys.executable, "-m", "antifraud", "ingest", str(extract), "--db", str(db)],
                                  cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=120)
            finished = time.time()

            def both_served_after():
                routes = front.routes()
                count = defaultdict(int)
                for v in swarm.views():
                    if v["kind"] in ("load", "switch") and v["started_at"] > finished:
                        count[routes.get(v["route"])] += 1
                return all(count[r.name] >= VIEWS_AFTER for r in front.replicas)

            _wait(both_served_after, 90)
            swarm.stop()
            return {"started": started, "done": finished, "code": done.returncode, "stderr": done.stderr[-800:]}

        row = run.step(front, 6, pages, links, duration=MAX_SECONDS, think=1.0, views_per_session=2, timeout=60,
                       meanwhile=import_a_week)
        routes = front.routes()
        log = servers.access_log(front.workdir / "nginx")
    finally:
        front.stop()

    swap = row["meanwhile"]
    assert swap["code"] == 0, swap["stderr"]
    views = [v for v in row["views_detail"] if v["kind"] in ("load", "switch", "lost")]
    by_replica = defaultdict(lambda: {"before": set(), "after": set(), "views_after": 0})
    for v in views:
        replica = routes[v["route"]]
        if v["started_at"] < swap["started"]:
            by_replica[replica]["before"].add(v["as_of"])
        elif v["started_at"] > swap["done"]:
            by_replica[replica]["after"].add(v["as_of"])
            by_replica[replica]["views_after"] += 1
    print(f"\n[replicas] {row['views']} views in {row['sessions']} sessions, {row['views_per_second']}/s, "
          f"p95 {row['p95_s']} s; per replica {row['per_replica']}; import {swap['done'] - swap['started']:.1f} s; "
          f"data_as_of seen {dict(by_replica)}")

    # no session lost: every view finished, every session closed without a websocket error
    assert row["failed"] == 0, row["errors"]
    assert row["sessions_lost"] == 0, [s["errors"] for s in row["sessions_detail"] if s["errors"]]
    assert all(s["closed"] for s in row["sessions_detail"])
    # the load is split: both replicas opened sessions (routed by the cookie, not the one client address)
    names = [r.name for r in front.replicas]
    assert all(row["per_replica"].get(n, {}).get("sessions", 0) >= 2 for n in names), row["per_replica"]
    # sticky: every request carrying one routing cookie went to one replica
    upstreams = defaultdict(set)
    for entry in log:
        upstreams[entry["route"]].add(entry["upstream"])
    mine = {s["route"] for s in row["sessions_detail"]}
    assert all(len(upstreams[r]) == 1 for r in mine), {r: upstreams[r] for r in mine if len(upstreams[r]) > 1}
    # both replicas served the old data before the swap and only the new data after it
    for name in names:
        assert by_replica[name]["views_after"] >= VIEWS_AFTER, f"{name} served no view after the import"
        assert by_replica[name]["after"] == {NEW_AS_OF}, (name, by_replica[name])
    assert set().union(*(by_replica[n]["before"] for n in names)) == {OLD_AS_OF}


def _wait(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False


def test_the_deploy_doc_shows_the_config_the_code_renders():
    from antifraud.load import nginx
    doc = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    shown = doc.split("```nginx\n", 1)[1].split("```", 1)[0]
    rendered = nginx.site(["127.0.0.1:8501", "127.0.0.1:8502"], listen="80", server_name="dashboard.example",
                          access_log="/var/log/nginx/antifraud.access.log")
    assert shown == rendered


def test_nginx_accepts_the_production_config(tmp_path):
    from antifraud.load import nginx, servers
    (tmp_path / "tmp").mkdir()
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / "tmp" / kind).mkdir()
    site = nginx.site(["127.0.0.1:8501", "127.0.0.1:8502"], listen="127.0.0.1:8080",
                      access_log=str(tmp_path / "access.log"))
    conf = tmp_path / "nginx.conf"
    conf.write_text(nginx.standalone(str(tmp_path), site))
    done = subprocess.run([servers.NGINX, "-t", "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
