"""The checks and suggestions read through the real queries, on the hand-written fixture
database (tests/fixtures; every figure below is counted from its rows by hand)."""
from __future__ import annotations

import pytest

from antifraud import clock, periods
from antifraud.measures import Filters
from antifraud.tasks import fetch, present
from antifraud.tasks.model import ANSWERED, Draft, Target
from antifraud.tasks.store import TaskStore

W47, W48 = periods.parse("2026-W47"), periods.parse("2026-W48")
NOW = "2026-11-23 09:00"


@pytest.fixture()
def store(use_fixture_db, tmp_path):
    with clock.frozen(NOW):
        yield TaskStore(tmp_path / "tasks.sqlite3")


def make(store, bureaus, target, due="2026-W47", meeting="2026-W46", subject="督办"):
    return store.create(Draft(tuple(bureaus), subject, meeting, due, target), "chair")


def test_checks_on_the_fixture(store):
    t = {
        # 红旗 410702 warnings: W46 W7 (高, fed back in 10 min) → 0/1; W47 W1 (20 min), W2 (45 > 30) → 1/2
        "hongqi": make(store, ["410702"], Target("metric", metric="overdue_rate", op="<=", value=0.05)),
        # with 牧野 410711: W46 + W8 (低, 30 min) → 0/2; W47 + W3 (中, 180 > 120), W4 (低, 11 h < 24 h) → 2/4
        "both": make(store, ["410702", "410711"], Target("metric", metric="overdue_rate", op="<=", value=0.05)),
        # 牧野 dissuasion: W47 W3 无法联系, W4 劝阻成功 → 1/2; W46 W8 劝阻成功 → 1/1
        "muye": make(store, ["410711"], Target("metric", metric="dissuasion_rate", op=">=", value=0.4)),
        # 牧野街道: W47 C3 and C5; W46 none
        "place": make(store, ["410711"], Target("place", op="<=", value=0.5, level="township", place="牧野街道")),
        # W6 fed back (已被骗), C1 已破案; W5 处置中 without feedback, C4 已立案; X9 does not exist
        "ids": make(store, ["410725"], Target("ids", ids=("W5", "W6", "C4", "C1", "X9"))),
        # due W48: the data stops on 2026-11-22
        "later": make(store, ["410702"], Target("metric", metric="overdue_rate", op="<=", value=0.05),
                      due="2026-W48", meeting="2026-W47"),
    }
    found = fetch.checks(store.tasks())
    c = {k: found[v.id] for k, v in t.items()}
    assert (c["hongqi"].before, c["hongqi"].after, c["hongqi"].outcome, c["hongqi"].final) == (0.0, 0.5, "未达标", True)
    assert c["hongqi"].significant is False
    assert (c["both"].before, c["both"].after, c["both"].outcome) == (0.0, 0.5, "未达标")
    assert (c["muye"].before, c["muye"].after, c["muye"].outcome) == (1.0, 0.5, "达标")
    assert (c["place"].before, c["place"].after, c["place"].bound, c["place"].outcome) == (0.0, 2.0, 0.5, "未达标")
    assert (c["ids"].after, c["ids"].bound, c["ids"].note) == (2.0, 5.0, "1个编号在数据中未找到")
    assert c["later"].final is False
    assert present.check_text(t["later"].target, c["later"]) == "期限内数据未齐，暂无结果"
    assert present.check_text(t["muye"].target, c["muye"]).startswith("100.00% → 50.00%，达标")


def test_wall_and_briefing_through_the_store(store):
    a = make(store, ["410711"], Target("metric", metric="dissuasion_rate", op=">=", value=0.4))
    store.add_feedback(a.id, "muye", "已整改", None)
    make(store, ["410702"], None, subject="红旗：未反馈")
    make(store, ["410725"], None, subject="原阳：本周新设", meeting="2026-W47", due="2026-W48")
    with clock.frozen(NOW):
        line, rows = fetch.wall_summary(W47, store=store)
        section = fetch.briefing_section(W47, store=store)
    # a: feedback in, check final and met → 已完成; the 红旗 task: no feedback, W47 over → 逾期
    assert line == "上周督办事项：2项，已完成1项，未达标0项，逾期1项"
    assert rows["督办事项"].tolist() == ["红旗：未反馈"]
    assert section.line == line and section.review["状态"].tolist() == ["已完成", "逾期"]
    assert section.new["督办事项"].tolist() == ["原阳：本周新设"]
    assert store.get(a.id).status == ANSWERED                      # the review never writes
    empty = TaskStore(store.path.parent / "none" / "tasks.sqlite3")
    assert fetch.wall_summary(W47, store=empty)[0] == "上周无督办事项"
    assert not empty.path.parent.exists()                         # a report never creates a store


def test_suggestions_on_the_fixture(use_fixture_db):
    found = fetch.suggestions(W47)
    overdue = [s for s in found if s.kind == "overdue"]
    # W47's only overdue 高 warning is 红旗's W2 (45 minutes against 30)
    assert [(s.bureau_id, s.subject) for s in overdue] == \
        [("410702", "红旗区：本周高级预警超期1条，限期整改，超期率降至5%以下，下次会商说明")]
    assert not [s for s in found if s.kind == "hotspot"]            # no place reaches 3 cases
    assert all(s.bureau_id == "410711" for s in fetch.suggestions(W47, Filters(bureaus=("410711",))))
