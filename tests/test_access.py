"""Access: passwords, lockout, roles, kiosk, district restriction, OIDC decisions, audit.

The password path runs for real under AppTest with `at.secrets`; the OIDC decisions are pure
functions and its Streamlit side is seeded `at.user` (what st.user reads after a real st.login).
The real OIDC flow, against a local provider in headless Chromium, is tests/browser/test_oidc.py.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from antifraud import access, audit, clock, widgets
from antifraud.access import AuthConfig, Identity, decide

ROOT = Path(__file__).resolve().parent.parent
PASSWORDS = {"admin": "correct horse battery", "reader": "reader-pass-123", "wall": "wall-kiosk-key-9",
             "muye": "muye-super-visor"}
HASHES = {u: access.hash_password(p) for u, p in PASSWORDS.items()}
SECRETS = {"auth": {"passwords": dict(HASHES),
                    "roles": {"admin": "admin", "reader": "reader", "wall": "kiosk", "muye": "reader"},
                    "districts": {"muye": ["牧野区"]}}}


# ---------------------------------------------------------------- passwords

def test_hash_and_verify():
    stored = HASHES["admin"]
    assert stored.startswith("scrypt$16384$8$1$") and PASSWORDS["admin"] not in stored
    assert access.verify_password(PASSWORDS["admin"], stored)
    assert not access.verify_password("correct horse batterY", stored)
    assert not access.verify_password("", stored)
    assert not access.verify_password(PASSWORDS["admin"], None)              # unknown user
    assert not access.verify_password("-", None)                              # not even the dummy's own password
    assert not access.verify_password(PASSWORDS["admin"], "plain-text-in-secrets")
    assert not access.verify_password(PASSWORDS["admin"], "scrypt$x$y$z$$")
    assert access.hash_password("same") != access.hash_password("same")       # salted


def test_comparison_is_constant_time():
    source = Path(access.__file__).read_text(encoding="utf-8")
    body = source[source.index("def verify_password"):source.index("# ------", source.index("def verify_password"))]
    assert "hmac.compare_digest(" in body and "==" not in body


def test_hash_password_command():
    out = subprocess.run([sys.executable, "-m", "antifraud.access", "hash-password", "zhang.wei", "--stdin"],
                         input="a long enough password\n", capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    name, value = re.fullmatch(r'(\S+) = "(\S+)"\n', out.stdout).groups()
    assert name == "zhang.wei" and access.verify_password("a long enough password", value)
    short = subprocess.run([sys.executable, "-m", "antifraud.access", "hash-password", "--stdin"],
                           input="short\n", capture_output=True, text=True, cwd=ROOT)
    assert short.returncode == 2 and "10" in short.stderr


# ---------------------------------------------------------------- configuration and decisions

def test_config_defaults_and_providers():
    none = access.auth_config({}, {"auth": {"require_login_to_read": "auto"}})
    assert not none.login_configured and not none.require_read and none.providers == ()
    pw = access.auth_config(SECRETS, {"auth": {"require_login_to_read": "auto", "lockout_failures": 3}})
    assert pw.require_read and pw.providers == () and pw.lockout_failures == 3
    assert pw.roles["wall"] == "kiosk" and pw.districts["muye"] == ("牧野区",)
    off = access.auth_config(SECRETS, {"auth": {"require_login_to_read": False}})
    assert not off.require_read
    flat = {"auth": {"redirect_uri": "http://x/oauth2callback", "cookie_secret": "s", "client_id": "c",
                     "client_secret": "d", "server_metadata_url": "https://kc/realms/x/.well-known/openid-configuration",
                     "passwords": {"wall": HASHES["wall"]}}}
    assert access.oidc_providers(flat["auth"]) == ("default",)
    named = {"redirect_uri": "x", "cookie_secret": "y",
             "keycloak": {"server_metadata_url": "https://kc/.well-known/openid-configuration"},
             "adfs": {"server_metadata_url": "https://adfs/adfs/.well-known/openid-configuration"},
             "passwords": {"server_metadata_url": "not a provider"}, "roles": {}}
    assert access.oidc_providers(named) == ("keycloak", "adfs")
    both = access.auth_config(flat, {"auth": {}})
    assert both.require_read and both.providers == ("default",) and "wall" in both.passwords
    # settings.toml may hold the district mapping too; secrets win
    merged = access.auth_config(SECRETS, {"auth": {"districts": {"muye": ["辉县市"], "li": ["卫滨区"]}}})
    assert merged.districts == {"muye": ("牧野区",), "li": ("卫滨区",)}


CFG = AuthConfig(passwords={"a": "x"}, roles={"a": "admin"}, require_read=True, import_enabled=True)
OPEN = AuthConfig()
ADMIN, READER, KIOSK = Identity("a", "admin"), Identity("r", "reader"), Identity("k", "kiosk")


@pytest.mark.parametrize("cfg, who, title, wall, local, action", [
    (OPEN, None, "本周态势", False, True, "allow"),                 # no login configured: reading open
    (OPEN, None, "数据导入", False, True, "deny"),                  # import off by default
    (AuthConfig(import_enabled=True), None, "数据导入", False, True, "allow"),    # desk machine
    (AuthConfig(import_enabled=True), None, "数据导入", False, False, "deny"),    # remote, no login: refused
    (AuthConfig(import_enabled=True), None, "数据导入", True, True, "deny"),      # never on the wall
    (CFG, None, "", False, True, "login"),                          # reading needs a login
    (CFG, None, "本周态势", True, True, "login"),
    (CFG, READER, "本周态势", False, False, "allow"),
    (CFG, READER, "数据导入", False, True, "deny"),                  # not an admin
    (CFG, ADMIN, "数据导入", False, False, "allow"),
    (CFG, ADMIN, "数据导入", True, False, "deny"),                   # wall mode never shows it
    (CFG, KIOSK, "本周态势", False, False, "wall"),                  # kiosk: into wall mode
    (CFG, KIOSK, "", False, False, "wall"),
    (CFG, KIOSK, "本周态势", True, False, "allow"),
    (CFG, KIOSK, "数据导入", True, False, "deny"),
    (AuthConfig(passwords={"a": "x"}, require_read=False, import_enabled=True), None, "本周态势", False, False, "allow"),
    (AuthConfig(passwords={"a": "x"}, require_read=False, import_enabled=True), None, "数据导入", False, True, "login"),
    (AuthConfig(passwords={"a": "x"}, import_enabled=False), ADMIN, "数据导入", False, True, "deny"),
])
def test_decisions(cfg, who, title, wall, local, action):
    assert decide(cfg, who, title, wall, local).action == action


def test_oidc_identity_decisions():
    cfg = access.auth_config({"auth": {"server_metadata_url": "https://kc", "roles": {"li@gaj.example": "admin"},
                                       "districts": {"wang": ["辉县市"]}}}, {"auth": {}})
    assert access.oidc_name({"is_logged_in": False, "email": "li@gaj.example"}) is None
    assert access.oidc_name({}) is None
    li = access.identity_for(cfg, access.oidc_name({"is_logged_in": True, "email": "li@gaj.example"}), "oidc")
    assert li == Identity("li@gaj.example", "admin", "oidc", ())
    wang = access.identity_for(cfg, access.oidc_name({"is_logged_in": True, "preferred_username": "wang",
                                                      "email": "w@x"}), "oidc")
    assert wang.role == "reader" and wang.districts == ("辉县市",)
    assert access.identity_for(AuthConfig(roles={"x": "superuser"}), "x", "oidc").role == "reader"
    assert decide(cfg, None, "", False).action == "login"
    assert decide(cfg, li, "数据导入", False).action == "deny"         # import still off in settings


def test_role_and_districts_from_claims_only_when_named():
    claims = {"is_logged_in": True, "preferred_username": "zhao", "af_role": ["offline_access", "Admin"],
              "af_districts": "辉县市，卫辉市 牧野区"}
    plain = access.auth_config({"auth": {"server_metadata_url": "https://kc"}}, {"auth": {}})
    assert access.identity_for(plain, "zhao", "oidc", claims) == Identity("zhao", "reader", "oidc", ())
    named = access.auth_config({"auth": {"server_metadata_url": "https://kc", "role_claim": "af_role"}},
                               {"auth": {"districts_claim": "af_districts"}})    # settings or secrets
    assert access.identity_for(named, "zhao", "oidc", claims) == \
        Identity("zhao", "admin", "oidc", ("辉县市", "卫辉市", "牧野区"))
    # an entry in the settings wins over the claim (a centre can narrow what the provider says)
    local = access.auth_config({"auth": {"server_metadata_url": "https://kc", "role_claim": "af_role",
                                         "districts_claim": "af_districts", "roles": {"zhao": "reader"},
                                         "districts": {"zhao": ["辉县市"]}}}, {"auth": {}})
    assert access.identity_for(local, "zhao", "oidc", claims) == Identity("zhao", "reader", "oidc", ("辉县市",))
    # an unknown role word, a number, no claim: nothing beyond reading
    for value in ("superuser", 7, None, []):
        assert access.identity_for(named, "zhao", "oidc", {**claims, "af_role": value}).role == "reader"


def test_oidc_config_problem_names_what_is_missing():
    full = {"redirect_uri": "http://h/oauth2callback", "cookie_secret": "s", "client_id": "c",
            "client_secret": "d", "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}
    assert access.oidc_config_problem(full, "default") is None
    said = access.oidc_config_problem({k: v for k, v in full.items() if k != "cookie_secret"}, "default")
    assert "cookie_secret" in said and said.startswith("统一身份认证登录暂不可用")
    named = {"redirect_uri": "x", "cookie_secret": "y", "keycloak": {"client_id": "c"}}
    said = access.oidc_config_problem(named, "keycloak")
    assert "client_secret" in said and "server_metadata_url" in said and "redirect_uri" not in said


def _hide(monkeypatch, *names):
    """Make modules unimportable in this process, as on a server where they were never installed."""
    for mod in list(sys.modules):
        if mod.startswith(("authlib.integrations.starlette_client", "authlib.integrations.httpx_client")):
            monkeypatch.delitem(sys.modules, mod)
    for name in names:
        monkeypatch.setitem(sys.modules, name, None)


def test_oidc_modules_problem(monkeypatch):
    assert access.oidc_modules_problem() is None                       # requirements-dev installs the extra
    _hide(monkeypatch, "httpx", "httpx2")
    said = access.oidc_modules_problem()
    assert "缺少 httpx 组件" in said and "requirements-oidc.txt" in said
    monkeypatch.undo()
    _hide(monkeypatch, "authlib")
    assert "缺少 Authlib 组件" in access.oidc_modules_problem()


@pytest.fixture()
def metadata_server():
    """A local HTTP server answering with whatever body the test puts in `served`."""
    import http.server
    import json
    import threading
    served = {"body": b"{}"}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(served["body"])

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    served["url"] = f"http://127.0.0.1:{server.server_address[1]}/.well-known/openid-configuration"
    served["json"] = lambda d: served.update(body=json.dumps(d).encode())
    yield served
    server.shutdown()
    server.server_close()


def test_probe_metadata(metadata_server):
    meta = {"authorization_endpoint": "a", "token_endpoint": "t", "jwks_uri": "j"}
    metadata_server["json"](meta)
    assert access.probe_metadata(metadata_server["url"]) is None
    metadata_server["json"]({k: v for k, v in meta.items() if k != "jwks_uri"})
    assert "配置信息不完整" in access.probe_metadata(metadata_server["url"])
    metadata_server["body"] = b"<html>login portal</html>"
    assert "无法连接" in access.probe_metadata(metadata_server["url"])
    closed = f"http://127.0.0.1:{_closed_port()}/.well-known/openid-configuration"
    assert "无法连接" in access.probe_metadata(closed)


def _closed_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]          # nothing listens once the socket is closed


def test_is_local():
    assert access.is_local(None) and access.is_local("127.0.0.1") and access.is_local("::1")
    assert not access.is_local("10.1.2.3") and not access.is_local("garbage")


def test_district_helpers():
    names = ["卫滨区", "牧野区", "辉县市"]
    who = Identity("m", districts=("辉县市", "牧野区", "火星区"))
    allowed = access.allowed_districts(who, names)
    assert allowed == ["牧野区", "辉县市"]                              # units order; unknown names ignored
    assert access.allowed_districts(Identity("x"), names) is None and access.allowed_districts(None, names) is None
    assert access.split_districts(["卫滨区", "牧野区", "火星区"], names, allowed) == (["牧野区", "火星区"], ["卫滨区"])
    assert access.restrict([], allowed) == allowed                    # nothing chosen: all allowed, never the city
    assert access.restrict(["卫滨区"], allowed) == allowed            # cannot be widened
    assert access.restrict(["辉县市"], allowed) == ["辉县市"]
    assert access.restrict(["卫滨区"], None) == ["卫滨区"]


# ---------------------------------------------------------------- lockout and audit store

def test_lockout_counts_failures_in_the_window(tmp_path):
    store = audit.AuditStore(tmp_path / "audit.sqlite3")
    cfg = access.auth_config(SECRETS, {"auth": {"lockout_failures": 3, "lockout_minutes": 10}})
    t0 = dt.datetime(2026, 11, 24, 9, 0)
    for i in range(3):
        who, msg = access.attempt_password(cfg, "admin", "wrong", store, now=t0 + dt.timedelta(minutes=i))
        assert who is None and msg == "用户名或密码不正确。"
    who, msg = access.attempt_password(cfg, "admin", PASSWORDS["admin"], store, now=t0 + dt.timedelta(minutes=3))
    assert who is None and "次数过多" in msg                           # locked: even the right password
    assert access.attempt_password(cfg, "reader", PASSWORDS["reader"], store,
                                   now=t0 + dt.timedelta(minutes=3))[0].role == "reader"   # per user
    who, _ = access.attempt_password(cfg, "admin", PASSWORDS["admin"], store, now=t0 + dt.timedelta(minutes=10, seconds=30))
    assert who == Identity("admin", "admin", "password", ())           # first failure left the window
    # a success starts the count again
    assert not store.locked("admin", 3, 10, now=t0 + dt.timedelta(minutes=11))
    # unknown names are counted too (no hint that the name does not exist)
    for _ in range(3):
        assert access.attempt_password(cfg, "nobody", "x", store, now=t0)[1] == "用户名或密码不正确。"
    assert "次数过多" in access.attempt_password(cfg, "nobody", "x", store, now=t0)[1]
    rows = store.logins()
    assert all(PASSWORDS["admin"] not in str(r) and "wrong" not in str(r) for r in rows)


def test_audit_store_fails_closed_and_never_raises(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("x")
    store = audit.AuditStore(blocked / "audit.sqlite3")            # parent is a file: cannot be created
    assert store.record_download("u", "x.csv") is False
    assert store.locked("u", 5, 15) is True


def test_audit_store_beside_the_database(tmp_path, monkeypatch):
    assert audit.path_for(tmp_path / "data" / "a.duckdb") == tmp_path / "data" / "audit.sqlite3"


def test_audited_download_records_who_what_when(tmp_path, monkeypatch):
    import queries
    from antifraud import widgets
    db = tmp_path / "af.duckdb"
    monkeypatch.setattr(queries, "_database", db)
    calls = []
    data = widgets.audited(lambda: calls.append(1) or b"bytes", "本周大额案件.csv", "大额案件", 3,
                      Identity("zhang.wei", "reader"))
    assert calls == [] and audit.AuditStore(tmp_path / "audit.sqlite3").downloads() == []   # nothing until clicked
    assert data() == b"bytes"
    (at, user, name, what, rows, scope), = audit.AuditStore(tmp_path / "audit.sqlite3").downloads()
    assert (user, name, what, rows) == ("zhang.wei", "本周大额案件.csv", "大额案件", 3)
    assert dt.datetime.fromisoformat(at) == clock.now().replace(microsecond=0)     # the one (frozen) clock


# ---------------------------------------------------------------- the app, password path (AppTest)

@pytest.fixture()
def app_db(fixture_db, tmp_path, monkeypatch):
    """A private copy of the fixture DB (its audit store beside it) and import enabled."""
    db = tmp_path / "data" / "af.duckdb"
    db.parent.mkdir()
    shutil.copy(fixture_db, db)
    text = (ROOT / "settings.toml").read_text(encoding="utf-8")
    (tmp_path / "settings.toml").write_text(text.replace("[import]\nenabled = false", "[import]\nenabled = true"),
                                            encoding="utf-8")
    monkeypatch.setenv("ANTIFRAUD_SETTINGS", str(tmp_path / "settings.toml"))
    monkeypatch.setenv("ANTIFRAUD_DB", str(db))
    import queries
    queries.use_database(None)
    return db


def new_app(params=None, secrets=SECRETS, user=None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.secrets.update(secrets)
    if user is not None:
        at.user = user
    for k, v in {"week": "2026-W47", **(params or {})}.items():
        at.query_params[k] = v
    return at


def login(at: AppTest, name: str, password: str) -> AppTest:
    # AppTest starts each later run on the page the last one finished on, run alone (the `pages/`
    # folder trap of DESIGN.md); the form is drawn once more so that the click reaches the same form
    at.run()
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(password)
    next(b for b in at.button if b.label == "登录").click()
    at.run()
    return at


def body(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [w.value for w in at.warning]
                     + [i.value for i in at.info] + [e.value for e in at.error])


def shows_data(at: AppTest) -> bool:
    return bool(at.metric or at.dataframe or at.sidebar.multiselect or at.get("download_button"))


def test_login_required_to_read_then_reader_sees_marking_and_name(app_db):
    at = new_app()
    at.run()
    assert not at.exception
    assert "请先登录" in body(at) and not shows_data(at)
    login(at, "reader", "not the password")
    assert "用户名或密码不正确" in body(at) and not shows_data(at)
    login(at, "reader", PASSWORDS["reader"])
    assert not at.exception, [e.value for e in at.exception]
    assert next(m.value for m in at.metric if m.label == "发案数") == "5起"
    assert "内部资料 注意保密 · 当前用户：reader" in body(at)
    assert any(b.label == "退出登录" for b in at.sidebar.button)


def test_every_page_alone_asks_for_login(app_db):
    """A page URL as the first request on a fresh server runs without dashboard.py: still gated."""
    for page in ("overview", "areas", "interception", "warnings", "types", "bureaus", "data_import"):
        at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=60)
        at.secrets.update(SECRETS)
        at.query_params["week"] = "2026-W47"
        at.run()
        assert not at.exception and not shows_data(at) and "登录" in body(at), page


def test_reading_open_when_setting_off(app_db, tmp_path):
    text = (tmp_path / "settings.toml").read_text(encoding="utf-8")
    (tmp_path / "settings.toml").write_text(text.replace('require_login_to_read = "auto"',
                                                         "require_login_to_read = false"), encoding="utf-8")
    at = new_app()
    at.run()
    assert next(m.value for m in at.metric if m.label == "发案数") == "5起"
    assert "内部资料 注意保密" in body(at) and "当前用户" not in body(at)
    at.switch_page("pages/data_import.py")
    at.run()
    assert "需要管理员登录" in body(at) and not at.get("file_uploader")


def test_import_needs_admin_and_records_the_user(app_db):
    at = new_app()
    at.run()
    login(at, "reader", PASSWORDS["reader"])
    at.switch_page("pages/data_import.py")
    at.run()
    assert "需要管理员权限" in body(at) and not at.get("file_uploader")

    at = new_app()
    at.run()
    login(at, "admin", PASSWORDS["admin"])
    at.switch_page("pages/data_import.py")
    at.run()
    assert at.get("file_uploader")
    extract = "案件编号,报案时间,分县局,涉案金额\nN1,2026-11-20 10:00,牧野分局,100\n".encode("utf-8")
    for round_ in (1, 2):
        at.file_uploader[0].set_value([("案件_new.csv", extract, "text/csv")])
        at.run()
        next(b for b in at.button if b.label == "开始导入").click()
        at.run()
        assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("已导入过" in i.value for i in at.info)                 # the re-import says so
    con = duckdb.connect(str(app_db), read_only=True)
    try:
        rows = con.execute("SELECT user_name, file_name, sha256, rows_read, rows_loaded, note FROM imports "
                           "WHERE file_name = '案件_new.csv' ORDER BY imported_at").fetchall()
    finally:
        con.close()
    assert [r[0] for r in rows] == ["admin", "admin"] and rows[0][2] == rows[1][2] and len(rows[0][2]) == 64
    assert rows[0][3:5] == (1, 1) and "重复导入" in rows[1][5]


def test_kiosk_is_moved_into_wall_mode_and_sees_nothing_else(app_db):
    at = new_app()
    at.run()
    login(at, "wall", PASSWORDS["wall"])
    assert not at.exception, [e.value for e in at.exception]
    assert at.query_params.get("wall") in ("1", ["1"])                 # redirected into wall mode
    assert at.metric and not at.get("download_button")                 # the wall: figures, no downloads
    at.switch_page("pages/data_import.py")
    at.run()
    assert not at.get("file_uploader") and "墙屏" in body(at)


def test_kiosk_key_in_the_url_opens_the_wall_only(app_db):
    at = new_app({"wall": "1", "kiosk": PASSWORDS["wall"]})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.metric and "请先登录" not in body(at)
    bad = new_app({"wall": "1", "kiosk": "guess"})
    bad.run()
    assert not shows_data(bad)
    # a reader's password is not a kiosk key
    other = new_app({"wall": "1", "kiosk": PASSWORDS["reader"]})
    other.run()
    assert not shows_data(other)


def test_lockout_in_the_app(app_db):
    at = new_app()
    at.run()
    for _ in range(5):
        login(at, "admin", "guess")
    login(at, "admin", PASSWORDS["admin"])
    assert "次数过多" in body(at) and not shows_data(at)


def test_supervisor_limited_to_own_districts(app_db):
    at = new_app({"district": ["红旗区"]})
    at.run()
    login(at, "muye", PASSWORDS["muye"])
    assert not at.exception, [e.value for e in at.exception]
    assert at.sidebar.multiselect(key="district").options == ["牧野区"]
    assert next(m.value for m in at.metric if m.label == "发案数") == "2起"          # C3, C5 (牧野)
    assert any("不在您的查看范围内" in w.value for w in at.warning)
    assert "牧野区" in body(at)
    # with nothing in the URL the supervisor still sees only 牧野区, never the whole city
    at = new_app()
    at.run()
    login(at, "muye", PASSWORDS["muye"])
    assert next(m.value for m in at.metric if m.label == "发案数") == "2起"


def test_a_restriction_to_unknown_districts_shows_nothing(app_db):
    # a typo in [auth.districts] (or in a claim) must not turn a restricted account into a city-wide one
    typo = {"auth": {**SECRETS["auth"], "districts": {"muye": ["牧野县"]}}}
    at = new_app(secrets=typo)
    at.run()
    login(at, "muye", PASSWORDS["muye"])
    assert not at.exception and not at.metric
    assert any("限定的区县在单位表中不存在" in e.value for e in at.error)


# ---------------------------------------------------------------- OIDC (seeded st.user)

def _oidc_secrets(metadata_url: str) -> dict:
    return {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                     "client_id": "antifraud", "client_secret": "s", "server_metadata_url": metadata_url,
                     "roles": {"li@gaj.example": "admin"}}}


def test_oidc_login_offered_only_when_the_provider_answers(app_db, metadata_server):
    # the provider does not answer: one sentence where the button would be, nothing else
    down = _oidc_secrets(f"http://127.0.0.1:{_closed_port()}/.well-known/openid-configuration")
    at = new_app(secrets=down, user={"is_logged_in": False})
    at.run()
    assert not at.exception and not shows_data(at)
    assert not any(b.label == "使用单位统一身份认证登录" for b in at.button)
    assert any("暂时无法连接身份认证服务" in i.value for i in at.info) and not at.error

    metadata_server["json"]({"authorization_endpoint": "a", "token_endpoint": "t", "jwks_uri": "j"})
    at = new_app(secrets=_oidc_secrets(metadata_server["url"]), user={"is_logged_in": False})
    at.run()
    assert not at.exception and not shows_data(at)
    assert any(b.label == "使用单位统一身份认证登录" for b in at.button)


def test_oidc_logged_in_user(app_db):
    at = new_app(secrets=_oidc_secrets("https://keycloak.invalid/realms/gaj/.well-known/openid-configuration"),
                 user={"is_logged_in": True, "email": "li@gaj.example", "name": "李"})
    at.run()
    assert not at.exception and next(m.value for m in at.metric if m.label == "发案数") == "5起"
    assert "当前用户：li@gaj.example" in body(at)
    at.switch_page("pages/data_import.py")
    at.run()
    assert at.get("file_uploader")                                      # admin by [auth.roles]
