"""Ingest of real-looking extracts: every file is written inside the test, every expected
figure worked out by hand from the rows written here."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from antifraud import cli, ingest
from antifraud.config import UsageError

FIXTURES = Path(__file__).parent / "fixtures"

CASE_HEADER = ["案件编号", "报案时间", "分县局", "诈骗类型", "涉案金额"]


def write_csv(path: Path, rows, encoding="utf-8", title=()) -> Path:
    lines = [*title, *(",".join(str(c) for c in row) for row in rows)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def write_xlsx(path: Path, rows, title=()) -> Path:
    import xlsxwriter
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("导出")
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for r, text in enumerate(title):
        sheet.write(r, 0, text)
    for r, row in enumerate(rows, start=len(title)):
        for c, value in enumerate(row):
            if isinstance(value, dt.datetime):
                sheet.write_datetime(r, c, value, stamp)
            elif value is not None:
                sheet.write(r, c, value)
    book.close()
    return path


def run(capsys, *args):
    code = cli.main(["ingest", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def table(db: Path, name: str, order: str) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        frame = con.execute(f"SELECT * FROM {name} ORDER BY {order}").df()
        return frame.drop(columns="ingested_at", errors="ignore")
    finally:
        con.close()


def cases(db, order="case_id"):
    return table(db, "cases", order).set_index("case_id")


# ---------------------------------------------------------------- the fixture extracts

def test_fixture_extracts_match_fixture_db(tmp_path, capsys, fixture_db):
    db = tmp_path / "db" / "af.duckdb"
    code, out, _ = run(capsys, FIXTURES / "cases.csv", FIXTURES / "warnings.csv",
                       FIXTURES / "strikes.csv", "--db", db)
    assert code == 0
    assert "cases.csv: read 11, loaded 11 (new 11, updated 0), rejected 0" in out
    assert "warnings.csv: read 8, loaded 8 (new 8, updated 0), rejected 0" in out
    assert "strikes.csv: read 3, loaded 3 (new 3, updated 0), rejected 0" in out
    for name, key in [("cases", "case_id"), ("warnings", "warning_id"), ("strikes", "bureau_id, date"),
                      ("case_daily", "ALL"), ("warning_daily", "ALL"), ("area_weekly", "ALL")]:
        mine, theirs = table(db, name, key), table(fixture_db, name, key)
        pd.testing.assert_frame_equal(mine.drop(columns="source_file", errors="ignore"),
                                      theirs.drop(columns="source_file", errors="ignore"), check_dtype=False)


def test_fixture_extracts_give_the_metric_figures(tmp_path, capsys):
    from antifraud import measures, periods
    import queries
    db = tmp_path / "af.duckdb"
    run(capsys, FIXTURES / "cases.csv", FIXTURES / "warnings.csv", FIXTURES / "strikes.csv", "--db", db)
    queries.use_database(db)
    try:
        k = measures.kpis(measures.window_totals(periods.parse("2026-W47")), "week")
    finally:
        queries.use_database(None)
    # the figures of tests/test_metrics.py (C1..C5, W1..W6, strikes of W47)
    assert k["cases"]["value"] == 5 and k["loss"]["value"] == 1288000.00
    assert k["fast_stop_rate"]["value"] == pytest.approx(2 / 3, abs=1e-6)
    assert k["warnings"]["value"] == 6 and k["dissuaded"]["value"] == 3
    assert k["overdue_rate"]["value"] == pytest.approx(0.5)
    assert k["victimized_after_rate"]["value"] == pytest.approx(1 / 6, abs=1e-6)
    assert k["arrests"]["value"] == 4 and k["cards_frozen"]["value"] == 15


# ---------------------------------------------------------------- encodings and layout

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_encodings_detected(tmp_path, capsys, encoding):
    f = write_csv(tmp_path / "案件.csv", [CASE_HEADER,
                                          ["A1", "2026-11-16 10:00", "牧野分局", "刷单返利", "100"],
                                          ["A2", "2026-11-17 11:00", "卫辉市公安局", "冒充公检法", "200"]],
                  encoding=encoding)
    code, out, _ = run(capsys, f, "--db", tmp_path / "af.duckdb")
    assert code == 0 and "read 2, loaded 2 (new 2, updated 0), rejected 0" in out
    c = cases(tmp_path / "af.duckdb")
    assert c.loc["A1", "bureau_id"] == "410711" and c.loc["A2", "bureau_id"] == "410781"
    assert list(c["fraud_type"]) == ["刷单返利", "冒充公检法"]


def test_gbk_title_rows_total_row_footer_and_row_numbers(tmp_path, capsys):
    # row 1 title, row 2 export note, row 3 header, rows 4-6 data, row 7 合计, row 8 blank, row 9 footer
    f = write_csv(tmp_path / "案件导出.csv", [
        CASE_HEADER,
        ["A1", "2026-11-16 10:00", "牧野分局", "刷单返利", "100"],
        ["", "2026-11-16 11:00", "牧野分局", "刷单返利", "50"],            # row 5: no id
        ["A3", "2026-11-16 12:00", "红旗分局", "刷单返利", "300"],
        ["合计", "", "", "", "450"],
        [""],
        ["制表人：某某"],
    ], encoding="gbk", title=["新乡市电信网络诈骗案件统计表", "导出时间：2026年11月23日"])
    db = tmp_path / "af.duckdb"
    code, out, _ = run(capsys, f, "--db", db)
    assert code == 1
    assert "read 3, loaded 2 (new 2, updated 0), rejected 1" in out
    report = pd.read_csv(next((tmp_path / "rejects").glob("案件导出-*.csv")), dtype=str, encoding="utf-8-sig")
    assert report["row_number"].tolist() == ["5"] and report["reason"].tolist() == ["缺少案件编号"]
    assert list(cases(db).index) == ["A1", "A3"]


def test_reject_report_shape_and_reasons(tmp_path, capsys):
    f = write_csv(tmp_path / "cases.csv", [
        ["案件编号", "报案时间", "分县局", "涉案金额", "受害人姓名", "联系电话", "简要案情"],
        ["B1", "2026-11-16 10:00", "牧野分局", "100", "张三", "13812345678", "接到电话后转账"],  # row 2
        ["", "2026-11-16 10:00", "牧野分局", "100", "李四", "13912345678", "x"],                # 3
        ["B3", "昨天下午", "牧野分局", "100", "王五", "", ""],                                  # 4
        ["B4", "2026-11-16 10:00", "火星分局", "100", "", "", ""],                              # 5
        ["B5", "2026-11-16 10:00", "牧野分局", "-5", "", "", ""],                                # 6
        ["B6", "2026-11-16 10:00", "牧野分局", "很多", "", "", ""],                              # 7
        ["B7", "", "牧野分局", "100", "", "", ""],                                              # 8
        ["B8", "2026-11-16 10:00", "", "100", "", "", ""],                                      # 9
    ])
    db = tmp_path / "sub" / "af.duckdb"
    code, out, _ = run(capsys, f, "--db", db)
    assert code == 1
    assert "cases.csv: read 8, loaded 1 (new 1, updated 0), rejected 7" in out
    files = list((db.parent / "rejects").iterdir())
    assert len(files) == 1 and re.fullmatch(r"cases-\d{8}T\d{6}\.csv", files[0].name)
    assert str(files[0]) in out
    assert files[0].read_bytes().startswith(b"\xef\xbb\xbf")
    report = pd.read_csv(files[0], dtype=str, encoding="utf-8-sig", keep_default_na=False)
    assert list(report.columns) == ["row_number", "reason", "案件编号", "报案时间", "分县局", "涉案金额"]
    assert report.set_index("row_number")["reason"].to_dict() == {
        "3": "缺少案件编号", "4": "报案时间无法识别", "5": "未知分县局「火星分局」",
        "6": "涉案金额为负", "7": "涉案金额无法识别", "8": "缺少报案时间", "9": "缺少分县局"}
    assert report.loc[report.row_number == "6", "涉案金额"].item() == "-5"


def test_xlsx_datetime_cells_title_rows_and_numbers(tmp_path, capsys):
    f = write_xlsx(tmp_path / "预警.xlsx", [
        ["预警编号", "下发时间", "签收时间", "预警级别", "分县局", "劝阻结果", "劝阻后发案", "避免损失"],
        ["W1", dt.datetime(2026, 11, 16, 10, 0), dt.datetime(2026, 11, 16, 10, 5), "高", "牧野分局",
         "成功劝阻", "否", 5000],
        ["W2", 46344.5, None, "中风险", "红旗区", "劝阻成功", 0, 12.5],            # Excel serial day
        ["W3", "不详", None, "低", "红旗区", "误报", "是", 0],                     # row 6: rejected
    ], title=["预警指令处置情况", ""])
    db = tmp_path / "af.duckdb"
    code, out, _ = run(capsys, f, "--db", db)
    assert code == 1 and "read 3, loaded 2 (new 2, updated 0), rejected 1" in out
    w = table(db, "warnings", "warning_id").set_index("warning_id")
    assert w.loc["W1", "issued_at"] == pd.Timestamp("2026-11-16 10:00")
    assert w.loc["W1", "signed_at"] == pd.Timestamp("2026-11-16 10:05")
    assert w.loc["W2", "issued_at"] == pd.Timestamp("2026-11-18 12:00")   # 46344 = 2026-11-18
    assert w.loc["W1", "result"] == "劝阻成功" and w.loc["W2", "level"] == "中"
    assert w.loc["W2", "victimized_after"] == False  # noqa: E712
    assert float(w.loc["W1", "avoided_loss"]) == 5000 and float(w.loc["W2", "avoided_loss"]) == 12.5
    report = pd.read_csv(next((tmp_path / "rejects").glob("预警-*.csv")), dtype=str, encoding="utf-8-sig")
    assert report[["row_number", "reason"]].values.tolist() == [["6", "下发时间无法识别"]]


# ---------------------------------------------------------------- headers and values

def test_header_variants_fullwidth_spaces_units_english(tmp_path, capsys):
    f = write_csv(tmp_path / "c.csv", [
        ["警情编号", "接 警 时 间", "所属分局", "案件类别", "损失金额（万元）", "止付金额(元)", "Frozen_Amount"],
        ["Ａ１", "2026-11-16 10:00", "牧野分局", "刷单", "1.5", "2000", "10"],
    ])
    g = write_csv(tmp_path / "e.csv", [
        ["case_id", "reported_at", "bureau_id", "fraud_type", "loss_amount"],
        ["E1", "2026-11-16 10:00", "410702", "其他", "7"],
    ])
    db = tmp_path / "af.duckdb"
    assert run(capsys, f, g, "--db", db)[0] == 0
    c = cases(db)
    assert c.loc["A1", "loss_amount"] == Decimal("15000.00")       # 1.5 万元
    assert c.loc["A1", "stopped_amount"] == Decimal("2000.00")
    assert c.loc["A1", "frozen_amount"] == Decimal("10.00")
    assert c.loc["A1", "fraud_type"] == "刷单返利" and c.loc["E1", "bureau_id"] == "410702"


def test_amount_forms(tmp_path, capsys):
    amounts = ['"15,000.00"', "1.5万", "3000元", "2.3万元", '"￥1,200"', "１２００", "\"1,234,567.891\"", "", "-"]
    expected = [15000, 15000, 3000, 23000, 1200, 1200, 1234567.89, None, None]
    rows = [CASE_HEADER] + [[f"M{i}", "2026-11-16 10:00", "牧野分局", "刷单返利", a] for i, a in enumerate(amounts)]
    db = tmp_path / "af.duckdb"
    assert run(capsys, write_csv(tmp_path / "c.csv", rows), "--db", db)[0] == 0
    got = cases(db)["loss_amount"]
    for i, want in enumerate(expected):
        assert (pd.isna(got[f"M{i}"]) if want is None else float(got[f"M{i}"]) == want), amounts[i]


def test_time_forms(tmp_path, capsys):
    forms = {"T1": "2026-11-03 14:05:00", "T2": "2026/11/3 14:05", "T3": "2026年11月3日 14时05分",
             "T4": "2026.11.03 14:05", "T5": "46329.5868055556", "T6": "2026-11-03T14:05",
             "T7": "20261103140500", "T8": "2026年11月3日14:05", "T9": "２０２６-１１-０３ １４:０５"}
    rows = [CASE_HEADER] + [[k, v, "牧野分局", "刷单返利", "1"] for k, v in forms.items()]
    rows.append(["T0", "2026-11-03", "牧野分局", "刷单返利", "1"])
    db = tmp_path / "af.duckdb"
    assert run(capsys, write_csv(tmp_path / "c.csv", rows), "--db", db)[0] == 0
    got = cases(db)["reported_at"]
    for k in forms:
        assert got[k] == pd.Timestamp("2026-11-03 14:05"), k     # serial .5868055556 d = 14:05:00
    assert got["T0"] == pd.Timestamp("2026-11-03 00:00")


def test_value_variants_and_unknown_labels(tmp_path, capsys):
    header = ["预警编号", "推送时间", "分县局", "预警级别", "涉诈类型", "劝阻结果", "劝阻方式", "劝阻后发案"]
    rows = [header,
            ["V1", "2026-11-16 10:00", "牧野分局", "高风险", "杀猪盘", "成功劝阻", "电话劝阻", "是"],
            ["V2", "2026-11-16 10:00", "牧野分局", "低", "婚恋杀猪盘", "已受骗", "上门", "Y"],
            ["V3", "2026-11-16 10:00", "牧野分局", "中", "元宇宙骗局", "劝阻成功", "短信", "1"],
            ["V4", "2026-11-16 10:00", "牧野分局", "中", "元宇宙骗局", "劝阻成功", "短信", "true"],
            ["V5", "2026-11-16 10:00", "牧野分局", "中", "刷单", "劝阻成功", "短信", "否"],
            ["V6", "2026-11-16 10:00", "牧野分局", "中", "量子骗术", "劝阻成功", "短信", ""]]
    db = tmp_path / "af.duckdb"
    code, out, _ = run(capsys, write_csv(tmp_path / "w.csv", rows), "--db", db)
    assert code == 0
    w = table(db, "warnings", "warning_id").set_index("warning_id")
    assert w.loc["V1", "level"] == "高" and w.loc["V1", "result"] == "劝阻成功" and w.loc["V1", "method"] == "电话"
    assert w.loc["V1", "fraud_type"] == "虚假投资理财" and w.loc["V2", "fraud_type"] == "网络婚恋交友"
    assert w.loc["V2", "result"] == "已被骗" and w.loc["V2", "method"] == "见面"
    assert w.loc["V5", "fraud_type"] == "刷单返利"
    assert w.loc[["V3", "V4", "V6"], "fraud_type"].tolist() == ["其他"] * 3
    assert w["victimized_after"].tolist()[:5] == [True, True, True, True, False]
    assert pd.isna(w.loc["V6", "victimized_after"])
    assert "未识别的预警类型：「元宇宙骗局」2行，「量子骗术」1行（已归入其他）" in out


def test_unknown_labels_in_file_result(tmp_path):
    f = write_csv(tmp_path / "c.csv", [CASE_HEADER + ["性别", "年龄"],
                                       ["G1", "2026-11-16 10:00", "牧野分局", "新骗法", "1", "男性", "17"],
                                       ["G2", "2026-11-16 10:00", "牧野分局", "新骗法", "1", "女", "18"],
                                       ["G3", "2026-11-16 10:00", "牧野分局", "刷单返利", "1", "未知", "45岁"],
                                       ["G4", "2026-11-16 10:00", "牧野分局", "刷单返利", "1", "男", "60"]])
    (result,) = ingest.ingest_files([f], tmp_path / "af.duckdb")
    assert result.kind == "cases"
    assert result.unknown_labels == {"诈骗类型": {"新骗法": 2}, "性别": {"未知": 1}}
    c = cases(tmp_path / "af.duckdb")
    assert c["victim_gender"].tolist()[:2] == ["男", "女"] and pd.isna(c.loc["G3", "victim_gender"])
    assert c["victim_age_band"].tolist() == ["<18", "18-29", "45-59", "60+"]


def test_bureau_aliases_fullwidth_and_spaces(tmp_path, capsys):
    names = {"D1": "牧野区 分局", "D2": "新乡市公安局红旗分局", "D3": "４１０７０３", "D4": "长垣县公安局",
             "D5": " 高新区 ", "D6": "平原新区"}
    rows = [CASE_HEADER] + [[k, "2026-11-16 10:00", v, "刷单返利", "1"] for k, v in names.items()]
    db = tmp_path / "af.duckdb"
    assert run(capsys, write_csv(tmp_path / "c.csv", rows), "--db", db)[0] == 0
    assert cases(db)["bureau_id"].tolist() == ["410711", "410702", "410703", "410783", "410771", "410773"]


def test_new_alias_in_units_works_on_reimport(tmp_path, capsys, monkeypatch):
    from antifraud import config
    units = pd.read_csv(config.project_path("units"), dtype=str)
    units_file = tmp_path / "units.csv"
    units.to_csv(units_file, index=False)
    settings = config.settings_path().read_text(encoding="utf-8").replace(
        'units = "sample_data/units.csv"', f'units = "{units_file.as_posix()}"')
    (tmp_path / "settings.toml").write_text(settings, encoding="utf-8")
    monkeypatch.setenv("ANTIFRAUD_SETTINGS", str(tmp_path / "settings.toml"))
    f = write_csv(tmp_path / "c.csv", [CASE_HEADER, ["N1", "2026-11-16 10:00", "牧野", "刷单返利", "1"],
                                       ["N2", "2026-11-16 10:00", "牧野新城所", "刷单返利", "2"]])
    db = tmp_path / "af.duckdb"
    code, out, _ = run(capsys, f, "--db", db)
    assert code == 1 and "未知分县局「牧野新城所」" in pd.read_csv(
        next((tmp_path / "rejects").iterdir()), encoding="utf-8-sig")["reason"].tolist()
    units.loc[units.bureau_id == "410711", "aliases"] += "|牧野新城所"
    units.to_csv(units_file, index=False)
    code, out, _ = run(capsys, f, "--db", db)
    assert code == 0 and "read 2, loaded 2 (new 1, updated 0), rejected 0" in out
    assert cases(db)["bureau_id"].tolist() == ["410711", "410711"]


def test_kind_detection_and_strikes(tmp_path, capsys):
    s = write_csv(tmp_path / "打击.csv", [["分县局", "日期", "抓获人数(人)", "打掉团伙", "捣毁窝点", "冻结银行卡数"],
                                         ["牧野分局", "2026/11/18", "3", "1", "0", "10"],
                                         ["牧野分局", "2026/11/18", "4", "1", "0", "10"],   # same key: later wins
                                         ["红旗分局", "2026/11/19", "1.5", "0", "0", "0"]])  # row 4
    db = tmp_path / "af.duckdb"
    code, out, _ = run(capsys, s, "--db", db)
    assert code == 1 and "read 3, loaded 2 (new 1, updated 0), rejected 1" in out
    st = table(db, "strikes", "bureau_id")
    assert st[["bureau_id", "arrests"]].values.tolist() == [["410711", 4]]
    assert st["date"].iloc[0] == pd.Timestamp("2026-11-18")


def test_duplicate_id_later_row_wins(tmp_path, capsys):
    f = write_csv(tmp_path / "c.csv", [CASE_HEADER, ["X1", "2026-11-16 10:00", "牧野分局", "刷单返利", "1"],
                                       ["X1", "2026-11-16 10:00", "牧野分局", "刷单返利", "2"],
                                       ["X2", "2026-11-16 10:00", "牧野分局", "刷单返利", "3"]])
    db = tmp_path / "af.duckdb"
    code, out, _ = run(capsys, f, "--db", db)
    assert code == 0 and "read 3, loaded 3 (new 2, updated 0), rejected 0" in out
    assert float(cases(db).loc["X1", "loss_amount"]) == 2


# ---------------------------------------------------------------- re-import, exit codes, atomicity

def test_reimport_is_idempotent_and_correction_updates(tmp_path, capsys):
    rows = [CASE_HEADER, ["R1", "2026-11-16 10:00", "牧野分局", "刷单返利", "100"],
            ["R2", "2026-11-17 10:00", "红旗分局", "虚假贷款", "200"]]
    f = write_csv(tmp_path / "案件.csv", rows)
    db = tmp_path / "af.duckdb"
    assert run(capsys, f, "--db", db)[0] == 0
    before = {n: table(db, n, "ALL") for n in ("cases", "case_daily", "area_weekly")}
    code, out, _ = run(capsys, f, "--db", db)
    assert code == 0 and "read 2, loaded 2 (new 0, updated 0), rejected 0" in out
    assert "已导入过（内容相同），数据无变化" in out
    for n, frame in before.items():
        pd.testing.assert_frame_equal(table(db, n, "ALL"), frame)
    rows[2][4] = "250"
    rows.append(["R3", "2026-11-18 10:00", "红旗分局", "虚假贷款", "1"])
    code, out, _ = run(capsys, write_csv(tmp_path / "案件.csv", rows), "--db", db)
    assert code == 0 and "read 3, loaded 3 (new 1, updated 1), rejected 0" in out
    c = cases(db)
    assert len(c) == 3 and float(c.loc["R2", "loss_amount"]) == 250
    daily = table(db, "case_daily", "day")
    assert daily["cases"].sum() == 3 and float(daily["loss"].sum()) == 351


@pytest.mark.parametrize("content", [b"", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00" + bytes(range(256)),
                                     "姓名,年龄\n张三,30\n".encode("utf-8"), b"PK\x03\x04garbage-not-a-zip"])
def test_unusable_input_exit_2_nothing_loaded(tmp_path, capsys, content):
    good = write_csv(tmp_path / "good.csv", [CASE_HEADER, ["A1", "2026-11-16 10:00", "牧野分局", "刷单返利", "1"]])
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    db = tmp_path / "af.duckdb"
    code, out, err = run(capsys, good, bad, "--db", db)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and "bad.csv" in err
    assert not db.exists() and not (tmp_path / "rejects").exists()


def test_failed_import_leaves_database_byte_identical(tmp_path, capsys):
    db = tmp_path / "af.duckdb"
    assert run(capsys, FIXTURES / "cases.csv", "--db", db)[0] == 0
    before = db.read_bytes()
    good = write_csv(tmp_path / "g.csv", [CASE_HEADER, ["", "2026-11-16 10:00", "牧野分局", "刷单返利", "1"],
                                          ["Z1", "2026-11-16 10:00", "牧野分局", "刷单返利", "1"]])
    bad = tmp_path / "x.xlsx"
    bad.write_bytes(b"this is not a workbook")
    code, _, err = run(capsys, good, bad, "--db", db)
    assert code == 2 and "x.xlsx" in err
    assert db.read_bytes() == before
    assert not (tmp_path / "rejects").exists()            # the good file's rejects were not kept
    assert code == 2 and run(capsys, tmp_path / "missing.csv", "--db", db)[0] == 2


def test_exit_codes(tmp_path, capsys):
    db = tmp_path / "af.duckdb"
    ok = write_csv(tmp_path / "a.csv", [CASE_HEADER, ["A1", "2026-11-16 10:00", "牧野分局", "刷单返利", "1"]])
    some = write_csv(tmp_path / "b.csv", [CASE_HEADER, ["B1", "2026-11-16 10:00", "牧野分局", "刷单返利", "1"],
                                          ["B2", "2026-11-16 10:00", "无此局", "刷单返利", "1"]])
    none = write_csv(tmp_path / "c.csv", [CASE_HEADER, ["C1", "坏时间", "牧野分局", "刷单返利", "1"]])
    assert run(capsys, ok, "--db", db)[0] == 0
    assert run(capsys, some, "--db", db)[0] == 1
    code, out, _ = run(capsys, none, "--db", db)
    assert code == 1 and "read 1, loaded 0 (new 0, updated 0), rejected 1" in out
    assert run(capsys, ok, "--db", db)[0] == 0           # re-import is a success
    assert len(cases(db)) == 2


def test_ingest_into_new_path_loads_only_given_files(tmp_path, capsys):
    db = tmp_path / "new" / "x.duckdb"
    f = write_csv(tmp_path / "c.csv", [CASE_HEADER, ["A1", "2026-11-16 10:00", "牧野分局", "刷单返利", "1"]])
    assert run(capsys, f, "--db", db)[0] == 0
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM cases").fetchall() == [(1,)]
        assert con.execute("SELECT count(*) FROM warnings").fetchall() == [(0,)]
        assert con.execute("SELECT count(*), min(rows_read) FROM imports").fetchall() == [(1, 1)]
    finally:
        con.close()


def test_ensure_database_builds_default_from_sample_folder(tmp_path, monkeypatch):
    from antifraud import bootstrap, config
    sample = tmp_path / "sample"
    sample.mkdir()
    write_csv(sample / "案件2026.csv", [CASE_HEADER, ["A1", "2026-11-16 10:00", "牧野分局", "刷单返利", "1"]],
              encoding="gbk", title=["案件统计表"])
    write_xlsx(sample / "预警2026.xlsx", [["预警编号", "下发时间", "分县局"],
                                          ["W1", dt.datetime(2026, 11, 16, 9), "红旗分局"]])
    settings = config.settings_path().read_text(encoding="utf-8").replace(
        'sample_dir = "sample_data"', f'sample_dir = "{sample.as_posix()}"')
    (tmp_path / "settings.toml").write_text(settings, encoding="utf-8")
    monkeypatch.setenv("ANTIFRAUD_SETTINGS", str(tmp_path / "settings.toml"))
    db = tmp_path / "data" / "antifraud.duckdb"
    assert bootstrap.ensure_database(db, is_default=True) == db
    assert len(cases(db)) == 1 and len(table(db, "warnings", "warning_id")) == 1
    other = tmp_path / "other.duckdb"
    bootstrap.ensure_database(other, is_default=False)
    assert not other.exists()


def test_usage_error_from_api(tmp_path):
    f = tmp_path / "c.csv"
    f.write_text("随便,什么\n1,2\n", encoding="utf-8")
    with pytest.raises(UsageError):
        ingest.ingest_files([f], tmp_path / "af.duckdb")


def test_quoted_values_with_newlines_and_commas(tmp_path, capsys):
    f = tmp_path / "c.csv"
    f.write_text("案件编号,报案时间,分县局,派出所,涉案金额\n"
                 'Q1,2026-11-16 10:00,牧野分局,"东街\n派出所","1,000"\n'
                 "Q2,2026-11-16 10:00,牧野分局,西街派出所,5\n"
                 "Q3,坏,牧野分局,西街派出所,5\n", encoding="utf-8")
    db = tmp_path / "af.duckdb"
    code, out, _ = run(capsys, f, "--db", db)
    assert code == 1 and "read 3, loaded 2 (new 2, updated 0), rejected 1" in out
    c = cases(db)
    assert c.loc["Q1", "station"] == "东街\n派出所" and float(c.loc["Q1", "loss_amount"]) == 1000
    report = pd.read_csv(next((tmp_path / "rejects").iterdir()), dtype=str, encoding="utf-8-sig")
    assert report["row_number"].tolist() == ["4"]          # a record, as a spreadsheet counts rows
