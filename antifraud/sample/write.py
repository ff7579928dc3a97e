"""Write extract tables in the file shapes the centre's systems produce.

- `gbk_csv`: the case system's export — GB18030, CRLF, a title row above the header,
  a 合计 row at the bottom, amounts sometimes with thousands separators.
- `xlsx`: the warning platform's export — a merged title row, real datetime cells.
- `plain_csv`: UTF-8 csv through Arrow for benchmark volumes (same headers, nothing else).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from antifraud.sample.export import AMOUNT_COLUMNS

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
EXCEL_EPOCH = np.datetime64("1899-12-30T00:00:00", "s")
# xlsx files carry a creation time; a fixed one keeps the sample byte-for-byte reproducible.
FIXED_CREATED = dt.datetime(2026, 1, 1)


def _text_column(column: pa.ChunkedArray, name: str, rng: np.random.Generator) -> list:
    if pa.types.is_timestamp(column.type):
        return pc.strftime(column, format=TIME_FORMAT).to_pylist()
    if pa.types.is_decimal(column.type):
        values = column.to_pylist()
        commas = rng.random(len(values)) < 0.06
        return [None if v is None else (f"{v:,.2f}" if c else f"{v:.2f}") for v, c in zip(values, commas)]
    if pa.types.is_floating(column.type):
        return [None if v is None else f"{v:.5f}" for v in column.to_pylist()]
    return column.to_pylist()


def gbk_csv(table: pa.Table, path: Path, title: str, rng: np.random.Generator) -> None:
    names = table.column_names
    columns = [_text_column(table.column(n), n, rng) for n in names]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([title] + [""] * (len(names) - 1))
    writer.writerow(names)
    writer.writerows(zip(*columns))
    total = ["合计"] + [""] * (len(names) - 1)
    for n in AMOUNT_COLUMNS:
        if n in names:
            total[names.index(n)] = f"{float(pc.sum(table.column(n)).as_py() or 0):.2f}"
    writer.writerow(total)
    path.write_bytes(out.getvalue().encode("gb18030"))


def xlsx(table: pa.Table, path: Path, title: str, sheet: str) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_urls": False,
                                               "strings_to_formulas": False})
    workbook.set_properties({"created": FIXED_CREATED})
    ws = workbook.add_worksheet(sheet)
    title_fmt = workbook.add_format({"bold": True, "font_size": 14, "align": "center"})
    head_fmt = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    time_fmt = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    date_fmt = workbook.add_format({"num_format": "yyyy-mm-dd"})
    money_fmt = workbook.add_format({"num_format": "#,##0.00"})
    names = table.column_names
    ws.merge_range(0, 0, 0, len(names) - 1, title, title_fmt)
    for j, name in enumerate(names):
        ws.write_string(1, j, name, head_fmt)
        column = table.column(name)
        if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
            seconds = column.cast(pa.timestamp("s")).to_numpy().astype("datetime64[s]")
            serial = (seconds - EXCEL_EPOCH).astype(np.int64) / 86_400.0
            present = ~np.asarray(column.is_null())
            fmt = time_fmt if pa.types.is_timestamp(column.type) else date_fmt
            ws.set_column(j, j, 19 if fmt is time_fmt else 11)
            for i in np.flatnonzero(present):
                ws.write_number(i + 2, j, serial[i], fmt)
        elif pa.types.is_decimal(column.type) or pa.types.is_floating(column.type):
            values = column.cast(pa.float64()).to_numpy(zero_copy_only=False)
            for i, v in enumerate(values):
                if v == v:
                    ws.write_number(i + 2, j, v, money_fmt)
        elif pa.types.is_integer(column.type):
            for i, v in enumerate(column.to_pylist()):
                ws.write_number(i + 2, j, v)
        else:
            ws.set_column(j, j, max(8, 2 * max((len(x) for x in column.unique().to_pylist() if x), default=4)))
            for i, v in enumerate(column.to_pylist()):
                if v is not None:
                    ws.write_string(i + 2, j, v)
    ws.freeze_panes(2, 0)
    workbook.close()


def plain_csv(table: pa.Table, path: Path) -> None:
    pacsv.write_csv(table, str(path), write_options=pacsv.WriteOptions(quoting_style="needed"))
