"""Pure builders behind the pages: headline sentences, hot spots, page frames, maps, the frame's helpers.

Expected figures are worked out by hand in the comments (fixtures: tests/fixtures/*.csv).
"""
from __future__ import annotations

import datetime as dt
import json
import math

import pandas as pd
import pytest

from antifraud import charts, headlines, hotspots, maps, measures, periods, significance, texts, widgets
from antifraud.views import areas, common, interception, overview, types, warnings as warn_views

W47 = periods.parse("2026-W47")


# ---------------------------------------------------------------- headline sentences

def kpi(value, prev=None, pct=None, z=None, flag="", last_year=None, yoy=None, z_yoy=None, flag_yoy="",
        ytd=None, ytd_pct=None):
    return {"value": value, "prev_week": prev, "wow_pct": pct, "z": z, "flag": flag,
            "last_year": last_year, "yoy_pct": yoy, "z_yoy": z_yoy, "flag_yoy": flag_yoy,
            "ytd": ytd, "ytd_last_year": None, "ytd_yoy_pct": ytd_pct}


def test_meeting_headline_by_hand():
    # MEETING.md: 61 cases (70 before: -12.857% -> "12.9%"), loss 412.35万元 (+38.0% on 298.80万元).
    kpis = {"cases": kpi(61, 70, -12.857, z=-1.1, last_year=80, yoy=-23.75, z_yoy=-2.0, flag_yoy="fall",
                         ytd=3020, ytd_pct=-12.0),
            "loss": kpi(4123500.0, 2988043.5, 38.0, last_year=3000000.0, yoy=37.45)}
    shift = pd.DataFrame({"fraud_type": ["刷单返利", "虚假投资理财"], "cases": [20, 9], "loss": [800000, 2500000],
                          "cases_before": [25, 8], "loss_before": [900000, 1200000]})
    s = headlines.sentences(kpis, shift)
    assert s[0] == "本周发案61起，环比下降12.9%；损失412.35万元，环比上升38.0%，主要来自虚假投资理财。"
    assert s[1] == "与去年同期相比，发案下降23.8%（显著），损失上升37.5%；年初以来累计发案3020起，同比下降12.0%。"
    assert len(s) == 2                      # no rates, no warnings, no significant type rise


def test_headlines_on_fixture_week(use_fixture_db):
    k = measures.kpis(measures.window_totals(W47))
    shift = overview.type_shift(*measures.type_totals([(W47.start, W47.end), (W47.prev().start, W47.prev().end)]))
    s = headlines.sentences(k, shift)
    # 5 vs 2 cases (+150%); loss 1,288,000 vs 36,000 (C6 30,000 + C7 6,000): +3477.8%;
    # the largest rise in loss is 虚假贷款 (C4 1,200,000 against C7 6,000).
    assert s[0] == "本周发案5起，环比上升150.0%；损失128.80万元，环比上升3477.8%，主要来自虚假贷款。"
    # last year C8: 1 case, 4,000 yuan -> +400% (5 vs 1: p = 7/32, chance), +32100%; YTD 8 vs 2
    assert s[1] == "与去年同期相比，发案上升400.0%，损失上升32100.0%；年初以来累计发案8起，同比上升300.0%。"
    # 18,000/1,288,000 = 1.40%; 2,500/1,288,000 = 0.19%; fast 2 of 3 = 66.67%
    assert s[2] == "止付冻结率1.40%，挽损率0.19%，30分钟止付率66.67%。"
    # 6 warnings, 3 dissuaded, 3 overdue (W2, W3, W5), W6 victimised after
    assert s[3] == "预警6条，劝阻成功率50.00%，超期率50.00%，预警后被骗率16.67%。"
    assert len(s) == 4                      # no type reaches 3 cases


def test_headlines_month_and_provisional_and_empty():
    kpis = {"cases": {"value": 7, "prev_month": 0, "mom_pct": None, "z": 5.29, "flag": "rise",
                      "yoy_pct": None, "ytd": None}}
    s = headlines.sentences(kpis, None, kind="month", state=periods.PROVISIONAL)
    assert s == ["本月（临时数据）发案7起。"]
    assert headlines.sentences(kpis, None, kind="month", state=periods.NO_DATA) == []
    assert headlines.sentences({}, None) == []


