"""The briefing (report): figures equal the dashboard's, contract of the JSON, per-bureau
scope, no-data weeks, exit codes, inert hostile names, archive and revisions.

Expected numbers are the hand-computed fixture figures of tests/test_metrics.py.
"""
import datetime as dt
import io
import json
import re
import shutil
import zipfile

import pandas as pd
import pytest
from openpyxl import load_workbook

import queries
from antifraud import archive, briefing, cli, exports, hotspots, measures, metrics, periods, ranking, report, store, units
from antifraud.measures import Filters

import support

W47 = periods.parse("2026-W47")
HOSTILE = '=HYPERLINK("http://evil.invalid","点我")'


@pytest.fixture()
def own_db(fixture_db, tmp_path):
    """A private copy of the fixture database, so the archive beside it starts empty."""
    path = tmp_path / "own.duckdb"
    shutil.copy(fixture_db, path)
    queries.use_database(path)
    yield path
    queries.use_database(None)


def run_cli(capsysbinary, *argv):
    rc = cli.main(["report", *argv])
    out = capsysbinary.readouterr()
    return rc, out.out, out.err.decode("utf-8")


@pytest.fixture(scope="module")
def w47_json(fixture_db):
    queries.use_database(fixture_db)
    try:
        return briefing.to_json(briefing.build(W47, with_revisions=False))
    finally:
        queries.use_database(None)


# ------------------------------------------------------------------ figures and contract

def test_figures_are_the_hand_computed_ones(w47_json):
    k = w47_json["kpis"]
    assert k["cases"]["value"] == 5 and k["cases"]["prev_week"] == 2 and k["cases"]["wow_pct"] == 150.0
    assert k["cases"]["last_year"] == 1 and k["cases"]["ytd"] == 8 and k["cases"]["ytd_last_year"] == 2
    assert k["loss"]["value"] == 1288000.00                       # yuan in json
    assert k["dissuasion_rate"]["value"] == pytest.approx(0.5)     # fraction in json
    assert k["overdue_rate"]["value"] == pytest.approx(0.5)
    assert k["fast_stop_rate"]["value"] == pytest.approx(2 / 3, abs=1e-6)
    assert k["cases"]["flag"] == "" and k["cases"]["flag_yoy"] == "rise"
    assert w47_json["week"] == "2026-W47" and w47_json["start"] == "2026-11-16" and w47_json["end"] == "2026-11-22"
    assert w47_json["districts"] == [] and w47_json["data_as_of"] == "2026-11-22T23:30:00"


def test_figures_equal_the_dashboards(w47_json, use_fixture_db):
    # the overview page: measures.kpis over window_totals; the ranking page: ranking.rank_period
    assert w47_json["kpis"] == json.loads(json.dumps(measures.kpis(measures.window_totals(W47), "week")))
    page = ranking.to_records(ranking.rank_period(W47))
    assert [(r["bureau_id"], r["rank"], r["score"]) for r in w47_json["ranking"]] == \
        [(r["bureau_id"], r["rank"], r["score"]) for r in page]
    # per-bureau tables: the same by_bureau measures the pages read
    table = metrics.table(measures.by_bureau(W47.start, W47.end, medians=True))
    got = {r["bureau_id"]: r for r in w47_json["interception"]}
    for bid in table.index:
        assert got[bid]["loss"] == pytest.approx(table.loc[bid, "loss"])
    assert got["410725"]["loss"] == 1200000 and got["410711"]["cases"] == 2
    overdue = {r["bureau_id"]: r for r in w47_json["warnings_by_bureau"]}
    assert overdue["410702"]["overdue_high"] == 1        # W2: 高, 45 min > 30
    assert overdue["410711"]["overdue"] == 1             # W3


