"""What each button of the 督办 page does, on plain values: the form's fields (a mapping —
Streamlit's session state on the page, a dict in tests), the store, and who is asking.

Every action checks the rights again (a button shown is no permission) and answers with an
`Outcome`: ok or not, and one sentence. Bad input and store refusals (conflict, closed task)
are that sentence; anything unexpected is logged and becomes a calm sentence too, so the
page never shows a traceback.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Mapping

from antifraud import metrics
from antifraud.access import Identity
from antifraud.tasks import validate
from antifraud.tasks.model import LEVELS, OP_SIGN, Draft, Target, Task, default_due, target_metrics
from antifraud.tasks.roles import Rights
from antifraud.tasks.store import StoreError, TaskStore

log = logging.getLogger("antifraud.tasks")

NO_TARGET, METRIC, PLACE, IDS = "无", "指标", "热点地点", "预警/案件编号"
TARGET_KINDS = (NO_TARGET, METRIC, PLACE, IDS)
_KIND = {METRIC: "metric", PLACE: "place", IDS: "ids"}
SIGN_OP = {v: k for k, v in OP_SIGN.items()}
LEVEL_OF = {v: k for k, v in LEVELS.items()}
FAILED = "督办事项未能保存，请稍后再试（详情已记入日志）。"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str
    task_id: int | None = None


def metric_labels() -> dict[str, str]:
    """Label -> metric name for the target choice (the catalogue's labels, in its order)."""
    return {metrics.get(n).label: n for n in target_metrics()}


def in_form_units(metric_name: str, value: float | None) -> float | None:
    """Rates are typed in percent; everything else in the metric's own unit (amounts in yuan)."""
    if value is None:
        return None
    return value * 100 if metrics.get(metric_name).kind == "rate" else value


def target_from(form: Mapping, prefix: str) -> Target | None:
    """The target the form's fields describe (validated later, with the rest)."""
    kind = form.get(f"{prefix}kind", NO_TARGET)
    if kind == METRIC:
        name = metric_labels().get(form.get(f"{prefix}metric"), str(form.get(f"{prefix}metric") or ""))
        value = form.get(f"{prefix}value")
        if name in metrics.ALL and value is not None and metrics.get(name).kind == "rate":
            value = float(value) / 100
        return Target("metric", metric=name, op=SIGN_OP.get(form.get(f"{prefix}op"), ""), value=value)
    if kind == PLACE:
        return Target("place", op="<=", value=form.get(f"{prefix}baseline"),
                      level=LEVEL_OF.get(form.get(f"{prefix}level"), ""), place=str(form.get(f"{prefix}place") or ""))
    if kind == IDS:
        return Target("ids", ids=validate.parse_ids(form.get(f"{prefix}ids", "")))
    return None


def form_values(draft: Draft | Task, names: dict[str, str], prefix: str) -> dict:
    """The form's fields for a draft or a task (one click on a suggestion fills the form)."""
    t = draft.target
    out = {f"{prefix}districts": [names.get(b, b) for b in draft.bureaus], f"{prefix}subject": draft.subject,
           f"{prefix}due": draft.due_period or default_due(draft.meeting_week), f"{prefix}kind": NO_TARGET,
           f"{prefix}ids": "", f"{prefix}place": ""}
    if t is not None and t.kind == "metric":
        out.update({f"{prefix}kind": METRIC, f"{prefix}metric": metrics.get(t.metric).label,
                    f"{prefix}op": OP_SIGN[t.op], f"{prefix}value": in_form_units(t.metric, t.value)})
    elif t is not None and t.kind == "place":
        out.update({f"{prefix}kind": PLACE, f"{prefix}level": LEVELS[t.level], f"{prefix}place": t.place,
                    f"{prefix}baseline": t.value})
    elif t is not None and t.kind == "ids":
        out.update({f"{prefix}kind": IDS, f"{prefix}ids": "\n".join(t.ids)})
    return out


def _guard(work) -> Outcome:
    try:
        return work()
    except validate.Invalid as exc:
        return Outcome(False, str(exc))
    except StoreError as exc:
        return Outcome(False, str(exc))
    except Exception:  # noqa: BLE001 - a sentence on the page, the traceback in the log
        log.exception("tasks: action failed")
        return Outcome(False, FAILED)


def create(form: Mapping, store: TaskStore, who: Identity | None, rights: Rights, meeting_week: str,
           bureau_of_district: dict[str, str], names: dict[str, str], prefix: str = "tn_") -> Outcome:
    if who is None or not rights.manage:
        return Outcome(False, "只有会商主持人（管理员）可以新建督办事项。")

    def work():
        picked = form.get(f"{prefix}districts") or []
        unknown = [d for d in picked if d not in bureau_of_district]
        if unknown:
            raise validate.Invalid(f"未知的区县：{str(unknown[0])[:20]}。")
        draft = Draft(bureaus=tuple(bureau_of_district[d] for d in picked), subject=form.get(f"{prefix}subject", ""),
                      meeting_week=meeting_week, due_period=form.get(f"{prefix}due", ""),
                      target=target_from(form, prefix))
        task = store.create(draft, who.name, set(bureau_of_district.values()), names)
        return Outcome(True, f"已新建督办事项 {task.id}（期限 {task.due_period}）。", task.id)
    return _guard(work)


def edit(task_id: int, seen_version: int, form: Mapping, store: TaskStore, who: Identity | None,
         rights: Rights, bureau_of_district: dict[str, str], names: dict[str, str], prefix: str) -> Outcome:
    if who is None or not rights.manage:
        return Outcome(False, "只有会商主持人（管理员）可以修改督办事项。")

    def work():
        picked = form.get(f"{prefix}districts") or []
        unknown = [d for d in picked if d not in bureau_of_district]
        if unknown:
            raise validate.Invalid(f"未知的区县：{str(unknown[0])[:20]}。")
        before = seen_version
        task = store.edit(task_id, seen_version, who.name, subject=form.get(f"{prefix}subject", ""),
                          bureaus=tuple(bureau_of_district[d] for d in picked),
                          due_period=form.get(f"{prefix}due", ""), target=target_from(form, prefix),
                          known_bureaus=set(bureau_of_district.values()), names=names)
        if task.version == before:
            return Outcome(True, "内容未改变，无需保存。", task.id)
        return Outcome(True, f"已保存督办事项 {task.id} 的修改（第{task.version}版）。", task.id)
    return _guard(work)


def feedback(task_id: int, text: str, store: TaskStore, who: Identity | None, rights: Rights) -> Outcome:
    if who is None or not rights.own_bureaus:
        return Outcome(False, "只有分县局账号可以对本单位的督办事项反馈。")

    def work():
        task = store.add_feedback(task_id, who.name, text, set(rights.own_bureaus))
        return Outcome(True, f"已提交对督办事项 {task.id} 的反馈。", task.id)
    return _guard(work)


def close(task_id: int, seen_version: int, outcome: str, note: str, store: TaskStore, who: Identity | None,
          rights: Rights) -> Outcome:
    if who is None or not rights.manage:
        return Outcome(False, "只有会商主持人（管理员）可以办结督办事项。")

    def work():
        task = store.close(task_id, seen_version, who.name, outcome, note)
        return Outcome(True, f"督办事项 {task.id} 已办结：{task.status}。", task.id)
    return _guard(work)


def withdraw(task_id: int, seen_version: int, reason: str, store: TaskStore, who: Identity | None,
             rights: Rights) -> Outcome:
    if who is None or not rights.manage:
        return Outcome(False, "只有会商主持人（管理员）可以撤销督办事项。")

    def work():
        task = store.withdraw(task_id, seen_version, who.name, reason)
        return Outcome(True, f"督办事项 {task.id} 已撤销（记录保留）。", task.id)
    return _guard(work)
