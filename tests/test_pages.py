"""Every registered page under AppTest on the fixture DB (numbers from tests/test_metrics.py).

The app finds the database through ANTIFRAUD_DB, as a deployment would. Pages run through
dashboard.py (st.navigation), and also alone, the way a freshly started server runs the
first request to a page URL.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
PAGES = {"overview": "本周态势", "areas": "高发区域", "interception": "止付冻结",
         "warnings": "预警劝阻", "types": "诈骗类型", "data_import": "数据导入"}


@pytest.fixture()
def app_env(fixture_db, monkeypatch):
    monkeypatch.setenv("ANTIFRAUD_DB", str(fixture_db))
    import queries
    queries.use_database(None)
    return fixture_db


def run_app(params: dict | None = None, page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(f"pages/{page}.py")
        # a browser keeps bound parameters across a page change; AppTest needs them again
        for k, v in (params or {}).items():
            at.query_params[k] = v
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def run_page_alone(page: str, params: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=60)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption]
                     + [w.value for w in at.warning] + [i.value for i in at.info])


def test_only_registered_pages_in_pages_folder():
    from antifraud import registry
    registered = {Path(p.file).name for p in registry.PAGES + (registry.CHANGES,)}
    present = {p.name for p in (ROOT / "pages").glob("*.py")}
    assert present <= registered, present - registered


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders(app_env, page):
    at = run_app({"week": "2026-W47"}, page if page != "overview" else None)
    body = texts(at)
    assert f"### {PAGES[page]}" in body
    if page == "data_import":                                     # stopped by the access check
        return
    assert "新乡市 · 2026年第47周" in body and "2026-11-16 至 2026-11-22" in body
    assert "数据截至 2026-11-22 23:30" in body                    # C5, the latest event


@pytest.mark.parametrize("page", [p for p in PAGES if p != "data_import"])
def test_page_alone_is_complete(app_env, page):
    """The first request to a page URL on a fresh server runs the page without dashboard.py."""
    at = run_page_alone(page, {"week": "2026-W47", "district": ["牧野区"]})
    body = texts(at)
    assert f"### {PAGES[page]}" in body and "牧野区" in body
    assert len(at.sidebar.multiselect) == 2                       # the shared filters are there


def test_overview_numbers_and_district_filter(app_env):
    at = run_app({"week": "2026-W47"})
    assert metric(at, "发案数") == "5起" and metric(at, "损失金额") == "128.80万元"
    assert metric(at, "劝阻成功率") == "50.00%"
    body = texts(at)
    assert "本周发案5起，环比上升150.0%；损失128.80万元，环比上升3477.8%，主要来自虚假贷款。" in body
    assert "大额案件（损失 ≥ 100万元）：1起" in body                 # C4, 1,200,000
    large = at.dataframe[0].value
    assert list(large["案件编号"]) == ["C4"] and large["损失(万元)"].iloc[0] == 120.0

    at = run_app({"week": "2026-W47", "district": ["牧野区"]})
    assert metric(at, "发案数") == "2起" and metric(at, "损失金额") == "2.80万元"   # C3, C5
    assert "牧野区" in texts(at)


def test_type_filter(app_env):
    at = run_app({"week": "2026-W47", "type": ["刷单返利"]})
    assert metric(at, "发案数") == "2起"                              # C1, C3
    assert at.sidebar.multiselect(key="type").value == ["刷单返利"]


def test_url_params_preselect_filters(app_env):
    at = run_app({"week": "2026-W46", "district": ["牧野区", "红旗区"]})
    assert at.sidebar.selectbox(key="week").value == "2026-W46"
    assert at.sidebar.multiselect(key="district").value == ["牧野区", "红旗区"]
    assert metric(at, "发案数") == "1起"                              # C6 (红旗); C7 is 原阳
    at = run_app({"month": "2026-11"})
    assert at.sidebar.selectbox(key="month").value == "2026-11"
    assert metric(at, "发案数") == "7起" and "2026年11月" in texts(at)


@pytest.mark.parametrize("params, word", [
    ({"week": "2026-W99"}, "周期"), ({"district": ["火星区"]}, "区县"),
    ({"type": ["<b>x</b>"]}, "诈骗类型"), ({"month": "2026-13"}, "月份")])
def test_bad_param_shows_notice(app_env, params, word):
    at = run_app({"week": "2026-W47", **params} if "week" not in params else params)
    notices = [w.value for w in at.warning]
    assert any(word in n and "已忽略" in n for n in notices), notices


def test_unknown_page_param_notice_and_known_page_param(app_env):
    at = run_app({"week": "2026-W47", "page": "nope"})
    assert any("页面" in w.value for w in at.warning)
    at = run_app({"week": "2026-W47", "page": "warnings"})
    assert "### 预警劝阻" in texts(at)


def test_wall_mode_renders(app_env):
    at = run_app({"week": "2026-W47", "wall": "1"}, "overview")
    assert not at.get("download_button")                           # no downloads on the wall


def test_areas_page(app_env):
    at = run_app({"week": "2026-W47"}, "areas")
    assert at.get("deck_gl_json_chart")
    rates = next(d.value for d in at.dataframe if "万人发案" in d.value.columns)
    # 原阳 C4: 1 case / 542,849 residents
    assert rates.set_index("区县").loc["原阳县", "发案数"] == 1
    assert rates.set_index("区县").loc["原阳县", "万人发案"] == round(1 / 542849 * 10000, 2)


def test_interception_page(app_env):
    at = run_app({"week": "2026-W47"}, "interception")
    assert metric(at, "止付金额") == "1.20万元" and metric(at, "冻结金额") == "0.60万元"
    assert metric(at, "30分钟止付率") == "66.67%"                     # C1 15, C3 30 of C1..C3
    bank = next(d.value for d in at.dataframe if "付款银行" in d.value.columns).set_index("付款银行")
    assert bank.loc["工商银行", "30分钟止付率(%)"] == 100.0           # C1 15 min, C3 30 min
    assert bank.loc["建设银行", "30分钟止付率(%)"] == 0.0             # C2 60 min


def test_warnings_page_overdue_list(app_env):
    at = run_app({"week": "2026-W47"}, "warnings")
    body = texts(at)
    assert "超期预警清单：3条" in body                                 # W2, W3, W5
    listing = next(d.value for d in at.dataframe if "预警编号" in d.value.columns)
    assert list(listing["预警编号"]) == ["W2", "W3", "W5"]           # 高, 中, 低
    at = run_app({"week": "2026-W47", "district": ["牧野区"]}, "warnings")
    assert "超期预警清单：1条" in texts(at)                           # W3


def test_a_long_overdue_list_shows_its_first_rows_and_says_so(app_env, monkeypatch):
    from antifraud.views import warnings
    monkeypatch.setattr(warnings, "OVERDUE_SHOWN", 2)
    at = run_app({"week": "2026-W47"}, "warnings")
    listing = next(d.value for d in at.dataframe if "预警编号" in d.value.columns)
    assert list(listing["预警编号"]) == ["W2", "W3"]                  # 高, 中 first; W5 (低) left to the download
    body = texts(at)
    assert "超期预警清单：3条" in body and "显示前2条，共3条；完整清单请下载 csv 或 xlsx。" in body


def test_a_second_viewer_of_the_same_link_derives_nothing_again(app_env, monkeypatch):
    """What a page derives from its reads (ui.Context.derive) is computed once per database
    stamp, period and filters: the next viewer of the link gets it; another filter computes its own."""
    import queries
    from antifraud import funnel, hotspots
    from antifraud.views import interception, warnings
    calls = []

    def counted(module, name):
        original = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, **k: calls.append(name) or original(*a, **k))
    for module, name in [(interception, "minutes_by"), (interception, "fast_stop_by_bureau"),
                         (warnings, "overdue_table"), (warnings, "crosstab"), (hotspots, "top_places"),
                         (funnel, "spec")]:
        counted(module, name)
    queries.clear_memo()
    for page in ("interception", "warnings", "areas", "bureaus"):
        run_app({"week": "2026-W47"}, page)
    first = sorted(calls)
    assert first == sorted(["minutes_by"] * 3 + ["fast_stop_by_bureau", "overdue_table"] + ["crosstab"] * 2
                           + ["top_places"] * 2 + ["spec"])
    calls.clear()
    for page in ("interception", "warnings", "areas", "bureaus"):
        at = run_app({"week": "2026-W47"}, page)
    assert calls == []
    at = run_app({"week": "2026-W47", "district": ["牧野区"]}, "warnings")
    assert sorted(calls) == ["crosstab", "crosstab", "overdue_table"] and "超期预警清单：1条" in texts(at)


def test_types_page(app_env):
    at = run_app({"week": "2026-W47"}, "types")
    mix = next(d.value for d in at.dataframe if "本期占比(%)" in d.value.columns).set_index("诈骗类型")
    assert mix.loc["刷单返利", "本期发案"] == 2 and mix.loc["刷单返利", "本期占比(%)"] == 40.0
    assert mix.loc["刷单返利", "去年同期发案"] == 1                    # C8


def test_import_page_off_by_default(app_env):
    at = run_app({"week": "2026-W47"}, "data_import")
    assert any("未启用" in i.value for i in at.info)
    assert not at.get("file_uploader")


def test_import_page_on_when_enabled(app_env, monkeypatch, tmp_path):
    settings = (ROOT / "settings.toml").read_text(encoding="utf-8")
    enabled = settings.replace("[import]\nenabled = false", "[import]\nenabled = true")
    assert enabled != settings
    (tmp_path / "settings.toml").write_text(enabled, encoding="utf-8")
    monkeypatch.setenv("ANTIFRAUD_SETTINGS", str(tmp_path / "settings.toml"))
    # who may import (login, local use) is antifraud/access.py's own business and tests;
    # here only the page itself is under test
    from antifraud import access
    monkeypatch.setattr(access, "check", lambda ctx: None)
    at = run_app({"week": "2026-W47"}, "data_import")
    assert at.get("file_uploader")
    imports = next(d.value for d in at.dataframe if "文件" in d.value.columns)
    assert set(imports["文件"]) == {"cases.csv", "warnings.csv", "strikes.csv"}


# What AppTest cannot show (the first request to a fresh server, navigation keeping the
# filters in the URL, no request leaving the machine) is in tests/browser/test_pages_browser.py.

@pytest.mark.parametrize("page", [p for p in PAGES if p != "data_import"])
def test_pages_on_an_empty_database(page, tmp_path, monkeypatch):
    """A database with the units but no case or warning yet: calm pages, no exception."""
    from antifraud import store, units
    db = tmp_path / "empty.duckdb"
    store.apply(db, [], units.load_units(), units.load_stations())
    monkeypatch.setenv("ANTIFRAUD_DB", str(db))
    at = run_page_alone(page)
    assert any("数据截至 —" in c.value for c in at.caption)