def test_every_catalogue_metric_with_the_right_type(w47_json):
    kpis = w47_json["kpis"]
    for m in metrics.CATALOGUE:
        row = kpis[m.name]
        for key in ("value", "prev_week", "wow_pct", "last_year", "yoy_pct", "ytd", "ytd_last_year",
                    "ytd_yoy_pct", "z", "flag", "z_yoy", "flag_yoy"):
            assert key in row, (m.name, key)
        v = row["value"]
        if m.kind == "count":
            assert isinstance(v, int) and not isinstance(v, bool), m.name
        elif v is not None:
            assert isinstance(v, float), m.name
        if m.kind == "rate" and v is not None:
            assert 0.0 <= v <= 1.0, m.name
        assert row["flag"] in ("", "rise", "fall")
    for key in ("ranking", "ranking_28d", "ranking_ytd"):
        rows = w47_json[key]
        assert len(rows) == 15
        assert {"bureau_id", "bureau_name", "rank", "score", "rank_change", "rank_low", "rank_high"} <= set(rows[0])
    assert isinstance(w47_json["alerts"], list) and isinstance(w47_json["hotspots"], list)
    assert isinstance(w47_json["provisional"], bool)


def test_month_keys(use_fixture_db):
    # November 2026 is provisional: the fixture's data ends on the 22nd, so it is compared with nothing
    j = briefing.to_json(briefing.build(periods.parse("2026-11"), with_revisions=False))
    assert j["month"] == "2026-11" and "week" not in j and j["provisional"] is True
    c = j["kpis"]["cases"]
    assert c["value"] == 7 and c["prev_month"] is None and c["mom_pct"] is None and "wow_pct" not in c
    assert c["last_year"] is None and c["flag"] == "" and c["flag_yoy"] == ""
    # December 2025 is complete: C11 against C8 in November; December 2024 lies before the data (C10, 2025-01-01)
    c = briefing.to_json(briefing.build(periods.parse("2025-12"), with_revisions=False))["kpis"]["cases"]
    assert (c["value"], c["prev_month"], c["mom_pct"], c["last_year"], c["yoy_pct"]) == (1, 1, 0.0, None, None)


def test_district_briefing_holds_only_its_rows(use_fixture_db):
    b = briefing.build(W47, briefing.resolve_filters(["牧野区"]), with_revisions=False)
    j = briefing.to_json(b)
    assert j["districts"] == ["牧野区"]
    assert j["kpis"]["cases"]["value"] == 2 and j["kpis"]["loss"]["value"] == 28000.0   # C3, C5
    for key in ("areas", "interception", "warnings_by_bureau", "hotspots"):
        assert all(r["bureau_id"] == "410711" for r in j[key]), key
    assert len(j["interception"]) == 1 and j["areas"][0]["station"] == "牧野派出所"
    assert len(j["ranking"]) == 15                                   # its place among all
    from antifraud import render_md
    md = render_md.render(b)
    assert "红旗分局" in md              # only as a ranking row …
    section = md.split("## 三、止付冻结")[1].split("## 六")[0]
    assert "红旗分局" not in section and "牧野分局" in section       # … never in its tables


def test_type_filter(use_fixture_db):
    j = briefing.to_json(briefing.build(W47, briefing.resolve_filters([], ["刷单返利"]), with_revisions=False))
    assert j["types"] == ["刷单返利"] and j["kpis"]["cases"]["value"] == 2
    assert [r["fraud_type"] for r in j["fraud_types"]] == ["刷单返利"]


# ------------------------------------------------------------------ command line

def test_cli_json_to_stdout_and_progress_to_stderr(fixture_db, capsysbinary):
    rc, out, err = run_cli(capsysbinary, "--db", str(fixture_db), "--week", "2026-W47", "--format", "json",
                           "--no-archive")
    assert rc == 0
    assert json.loads(out.decode("utf-8"))["kpis"]["cases"]["value"] == 5
    assert "2026年第47周" in err


