"""OIDC login end to end: headless Chromium, the real dashboard, a real local OpenID provider.

The provider is `oidc-provider-mock` (requirements-dev.txt), started on a free port of
127.0.0.1. It signs real ID tokens with its own key, publishes the key at its jwks_uri and
shows an HTML form to pick the user; Streamlit's /auth routes and Authlib do the rest, as
they would against Keycloak. The dashboard's secrets name both addresses, so the dashboard's
port is chosen before it starts.

Bad tokens come from the same provider: its user claims are copied into the ID token after
the standard ones (Authlib's `encode_id_token`: `claims.update(user_info)`), so a user whose
claims hold `aud` or `exp` gets a token signed by the provider that is meant for another
client, or that expired in 2001. Authlib (1.9) refuses the first through the OIDC rule that
an audience other than the client needs `azp` = the client (`IDToken.validate_azp`), the
second through `exp` (leeway 120 s); Streamlit then logs "OAuth token exchange failed" and
sets no identity cookie.
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from harness import build_fixture_database, free_port, main_text, new_page, start_app, wait_idle

from antifraud import access

pytest.importorskip("oidc_provider_mock", reason="pip install -r requirements-dev.txt")

CLIENT_ID = "antifraud-dashboard"
USERS = [
    # districts from the settings ([auth.districts] in secrets), role: reader by default
    {"sub": "wang", "preferred_username": "wang.fang", "name": "王芳"},
    # role and districts from the provider's claims (named by [auth] role_claim / districts_claim)
    {"sub": "li", "preferred_username": "li.ming", "name": "李明",
     "antifraud_role": "admin", "antifraud_districts": ["牧野区"]},
    # a token the provider signed for another client
    {"sub": "mallory", "preferred_username": "mallory", "aud": "another-app"},
    # a token that expired long ago (a fixed date: Authlib checks it against the machine's clock)
    {"sub": "late", "preferred_username": "late", "exp": 1_000_000_000},
]
READER_PASSWORD = "reader-pass-123"
LOGIN_BUTTON = "使用单位统一身份认证登录"
WEEK = "2026-W47"


def _local_only(context) -> None:
    """Nothing leaves the machine: the provider's pages link a stylesheet on a CDN."""
    def route(r):
        host = urllib.parse.urlsplit(r.request.url).hostname
        r.continue_() if host in ("127.0.0.1", "localhost") else r.abort()
    context.route("**/*", route)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("provider") / "provider.log"
    cmd = [sys.executable, "-W", "ignore", "-m", "oidc_provider_mock", "--port", str(port)]
    for user in USERS:
        cmd += ["--user-claims", json.dumps(user, ensure_ascii=False)]
    with open(log, "wb") as out:
        process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}/.well-known/openid-configuration", timeout=2) as r:
                assert json.load(r)["issuer"] == url
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                _stop(process)
                raise RuntimeError(f"oidc-provider-mock did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.2)
    yield url
    _stop(process)


def _secrets(path: Path, app_port: int, metadata_url: str) -> Path:
    path.write_text(f"""
[auth]
redirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"
cookie_secret = "{secrets.token_hex(32)}"
client_id = "{CLIENT_ID}"
client_secret = "{secrets.token_hex(16)}"
server_metadata_url = "{metadata_url}"
role_claim = "antifraud_role"
districts_claim = "antifraud_districts"

[auth.districts]
"wang.fang" = ["辉县市"]

[auth.passwords]
reader = "{access.hash_password(READER_PASSWORD)}"
""", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def oidc_app(provider, tmp_path_factory):
    folder = tmp_path_factory.mktemp("oidc")
    db = build_fixture_database(folder / "antifraud.duckdb")
    port = free_port()
    secrets_file = _secrets(folder / "secrets.toml", port, f"{provider}/.well-known/openid-configuration")
    server = start_app(db, folder / "app", settings={"import": {"enabled": True}}, port=port,
                       extra_env={"STREAMLIT_SECRETS_FILES": str(secrets_file)})
    yield server
    server.stop()


def _page(browser):
    page = new_page(browser)
    _local_only(page.context)
    return page


def _login(page, app, sub: str) -> None:
    """From the dashboard's login screen through the provider's form and back."""
    page.goto(app.page_url("", week=WEEK))
    page.get_by_role("button", name=LOGIN_BUTTON).click(timeout=60_000)
    page.wait_for_url("**/oauth2/authorize?**", timeout=30_000)
    assert f"client_id={CLIENT_ID}" in page.url
    page.get_by_role("button", name=sub, exact=True).click()
    page.wait_for_url(f"{app.url}/**", timeout=30_000)


def _metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    box.wait_for(timeout=30_000)
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def _district_options(page) -> list[str]:
    select = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').first
    select.click()
    options = page.locator('[role="option"]')
    options.first.wait_for(timeout=10_000)
    texts = [t.strip() for t in options.all_inner_texts()]
    page.keyboard.press("Escape")
    return texts


def _identity_cookie(page) -> bool:
    return any(c["name"].startswith("_streamlit_user") for c in page.context.cookies())


def test_login_districts_from_settings_cannot_be_widened_then_logout(browser, oidc_app):
    page = _page(browser)
    page.goto(oidc_app.page_url("", week=WEEK))
    page.get_by_text("请先登录").wait_for(timeout=60_000)
    page.get_by_label("用户名").wait_for(timeout=30_000)              # the password form is still offered
    assert "发案数" not in main_text(page)

    _login(page, oidc_app, "wang")
    page.get_by_text("当前用户：wang.fang").first.wait_for(timeout=60_000)
    assert _identity_cookie(page)

    # a supervisor limited to 辉县市 asks for 牧野区 in the URL
    page.goto(oidc_app.page_url("", week=WEEK, district="牧野区"))
    page.get_by_text("不在您的查看范围内").first.wait_for(timeout=60_000)
    assert _metric(page, "发案数") == "0起"                           # 辉县市's week; 牧野区 had 2, the city 5
    assert _district_options(page) == ["辉县市"]
    assert "当前用户：wang.fang" in page.inner_text("body")           # the cookie outlives a reload

    page.goto(oidc_app.page_url("import", week=WEEK))
    page.get_by_text("需要管理员权限").first.wait_for(timeout=60_000)   # a reader by default

    wait_idle(page)
    page.get_by_role("button", name="退出登录").click()
    # the provider's logout too: one click, every time (a rerun after st.logout() lost it 1 in 3)
    page.wait_for_url("**/oauth2/end_session**", timeout=30_000)
    page.get_by_role("button", name="End session").click()
    page.get_by_text("请先登录").wait_for(timeout=60_000)
    assert not _identity_cookie(page)
    page.goto(oidc_app.page_url("", week=WEEK))
    page.get_by_text("请先登录").wait_for(timeout=60_000)
    assert "当前用户" not in page.inner_text("body")
    assert not [f for f in page.failures if f.startswith("5")], page.failures
    page.context.close()


def test_role_and_districts_from_claims(browser, oidc_app):
    page = _page(browser)
    _login(page, oidc_app, "li")
    page.get_by_text("当前用户：li.ming").first.wait_for(timeout=60_000)
    page.goto(oidc_app.page_url("", week=WEEK, district="红旗区"))
    page.get_by_text("不在您的查看范围内").first.wait_for(timeout=60_000)
    assert _metric(page, "发案数") == "2起"                           # 牧野区 only (C3, C5)
    assert _district_options(page) == ["牧野区"]
    page.goto(oidc_app.page_url("import", week=WEEK))
    page.locator('[data-testid="stFileUploader"]').wait_for(timeout=60_000)   # admin by claim
    page.context.close()


@pytest.mark.parametrize("sub, reason", [("mallory", "azp"), ("late", "expired")])
def test_wrong_audience_or_expired_token_is_refused(browser, oidc_app, sub, reason):
    before = len(oidc_app.log_text())
    page = _page(browser)
    _login(page, oidc_app, sub)
    page.get_by_text("请先登录").wait_for(timeout=60_000)
    page.wait_for_timeout(1000)
    assert "当前用户" not in page.inner_text("body") and "发案数" not in main_text(page)
    assert not _identity_cookie(page)
    log = oidc_app.log_text()[before:]
    assert "OAuth token exchange failed" in log, log[-2000:]
    assert reason in log.lower(), log[-2000:]
    assert not [f for f in page.failures if f.startswith("5")], page.failures
    page.context.close()


def test_password_login_beside_oidc(browser, oidc_app):
    page = _page(browser)
    page.goto(oidc_app.page_url("", week=WEEK))
    page.get_by_label("用户名").fill("reader", timeout=60_000)
    page.get_by_label("密码").fill(READER_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.get_by_text("当前用户：reader").first.wait_for(timeout=30_000)
    assert _metric(page, "发案数") == "5起"
    page.context.close()


# ---------------------------------------------------------------- a piece missing

def test_missing_httpx_is_one_sentence_not_a_500(browser, provider, tmp_path):
    """As a centre that installed Authlib alone: httpx cannot be imported by the server."""
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "httpx.py").write_text('raise ModuleNotFoundError("No module named \'httpx\'", name="httpx")\n')
    db = build_fixture_database(tmp_path / "antifraud.duckdb")
    port = free_port()
    secrets_file = _secrets(tmp_path / "secrets.toml", port, f"{provider}/.well-known/openid-configuration")
    server = start_app(db, tmp_path / "app", port=port,
                       extra_env={"STREAMLIT_SECRETS_FILES": str(secrets_file), "PYTHONPATH": str(shim)})
    try:
        page = _page(browser)
        page.goto(server.page_url("", week=WEEK))
        page.get_by_text("服务器缺少 httpx 组件").wait_for(timeout=60_000)
        assert page.get_by_role("button", name=LOGIN_BUTTON).count() == 0
        page.get_by_label("用户名").wait_for(timeout=30_000)          # passwords still work
        assert "Traceback" not in page.inner_text("body")
        page.context.close()
    finally:
        server.stop()
