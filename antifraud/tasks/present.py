"""Tables and sentences about tasks for the page, the wall slide and the briefing (pure).

The page, the wall and the briefing all build their figures here, from the same tasks and
checks, so the three never differ. Values in frames are text formatted per target (a
rate, a count and an amount can share a column); the JSON records keep numbers — rates as
fractions, amounts in yuan — as the report's JSON does everywhere.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from antifraud import clock, metrics
from antifraud.periods import Period
from antifraud.tasks import status as rules
from antifraud.tasks.check import Check
from antifraud.tasks.model import (DONE, FIELD_LABELS, LEVELS, MISSED, OP_SIGN, OVERDUE, PENDING, WITHDRAWN,
                                   Change, Target, Task)

SECTION_TITLE = "五、督办事项"
WALL_ROWS = 8                 # what fits the slide under its line at the wall's type size
WALL_SUBJECT = 40             # characters of a subject on the wall (the rest is on the page)

LIST_COLUMNS = ["编号", "区县", "督办事项", "会商周", "期限", "状态", "关联指标", "检查", "反馈"]
WALL_COLUMNS = ["区县", "督办事项", "目标", "检查", "状态"]
REVIEW_COLUMNS = ["编号", "区县", "督办事项", "目标", "期限", "前期", "期限内", "检查结果", "变化", "状态",
                  "最近反馈", "办结说明"]
NEW_COLUMNS = ["编号", "区县", "督办事项", "目标", "期限", "状态"]


def district_names(units: pd.DataFrame) -> dict[str, str]:
    if units is None or units.empty:
        return {}
    return dict(zip(units["bureau_id"].astype(str), units["district_name"].astype(str)))


def bureaus_text(task: Task, names: dict[str, str]) -> str:
    return "、".join(names.get(b, b) for b in task.bureaus)


# ---------------------------------------------------------------- targets and checks

def value_text(target: Target | None, value: float | None) -> str:
    if value is None or target is None:
        return "—"
    if target.kind == "metric":
        return metrics.get(target.metric).format(value)
    if target.kind == "place":
        return f"{value:g}起"
    return f"{value:g}条"


def target_text(target: Target | None) -> str:
    if target is None:
        return ""
    if target.kind == "metric":
        m = metrics.get(target.metric)
        return f"{m.label} {OP_SIGN.get(target.op, target.op)} {m.format(target.value)}"
    if target.kind == "place":
        return f"{LEVELS.get(target.level, target.level)}“{target.place}”每周发案 ≤ {target.value:g}起（回落到基准）"
    shown = "、".join(target.ids[:3]) + ("等" if len(target.ids) > 3 else "")
    return f"{len(target.ids)}个编号须答复（{shown}）"


def change_text(check: Check | None) -> str:
    if check is None or check.significant is None:
        return ""
    return f"显著{check.direction}" if check.significant and check.direction else "变化不显著"


def check_text(target: Target | None, check: Check | None) -> str:
    """'36.60% → 4.10%，达标（显著下降）'; provisional while the data does not cover the due period."""
    if target is None or check is None:
        return ""
    if not check.final and check.after is None and target.kind != "ids":
        return "期限内数据未齐，暂无结果"
    if target.kind == "ids":
        text = f"已答复{int(check.after or 0)}/{int(check.bound or 0)}，{check.outcome}"
    elif check.after is None:
        text = f"{check.outcome}（{check.note}）" if check.note else check.outcome
    else:
        before = value_text(target, check.before)
        after = value_text(target, check.after)
        text = f"{before} → {after}，{check.outcome}"
        if target.kind == "place":
            text = f"前期{before} → 期限内{after}（基准{check.bound:g}起），{check.outcome}"
        change = change_text(check)
        if change:
            text += f"（{change}）"
    if check.note and target.kind == "ids":
        text += f"（{check.note}）"
    if not check.final:
        text = f"暂计：{text}（期限内数据未齐）"
    return text


# ---------------------------------------------------------------- selections

def due_in(tasks: list[Task], period: Period) -> list[Task]:
    """Tasks whose due period ends within `period`: the ones its meeting reviews."""
    return [t for t in tasks if period.start <= t.due.end <= period.end]


def set_in(tasks: list[Task], period: Period) -> list[Task]:
    """Tasks set at the meeting on `period` (their meeting week starts within it)."""
    return [t for t in tasks if period.start <= t.meeting.start <= period.end]


def still_open_before(tasks: list[Task], period: Period, today: dt.date) -> list[Task]:
    """Tasks due before `period` and still not closed (overdue, or feedback without a verdict)."""
    return [t for t in tasks if t.due.end < period.start and rules.effective(t, today) not in (DONE, MISSED, WITHDRAWN)]


# ---------------------------------------------------------------- the page's tables

def status_text(task: Task, today: dt.date) -> str:
    now = rules.effective(task, today)
    if rules.late_feedback(task) and now not in (DONE, MISSED, WITHDRAWN):
        return f"{now}（逾期反馈）"
    return now


def list_table(tasks: list[Task], checks: dict[int, Check], names: dict[str, str], today: dt.date) -> pd.DataFrame:
    rows = []
    for t in tasks:
        last = t.feedback[-1] if t.feedback else None
        rows.append({"编号": t.id, "区县": bureaus_text(t, names), "督办事项": t.subject,
                     "会商周": t.meeting_week, "期限": t.due_period, "状态": status_text(t, today),
                     "关联指标": target_text(t.target), "检查": check_text(t.target, checks.get(t.id)),
                     "反馈": f"{len(t.feedback)}条（最近 {last.at:%m-%d %H:%M}）" if last else "无"})
    return pd.DataFrame(rows, columns=LIST_COLUMNS)


def feedback_table(task: Task) -> pd.DataFrame:
    return pd.DataFrame([{"时间": f"{f.at:%Y-%m-%d %H:%M}", "反馈人": f.user, "内容": f.text} for f in task.feedback],
                        columns=["时间", "反馈人", "内容"])


def journal_value(name: str, text: str, names: dict[str, str]) -> str:
    if not text:
        return ""
    if name == "bureaus":
        return "、".join(names.get(b, b) for b in text.split(","))
    if name == "target":
        return target_text(Target.from_json(text))
    return text


def journal_table(changes: list[Change], names: dict[str, str]) -> pd.DataFrame:
    rows = [{"时间": f"{c.at:%Y-%m-%d %H:%M:%S}", "修改人": c.user, "项目": FIELD_LABELS.get(c.field, c.field),
             "原值": journal_value(c.field, c.old, names), "新值": journal_value(c.field, c.new, names)}
            for c in changes]
    return pd.DataFrame(rows, columns=["时间", "修改人", "项目", "原值", "新值"])


# ---------------------------------------------------------------- the meeting's review

def review_counts(tasks: list[Task], checks: dict[int, Check], today: dt.date) -> dict[str, int]:
    """Review status -> number of tasks (withdrawn ones are not counted)."""
    out = {s: 0 for s in rules.REVIEW_ORDER}
    for t in tasks:
        out[rules.review(t, today, checks.get(t.id))] += 1
    out.pop(WITHDRAWN, None)
    return out


def review_line(tasks: list[Task], checks: dict[int, Check], period: Period, today: dt.date) -> str:
    """「上周督办事项：N项，已完成a项，未达标b项，逾期c项」 for the tasks due in `period`."""
    word = "上周" if period.kind == "week" else "上月"
    mine = [t for t in due_in(tasks, period) if t.status != WITHDRAWN]
    if not mine:
        return f"{word}无督办事项"
    c = review_counts(mine, checks, today)
    line = f"{word}督办事项：{len(mine)}项，已完成{c[DONE]}项，未达标{c[MISSED]}项，逾期{c[OVERDUE]}项"
    for extra in (rules.PENDING_REVIEW, PENDING):
        if c.get(extra):
            line += f"，{extra}{c[extra]}项"
    return line


def wall_summary(tasks: list[Task], period: Period, checks: dict[int, Check] | None = None,
                 names: dict[str, str] | None = None, today: dt.date | None = None,
                 n: int = WALL_ROWS) -> tuple[str, pd.DataFrame]:
    """The wall's follow-up slide: the line, and the tasks still open (read-only).

    Rows: the tasks due in `period` that are not 已完成, then older ones still open; at
    most `n` (rows.attrs["left_out"] says how many more the page lists).
    """
    checks, names = checks or {}, names or {}
    today = today or clock.today()
    due = [t for t in due_in(tasks, period) if t.status != WITHDRAWN]
    open_now = [t for t in due if rules.review(t, today, checks.get(t.id)) != DONE]
    older = still_open_before(tasks, period, today)
    order = {s: i for i, s in enumerate((OVERDUE, MISSED, rules.PENDING_REVIEW, PENDING))}
    shown = sorted(open_now, key=lambda t: (order.get(rules.review(t, today, checks.get(t.id)), 9), t.id)) + older
    rows = [{"区县": bureaus_text(t, names),
             "督办事项": t.subject if len(t.subject) <= WALL_SUBJECT else t.subject[:WALL_SUBJECT - 1] + "…",
             "目标": target_text(t.target), "检查": check_text(t.target, checks.get(t.id)),
             "状态": rules.review(t, today, checks.get(t.id)) + ("" if t in open_now else f"（{t.due_period}到期）")}
            for t in shown[:n]]
    frame = pd.DataFrame(rows, columns=WALL_COLUMNS)
    frame.attrs["left_out"] = max(0, len(shown) - n)
    return review_line(tasks, checks, period, today), frame


@dataclass
class Section:
    """「五、督办事项」 of the briefing: the line, last period's tasks with their checks, the new ones."""
    title: str
    line: str
    review: pd.DataFrame
    new: pd.DataFrame
    records: list[dict] = field(default_factory=list)     # the JSON's `tasks`


