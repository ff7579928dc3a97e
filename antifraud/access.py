"""Who may see what: login, roles, district restriction, the import page's switch.

Every page reaches this through `ui.frame` (and `ui._build` before any data is read), so a
page URL requested directly — the first request on a fresh server runs a page without
dashboard.py — is checked as well.

Two ways to log in, both configured in `.streamlit/secrets.toml` (docs/access.md):
- OIDC through `st.login` when `[auth]` (or a provider table `[auth.<name>]`) holds a
  `server_metadata_url` — Keycloak, ADFS, … It needs the optional packages of
  requirements-oidc.txt (Authlib and httpx); the button is offered only when they import and
  the provider's metadata answers (`oidc_problem`), otherwise one sentence says what is missing.
- A password per user, `[auth.passwords] name = "scrypt$…"` (make one with
  `python -m antifraud.access hash-password`), compared in constant time, with a lockout
  after `[auth] lockout_failures` failures within `lockout_minutes` (kept in the audit store).

Roles (`[auth.roles] name = "admin" | "reader" | "kiosk"`, default reader): admin may
import; kiosk opens the wall and nothing else. `[auth.districts] name = ["辉县市"]` (in the
secrets or settings.toml) limits a supervisor to those districts. For an OIDC login the
provider may carry both in ID-token claims named by `[auth] role_claim` / `districts_claim`;
an entry in `[auth.roles]` / `[auth.districts]` wins over the claim. A "bureau" user reads
like a reader and answers the follow-up tasks (督办) of its districts (antifraud/tasks/roles.py).

The decisions are pure functions of plain values (`AuthConfig`, `Identity`) and are
tested without Streamlit; the Streamlit pieces only gather the values and draw the form.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import logging
import os
import re
import sys
import threading
import time
from dataclasses import dataclass, field

from antifraud import config

log = logging.getLogger("antifraud.access")

IMPORT_TITLE = "数据导入"
ROLES = ("admin", "reader", "kiosk", "bureau")
SESSION_KEY = "_auth_identity"
KIOSK_PARAM = "kiosk"

# scrypt cost: ~50 ms and 16 MiB per check on this machine — slow for a guesser, fine for a login.
SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_LEN = 2 ** 14, 8, 1, 32


# ---------------------------------------------------------------- passwords

def hash_password(password: str, *, salt: bytes | None = None, n: int = SCRYPT_N) -> str:
    """`scrypt$n$r$p$salt$hash` (base64), the form kept in secrets.toml."""
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P,
                            dklen=SCRYPT_LEN, maxmem=128 * 1024 * 1024)
    b64 = lambda b: base64.b64encode(b).decode("ascii")  # noqa: E731
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${b64(salt)}${b64(digest)}"


# A fixed hash checked when the user is unknown, so that a wrong name costs as long as a wrong password.
_DUMMY = None


def _dummy_hash() -> str:
    global _DUMMY
    if _DUMMY is None:
        _DUMMY = hash_password("-", salt=b"antifraud-dummy!")
    return _DUMMY


def verify_password(password: str, stored: str | None) -> bool:
    """Constant-time comparison of scrypt digests; a malformed stored value never matches."""
    target = stored if isinstance(stored, str) and stored.startswith("scrypt$") else _dummy_hash()
    try:
        _, n, r, p, salt, digest = target.split("$")
        want = base64.b64decode(digest)
        got = hashlib.scrypt(str(password).encode("utf-8"), salt=base64.b64decode(salt), n=int(n),
                             r=int(r), p=int(p), dklen=len(want), maxmem=128 * 1024 * 1024)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want) and target is stored


# ---------------------------------------------------------------- configuration (pure)

@dataclass(frozen=True)
class Identity:
    name: str
    role: str = "reader"               # admin | reader | kiosk | bureau
    method: str = "password"           # password | oidc | kiosk-key
    districts: tuple[str, ...] = ()    # () = every district


@dataclass(frozen=True)
class AuthConfig:
    providers: tuple[str, ...] = ()    # OIDC providers: "default" for a flat [auth], else [auth.<name>]
    passwords: dict = field(default_factory=dict)
    roles: dict = field(default_factory=dict)
    districts: dict = field(default_factory=dict)
    require_read: bool = False
    import_enabled: bool = False
    lockout_failures: int = 5
    lockout_minutes: float = 15.0
    role_claim: str = ""               # ID-token claims trusted for role / districts ("" = not used)
    districts_claim: str = ""

    @property
    def login_configured(self) -> bool:
        return bool(self.providers or self.passwords)


_NOT_PROVIDERS = {"passwords", "roles", "districts"}


def oidc_providers(auth: dict) -> tuple[str, ...]:
    """Providers `st.login` can use: a flat [auth] with server_metadata_url is "default";
    each [auth.<name>] table with one is `<name>`. Our own tables are never providers."""
    if not isinstance(auth, dict):
        return ()
    out = ["default"] if auth.get("server_metadata_url") else []
    out += [k for k, v in auth.items()
            if isinstance(v, dict) and k not in _NOT_PROVIDERS and v.get("server_metadata_url")]
    return tuple(out)


def _truthy(value, auto: bool) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("auto", ""):
        return auto
    return text in ("1", "true", "yes", "on")


def auth_config(secrets: dict, settings: dict) -> AuthConfig:
    """Everything the decisions need, from the secrets' and settings' [auth] sections."""
    auth = secrets.get("auth") if isinstance(secrets.get("auth"), dict) else {}
    s_auth = settings.get("auth") if isinstance(settings.get("auth"), dict) else {}
    providers = oidc_providers(auth)
    passwords = {str(k): str(v) for k, v in (auth.get("passwords") or {}).items()}
    roles = {str(k): str(v).strip().lower() for k, v in {**(s_auth.get("roles") or {}),
                                                          **(auth.get("roles") or {})}.items()}
    districts = {str(k): tuple(str(d) for d in (v if isinstance(v, (list, tuple)) else [v]))
                 for k, v in {**(s_auth.get("districts") or {}), **(auth.get("districts") or {})}.items()}
    configured = bool(providers or passwords)
    imp = settings.get("import") if isinstance(settings.get("import"), dict) else {}

    def num(key, default):
        try:
            return max(1, float(s_auth.get(key, default)))
        except (TypeError, ValueError):
            return default
    return AuthConfig(providers=providers, passwords=passwords, roles=roles, districts=districts,
                      require_read=configured and _truthy(s_auth.get("require_login_to_read", "auto"), True),
                      import_enabled=bool(imp.get("enabled", False)),
                      lockout_failures=int(num("lockout_failures", 5)),
                      lockout_minutes=num("lockout_minutes", 15.0),
                      role_claim=str(auth.get("role_claim", s_auth.get("role_claim", "")) or "").strip(),
                      districts_claim=str(auth.get("districts_claim", s_auth.get("districts_claim", "")) or "").strip())


def _claim_values(value) -> list[str]:
    """A claim as a list of words: a JSON array, or one string split at commas, 、 or spaces."""
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    if isinstance(value, str):
        return [v for v in re.split(r"[,，、;；\s]+", value) if v]
    return []


def identity_for(cfg: AuthConfig, name: str, method: str, claims: dict | None = None) -> Identity:
    """Role and districts: the settings' entry for `name`, else the provider's claims (OIDC), else none."""
    claims = claims or {}
    role = cfg.roles.get(name)
    if role is None and cfg.role_claim:
        offered = [v.lower() for v in _claim_values(claims.get(cfg.role_claim))]
        role = next((r for r in ROLES if r in offered), None)
    if role not in ROLES:
        role = "reader"          # an unknown role word grants nothing beyond reading
    districts = cfg.districts.get(name)
    if districts is None and cfg.districts_claim:
        districts = tuple(_claim_values(claims.get(cfg.districts_claim)))
    return Identity(name=name, role=role, method=method, districts=tuple(districts or ()))


def oidc_name(user: dict) -> str | None:
    """The name an OIDC login is known by (roles and districts are keyed by it)."""
    if not user or not user.get("is_logged_in"):
        return None
    for key in ("preferred_username", "email", "name", "sub"):
        if user.get(key):
            return str(user[key])
    return None


def is_local(ip: str | None) -> bool:
    """Streamlit reports no address (None) for a browser on this machine (AppTest: not a string)."""
    if not isinstance(ip, str) or not ip:
        return True
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Decision:
    action: str          # allow | login | wall | deny
    reason: str = ""


def decide(cfg: AuthConfig, who: Identity | None, title: str, wall: bool, local: bool = True) -> Decision:
    """May `who` see the page `title` ("" while the shared filters are drawn) in this mode?"""
    if who is None and cfg.require_read:
        return Decision("login", "本看板含公安内部数据，请先登录。")
    if who is not None and who.role == "kiosk" and not wall:
        return Decision("wall", "墙屏账号只能打开墙屏模式。")
    if title != IMPORT_TITLE:
        return Decision("allow")
    if wall or (who is not None and who.role == "kiosk"):
        return Decision("deny", "墙屏模式不显示数据导入。")
    if not cfg.import_enabled:
        return Decision("deny", "数据导入页面未启用：请在 settings.toml 的 [import] 中设置 enabled = true。")
    if not cfg.login_configured:
        if local:
            return Decision("allow")
        return Decision("deny", "未配置登录时，数据导入只能在运行看板的本机上使用"
                                "（请在 .streamlit/secrets.toml 中配置登录，见 docs/access.md）。")
    if who is None:
        return Decision("login", "数据导入需要管理员登录。")
    if who.role != "admin":
        return Decision("deny", "数据导入需要管理员权限，当前账号无此权限。")
    return Decision("allow")


def allowed_districts(who: Identity | None, names: list[str]) -> list[str] | None:
    """The districts `who` may see, in the units' order; None = no restriction."""
    if who is None or not who.districts:
        return None
    wanted = set(who.districts)
    return [n for n in names if n in wanted]


