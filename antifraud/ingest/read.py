"""Bytes → a table of strings: every cell as text, every row with the number a spreadsheet shows.

Nothing is interpreted here beyond finding the header row: csv (UTF-8, UTF-8 with BOM,
UTF-16, GBK/GB18030 or whatever charset-normalizer recognises) goes through pyarrow's
multithreaded csv reader; xlsx/xls through calamine. Title rows above the header are
found by scoring the first rows against the known headers; they still count in the row
numbers, as they do on screen.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from antifraud.config import UsageError

SNIFF_ROWS = 30          # the header must be within the first rows
SNIFF_BYTES = 1 << 16
MIN_HEADER_SCORE = 2     # known headers a row needs before it counts as the header row

ZIP_MAGIC = b"PK\x03\x04"
# An xlsx is a zip: its members' declared sizes are checked before anything is expanded.
# Real workbooks compress 5-20x; a zip bomb thousands of times.
MAX_UNZIPPED = 4 << 30
MAX_RATIO = 200
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class Raw:
    table: pa.Table          # string columns c0..c{n-1} plus int64 `_row`
    headers: list[str]       # header cells as written in the file
    header_row: int          # spreadsheet row number of the header
    fmt: str                 # csv | xlsx
    encoding: str = ""


Scorer = Callable[[list[str]], int]


def read_raw(data: bytes, name: str, score: Scorer) -> Raw:
    if not data[:4096].strip() and not data.strip():
        raise UsageError(f"{name}：文件为空")
    if data.startswith(ZIP_MAGIC) or data.startswith(OLE_MAGIC):
        return _read_workbook(data, name, score)
    return _read_text(data, name, score)


# ---------------------------------------------------------------- csv

def _decode_all(data: bytes, name: str) -> tuple[str, str]:
    """(text, encoding) for a file that is not plain UTF-8."""
    for encoding in ("gb18030",):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            pass
    from charset_normalizer import from_bytes
    best = from_bytes(data[:1 << 20]).best()
    if best is not None:
        try:
            return data.decode(best.encoding), best.encoding
        except (UnicodeDecodeError, LookupError):
            pass
    raise UsageError(f"{name}：无法识别文件编码（请另存为 UTF-8 或 GBK 的 csv）")


def _text_body(data: bytes, name: str) -> tuple[bytes, str, bool]:
    """(UTF-8 bytes, encoding, verified). Plain UTF-8 is only checked on a prefix here;
    pyarrow checks the rest while parsing, so a big UTF-8 file is never decoded in Python."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:], "utf-8-sig", False
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16").encode("utf-8"), "utf-16", True
    head = data[:SNIFF_BYTES * 4]
    if b"\x00" in head:
        raise UsageError(f"{name}：不是文本表格（可能是改了扩展名的其他文件）")
    cut = head if len(head) == len(data) else head[:head.rfind(b"\n") + 1] or head
    try:
        cut.decode("utf-8")
        return data, "utf-8", False
    except UnicodeDecodeError:
        text, encoding = _decode_all(data, name)
        return text.encode("utf-8"), encoding, True


def _looks_binary(text: str) -> bool:
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t")
    return controls > max(2, len(text) // 200)


def _sniff(prefix: str, score: Scorer) -> tuple[str, int, int, list[str]]:
    """(delimiter, records before the header, physical lines through the header, header)."""
    best = None
    for delimiter in (",", "\t", ";", "|"):
        reader = csv.reader(io.StringIO(prefix, newline="\n"), delimiter=delimiter)
        try:
            for index, row in enumerate(itertools.islice(reader, SNIFF_ROWS)):
                s = score(row)
                if s >= MIN_HEADER_SCORE and (best is None or s > best[0]):
                    best = (s, delimiter, index, reader.line_num, row)
        except csv.Error:
            continue
    if best is None:
        return "", -1, 0, []
    return best[1], best[2], best[3], best[4]


def _read_text(data: bytes, name: str, score: Scorer) -> Raw:
    body, encoding, verified = _text_body(data, name)
    prefix = body[:SNIFF_BYTES].decode("utf-8", errors="ignore")
    if _looks_binary(prefix):
        raise UsageError(f"{name}：不是文本表格（可能是改了扩展名的其他文件）")
    delimiter, before, lines, header = _sniff(prefix, score)
    if before < 0:
        raise UsageError(f"{name}：找不到表头（前 {SNIFF_ROWS} 行没有可识别的列名），无法判断是哪类导出文件")
    offset = 0
    for _ in range(lines):
        newline = body.find(b"\n", offset)
        offset = len(body) if newline < 0 else newline + 1
    header_row = before + 1
    names = [f"c{i}" for i in range(len(header))]
    try:
        table = _arrow_csv(body, offset, names, delimiter)
    except pa.ArrowInvalid:
        if not verified:
            try:
                body[offset:].decode("utf-8")
            except UnicodeDecodeError:
                # a UTF-8-looking head over a GBK body: decode the whole file once
                text, encoding = _decode_all(data, name)
                return _read_text_decoded(text, encoding, name, score)
        table = _python_csv(body[offset:].decode("utf-8", errors="replace"), names, delimiter)
    return Raw(_with_rows(table, header_row), header, header_row, "csv", encoding)


def _read_text_decoded(text: str, encoding: str, name: str, score: Scorer) -> Raw:
    raw = _read_text(text.encode("utf-8"), name, score)
    raw.encoding = encoding
    return raw


def _arrow_csv(body: bytes, offset: int, names: list[str], delimiter: str) -> pa.Table:
    buffer = pa.py_buffer(body)[offset:]
    # a newline inside a value needs a quote; without any quote the reader may split blocks
    # at any line end, which is about twice as fast
    quoted = body.find(b'"', offset) >= 0
    return pacsv.read_csv(
        pa.BufferReader(buffer),
        read_options=pacsv.ReadOptions(column_names=names),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=quoted,
                                         ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                             strings_can_be_null=False, quoted_strings_can_be_null=False))


