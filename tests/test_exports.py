"""Downloads: csv/xlsx bytes, formula injection neutralised, marking, frozen header."""
import io
import zipfile

import pandas as pd
import pytest
from openpyxl import load_workbook

from antifraud import exports

HOSTILE = ['=HYPERLINK("http://x.invalid","点我")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\r=1", "＝1+1"]


def test_neutralise_rules():
    for text in HOSTILE:
        assert exports.neutralise(text).startswith("'")
    assert exports.neutralise("东街派出所") == "东街派出所"
    assert exports.neutralise("") == ""
    assert exports.neutralise(-12.5) == -12.5          # numbers stay numbers
    assert exports.neutralise(None) is None
    assert exports.neutralise("-12.5%") == "-12.5%" and exports.neutralise("+80%") == "+80%"   # plain numbers
    assert exports.neutralise("-1,234.5") == "-1,234.5"
    assert exports.neutralise("-2+3").startswith("'") and exports.neutralise("-A1").startswith("'")


def test_csv_bom_and_inert_cells():
    frame = pd.DataFrame({"station": HOSTILE, "cases": range(len(HOSTILE))})
    data = exports.csv_bytes(frame)
    assert data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert all(str(v).startswith("'") for v in back["station"])
    assert list(back["cases"]) == list(range(len(HOSTILE)))


def test_csv_neutralises_headers():
    data = exports.csv_bytes(pd.DataFrame({"=cmd": [1]}))
    assert data.decode("utf-8-sig").splitlines()[0] == "'=cmd"


def test_xlsx_marking_freeze_formats_and_inert_text():
    frame = pd.DataFrame({"派出所": HOSTILE[:3], "loss": [12345.6, 0.0, 1e6],
                          "dissuasion_rate": [0.9999, 0.5, None]})
    data = exports.xlsx_bytes({"高发区域": frame, "bad:/name?": frame.head(1)}, title="测试表")
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["高发区域", "bad__name_"]
    ws = book["高发区域"]
    assert ws["A1"].value.startswith("内部资料 注意保密")
    assert ws.freeze_panes == "A3"
    assert [c.value for c in ws[2]] == ["派出所", "loss", "dissuasion_rate"]
    for row in ws.iter_rows(min_row=3, max_col=1):
        cell = row[0]
        assert cell.data_type == "s" and cell.value.startswith("'")
    assert ws["B3"].value == pytest.approx(12345.6) and ws["B3"].number_format == "#,##0.00"
    assert ws["C3"].number_format == "0.00%"
    assert ws.column_dimensions["A"].width >= 10
    assert "内部资料 注意保密" in ws.oddHeader.center.text
    # no formula anywhere in the file
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name)


def test_xlsx_without_marking_and_empty_frame():
    data = exports.xlsx_bytes({"空表": pd.DataFrame({"a": []})}, marking=False)
    ws = load_workbook(io.BytesIO(data))["空表"]
    assert "内部资料" not in str(ws["A1"].value or "")
    assert ws["A3"].value == "（无数据）"


def test_sheet_names_unique_and_short():
    taken = set()
    a = exports.sheet_name("很长的名字" * 10, taken)
    b = exports.sheet_name("很长的名字" * 10, taken)
    assert len(a) <= 31 and len(b) <= 31 and a != b