def test_rate_change_in_points_only_when_significant():
    kpis = {"warnings": kpi(100), "dissuasion_rate": kpi(0.90, 0.99, -9.09, z=-2.9, flag="fall")}
    assert headlines.sentences(kpis)[-1] == "预警100条，劝阻成功率90.00%（环比下降9.00个百分点，显著）。"


def test_rising_types_by_hand():
    # 12 baseline weeks, 2 guard weeks, 3 recent weeks (oldest first); no dispersion history
    weeks = periods.recent_weeks(W47, 17)
    series = {"甲": [1] * 14 + [6, 6, 6],      # 18 in 3 weeks against 12 in 12: share 3/15 of 30 cases
              "乙": [5] * 17,                  # steady
              "丙": [0] * 14 + [0, 1, 2]}      # 3 cases, but only 2 this week: below min_cases
    weekly = pd.DataFrame({w.key: [series[t][i] for t in series] for i, w in enumerate(weeks)}, index=list(series))
    found = significance.type_changes(weekly, [], weeks, min_cases=3).set_index("fraud_type")
    from scipy.stats import binom
    p_jia = significance.scan_p(binom.sf(17, 30, 0.2) * 2, (1, 2, 3))   # P(X ≥ 18 | 30, 1/5), two-sided, 3 windows
    assert found.loc["甲", "p"] == pytest.approx(p_jia, rel=1e-6) and found.loc["甲", "recent_weeks"] == 3
    assert found.loc["甲", "flag"] == "rise" and found.loc["甲", "reason"] == "近3周18起，此前12周周均1.0起"
    assert found.loc["乙", "flag"] == "" and found.loc["丙", "flag"] == ""
    assert headlines.rising_types(found.reset_index()) == [("甲", "近3周18起，此前12周周均1.0起")]
    assert headlines.sentences({}, rising=found.reset_index()) == ["上升明显的类型：甲（近3周18起，此前12周周均1.0起）。"]


# ---------------------------------------------------------------- hot spots

def weekly(place_counts: dict, end: dt.date, level="township", bureau="410725"):
    rows = []
    for place, counts in place_counts.items():
        for k, n in enumerate(reversed(counts)):
            if n:
                rows.append({"week_start": end - dt.timedelta(days=7 * k), "bureau_id": bureau,
                             "station": place + "所", "township": place, "cases": n})
    return pd.DataFrame(rows)


def test_emerging_hot_spots_by_hand():
    end = W47.start
    frame = weekly({"城关镇": [1] * 21 + [2, 3, 4, 6, 7, 9],   # rises six weeks in a row, to 9
                    "平稳镇": [5] * 27,                         # nothing
                    "小镇": [0] * 26 + [2],                     # below min_cases
                    "突增镇": [1] * 26 + [6],                   # one week at 6 after half a year at 1
                    "偶然镇": [3, 2, 4] * 7 + [1, 2, 3, 4, 5, 6]},   # rises five weeks in a row: 15 in three
                   # weeks against 36 in twelve (3 a week) is within its chance
                   end)
    found = hotspots.emerging(frame, end, min_cases=3).set_index("place")
    assert list(found.index) == ["城关镇", "突增镇"]             # most cases first; a run alone is no hot spot
    from scipy.stats import binom
    # 突增镇, this week against the 12 weeks before the two guard weeks: 6 of 18 cases where 1/13 is
    # expected; the best of three windows, corrected for the three (significance.scan_p, tested apart)
    assert found.loc["突增镇", "p"] == pytest.approx(
        significance.scan_p(2 * binom.sf(5, 18, 1 / 13), (1, 2, 3)), rel=1e-6)
    # 城关镇: 6 + 7 + 9 = 22 in three weeks against 11 × 1 + 2 = 13 in the 12 weeks before the guard (3, 4)
    row = found.loc["城关镇"]
    assert row.cases == 9 and row.run == 6 and row.run_from == 1 and row.recent_cases == 22
    assert row.reason == "连续6周上升，1→9起；近3周22起，此前12周周均1.1起"
    assert row.q <= 0.05 and found.loc["突增镇", "q"] <= 0.05
    # a place whose week is not covered by the data is not judged at all
    assert hotspots.emerging(frame, end, covered=lambda monday: monday != end).empty


def test_emerging_empty_and_rising_run():
    assert hotspots.emerging(pd.DataFrame(), W47.start).empty
    assert hotspots.rising_run([3, 4, 6, 9]) == 3 and hotspots.rising_run([9, 6]) == 0