def test_cli_md_marking_and_sections(fixture_db, capsysbinary):
    rc, out, _ = run_cli(capsysbinary, "--db", str(fixture_db), "--week", "2026-W47", "--no-archive")
    md = out.decode("utf-8")
    assert rc == 0 and md.startswith("**内部资料 注意保密**") and md.rstrip().endswith("**内部资料 注意保密**")
    for heading in ("总体态势", "高发区域", "新出现热点", "止付冻结", "预警劝阻", "诈骗类型", "分县局排名", "预警提示"):
        assert heading in md
    assert "| 发案数 | 5 | 2 | +150.0%▲ |" in md
    assert "128.80万元" in md                       # loss in 万元 on paper


def test_cli_no_data_week_is_a_report_not_an_error(fixture_db, capsysbinary):
    rc, out, _ = run_cli(capsysbinary, "--db", str(fixture_db), "--week", "2027-W02", "--no-archive")
    assert rc == 0 and "本期无数据" in out.decode("utf-8")
    rc, out, _ = run_cli(capsysbinary, "--db", str(fixture_db), "--week", "2027-W02", "--format", "json",
                         "--no-archive")
    j = json.loads(out)
    # the data does not reach 2027: nothing is reported as a figure, nothing as a change
    assert rc == 0 and j["no_data"] is True and j["kpis"]["cases"]["value"] is None
    assert all(row["flag"] == "" and row["wow_pct"] is None for row in j["kpis"].values())
    rc, out, _ = run_cli(capsysbinary, "--db", str(fixture_db), "--week", "2026-W48", "--no-archive")
    assert rc == 0 and "本周数据尚未导入（数据截至 11-22）" in out.decode("utf-8")


def test_cli_no_data_xlsx(fixture_db, tmp_path, capsysbinary):
    target = tmp_path / "empty.xlsx"
    rc, _, _ = run_cli(capsysbinary, "--db", str(fixture_db), "--week", "2027-W02", "--format", "xlsx",
                       "--out", str(target), "--no-archive")
    assert rc == 0 and "本期无数据" in load_workbook(target).sheetnames


@pytest.mark.parametrize("argv, needle", [
    (["--week", "2026-W99"], "周期"), (["--week", "2026-11"], "周期"), (["--month", "2026-13"], "周期"),
    (["--district", "火星区"], "火星区"), (["--type", "不存在的类型"], "诈骗类型"),
])
def test_cli_unusable_input_exits_2(fixture_db, capsysbinary, argv, needle):
    rc, out, err = run_cli(capsysbinary, "--db", str(fixture_db), "--no-archive", *argv)
    assert rc == 2 and out == b"" and needle in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cli_missing_db_path_exits_2(tmp_path, capsysbinary):
    rc, out, err = run_cli(capsysbinary, "--db", str(tmp_path / "none.duckdb"))
    assert rc == 2 and out == b"" and "不存在" in err
    assert not (tmp_path / "none.duckdb").exists()


def test_cli_xlsx_default_name_in_cwd(fixture_db, tmp_path, monkeypatch, capsysbinary):
    monkeypatch.chdir(tmp_path)
    rc, out, _ = run_cli(capsysbinary, "--db", str(fixture_db), "--week", "2026-W47", "--district", "牧野",
                         "--format", "xlsx", "--no-archive")
    assert rc == 0 and out == b""
    path = tmp_path / "briefing-2026-W47-牧野区.xlsx"
    book = load_workbook(path)
    assert book.sheetnames[0] == "封面" and {"主要指标", "分县局排名", "预警劝阻"} <= set(book.sheetnames)
    for ws in book.worksheets:
        assert str(ws["A1"].value).startswith("内部资料 注意保密"), ws.title
        assert "内部资料 注意保密" in ws.oddHeader.center.text, ws.title
        assert ws.freeze_panes == "A3", ws.title
    kpi = book["主要指标"]
    rows = {r[0].value: r for r in kpi.iter_rows(min_row=3)}
    assert rows["损失金额"][2].value == pytest.approx(2.80)          # 万元 on summary sheets
    assert rows["损失金额"][2].number_format == "#,##0.00"
    assert rows["劝阻成功率"][2].number_format == "0.00%" and rows["劝阻成功率"][2].value == pytest.approx(0.5)
    raw = book["分县局数据(元)"]
    header = [c.value for c in raw[2]]
    assert raw.cell(3, header.index("损失金额(元)") + 1).value == pytest.approx(28000.0)   # yuan on raw data


