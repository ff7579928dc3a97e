"""Follow-up tasks, pure parts: input rules, status from the clock, the automatic check,
suggestions, roles, the wall line and the briefing section — on hand-made cases whose
figures are worked out in the comments. No database, no Streamlit; the clock is frozen."""
from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from antifraud import clock, metrics, periods, stats
from antifraud.access import Identity
from antifraud.tasks import actions, check, present, roles, status, suggest, validate
from antifraud.tasks.model import (ANSWERED, DONE, MISSED, OVERDUE, PENDING, WITHDRAWN, Draft, Feedback, Target,
                                   Task, default_due, target_metrics)

W46, W47, W48 = (periods.parse(k) for k in ("2026-W46", "2026-W47", "2026-W48"))
NAMES = {"410702": "红旗区", "410711": "牧野区", "410725": "原阳县", "410727": "封丘县", "410781": "卫辉市"}
T0 = dt.datetime(2026, 11, 16, 10, 0)


def task(id=1, bureaus=("410781",), subject="督办", meeting="2026-W46", due="2026-W47", status=PENDING,
         target=None, feedback=(), note="", reason="") -> Task:
    return Task(id=id, version=1, bureaus=tuple(bureaus), subject=subject, meeting_week=meeting, due_period=due,
                status=status, created_by="chair", created_at=T0, updated_at=T0, target=target,
                closing_note=note, withdraw_reason=reason, feedback=tuple(feedback))


OVERDUE_5 = Target("metric", metric="overdue_rate", op="<=", value=0.05)


# ---------------------------------------------------------------- input rules

GOOD = Draft(bureaus=("410781",), subject="卫辉市：本周高级预警超期11条，限期整改，下周会上说明", meeting_week="2026-W47")


def test_a_good_draft_gets_the_next_week_as_due():
    clean = validate.draft(GOOD, set(NAMES))
    assert clean.due_period == "2026-W48" and clean.target is None
    assert default_due("2026-W52") == "2026-W53" and default_due("2026-W53") == "2027-W01"


@pytest.mark.parametrize("change, words", [
    ({"subject": "   "}, "请填写督办事项。"),
    ({"subject": "超" * 201}, "督办事项不能超过200字（现为201字）。"),
    ({"bureaus": ()}, "请选择至少一个区县。"),
    ({"bureaus": ("999999",)}, "未知的分县局：999999。"),
    ({"due_period": "2026-W46"}, "期限（2026-W46）不能早于会商周（2026-W47）。"),
    ({"due_period": "2026-10"}, "期限（2026-10）不能早于会商周（2026-W47）。"),
    ({"due_period": "下周"}, "期限“下周”无法识别"),
    ({"meeting_week": "2026-11"}, "会商周应为一周"),
    ({"subject": "请<script>alert(1)</script>整改"}, "督办事项不能包含 HTML 或脚本标记"),
    ({"subject": "见 <img src=x onerror=alert(1)>"}, "督办事项不能包含 HTML 或脚本标记"),
    ({"subject": "联系人电话13812345678"}, "疑似手机号、身份证号或银行卡号"),
    ({"subject": "电话 138 1234 5678"}, "疑似手机号"),
    ({"subject": "电话１３８１２３４５６７８"}, "疑似手机号"),                   # full-width digits
    ({"subject": "身份证41070219900101123X"}, "疑似手机号、身份证号"),
    ({"subject": "卡号6222-0212-3456-7890-123"}, "银行卡号"),
    ({"target": Target("metric", metric="overdue_rate", op="<=", value=1.5)},
     "“超期率”的目标应在0%到100%之间（现为150%）。"),
    ({"target": Target("metric", metric="overdue_rate", op="<=", value=-0.01)}, "应在0%到100%之间"),
    ({"target": Target("metric", metric="cases", op="<=", value=-1)}, "“发案数”的目标不能为负数。"),
    ({"target": Target("metric", metric="overdue_rate", op="<=", value=None)}, "请填写目标值。"),
    ({"target": Target("metric", metric="overdue_rate", op="<=", value=float("nan"))}, "请填写目标值。"),
    ({"target": Target("metric", metric="overdue_rate", op="<", value=0.05)}, "请选择目标方向"),
    ({"target": Target("metric", metric="median_sign_minutes", op="<=", value=10)},
     "“签收用时(中位)”不能按分县局计算，不能作为督办目标。"),
    ({"target": Target("metric", metric="no_such_metric", op="<=", value=1)}, "未知的指标"),
    ({"target": Target("place", level="township", place="", value=3)}, "请填写地点名称。"),
    ({"target": Target("place", level="county", place="城关镇", value=3)}, "请选择地点层级"),
    ({"target": Target("place", level="township", place="城关镇", value=-1)}, "不能为负数"),
    ({"target": Target("ids", ids=())}, "请填写至少一个预警或案件编号。"),
    ({"target": Target("ids", ids=("W1", "=cmd|' /C calc'!A0"))}, "格式不对"),
])
def test_bad_input_is_one_sentence(change, words):
    d = Draft(**{**GOOD.__dict__, **change})
    with pytest.raises(validate.Invalid) as exc:
        validate.draft(d, set(NAMES), NAMES)
    message = str(exc.value)
    assert words in message
    assert message.endswith("。") and "\n" not in message and "Traceback" not in message