def test_top_places_against_previous_four_weeks():
    end = W47.start
    frame = weekly({"甲镇": [4, 4, 2, 2, 6], "乙镇": [0, 0, 0, 0, 1]}, end)
    top = hotspots.top_places(frame, W47.start, W47.end, level="township", n=5, baseline_weeks=4)
    assert list(top.place) == ["甲镇", "乙镇"]
    # 甲: baseline (4+4+2+2)/4 = 3 per week, now 6: +100%; 乙: no baseline -> change None
    assert top.iloc[0].baseline == 3.0 and top.iloc[0].change_pct == 100.0
    assert pd.isna(top.iloc[1].change_pct)
    month = periods.parse("2026-11")     # weeks starting 11-02, 09, 16, 23, 30: five weeks
    top = hotspots.top_places(frame, month.start, month.end, level="township", n=5, baseline_weeks=4)
    # weeks in Nov present: 11-02 (2), 11-09 (2), 11-16 (6) = 10; baseline weeks 10-05..10-26 = 4+4 = 8/4*5
    assert top.iloc[0].cases == 10 and top.iloc[0].baseline == 10.0


# ---------------------------------------------------------------- page builders

def test_trend_frame_aligns_same_week_last_year():
    chosen = common.recent_periods(W47, 3)                      # W45, W46, W47
    now = pd.DataFrame({"period_start": [dt.date(2026, 11, 2), dt.date(2026, 11, 16)], "cases": [4, 5]})
    ly = pd.DataFrame({"period_start": [dt.date(2025, 11, 17)], "cases": [1]})     # 2025-W47
    f = overview.trend_frame(now, ly, chosen, "cases")
    assert list(f.now) == [4, 0, 5] and list(f.last_year) == [0, 0, 1]
    assert f.label.iloc[-1] == "W47<br>11-16"


def test_large_cases_table_has_no_personal_columns(use_fixture_db):
    import queries
    raw = queries.run("large_cases", start=W47.start, end=W47.end_exclusive, min_loss=1_000_000,
                      bureaus=[], types=[])
    t = overview.large_cases_table(raw)
    assert list(t["案件编号"]) == ["C4"] and t["损失(万元)"].iloc[0] == 120.0
    assert not any(c in t.columns for c in ("victim_gender", "victim_age_band", "性别", "年龄"))


def test_minutes_summary_by_bank(use_fixture_db):
    import queries
    m = queries.run("stop_minutes", start=W47.start, end=W47.end_exclusive, bureaus=[], types=[])
    assert sorted(m.minutes) == [15.0, 30.0, 60.0]             # C1, C3, C2
    s = interception.minutes_summary(m, "payer_bank").set_index("分组")
    assert s.loc["工商银行", "30分钟止付率(%)"] == 100.0 and s.loc["工商银行", "中位用时(分钟)"] == 22.5
    assert s.loc["建设银行", "30分钟止付率(%)"] == 0.0


def test_minutes_by_group_gives_the_table_and_the_boxes_in_its_order(use_fixture_db):
    import queries
    m = queries.run("stop_minutes", start=W47.start, end=W47.end_exclusive, bureaus=[], types=[])
    names = {"410702": "红旗区", "410703": "卫滨区", "410711": "牧野区"}
    summary, boxes = interception.minutes_by(m, "payer_bank", names)
    assert summary.equals(interception.minutes_summary(m, "payer_bank"))        # names only for bureaus
    assert list(boxes.index) == summary["分组"].tolist()
    assert boxes.loc["工商银行", "median"] == 22.5 and boxes.loc["建设银行", "median"] == 60.0
    summary, boxes = interception.minutes_by(m, "bureau_id", names)
    assert list(boxes.index) == summary["分组"].tolist() and set(boxes.index) <= set(names.values())
    # the figure drawn from the kept figures is the one drawn from the rows' statistics
    frame = m.assign(group=m["bureau_id"].astype(str).map(names))
    assert charts.box_figure(boxes, "用时").to_plotly_json() == charts.box_figure(
        charts.box_stats(frame, "group", "minutes", summary["分组"].tolist()), "用时").to_plotly_json()
    empty, none = interception.minutes_by(m.iloc[:0], "payer_bank")
    assert empty.empty and none.empty and charts.box_figure(none, "用时").data == ()


