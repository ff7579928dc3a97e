"""Suggested tasks for the meeting, from this period's frames (pure: frames in, suggestions out).

    adverse_changes(now, before, names, period)   significant changes for the worse, per bureau
    emerging_places(hot, names, period)           emerging hot spots (hotspots.emerging)
    most_overdue_high(overdue, names, period)     the bureau with most overdue 高 warnings
    confident_bottom(ranking, now, names, period) a bureau whose whole rank range is in the bottom third

Each suggestion carries a drafted subject and, where one fits, a target, so one click makes
a draft task the chair edits and saves (`to_draft`).

The per-bureau scan tests many bureau × metric pairs at once, so what it calls significant
controls the false discovery rate over that family (Benjamini–Hochberg on the p-values of
`stats.compare`, q ≤ 0.05 as DATA.md asks of everything announced together).
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from antifraud import metrics, stats
from antifraud.periods import Period
from antifraud.tasks.model import Draft, Target, default_due, target_metrics

# What a bureau can be asked to turn round within a week or two. Strike counts are left
# out (reported in batches, a quiet week is no failure); so are counts that merely follow
# the number of warnings (劝阻成功数), and 破案率 (a case is solved months later).
CHANGE_METRICS = ("cases", "loss", "overdue_rate", "dissuasion_rate", "victimized_after_rate", "fast_stop_rate")
Q = 0.05
OVERDUE_TARGET = 0.05
MAX_CHANGES = 5
MAX_PLACES = 3
KIND_ORDER = ("change", "hotspot", "overdue", "bottom")
KIND_LABEL = {"change": "显著不利变化", "hotspot": "新兴热点", "overdue": "高级预警超期", "bottom": "排名靠后"}


@dataclass(frozen=True)
class Suggestion:
    kind: str                 # change | hotspot | overdue | bottom
    bureau_id: str
    reason: str               # why the data proposes it (shown beside the button)
    subject: str              # the drafted subject (≤ 200 characters)
    target: Target | None

    @property
    def key(self) -> str:
        """Stable across reruns: the page's button for this suggestion keeps its identity."""
        t = self.target.key if self.target else ()
        return f"{self.kind}|{self.bureau_id}|{'|'.join(map(str, t))}"


def _words(period: Period) -> tuple[str, str]:
    return ("本周", "上周") if period.kind == "week" else ("本月", "上月")