def _number(v):
    return None if v is None else float(v)


def record(task: Task, check: Check | None, names: dict[str, str], today: dt.date, part: str) -> dict:
    """One task for the JSON: numbers as the report's JSON keeps them (rates fractions, yuan)."""
    return {
        "id": task.id, "part": part, "bureau_ids": list(task.bureaus),
        "districts": [names.get(b, b) for b in task.bureaus], "subject": task.subject,
        "meeting_week": task.meeting_week, "due_period": task.due_period,
        "status": rules.effective(task, today), "review_status": rules.review(task, today, check),
        "target": task.target.as_dict() if task.target else None,
        "target_text": target_text(task.target),
        "check": None if check is None else {
            "outcome": check.outcome, "before": _number(check.before), "after": _number(check.after),
            "bound": _number(check.bound), "final": check.final, "significant": check.significant,
            "z": None if check.z is None else round(check.z, 4), "p": None if check.p is None else round(check.p, 6),
            "note": check.note, "text": check_text(task.target, check)},
        "feedback": [{"at": f.at.isoformat(timespec="seconds"), "user": f.user, "text": f.text} for f in task.feedback],
        "closing_note": task.closing_note, "withdraw_reason": task.withdraw_reason,
        "created_by": task.created_by, "created_at": task.created_at.isoformat(timespec="seconds"),
    }