def test_interception_over_time_rates():
    chosen = [W47]
    trend = pd.DataFrame({"period_start": [W47.start], "loss": [1288000.0], "stopped": [12000.0],
                          "frozen": [6000.0], "returned": [2500.0], "fast_stop_n": [2], "fast_stop_den": [3]})
    o = interception.over_time(trend, chosen).iloc[0]
    assert o.stopped == 1.2 and o.frozen == 0.6 and o.returned == 0.25
    assert math.isclose(o.interception_rate, 18000 / 1288000) and math.isclose(o.fast_stop_rate, 2 / 3)


def test_warning_crosstab_and_overdue(use_fixture_db):
    import queries
    p = dict(start=W47.start, end=W47.end_exclusive, bureaus=[], types=[])
    cross = warn_views.crosstab(queries.run("warning_breakdown", **p), "level").set_index("level")
    # 高: W1, W2 成功; 中: W3 无法联系, W6 已被骗; 低: W4 成功, W5 处置中
    assert list(cross.index) == ["高", "中", "低"]
    assert cross.loc["高", "劝阻成功"] == 2 and cross.loc["中", "已被骗"] == 1 and cross.loc["低", "合计"] == 2
    overdue = queries.run("overdue_warnings", **p, **warn_views.limits())
    t = warn_views.overdue_table(overdue, queries.run("units"))
    assert list(t["预警编号"]) == ["W2", "W3", "W5"]
    assert list(t["超时(分钟)"].iloc[:2]) == [15.0, 60.0]        # 45−30, 180−120
    assert t["反馈时间"].iloc[2] == "未反馈"
    by_b = warn_views.overdue_by_bureau(overdue, queries.run("units")).set_index("区县")
    assert by_b.loc["红旗区", "高"] == 1 and by_b.loc["牧野区", "中"] == 1 and by_b.loc["原阳县", "低"] == 1


def test_type_mix_by_hand():
    now = pd.DataFrame({"fraud_type": ["刷单返利", "虚假贷款"], "cases": [6, 2], "loss": [60000, 20000]})
    last4 = pd.DataFrame({"fraud_type": ["刷单返利", "虚假贷款"], "cases": [4, 8], "loss": [0, 0]})
    ly = pd.DataFrame({"fraud_type": ["虚假贷款"], "cases": [3], "loss": [0]})
    m = types.mix(now, last4, ly, period_days=7).set_index("fraud_type")
    # baseline: 4 weeks scaled to 7 days = cases / 4
    assert m.loc["刷单返利", "baseline"] == 1.0 and m.loc["刷单返利", "share"] == 0.75
    assert m.loc["虚假贷款", "share_last_year"] == 1.0
    assert m.loc["刷单返利", "avg_loss"] == 10000
    assert "flag" not in m                                         # the mix describes; type_changes announces


def test_victim_profile_matrix(use_fixture_db):
    import queries
    prof = queries.run("victim_profile", start=W47.start, end=W47.end_exclusive, bureaus=[], types=[])
    m = types.age_matrix(prof)
    assert m.loc["刷单返利", "18-29"] == 2 and m.loc["冒充公检法", "60+"] == 1     # C1, C3; C5
    g = types.gender_shares(prof).set_index("fraud_type")
    assert g.loc["刷单返利", "女"] == 100.0


def test_bureau_rates_and_station_points(use_fixture_db):
    import queries
    units = queries.run("units")
    rates = areas.bureau_rates(measures.by_bureau(W47.start, W47.end), units).set_index("bureau_id")
    assert rates.loc["410702", "cases"] == 2                                  # C1, C2
    assert math.isclose(rates.loc["410702", "value"], 2 / 520000 * 10000)
    places = pd.DataFrame({"week_start": [W47.start], "bureau_id": ["410702"], "station": ["东街派出所"],
                           "township": ["东街街道"], "cases": [3]})
    stations = pd.DataFrame({"station_name": ["东街派出所"], "bureau_id": ["410702"], "lon": [113.9], "lat": [35.2]})
    pts = areas.station_points(places, stations)
    assert pts.to_dict("records") == [{"name": "东街派出所", "lon": 113.9, "lat": 35.2, "cases": 3}]
    assert areas.hot_week(periods.parse("2026-11")).key == "2026-W48"       # 11-23..11-29 ends in Nov


# ---------------------------------------------------------------- maps and charts