def split_districts(raw: list[str], names: list[str], allowed: list[str] | None) -> tuple[list[str], list[str]]:
    """URL districts → (kept for the widget, known districts dropped because they are not allowed)."""
    if allowed is None:
        return list(raw), []
    ok = set(allowed)
    outside = [d for d in raw if d in set(names) and d not in ok]
    return [d for d in raw if d not in outside], outside


def restrict(chosen: list[str], allowed: list[str] | None) -> list[str]:
    """The districts a page filters by: the chosen ones within the allowed set; none chosen = all allowed."""
    if allowed is None:
        return list(chosen)
    picked = [d for d in chosen if d in set(allowed)]
    return picked or list(allowed)


def marking_line(who: Identity | None) -> str:
    text = str(config.setting("marking.text", "内部资料 注意保密") or "")
    return f"{text} · 当前用户：{who.name}" if who is not None else text


# ---------------------------------------------------------------- login attempts

def attempt_password(cfg: AuthConfig, name: str, password: str, store=None, now=None) -> tuple[Identity | None, str]:
    """(identity, "") on success, else (None, a sentence that names neither a reason nor a user)."""
    from antifraud import audit
    store = store or audit.default()
    name = str(name or "").strip()[:64]
    if not name:
        return None, "请输入用户名和密码。"
    if store.locked(name, cfg.lockout_failures, cfg.lockout_minutes, now=now):
        # Checked before the password, so a locked account cannot be probed at all.
        return None, f"登录失败次数过多，请 {cfg.lockout_minutes:g} 分钟后再试。"
    ok = verify_password(password, cfg.passwords.get(name))
    store.record_login(name, "password", ok, now=now)
    if not ok:
        return None, "用户名或密码不正确。"
    return identity_for(cfg, name, "password"), ""