def test_text_that_is_accepted_as_text():
    # a bullet, a formula-looking line (made inert only in exports), "less than" that is no tag
    for text in ("-已约谈责任人", "=下周复查", "@各派出所 落实", "超期率<5%且>0", "预警W7已核查"):
        assert validate.feedback(text) == text
    # a long digit run in free text is refused like a phone number, with a pointer to the id list
    with pytest.raises(validate.Invalid, match="关联编号"):
        validate.feedback("预警编号W20261116001已核查")
    # ids are not personal numbers: an 18-digit 警情编号 is fine in the id list
    t = validate.target(Target("ids", ids=("410702202611160001", "W1", "W1")))
    assert t.ids == ("410702202611160001", "W1")
    assert validate.parse_ids("W1, W2，W3、W4\nC5 ;C6") == ("W1", "W2", "W3", "W4", "C5", "C6")


def test_metrics_a_target_may_name():
    names = target_metrics()
    assert "overdue_rate" in names and "fast_stop_rate" in names and "loss" in names
    assert "median_sign_minutes" not in names                    # not additive: no per-bureau value


# ---------------------------------------------------------------- status from the clock

def test_overdue_by_itself_once_the_due_week_is_over():
    t = task(due="2026-W47")                                     # W47 ends Sunday 2026-11-22
    with clock.frozen("2026-11-22 23:59"):
        assert status.effective(t, clock.today()) == PENDING
    with clock.frozen("2026-11-23 00:00"):
        assert status.effective(t, clock.today()) == OVERDUE
    answered = task(status=ANSWERED, feedback=[Feedback(dt.datetime(2026, 11, 24, 8), "weihui", "已整改")])
    with clock.frozen("2026-11-30"):
        assert status.effective(answered, clock.today()) == ANSWERED          # feedback came: not overdue
        assert status.late_feedback(answered)                                  # … but late
        assert present.status_text(answered, clock.today()) == "已反馈（逾期反馈）"
        for closed in (DONE, MISSED, WITHDRAWN):
            assert status.effective(task(status=closed), clock.today()) == closed
    month = task(due="2026-12")
    assert status.effective(month, dt.date(2026, 12, 31)) == PENDING
    assert status.effective(month, dt.date(2027, 1, 1)) == OVERDUE


def test_review_status_uses_the_chair_then_the_clock_then_the_check():
    today = dt.date(2026, 11, 23)
    final_met = check.Check("达标", 0.366, 0.041, 0.05, final=True)
    provisional_met = check.Check("达标", 0.366, 0.041, 0.05, final=False)
    final_missed = check.Check("未达标", 0.2, 0.3, 0.05, final=True)
    answered = task(status=ANSWERED, target=OVERDUE_5)
    assert status.review(answered, today, final_met) == DONE
    assert status.review(answered, today, final_missed) == MISSED
    assert status.review(answered, today, provisional_met) == status.PENDING_REVIEW
    assert status.review(answered, today, None) == status.PENDING_REVIEW
    assert status.review(task(status=PENDING, target=OVERDUE_5), today, final_met) == OVERDUE   # no feedback
    assert status.review(task(status=MISSED, target=OVERDUE_5), today, final_met) == MISSED     # the chair decides
    assert status.review(task(status=PENDING, due="2026-W48"), today, None) == PENDING


# ---------------------------------------------------------------- the automatic check