def test_map_is_offline_and_coloured():
    boundaries = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"bureau_id": "410702", "district_name": "红旗区"},
         "geometry": {"type": "Polygon", "coordinates": [[[113.8, 35.2], [113.9, 35.2], [113.9, 35.3], [113.8, 35.2]]]}}]}
    values = pd.DataFrame({"bureau_id": ["410702", "410771"], "district_name": ["红旗区", "高新区"],
                           "value": [0.5, 0.1], "cases": [26, 2], "kind": ["county", "zone"],
                           "lon": [113.87, 113.93], "lat": [35.30, 35.27]})
    deck = maps.choropleth(boundaries, values)
    text = deck.to_json()
    assert "http" not in text and "cartocdn" not in text and "mapbox" not in text
    j = json.loads(text)
    assert j["mapStyle"] == "__MAP_STYLE__"          # Streamlit then draws no basemap at all
    fills = j["layers"][0]["data"]["features"][0]["properties"]["fill"]
    assert fills[:3] == maps.RAMP[-1]                # the highest value takes the darkest class
    assert any(layer["@@type"] == "TextLayer" and layer["characterSet"] == "auto" for layer in j["layers"])


def test_the_same_map_is_the_same_message_and_is_kept(use_fixture_db):
    """Layers carry fixed ids (pydeck draws a random one otherwise), so the same map serialises
    the same and the browser keeps it; `city_map` keeps the deck per content and options."""
    import queries
    values = pd.DataFrame({"bureau_id": ["410702", "410771"], "district_name": ["红旗区", "高新区"],
                           "value": [0.5, 0.1], "cases": [26, 2], "kind": ["county", "zone"],
                           "lon": [113.87, 113.93], "lat": [35.30, 35.27]})
    points = pd.DataFrame({"name": ["东街派出所"], "lon": [113.9], "lat": [35.2], "cases": [3]})
    boundaries = maps.load_boundaries()
    one, two = maps.choropleth(boundaries, values, points), maps.choropleth(boundaries, values, points)
    assert one.to_json() == two.to_json()
    assert [layer["id"] for layer in json.loads(one.to_json())["layers"]] == ["districts", "zones", "stations", "labels"]
    # the boundaries are read once and shared by every map: colouring copies, never changes them
    from antifraud import config
    assert maps.load_boundaries() is boundaries
    assert boundaries == json.loads(config.project_path("boundaries").read_text(encoding="utf-8"))
    queries.clear_memo()
    kept = maps.city_map(values, points, highlight={"410702"})
    assert maps.city_map(values.copy(), points, highlight=frozenset({"410702"})) is kept
    assert maps.city_map(values.assign(value=[0.6, 0.1]), points, highlight={"410702"}) is not kept
    assert kept.to_json() == maps.choropleth(boundaries, values, points, highlight={"410702"}).to_json()
    # the wall's map: fitted to its size, larger names
    wall = json.loads(maps.choropleth(boundaries, values, points, dark=True, fit=(1100, 780), label_size=20).to_json())
    fit = maps.fit_view(boundaries, 1100, 780)
    assert wall["initialViewState"]["zoom"] == fit["zoom"] and wall["initialViewState"]["longitude"] == fit["longitude"]
    assert next(la for la in wall["layers"] if la["id"] == "labels")["getSize"] == 20


def test_map_classes_and_colours():
    assert maps.classes([1, 2, 3, 4, 5]) == [1, 2, 3, 4, 5]
    assert maps.classes([0.1, 0.5]) == [0.1, 0.5]
    assert maps.colour(0.5, [0.1, 0.5])[:3] == maps.RAMP[-1] and maps.colour(0.1, [0.1, 0.5])[:3] == maps.RAMP[0]
    assert maps.colour(None, [1])[:3] == maps.NO_DATA
    assert maps.classes([]) == []


def test_chart_template_uses_cjk_font_light_and_dark():
    light = charts.bars(pd.DataFrame({"k": ["甲"], "v": [1.0]}), "k", "v", "标题")
    assert "Noto Sans CJK SC" in light.layout.template.layout.font.family and light.layout.title.text == "标题"
    dark = charts.apply_theme(charts.trend_vs_last_year(pd.DataFrame({"label": ["W1"], "now": [1], "last_year": [2]}),
                                                        "趋势"), dark=True)
    assert dark.layout.template.layout.paper_bgcolor == "#0e1117"


