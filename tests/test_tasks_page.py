"""The 督办 page under AppTest on a copy of the fixture database, with real password logins:
the chair creates (after bad input), drafts from a suggestion, closes and withdraws; a bureau
answers its own tasks only, whatever the URL says; a reader reads; a stale edit is refused
with a sentence; the wall shows the line; a broken store is one calm sentence.

The page is run on its own (as the first request to its URL on a fresh server runs it): it
draws the shared filters and the login itself. The clock is frozen at Monday 2026-11-23
09:00, the morning after the fixture's week 2026-W47.
"""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from antifraud import access, clock, registry
from antifraud.tasks import actions, roles
from antifraud.tasks.model import ANSWERED, DONE, MISSED, PENDING, WITHDRAWN, Draft, Target
from antifraud.tasks.store import TaskStore

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-11-23T09:00:00"
PASSWORDS = {"chair": "chair-pass-123", "muye": "muye-pass-1234", "hongqi": "hongqi-pass-12",
             "reader": "reader-pass-123", "nowhere": "nowhere-pass-1"}
SECRETS = {"auth": {"passwords": {u: access.hash_password(p) for u, p in PASSWORDS.items()},
                    "roles": {"chair": "admin", "muye": "bureau", "hongqi": "bureau", "nowhere": "bureau",
                              "reader": "reader"},
                    "districts": {"muye": ["牧野区"], "hongqi": ["红旗区"]}}}
OVERDUE_5 = Target("metric", metric="overdue_rate", op="<=", value=0.05)


@pytest.fixture()
def app_db(fixture_db, tmp_path, monkeypatch):
    db = tmp_path / "data" / "af.duckdb"
    db.parent.mkdir()
    shutil.copy(fixture_db, db)
    monkeypatch.setenv("ANTIFRAUD_DB", str(db))
    monkeypatch.setenv("ANTIFRAUD_NOW", NOW)
    import queries
    queries.use_database(None)
    yield db
    queries.use_database(None)


@pytest.fixture()
def store(app_db) -> TaskStore:
    return TaskStore(app_db.parent / "tasks.sqlite3")


def seed(store: TaskStore, bureau: str, subject: str, meeting="2026-W47", due="", target=None) -> int:
    with clock.frozen(NOW):
        return store.create(Draft((bureau,), subject, meeting, due, target), "chair").id


def page(user: str | None = None, params: dict | None = None, secrets=SECRETS) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "followup.py"), default_timeout=90)
    if secrets:
        at.secrets.update(secrets)
    for k, v in {"week": "2026-W47", **(params or {})}.items():
        at.query_params[k] = v
    at.run()
    if user:
        at.text_input(key="login_name").input(user)
        at.text_input(key="login_password").input(PASSWORDS[user])
        next(b for b in at.button if b.label == "登录").click()
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [t.value for t in at.text]
                     + [w.value for w in at.warning] + [i.value for i in at.info])


def errors(at: AppTest) -> list[str]:
    return [e.value.replace("\\", "") for e in at.error]


def keys(at: AppTest) -> set[str]:
    return {b.key for b in at.button if b.key}


# ---------------------------------------------------------------- the chair

def test_chair_creates_after_bad_input_and_nothing_bad_is_saved(store):
    at = page("chair")
    assert "您是会商主持人" in texts(at) and "tn_save" in keys(at)
    assert "新乡市 · 2026年第47周" in texts(at)
    bad = [
        ({"districts": [], "subject": "卫辉：限期整改"}, "请选择至少一个区县。"),
        ({"districts": ["卫辉市"], "subject": "  "}, "请填写督办事项。"),
        ({"districts": ["卫辉市"], "subject": "超" * 201}, "督办事项不能超过200字（现为201字）。"),
        ({"districts": ["卫辉市"], "subject": "整改<script>alert(1)</script>"}, "不能包含 HTML 或脚本标记"),
        ({"districts": ["卫辉市"], "subject": "联系13812345678"}, "疑似手机号"),
        ({"districts": ["卫辉市"], "subject": "卫辉：限期整改", "due": "2026-W46"}, "期限（2026-W46）不能早于会商周（2026-W47）。"),
        ({"districts": ["卫辉市"], "subject": "卫辉：限期整改", "kind": actions.METRIC, "value": 150.0},
         "“超期率”的目标应在0%到100%之间（现为150%）。"),
    ]
    for fields, words in bad:
        at.multiselect(key="tn_districts").set_value(fields["districts"])
        at.text_area(key="tn_subject").input(fields["subject"])
        at.text_input(key="tn_due").input(fields.get("due", "2026-W48"))
        at.selectbox(key="tn_kind").set_value(fields.get("kind", actions.NO_TARGET))
        at.run()
        if "value" in fields:
            at.number_input(key="tn_value").set_value(fields["value"])
        click(at, "tn_save")
        assert any(words in e for e in errors(at)), (words, errors(at))
        assert not store.exists() or store.tasks() == []                  # nothing saved
    at.number_input(key="tn_value").set_value(5.0)
    click(at, "tn_save")
    assert not errors(at) and any("已新建督办事项 1（期限 2026-W48）" in s.value for s in at.success)
    (t,) = store.tasks()
    assert (t.bureaus, t.subject, t.meeting_week, t.due_period, t.target, t.created_by) == \
        (("410781",), "卫辉：限期整改", "2026-W47", "2026-W48", OVERDUE_5, "chair")
    table = at.dataframe[0].value
    assert table["督办事项"].tolist() == ["卫辉：限期整改"] and table["关联指标"].tolist() == ["超期率 ≤ 5.00%"]
    assert "状态：待反馈" in texts(at) and at.selectbox(key="task_pick").value == 1
    assert at.text_area(key="tn_subject").value == ""                     # the form is cleared for the next one


