"""What is announced for a period: the KPI changes beyond chance (pure; measures in, flags out).

For every catalogue metric with a test (metrics.Metric.test) three comparisons are tested —
the period against the previous one (环比), against the same period last year (同比), and for
a week the recent weeks against the weeks before them (近期: the last 1, 2 or 3 weeks against
the 12 weeks before them, two weeks apart, the best of the three with a Bonferroni factor) — each widened by the metric's
own dispersion (stats.metric_dispersion over its weekly history). What the changes slide, the
tile colours, the marks and the headlines' 「显著」 announce together is one family: its false
discovery rate is controlled with the weighted Benjamini–Hochberg procedure (Genovese,
Roeder & Wasserman 2006) at [significance] q. Weights ([significance.weights]) favour the
comparisons and metrics the meeting reads first; they average 1 over the family, which
keeps the FDR at q. Metrics testing the same counts (发案数 and 万人发案) are one hypothesis.

The method and its calibration on generated data are in docs/significance.md.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

from antifraud import config, metrics, stats

# Comparison names as the JSON keys carry them: "" (环比), "_yoy" (同比), "_recent" (近期).
WOW, YOY, RECENT = "", "_yoy", "_recent"
COMPARISON_LABEL = {WOW: "环比", YOY: "同比", RECENT: "近期"}


def _setting(name: str, default):
    value = config.setting(f"significance.{name}", default)
    return type(default)(value) if not isinstance(default, (list, tuple)) else tuple(value)


def baseline_weeks() -> int:
    return max(2, _setting("baseline_weeks", 12))


def recent_weeks() -> tuple[int, ...]:
    return tuple(int(k) for k in _setting("recent_weeks", (1, 2, 3)) if int(k) >= 1) or (1,)


def guard_weeks() -> int:
    """Weeks left out between the recent window and its baseline, so a change that builds up
    over several weeks is not hidden in its own baseline (the guard band of outbreak detection)."""
    return max(0, _setting("guard_weeks", 2))


def baseline_span() -> int:
    """Weeks a recent-weeks test reads before its window: the baseline and the guard."""
    return baseline_weeks() + guard_weeks()


def history_weeks() -> int:
    return max(MIN_HISTORY, _setting("history_weeks", 52))


MIN_HISTORY = 13


def weight(metric: metrics.Metric, comparison: str) -> float:
    """The metric's and the comparison's weight in the family (before normalising to mean 1)."""
    w = config.setting("significance.weights", {}) or {}
    by_comparison = {WOW: float(w.get("previous", 0.5)), YOY: float(w.get("last_year", 0.5)),
                     RECENT: float(w.get("recent", 3.0))}
    headline = float(w.get("headline_metric", 2.0)) if metric.name in headline_metrics() else 1.0
    return max(by_comparison[comparison], 0.0) * max(headline, 0.0)


def headline_metrics() -> tuple[str, ...]:
    """The metrics on the first page's tiles: what the meeting reads first."""
    return tuple(config.setting("significance.headline_metrics",
                                ["cases", "loss", "interception_rate", "dissuasion_rate",
                                 "fast_stop_rate", "overdue_rate"]))


def hypothesis(metric: metrics.Metric) -> tuple:
    """Metrics whose tests read the same counts share one hypothesis (发案数 and 万人发案: the
    population is the same exposure in both periods)."""
    if metric.test == "poisson":
        return (metric.test, metric.numerator)
    return (metric.test, metric.numerator, metric.denominator, metric.variance)


def tested() -> list[metrics.Metric]:
    return [m for m in metrics.CATALOGUE if m.test != "none"]


# ---------------------------------------------------------------- the recent-weeks scan

def window_correlation(ks: tuple[int, ...], base: int, guard: int):
    """Correlation of the recent-weeks statistics of windows `ks` (each: the mean of the last k
    weeks minus the mean of its baseline, `base` weeks ending `guard` weeks before it) for weekly
    values of equal variance: overlaps of the weeks each mean reads."""
    import numpy as np

    def parts(k):            # (weeks, weight) of the statistic, week 0 = the latest
        recent = {w: 1.0 / k for w in range(k)}
        baseline = {w: -1.0 / base for w in range(k + guard, k + guard + base)}
        return {**recent, **baseline}
    vec = [parts(k) for k in ks]
    cov = np.array([[sum(a.get(w, 0.0) * b.get(w, 0.0) for w in set(a) | set(b)) for b in vec] for a in vec])
    sd = np.sqrt(np.diag(cov))
    return cov / np.outer(sd, sd)


