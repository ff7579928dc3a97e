"""Password login in a real browser: AppTest cannot show that the form works across real
reruns, that a page URL asked for first on a fresh server is gated too, or that the kiosk
account lands in wall mode. Secrets come from a file outside the project
(STREAMLIT_SECRETS_FILES), so the project's own .streamlit/ is never touched.
"""
from __future__ import annotations

import pytest

from harness import build_fixture_database, new_page, start_app

from antifraud import access

PASSWORDS = {"reader": "reader-pass-123", "wall": "wall-kiosk-key-9"}


@pytest.fixture(scope="module")
def login_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("login")
    db = build_fixture_database(folder / "antifraud.duckdb")
    secrets = folder / "secrets.toml"
    secrets.write_text("[auth.passwords]\n" + "".join(f'{u} = "{access.hash_password(p)}"\n'
                                                     for u, p in PASSWORDS.items())
                       + '[auth.roles]\nwall = "kiosk"\n', encoding="utf-8")
    server = start_app(db, folder / "app", extra_env={"STREAMLIT_SECRETS_FILES": str(secrets)})
    yield server
    server.stop()


def _text(page) -> str:
    return page.inner_text("body")


def _login(page, name: str, password: str) -> None:
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def test_page_url_first_is_gated_then_login_works(browser, login_app):
    page = new_page(browser)
    page.goto(login_app.page_url("areas", week="2026-W47"))          # the first request of this server
    page.get_by_text("请先登录").wait_for(timeout=60_000)
    assert "东街" not in _text(page)                                   # no data behind the form
    page.goto(login_app.page_url("", week="2026-W47"))
    page.get_by_text("请先登录").wait_for(timeout=30_000)
    _login(page, "reader", "wrong password")
    page.get_by_text("用户名或密码不正确").wait_for(timeout=30_000)
    assert "发案数" not in _text(page)
    _login(page, "reader", PASSWORDS["reader"])
    page.get_by_text("当前用户：reader").first.wait_for(timeout=30_000)
    page.get_by_text("发案数").first.wait_for(timeout=30_000)


def test_kiosk_lands_in_wall_mode(browser, login_app):
    page = new_page(browser)
    page.goto(login_app.page_url("", week="2026-W47"))
    page.get_by_text("请先登录").wait_for(timeout=60_000)
    _login(page, "wall", PASSWORDS["wall"])
    page.wait_for_url("**wall=1**", timeout=30_000)
    page.locator('[data-testid="wallHeader"]').wait_for(timeout=30_000)
    key = new_page(browser)
    key.goto(login_app.page_url("", week="2026-W47", wall="1", kiosk=PASSWORDS["wall"]))
    key.locator('[data-testid="wallHeader"]').wait_for(timeout=60_000)
    assert "请先登录" not in _text(key)