def attempt_kiosk_key(cfg: AuthConfig, key: str, store=None, now=None) -> Identity | None:
    """`?kiosk=<password of a kiosk account>`: lets an unattended wall screen start after a reboot."""
    from antifraud import audit
    store = store or audit.default()
    if store.locked("?kiosk", cfg.lockout_failures, cfg.lockout_minutes, now=now):
        return None
    for name, role in cfg.roles.items():
        if role == "kiosk" and name in cfg.passwords and verify_password(key, cfg.passwords[name]):
            store.record_login(name, "kiosk-key", True, now=now)
            return identity_for(cfg, name, "kiosk-key")
    store.record_login("?kiosk", "kiosk-key", False, now=now)
    return None


# ---------------------------------------------------------------- OIDC readiness

OIDC_INSTALL = "pip install -r requirements-oidc.txt"
_UNAVAILABLE = "统一身份认证登录暂不可用："
# A provider that answered is asked again after 5 minutes, one that did not after 15 s, so a
# login page rerun neither waits on a dead provider each time nor hides a recovered one for long.
_PROBE_TTL = {True: 300.0, False: 15.0}
_PROBE_TIMEOUT = 3.0
_probes: dict[str, tuple[float, str | None]] = {}
_probes_lock = threading.Lock()


def oidc_modules_problem() -> str | None:
    """The sentence to show when Streamlit's login route could not run here, else None.

    Streamlit's /auth/login imports Authlib's Starlette client, which imports httpx; `st.login`
    itself checks only Authlib, so without httpx the button ends on a bare 500 page. The same
    import is tried here before a button is offered.
    """
    import importlib
    try:
        import authlib
        version = tuple(int(p) for p in re.findall(r"\d+", str(authlib.__version__))[:3])
        if version < (1, 3, 2):
            return f"{_UNAVAILABLE}服务器上的 Authlib 版本过旧（{authlib.__version__}），请管理员执行 {OIDC_INSTALL} 后重启看板。"
        importlib.import_module("authlib.integrations.starlette_client")
    except ImportError as exc:
        top = (getattr(exc, "name", None) or "authlib").split(".")[0]
        missing = {"authlib": "Authlib"}.get(top, top)
        log.warning("OIDC login unavailable: module %s cannot be imported", top)
        return f"{_UNAVAILABLE}服务器缺少 {missing} 组件，请管理员执行 {OIDC_INSTALL} 后重启看板。"
    return None