# ---------------------------------------------------------------- the frame's pure helpers

def test_url_notices_and_period_choice():
    weeks, months = ["2026-W47", "2026-W46"], ["2026-11"]
    notes = texts.url_notices({"week": ["2026-W99"], "district": ["牧野区", "火星区"], "type": [], "month": []},
                           weeks, months, ["牧野区"], ["刷单返利"])
    assert len(notes) == 2 and "2026-W99" in notes[0] and "火星区" in notes[1]
    assert texts.url_notices({"week": ["2026-W47"]}, weeks, months, [], []) == []
    default = periods.parse("2026-W46")
    assert texts.choose_period("2026-W47", texts.MONTH_OFF, default).key == "2026-W47"
    assert texts.choose_period("2026-W47", "2026-11", default).key == "2026-11"
    assert texts.choose_period(None, None, default) is default


def test_week_and_month_options():
    w = texts.week_options(dt.date(2026, 11, 1), dt.date(2026, 11, 24))
    assert w == ["2026-W48", "2026-W47", "2026-W46", "2026-W45", "2026-W44"]
    assert texts.month_options(dt.date(2026, 9, 30), dt.date(2026, 11, 2)) == ["2026-11", "2026-10", "2026-09"]


def test_change_colours_follow_direction():
    assert texts.change_text(38.0, "rise", 0.01, -1, "同比") == ("+38.0% 同比!", "red")     # loss/cases up: bad
    assert texts.change_text(5.0, "rise", 0.0004, +1, "环比") == ("+5.0% 环比‼", "green")   # good rate up, beyond doubt
    assert texts.change_text(-12.9, "", 0.4, -1, "环比") == ("-12.9% 环比", "gray")         # not announced
    assert texts.change_text(None, "", None, -1, "环比") == ("环比 —", "gray")
    # rates in percentage points: 超期率 4.11% -> 7.96% announced with q = 0.0005, and bad
    assert texts.change_text(None, "rise", 0.0005, -1, "环比", texts.rate_points(0.0796, 0.0411)) == \
        ("+3.85个百分点 环比‼", "red")


def test_plain_text_is_inert():
    assert texts.plain("[点我](javascript:x) <b>粗</b> *a*") == "\\[点我\\](javascript:x) \\<b\\>粗\\</b\\> \\*a\\*"
    assert len(texts.plain("x" * 100, 40)) == 40


def test_header_text():
    t = texts.header_text("新乡市", W47, "全市", dt.datetime(2026, 11, 22, 23, 41))
    assert t == "新乡市 · 2026年第47周（2026-11-16 至 2026-11-22） · 全市 · 数据截至 2026-11-22 23:41"
    assert "临时数据" in texts.header_text("新乡市", W47, "全市", None, periods.PROVISIONAL)
    assert "尚无数据" in texts.header_text("新乡市", W47, "全市", None, periods.NO_DATA)


def test_import_builders(tmp_path):
    from antifraud.ingest import FileResult
    from antifraud.views import data_import
    assert data_import.safe_name("C:\\exports\\案件_W47.csv") == "案件_W47.csv"
    assert data_import.safe_name("../../etc/passwd") == "passwd"
    rejects = tmp_path / "rej.csv"
    rejects.write_text("row_number,reason,case_id\n3,未知分局「火星分局」,C99\n", encoding="utf-8-sig")
    r = FileResult(file="/tmp/x/案件.csv", kind="cases", rows_read=3, rows_loaded=1, rows_new=1, rows_updated=0,
                   rows_rejected=2, reject_file=str(rejects), unknown_labels={"诈骗类型": {"新型骗法": 1}})
    t = data_import.summary_table([r]).iloc[0]
    assert (t["文件"], t["类型"], t["读取"], t["载入"], t["拒收"]) == ("案件.csv", "案件", 3, 1, 2)
    assert t["未识别的取值"] == "诈骗类型：「新型骗法」1行"
    rows = data_import.rejected_rows(str(rejects))
    assert list(rows.columns[:2]) == ["行号", "原因"] and rows["原因"].iloc[0] == "未知分局「火星分局」"
    assert data_import.rejected_rows(None).empty