def q_values(pvalues: list[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values (q), in the order given."""
    n = len(pvalues)
    order = sorted(range(n), key=lambda i: pvalues[i])
    out = [1.0] * n
    running = 1.0
    for rank in range(n, 0, -1):
        i = order[rank - 1]
        running = min(running, pvalues[i] * n / rank)
        out[i] = min(1.0, running)
    return out


def _round_target(metric: metrics.Metric, value: float) -> float:
    if metric.kind == "rate":
        return round(value, 4)            # 0.01 percentage point
    if metric.kind == "count":
        return float(round(value))
    return round(value, 2)


def _op(metric: metrics.Metric) -> str:
    return "<=" if metric.direction < 0 else ">="


def adverse_changes(now: pd.DataFrame, before: pd.DataFrame, names: dict[str, str], period: Period,
                    dispersion: dict[str, float] | None = None, q: float = Q,
                    limit: int = MAX_CHANGES) -> list[Suggestion]:
    """Per bureau and metric: a change for the worse that survives the FDR control.

    `now`/`before`: additive measures per bureau (index bureau_id) for the period and the one
    before. The target asks for the metric back at its level before.
    """
    word, prev_word = _words(period)
    tested = []
    for bureau in now.index:
        if bureau not in before.index:
            continue
        for name in CHANGE_METRICS:
            m = metrics.get(name)
            test = stats.compare(name, now.loc[bureau], before.loc[bureau], (dispersion or {}).get(name, 1.0))
            if test.p is None or test.z is None or test.z == 0:
                continue
            tested.append((bureau, m, test))
    qs = q_values([t.p for _, _, t in tested])
    found = []
    for (bureau, m, test), qv in zip(tested, qs):
        worse = (test.z > 0 and m.direction < 0) or (test.z < 0 and m.direction > 0)
        if qv > q or not worse:
            continue
        after, earlier = m.value(now.loc[bureau]), m.value(before.loc[bureau])
        if after is None or earlier is None:
            continue
        place = names.get(str(bureau), str(bureau))
        move = "上升" if test.z > 0 else "下降"
        reason = f"{place}{m.label}{word}{m.format(after)}，{prev_word}{m.format(earlier)}，显著{move}"
        subject = f"{place}：{m.label}{word}{m.format(after)}（{prev_word}{m.format(earlier)}），显著{move}，请分析原因、限期整改，下次会商说明"
        target = Target("metric", metric=m.name, op=_op(m), value=_round_target(m, earlier))
        found.append((qv, Suggestion("change", str(bureau), reason, subject[:200], target)))
    found.sort(key=lambda x: (x[0], x[1].bureau_id, x[1].target.metric))
    return [s for _, s in found[:limit]]


def emerging_places(hot: pd.DataFrame, names: dict[str, str], period: Period,
                    limit: int = MAX_PLACES) -> list[Suggestion]:
    """`hot`: hotspots.emerging's frame (bureau_id, place, level, cases, baseline, reason)."""
    if hot is None or hot.empty:
        return []
    out = []
    for row in hot.head(limit).itertuples(index=False):
        place = names.get(str(row.bureau_id), str(row.bureau_id))
        baseline = round(float(row.baseline), 1)
        reason = f"{place}{row.place}：{row.reason}"
        subject = (f"{place}{row.place}发案{row.reason}，请分析原因、落实防范措施，"
                   f"发案回落到基准（每周{baseline:g}起）以下，下次会商说明")
        out.append(Suggestion("hotspot", str(row.bureau_id), reason, subject[:200],
                              Target("place", op="<=", value=baseline, level=str(row.level), place=str(row.place))))
    return out


def most_overdue_high(overdue: pd.DataFrame, names: dict[str, str], period: Period,
                      target: float = OVERDUE_TARGET) -> list[Suggestion]:
    """`overdue`: the overdue_warnings rows of the period; the bureau with most 高-level ones."""
    if overdue is None or overdue.empty:
        return []
    high = overdue[overdue["level"] == "高"]
    if high.empty:
        return []
    counts = high.groupby("bureau_id").size()
    totals = overdue.groupby("bureau_id").size()
    # most 高 first; a tie goes to the bureau with more overdue warnings of any level, then the id
    ranked = sorted(counts.index, key=lambda b: (-int(counts[b]), -int(totals.get(b, 0)), str(b)))
    bureau = ranked[0]
    n = int(counts[bureau])
    place = names.get(str(bureau), str(bureau))
    word, _ = _words(period)
    reason = f"{place}{word}高级预警超期{n}条，为各区县最多"
    subject = f"{place}：{word}高级预警超期{n}条，限期整改，超期率降至{target * 100:g}%以下，下次会商说明"
    return [Suggestion("overdue", str(bureau), reason, subject[:200],
                       Target("metric", metric="overdue_rate", op="<=", value=target))]


def in_bottom_third(rank_low: int, n: int) -> bool:
    """The whole rank range [rank_low, …] lies in the last ⌊n/3⌋ places."""
    return n >= 3 and rank_low > n - n // 3


def confident_bottom(ranking: pd.DataFrame, now: pd.DataFrame, names: dict[str, str],
                     period: Period) -> list[Suggestion]:
    """Bureaus whose whole rank range lies in the bottom third (a place earned, not luck).

    The target is the rate in which the bureau falls furthest short of the city's median
    bureau (catalogue formula, from `now`), asked up (or down) to that median.
    """
    if ranking is None or ranking.empty or "rank_low" not in ranking:
        return []
    if "provisional" in ranking and bool(ranking["provisional"].fillna(False).any()):
        return []                            # a provisional ranking is never read as final
    n = len(ranking)
    shown = ranking.attrs.get("metrics") or CHANGE_METRICS
    allowed = set(target_metrics())
    rates = [metrics.get(x) for x in shown if x in allowed and metrics.get(x).kind == "rate"
             and metrics.get(x).direction != 0]
    out = []
    for row in ranking.itertuples(index=False):
        if not in_bottom_third(int(row.rank_low), n):
            continue
        bureau = str(row.bureau_id)
        place = names.get(bureau, bureau)
        span = f"第{int(row.rank_low)}–{int(row.rank_high)}名" if row.rank_low != row.rank_high else f"第{int(row.rank_low)}名"
        target, gap = None, ""
        worst = None
        for m in rates:
            values = {b: m.value(now.loc[b]) for b in now.index}
            known = [v for v in values.values() if v is not None]
            mine = values.get(bureau) if bureau in now.index else None
            if mine is None or len(known) < 3:
                continue
            median = float(pd.Series(known).median())
            shortfall = (median - mine) * m.direction
            if shortfall > 0 and (worst is None or shortfall > worst[0]):
                worst = (shortfall, m, mine, median)
        if worst is not None:
            _, m, mine, median = worst
            target = Target("metric", metric=m.name, op=_op(m), value=_round_target(m, median))
            gap = f"，{m.label}{m.format(mine)}，全市中位{m.format(median)}"
        reason = f"{place}分县局排名{span}（共{n}个，整个排名区间在后三分之一）{gap}"
        subject = f"{place}：分县局排名{span}，居后三分之一{gap}，请制定整改措施，下次会商说明"
        out.append(Suggestion("bottom", bureau, reason, subject[:200], target))
    return out


def combine(*groups: list[Suggestion]) -> list[Suggestion]:
    """All suggestions in the agenda's order, one per bureau and measure."""
    seen, out = set(), []
    for s in sorted((s for g in groups for s in g), key=lambda s: KIND_ORDER.index(s.kind)):
        if s.key not in seen:
            seen.add(s.key)
            out.append(s)
    return out


def fresh(suggestions: list[Suggestion], tasks, meeting_week: str) -> list[Suggestion]:
    """Drop the suggestions already made into a task this meeting week (same bureau and measure)."""
    taken = set()
    for t in tasks:
        if t.meeting_week != meeting_week or t.status == "撤销":
            continue
        for b in t.bureaus:
            taken.add((b, t.target.key if t.target else ("subject", t.subject)))
    return [s for s in suggestions
            if (s.bureau_id, s.target.key if s.target else ("subject", s.subject)) not in taken]


def to_draft(s: Suggestion, meeting_week: str) -> Draft:
    return Draft(bureaus=(s.bureau_id,), subject=s.subject, meeting_week=meeting_week,
                 due_period=default_due(meeting_week), target=s.target)
