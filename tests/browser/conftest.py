"""Fixtures of the browser suite; the helpers live in harness.py (importable by the tests)."""
from harness import (_browser_prerequisites, app, browser, browser_db, page,  # noqa: F401
                     pytest_collection_modifyitems)
