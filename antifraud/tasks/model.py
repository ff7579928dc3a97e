"""A follow-up task (督办事项) and the values it is made of: plain data, no I/O.

A task is set in a meeting for one or more bureaus and is due by a later period (by
default the next meeting week). It may carry one linked measure with a target — a
catalogue metric for its bureaus with a bound, a place that should fall back to its
baseline, or a list of warning/case ids that need an answer — which the dashboard checks
against the data when the due period is over.

Stored statuses are 待反馈 / 已反馈 / 已完成 / 未达标 / 撤销; 逾期 is never stored: it is read
from the clock (tasks.status), so no job has to run for a task to become overdue.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from antifraud import metrics, periods

PENDING, ANSWERED, DONE, MISSED, OVERDUE, WITHDRAWN = "待反馈", "已反馈", "已完成", "未达标", "逾期", "撤销"
STATUSES = (PENDING, ANSWERED, DONE, MISSED, OVERDUE, WITHDRAWN)
STORED = (PENDING, ANSWERED, DONE, MISSED, WITHDRAWN)
OPEN = (PENDING, ANSWERED)           # the chair has not closed or withdrawn it
CLOSING = (DONE, MISSED)             # the chair's verdicts when closing

SUBJECT_MAX = 200
FEEDBACK_MAX = 1000
NOTE_MAX = 500
PLACE_MAX = 50
IDS_MAX = 100

OPS = ("<=", ">=")
OP_SIGN = {"<=": "≤", ">=": "≥"}
LEVELS = {"township": "乡镇街道", "station": "派出所"}
KINDS = ("metric", "place", "ids")

# Fields a journal entry can name, with the words the chair reads.
FIELD_LABELS = {"bureaus": "区县", "subject": "督办事项", "meeting_week": "会商周", "due_period": "期限",
                "target": "关联指标", "status": "状态", "closing_note": "办结说明",
                "withdraw_reason": "撤销原因", "feedback": "反馈"}


def target_metrics() -> tuple[str, ...]:
    """Catalogue metrics a target may name: those a bureau's additive measures give.

    The median sign time is the one metric that is not a ratio of additive measures, so
    it cannot be computed per bureau from `measures.by_bureau` and cannot be a target.
    """
    ok = set(metrics.MEASURES)
    return tuple(m.name for m in metrics.CATALOGUE
                 if m.numerator in ok and (m.denominator is None or m.denominator in ok))


@dataclass(frozen=True)
class Target:
    kind: str                          # metric | place | ids
    metric: str = ""                   # metric: a catalogue name
    op: str = ""                       # metric, place: "<=" or ">="
    value: float | None = None         # metric: in the metric's unit (rates as fractions); place: cases a week
    level: str = ""                    # place: township | station
    place: str = ""                    # place: its name as the data spells it
    ids: tuple[str, ...] = ()          # ids: warning or case ids

    def as_dict(self) -> dict:
        if self.kind == "metric":
            return {"kind": "metric", "metric": self.metric, "op": self.op, "value": self.value}
        if self.kind == "place":
            return {"kind": "place", "level": self.level, "place": self.place, "op": "<=", "value": self.value}
        return {"kind": self.kind, "ids": list(self.ids)}

    def to_json(self) -> str:
        # canonical (sorted keys, no spaces): the journal compares these texts
        return json.dumps(self.as_dict(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @staticmethod
    def from_json(text: str | None) -> "Target | None":
        if not text:
            return None
        d = json.loads(text)
        value = d.get("value")
        return Target(kind=str(d.get("kind", "")), metric=str(d.get("metric", "")), op=str(d.get("op", "")),
                      value=None if value is None else float(value), level=str(d.get("level", "")),
                      place=str(d.get("place", "")), ids=tuple(str(i) for i in d.get("ids", ())))

    @property
    def key(self) -> tuple:
        """What makes two targets "the same measure" (a suggestion already taken up)."""
        return (self.kind, self.metric, self.level, self.place, self.ids)


@dataclass(frozen=True)
class Feedback:
    at: dt.datetime
    user: str
    text: str


@dataclass(frozen=True)
class Change:
    """One journal line: who changed which field when, from what to what."""
    task_id: int
    at: dt.datetime
    user: str
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class Draft:
    """What the chair fills in (or a suggestion proposes) before a task exists."""
    bureaus: tuple[str, ...]
    subject: str
    meeting_week: str
    due_period: str = ""               # "" = the week after the meeting week
    target: Target | None = None


@dataclass(frozen=True)
class Task:
    id: int
    version: int
    bureaus: tuple[str, ...]
    subject: str
    meeting_week: str
    due_period: str
    status: str                        # as stored (never 逾期)
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    target: Target | None = None
    closing_note: str = ""
    withdraw_reason: str = ""
    feedback: tuple[Feedback, ...] = field(default=())

    @property
    def meeting(self) -> periods.Period:
        return periods.parse(self.meeting_week)

    @property
    def due(self) -> periods.Period:
        return periods.parse(self.due_period)


def default_due(meeting_week: str) -> str:
    """The next meeting week: the one after the week the task was set in."""
    week = periods.parse(meeting_week)
    return periods.week_of(week.end + dt.timedelta(days=1)).key


def field_text(name: str, value) -> str:
    """How a field's value is kept in the journal (and compared with the task by `store.verify`)."""
    if value is None:
        return ""
    if name == "bureaus":
        return ",".join(value)
    if name == "target":
        return value.to_json() if value else ""
    return str(value)