def _python_csv(text: str, names: list[str], delimiter: str) -> pa.Table:
    """Ragged rows (a short 合计 row, a footer, a blank line): slower, but keeps every row."""
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    width = len(names)
    columns = list(itertools.zip_longest(*rows, fillvalue=""))[:width] if rows else []
    columns += [("",) * len(rows)] * (width - len(columns))
    return pa.table({n: pa.array(col, type=pa.string()) for n, col in zip(names, columns)})


def _with_rows(table: pa.Table, header_row: int) -> pa.Table:
    rows = np.arange(header_row + 1, header_row + 1 + table.num_rows, dtype=np.int64)
    return table.append_column("_row", pa.array(rows))


# ---------------------------------------------------------------- xlsx / xls

def _cell(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if value is None:
        return ""
    return str(value)


def _check_zip(data: bytes, name: str) -> None:
    import zipfile
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(max(0, info.file_size) for info in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise UsageError(f"{name}：无法读取 Excel 文件（压缩结构损坏）") from None
    if total > MAX_UNZIPPED or (total > (64 << 20) and total > MAX_RATIO * len(data)):
        raise UsageError(f"{name}：Excel 文件解压后达 {total / (1 << 20):,.0f} MB（压缩 {len(data) / (1 << 20):,.1f} MB），"
                         "疑似压缩炸弹，未读取")


def _column_text(col) -> list[str]:
    """Cells as text; the common types are handled inline (this runs once per cell)."""
    try:                        # a column of text only: nothing to convert
        return pa.array(col, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    datetime, text = dt.datetime, str
    return [v if type(v) is text else (str(v) if type(v) is datetime else _cell(v)) for v in col]


def _read_workbook(data: bytes, name: str, score: Scorer) -> Raw:
    from python_calamine import CalamineWorkbook
    if data.startswith(ZIP_MAGIC):
        _check_zip(data, name)
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = [book.get_sheet_by_index(i).to_python(skip_empty_area=False)
                  for i in range(len(book.sheet_names))]
    except Exception as exc:  # calamine raises its own types for damaged files
        raise UsageError(f"{name}：无法读取 Excel 文件（{type(exc).__name__}）") from None
    best = None
    for rows in sheets:
        for index, row in enumerate(rows[:SNIFF_ROWS]):
            s = score([_cell(v) for v in row])
            if s >= MIN_HEADER_SCORE and (best is None or s > best[0]):
                best = (s, rows, index)
    if best is None:
        raise UsageError(f"{name}：找不到表头（各工作表前 {SNIFF_ROWS} 行没有可识别的列名），无法判断是哪类导出文件")
    _, rows, index = best
    header = [_cell(v) for v in rows[index]]
    while header and not header[-1].strip():
        header.pop()
    names = [f"c{i}" for i in range(len(header))]
    body = rows[index + 1:]
    columns = list(zip(*body))[:len(names)] if body else []
    columns += [("",) * len(body)] * (len(names) - len(columns))
    table = pa.table({n: pa.array(_column_text(col), type=pa.string()) for n, col in zip(names, columns)})
    return Raw(_with_rows(table, index + 1), header, index + 1, "xlsx", "")