def test_tables_show_missing_values_blank():
    f = pd.DataFrame({"text": [None, "x"], "number": [None, 1.5], "empty": [None, None], "int": [1, 2]})
    out = widgets._numeric(f)
    assert list(out["text"]) == ["", "x"] and list(out["empty"]) == ["", ""]
    assert pd.isna(out["number"].iloc[0]) and out["number"].iloc[1] == 1.5 and list(out["int"]) == [1, 2]


def test_fast_stop_by_bureau_and_improving_runs():
    from scipy.stats import norm
    from antifraud import periods
    from antifraud.views import common, interception as iv
    units = pd.DataFrame({"bureau_id": ["410783", "410727", "410781"], "district_name": ["长垣市", "封丘县", "卫辉市"]})
    chosen = common.recent_periods(periods.parse("2026-W47"), 8)           # W40..W47
    starts = [p.start for p in chosen]
    trend = pd.DataFrame({
        "period_start": starts * 3,
        "bureau_id": ["410783"] * 8 + ["410727"] * 8 + ["410781"] * 8,
        # 长垣 3 of 10 for five weeks, then 5, 7, 9 of 10: rises three weeks running, 21/30 against 15/50;
        # 封丘 a week without a timed case breaks its run; 卫辉 rises three weeks too (4→5→6→7 of 10),
        # but 18/30 against 24/50 is its ordinary wobble
        "fast_stop_n": [3, 3, 3, 3, 3, 5, 7, 9] + [1, 1, 1, 1, 1, 0, 1, 2] + [5, 5, 5, 5, 4, 5, 6, 7],
        "fast_stop_den": [10] * 8 + [2, 2, 2, 2, 2, 0, 3, 3] + [10] * 8})
    m = iv.fast_stop_by_bureau(trend, chosen, units)
    assert m.loc["长垣市"].round(2).tolist() == [0.3] * 5 + [0.5, 0.7, 0.9]
    assert pd.isna(m.loc["封丘县"].iloc[5])
    up = iv.improving(m, min_run=3)
    assert up["区县"].tolist() == ["长垣市"]
    assert up.loc[0, "连续上升"] == 3 and up.loc[0, "说明"] == "连续3周上升，30%→90%"
    # by hand: pooled 36/80 = .45, z = (.7 − .3)/√(.45 × .55 × (1/30 + 1/50)) = 3.482, p = 4.98e-4;
    # over three bureaus (the other two p = 1 and ≈ .3) q = 3 × p
    z = 0.4 / (0.45 * 0.55 * (1 / 30 + 1 / 50)) ** 0.5
    assert z == pytest.approx(3.482, abs=1e-3) and 3 * 2 * norm.sf(z) < 0.05
    assert iv.improving(m, min_run=4).empty

def test_boxes_and_histogram_send_their_figures_not_every_value():
    """Box plots carry plotly's own quartiles and whiskers per group; the histogram carries counts."""
    import numpy as np
    frame = pd.DataFrame({"g": ["甲"] * 6 + ["乙"] * 4 + ["丙"],
                          "v": [1.0, 2.0, 3.0, 4.0, 5.0, 100.0, 10.0, 20.0, 30.0, 40.0, 7.0]})
    fig = charts.box_figure(charts.box_stats(frame, "g", "v", ["乙", "甲", "丙", "无"]), "用时")
    box = fig.data[0]
    assert list(box.y) == ["乙", "甲", "丙"] and box.x is None          # one trace, no raw values
    i = list(box.y).index("甲")    # 6 values: hazen quartiles at 1 and 4 (0-based), 100 beyond 1.5 IQR
    assert (box.q1[i], box.median[i], box.q3[i]) == (2.0, 3.5, 5.0)
    assert (box.lowerfence[i], box.upperfence[i]) == (1.0, 5.0)
    assert box.q1[2] == box.q3[2] == box.median[2] == 7.0
    hist = charts.histogram([5, 12, 15, 250, float("nan"), 31], "分布", bin_size=10, limit=240, marker=30)
    bars = hist.data[0]
    counts = dict(zip(bars.x, bars.y))
    assert counts[5.0] == 1 and counts[15.0] == 2 and counts[35.0] == 1 and counts[245.0] == 1   # 250 piled at 240
    assert sum(bars.y) == 5 and np.allclose(np.diff(bars.x), 10)
    # a column of a frame, with missing values as None or NA, counts the same
    column = pd.Series([5, 12, 15, 250, None, 31], dtype="Float64")
    assert charts.histogram(column, "分布", bin_size=10, limit=240).data[0].y == bars.y
