"""Personal data never gets past ingest: not into any table, the file bytes, the reject
report, or what the command prints."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import pandas as pd

from antifraud import cli

PATTERNS = [re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)"),          # mobile
            re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)"),          # ID number
            re.compile(r"(?<!\d)\d{16,19}(?!\d)")]             # bank card
NAMES = ["欧阳明月", "司马长风", "上官飞燕"]
PHONES = ["13812345678", "15998765432", "18600001111"]
IDS = ["41070219900101123X", "410711198512124321", "410725200001017777"]
CARDS = ["6222021234567890123", "6228480012345678", "6217000011112222333"]
ADDRESS = "牧野区人民路88号3单元"
# ids may be 18 digits (a 警情编号); they are the one column the digit check skips
CASE_IDS = ["410711202611160001", "410711202611160002", "410711202611160003", "410711202611160004"]
ID_COLUMNS = {"case_id", "warning_id", "sha256"}   # sha256 is hex: 11 digits in a row happen by chance


def _cases_file(path: Path) -> Path:
    header = ["案件编号", "报案时间", "分县局", "派出所", "乡镇街道", "诈骗类型", "受害人姓名", "身份证号",
              "联系电话", "银行卡号", "家庭住址", "涉案金额", "付款银行", "案件状态", "年龄", "简要案情"]
    rows = [
        [CASE_IDS[0], "2026-11-16 10:00", "牧野分局", "东街派出所", "东街街道", "刷单返利", NAMES[0], IDS[0],
         PHONES[0], CARDS[0], ADDRESS, "1000", "工商银行", "已立案", "34",
         f"{NAMES[0]}接到{PHONES[0]}来电，向{CARDS[0]}转账"],
        # personal numbers pasted into kept free-text columns: blanked, row kept
        [CASE_IDS[1], "2026-11-16 11:00", "牧野分局", f"联系人{PHONES[1]}", f"身份证{IDS[1]}",
         f"骗子电话{PHONES[2]}", NAMES[1], IDS[1], PHONES[1], CARDS[1], ADDRESS, "2000",
         f"卡号 {CARDS[1][:4]} {CARDS[1][4:8]} {CARDS[1][8:12]} {CARDS[1][12:]}", f"回访{PHONES[2]}", "61",
         "无"],
        # rejected rows carrying personal numbers in the cells the report shows
        [CASE_IDS[2], "2026-11-16 12:00", f"牧野{PHONES[0]}", "东街派出所", "", "刷单返利", NAMES[2], IDS[2],
         PHONES[2], CARDS[2], ADDRESS, "100", "", "", "", ""],
        [CASE_IDS[3], f"2026-11-16 {PHONES[1]}", "牧野分局", f"{NAMES[2]} {IDS[2]}", "", "", NAMES[2], IDS[2],
         PHONES[2], CARDS[2], ADDRESS, CARDS[2], "", "", "", ""],
    ]
    text = "\r\n".join(",".join(r) for r in [["案件明细"], header, *rows]) + "\r\n"
    path.write_bytes(text.encode("gbk"))
    return path


def _warnings_file(path: Path) -> Path:
    import xlsxwriter
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    header = ["预警编号", "下发时间", "分县局", "受害人", "受害人手机号", "证件号码", "收款账号", "指令来源", "劝阻结果"]
    rows = [["W1", dt.datetime(2026, 11, 16, 9), "红旗分局", NAMES[0], PHONES[0], IDS[0], CARDS[0], "银行", "劝阻成功"],
            ["W2", dt.datetime(2026, 11, 16, 9), "红旗分局", NAMES[1], int(PHONES[1]), IDS[1], CARDS[1],
             f"运营商{PHONES[1]}", f"打{PHONES[2]}未接"],
            ["W3", "坏时间", "红旗分局", NAMES[2], PHONES[2], IDS[2], CARDS[2], f"{PHONES[2]}", "误报"]]
    for r, row in enumerate([header, *rows]):
        for c, v in enumerate(row):
            if isinstance(v, dt.datetime):
                sheet.write_datetime(r, c, v, book.add_format({"num_format": "yyyy-mm-dd hh:mm"}))
            else:
                sheet.write(r, c, v)
    book.close()
    return path


def _leaks(text: str) -> list[str]:
    found = [m.group(0) for p in PATTERNS for m in p.finditer(text)]
    found += [n for n in NAMES + [ADDRESS] if n in text]
    return found


def test_no_personal_data_anywhere(tmp_path, capsys):
    db = tmp_path / "data" / "af.duckdb"
    files = [_cases_file(tmp_path / "案件.csv"), _warnings_file(tmp_path / "预警.xlsx")]
    code = cli.main(["ingest", *map(str, files), "--db", str(db)])
    out, err = capsys.readouterr()
    assert code == 1
    assert "read 4, loaded 2 (new 2, updated 0), rejected 2" in out
    assert "read 3, loaded 2 (new 2, updated 0), rejected 1" in out

    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        cells = []
        for t in tables:
            cols = [r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = $t "
                "AND data_type = 'VARCHAR'", {"t": t}).fetchall()]
            for c in cols:
                values = [v for (v,) in con.execute(f'SELECT DISTINCT "{c}" FROM {t}').fetchall() if v]
                if c in ID_COLUMNS:
                    assert not [v for v in values if any(n in v for n in NAMES)], (t, c)
                else:
                    cells += [(t, c, v) for v in values]
        c = con.execute("SELECT case_id, station, township, fraud_type, payer_bank, status, victim_age_band "
                        "FROM cases ORDER BY case_id").fetchall()
    finally:
        con.close()
    assert [(t, col, v) for t, col, v in cells if _leaks(v)] == []
    # the kept free-text cells with numbers in them were blanked, their rows still loaded
    assert c[1][1:] == (None, None, "其他", None, None, "60+")
    assert c[0][1:] == ("东街派出所", "东街街道", "刷单返利", "工商银行", "已立案", "30-44")

    raw = db.read_bytes()
    for value in PHONES + IDS + CARDS + NAMES + [ADDRESS]:
        assert value.encode("utf-8") not in raw and value.encode("gbk") not in raw

    reports = list((db.parent / "rejects").iterdir())
    assert len(reports) == 2
    for report in reports:
        text = report.read_text(encoding="utf-8-sig")
        frame = pd.read_csv(report, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        shown = frame.drop(columns=[c for c in ("案件编号", "预警编号") if c in frame]).to_csv(index=False)
        assert _leaks(shown) == [], report.name
        assert not [n for n in NAMES + [ADDRESS] if n in text]
        assert not {"受害人姓名", "身份证号", "联系电话", "银行卡号", "家庭住址", "简要案情",
                    "受害人", "受害人手机号", "证件号码", "收款账号"} & set(frame.columns)
    cases_report = pd.read_csv(next(r for r in reports if r.name.startswith("案件")), dtype=str,
                               keep_default_na=False, encoding="utf-8-sig")
    assert cases_report["row_number"].tolist() == ["5", "6"]
    assert cases_report["reason"].tolist()[0].startswith("未知分县局「")
    assert _leaks(out) == [] and _leaks(err) == []
