"""Wall mode's pure pieces (the timers and the look are tested in tests/browser)."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from antifraud import periods, significance, wall, registry


def test_stale_notice_counts_calendar_days_past_the_limit():
    now = dt.datetime(2026, 11, 24, 8, 0)
    as_of = dt.datetime(2026, 11, 20, 23, 0)        # 20th -> 24th: 4 calendar days
    assert wall.stale_text(as_of, now, 3) == "数据已4天未更新"
    assert wall.stale_text(as_of, now, 4) is None    # exactly the limit is not stale
    assert wall.stale_text(dt.datetime(2026, 11, 24, 0, 1), now, 0) is None
    assert wall.stale_text(None, now, 3) == "暂无数据"


def test_agenda_opens_with_changes_and_never_shows_the_import():
    with_changes = wall.agenda(registry.PAGES, meeting_order=True)
    plain = wall.agenda(registry.PAGES, meeting_order=False)
    # in meeting order: what changed, then last meeting's follow-up, then the agenda
    assert [s.url_path for s in with_changes[:3]] == [wall.CHANGES_URL, "followup", "overview"]
    assert sorted(with_changes[1:], key=plain.index) == plain
    assert plain[0].url_path == "overview" and plain[-1].url_path == "followup"
    assert "import" not in [s.url_path for s in with_changes]
    expected = [p.url_path for p in registry.PAGES if p.url_path != "import" and p.path.exists()]
    assert [s.url_path for s in plain] == expected          # the fixed agenda, registry order


def test_neighbours_wrap_around_and_a_page_off_the_agenda_starts_it():
    slides = wall.agenda(registry.PAGES, meeting_order=True)
    last = len(slides) - 1
    assert wall.neighbour(slides, last, 1) == slides[0]
    assert wall.neighbour(slides, 0, -1) == slides[last]
    assert wall.neighbour(slides, -1, 1) == slides[0]
    assert wall.position(slides, "数据导入") == -1
    assert wall.position(slides, wall.CHANGES_TITLE) == 0


def _k(flag="", q=None, flag_yoy="", q_yoy=None, value=10, prev=None, last_year=None, wow=None, yoy=None, **recent):
    return {"value": value, "prev_week": prev, "last_year": last_year, "wow_pct": wow, "yoy_pct": yoy,
            "z": None, "flag": flag, "q": q, "z_yoy": None, "flag_yoy": flag_yoy, "q_yoy": q_yoy, **recent}


def test_significant_changes_rises_first_then_strongest_and_coloured_by_direction():
    kpis = {
        "cases": _k(flag="rise", q=0.02, wow=30.0, value=61),                    # more cases: bad
        "cases_per_10k": _k(flag="rise", q=0.02, wow=30.0, value=0.1),           # the same hypothesis: once
        "dissuasion_rate": _k(flag="fall", q=0.0004, value=0.95, prev=0.97),     # fewer dissuaded: bad, ‼
        "arrests": _k(flag_yoy="rise", q_yoy=0.002, yoy=80.0, value=9),          # more arrests: good
        "loss": _k(value=100000),                                                 # nothing announced
        "warnings": _k(value=7, flag_recent="rise", q_recent=0.03, recent_weeks=3,
                       recent_value=9.0, recent_baseline=6.0),                    # neutral metric
    }
    changes = significance.significant_changes(kpis, "week")
    assert [c.metric for c in changes] == ["arrests", "cases", "warnings", "dissuasion_rate"]   # rises by q, then falls
    by = {c.metric: c for c in changes}
    assert by["arrests"].parts == (("同比", "+80.0%", 0.002, "rise", "good", "warn"),)
    assert by["dissuasion_rate"].parts == (("环比", "-2.00个百分点", 0.0004, "fall", "bad", "alarm"),)
    assert by["warnings"].parts[0][1] == "近3周较此前12周 +50.0%" and by["warnings"].parts[0][4] == "neutral"
    html = wall.changes_html(changes, "week")
    assert html.index("抓获") < html.index("发案数") < html.index("劝阻成功率") and "万人发案" not in html
    assert 'class="bad"' in html and 'class="good"' in html and "‼" in html
    assert "按错误发现率5%控制" in html                        # the rule in one line


def test_no_significant_change_is_said_in_a_sentence():
    assert "本周无显著变化" in wall.changes_html([], "week") and "按错误发现率5%控制" in wall.changes_html([], "week")
    assert "本月无显著变化" in wall.changes_html([], "month")
    # a quiet table but a fraud type announced as rising: the slide does not call the week quiet
    html = wall.changes_html([], "week", [("虚假投资理财", "近3周53起，此前12周周均9.2起"), ("<b>x</b>", "r")])
    assert "本周各项指标无显著变化" in html and "本周无显著变化" not in html
    assert "上升明显的诈骗类型" in html and "虚假投资理财" in html and "近3周53起" in html
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html          # names are text, never markup
    assert "wallRisingTypes" not in wall.changes_html([], "week")


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