@lru_cache(maxsize=16)
def _scan_table(ks: tuple[int, ...], base: int, guard: int):
    """p of the largest |z| of the windows, on a grid of |z| (normal approximation, computed once).
    The rectangle probability is a randomised integral: a fixed seed makes the same data give the
    same p on every run, and the grid stops at |z| = 3.5, where the tail (~1e-3) is still resolved
    to 4 digits; beyond it the last ratio to a single window's p is kept, which only errs towards
    a larger p (the true ratio falls slowly further out)."""
    import numpy as np
    from scipy.stats import multivariate_normal
    grid = np.arange(0.0, 3.51, 0.1)
    corr = window_correlation(ks, base, guard)
    dist = multivariate_normal(mean=np.zeros(len(ks)), cov=corr, allow_singular=True, seed=20261203,
                               abseps=1e-8, releps=1e-5, maxpts=300_000)
    inside = [dist.cdf(np.full(len(ks), c), lower_limit=np.full(len(ks), -c)) if c > 0 else 0.0 for c in grid]
    return grid, np.maximum(1.0 - np.array(inside), 1e-300)


def scan_p(p_min: float, ks: tuple[int, ...]) -> float:
    """The recent-weeks scan's p: the chance that the best of the windows `ks` does as well as
    `p_min` when nothing changed. The windows share weeks, so this is well below Bonferroni's
    len(ks)·p_min (about 2 to 2.5 for three windows, as simulated counts confirm), and never above
    it; beyond the table (|z| > 3.5) the ratio of its last point is kept."""
    import numpy as np
    if len(ks) <= 1 or p_min >= 1.0:
        return min(1.0, p_min)
    grid, tail = _scan_table(tuple(ks), baseline_weeks(), guard_weeks())
    c = float(stats.signed_z(max(p_min, 1e-300), 1.0))
    single = np.maximum(2 * np.array([stats.sps.norm.sf(g) for g in grid]), 1e-300)
    # Bonferroni bounds it (the rectangle probability's own error grows in the far tail)
    ratio = min(float(len(ks)), float(np.exp(np.interp(c, grid, np.log(tail / single)))))
    return float(min(1.0, max(p_min, p_min * ratio)))


@dataclass(frozen=True)
class Rise:
    """A count series' recent-weeks rise (`count_rise`): the best window, its cases, the baseline's
    weekly mean, and the scan-corrected one-sided p (1 when the best window did not rise)."""
    weeks: int
    cases: float
    baseline: float
    p: float

    @property
    def z(self) -> float:
        return round(stats.signed_z(self.p, 1.0), 2) if self.p < 1 else 0.0


def count_rise(series: list, phi: float = 1.0) -> Rise | None:
    """The recent-weeks test of one weekly count series (oldest first) for a rise: the last k weeks
    (k in recent_weeks) against the baseline weeks before the guard, exact count test widened by φ,
    the best window corrected by scan_p. None when the series is too short for any window.
    Hot spots and rising fraud types use it: one test, one place."""
    base_n, guard = baseline_weeks(), guard_weeks()
    best, used = None, []
    for k in recent_weeks():
        if len(series) < k + guard + base_n:
            continue
        now, before = sum(series[-k:]), sum(series[-k - guard - base_n:-k - guard])
        test = stats.count_test(now, before, k, base_n, phi)
        used.append(k)
        if best is None or test.p < best[1].p:
            best = (k, test, now, before)
    if best is None:
        return None
    k, test, now, before = best
    p = scan_p(test.p, tuple(used)) if (test.z or 0) > 0 else 1.0
    return Rise(k, now, before / base_n, p)


# ---------------------------------------------------------------- weekly history

@dataclass
class History:
    """Weekly totals (mappings of measures; None = a week the data does not cover whole), oldest first.

    `before`: the weeks that estimate each metric's dispersion (before the recent window).
    `recent`: the baseline weeks, the guard weeks, then the recent ones, ending with the period's
    week (weeks only).
    """
    before: list = field(default_factory=list)
    recent: list = field(default_factory=list)


def _sum(weeks) -> dict | None:
    if not weeks or any(w is None for w in weeks):
        return None
    keys = set().union(*(w.keys() for w in weeks))
    out = {k: sum(float(w.get(k) or 0.0) for w in weeks) for k in keys}
    if "population" in out:           # residents are not added up over weeks
        out["population"] = float(weeks[-1].get("population") or 0.0)
    return out


def _per_week(metric: metrics.Metric, value, weeks: int):
    if value is None:
        return None
    return value / weeks if metric.kind in ("count", "amount", "per_10k") else value


