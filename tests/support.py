"""Helpers shared by the tests: the hand-written fixture and how to build its database.

A module of its own (not conftest.py): tests/browser has a conftest too, and `from conftest
import …` would find whichever was imported first.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FIXTURES = Path(__file__).parent / "fixtures"

from antifraud import store, units  # noqa: E402

TIMES = {"cases": ["reported_at", "occurred_at", "last_transfer_at", "stop_payment_at"],
         "warnings": ["issued_at", "signed_at", "feedback_at"], "strikes": ["date"]}


def read_fixture(kind: str) -> pd.DataFrame:
    frame = pd.read_csv(FIXTURES / f"{kind}.csv", dtype=str, keep_default_na=False)
    frame = frame.replace({"": None})
    for col in TIMES[kind]:
        frame[col] = pd.to_datetime(frame[col])
    if kind == "strikes":
        frame["date"] = frame["date"].dt.date
    if kind == "warnings":
        frame["victimized_after"] = frame["victimized_after"].map({"true": True, "false": False})
    for col in frame.columns:
        if col.endswith("_amount") or col in ("avoided_loss", "arrests", "gangs", "dens", "cards_frozen"):
            frame[col] = pd.to_numeric(frame[col])
    return frame


def build_fixture_db(path: Path) -> Path:
    batches = [store.Batch(kind, read_fixture(kind), f"{kind}.csv", f"fixture-{kind}",
                           rows_read=len(read_fixture(kind))) for kind in ("cases", "warnings", "strikes")]
    store.apply(path, batches, units.load_units(), units.load_stations())
    return path


def run_dashboard_page(page: str | None, wall: bool = False, week: str = "2026-W47"):
    """AppTest of dashboard.py on `page` (None: the first agenda page), in wall mode or not."""
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.query_params["week"] = week
    if wall:
        at.query_params["wall"] = "1"
    at.run()
    if page:
        at.switch_page(f"pages/{page}.py")
        at.query_params["week"] = week
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def screen_texts(at) -> list[str]:
    """Every text element an AppTest run shows (markdown, captions, notices, the wall's html)."""
    return ([m.value for m in at.markdown] + [c.value for c in at.caption] + [w.value for w in at.warning]
            + [i.value for i in at.info] + [h.proto.body for h in at.get("html")])
