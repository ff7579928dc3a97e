"""Serving measurements: many viewers at once, several replicas, and a real browser.

- `protocol.py`: a Streamlit viewer without a browser (the frontend's websocket protocol);
- `locustfile.py` + `swarm.py`: Locust users built on it, run in a child process;
- `servers.py` + `nginx.py`: Streamlit replicas, nginx in front, process sampling;
- `run.py`: `python -m antifraud bench --load 1,10,30,60` (the load table);
- `browser.py`: `python -m antifraud bench --browser` (full page load and page switches in
  headless Chromium against a bare Streamlit page).

`python -m antifraud bench` without these flags measures the queries (antifraud/bench.py);
this package imports the bench's helpers, never the other way round.
"""
from __future__ import annotations


def main(args) -> int:
    code = 0
    if getattr(args, "load", None):
        from antifraud.load import run
        code = run.main(args) or code
    if getattr(args, "browser", False):
        from antifraud.load import browser
        code = browser.main(args) or code
    return code