def test_metric_check_met_with_a_significant_fall():
    # 卫辉 overdue: 183 of 500 warnings before (36.6 %), 41 of 1000 in the due week (4.1 %)
    before = {"overdue": 183, "warnings": 500}
    now = {"overdue": 41, "warnings": 1000}
    c = check.metric_check(OVERDUE_5, now, before, final=True)
    assert c.outcome == "达标" and c.before == pytest.approx(0.366) and c.after == pytest.approx(0.041)
    assert c.significant is True and c.direction == "下降" and c.z < 0
    expected = stats.compare("overdue_rate", now, before)
    assert (c.z, c.p) == (expected.z, expected.p)               # the one test, not a copy of it
    assert present.check_text(OVERDUE_5, c) == "36.60% → 4.10%，达标（显著下降）"


def test_metric_check_missed_and_not_significant_on_tiny_counts():
    # 红旗 (fixture): W46 0 of 1 overdue, W47 1 of 2 → 50 % against a bound of 5 %
    c = check.metric_check(OVERDUE_5, {"overdue": 1, "warnings": 2}, {"overdue": 0, "warnings": 1}, final=True)
    assert c.outcome == "未达标" and (c.before, c.after) == (0.0, 0.5)
    assert c.significant is False and c.direction == ""
    assert present.check_text(OVERDUE_5, c) == "0.00% → 50.00%，未达标（变化不显著）"


def test_bound_is_inclusive_and_direction_respected():
    five = {"overdue": 1, "warnings": 20}                        # exactly 5 %
    assert check.metric_check(OVERDUE_5, five, five, True).outcome == "达标"
    at_least = Target("metric", metric="fast_stop_rate", op=">=", value=0.8)
    assert check.metric_check(at_least, {"fast_stop_n": 8, "fast_stop_den": 10}, {}, True).outcome == "达标"
    assert check.metric_check(at_least, {"fast_stop_n": 7, "fast_stop_den": 10}, {}, True).outcome == "未达标"


def test_no_data_in_the_due_period():
    c = check.metric_check(OVERDUE_5, {"overdue": 0, "warnings": 0}, {"overdue": 2, "warnings": 10}, True)
    assert c.outcome == "无数据" and c.after is None and c.before == 0.2
    assert present.check_text(OVERDUE_5, c) == "无数据（期限内无可计算“超期率”的数据）"
    provisional = check.metric_check(OVERDUE_5, {"overdue": 1, "warnings": 50}, {"overdue": 2, "warnings": 10}, False)
    assert present.check_text(OVERDUE_5, provisional).startswith("暂计：20.00% → 2.00%，达标")


def test_place_check_against_its_baseline():
    hot = Target("place", op="<=", value=3.0, level="township", place="城关镇")
    c = check.place_check(hot, now_cases=2, before_cases=9, weeks=1, final=True)
    assert c.outcome == "达标" and (c.before, c.after, c.bound) == (9.0, 2.0, 3.0)
    assert c.significant == (stats.compare("cases", {"cases": 2}, {"cases": 9}).p <= 0.05)
    assert check.place_check(hot, 4, 9, 1, True).outcome == "未达标"
    assert check.place_check(hot, 12, 30, 4, True).outcome == "达标"            # a month of 4 weeks: bound 12
    assert present.check_text(hot, c).startswith("前期9起 → 期限内2起（基准3起），达标")


def test_ids_check_counts_answers_and_missing_ids():
    t = Target("ids", ids=("W5", "W6", "C4", "C1", "X9"))
    c = check.ids_check(t, {"W5": False, "W6": True, "C4": False, "C1": True}, final=True)
    assert c.outcome == "未达标" and (c.after, c.bound) == (2.0, 5.0) and c.note == "1个编号在数据中未找到"
    assert present.check_text(t, c) == "已答复2/5，未达标（1个编号在数据中未找到）"
    assert check.ids_check(Target("ids", ids=("W6",)), {"W6": True}, True).outcome == "达标"


# ---------------------------------------------------------------- suggestions

def measures_frame(rows: dict[str, dict]) -> pd.DataFrame:
    frame = pd.DataFrame.from_dict(rows, orient="index")
    for col in metrics.MEASURES:
        if col not in frame:
            frame[col] = 0.0
    return frame.fillna(0.0).astype(float)


def test_q_values_by_hand():
    # sorted p: .01 .03 .04 .2 → p·n/rank: .04 .06 .0533 .2 → running minimum from the top
    q = suggest.q_values([0.01, 0.04, 0.03, 0.2])
    assert q == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.2])
    assert suggest.q_values([]) == []


