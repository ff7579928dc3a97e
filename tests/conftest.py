"""Session fixtures: a small hand-written database every expected figure was computed from."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

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