def test_briefing_bytes_for_the_dashboard(use_fixture_db):
    name, data = report.briefing_bytes(W47, Filters(bureaus=("410711",)), "md")
    assert name == "briefing-2026-W47-牧野区.md" and "牧野区" in data.decode("utf-8")
    name, data = report.briefing_bytes("2026-11", Filters(), "xlsx")
    assert name == "briefing-2026-11.xlsx" and data[:2] == b"PK"
    assert not archive.archive_dir().exists() or not any(archive.archive_dir().rglob("*.json"))


# ------------------------------------------------------------------ hostile names

@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory):
    cases = support.read_fixture("cases")
    cases.loc[cases.case_id == "C4", "station"] = HOSTILE
    cases.loc[cases.case_id == "C4", "township"] = "+cmd|' /C calc'!A0"
    cases.loc[cases.case_id == "C5", "station"] = "<img src=x onerror=alert(1)>"
    batches = [store.Batch("cases", cases, "cases.csv", "hostile-cases", rows_read=len(cases))]
    for kind in ("warnings", "strikes"):
        frame = support.read_fixture(kind)
        batches.append(store.Batch(kind, frame, f"{kind}.csv", f"hostile-{kind}", rows_read=len(frame)))
    path = tmp_path_factory.mktemp("hostile") / "hostile.duckdb"
    store.apply(path, batches, units.load_units(), units.load_stations())
    return path


def test_hostile_station_name_is_inert_in_xlsx_and_csv(hostile_db, tmp_path, capsysbinary):
    target = tmp_path / "b.xlsx"
    rc, _, _ = run_cli(capsysbinary, "--db", str(hostile_db), "--week", "2026-W47", "--format", "xlsx",
                       "--out", str(target), "--no-archive")
    assert rc == 0
    book = load_workbook(target)
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cells, "the hostile station should appear (as text) in the areas sheet"
    assert all(c.value.startswith("'=") and c.data_type == "s" for c in cells)
    with zipfile.ZipFile(target) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name)
    queries.use_database(hostile_db)
    try:
        b = briefing.build(W47, with_revisions=False)
    finally:
        queries.use_database(None)
    assert HOSTILE in set(b.areas.station)
    from antifraud import render_md
    md = render_md.render(b)
    assert "\\<img src=x onerror=alert(1)\\>" in md                 # shown as text …
    assert re.search(r"(?<!\\)<img", md) is None                       # … never raw HTML
    text = exports.csv_bytes(b.areas).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
    back = pd.read_csv(io.StringIO(text))
    assert not any(str(v).startswith(("=", "+", "-", "@")) for v in back.to_numpy().ravel())


# ------------------------------------------------------------------ archive and revisions

def _late_case(path):
    late = support.read_fixture("cases").head(1).copy()
    late["case_id"] = "C12"
    late["reported_at"] = pd.Timestamp("2026-11-19 12:00:00")      # W47, reported late
    late["loss_amount"] = 100000.0
    store.apply(path, [store.Batch("cases", late, "late.csv", "late-1", rows_read=1)],
                units.load_units(), units.load_stations())