def test_adverse_changes_only_significant_changes_for_the_worse():
    before = measures_frame({"410781": {"overdue": 50, "warnings": 1000},        # 5 % → 20 %: worse
                             "410725": {"dissuaded": 900, "warnings": 1000},      # 90 % → 99 %: better
                             "410727": {"cases": 28}})                            # 28 → 30: noise
    now = measures_frame({"410781": {"overdue": 200, "warnings": 1000},
                          "410725": {"dissuaded": 990, "warnings": 1000},
                          "410727": {"cases": 30}})
    found = suggest.adverse_changes(now, before, NAMES, W47)
    assert [(s.kind, s.bureau_id, s.target.metric) for s in found] == [("change", "410781", "overdue_rate")]
    s = found[0]
    assert s.target == Target("metric", metric="overdue_rate", op="<=", value=0.05)     # back to last week
    assert s.reason == "卫辉市超期率本周20.00%，上周5.00%，显著上升"
    assert s.subject.startswith("卫辉市：超期率本周20.00%（上周5.00%），显著上升") and len(s.subject) <= 200


def test_adverse_changes_control_the_false_discovery_rate():
    # one change at p ≈ 0.03 alone is announced; hidden among 14 bureaus with real but
    # unremarkable movement (p between 0.3 and 0.9) its q rises above 0.05 and it is not
    lone_now = measures_frame({"410781": {"overdue": 30, "warnings": 200}})
    lone_before = measures_frame({"410781": {"overdue": 16, "warnings": 200}})
    p = stats.compare("overdue_rate", lone_now.loc["410781"], lone_before.loc["410781"]).p
    assert 0.01 < p < 0.05
    assert [s.bureau_id for s in suggest.adverse_changes(lone_now, lone_before, NAMES, W47)] == ["410781"]
    crowd_now, crowd_before = dict(lone_now.to_dict(orient="index")), dict(lone_before.to_dict(orient="index"))
    for i in range(13):
        crowd_now[f"9{i:05d}"] = {"overdue": 20 + i % 3, "warnings": 200, "cases": 10 + i % 2}
        crowd_before[f"9{i:05d}"] = {"overdue": 18, "warnings": 200, "cases": 9}
    assert suggest.adverse_changes(measures_frame(crowd_now), measures_frame(crowd_before), NAMES, W47) == []


def test_emerging_places_become_place_targets():
    hot = pd.DataFrame([{"bureau_id": "410725", "place": "城关镇", "level": "township", "cases": 9, "baseline": 3.25,
                         "run": 4, "run_from": 3, "z": 2.6, "reason": "连续4周上升，3→9起"}])
    (s,) = suggest.emerging_places(hot, NAMES, W47)
    assert s.target == Target("place", op="<=", value=3.2, level="township", place="城关镇")   # 3.25 → 3.2 (to even)
    assert s.reason == "原阳县城关镇：连续4周上升，3→9起"
    assert present.target_text(s.target) == "乡镇街道“城关镇”每周发案 ≤ 3.2起（回落到基准）"
    assert suggest.emerging_places(hot.iloc[0:0], NAMES, W47) == []


def test_the_bureau_with_most_overdue_high_warnings():
    rows = ([("410781", "高")] * 3 + [("410781", "中")] + [("410725", "高")] * 3 + [("410727", "高")] * 2
            + [("410702", "低")] * 9)
    overdue = pd.DataFrame([{"warning_id": f"W{i}", "bureau_id": b, "level": lv} for i, (b, lv) in enumerate(rows)])
    (s,) = suggest.most_overdue_high(overdue, NAMES, W47)
    assert s.bureau_id == "410781"                                # 3 高 like 原阳, but 4 overdue in all
    assert s.subject == "卫辉市：本周高级预警超期3条，限期整改，超期率降至5%以下，下次会商说明"
    assert s.target == OVERDUE_5
    assert suggest.most_overdue_high(overdue[overdue.level == "低"], NAMES, W47) == []


def test_bottom_third_needs_the_whole_rank_range():
    assert suggest.in_bottom_third(11, 15) and not suggest.in_bottom_third(10, 15)      # places 11–15 of 15
    assert suggest.in_bottom_third(9, 12) and not suggest.in_bottom_third(8, 12)
    assert not suggest.in_bottom_third(2, 2)


