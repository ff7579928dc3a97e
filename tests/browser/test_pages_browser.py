"""The pages' own browser checks on a fresh server per test (fixture database, 牧野区 figures
from tests/test_metrics.py): the first request to a page URL, an unknown URL, navigation."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from harness import wait_idle

ROOT = Path(__file__).resolve().parent.parent.parent


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def fresh_server(fixture_db, tmp_path):
    """A new `streamlit run dashboard.py` per test, on a copy of the fixture DB."""
    import subprocess
    import sys
    import time
    import urllib.request
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("no /usr/bin/chromium")
    pytest.importorskip("playwright.sync_api")
    db = tmp_path / "app.duckdb"
    shutil.copy(fixture_db, db)
    port = _free_port()
    env = {**os.environ, "ANTIFRAUD_DB": str(db)}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _open(browser, url: str):
    # the session's browser (tests/browser/harness.py): a second sync Playwright in one
    # process fails with "Sync API inside the asyncio loop"
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    outside = []
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:")) else None)
    page.goto(url)
    return page, outside


def _header(page) -> str:
    loc = page.locator("[data-testid=stCaptionContainer]", has_text="数据截至").first
    loc.wait_for(timeout=45_000)
    return loc.inner_text()


@pytest.mark.browser
def test_browser_first_request_to_a_page_url_is_complete(fresh_server, browser):
    page, outside = _open(browser, fresh_server + "/warnings?week=2026-W47&district=牧野区")
    try:
        assert "2026年第47周" in _header(page) and "牧野区" in _header(page)
        assert page.get_by_text("预警劝阻", exact=True).first.is_visible()
        page.get_by_text("超期预警清单：1条").wait_for(timeout=45_000)          # W3 only: the page ran to its end
        assert page.locator("[data-testid=stException]").count() == 0
        # still before any session opened "/": the page's own agenda links carry the filters (the
        # URL passes through the entry script and the filters return as the page's widgets bind:
        # wait for the whole URL; a filter really lost never comes back)
        page.get_by_role("link", name="高发区域").click()
        try:
            page.wait_for_url(lambda u: "/areas" in u and "week=2026-W47" in u and "district=" in u, timeout=45_000)
        except Exception:  # noqa: BLE001 - the assertion says what the URL holds
            pass
        assert "/areas" in page.url and "week=2026-W47" in page.url and "district=" in page.url, page.url
        assert "2026年第47周" in _header(page) and "牧野区" in _header(page)
        assert outside == []
    finally:
        page.close()


@pytest.mark.browser
def test_browser_unknown_url_first_then_navigation_keeps_filters(fresh_server, browser):
    page, outside = _open(browser, fresh_server + "/no-such-page?week=2026-W47&district=牧野区")
    try:
        assert "牧野区" in _header(page)                                       # the main page ran
        assert page.locator("[data-testid=stException]").count() == 0
        page.goto(fresh_server + "/?week=2026-W47&district=牧野区")
        _header(page)
        # a person clicks on a page that has been drawn: in CI the click once came while this fresh
        # server's first run of the session was still going, and the district did not follow (not
        # reproduced in six runs on an idle machine)
        wait_idle(page)
        page.get_by_role("link", name="高发区域").click()
        # the page's run writes the week back into the URL (it is not a bound widget), the district
        # returns as the page's widgets bind: wait for both (a filter really lost never comes back)
        try:
            page.wait_for_url(lambda u: "/areas" in u and "week=2026-W47" in u and "district=" in u, timeout=45_000)
        except Exception:  # noqa: BLE001 - the assertion says what the URL holds
            pass
        assert "/areas" in page.url and "week=2026-W47" in page.url and "district=" in page.url, page.url
        assert "牧野区" in _header(page)
        page.locator("[data-testid=stDeckGlJsonChart]").first.wait_for(timeout=45_000)
        page.wait_for_timeout(2000)
        assert outside == []                                                  # the map is offline
    finally:
        page.close()