def recent_test(metric: metrics.Metric, recent: list, phi: float) -> tuple[stats.Test, dict]:
    """The last k weeks (k in [significance] recent_weeks) against the baseline weeks before them;
    the smallest p corrected for the windows tried (scan_p), its direction and figures."""
    base_n = baseline_weeks()
    best: tuple[float, stats.Test, dict] | None = None
    used: list[int] = []
    guard = guard_weeks()
    for k in recent_weeks():
        if len(recent) < k + guard + base_n:
            continue
        now, before = _sum(recent[-k:]), _sum(recent[-k - guard - base_n:-k - guard])
        if now is None or before is None:
            continue
        test = stats.compare(metric.name, now, before, phi, k, base_n)
        if test.p is None:
            continue
        used.append(k)
        value, baseline = _per_week(metric, metric.value(now), k), _per_week(metric, metric.value(before), base_n)
        info = {"recent_weeks": k, "recent_value": value, "recent_baseline": baseline}
        if best is None or test.p < best[0]:
            best = (test.p, test, info)
    if best is None:
        return stats.NONE, {}
    p = scan_p(best[0], tuple(used))
    z = math.copysign(abs(stats.signed_z(p, 1.0)), best[1].z or 0.0) if best[1].z else 0.0
    return stats.Test(z, p), best[2]


# ---------------------------------------------------------------- the family

def announce(rows: dict[str, dict], tests: dict[tuple[str, str], stats.Test]) -> None:
    """Write p, z, q and flag of every tested comparison into the KPI rows (in place).

    `tests`: (metric name, comparison) -> Test. One hypothesis per distinct test (hypothesis()),
    weighted BH over the family, flags from q.
    """
    by_metric = {m.name: m for m in tested()}
    members: dict[tuple, tuple[float, float]] = {}          # (hypothesis, comparison) -> (p, weight)
    for (name, comp), test in tests.items():
        if test.p is None or name not in by_metric:
            continue
        key = (hypothesis(by_metric[name]), comp)
        w = weight(by_metric[name], comp)
        if key not in members or w > members[key][1]:
            members[key] = (test.p, w)
    keys = list(members)
    weights = [members[k][1] for k in keys]
    mean_w = sum(weights) / len(weights) if weights else 1.0
    adjusted = [min(1.0, members[k][0] / (members[k][1] / mean_w)) if members[k][1] > 0 else 1.0 for k in keys]
    q_of = dict(zip(keys, stats.bh(adjusted)))
    for (name, comp), test in tests.items():
        row = rows.setdefault(name, {})
        q = q_of.get((hypothesis(by_metric[name]), comp)) if name in by_metric else None
        row[f"z{comp}"] = None if test.z is None else round(test.z, 2)
        row[f"p{comp}"] = None if test.p is None else float(f"{test.p:.4g}")
        row[f"q{comp}"] = None if q is None else float(f"{q:.4g}")
        row[f"flag{comp}"] = stats.flag(q, test.z)


def comparisons(kind: str) -> tuple[str, ...]:
    return (WOW, YOY, RECENT) if kind == "week" else (WOW, YOY)


# ---------------------------------------------------------------- what the changes slide lists

@dataclass(frozen=True)
class Change:
    metric: str
    label: str
    value: str
    flag: str                        # rise | fall — the strongest announced comparison decides
    q: float                         # its q
    parts: tuple[tuple[str, str, float | None, str, str, str], ...]   # (比较, 变化文字, q, flag, tone, level)


def change_of(metric: metrics.Metric, row: dict, comparison: str, kind: str) -> tuple[str, float] | None:
    """(「+12.9%」 / 「+3.85个百分点」 / 「近3周较此前12周 +28.4%」, the signed change) of a comparison:
    rates change in percentage points, everything else in percent; None where there is no base."""
    rate = metric.kind == "rate"
    head = ""
    if comparison == RECENT:
        now, before, k = row.get("recent_value"), row.get("recent_baseline"), row.get("recent_weeks")
        if not k:
            return None
        head = f"近{k}周较此前{baseline_weeks()}周 "
    else:
        before_key = ("prev_week" if kind == "week" else "prev_month") if comparison == WOW else "last_year"
        now, before = row.get("value"), row.get(before_key)
        if not rate:        # the percent the tiles and tables show
            pct = row.get(("wow_pct" if kind == "week" else "mom_pct") if comparison == WOW else "yoy_pct")
            return None if pct is None else (f"{pct:+.1f}%", pct)
    if now is None or before is None:
        return None
    if rate:
        diff = (now - before) * 100
        return f"{head}{diff:+.2f}个百分点", diff
    pct = stats.pct_change(now, before)
    return None if pct is None else (f"{head}{pct:+.1f}%", pct)