def oidc_config_problem(auth: dict, provider: str) -> str | None:
    """The keys `st.login` insists on (Streamlit raises on each of them), checked before a click."""
    section = auth if provider == "default" else auth.get(provider) or {}
    missing = [k for k in ("redirect_uri", "cookie_secret") if not auth.get(k)]
    missing += [k for k in ("client_id", "client_secret", "server_metadata_url") if not section.get(k)]
    if "_" in provider:
        missing.append(f"[auth.{provider}] 名称中的下划线")
    if missing:
        return f"{_UNAVAILABLE}.streamlit/secrets.toml 的登录配置缺少 {'、'.join(missing)}，请管理员按 docs/access.md 补全。"
    return None


def probe_metadata(url: str, timeout: float = _PROBE_TIMEOUT) -> str | None:
    """Fetch the provider's metadata as Authlib will (httpx, same proxy and TLS settings)."""
    try:
        try:
            import httpx2 as httpx   # Authlib's own choice when both are installed
        except ImportError:
            import httpx
        response = httpx.get(url, timeout=timeout, follow_redirects=True)
        response.raise_for_status()
        meta = response.json()
    except Exception as exc:  # noqa: BLE001 - any failure means: no login through this provider now
        log.warning("OIDC provider metadata %s unreachable: %s", url, type(exc).__name__)
        return f"{_UNAVAILABLE}暂时无法连接身份认证服务，请稍后再试（管理员可查看看板日志）。"
    lacking = [k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri")
               if not isinstance(meta, dict) or not meta.get(k)]
    if lacking:
        log.warning("OIDC provider metadata %s lacks %s", url, ", ".join(lacking))
        return f"{_UNAVAILABLE}身份认证服务返回的配置信息不完整，请管理员检查 server_metadata_url。"
    return None


def _probe_cached(url: str) -> str | None:
    now = time.monotonic()   # an interval for the cache, not a reading of the centre's clock
    with _probes_lock:
        hit = _probes.get(url)
    if hit is not None and hit[0] > now:
        return hit[1]
    problem = probe_metadata(url)
    with _probes_lock:
        _probes[url] = (now + _PROBE_TTL[problem is None], problem)
    return problem


def oidc_problem(auth: dict, provider: str, probe=None) -> str | None:
    """One calm sentence when the login button for `provider` would fail, else None."""
    problem = oidc_modules_problem() or oidc_config_problem(auth, provider)
    if problem:
        return problem
    section = auth if provider == "default" else auth.get(provider) or {}
    return (probe or _probe_cached)(str(section["server_metadata_url"]))


# ---------------------------------------------------------------- Streamlit pieces

def _secrets() -> dict:
    import streamlit as st
    try:
        if not st.secrets.load_if_toml_exists():
            return {}
        return st.secrets.to_dict()
    except Exception:  # noqa: BLE001 - a broken secrets file means: no login configured, said in the log
        log.warning("secrets.toml could not be read; no login configured")
        return {}


def current_config() -> AuthConfig:
    return auth_config(_secrets(), config.settings())


def current() -> Identity | None:
    """The identity of this browser session, if it logged in (password/kiosk key or OIDC)."""
    import streamlit as st
    who = st.session_state.get(SESSION_KEY)
    if who is not None:
        return who
    cfg = current_config()
    if cfg.providers:
        try:
            user = st.user.to_dict()
        except Exception:  # noqa: BLE001 - no user info outside a session
            user = {}
        name = oidc_name(user)
        if name:
            return identity_for(cfg, name, "oidc", user)
    return None


def _client_is_local() -> bool:
    import streamlit as st
    try:
        return is_local(st.context.ip_address)
    except Exception:  # noqa: BLE001
        return False