def test_confident_bottom_asks_for_the_weakest_rate_up_to_the_median():
    ranking = pd.DataFrame([
        {"bureau_id": "410727", "rank": 15, "rank_low": 11, "rank_high": 15},     # 封丘: confidently last
        {"bureau_id": "410725", "rank": 14, "rank_low": 10, "rank_high": 15},     # could be 10th: not confident
    ] + [{"bureau_id": f"9{i:05d}", "rank": i + 1, "rank_low": 1, "rank_high": 9} for i in range(13)])
    ranking.attrs["metrics"] = ["fast_stop_rate", "dissuasion_rate", "cases_per_10k"]
    # 30-minute rates 42, 71, 80, 60, 75 % (median 71 %); 封丘's dissuasion is the best, so not chosen
    now = measures_frame({
        "410727": {"fast_stop_n": 42, "fast_stop_den": 100, "dissuaded": 99, "warnings": 100},
        "410725": {"fast_stop_n": 71, "fast_stop_den": 100, "dissuaded": 90, "warnings": 100},
        "410781": {"fast_stop_n": 80, "fast_stop_den": 100, "dissuaded": 90, "warnings": 100},
        "410702": {"fast_stop_n": 60, "fast_stop_den": 100, "dissuaded": 90, "warnings": 100},
        "410711": {"fast_stop_n": 75, "fast_stop_den": 100, "dissuaded": 90, "warnings": 100}})
    (s,) = suggest.confident_bottom(ranking, now, NAMES, W47)
    assert s.bureau_id == "410727"
    assert s.target == Target("metric", metric="fast_stop_rate", op=">=", value=0.71)
    assert "第11–15名" in s.reason and "30分钟止付率42.00%，全市中位71.00%" in s.reason
    provisional = ranking.assign(provisional=True)
    provisional.attrs = ranking.attrs
    assert suggest.confident_bottom(provisional, now, NAMES, W47) == []


def test_one_click_draft_and_suggestions_already_taken():
    s = suggest.Suggestion("overdue", "410781", "…", "卫辉市：本周高级预警超期3条", OVERDUE_5)
    d = suggest.to_draft(s, "2026-W47")
    assert d == Draft(("410781",), "卫辉市：本周高级预警超期3条", "2026-W47", "2026-W48", OVERDUE_5)
    form = actions.form_values(d, NAMES, "tn_")
    assert form["tn_districts"] == ["卫辉市"] and form["tn_kind"] == actions.METRIC
    assert (form["tn_metric"], form["tn_op"], form["tn_value"]) == ("超期率", "≤", 5.0)      # percent in the form
    assert actions.target_from(form, "tn_") == OVERDUE_5                                   # and back
    taken = task(bureaus=("410781",), meeting="2026-W47", due="2026-W48", target=OVERDUE_5)
    assert suggest.fresh([s], [taken], "2026-W47") == []
    assert suggest.fresh([s], [taken], "2026-W48") == [s]
    assert suggest.fresh([s], [task(bureaus=("410781",), meeting="2026-W47", target=OVERDUE_5,
                                    status=WITHDRAWN)], "2026-W47") == [s]


# ---------------------------------------------------------------- roles

def test_rights_by_role():
    bureau_of = {"牧野区": "410711", "红旗区": "410702"}
    chair = roles.rights(Identity("chair", "admin"), bureau_of)
    muye = roles.rights(Identity("muye", "bureau", districts=("牧野区",)), bureau_of)
    lost = roles.rights(Identity("x", "bureau"), bureau_of)
    reader = roles.rights(Identity("r", "reader", districts=("牧野区",)), bureau_of)
    nobody = roles.rights(None, bureau_of)
    assert chair.manage and not chair.own_bureaus
    assert not muye.manage and muye.own_bureaus == {"410711"}
    mine, other = task(bureaus=("410711",)), task(bureaus=("410702",))
    assert muye.may_answer(mine) and not muye.may_answer(other)
    assert not muye.may_answer(task(bureaus=("410711",), status=DONE))
    assert not chair.may_answer(mine)                                  # the chair closes; bureaus answer
    assert not lost.own_bureaus and "未限定所属区县" in lost.summary
    assert not reader.manage and not reader.own_bureaus               # a supervisor reads
    assert not nobody.manage and "需要登录" in nobody.summary


# ---------------------------------------------------------------- the wall line and the briefing

