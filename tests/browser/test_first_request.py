"""The `pages/` folder trap (DESIGN.md): on a freshly started server, until some session has
called st.navigation, the first request to /<file> runs pages/<file>.py *without* dashboard.py.

Each test starts its own server and makes the *first* request of that server, so the page
runs alone: it must still be complete (header, filters from the shared frame), and an unknown
URL must show nothing that is not a registered page.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from harness import ROOT, build_fixture_database, error_texts, main_text, new_page, open_app, start_app

from antifraud import wall, registry

# In the trap a page is listed under its file name (pages/data_import.py -> /data_import).
REGISTERED = {p.url_path for p in registry.PAGES} | {Path(p.file).stem for p in registry.PAGES}


def test_pages_folder_holds_only_registered_pages():
    # anything else in pages/ would be served on a fresh server without the shared frame
    files = {p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py")}
    assert files <= {p.file for p in registry.PAGES + (registry.CHANGES,)}, files - {p.file for p in registry.PAGES}


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    # the hand-written fixture: the trap does not depend on the data, and cold runs stay short
    return build_fixture_database(tmp_path_factory.mktemp("first-request") / "antifraud.duckdb")


@pytest.fixture()
def fresh_app(small_db, tmp_path):
    server = start_app(small_db, tmp_path / "app")
    yield server
    server.stop()


def sidebar_links(page) -> list[str]:
    return page.eval_on_selector_all('[data-testid="stSidebarNav"] a',
                                     "as => as.map(a => new URL(a.href).pathname.replace(/^\\/+|\\/+$/g, ''))")


def assert_only_registered_links(page) -> None:
    for path in sidebar_links(page):
        assert path == "" or path in REGISTERED or path == wall.CHANGES_URL, f"unregistered page listed: {path}"


def test_first_request_to_a_page_url_runs_a_complete_page(browser, fresh_app):
    spec = next(p for p in registry.PAGES if p.url_path == "areas")
    page = new_page(browser)
    try:
        open_app(page, fresh_app.page_url(spec.url_path))
        text = main_text(page)
        assert spec.title in text, text[:300]
        assert "数据截至" in text                                  # the shared header
        side = page.inner_text('[data-testid="stSidebar"]')
        assert "会商周" in side and "区县" in side, side[:300]      # the shared filters
        assert not error_texts(page) and "Traceback" not in text
        assert_only_registered_links(page)
        assert not page.requests.foreign()
    finally:
        page.context.close()


def test_first_request_to_a_wall_page_url_is_a_complete_wall(browser, fresh_app):
    page = new_page(browser)
    try:
        open_app(page, fresh_app.page_url("warnings", wall=1, page="warnings"))
        header = page.wait_for_selector('[data-testid="wallHeader"]')
        assert "数据截至" in header.inner_text() and "预警劝阻" in header.inner_text()
        side = page.query_selector('[data-testid="stSidebar"]')
        assert side is None or not side.is_visible()
        dialogs = [d for d in page.query_selector_all('[role="dialog"]') if d.is_visible()]
        assert not dialogs
        assert not error_texts(page) and "Traceback" not in main_text(page)
    finally:
        page.context.close()


def test_first_request_to_an_unknown_url_shows_no_unregistered_content(browser, fresh_app):
    page = new_page(browser)
    try:
        open_app(page, fresh_app.page_url("no_such_page"))
        text = main_text(page)
        # Streamlit runs the main page (the first agenda item) and says the page was not found
        assert registry.PAGES[0].title in text, text[:300]
        assert "数据截至" in text
        assert not error_texts(page) and "Traceback" not in text
        assert_only_registered_links(page)
        for unknown in ("no_such_page", "__init__", "helpers"):
            assert unknown not in sidebar_links(page)
    finally:
        page.context.close()