def gate(title: str, wall: bool) -> Identity | None:
    """Called before any data is read: stops with the login form, or moves a kiosk into wall mode."""
    import streamlit as st
    cfg = current_config()
    who = current()
    if who is None and cfg.passwords and st.query_params.get(KIOSK_PARAM):
        who = attempt_kiosk_key(cfg, str(st.query_params.get(KIOSK_PARAM))[:200])
        if who is not None:
            st.session_state[SESSION_KEY] = who
    decision = decide(cfg, who, title, wall, _client_is_local())
    if decision.action == "wall":
        st.query_params["wall"] = "1"
        st.rerun()
    if decision.action == "login":
        login_form(cfg, decision.reason, title or "反诈研判指挥看板")
        st.stop()
    return who


def check(ctx) -> None:
    """Stop the page with a calm sentence when it may not be shown (its login form when it needs one)."""
    import streamlit as st
    cfg = current_config()
    decision = decide(cfg, getattr(ctx, "user", None) or current(), ctx.title, ctx.wall, _client_is_local())
    if decision.action == "allow":
        return
    if decision.action == "login":
        login_form(cfg, decision.reason, ctx.title)
        st.stop()
    if decision.action == "wall":
        st.query_params["wall"] = "1"
        st.rerun()
    st.markdown(f"### {ctx.title}")
    st.info(decision.reason)
    st.stop()


def login_form(cfg: AuthConfig, reason: str, title: str) -> None:
    import streamlit as st
    st.markdown(f"### {title}")
    st.caption(marking_line(None))
    st.info(reason)
    auth = (_secrets().get("auth") or {}) if cfg.providers else {}
    said = set()
    for provider in cfg.providers:
        label = "使用单位统一身份认证登录" if provider == "default" else f"使用 {provider} 登录"
        problem = oidc_problem(auth, provider)
        if problem:
            # in place of a button that would end on Streamlit's bare error page (said once, not per provider)
            if problem not in said:
                said.add(problem)
                st.info(problem[:-1] + "；也可使用下方的用户名和密码登录。" if cfg.passwords else problem)
            continue
        if st.button(label, key=f"login_oidc_{provider}", type="primary"):
            try:
                st.login() if provider == "default" else st.login(provider)
            except Exception as exc:  # noqa: BLE001 - whatever the checks above did not foresee
                log.warning("OIDC login failed to start: %s", type(exc).__name__)
                st.info(f"{_UNAVAILABLE}请管理员查看看板日志。")
    if cfg.passwords:
        with st.form("login_form", clear_on_submit=True):
            name = st.text_input("用户名", key="login_name")
            password = st.text_input("密码", type="password", key="login_password")
            submitted = st.form_submit_button("登录")
        if submitted:
            who, message = attempt_password(cfg, name, password)
            if who is None:
                st.error(message)
            else:
                st.session_state[SESSION_KEY] = who
                st.rerun()


def logout_button(where) -> None:
    """In the sidebar: who is logged in, and the way out."""
    import streamlit as st
    who = current()
    if who is None:
        return
    where.caption(f"当前用户：{who.name}")
    if where.button("退出登录", key="logout"):
        st.session_state.pop(SESSION_KEY, None)
        if who.method == "oidc":
            # st.logout() queues the browser's redirect to the provider's logout; a rerun here
            # would start a new run, and a new run clears the messages not yet sent — the
            # redirect was lost about one logout in three. The redirect opens a new session.
            st.logout()
            return
        st.rerun()


# ---------------------------------------------------------------- command line

def main(argv=None) -> int:
    """python -m antifraud.access hash-password — prints the line for [auth.passwords]."""
    import argparse
    import getpass
    parser = argparse.ArgumentParser(prog="python -m antifraud.access")
    sub = parser.add_subparsers(dest="command", required=True)
    h = sub.add_parser("hash-password", help="生成 secrets.toml [auth.passwords] 中的口令散列")
    h.add_argument("user", nargs="?", default="user")
    h.add_argument("--stdin", action="store_true", help="从标准输入读口令（脚本用）")
    args = parser.parse_args(argv)
    if args.stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("口令：")
        if getpass.getpass("再输一次：") != password:
            print("两次输入的口令不一致。", file=sys.stderr)
            return 2
    if len(password) < 10:
        print("口令至少 10 个字符。", file=sys.stderr)
        return 2
    print(f'{args.user} = "{hash_password(password)}"')
    return 0


if __name__ == "__main__":
    sys.exit(main())
