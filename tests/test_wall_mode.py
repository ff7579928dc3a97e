"""Wall mode's pure pieces (the timers and the look are tested in tests/browser)."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from antifraud import periods, ui, wall


def test_stale_notice_counts_calendar_days_past_the_limit():
    now = dt.datetime(2026, 11, 24, 8, 0)
    as_of = dt.datetime(2026, 11, 20, 23, 0)        # 20th -> 24th: 4 calendar days
    assert wall.stale_text(as_of, now, 3) == "数据已4天未更新"
    assert wall.stale_text(as_of, now, 4) is None    # exactly the limit is not stale
    assert wall.stale_text(dt.datetime(2026, 11, 24, 0, 1), now, 0) is None
    assert wall.stale_text(None, now, 3) == "暂无数据"


def test_agenda_opens_with_changes_and_never_shows_the_import():
    with_changes = wall.agenda(ui.PAGES, meeting_order=True)
    plain = wall.agenda(ui.PAGES, meeting_order=False)
    assert with_changes[0].url_path == wall.CHANGES_URL and with_changes[1:] == plain
    assert plain[0].url_path == "overview"
    assert "import" not in [s.url_path for s in with_changes]
    expected = [p.url_path for p in ui.PAGES if p.url_path != "import" and p.path.exists()]
    assert [s.url_path for s in plain] == expected          # the fixed agenda, registry order


def test_neighbours_wrap_around_and_a_page_off_the_agenda_starts_it():
    slides = wall.agenda(ui.PAGES, meeting_order=True)
    last = len(slides) - 1
    assert wall.neighbour(slides, last, 1) == slides[0]
    assert wall.neighbour(slides, 0, -1) == slides[last]
    assert wall.neighbour(slides, -1, 1) == slides[0]
    assert wall.position(slides, "数据导入") == -1
    assert wall.position(slides, wall.CHANGES_TITLE) == 0


def _k(z=None, flag="", z_yoy=None, flag_yoy="", value=10, wow=None, yoy=None):
    return {"value": value, "wow_pct": wow, "yoy_pct": yoy, "z": z, "flag": flag,
            "z_yoy": z_yoy, "flag_yoy": flag_yoy}


def test_significant_changes_rises_first_then_by_size_and_coloured_by_direction():
    kpis = {
        "cases": _k(z=2.5, flag="rise", wow=30.0, value=61),               # more cases: bad
        "dissuasion_rate": _k(z=-3.1, flag="fall", wow=-2.0, value=0.95),  # fewer dissuaded: bad
        "arrests": _k(z=1.0, z_yoy=4.0, flag_yoy="rise", yoy=80.0, value=9),  # more arrests: good
        "loss": _k(z=None, value=100000),                                   # amounts: no test
        "warnings": _k(z=1.5, z_yoy=-1.0, value=7),                         # not significant
    }
    changes = wall.significant_changes(kpis, "week")
    assert [c.metric for c in changes] == ["arrests", "cases", "dissuasion_rate"]
    by = {c.metric: c for c in changes}
    assert by["arrests"].parts == (("同比", 80.0, 4.0, "rise", "good"),)
    assert by["cases"].parts[0][4] == "bad" and by["dissuasion_rate"].parts[0][4] == "bad"
    html = wall.changes_html(changes, "week")
    assert html.index("抓获") < html.index("发案数") < html.index("劝阻成功率")
    assert 'class="bad"' in html and 'class="good"' in html


def test_no_significant_change_is_said_in_a_sentence():
    assert "均无显著变化" in wall.changes_html([], "week")
    assert "本月" in wall.changes_html([], "month")


def test_header_escapes_names_and_shows_stale_in_amber():
    ctx = SimpleNamespace(title="本周态势", city="新乡市", period=periods.parse("2026-W47"), provisional=False,
                          scope="<b>牧野区</b>", types=[], notices=[],
                          data_as_of=dt.datetime(2026, 11, 22, 23, 41))
    html = wall.header_html(ctx, 2, 7, "数据已3天未更新", pinned=False, slide_id="overview")
    assert "&lt;b&gt;牧野区&lt;/b&gt;" in html and "<b>牧野区" not in html
    assert "数据截至 2026-11-22 23:41" in html and "2026年第47周（2026-11-16 至 2026-11-22）" in html
    assert 'class="wall-stale"' in html and "2/7" in html and 'data-slide="overview"' in html
    assert "已固定" in wall.header_html(ctx, 2, 7, None, pinned=True)


def test_settings_fall_back_and_never_rotate_faster_than_five_seconds(tmp_path, monkeypatch):
    path = tmp_path / "settings.toml"
    path.write_text('[wall]\ndwell_seconds = "abc"\nrefresh_seconds = 1\nstale_days = 2\n'
                    'meeting_order = false\n', encoding="utf-8")
    monkeypatch.setenv("ANTIFRAUD_SETTINGS", str(path))
    cfg = wall.wall_settings()
    assert cfg == wall.WallSettings(dwell_seconds=60.0, refresh_seconds=2.0, stale_days=2, meeting_order=False)
    path.write_text("[wall]\ndwell_seconds = 1\n", encoding="utf-8")
    assert wall.wall_settings().dwell_seconds == 5.0