def briefing_section(tasks: list[Task], period: Period, checks: dict[int, Check] | None = None,
                     names: dict[str, str] | None = None, today: dt.date | None = None) -> Section:
    """Tasks due in `period` (with their checks) and tasks set at its meeting."""
    checks, names = checks or {}, names or {}
    today = today or clock.today()
    due = [t for t in due_in(tasks, period) if t.status != WITHDRAWN]
    new = [t for t in set_in(tasks, period) if t.status != WITHDRAWN]
    review_rows = []
    for t in due:
        c = checks.get(t.id)
        last = t.feedback[-1].text if t.feedback else ""
        review_rows.append({
            "编号": t.id, "区县": bureaus_text(t, names), "督办事项": t.subject, "目标": target_text(t.target),
            "期限": t.due_period,
            "前期": value_text(t.target, c.before) if c and t.target and t.target.kind != "ids" else "",
            "期限内": value_text(t.target, c.after) if c and t.target and t.target.kind != "ids" else "",
            "检查结果": check_text(t.target, c), "变化": change_text(c), "状态": rules.review(t, today, c),
            "最近反馈": last, "办结说明": t.closing_note})
    new_rows = [{"编号": t.id, "区县": bureaus_text(t, names), "督办事项": t.subject,
                 "目标": target_text(t.target), "期限": t.due_period, "状态": rules.effective(t, today)}
                for t in new]
    records = ([record(t, checks.get(t.id), names, today, "review") for t in due]
               + [record(t, checks.get(t.id), names, today, "new") for t in new])
    return Section(SECTION_TITLE, review_line(tasks, checks, period, today),
                   pd.DataFrame(review_rows, columns=REVIEW_COLUMNS), pd.DataFrame(new_rows, columns=NEW_COLUMNS),
                   records)
