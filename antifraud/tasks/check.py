"""The automatic check of a task's linked measure (pure: measures in, verdict out).

For a metric: the metric of the task's bureaus (their measures summed) over the due
period ("after") against the period before it ("before"); 达标 when "after" meets the
bound. For a place: its cases over the due period against its weekly baseline times the
weeks in the period. For ids: every listed warning/case has its answer in the data.

Whether the change from before to after is significant comes from `stats.compare`, the
catalogue metric's own calibrated test. A task's target is fixed before its due period's
data exists, so each check is one planned comparison, not a pick from many: it is judged
at p ≤ 0.05 on its own (the suggestions, which do scan every bureau and metric, control
the false discovery rate instead).

`final` is False while the data does not yet cover the due period: the figures are then
shown as provisional and no verdict counts.
"""
from __future__ import annotations

from dataclasses import dataclass

from antifraud import metrics, stats
from antifraud.tasks.model import Target

MET, NOT_MET, NO_DATA = "达标", "未达标", "无数据"
ALPHA = 0.05
# a rate of 0.05 computed as 1/20 must meet "≤ 5%": compare with a little slack
_EPS = 1e-9


@dataclass(frozen=True)
class Check:
    outcome: str                      # 达标 | 未达标 | 无数据
    before: float | None
    after: float | None
    bound: float | None               # what "after" was held against (place: baseline × weeks)
    final: bool                       # the data covers the whole due period
    significant: bool | None = None   # None: no test applies
    z: float | None = None
    p: float | None = None
    note: str = ""

    @property
    def direction(self) -> str:
        """'上升' / '下降' / '' — which way the change went, when it is significant."""
        if not self.significant or self.z is None or self.z == 0:
            return ""
        return "上升" if self.z > 0 else "下降"


def meets(value: float, op: str, bound: float) -> bool:
    return value <= bound + _EPS if op == "<=" else value >= bound - _EPS


def _test(metric_name: str, now, before, dispersion: float) -> tuple[bool | None, float | None, float | None]:
    test = stats.compare(metric_name, now, before, dispersion)
    if test.p is None:
        return None, test.z, None
    return test.p <= ALPHA, test.z, test.p


def metric_check(target: Target, now, before, final: bool, dispersion: float = 1.0) -> Check:
    """`now`/`before`: additive measures (mappings) of the task's bureaus over the due period
    and the period before it."""
    m = metrics.get(target.metric)
    after, earlier = m.value(now), m.value(before)
    significant, z, p = _test(target.metric, now, before, dispersion)
    if after is None:
        return Check(NO_DATA, earlier, None, target.value, final, significant, z, p,
                     note=f"期限内无可计算“{m.label}”的数据")
    outcome = MET if meets(after, target.op, target.value) else NOT_MET
    return Check(outcome, earlier, after, target.value, final, significant, z, p)


def place_check(target: Target, now_cases: int, before_cases: int, weeks: float, final: bool,
                dispersion: float = 1.0) -> Check:
    """Cases at the place in the due period (`weeks` long) against its weekly baseline."""
    bound = (target.value or 0.0) * weeks
    significant, z, p = _test("cases", {"cases": now_cases}, {"cases": before_cases}, dispersion)
    outcome = MET if meets(now_cases, "<=", bound) else NOT_MET
    return Check(outcome, float(before_cases), float(now_cases), bound, final, significant, z, p)


def ids_check(target: Target, answered: dict[str, bool], final: bool) -> Check:
    """`answered`: id -> whether the data shows its answer; ids missing from it were not found."""
    done = sum(1 for i in target.ids if answered.get(i))
    missing = [i for i in target.ids if i not in answered]
    note = f"{len(missing)}个编号在数据中未找到" if missing else ""
    outcome = MET if done == len(target.ids) else NOT_MET
    return Check(outcome, None, float(done), float(len(target.ids)), final, note=note)
