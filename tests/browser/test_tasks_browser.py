"""督办 in two real browsers at once: the chair creates a task in one context, the bureau
gives its feedback from another, and the chair's page then shows the new status. Password
logins from a secrets file outside the project (STREAMLIT_SECRETS_FILES); the server's clock
is frozen (ANTIFRAUD_NOW), so nothing depends on today's date.
"""
from __future__ import annotations

import pytest

from harness import build_fixture_database, new_page, open_app, start_app, wait_idle

from antifraud import access
from antifraud.tasks.store import TaskStore

PASSWORDS = {"chair": "chair-pass-123", "muye": "muye-pass-1234", "wall": "wall-key-12345"}
REFRESH = 3                      # the wall's refresh interval in this test (settings [wall] refresh_seconds)


@pytest.fixture(scope="module")
def tasks_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tasks")
    db = build_fixture_database(folder / "antifraud.duckdb")
    secrets = folder / "secrets.toml"
    secrets.write_text("[auth.passwords]\n" + "".join(f'{u} = "{access.hash_password(p)}"\n'
                                                     for u, p in PASSWORDS.items())
                       + '[auth.roles]\nchair = "admin"\nmuye = "bureau"\nwall = "kiosk"\n'
                       + '[auth.districts]\nmuye = ["牧野区"]\n', encoding="utf-8")
    server = start_app(db, folder / "app", settings={"wall": {"refresh_seconds": REFRESH}},
                       extra_env={"STREAMLIT_SECRETS_FILES": str(secrets), "ANTIFRAUD_NOW": "2026-11-23T09:00:00"})
    yield server
    server.stop()


def _login(page, name: str) -> None:
    page.get_by_text("请先登录").wait_for(timeout=60_000)
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(PASSWORDS[name])
    page.get_by_role("button", name="登录").click()
    page.get_by_text(f"当前用户：{name}").first.wait_for(timeout=30_000)
    wait_idle(page)


def _type(page, label: str, text: str) -> None:
    box = page.get_by_label(label)
    box.fill(text)
    box.press("Control+Enter")            # commit the value before the button is pressed
    wait_idle(page)


def _wall_tasks(page) -> str:
    return page.inner_text('[data-testid="wallTasks"]')


