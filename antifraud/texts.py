"""Pure text for the screens: what a header, a notice, a change or a link option says (no
Streamlit; tested directly). User-supplied text is escaped before it meets markdown.
"""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from antifraud import clock, periods, stats
from antifraud.periods import Period

MONTH_OFF = "（按周）"

def plain(text, limit: int = 40) -> str:
    """User-supplied text shown inside markdown: truncated, markdown/HTML characters escaped."""
    text = str(text)[:limit]
    return re.sub(r"([\\`*_\[\]<>#|~$])", r"\\\1", text)


def week_options(first_day: dt.date | None, last_day: dt.date | None) -> list[str]:
    """Week keys from the data's last week back to its first, newest first."""
    last_day = last_day or clock.today()
    first_day = first_day or last_day - dt.timedelta(days=7 * 12)
    week, first = periods.week_of(last_day), periods.week_of(first_day)
    out = []
    while week.start >= first.start and len(out) < 600:
        out.append(week.key)
        week = week.prev()
    return out


def month_options(first_day: dt.date | None, last_day: dt.date | None) -> list[str]:
    last_day = last_day or clock.today()
    first_day = first_day or last_day - dt.timedelta(days=365)
    month, first = periods.month_of(last_day), periods.month_of(first_day)
    out = []
    while month.start >= first.start and len(out) < 240:
        out.append(month.key)
        month = month.prev()
    return out


def linked_options(options: list[str], linked: list[str], kind: str) -> list[str]:
    """The options, plus a period from a shared link that lies after the data but not after
    today: a link sent before its week was imported opens that week and says so."""
    out = list(options)
    for text in linked[:1]:
        try:
            period = periods.parse(text)
        except ValueError:
            continue
        current = periods.week_of(clock.today()) if kind == "week" else periods.month_of(clock.today())
        newest = periods.parse(out[0]) if out else None
        if (period.kind == kind and period.key not in out and period.start <= current.start
                and (newest is None or period.start > newest.start)):
            out.insert(0, period.key)
    return out


_NUMBER_RUN = re.compile(r"\d[\d \-]{9,}\d")


def url_notices(raw: dict[str, list[str]], weeks: list[str], months: list[str],
                districts: list[str], types: list[str]) -> list[str]:
    """Notices for URL values that are not options (the widget will ignore them)."""
    allowed = {"week": set(weeks), "month": set(months) | {MONTH_OFF},
               "district": set(districts), "type": set(types)}
    names = {"week": "周期", "month": "月份", "district": "区县", "type": "诈骗类型"}
    out = []
    for key, valid in allowed.items():
        bad = [v for v in raw.get(key, []) if v not in valid and v != ""]
        if bad:
            # a link may carry a phone or ID number pasted by mistake: never echo one back
            shown = "、".join(f"“{plain(_NUMBER_RUN.sub('…', v))}”" for v in bad[:5])
            out.append(f"链接中的{names[key]} {shown} 无法识别（或没有数据），已忽略。")
    return out


def choose_period(week_key: str | None, month_key: str | None, default_week: Period) -> Period:
    """A chosen month overrides the week; otherwise the week, else the default week."""
    if month_key and month_key != MONTH_OFF:
        return periods.parse(month_key)
    if week_key:
        return periods.parse(week_key)
    return default_week


STATE_FLAG = {periods.PROVISIONAL: "（临时数据）", periods.NO_DATA: "（尚无数据）"}


def header_text(city: str, period: Period, scope: str, data_as_of, state: str = periods.COMPLETE) -> str:
    as_of = f"{data_as_of:%Y-%m-%d %H:%M}" if data_as_of is not None and not pd.isna(data_as_of) else "—"
    return f"{city} · {period.label}{STATE_FLAG.get(state, '')}（{period.dates_label}） · {scope} · 数据截至 {as_of}"


def change_text(pct: float | None, flag: str, q: float | None, direction: int, word: str,
                points: float | None = None) -> tuple[str, str]:
    """('-12.9% 环比', colour) for a KPI delta; colour follows direction, grey unless announced
    (the family's q, stats.flag); "!" marks an announced change, "‼" one beyond doubt.

    For a rate pass `points` (the difference in percentage points): '+3.85个百分点 环比'.
    """
    if pct is None and points is None:
        return f"{word} —", "gray"
    tone = stats.tone(direction, flag)
    colour = {"good": "green", "bad": "red"}.get(tone, "gray")
    mark = {"alarm": "‼", "warn": "!"}.get(stats.level(q), "") if tone != "neutral" else ""
    change = f"{points:+.2f}个百分点" if points is not None else f"{pct:+.1f}%"
    return f"{change} {word}{mark}", colour


def rate_points(now, before) -> float | None:
    """Difference of two rates in percentage points (0.9262 vs 0.9380 -> -1.18)."""
    if now is None or before is None:
        return None
    return (now - before) * 100


# ---------------------------------------------------------------- the frame


def marking_css(text: str) -> str:
    """The marking as a fixed corner label drawn by CSS: a style-only st.html takes no room on the wall."""
    escaped = "".join(ch if ch.isalnum() and ch.isascii() else f"\\{ord(ch):x} " for ch in text)
    return ("<style>[data-testid='stMain']::after { content: '" + escaped + "'; position: fixed; right: 0.8rem;"
            " bottom: 0.3rem; font-size: 0.85rem; color: #f5b301; z-index: 1000; pointer-events: none; }</style>")
