"""Status rules, read from the clock rather than written by a job.

`effective` is what a task's status is today: a task still waiting for feedback once its
due period is over is 逾期 — computed each time it is read, so it is right the moment the
period ends, whatever process reads it, and nothing has to run at midnight.

`review` is what the meeting is told about a task it set last time (the wall's line and
the briefing): the chair's verdict when the task is closed; 逾期 when no feedback came;
otherwise, for a task with a linked measure whose due period the data covers, the
automatic check's 达标/未达标; else 待评定 (feedback in, no verdict yet).
"""
from __future__ import annotations

import datetime as dt

from antifraud.tasks.model import ANSWERED, DONE, MISSED, OVERDUE, PENDING, WITHDRAWN, Task

PENDING_REVIEW = "待评定"
REVIEW_ORDER = (DONE, MISSED, OVERDUE, PENDING_REVIEW, PENDING, WITHDRAWN)


def is_past_due(task: Task, today: dt.date) -> bool:
    return today > task.due.end


def effective(task: Task, today: dt.date) -> str:
    if task.status == PENDING and is_past_due(task, today):
        return OVERDUE
    return task.status


def late_feedback(task: Task) -> bool:
    """The first feedback came after the due period had ended."""
    return bool(task.feedback) and task.feedback[0].at.date() > task.due.end


def review(task: Task, today: dt.date, check=None) -> str:
    """已完成 / 未达标 / 逾期 / 待评定 / 待反馈 / 撤销 (see the module doc)."""
    now = effective(task, today)
    if now in (DONE, MISSED, WITHDRAWN, OVERDUE):
        return now
    if check is not None and getattr(check, "final", False) and check.outcome in ("达标", "未达标"):
        return DONE if check.outcome == "达标" else MISSED
    if now == ANSWERED:
        return PENDING_REVIEW
    return PENDING