def meeting_tasks():
    """The story's week: five tasks set at the W46 meeting, due W47; reviewed on Monday 23 Nov."""
    fb = [Feedback(dt.datetime(2026, 11, 20, 10), "u", "已整改")]
    met = check.Check("达标", 0.366, 0.041, 0.05, final=True, significant=True, z=-3.0, p=0.003)
    missed = check.Check("未达标", 5.0, 6.0, 3.0, final=True, significant=False, z=0.3, p=0.7)
    hot = Target("place", op="<=", value=3.0, level="township", place="城关镇")
    tasks = [
        task(1, ("410781",), "卫辉市：超期率降至5%以下", target=OVERDUE_5, status=ANSWERED, feedback=fb),
        task(2, ("410725",), "原阳县城关镇发案回落", target=hot, status=ANSWERED, feedback=fb),
        task(3, ("410727",), "封丘县：30分钟止付率", status=PENDING),
        task(4, ("410702",), "红旗区：约谈", status=DONE, feedback=fb, note="已落实"),
        task(5, ("410711",), "牧野区：宣传", status=DONE, feedback=fb),
        task(6, ("410711",), "牧野区：重复", status=WITHDRAWN, reason="重复录入"),
        task(7, ("410727",), "封丘县：更早的", meeting="2026-W45", due="2026-W46", status=PENDING),
        task(8, ("410702",), "红旗区：本周新设", meeting="2026-W47", due="2026-W48"),
    ]
    return tasks, {1: met, 2: missed}


def test_wall_line_and_open_rows():
    tasks, checks = meeting_tasks()
    line, rows = present.wall_summary(tasks, W47, checks, NAMES, dt.date(2026, 11, 23))
    # due W47 and not withdrawn: 1–5; done: 1 (check met), 4, 5; missed: 2; overdue: 3
    assert line == "上周督办事项：5项，已完成3项，未达标1项，逾期1项"
    assert list(rows.columns) == present.WALL_COLUMNS
    assert rows["区县"].tolist() == ["封丘县", "原阳县", "封丘县"]                 # overdue, missed, then older
    assert rows["状态"].tolist() == ["逾期", "未达标", "逾期（2026-W46到期）"]
    assert rows["检查"].iloc[1] == "前期5起 → 期限内6起（基准3起），未达标（变化不显著）"
    assert rows.attrs["left_out"] == 0
    _, few = present.wall_summary(tasks, W47, checks, NAMES, dt.date(2026, 11, 23), n=2)
    assert len(few) == 2 and few.attrs["left_out"] == 1
    assert present.review_line([], {}, W47, dt.date(2026, 11, 23)) == "上周无督办事项"
    long = task(9, subject="长" * 120, status=PENDING)
    _, r = present.wall_summary([long], W47, {}, NAMES, dt.date(2026, 11, 23))
    assert len(r["督办事项"].iloc[0]) == present.WALL_SUBJECT and r["督办事项"].iloc[0].endswith("…")


def test_briefing_section_matches_the_page():
    tasks, checks = meeting_tasks()
    today = dt.date(2026, 11, 23)
    section = present.briefing_section(tasks, W47, checks, NAMES, today)
    assert section.title == "五、督办事项" and section.line == "上周督办事项：5项，已完成3项，未达标1项，逾期1项"
    assert section.review["编号"].tolist() == [1, 2, 3, 4, 5]
    assert section.new["编号"].tolist() == [8]
    page = present.list_table(tasks, checks, NAMES, today).set_index("编号")
    for row in section.review.itertuples(index=False):
        assert row.检查结果 == page.loc[row.编号, "检查"]                      # one text, page and briefing
    assert section.review.set_index("编号").loc[1, ["前期", "期限内", "变化", "状态"]].tolist() == \
        ["36.60%", "4.10%", "显著下降", "已完成"]
    first = section.records[0]
    assert first["part"] == "review" and first["review_status"] == "已完成" and first["status"] == "已反馈"
    assert first["target"] == {"kind": "metric", "metric": "overdue_rate", "op": "<=", "value": 0.05}
    assert first["check"]["before"] == 0.366 and first["check"]["after"] == 0.041   # fractions, not percent
    assert first["check"]["significant"] is True and first["districts"] == ["卫辉市"]
    assert [r["id"] for r in section.records] == [1, 2, 3, 4, 5, 8]
    import json
    json.dumps(section.records, ensure_ascii=False)                        # JSON-ready as it is
    assert not any(isinstance(v, float) and math.isnan(v) for r in section.records for v in r.values())
