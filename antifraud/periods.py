"""Meeting weeks (ISO, Monday–Sunday) and calendar months, and the windows compared."""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from antifraud import clock

_WEEK = re.compile(r"^(\d{4})-W(\d{1,2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


@dataclass(frozen=True)
class Period:
    kind: str          # "week" | "month"
    key: str           # "2026-W47" | "2026-11"
    start: dt.date
    end: dt.date       # inclusive

    @property
    def end_exclusive(self) -> dt.date:
        return self.end + dt.timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def prev(self) -> "Period":
        if self.kind == "week":
            return week_of(self.start - dt.timedelta(days=7))
        return month_of(self.start - dt.timedelta(days=1))

    def last_year(self) -> "Period":
        if self.kind == "week":
            year, week = self.start.isocalendar()[:2]
            weeks_last_year = dt.date(year - 1, 12, 28).isocalendar()[1]
            return week_from(year - 1, min(week, weeks_last_year))
        return month_from(self.start.year - 1, self.start.month)

    def ytd(self) -> tuple[dt.date, dt.date]:
        """1 January of the period's end year to its end (inclusive)."""
        return dt.date(self.end.year, 1, 1), self.end

    def ytd_last_year(self) -> tuple[dt.date, dt.date]:
        end = self.end
        day = min(end.day, calendar.monthrange(end.year - 1, end.month)[1])
        return dt.date(end.year - 1, 1, 1), dt.date(end.year - 1, end.month, day)

    def last_28(self) -> tuple[dt.date, dt.date]:
        return self.end - dt.timedelta(days=27), self.end

    def prev_28(self) -> tuple[dt.date, dt.date]:
        return self.end - dt.timedelta(days=55), self.end - dt.timedelta(days=28)

    @property
    def label(self) -> str:
        if self.kind == "week":
            year, week = self.start.isocalendar()[:2]
            return f"{year}年第{week}周"
        return f"{self.start.year}年{self.start.month}月"

    @property
    def dates_label(self) -> str:
        return f"{self.start:%Y-%m-%d} 至 {self.end:%Y-%m-%d}"


def week_from(year: int, week: int) -> Period:
    start = dt.date.fromisocalendar(year, week, 1)
    return Period("week", f"{year}-W{week:02d}", start, start + dt.timedelta(days=6))


def week_of(day: dt.date) -> Period:
    year, week = day.isocalendar()[:2]
    return week_from(year, week)


def month_from(year: int, month: int) -> Period:
    last = calendar.monthrange(year, month)[1]
    return Period("month", f"{year}-{month:02d}", dt.date(year, month, 1), dt.date(year, month, last))


def month_of(day: dt.date) -> Period:
    return month_from(day.year, day.month)


def parse(text: str) -> Period:
    """'2026-W47' or '2026-11'. Raises ValueError with a Chinese message otherwise."""
    text = (text or "").strip()
    if m := _WEEK.match(text):
        try:
            return week_from(int(m.group(1)), int(m.group(2)))
        except ValueError:
            pass
    elif m := _MONTH.match(text):
        if 1 <= int(m.group(2)) <= 12 and 1900 < int(m.group(1)) < 2200:
            return month_from(int(m.group(1)), int(m.group(2)))
    raise ValueError(f"无法识别的周期：{text[:40]!r}（应为 2026-W47 或 2026-11）")


# What a period's figures are worth, given what the data covers (DATA.md, Periods and windows).
COMPLETE, PROVISIONAL, NO_DATA = "complete", "provisional", "no_data"


@dataclass(frozen=True)
class DataSpan:
    """What the data covers: its first day, its latest event (`data_as_of`) and when the rows of
    that day arrived (`as_of_imported_at`). Every default period and every "is this final?"
    question is answered here, from the data, never from today's date."""
    first_day: dt.date | None = None
    data_as_of: dt.datetime | None = None
    as_of_imported_at: dt.datetime | None = None
    last_import_at: dt.datetime | None = None

    @property
    def last_day(self) -> dt.date | None:
        return self.data_as_of.date() if self.data_as_of is not None else None

    @property
    def final_through(self) -> dt.date | None:
        """The last day whose figures are final: the data's last day once its rows arrived after
        that day ended (a Monday import of the week to Sunday), else the day before."""
        last = self.last_day
        if last is None:
            return None
        arrived = self.as_of_imported_at
        if arrived is not None and arrived >= dt.datetime.combine(last + dt.timedelta(days=1), dt.time()):
            return last
        return last - dt.timedelta(days=1)

    def state(self, start: dt.date, end: dt.date) -> str:
        """COMPLETE, PROVISIONAL (the data reaches into the window but not final to its end, or
        starts inside it) or NO_DATA (the data does not reach the window at all)."""
        last = self.last_day
        if last is None or start > last or (self.first_day is not None and end < self.first_day):
            return NO_DATA
        if end > self.final_through or (self.first_day is not None and start < self.first_day):
            return PROVISIONAL
        return COMPLETE

    def of(self, period: "Period") -> str:
        return self.state(period.start, period.end)

    def covers(self, start: dt.date, end: dt.date) -> bool:
        """A comparison window counts only when the data covers it whole."""
        return self.state(start, end) == COMPLETE

    def default_week(self) -> "Period":
        """The latest complete week; with no data, the week before today's."""
        final = self.final_through
        if final is None:
            return week_of(clock.today()).prev()
        return week_of(final + dt.timedelta(days=1)).prev()

    def default_month(self) -> "Period":
        final = self.final_through
        if final is None:
            return month_of(clock.today()).prev()
        return month_of(final + dt.timedelta(days=1)).prev()

    def default(self, kind: str) -> "Period":
        return self.default_week() if kind == "week" else self.default_month()

    def notice(self, period: "Period") -> str | None:
        """What a page or briefing says about a period whose figures are not final (None when complete)."""
        state = self.of(period)
        word = "本周" if period.kind == "week" else "本月"
        if state == NO_DATA:
            if self.last_day is not None and period.start > self.last_day:
                return f"{word}数据尚未导入（{self.reach_text()}）：不显示数字、环比、同比与显著性。"
            return f"{period.label}早于数据起始日（{self.first_day or '—'}），没有数据。"
        if state == PROVISIONAL:
            if self.first_day is not None and period.start < self.first_day:
                return (f"{period.label}只有{self.first_day:%m-%d}以后的数据，为不完整的临时数据："
                        "不做环比、同比与显著性比较。")
            return (f"{period.label}为临时数据（{self.reach_text()}，本期尚未结束或尚未导入完整），"
                    "数字会随导入变化：不做环比、同比与显著性比较。")
        return None

    def reach_text(self) -> str:
        """「数据截至 11-22」: what a "no data yet" notice cites."""
        return f"数据截至 {self.last_day:%m-%d}" if self.last_day is not None else "尚无数据"


def recent_weeks(end_week: Period, count: int) -> list[Period]:
    weeks = [end_week]
    while len(weeks) < count:
        weeks.append(weeks[-1].prev())
    return weeks[::-1]


class SpanView:
    """For a record holding a `period` and the `span` of the data (the page's context, the
    briefing): the period's kind and state as every reader asks for them."""

    @property
    def kind(self) -> str:
        return self.period.kind

    @property
    def state(self) -> str:
        """COMPLETE / PROVISIONAL / NO_DATA for the period (DataSpan.of)."""
        return self.span.of(self.period)

    @property
    def provisional(self) -> bool:
        """Not final: the data reaches into the period but not complete to its end (DATA.md)."""
        return self.state == PROVISIONAL

    @property
    def data_as_of(self) -> dt.datetime | None:
        return self.span.data_as_of

