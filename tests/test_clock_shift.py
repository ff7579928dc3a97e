"""The week follows the data, not the clock (issue 13; DATA.md, Periods and windows).

The suite's clock is frozen (tests/conftest.py). Here it is moved to later moments — a week
later, a year later, the turn of the year with its ISO week 53 — and the fixture database is
imported at that moment, as a centre back-loading old extracts would. The pages and the
report must still open on 2026-W47, the last week the data covers, with the same figures
(computed by hand in tests/test_metrics.py), and must never show a week the data does not
reach as a fall.
"""
from __future__ import annotations

import json
import re

import pytest

from support import ROOT, build_fixture_db

import queries
from antifraud import cli, clock, ingest

LATER = ["2026-11-30T09:00:00",      # a week later
         "2027-11-23T09:00:00",      # a year later
         "2026-12-31T23:30:00",      # the last day of 2026: ISO week 2026-W53
         "2027-01-01T09:00:00"]      # still 2026-W53, in another calendar year


@pytest.fixture(params=LATER)
def shifted(request, tmp_path, monkeypatch):
    """The fixture database imported at a later moment, with the clock left there."""
    monkeypatch.setenv("ANTIFRAUD_NOW", request.param)
    db = build_fixture_db(tmp_path / "fixture.duckdb")
    monkeypatch.setenv("ANTIFRAUD_DB", str(db))
    queries.use_database(None)
    yield request.param, db
    queries.use_database(None)


def _texts(at) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [w.value for w in at.warning]
                     + [i.value for i in at.info] + [h.proto.body for h in at.get("html")])


def _run(page: str | None = None, **params):
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(f"pages/{page}.py")
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_pages_open_on_the_last_week_of_the_data(shifted):
    moment, _ = shifted
    at = _run()                                                     # no week in the URL: the default
    assert at.sidebar.selectbox(key="week").value == "2026-W47"
    body = _texts(at)
    assert "新乡市 · 2026年第47周（2026-11-16 至 2026-11-22）" in body
    metric = {m.label: m for m in at.metric}
    assert metric["发案数"].value == "5起" and metric["损失金额"].value == "128.80万元"
    assert "本周发案5起，环比上升150.0%" in body
    days = (clock.parse(moment).date() - clock.parse("2026-11-22").date()).days
    assert f"数据已{days}天未更新" in body                             # the amber notice, one rule
    assert not re.search(r"(下降|-|−)100\.0%", body)                  # no week shown as a total fall
    for page in ("warnings", "types"):                              # the failing pages of issue 13
        at = _run(page)
        assert "新乡市 · 2026年第47周" in _texts(at)


def test_report_picks_the_same_week(shifted, capsysbinary):
    _, db = shifted
    assert cli.main(["report", "--db", str(db), "--format", "json", "--no-archive"]) == 0
    j = json.loads(capsysbinary.readouterr().out)
    assert (j["week"], j["provisional"], j["data_as_of"]) == ("2026-W47", False, "2026-11-22T23:30:00")
    assert j["kpis"]["cases"]["value"] == 5 and j["kpis"]["cases"]["prev_week"] == 2


def test_a_week_the_data_does_not_reach_is_never_a_fall(shifted):
    at = _run(week="2026-W48")                                      # a link sent before the import
    body = _texts(at)
    assert "本周数据尚未导入（数据截至 11-22）" in body
    assert at.sidebar.selectbox(key="week").value == "2026-W48"
    assert all(m.value == "—" for m in at.metric)
    shown = "\n".join(m.value for m in at.markdown)                 # headlines and tile lines, not captions
    assert "下降" not in shown and "-100" not in shown and "显著" not in shown
    assert not any(m.proto.delta for m in at.metric)                # no 环比 arrow at all


def test_first_run_sample_keeps_its_weeks(tmp_path, monkeypatch):
    """The bundled sample keeps its fixed weeks (to 2026-W47); a fresh clone opened later shows
    that week with real figures and the amber 「数据已N天未更新」, never an empty newer week."""
    from antifraud import bootstrap
    monkeypatch.setenv("ANTIFRAUD_NOW", "2026-12-03T10:00:00")
    db = tmp_path / "sample.duckdb"
    ingest.ingest_files(bootstrap.sample_files(), db)
    monkeypatch.setenv("ANTIFRAUD_DB", str(db))
    queries.use_database(None)
    at = _run()
    body = _texts(at)
    assert "2026年第47周（2026-11-16 至 2026-11-22）" in body and "数据已11天未更新" in body
    metric = {m.label: m.value for m in at.metric}
    assert metric["发案数"] not in ("0起", "—") and "100.0%（显著）" not in body
    queries.use_database(None)