def test_chair_creates_bureau_answers_chair_and_wall_see_it(browser, tasks_app):
    chair = new_page(browser, viewport={"width": 1600, "height": 1000})
    bureau = new_page(browser, viewport={"width": 1600, "height": 1000})
    wall = new_page(browser)                  # the meeting room's screen, a third browser
    try:
        open_app(chair, tasks_app.page_url("followup", week="2026-W47"))
        _login(chair, "chair")
        chair.get_by_text("新建督办事项").first.wait_for(timeout=30_000)
        districts = chair.locator('[data-testid="stMultiSelect"]').filter(has_text="责任区县")
        districts.locator("input").click()
        districts.locator("input").fill("牧野区")
        districts.locator("input").press("Enter")
        chair.keyboard.press("Escape")
        wait_idle(chair)
        _type(chair, "督办事项（不超过200字）", "牧野区：本周超期预警逐条说明，下周会上汇报")
        chair.get_by_role("button", name="保存督办事项").click()
        chair.get_by_text("已新建督办事项 1（期限 2026-W48）").wait_for(timeout=30_000)
        wait_idle(chair)
        assert "状态：待反馈" in chair.inner_text("body")

        open_app(bureau, tasks_app.page_url("followup", week="2026-W47", district="红旗区"))
        _login(bureau, "muye")
        bureau.get_by_text("您可以对牧野区的督办事项填写反馈").wait_for(timeout=30_000)
        assert "保存督办事项" not in bureau.inner_text("body")          # no chair's forms for a bureau
        _type(bureau, "填写反馈（本单位落实情况）", "已约谈牧野派出所，超期预警逐条说明")
        # the wall on the task's due week, pinned to the follow-up slide, before the feedback
        open_app(wall, tasks_app.page_url("", wall="1", page="followup", week="2026-W48",
                                          kiosk=PASSWORDS["wall"]))     # the kiosk account's key
        wall.wait_for_selector('[data-testid="wallTasks"]', timeout=30_000)
        assert "待反馈" in _wall_tasks(wall) and "牧野区" in _wall_tasks(wall)
        bureau.get_by_role("button", name="提交反馈").click()
        bureau.get_by_text("已提交对督办事项 1 的反馈").wait_for(timeout=30_000)
        # the wall watches the tasks' journal: the new status shows within its refresh interval, no reload
        # (answered, the task awaits the chair's verdict at the meeting: 待评定)
        wall.wait_for_function("""() => { const t = document.querySelector('[data-testid="wallTasks"]');
            return t && t.innerText.includes('待评定') && !t.innerText.includes('待反馈'); }""",
                               timeout=(REFRESH * 3 + 15) * 1000, polling=250)
        assert "待评定1项" in wall.inner_text('[data-testid="stMain"]')

        chair.reload(wait_until="domcontentloaded")
        wait_idle(chair, 45_000)
        if "请先登录" in chair.inner_text("body"):                     # a reload starts a new session
            _login(chair, "chair")
        chair.get_by_text("状态：已反馈").wait_for(timeout=30_000)
        chair.get_by_text("反馈（1条）").wait_for(timeout=10_000)
        store = TaskStore(tasks_app.db.path.parent / "tasks.sqlite3")
        (t,) = store.tasks()
        assert (t.created_by, t.status, t.feedback[0].user) == ("chair", "已反馈", "muye")
        assert [c.user for c in store.journal(t.id)][-2:] == ["muye", "muye"]
        for p in (chair, bureau):
            assert not p.query_selector('[data-testid="stException"]')
    finally:
        chair.context.close()
        bureau.context.close()
        wall.context.close()


@pytest.fixture(scope="module")
def wall_app(tmp_path_factory):
    """A server whose store holds ten tasks due in 2026-W47, most of them still open."""
    from antifraud import clock
    from antifraud.tasks.model import Draft, Target
    folder = tmp_path_factory.mktemp("tasks-wall")
    db = build_fixture_database(folder / "antifraud.duckdb")
    store = TaskStore(folder / "tasks.sqlite3")
    targets = [Target("metric", metric="overdue_rate", op="<=", value=0.05),
               Target("place", op="<=", value=1.0, level="township", place="牧野街道"),
               Target("ids", ids=("W2", "W3", "W5")), None]
    bureaus = ["410702", "410711", "410725", "410781", "410727"]
    with clock.frozen("2026-11-16 10:00"):
        for i in range(10):
            store.create(Draft((bureaus[i % 5],), f"第{i + 1}项：" + "高级预警超期问题限期整改并在下次会商说明落实情况" * 3,
                               "2026-W46", "2026-W47", targets[i % 4]), "chair")
    server = start_app(db, folder / "app", extra_env={"ANTIFRAUD_NOW": "2026-11-23T09:00:00"})
    yield server
    server.stop()


def test_the_wall_slide_fits_1080p(browser, wall_app):
    from harness import cut_off, scroll_overflow
    page = new_page(browser)
    try:
        open_app(page, wall_app.page_url("", wall="1", page="followup", week="2026-W47"))
        page.wait_for_selector('[data-testid="wallTasks"]', timeout=30_000)
        wait_idle(page)
        page.wait_for_timeout(500)
        text = page.inner_text('[data-testid="stMain"]')
        assert "上周督办事项：10项，已完成0项，未达标0项，逾期10项" in text and "另有2项见督办页面。" in text
        assert len(page.query_selector_all('[data-testid="wallTasks"] tr')) == 1 + 8
        assert all(v <= 1 for v in scroll_overflow(page).values()), scroll_overflow(page)
        assert cut_off(page) == []
        assert not page.query_selector('[data-testid="stException"]')
    finally:
        page.context.close()
