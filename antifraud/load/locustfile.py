"""The Locust user: one viewer of the dashboard, speaking Streamlit's protocol (protocol.py).

A viewer opens a link — an agenda page with URL filters, i.e. a full page load and a new
Streamlit session — then walks on through the agenda with in-app page switches, reading each
page for a while (`think` seconds, uniform between half and one and a half times), and after
`views_per_session` views opens the next link. Every view is one Locust request: type "load"
or "switch", name = the agenda page, time = rerun request → script_finished.

Usable as a plain locustfile too, from the project folder: `python -m locust -f
antifraud/load/locustfile.py --headless --host http://127.0.0.1:8501 -u 30 -r 30 -t 60s`;
`python -m antifraud bench --load` sets the class attributes from the database and runs it
through antifraud.load.swarm.
"""
from __future__ import annotations

import itertools
import random
import time

from locust import User, task

from antifraud.load import nginx
from antifraud.load.protocol import ProtocolError, Session

# (name, url path) in agenda order; the default page's path is "" (the browser shows "/")
AGENDA = [("overview", ""), ("areas", "areas"), ("interception", "interception"), ("warnings", "warnings"),
          ("types", "types"), ("bureaus", "bureaus")]
_numbers = itertools.count()


class Viewer(User):
    pages: list = AGENDA
    links: list[str] = [""]          # URL query strings a viewer may open (filters)
    think: float = 5.0
    views_per_session: int = 6
    timeout: float = 120.0
    seed: int = 20261124
    sessions: list[dict] = []        # every session of the run, for the report (shared by all viewers)

    def wait_time(self) -> float:
        return self.rng.uniform(0.5 * self.think, 1.5 * self.think) if self.think > 0 else 0.0

    def on_start(self) -> None:
        self.number = next(_numbers)
        self.rng = random.Random(self.seed * 1000 + self.number)
        self.session: Session | None = None
        self.record: dict | None = None
        self.position = self.rng.randrange(len(self.pages))

    def on_stop(self) -> None:
        self._close()

    @task
    def view(self) -> None:
        if self.session is None or self.record["views"] >= self.views_per_session:
            self._close()
            if not self._open():
                return
        name, path = self.pages[self.position % len(self.pages)]
        self.position += 1
        self._run(name, path)

    # ------------------------------------------------------------ sessions

    def _open(self) -> bool:
        query = self.rng.choice(self.links)
        page, path = self.pages[self.position % len(self.pages)]
        self.session = Session(self.host.rstrip("/"), timeout=self.timeout)
        self.record = {"viewer": self.number, "link": f"/{path}" + (f"?{query}" if query else ""),
                       "views": 0, "errors": [], "opened_at": time.time(), "closed": False}
        started = time.time()
        try:
            seconds = self.session.open(path, query)
        except Exception as exc:  # noqa: BLE001 - any failure to connect is a lost session
            self._fire("connect", page, started, 0.0, 0, exc)
            self.record["errors"].append(f"connect: {type(exc).__name__}: {exc}"[:300])
            Viewer.sessions.append(self.record)
            self.session = None
            return False
        self.record["route"] = self.session.http.cookies.get(nginx.ROUTE_COOKIE)
        self._fire("connect", page, started, seconds, 0, None)
        Viewer.sessions.append(self.record)
        return True

    def _close(self) -> None:
        if self.session is None:
            return
        try:
            self.session.close()
            self.record["closed"] = not self.record["errors"]
        except Exception as exc:  # noqa: BLE001
            self.record["errors"].append(f"close: {type(exc).__name__}: {exc}"[:300])
        self.record["session_id"] = self.session.session_id
        self.session = None

    def _run(self, page: str, path: str) -> None:
        started = time.time()
        try:
            run = self.session.run(path)
        except ProtocolError as exc:
            self.record["errors"].append(f"{page}: {exc}"[:300])
            self._fire("lost", page, started, time.time() - started, 0, exc)
            self._close()
            return
        self.record["views"] += 1
        self.record.setdefault("as_of", []).append([round(run.finished_at, 3), run.as_of])
        error = None if run.ok else RuntimeError(run.error)
        if error:
            self.record["errors"].append(f"{page}: {run.error}"[:300])
        self._fire(run.kind, page, started, run.seconds, run.bytes, error,
                   as_of=run.as_of, finished_at=run.finished_at)

    def _fire(self, kind: str, page: str, started: float, seconds: float, size: int, exc, **context) -> None:
        self.environment.events.request.fire(
            request_type=kind, name=page, start_time=started, response_time=seconds * 1000,
            response_length=size, exception=exc, url=self.host,
            context={"viewer": self.number, "route": (self.record or {}).get("route"), **context})
