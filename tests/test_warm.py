"""`python -m antifraud warm` against a real `streamlit run dashboard.py`: after an import, every
server walks the agenda for the default link and the wall's before the first viewer comes.

Not a timed test: what it shows is that every agenda page ran to the end with its data on the
server (the header's "数据截至" read over Streamlit's own protocol), that a dashboard asking
for a login is reported — not silently "warmed" with login forms — and that the wall's kiosk
key, given in the environment, lets it in without ever being printed.
"""
from __future__ import annotations

import pytest

from antifraud import access, cli, warm
from antifraud.load import servers
from support import build_fixture_db

KIOSK_KEY = "wall-kiosk-key-9"
AS_OF = "2026-11-22 23:30"


@pytest.fixture(scope="module")
def fixture_copy(tmp_path_factory):
    return build_fixture_db(tmp_path_factory.mktemp("warm") / "antifraud.duckdb")


@pytest.fixture(scope="module")
def open_server(fixture_copy, tmp_path_factory):
    server = servers.start_streamlit(fixture_copy, tmp_path_factory.mktemp("warm-open"), name="open")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def login_server(fixture_copy, tmp_path_factory):
    folder = tmp_path_factory.mktemp("warm-login")
    secrets = folder / "secrets.toml"
    secrets.write_text(f'[auth.passwords]\nreader = "{access.hash_password("reader-pass-123")}"\n'
                       f'wall = "{access.hash_password(KIOSK_KEY)}"\n[auth.roles]\nwall = "kiosk"\n',
                       encoding="utf-8")
    server = servers.start_streamlit(fixture_copy, folder, name="login", env={"STREAMLIT_SECRETS_FILES": str(secrets)})
    yield server
    server.stop()


def test_every_agenda_page_runs_with_its_data_for_the_default_link_and_the_wall(open_server, capsys, monkeypatch):
    monkeypatch.delenv(warm.KEY_ENV, raising=False)
    assert cli.main(["warm", "--url", open_server.url + "/", "--timeout", "120"]) == 0
    out = capsys.readouterr().out
    titles = [title for _, _, title in warm.agenda()]
    assert len(titles) >= 6 and titles[0] == "本周态势"
    rows = [line for line in out.splitlines() if line.startswith("  ")]
    assert len(rows) == 2 * len(titles)                     # the default link and the wall's
    for title in titles:
        assert sum(f"  {title}  " in line for line in rows) == 2
    assert all(line.rstrip().endswith(" s") for line in rows)       # no error, no page without data
    assert f"数据截至 {AS_OF}" in out


def test_views_are_walked_in_agenda_order_on_every_server(open_server):
    rows = warm.view([("a", open_server.url), ("b", open_server.url)], warm.agenda()[:2], ["", "wall=1"], 120)
    assert [(r["server"], r["link"], r["page"]) for r in rows] == [
        (s, link, page) for s in ("a", "b") for link in ("", "wall=1") for page in ("overview", "areas")]
    assert all(r["ok"] and r["shows_data"] and r["as_of"] == AS_OF for r in rows)


def test_a_dashboard_asking_for_a_login_is_reported_not_warmed(login_server, capsys, monkeypatch):
    monkeypatch.delenv(warm.KEY_ENV, raising=False)
    assert cli.main(["warm", "--url", login_server.url, "--timeout", "120"]) == 1
    captured = capsys.readouterr()
    assert "未显示数据" in captured.out and warm.KEY_ENV in captured.err


def test_the_kiosk_key_from_the_environment_lets_it_in_and_is_never_printed(login_server, capsys, monkeypatch):
    monkeypatch.setenv(warm.KEY_ENV, KIOSK_KEY)
    assert cli.main(["warm", "--url", login_server.url, "--timeout", "120"]) == 0
    out = capsys.readouterr().out
    assert KIOSK_KEY not in out and "kiosk=%2A%2A%2A" in out and "wall=1" in out
    assert f"数据截至 {AS_OF}" in out
