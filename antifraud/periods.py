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

    def is_complete(self, *moments) -> bool:
        """Complete once data_as_of or the latest import lies after the last day."""
        day = reference_day(*moments)
        return day is not None and day > self.end


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


def reference_day(*moments) -> dt.date | None:
    days = [m.date() if isinstance(m, dt.datetime) else m for m in moments if m is not None]
    days = [d for d in days if not (isinstance(d, float))]
    return max(days) if days else None


def last_complete_week(*moments) -> Period:
    """The last ISO week that ended before the latest data or import (the meeting's default)."""
    return week_of(reference_day(*moments) or clock.today()).prev()


def last_complete_month(*moments) -> Period:
    return month_of(reference_day(*moments) or clock.today()).prev()


def recent_weeks(end_week: Period, count: int) -> list[Period]:
    weeks = [end_week]
    while len(weeks) < count:
        weeks.append(weeks[-1].prev())
    return weeks[::-1]
