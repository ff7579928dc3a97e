"""Downloads of tables: csv (UTF-8 with BOM) and xlsx, with formula injection neutralised.

A station or township name comes from an extract someone else typed; a cell that starts
with `=`, `+`, `-`, `@`, a tab or a carriage return would be run as a formula by Excel
or LibreOffice when the file is opened (CSV/formula injection). Every text cell, and
every header, goes through `neutralise` before it is written: it gets a leading
apostrophe, which spreadsheets show as text. Numbers stay numbers.

xlsx sheets: row 1 carries the marking (内部资料 注意保密, settings [marking].text) and the
title, row 2 the header (frozen with everything above it), data from row 3; the marking
is also the printed page header, so every printed page carries it.
"""
from __future__ import annotations

import datetime as dt
import io
import math
import re
import unicodedata

import pandas as pd

from antifraud import config, metrics

# Full-width look-alikes too: some spreadsheet imports fold them to ASCII.
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
# A signed plain number or percentage ("-12.5%", "+3") is read as a number, never as a
# formula, so it is left as it is; "-2+3" or "-A1" is not a plain number and is neutralised.
_SIGNED_NUMBER = re.compile(r"^[+\-]\d[\d,]*(\.\d+)?%?$")

# xlsx number formats by kind. `wan`: the value is already in 万元.
NUMBER_FORMATS = {
    "wan": "#,##0.00", "yuan": "#,##0.00", "amount": "#,##0.00", "yuan_per_case": "#,##0.00",
    "rate": "0.00%", "pct": '0.00"%"', "count": "#,##0", "per_10k": "0.00",
    "minutes": "0.0", "number": "#,##0.##", "z": "0.00", "score": "0.0",
}


def marking_text() -> str:
    return str(config.setting("marking.text", "内部资料 注意保密") or "")


