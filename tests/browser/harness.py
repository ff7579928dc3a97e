"""Browser harness: a real Streamlit server and Debian's chromium driven by Playwright.

Every test here is marked `browser`. Nothing is downloaded: the browser is /usr/bin/chromium,
the server is `streamlit run dashboard.py` on a free port of 127.0.0.1, the database is built
once per session (the sample when its extracts and the ingest exist, else the hand-written
fixture of tests/support.py).
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
WALL_VIEWPORT = {"width": 1920, "height": 1080}
# A cold first run (imports, first queries) on 2 cores; a warm page is far below this.
FIRST_RUN_TIMEOUT_MS = 45_000
RUN_TIMEOUT_MS = 20_000


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


def _skip_reason() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    if not (ROOT / "dashboard.py").exists():
        return "dashboard.py does not exist yet"
    return None


@pytest.fixture(scope="session", autouse=True)
def _browser_prerequisites():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)


# ---------------------------------------------------------------- database

def build_database(path: Path) -> str:
    """Build a database at `path`; returns "sample" or "fixture" (what it holds)."""
    try:
        from antifraud import bootstrap, ingest  # the ingest may not exist in a partial checkout
        files = bootstrap.sample_files()
    except ImportError:
        files = []
    if files:
        ingest.ingest_files(files, path)
        return "sample"
    fixture_module().build_fixture_db(path)
    return "fixture"


@dataclass
class Database:
    path: Path
    kind: str          # "sample" | "fixture"


@pytest.fixture(scope="session")
def browser_db(tmp_path_factory) -> Database:
    path = tmp_path_factory.mktemp("browser-db") / "antifraud.duckdb"
    kind = build_database(path)
    return Database(path, kind)


def fixture_module():
    """tests/support.py (the fixture builder and reader of the fixture csvs)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("_fixture_support", ROOT / "tests" / "support.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_fixture_database(path: Path) -> Database:
    fixture_module().build_fixture_db(path)
    return Database(path, "fixture")


def copy_database(db: Database, folder: Path) -> Database:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "antifraud.duckdb"
    shutil.copy2(db.path, target)
    return Database(target, db.kind)


# ---------------------------------------------------------------- server

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class App:
    url: str
    process: subprocess.Popen
    log: Path
    db: Database
    env: dict = field(default_factory=dict)

    def page_url(self, path: str = "", **params) -> str:
        """URL of a page path with query parameters (lists repeat the key)."""
        query = urllib.parse.urlencode(params, doseq=True)
        return f"{self.url}/{path.lstrip('/')}" + (f"?{query}" if query else "")

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)


def start_app(db: Database, workdir: Path, settings: dict | None = None, extra_env: dict | None = None,
              entry: Path = ROOT / "dashboard.py", port: int | None = None) -> App:
    """Start `streamlit run dashboard.py` on a free port and wait for its health check.

    `settings` overrides sections of settings.toml ({"wall": {"dwell_seconds": 5}}) through a
    copy pointed at by ANTIFRAUD_SETTINGS; the project's own file is never touched. `port` is for
    a caller that must name the address beforehand (an OIDC redirect_uri in its secrets).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "ANTIFRAUD_DB": str(db.path), "PYTHONUNBUFFERED": "1"}
    env.pop("ANTIFRAUD_SETTINGS", None)
    if settings:
        env["ANTIFRAUD_SETTINGS"] = str(write_settings(workdir / "settings.toml", settings))
    env.update(extra_env or {})
    port = port or free_port()
    log = workdir / f"streamlit-{port}.log"
    cmd = [sys.executable, "-m", "streamlit", "run", str(entry),
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    with open(log, "wb") as out:
        process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    app = App(f"http://127.0.0.1:{port}", process, log, db, env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{app.log_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{app.url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return app
        except OSError:
            pass
        time.sleep(0.2)
    app.stop()
    raise RuntimeError(f"streamlit did not become healthy:\n{app.log_text()[-3000:]}")


def write_settings(path: Path, overrides: dict) -> Path:
    """settings.toml with whole `key = value` lines of the given sections replaced or added."""
    import tomllib
    base = (ROOT / "settings.toml").read_text(encoding="utf-8")
    tomllib.loads(base)  # fail early if the project's file is broken
    lines = base.splitlines()
    for section, values in overrides.items():
        header = f"[{section}]"
        try:
            start = next(i for i, l in enumerate(lines) if l.strip() == header)
        except StopIteration:
            lines += ["", header]
            start = len(lines) - 1
        end = next((i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("[")), len(lines))
        for key, value in values.items():
            text = f"{key} = {_toml_value(value)}"
            hit = next((i for i in range(start + 1, end) if lines[i].split("=")[0].strip() == key), None)
            if hit is None:
                lines.insert(end, text)
                end += 1
            else:
                lines[hit] = text
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tomllib.loads(path.read_text(encoding="utf-8"))
    return path


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.fixture(scope="module")
def app(browser_db, tmp_path_factory):
    """One server per test module (sharing the session's database, read-only)."""
    server = start_app(browser_db, tmp_path_factory.mktemp("app"))
    yield server
    server.stop()


# ---------------------------------------------------------------- browser

@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Requests:
    """Every request the page made, so a test can assert none left the machine."""

    def __init__(self):
        self.urls: list[str] = []

    def record(self, request) -> None:
        self.urls.append(request.url)

    def foreign(self) -> list[str]:
        out = []
        for url in self.urls:
            parts = urllib.parse.urlsplit(url)
            if parts.scheme in ("data", "blob", "about", "chrome", "chrome-extension"):
                continue
            if parts.hostname not in LOCAL_HOSTS:
                out.append(url)
        return out


def new_page(browser, viewport=WALL_VIEWPORT, **context_args):
    """A fresh context (no cookies, no local storage) with a request recorder at `page.requests`."""
    context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  **context_args)
    page = context.new_page()
    page.requests = Requests()
    context.on("request", page.requests.record)
    page.failures = []
    page.on("response", lambda r: r.status >= 400 and page.failures.append(f"{r.status} {r.url}"))
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    return page


