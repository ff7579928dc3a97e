"""Start what a load run talks to — Streamlit replicas and nginx in front — and watch their
processes (CPU seconds and resident memory of each process tree, sampled by psutil)."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from antifraud import config
from antifraud.load import nginx

ROOT = config.ROOT
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)


def start_streamlit(db: Path, workdir: Path, port: int | None = None, env: dict | None = None,
                    entry: Path = ROOT / "dashboard.py", name: str = "streamlit") -> Server:
    """`streamlit run dashboard.py` on 127.0.0.1 reading `db`; returns once it answers its health check."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    log = workdir / f"{name}-{port}.log"
    full_env = {**os.environ, "ANTIFRAUD_DB": str(db), "PYTHONUNBUFFERED": "1", **(env or {})}
    cmd = [sys.executable, "-m", "streamlit", "run", str(entry),
           "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    with open(log, "wb") as out:
        process = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    server = Server(name, f"http://127.0.0.1:{port}", process, log)
    _wait_healthy(server, "/_stcore/health")
    return server


def start_nginx(upstreams: list[str], workdir: Path, port: int | None = None) -> Server:
    """nginx in front of `upstreams` (host:port), run unprivileged from `workdir`; its access
    log (`access.log`) names the replica of every request."""
    if not Path(NGINX).exists():
        raise RuntimeError("nginx is not installed (apt-get install nginx)")
    # absolute: nginx reads the paths in its configuration against its prefix (-p), so a
    # relative --out would name bench-out/…/bench-out/… and nginx refuses to start
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (workdir / "tmp" / kind).mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    conf = workdir / "nginx.conf"
    conf.write_text(nginx.standalone(str(workdir), nginx.site(upstreams, listen=f"127.0.0.1:{port}",
                                                              access_log=str(workdir / "access.log"))))
    check = subprocess.run([NGINX, "-t", "-q", "-p", str(workdir), "-c", str(conf), "-e", str(workdir / "error.log")],
                           capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"nginx rejected its configuration:\n{check.stderr}")
    log = workdir / "nginx.out"
    with open(log, "wb") as out:
        process = subprocess.Popen([NGINX, "-p", str(workdir), "-c", str(conf), "-e", str(workdir / "error.log")],
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server("nginx", f"http://127.0.0.1:{port}", process, workdir / "error.log")
    _wait_healthy(server, "/_stcore/health")
    return server


def _wait_healthy(server: Server, path: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode}:\n{server.log_text()[-3000:]}")
        try:
            with urllib.request.urlopen(server.url + path, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{server.name} did not become healthy:\n{server.log_text()[-3000:]}")


def access_log(workdir: Path) -> list[dict]:
    """nginx's access log as rows {request, status, upstream, route}."""
    rows = []
    path = workdir / "access.log"
    if not path.exists():
        return rows
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            head, rest = line.split('"', 1)
            request, tail = rest.rsplit('"', 1)
            fields = dict(part.split("=", 1) for part in tail.split() if "=" in part)
            rows.append({"request": request, "status": tail.split()[0], "upstream": fields.get("upstream"),
                         "route": fields.get("route")})
        except ValueError:
            continue
    return rows


# ------------------------------------------------------------------ process sampling

@dataclass
class Sample:
    at: float                      # time.time()
    cpu: dict                      # name -> CPU seconds (user + system) of the whole tree so far
    rss: dict                      # name -> resident MB of the whole tree


@dataclass
class Sampler:
    """Samples the CPU time and resident memory of named process trees every `every` seconds."""
    processes: dict                # name -> pid
    every: float = 0.25
    samples: list = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> "Sampler":
        self.sample()
        self._thread = threading.Thread(target=self._loop, name="load-sampler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        self.sample()

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            self.sample()

    def sample(self) -> Sample:
        cpu, rss = {}, {}
        for name, pid in self.processes.items():
            total_cpu, total_rss = 0.0, 0
            try:
                root = psutil.Process(pid)
                tree = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                tree = []
            for proc in tree:
                try:
                    with proc.oneshot():
                        t = proc.cpu_times()
                        total_cpu += t.user + t.system + t.children_user + t.children_system
                        total_rss += proc.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
            cpu[name], rss[name] = total_cpu, total_rss / 2**20
        sample = Sample(time.time(), cpu, rss)
        self.samples.append(sample)
        return sample

    def window(self, start: float, end: float) -> dict:
        """CPU seconds spent and peak RSS per name between two time.time() moments."""
        before = [s for s in self.samples if s.at <= start] or self.samples[:1]
        inside = [s for s in self.samples if start <= s.at <= end]
        after = [s for s in self.samples if s.at >= end] or self.samples[-1:]
        first, last = before[-1], after[0]
        out = {}
        for name in self.processes:
            peak = max([s.rss.get(name, 0.0) for s in [first, *inside, last]])
            out[name] = {"cpu_seconds": max(0.0, last.cpu.get(name, 0.0) - first.cpu.get(name, 0.0)),
                         "peak_rss_mb": peak}
        out["_seconds"] = last.at - first.at
        return out


def vm_hwm_mb(pid: int) -> float | None:
    """A process's own peak resident memory since it started (the kernel's high-water mark)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None
