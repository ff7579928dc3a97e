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