@pytest.fixture()
def page(browser):
    p = new_page(browser)
    yield p
    p.context.close()


# ---------------------------------------------------------------- waiting for Streamlit

IDLE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app) return false;
  if (app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
  if (app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-testid="stSpinner"], [data-testid="stSkeleton"]')) return false;
  const main = document.querySelector('[data-testid="stMain"]') || app;
  return main.innerText.trim().length > 0;
}"""


def wait_idle(page, timeout_ms: int = RUN_TIMEOUT_MS, settle_ms: int = 300) -> None:
    """Wait until the script has finished, nothing spins, and the state held for `settle_ms`.

    The state must hold twice because a run requested by st.switch_page or a rerun starts a
    moment after the previous one ended.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        remaining = max(1, int((deadline - time.monotonic()) * 1000))
        page.wait_for_function(IDLE_JS, timeout=remaining, polling=100)
        page.wait_for_timeout(settle_ms)
        if page.evaluate(IDLE_JS):
            return
        if time.monotonic() > deadline:
            raise TimeoutError("Streamlit kept running")


def open_app(page, url: str, timeout_ms: int = FIRST_RUN_TIMEOUT_MS) -> None:
    page.goto(url, wait_until="domcontentloaded", timeout=timeout_ms)
    wait_idle(page, timeout_ms)


# ---------------------------------------------------------------- what a wall must never show

def scroll_overflow(page) -> dict:
    """How far the document (or Streamlit's own scrolling main area) overflows the viewport."""
    return page.evaluate("""() => {
      const out = {};
      const doc = document.scrollingElement || document.documentElement;
      out.doc_x = doc.scrollWidth - doc.clientWidth;
      out.doc_y = doc.scrollHeight - doc.clientHeight;
      for (const sel of ['[data-testid="stMain"]', '[data-testid="stAppViewContainer"]',
                         '[data-testid="stMainBlockContainer"]', 'section.main']) {
        const el = document.querySelector(sel);
        if (!el) continue;
        const style = getComputedStyle(el);
        const scrolls = v => v === 'auto' || v === 'scroll';
        out[sel + ' x'] = scrolls(style.overflowX) ? el.scrollWidth - el.clientWidth : 0;
        out[sel + ' y'] = scrolls(style.overflowY) ? el.scrollHeight - el.clientHeight : 0;
      }
      return out;
    }""")


def cut_off(page) -> list[str]:
    """Visible elements whose box leaves the viewport (something a wall would not show)."""
    return page.evaluate("""() => {
      const W = window.innerWidth, H = window.innerHeight, bad = [];
      const sel = '[data-testid="stMain"] [data-testid="stElementContainer"]';
      for (const el of document.querySelectorAll(sel)) {
        const r = el.getBoundingClientRect();
        if (r.width === 0 || r.height === 0) continue;
        if (getComputedStyle(el).visibility === 'hidden') continue;
        if (r.right > W + 1 || r.bottom > H + 1 || r.left < -1 || r.top < -1) {
          const t = (el.innerText || el.querySelector('[data-testid]')?.dataset.testid || '').trim();
          bad.push(`${t.slice(0, 40)} @ ${Math.round(r.left)},${Math.round(r.top)} ${Math.round(r.width)}x${Math.round(r.height)}`);
        }
      }
      return bad;
    }""")


ERROR_SELECTOR = ('[data-testid="stException"], [data-testid="stAlertContentError"], '
                  '[data-testid="stErrorMessage"], .stException')


def error_texts(page) -> list[str]:
    return page.eval_on_selector_all(ERROR_SELECTOR, "els => els.map(e => e.innerText.slice(0, 300))")


def main_text(page) -> str:
    return page.inner_text('[data-testid="stMain"]') if page.query_selector('[data-testid="stMain"]') \
        else page.inner_text("body")


def platform_fonts(page, selector: str) -> list[str]:
    """The font families Chromium actually used to draw the text of `selector` (DevTools CSS domain)."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        return [f["familyName"] for f in fonts if f.get("glyphCount", 0) > 0]
    finally:
        cdp.detach()


def failed_responses(page) -> list[str]:
    return list(getattr(page, "failures", []))