def test_archive_and_revisions(own_db, capsysbinary):
    rc, _, _ = run_cli(capsysbinary, "--db", str(own_db), "--week", "2026-W47", "--format", "json")
    assert rc == 0
    folder = own_db.parent / "briefings" / "2026-W47" / "全市"
    stored = list(folder.glob("*.json"))
    assert len(stored) == 1
    issued = json.loads(stored[0].read_text(encoding="utf-8"))
    assert issued["kpis"]["cases"]["value"] == 5 and issued["data_stamp"]["data_as_of"] == "2026-11-22T23:30:00"
    rc, _, _ = run_cli(capsysbinary, "--db", str(own_db), "--week", "2026-W47", "--format", "xlsx",
                       "--out", str(own_db.parent / "w47.xlsx"))
    assert len(list(folder.glob("*.xlsx"))) == 1 and len(list(folder.glob("*.json"))) == 2
    assert archive.revisions(W47).empty                       # nothing changed yet

    _late_case(own_db)
    rev = archive.revisions(W47).set_index("metric")
    assert rev.loc["cases", "issued"] == 5 and rev.loc["cases", "current"] == 6
    assert rev.loc["loss", "issued"] == 1288000.0 and rev.loc["loss", "current"] == 1388000.0
    assert "warnings" not in rev.index                          # unchanged metrics are not listed

    # the next week's briefing shows what changed in the week already issued
    rc, out, err = run_cli(capsysbinary, "--db", str(own_db), "--week", "2026-W48", "--no-archive")
    md = out.decode("utf-8")
    assert rc == 0 and "## 修订" in md and "| 2026-W47 | 发案数 | 5起 | 6起 |" in md
    rc, out, _ = run_cli(capsysbinary, "--db", str(own_db), "--week", "2026-W48", "--format", "json",
                         "--no-archive")
    j = json.loads(out)
    assert {"period": "2026-W47", "metric": "cases", "issued": 5, "current": 6} .items() <= \
        next(r for r in j["revisions"] if r["metric"] == "cases").items()
    # re-issuing W47 keeps the first issue as the baseline
    rc, out, _ = run_cli(capsysbinary, "--db", str(own_db), "--week", "2026-W47", "--format", "json")
    assert any(r["metric"] == "cases" and r["issued"] == 5 for r in json.loads(out)["revisions"])
    assert archive.first_issued(W47)["kpis"]["cases"]["value"] == 5
    # what the overview page calls with the kpis it already holds
    w48 = periods.parse("2026-W48")
    page = archive.period_revisions(w48, Filters(), measures.kpis(measures.window_totals(w48), "week"))
    assert page.set_index("metric").loc["cases", "current"] == 6
    assert any(line.startswith("2026-W47 发案数：发布时5起，现为6起") for line in archive.revision_sentences(page))


def test_archive_scope_is_per_filter(own_db):
    b = briefing.build(W47, Filters(bureaus=("410711",)), with_revisions=False)
    report.issue(b, "md", b"x")
    assert archive.first_issued(W47, Filters()) is None
    assert archive.first_issued(W47, Filters(bureaus=("410711",)))["districts"] == ["牧野区"]


def test_dashboard_shows_revisions_after_issue(fixture_db, tmp_path, monkeypatch, capsysbinary):
    """Issue W47's briefing (5 cases), then a late report arrives: the 本周态势 page says so."""
    import shutil
    from streamlit.testing.v1 import AppTest
    from antifraud import store, units
    db = tmp_path / "rev.duckdb"
    shutil.copy(fixture_db, db)
    rc, _, _ = run_cli(capsysbinary, "--db", str(db), "--week", "2026-W47", "--format", "json",
                       "--out", str(tmp_path / "issued.json"))
    assert rc == 0
    late = support.read_fixture("cases").head(1).copy()
    late["case_id"], late["reported_at"] = "C12", pd.Timestamp("2026-11-20 09:00")
    store.apply(db, [store.Batch("cases", late, "late.csv", "late-sha", 1)], units.load_units(), units.load_stations())
    monkeypatch.setenv("ANTIFRAUD_DB", str(db))
    at = AppTest.from_file(str(support.ROOT / "dashboard.py"), default_timeout=60)
    at.query_params["week"] = "2026-W47"
    at.run()
    assert not at.exception
    notes = [i.value for i in at.info if i.value.startswith("修订")]
    assert any("2026-W47 发案数：发布时5起，现为6起" in n for n in notes), notes
    assert not any("签收用时" in n for n in notes)          # the page does not compute it: no false revision