def test_one_click_turns_a_suggestion_into_a_draft(store):
    at = page("chair")
    # fixture W47: 红旗区 has the one overdue 高 warning (W2, 45 minutes against 30)
    assert any("高级预警超期：红旗区本周高级预警超期1条" in m.value for m in at.markdown)
    button = next(k for k in keys(at) if k.startswith("suggest_") and k.endswith("_overdue_410702"))
    click(at, button)
    assert at.multiselect(key="tn_districts").value == ["红旗区"]
    assert at.text_area(key="tn_subject").value == "红旗区：本周高级预警超期1条，限期整改，超期率降至5%以下，下次会商说明"
    assert (at.selectbox(key="tn_kind").value, at.selectbox(key="tn_metric").value,
            at.selectbox(key="tn_op").value, at.number_input(key="tn_value").value) == (actions.METRIC, "超期率", "≤", 5.0)
    at.number_input(key="tn_value").set_value(10.0)                      # the chair edits the target, then saves
    click(at, "tn_save")
    (t,) = store.tasks()
    assert t.bureaus == ("410702",) and t.target == Target("metric", metric="overdue_rate", op="<=", value=0.1)
    assert not any(k.endswith("_overdue_410702") for k in keys(at))      # taken up: no longer suggested


def test_chair_closes_and_withdraws_and_sees_the_journal(store):
    a = seed(store, "410781", "卫辉：超期整改", target=OVERDUE_5)
    b = seed(store, "410711", "牧野：重复录入")
    at = page("chair")
    at.selectbox(key="task_pick").set_value(a)
    at.run()
    at.radio(key=f"tc_{a}_1_outcome").set_value(MISSED)
    at.text_area(key=f"tc_{a}_1_note").input("未按期整改，下周再议")
    click(at, f"tc_{a}_1_save")
    assert store.get(a).status == MISSED and store.get(a).closing_note == "未按期整改，下周再议"
    assert f"tc_{a}_2_save" not in keys(at)                              # closed: no more forms
    at.selectbox(key="task_pick").set_value(b)
    at.run()
    click(at, f"tw_{b}_1_save")
    assert "请填写撤销原因。" in errors(at) and store.get(b).status == PENDING
    at.text_area(key=f"tw_{b}_1_reason").input("与1号事项重复")
    click(at, f"tw_{b}_1_save")
    assert store.get(b).status == WITHDRAWN and len(store.tasks()) == 2   # withdrawn, never deleted
    journal = at.dataframe[-1].value
    assert journal["修改人"].tolist()[-2:] == ["chair", "chair"]
    assert journal["项目"].tolist()[-2:] == ["状态", "撤销原因"] and journal["新值"].tolist()[-1] == "与1号事项重复"


def test_a_stale_edit_gets_a_conflict_and_overwrites_nothing(store):
    t = seed(store, "410781", "卫辉：超期整改")
    at = page("chair")
    assert at.text_area(key=f"te_{t}_1_subject").value == "卫辉：超期整改"
    with clock.frozen(NOW):
        store.edit(t, 1, "deputy", due_period="2026-W50")                  # someone else, meanwhile
    at.text_area(key=f"te_{t}_1_subject").input("主持人基于旧版本的修改")
    click(at, f"te_{t}_1_save")
    assert any("已被他人修改（您看到的是第1版，现为第2版），您的修改未保存" in e for e in errors(at))
    now = store.get(t)
    assert (now.subject, now.due_period, now.version) == ("卫辉：超期整改", "2026-W50", 2)
    assert [c.user for c in store.journal(t)][-1] == "deputy"
    assert at.text_input(key=f"te_{t}_2_due").value == "2026-W50"         # the form now shows version 2


# ---------------------------------------------------------------- bureaus, readers, no login