def neutralise(value):
    """Make a text cell inert in a spreadsheet; anything else is returned unchanged."""
    if isinstance(value, str) and value and value.startswith(_DANGEROUS) and not _SIGNED_NUMBER.match(value):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell and every column name neutralised."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def csv_bytes(frame: pd.DataFrame, index: bool = False) -> bytes:
    """UTF-8 with BOM (Excel opens it without asking), text cells neutralised."""
    if index:
        frame = frame.reset_index()
    # CRLF (RFC 4180) also makes the writer quote a field holding a bare \r, which a
    # reader would otherwise take as a line break starting a new, live cell.
    return neutralise_frame(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def sheet_name(name: str, taken: set[str] | None = None) -> str:
    """A legal, unique sheet name: no []:*?/\\, at most 31 characters."""
    base = _SHEET_BAD.sub("_", str(name)).strip("'") or "Sheet"
    base = base[:31]
    taken = taken if taken is not None else set()
    candidate, n = base, 2
    while candidate.lower() in {t.lower() for t in taken}:
        suffix = f"({n})"
        candidate, n = base[:31 - len(suffix)] + suffix, n + 1
    taken.add(candidate)
    return candidate


def display_width(text) -> int:
    """Columns a text needs in a spreadsheet: CJK and full-width characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in str(text))


def infer_kind(column) -> str | None:
    """The number format kind of a column from its name: a catalogue metric name or label."""
    name = str(column)
    if name in metrics.ALL:
        return metrics.ALL[name].kind
    for m in metrics.ALL.values():
        if name == m.label:
            return m.kind
    if "万元" in name:
        return "wan"
    if name.endswith("（元）") or name.endswith("(元)"):
        return "yuan"
    return None


def _cell_text(value, kind) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        if kind in ("rate",):
            return f"{value * 100:.2f}%"
        return f"{value:,.2f}"
    return str(value)


class Workbook:
    """A thin layer over xlsxwriter that writes marked, frozen, fitted, neutralised sheets."""

    def __init__(self, marking: bool = True):
        import xlsxwriter
        self.buffer = io.BytesIO()
        self.book = xlsxwriter.Workbook(self.buffer, {"in_memory": True, "nan_inf_to_errors": False,
                                                      "strings_to_formulas": False,
                                                      "strings_to_urls": False,
                                                      "strings_to_numbers": False})
        self.marking = marking_text() if marking else ""
        self.taken: set[str] = set()
        self._formats: dict = {}
        self.fmt_mark = self.book.add_format({"bold": True, "font_color": "#C00000", "font_size": 11})
        self.fmt_title = self.book.add_format({"bold": True, "font_size": 13})
        self.fmt_head = self.book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1,
                                              "text_wrap": True, "valign": "vcenter"})
        self.fmt_text = self.book.add_format({"valign": "top"})
        self.fmt_wrap = self.book.add_format({"text_wrap": True, "valign": "top"})
        self.fmt_date = self.book.add_format({"num_format": "yyyy-mm-dd"})
        self.fmt_time = self.book.add_format({"num_format": "yyyy-mm-dd hh:mm"})

    def number_format(self, kind: str | None):
        code = NUMBER_FORMATS.get(kind or "", None)
        if code is None:
            return None
        if code not in self._formats:
            self._formats[code] = self.book.add_format({"num_format": code})
        return self._formats[code]

    def _page_setup(self, ws, title: str | None) -> None:
        ws.set_paper(9)                       # A4
        ws.fit_to_pages(1, 0)                 # as wide as one page, as long as it needs
        ws.repeat_rows(0, 1)
        if self.marking:
            ws.set_header(f"&C&\"-,Bold\"&12{_escape_header(self.marking)}")
            ws.set_footer(f"&L{_escape_header(self.marking)}&R第 &P 页 / 共 &N 页")
        elif title:
            ws.set_footer("&R第 &P 页 / 共 &N 页")

    def add_table(self, name: str, frame: pd.DataFrame, title: str | None = None,
                  kinds: dict | None = None, notes: list[str] | None = None):
        """One sheet: marking + title in row 1, header in row 2 (frozen), the table below."""
        ws = self.book.add_worksheet(sheet_name(name, self.taken))
        self._page_setup(ws, title)
        if len(frame.columns) > 8:           # wide tables print across, not shrunk to unreadable
            ws.set_landscape()
        kinds = dict(kinds or {})
        top = " ".join(t for t in (self.marking, title or "") if t)
        ws.write_string(0, 0, neutralise(top), self.fmt_mark if self.marking else self.fmt_title)
        frame = frame.reset_index(drop=True)
        columns = list(frame.columns)
        widths = [display_width(c) for c in columns]
        for j, col in enumerate(columns):
            ws.write_string(1, j, neutralise(str(col)), self.fmt_head)
        col_kinds = [kinds.get(c, infer_kind(c)) for c in columns]
        for j, col in enumerate(columns):
            fmt = self.number_format(col_kinds[j])
            for i, value in enumerate(frame[col].tolist()):
                self._write(ws, i + 2, j, value, fmt)
                widths[j] = max(widths[j], display_width(_cell_text(value, col_kinds[j])))
        for j, w in enumerate(widths):
            ws.set_column(j, j, min(max(w + 2, 6), 60), self.fmt_wrap if w > 60 else None)
        ws.freeze_panes(2, 0)
        row = len(frame) + 3
        for note in notes or []:
            ws.write_string(row, 0, neutralise(note), self.fmt_text)
            row += 1
        if len(frame) == 0:
            ws.write_string(2, 0, "（无数据）")
        return ws

    def add_lines(self, name: str, rows: list[tuple], title: str | None = None, widths=(18, 80)):
        """A key/value sheet (cover, definitions): rows of (label, text)."""
        ws = self.book.add_worksheet(sheet_name(name, self.taken))
        self._page_setup(ws, title)
        top = " ".join(t for t in (self.marking, title or "") if t)
        ws.write_string(0, 0, neutralise(top), self.fmt_mark if self.marking else self.fmt_title)
        for j, w in enumerate(widths):
            ws.set_column(j, j, w, self.fmt_wrap)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                fmt = self.fmt_head if (j == 0 and len(row) > 1) else self.fmt_wrap
                self._write(ws, i + 2, j, value, fmt)
        ws.freeze_panes(2, 0)
        return ws

    def _write(self, ws, row: int, col: int, value, fmt=None) -> None:
        if value is None or value is pd.NA or value is pd.NaT:
            ws.write_blank(row, col, None, fmt)
        elif isinstance(value, bool):
            ws.write_string(row, col, "是" if value else "否")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
                ws.write_blank(row, col, None, fmt)
            else:
                ws.write_number(row, col, value, fmt)
        elif hasattr(value, "item") and not isinstance(value, str):   # numpy scalars
            self._write(ws, row, col, value.item(), fmt)
        elif isinstance(value, pd.Timestamp):
            self._write(ws, row, col, value.to_pydatetime(), fmt)
        elif isinstance(value, dt.datetime):
            ws.write_datetime(row, col, value.replace(tzinfo=None), self.fmt_time)
        elif isinstance(value, dt.date):
            ws.write_datetime(row, col, dt.datetime.combine(value, dt.time()), self.fmt_date)
        else:
            ws.write_string(row, col, neutralise(str(value)), fmt if fmt is not None and
                            fmt in (self.fmt_head, self.fmt_wrap, self.fmt_text) else None)

    def close(self) -> bytes:
        if not self.book.worksheets():
            self.add_lines("说明", [("", "（无数据）")])
        self.book.close()
        return self.buffer.getvalue()


def _escape_header(text: str) -> str:
    return text.replace("&", "&&")


def xlsx_bytes(sheets: dict[str, pd.DataFrame], title: str | None = None, marking: bool = True,
               kinds: dict[str, dict[str, str]] | None = None) -> bytes:
    """One sheet per frame: marking and title on top, frozen header, fitted widths, inert text.

    `kinds` optionally gives number formats per sheet and column ({"loss": "wan"}); a
    column named for a catalogue metric (name or label) is formatted by its kind, and a
    header containing 万元 gets two decimals. Rates are fractions formatted as percent.
    """
    book = Workbook(marking=marking)
    for name, frame in sheets.items():
        book.add_table(name, frame, title=title, kinds=(kinds or {}).get(name))
    return book.close()