def change_words(metric: metrics.Metric, row: dict, comparison: str, kind: str) -> str | None:
    found = change_of(metric, row, comparison, kind)
    return None if found is None else found[0]


def significant_changes(kpis: dict, kind: str = "week") -> list[Change]:
    """Metrics with an announced change: rises first, then falls, strongest (smallest q) first.
    A metric sharing its hypothesis with one already listed (万人发案 with 发案数) is not repeated."""
    out, seen = [], set()
    for m in metrics.CATALOGUE:
        row = kpis.get(m.name)
        if not row or m.test == "none" or hypothesis(m) in seen:
            continue
        parts = []
        for comp in comparisons(kind):
            f, q = row.get(f"flag{comp}"), row.get(f"q{comp}")
            if f and q is not None:
                parts.append((COMPARISON_LABEL[comp], change_words(m, row, comp, kind) or "", q, f,
                              stats.tone(m.direction, f), stats.level(q)))
        if parts:
            seen.add(hypothesis(m))
            lead = min(parts, key=lambda p: p[2])
            out.append(Change(m.name, m.label, m.format(row.get("value")), lead[3], lead[2], tuple(parts)))
    out.sort(key=lambda c: (c.flag != "rise", c.q))
    return out


# ---------------------------------------------------------------- rising fraud types

TYPE_COLUMNS = ["fraud_type", "cases", "baseline", "recent_weeks", "recent_cases", "z", "p", "q", "flag", "reason"]


def type_changes(weekly, before: list, recent: list, min_cases: int | None = None,
                 month: tuple | None = None):
    """Fraud types whose cases rose beyond chance: one family over every type seen.

    `weekly`: cases per fraud type (rows) and week (columns, Period keys) — the weeks of
    `before` (dispersion) and `recent` (baseline then recent weeks, for a week). `month`:
    (cases now, cases the month before) per type as two Series, for a monthly period, tested
    in place of the recent weeks. Rises only; q over all types; a type needs `min_cases`.
    """
    import pandas as pd
    min_cases = int(config.setting("hotspots.min_cases", 3)) if min_cases is None else min_cases
    base_n = baseline_weeks()
    rows = []
    for fraud_type, series in weekly.iterrows():
        hist = [series.get(w.key) for w in before]
        pairs = [stats.pearson_count(b, a) for a, b in zip(hist, hist[1:])
                 if a is not None and b is not None and not (pd.isna(a) or pd.isna(b))]
        phi = stats.dispersion(pairs)
        if month is not None:
            now, prev = (float(month[0].get(fraud_type, 0.0)), float(month[1].get(fraud_type, 0.0)))
            test = stats.count_test(now, prev, dispersion=phi)
            rise, this = Rise(None, now, prev, test.p if (test.z or 0) > 0 else 1.0), now
        else:
            counts = [series.get(w.key) for w in recent]
            if any(c is None or pd.isna(c) for c in counts):
                continue
            rise, this = count_rise(counts, phi), counts[-1]
            if rise is None:
                continue
        rows.append({"fraud_type": fraud_type, "cases": int(this), "baseline": round(float(rise.baseline), 2),
                     "recent_weeks": rise.weeks, "recent_cases": int(rise.cases), "p": rise.p, "z": rise.z})
    out = pd.DataFrame(rows, columns=[c for c in TYPE_COLUMNS if c not in ("q", "flag", "reason")])
    if out.empty:
        return pd.DataFrame(columns=TYPE_COLUMNS)
    out["q"] = stats.bh(out["p"].tolist())
    out["flag"] = ["rise" if (q is not None and q <= stats.q_level() and n >= min_cases) else ""
                   for q, n in zip(out["q"], out["cases"])]
    out["reason"] = [_type_reason(r, base_n) for r in out.itertuples(index=False)]
    return out.sort_values(["flag", "q", "fraud_type"], ascending=[False, True, True])[TYPE_COLUMNS] \
        .reset_index(drop=True)


def _type_reason(r, base_n: int) -> str:
    if r.recent_weeks is None or (isinstance(r.recent_weeks, float) and math.isnan(r.recent_weeks)):
        return f"本月{int(r.recent_cases)}起，上月{r.baseline:.0f}起"
    window = "本周" if r.recent_weeks == 1 else f"近{int(r.recent_weeks)}周"
    return f"{window}{int(r.recent_cases)}起，此前{base_n}周周均{r.baseline:.1f}起"