def test_a_bureau_answers_its_own_tasks_only_and_the_url_cannot_widen_it(store):
    mine = seed(store, "410711", "牧野：超期预警整改")
    other = seed(store, "410702", "红旗：超期预警整改")
    at = page("muye", {"district": ["红旗区"]})
    assert any("不在您的查看范围内" in w.value for w in at.warning)
    assert at.dataframe[0].value["编号"].tolist() == [mine]               # only its own district's tasks
    assert "您可以对牧野区的督办事项填写反馈" in texts(at)
    assert keys(at) >= {f"tf_{mine}_save"} and not {k for k in keys(at) if k.startswith(("tn_", "te_", "tc_", "tw_"))}
    at.text_area(key=f"tf_{mine}_text").input("已约谈牧野派出所，超期预警逐条说明")
    click(at, f"tf_{mine}_save")
    t = store.get(mine)
    assert t.status == ANSWERED and t.feedback[0].user == "muye" and "状态：已反馈" in texts(at)
    # even a hand-made request cannot answer another bureau's task
    muye = roles.rights(access.Identity("muye", "bureau", districts=("牧野区",)), {"牧野区": "410711", "红旗区": "410702"})
    out = actions.feedback(other, "越权反馈", store, access.Identity("muye", "bureau"), muye)
    assert not out.ok and out.message == "只能对本单位的督办事项反馈。"
    assert store.get(other).feedback == () and store.get(other).status == PENDING


def test_feedback_with_markup_is_refused_and_the_text_stays(store):
    mine = seed(store, "410711", "牧野：超期预警整改")
    at = page("muye")
    at.text_area(key=f"tf_{mine}_text").input('<img src=x onerror="alert(1)">已整改')
    click(at, f"tf_{mine}_save")
    assert any("反馈内容不能包含 HTML 或脚本标记" in e for e in errors(at))
    assert store.get(mine).feedback == ()
    assert at.text_area(key=f"tf_{mine}_text").value.endswith("已整改")   # kept for correcting


def test_a_bureau_account_without_districts_cannot_answer(store):
    seed(store, "410711", "牧野：超期预警整改")
    at = page("nowhere")
    assert "未限定所属区县" in texts(at)
    assert not {k for k in keys(at) if k.startswith(("tf_", "tn_", "te_"))}


def test_a_reader_reads_only(store):
    seed(store, "410781", "卫辉：超期整改")
    at = page("reader")
    assert "（只读）" in texts(at) and at.dataframe[0].value["督办事项"].tolist() == ["卫辉：超期整改"]
    assert keys(at) <= {"logout"}


def test_without_any_login_reading_is_open_and_writing_is_not(store):
    seed(store, "410781", "卫辉：超期整改")
    at = page(secrets=None)
    assert "需要登录" in texts(at) and at.dataframe[0].value["督办事项"].tolist() == ["卫辉：超期整改"]
    assert not keys(at)


def test_registered_at_the_end_of_the_agenda_and_runs_through_the_dashboard(app_db):
    from antifraud import registry
    titles = [p.title for p in registry.PAGES]
    assert titles.index("督办") == titles.index("分县局排名") + 1
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.query_params["week"] = "2026-W47"
    at.run()
    at.switch_page("pages/followup.py")
    at.query_params["week"] = "2026-W47"
    at.run()
    assert not at.exception and "### 督办" in texts(at)


# ---------------------------------------------------------------- wall, stored markup, broken store

def test_the_wall_shows_the_line_and_the_open_tasks(store):
    done = seed(store, "410702", "红旗：超期整改", meeting="2026-W46", due="2026-W47")
    late = seed(store, "410725", "原阳：城关镇发案回落", meeting="2026-W46", due="2026-W47")
    with clock.frozen(NOW):
        store.close(done, 1, "chair", DONE)
    at = page(params={"wall": "1"}, secrets=None)
    html = "\n".join(h.proto.body for h in at.get("html"))
    assert "上周督办事项：2项，已完成1项，未达标0项，逾期1项" in html
    assert "原阳：城关镇发案回落" in html and "红旗：超期整改" not in html      # only the open one is listed
    assert not keys(at) and not at.get("text_area")                          # read-only


def test_markup_already_in_the_store_is_shown_as_text(store):
    t = seed(store, "410781", "占位")
    con = sqlite3.connect(store.path)           # as if an older version had let it in
    con.execute("UPDATE tasks SET subject = ? WHERE id = ?", ('<img src=x onerror="alert(1)">', t))
    con.commit()
    con.close()
    at = page("reader")
    assert '<img src=x onerror="alert(1)">' in [x.value for x in at.text]                # st.text: plain text
    assert not any("onerror" in h.proto.body for h in at.get("html"))
    assert not any("<img" in m.value for m in at.markdown)
    assert at.dataframe[0].value["督办事项"].tolist() == ['<img src=x onerror="alert(1)">']  # a grid cell, not HTML


def test_a_broken_store_is_one_calm_sentence(app_db):
    (app_db.parent / "tasks.sqlite3").mkdir()    # the store path is a folder: SQLite cannot open it
    at = page("chair")
    assert not at.exception
    assert errors(at) == ["督办事项库暂时无法打开，请稍后再试（详情已记入日志）。"]
    assert "Traceback" not in texts(at)
