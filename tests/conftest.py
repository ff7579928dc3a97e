"""Session fixtures: a small hand-written database every expected figure was computed from."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# One clock for the product (antifraud/clock.py), frozen for the whole suite and every process it
# starts (Streamlit servers, CLI runs): the Monday morning after the fixture's and the sample's
# last week (2026-W47). No test depends on today's date; test_clock_shift.py moves this clock.
# ANTIFRAUD_TEST_NOW runs the whole suite at another moment (e.g. a year later).
os.environ["ANTIFRAUD_NOW"] = os.environ.get("ANTIFRAUD_TEST_NOW") or "2026-11-23T09:00:00"

sys.path.insert(0, str(Path(__file__).resolve().parent))
from support import ROOT, build_fixture_db, read_fixture  # noqa: E402,F401  (re-exported for old imports)

import queries  # noqa: E402


@pytest.fixture(scope="session")
def fixture_db(tmp_path_factory) -> Path:
    return build_fixture_db(tmp_path_factory.mktemp("fixture") / "fixture.duckdb")


@pytest.fixture()
def use_fixture_db(fixture_db):
    queries.use_database(fixture_db)
    yield fixture_db
    queries.use_database(None)
